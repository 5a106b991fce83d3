"""Certified stationary points (homotopy.certification): the interval arithmetic contains the
exact results (Python fractions, 40-digit mpmath), and `certify`'s boxes contain the exact
roots (40-digit mpmath Newton) while a wrong w is refused."""

from fractions import Fraction

import mpmath
import numpy as np
import pytest

import homotopy as h
from homotopy.certification import (
    Interval,
    enclose_H,
    enclose_H_w,
    gram,
    matvec,
    sigma_enclosures,
)


mpmath.mp.dps = 40


def _exact(x) -> Fraction:
    return Fraction(float(x))


def _random_intervals(rng, n, scale=3.0, width=1e-3):
    lo = rng.normal(0.0, scale, n)
    return Interval(lo, lo + rng.uniform(0.0, width, n))


# ------------------------------------------------------------------ arithmetic


def test_elementwise_operations_contain_the_exact_results():
    rng = np.random.default_rng(0)
    a, b = _random_intervals(rng, 200), _random_intervals(rng, 200)
    pos = Interval(np.abs(a.lo) + 0.1, np.abs(a.lo) + 0.1 + (a.hi - a.lo))
    for k in range(200):
        for ta in (a.lo[k], a.hi[k], 0.5 * (a.lo[k] + a.hi[k])):
            for tb in (b.lo[k], b.hi[k]):
                exact = {
                    "add": _exact(ta) + _exact(tb),
                    "sub": _exact(ta) - _exact(tb),
                    "mul": _exact(ta) * _exact(tb),
                    "sq": _exact(ta) ** 2,
                }
                got = {"add": a + b, "sub": a - b, "mul": a * b, "sq": a.square()}
                for key, e in exact.items():
                    iv = got[key]
                    assert _exact(iv.lo[k]) <= e <= _exact(iv.hi[k]), key
        t = _exact(pos.lo[k])
        r = pos.reciprocal_positive()
        assert _exact(r.lo[k]) <= 1 / t <= _exact(r.hi[k])
    with pytest.raises(ValueError, match="interval"):
        a.reciprocal_positive()


@pytest.mark.parametrize("name", ["tanh", "logistic", "arctan"])
def test_sigma_enclosures_contain_mpmath_values(name):
    rng = np.random.default_rng(1)
    t = Interval(*(lambda lo: (lo, lo + rng.uniform(0, 1e-6, 300)))(rng.normal(0, 4, 300)))
    s, d1, d2 = sigma_enclosures(name, t)
    f = {
        "tanh": lambda x: mpmath.tanh(x),
        "logistic": lambda x: 1 / (1 + mpmath.exp(-x)),
        "arctan": lambda x: mpmath.atan(x),
    }[name]
    for k in range(300):
        for x in (t.lo[k], t.hi[k], 0.5 * (t.lo[k] + t.hi[k])):
            xm = mpmath.mpf(float(x))
            vals = (f(xm), mpmath.diff(f, xm), mpmath.diff(f, xm, 2))
            for iv, v in zip((s, d1, d2), vals, strict=True):
                assert mpmath.mpf(float(iv.lo[k])) <= v <= mpmath.mpf(float(iv.hi[k]))
    # tight for a point: a few ulps, not more
    p = sigma_enclosures(name, Interval.point(np.array([0.3])))[0]
    assert p.hi[0] - p.lo[0] < 20 * np.spacing(abs(p.lo[0]))


def test_products_with_the_data_contain_the_exact_products():
    rng = np.random.default_rng(2)
    A = rng.normal(size=(30, 4))
    x = _random_intervals(rng, 4, 1.0, 1e-9)
    c = _random_intervals(rng, 30, 1.0, 1e-9)
    Ax, G = matvec(A, x), gram(A, c)
    Ae = [[_exact(v) for v in row] for row in A]
    for corner in range(4):  # points of the intervals, exactly
        xs = [_exact(x.lo[j] if (corner >> (j % 2)) & 1 else x.hi[j]) for j in range(4)]
        cs = [_exact(c.lo[i] if (corner + i) % 2 else c.hi[i]) for i in range(30)]
        for i in range(30):
            e = sum(Ae[i][j] * xs[j] for j in range(4))
            assert _exact(Ax.lo[i]) <= e <= _exact(Ax.hi[i])
        for a in range(4):
            for b in range(4):
                e = sum(Ae[i][a] * cs[i] * Ae[i][b] for i in range(30))
                assert _exact(G.lo[a, b]) <= e <= _exact(G.hi[a, b])
    # and tight: the widths are at the rounding level of the data's products
    assert np.max(Ax.hi - Ax.lo) < 1e-7 and np.max(G.hi - G.lo) < 1e-6


# ---------------------------------------------------------------- certify


def _mp_root(problem, w, lam):
    """The exact zero of H(·, λ) near w: 40-digit Newton on H written in mpmath."""
    X = np.asarray(problem.design)
    d = np.asarray(problem.d)
    act = problem.activation.name
    f = {
        "tanh": mpmath.tanh,
        "logistic": lambda x: 1 / (1 + mpmath.exp(-x)),
        "arctan": mpmath.atan,
    }[act]
    L, s = X.shape
    Xm = [[mpmath.mpf(float(v)) for v in row] for row in X]
    dm = [mpmath.mpf(float(v)) for v in d]
    lm = mpmath.mpf(float(lam))

    def blend(z):
        return (1 - lm) * z + lm * f(z)

    def H(*ws):
        z = [mpmath.fsum(Xm[i][a] * ws[a] for a in range(s)) for i in range(L)]
        if problem.objective == "interpolation":
            return [blend(z[i]) - dm[i] for i in range(L)]
        d1 = [mpmath.diff(blend, z[i]) for i in range(L)]
        return [
            -mpmath.fsum(Xm[i][a] * d1[i] * (dm[i] - blend(z[i])) for i in range(L))
            for a in range(s)
        ]

    root = mpmath.findroot(H, [mpmath.mpf(float(v)) for v in w], tol=mpmath.mpf(10) ** -35)
    return [root[i] for i in range(s)]


def _inside(cert, root):
    pairs = zip(root, cert.w, strict=True)
    return all(abs(r - mpmath.mpf(float(c))) <= cert.radius for r, c in pairs)


def test_fold_solutions_are_certified_and_contain_the_exact_roots():
    p = h.datasets.fold().problem()
    path = h.track(p)
    cases = [(path.w_end, 1.0)] + [(w, 0.95) for w in path.at(0.95)]
    assert len(cases) == 4
    for w, lam in cases:
        cert = h.certify(p, w, lam)
        assert cert.certified, cert.message
        assert cert.radius < 1e-10 and cert.contraction < 1e-6 and cert.residual < 1e-13
        assert _inside(cert, _mp_root(p, w, lam))


def test_a_wrong_w_is_refused():
    p = h.datasets.fold().problem()
    w = h.track(p).w_end
    for wrong in (w + 1e-3, w + np.array([1e-5, 0.0])):
        cert = h.certify(p, wrong, 1.0)
        assert not cert.certified and cert.radius == np.inf
        assert "Krawczyk test failed" in cert.message
    # the same w with a box too small to hold its rounding error is refused as well
    assert not h.certify(p, w, 1.0, max_radius=1e-18).certified


@pytest.mark.parametrize("activation", ["logistic", "arctan"])
def test_other_activations(activation):
    rng = np.random.default_rng(3)
    X, d = rng.normal(size=(6, 2)), rng.uniform(0.2, 0.8, 6)
    if activation == "arctan":
        d = d - 0.5
    p = h.NaturalHomotopy(X, d, activation, bias=True)
    path = h.track(p)
    assert path.success
    cert = h.certify(p, path.w_end, 1.0)
    assert cert.certified, cert.message
    assert _inside(cert, _mp_root(p, path.w_end, 1.0))


def test_interpolation_objective():
    X = np.array([[1.0, 0.3], [-0.4, 1.2]])
    d = np.array([0.5, -0.7])
    p = h.NaturalHomotopy(X, d, objective="interpolation")
    w = np.linalg.solve(X, np.arctanh(d))  # the closed form at λ = 1, to rounding
    cert = h.certify(p, w, 1.0)
    assert cert.certified, cert.message
    assert _inside(cert, _mp_root(p, w, 1.0))
    np.testing.assert_allclose(
        enclose_H_w(p, Interval.point(w), 1.0).mid, np.asarray(p.H_w(w, 1.0)), rtol=1e-14
    )


def test_enclosures_contain_the_float_evaluations():
    rng = np.random.default_rng(4)
    p = h.NaturalHomotopy(rng.normal(size=(20, 3)), rng.uniform(-0.9, 0.9, 20), bias=True)
    w = rng.normal(size=4)
    F = enclose_H(p, Interval.point(w), 0.7)
    J = enclose_H_w(p, Interval.point(w), 0.7)
    # the float64 evaluations lie within a few ulps of the exact values the boxes contain
    Hf, Jf = np.asarray(p.H(w, 0.7)), np.asarray(p.H_w(w, 0.7))
    assert np.all(F.lo - 1e-13 <= Hf) and np.all(Hf <= F.hi + 1e-13)
    assert np.all(J.lo - 1e-12 <= Jf) and np.all(Jf <= J.hi + 1e-12)
    assert np.max(F.hi - F.lo) < 1e-13 * (1 + np.max(np.abs(Hf)))
    assert np.max(J.hi - J.lo) < 1e-13 * (1 + np.max(np.abs(Jf)))


def test_refusals():
    rng = np.random.default_rng(5)
    X, d = rng.normal(size=(6, 2)), rng.uniform(-0.5, 0.5, 6)
    with pytest.raises(ValueError, match="activation"):
        h.certify(h.NaturalHomotopy(X, d, "erf"), np.zeros(2), 1.0)
    with pytest.raises(ValueError, match="problem"):
        h.certify(h.NaturalHomotopy(X, np.column_stack([d, d])), np.zeros(4), 1.0)
    with pytest.raises(ValueError, match="problem"):
        h.certify(h.MLPHomotopy(X, d, hidden=1), np.zeros(5), 1.0)
    with pytest.raises(ValueError, match="w"):
        h.certify(h.NaturalHomotopy(X, d), np.zeros(3), 1.0)
    with pytest.raises(ValueError, match="lam"):
        h.certify(h.NaturalHomotopy(X, d), np.zeros(2), float("nan"))


def test_products_cover_cancellation():
    """fl(1e16 + 1 − 1e16) = 0 while the exact sum is 1: the rounding-error term of the
    midpoint product must cover it (a point interval has no radius to hide behind)."""
    A = np.array([[1e16, 1.0, -1e16]])
    Ax = matvec(A, Interval.point(np.ones(3)))
    assert Ax.lo[0] <= 1.0 <= Ax.hi[0]
    G = gram(A.T, Interval.point(np.array([1.0, 1.0, -1.0])))  # 1e32 + 1 − 1e32 = 1
    assert G.lo[0, 0] <= 1.0 <= G.hi[0, 0]


def test_track_certifies_its_endpoint():
    p = h.datasets.fold().problem()
    path = h.track(p, certify=True)
    assert path.success and path.certificate.certified
    assert "endpoint certified" in path.message
    assert _inside(path.certificate, _mp_root(p, path.w_end, 1.0))
    assert h.track(p).certificate is None
    with pytest.raises(ValueError, match="certify"):
        h.track(p, certify="yes")
    X = np.random.default_rng(6).normal(size=(6, 2))
    with pytest.raises(ValueError, match="problem"):
        h.track(h.MLPHomotopy(X, np.zeros(6) + 0.1, hidden=1), certify=True)
