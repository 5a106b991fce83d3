r"""Step-size control: accept or reject a corrected step, and choose the next step length.

`AllgowerGeorg` follows Allgower & Georg, *Numerical Continuation Methods* (Springer 1990),
§6.1, with Deuflhard's contraction estimate. Three measures of each step:

- the Newton contraction θ = max ‖Δu_{k+1}‖/‖Δu_k‖ (how nonlinear the correction was),
- the distance δ = ‖u_c − u_pred‖/(1 + ‖u‖) from the prediction to the curve,
- the angle α between consecutive tangents (how much the curve turned).

Each has a reference value (`*_ref`: the step is scaled so that it is met) and a hard limit
(`*_max`: beyond it the step is rejected). With p the predictor's order, θ and δ scale like
h^{p+1} and α like h, so the step factor is

$$f = \max\big((\theta/\theta_{ref})^{1/(p+1)},\ (\delta/\delta_{ref})^{1/(p+1)},\
\alpha/\alpha_{ref}\big),$$

the next step after an accepted one is h/f clipped to h·[1/`max_shrink`, `max_growth`], and
after a rejected one h/f with f clipped to [`reject_min_shrink`, `reject_max_shrink`].

A controller is a small immutable object; pass one as ``track(..., controller=...)``, or
give its fields as keyword options of `track` (``contraction_ref=...``).
"""

from __future__ import annotations

import abc
import dataclasses
from typing import Any, ClassVar

import jax
import jax.numpy as jnp

from ._checks import check_number, check_part


Array = jax.Array


class AbstractStepSizeController(abc.ABC):
    """Interface: ``accept(θ, δ, α) -> bool`` and ``adapt(h, θ, δ, α, order) -> (h_acc,
    h_rej)``, the next step if this one is accepted or rejected (traced inside the loop)."""

    name: ClassVar[str]

    @abc.abstractmethod
    def accept(self, contraction: Array, distance: Array, angle: Array) -> Array:
        """Whether a converged correction with these measures is accepted."""

    @abc.abstractmethod
    def adapt(
        self, h: Array, contraction: Array, distance: Array, angle: Array, order: int
    ) -> tuple[Array, Array]:
        """(next step after acceptance, next step after rejection), before the caller's
        bounds."""


@dataclasses.dataclass(frozen=True)
class AllgowerGeorg(AbstractStepSizeController):
    """Allgower & Georg §6.1 step control (see the module docstring for the formulas).

    - `contraction_ref`, `contraction_max`: θ's reference and limit.
    - `distance_ref`, `distance_max`: δ's (relative to 1 + ‖u‖).
    - `angle_ref`, `angle_max`: α's, in radians.
    - `max_growth`, `max_shrink`: bounds of h_next/h after an accepted step (×2.5, ÷4).
    - `reject_min_shrink`, `reject_max_shrink`: bounds of h/h_next after a rejection (÷2 to ÷8).
    - `fallback_factor`: f when a measure is not finite (e.g. a zero reference step).

    **Raises:** `ValueError` naming the field for a non-positive or non-finite value, or a
    reference not below its limit.
    """

    contraction_ref: float = 0.05
    contraction_max: float = 0.5
    distance_ref: float = 0.01
    distance_max: float = 0.2
    angle_ref: float = 0.08
    angle_max: float = 0.4
    max_growth: float = 2.5
    max_shrink: float = 4.0
    reject_min_shrink: float = 2.0
    reject_max_shrink: float = 8.0
    fallback_factor: float = 4.0
    name: ClassVar[str] = "allgower_georg"

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            # stored as the float: an int beyond int64 (2**63) overflowed in the loop's jit
            object.__setattr__(self, f.name, check_number(f.name, getattr(self, f.name)))
        for m in ("contraction", "distance", "angle"):
            lo, hi = f"{m}_ref", f"{m}_max"
            if getattr(self, lo) >= getattr(self, hi):
                raise ValueError(self._order_message(lo, hi, "below"))
        # one name per message (the convention at the API edge): "max_growth/max_shrink"
        # named neither argument
        for name in ("max_growth", "max_shrink"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: expected a number ≥ 1, got {getattr(self, name)!r}")
        if not self.reject_min_shrink > 1:
            raise ValueError(f"reject_min_shrink: must be > 1, got {self.reject_min_shrink!r}")
        if self.reject_min_shrink > self.reject_max_shrink:
            raise ValueError(self._order_message("reject_min_shrink", "reject_max_shrink", "≤"))

    def _order_message(self, lo: str, hi: str, how: str) -> str:
        """The message for `lo` > `hi` (or ≥), naming the one the caller changed from its
        default (`hi` when only it was: ``reject_max_shrink=1.5`` is that option's fault)."""
        default = {f.name: f.default for f in dataclasses.fields(self)}
        a, b = getattr(self, lo), getattr(self, hi)
        if b != default[hi] and a == default[lo]:
            above = "above" if how == "below" else "≥"
            return f"{hi}: must be {above} {lo} = {a!r}, got {b!r}"
        return f"{lo}: must be {how} {hi} = {b!r}, got {a!r}"

    def accept(self, contraction, distance, angle):
        return (
            (contraction <= self.contraction_max)
            & (distance <= self.distance_max)
            & (angle <= self.angle_max)
        )

    def adapt(self, h, contraction, distance, angle, order):
        p1 = float(order + 1)
        f = jnp.maximum(
            jnp.maximum(
                (contraction / self.contraction_ref) ** (1.0 / p1),
                (distance / self.distance_ref) ** (1.0 / p1),
            ),
            angle / self.angle_ref,
        )
        f = jnp.where(jnp.isfinite(f), f, self.fallback_factor)
        h_acc = h / jnp.clip(f, 1.0 / self.max_growth, self.max_shrink)
        h_rej = h / jnp.clip(f, self.reject_min_shrink, self.reject_max_shrink)
        return h_acc, h_rej


CONTROLLERS: dict[str, type[AbstractStepSizeController]] = {"allgower_georg": AllgowerGeorg}
#: `track` keyword options that are fields of the default controller
CONTROLLER_OPTIONS = frozenset(f.name for f in dataclasses.fields(AllgowerGeorg))


def controller_from(spec: Any, **fields: Any) -> AbstractStepSizeController:
    """A controller from its name (``"allgower_georg"``) and optional fields, or an instance.

    **Raises:** `ValueError` naming `controller` for anything else, or for fields given with
    an instance.
    """
    return check_part("controller", spec, CONTROLLERS, AbstractStepSizeController, **fields)
