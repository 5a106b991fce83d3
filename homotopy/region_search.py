r"""k_max = max of k(w) over a region of weight space, searched in time polynomial in n and M.

The numerical search behind `geometry.max_curvature_over` (DESIGN.md §2): the result is a
**lower estimate** of the true maximum (every value reported is attained at a point of the
region; `curvature_bound.curvature_upper_bound` proves an upper bound). Per round:

1. **Seeds at every scale.** Curvature of a network's data manifold lives where some
   pre-activation is O(1), which in a box of half-width 10⁶ is a vanishing fraction of the
   volume, so uniform seeds alone would all land where the network saturates (k ≈ 0; the old
   grid then reported ρ = ∞). The seeds are scrambled Sobol points in the nested boxes (balls)
   ``center ± min(h, 2^e)`` for every power of two 2^e from the region's half-width h down to
   2⁻⁴: a fixed number per level, and the same points for the same level, so a box that
   contains another (with the same centre) is searched at least where the smaller one is.
   Round 0 adds the centre, the corners when 2^n ≤ 64, and the points of a given path that
   lie in the region.
2. **k at every seed** in one compiled, vmapped call (`normal_curvature.curvatures_at`, the
   quick setting); seeds where the metric is numerically singular are skipped and counted.
3. **Batched local ascent** of the smooth ‖P_N ∂²φ[y, y]‖/(yᵀGy) jointly in (w, y) from the
   best seeds, one compiled vmapped loop (spectral projected gradient: Barzilai–Borwein steps
   with Armijo backtracking), then k re-evaluated exactly at every end point.

Rounds stop when the best k rose by less than `rtol` (relative) in two rounds in a row, or
after `rounds`. Each round's best point is then polished by L-BFGS-B on the same objective,
unless it lies on the edge of the usable metrics (cond G ≥ `EDGE_COND` = 1e12), where the
polish's line searches cannot move.

Where saturation leaves a level with fewer than `n_starts` usable seeds, its Sobol sequence
runs on (up to 16× `n_seeds`): on digits' w ± 1 only 2–3 % of the full box and 20–25 % of
w ± 1/2 have a usable metric, and the largest k lies on the edge of the usable part
(cond G = `METRIC_COND_MAX`), which `RegionCurvature.at_metric_limit` reports. After round 0,
levels whose best k is below 10⁻³ of the best level's get a quarter of the seeds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl
import numpy as np

from ._checks import check_lam
from ._linalg import serial_blas
from ._sobol import sobol
from .correctors import COMPILER_OPTIONS
from .manifold import manifold_of
from .normal_curvature import (
    METRIC_COND_MAX,
    QUICK,
    REGION,
    MaxCurvature,
    PointCurvature,
    _manifold,
    curvatures_at,
)
from .protocol import Static, split_problem
from .regions import Ball, Box, Samples


Array = jax.Array

__all__ = ["RegionCurvature", "max_curvature_over", "parse_region"]

E_MIN = -4  # finest seeding level: half-width 2⁻⁴
MAX_LEVELS = 40
CORNERS_UP_TO = 6  # box corners are seeds while 2^n ≤ 64
CLIMB_STEPS = 30  # steps of the batched local ascent (then L-BFGS-B polishes the best)
POLISH_STEPS = 300  # L-BFGS-B iterations of each round's polish
# a level where saturation leaves fewer than n_starts usable seeds draws on, up to this many
# times n_seeds: on digits' w ± 1 only 2–3 % of the full box and 20–25 % of w ± 1/2 are usable,
# and without it the search beat 10⁴ random points for half of the seeds 0–9, with it 17 of 20
OVERSAMPLE = 16
LAG = 1e-3  # after round 0, a level whose best k is below LAG × the best level's …
SHRINK = 2  # … gets 2^-SHRINK × n_seeds seeds (digits: the finest levels' k is 10⁻⁴ of the top)
PATIENCE = 2  # converged: this many rounds in a row raised k_max by less than rtol
EDGE_COND = METRIC_COND_MAX / 10  # cond G from here on: the edge of the usable metrics


@dataclass(frozen=True)
class RegionCurvature:
    """k_max over a region (a numerical **lower estimate** of the maximum), its argmax, ρ.

    - `k_max`: the largest k(w) found; `w` where; `maximum` the `MaxCurvature` there;
      `radius` = ρ = 1/k_max (``inf`` when k_max = 0, e.g. λ = 0: the manifold is flat).
      Since k_max may be too small, ρ may be too large: `curvature_bound` gives proven bounds.
    - `n_evaluations`: exact evaluations of k(w); `n_seeds`: seeds evaluated; `n_local`: local
      searches run; `n_saturated`: seeds skipped where G is numerically singular (k unknown
      there); `levels`: the seeding scales 2^e used.
    - `history`: the best k after each round; `converged`: the last `PATIENCE` (2) rounds
      each raised it by less than `rtol` (else the round budget ran out).
    - `cond`: cond G = cond JᵀJ at `w`; `at_metric_limit`: it is within a factor 10 of
      `METRIC_COND_MAX`, where seeds count as saturated. Then k_max lies at the edge of the
      part of the region where k is numerically defined: k typically still rises towards the
      saturated part beyond it (on digits' w ± 1 like (cond G)^0.4…0.6 along a ray up to the
      edge), which float64 cannot resolve, so the true maximum is likely larger, ρ smaller.
    - `message`: the above in words.
    """

    k_max: float
    w: np.ndarray
    radius: float
    maximum: MaxCurvature
    n_evaluations: int
    n_seeds: int = 0
    n_local: int = 0
    n_saturated: int = 0
    levels: tuple[float, ...] = ()
    history: tuple[float, ...] = ()
    converged: bool = False
    cond: float = math.nan
    at_metric_limit: bool = False
    message: str = ""


# ----------------------------------------------------------------------------- regions


@dataclass(frozen=True)
class Region:
    """A parsed region: its kind, bounding box, centre and scale, and (samples) its points."""

    kind: str  # "box", "ball" or "samples"
    lo: np.ndarray
    hi: np.ndarray
    center: np.ndarray
    half: np.ndarray  # per-axis half-widths (box), or the radius in every entry (ball)
    points: np.ndarray | None = None

    @property
    def n(self) -> int:
        return self.lo.shape[0]

    def contains(self, W: np.ndarray) -> np.ndarray:
        if self.kind == "ball":
            r = float(self.half[0])
            return np.linalg.norm(W - self.center, axis=1) <= r * (1 + 1e-12)
        return np.all((W >= self.lo) & (W <= self.hi), axis=1)

    def project(self, W: np.ndarray) -> np.ndarray:
        if self.kind == "ball":
            d = W - self.center
            nd = np.linalg.norm(d, axis=1, keepdims=True)
            r = float(self.half[0])
            return self.center + d * np.minimum(1.0, r / np.where(nd > 0, nd, 1.0))
        return np.clip(W, self.lo, self.hi)

    def levels(self) -> list[int]:
        """Exponents e of the seeding scales 2^e, coarsest first (empty for a point)."""
        top = float(self.half.max())
        if self.kind == "samples" or top == 0.0:
            return []
        e_max = math.ceil(math.log2(top))
        e_min = max(min(E_MIN, e_max), e_max - MAX_LEVELS + 1)
        return list(range(e_max, e_min - 1, -1))


def _finite_vector(name: str, v: Any) -> np.ndarray:
    try:
        arr = np.asarray(v, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name}: not a real numeric array ({err})") from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: contains NaN or infinite entries")
    return arr


def parse_region(nu: int | None, region: Any) -> Region:
    """A `Box`, `Ball`, `Samples`, an ``(n, 2)`` box array or an ``(N, n)`` sample array.

    n is the problem's (`nu`) or, when it has none, read from the region; a raw ``(k, 2)``
    array is then ambiguous (a box of k weights or k samples of 2) and refused.
    """
    if isinstance(region, Ball):
        c = _finite_vector("region", region.center).reshape(-1)
        r = region.radius
        if isinstance(r, bool) or not isinstance(r, int | float | np.floating | np.integer):
            raise ValueError(f"region: a Ball's radius must be a number, got {r!r}")
        r = float(r)
        if not (math.isfinite(r) and r >= 0.0):
            raise ValueError(f"region: a Ball needs a finite radius ≥ 0, got {r!r}")
        if nu is not None and c.shape != (nu,):
            raise ValueError(f"region: a Ball's centre must have shape ({nu},), got {c.shape}")
        return Region("ball", c - r, c + r, c, np.full(c.shape, r))
    if isinstance(region, Box):
        box = np.stack(
            [_finite_vector("region", region.lo), _finite_vector("region", region.hi)], axis=-1
        )
        nu = box.shape[0] if nu is None else nu
    elif isinstance(region, Samples):
        pts = _finite_vector("region", region.points)
        if nu is None and pts.ndim == 2:
            nu = pts.shape[1]
        return _samples(nu, pts)
    else:
        try:
            arr = np.asarray(region, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise ValueError(f"region: not a real numeric array ({err})") from None
        if nu is None and arr.ndim == 2:
            if arr.shape[1] == 2:
                raise ValueError(
                    f"region: an array of shape {arr.shape} is ambiguous (a box of "
                    f"{arr.shape[0]} weights or {arr.shape[0]} samples of 2) for a problem "
                    "without n_unknowns; pass geometry.Box or geometry.Samples"
                )
            nu = arr.shape[1]
        if nu is not None and arr.shape == (nu, 2):
            box = arr
        elif nu is not None and arr.ndim == 2 and arr.shape[1] == nu:
            return _samples(nu, arr)
        else:
            raise ValueError(
                f"region: expected a box of shape ({nu}, 2) or samples of shape (N, {nu}), "
                f"got {arr.shape}"
            )
    if box.shape != (nu, 2) or not np.all(np.isfinite(box)) or np.any(box[:, 0] > box[:, 1]):
        raise ValueError(f"region: a box needs finite (lo, hi) rows with lo ≤ hi, shape ({nu}, 2)")
    lo, hi = box[:, 0], box[:, 1]
    return Region("box", lo, hi, 0.5 * (lo + hi), 0.5 * (hi - lo))


def _samples(nu: int | None, pts: np.ndarray) -> Region:
    if pts.ndim != 2 or pts.shape[1] != nu or pts.shape[0] == 0:
        raise ValueError(f"region: samples must have shape (N ≥ 1, {nu}), got {pts.shape}")
    if not np.all(np.isfinite(pts)):
        raise ValueError("region: samples contain NaN or infinite entries")
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    return Region("samples", lo, hi, 0.5 * (lo + hi), 0.5 * (hi - lo), pts)


def _sobol(d: int, m: int, key: tuple[int, ...]) -> np.ndarray:
    return sobol(d, m, np.random.default_rng(list(key)))


def seeds(reg: Region, rnd: int, sizes: list[int], seed: int, path_points: np.ndarray | None):
    """The seeds of round `rnd`, 2^sizes[j] at level j: (W, level index of each row or −1 for
    the structural seeds)."""
    if reg.kind == "samples":
        return (reg.points, np.full(len(reg.points), -1)) if rnd == 0 else (None, None)
    n = reg.n
    blocks, tags = [], []
    if rnd == 0:
        fixed = [reg.center[None]]
        if reg.kind == "box" and n <= CORNERS_UP_TO:
            bits = (np.arange(2**n)[:, None] >> np.arange(n)) & 1
            fixed.append(np.where(bits == 1, reg.hi, reg.lo))
        if path_points is not None and len(path_points):
            fixed.append(path_points[reg.contains(path_points)])
        S = np.concatenate(fixed)
        blocks.append(S)
        tags.append(np.full(len(S), -1))
    for j, (e, m) in enumerate(zip(reg.levels(), sizes, strict=True)):
        W = level_points(reg, e, rnd, seed, m)
        blocks.append(W)
        tags.append(np.full(len(W), j))
    return np.concatenate(blocks), np.concatenate(tags)


def level_sizes(scores: np.ndarray, rnd: int, m: int) -> list[int]:
    """log2 of each level's seeds in round `rnd` from `scores`, the best k seen at each level
    so far (−inf: none usable): m in round 0 and where the best is ≥ `LAG` × the best
    level's, m − `SHRINK` (at least 0) where it is below."""
    if rnd == 0 or not np.isfinite(scores).any():
        return [m] * len(scores)
    top = float(np.max(scores))
    return [m if sc >= LAG * top else max(0, m - SHRINK) for sc in scores]


def level_points(reg: Region, e: int, rnd: int, seed: int, m: int, start: int = 0) -> np.ndarray:
    """Points start … 2^m − 1 of round `rnd`'s Sobol sequence in the box (ball)
    ``center ± min(h, 2^e)``: the first 2^m are the same at every larger m, so more points
    at a level extend its seeds instead of replacing them."""
    n = reg.n
    width = np.minimum(reg.half, 2.0**e)
    # the same points for the same level in every region with this centre: nesting
    if reg.kind == "box":
        U = _sobol(n, m, (seed, rnd, e + 4096))[start:]
        W = reg.center + (2.0 * U - 1.0) * width
    else:
        from scipy.special import ndtri

        U = _sobol(n + 1, m, (seed, rnd, e + 8192))[start:]
        z = ndtri(np.clip(U[:, 1:], 1e-12, 1 - 1e-12))
        z /= np.linalg.norm(z, axis=1, keepdims=True)
        W = reg.center + z * (width[0] * U[:, :1] ** (1.0 / n))
    return reg.project(W)


# ----------------------------------------------------------------------------- local ascent


def ktilde(dynamic: Any, static: Static | None, v: Array, lam: Array) -> Array:
    """‖P_N ∂²φ[y, y]‖ / (yᵀGy) at v = (w, y): its max over y is k(w); smooth in (w, y).
    NaN where the metric is unusable (cond G > `METRIC_COND_MAX`, by `_cond_estimate`)."""
    m = _manifold(dynamic, static)
    nu = v.shape[0] // 2
    w, y = v[:nu], v[nu:]
    J = m.embedding_jacobian(w, lam)
    G = J.T @ J
    # Cholesky, not LU: less to compile for the ascents (its gradient 0.73 s against 0.86 s
    # on digits), and NaN where G is not numerically positive definite, which the cond test
    # below refuses anyway
    chol = jsl.cho_factor(G, lower=True)
    h = m.embedding_second_derivative(w, lam, y)
    P = h - J @ jsl.cho_solve(chol, J.T @ h)
    ss = jnp.dot(P, P)
    safe = jnp.where(ss > 0, ss, 1.0)
    k = jnp.where(ss > 0, jnp.sqrt(safe), 0.0) / jnp.dot(y, G @ y)
    # where G is numerically singular the value is rounding noise, often huge: NaN there, so
    # the ascents treat it as outside the region instead of climbing into saturation
    G0 = jax.lax.stop_gradient(G)
    Gi = jsl.cho_solve((jax.lax.stop_gradient(chol[0]), True), jnp.eye(nu, dtype=G.dtype))
    return jnp.where(_cond_estimate(G0, Gi) <= METRIC_COND_MAX, k, jnp.nan)


def _cond_estimate(G: Array, Gi: Array, squarings: int = 4) -> Array:
    """cond G ≤ (‖G^m‖_F ‖G⁻ᵐ‖_F)^{1/m} ≤ n^{1/m} cond G, m = 2^squarings, from G and its
    computed inverse Gi by repeated squaring (‖A^m‖_F^{1/m} lies in [λ_max, n^{1/2m}λ_max]
    for A symmetric positive definite). Only matrix products: an eigensolver here, in the
    ascents' loops, cost more than the rest of the step, and power iterations' loops more
    to compile. inf where either is not finite."""

    def log_top(A: Array) -> Array:
        c = jnp.linalg.norm(A)
        log_v, B = jnp.log(c), A / c
        for j in range(1, squarings + 1):
            B = B @ B
            c = jnp.linalg.norm(B)
            log_v, B = log_v + jnp.log(c) / 2.0**j, B / c
        return log_v

    est = jnp.exp(log_top(G) + log_top(Gi))
    return jnp.where(jnp.isfinite(est) & (est > 0), est, jnp.inf)


def _climb(dynamic, static, lam, V0, lo, hi, center, radius, ball: bool, iters: int):
    """Spectral projected gradient ascent of `ktilde` from each row of V0, in one loop."""
    nu = V0.shape[1] // 2
    vg = jax.value_and_grad(lambda v: ktilde(dynamic, static, v, lam))

    def project(v):
        w, y = v[:nu], v[nu:]
        if ball:
            d = w - center
            nd = jnp.linalg.norm(d)
            w = center + d * jnp.minimum(1.0, radius / jnp.where(nd > 0, nd, 1.0))
        else:
            w = jnp.clip(w, lo, hi)
        return jnp.concatenate([w, y])  # ktilde is scale-free in y: no sphere projection

    def value(v):
        f, g = vg(v)
        ok = jnp.isfinite(f) & jnp.all(jnp.isfinite(g))
        return jnp.where(ok, f, -jnp.inf), jnp.where(ok, g, 0.0)

    def one(v0):
        def direction(v, g, alpha):
            return project(v + alpha * g) - v

        def more(st):
            v, f, g, alpha, t, it = st
            d = direction(v, g, alpha)
            small = jnp.linalg.norm(d) <= 1e-12 * (1.0 + jnp.linalg.norm(v))
            return (it == 0) | ((it <= iters) & ~small & (t > 1e-8) & jnp.isfinite(f))

        def step(st):
            # spectral projected gradient (Birgin, Martínez & Raydan 2000), for ascent: a
            # Barzilai–Borwein step, projected, backtracked until the Armijo condition holds.
            # Step 0 evaluates the start itself: one copy of the objective's gradient in the
            # program, not two (on digits 1.35–1.67 s to compile, against 2.17–2.41 s)
            v, f, g, alpha, t, it = st
            first = it == 0
            d = direction(v, g, alpha)
            trial = jnp.where(first, v, project(v + t * d))
            ft, gt = value(trial)
            ok = first | (ft >= f + 1e-4 * t * jnp.dot(g, d))
            s = trial - v
            curv = -jnp.dot(s, gt - g)
            bb = jnp.where(curv > 0, jnp.dot(s, s) / jnp.where(curv > 0, curv, 1.0), 1e12)
            ng = jnp.linalg.norm(gt)
            alpha0 = 1e-2 * (1.0 + jnp.linalg.norm(v[:nu])) / jnp.where(ng > 0, ng, 1.0)
            v = jnp.where(ok, trial, v)
            f = jnp.where(ok, ft, f)
            g = jnp.where(ok, gt, g)
            alpha = jnp.where(first, alpha0, jnp.where(ok, jnp.clip(bb, 1e-12, 1e12), alpha))
            t = jnp.where(ok, 1.0, 0.5 * t)
            return v, f, g, alpha, t, it + 1

        v0 = project(v0)
        st = (v0, -jnp.inf, jnp.zeros_like(v0), jnp.ones(()), jnp.ones(()), jnp.zeros((), int))
        v, f, *_, it = jax.lax.while_loop(more, step, st)
        return v, f, jnp.maximum(it - 1, 0)

    return jax.vmap(one)(V0)


# the tracker's compiler options (no expensive LLVM passes): on digits the climb compiles in
# 0.74–0.94 s instead of 1.07–1.13 s, with the same ends bit for bit. Not for the polish: its
# L-BFGS-B runs then end elsewhere (breast_cancer, seeds 0–9: median k 3385 against 4109)
_climb_jit = jax.jit(_climb, static_argnums=(1, 8, 9), compiler_options=COMPILER_OPTIONS)
_neg_ktilde_vg = jax.jit(
    jax.value_and_grad(lambda v, dynamic, static, lam: -ktilde(dynamic, static, v, lam)),
    static_argnums=2,
)


def _cond_at(dynamic, static, lam_j, w: np.ndarray) -> float:
    """cond G at w, by the kernels' metric test."""
    from .normal_curvature import _chunks, _usable_jit

    return float(np.asarray(_usable_jit(dynamic, static, next(_chunks(w[None], 16)), lam_j)[1])[0])


def _polish(dynamic, static, lam, reg: Region, w0: np.ndarray, y0: np.ndarray) -> np.ndarray:
    """L-BFGS-B on −ktilde from (w0, y0), bounded to the region's bounding box; the w."""
    from scipy import optimize  # on first use: importing it costs ~0.15 s

    nu = w0.shape[0]
    bounds = [(float(a), float(b)) for a, b in zip(reg.lo, reg.hi, strict=True)]
    bounds += [(None, None)] * nu

    def fun(v: np.ndarray) -> tuple[float, np.ndarray]:
        f, g = _neg_ktilde_vg(jnp.asarray(v), dynamic, static, lam)
        f, g = float(f), np.asarray(g, dtype=np.float64)
        if not (math.isfinite(f) and np.all(np.isfinite(g))):
            return math.inf, np.zeros_like(g)
        return f, g

    v0 = np.concatenate([w0, y0 / max(np.linalg.norm(y0), 1e-300)])
    opt = optimize.minimize(
        fun, v0, jac=True, method="L-BFGS-B", bounds=bounds,
        options=dict(maxiter=POLISH_STEPS, ftol=1e-15, gtol=1e-12),
    )  # fmt: skip
    return reg.project(opt.x[None, :nu])[0]


# ----------------------------------------------------------------------------- the search


def _joined(a: PointCurvature, b: PointCurvature) -> PointCurvature:
    return PointCurvature(
        list(a.results) + list(b.results),
        np.concatenate([a.cond, b.cond]),
        np.concatenate([a.rank, b.rank]),
    )


def _int_option(name: str, value: Any, lo: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < lo:
        raise ValueError(f"{name}: expected an integer ≥ {lo}, got {value!r}")
    return int(value)


def _path_points(path: Any, nu: int) -> np.ndarray | None:
    if path is None:
        return None
    W = getattr(path, "w", path)
    W = _finite_vector("path", W)
    if W.ndim != 2 or W.shape[1] != nu:
        raise ValueError(f"path: expected a Path or weights of shape (N, {nu}), got {W.shape}")
    return W


@serial_blas  # the seeds' eigh/Cholesky and the climbs' solves: see `normal_curvature`
def max_curvature_over(
    problem: Any,
    lam: float,
    region: Any,
    *,
    n_seeds: int = 32,
    n_starts: int = 8,
    rounds: int = 4,
    rtol: float = 1e-3,
    path: Any = None,
    seed: int = 0,
) -> RegionCurvature:
    """k_max = max_{w ∈ region} k(w), a numerical **lower estimate**, and ρ = 1/k_max.

    `region`: a `Box`, a `Ball`, a `Samples`, an ``(n, 2)`` array of (lo, hi) per weight
    (always read as a box), or an ``(N, n)`` array of sample weights (searched within their
    bounding box). Cost polynomial in n and M (`homotopy.region_search`): per round,
    `n_seeds` scrambled Sobol seeds (a power of two) at every scale 2^e from the region's
    half-width down to 2⁻⁴ around its centre (the centre, the corners while 2^n ≤ 64 and the
    points of `path` in the region in round 0), k at all of them in one vmapped call, then
    one batched local ascent of ‖P_N ∂²φ[y, y]‖/(yᵀGy) in (w, y) from the `n_starts` best.
    A level where saturation leaves fewer than `n_starts` usable seeds draws more, up to 16 ×
    `n_seeds`; after round 0 a level whose best k is below 10⁻³ of the best level's draws
    `n_seeds`/4. At most `rounds` rounds, stopping once two rounds in a row raise k_max by
    less than `rtol`: every seed is new, so a stall is evidence, not proof, of the maximum.

    `path`: a `Path` or weights ``(N, n)``: its points in the region are seeds, so k_max is
    at least k at each of them. Seeds where the metric is numerically singular (saturated
    units) are skipped and counted in `RegionCurvature.n_saturated`, never a LinAlgError.

    **Raises:** `ValueError` naming `region`, `n_seeds`, `n_starts`, `rounds`, `rtol`, `path`
    or `seed`, or `problem` when φ_λ is not an immersion at any seed.
    """
    dynamic, static = split_problem(problem)
    m = manifold_of(problem)
    lam = check_lam(lam)
    n_seeds = _int_option("n_seeds", n_seeds, 1)
    if n_seeds & (n_seeds - 1):
        raise ValueError(f"n_seeds: expected a power of two (Sobol balance), got {n_seeds}")
    n_starts = _int_option("n_starts", n_starts, 0)
    rounds = _int_option("rounds", rounds, 1)
    seed = _int_option("seed", seed, 0)
    if isinstance(rtol, bool) or not (isinstance(rtol, int | float) and 0 <= rtol < 1):
        raise ValueError(f"rtol: expected a number in [0, 1), got {rtol!r}")
    reg = parse_region(m.n, region)
    nu = reg.n
    pts = _path_points(path, nu)
    lam_j = jnp.asarray(lam, dtype=jnp.float64)
    M = int(jax.eval_shape(lambda w: m.embedding(w, lam_j), jnp.zeros(nu)).shape[0])
    if M < nu:
        raise ValueError(
            f"problem: the embedding maps R^{nu} into R^{M}, M < n, so φ_λ is not an immersion"
        )

    best: MaxCurvature | None = None
    best_w = reg.center
    n_eval = n_seeds_used = n_local = n_sat = 0
    history: list[float] = []
    converged = False
    stalled = 0  # rounds in a row that raised k_max by less than rtol
    last_bad = None
    polished = None
    exps = reg.levels() if reg.kind != "samples" else []
    m_lvl = int(round(math.log2(n_seeds)))
    scores = np.full(len(exps), -np.inf)  # the best quick k seen at each level
    for rnd in range(rounds):
        sizes = level_sizes(scores, rnd, m_lvl)
        W, tags = seeds(reg, rnd, sizes, seed, pts)
        if W is None:
            converged = True
            break
        quick = curvatures_at(dynamic, static, W, lam, M=M, iters=QUICK, certify=False, pad=True)
        # a level short of usable seeds (saturation) runs its Sobol sequence on: one doubling
        # at a time, all such levels in one batch, up to OVERSAMPLE × n_seeds points
        m_now = list(sizes)
        while True:
            short = [
                j for j in range(len(exps))
                if (rnd == 0 or sizes[j] == m_lvl)
                and int((quick.usable & (tags == j)).sum()) < max(1, n_starts)
                and (1 << (m_now[j] + 1)) <= n_seeds * OVERSAMPLE
            ]  # fmt: skip
            if not short:
                break
            Wx = [level_points(reg, exps[j], rnd, seed, m_now[j] + 1, 1 << m_now[j]) for j in short]
            tx = [np.full(len(B), j) for j, B in zip(short, Wx, strict=True)]
            Wx, tx = np.concatenate(Wx), np.concatenate(tx)
            qx = curvatures_at(dynamic, static, Wx, lam, M=M, iters=QUICK, certify=False, pad=True)
            W, tags, quick = np.concatenate([W, Wx]), np.concatenate([tags, tx]), _joined(quick, qx)
            for j in short:
                m_now[j] += 1
        for j in range(len(exps)):
            at_j = quick.usable & (tags == j)
            if at_j.any():
                scores[j] = max(scores[j], float(np.max(quick.values[at_j])))
        n_seeds_used += len(W)
        n_eval += len(W)
        n_sat += int((~quick.usable).sum())
        if not quick.usable.all():
            last_bad = (W, quick)
        vals = np.where(quick.usable, quick.values, -np.inf)
        # the best structural seeds (centre, corners, path points) count at full strength
        fixed = np.flatnonzero((tags == -1) & quick.usable)
        fixed = fixed[np.argsort(-vals[fixed])[: max(1, n_starts)]]
        exact = (
            curvatures_at(dynamic, static, W[fixed], lam, M=M, iters=REGION, pad=True)
            if len(fixed)
            else None
        )
        cands: list[tuple[float, np.ndarray, MaxCurvature]] = []
        if exact is not None:
            for i, r in zip(fixed, exact.results, strict=True):
                if r is not None:
                    cands.append((r.value, W[i], r))
        order = [int(i) for i in np.argsort(-vals) if np.isfinite(vals[i])]
        for i in order[:n_starts]:
            cands.append((float(vals[i]), W[i], quick.results[i]))
        if not cands and best is None:
            continue
        # local ascent from the best of this round and the best point so far
        starts = sorted(cands, key=lambda c: -c[0])[:n_starts]
        if best is not None:
            starts = [(best.value, best_w, best)] + starts
        for k_val, w, r in cands:
            if best is None or k_val > best.value:
                best, best_w = r, w
        if n_starts and best is not None and best.value > 0.0:
            size = n_starts + 1
            V0 = np.stack([np.concatenate([w, r.direction]) for _, w, r in starts])
            V0 = np.concatenate([V0, np.repeat(V0[-1:], size - len(V0), 0)])[:size]
            Vend, _, _ = _climb_jit(
                dynamic, static, lam_j, jnp.asarray(V0), jnp.asarray(reg.lo),
                jnp.asarray(reg.hi), jnp.asarray(reg.center), float(reg.half.max()),
                reg.kind == "ball", CLIMB_STEPS,
            )  # fmt: skip
            Wend = reg.project(np.asarray(Vend)[: len(starts), :nu])
            n_local += len(starts)
            ends = curvatures_at(dynamic, static, Wend, lam, M=M, iters=REGION, pad=True)
            n_eval += len(Wend)
            for w, r in zip(Wend, ends.results, strict=True):
                if r is not None and r.value > best.value:
                    best, best_w = r, w
        if (
            best is not None
            and best.value > 0.0
            and best_w is not polished
            and not _cond_at(dynamic, static, lam_j, np.asarray(best_w)) >= EDGE_COND
        ):
            # L-BFGS-B from the round's best: what the batched ascent left to climb. Not on
            # the edge of the usable metrics: its line searches stop at the first step that
            # leaves them (on digits it never raised k there, 0.2 s a round)
            w_pol = _polish(dynamic, static, lam_j, reg, np.asarray(best_w), best.direction)
            pol = curvatures_at(dynamic, static, w_pol[None], lam, M=M, iters=REGION, pad=True)
            n_eval += 1
            polished = best_w
            if pol.results[0] is not None and pol.results[0].value > best.value:
                best, best_w = pol.results[0], w_pol
                polished = best_w
        k_now = -math.inf if best is None else best.value
        stalled = stalled + 1 if history and k_now <= history[-1] * (1.0 + rtol) else 0
        history.append(k_now)
        if stalled >= PATIENCE:
            converged = True
            break
    if best is None:
        W, quick = last_bad
        i = int(np.argmax(quick.cond)) if np.isfinite(quick.cond).any() else 0
        raise ValueError(
            f"problem: φ_λ is not an immersion at any of the {n_seeds_used} region seeds "
            f"(e.g. w = {W[i].tolist()}: rank J = {int(quick.rank[i])} < n = {nu} "
            "numerically, G = JᵀJ singular in float64; for a network, rank X̃ < s or units "
            "saturated everywhere in the region)"
        )
    final = curvatures_at(dynamic, static, np.asarray(best_w)[None], lam, M=M, pad=True)
    if final.results[0] is not None and final.results[0].value >= best.value:
        best = final.results[0]
    cond = float(final.cond[0])
    at_limit = bool(n_sat > 0 and cond >= EDGE_COND)
    k = best.value
    levels = tuple(2.0**e for e in reg.levels())
    msg = (
        f"numerical lower estimate of the maximum curvature over the region: k_max = {k:.6g} "
        f"from {n_seeds_used} seeds at {max(1, len(levels))} scale(s) and {n_local} local "
        f"searches in {len(history)} round(s) ("
        + ("every sample evaluated" if reg.kind == "samples" else
           f"converged: the last {PATIENCE} rounds raised k_max by < rtol, evidence but no proof "
           "that it is the maximum" if converged else
           f"not converged: the round budget ran out before {PATIENCE} rounds in a row raised "
           "k_max by < rtol")
        + "); ρ = 1/k_max may be too large, curvature_bound.curvature_upper_bound proves a bound"
    )  # fmt: skip
    if n_sat:
        msg += (
            f"; {n_sat} seeds skipped where G = JᵀJ is numerically singular (saturated units): "
            "k is unknown there"
        )
    if at_limit:
        msg += (
            f"; k_max lies at the edge of that part (cond G = {cond:.2g}, the limit "
            f"{METRIC_COND_MAX:.0e}), where k typically still rises: the true maximum is "
            "likely larger"
        )
    return RegionCurvature(
        k, np.asarray(best_w), math.inf if k == 0.0 else 1.0 / k, best, n_eval,
        n_seeds_used, n_local, n_sat, levels, tuple(history), converged, cond, at_limit, msg,
    )  # fmt: skip
