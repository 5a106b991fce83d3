r"""k(w): the maximum normal curvature of the data manifold at a point, at any size.

$k(w) = \max_{\|n\|=1,\ n\perp T_zZ}\ \max_v |v^TII_n v| / v^TGv
= \max_{y} \|P_N\,\partial^2\phi[y, y]\| / y^TGy$, with $P_N = I - JG^{-1}J^T$ the projector
onto the normal space (DESIGN.md §2). Three kernels, chosen by the codimension q = M − n and n:

- q ≤ 3 (**dense**, exact): an orthonormal normal basis N ``(M, q)`` and the whitened
  ``B_k = Lc⁻¹ II_{n_k} Lc⁻ᵀ``: an eigenproblem (q = 1), the quartic (n = 2), else ascent
  certified by a simplicial cover of the normal sphere.
- n ≤ 2 (**compressed**, exact): the t = n(n+1)/2 vectors $P_N\partial^2\phi[e_a, e_b]$ (whitened
  $e_a$) span every $P_N\partial^2\phi[y, y]$, so an orthonormal basis of their span is a normal
  basis of at most 3 vectors that carries all of k: the dense kernel on it, with no M × M matrix.
- otherwise (**normal-space ascent**): multi-start shifted power iteration (SS-HOPM, Kolda &
  Mayo 2011) on the quartic $F(x) = \|P_N\partial^2\phi[R^{-T}x, R^{-T}x]\|^2$ on the unit sphere,
  $G = RR^T$, $P_N h = h - JG^{-1}J^Th$ by the embedding's JVP and its transpose (for a network,
  products with the design matrix, shared by every point of a batch): each step costs one
  $\partial^2\phi[y, y]$ and its reverse pass, one JVP and one VJP, O(M·n), for all starts at
  once (they are the columns of one block), so no normal basis and no M × M matrix is ever
  formed, only n × n factorizations (and $Q = JR^{-T}$ for the leverages
  $h = \mathrm{diag}\,QQ^T$). Starts: G's weakest eigenvectors, fixed
  random directions and, on a ridge manifold (`homotopy.manifold`: a single-layer network),
  the *needles* y = G⁻¹J_mᵀ of the coordinates with the largest |ρ_m|√h_m (ρ = f''/f'², h the
  leverages), which put on one coordinate all the tangent mass u_m² = h_m a unit tangent
  vector can carry: where k is a needle (one pattern near saturation but alone in its
  direction) they start on it. After `SCREEN` steps only the `KEEP` best starts go on.
  Every value it reports is attained (a lower bound on k). On a ridge manifold
  ``upper_bound`` is the leverage bound of `homotopy.curvature_bound` at the point,
  $k \le \min(KS(\rho^2h; h)^{1/2}, KS(|\rho|(1-h)^{1/2}; h))$ (fractional knapsacks), computed
  in floating point with the leverages widened by 8·n·ε·cond G for rounding: one more
  M × n product. Otherwise ``upper_bound = inf``.

Saturation: where the metric is numerically singular (cond G > `METRIC_COND_MAX`, e.g. units
saturated at λ = 1) k cannot be computed in float64; `curvatures_at` reports such points as
``None`` instead of raising a LinAlgError, and `geometry.max_curvature` refuses them with a
`ValueError` naming the problem.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl
import numpy as np

from ._linalg import serial_blas
from .correctors import COMPILER_OPTIONS
from .manifold import Manifold, manifold_of
from .protocol import Static, join_problem


Array = jax.Array

__all__ = ["CERT_RTOL", "METRIC_COND_MAX", "MaxCurvature", "curvatures_at"]

CERT_RTOL = 1e-9  # relative gap at which a max-curvature upper bound counts as a certificate
# cond(G) = cond(J)² beyond which a Cholesky-whitened curvature has no correct digit left
METRIC_COND_MAX = 1e13
STARTS = 4  # random start directions of the normal-space ascent (the same at every point)
EIGEN_STARTS = 4  # ... and G's weakest eigenvectors
SCREEN = 10  # its steps before only the KEEP best starts go on
KEEP = 4
NEEDLES = 4  # ... and, on a ridge manifold, the needles of the coordinates with the largest |ρ|√h
FULL = 100  # its iterations for a reported k(w) (it stops early once converged)
REGION = 30  # ... for the points a region search compares
QUICK = 3  # ... for ranking region seeds (any value found is still attained)


@dataclass(frozen=True)
class MaxCurvature:
    """k = max over unit normals n ⟂ T_zZ of max |κ(II_n, G)|, with a maximizer.

    - `value`: k ≥ 0.
    - `normal`: a unit normal n* attaining it, signed so that the curvature is +k (the
      manifold bends towards n*); empty when there is no normal space.
    - `direction`: the weight-space direction v* (``v*ᵀGv* = 1``) with ``II_{n*}(v*, v*) = k``.
    - `upper_bound`: a proven upper bound on k (equal to `value` for the closed forms).
    - `certified`: whether ``upper_bound ≤ value·(1 + 1e-9)`` (k is then proven to that
      accuracy; the closed forms are exact up to rounding).
    - `method`: ``"flat"`` (no normals / zero II), ``"eigen"`` (codimension 1),
      ``"closed-form"`` (n = 1), ``"quartic"`` (n = 2, all critical points enumerated) or
      ``"ascent"`` (multi-start alternating ascent, n ≥ 3, codimension 2 or 3, certified by a
      cover of the normal sphere) or ``"normal-space"`` (n ≥ 3, codimension ≥ 4: the
      normal-space ascent, a lower estimate; ``upper_bound`` the leverage bound on a ridge
      manifold, else ``inf``).
    """

    value: float
    normal: np.ndarray
    direction: np.ndarray
    upper_bound: float
    certified: bool
    method: str


# ----------------------------------------------------------------------------- dense core


def _rho(C: np.ndarray, Bs: np.ndarray) -> np.ndarray:
    """Spectral radius ‖Σ_k c_k B_k‖₂ for each row c of C."""
    return np.abs(np.linalg.eigvalsh(np.tensordot(C, Bs, axes=1))).max(axis=-1)


def _qvec(Bs: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.einsum("kab,a,b->k", Bs, x, x)


def _ascent(Bs: np.ndarray, x: np.ndarray, iters: int = 2000) -> tuple[float, np.ndarray]:
    """Alternating ascent of f(c, x) = xᵀB(c)x: c = q(x)/‖q(x)‖, x = top eigvec of B(c)."""
    x = x / np.linalg.norm(x)
    val = float(np.linalg.norm(_qvec(Bs, x)))
    for _ in range(iters):
        qv = _qvec(Bs, x)
        nq = np.linalg.norm(qv)
        if nq == 0.0:
            break
        _, V = np.linalg.eigh(np.tensordot(qv / nq, Bs, axes=1))
        x_new = V[:, -1]
        new = float(np.linalg.norm(_qvec(Bs, x_new)))
        if new <= val * (1.0 + 1e-16):
            if new >= val:
                x, val = x_new, new
            break
        x, val = x_new, new
    return val, x


def _quartic_s2(Bs: np.ndarray) -> np.ndarray:
    """The unit x ∈ R² maximizing ‖q(x)‖, q_k = xᵀB_kx, from all critical points of a quartic.

    With x = (cos θ, sin θ), φ = 2θ: q(φ) = a + b cos φ + d sin φ, so F = ‖q‖² is a
    trigonometric polynomial of degree 2 whose critical points are the unit-circle roots of
    z²F'(φ) (z = e^{iφ}), a quartic.
    """
    big = np.abs(Bs).max()
    if big > 0:  # the maximizer is scale-free; tiny (subnormal) curvatures would overflow
        Bs = Bs / big
    a = 0.5 * (Bs[:, 0, 0] + Bs[:, 1, 1])
    b = 0.5 * (Bs[:, 0, 0] - Bs[:, 1, 1])
    d = Bs[:, 0, 1]
    A0 = a @ a + 0.5 * (b @ b + d @ d)
    A1, S1 = 2.0 * (a @ b), 2.0 * (a @ d)
    A2, S2 = 0.5 * (b @ b - d @ d), b @ d

    def F(p):
        return A0 + A1 * np.cos(p) + S1 * np.sin(p) + A2 * np.cos(2 * p) + S2 * np.sin(2 * p)

    def dF(p):
        return -A1 * np.sin(p) + S1 * np.cos(p) - 2 * A2 * np.sin(2 * p) + 2 * S2 * np.cos(2 * p)

    def d2F(p):
        return -A1 * np.cos(p) - S1 * np.sin(p) - 4 * A2 * np.cos(2 * p) - 4 * S2 * np.sin(2 * p)

    # F' = c1 cos φ + s1 sin φ + c2 cos 2φ + s2 sin 2φ; p_k = (c_k − i s_k)/2 is the z^k coefficient
    p1 = 0.5 * (S1 + 1j * A1)
    p2 = 0.5 * (2 * S2 + 2j * A2)
    coeffs = np.array([p2, p1, 0.0, np.conj(p1), np.conj(p2)])
    scale = np.abs(coeffs).max()
    cand = [np.linspace(-np.pi, np.pi, 16, endpoint=False)]
    if scale > 0:
        cand.append(np.angle(np.roots(coeffs / scale)))
    phi = np.concatenate(cand)
    for _ in range(4):  # Newton polish on F' = 0, kept only where F does not decrease
        h2 = d2F(phi)
        safe = np.where(h2 < 0, h2, -1.0)
        step = np.where(h2 < 0, -dF(phi) / safe, 0.0)
        trial = phi + step
        phi = np.where(F(trial) >= F(phi), trial, phi)
    best = phi[np.argmax(F(phi))]
    return np.array([np.cos(best / 2), np.sin(best / 2)])


def _sphere_triangles(levels: int) -> np.ndarray:
    """Icosahedron subdivided `levels` times, vertices on the unit sphere, shape (T, 3, 3)."""
    t = (1 + math.sqrt(5)) / 2
    V = np.array(
        [[-1, t, 0], [1, t, 0], [-1, -t, 0], [1, -t, 0], [0, -1, t], [0, 1, t],
         [0, -1, -t], [0, 1, -t], [t, 0, -1], [t, 0, 1], [-t, 0, -1], [-t, 0, 1]],
        dtype=float,
    )  # fmt: skip
    V /= np.linalg.norm(V, axis=1, keepdims=True)
    F = [
        (0, 11, 5), (0, 5, 1), (0, 1, 7), (0, 7, 10), (0, 10, 11), (1, 5, 9), (5, 11, 4),
        (11, 10, 2), (10, 7, 6), (7, 1, 8), (3, 9, 4), (3, 4, 2), (3, 2, 6), (3, 6, 8),
        (3, 8, 9), (4, 9, 5), (2, 4, 11), (6, 2, 10), (8, 6, 7), (9, 8, 1),
    ]  # fmt: skip
    T = V[np.array(F)]
    for _ in range(levels):
        T = _split_triangles(T)
    return T


def _split_triangles(T: np.ndarray) -> np.ndarray:
    def mid(a, b):
        m = a + b
        return m / np.linalg.norm(m, axis=-1, keepdims=True)

    v0, v1, v2 = T[:, 0], T[:, 1], T[:, 2]
    m01, m12, m20 = mid(v0, v1), mid(v1, v2), mid(v2, v0)
    return np.concatenate(
        [
            np.stack([v0, m01, m20], 1),
            np.stack([m01, v1, m12], 1),
            np.stack([m20, m12, v2], 1),
            np.stack([m01, m12, m20], 1),
        ]
    )


def _certify(
    Bs: np.ndarray, best: float, max_evals: int = 400_000
) -> tuple[float, float, np.ndarray]:
    """Upper bound on k = max_{unit c} ρ(c), ρ(c) = ‖Σ c_k B_k‖₂, for q = 2 or 3 normals.

    ρ is a seminorm (convex, positively homogeneous). A unit c in the cone over a simplex
    (arc or spherical triangle) with unit vertices c_i is c = p/‖p‖, p in the flat simplex,
    so ρ(c) ≤ max_i ρ(c_i) / h, h the distance of the simplex's plane from 0. Simplices whose
    bound exceeds the best value by more than CERT_RTOL are split until none is left (or the
    evaluation budget runs out). Returns (upper bound, best sampled ρ, its c).
    """
    q = Bs.shape[0]
    evals = 0
    retired = 0.0
    if q == 2:
        th = np.linspace(0.0, np.pi, 257)  # ρ(−c) = ρ(c): half the circle suffices
        C = np.stack([np.cos(th), np.sin(th)], 1)
        r = _rho(C, Bs)
        evals += r.size
        i = int(np.argmax(r))
        best_val, best_c = max(best, float(r[i])), C[i]
        lo, hi, rlo, rhi = th[:-1], th[1:], r[:-1], r[1:]
        while lo.size:
            bound = np.maximum(rlo, rhi) / np.cos(0.5 * (hi - lo))
            active = bound > best_val * (1.0 + CERT_RTOL)
            if (~active).any():
                retired = max(retired, float(bound[~active].max()))
            lo, hi, rlo, rhi = lo[active], hi[active], rlo[active], rhi[active]
            if not lo.size:
                break
            if evals + lo.size > max_evals:
                return max(retired, float(bound[active].max())), best_val, best_c
            mid = 0.5 * (lo + hi)
            Cm = np.stack([np.cos(mid), np.sin(mid)], 1)
            rm = _rho(Cm, Bs)
            evals += rm.size
            j = int(np.argmax(rm))
            if rm[j] > best_val:
                best_val, best_c = float(rm[j]), Cm[j]
            lo, hi = np.concatenate([lo, mid]), np.concatenate([mid, hi])
            rlo, rhi = np.concatenate([rlo, rm]), np.concatenate([rm, rhi])
        return max(retired, best_val), best_val, best_c
    # q == 3: spherical triangles
    T = _sphere_triangles(2)
    R = _rho(T.reshape(-1, 3), Bs).reshape(-1, 3)
    evals += R.size
    i = int(np.argmax(R))
    best_val, best_c = max(best, float(R.flat[i])), T.reshape(-1, 3)[i]
    while T.shape[0]:
        nrm = np.cross(T[:, 1] - T[:, 0], T[:, 2] - T[:, 0])
        nrm /= np.linalg.norm(nrm, axis=1, keepdims=True)
        h = np.abs(np.einsum("ti,ti->t", nrm, T[:, 0]))
        bound = R.max(axis=1) / h
        active = bound > best_val * (1.0 + CERT_RTOL)
        if (~active).any():
            retired = max(retired, float(bound[~active].max()))
        T, R = T[active], R[active]
        if not T.shape[0]:
            break
        if evals + 12 * T.shape[0] > max_evals:
            return max(retired, float(bound[active].max())), best_val, best_c
        T = _split_triangles(T)
        R = _rho(T.reshape(-1, 3), Bs).reshape(-1, 3)
        evals += R.size
        j = int(np.argmax(R))
        if R.flat[j] > best_val:
            best_val, best_c = float(R.flat[j]), T.reshape(-1, 3)[j]
    return max(retired, best_val), best_val, best_c


def _max_curvature_core(
    G: np.ndarray, IIs: np.ndarray, N: np.ndarray, *, certify: bool = True, seed: int = 0
) -> MaxCurvature:
    """k = max_{unit x} ‖(xᵀB_k x)_k‖ = max_{unit c} ‖Σ c_k B_k‖₂, B_k = Lc⁻¹II_kLc⁻ᵀ."""
    G = np.asarray(G, dtype=np.float64)
    IIs = np.asarray(IIs, dtype=np.float64)
    N = np.asarray(N, dtype=np.float64)
    n = G.shape[0]
    q = IIs.shape[0]
    Lc = np.linalg.cholesky(G)
    Li = np.linalg.solve(Lc, np.eye(n))
    Bs = np.einsum("ab,kbc,dc->kad", Li, IIs, Li)
    Bs = 0.5 * (Bs + np.transpose(Bs, (0, 2, 1)))

    def result(x: np.ndarray, upper: float | None, certified: bool, method: str) -> MaxCurvature:
        qv = _qvec(Bs, x)
        val = float(np.linalg.norm(qv))
        direction = Li.T @ x
        if val == 0.0:
            normal = N[:, 0] if q else np.zeros(N.shape[0])
            return MaxCurvature(0.0, normal, direction, 0.0, True, "flat")
        c = qv / val
        ub = val if upper is None else max(upper, val)
        return MaxCurvature(val, N @ c, direction, ub, certified, method)

    if q == 0 or not np.any(Bs):
        x = np.zeros(n)
        x[0] = 1.0
        return result(x, 0.0, True, "flat")
    if q == 1:
        ev, V = np.linalg.eigh(Bs[0])
        i = int(np.argmax(np.abs(ev)))
        return result(V[:, i], None, True, "eigen")
    if n == 1:
        return result(np.ones(1), None, True, "closed-form")
    if n == 2:
        x = _quartic_s2(Bs)
        return result(x, None, True, "quartic")
    # n ≥ 3, q ≥ 2: multi-start alternating ascent; seeds from eigenvectors and normals
    rng = np.random.default_rng(seed)
    seeds = []
    for k in range(q):
        ev, V = np.linalg.eigh(Bs[k])
        seeds.append(V[:, int(np.argmax(np.abs(ev)))])
    C = rng.standard_normal((64, q))
    C /= np.linalg.norm(C, axis=1, keepdims=True)
    upper, cbest = None, None
    if certify and q <= 3:
        upper, _, cbest = _certify(Bs, 0.0)
        C = np.concatenate([cbest[None], C])
    evs, Vs = np.linalg.eigh(np.tensordot(C, Bs, axes=1))
    top = np.where(np.abs(evs[:, 0]) > np.abs(evs[:, -1]), 0, n - 1)
    seeds.extend(Vs[np.arange(len(C)), :, top])
    seeds.extend(rng.standard_normal((16, n)))
    seeds = np.array(seeds)
    seeds /= np.linalg.norm(seeds, axis=1, keepdims=True)
    start_vals = np.linalg.norm(np.einsum("kab,ta,tb->tk", Bs, seeds, seeds), axis=1)
    order = np.argsort(-start_vals)[:16]
    best_val, best_x = -1.0, seeds[order[0]]
    for i in order:
        val, x = _ascent(Bs, seeds[i])
        if val > best_val:
            best_val, best_x = val, x
    if upper is None:
        # not certified: k ≤ sqrt(Σ_k ‖B_k‖₂²) by Cauchy–Schwarz
        crude = float(np.sqrt(sum(np.abs(np.linalg.eigvalsh(B)).max() ** 2 for B in Bs)))
        return result(best_x, crude, crude <= best_val * (1 + CERT_RTOL), "ascent")
    return result(best_x, upper, upper <= best_val * (1.0 + CERT_RTOL), "ascent")


# ----------------------------------------------------------------------------- JAX kernels


def _manifold(dynamic: Any, static: Static | None) -> Manifold:
    return manifold_of(join_problem(dynamic, static))


def normal_space(J: Array) -> Array:
    """Orthonormal N (M, M − n) with NᵀJ = 0 and det[J | N] > 0 (last column's sign)."""
    M, n = J.shape
    if M == n:
        return jnp.zeros((M, 0), J.dtype)
    Q, _ = jnp.linalg.qr(J, mode="complete")
    N = Q[:, n:]
    sign, _ = jnp.linalg.slogdet(jnp.concatenate([J, N], axis=1))
    return N.at[:, -1].multiply(jnp.where(sign < 0, -1.0, 1.0))


def _metric(J: Array) -> tuple[Array, Array, Array, Array, Array, Array]:
    """(G = JᵀJ, its Cholesky factor R (identity where unusable), usable, cond G, the
    numerical rank of J at the `METRIC_COND_MAX` threshold, G's eigenvectors ascending)."""
    n = J.shape[1]
    G = J.T @ J
    finite = jnp.all(jnp.isfinite(G))
    ev, V = jnp.linalg.eigh(jnp.where(finite, G, jnp.eye(n)))
    ok = finite & (ev[-1] > 0) & (ev[0] * METRIC_COND_MAX > ev[-1])
    cond = jnp.where(finite & (ev[0] > 0), ev[-1] / jnp.where(ev[0] > 0, ev[0], 1.0), jnp.inf)
    rank = jnp.where(finite, jnp.sum(ev * METRIC_COND_MAX > ev[-1]), 0)
    R = jnp.linalg.cholesky(jnp.where(ok, G, jnp.eye(n)))
    return G, R, ok, cond, rank, V


def _projector(J: Array, R: Array):
    return lambda h: h - J @ jsl.cho_solve((R, True), J.T @ h)


def _dense(dynamic: Any, static: Static | None, w: Array, lam: Array):
    """Small codimension: (G, II_{n_k} for an orthonormal normal basis N, N, usable, cond)."""
    m = _manifold(dynamic, static)
    J = m.embedding_jacobian(w, lam)
    G, _, ok, cond, rank, _ = _metric(J)
    N = normal_space(J)
    IIs = jax.vmap(lambda nk: m.second_fundamental_form(w, lam, nk), in_axes=1)(N)
    return G, IIs, N, ok, cond, rank


def _compressed(dynamic: Any, static: Static | None, w: Array, lam: Array):
    """n ≤ 2: (P_N ∂²φ[y_a, y_b] for a ≤ b, y_a = R⁻ᵀe_a as columns, Y = R⁻ᵀ, usable, cond)."""
    m = _manifold(dynamic, static)
    J = m.embedding_jacobian(w, lam)
    n = J.shape[1]
    _, R, ok, cond, rank, _ = _metric(J)
    Y = jsl.solve_triangular(R.T, jnp.eye(n), lower=False)

    def h(y: Array) -> Array:
        return m.embedding_second_derivative(w, lam, y)

    diag = [h(Y[:, a]) for a in range(n)]
    cols = []
    for a in range(n):
        for b in range(a, n):
            # polarization: ∂²φ[y_a, y_b] from the quadratic form y ↦ ∂²φ[y, y]
            cols.append(diag[a] if a == b else 0.5 * (h(Y[:, a] + Y[:, b]) - diag[a] - diag[b]))
    P = jax.vmap(_projector(J, R), in_axes=1, out_axes=1)(jnp.stack(cols, axis=1))
    return P, Y, ok, cond, rank


def _knapsack(v: Array, c: Array) -> Array:
    """An upper bound on max {Σ v b : 0 ≤ b ≤ c, Σ b ≤ 1} (v, c ≥ 0): f(t) = t + Σ c (v − t)₊,
    valid for every t ≥ 0 (LP duality) and least at the greedy break value, which bisection on
    t (the capacity Σ_{v > t} c against 1) brackets; no sort of the M entries."""
    v = jnp.where(c > 0, v, 0.0)

    def f(t):
        return t + jnp.sum(c * jnp.maximum(v - t, 0.0))

    def body(_, lohi):
        lo, hi = lohi
        mid = 0.5 * (lo + hi)
        full = jnp.sum(jnp.where(v > mid, c, 0.0)) >= 1.0
        return jnp.where(full, mid, lo), jnp.where(full, hi, mid)

    lo, hi = jax.lax.fori_loop(0, 64, body, (jnp.zeros((), v.dtype), jnp.max(v)))
    return jnp.minimum(jnp.minimum(f(lo), f(hi)), f(jnp.zeros((), v.dtype)))


def _rho_root(d1: Array, d2: Array, h: Array) -> Array:
    """|ρ|√h per coordinate, ρ = f''/f'², as |f''|·(√h/|f'|)/|f'|: finite where f' is tiny but
    not 0 (saturated rows); a row with f' = 0 (so h = 0) gets 0 and takes no part."""
    a1 = jnp.abs(d1)
    safe = jnp.where(a1 > 0, a1, 1.0)
    return jnp.where((a1 > 0) & (h > 0), jnp.abs(d2) * (jnp.sqrt(h) / safe) / safe, 0.0)


def _leverage_bound(d1: Array, d2: Array, lev: Array, cond: Array, n: int) -> Array:
    """k(w) ≤ min(KS(ρ²h; h)^{1/2}, KS(|ρ|(1 − h)^{1/2}; h)) for ridge coordinates, ρ = f''/f'²
    and h the leverages (`homotopy.curvature_bound`'s pointwise bound, in floating point).

    With u = Jy/‖Jy‖ a unit tangent vector, ∂²φ[y, y]/yᵀGy = ρ∘u² and u_m² ≤ h_m, Σ u_m² = 1.
    The computed leverages carry a relative error up to ~n·ε·cond G (Cholesky's backward
    error), so they are widened by 8·n·ε·cond G before they enter the knapsacks."""
    eps = jnp.finfo(lev.dtype).eps
    widen = 1.0 + 8.0 * n * eps * jnp.minimum(cond, 1.0 / eps)
    h = jnp.minimum(lev * widen, 1.0)
    root = jnp.sqrt(h)
    rho_root = _rho_root(d1, d2, h)
    b1 = jnp.sqrt(_knapsack(rho_root * rho_root, h))
    rho = jnp.where(h > 0, rho_root / jnp.where(h > 0, root, 1.0), 0.0)
    b2 = _knapsack(rho * jnp.sqrt(jnp.maximum(1.0 - lev / widen, 0.0)), h)
    return jnp.minimum(b1, b2) * (1.0 + 64.0 * eps)


def _normal_ascent(
    dynamic: Any, static: Static | None, w: Array, lam: Array, X0: Array, iters: Array
):
    """Normal-space SS-HOPM from the rows of X0 (and G's weakest eigenvectors, and the needle
    starts of a ridge manifold), all in lock step: (k, y with yᵀGy = 1, unit normal, usable,
    cond, rank, iterations, upper bound).

    F(x) = ‖P_N ∂²φ[R⁻ᵀx, R⁻ᵀx]‖², G = RRᵀ, P_N h = h − JG⁻¹Jᵀh = h − QQᵀh (Q = JR⁻ᵀ has
    orthonormal columns spanning T). Its gradient is ∇F = 4R⁻¹II_p y (p = P_N∂²φ[y, y],
    y = R⁻ᵀx): one reverse pass of ∂²φ[y, y] at fixed p, since p ⟂ T. x ← (∇F/4 + αFx)/‖·‖
    climbs F; α grows at a start whenever a step would not. The starts form the columns of one
    block, so every pass over the M × n data serves all of them (matrix products, not
    matrix-vector ones)."""
    m = _manifold(dynamic, static)
    J = m.embedding_jacobian(w, lam)
    n = J.shape[1]
    _, R, ok, cond, rank, V = _metric(J)
    # R⁻¹ once (n³), then Q = JR⁻ᵀ as one matrix product: a triangular solve with M
    # right-hand sides is several times slower on XLA:CPU than the product
    Ri = jsl.solve_triangular(R, jnp.eye(n, dtype=J.dtype), lower=True)
    Q = J @ Ri.T
    lev = jnp.sum(Q * Q, axis=1)

    def d2(y: Array) -> Array:
        return m.embedding_second_derivative(w, lam, y)

    # P_N h = h − J G⁻¹Jᵀh through the embedding's linearization, not through Q or J: for a
    # network its JVP and transpose are products with the (shared) design matrix, which under
    # vmap over points is one matrix product instead of one per point (on digits, 16 points:
    # 3 ascent steps 58 → 39 ms, 30 steps 251 → 102 ms)
    try:
        _, jvp = jax.linearize(lambda v: m.embedding(v, lam), w)
        vjp = jax.linear_transpose(jvp, w)

        def project(h: Array) -> Array:
            return h - jvp(jsl.cho_solve((R, True), vjp(h)[0]))
    except Exception:  # noqa: BLE001 - an embedding JAX cannot differentiate: its own J

        def project(h: Array) -> Array:
            return h - Q @ (h @ Q)  # h @ Q, not Q.T @ h: XLA:CPU would copy Qᵀ first

    def value(x: Array) -> tuple[Array, Array, Array]:
        y = Ri.T @ x
        h = d2(y)
        p = project(h)
        return p @ p, p, y

    def value_and_grad(x: Array) -> tuple[Array, Array]:
        f, p, y = value(x)
        _, back = jax.vjp(d2, y)
        return f, 2.0 * (Ri @ back(p)[0])

    vg = jax.vmap(value_and_grad)

    # where G is nearly singular (units near saturation) k is largest along G's weakest
    # directions y = v_min (x = Rᵀy whitened); on a ridge manifold k is largest where one
    # coordinate with a large |ρ|√h dominates: its needle y = G⁻¹J_mᵀ (x = Q_m, a row) puts
    # all the tangent mass u_m² = h_m on it that a unit tangent vector can carry
    starts = [(R.T @ V[:, : min(EIGEN_STARTS, n)]).T, X0]
    upper = jnp.asarray(jnp.inf)
    if m.ridge_derivatives is not None:
        f1, f2 = m.ridge_derivatives(w, lam)
        upper = _leverage_bound(f1, f2, lev, cond, n)
        score = _rho_root(f1, f2, lev)
        top = []
        for _ in range(min(NEEDLES, score.shape[0])):  # argmax passes: cheaper than top_k's sort
            top.append(jnp.argmax(score))
            score = score.at[top[-1]].set(-1.0)
        starts.append(Q[jnp.stack(top)])
    X = jnp.concatenate(starts)
    X = X / jnp.linalg.norm(X, axis=1, keepdims=True)
    f0, P0, Y0 = jax.vmap(value)(X)

    def climb(st, until):
        def more(st):
            return (~jnp.all(st[5])) & (st[4] < until)

        def step(st):
            X, f, g, alpha, it, done = st
            S = 0.25 * g + (alpha * f)[:, None] * X
            ns = jnp.linalg.norm(S, axis=1, keepdims=True)
            X_new = jnp.where(ns > 0, S / jnp.where(ns > 0, ns, 1.0), X)
            f_new, g_new = vg(X_new)
            better = (f_new >= f) & ~done
            fine = better & (f_new - f <= 1e-13 * f_new)
            done = done | fine | (f_new == 0) | (alpha > 1e8) | ~jnp.isfinite(f_new)
            X = jnp.where(better[:, None], X_new, X)
            g = jnp.where(better[:, None], g_new, g)
            alpha = jnp.where(better | done, alpha, jnp.maximum(4.0 * alpha, 1.0))
            return X, jnp.where(better, f_new, f), g, alpha, it + 1, done

        return jax.lax.while_loop(more, step, st)

    def ascend(X: Array) -> tuple[Array, Array, Array, Array]:
        # an unusable metric (`ok` false) has no k to climb: its starts are done at once, so
        # a batch of mostly saturated region seeds costs no iterations
        done0 = ~ok | ~jnp.isfinite(f0) | (f0 == 0)
        st = (X, f0, vg(X)[1], jnp.zeros(X.shape[0]), jnp.zeros((), jnp.int32), done0)
        # successive halving: every start climbs for SCREEN steps, then only the KEEP best go
        # on, so the long tail of the linear convergence costs passes with KEEP columns, not K
        st = climb(st, jnp.minimum(iters, SCREEN))
        keep = jnp.argsort(-jnp.where(jnp.isfinite(st[1]), st[1], -1.0))[:KEEP]
        st = climb(tuple(a[keep] for a in st[:4]) + st[4:5] + (st[5][keep],), iters)
        i = jnp.argmax(jnp.where(jnp.isfinite(st[1]), st[1], -1.0))
        f, p, y = value(st[0][i])
        return f, p, y, st[4]

    def starts_only(X: Array) -> tuple[Array, Array, Array, Array]:
        i = jnp.argmax(jnp.where(jnp.isfinite(f0), f0, -1.0))
        return f0[i], P0[i], Y0[i], jnp.zeros((), jnp.int32)

    # `iters` is not batched, so under vmap this stays a branch: max_iter = 0 (the bracket)
    # evaluates the starts once, without their gradients
    f, p, y, its = jax.lax.cond(iters > 0, ascend, starts_only, X)
    k = jnp.sqrt(f)
    normal = p / jnp.where(k > 0, k, 1.0)
    return k, y, normal, ok, cond, rank, its, jnp.maximum(upper, k)


# compiled with the tracker's options (no expensive LLVM passes): the kernels' time is in
# library products and factorizations, which those passes do not touch (the same k bit for
# bit; on digits the ascent compiles in 1.03 s instead of 1.49–1.65 s)
def _batched(fn, n_shared: int = 1):
    """fn(dynamic, static, w, *shared) vmapped over the rows of W, the `n_shared` arguments
    after it the same for every row."""
    return jax.jit(
        jax.vmap(fn, in_axes=(None, None, 0) + (None,) * n_shared),
        static_argnums=1,
        compiler_options=COMPILER_OPTIONS,
    )


def _usable(dynamic: Any, static: Static | None, w: Array, lam: Array):
    """(usable, cond G, numerical rank of J) at w: the kernels' metric test alone."""
    _, _, ok, cond, rank, _ = _metric(_manifold(dynamic, static).embedding_jacobian(w, lam))
    return ok, cond, rank


_usable_jit = _batched(_usable)
_dense_jit = _batched(_dense)
_compressed_jit = _batched(_compressed)
_normal_ascent_jit = _batched(_normal_ascent, 3)


@functools.lru_cache(maxsize=64)
def _starts(n: int, k: int) -> np.ndarray:
    """Deterministic start directions (k, n) for the ascent: the same at every point, so a
    region search and `geometry.max_curvature` agree at the same w."""
    X = np.random.default_rng(n).standard_normal((k, n))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


# ----------------------------------------------------------------------------- host side


def _from_compressed(P: np.ndarray, Y: np.ndarray, certify: bool) -> MaxCurvature:
    """The dense kernel on the ≤ 3 normals spanned by P = [P_N ∂²φ[y_a, y_b]]_{a ≤ b}."""
    n = Y.shape[0]
    S = P.T @ P
    lam_s, Q = np.linalg.eigh(0.5 * (S + S.T))
    keep = lam_s > 1e-28 * max(float(lam_s.max(initial=0.0)), 1e-300)
    root = np.sqrt(lam_s[keep])
    N = (P @ Q[:, keep]) / root  # orthonormal basis of span P
    C = root[:, None] * Q[:, keep].T  # P = N C
    idx = [(a, b) for a in range(n) for b in range(a, n)]
    Bs = np.zeros((C.shape[0], n, n))
    for j, (a, b) in enumerate(idx):
        Bs[:, a, b] = Bs[:, b, a] = C[:, j]
    res = _max_curvature_core(np.eye(n), Bs, N, certify=certify)
    if res.method == "flat":  # no normal direction is singled out; any unit vector of P's span
        res = MaxCurvature(0.0, np.zeros(P.shape[0]), res.direction, 0.0, True, "flat")
    return MaxCurvature(
        res.value, res.normal, Y @ res.direction, res.upper_bound, res.certified, res.method
    )


class PointCurvature:
    """k at each point of a batch: `values` (nan where the metric is unusable), `results`
    (`MaxCurvature` or None), `cond` (cond G), `rank` (numerical rank of J)."""

    def __init__(self, results: list, cond: np.ndarray, rank: np.ndarray):
        self.results = results
        self.cond = cond
        self.rank = rank
        self.values = np.array([math.nan if r is None else r.value for r in results])
        self.usable = np.array([r is not None for r in results], dtype=bool)


# jaxlib's CPU eigh and Cholesky are scipy's OpenBLAS, whose threads spin against XLA's:
# 268 ms against 3 ms for one eigh of order 200 on 2 cores (`_linalg.serial_lapack`)
@serial_blas
def curvatures_at(
    dynamic: Any,
    static: Static | None,
    W: np.ndarray,
    lam: float,
    *,
    M: int,
    iters: int = FULL,
    certify: bool = True,
    chunk: int = 16,
    pad: bool = False,
) -> PointCurvature:
    """k(w) at every row of W ``(B, n)`` (one compiled, vmapped call per chunk of rows).

    ``iters``: the ascent's iterations, `FULL` for a reported value, `QUICK` for ranking seeds
    (every value is attained, so a lower bound on k there, whatever the setting). ``certify``
    runs the dense kernel's certificate (q ≤ 3). Points with an unusable metric are ``None``;
    with more than one row they are found first by the metric test alone and skip the kernel.
    ``pad``: a single row too is padded to `chunk` rows (one shape, so one compilation, for a
    whole region search; `iters` is a traced argument, so quick and full share it).
    """
    W = np.asarray(W, dtype=np.float64)
    B, n = W.shape
    lam_j = jnp.asarray(lam, dtype=jnp.float64)
    # one row, or chunks padded to `chunk` rows: two shapes, so two compilations per problem
    size = 1 if B == 1 and not pad else chunk
    if B == 1:
        got, cond, rank = _kernel(dynamic, static, next(_chunks(W, size)), lam_j, M, iters, certify)
        return PointCurvature(got[:1], cond[:1], rank[:1])
    # a vmapped kernel pays for every lane of a chunk, usable or not, so the rows whose metric
    # is singular (region seeds in saturation: 2/3 of them on digits) are screened out first
    # by the metric test alone, at ~1/3 of a bracket's cost per row
    outs = [_usable_jit(dynamic, static, Wc, lam_j) for Wc in _chunks(W, size)]
    ok, cond, rank = (np.concatenate([np.asarray(o[j]) for o in outs])[:B] for j in range(3))
    results: list[MaxCurvature | None] = [None] * B
    rows = np.flatnonzero(ok)
    for start, Wc in zip(range(0, len(rows), size), _chunks(W[rows], size), strict=True):
        got, _, _ = _kernel(dynamic, static, Wc, lam_j, M, iters, certify)
        for i, res in zip(rows[start : start + size], got, strict=False):
            results[i] = res
    return PointCurvature(results, cond, rank)


def _chunks(W: np.ndarray, size: int):
    """W's rows in blocks of `size`, the last padded by repeating its final row."""
    for start in range(0, len(W), size):
        rows = W[start : start + size]
        pad = size - len(rows)
        yield jnp.asarray(np.concatenate([rows, np.repeat(rows[-1:], pad, 0)]) if pad else rows)


def _kernel(dynamic, static, Wc, lam_j, M: int, iters: int, certify: bool):
    """The kernel for q = M − n on the rows of Wc: (a `MaxCurvature` or None per row, cond G,
    rank J)."""
    n = Wc.shape[1]
    q = M - n
    results: list[MaxCurvature | None] = []
    if q == 0:
        out = _dense_jit(dynamic, static, Wc, lam_j)
        ok, cond, rank = out[3], out[4], out[5]
        for i in range(Wc.shape[0]):
            res = MaxCurvature(0.0, np.zeros(M), np.eye(n)[0], 0.0, True, "flat")
            results.append(res if bool(ok[i]) else None)
    elif q <= 3:
        G, IIs, N, ok, cond, rank = (np.asarray(a) for a in _dense_jit(dynamic, static, Wc, lam_j))
        for i in range(Wc.shape[0]):
            results.append(
                _max_curvature_core(G[i], IIs[i], N[i], certify=certify) if ok[i] else None
            )
    elif n <= 2:
        P, Y, ok, cond, rank = (np.asarray(a) for a in _compressed_jit(dynamic, static, Wc, lam_j))
        for i in range(Wc.shape[0]):
            results.append(_from_compressed(P[i], Y[i], certify) if ok[i] else None)
    else:
        X0 = jnp.asarray(_starts(n, STARTS))
        out = _normal_ascent_jit(dynamic, static, Wc, lam_j, X0, jnp.asarray(iters))
        k, y, nrm, ok, cond, rank, _, up = (np.asarray(a) for a in out)
        for i in range(Wc.shape[0]):
            if not ok[i]:
                results.append(None)
            elif k[i] == 0.0:
                results.append(MaxCurvature(0.0, np.zeros(M), y[i], 0.0, True, "flat"))
            else:
                kv, ub = float(k[i]), float(up[i])
                results.append(
                    MaxCurvature(kv, nrm[i], y[i], ub, ub <= kv * (1.0 + CERT_RTOL), "normal-space")
                )
    return results, np.asarray(cond), np.asarray(rank)
