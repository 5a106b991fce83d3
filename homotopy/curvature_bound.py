r"""A proven upper bound on the data manifold's curvature over a box of weights.

For the natural homotopy of a single-layer network, φ_λ(w) = σ_λ(X̃W) ∈ R^{L·m} (W the
``(s, m)`` weights, row-major in w; DESIGN.md §2), `curvature_upper_bound` returns a number
``k_upper`` with

    k(w) = max_{unit n ⟂ T_zZ} max_{v ≠ 0} |nᵀ∂²φ[v, v]| / vᵀGv  ≤  k_upper   (every w in the box),

proved in interval arithmetic with outward rounding (`homotopy.certification`), so that
ρ = 1/k_upper is a proven *lower* bound on the uniqueness radius 1/k_max of the box (the
numerical `geometry.max_curvature_over` gives a lower estimate of k_max, hence an upper
estimate of ρ).

**The pointwise bound.** Write the rows of the flattened network as pairs (i, j) (pattern,
output), z_ij = x_i·W_j, σ'_ij = σ_λ'(z_ij) > 0, σ''_ij = σ_λ''(z_ij), and for a direction v
(the matrix V) c_ij = x_i·V_j. Then (Jv)_ij = σ'_ij c_ij and ∂²φ[v, v]_ij = σ''_ij c_ij², so
with the unit tangent vector u = Jv/‖Jv‖ ∈ T_zZ and ρ_ij = σ''_ij/σ'_ij²

    ∂²φ[v, v] / vᵀGv = ρ ∘ u²,        k(w) = max_{u ∈ T_zZ, ‖u‖ = 1} ‖P_N (ρ ∘ u²)‖,

P_N the orthogonal projector onto the normal space. Let h_ij = (P_T)_{ij,ij} ∈ [0, 1] be the
leverage of row (i, j) of J (h_ij = σ'_ij² x_iᵀ A_j⁻¹ x_i with A_j = X̃ᵀ diag(σ'_{:,j}²) X̃, the
metric's j-th block). A unit u ∈ T has u_ij² = (e_ijᵀ P_T u)² ≤ ‖P_T e_ij‖² = h_ij, and
Σ u_ij² = 1. With b = u² (so 0 ≤ b ≤ h, Σ b = 1):

1. ‖P_N(ρ∘u²)‖ ≤ ‖ρ∘b‖₂ = (Σ ρ² b²)^{1/2} ≤ (Σ ρ² h b)^{1/2} ≤ KS(ρ² h; h)^{1/2};
2. ‖P_N(ρ∘u²)‖ ≤ Σ |ρ| b ‖P_N e‖ = Σ |ρ| (1 − h)^{1/2} b ≤ KS(|ρ| (1 − h)^{1/2}; h);

KS(v; c) = max {Σ v b : 0 ≤ b ≤ c, Σ b ≤ 1} is a fractional knapsack, bounded above by
t + Σ c (v − t)₊ for every t ≥ 0 (LP duality; t = the greedy break value makes it exact).
Bound 1 bounds even the unprojected ratio ‖∂²φ[v, v]‖/vᵀGv (`k_raw_upper`);
``k_upper = min(1, 2)``. The crude bound |nᵀ∂²φ[v, v]|/vᵀGv ≤ ‖∂²φ[v, v]‖₂/vᵀGv ≤
Σ|σ''|a/Σσ'²a ≤ max |σ''|/σ'² (a_ij = c_ij² ≥ 0, the mediant inequality) is bound 1 with
h ≡ 1 and never better: the leverages keep saturated rows (σ' → 0, h → 0) from dominating,
and bound 2 gives 0 when L = s.

**Over a box.** Both bounds increase in v and c, so enclosures suffice. From z ⊇ X̃W (interval
matrix product) come per row u = σ'(z) ∈ [u_lo, u_hi] and sup g, g = |σ''|/σ' (both from
monotonicity in |t|, see `_derivative_ranges`). Then, with c = 1 − λ, τ := |σ_λ''|/σ_λ' =
g·λu/(c + λu) and ρ = g·λu/(c + λu)², whose factors in u are monotone or unimodal
(`_blend_factors`): enclosing τ and ρ as products of one-variable suprema avoids the
e^{2·width} overestimate of sup|σ''|/inf σ'² in the tails. With g_lo/g_hi the bounds of
σ_λ'² and A_lo/A_hi = X̃ᵀ diag(g_lo/g_hi) X̃ (A_lo ⪯ A_j(w) ⪯ A_hi on the box):
ρ²h = τ² x_iᵀA_j⁻¹x_i ≤ τ² q_up with q_up ≥ x_iᵀA_lo⁻¹x_i; h ≤ g_hi q_up/(1 + (g_hi − g_lo)q_up)
(Sherman–Morrison: h = g q₋/(1 + g q₋), q₋ the form without row i, increasing in g and q₋);
h ≥ g_lo·x_iᵀA_hi⁻¹x_i. The forms xᵀA⁻¹x are bounded by whitening (`_quad_bounds`: K from a
graded QR, S = K A Kᵀ enclosed, Gershgorin's discs μ ≤ λ(S) ≤ Λ, xᵀA⁻¹x ∈ [‖Kx‖²/Λ, ‖Kx‖²/μ]).

**Branch and bound.** The enclosures overestimate by O(box width); bisecting the leaf with the
largest bound (along the coordinate with the largest width·max|X̃_{:,a}|) converges to the
maximum over the box of the pointwise bound above. It stops when that limit is reached within
`tol` (the largest bound ≤ (1 + tol)·the largest pointwise bound at a leaf's centre), or after
`max_boxes` box evaluations. Cost per box O(L s² m + s³ m): polynomial, no 2^s grid; but the
first-order convergence needs about (width/gap)^s leaves near the maximizer, so in many
dimensions or on wide boxes k_upper stops well above its limit (`converged=False`, `k_point`).

Seen on small random problems (s·m ≤ 4, half-widths 0.1–1): the limit is 1.3–2.5 times the
true max k, and k_upper after 1024 boxes 1.5–4 times. Under extreme saturation (|z| ≳ 30 in
most rows) the whitening cannot be verified in float64 and the bound falls back to h ≤ 1:
still valid, much more pessimistic.

σ = tanh, logistic, arctan (`homotopy.certification.CERTIFIABLE`): σ' and g are enclosed here
with tail-accurate formulas (sech²(a) = 4e^{−2a}/(1 + e^{−2a})², …) and their monotonicity in
|t|, widened for the libm error (`LIBM_ULPS`) and rounding, so a saturated row (σ' ≈ 1e-30)
keeps a positive lower bound where 1 − tanh² would round to 0. The assumption shared with
`homotopy.certification`: libm's exp, tanh (and arctan, for φ_λ) are within LIBM_ULPS ulps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._checks import check_array, check_lam
from .certification import LIBM_ULPS, Interval, _blend, _down, _gamma, _up, matvec
from .regions import Box, Samples


__all__ = [
    "CurvatureBound",
    "curvature_upper_bound",
    "distance_upper_bound",
    "strictly_convex_on_box",
]

_EPS = float(np.finfo(np.float64).eps)
_TINY = float(np.finfo(np.float64).smallest_subnormal)
#: widening of a pointwise σ' or |σ''|/σ' value. The worst formula, 4e/(1 + e)² with
#: e = exp(−2a), has one libm call (≤ LIBM_ULPS ulps, an ulp ≤ ε relative) amplified ≤ 3 times
#: and three roundings (ε/2 each, amplified ≤ 2): ≤ (3·LIBM_ULPS + 2.5)ε to first order; the
#: others (tanh, 1/(1 + a²), 2a/(1 + a²)) less. Below `cap` every intermediate is normal; a
#: subnormal result (a ≈ 0 in g) is off by ≤ LIBM_ULPS + 1 subnormal spacings.
_REL = (8 * LIBM_ULPS + 8) * _EPS
_ABS = (LIBM_ULPS + 4) * _TINY
_BATCH = 16  # leaves split per branch-and-bound round (evaluated together, vectorized)


# ----------------------------------------------------------------------------- the result


@dataclass(frozen=True)
class CurvatureBound:
    """A proven k_upper ≥ k(w) for every w in `box`, and ρ_lower = 1/k_upper (rounded down).

    - `k_upper`: the bound on the maximum normal curvature k(w) (see the module docstring);
      0 when the manifold is flat (λ = 0: φ_0 is affine; or L = s: no normal space); ``inf``
      when a row saturates beyond what float64 resolves (σ' rounds to 0).
    - `radius_lower`: 1/k_upper rounded down (``inf`` for k_upper = 0): a proven lower bound
      on the tube radius ρ = 1/k_max of the box.
    - `k_raw_upper`: a proven bound on ‖∂²φ[v, v]‖/vᵀGv over the box and all v (no
      projection onto the normal space; ≥ k_upper), and `hessian_radius_lower` = 1/k_raw_upper:
      at every w of the box with ‖t − φ_λ(w)‖ < hessian_radius_lower the error Hessian
      G − II_r of E_t = ½‖t − φ_λ‖² is positive definite (`strictly_convex_on_box` uses it).
    - `k_point`: the largest pointwise bound at a leaf's centre: what more bisection could at
      best bring k_upper down to (numerical). `worst`: the leaf with the largest bound (the exact
      k at its centre, `geometry.max_curvature`, measures the bound's pessimism).
    - `n_boxes`: boxes evaluated (≤ `max_boxes`); `converged`: k_upper ≤ (1 + tol)·k_point.
    - `proven`: True (every step is rigorous: outward rounding, libm error bounds).
    - `lam`, `box`, `worst` (the leaf attaining k_upper) and the final partition `leaves_lo`,
      `leaves_hi` ``(N, n)`` with each leaf's `leaves_k`, `leaves_k_raw`.
    """

    k_upper: float
    radius_lower: float
    k_raw_upper: float
    hessian_radius_lower: float
    k_point: float
    n_boxes: int
    converged: bool
    proven: bool
    message: str
    lam: float
    box: Box = field(repr=False)
    worst: Box = field(repr=False)
    leaves_lo: np.ndarray = field(repr=False)
    leaves_hi: np.ndarray = field(repr=False)
    leaves_k: np.ndarray = field(repr=False)
    leaves_k_raw: np.ndarray = field(repr=False)


# ----------------------------------------------------------------------------- problem data


@dataclass(frozen=True)
class _Data:
    X: np.ndarray  # X̃ (L, s), the bias column included
    d: np.ndarray  # targets (L, m)
    name: str
    m: int

    @property
    def n(self) -> int:
        return self.X.shape[1] * self.m


def _natural_data(problem: Any) -> _Data:
    """(X̃, D, σ, m) of a single-layer network from ``interval_data()``, or a `ValueError`.

    Accepts the tuple ``(X̃, d, σ name, objective)`` and the object/dict form with fields
    ``network``, ``design``, ``targets``, ``activation`` (e.g. `certification.IntervalData`);
    anything but ``network == "single_layer"`` is refused.
    """
    hook = getattr(problem, "interval_data", None)
    if not callable(hook):
        raise ValueError(
            "problem: a proven curvature bound needs the interval_data() hook of a single-layer "
            f"network (NaturalHomotopy), got {type(problem).__name__}"
        )
    raw = hook()
    if isinstance(raw, tuple | list) and len(raw) == 4:
        X, d, name, _objective = raw
    else:
        get = raw.get if isinstance(raw, dict) else lambda k, default=None: getattr(raw, k, default)
        network = get("network", None)
        if network != "single_layer":
            raise ValueError(
                "problem: a proven curvature bound supports single-layer networks "
                f"φ_λ = σ_λ(X̃W) only, got interval_data() for {network!r}"
            )
        X, d, name = get("design"), get("targets"), get("activation")
    if name not in _SHAPES:
        raise ValueError(
            f"activation: no proven curvature bound for {name!r}; use one of {tuple(_SHAPES)}"
        )
    X = np.asarray(X, np.float64)
    d = np.asarray(d, np.float64)
    d = d.reshape(d.shape[0], -1) if d.ndim >= 1 else d
    if X.ndim != 2 or d.ndim != 2 or d.shape[0] != X.shape[0]:
        raise ValueError(
            f"problem: interval_data() gave X̃ {X.shape} and targets {d.shape}, not (L, s), (L, m)"
        )
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(d))):
        raise ValueError("problem: interval_data() has NaN or infinite entries")
    return _Data(X, d, str(name), d.shape[1])


def _check_box(data: _Data, box: Any, name: str = "box") -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) ``(n,)`` of a `Box` or an ``(n, 2)`` array, or a `ValueError` naming `name`."""
    n = data.n
    if isinstance(box, Samples):
        raise ValueError(
            f"{name}: a Samples region has no box to bound; pass a Box (e.g. the samples' "
            "bounding box)"
        )
    if isinstance(box, Box):
        lo, hi = (np.asarray(a, np.float64).reshape(-1) for a in (box.lo, box.hi))
    else:
        arr = check_array(name, box)
        if arr.shape != (n, 2):
            raise ValueError(
                f"{name}: expected a Box or an array of shape ({n}, 2), got {arr.shape}"
            )
        lo, hi = arr[:, 0].copy(), arr[:, 1].copy()
    if lo.shape != (n,) or hi.shape != (n,):
        raise ValueError(f"{name}: expected lo, hi of shape ({n},), got {lo.shape}, {hi.shape}")
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))) or np.any(lo > hi):
        raise ValueError(f"{name}: needs finite bounds with lo ≤ hi")
    return lo, hi


# ----------------------------------------------------------------------------- σ' and σ''


def _tanh_d1(a: np.ndarray) -> np.ndarray:
    e = np.exp(-2.0 * a)
    return 4.0 * e / (1.0 + e) ** 2  # sech² a, no cancellation in the tail


def _tanh_ratio(a: np.ndarray) -> np.ndarray:
    return 2.0 * np.tanh(a)  # |tanh''|/tanh' = 2 tanh|t|


def _logistic_d1(a: np.ndarray) -> np.ndarray:
    e = np.exp(-a)
    return e / (1.0 + e) ** 2  # σ(a)σ(−a)


def _logistic_ratio(a: np.ndarray) -> np.ndarray:
    return np.tanh(0.5 * a)  # |σ''|/σ' = |1 − 2σ| = tanh(|t|/2)


def _arctan_d1(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + a * a)


def _arctan_ratio(a: np.ndarray) -> np.ndarray:
    return 2.0 * a / (1.0 + a * a)  # |σ''|/σ' = 2|t|/(1 + t²)


# name: (σ'(a), g(a) = |σ''|/σ' (a), a* where g peaks (None: g increases), sup g, cap), a = |t|.
# σ' decreases in a; g increases on [0, a*] and decreases after. Beyond `cap` the formulas are
# not evaluated (their intermediates would leave the normal range): σ' there is in [0, σ'(cap)],
# and a decreasing g is at most g(cap).
_SHAPES = {
    "tanh": (_tanh_d1, _tanh_ratio, None, 2.0, 300.0),
    "logistic": (_logistic_d1, _logistic_ratio, None, 1.0, 600.0),
    "arctan": (_arctan_d1, _arctan_ratio, 1.0, 1.0, 1e70),
}


def _upper(f: np.ndarray) -> np.ndarray:
    return _up(_up(f + _up(f * _REL)) + _ABS)


def _lower(f: np.ndarray) -> np.ndarray:
    return np.maximum(_down(_down(f - _up(f * _REL)) - _ABS), 0.0)


def _derivative_ranges(
    name: str, zlo: np.ndarray, zhi: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(inf σ', sup σ', sup |σ''|/σ') over each [zlo, zhi], from the monotonicity in |t|."""
    f1, ratio, a_star, g_max, cap = _SHAPES[name]
    near = np.where((zlo <= 0.0) & (zhi >= 0.0), 0.0, np.minimum(np.abs(zlo), np.abs(zhi)))
    far = np.maximum(np.abs(zlo), np.abs(zhi))
    with np.errstate(all="ignore"):
        d1_hi = _upper(f1(np.minimum(near, cap)))
        d1_lo = np.where(far <= cap, _lower(f1(far)), 0.0)
        if a_star is None:
            g_hi = _upper(ratio(far))
        else:
            g_hi = np.where(
                far < a_star,
                _upper(ratio(far)),
                np.where(near > a_star, _upper(ratio(np.minimum(near, cap))), g_max),
            )
    return d1_lo, d1_hi, np.minimum(g_hi, g_max)


def _blend_factors(lam: float, u_lo: np.ndarray, u_hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """sup over u ∈ [u_lo, u_hi] of β₁ = λu/(c + λu) and β₂ = λu/(c + λu)², c = 1 − λ.

    With u = σ'(t) and g = |σ''|/σ': τ = |σ_λ''|/σ_λ' = g·β₁(u), ρ = |σ_λ''|/σ_λ'² = g·β₂(u).
    β₁ increases in u; β₂ increases for λu < c and decreases after (peak 1/(4c) at u = c/λ).
    Both decrease in c, so c's lower bound gives upper bounds.
    """
    c = 1.0 - lam  # exact for λ ≥ 1/2 (Sterbenz); else one rounding, widened
    c_lo = c if lam >= 0.5 else float(_down(np.asarray(c)))

    def b1(u):
        return _up(_up(lam * u) / _down(c_lo + _down(lam * u)))

    def b2(u):
        den = _down(c_lo + _down(lam * u))
        return np.where(den > 0, _up(_up(lam * u) / _down(den * den)), np.inf)

    with np.errstate(all="ignore"):
        beta1 = np.where(u_hi > 0, b1(u_hi), 0.0)
        if c_lo <= 0.0:  # λ = 1: β₂ = 1/u decreases
            return beta1, b2(u_lo)
        u_peak = c / lam
        peak = float(_up(np.asarray(1.0 / _down(np.asarray(4.0 * c_lo)))))
        beta2 = np.where(
            u_hi < u_peak * (1.0 - 1e-12),
            b2(u_hi),
            np.where(u_lo > u_peak * (1.0 + 1e-12), b2(u_lo), peak),
        )
    return beta1, np.minimum(beta2, peak)


# ----------------------------------------------------------------------------- rigorous sums


def _sum_up(x: np.ndarray, axis: int) -> np.ndarray:
    """An upper bound on the exact sum of nonnegative x along `axis` (any summation order:
    each term passes ≤ k − 1 additions, |error| ≤ γ_{k−1}·Σx)."""
    k = x.shape[axis]
    s = np.sum(x, axis=axis)
    return _up(s * (1.0 + 2.0 * (k + 2) * _EPS))


def _sum_down(x: np.ndarray, axis: int) -> np.ndarray:
    """A lower bound on the exact sum of nonnegative x along `axis`."""
    k = x.shape[axis]
    s = np.sum(x, axis=axis)
    return np.maximum(_down(s * (1.0 - 2.0 * (k + 2) * _EPS)), 0.0)


def _nonneg_gram_up(a: np.ndarray, g: np.ndarray, b: np.ndarray) -> np.ndarray:
    """An upper bound on Σ_l g_l a_la b_lc for nonnegative a, b ``(..., L, s)`` and g ``(..., L)``.

    Each term is two rounded products (each may also underflow by ≤ tiny/2), then L − 1
    additions: exact ≤ (fl + tiny·(Σ_l b + L))/(1 − γ_{L+1}) ≤ (fl + …)·(1 + 2(L + 3)ε).
    """
    L = a.shape[-2]
    val = np.swapaxes(a * g[..., :, None], -1, -2) @ b
    uf = _TINY * (2.0 * np.sum(b, axis=-2)[..., None, :] + L)
    return _up(_up(val + uf) * (1.0 + 2.0 * (L + 3) * _EPS))


def _quad_bounds(X: np.ndarray, g: np.ndarray, upper: bool) -> np.ndarray:
    """Bounds on q_l = x_lᵀ A⁻¹ x_l, A = X̃ᵀ diag(g) X̃, for g ``(..., L)`` ≥ 0 (exact floats):
    upper bounds (``inf`` where A is not proven definite) or lower bounds (0 where it fails).

    Whitening: K ≈ R⁻ᵀ from a float QR factorization (any K works: it only has to make S
    close to I for the bounds to be tight); P ⊇ X̃Kᵀ (rows Kx_l) and S ⊇ PᵀGP = K A Kᵀ are
    enclosed; Gershgorin's discs give μ ≤ λ(S) ≤ Λ. If μ > 0, K is invertible, A⁻¹ = KᵀS⁻¹K and
    q_l = (Kx_l)ᵀS⁻¹(Kx_l) ≤ ‖Kx_l‖²/μ. For any K, q_l = max_y 2xᵀy − yᵀAy ≥ ‖Kx_l‖²/Λ (take
    y = KᵀKx_l/Λ). Where saturated rows make A too ill-conditioned for float64 (roughly
    cond A ≳ 1e15 after the graded QR), μ > 0 is not proven and the caller falls back to h ≤ 1.
    """
    L, s = X.shape
    with np.errstate(all="ignore"):
        # K = R⁻ᵀ from a QR factorization of diag(√g)X̃ (rows sorted by decreasing g: graded
        # rows then factor accurately, Cox & Higham 1998), so that S ≈ I even when the
        # saturated rows make A = RᵀR very ill-conditioned
        order = np.argsort(-g, axis=-1, kind="stable")
        Ms = np.take_along_axis(np.sqrt(g)[..., :, None] * X, order[..., :, None], axis=-2)
        R = np.linalg.qr(Ms, mode="r")
        dR = np.abs(np.diagonal(R, axis1=-2, axis2=-1))
        ok = np.all(np.isfinite(R), axis=(-2, -1)) & (dR.min(axis=-1) > 1e-290)
        eye = np.eye(s)
        R = np.where(ok[..., None, None], R, eye)
        Kt = np.linalg.solve(R, np.broadcast_to(eye, R.shape))  # Kᵀ = R⁻¹
        P = matvec(X, Interval.point(Kt))  # ⊇ X̃ Kᵀ, (..., L, s)
        pm, pr = P.mid, P.rad
        gm = g[..., :, None]
        # S = Σ_l g_l p_l p_lᵀ over the exact rows p_l = Kx_l, |p_l − pm_l| ≤ pr_l. With
        # Sm = fl(Σ g pm pmᵀ): |S − Sm| ≤ γ_{L+1}·Σ g|pm||pm|ᵀ (two products, L terms)
        # + Σ g (|pm| prᵀ + pr |pm|ᵀ + pr prᵀ) + underflow, every sum bounded from above
        sm = np.swapaxes(pm * gm, -1, -2) @ pm
        absum = _nonneg_gram_up(np.abs(pm), g, np.abs(pm))
        r1 = _nonneg_gram_up(pr, g, np.abs(pm))
        underflow = _TINY * (2.0 * np.sum(np.abs(pm), axis=-2)[..., None, :] + L)  # in Sm
        rad = _up(
            _up(_up(_gamma(L + 1) * absum) + underflow)
            + _up(_up(r1 + np.swapaxes(r1, -1, -2)) + _nonneg_gram_up(pr, g, pr))
        )
        diag_lo = _down(np.diagonal(sm, axis1=-2, axis2=-1) - np.diagonal(rad, axis1=-2, axis2=-1))
        diag_hi = _up(np.diagonal(sm, axis1=-2, axis2=-1) + np.diagonal(rad, axis1=-2, axis2=-1))
        off = _up(np.abs(sm) + rad)
        idx = np.arange(s)
        off[..., idx, idx] = 0.0
        radii = _sum_up(off, axis=-1)
        sq = P.square()
        if upper:
            mu = np.min(_down(diag_lo - radii), axis=-1)
            ok &= mu > 0
            norm2 = _sum_up(sq.hi, axis=-1)
            q = _up(norm2 / np.where(ok, mu, 1.0)[..., None])
            return np.where(ok[..., None] & np.isfinite(q), q, np.inf)
        lam_max = np.max(_up(diag_hi + radii), axis=-1)
        ok &= np.isfinite(lam_max) & (lam_max > 0)
        norm2 = _sum_down(sq.lo, axis=-1)
        q = _down(norm2 / np.where(ok, lam_max, 1.0)[..., None])
        return np.where(ok[..., None] & np.isfinite(q), np.maximum(q, 0.0), 0.0)


def _knapsack_up(v: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Upper bound on max {Σ v b : 0 ≤ b ≤ c, Σ b ≤ 1} per row of v, c ``(B, N)`` (v, c ≥ 0):
    t + Σ c (v − t)₊ for t the greedy break value (valid for every t ≥ 0 by LP duality)."""
    v = np.where(c > 0, v, 0.0)  # a row of capacity 0 takes nothing (and inf·0 stays out)
    order = np.argsort(-v, axis=1, kind="stable")
    vs = np.take_along_axis(v, order, axis=1)
    cum = np.cumsum(np.take_along_axis(c, order, axis=1), axis=1)
    full = cum >= 1.0
    brk = np.argmax(full, axis=1)
    t = np.where(full.any(axis=1), vs[np.arange(v.shape[0]), brk], 0.0)
    with np.errstate(all="ignore"):
        excess = np.where(c > 0, _up(c * np.maximum(_up(v - t[:, None]), 0.0)), 0.0)
        total = _up(t + _sum_up(excess, axis=1))
    return np.where(np.isinf(t) | np.isnan(total), np.inf, total)


# ----------------------------------------------------------------------------- one batch of boxes


def _box_bounds(
    data: _Data, lam: float, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(bound on k, bound on the unprojected ratio) over each box lo, hi ``(B, n)``."""
    X, m = data.X, data.m
    B = lo.shape[0]
    L, s = X.shape
    z = matvec(X, Interval(lo.reshape(B, s, m), hi.reshape(B, s, m)))  # ⊇ X̃W, (B, L, m)
    d1_lo, d1_hi, ratio_hi = _derivative_ranges(data.name, z.lo, z.hi)
    # σ_λ' = (1 − λ) + λσ' ∈ D1; 1 − λ is exact for λ ≥ 1/2 (Sterbenz)
    om = 1.0 - lam
    one_minus = Interval.point(om) if lam >= 0.5 else Interval(_down(om), _up(om))
    D1 = one_minus + lam * Interval(d1_lo, d1_hi)
    beta1, beta2 = _blend_factors(lam, d1_lo, d1_hi)
    with np.errstate(all="ignore"):
        g1lo = np.maximum(D1.lo, 0.0)
        g1hi = D1.hi
        tau = _up(ratio_hi * beta1)  # ≥ |σ_λ''|/σ_λ' on the box
        rho = np.where(np.isfinite(beta2), _up(ratio_hi * beta2), np.inf)  # ≥ |σ_λ''|/σ_λ'²
        g_lo = np.maximum(_down(g1lo * g1lo), 0.0)
        g_hi = _up(g1hi * g1hi)
        # per output j: A_j = X̃ᵀdiag(g_{:,j})X̃, g moved to (B, m, L)
        q_up = np.moveaxis(_quad_bounds(X, np.moveaxis(g_lo, 1, 2), upper=True), 1, 2)
        q_lo = np.moveaxis(_quad_bounds(X, np.moveaxis(g_hi, 1, 2), upper=False), 1, 2)
        # h = g q₋/(1 + g q₋) (Sherman–Morrison, q₋ = xᵀA₋ᵢ⁻¹x) increases in g and q₋, and
        # q₋ ≤ q_A/(1 − g_lo q_A) for q_A = xᵀA_lo⁻¹x: h ≤ g_hi q_A/(1 + (g_hi − g_lo) q_A)
        spread = np.maximum(_down(g_hi - g_lo), 0.0)
        h_sm = _up(_up(g_hi * q_up) / _down(1.0 + _down(spread * q_up)))
        h_up = np.minimum(np.where(np.isfinite(q_up), h_sm, 1.0), 1.0)
        h_lo = np.clip(_down(g_lo * q_lo), 0.0, 1.0)
        zero_row = ~np.any(X != 0.0, axis=1)  # x_i = 0: (Jv)_i = 0 for every v, h = 0 exactly
        h_up = np.where(zero_row[None, :, None], 0.0, h_up)
        v1 = np.minimum(_up(_up(tau * tau) * q_up), _up(_up(rho * rho) * h_up))
        v2 = _up(rho * _up(np.sqrt(_up(1.0 - h_lo))))
    c = h_up.reshape(B, -1)
    k_raw = _up(np.sqrt(_knapsack_up(v1.reshape(B, -1), c)))
    k = np.minimum(k_raw, _knapsack_up(v2.reshape(B, -1), c))
    return k, k_raw


# ----------------------------------------------------------------------------- public


#: the default work budget of `curvature_upper_bound` in units of L·(s·m)² (one box's cost)
BOX_BUDGET = 1_500_000_000


def curvature_upper_bound(
    problem: Any,
    lam: float,
    box: Any,
    *,
    max_boxes: int | None = None,
    tol: float = 1e-3,
) -> CurvatureBound:
    """k_upper ≥ max_{w ∈ box} k(w), k = max_{unit u ∈ T} ‖P_N(ρ∘u²)‖, ρ = σ_λ''/σ_λ'²: proven.

    `problem`: a single-layer network with the ``interval_data()`` hook (`NaturalHomotopy`,
    any m, tanh/logistic/arctan). `box`: a `geometry.Box` or an ``(n, 2)`` array of (lo, hi)
    per weight (w flat, row-major over (input, output)). Branch and bound (module docstring)
    until k_upper ≤ (1 + `tol`)·k_point or `max_boxes` box evaluations (default: a budget of
    `BOX_BUDGET` / (L·(s·m)²) boxes, the cost of one box being O(L(s·m)²), clipped to
    [16, 1024]: about 10 s at L = 2000, s = 60 on two CPU cores).

    **Raises:** `ValueError` naming `problem` (no hook, not a single-layer network, rank X̃ < s:
    not an immersion), `activation`, `lam`, `box`, `max_boxes` or `tol`.
    """
    data = _natural_data(problem)
    lam = check_lam(lam)
    lo, hi = _check_box(data, box)
    L, s = data.X.shape
    if max_boxes is None:
        max_boxes = int(np.clip(BOX_BUDGET // (L * (s * data.m) ** 2), 16, 1024))
    if isinstance(max_boxes, bool) or not isinstance(max_boxes, int | np.integer) or max_boxes < 1:
        raise ValueError(f"max_boxes: expected a positive integer, got {max_boxes!r}")
    if not (isinstance(tol, int | float) and math.isfinite(tol) and tol >= 0):
        raise ValueError(f"tol: expected a finite float ≥ 0, got {tol!r}")
    if L < s or np.linalg.matrix_rank(data.X) < s:
        raise ValueError(
            f"problem: rank X̃ < s = {s}, so φ_λ is not an immersion (G = JᵀJ is singular)"
        )
    the_box = Box(lo.copy(), hi.copy())
    if lam == 0.0:  # σ_0'' ≡ 0: φ_0(w) = X̃W is affine, flat
        return _result(
            data, lam, the_box, lo[None], hi[None], np.zeros(1), np.zeros(1), 0.0, 1, True,
            "λ = 0: φ_0 = X̃W is affine (σ_0'' ≡ 0), so k ≡ 0 and ρ = ∞", problem,
        )  # fmt: skip

    colscale = np.repeat(np.max(np.abs(data.X), axis=0), data.m)  # weight (a, j) ↦ max|X̃_{:,a}|

    def evaluate(blo: np.ndarray, bhi: np.ndarray) -> tuple[np.ndarray, ...]:
        """Bounds on the boxes and (for the stopping rule) at their centres, one batch."""
        c = 0.5 * blo + 0.5 * bhi
        c = np.clip(c, blo, bhi)
        k, kr = _box_bounds(data, lam, np.concatenate([blo, c]), np.concatenate([bhi, c]))
        nb = blo.shape[0]
        # the centre lies in its box, so the box's bound holds there too (the point bound can
        # be the worse one where the whitening is not verified, see `_quad_bounds`)
        return k[:nb], kr[:nb], np.minimum(k[nb:], k[:nb])

    llo, lhi = lo[None].copy(), hi[None].copy()
    lk, lkr, lp = evaluate(llo, lhi)
    n_boxes = 1
    while True:
        top, point = float(lk.max()), float(lp.max())
        if not top > point * (1.0 + tol) or n_boxes + 2 > max_boxes:
            break
        score = (lhi - llo) * colscale
        splittable = score.max(axis=1) > 0
        cand = np.flatnonzero((lk > point * (1.0 + tol)) & splittable)
        if cand.size == 0:
            break
        cand = cand[np.argsort(-lk[cand], kind="stable")][: min(_BATCH, (max_boxes - n_boxes) // 2)]
        axis = np.argmax(score[cand], axis=1)
        rows = np.arange(cand.size)
        mid = 0.5 * llo[cand, axis] + 0.5 * lhi[cand, axis]
        left_hi, right_lo = lhi[cand].copy(), llo[cand].copy()
        left_hi[rows, axis] = mid
        right_lo[rows, axis] = mid
        clo = np.concatenate([llo[cand], right_lo])
        chi = np.concatenate([left_hi, lhi[cand]])
        ck, ckr, cp = evaluate(clo, chi)
        parent = np.concatenate([cand, cand])
        # a child lies in its parent: the parent's bound holds for it too
        ck, ckr = np.minimum(ck, lk[parent]), np.minimum(ckr, lkr[parent])
        cp = np.minimum(cp, ck)
        keep = np.ones(lk.size, bool)
        keep[cand] = False
        llo, lhi = np.concatenate([llo[keep], clo]), np.concatenate([lhi[keep], chi])
        lk, lkr = np.concatenate([lk[keep], ck]), np.concatenate([lkr[keep], ckr])
        lp = np.concatenate([lp[keep], cp])
        n_boxes += clo.shape[0]
    top, point = float(lk.max()), float(lp.max())
    converged = not top > point * (1.0 + tol)
    if L == s:  # no normal space: k ≡ 0 (only the unprojected ratio stays)
        lk, point = np.zeros_like(lk), 0.0
        msg = "L = s: the manifold is open in R^L (no normals), k ≡ 0"
    elif math.isinf(top):
        msg = (
            "some row saturates beyond float64's resolution on the box (σ_λ' rounds to 0): no "
            "finite bound"
        )
    else:
        state = "converged" if converged else f"stopped at max_boxes = {max_boxes}"
        msg = (
            f"proven: k ≤ {top:.6g} on the box ({state}: the bound's limit is ≥ {point:.6g}, "
            f"{n_boxes} boxes)"
        )
    return _result(
        data, lam, the_box, llo, lhi, lk, lkr, point, n_boxes, converged, msg, problem
    )  # fmt: skip


def _result(
    data: _Data,
    lam: float,
    box: Box,
    llo: np.ndarray,
    lhi: np.ndarray,
    lk: np.ndarray,
    lkr: np.ndarray,
    point: float,
    n_boxes: int,
    converged: bool,
    msg: str,
    problem: Any,
) -> CurvatureBound:
    i = int(np.argmax(lk))
    k, kr = float(lk[i]), float(lkr.max())
    worst = Box(llo[i].copy(), lhi[i].copy())
    return CurvatureBound(
        k_upper=k,
        radius_lower=_inverse_down(k),
        k_raw_upper=kr,
        hessian_radius_lower=_inverse_down(kr),
        k_point=float(point),
        n_boxes=int(n_boxes),
        converged=bool(converged),
        proven=True,
        message=msg,
        lam=lam,
        box=box,
        worst=worst,
        leaves_lo=llo,
        leaves_hi=lhi,
        leaves_k=lk,
        leaves_k_raw=lkr,
    )


def _inverse_down(k: float) -> float:
    if k == 0.0:
        return math.inf
    if math.isinf(k):
        return 0.0
    return float(_down(np.asarray(1.0 / k)))


def _residual_sup(data: _Data, target: np.ndarray, lam: float, lo: np.ndarray, hi: np.ndarray):
    """Upper bounds on sup ‖t − φ_λ(w)‖ over each box lo, hi ``(B, n)`` (points: lo = hi)."""
    L, s = data.X.shape
    m = data.m
    B = lo.shape[0]
    z = matvec(data.X, Interval(lo.reshape(B, s, m), hi.reshape(B, s, m)))
    phi = _blend(data.name, z, lam)[0]
    r = Interval.point(target.reshape(L, m)) - phi
    a = np.maximum(np.abs(r.lo), np.abs(r.hi)).reshape(B, -1)
    return _up(np.sqrt(_sum_up(_up(a * a), axis=1)))


def _check_target(data: _Data, target: Any) -> np.ndarray:
    t = check_array("target", target).reshape(-1)
    M = data.X.shape[0] * data.m
    if t.size != M:
        raise ValueError(f"target: expected {M} entries, got {t.size}")
    return t


def distance_upper_bound(problem: Any, target: Any, lam: float, w: Any) -> float:
    """A proven upper bound on ‖target − φ_λ(w)‖₂ (φ_λ(w) enclosed, the norm rounded up)."""
    data = _natural_data(problem)
    lam = check_lam(lam)
    t = _check_target(data, target)
    w = check_array("w", w).reshape(-1)
    if w.size != data.n:
        raise ValueError(f"w: expected {data.n} weights, got {w.size}")
    return float(_residual_sup(data, t, lam, w[None], w[None])[0])


def strictly_convex_on_box(problem: Any, target: Any, bound: CurvatureBound) -> bool:
    """Proven: sup_leaf ‖t − φ_λ‖ · k_raw(leaf) < 1 on every leaf, so ∇²E_t ≻ 0 on the box.

    Then E_t = ½‖t − φ_λ‖² is strictly convex on the (convex) box: it has exactly one
    minimizer there, at most one critical point, and φ_λ(box) exactly one point nearest to t
    (φ_λ is injective when rank X̃ = s). ``False`` means *not proven* (a sufficient test on
    the leaves of `bound`, not refined further).
    """
    if not isinstance(bound, CurvatureBound):
        raise ValueError(f"bound: expected a CurvatureBound, got {type(bound).__name__}")
    data = _natural_data(problem)
    t = _check_target(data, target)
    if bound.leaves_lo.shape[1] != data.n:
        raise ValueError(f"bound: made for {bound.leaves_lo.shape[1]} weights, not {data.n}")
    if bound.k_raw_upper == 0.0:
        return True  # φ affine: E_t is a convex quadratic, strictly (rank X̃ = s)
    rsup = _residual_sup(data, t, bound.lam, bound.leaves_lo, bound.leaves_hi)
    with np.errstate(all="ignore"):
        prod = _up(rsup * bound.leaves_k_raw)
    return bool(np.all(prod < 1.0))
