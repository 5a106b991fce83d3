"""homotopy.stationary: the catalogue of stationary points against an independent numpy
dense-grid Newton enumeration, the target homotopy, deflation, symmetry orbits, certificates."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpy_reference import grid_stationary_points, single_layer_derivatives

import homotopy as hp
from homotopy.protocol import jacobian_of
from homotopy.stationary import (
    TargetHomotopy,
    _deflate,
    _orbit_size,
    stationary_points,
)


def _single(X, d, bias, act="tanh"):
    p = hp.NaturalHomotopy(X, d, act, bias=bias)
    Xt = np.concatenate([X, np.ones((X.shape[0], 1))], 1) if bias else np.asarray(X)
    return p, Xt


def _cases():
    rng = np.random.default_rng(3)
    X6 = rng.standard_normal((6, 1))
    d6 = 0.9 * np.tanh(2 * rng.standard_normal(6))
    rng2 = np.random.default_rng(11)
    X7 = rng2.standard_normal((7, 2))
    d7 = 0.8 * np.tanh(2 * rng2.standard_normal(7))
    return [
        # the issue's example: the path ends at a local minimum, the global one is far out
        ("issue-s1", np.array([[0.089], [3.542]]), np.array([-0.924, -0.69]), False, "tanh", 1.0),
        ("s2-bias", X6, d6, True, "tanh", 1.0),
        ("s2-bias-lam0.8", X6, d6, True, "tanh", 0.8),
        ("s2-inputs", X7, d7, False, "tanh", 1.0),
        ("s2-logistic", X6, 0.5 + 0.45 * np.sign(d6) * np.abs(d6), True, "logistic", 1.0),
    ]


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c[0])
def test_finds_every_well_conditioned_point_of_a_dense_grid_enumeration(case):
    _, X, d, bias, act, lam = case
    p, Xt = _single(X, d, bias, act)
    radius = 25.0 / float(np.sqrt(np.mean(np.sum(Xt**2, axis=1))))
    n_grid = 4000 if Xt.shape[1] == 1 else 260
    ref, ref_E, ref_eig = grid_stationary_points(Xt, d, act, lam, radius, n_grid)
    well = np.min(np.abs(ref_eig), axis=1) > 1e-6 * np.max(np.abs(ref_eig), axis=1)
    # the λ = 1 problems have several isolated points (λ = 0.8: a unique one)
    assert np.sum(well) >= (2 if lam == 1.0 else 1)
    res = stationary_points(p, lam, batch=24, rounds=6)
    found = np.array([q.w for q in res.points])
    for w, e, eig in zip(ref[well], ref_E[well], ref_eig[well], strict=True):
        dist = np.linalg.norm(found - w, axis=1)
        i = int(np.argmin(dist))
        assert dist[i] <= 1e-8 * (1 + np.linalg.norm(w)), (w, found)
        q = res.points[i]
        assert q.error == pytest.approx(e, rel=1e-12, abs=1e-15)
        assert q.index == int(np.sum(eig < 0))
        np.testing.assert_allclose(q.hessian_eigenvalues, eig, rtol=1e-8, atol=1e-12)
    # and nothing it reports is wrong: numpy's gradient vanishes at every point it lists
    _, g, Hs = single_layer_derivatives(Xt, d, act, lam, found)
    assert np.max(np.linalg.norm(g, axis=1)) <= 1e-12
    for q, H in zip(res.points, Hs, strict=True):
        assert q.index == int(np.sum(np.linalg.eigvalsh(H) < 0))
        assert q.nullity == 0 and not q.saturated


def test_the_issue_example_finds_the_global_minimum_the_path_misses():
    p = hp.NaturalHomotopy(np.array([[0.089], [3.542]]), np.array([-0.924, -0.69]))
    path_end = hp.track(p).w_end
    res = stationary_points(p, batch=16, rounds=4)
    best = res.minima[0]
    assert best.w[0] == pytest.approx(-18.154, abs=1e-3)
    assert best.error == pytest.approx(0.04805, abs=1e-5)
    other = [q for q in res.minima if abs(q.w[0] - path_end[0]) < 1e-8]
    assert other and "lambda_path" in other[0].found_by and other[0].error > best.error
    assert all(q.certified for q in res.points)
    for q in res.points:
        assert q.certificate.radius < 1e-9 * (1 + abs(q.w[0]))
    assert res.new_in_last_round == 0
    assert sum(r.runs for r in res.rounds) == 1 + sum(
        r.runs for r in res.rounds if r.method != "lambda_path"
    )


def test_catalogue_is_sorted_and_counted():
    X, d = np.random.default_rng(3).standard_normal((6, 1)), None
    d = 0.9 * np.tanh(2 * np.random.default_rng(4).standard_normal(6))
    res = stationary_points(hp.NaturalHomotopy(X, d, bias=True), batch=16, rounds=3)
    errs = [q.error for q in res.points]
    assert errs == sorted(errs)
    counts = res.counts()
    assert sum(v for k, v in counts.items() if k not in ("degenerate", "saturated")) == len(res)
    assert len(res.minima) == counts.get("minimum", 0)
    assert 0.0 <= res.unseen_probability <= 1.0
    assert all(q.saturated for q in res.degenerate if q.kind == "degenerate")
    assert "StationaryPoints(" in repr(res)


def test_target_homotopy_starts_at_w_prime_and_ends_at_the_problem():
    rng = np.random.default_rng(0)
    X, d = rng.standard_normal((8, 2)), 0.7 * np.tanh(rng.standard_normal(8))
    for p in (
        hp.NaturalHomotopy(X, d, bias=True),
        hp.MLPHomotopy(X, d, hidden=2),
        hp.MLPHomotopy(X, np.stack([d, -d], 1), hidden=2, output="activation"),
    ):
        n = p.n_unknowns
        w1 = rng.standard_normal(n) * 0.5
        th = TargetHomotopy.from_weights(p, w1, 0.9, mu=0.3)
        np.testing.assert_allclose(th.H(jnp.asarray(w1), 0.0), 0.0, atol=1e-14)
        w = jnp.asarray(rng.standard_normal(n))
        np.testing.assert_allclose(th.H(w, 1.0), p.H(w, 0.9), rtol=1e-14, atol=1e-14)
        tau = 0.37
        J = th.jacobian(w, tau)
        np.testing.assert_allclose(J, jacobian_of(th.H, w, tau), rtol=1e-10, atol=1e-12)
        # the start is nondegenerate even with more weights than targets (μ > 0)
        assert np.min(np.linalg.eigvalsh(np.asarray(th.jacobian(jnp.asarray(w1), 0.0))[:, :-1])) > 0


def test_track_many_passes_a_shared_base_once():
    rng = np.random.default_rng(1)
    X, d = rng.standard_normal((50, 3)), 0.5 * np.tanh(rng.standard_normal(50))
    p = hp.NaturalHomotopy(X, d)
    Wf = 0.3 * rng.standard_normal((4, 3))
    homs = [TargetHomotopy.from_weights(p, w, 1.0) for w in Wf]
    pb = hp.track_many(homs, start=Wf)
    leaves = jax.tree_util.tree_leaves(pb._problems)
    shapes = sorted(np.shape(a) for a in leaves)
    assert (50, 3) in shapes and (4, 50, 3) not in shapes  # X shared, not stacked
    assert pb.success.all()
    for i in range(4):
        np.testing.assert_allclose(p.H(jnp.asarray(pb.w_end[i]), 1.0), 0.0, atol=1e-10)


def test_deflation_is_repelled_from_known_points():
    p = hp.NaturalHomotopy(np.array([[0.089], [3.542]]), np.array([-0.924, -0.69]))
    w_loc = hp.track(p).w_end
    dyn, static = p, None
    starts = w_loc[None, :] + np.array([[0.01], [-0.01], [0.02]])
    plain, ok0, _ = _deflate(dyn, static, starts, 1.0, np.zeros((0, 1)), 60, 1e-12)
    assert ok0.all() and np.allclose(plain, w_loc, atol=1e-10)
    W, ok, _ = _deflate(dyn, static, starts, 1.0, w_loc[None, :], 60, 1e-12)
    assert not np.any(ok & (np.abs(W[:, 0] - w_loc[0]) < 1e-6))


def test_paths_to_infinity_are_reported():
    # |d| > 1 cannot be fitted by tanh: E's infimum lies at infinite weights
    X = np.array([[1.0], [2.0], [-1.5]])
    d = np.array([1.3, 1.2, -1.4])
    res = stationary_points(hp.NaturalHomotopy(X, d), batch=16, rounds=2, patience=1)
    assert res.diverged > 0
    assert sum(r.diverged for r in res.rounds) == res.diverged
    for q in res.points:
        assert q.gradient_norm <= 1e-12


def _mlp_problem():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((12, 2))
    d = np.tanh(X @ np.array([1.0, -0.7]) + 0.2) - 0.5 * np.tanh(X @ np.array([0.3, 1.2]))
    d = d + 0.05 * rng.standard_normal(12)
    return hp.MLPHomotopy(X, d, hidden=2)


def test_hidden_layer_points_are_orbits():
    p = _mlp_problem()
    res = stationary_points(p, batch=24, rounds=3, methods=("targets", "deflation"))
    assert len(res) >= 1
    H = jax.jit(p.H)
    for q in res.points:
        np.testing.assert_allclose(H(jnp.asarray(q.w), 1.0), 0.0, atol=1e-10)
        assert q.orbit_size == 8  # 2! permutations × 2² sign flips, no unit repeated
        assert 1 <= q.copies_found <= q.orbit_size
        np.testing.assert_allclose(p.canonical(q.w), q.w, atol=1e-14)
    # no two catalogue entries are in one orbit
    for i, a in enumerate(res.points):
        for b in res.points[i + 1 :]:
            assert not p.same_orbit(a.w, b.w)


def test_orbit_size_counts_the_stabilizer():
    p = _mlp_problem()
    W = np.array([[1.0, 1.0], [0.5, 0.5], [0.1, 0.1]])
    assert _orbit_size(p, p.pack(W, [[2.0], [2.0]], [0.0])) == 4  # the swap fixes it
    assert _orbit_size(p, p.pack(W * [1, -1], [[2.0], [-2.0]], [0.0])) == 4  # swap + flips
    assert _orbit_size(p, p.pack(np.c_[W[:, 0], 0 * W[:, 0]], [[2.0], [0.0]], [0.0])) == 4
    assert _orbit_size(p, p.pack(W * [1, 2], [[2.0], [1.0]], [0.0])) == math.factorial(2) * 4


def test_xor_is_degenerate_for_an_overparametrized_network():
    X = np.array([[0.0, 0], [0, 1], [1, 0], [1, 1]])
    p = hp.MLPHomotopy(X, 0.9 * np.array([-1.0, 1, 1, -1]), hidden=2, output="activation")
    res = stationary_points(p, batch=16, rounds=2, methods=("targets",), patience=1)
    # 9 weights, 4 targets: the zero-error set is a manifold of dimension 9 − 4 = 5
    zero = [q for q in res.degenerate if q.error < 1e-20]
    assert zero and zero[0].nullity == 5 and zero[0].kind == "degenerate"
    assert zero[0].certificate is None


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(lam=1.5), "lam"),
        (dict(lam=True), "lam"),
        (dict(methods=("newton",)), "methods"),
        (dict(methods=()), "methods"),
        (dict(batch=0), "batch"),
        (dict(rounds=2.5), "rounds"),
        (dict(scale=(0, 1)), "scale"),
        (dict(scale=3), "scale"),
        (dict(tol=0.1), "tol"),
        (dict(mu=-1.0), "mu"),
    ],
)
def test_bad_options_name_the_argument(kwargs, name):
    p = hp.NaturalHomotopy(np.array([[1.0], [2.0]]), np.array([0.1, 0.3]))
    with pytest.raises(ValueError, match=f"^{name}:"):
        stationary_points(p, **kwargs)


def test_other_problems_are_refused():
    fh = hp.FunctionHomotopy(lambda w, lam: w - lam, start=np.zeros(1))
    with pytest.raises(ValueError, match="^problem:"):
        stationary_points(fh)
    interp = hp.NaturalHomotopy(np.eye(2), np.array([0.1, 0.2]), objective="interpolation")
    with pytest.raises(ValueError, match="^problem:.*interpolation"):
        stationary_points(interp)
