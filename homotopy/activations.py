"""The activation family σ and its blend σ_λ(t) = (1 − λ)·t + λ·σ(t).

Every built-in σ carries closed-form first and second derivatives written to stay
accurate in the saturated tails (no ``1 − tanh²`` cancellation), an inverse for
closed-form reference solutions, and a sympy twin for exact derivations.
A user-given JAX-traceable callable gets its derivatives from ``jax.grad``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import jax.scipy.special as jsp


Array = jax.Array
ActivationLike = "str | Callable[[Array], Array] | Activation"


def _sech2(t: Array) -> Array:
    """sech²(t) = 4e^{−2|t|}/(1 + e^{−2|t|})², exact down to the smallest float."""
    e = jnp.exp(-2.0 * jnp.abs(t))
    return 4.0 * e / (1.0 + e) ** 2


def _tanh_d2(t: Array) -> Array:
    """tanh''(t) = −2 tanh(t) sech²(t)."""
    return -2.0 * jnp.tanh(t) * _sech2(t)


def _logistic_d1(t: Array) -> Array:
    """σ'(t) = σ(t)σ(−t), the symmetric form that keeps the tails accurate."""
    return jax.nn.sigmoid(t) * jax.nn.sigmoid(-t)


def _logistic_d2(t: Array) -> Array:
    """σ''(t) = σ'(t)(σ(−t) − σ(t)) = −σ'(t)·tanh(t/2), the tanh form keeping the relative
    accuracy near t = 0 (the difference σ(−t) − σ(t) cancels there)."""
    return -_logistic_d1(t) * jnp.tanh(0.5 * t)


_SQRT_PI_INV2 = 2.0 / math.sqrt(math.pi)


@dataclass(frozen=True, eq=True)
class Activation:
    """A scalar sigmoid σ with derivatives; ``blend`` and friends give σ_λ.

    **Arguments:**

    - `name`: a label (the built-in name, or the callable's ``__name__``).
    - `sigma`, `d1`, `d2`: elementwise σ, σ', σ'' (JAX-traceable).
    - `inverse`: elementwise σ⁻¹ on the range of σ, or ``None``.
    - `sympy_sigma`: a function mapping a sympy symbol to the exact expression, or ``None``.
    - `range`: the open interval σ(R).
    """

    name: str
    sigma: Callable[[Array], Array] = field(repr=False)
    d1: Callable[[Array], Array] = field(repr=False)
    d2: Callable[[Array], Array] = field(repr=False)
    inverse: Callable[[Array], Array] | None = field(default=None, repr=False)
    sympy_sigma: Callable[[Any], Any] | None = field(default=None, repr=False)
    range: tuple[float, float] = (-math.inf, math.inf)

    def blend(self, t: Array, lam: Array | float) -> Array:
        """σ_λ(t) = (1 − λ)·t + λ·σ(t)."""
        return (1.0 - lam) * t + lam * self.sigma(t)

    def blend_d1(self, t: Array, lam: Array | float) -> Array:
        """σ_λ'(t) = (1 − λ) + λ·σ'(t) > 0."""
        return (1.0 - lam) + lam * self.d1(t)

    def blend_d2(self, t: Array, lam: Array | float) -> Array:
        """σ_λ''(t) = λ·σ''(t)."""
        return lam * self.d2(t)

    def blend_dlam(self, t: Array) -> Array:
        """∂σ_λ(t)/∂λ = σ(t) − t."""
        return self.sigma(t) - t

    def blend_d1_dlam(self, t: Array) -> Array:
        """∂σ_λ'(t)/∂λ = σ'(t) − 1."""
        return self.d1(t) - 1.0

    def sympy_blend(self, t: Any, lam: Any) -> Any:
        """The exact sympy expression of σ_λ(t)."""
        if self.sympy_sigma is None:
            raise ValueError(f"activation {self.name!r} has no sympy twin")
        return (1 - lam) * t + lam * self.sympy_sigma(t)


def _sympy(name: str) -> Callable[[Any], Any]:
    """The sympy function `name`, looked up on first use: importing sympy costs ~0.3 s, and
    only the exact derivations (`homotopy.symbolic`, the tests) need it."""

    def sigma(t: Any) -> Any:
        import sympy

        return getattr(sympy, name)(t)

    sigma.__name__ = sigma.__qualname__ = f"sympy_{name}"
    return sigma


def _sympy_logistic(t: Any) -> Any:
    import sympy

    return 1 / (1 + sympy.exp(-t))


def _sympy_softsign(t: Any) -> Any:
    import sympy

    return t / (1 + sympy.Abs(t))


def _softsign_inverse(y: Array) -> Array:
    return y / (1.0 - jnp.abs(y))


BUILTIN_ACTIVATIONS: dict[str, Activation] = {
    "tanh": Activation(
        "tanh", jnp.tanh, _sech2, _tanh_d2, jnp.arctanh, _sympy("tanh"), (-1.0, 1.0)
    ),
    "logistic": Activation(
        "logistic",
        jax.nn.sigmoid,
        _logistic_d1,
        _logistic_d2,
        jsp.logit,
        _sympy_logistic,
        (0.0, 1.0),
    ),
    "arctan": Activation(
        "arctan",
        jnp.arctan,
        lambda t: 1.0 / (1.0 + t * t),
        lambda t: -2.0 * t / (1.0 + t * t) ** 2,
        jnp.tan,
        _sympy("atan"),
        (-math.pi / 2, math.pi / 2),
    ),
    "erf": Activation(
        "erf",
        jsp.erf,
        lambda t: _SQRT_PI_INV2 * jnp.exp(-t * t),
        lambda t: -2.0 * t * _SQRT_PI_INV2 * jnp.exp(-t * t),
        jsp.erfinv,
        _sympy("erf"),
        (-1.0, 1.0),
    ),
    # softsign is C¹ but not C² at 0 (σ'' jumps from +2 to −2): curvature is discontinuous there.
    "softsign": Activation(
        "softsign",
        lambda t: t / (1.0 + jnp.abs(t)),
        lambda t: 1.0 / (1.0 + jnp.abs(t)) ** 2,
        lambda t: -2.0 * jnp.sign(t) / (1.0 + jnp.abs(t)) ** 3,
        _softsign_inverse,
        _sympy_softsign,
        (-1.0, 1.0),
    ),
}


def _from_callable(fn: Callable[[Array], Array]) -> Activation:
    d1 = jnp.vectorize(jax.grad(fn))
    d2 = jnp.vectorize(jax.grad(jax.grad(fn)))
    name = getattr(fn, "__name__", type(fn).__name__)
    return Activation(name, fn, d1, d2)


def get_activation(activation: str | Callable[[Array], Array] | Activation) -> Activation:
    """Resolve a name, a JAX-traceable scalar callable or an `Activation` into an `Activation`.

    **Raises:** `ValueError` naming `activation` if it is an unknown name or not callable.
    """
    if isinstance(activation, Activation):
        return activation
    if isinstance(activation, str):
        try:
            return BUILTIN_ACTIVATIONS[activation]
        except KeyError:
            known = ", ".join(sorted(BUILTIN_ACTIVATIONS))
            raise ValueError(
                f"activation: unknown name {activation!r}; choose one of {known} "
                "or pass a JAX-traceable callable"
            ) from None
    if callable(activation):
        try:
            value = jax.eval_shape(activation, jax.ShapeDtypeStruct((), jnp.float64))
        except Exception as err:  # a callable JAX cannot trace is refused here, not mid-loop
            raise ValueError(f"activation: the callable is not JAX-traceable ({err})") from err
        if getattr(value, "shape", None) != ():
            raise ValueError("activation: the callable must map a scalar to a scalar")
        return _from_callable(activation)
    raise ValueError(f"activation: expected a name or a callable, got {type(activation).__name__}")


def interval_activation(activation: Any) -> str:
    """σ's name for `homotopy.certification.IntervalData`: the built-in's name, or
    ``"user-defined 'name'"`` (which `certify` refuses) for a callable or `Activation` that
    merely shares a built-in's name."""
    name = getattr(activation, "name", str(activation))
    if BUILTIN_ACTIVATIONS.get(name) == activation:
        return name
    return f"user-defined {name!r}"
