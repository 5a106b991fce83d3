r"""A 2-D layer $x \mapsto \sigma_\lambda(Wx + b)$ as a map of the plane (Colah's pictures).

After C. Olah, *Neural Networks, Manifolds, and Topology* (2014): a layer with a strictly
increasing activation and a non-singular $W$ is a homeomorphism onto its image — it bends and
squashes the plane without tearing or gluing it; a singular $W$ collapses the plane onto a line
(λ = 0) or a curve (λ > 0), gluing every line parallel to $\ker W$ into one point.

Every $\sigma_\lambda(t) = (1-\lambda)t + \lambda\sigma(t)$ is strictly increasing
($\sigma_\lambda' = (1-\lambda) + \lambda\sigma' > 0$), so the layer is injective iff $W$ is:

- λ < 1: onto $\mathbb R^2$ (the range of $\sigma_\lambda$ is $\mathbb R$), a diffeomorphism;
- λ = 1: onto its image, e.g. the open square $(-1, 1)^2$ for tanh.

**Convention.** Points are rows: for ``x`` of shape ``(N, 2)`` the layer returns
``σ_λ(x @ W.T + b)``, i.e. row ``n`` is $\sigma_\lambda(W x_n + b)$ with the usual column-vector
$W x$. ``W[i, j]`` is the weight from input ``j`` to output ``i``.

Pure JAX / numpy; the figures are in `homotopy.layer_plots`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ._checks import check_lam
from .activations import Activation, get_activation


__all__ = [
    "EXAMPLE_B",
    "EXAMPLE_W_REGULAR",
    "EXAMPLE_W_SINGULAR",
    "TWO_CLASS_KINDS",
    "Layer",
    "grid_lines",
    "two_class_data",
]

Array = jax.Array

#: A non-singular example (det = 1.88): a shear-rotation that tanh then bends.
EXAMPLE_W_REGULAR = np.array([[1.4, 0.6], [-0.8, 1.0]])
#: A singular example (rank 1, kernel spanned by (1, −2)): it flattens the plane onto a curve.
EXAMPLE_W_SINGULAR = np.array([[1.2, 0.6], [-0.8, -0.4]])
#: A bias moving the picture off-centre so that tanh's bending is not symmetric.
EXAMPLE_B = np.array([0.3, -0.2])

TWO_CLASS_KINDS = ("curves", "circles", "moons", "spirals")


# ----------------------------------------------------------------------------- validation


def _as_real(name: str, value: Any, shape: tuple[int, ...]) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name}: not a real numeric array ({err})") from None
    if arr.shape != shape:
        raise ValueError(f"{name}: expected shape {shape}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: must be finite, got {arr.tolist()}")
    return arr


def _check_points(name: str, x: Any) -> Array:
    try:
        arr = jnp.asarray(x, dtype=jnp.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name}: not a real numeric array ({err})") from None
    if arr.ndim == 0 or arr.shape[-1] != 2:
        raise ValueError(f"{name}: expected points of shape (N, 2) (or (2,)), got {arr.shape}")
    return arr


# ----------------------------------------------------------------------------- σ_λ⁻¹


@partial(jax.jit, static_argnums=0)
def _blend_inverse(activation: Activation, y: Array, lam: Array) -> tuple[Array, Array]:
    """Solve σ_λ(t) = y elementwise: safeguarded Newton inside an expanding bracket.

    σ_λ is strictly increasing, so a bracket [a, b] with σ_λ(a) ≤ y ≤ σ_λ(b) is found by
    doubling its half-width around y; Newton steps that leave the bracket (or are not finite,
    e.g. where σ_λ' underflows) are replaced by bisection. Returns (t, converged); t is NaN
    where y is outside the range of σ_λ (no bracket in 2¹⁰⁰⁰).
    """

    def f(t):
        return activation.blend(t, lam) - y

    def expand(state):
        a, b, width, k = state
        a = jnp.where(f(a) > 0, y - width, a)
        b = jnp.where(f(b) < 0, y + width, b)
        return a, b, 2.0 * width, k + 1

    def not_bracketed(state):
        a, b, _, k = state
        return jnp.any((f(a) > 0) | (f(b) < 0)) & (k < 1000)

    a, b, _, _ = jax.lax.while_loop(
        not_bracketed, expand, (y - 1.0, y + 1.0, jnp.full_like(y, 2.0), 0)
    )
    bracketed = (f(a) <= 0) & (f(b) >= 0)

    def newton(state):
        t, a, b, _, k = state
        ft = f(t)
        a = jnp.where(ft <= 0, t, a)
        b = jnp.where(ft >= 0, t, b)
        t_new = t - ft / activation.blend_d1(t, lam)
        inside = jnp.isfinite(t_new) & (t_new >= a) & (t_new <= b)
        t_new = jnp.where(inside, t_new, 0.5 * (a + b))
        step = jnp.where(ft == 0, 0.0, jnp.abs(t_new - t))
        return t_new, a, b, step, k + 1

    def going(state):
        t, _, _, step, k = state
        tol = 4.0 * jnp.finfo(t.dtype).eps * jnp.maximum(1.0, jnp.abs(t))
        return jnp.any(step > tol) & (k < 3000)

    t0 = jnp.clip(y, a, b)
    t, _, _, step, _ = jax.lax.while_loop(going, newton, (t0, a, b, jnp.full_like(y, jnp.inf), 0))
    tol = 4.0 * jnp.finfo(t.dtype).eps * jnp.maximum(1.0, jnp.abs(t))
    ok = bracketed & (step <= tol)
    return jnp.where(bracketed, t, jnp.nan), ok


# ----------------------------------------------------------------------------- the layer


@dataclass(frozen=True, eq=False)
class Layer:
    r"""The map $x \mapsto \sigma_\lambda(Wx + b)$ of the plane, for points as rows.

    **Arguments:**

    - `W`: the ``(2, 2)`` weight matrix (finite).
    - `b`: the bias, shape ``(2,)`` (finite).
    - `activation`: a name (``"tanh"``, ``"logistic"``, ``"arctan"``, ``"erf"``, ``"softsign"``),
      a JAX-traceable scalar callable or an `Activation`.

    For points ``x`` of shape ``(N, 2)``, ``layer(x, lam) = σ_λ(x @ W.T + b)`` — row ``n`` is
    $\sigma_\lambda(W x_n + b)$. A single point of shape ``(2,)`` is accepted too.

    **Raises:** `ValueError` naming `W`, `b` or `activation` on bad input.
    """

    W: np.ndarray
    b: np.ndarray
    activation: Activation = field(default="tanh")  # type: ignore[assignment]

    def __post_init__(self) -> None:
        object.__setattr__(self, "W", _as_real("W", self.W, (2, 2)))
        object.__setattr__(self, "b", _as_real("b", self.b, (2,)))
        object.__setattr__(self, "activation", get_activation(self.activation))
        self.W.setflags(write=False)
        self.b.setflags(write=False)

    # -- linear algebra of W

    @property
    def det(self) -> float:
        """det W."""
        return float(np.linalg.det(self.W))

    @property
    def rank(self) -> int:
        """The numerical rank of W (numpy's SVD tolerance ``2·eps·σ_max``)."""
        return int(np.linalg.matrix_rank(self.W))

    @property
    def is_singular(self) -> bool:
        """Whether W is (numerically) singular: rank W < 2."""
        return self.rank < 2

    @property
    def kernel(self) -> np.ndarray | None:
        """A unit vector spanning ker W when W has rank 1, else ``None`` (rank 2 or W = 0)."""
        if self.rank != 1:
            return None
        return np.linalg.svd(self.W)[2][-1]

    def is_homeomorphism(self, lam: float = 1.0) -> bool:
        """Whether the layer at blend `lam` is a homeomorphism onto its image.

        True iff W is non-singular, for every λ ∈ [0, 1]: σ_λ is strictly increasing, so the map
        is injective iff W is (onto R² for λ < 1, onto the image for λ = 1; the inverse is
        continuous, see `inverse`). A singular W glues each line ``x + R·ker W`` to one point.
        """
        check_lam(lam)
        return not self.is_singular

    # -- the map and its derivative

    def preactivation(self, x: Array) -> Array:
        """z = x Wᵀ + b (row n is W x_n + b)."""
        x = _check_points("x", x)
        return x @ jnp.asarray(self.W).T + jnp.asarray(self.b)

    def __call__(self, x: Array, lam: float) -> Array:
        """σ_λ(x Wᵀ + b), shape of `x`."""
        lam = check_lam(lam)
        return self.activation.blend(self.preactivation(x), lam)

    def jacobian(self, x: Array, lam: float) -> Array:
        """d/dx σ_λ(Wx + b) = diag(σ_λ'(Wx + b)) W, shape ``(N, 2, 2)``; ``[n, i, j] = ∂y_i/∂x_j``
        at point n."""
        lam = check_lam(lam)
        d1 = self.activation.blend_d1(self.preactivation(x), lam)
        return d1[..., :, None] * jnp.asarray(self.W)

    def det_jacobian(self, x: Array, lam: float) -> Array:
        """det J = σ_λ'(z₁)·σ_λ'(z₂)·det W, shape ``(N,)``: of the sign of det W, zero iff W is
        singular (σ_λ' > 0)."""
        lam = check_lam(lam)
        d1 = self.activation.blend_d1(self.preactivation(x), lam)
        return d1[..., 0] * d1[..., 1] * self.det

    def inverse(self, y: Array, lam: float) -> Array:
        """The point x with σ_λ(Wx + b) = y, for a non-singular W.

        σ_λ is inverted elementwise — exactly at λ = 0 (the identity) and at λ = 1 with the
        activation's closed-form inverse (artanh for tanh) when it has one, else by safeguarded
        Newton on the scalar monotone equation — then ``W x = t − b`` is solved.

        **Raises:** `ValueError` naming `W` when W is singular (there is no inverse), or `y`
        for points outside the layer's image (at λ = 1: outside the range of σ, e.g. (−1, 1)²).
        """
        lam = check_lam(lam)
        if self.is_singular:
            raise ValueError(
                f"W: singular (det W = {self.det:.3g}, rank {self.rank}); the layer is not "
                "injective and has no inverse"
            )
        y = _check_points("y", y)
        if not bool(jnp.all(jnp.isfinite(y))):
            raise ValueError("y: must be finite")
        act = self.activation
        if lam == 0.0:
            t = y
        elif lam == 1.0:
            lo, hi = act.range
            if not bool(jnp.all((y > lo) & (y < hi))):
                raise ValueError(
                    f"y: at lam = 1 every coordinate must lie in the range ({lo:g}, {hi:g}) of "
                    f"{act.name}; the layer's image is that open square"
                )
            t = act.inverse(y) if act.inverse is not None else None
        else:
            t = None
        if t is None:
            t, ok = _blend_inverse(act, y, jnp.asarray(lam, jnp.float64))
            if not bool(jnp.all(ok)):
                raise ValueError(
                    f"y: σ_λ could not be inverted at every point (λ = {lam}); outside the image?"
                )
        return jnp.linalg.solve(jnp.asarray(self.W), (t - jnp.asarray(self.b)).T).T.reshape(y.shape)

    def describe(self) -> str:
        """One line: non-singular (a homeomorphism) or singular (collapses; not one), with det W."""
        if self.is_singular:
            return f"W singular (det W = {self.det:.3g}): collapses the plane — not a homeomorphism"
        return f"W non-singular (det W = {self.det:.3g}): a homeomorphism onto its image"


# ----------------------------------------------------------------------------- pictures' inputs


def grid_lines(lim: float = 1.5, n_lines: int = 11, n_points: int = 101) -> list[np.ndarray]:
    """The lines of a square grid on ``[−lim, lim]²``, as polylines to push through a layer.

    Returns ``2·n_lines`` arrays of shape ``(n_points, 2)``: first the horizontal lines
    (y = const, bottom to top), then the vertical ones (x = const, left to right).

    **Raises:** `ValueError` naming `lim`, `n_lines` or `n_points`.
    """
    try:
        lim = float(lim)
    except (TypeError, ValueError):
        raise ValueError(f"lim: expected a positive float, got {lim!r}") from None
    if not (math.isfinite(lim) and lim > 0):
        raise ValueError(f"lim: expected a positive finite float, got {lim}")
    for name, value, least in (("n_lines", n_lines, 2), ("n_points", n_points, 2)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
            raise ValueError(f"{name}: expected an integer ≥ {least}, got {value!r}")
    levels = np.linspace(-lim, lim, int(n_lines))
    s = np.linspace(-lim, lim, int(n_points))
    horizontal = [np.column_stack([s, np.full_like(s, c)]) for c in levels]
    vertical = [np.column_stack([np.full_like(s, c), s]) for c in levels]
    return horizontal + vertical


def two_class_data(
    kind: str = "curves", n: int = 200, seed: int = 0, noise: float = 0.03
) -> tuple[np.ndarray, np.ndarray]:
    """A small two-class data set in about ``[−1, 1]²``: points ``(n, 2)`` and labels ``(n,)``.

    Kinds (labels 0 and 1, ``n // 2`` and ``n − n // 2`` points):

    - ``"curves"``: Colah's two interleaved sine-like curves, separable by a bent line;
    - ``"circles"``: a disc inside a ring — no homeomorphism of the plane separates them;
    - ``"moons"``: two interleaving half circles;
    - ``"spirals"``: two interleaved spirals.

    Deterministic for a given `seed` (numpy ``default_rng``); `noise` is the standard deviation
    of the Gaussian jitter added to every point.

    **Raises:** `ValueError` naming `kind`, `n` or `noise`.
    """
    if kind not in TWO_CLASS_KINDS:
        raise ValueError(f"kind: expected one of {', '.join(TWO_CLASS_KINDS)}, got {kind!r}")
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 2:
        raise ValueError(f"n: expected an integer ≥ 2, got {n!r}")
    try:
        noise = float(noise)
    except (TypeError, ValueError):
        raise ValueError(f"noise: expected a float ≥ 0, got {noise!r}") from None
    if not (math.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise: expected a finite float ≥ 0, got {noise}")
    rng = np.random.default_rng(seed)
    n0 = int(n) // 2
    n1 = int(n) - n0
    labels = np.concatenate([np.zeros(n0, np.int64), np.ones(n1, np.int64)])
    if kind == "curves":
        s0, s1 = rng.uniform(-1, 1, n0), rng.uniform(-1, 1, n1)
        c0 = np.column_stack([s0, 0.35 * np.sin(2.5 * s0) + 0.25])
        c1 = np.column_stack([s1, 0.35 * np.sin(2.5 * s1) - 0.25])
    elif kind == "circles":
        a0, a1 = rng.uniform(0, 2 * np.pi, n0), rng.uniform(0, 2 * np.pi, n1)
        r0 = 0.4 * np.sqrt(rng.uniform(0, 1, n0))
        r1 = rng.uniform(0.75, 1.0, n1)
        c0 = np.column_stack([r0 * np.cos(a0), r0 * np.sin(a0)])
        c1 = np.column_stack([r1 * np.cos(a1), r1 * np.sin(a1)])
    elif kind == "moons":
        a0, a1 = rng.uniform(0, np.pi, n0), rng.uniform(0, np.pi, n1)
        c0 = np.column_stack([np.cos(a0) - 0.5, np.sin(a0) - 0.25]) * 0.8
        c1 = np.column_stack([0.5 - np.cos(a1), 0.25 - np.sin(a1)]) * 0.8
    else:  # spirals
        r0, r1 = np.sqrt(rng.uniform(0.02, 1, n0)), np.sqrt(rng.uniform(0.02, 1, n1))
        a0, a1 = 3 * np.pi * r0, 3 * np.pi * r1 + np.pi
        c0 = np.column_stack([r0 * np.cos(a0), r0 * np.sin(a0)])
        c1 = np.column_stack([r1 * np.cos(a1), r1 * np.sin(a1)])
    x = np.concatenate([c0, c1]) + noise * rng.standard_normal((int(n), 2))
    return x, labels


def as_layer(
    W: Any, b: Any, activation: str | Callable[[Array], Array] | Activation = "tanh"
) -> Layer:
    """`W`, `b` and `activation` as a `Layer` (a `Layer` passed as `W` is returned unchanged)."""
    if isinstance(W, Layer):
        return W
    return Layer(W, b, activation)
