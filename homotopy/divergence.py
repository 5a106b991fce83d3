r"""Divergence detection: when a path is running off to infinite weights.

For a network, the least-squares optimum of a saturating model can lie at infinity: the
path's weights grow without bound as λ approaches some λ*, or, once σ' underflows, H vanishes
numerically over a whole range of w. `NetworkDivergence` (the default) reports DIVERGED in
each of these cases (DESIGN.md §1):

- ‖w‖ > `w_max` (default `w_max_factor`·max(1, ‖w₀‖));
- H_w has vanished numerically (‖H_w‖_F ≤ `singular_tol`·‖H_w(start)‖_F) while the weights
  move outward (tᵀw > 0);
- the path meets λ_end tangentially (|dλ/ds| < `landing_tol`) moving outward: an asymptote;
- the step size collapses while the path creeps along λ_end (|λ − λ_end| and |dλ/ds| both
  ≤ `stall_tol`) moving outward;
- the endpoint is not a regular root (H_w numerically singular) and ‖w‖ has grown since the
  start.

A problem that is not a network (whose solutions do not run to infinity by saturation) can
switch this off with ``track(..., divergence=None)`` (`NoDivergence`): those cases then end as
STEP_FAILURE, and nothing is ever called DIVERGED.
"""

from __future__ import annotations

import abc
import dataclasses
from typing import Any, ClassVar

import jax
import jax.numpy as jnp

from ._checks import check_number


Array = jax.Array


class AbstractDivergence(abc.ABC):
    """Interface (all traced inside the loop; u = (w, λ), t the unit tangent):

    - ``bound(w0_norm) -> w_max`` (per path),
    - ``at_point(u, t, J, w_max, hw0, singular_tol) -> bool``: an accepted point diverged,
    - ``outward(u, t) -> bool``: the weights move outward (for tangential landings),
    - ``stalled(u, t, lam_end) -> bool``: a collapsed step is an escape to infinity,
    - ``at_singular_end(u, t, w0_norm) -> bool``: a singular endpoint is an escape.
    """

    name: ClassVar[str]

    @abc.abstractmethod
    def bound(self, w0_norm: Array) -> Array: ...

    @abc.abstractmethod
    def at_point(self, u, t, J, w_max, hw0, singular_tol) -> Array: ...

    @abc.abstractmethod
    def outward(self, u: Array, t: Array) -> Array: ...

    @abc.abstractmethod
    def stalled(self, u: Array, t: Array, lam_end: Array) -> Array: ...

    @abc.abstractmethod
    def at_singular_end(self, u: Array, t: Array, w0_norm: Array) -> Array: ...


def _outward(u: Array, t: Array) -> Array:
    """tᵀw > 0: the weights move away from the origin."""
    return (t[:-1] @ u[:-1]) > 0


@dataclasses.dataclass(frozen=True)
class NetworkDivergence(AbstractDivergence):
    """Weights running to infinity, as a saturating network's do (see the module docstring).

    - `w_max`: the bound on ‖w‖ (default `w_max_factor`·max(1, ‖w₀‖)).
    - `stall_tol`: |λ − λ_end| and |dλ/ds| below which a collapsed step is an escape.
    """

    w_max: float | None = None
    w_max_factor: float = 1e6
    stall_tol: float = 1e-6
    name: ClassVar[str] = "network"

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if not (f.name == "w_max" and v is None):
                # stored as the float: an int beyond int64 (2**63) overflowed in jit
                object.__setattr__(self, f.name, check_number(f.name, v))

    def bound(self, w0_norm):
        if self.w_max is not None:
            return jnp.asarray(self.w_max, w0_norm.dtype)
        return self.w_max_factor * jnp.maximum(1.0, w0_norm)

    def at_point(self, u, t, J, w_max, hw0, singular_tol):
        # H_w vanished numerically (σ' underflows) with the weights running outward: the
        # curve runs off to infinite w at a fixed λ, and past here it is not even numerically
        # defined (H ≈ 0 for a whole range of w)
        vanished = jnp.linalg.norm(J[:, :-1]) <= singular_tol * hw0
        return (jnp.linalg.norm(u[:-1]) > w_max) | (vanished & _outward(u, t))

    def outward(self, u, t):
        return _outward(u, t)

    def stalled(self, u, t, lam_end):
        tol = self.stall_tol
        return (jnp.abs(u[-1] - lam_end) <= tol) & (jnp.abs(t[-1]) <= tol) & _outward(u, t)

    def at_singular_end(self, u, t, w0_norm):
        return _outward(u, t) & (jnp.linalg.norm(u[:-1]) > w0_norm)


@dataclasses.dataclass(frozen=True)
class NoDivergence(AbstractDivergence):
    """Never DIVERGED: for problems whose solutions do not escape to infinity."""

    name: ClassVar[str] = "none"

    def bound(self, w0_norm):
        return jnp.asarray(jnp.inf, w0_norm.dtype)

    def at_point(self, u, t, J, w_max, hw0, singular_tol):
        return jnp.bool_(False)

    def outward(self, u, t):
        return jnp.bool_(False)

    def stalled(self, u, t, lam_end):
        return jnp.bool_(False)

    def at_singular_end(self, u, t, w0_norm):
        return jnp.bool_(False)


def divergence_from(spec: Any, **fields: Any) -> AbstractDivergence:
    """A strategy from ``"network"`` (with optional fields, e.g. ``w_max``), ``None`` or
    ``"none"``, or an instance.

    **Raises:** `ValueError` naming `divergence` for anything else, or for fields given
    beside an instance or with ``None``.
    """
    # `==` on a str only: an array given as divergence= compared elementwise (a bare
    # "truth value of an array is ambiguous")
    named = spec if isinstance(spec, str) else None
    if isinstance(spec, AbstractDivergence) or spec is None or named == "none":
        if fields:
            raise ValueError(
                f"divergence: {sorted(fields)} given beside divergence={spec!r}; "
                "set them on a NetworkDivergence instead"
            )
        return NoDivergence() if spec is None or named == "none" else spec
    if named == "network":
        return NetworkDivergence(**fields)
    raise ValueError(f"divergence: expected 'network', None or an AbstractDivergence, got {spec!r}")
