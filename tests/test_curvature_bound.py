"""The proven curvature bound (homotopy.curvature_bound) and the proven uniqueness-tube verdict.

References: 40-digit mpmath values of σ', σ''/σ' and of xᵀA⁻¹x, exact fractions for the
knapsack LP, the exact normal curvature of codimension-1 manifolds (vectorized generalized
eigenvalues, thousands of points), `geometry.max_curvature` and `max_curvature_over` for higher
codimension, and the closed-form curvature of a curve φ(w) = σ_λ(xw) ∈ R³.
"""

import dataclasses
import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest

from homotopy import (
    FunctionHomotopy,
    MLPHomotopy,
    NaturalHomotopy,
    curvature_bound as cb,
    geometry as geo,
)
from homotopy.curvature_bound import (
    _blend_factors,
    _derivative_ranges,
    _knapsack_up,
    _quad_bounds,
)


mpmath.mp.dps = 40
ACTS = ("tanh", "logistic", "arctan")


# ----------------------------------------------------------------------------- references


def _act(name, Z, lam):
    """σ_λ'(Z), σ_λ''(Z) in float64, tail-accurate forms."""
    a = np.abs(Z)
    if name == "tanh":
        e = np.exp(-2 * a)
        d1 = 4 * e / (1 + e) ** 2
        d2 = -2 * np.tanh(Z) * d1
    elif name == "logistic":
        e = np.exp(-a)
        d1 = e / (1 + e) ** 2
        d2 = -d1 * np.tanh(Z / 2)
    else:
        d1 = 1 / (1 + Z * Z)
        d2 = -2 * Z * d1 * d1
    return (1 - lam) + lam * d1, lam * d2


def _k_codim1(Xt, W, lam, name):
    """Exact k(w) for each row of W (N, s·m) when L = s + 1: G is block diagonal over the
    outputs and so is the normal space (one normal per output), so k = max_j |κ|_max of block j
    (unit tangent u = (u_j), ‖P_N(ρ∘u²)‖² = Σ_j ‖u_j‖⁴ k_j(û_j)² ≤ max_j k_j²). NaN where G is
    numerically singular (saturated rows)."""
    N = W.shape[0]
    L, s = Xt.shape
    m = W.shape[1] // s
    Z = np.einsum("la,naj->nlj", Xt, W.reshape(N, s, m))
    d1, d2 = _act(name, Z, lam)
    ks = []
    for j in range(m):
        J = d1[:, :, j, None] * Xt[None]
        n = np.linalg.svd(np.swapaxes(J, 1, 2))[2][:, -1, :]  # null vector of Jᵀ
        II = np.einsum("la,nl,lb->nab", Xt, n * d2[:, :, j], Xt)
        G = np.swapaxes(J, 1, 2) @ J
        ev = np.linalg.eigvalsh(G)
        bad = ev[:, 0] <= 1e-10 * ev[:, -1]
        G = np.where(bad[:, None, None], np.eye(s), G)
        Li = np.linalg.inv(np.linalg.cholesky(G))
        B = Li @ II @ np.swapaxes(Li, 1, 2)
        k = np.abs(np.linalg.eigvalsh(0.5 * (B + np.swapaxes(B, 1, 2)))).max(-1)
        ks.append(np.where(bad, np.nan, k))
    return np.max(ks, axis=0)


def _curve(x, w, lam, name="tanh"):
    """For φ(w) = σ_λ(xw): (k, ‖φ''‖/‖φ'‖², the module's pointwise bound min(B1', B3))."""
    d1, d2 = _act(name, np.outer(w, x), lam)
    p1, p2 = d1 * x, d2 * x * x
    nn = np.sum(p1 * p1, 1)
    perp = p2 - (np.sum(p2 * p1, 1) / nn)[:, None] * p1
    k = np.linalg.norm(perp, axis=1) / nn
    raw = np.linalg.norm(p2, axis=1) / nn
    u2 = p1 * p1 / nn[:, None]  # = the leverages h_i of a curve
    b3 = np.sum(np.abs(d2 / d1**2) * u2 * np.sqrt(1 - u2), 1)
    return k, raw, np.minimum(raw, b3)


def _mp_parts(name, t):
    """(σ'(t), |σ''(t)|/σ'(t)) at 40 digits."""
    t = mpmath.mpf(float(t))
    if name == "tanh":
        return mpmath.sech(t) ** 2, 2 * abs(mpmath.tanh(t))
    if name == "logistic":
        e = mpmath.exp(-abs(t))
        return e / (1 + e) ** 2, mpmath.tanh(abs(t) / 2)
    return 1 / (1 + t * t), 2 * abs(t) / (1 + t * t)


def _problem(name, bias, m, L, s, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((L, s - int(bias)))
    d = rng.uniform(-0.5, 0.5, (L, m) if m > 1 else L)
    return NaturalHomotopy(X, d, activation=name, bias=bias)


def _design(p):
    X = np.asarray(p.X)
    return np.concatenate([X, np.ones((X.shape[0], 1))], 1) if p.bias else X


# ----------------------------------------------------------------------------- the pieces


@pytest.mark.parametrize("name", ACTS)
def test_derivative_ranges_contain_the_40_digit_values(name):
    """inf σ' ≤ σ'(t) ≤ sup σ' and |σ''/σ'|(t) ≤ sup over each interval, tails included, and
    each bound attained to ~1e-13 at the interval's nearest/farthest point from 0."""
    rng = np.random.default_rng(1)
    c = np.concatenate([rng.normal(0, 2, 150), rng.uniform(-300, 300, 50), [0.0, 1.0, -0.66]])
    w = np.concatenate([rng.uniform(0, 0.5, 150), rng.uniform(0, 5, 50), [0.0, 0.0, 0.02]])
    lo, hi = c - w, c + w
    d1_lo, d1_hi, g_hi = _derivative_ranges(name, lo, hi)
    for i in range(c.size):
        pts = np.linspace(lo[i], hi[i], 7)
        vals = [_mp_parts(name, t) for t in pts]
        assert all(d1_lo[i] <= v[0] <= d1_hi[i] for v in vals)
        assert all(v[1] <= g_hi[i] for v in vals)
        near = 0.0 if lo[i] <= 0 <= hi[i] else min(abs(lo[i]), abs(hi[i]))
        far = max(abs(lo[i]), abs(hi[i]))
        cap = cb._SHAPES[name][4]  # beyond it the bounds are 0 and σ'(cap) by design
        if far <= cap:
            assert d1_lo[i] >= float(_mp_parts(name, far)[0]) * (1 - 1e-13)
        if near <= cap:
            assert d1_hi[i] <= float(_mp_parts(name, near)[0]) * (1 + 1e-13) + 1e-300
        sup_g = max(float(v[1]) for v in vals)
        if name != "arctan" or far < 1 or near > 1:  # else the peak value 1 (not sampled)
            assert g_hi[i] <= max(sup_g, float(_mp_parts(name, far)[1])) * (1 + 1e-13) + 1e-300


@pytest.mark.parametrize("lam", [0.3, 0.7, 1.0])
def test_blend_factors_bound_the_exact_suprema(lam):
    """β₁ = λu/(c + λu) and β₂ = λu/(c + λu)² over [u_lo, u_hi] (c = 1 − λ): ≥ the exact
    supremum (endpoints and, for β₂, the peak u = c/λ) and equal to it within 1e-14."""
    rng = np.random.default_rng(2)
    u_lo = np.sort(rng.uniform(0, 1, (300, 2)), axis=1)
    u_lo, u_hi = u_lo[:, 0] ** 3, u_lo[:, 1]
    b1, b2 = _blend_factors(lam, u_lo, u_hi)
    c = Fraction(1) - Fraction(lam)
    la = Fraction(lam)
    for i in range(u_lo.size):
        ends = [Fraction(float(u_lo[i])), Fraction(float(u_hi[i]))]
        if c > 0 and ends[0] <= c / la <= ends[1]:
            ends.append(c / la)
        e1 = max(la * u / (c + la * u) for u in ends)
        e2 = max(la * u / (c + la * u) ** 2 for u in ends)
        assert Fraction(float(b1[i])) >= e1 and float(b1[i]) <= float(e1) * (1 + 1e-14)
        assert Fraction(float(b2[i])) >= e2 and float(b2[i]) <= float(e2) * (1 + 1e-14)


def test_quadratic_forms_bracket_the_exact_values():
    """q_lo ≤ x_lᵀA⁻¹x_l ≤ q_up for A = X̃ᵀdiag(g)X̃ (40-digit solve), weights spanning 1e-40..1
    (saturated rows), tight to 1e-10 relative."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((9, 3))
    g = np.stack([rng.uniform(0.1, 1, 9), 10.0 ** rng.uniform(-40, 0, 9), rng.uniform(0.1, 1, 9)])
    g[2, :4] = 0.0  # rows that drop out entirely
    q_up = _quad_bounds(X, g, upper=True)
    q_lo = _quad_bounds(X, g, upper=False)
    for b in range(3):
        A = mpmath.matrix(3, 3)
        for a in range(3):
            for c in range(3):
                A[a, c] = mpmath.fsum(
                    mpmath.mpf(float(g[b, k])) * float(X[k, a]) * float(X[k, c]) for k in range(9)
                )
        for k in range(9):
            x = mpmath.matrix([float(v) for v in X[k]])
            q = float((x.T * mpmath.lu_solve(A, x))[0])
            assert q_lo[b, k] <= q <= q_up[b, k]
            if b != 1:  # well-conditioned: the enclosure is tight
                assert q_up[b, k] <= q * (1 + 1e-10) and q_lo[b, k] >= q * (1 - 1e-10)


def test_knapsack_bound_is_the_lp_optimum_from_above():
    """t + Σc(v − t)₊ ≥ max{Σvb : 0 ≤ b ≤ c, Σb ≤ 1} (greedy, exact fractions), within 1e-13."""
    rng = np.random.default_rng(4)
    v = rng.exponential(1.0, (200, 12))
    c = rng.uniform(0, 0.4, (200, 12)) * (rng.uniform(size=(200, 12)) < 0.8)
    c[:20] *= 0.05  # total capacity below 1: everything fits, t = 0
    ub = _knapsack_up(v, c)
    for i in range(200):
        left, best = Fraction(1), Fraction(0)
        for j in np.argsort(-v[i]):
            take = min(Fraction(float(c[i, j])), left)
            best += take * Fraction(float(v[i, j]))
            left -= take
        assert Fraction(float(ub[i])) >= best and float(ub[i]) <= float(best) * (1 + 1e-13)
    assert _knapsack_up(np.array([[np.inf, 1.0]]), np.array([[0.0, 1.0]]))[0] == pytest.approx(1)
    assert np.isinf(_knapsack_up(np.array([[np.inf, 1.0]]), np.array([[0.5, 1.0]]))[0])


# ----------------------------------------------------------------------------- the bound


@pytest.mark.parametrize("name", ACTS)
def test_bound_dominates_the_exact_curvature_at_thousands_of_points(name):
    """Codimension 1 per output (L = s + 1), bias on/off, m = 1 and 2, λ ∈ {0.3, 0.7, 1},
    boxes of half-width 0.1, 1 and 10: k_upper ≥ k(w) at 2000 random points and the corners,
    with and without bisection; the bound is not absurdly pessimistic on moderate boxes."""
    rng = np.random.default_rng(5)
    for bias in (False, True):
        for m in (1, 2):
            p = _problem(name, bias, m, 4, 3, int(rng.integers(1 << 30)))
            Xt = _design(p)
            for lam in (0.3, 0.7, 1.0):
                for r in (0.1, 1.0, 10.0):
                    c = rng.uniform(-0.5, 0.5, 3 * m) * r
                    box = geo.Box(c - r, c + r)
                    W = np.concatenate(
                        [
                            rng.uniform(c - r, c + r, (2000, 3 * m)),
                            c + r * rng.choice([-1, 1], (64, 3 * m)),
                        ]
                    )
                    k = _k_codim1(Xt, W, lam, name)
                    kmax = float(np.nanmax(k))
                    for mb in (1, 64):
                        b = cb.curvature_upper_bound(p, lam, box, max_boxes=mb)
                        assert b.proven and b.k_upper >= kmax, (bias, m, lam, r, mb)
                        assert b.k_raw_upper >= b.k_upper
                        assert b.radius_lower <= 1 / kmax
                    if r <= 1.0:
                        assert b.k_upper <= 12 * kmax, (bias, m, lam, r)


def test_bound_dominates_max_curvature_and_the_region_search_in_codimension_above_one():
    """Codimension 3 to 6 (n = 2: `max_curvature` is exact by its quartic), one and two
    outputs: k_upper ≥ `max_curvature` at random points and ≥ the numerical
    `max_curvature_over` k_max; the exact k at the worst leaf's centre is ≤ both."""
    rng = np.random.default_rng(6)
    cases = [("tanh", False, 1, 2, 5, 0.7), ("logistic", False, 2, 1, 4, 1.0)]
    cases.append(("arctan", True, 1, 2, 6, 0.3))
    for name, bias, m, s, L, lam in cases:
        p = _problem(name, bias, m, L, s, int(rng.integers(1 << 30)))
        c = rng.uniform(-0.5, 0.5, s * m)
        box = geo.Box(c - 0.6, c + 0.6)
        b = cb.curvature_upper_bound(p, lam, box, max_boxes=256)
        rc = geo.max_curvature_over(p, lam, box, n_seeds=4, n_starts=2)
        W = rng.uniform(c - 0.6, c + 0.6, (30, s * m))
        pts = max(geo.max_curvature(p, w, lam).value for w in W)
        assert b.k_upper >= max(rc.k_max, pts), name
        centre = 0.5 * b.worst.lo + 0.5 * b.worst.hi
        k_centre = geo.max_curvature(p, centre, lam).value  # the exact k at one point
        assert k_centre <= b.k_upper and k_centre <= rc.k_max * (1 + 1e-9)
        assert b.k_upper <= 6 * rc.k_max
        assert b.radius_lower <= rc.radius and b.radius_lower == pytest.approx(1 / b.k_upper)


def test_curve_closed_form_convergence_and_factor():
    """φ(w) = tanh(xw) ∈ R³ (s = 1): k = ‖P⊥φ''‖/‖φ'‖² in closed form. On shrinking boxes
    [w₀ − δ, w₀ + δ]: without bisection the bound overestimates max over the box of the
    pointwise bound B(w) = min(‖φ''‖/‖φ'‖², Σ|ρ_i|u_i²√(1 − u_i²)) by O(δ); with bisection it
    converges to max B within 1e-5; k_raw_upper converges to max ‖φ''‖/‖φ'‖² (exact for a curve);
    B/k ≤ 2 here, so the converged bound is within a factor 2 of the true max curvature."""
    x = np.array([1.0, -0.5, 2.0])
    p = NaturalHomotopy(x[:, None], np.zeros(3))
    lam = 1.0
    for w0 in (0.3, 0.8, -1.2):
        prev = math.inf
        for dl in (0.1, 0.01, 0.001):
            W = np.linspace(w0 - dl, w0 + dl, 4001)
            k, raw, B = _curve(x, W, lam)
            box = geo.Box(np.array([w0 - dl]), np.array([w0 + dl]))
            one = cb.curvature_upper_bound(p, lam, box, max_boxes=1)
            bis = cb.curvature_upper_bound(p, lam, box, max_boxes=400, tol=1e-7)
            over = one.k_upper / B.max() - 1
            assert 0 <= over <= 20 * dl and over < prev  # first order in δ, shrinking
            prev = over
            assert B.max() <= bis.k_upper <= B.max() * (1 + 1e-5)
            assert raw.max() <= bis.k_raw_upper <= raw.max() * (1 + 1e-5)
            assert bis.k_upper >= k.max() and bis.k_upper <= 2 * k.max()
            assert bis.k_point <= bis.k_upper <= bis.k_point * (1 + 1e-7) or not bis.converged


def test_flat_cases_lambda_zero_and_square():
    """λ = 0: φ_0 = X̃W is affine, k_upper = k_raw = 0, ρ = ∞. L = s: no normal space, k = 0
    (geometry agrees), while the unprojected ratio stays positive."""
    p = _problem("tanh", True, 2, 6, 3, 7)
    box = geo.Box(-np.ones(6), np.ones(6))
    b = cb.curvature_upper_bound(p, 0.0, box)
    assert (b.k_upper, b.radius_lower, b.k_raw_upper, b.hessian_radius_lower) == (
        0.0, math.inf, 0.0, math.inf
    )  # fmt: skip
    assert "λ = 0" in b.message and b.proven
    sq = _problem("logistic", False, 1, 3, 3, 8)
    b = cb.curvature_upper_bound(sq, 0.9, geo.Box(-np.ones(3), np.ones(3)), max_boxes=8)
    assert b.k_upper == 0.0 and b.radius_lower == math.inf and b.k_raw_upper > 0
    assert geo.max_curvature(sq, np.zeros(3), 0.9).value == 0.0


def test_nested_boxes_give_monotone_bounds():
    """A box containing another gives a bound ≥ the inner one's: exactly without bisection;
    within the stopping tolerance with it (converged: k_in ≤ (1 + tol)·(pointwise bound at a
    point of the inner box) ≤ (1 + tol)·k_out)."""
    p = _problem("tanh", False, 1, 7, 2, 9)
    c = np.array([0.4, -0.3])
    tol = 1e-2
    prev1 = prevb = math.inf
    for r in (2.0, 1.0, 0.5, 0.2, 0.05):
        box = geo.Box(c - r, c + r)
        one = cb.curvature_upper_bound(p, 1.0, box, max_boxes=1)
        bis = cb.curvature_upper_bound(p, 1.0, box, max_boxes=2000, tol=tol)
        assert one.k_upper <= prev1 and one.k_raw_upper >= one.k_upper
        assert bis.converged and bis.k_upper <= prevb * (1 + tol) and bis.k_upper <= one.k_upper
        prev1, prevb = one.k_upper, bis.k_upper


def test_leaves_partition_the_box_and_the_result_is_frozen():
    p = _problem("arctan", True, 1, 6, 3, 10)
    box = geo.Box(np.array([-1.0, 0.0, 0.5]), np.array([1.0, 0.5, 2.0]))
    b = cb.curvature_upper_bound(p, 0.8, box, max_boxes=101)
    assert b.n_boxes <= 101 and len(b.leaves_k) == (b.n_boxes + 1) // 2
    vol = np.prod(b.leaves_hi - b.leaves_lo, axis=1).sum()
    assert vol == pytest.approx(np.prod(box.hi - box.lo), rel=1e-12)
    assert np.all(b.leaves_lo >= box.lo) and np.all(b.leaves_hi <= box.hi)
    assert b.k_upper == b.leaves_k.max() and np.all(b.worst.lo >= box.lo)
    with pytest.raises(dataclasses.FrozenInstanceError):
        b.k_upper = 0.0  # type: ignore[misc]


def test_interval_data_forms_and_value_errors():
    p = _problem("tanh", True, 1, 5, 3, 11)
    box = np.array([[-1.0, 1.0]] * 3)
    ref = cb.curvature_upper_bound(p, 0.6, box, max_boxes=16).k_upper

    class Tuple:
        def interval_data(self):
            return _design(p), np.asarray(p.d), "tanh", "least_squares"

    class Dict:
        def interval_data(self):
            return dict(network="single_layer", design=_design(p), targets=np.asarray(p.d),
                        activation="tanh")  # fmt: skip

    class MLPLike:
        def interval_data(self):
            return dict(
                network="mlp", design=_design(p), targets=np.asarray(p.d), activation="tanh"
            )

    for q in (Tuple(), Dict()):
        assert cb.curvature_upper_bound(q, 0.6, box, max_boxes=16).k_upper == ref
    bad = [
        ((MLPLike(), 0.6, box), "problem"),
        ((FunctionHomotopy(lambda w, lam, a: w, start=np.zeros(2)), 0.6, box[:2]), "problem"),
        ((_problem("erf", False, 1, 5, 3, 0), 0.6, box), "activation"),
        ((p, 1.5, box), "lam"),
        ((p, 0.6, box[:2]), "box"),
        ((p, 0.6, np.array([[1.0, -1.0]] * 3)), "box"),
        ((p, 0.6, geo.Samples(np.zeros((4, 3)))), "box"),
        ((NaturalHomotopy(np.ones((5, 2)), np.zeros(5)), 0.6, box[:2]), "problem"),  # rank 1
    ]
    for args, name in bad:
        with pytest.raises(ValueError, match=name):
            cb.curvature_upper_bound(*args)
    with pytest.raises(ValueError, match="max_boxes"):
        cb.curvature_upper_bound(p, 0.6, box, max_boxes=0)
    with pytest.raises(ValueError, match="tol"):
        cb.curvature_upper_bound(p, 0.6, box, tol=-1.0)


# ----------------------------------------------------------------------------- the tube


def test_distance_upper_bound_dominates_the_float_distance():
    rng = np.random.default_rng(12)
    p = _problem("logistic", True, 2, 6, 3, 12)
    for lam in (0.2, 1.0):
        for _ in range(50):
            w = rng.uniform(-3, 3, 6)
            t = rng.normal(0, 1, 12)
            d = float(np.linalg.norm(t - np.asarray(geo.embedding(p, w, lam))))
            ub = cb.distance_upper_bound(p, t, lam, w)
            assert d <= ub <= d * (1 + 1e-13) + 1e-300
    with pytest.raises(ValueError, match="target"):
        cb.distance_upper_bound(p, np.zeros(5), 0.5, np.zeros(6))
    with pytest.raises(ValueError, match="w"):
        cb.distance_upper_bound(p, np.zeros(12), 0.5, np.zeros(5))


def test_proven_tube_near_and_far_targets():
    """A target at 0.1·ρ_lower along a normal is proven inside (and E_t proven strictly convex
    on a small box); at 2ρ_lower (past the focal distance along the worst normal, or simply
    too far) nothing is proven. The proven radius is ≤ the numerical one."""
    rng = np.random.default_rng(13)
    p = NaturalHomotopy(rng.standard_normal((6, 2)), rng.uniform(-0.5, 0.5, 6))
    lam, w0 = 0.8, np.array([0.3, -0.2])
    box = geo.Box(w0 - 0.2, w0 + 0.2)
    z0 = np.asarray(geo.embedding(p, w0, lam))
    n = np.asarray(geo.normal_basis(p, w0, lam))[:, 0]
    bound = cb.curvature_upper_bound(p, lam, box)
    near = geo.in_uniqueness_tube(p, z0 + 0.1 * bound.radius_lower * n, lam, box, proven=True)
    assert near.inside and near.proven and near.message.startswith("proven")
    assert near.radius == near.radius_lower == bound.radius_lower
    assert near.distance <= near.distance_upper <= near.distance * (1 + 1e-12)
    assert (
        abs(near.distance - 0.1 * bound.radius_lower) < 1e-12 and np.abs(near.w - w0).max() < 1e-9
    )
    assert near.bound.k_upper == bound.k_upper
    rc = geo.max_curvature_over(p, lam, box, n_seeds=4, n_starts=1)
    numerical = geo.in_uniqueness_tube(p, z0 + 0.1 * bound.radius_lower * n, lam, box, radius=rc)
    assert numerical.inside and not numerical.proven and "numerical estimate" in numerical.message
    assert numerical.radius >= bound.radius_lower
    far = geo.in_uniqueness_tube(
        p, z0 + 2 * bound.radius_lower * n, lam, box, radius=bound, proven=True
    )
    assert not far.inside and not far.proven and far.message.startswith("not proven")
    assert far.distance_upper >= far.radius_lower
    small = geo.Box(w0 - 0.01, w0 + 0.01)
    tiny = geo.in_uniqueness_tube(p, z0 + 0.05 * n, lam, small, proven=True)
    assert tiny.proven and tiny.unique_in_box and "strictly convex" in tiny.message
    with pytest.raises(ValueError, match="radius"):
        geo.in_uniqueness_tube(p, z0, lam, box, radius=1.0, proven=True)
    with pytest.raises(ValueError, match="radius"):
        geo.in_uniqueness_tube(p, z0, 0.5, box, radius=bound, proven=True)


def test_tube_falls_back_to_a_labelled_numerical_estimate():
    """Without the single-layer hook (a user-written embedding, an MLP) or with a Samples region,
    proven=True gives the numerical verdict, proven=False, and says why; a FunctionHomotopy has
    no data manifold at all."""
    rng = np.random.default_rng(14)
    nh = NaturalHomotopy(rng.standard_normal((4, 2)), rng.uniform(-0.5, 0.5, 4))

    class Plain:
        def embedding(self, w, lam):
            return nh.embedding(w, lam)

    lam, w0 = 0.7, np.array([0.2, 0.1])
    box = geo.Box(w0 - 0.3, w0 + 0.3)
    t = np.asarray(geo.embedding(nh, w0, lam)) + 0.01
    for prob, region in ((Plain(), box), (nh, geo.Samples(rng.uniform(-0.1, 0.5, (9, 2))))):
        res = geo.in_uniqueness_tube(prob, t, lam, region, radius=0.5, proven=True, n_starts=1)
        assert not res.proven and math.isnan(res.distance_upper) and res.bound is None
        assert res.message.startswith("numerical estimate") and "cannot prove" in res.message
    mlp = MLPHomotopy(np.asarray(nh.X), np.asarray(nh.d), 1, "tanh", bias=True, output_bias=False)
    mbox = np.array([[0.2, 0.6], [-0.4, 0.0], [0.1, 0.5], [0.5, 1.0]])  # θ = (W (3, 1), V (1, 1))
    res = geo.in_uniqueness_tube(
        mlp, np.asarray(nh.d), lam, mbox, radius=0.5, proven=True, n_seeds=2, n_starts=1
    )
    assert not res.proven and "cannot prove" in res.message
    with pytest.raises(ValueError, match="problem"):
        geo.in_uniqueness_tube(
            FunctionHomotopy(lambda w, lam, a: w, start=np.zeros(2)), t, lam, box, proven=True
        )
