"""Certified stationary points (homotopy.certification): the interval arithmetic contains the
exact results (Python fractions, 40-digit mpmath), and `certify`'s boxes contain the exact
roots (40-digit mpmath Newton) while a wrong w is refused."""

from fractions import Fraction

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest

import homotopy as h
from homotopy.certification import (
    Interval,
    IntervalData,
    enclose_H,
    enclose_H_w,
    gram,
    matmul,
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
    with pytest.raises(ValueError, match="activation"):
        h.certify(h.MLPHomotopy(X, d, hidden=1, activation="softsign"), np.zeros(5), 1.0)
    with pytest.raises(ValueError, match="activation: no interval enclosure for user-defined"):
        # a callable that merely shares a built-in's name is not taken for it
        h.certify(h.NaturalHomotopy(X, d, tanh), np.zeros(2), 1.0)
    with pytest.raises(ValueError, match="problem: certify needs the interval_data"):
        h.certify(h.FunctionHomotopy(lambda w, lam, a: w, start=np.zeros(2)), np.zeros(2), 1.0)
    with pytest.raises(ValueError, match="w"):
        h.certify(h.MLPHomotopy(X, d, hidden=1), np.zeros(4), 1.0)
    with pytest.raises(ValueError, match="w"):
        h.certify(h.NaturalHomotopy(X, d), np.zeros(3), 1.0)
    with pytest.raises(ValueError, match="lam"):
        h.certify(h.NaturalHomotopy(X, d), np.zeros(2), float("nan"))


def tanh(t):
    """A user's σ with a built-in's name (`test_refusals`)."""
    return 2.0 * jnp.tanh(t)


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
    with pytest.raises(ValueError, match="problem"):
        h.track(h.FunctionHomotopy(lambda w, lam, a: w, start=np.zeros(2)), certify=True)


# ------------------------------------------- interval × interval products, multi-output, MLP


def test_interval_matrix_products_contain_the_exact_products():
    """matmul of two interval matrices (the left one a stack, broadcast): products of points
    of the factors (corners and midpoints), computed exactly, lie in the enclosure, which is
    tight."""
    rng = np.random.default_rng(7)
    A, B = (_random_intervals(rng, k, 1.0, 1e-9) for k in (24, 8))
    A, B = A.reshape(2, 3, 4), B.reshape(4, 2)
    P = A @ B
    assert P.shape == (2, 3, 2)
    for k in range(4):
        a = [A.lo, A.hi, A.mid, np.where(np.arange(24).reshape(2, 3, 4) % 2, A.lo, A.hi)][k]
        b = [B.hi, B.lo, B.mid, np.where(np.arange(8).reshape(4, 2) % 3, B.hi, B.lo)][k]
        for t, i, j in np.ndindex(2, 3, 2):
            e = sum(_exact(a[t, i, q]) * _exact(b[q, j]) for q in range(4))
            assert _exact(P.lo[t, i, j]) <= e <= _exact(P.hi[t, i, j])
    assert np.max(P.hi - P.lo) < 1e-8
    # a point left factor gives the same enclosure as matvec
    Q = matmul(A.mid[0], B)
    assert np.array_equal(Q.lo, matvec(A.mid[0], B).lo)


_MP_SIGMA = {  # (σ, σ' from t and σ(t)), written from the definitions
    "tanh": (mpmath.tanh, lambda t, s: 1 - s * s),
    "logistic": (lambda t: 1 / (1 + mpmath.exp(-t)), lambda t, s: s * (1 - s)),
    "arctan": (mpmath.atan, lambda t, s: 1 / (1 + t * t)),
}


def _mp_blend(name, lam):
    """t ↦ (σ_λ(t), σ_λ'(t)) in mpmath."""
    f, df = _MP_SIGMA[name]
    lm = mpmath.mpf(float(lam))

    def blend(t):
        s = f(t)
        return (1 - lm) * t + lm * s, (1 - lm) + lm * df(t, s)

    return blend


def _mp(a):
    """A numpy array as nested lists of mpf (the exact doubles)."""
    a = np.asarray(a, np.float64)
    return [_mp(r) for r in a] if a.ndim > 1 else [mpmath.mpf(float(v)) for v in a]


def _mm(A, B):
    return [[mpmath.fsum(a * B[k][j] for k, a in enumerate(row)) for j in range(len(B[0]))]
            for row in A]  # fmt: skip


def _T(A):
    return [list(col) for col in zip(*A, strict=True)]


def _rows(v, r, c):
    return [v[i * c : (i + 1) * c] for i in range(r)]


def _mp_natural_H(p, lam):
    """θ ↦ H of a (multi-output) NaturalHomotopy in mpmath: −X̃ᵀ(σ_λ'(Z) ∘ (D − σ_λ(Z)))
    (least squares) or σ_λ(Z) − D (interpolation), Z = X̃W, flattened row-major."""
    X, D = _mp(p.design), _mp(np.asarray(p.d).reshape(p.n_patterns, -1))
    s, m = len(X[0]), len(D[0])
    blend = _mp_blend(p.activation.name, lam)

    def H(theta):
        Z = _mm(X, _rows(theta, s, m))
        B = [[blend(z) for z in row] for row in Z]
        if p.objective == "interpolation":
            return [b[0] - dv for brow, drow in zip(B, D, strict=True)
                    for b, dv in zip(brow, drow, strict=True)]  # fmt: skip
        C = [[b[1] * (dv - b[0]) for b, dv in zip(brow, drow, strict=True)]
             for brow, drow in zip(B, D, strict=True)]  # fmt: skip
        return [-g for row in _mm(_T(X), C) for g in row]

    return H


def _mp_mlp_H(p, lam):
    """θ ↦ H of an MLPHomotopy in mpmath, by backpropagation: A = X̃W, S = σ_λ(A),
    Z = SV + 1cᵀ, G = D − Z (or (D − σ_λ(Z)) ∘ σ_λ'(Z)); H = (−X̃ᵀ((GVᵀ) ∘ σ_λ'(A)), −SᵀG, −1ᵀG)."""
    X, D = _mp(p.design), _mp(np.asarray(p.d).reshape(p.n_patterns, -1))
    (L, s), hh, m = (len(X), len(X[0])), p.hidden, len(D[0])
    blend = _mp_blend(p.activation.name, lam)

    def H(theta):
        W, V = _rows(theta[: s * hh], s, hh), _rows(theta[s * hh : s * hh + hh * m], hh, m)
        c = theta[s * hh + hh * m :] if p.output_bias else [mpmath.mpf(0)] * m
        BA = [[blend(a) for a in row] for row in _mm(X, W)]
        S = [[b[0] for b in row] for row in BA]
        Z = [[z + c[j] for j, z in enumerate(row)] for row in _mm(S, V)]
        if p.output == "activation":
            G = [[(D[i][j] - blend(z)[0]) * blend(z)[1] for j, z in enumerate(row)]
                 for i, row in enumerate(Z)]  # fmt: skip
        else:
            G = [[D[i][j] - z for j, z in enumerate(row)] for i, row in enumerate(Z)]
        GV = _mm(G, _T(V))
        back = [[g * BA[i][k][1] for k, g in enumerate(row)] for i, row in enumerate(GV)]
        out = [-v for row in _mm(_T(X), back) for v in row]
        out += [-v for row in _mm(_T(S), G) for v in row]
        if p.output_bias:
            out += [-mpmath.fsum(G[i][j] for i in range(L)) for j in range(m)]
        return out

    return H


_FD = mpmath.mpf(10) ** -25  # the mpmath Jacobian's step: 25 digits at 50


def _mp_jacobian(H, x, F):
    J = mpmath.matrix(len(F), len(x))
    for k in range(len(x)):
        xk = list(x)
        xk[k] += _FD
        for i, (a, b) in enumerate(zip(H(xk), F, strict=True)):
            J[i, k] = (a - b) / _FD
    return J


def _mp_newton(H, x0):
    """The zero of the mpmath H near x0 to ~45 digits: a chord Newton iteration at 50 digits
    with a finite-difference Jacobian at x0 (all in mpmath, independent of the package;
    each step gains ~cond·1e-15, as x0 is a float root)."""
    with mpmath.workdps(50):
        x = [mpmath.mpf(float(v)) for v in x0]
        F = H(x)
        J = _mp_jacobian(H, x, F)
        for _ in range(8):
            if max(abs(f) for f in F) < mpmath.mpf(10) ** -44:
                return x
            dx = mpmath.lu_solve(J, mpmath.matrix(F))
            x = [xi - dx[i] for i, xi in enumerate(x)]
            F = H(x)
    raise AssertionError("mpmath Newton did not converge")


#: H and [H_w | H_λ] compiled once per network shape (the problem is a jit argument)
_H_AND_J = jax.jit(lambda p, w, lam: (p.H(w, lam), p.jacobian(w, lam)))


def _newton(p, w, lam, steps=40):
    """A zero of H(·, λ) by float Newton with the problem's own Jacobian."""
    for _ in range(steps):
        F, J = (np.asarray(a) for a in _H_AND_J(p, w, lam))
        dw = np.linalg.solve(J[:, :-1], F)
        w = w - dw
        if np.max(np.abs(dw)) < 1e-14 * (1 + np.max(np.abs(w))):
            break
    assert np.max(np.abs(np.asarray(_H_AND_J(p, w, lam)[0]))) < 1e-13
    return w


def _assert_certified_root(p, w, lam, mp_H):
    """certify(p, w, λ) proves a small box, which holds the 40-digit root of the mpmath H."""
    cert = h.certify(p, w, lam)
    assert cert.certified, cert.message
    assert cert.radius < 1e-8 * (1 + np.max(np.abs(w))) and cert.contraction < 0.1
    assert cert.residual < 1e-12
    assert _inside(cert, _mp_newton(mp_H, w))
    return cert


@pytest.mark.parametrize("activation", ["tanh", "logistic"])
def test_multi_output_natural_homotopy(activation):
    """m = 2 outputs (blocks of H_w): targets from random weights plus noise, Newton from
    those weights, at λ = 1 and 0.6; and the interpolation objective's closed form."""
    rng = np.random.default_rng(8)
    X = rng.normal(size=(9, 2))
    for lam in (1.0, 0.6):
        W0 = rng.normal(size=(3, 2))
        p0 = h.NaturalHomotopy(X, np.zeros((9, 2)), activation, bias=True)
        D = np.asarray(p0.embedding(W0.ravel(), lam)).reshape(9, 2) + 0.02 * rng.normal(size=(9, 2))
        p = h.NaturalHomotopy(X, D, activation, bias=True)
        w = _newton(p, W0.ravel(), lam)
        _assert_certified_root(p, w, lam, _mp_natural_H(p, lam))
    if activation == "tanh":
        Xi = rng.normal(size=(3, 3))
        D = rng.uniform(-0.8, 0.8, (3, 2))
        p = h.NaturalHomotopy(Xi, D, objective="interpolation")
        w = np.linalg.solve(Xi, np.arctanh(D)).ravel()
        _assert_certified_root(p, w, 1.0, _mp_natural_H(p, 1.0))
        np.testing.assert_allclose(
            enclose_H_w(p, Interval.point(w), 1.0).mid, np.asarray(p.H_w(w, 1.0)), rtol=1e-14
        )


MLP_CASES = [
    dict(activation="tanh", hidden=1, bias=True, output_bias=True, output="linear", m=1),
    dict(activation="tanh", hidden=2, bias=False, output_bias=False, output="linear", m=2),
    dict(activation="logistic", hidden=2, bias=True, output_bias=False, output="activation", m=1),
    dict(activation="arctan", hidden=3, bias=False, output_bias=True, output="activation", m=2),
    dict(activation="logistic", hidden=3, bias=True, output_bias=True, output="linear", m=2),
    dict(activation="arctan", hidden=1, bias=True, output_bias=False, output="linear", m=1),
    dict(activation="tanh", hidden=2, bias=True, output_bias=True, output="activation", m=2),
]


def _mlp(cfg, lam, seed, noise=1e-3):
    """(problem, w): a nondegenerate stationary point at λ with a nonzero residual, L·m > n.

    The targets are the network's output at a random θ′ (the best conditioned of a few: no
    near-dead or near-twin unit), where H_θ = JᵀJ is regular, plus noise that is switched on
    in steps, each followed by Newton from the last point (one jump of 1e-3 can leave the
    basin where the Hessian is ill-conditioned)."""
    cfg = dict(cfg)
    m = cfg.pop("m")
    rng = np.random.default_rng(seed)
    n = h.MLPHomotopy(np.zeros((1, 2)), np.zeros((1, m)), **cfg).n_unknowns
    L = max(8, -(-2 * n // m))  # L·m ≥ 2n: a well-conditioned Hessian
    X = rng.normal(size=(L, 2))

    def problem(D):
        return h.MLPHomotopy(X, D[:, 0] if m == 1 else D, **cfg)

    def clean(theta):
        return np.asarray(problem(np.zeros((L, m))).outputs(theta, lam))

    thetas = rng.normal(size=(16, n))
    # input weights large enough for the units to be nonlinear on the data (else the network
    # is close to a linear one, whose stationary points are degenerate); logistic(t) =
    # ½ + ½tanh(t/2) needs twice tanh's
    sh = (2 + cfg["bias"]) * cfg["hidden"]
    thetas[:, :sh] *= 3.0 if cfg["activation"] == "logistic" else 1.5
    conds = [np.linalg.cond(np.asarray(_H_AND_J(problem(clean(t)), t, lam)[1])[:, :-1])
             for t in thetas]  # fmt: skip
    w = theta = thetas[int(np.argmin(conds))]
    D0, E = clean(w), noise * rng.normal(size=(L, m))
    for t in (0.25, 0.5, 0.75, 1.0):
        p = problem(D0 + t * E)
        w = _newton(p, w, lam)
    assert np.max(np.abs(w - theta)) < 0.5  # the minimum near θ′, not one run off elsewhere
    return p, w


@pytest.mark.parametrize("cfg", MLP_CASES, ids=lambda c: "-".join(f"{v}" for v in c.values()))
def test_mlp_stationary_points_are_certified(cfg):
    for k, lam in enumerate((1.0, 0.8)):
        p, w = _mlp(cfg, lam, seed=10 + k)
        _assert_certified_root(p, w, lam, _mp_mlp_H(p, lam))


def _box_cases():
    """(problem, mpmath H) for the enclosure tests: multi-output single layers and MLPs."""
    rng = np.random.default_rng(20)
    X = rng.normal(size=(9, 2))
    out = [
        h.NaturalHomotopy(X, rng.uniform(0.1, 0.9, (9, 2)), "logistic", bias=True),
        h.NaturalHomotopy(
            X[:3], rng.uniform(-0.9, 0.9, (3, 3)), "arctan", "interpolation", bias=True
        ),
        h.MLPHomotopy(X, rng.normal(size=(9, 2)), 2, "tanh", True, "activation"),
        h.MLPHomotopy(X, rng.normal(size=9), 3, "logistic", False),
        h.MLPHomotopy(
            X, rng.normal(size=(9, 2)), 1, "arctan", False, "activation", output_bias=True
        ),
    ]
    return [(p, _mp_natural_H if isinstance(p, h.NaturalHomotopy) else _mp_mlp_H) for p in out]


@pytest.mark.parametrize("case", range(5))
def test_enclosures_over_a_box_contain_the_values(case):
    """Over a box of radius 1e-4 about a random θ (not a stationary point: O(1) residuals),
    H and H_w enclose the JAX values at random points of the box, and not much more than
    their variation; at the centre (a point box) they enclose the 50-digit mpmath H and its
    Jacobian, within a few hundred ulps."""
    p, mp_maker = _box_cases()[case]
    rng = np.random.default_rng(21 + case)
    n, lam, r = p.n_unknowns, 0.7, 1e-4
    theta = rng.normal(size=n)
    F = enclose_H(p, Interval.mid_rad(theta, np.full(n, r)), lam)
    J = enclose_H_w(p, Interval.mid_rad(theta, np.full(n, r)), lam)
    spread, size = np.zeros(n), 0.0
    for x in theta + r * rng.uniform(-1, 1, (6, n)):
        Hx, Jx = (np.asarray(a) for a in _H_AND_J(p, x, lam))
        assert np.all(F.contains(Hx)) and np.all(J.contains(Jx[:, :n]))
        spread = np.maximum(spread, np.sum(np.abs(Jx[:, :n]), axis=1))
        size = max(size, np.max(np.abs(Jx[:, :n])))
    # to first order H varies by ±r·Σ_k|∂H_i/∂θ_k| over the box: the enclosure is wider by
    # interval arithmetic's dependency overestimate only (≤ 12× in these cases), and H_w's
    # width is O(r) as well
    assert np.all(F.hi - F.lo <= 20 * (2 * r * spread))
    assert np.max(J.hi - J.lo) <= 100 * r * (1 + size)
    # the point enclosures contain the exact values, and are tight
    Fp, Jp = enclose_H(p, Interval.point(theta), lam), enclose_H_w(p, Interval.point(theta), lam)
    mp_H = mp_maker(p, lam)
    with mpmath.workdps(50):
        x = _mp(theta)
        Fm = mp_H(x)
        Jm = _mp_jacobian(mp_H, x, Fm)
        for i in range(n):
            assert mpmath.mpf(float(Fp.lo[i])) <= Fm[i] <= mpmath.mpf(float(Fp.hi[i]))
            for k in range(n):
                assert mpmath.mpf(float(Jp.lo[i, k])) <= Jm[i, k] <= mpmath.mpf(float(Jp.hi[i, k]))
    assert np.max(Fp.hi - Fp.lo) < 1e-13 * (1 + np.max(np.abs(Fp.mid)))
    assert np.max(Jp.hi - Jp.lo) < 1e-13 * (1 + np.max(np.abs(Jp.mid)))


def test_mlp_refusals_wrong_and_degenerate_points():
    """A stationary point moved by 1e-3 is refused; so is a degenerate one: a second,
    dead unit (V₂ = 0, W₂ = 0, σ_λ(0) = 0) keeps H = 0 but makes the Hessian singular (the
    rows of W₂ vanish outside the columns of V₂), and the zeros are not isolated there
    ({V₂ = 0, σ_λ(X̃W₂) ⟂ G} is a manifold), so no box can be proved to hold just one."""
    cfg = dict(activation="tanh", hidden=1, bias=True, output_bias=True, output="linear", m=1)
    p1, w1 = _mlp(cfg, 1.0, seed=30)
    assert h.certify(p1, w1, 1.0).certified
    cert = h.certify(p1, w1 + 1e-3, 1.0)
    assert not cert.certified and cert.radius == np.inf
    assert "Krawczyk test failed" in cert.message
    p2 = h.MLPHomotopy(p1.X, p1.d, 2, "tanh", True)
    W1, V1, c1 = (np.asarray(a) for a in p1.unpack(w1))
    w2 = p2.pack(np.column_stack([W1, np.zeros(3)]), np.vstack([V1, np.zeros((1, 1))]), c1)
    np.testing.assert_array_equal(np.asarray(p2.H(w2, 1.0))[[1, 3, 5, 7]], 0.0)  # W₂, V₂ rows
    assert np.max(np.abs(np.asarray(p2.H(w2, 1.0)))) < 1e-13
    cert = h.certify(p2, w2, 1.0)
    assert not cert.certified and cert.radius == np.inf and cert.message


def test_track_certifies_an_mlp_endpoint():
    """track(MLPHomotopy, certify=True) from a regular point at λ = 0.8 (no degenerate start
    search: seconds) proves its λ = 1 endpoint; the box holds the mpmath root."""
    cfg = dict(activation="tanh", hidden=2, bias=True, output_bias=True, output="linear", m=1)
    p, w = _mlp(cfg, 0.8, seed=35)
    path = h.track(p, start=w, lam_span=(0.8, 1.0), certify=True)
    assert path.success and path.certificate.certified, path.message
    assert "endpoint certified" in path.message and path.lam[-1] == 1.0
    assert _inside(path.certificate, _mp_newton(_mp_mlp_H(p, 1.0), path.w_end))


def test_the_legacy_tuple_hook_and_bad_descriptions():
    """A problem whose interval_data() gives the old (X̃, d, σ, objective) tuple is a single
    layer; a malformed description is refused naming the problem."""
    p = h.datasets.fold().problem()
    w = h.track(p).w_end

    class Legacy:
        n_unknowns = p.n_unknowns

        def interval_data(self):
            return np.asarray(p.design), np.asarray(p.d), "tanh", "least_squares"

    c1, c2 = h.certify(Legacy(), w, 1.0), h.certify(p, w, 1.0)
    assert c1.certified and c1.radius == c2.radius

    class Bad:
        def interval_data(self):
            return IntervalData("mlp", np.ones((4, 2)), np.ones(4), "tanh", hidden=0)

    with pytest.raises(ValueError, match="problem: an mlp needs hidden"):
        h.certify(Bad(), np.zeros(2), 1.0)
