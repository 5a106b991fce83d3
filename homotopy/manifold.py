r"""The data-manifold hooks of the problem protocol: what `homotopy.geometry` and
`homotopy.plotting` ask of a problem.

A problem describes its data manifold $Z_\lambda = \phi_\lambda(\mathbb R^n) \subset \mathbb R^M$
by the methods below (any object that has them will do; nothing needs subclassing). For a
network, $M = L m$ (patterns × outputs, flattened row-major) and $n = s m$ weights;
`NaturalHomotopy` provides every hook in closed form.

- ``embedding(w, lam) -> (M,)``, **required**: $z = \phi_\lambda(w)$, traceable by JAX
  (``w`` of shape ``(n,)``, ``lam`` a scalar). Where JAX can differentiate it, the
  normal-space curvature kernel projects through its JVP (else through J).
- ``embedding_jacobian(w, lam) -> (M, n)``, optional: $J = \partial\phi_\lambda/\partial w$;
  its columns span $T_zZ$, and $G = J^TJ$ is the metric. Default: ``jax.jacfwd``.
- ``second_fundamental_form(w, lam, normal) -> (n, n)``, optional: the raw contraction
  $II_\nu = \sum_i \nu_i\,\partial^2\phi_i/\partial w^2$ for any $\nu \in \mathbb R^M$ (linear
  in ν, **no** projection onto the normal space, so $II_r$ with the residual r gives
  $\nabla^2 E = G - II_r$). Default: the Hessian of $w \mapsto \nu\cdot\phi_\lambda(w)$
  (one reverse pass, then n forward ones).
- ``embedding_second_derivative(w, lam, y) -> (M,)``, optional: $\partial^2\phi_\lambda[y, y]
  = \sum_{ab}\partial^2\phi/\partial w_a\partial w_b\,y_a y_b$, for the smooth curvature
  objective of `geometry.max_curvature_over`. Default: a JVP of a JVP.
- ``ridge_derivatives(w, lam) -> ((M,), (M,))``, optional, no default: for a manifold whose
  coordinates are ridge functions $\phi_m(w) = f_m(a_m^Tw)$ (a single-layer network: $a_m$ a
  row of the block design), $(f_m'(a_m^Tw), f_m''(a_m^Tw))$. Then $J_m = f_m' a_m^T$ and
  $\partial^2\phi_m[y, y] = f_m''(a_m^Ty)^2$, which give `homotopy.normal_curvature` its
  needle starts and a pointwise upper bound on k(w) by leverages; without it k(w) is a lower
  estimate only at codimension ≥ 4.
- ``targets -> (M,)``, optional attribute or property: the target point $d$ (flattened like
  the embedding), so the residual is $r = d - \phi_\lambda(w)$. A problem may give
  ``residual(w, lam) -> (M,)`` instead (``targets`` wins when both exist). Needed by
  `geometry.focal_distances`, `error_hessian`, `generalized_orthogonality` and the figures
  that draw the target; the other functions work without it.
- ``n_unknowns``, optional: n. Without it n is read from the ``w`` (or region) given.

Immersion: $\phi_\lambda$ must be an immersion where the geometry is evaluated, i.e. $M \ge n$
(checked when the functions are traced) and $J$ of full column rank n at the point (checked
by `homotopy.geometry` wherever it forms the frame $J, G, N$).

`manifold_of` resolves a problem's hooks, filling in the autodiff defaults, into a `Manifold`;
`dimensions` gives (M, n) without evaluating anything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp


Array = jax.Array

__all__ = ["HOOKS", "Manifold", "dimensions", "manifold_of"]

HOOKS = (
    "embedding",
    "embedding_jacobian",
    "second_fundamental_form",
    "embedding_second_derivative",
    "ridge_derivatives",
)


class Manifold(NamedTuple):
    """A problem's data-manifold hooks, each the problem's own or the autodiff default.

    - `embedding`: (w, λ) ↦ φ_λ(w) ``(M,)``.
    - `embedding_jacobian`: (w, λ) ↦ J = ∂φ_λ/∂w ``(M, n)``.
    - `second_fundamental_form`: (w, λ, ν) ↦ II_ν = Σ_i ν_i ∂²φ_i/∂w² ``(n, n)``.
    - `embedding_second_derivative`: (w, λ, y) ↦ ∂²φ_λ[y, y] ``(M,)``.
    - `ridge_derivatives`: (w, λ) ↦ (f'(a_mᵀw), f''(a_mᵀw)) per coordinate, or ``None``.
    - `residual`: (w, λ) ↦ r = d − φ_λ(w) ``(M,)``, or ``None`` (no targets, no residual).
    - `targets`: d ``(M,)``, or ``None``.
    - `n`: the number of weights n, or ``None`` when the problem does not say.
    """

    embedding: Callable[[Array, Array], Array]
    embedding_jacobian: Callable[[Array, Array], Array]
    second_fundamental_form: Callable[[Array, Array, Array], Array]
    embedding_second_derivative: Callable[[Array, Array, Array], Array]
    ridge_derivatives: Callable[[Array, Array], tuple[Array, Array]] | None
    residual: Callable[[Array, Array], Array] | None
    targets: Array | None
    n: int | None


def _jacobian_default(phi: Callable[[Array, Array], Array]) -> Callable[[Array, Array], Array]:
    """J = ∂φ/∂w by forward-mode autodiff (n JVPs)."""

    def embedding_jacobian(w: Array, lam: Array) -> Array:
        return jax.jacfwd(phi)(w, lam)

    return embedding_jacobian


def _sff_default(phi: Callable[[Array, Array], Array]) -> Callable[[Array, Array, Array], Array]:
    """II_ν = ∂²(ν·φ)/∂w², forward over reverse, symmetrized (exact up to rounding)."""

    def second_fundamental_form(w: Array, lam: Array, normal: Array) -> Array:
        H = jax.hessian(lambda v: jnp.dot(normal, phi(v, lam)))(w)
        return 0.5 * (H + H.T)

    return second_fundamental_form


def _d2_default(phi: Callable[[Array, Array], Array]) -> Callable[[Array, Array, Array], Array]:
    """∂²φ[y, y] = d²/dt² φ(w + t y) at t = 0, a JVP of a JVP."""

    def embedding_second_derivative(w: Array, lam: Array, y: Array) -> Array:
        def dphi(v: Array) -> Array:
            return jax.jvp(lambda u: phi(u, lam), (v,), (y,))[1]

        return jax.jvp(dphi, (w,), (y,))[1]

    return embedding_second_derivative


def _hook(problem: Any, name: str) -> Callable[..., Array] | None:
    fn = getattr(problem, name, None)
    if fn is not None and not callable(fn):
        raise ValueError(
            f"problem: {type(problem).__name__}.{name} must be a method (see homotopy.manifold)"
        )
    return fn


def manifold_of(problem: Any) -> Manifold:
    """The `Manifold` of a problem: its hooks, with autodiff for the optional ones it lacks.

    Cheap and trace-safe (only attribute look-ups), so it may run inside ``jit``.

    **Raises:** `ValueError` naming `problem` when it has no ``embedding(w, lam)`` or a hook
    that is not callable.
    """
    phi = _hook(problem, "embedding")
    if phi is None:
        raise ValueError(
            f"problem: {type(problem).__name__} has no embedding(w, lam), the data-manifold "
            "hook the geometry needs (see homotopy.manifold)"
        )
    jac = _hook(problem, "embedding_jacobian") or _jacobian_default(phi)
    sff = _hook(problem, "second_fundamental_form") or _sff_default(phi)
    d2 = _hook(problem, "embedding_second_derivative") or _d2_default(phi)
    ridge = _hook(problem, "ridge_derivatives")
    targets = getattr(problem, "targets", None)
    if targets is not None:
        d = jnp.reshape(jnp.asarray(targets), (-1,))

        def residual(w: Array, lam: Array) -> Array:
            return d - phi(w, lam)

        targets = d
    else:
        residual = _hook(problem, "residual")
    n = getattr(problem, "n_unknowns", None)
    return Manifold(phi, jac, sff, d2, ridge, residual, targets, None if n is None else int(n))


def dimensions(problem: Any, n: int | None = None) -> tuple[int, int]:
    """(M, n): the ambient dimension of the embedding and the number of weights.

    n is `n` or ``problem.n_unknowns``; M comes from ``jax.eval_shape`` (nothing evaluated).

    **Raises:** `ValueError` naming `problem` (no embedding, or it is not a vector) or `n`
    (neither given nor known).
    """
    m = manifold_of(problem)
    n = m.n if n is None else int(n)
    if n is None:
        raise ValueError("n: the problem has no n_unknowns; give the number of weights")
    w = jax.ShapeDtypeStruct((n,), jnp.float64)
    lam = jax.ShapeDtypeStruct((), jnp.float64)
    shape = jax.eval_shape(m.embedding, w, lam).shape
    if len(shape) != 1:
        raise ValueError(f"problem: embedding(w, lam) must return a vector (M,), got {shape}")
    return shape[0], n
