"""The predictors on synthetic curves with exact parametrizations: the order of the local
error (log-log slopes), the Hermite fallback, the Jacobian counts and `predictor_from`."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import homotopy as h
from homotopy.predictors import PREDICTORS, PredictorInput, predictor_from
from homotopy.protocol import system


R = 2.0
S0 = 0.7
#: steps 2^-2 … 2^-7: the smallest RK4 error is ~1e-14, still above round-off
STEPS = 2.0 ** -np.arange(2, 8)
ONE = jnp.float64(1.0)


class Circle:
    """H(w, λ) = w² + λ² − R² (n = 1), arc-length parametrized by u(s) = R(cos s/R, sin s/R)."""

    def H(self, w, lam):
        return jnp.reshape(w[0] ** 2 + lam**2 - R**2, (1,))


class Graph:
    """H(w, λ) = w − sin λ: the graph curve λ ↦ (sin λ, λ); every level set H = c is the same
    curve shifted in w, so RK4's tangent field is exact off the curve too."""

    def H(self, w, lam):
        return jnp.reshape(w[0] - jnp.sin(lam), (1,))


CIRCLE, GRAPH = system(Circle()), system(Graph())


def circle_u(s):
    return jnp.array([R * np.cos(s / R), R * np.sin(s / R)])


def circle_t(s):
    return jnp.array([-np.sin(s / R), np.cos(s / R)])


def graph_u(lam):
    return jnp.array([np.sin(lam), lam])


def graph_t(lam):
    v = np.array([np.cos(lam), 1.0])
    return jnp.asarray(v / np.linalg.norm(v))


def predictor_fn(pred, sys, natural):
    return jax.jit(lambda inp, step: pred.predict(sys, inp, step, natural))


def slope(steps, errors):
    """Least-squares slope of log(error) against log(step)."""
    return np.polyfit(np.log(steps), np.log(errors), 1)[0]


ORDERS = [(h.Euler(), 1), (h.Hermite(), 3), (h.RK4(), 4)]


@pytest.mark.parametrize(("pred", "order"), ORDERS, ids=lambda x: getattr(x, "name", x))
def test_arclength_local_error_order(pred, order):
    assert pred.order == order
    f = predictor_fn(pred, CIRCLE, False)
    errors = []
    for step in STEPS:
        inp = PredictorInput(
            circle_u(S0), circle_t(S0), circle_u(S0 - step), circle_t(S0 - step), True, ONE
        )
        u_pred, _ = f(inp, step)
        errors.append(float(jnp.linalg.norm(u_pred - circle_u(S0 + step))))
    errors = np.array(errors)
    assert np.all(errors > 1e-15), errors  # above round-off: the fit measures truncation
    assert abs(slope(STEPS, errors) - (order + 1)) <= 0.25, errors


@pytest.mark.parametrize(("pred", "order"), ORDERS, ids=lambda x: getattr(x, "name", x))
def test_natural_local_error_order(pred, order):
    """Natural mode: the step is in λ and the velocity is t/t_λ = (dw/dλ, 1)."""
    f = predictor_fn(pred, GRAPH, True)
    lam0 = 0.4
    errors = []
    for step in STEPS:
        inp = PredictorInput(
            graph_u(lam0), graph_t(lam0), graph_u(lam0 - step), graph_t(lam0 - step), True, ONE
        )
        u_pred, _ = f(inp, step)
        # the step in λ is exact: only w is predicted
        assert float(u_pred[-1]) == pytest.approx(lam0 + step, abs=1e-15)
        errors.append(float(jnp.linalg.norm(u_pred - graph_u(lam0 + step))))
    errors = np.array(errors)
    assert np.all(errors > 1e-15), errors
    assert abs(slope(STEPS, errors) - (order + 1)) <= 0.25, errors


def test_natural_euler_is_the_tangent_line_in_lambda():
    """u + h·(dw/dλ, 1), also when λ runs backwards (dirn = −1, with t oriented along it)."""
    f = predictor_fn(h.Euler(), GRAPH, True)
    lam0, step = 0.4, 0.125
    for dirn, sign in [(1.0, 1.0), (-1.0, -1.0)]:
        t = sign * graph_t(lam0)
        inp = PredictorInput(graph_u(lam0), t, graph_u(lam0), t, False, jnp.float64(dirn))
        u_pred, _ = f(inp, step)
        expect = np.array([np.sin(lam0) + dirn * step * np.cos(lam0), lam0 + dirn * step])
        np.testing.assert_allclose(np.asarray(u_pred), expect, rtol=0, atol=1e-15)


@pytest.mark.parametrize("natural", [False, True])
def test_hermite_without_previous_point_is_euler(natural):
    sys = GRAPH if natural else CIRCLE
    u, t = (graph_u(0.4), graph_t(0.4)) if natural else (circle_u(S0), circle_t(S0))
    # a garbage previous point must be ignored, not merely down-weighted
    u_prev, t_prev = u + jnp.array([0.3, -0.2]), jnp.array([0.6, 0.8])
    for step in (0.25, 0.01):
        herm, _ = h.Hermite().predict(
            sys, PredictorInput(u, t, u_prev, t_prev, False, ONE), step, natural
        )
        eul, _ = h.Euler().predict(
            sys, PredictorInput(u, t, u_prev, t_prev, False, ONE), step, natural
        )
        np.testing.assert_array_equal(np.asarray(herm), np.asarray(eul))


def test_hermite_with_coincident_previous_point_is_euler():
    """dt = 0 (u_prev = u: the loop's state before the first accepted step) falls back too."""
    u, t = circle_u(S0), circle_t(S0)
    inp = PredictorInput(u, t, u, t, True, ONE)
    herm, _ = h.Hermite().predict(CIRCLE, inp, 0.25, False)
    np.testing.assert_array_equal(np.asarray(herm), np.asarray(u + 0.25 * t))


def test_hermite_on_a_line_is_exact():
    """A straight line: θ = 0 takes the chord as the spacing, and the cubic is the line."""

    class Line:
        def H(self, w, lam):
            return jnp.reshape(w[0] - 2.0 * lam, (1,))

    t = jnp.array([2.0, 1.0]) / np.sqrt(5.0)
    u_prev, u = jnp.array([0.2, 0.1]), jnp.array([0.2, 0.1]) + 0.3 * t
    u_pred, _ = h.Hermite().predict(
        system(Line()), PredictorInput(u, t, u_prev, t, True, ONE), 0.7, False
    )
    np.testing.assert_allclose(np.asarray(u_pred), np.asarray(u + 0.7 * t), rtol=0, atol=4e-15)


@pytest.mark.parametrize(("pred", "extra"), [(h.Euler(), 0), (h.Hermite(), 0), (h.RK4(), 3)])
def test_extra_jacobians(pred, extra):
    inp = PredictorInput(
        circle_u(S0), circle_t(S0), circle_u(S0 - 0.1), circle_t(S0 - 0.1), True, ONE
    )
    _, nj = pred.predict(CIRCLE, inp, 0.1, False)
    assert int(nj) == extra


def test_rk4_evaluates_three_jacobians():
    """The reported count is the real one: count the calls of J while tracing."""
    calls = []

    def J(u):
        calls.append(1)
        return CIRCLE.J(u)

    sys = CIRCLE._replace(J=J)
    inp = PredictorInput(circle_u(S0), circle_t(S0), circle_u(S0), circle_t(S0), False, ONE)
    h.RK4().predict(sys, inp, 0.1, False)
    assert len(calls) == 3
    calls.clear()
    h.Euler().predict(sys, inp, 0.1, False)
    h.Hermite().predict(sys, inp, 0.1, False)
    assert calls == []


@pytest.mark.parametrize("name", ["euler", "hermite", "rk4"])
def test_predictor_from_name(name):
    pred = predictor_from(name)
    assert type(pred) is PREDICTORS[name]
    assert pred.name == name


@pytest.mark.parametrize("pred", [h.Euler(), h.Hermite(), h.RK4()])
def test_predictor_from_instance_is_identity(pred):
    assert predictor_from(pred) is pred


@pytest.mark.parametrize("bad", ["Euler", "rk45", "", None, 3, h.Euler, h.Newton()])
def test_predictor_from_rejects(bad):
    with pytest.raises(ValueError, match="^predictor:"):
        predictor_from(bad)


def test_track_rejects_unknown_predictor():
    problem = h.FunctionHomotopy(lambda w, lam, a: w - lam, start=[0.0])
    with pytest.raises(ValueError, match="predictor"):
        h.track(problem, predictor="midpoint")
