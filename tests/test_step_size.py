"""`AllgowerGeorg` step control: acceptance, the step factor and its clips, the fallback for
non-finite measures, validation, and `controller_from`."""

import dataclasses
import math

import jax.numpy as jnp
import numpy as np
import pytest

import homotopy as h
from homotopy.step_size import CONTROLLER_OPTIONS, AllgowerGeorg, controller_from


CTRL = AllgowerGeorg()
REFS = dict(contraction=CTRL.contraction_ref, distance=CTRL.distance_ref, angle=CTRL.angle_ref)
H0 = 0.1


def f64(x):
    return jnp.asarray(x, jnp.float64)


def adapt(ctrl=CTRL, *, contraction, distance, angle, order, step=H0):
    acc, rej = ctrl.adapt(f64(step), f64(contraction), f64(distance), f64(angle), order)
    return float(acc), float(rej)


# ------------------------------------------------------------------------------------ accept


def test_accept_within_all_limits():
    assert bool(CTRL.accept(f64(0.5), f64(0.2), f64(0.4)))  # the limits themselves are in
    assert bool(CTRL.accept(f64(0.0), f64(0.0), f64(0.0)))


@pytest.mark.parametrize("which", ["contraction", "distance", "angle"])
def test_accept_fails_on_each_limit_alone(which):
    m = dict(contraction=0.01, distance=0.001, angle=0.01)
    limit = getattr(CTRL, f"{which}_max")
    m[which] = np.nextafter(limit, np.inf)
    assert not bool(CTRL.accept(*(f64(m[k]) for k in ("contraction", "distance", "angle"))))
    m[which] = limit
    assert bool(CTRL.accept(*(f64(m[k]) for k in ("contraction", "distance", "angle"))))


def test_accept_is_the_conjunction_of_the_three():
    grid = {
        "contraction": [0.1, 0.6],
        "distance": [0.1, 0.3],
        "angle": [0.1, 0.5],
    }
    for c in grid["contraction"]:
        for d in grid["distance"]:
            for a in grid["angle"]:
                expect = c <= 0.5 and d <= 0.2 and a <= 0.4
                assert bool(CTRL.accept(f64(c), f64(d), f64(a))) is expect


def test_accept_rejects_nan():
    assert not bool(CTRL.accept(f64(np.nan), f64(0.0), f64(0.0)))
    assert not bool(CTRL.accept(f64(0.0), f64(np.nan), f64(0.0)))


def test_accept_with_custom_limits():
    ctrl = AllgowerGeorg(contraction_max=0.9, distance_max=1.0, angle_max=1.0)
    assert bool(ctrl.accept(f64(0.8), f64(0.5), f64(0.9)))
    assert not bool(CTRL.accept(f64(0.8), f64(0.5), f64(0.9)))


# ------------------------------------------------------------------------------------- adapt


@pytest.mark.parametrize("order", [1, 3, 4])
def test_measures_at_their_references_keep_the_step(order):
    acc, rej = adapt(order=order, **REFS)
    assert acc == pytest.approx(H0, rel=1e-15)
    # after a rejection the factor is clipped up to reject_min_shrink
    assert rej == pytest.approx(H0 / CTRL.reject_min_shrink, rel=1e-15)


@pytest.mark.parametrize("order", [1, 3, 4])
@pytest.mark.parametrize("which", ["contraction", "distance"])
def test_newton_measures_scale_with_order_plus_one(which, order):
    """θ and δ ∝ h^{p+1}: 2^{p+1}× the reference halves h."""
    m = {k: v / 10 for k, v in REFS.items()}  # the others well below: they do not decide
    m[which] = REFS[which] * 2.0 ** (order + 1)
    acc, _ = adapt(order=order, **m)
    assert acc == pytest.approx(H0 / 2, rel=1e-14)
    # and 2^{-(p+1)}× the reference would double it (within max_growth = 2.5)
    m[which] = REFS[which] * 2.0 ** -(order + 1)
    m.update({k: v / 100 for k, v in REFS.items() if k != which})
    acc, _ = adapt(order=order, **m)
    assert acc == pytest.approx(2 * H0, rel=1e-14)


@pytest.mark.parametrize("order", [1, 3, 4])
def test_angle_scales_linearly(order):
    """α ∝ h whatever the order: 2× its reference halves h."""
    m = {k: v / 10 for k, v in REFS.items()}
    m["angle"] = 2 * REFS["angle"]
    acc, _ = adapt(order=order, **m)
    assert acc == pytest.approx(H0 / 2, rel=1e-14)


def test_the_largest_factor_decides():
    # θ asks for ÷2 (p = 1: 4× ref), δ for ÷1.5, α for ÷3
    m = dict(
        contraction=4 * REFS["contraction"],
        distance=1.5**2 * REFS["distance"],
        angle=3 * REFS["angle"],
    )
    acc, rej = adapt(order=1, **m)
    assert acc == pytest.approx(H0 / 3, rel=1e-14)
    assert rej == pytest.approx(H0 / 3, rel=1e-14)  # within [2, 8]: unclipped


def test_growth_is_clipped_by_max_growth():
    acc, _ = adapt(contraction=0.0, distance=0.0, angle=0.0, order=3)
    assert acc == pytest.approx(H0 * CTRL.max_growth, rel=1e-15)
    ctrl = AllgowerGeorg(max_growth=1.5)
    acc, _ = adapt(ctrl, contraction=1e-9, distance=1e-9, angle=1e-9, order=3)
    assert acc == pytest.approx(H0 * 1.5, rel=1e-15)


def test_shrink_is_clipped_by_max_shrink():
    acc, _ = adapt(contraction=0.4, distance=0.19, angle=100 * REFS["angle"], order=1)
    assert acc == pytest.approx(H0 / CTRL.max_shrink, rel=1e-15)
    ctrl = AllgowerGeorg(max_shrink=10.0)
    acc, _ = adapt(ctrl, contraction=0.0, distance=0.0, angle=7 * REFS["angle"], order=1)
    assert acc == pytest.approx(H0 / 7, rel=1e-14)  # within ÷10: unclipped


def test_rejection_shrinks_between_its_bounds():
    # a tiny factor still shrinks by reject_min_shrink
    _, rej = adapt(contraction=0.0, distance=0.0, angle=0.0, order=3)
    assert rej == pytest.approx(H0 / CTRL.reject_min_shrink, rel=1e-15)
    # a huge one by at most reject_max_shrink
    _, rej = adapt(contraction=0.0, distance=0.0, angle=1e3, order=3)
    assert rej == pytest.approx(H0 / CTRL.reject_max_shrink, rel=1e-15)
    ctrl = AllgowerGeorg(reject_min_shrink=3.0, reject_max_shrink=5.0)
    _, rej = adapt(ctrl, contraction=0.0, distance=0.0, angle=0.0, order=3)
    assert rej == pytest.approx(H0 / 3, rel=1e-15)
    _, rej = adapt(ctrl, contraction=0.0, distance=0.0, angle=1e3, order=3)
    assert rej == pytest.approx(H0 / 5, rel=1e-15)
    _, rej = adapt(ctrl, contraction=0.0, distance=0.0, angle=4 * REFS["angle"], order=3)
    assert rej == pytest.approx(H0 / 4, rel=1e-14)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("which", ["contraction", "distance", "angle"])
def test_non_finite_measure_uses_the_fallback_factor(which, bad):
    m = dict(REFS)
    m[which] = bad
    acc, rej = adapt(order=3, **m)
    assert acc == pytest.approx(H0 / CTRL.fallback_factor, rel=1e-15)
    assert rej == pytest.approx(H0 / CTRL.fallback_factor, rel=1e-15)
    ctrl = AllgowerGeorg(fallback_factor=3.0)
    acc, rej = adapt(ctrl, order=3, **m)
    assert acc == pytest.approx(H0 / 3, rel=1e-15)
    assert rej == pytest.approx(H0 / 3, rel=1e-15)


def test_fallback_factor_is_clipped_too():
    """fallback_factor goes through the same clips as any other factor."""
    m = dict(REFS, distance=np.nan)
    acc, rej = adapt(AllgowerGeorg(fallback_factor=100.0), order=3, **m)
    assert acc == pytest.approx(H0 / CTRL.max_shrink, rel=1e-15)
    assert rej == pytest.approx(H0 / CTRL.reject_max_shrink, rel=1e-15)


def test_adapt_broadcasts_over_lanes():
    acc, rej = CTRL.adapt(
        jnp.array([0.1, 0.2]),
        jnp.array([CTRL.contraction_ref, 0.0]),
        jnp.array([CTRL.distance_ref, 0.0]),
        jnp.array([CTRL.angle_ref, 2 * CTRL.angle_ref]),
        1,
    )
    np.testing.assert_allclose(np.asarray(acc), [0.1, 0.1], rtol=1e-15)
    np.testing.assert_allclose(np.asarray(rej), [0.05, 0.1], rtol=1e-15)


# -------------------------------------------------------------------------------- validation

FIELDS = [f.name for f in dataclasses.fields(AllgowerGeorg)]


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("bad", [-1.0, 0.0, math.nan, math.inf, True, "0.1", None])
def test_bad_field_values_name_the_field(field, bad):
    with pytest.raises(ValueError, match=f"^{field}:"):
        AllgowerGeorg(**{field: bad})


@pytest.mark.parametrize("m", ["contraction", "distance", "angle"])
def test_reference_must_be_below_its_limit(m):
    limit = getattr(CTRL, f"{m}_max")
    with pytest.raises(ValueError, match=f"^{m}_ref: must be below {m}_max"):
        AllgowerGeorg(**{f"{m}_ref": limit})
    with pytest.raises(ValueError, match=f"^{m}_ref"):
        AllgowerGeorg(**{f"{m}_ref": 2 * limit})
    AllgowerGeorg(**{f"{m}_ref": np.nextafter(limit, 0.0)})  # just below is fine


@pytest.mark.parametrize("field", ["max_growth", "max_shrink"])
def test_growth_and_shrink_at_least_one(field):
    # named alone (it was "max_growth/max_shrink: …", which names neither argument)
    with pytest.raises(ValueError, match=f"^{field}: expected a number ≥ 1, got 0.5"):
        AllgowerGeorg(**{field: 0.5})
    AllgowerGeorg(**{field: 1.0})


def test_reject_shrink_bounds():
    with pytest.raises(ValueError, match="^reject_min_shrink"):
        AllgowerGeorg(reject_min_shrink=1.0)
    with pytest.raises(ValueError, match="^reject_min_shrink"):
        AllgowerGeorg(reject_min_shrink=9.0)  # above reject_max_shrink = 8
    AllgowerGeorg(reject_min_shrink=8.0)


def test_integer_fields_are_accepted():
    ctrl = AllgowerGeorg(max_growth=2, reject_max_shrink=10)
    assert ctrl.max_growth == 2


def test_controller_options_are_the_fields():
    assert CONTROLLER_OPTIONS == frozenset(FIELDS)


# --------------------------------------------------------------------------- controller_from


def test_controller_from_name_and_fields():
    ctrl = controller_from("allgower_georg", contraction_ref=0.1, angle_max=0.3)
    assert isinstance(ctrl, AllgowerGeorg)
    assert ctrl.contraction_ref == 0.1 and ctrl.angle_max == 0.3
    assert controller_from("allgower_georg") == AllgowerGeorg()


def test_controller_from_name_validates_fields():
    with pytest.raises(ValueError, match="^contraction_ref"):
        controller_from("allgower_georg", contraction_ref=-1.0)
    with pytest.raises(TypeError):
        controller_from("allgower_georg", no_such_field=1.0)


def test_controller_from_instance():
    ctrl = AllgowerGeorg(angle_ref=0.05)
    assert controller_from(ctrl) is ctrl
    with pytest.raises(ValueError, match=r"^controller: \['angle_ref'\] given beside"):
        controller_from(ctrl, angle_ref=0.1)


@pytest.mark.parametrize("bad", ["AllgowerGeorg", "pid", None, 1, AllgowerGeorg, h.Euler()])
def test_controller_from_rejects(bad):
    with pytest.raises(ValueError, match="^controller:"):
        controller_from(bad)


def test_track_refuses_fields_beside_a_controller_object():
    problem = h.FunctionHomotopy(lambda w, lam, a: w - lam, start=[0.0])
    with pytest.raises(ValueError, match="^controller:"):
        h.track(problem, controller=AllgowerGeorg(), contraction_ref=0.1)
