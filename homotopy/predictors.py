r"""Predictors: a step of length h along the curve from the last accepted point.

A predictor is a small immutable object with an `order` p (its local error is O(h^{p+1}),
which the step-size controller uses) and one method, `predict`. Pass an instance (or its name)
as ``track(..., predictor=...)``.

- `Euler` (p = 1): $u + h\,\dot u$, along the tangent.
- `Hermite` (p = 3, the default): the cubic Hermite curve through the last two points and
  their tangents, extrapolated by h; the spacing of the two points in arc length is taken as
  chord·(θ/2)/sin(θ/2) (θ the angle between their tangents), exact on circles, so the cubic
  keeps its order. No extra Jacobian. The first step (one point only) is Euler's.
- `RK4` (p = 4): the classical Runge-Kutta step on the tangent field u' = t(u), three extra
  Jacobians per step.

Here $\dot u$ = du/dτ for the step parameter τ (arc length, or λ in natural mode).
"""

from __future__ import annotations

import abc
import dataclasses
from typing import Any, ClassVar, NamedTuple

import jax
import jax.numpy as jnp

from ._checks import check_part
from ._hermite import hermite
from ._parametrization import orient, velocity
from ._tangent import tangent
from .protocol import System


Array = jax.Array


class PredictorInput(NamedTuple):
    """What a predictor sees: the last point `u` and its tangent `t`, the point and tangent
    before it (`u_prev`, `t_prev`; valid when `has_prev`), and `dirn` = sign(λ_end − λ_start).
    """

    u: Array
    t: Array
    u_prev: Array
    t_prev: Array
    has_prev: Array
    dirn: Array


class AbstractPredictor(abc.ABC):
    """Interface: `order` and ``predict(system, inp, h, natural) -> (u_pred, jacobians)``."""

    name: ClassVar[str]
    order: ClassVar[int]

    @abc.abstractmethod
    def predict(
        self, system: System, inp: PredictorInput, h: Array, natural: bool
    ) -> tuple[Array, Array]:
        """The predicted point at step h, and the number of Jacobians it evaluated."""


@dataclasses.dataclass(frozen=True)
class Euler(AbstractPredictor):
    """u + h·u̇ (first order)."""

    name: ClassVar[str] = "euler"
    order: ClassVar[int] = 1

    def predict(self, system, inp, h, natural):
        return inp.u + h * velocity(inp.t, inp.dirn, natural), jnp.int32(0)


@dataclasses.dataclass(frozen=True)
class Hermite(AbstractPredictor):
    """Cubic Hermite extrapolation through (u_prev, t_prev) and (u, t) (third order)."""

    name: ClassVar[str] = "hermite"
    order: ClassVar[int] = 3

    def predict(self, system, inp, h, natural):
        u, dirn = inp.u, inp.dirn
        v = velocity(inp.t, dirn, natural)
        vp = velocity(inp.t_prev, dirn, natural)
        if natural:
            dt = jnp.abs(u[-1] - inp.u_prev[-1])
        else:
            chord_len = jnp.linalg.norm(u - inp.u_prev)
            half = 0.5 * jnp.arccos(jnp.clip(inp.t_prev @ inp.t, -1.0, 1.0))
            # arc = chord·(θ/2)/sin(θ/2): exact on circles, so the cubic keeps its order
            dt = chord_len * jnp.where(half > 1e-8, half / jnp.sin(jnp.maximum(half, 1e-8)), 1.0)
        tau = 1.0 + h / jnp.maximum(dt, 1e-300)
        cubic = hermite(inp.u_prev, vp, u, v, dt, tau)
        return jnp.where(inp.has_prev & (dt > 0), cubic, u + h * v), jnp.int32(0)


@dataclasses.dataclass(frozen=True)
class RK4(AbstractPredictor):
    """The classical Runge-Kutta step on the tangent field (fourth order)."""

    name: ClassVar[str] = "rk4"
    order: ClassVar[int] = 4

    def predict(self, system, inp, h, natural):
        u, t, dirn = inp.u, inp.t, inp.dirn

        def field(x):
            tt, _, _ = tangent(system, system.J(x), t)
            return velocity(orient(tt, dirn, natural), dirn, natural)

        v = velocity(t, dirn, natural)
        k2 = field(u + 0.5 * h * v)
        k3 = field(u + 0.5 * h * k2)
        k4 = field(u + h * k3)
        return u + h / 6.0 * (v + 2 * k2 + 2 * k3 + k4), jnp.int32(3)


PREDICTORS: dict[str, type[AbstractPredictor]] = {p.name: p for p in (Euler, Hermite, RK4)}


def predictor_from(spec: Any) -> AbstractPredictor:
    """A predictor from its name (``"euler"``, ``"hermite"``, ``"rk4"``) or an instance.

    **Raises:** `ValueError` naming `predictor` for anything else.
    """
    return check_part("predictor", spec, PREDICTORS, AbstractPredictor)
