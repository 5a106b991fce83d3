"""The activation family σ and its blend σ_λ(t) = (1 − λ)·t + λ·σ(t).

Every built-in σ carries closed-form first and second derivatives written to stay
accurate in the saturated tails (no ``1 − tanh²`` cancellation), an inverse for
closed-form reference solutions, and a sympy twin for exact derivations.
A user-given JAX-traceable callable gets its derivatives from ``jax.grad``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import jax.scipy.special as jsp
import numpy as np


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


#: the probe of `_check_sigma`: distinct values of both signs and several sizes, as a
#: (2, 3) matrix (the problems apply σ to (L, m) and (L, h) matrices)
_PROBE = ((-2.5, -0.75, 0.0), (0.3, 1.2, 4.0))
#: relative difference between σ of the probe and σ of its entries allowed for rounding (a
#: vectorized and a scalar kernel may differ by a few ulps)
_ELEMENTWISE_RTOL = 1e-12


def _first_line(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0]}" if text else type(err).__name__


def _check_sigma(fn: Callable[[Array], Array]) -> None:
    """A ValueError naming `activation` unless `fn` traces under JAX, maps a scalar to a real
    scalar, and acts elementwise: σ of the probe matrix has its shape and equals σ of each
    entry (σ(t)[i] depends on t[i] alone; ``jnp.sum`` or a normalization does not)."""
    # concrete even when a problem is built while JAX traces (e.g. inside jit)
    with jax.ensure_compile_time_eval():
        try:
            value = jax.eval_shape(fn, jax.ShapeDtypeStruct((), jnp.float64))
        except Exception as err:  # a callable JAX cannot trace is refused here, not mid-loop
            raise ValueError(
                f"activation: the callable is not JAX-traceable ({_first_line(err)}); write "
                "it with jax.numpy, not numpy or float()"
            ) from err
        if getattr(value, "shape", None) != ():
            raise ValueError(
                "activation: the callable must map a scalar to a scalar (an elementwise "
                f"σ: R → R), got shape {getattr(value, 'shape', type(value).__name__)}"
            )
        if jnp.issubdtype(value.dtype, jnp.complexfloating):
            raise ValueError(f"activation: returns complex values (dtype {value.dtype})")
        t = np.asarray(_PROBE)
        try:
            whole = np.asarray(fn(jnp.asarray(t)), dtype=np.float64)
        except Exception as err:
            raise ValueError(
                f"activation: must act elementwise on arrays, but σ of a {t.shape} array "
                f"raised {_first_line(err)}"
            ) from err
        if whole.shape != t.shape:
            raise ValueError(
                f"activation: must act elementwise (σ(t)[i] depends on t[i] alone), but σ of "
                f"a {t.shape} array has shape {whole.shape}"
            )
        each = np.array([[float(fn(jnp.float64(x))) for x in row] for row in _PROBE])
    scale = max(1.0, float(np.nanmax(np.abs(each), initial=0.0)))
    if not np.allclose(whole, each, rtol=0.0, atol=_ELEMENTWISE_RTOL * scale, equal_nan=True):
        gap = float(np.nanmax(np.abs(whole - each)))
        raise ValueError(
            "activation: must act elementwise (σ(t)[i] depends on t[i] alone), but σ of a "
            f"{t.shape} array differs from σ of its entries by up to {gap:.3g} (a sum, mean or "
            "normalization over t is not an activation)"
        )


@functools.lru_cache(maxsize=128)
def _checked_callable(fn: Callable[[Array], Array]) -> Activation:
    """The `Activation` of a user's σ, checked once: one object per callable, so problems
    built with the same callable share their compiled tracker (the activation is a static
    field)."""
    _check_sigma(fn)
    return _from_callable(fn)


@functools.lru_cache(maxsize=128)
def _checked_instance(act: Activation) -> Activation:
    """A user-built `Activation`, its σ checked once."""
    _check_sigma(act.sigma)
    return act


def _once(check: Any, arg: Any) -> Activation:
    """``check(arg)`` through its cache where `arg` is hashable, else uncached."""
    try:
        hash(arg)
    except TypeError:
        return check.__wrapped__(arg)
    return check(arg)


def get_activation(activation: str | Callable[[Array], Array] | Activation) -> Activation:
    """Resolve a name, a JAX-traceable scalar callable or an `Activation` into an `Activation`.

    A callable (or a user-built `Activation`'s σ) is checked once on a small probe: it must
    trace under JAX, map a scalar to a real scalar and act elementwise.

    **Raises:** `ValueError` naming `activation` if it is an unknown name, not callable, not
    traceable, or not elementwise.
    """
    if isinstance(activation, Activation):
        if any(activation is b for b in BUILTIN_ACTIVATIONS.values()):
            return activation
        return _once(_checked_instance, activation)
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
        return _once(_checked_callable, activation)
    raise ValueError(f"activation: expected a name or a callable, got {type(activation).__name__}")


def interval_activation(activation: Any) -> str:
    """σ's name for `homotopy.certification.IntervalData`: the built-in's name, or
    ``"user-defined 'name'"`` (which `certify` refuses) for a callable or `Activation` that
    merely shares a built-in's name."""
    name = getattr(activation, "name", str(activation))
    if BUILTIN_ACTIVATIONS.get(name) == activation:
        return name
    return f"user-defined {name!r}"
