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
- ``max_curvature``: $k(w) = \max_{\|n\| = 1,\ n \perp T_zZ} \max|\kappa|$
  (`homotopy.normal_curvature`): exact for codimension ≤ 3 (closed forms, or ascent with a
  certificate) and for n ≤ 2 (at any codimension); otherwise the normal-space ascent, O(M·n)
  per step with only n × n solves, a lower estimate (bracketed by a leverage upper bound for a
  single-layer network);
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

from . import region_search
from ._checks import INT_MAX, check_array, check_int, check_lam
from .manifold import Manifold, manifold_of
from .normal_curvature import (
    FULL,
    METRIC_COND_MAX,
    MaxCurvature as MaxCurvature,
    _max_curvature_core,
    _metric,
    curvatures_at,
    normal_space as _normal_space,
)
from .protocol import Static, join_problem, split_problem
from .region_search import RegionCurvature as RegionCurvature, max_curvature_over
from .regions import Ball as Ball, Box as Box, Samples as Samples


Array = jax.Array

__all__ = [
    "Ball",
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


def _immersion_error(rank: int, n: int, cond: float, at: str = "") -> ValueError:
    return ValueError(
        f"problem: φ_λ is not an immersion{at}: rank J = {rank} < n = {n} numerically "
        f"(cond G = {cond:.3g} > {METRIC_COND_MAX:.0e}: G = JᵀJ is singular in float64; for a "
        "network, rank X̃ < s or saturated units)"
    )


def _check_immersion(frame: _Frame) -> None:
    """`ValueError` naming `problem` unless J has full column rank n (cond G ≤ 1e13)."""
    n = frame.J.shape[-1]
    if bool(frame.ok):
        return
    raise _immersion_error(int(frame.rank), n, float(frame.cond))


# ----------------------------------------------------------------------------- generic cores


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
    """z, r, J, G at a point; `ok`/`cond`/`rank` from the metric (`normal_curvature`)."""

    z: Array
    r: Array | None
    J: Array
    G: Array
    ok: Array
    cond: Array
    rank: Array


def _frame(dynamic: Any, static: Static | None, w: Array, lam: Array) -> _Frame:
    """No normal basis here: it is (M, M − n), too big for real data (`_normals_jit` makes it)."""
    m = _manifold(dynamic, static)
    z = _embed(m, w, lam)
    J = m.embedding_jacobian(w, lam)
    if J.shape != (z.shape[0], w.shape[0]):
        raise ValueError(
            f"problem: embedding_jacobian(w, lam) has shape {J.shape}, expected "
            f"{(z.shape[0], w.shape[0])}"
        )
    r = None if m.residual is None else m.residual(w, lam)
    G, _, ok, cond, rank, _ = _metric(J)
    return _Frame(z, r, J, G, ok, cond, rank)


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
_ii_jit = _jit(_ii)
_embedding_jit = _jit(_embedding)
_embeddings_jit = _jit(_embeddings)
_jacobian_jit = _jit(_jacobian)
_error_hessian_jit = _jit(_error_hessian)


# ----------------------------------------------------------------------------- public, pointwise


def _dims(p: _Problem, w: Array) -> tuple[int, int]:
    """(M, n) at trace time, with the a-priori immersion check M ≥ n."""
    z = jax.eval_shape(lambda d, v: _embedding(d, p.static, v, jnp.zeros(())), p.dynamic, w)
    return z.shape[0], w.shape[0]


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
    return _normal_space_jit(_checked_frame(p, w, lam).J)


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
    n_hat = _unit_normal(fr.J, normal)
    kappa, V = _geneig_jit(fr.G, _ii_jit(p.dynamic, p.static, w, lam, n_hat))
    return Curvatures(kappa, V, n_hat)


def _hypersurface_frame(problem: Any, w: Any, lam: float) -> tuple[_Frame, Array]:
    p, w, lam = _args(problem, w, lam)
    fr = _checked_frame(p, w, lam)
    M, n = fr.J.shape
    if M != n + 1:
        raise ValueError(
            f"problem: Gaussian and mean curvature need a hypersurface (M = n + 1), "
            f"but the codimension is {M - n}"
        )
    return fr, _ii_jit(p.dynamic, p.static, w, lam, _normal_space_jit(fr.J)[:, 0])


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


def max_curvature(problem: Any, w: Any, lam: float, *, max_iter: int = FULL) -> MaxCurvature:
    """k(w) = max over unit n ⟂ T_zZ of max|κ(II_n, G)| = max_y ‖P_N ∂²φ[y, y]‖ / yᵀGy.

    Exact for codimension ≤ 3: an eigenproblem (codimension 1), all critical points of a
    quartic (n = 2), else multi-start ascent certified by a simplicial cover of the normal
    sphere (codimension 2 and 3). Exact for n ≤ 2 at any codimension (the ≤ 3 projected second
    derivatives P_N ∂²φ[e_a, e_b] span every P_N ∂²φ[y, y]). Otherwise (n ≥ 3, codimension
    ≥ 4) **the normal-space form**: multi-start shifted power iteration on
    F(x) = ‖P_N ∂²φ[R⁻ᵀx, R⁻ᵀx]‖², G = RRᵀ, with P_N h = h − JG⁻¹Jᵀh, so every step
    costs O(M·n) and only n × n factorizations are formed, never a normal basis or an M × M
    matrix (``method="normal-space"``). Its value is attained (a lower estimate of k); for a
    single-layer network (a ridge manifold, `homotopy.manifold`) `upper_bound` is the
    leverage bound k ≤ KS(ρ²h; h)^{1/2} of `homotopy.curvature_bound` at the point (in
    floating point, widened for rounding), else ∞. ``max_iter`` caps that ascent's steps:
    0 returns the best start (G's weakest directions, fixed random ones and, on a ridge
    manifold, the needles of the coordinates with the largest |ρ|√h) with the same bound, a
    bracket at a few passes over the data. See `homotopy.normal_curvature` and `MaxCurvature`.

    **Raises:** `ValueError` naming `problem` where G = JᵀJ is numerically singular
    (cond G > 1e13: rank X̃ < s, or units saturated at λ = 1), or `max_iter`.
    """
    p, w, lam = _args(problem, w, lam)
    max_iter = check_int("max_iter", max_iter, 0, most=INT_MAX)
    M, n = _dims(p, w)
    pc = curvatures_at(p.dynamic, p.static, np.asarray(w)[None], lam, M=M, iters=max_iter)
    if pc.results[0] is None:
        raise _immersion_error(int(pc.rank[0]), n, float(pc.cond[0]))
    return pc.results[0]


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
        return "region: a proven verdict needs a box (Box or (n, 2) array), not a ball or samples"
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
    n_seeds: int = 32,
    path: Any = None,
    proven: bool = False,
) -> TubeResult:
    """dist(target, φ_λ(region)) < ρ = 1/k_max, the distance from ½‖target − φ_λ(w)‖² minimized.

    The projection of the target point t (any point of R^M, not only the problem's targets) runs
    scipy ``least_squares`` on the embedding (bounded to the box; for samples, unbounded) from
    the `n_starts` region seeds nearest the target, keeps the best, and polishes it by Newton
    steps with the exact Hessian G − II_r (a ball is searched in its bounding box, the result
    projected back into it). The seeds are `max_curvature_over`'s first round (`n_seeds` per
    scale, plus the points of `path` in the region). `radius` may be given (a float ρ, a
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
    reg = region_search.parse_region(p.manifold.n, region)
    lo, hi = reg.lo, reg.hi
    pts = region_search._path_points(path, reg.n)
    m = max(0, round(math.log2(region_search._int_option("n_seeds", n_seeds, 1))))
    seeds = region_search.seeds(reg, 0, [m] * len(reg.levels()), 0, pts)[0]
    is_box = reg.kind == "box"
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
        rho = max_curvature_over(problem, lam, region, n_seeds=n_seeds, path=path).radius
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

    bounded = reg.kind != "samples"
    bounds = (lo, hi) if bounded else (-np.inf, np.inf)
    from scipy import optimize  # on first use: importing it costs ~0.15 s

    best_w, best_d = starts[0], math.inf
    for w0 in starts:
        sol = optimize.least_squares(
            fun, w0, jac=jac, bounds=bounds, method="trf", xtol=1e-15, ftol=1e-15, gtol=1e-15
        )
        dist = float(np.linalg.norm(sol.fun))
        if dist < best_d:
            best_w, best_d = sol.x, dist
    best_w, best_d = _newton_polish(p, tgt, lam, best_w, best_d, lo, hi, bounded)
    if bounded:  # the proof needs w* in the box exactly; the solver may overshoot by rounding
        best_w = reg.project(np.asarray(best_w)[None])[0]
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
