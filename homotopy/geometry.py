r"""Geometry of the data manifold $Z_\lambda = \phi_\lambda(\mathbb R^n) \subset \mathbb R^M$.

DESIGN.md §2. Every function takes a *problem* that describes its data manifold through the
hooks of `homotopy.manifold` (``embedding(w, lam)`` required; the Jacobian, the second
fundamental form, ∂²φ[y, y] and the targets optional, by autodiff where missing).
`NaturalHomotopy` gives them in closed form: its network output over the training set,
flattened row-major over (pattern, output), is a point $z = \phi_\lambda(w)$ of an
n-dimensional immersed submanifold of $\mathbb R^M$, $M = L m$, $n = s m$.

- tangent space: the columns of $J = \partial\phi/\partial w$; metric $G = J^T J$;
- second fundamental form along a vector $\nu \in \mathbb R^M$ (the raw contraction
  $II_\nu = \sum_i \nu_i\,\partial^2\phi_i/\partial w^2$, linear in ν, **no** projection); for
  a one-output network $\tilde X^T \operatorname{diag}(\nu \circ \sigma_\lambda''(\tilde X w))
  \tilde X$;
- normal curvatures along a unit normal n: the generalized eigenvalues of $II_n v = \kappa G v$
  (positive when the manifold bends *towards* n);
- ``max_curvature``: $k(w) = \max_{\|n\| = 1,\ n \perp T_zZ} \max|\kappa|$, computed exactly
  (closed forms for codimension 1 and for n = 2; otherwise multi-start ascent plus a
  certificate for codimension 2 and 3);
- focal points, the error Hessian $\nabla^2 E = G - II_r$ ($r = d - \phi_\lambda(w)$, from the
  problem's ``targets`` or ``residual``), and the uniqueness tube of radius
  $\rho = 1/k_{max}$ over a region of weight space.

Orientation convention: `normal_basis` returns an orthonormal basis N of the normal space
whose last column is signed so that $\det[J \mid N] > 0$. For a hypersurface (codimension 1,
M = n + 1) that single column is *the* default normal used everywhere
(`principal_curvatures`, `gaussian_curvature`, `mean_curvature`, `hypersurface_normal`).

Immersion: M ≥ n, and wherever a function forms the frame (J, G, N) it checks that J has
full column rank n at the point (numpy's ``matrix_rank`` tolerance), else a `ValueError`
naming `problem`.

Pointwise quantities are JAX (jitted, float64); searches over directions, normals and regions
run on the host with numpy/scipy. A problem that is a JAX PyTree passes through ``jit`` as
data (new targets do not recompile); any other problem is a static argument. The generic
routines `curvatures_from`, `max_curvature_from` and `hypersurface_normal` take any
parametrization's Jacobian ``(M, n)`` and Hessian ``(M, n, n)`` (e.g. a sphere's), so they can
be checked against surfaces with known curvature.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl
import numpy as np

from ._checks import check_array, check_lam
from .manifold import Manifold, manifold_of
from .protocol import Static, join_problem, split_problem
from .regions import Box as Box, Samples as Samples


Array = jax.Array

__all__ = [
    "Box",
    "Curvatures",
    "FocalDistances",
    "MaxCurvature",
    "RegionCurvature",
    "Samples",
    "TubeResult",
    "curvatures_from",
    "embedding",
    "error_hessian",
    "focal_distances",
    "gaussian_curvature",
    "generalized_orthogonality",
    "hypersurface_normal",
    "in_uniqueness_tube",
    "max_curvature",
    "max_curvature_from",
    "max_curvature_over",
    "mean_curvature",
    "metric",
    "normal_basis",
    "normal_space",
    "principal_curvatures",
    "second_fundamental_form",
    "tangent_basis",
    "uniqueness_radius",
]

CERT_RTOL = 1e-9  # relative gap at which a max-curvature upper bound counts as a certificate


# ----------------------------------------------------------------------------- results


class Curvatures(NamedTuple):
    """Normal curvatures κ (ascending) of ``II_n v = κ G v`` and G-orthonormal directions.

    `values` ``(n,)``; `directions` ``(n, n)``, column i the weight-space direction of
    ``values[i]`` (``VᵀGV = I``); `normal` the unit normal n used.
    """

    values: Array
    directions: Array
    normal: Array

    @property
    def gaussian(self) -> Array:
        """K = Π κ_i (= det II_n / det G; the Gaussian curvature of a surface in R³)."""
        return jnp.prod(self.values)

    @property
    def mean(self) -> Array:
        """H = (Σ κ_i)/n (= tr(G⁻¹II_n)/n)."""
        return jnp.mean(self.values)


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
      ``"ascent"`` (multi-start alternating ascent, n ≥ 3).
    """

    value: float
    normal: np.ndarray
    direction: np.ndarray
    upper_bound: float
    certified: bool
    method: str


@dataclass(frozen=True)
class RegionCurvature:
    """k_max = max of `max_curvature` over a region, its argmax `w` and ρ = 1/k_max.

    `maximum` is the `MaxCurvature` at `w`; `n_evaluations` counts exact evaluations of k(w).
    `radius` is ``inf`` when k_max = 0 (e.g. λ = 0: the manifold is flat).
    """

    k_max: float
    w: np.ndarray
    radius: float
    maximum: MaxCurvature
    n_evaluations: int


@dataclass(frozen=True)
class TubeResult:
    """Whether dist(target, Z_region) < ρ = 1/k_max, with the projection used.

    - `inside`: the verdict: ``distance < radius`` (numerical), or with ``proven=True``
      ``distance_upper < radius_lower`` (then `inside` is True only when it is proven).
    - `distance`: ‖target − φ_λ(w)‖ at the best projection found (float).
    - `radius`: the radius the verdict used: ρ = 1/k_max over the region (numerical), or the
      proven `radius_lower`.
    - `w`, `point`: the projection's weights and φ_λ(w).
    - `orthogonality`: `generalized_orthogonality` at `w` (≈ 0 for an orthogonal foot point;
      larger when the projection was stopped by the box boundary).
    - `proven`: whether ``inside`` is a theorem (see `in_uniqueness_tube`); False for every
      numerical verdict.
    - `distance_upper`: a proven upper bound on ‖target − φ_λ(w)‖ (``nan`` if not computed).
    - `radius_lower`: the proven 1/k_upper of `curvature_bound.curvature_upper_bound` over the
      box (``nan`` if not computed).
    - `unique_in_box`: proven that E_t = ½‖target − φ_λ‖² is strictly convex on the box
      (`curvature_bound.strictly_convex_on_box`): one minimizer and at most one critical point
      there. False: not proven (not: proven false).
    - `message`: what was proved, or that the verdict is a numerical estimate and why.
    - `bound`: the `curvature_bound.CurvatureBound` used, or None.
    """

    inside: bool
    distance: float
    radius: float
    w: np.ndarray
    point: np.ndarray
    orthogonality: float
    proven: bool = False
    distance_upper: float = math.nan
    radius_lower: float = math.nan
    unique_in_box: bool = False
    message: str = ""
    bound: Any = None


@dataclass(frozen=True)
class FocalDistances:
    """Focal distances 1/κ along r̂ = r/‖r‖, κ the eigenvalues of ``II_r̂ v = κ G v``.

    - `curvatures`: κ ascending; `distances`: 1/κ (``inf`` for κ = 0; positive: the focal
      point lies on the target's side).
    - `residual_norm`: ‖r‖; `nearest`: smallest positive focal distance (``inf`` if none).
    - `hessian_eigenvalues`: 1 − ‖r‖κ, the eigenvalues of ``G − II_r`` relative to G: the
      error Hessian is singular exactly when ‖r‖ = 1/κ.
    - `directions`: G-orthonormal eigenvectors (columns).

    At r = 0 the direction r̂ is undefined: κ = 0, distances ``inf``.
    """

    curvatures: np.ndarray
    distances: np.ndarray
    residual_norm: float
    nearest: float
    hessian_eigenvalues: np.ndarray
    directions: np.ndarray


# ----------------------------------------------------------------------------- validation


class _Problem(NamedTuple):
    """A problem resolved for the kernels: its hooks, and its `split_problem` halves."""

    manifold: Manifold
    dynamic: Any
    static: Static | None


def _check_problem(problem: Any) -> _Problem:
    """The problem's hooks (`manifold_of`), or a `ValueError` naming `problem`."""
    dynamic, static = split_problem(problem)
    return _Problem(manifold_of(problem), dynamic, static)


def _check_w(p: _Problem, w: Any) -> Array:
    arr = check_array("w", w)
    n = p.manifold.n
    if n is not None and arr.shape != (n,):
        raise ValueError(f"w: expected shape ({n},), got {arr.shape}")
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"w: expected a weight vector (n,), got shape {arr.shape}")
    return jnp.asarray(arr)


def _check_vector(name: str, v: Any, size: int) -> Array:
    try:
        arr = np.asarray(v, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name}: not a real numeric array ({err})") from None
    if arr.size != size:
        raise ValueError(f"{name}: expected {size} entries, got {arr.size}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: contains NaN or infinite entries")
    return jnp.asarray(arr)


def _args(problem: Any, w: Any, lam: Any) -> tuple[_Problem, Array, float]:
    p = _check_problem(problem)
    return p, _check_w(p, w), check_lam(lam)


def _need_residual(p: _Problem, what: str) -> None:
    if p.manifold.residual is None:
        raise ValueError(
            f"problem: {what} needs the residual r = d − φ_λ(w); give the problem a `targets` "
            "attribute (M,) or a residual(w, lam) method (see homotopy.manifold)"
        )


def _rank(sv: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Numerical rank from singular values (..., k), numpy's ``matrix_rank`` tolerance."""
    tol = sv.max(axis=-1, initial=0.0) * max(shape) * np.finfo(np.float64).eps
    return np.sum(sv > tol[..., None], axis=-1)


def _check_immersion(frame: _Frame, W: Any = None) -> None:
    """`ValueError` naming `problem` unless J has full column rank n (at every w of a batch)."""
    sv = np.asarray(frame.sv)
    M, n = frame.J.shape[-2:]
    rank = np.atleast_1d(_rank(sv, (M, n)))
    if np.all(rank == n):
        return
    i = int(np.flatnonzero(rank < n)[0])
    at = "" if W is None else f" at the region seed w = {np.asarray(W)[i].tolist()}"
    raise ValueError(
        f"problem: φ_λ is not an immersion{at}: rank J = {int(rank[i])} < n = {n} "
        "(G = JᵀJ is singular; for a network, rank X̃ < s or saturated units)"
    )


# ----------------------------------------------------------------------------- generic cores


def _normal_space(J: Array) -> Array:
    """Orthonormal N (L, L − n) with NᵀJ = 0 and det[J | N] > 0 (last column's sign)."""
    L, n = J.shape
    if L == n:
        return jnp.zeros((L, 0), J.dtype)
    Q, _ = jnp.linalg.qr(J, mode="complete")
    N = Q[:, n:]
    sign, _ = jnp.linalg.slogdet(jnp.concatenate([J, N], axis=1))
    return N.at[:, -1].multiply(jnp.where(sign < 0, -1.0, 1.0))


def _whiten(G: Array, II: Array) -> tuple[Array, Array]:
    """(Lc, B) with G = Lc Lcᵀ and B = Lc⁻¹ II Lc⁻ᵀ (symmetrized)."""
    Lc = jnp.linalg.cholesky(G)
    A = jsl.solve_triangular(Lc, II, lower=True)
    B = jsl.solve_triangular(Lc, A.T, lower=True)
    return Lc, 0.5 * (B + B.T)


def _geneig(G: Array, II: Array) -> tuple[Array, Array]:
    """κ, V with II V = G V diag(κ), VᵀGV = I (κ ascending)."""
    Lc, B = _whiten(G, II)
    kappa, Y = jnp.linalg.eigh(B)
    return kappa, jsl.solve_triangular(Lc.T, Y, lower=False)


_normal_space_jit = jax.jit(_normal_space)
_geneig_jit = jax.jit(_geneig)


def normal_space(J: Any) -> Array:
    """N: orthonormal basis of (col J)^⊥, shape (L, L − n), oriented so det[J | N] > 0."""
    J = jnp.asarray(J, dtype=jnp.float64)
    if J.ndim != 2 or J.shape[0] < J.shape[1]:
        raise ValueError(f"J: expected an (L, n) matrix with L ≥ n, got shape {J.shape}")
    return _normal_space_jit(J)


def hypersurface_normal(J: Any) -> Array:
    """n: the unit normal of a hypersurface (J of shape (n + 1, n)) with det[J | n] > 0."""
    J = jnp.asarray(J, dtype=jnp.float64)
    if J.ndim != 2 or J.shape[0] != J.shape[1] + 1:
        raise ValueError(f"J: a hypersurface needs shape (n + 1, n), got {J.shape}")
    return _normal_space_jit(J)[:, 0]


def _check_J_hessian(J: Any, hessian: Any) -> tuple[Array, Array]:
    J = jnp.asarray(J, dtype=jnp.float64)
    hessian = jnp.asarray(hessian, dtype=jnp.float64)
    if J.ndim != 2 or J.shape[0] < J.shape[1]:
        raise ValueError(f"J: expected an (L, n) matrix with L ≥ n, got shape {J.shape}")
    L, n = J.shape
    if hessian.shape != (L, n, n):
        raise ValueError(f"hessian: expected shape ({L}, {n}, {n}), got {hessian.shape}")
    return J, hessian


def _unit_normal(J: Array, normal: Any, name: str = "normal") -> Array:
    """Validate a user normal: finite, nonzero, orthogonal to col J; return it normalized."""
    L, n = J.shape
    if normal is None:
        if L != n + 1:
            raise ValueError(
                f"{name}: required for codimension {L - n} (a default normal exists only "
                "for hypersurfaces, L·m = n + 1)"
            )
        return _normal_space_jit(J)[:, 0]
    v = _check_vector(name, normal, L)
    nv = float(jnp.linalg.norm(v))
    if nv == 0.0:
        raise ValueError(f"{name}: is the zero vector")
    v = v / nv
    tangential = float(jnp.linalg.norm(J.T @ v)) / max(float(jnp.linalg.norm(J, 2)), 1e-300)
    if tangential > 1e-7:
        raise ValueError(
            f"{name}: not normal to the tangent space (|Jᵀn̂|/‖J‖ = {tangential:.2e} > 1e-7)"
        )
    return v


def curvatures_from(J: Any, hessian: Any, normal: Any = None) -> Curvatures:
    """κ, V of II_n v = κ G v, G = JᵀJ, II_n = Σ_i n_i ∂²x_i/∂u² (n unit; default: the normal).

    `J` ``(L, n)`` and `hessian` ``(L, n, n)`` are the first and second derivatives of any
    parametrization u ↦ x(u) ∈ R^L at one point; `normal` ``(L,)`` must be ⟂ col J.
    """
    J, hessian = _check_J_hessian(J, hessian)
    n_hat = _unit_normal(J, normal)
    II = jnp.einsum("i,iab->ab", n_hat, hessian)
    kappa, V = _geneig_jit(J.T @ J, II)
    return Curvatures(kappa, V, n_hat)


def max_curvature_from(J: Any, hessian: Any) -> MaxCurvature:
    """k = max_{unit n ⟂ col J} max|κ(II_n, G)| for any parametrization's J, Hessian (L, n, n)."""
    J, hessian = _check_J_hessian(J, hessian)
    N = _normal_space_jit(J)
    IIs = jnp.einsum("ik,iab->kab", N, hessian)
    return _max_curvature_core(np.asarray(J.T @ J), np.asarray(IIs), np.asarray(N))


# ----------------------------------------------------------------------------- max curvature core


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


# ----------------------------------------------------------------------------- problem cores


def _manifold(dynamic: Any, static: Static | None) -> Manifold:
    return manifold_of(join_problem(dynamic, static))


def _embed(m: Manifold, w: Array, lam: Array) -> Array:
    """z = φ_λ(w), with the a-priori immersion check M ≥ n (shapes are static: trace time)."""
    z = m.embedding(w, lam)
    if z.ndim != 1:
        raise ValueError(f"problem: embedding(w, lam) must return a vector (M,), got {z.shape}")
    if z.shape[0] < w.shape[0]:
        raise ValueError(
            f"problem: the embedding maps R^{w.shape[0]} into R^{z.shape[0]}, M < n, so "
            "φ_λ is not an immersion"
        )
    return z


class _Frame(NamedTuple):
    z: Array
    r: Array | None
    J: Array
    G: Array
    N: Array
    IIs: Array
    sv: Array


def _frame(dynamic: Any, static: Static | None, w: Array, lam: Array) -> _Frame:
    m = _manifold(dynamic, static)
    z = _embed(m, w, lam)
    J = m.embedding_jacobian(w, lam)
    if J.shape != (z.shape[0], w.shape[0]):
        raise ValueError(
            f"problem: embedding_jacobian(w, lam) has shape {J.shape}, expected "
            f"{(z.shape[0], w.shape[0])}"
        )
    N = _normal_space(J)
    IIs = jax.vmap(lambda nk: m.second_fundamental_form(w, lam, nk), in_axes=1)(N)
    r = None if m.residual is None else m.residual(w, lam)
    sv = jnp.linalg.svd(J, compute_uv=False)
    return _Frame(z, r, J, J.T @ J, N, IIs, sv)


def _frames(dynamic: Any, static: Static | None, W: Array, lam: Array) -> _Frame:
    return jax.vmap(lambda w: _frame(dynamic, static, w, lam))(W)


def _ii(dynamic: Any, static: Static | None, w: Array, lam: Array, n: Array) -> Array:
    return _manifold(dynamic, static).second_fundamental_form(w, lam, n)


def _embedding(dynamic: Any, static: Static | None, w: Array, lam: Array) -> Array:
    return _embed(_manifold(dynamic, static), w, lam)


def _jacobian(dynamic: Any, static: Static | None, w: Array, lam: Array) -> Array:
    return _manifold(dynamic, static).embedding_jacobian(w, lam)


def _embeddings(dynamic: Any, static: Static | None, W: Array, lam: Array) -> Array:
    return jax.vmap(lambda w: _embedding(dynamic, static, w, lam))(W)


def _error_hessian(
    dynamic: Any, static: Static | None, w: Array, lam: Array, target: Array | None = None
) -> tuple[Array, Array, Array]:
    """(∇²E = G − II_r, J, r) with r = target − φ_λ(w), or the problem's residual."""
    m = _manifold(dynamic, static)
    J = m.embedding_jacobian(w, lam)
    r = m.residual(w, lam) if target is None else target - m.embedding(w, lam)
    return J.T @ J - m.second_fundamental_form(w, lam, r), J, r


_jit = functools.partial(jax.jit, static_argnums=1)
_frame_jit = _jit(_frame)
_frames_jit = _jit(_frames)
_ii_jit = _jit(_ii)
_embedding_jit = _jit(_embedding)
_embeddings_jit = _jit(_embeddings)
_jacobian_jit = _jit(_jacobian)
_error_hessian_jit = _jit(_error_hessian)


def _ktilde(dynamic: Any, static: Static | None, v: Array, lam: Array) -> Array:
    """‖P_N ∂²φ[y, y]‖ / (yᵀGy) at v = (w, y): its max over y is k(w); smooth in (w, y)."""
    m = _manifold(dynamic, static)
    nu = v.shape[0] // 2
    w, y = v[:nu], v[nu:]
    J = m.embedding_jacobian(w, lam)
    G = J.T @ J
    h = m.embedding_second_derivative(w, lam, y)
    P = h - J @ jnp.linalg.solve(G, J.T @ h)
    ss = jnp.dot(P, P)
    safe = jnp.where(ss > 0, ss, 1.0)
    return jnp.where(ss > 0, jnp.sqrt(safe), 0.0) / jnp.dot(y, G @ y)


_neg_ktilde_vg = jax.jit(
    jax.value_and_grad(lambda v, dynamic, static, lam: -_ktilde(dynamic, static, v, lam)),
    static_argnums=2,
)


# ----------------------------------------------------------------------------- public, pointwise


def _checked_frame(p: _Problem, w: Array, lam: float) -> _Frame:
    fr = _frame_jit(p.dynamic, p.static, w, lam)
    _check_immersion(fr)
    return fr


def embedding(problem: Any, w: Any, lam: float) -> Array:
    """z = φ_λ(w) ∈ R^M (for a network σ_λ(X̃W), flattened row-major over (pattern, output))."""
    p, w, lam = _args(problem, w, lam)
    return _embedding_jit(p.dynamic, p.static, w, lam)


def tangent_basis(problem: Any, w: Any, lam: float) -> Array:
    """J = ∂φ_λ/∂w, shape (M, n); its columns span T_zZ."""
    p, w, lam = _args(problem, w, lam)
    return _checked_frame(p, w, lam).J


def metric(problem: Any, w: Any, lam: float) -> Array:
    """G = JᵀJ, the first fundamental form (n, n)."""
    p, w, lam = _args(problem, w, lam)
    return _checked_frame(p, w, lam).G


def normal_basis(problem: Any, w: Any, lam: float) -> Array:
    """N (M, M − n): orthonormal basis of (T_zZ)^⊥ with det[J | N] > 0.

    From a complete QR of J; the last column is signed so that det[J | N] > 0. For a
    hypersurface (M = n + 1) its single column is the default normal everywhere.
    """
    p, w, lam = _args(problem, w, lam)
    return _checked_frame(p, w, lam).N


def second_fundamental_form(problem: Any, w: Any, lam: float, normal: Any) -> Array:
    """II_ν = Σ_i ν_i ∂²φ_i/∂w² (the problem's hook), linear in ν (not normalized), (n, n).

    For a one-output network X̃ᵀ diag(ν ∘ σ_λ''(X̃w)) X̃. It is the second fundamental form
    when ν is normal (no tangential part is removed, so e.g. ``II_r`` at any w gives
    ∇²E = G − II_r).
    """
    p, w, lam = _args(problem, w, lam)
    M = _embedding_jit(p.dynamic, p.static, w, lam).shape[0]
    n = _check_vector("normal", normal, M)
    return _ii_jit(p.dynamic, p.static, w, lam, n)


def principal_curvatures(problem: Any, w: Any, lam: float, normal: Any = None) -> Curvatures:
    """κ ascending with II_n̂ v = κ G v (n̂ = n/‖n‖ ⟂ T_zZ; default: the hypersurface normal).

    **Raises:** `ValueError` naming `normal` when it is missing for codimension > 1, or is
    zero, or not normal (|Jᵀn̂| > 1e-7 ‖J‖).
    """
    p, w, lam = _args(problem, w, lam)
    fr = _checked_frame(p, w, lam)
    if normal is None and fr.N.shape[1] == 1:
        n_hat = fr.N[:, 0]
    else:
        n_hat = _unit_normal(fr.J, normal)
    kappa, V = _geneig_jit(fr.G, _ii_jit(p.dynamic, p.static, w, lam, n_hat))
    return Curvatures(kappa, V, n_hat)


def _hypersurface_frame(problem: Any, w: Any, lam: float) -> tuple[_Frame, Array]:
    p, w, lam = _args(problem, w, lam)
    fr = _checked_frame(p, w, lam)
    if fr.N.shape[1] != 1:
        raise ValueError(
            f"problem: Gaussian and mean curvature need a hypersurface (M = n + 1), "
            f"but the codimension is {fr.N.shape[1]}"
        )
    return fr, fr.IIs[0]


def gaussian_curvature(problem: Any, w: Any, lam: float) -> Array:
    """K = det II_n / det G for the default unit normal n of a hypersurface (Π κ_i)."""
    fr, II = _hypersurface_frame(problem, w, lam)
    return jnp.linalg.det(II) / jnp.linalg.det(fr.G)


def mean_curvature(problem: Any, w: Any, lam: float) -> Array:
    """H = tr(G⁻¹ II_n)/n, the mean of the principal curvatures w.r.t. the default normal n.

    Convention: the average (not the sum) of the κ_i; positive when the hypersurface bends
    towards n. A sphere of radius R with the inward normal has H = 1/R.
    """
    fr, II = _hypersurface_frame(problem, w, lam)
    return jnp.trace(jnp.linalg.solve(fr.G, II)) / II.shape[0]


def max_curvature(problem: Any, w: Any, lam: float) -> MaxCurvature:
    """k(w) = max over unit n ⟂ T_zZ of max|κ(II_n, G)| = max_{unit c} ‖Σ c_k Lc⁻¹II_{n_k}Lc⁻ᵀ‖₂.

    Exact for any codimension: an eigenproblem (codimension 1), all critical points of a
    quartic (n = 2), else multi-start ascent certified by a simplicial cover of the
    normal sphere (codimension 2 and 3). See `MaxCurvature`.
    """
    p, w, lam = _args(problem, w, lam)
    fr = _checked_frame(p, w, lam)
    return _max_curvature_core(np.asarray(fr.G), np.asarray(fr.IIs), np.asarray(fr.N))


def generalized_orthogonality(problem: Any, w: Any, lam: float) -> float:
    """‖Jᵀr‖ / (‖J‖₂‖r‖): 0 exactly when r ⟂ T_zZ (a critical point of E_λ); 0 if r = 0."""
    p, w, lam = _args(problem, w, lam)
    _need_residual(p, "generalized_orthogonality")
    fr = _checked_frame(p, w, lam)
    nr = float(jnp.linalg.norm(fr.r))
    if nr == 0.0:
        return 0.0
    return float(jnp.linalg.norm(fr.J.T @ fr.r)) / (float(jnp.linalg.norm(fr.J, 2)) * nr)


def error_hessian(problem: Any, w: Any, lam: float) -> Array:
    """∇²E_λ = G − II_r, r = d − φ_λ(w) unnormalized (equals `problem.H_w` for least squares)."""
    p, w, lam = _args(problem, w, lam)
    _need_residual(p, "error_hessian")
    return _error_hessian_jit(p.dynamic, p.static, w, lam)[0]


def focal_distances(problem: Any, w: Any, lam: float) -> FocalDistances:
    """1/κ for II_r̂ v = κ G v, r̂ = r/‖r‖; ∇²E = G − II_r is singular iff ‖r‖ = 1/κ."""
    p, w, lam = _args(problem, w, lam)
    _need_residual(p, "focal_distances")
    fr = _checked_frame(p, w, lam)
    nr = float(jnp.linalg.norm(fr.r))
    nu = w.shape[0]
    if nr == 0.0:
        kappa = np.zeros(nu)
        V = np.asarray(_geneig_jit(fr.G, jnp.zeros((nu, nu)))[1])
    else:
        k, V = _geneig_jit(fr.G, _ii_jit(p.dynamic, p.static, w, lam, fr.r / nr))
        kappa, V = np.asarray(k), np.asarray(V)
    safe = np.where(kappa != 0.0, kappa, 1.0)
    dist = np.where(kappa != 0.0, 1.0 / safe, np.inf)
    pos = dist[(dist > 0) & np.isfinite(dist)]
    nearest = float(pos.min()) if pos.size else math.inf
    return FocalDistances(kappa, dist, nr, nearest, 1.0 - nr * kappa, V)


# ----------------------------------------------------------------------------- regions


def _region(nu: int | None, region: Any, n_grid: int | None):
    """(lo, hi, seeds) from a Box, Samples, an (n, 2) box array or an (N, n) sample array.

    n is the problem's (`nu`) or, when it has none, read from the region; a raw ``(k, 2)``
    array is then ambiguous (a box of k weights or k samples of 2) and refused.
    """
    if isinstance(region, Box):
        box = np.stack([np.asarray(region.lo, float), np.asarray(region.hi, float)], axis=-1)
        samples = None
        nu = box.shape[0] if nu is None else nu
    elif isinstance(region, Samples):
        box, samples = None, np.asarray(region.points, float)
        if nu is None and samples.ndim == 2:
            nu = samples.shape[1]
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
            box, samples = arr, None
        elif nu is not None and arr.ndim == 2 and arr.shape[1] == nu:
            box, samples = None, arr
        else:
            raise ValueError(
                f"region: expected a box of shape ({nu}, 2) or samples of shape (N, {nu}), "
                f"got {arr.shape}"
            )
    if box is not None:
        if box.shape != (nu, 2) or not np.all(np.isfinite(box)) or np.any(box[:, 0] > box[:, 1]):
            raise ValueError(
                f"region: a box needs finite (lo, hi) rows with lo ≤ hi, shape ({nu}, 2)"
            )
        if n_grid is None:
            n_grid = max(2, int(math.floor(256 ** (1.0 / nu))))
        if n_grid < 1:
            raise ValueError(f"n_grid: expected a positive integer, got {n_grid}")
        axes = [np.linspace(lo, hi, n_grid) for lo, hi in box]
        seeds = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, nu)
        return box[:, 0], box[:, 1], seeds
    if samples.ndim != 2 or samples.shape[1] != nu or samples.shape[0] == 0:
        raise ValueError(f"region: samples must have shape (N ≥ 1, {nu}), got {samples.shape}")
    if not np.all(np.isfinite(samples)):
        raise ValueError("region: samples contain NaN or infinite entries")
    return samples.min(axis=0), samples.max(axis=0), samples


def max_curvature_over(
    problem: Any,
    lam: float,
    region: Any,
    *,
    n_grid: int | None = None,
    n_starts: int = 4,
) -> RegionCurvature:
    """k_max = max_{w ∈ region} k(w) and ρ = 1/k_max: seed on a grid/samples, then L-BFGS-B.

    `region`: a `Box`, a `Samples`, an ``(n, 2)`` array of (lo, hi) per weight (always read
    as a box), or an ``(N, n)`` array of sample weights (searched within their bounding box).
    The local search maximizes the smooth ‖P_N ∂²φ[y, y]‖/(yᵀGy) jointly in (w, y) from the
    `n_starts` best seeds; k is re-evaluated exactly (`max_curvature`) at every optimum.
    A lower bound on the true maximum (a local search), exact at each point it evaluates.
    """
    p = _check_problem(problem)
    lam = check_lam(lam)
    lo, hi, seeds = _region(p.manifold.n, region, n_grid)
    nu = seeds.shape[1]
    frames = _frames_jit(p.dynamic, p.static, jnp.asarray(seeds), lam)
    _check_immersion(frames, seeds)
    Gs, IIs, Ns = np.asarray(frames.G), np.asarray(frames.IIs), np.asarray(frames.N)
    results = [_max_curvature_core(Gs[i], IIs[i], Ns[i], certify=False) for i in range(len(seeds))]
    vals = np.array([r.value for r in results])
    n_eval = len(results)
    i_best = int(np.argmax(vals))
    best_w, best = seeds[i_best], results[i_best]
    if best.value > 0.0:
        from scipy import optimize  # on first use: importing it costs ~0.15 s

        bounds = [(float(a), float(b)) for a, b in zip(lo, hi, strict=True)] + [(None, None)] * nu
        for i in np.argsort(-vals)[: max(0, n_starts)]:
            y0 = results[i].direction
            v0 = np.concatenate([seeds[i], y0 / np.linalg.norm(y0)])

            def fun(v: np.ndarray) -> tuple[float, np.ndarray]:
                f, g = _neg_ktilde_vg(jnp.asarray(v), p.dynamic, p.static, lam)
                return float(f), np.asarray(g, dtype=np.float64)

            opt = optimize.minimize(
                fun, v0, jac=True, method="L-BFGS-B", bounds=bounds,
                options=dict(maxiter=200, ftol=1e-15, gtol=1e-12),
            )  # fmt: skip
            w_opt = np.clip(opt.x[:nu], lo, hi)
            fr = _checked_frame(p, jnp.asarray(w_opt), lam)
            res = _max_curvature_core(np.asarray(fr.G), np.asarray(fr.IIs), np.asarray(fr.N))
            n_eval += 1
            if res.value > best.value:
                best_w, best = w_opt, res
    k = best.value
    return RegionCurvature(k, np.asarray(best_w), math.inf if k == 0.0 else 1.0 / k, best, n_eval)


def _newton_polish(
    p: _Problem,
    tgt: np.ndarray,
    lam: float,
    w: np.ndarray,
    dist: float,
    lo: np.ndarray,
    hi: np.ndarray,
    is_box: bool,
) -> tuple[np.ndarray, float]:
    """A few Newton steps on Jᵀ(target − φ) = 0 with the exact Hessian G − II_r (kept if better)."""
    t = jnp.asarray(tgt)
    for _ in range(4):
        Hm, J, r = (np.asarray(a) for a in _error_hessian_jit(p.dynamic, p.static, w, lam, t))
        try:
            np.linalg.cholesky(Hm)
        except np.linalg.LinAlgError:
            break
        w_new = w + np.linalg.solve(Hm, J.T @ r)
        if is_box and (np.any(w_new < lo) or np.any(w_new > hi)):
            break
        z_new = np.asarray(_embedding_jit(p.dynamic, p.static, jnp.asarray(w_new), lam))
        d_new = float(np.linalg.norm(tgt - z_new))
        if not d_new <= dist * (1.0 + 1e-12):  # rounding-level increases are accepted
            break
        w, dist = w_new, d_new
    return w, dist


def uniqueness_radius(problem: Any, lam: float, region: Any, **kwargs: Any) -> float:
    """ρ = 1/k_max over the region (``inf`` when k_max = 0); kwargs go to `max_curvature_over`."""
    return max_curvature_over(problem, lam, region, **kwargs).radius


_NUMERICAL = (
    "numerical estimate: ρ = 1/k_max with k_max from a local search (a lower estimate of the "
    "maximum curvature, so ρ may be too large) and the float distance"
)


def _provability(problem: Any, is_box: bool) -> str | None:
    """None when a proven verdict is possible, else the reason it is not."""
    from . import curvature_bound

    if not is_box:
        return "region: a proven verdict needs a box (Box or (n, 2) array), not samples"
    try:
        curvature_bound._natural_data(problem)
    except ValueError as err:
        return str(err)
    return None


def in_uniqueness_tube(
    problem: Any,
    target: Any,
    lam: float,
    region: Any,
    *,
    radius: Any = None,
    n_starts: int = 8,
    n_grid: int | None = None,
    proven: bool = False,
) -> TubeResult:
    """dist(target, φ_λ(region)) < ρ = 1/k_max, the distance from ½‖target − φ_λ(w)‖² minimized.

    The projection of the target point t (any point of R^M, not only the problem's targets) runs
    scipy ``least_squares`` on the embedding (bounded to the box; for samples, unbounded) from
    the `n_starts` region seeds nearest the target, keeps the best, and polishes it by Newton
    steps with the exact Hessian G − II_r. `radius` may be given (a float ρ, a
    `RegionCurvature` or a `curvature_bound.CurvatureBound`) to skip recomputing k_max.

    **Numerical verdict** (default): ``distance < 1/k_max`` with k_max from
    `max_curvature_over`, a local search, so k_max may be underestimated and ρ overestimated;
    ``proven=False``.

    **Proven verdict** (``proven=True``, a box region, a problem with the single-layer
    ``interval_data()`` hook: `NaturalHomotopy` with tanh, logistic or arctan): the projection
    w* (clipped into the box) gives ``distance_upper`` ≥ ‖t − φ_λ(w*)‖ in interval arithmetic,
    `curvature_bound.curvature_upper_bound` gives k_upper ≥ k(w) on the whole box and
    ``radius_lower = 1/k_upper``; ``inside = proven = distance_upper < radius_lower``. What
    that proves, with E_t(w) = ½‖t − φ_λ(w)‖² and ρ = radius_lower:

    1. dist(t, φ_λ(box)) ≤ distance_upper < ρ: t lies in the tube of radius ρ about φ_λ(box).
    2. Every critical point w of E_t in the box with ‖t − φ_λ(w)‖ < ρ (among them every
       interior minimizer of E_t over the box, since min E_t ≤ ½ distance_upper²) is a
       nondegenerate strict local minimizer: there r = t − φ_λ(w) is normal, so
       |vᵀII_r v| = |rᵀP_N∂²φ[v, v]| ≤ ‖r‖ k(w) vᵀGv < vᵀGv and ∇²E_t = G − II_r ≻ 0.
       In particular t is not a focal point of φ_λ(w) for any such w.

    It does **not** prove that the nearest point is unique (two distant parts of φ_λ(box) may
    be close to each other: 1/k_max bounds the reach only from above), nor that w* is within
    any distance of a critical point. `unique_in_box` is the stronger, separately proven
    statement: sup ‖t − φ_λ‖·k_raw < 1 on every leaf of the bound's partition, so E_t is
    strictly convex on the box (one minimizer, at most one critical point, one nearest point
    of φ_λ(box)). ``inside=False`` means not proven, not outside.

    When a proven verdict is impossible (no hook, e.g. `FunctionHomotopy` or `MLPHomotopy`; an
    activation without enclosures; a `Samples` region) ``proven=True`` falls back to the
    numerical verdict with ``proven=False`` and a `message` saying why (it does not raise).

    **Raises:** `ValueError` naming `target`, `region` or `radius` (with ``proven=True``, a
    radius must be None or a CurvatureBound for this λ and box: a float cannot be trusted).
    """
    from . import curvature_bound as cbound

    p = _check_problem(problem)
    lam = check_lam(lam)
    lo, hi, seeds = _region(p.manifold.n, region, n_grid)
    nu = seeds.shape[1]
    is_box = isinstance(region, Box) or (
        not isinstance(region, Samples) and np.shape(region) == (nu, 2)
    )
    Z = np.asarray(_embeddings_jit(p.dynamic, p.static, jnp.asarray(seeds), lam))
    tgt = np.asarray(_check_vector("target", target, Z.shape[1]))
    why_not = _provability(problem, is_box) if proven else None
    prove = proven and why_not is None
    bound = None
    if isinstance(radius, cbound.CurvatureBound):
        bound = radius
        if bound.lam != lam or not (
            np.array_equal(bound.box.lo, lo) and np.array_equal(bound.box.hi, hi) and is_box
        ):
            raise ValueError(
                f"radius: this CurvatureBound is for λ = {bound.lam} and the box "
                f"[{bound.box.lo.tolist()}, {bound.box.hi.tolist()}], not for λ = {lam} and "
                "this region; pass the bound of this λ and box (or None)"
            )
        rho = bound.radius_lower
    elif prove and radius is not None:
        raise ValueError(
            "radius: a proven verdict needs radius=None or a curvature_bound.CurvatureBound "
            f"(a {type(radius).__name__} radius is not proven)"
        )
    elif prove:
        bound = cbound.curvature_upper_bound(problem, lam, Box(lo, hi))
        rho = bound.radius_lower
    elif radius is None:
        rho = max_curvature_over(problem, lam, region, n_grid=n_grid).radius
    elif isinstance(radius, RegionCurvature):
        rho = radius.radius
    else:
        rho = float(radius)
        if not rho > 0:
            raise ValueError(f"radius: expected a positive float, got {radius!r}")
    d0 = np.linalg.norm(Z - tgt, axis=1)
    starts = seeds[np.argsort(d0)[: max(1, n_starts)]]

    def fun(w: np.ndarray) -> np.ndarray:
        return np.asarray(_embedding_jit(p.dynamic, p.static, jnp.asarray(w), lam)) - tgt

    def jac(w: np.ndarray) -> np.ndarray:
        return np.asarray(_jacobian_jit(p.dynamic, p.static, jnp.asarray(w), lam))

    bounds = (lo, hi) if is_box else (-np.inf, np.inf)
    from scipy import optimize  # on first use: importing it costs ~0.15 s

    best_w, best_d = starts[0], math.inf
    for w0 in starts:
        sol = optimize.least_squares(
            fun, w0, jac=jac, bounds=bounds, method="trf", xtol=1e-15, ftol=1e-15, gtol=1e-15
        )
        dist = float(np.linalg.norm(sol.fun))
        if dist < best_d:
            best_w, best_d = sol.x, dist
    best_w, best_d = _newton_polish(p, tgt, lam, best_w, best_d, lo, hi, is_box)
    if is_box:  # the proof needs w* in the box exactly; the solver may overshoot by rounding
        best_w = np.clip(best_w, lo, hi)
    point = np.asarray(_embedding_jit(p.dynamic, p.static, jnp.asarray(best_w), lam))
    J = np.asarray(_jacobian_jit(p.dynamic, p.static, jnp.asarray(best_w), lam))
    r = tgt - point
    nr = float(np.linalg.norm(r))
    best_d = nr
    orth = 0.0 if nr == 0.0 else float(np.linalg.norm(J.T @ r)) / (float(np.linalg.norm(J, 2)) * nr)
    base = (np.asarray(best_w), point, orth)
    if not prove:
        msg = _NUMERICAL if why_not is None else f"{_NUMERICAL}; cannot prove: {why_not}"
        return TubeResult(
            bool(best_d < rho), best_d, rho, base[0], base[1], base[2], message=msg, bound=bound
        )
    assert bound is not None
    d_up = cbound.distance_upper_bound(problem, tgt, lam, best_w)
    rho_low = bound.radius_lower
    inside = bool(d_up < rho_low)
    unique = cbound.strictly_convex_on_box(problem, tgt, bound)
    if inside:
        msg = (
            f"proven: ‖t − φ_λ(w*)‖ ≤ {d_up:.6g} < ρ_lower = {rho_low:.6g} = 1/k_upper with w* "
            "in the box: every critical point of E_t in the box within ρ_lower of t is a "
            "nondegenerate local minimum"
        )
    else:
        msg = (
            f"not proven: ‖t − φ_λ(w*)‖ ≤ {d_up:.6g} is not below the proven ρ_lower = "
            f"{rho_low:.6g} (k_upper = {bound.k_upper:.6g}; {bound.message})"
        )
    if unique:
        msg += "; E_t is proven strictly convex on the box (a unique minimizer there)"
    return TubeResult(
        inside, best_d, rho_low, base[0], base[1], base[2],
        proven=inside, distance_upper=d_up, radius_lower=rho_low, unique_in_box=unique,
        message=msg, bound=bound,
    )  # fmt: skip
