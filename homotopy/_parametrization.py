"""The step parameter τ of the tracking loop: arc length s (pseudo-arclength) or λ itself
(natural-parameter continuation, ``method="natural"``)."""

from __future__ import annotations

import jax
import jax.numpy as jnp


Array = jax.Array


def orient(t: Array, dirn: Array, natural: bool) -> Array:
    """The tangent as the loop keeps it: in natural mode ordered by λ (dλ/dτ > 0 along
    `dirn` = sign(λ_end − λ_start)), not by continuity."""
    return jnp.where(dirn * t[-1] < 0, -t, t) if natural else t


def velocity(t: Array, dirn: Array, natural: bool) -> Array:
    """du/dτ for the step parameter τ: t itself (arc length), or t/(dirn·dλ/ds) (τ = dirn·λ)."""
    return t / (dirn * t[-1]) if natural else t
