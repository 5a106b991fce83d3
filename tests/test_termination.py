"""Termination rules: `first_of` and the fixed priorities of `after_accepted`,
`after_rejected` and `at_finish`, rule by rule and for conflicting conditions."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from homotopy import Status
from homotopy.termination import RUNNING, after_accepted, after_rejected, at_finish, first_of


T, F = jnp.bool_(True), jnp.bool_(False)
SUCCESS, DIVERGED, STEP_FAILURE = (
    Status.SUCCESS.code,
    Status.DIVERGED.code,
    Status.STEP_FAILURE.code,
)
MAX_STEPS, LEFT_SPAN = Status.MAX_STEPS.code, Status.LEFT_SPAN.code
INVALID_START = Status.INVALID_START.code
MAX = 10


def test_codes():
    assert RUNNING == -1
    codes = [s.code for s in Status]
    assert codes == list(range(len(Status)))
    assert RUNNING not in codes


# ----------------------------------------------------------------------------------- first_of


def test_first_of_default():
    out = first_of([(F, 1), (F, 2)], 7)
    assert out.dtype == jnp.int32 and int(out) == 7
    assert int(first_of([], 5)) == 5


@pytest.mark.parametrize("conds", list(itertools.product([False, True], repeat=3)))
def test_first_of_takes_the_first_true(conds):
    rules = [(jnp.bool_(c), code) for c, code in zip(conds, (10, 20, 30), strict=True)]
    expect = next((code for c, code in zip(conds, (10, 20, 30), strict=True) if c), -1)
    assert int(first_of(rules, -1)) == expect


def test_first_of_array_codes_and_lanes():
    """Codes may be arrays, and conditions vectors (one per lane)."""
    c1 = jnp.array([True, False, False, True])
    c2 = jnp.array([True, True, False, False])
    out = first_of([(c1, jnp.array([1, 2, 3, 4])), (c2, 9)], jnp.array(0))
    np.testing.assert_array_equal(np.asarray(out), [1, 9, 0, 4])


def test_first_of_is_traceable():
    f = jax.jit(lambda a, b: first_of([(a, 3), (b, 4)], RUNNING))
    assert int(f(F, T)) == 4 and int(f(T, T)) == 3 and int(f(F, F)) == RUNNING


# ----------------------------------------------------------------------------- after_accepted


def accepted(**kw):
    args = dict(at_end=F, tangential=F, outward=F, diverged=F, left_span=F, steps=jnp.int32(3))
    args.update(kw)
    out = after_accepted(**args, max_steps=MAX)
    assert out.dtype == jnp.int32
    return int(out)


def test_accepted_running():
    assert accepted() == RUNNING
    assert accepted(steps=jnp.int32(MAX - 1)) == RUNNING


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        (dict(at_end=T), SUCCESS),
        (dict(at_end=T, tangential=T, outward=T), DIVERGED),
        (dict(at_end=T, tangential=T, outward=F), STEP_FAILURE),
        (dict(diverged=T), DIVERGED),
        (dict(left_span=T), LEFT_SPAN),
        (dict(steps=jnp.int32(MAX)), MAX_STEPS),
        (dict(steps=jnp.int32(MAX + 5)), MAX_STEPS),
    ],
)
def test_accepted_each_rule(kw, code):
    assert accepted(**kw) == code


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        # a regular landing wins over everything else
        (dict(at_end=T, diverged=T), SUCCESS),
        (dict(at_end=T, diverged=T, left_span=T, steps=jnp.int32(MAX)), SUCCESS),
        (dict(at_end=T, outward=T), SUCCESS),  # outward alone matters only if tangential
        # a tangential landing: outward decides, before the divergence test
        (dict(at_end=T, tangential=T, outward=T, diverged=T), DIVERGED),
        (dict(at_end=T, tangential=T, outward=F, diverged=T), STEP_FAILURE),
        (dict(at_end=T, tangential=T, steps=jnp.int32(MAX)), STEP_FAILURE),
        # tangential without the end is no rule at all
        (dict(tangential=T, outward=T), RUNNING),
        (dict(diverged=T, left_span=T), DIVERGED),
        (dict(diverged=T, steps=jnp.int32(MAX)), DIVERGED),
        (dict(left_span=T, steps=jnp.int32(MAX)), LEFT_SPAN),
        (dict(outward=T), RUNNING),
    ],
)
def test_accepted_priorities(kw, code):
    assert accepted(**kw) == code


def test_accepted_all_combinations_against_the_documented_priority():
    names = ("at_end", "tangential", "outward", "diverged", "left_span", "max")
    for bits in itertools.product([False, True], repeat=len(names)):
        c = dict(zip(names, bits, strict=True))
        if c["at_end"] and not c["tangential"]:
            expect = SUCCESS
        elif c["at_end"]:
            expect = DIVERGED if c["outward"] else STEP_FAILURE
        elif c["diverged"]:
            expect = DIVERGED
        elif c["left_span"]:
            expect = LEFT_SPAN
        elif c["max"]:
            expect = MAX_STEPS
        else:
            expect = RUNNING
        steps = jnp.int32(MAX if c.pop("max") else 1)
        assert accepted(**{k: jnp.bool_(v) for k, v in c.items()}, steps=steps) == expect, c


# ----------------------------------------------------------------------------- after_rejected


def rejected(**kw):
    args = dict(too_small=F, stalled=F, attempts=jnp.int32(5))
    args.update(kw)
    out = after_rejected(**args, max_steps=MAX)
    assert out.dtype == jnp.int32
    return int(out)


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        (dict(), RUNNING),
        (dict(stalled=T), RUNNING),  # stalled matters only when the step is too small
        (dict(too_small=T), STEP_FAILURE),
        (dict(too_small=T, stalled=T), DIVERGED),
        (dict(attempts=jnp.int32(4 * MAX - 1)), RUNNING),
        (dict(attempts=jnp.int32(4 * MAX)), MAX_STEPS),
        (dict(too_small=T, attempts=jnp.int32(4 * MAX)), STEP_FAILURE),
        (dict(too_small=T, stalled=T, attempts=jnp.int32(4 * MAX)), DIVERGED),
    ],
)
def test_rejected(kw, code):
    assert rejected(**kw) == code


# ---------------------------------------------------------------------------------- at_finish


@pytest.mark.parametrize(
    ("status", "singular", "escaped", "code"),
    [
        (SUCCESS, F, F, SUCCESS),
        (SUCCESS, F, T, SUCCESS),  # a regular endpoint: escaped is irrelevant
        (SUCCESS, T, T, DIVERGED),
        (SUCCESS, T, F, STEP_FAILURE),
        # only a SUCCESS is re-examined
        (DIVERGED, T, F, DIVERGED),
        (STEP_FAILURE, T, T, STEP_FAILURE),
        (MAX_STEPS, T, T, MAX_STEPS),
        (LEFT_SPAN, T, T, LEFT_SPAN),
        (INVALID_START, T, T, INVALID_START),
        (RUNNING, T, T, RUNNING),
    ],
)
def test_at_finish(status, singular, escaped, code):
    out = at_finish(jnp.int32(status), singular=singular, escaped=escaped)
    assert out.dtype == jnp.int32 and int(out) == code


def test_at_finish_lanes():
    status = jnp.array([SUCCESS, SUCCESS, SUCCESS, MAX_STEPS], jnp.int32)
    singular = jnp.array([False, True, True, True])
    escaped = jnp.array([True, True, False, True])
    out = at_finish(status, singular=singular, escaped=escaped)
    np.testing.assert_array_equal(np.asarray(out), [SUCCESS, DIVERGED, STEP_FAILURE, MAX_STEPS])
