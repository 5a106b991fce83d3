"""Events: the event functions and their sign changes on synthetic points, `record`'s buffer
writes, `events_from`; then through `track`: a user event at a known λ, a fold, and a
transcritical bifurcation with its kernel basis."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import homotopy as h
from homotopy.events import (
    EVENTS,
    Bifurcation,
    EventFunction,
    EventPoint,
    TurningPoint,
    events_from,
    record,
    record_width,
)


def point(u, t, sign=1.0, logdet=0.0):
    return EventPoint(*(jnp.asarray(x, jnp.float64) for x in (u, t, sign, logdet)))


# ------------------------------------------------------------------------------- the values


def test_turning_point_value_is_dlambda_ds():
    tp = TurningPoint()
    p = point([1.0, 2.0, 0.3], [0.6, 0.0, -0.8])
    assert float(tp.value(p, p)) == -0.8
    assert tp.enabled(False) and not tp.enabled(True)
    assert tp.tol == 1e-10 and TurningPoint(tol=1e-6).tol == 1e-6
    assert tp.name == "turning_point"


def test_bifurcation_value_is_the_relative_determinant():
    bif = Bifurcation()
    ref = point([0.0, 0.0], [0.0, 1.0], sign=1.0, logdet=np.log(4.0))
    assert float(bif.value(ref, ref)) == 1.0
    p = point([0.0, 0.0], [0.0, 1.0], sign=-1.0, logdet=np.log(2.0))
    assert float(bif.value(p, ref)) == pytest.approx(-0.5, rel=1e-15)
    p = point([0.0, 0.0], [0.0, 1.0], sign=1.0, logdet=np.log(4.0) + 3.0)
    assert float(bif.value(p, ref)) == pytest.approx(np.exp(3.0), rel=1e-14)
    # clipped, never overflowing or underflowing to 0
    big = point([0.0, 0.0], [0.0, 1.0], sign=-1.0, logdet=5000.0)
    assert float(bif.value(big, ref)) == pytest.approx(-np.exp(700.0), rel=1e-12)
    tiny = point([0.0, 0.0], [0.0, 1.0], sign=1.0, logdet=-5000.0)
    assert float(bif.value(tiny, ref)) == pytest.approx(np.exp(-700.0), rel=1e-12)
    assert bif.enabled(True) and bif.enabled(False)
    assert bif.tol == 0.0 and bif.name == "bifurcation"


def test_event_function_value():
    ev = EventFunction("big", lambda w, lam: jnp.linalg.norm(w) - 10.0 * lam)
    p = point([3.0, 4.0, 0.2], [1.0, 0.0, 0.0])
    g = ev.value(p, p)
    assert g.shape == () and g.dtype == jnp.float64
    assert float(g) == pytest.approx(3.0, abs=1e-15)
    # a shape-(1,) or integer result is made a float64 scalar
    ev1 = EventFunction("one", lambda w, lam: jnp.reshape(w[0] - lam, (1,)))
    assert ev1.value(p, p).shape == () and float(ev1.value(p, p)) == pytest.approx(2.8)
    evi = EventFunction("int", lambda w, lam: jnp.int32(3))
    assert evi.value(p, p).dtype == jnp.float64
    assert ev.enabled(True) and ev.enabled(False) and ev.tol == 0.0


@pytest.mark.parametrize(
    ("kw", "field"),
    [(dict(name="", fn=abs), "name"), (dict(name=3, fn=abs), "name"), (dict(name="x", fn=3), "fn")],
)
def test_event_function_validation(kw, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        EventFunction(**kw)


@pytest.mark.parametrize(
    ("g0", "g1", "strict", "signs"),
    [
        (1.0, -1.0, True, True),
        (-2.0, 3.0, True, True),
        (1.0, 2.0, False, False),
        (-1.0, -1e-300, False, False),
        (0.0, 1.0, False, True),  # touching zero: no strict crossing, but a sign change
        (1.0, 0.0, False, True),
        (0.0, 0.0, False, False),
    ],
)
def test_crossed(g0, g1, strict, signs):
    g0, g1 = jnp.float64(g0), jnp.float64(g1)
    assert bool(TurningPoint().crossed(g0, g1)) is strict
    assert bool(EventFunction("e", abs).crossed(g0, g1)) is strict
    assert bool(Bifurcation().crossed(g0, g1)) is signs


# ------------------------------------------------------------------------------------ record

N1 = 3  # u = (w₁, w₂, λ)
U_A, T_A = [1.0, 2.0, 0.4], [0.0, 0.6, 0.8]
U_C, T_C = [1.5, 2.5, 0.6], [0.0, 0.8, -0.6]
#: four events; over the step a → c: dλ/ds 0.8 → −0.6 (a turning point), det sign + → −
#: (a bifurcation), w₁ − 1.2 from −0.2 to 0.3 (crossed), λ − 10 (not crossed)
EVS = (
    TurningPoint(),
    Bifurcation(),
    EventFunction("w1", lambda w, lam: w[0] - 1.2),
    EventFunction("far", lambda w, lam: lam - 10.0),
)


def buffer(E):
    EV = jnp.full((E + 1, record_width(N1)), jnp.nan).at[:, 0].set(-1.0)
    return EV


def do_record(events, natural, E=4, n=0, ok=True, det_c=-1.0, s_a=2.5):
    start = point(U_A, T_A, 1.0, np.log(3.0))
    end = point(U_C, T_C, det_c, np.log(1.5))
    EV, n_ev = record(
        events, natural, buffer(E), jnp.int32(n), jnp.bool_(ok), start, end, jnp.float64(s_a)
    )
    return np.asarray(EV), int(n_ev)


def test_record_width():
    assert record_width(N1) == 4 * N1 + 5
    assert record_width(2) == 13


def test_record_layout():
    EV, n = do_record(EVS, False)
    assert n == 3
    assert EV.shape == (5, record_width(N1))
    # rows in the events' order, kinds indexing EVS; the unrecorded "far" (kind 3) nowhere
    np.testing.assert_array_equal(EV[:3, 0], [0, 1, 2])
    for row, (g0, g1) in zip(EV[:3], [(0.8, -0.6), (1.0, -0.5), (-0.2, 0.3)], strict=True):
        np.testing.assert_array_equal(row[1 : 1 + N1], U_A)
        np.testing.assert_array_equal(row[1 + N1 : 1 + 2 * N1], T_A)
        np.testing.assert_array_equal(row[1 + 2 * N1 : 1 + 3 * N1], U_C)
        np.testing.assert_array_equal(row[1 + 3 * N1 : 1 + 4 * N1], T_C)
        g0_, g1_, logdet_a, s_a = row[1 + 4 * N1 :]
        assert g0_ == pytest.approx(g0, abs=1e-15) and g1_ == pytest.approx(g1, abs=1e-15)
        assert logdet_a == pytest.approx(np.log(3.0), abs=1e-15) and s_a == 2.5
    # the unused row stays as it was
    assert EV[3, 0] == -1.0 and np.isnan(EV[3, 1:]).all()


def test_record_only_changed_signs():
    EV, n = do_record(EVS, False, det_c=1.0)  # no determinant sign change now
    assert n == 2
    np.testing.assert_array_equal(EV[:2, 0], [0, 2])
    EV, n = do_record(EVS[3:], False)
    assert n == 0
    np.testing.assert_array_equal(EV[:-1, 0], -1.0)


def test_record_natural_skips_turning_points():
    EV, n = do_record(EVS, True)
    assert n == 2
    # the kind is still the index in the events tuple
    np.testing.assert_array_equal(EV[:2, 0], [1, 2])
    # only disabled events: the buffer comes back untouched (no scratch write either)
    EV, n = do_record((TurningPoint(),), True)
    assert n == 0 and (EV[:, 0] == -1.0).all() and np.isnan(EV[:, 1:]).all()


def test_record_only_when_ok():
    EV, n = do_record(EVS, False, ok=False)
    assert n == 0
    assert (EV[:-1, 0] == -1.0).all() and np.isnan(EV[:-1, 1:]).all()


def test_record_appends_after_existing_events():
    EV, n = do_record(EVS, False, n=1)
    assert n == 4
    assert EV[0, 0] == -1.0  # row 0 (an earlier event's) is not rewritten
    np.testing.assert_array_equal(EV[1:4, 0], [0, 1, 2])


@pytest.mark.parametrize(("E", "n0", "written"), [(2, 0, [0, 1]), (2, 1, [0]), (2, 2, [])])
def test_record_capped_at_max_events(E, n0, written):
    EV, n = do_record(EVS, False, E=E, n=n0)
    assert n == min(E, n0 + 3)
    np.testing.assert_array_equal(EV[n0:E, 0], written)
    assert (EV[:n0, 0] == -1.0).all()
    # what did not fit went to the scratch row, never past it
    assert EV.shape == (E + 1, record_width(N1))
    if n0 + 3 > E:
        assert EV[E, 0] >= 0


START = point(U_A, T_A, 1.0, 0.0)
END = point(U_C, T_C, -1.0, 0.0)


def test_record_traces_under_jit():
    f = jax.jit(lambda EV, n, ok: record(EVS, False, EV, n, ok, START, END, jnp.float64(1.0)))
    EV, n = f(buffer(4), jnp.int32(0), jnp.bool_(True))
    assert int(n) == 3
    EV, n = f(buffer(4), jnp.int32(0), jnp.bool_(False))
    assert int(n) == 0


# ------------------------------------------------------------------------------- events_from


def test_events_from_names_and_instances():
    assert events_from("turning_point") == (TurningPoint(),)
    assert events_from(["turning_point", "bifurcation"]) == (TurningPoint(), Bifurcation())
    tp = TurningPoint(tol=1e-6)
    ev = EventFunction("big", abs)
    out = events_from((tp, "bifurcation", ev))
    assert out[0] is tp and out[2] is ev and isinstance(out[1], Bifurcation)
    assert events_from(ev) == (ev,)
    assert events_from(()) == ()
    assert events_from(iter(["bifurcation"])) == (Bifurcation(),)
    assert set(EVENTS) == {"turning_point", "bifurcation"}


@pytest.mark.parametrize(
    "spec",
    [
        ["turning_point", TurningPoint()],
        ["bifurcation", "bifurcation"],
        [EventFunction("a", abs), EventFunction("a", np.sin)],
        [EventFunction("turning_point", abs), "turning_point"],
    ],
)
def test_events_from_duplicates(spec):
    with pytest.raises(ValueError, match="^events: names must be distinct"):
        events_from(spec)


@pytest.mark.parametrize(
    "spec", ["fold", ["turning_point", "Bifurcation"], [None], [TurningPoint], [3], 3, None]
)
def test_events_from_bad_input(spec):
    with pytest.raises(ValueError, match="^events:"):
        events_from(spec)


def test_track_refuses_event_options_beside_events():
    problem = h.FunctionHomotopy(lambda w, lam, a: w - lam, start=[0.0])
    with pytest.raises(ValueError, match="^events:"):
        h.track(problem, events=("turning_point",), turning_tol=1e-6)


# ------------------------------------------------------------------- through track: a user event


def _line(w, lam, args):
    return w - 20.0 * lam


def test_track_user_event_norm_crosses_ten():
    """w = 20λ from 0 to 20: ‖w‖ = 10 exactly at λ = 0.5."""
    big = EventFunction("big", lambda w, lam: jnp.linalg.norm(w) - 10.0)
    path = h.track(h.FunctionHomotopy(_line, start=[0.0]), events=(TurningPoint(), big))
    assert path.status is h.Status.SUCCESS
    assert len(path.events) == 1 and path.turning_points == () and path.bifurcations == ()
    (ev,) = path.events
    assert ev.kind == "big" and ev.kernel is None
    assert abs(ev.lam - 0.5) <= 1e-10
    assert abs(np.linalg.norm(ev.w) - 10.0) <= 1e-9
    # the tangent and the arc length of the straight line
    np.testing.assert_allclose(ev.tangent, np.array([20.0, 1.0]) / np.sqrt(401.0), atol=1e-12)
    assert ev.s == pytest.approx(0.5 * np.sqrt(401.0), rel=1e-10)


def _fold(w, lam, args):
    return (w - 1.0) ** 2 + lam - 0.8


def test_track_turning_point():
    """λ = 0.8 − (w − 1)²: a fold at (w, λ) = (1, 0.8), after which the path leaves the span
    through λ = 0."""
    path = h.track(h.FunctionHomotopy(_fold, start=[1.0 - np.sqrt(0.8)]), events=("turning_point",))
    assert path.status is h.Status.LEFT_SPAN
    (ev,) = path.events
    assert ev.kind == "turning_point"
    assert abs(ev.tangent[-1]) <= 1e-10
    assert abs(ev.lam - 0.8) <= 1e-12 and abs(ev.w[0] - 1.0) <= 1e-9


# --------------------------------------------------------------- through track: a bifurcation


def _transcritical(w, lam, args):
    """The branches w₁ = 0 and w₁ = λ − 0.5 (both with w₂ = λ) cross at λ = 0.5."""
    return jnp.stack([w[0] * (w[0] - (lam - 0.5)), w[1] - lam])


@pytest.fixture(scope="module")
def bifurcation_path():
    return h.track(h.FunctionHomotopy(_transcritical, start=[-0.5, 0.0]))


def test_track_bifurcation_located(bifurcation_path):
    path = bifurcation_path
    assert path.status is h.Status.SUCCESS
    assert [e.kind for e in path.events] == ["bifurcation"]
    (ev,) = path.bifurcations
    assert abs(ev.lam - 0.5) <= 1e-8
    np.testing.assert_allclose(ev.w, [0.0, 0.5], atol=1e-8)


def test_track_bifurcation_kernel(bifurcation_path):
    (ev,) = bifurcation_path.bifurcations
    K = ev.kernel
    assert K.shape == (3, 2)
    np.testing.assert_allclose(K.T @ K, np.eye(2), atol=1e-13)
    u = jnp.concatenate([jnp.asarray(ev.w), jnp.array([ev.lam])])
    J = np.asarray(jax.jacfwd(lambda v: _transcritical(v[:-1], v[-1], None))(u))
    assert J.shape == (2, 3)
    assert np.linalg.norm(J @ K) <= 1e-8
    # H_u at the branch point has rank 1: the kernel is 2-dimensional and both branches'
    # tangents lie in it
    proj = np.eye(3) - K @ K.T
    for tangent in (np.array([0.0, 1.0, 1.0]), np.array([1.0, 1.0, 1.0])):
        tangent = tangent / np.linalg.norm(tangent)
        assert np.linalg.norm(proj @ tangent) <= 1e-8
    # and a direction off both branches is not in it
    assert np.linalg.norm(proj @ np.array([0.0, 1.0, 0.0])) > 0.5


def test_track_bifurcation_not_detected_when_off():
    path = h.track(h.FunctionHomotopy(_transcritical, start=[-0.5, 0.0]), detect_bifurcations=False)
    assert path.status is h.Status.SUCCESS and path.events == ()
