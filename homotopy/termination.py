"""Termination: how a path's status follows from a step, in one place and in a fixed priority.

After an **accepted** step, the first that holds (highest priority first):

1. SUCCESS: the point is at λ_end and the landing is regular (|dλ/ds| ≥ `landing_tol`);
2. at λ_end but tangential: DIVERGED when the weights move outward (the divergence strategy's
   `outward`), else STEP_FAILURE;
3. DIVERGED: the divergence strategy's `at_point` (e.g. ‖w‖ > w_max);
4. LEFT_SPAN: λ went back past λ_start;
5. MAX_STEPS: `max_steps` accepted steps;
6. still running.

After a **rejected** step:

1. the next step would fall below `min_step`·(1 + ‖u‖): DIVERGED when the strategy says the
   path is `stalled` on an asymptote, else STEP_FAILURE;
2. MAX_STEPS: 4·`max_steps` attempts;
3. still running.

At the **end**, a SUCCESS whose endpoint is not a regular root (H_w numerically singular)
becomes DIVERGED when the strategy's `at_singular_end` holds, else STEP_FAILURE.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp

from .path import Status


Array = jax.Array

#: the status code of a path still being tracked
RUNNING = -1


def first_of(rules: Sequence[tuple[Array, int | Array]], default: int | Array) -> Array:
    """The code of the first rule whose condition holds, else `default` (traceable)."""
    out = jnp.asarray(default, jnp.int32)
    for cond, code in reversed(rules):
        out = jnp.where(cond, code, out)
    return out.astype(jnp.int32)


def after_accepted(
    *, at_end, tangential, outward, diverged, left_span, steps, max_steps: int
) -> Array:
    """The status after an accepted step (see the module docstring for the priority)."""
    div, fail = Status.DIVERGED.code, Status.STEP_FAILURE.code
    return first_of(
        [
            (at_end & ~tangential, Status.SUCCESS.code),
            (at_end & tangential, jnp.where(outward, div, fail)),
            (diverged, div),
            (left_span, Status.LEFT_SPAN.code),
            (steps >= max_steps, Status.MAX_STEPS.code),
        ],
        RUNNING,
    )


def after_rejected(*, too_small, stalled, attempts, max_steps: int) -> Array:
    """The status after a rejected step."""
    div, fail = Status.DIVERGED.code, Status.STEP_FAILURE.code
    return first_of(
        [
            (too_small, jnp.where(stalled, div, fail)),
            (attempts >= 4 * max_steps, Status.MAX_STEPS.code),
        ],
        RUNNING,
    )


def at_finish(status: Array, *, singular, escaped) -> Array:
    """The final status: a SUCCESS must end at a regular root."""
    bad = jnp.where(escaped, Status.DIVERGED.code, Status.STEP_FAILURE.code)
    return first_of([((status == Status.SUCCESS.code) & singular, bad)], status)
