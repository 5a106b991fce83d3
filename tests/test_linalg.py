"""The tracker's small solves (`homotopy._linalg`) against numpy's LAPACK."""

import jax
import numpy as np
import pytest

from homotopy import _linalg


@pytest.mark.parametrize("n", [1, 2, 3, 5, _linalg.SMALL, _linalg.SMALL + 3])
def test_solve_and_determinant_match_numpy(n):
    rng = np.random.default_rng(n)
    for _ in range(5):
        A = rng.normal(size=(n, n))
        b = rng.normal(size=n)
        f = _linalg.factor(A)
        x = np.asarray(_linalg.solve(f, b))
        np.testing.assert_allclose(x, np.linalg.solve(A, b), rtol=1e-12, atol=1e-12)
        sign, logdet = np.linalg.slogdet(A)
        assert float(f.sign) == sign
        np.testing.assert_allclose(float(f.logdet), logdet, rtol=1e-13, atol=1e-13)
        assert (f.piv is None) == (n <= _linalg.SMALL)
        np.testing.assert_allclose(
            float(_linalg.inverse_norm(f)), np.linalg.norm(np.linalg.inv(A)), rtol=1e-12
        )


def test_pivoting_is_needed_and_done():
    # a zero leading pivot, and a tiny one that would lose every digit without row swaps
    for eps in (0.0, 1e-18):
        A = np.array([[eps, 1.0, 2.0], [1.0, 3.0, -1.0], [4.0, 0.5, 1.0]])
        f = _linalg.factor(A)
        b = np.array([1.0, -2.0, 0.5])
        np.testing.assert_allclose(
            _linalg.solve(f, b), np.linalg.solve(A, b), rtol=1e-14, atol=1e-15
        )
        assert float(f.sign) == np.linalg.slogdet(A)[0]


def test_permutation_sign_counts_every_swap():
    # det of a permutation matrix is the parity of the permutation
    for perm, parity in (((1, 0, 2), -1), ((1, 2, 0), 1), ((2, 1, 0), -1), ((3, 2, 1, 0), 1)):
        P = np.eye(len(perm))[list(perm)]
        f = _linalg.factor(P)
        assert float(f.sign) == parity == round(np.linalg.det(P))
        assert abs(float(f.logdet)) < 1e-15


def test_singular_matrix_has_zero_sign():
    A = np.array([[1.0, 2.0], [2.0, 4.0]])
    f = _linalg.factor(A)
    assert float(f.sign) == 0.0
    assert float(f.logdet) == -np.inf


def test_batches_under_vmap():
    rng = np.random.default_rng(7)
    A = rng.normal(size=(16, 4, 4))
    b = rng.normal(size=(16, 4))
    x = jax.vmap(lambda a, c: _linalg.solve(_linalg.factor(a), c))(A, b)
    np.testing.assert_allclose(x, np.linalg.solve(A, b[..., None])[..., 0], rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("n", [_linalg.SMALL + 1, 2 * _linalg.SMALL + 9])
def test_batched_factor_eliminates_without_lapack_and_matches_numpy(n):
    rng = np.random.default_rng(n)
    A = rng.normal(size=(6, n, n))
    A[0, 0, 0] = 0.0  # a pivot swap is required
    b = rng.normal(size=(6, n))

    def fs(a, rhs):
        f = _linalg.factor(a, batched=True)
        assert f.piv is None  # an explicit inverse: solves are products
        return _linalg.solve(f, rhs), f.sign, f.logdet, _linalg.inverse_norm(f)

    x, sign, logdet, inv_norm = jax.vmap(fs)(A, b)
    assert "lapack" not in jax.jit(jax.vmap(fs)).lower(A, b).as_text().lower()
    np.testing.assert_allclose(x, np.linalg.solve(A, b[..., None])[..., 0], rtol=1e-11, atol=1e-12)
    ref_sign, ref_logdet = np.linalg.slogdet(A)
    np.testing.assert_array_equal(sign, ref_sign)
    np.testing.assert_allclose(logdet, ref_logdet, rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(inv_norm, np.linalg.norm(np.linalg.inv(A), axis=(1, 2)), rtol=1e-11)


def test_serial_lapack_limits_blas_threads_inside_and_restores_them():
    import threading

    import threadpoolctl

    def counts():
        return [
            i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"
        ]

    before = counts()
    assert _linalg.serial_lapack(_linalg.SMALL - 1).__class__.__name__ == "nullcontext"
    ctx = _linalg.serial_lapack(_linalg.SMALL + 10)
    with ctx:
        assert all(n == 1 for n in counts())
        with ctx:  # nested (and concurrent users): only the last to leave restores
            pass
        assert all(n == 1 for n in counts())
        seen = []
        t = threading.Thread(
            target=lambda: (ctx.__enter__(), seen.append(counts()), ctx.__exit__())
        )
        t.start()
        t.join()
        assert all(n == 1 for n in seen[0]) and all(n == 1 for n in counts())
    assert counts() == before


def test_large_single_path_lu_is_fast_and_exact_under_serial_lapack():
    # the bordered systems of a 20000 × 200 problem are of order 201: LAPACK's LU there, with
    # BLAS single-threaded (multi-threaded OpenBLAS spins against XLA's threads)
    rng = np.random.default_rng(3)
    A = rng.normal(size=(201, 201))
    b = rng.normal(size=201)
    with _linalg.serial_lapack(200):
        f = jax.jit(_linalg.factor)(A)
        x = np.asarray(jax.jit(_linalg.solve)(f, b))
    np.testing.assert_allclose(A @ x, b, rtol=0, atol=1e-11 * np.abs(b).max())
    sign, logdet = np.linalg.slogdet(A)
    assert float(f.sign) == sign and abs(float(f.logdet) - logdet) < 1e-11
