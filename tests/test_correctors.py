"""The correctors on synthetic curves with closed-form solutions: the bordered Newton kernel
(exact solution, quadratic vs linear convergence), the three correctors' points, tangents and
work counts, `polish`, `correct_at`, `correct_in_hyperplanes` and `corrector_from`."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import homotopy as h
from homotopy._tangent import bordered
from homotopy.correctors import (
    CORRECTORS,
    CorrectorInput,
    NewtonTolerances,
    correct_at,
    correct_in_hyperplanes,
    corrector_from,
    newton_solve,
    polish,
)
from homotopy.protocol import system


R = 2.0
TOLS = NewtonTolerances(1e-12, 1e-13, 8)


class Circle:
    """H(w, λ) = w² + λ² − R² (n = 1)."""

    def H(self, w, lam):
        return jnp.reshape(w[0] ** 2 + lam**2 - R**2, (1,))


CIRCLE = system(Circle())
E_LAM = jnp.array([0.0, 1.0])


def on_circle(phi):
    return np.array([R * np.cos(phi), R * np.sin(phi)])


def circle_tangent(phi):
    return np.array([-np.sin(phi), np.cos(phi)])


def hyperplane_root(u_p, row):
    """The intersection of the circle with row·(u − u_p) = 0 nearest u_p (closed form)."""
    r = np.asarray(row) / np.linalg.norm(row)
    c = r @ np.asarray(u_p)
    perp = np.array([-r[1], r[0]])
    roots = [c * r + sg * np.sqrt(R**2 - c**2) * perp for sg in (1.0, -1.0)]
    return min(roots, key=lambda x: np.linalg.norm(x - np.asarray(u_p)))


def predicted(phi, step):
    """An Euler prediction from the circle at angle phi, and its arclength row."""
    t = circle_tangent(phi)
    return jnp.asarray(on_circle(phi) + step * t), jnp.asarray(t)


# ------------------------------------------------------------------------------ newton_solve


@jax.jit
def _newton(u_p, row, tols):
    return newton_solve(CIRCLE, u_p, row, tols)


@jax.jit
def _chord(u_p, row, tols):
    J = CIRCLE.J(u_p)
    return newton_solve(CIRCLE, u_p, row, tols, fixed=(J, bordered(CIRCLE, J, row)))


def dyn_tols(tol, step_tol, max_newton):
    """Tolerances as arrays, so that one compilation serves every iteration count."""
    return NewtonTolerances(jnp.float64(tol), jnp.float64(step_tol), jnp.int32(max_newton))


@pytest.mark.parametrize(("phi", "step"), [(0.6, 0.6), (2.0, -0.4), (-1.0, 0.9)])
def test_newton_solve_reaches_the_exact_hyperplane_intersection(phi, step):
    u_p, row = predicted(phi, step)
    res = _newton(u_p, row, dyn_tols(1e-12, 1e-14, 8))
    assert bool(res.converged)
    ref = hyperplane_root(u_p, row)
    np.testing.assert_allclose(np.asarray(res.u), ref, rtol=0, atol=2e-15 * R)
    assert abs(float(row @ (res.u - u_p))) <= 1e-15 * R
    assert int(res.jacobians) == int(res.iterations)


def test_newton_solve_with_a_skew_row():
    """The row need not be a tangent or a unit vector."""
    u_p = jnp.array([1.5, 1.0])
    row = jnp.array([3.0, 1.0])  # the line r·u = 5.5/√10 < R meets the circle
    res = _newton(u_p, row, dyn_tols(1e-12, 1e-14, 8))
    assert bool(res.converged)
    np.testing.assert_allclose(np.asarray(res.u), hyperplane_root(u_p, row), rtol=0, atol=4e-15)


def iteration_errors(fn, u_p, row, counts):
    ref = hyperplane_root(u_p, row)
    out = []
    for k in counts:
        res = fn(u_p, row, dyn_tols(1e-12, 0.0, k))  # step_tol 0: exactly max_it iterations
        out.append(float(np.linalg.norm(np.asarray(res.u) - ref)))
    return np.array(out), res


def test_newton_converges_quadratically():
    u_p, row = predicted(0.6, 0.6)
    e0 = float(np.linalg.norm(np.asarray(u_p) - hyperplane_root(u_p, row)))
    e, _ = iteration_errors(_newton, u_p, row, [1, 2, 3])
    e = np.concatenate([[e0], e])
    assert e[-1] < 1e-12  # three iterations from ~0.1 reach ~1e-13
    q = e[1:] / e[:-1] ** 2  # e_{k+1} ≤ C·e_k²: here C ≈ 1/(2R), the curvature's
    assert np.all(q < 1.0), q
    assert q.max() / q.min() < 1.5, q
    # the linear rate itself goes to zero: superlinear
    lin = e[1:] / e[:-1]
    assert np.all(np.diff(lin) < 0) and lin[-1] < 1e-6, lin
    # and the exponent of convergence is about 2
    orders = np.log(e[2:]) / np.log(e[1:-1])
    assert np.all((orders > 1.8) & (orders < 2.4)), orders


def test_chord_converges_linearly():
    u_p, row = predicted(0.6, 0.6)
    # a frozen matrix does 2·max_newton iterations: errors after 2, 4, 6, 8
    e, res = iteration_errors(_chord, u_p, row, [1, 2, 3, 4])
    assert e[-1] < 1e-11 and e[-1] > 1e-14  # converging, but not quadratically
    ratio = e[1:] / e[:-1]  # per two iterations: ρ², the same every time
    assert ratio.max() / ratio.min() < 1.1, ratio
    rho = np.sqrt(ratio.mean())
    assert 1e-3 < rho < 0.2
    # the reported contraction is that rate
    assert float(res.contraction) == pytest.approx(rho, rel=0.05)
    # quadratic it is not: e_{k+1}/e_k² blows up
    q = e[1:] / e[:-1] ** 2
    assert np.all(np.diff(q) > 0) and q[-1] > 1e6, q
    # and frozen means frozen: no Jacobian evaluated
    assert int(res.jacobians) == 0


def test_newton_solve_stops_on_step_tol_and_reports_convergence():
    u_p, row = predicted(0.6, 0.6)
    res = _newton(u_p, row, dyn_tols(1e-12, 1e-11, 8))
    assert bool(res.converged)
    assert int(res.iterations) < 8
    assert float(res.last_step) <= 1e-6


def test_newton_solve_inactive_and_exact_do_no_work():
    u_p, row = predicted(0.6, 0.6)
    res = newton_solve(CIRCLE, u_p, row, TOLS, active=False)
    assert int(res.iterations) == 0 and int(res.jacobians) == 0
    np.testing.assert_array_equal(np.asarray(res.u), np.asarray(u_p))
    on = jnp.asarray(on_circle(0.6))
    res = newton_solve(CIRCLE, on, row, TOLS)
    assert int(res.iterations) == 0 and bool(res.converged)


def test_newton_solve_give_up_fails_a_slow_frozen_iteration():
    u_p, row = predicted(0.6, 0.6)
    J = CIRCLE.J(u_p)
    fixed = (J, bordered(CIRCLE, J, row))
    res = newton_solve(CIRCLE, u_p, row, TOLS, fixed=fixed, give_up=1e-3)
    assert not bool(res.converged)
    assert int(res.iterations) == 2  # the first contraction estimate fails it
    res = newton_solve(CIRCLE, u_p, row, TOLS, fixed=fixed, give_up=0.5)
    assert bool(res.converged)


# --------------------------------------------------------------------------- the correctors

#: Newton without Jacobian reuse: its tangent is then exact (see test_newton_reused_tangent)
CORRECTOR_SET = [h.Newton(reuse_tol=0.0), h.Chord(), h.Simplified()]


def corrector_input(phi, step, *, fix_lam=False, running=True):
    u = jnp.asarray(on_circle(phi))
    t = jnp.asarray(circle_tangent(phi))
    u_p = u + step * t
    row = E_LAM if fix_lam else t
    return CorrectorInput(
        u, t, CIRCLE.J(u), u_p, row, jnp.bool_(fix_lam), E_LAM, jnp.bool_(running)
    )


_correct = jax.jit(lambda corr, inp: corr.correct(CIRCLE, inp, TOLS), static_argnums=0)


def check_correction(c, inp, tangent_atol=1e-13):
    """A point on H = 0 in the row's hyperplane, with the exact unit tangent (oriented by the
    previous one) and the determinant of [H_u; tᵀ]."""
    assert bool(c.converged)
    u = np.asarray(c.u)
    assert abs(float(CIRCLE.H(c.u)[0])) <= TOLS.tol
    np.testing.assert_allclose(u, hyperplane_root(inp.u_p, inp.row), rtol=0, atol=1e-13)
    t_ref = np.array([-u[1], u[0]]) / np.linalg.norm(u)
    t_ref = t_ref if t_ref @ np.asarray(inp.t) > 0 else -t_ref
    np.testing.assert_allclose(np.asarray(c.t), t_ref, rtol=0, atol=tangent_atol)
    # det[H_u; tᵀ] = det[2w, 2λ; −λ/R, w/R] = 2R > 0
    M = np.vstack([np.asarray(CIRCLE.J(c.u)), np.asarray(c.t)])
    assert np.linalg.det(M) == pytest.approx(2 * R, rel=1e-12)
    assert float(c.sign) == 1.0
    # log|det| is that of a bordered matrix with the previous tangent, off by at most the
    # turn of the tangent (see test_correction_logdet_borders_with_the_previous_tangent)
    turn = abs(np.log(t_ref @ np.asarray(inp.t)))
    assert abs(float(c.logdet) - np.log(2 * R)) <= turn + 1e-12


@pytest.mark.parametrize("corr", CORRECTOR_SET, ids=lambda c: c.name)
@pytest.mark.parametrize(("phi", "step"), [(0.6, 0.3), (2.5, -0.2)])
def test_corrector_arclength_point_and_tangent(corr, phi, step):
    inp = corrector_input(phi, step)
    check_correction(_correct(corr, inp), inp)


@pytest.mark.parametrize("corr", CORRECTOR_SET, ids=lambda c: c.name)
def test_corrector_fixed_lambda(corr):
    """row = e_λ: the correction stays at the predicted λ, w = √(R² − λ²)."""
    inp = corrector_input(0.6, 0.2, fix_lam=True)
    c = _correct(corr, inp)
    check_correction(c, inp)
    lam = float(inp.u_p[-1])
    assert float(c.u[-1]) == lam
    assert float(c.u[0]) == pytest.approx(np.sqrt(R**2 - lam**2), abs=1e-14)


@pytest.mark.parametrize("corr", [h.Newton(reuse_tol=0.0), h.Chord()], ids=lambda c: c.name)
def test_correction_jacobian_at_the_point(corr):
    inp = corrector_input(0.6, 0.3)
    c = _correct(corr, inp)
    np.testing.assert_array_equal(np.asarray(c.J), np.asarray(CIRCLE.J(c.u)))


def test_correction_jacobian_of_reuse_and_refinement():
    """Where no Jacobian is taken at the solution, `Correction.J` is the one used: Newton's
    last (one converged update away) and, when the JVP refinement succeeds, Simplified's at
    the prediction (the docstring's "the Jacobian J at u" is approximate there, reported)."""
    inp = corrector_input(0.6, 0.1)
    c = _correct(h.Simplified(), inp)
    assert int(c.jacobians) == 1
    np.testing.assert_array_equal(np.asarray(c.J), np.asarray(CIRCLE.J(inp.u_p)))
    c = _correct(h.Newton(), inp)
    dist = float(np.linalg.norm(np.asarray(c.J) - np.asarray(CIRCLE.J(c.u))))
    assert 0.0 < dist <= 2 * 1e-6 * (1 + float(jnp.linalg.norm(c.u)))


def test_newton_counts_one_jacobian_per_iteration():
    c = _correct(h.Newton(), corrector_input(0.6, 0.3))
    assert int(c.iterations) >= 2
    # the last Jacobian was taken within a tiny update of the solution: reused for t
    assert int(c.jacobians) == int(c.iterations)
    assert int(c.jvps) == 0
    # with no reuse the tangent costs one more
    c = _correct(h.Newton(reuse_tol=0.0), corrector_input(0.6, 0.3))
    assert int(c.jacobians) == int(c.iterations) + 1


@pytest.mark.parametrize(("phi", "step"), [(0.6, 0.3), (2.5, -0.2)])
def test_newton_reused_tangent(phi, step):
    """The default Newton takes t from its last Jacobian, evaluated one (converged) update
    before the solution: the point is exact, the tangent within reuse_tol·(1 + ‖u‖)."""
    inp = corrector_input(phi, step)
    c = _correct(h.Newton(), inp)
    u = np.asarray(c.u)
    check_correction(c, inp, tangent_atol=1e-6 * (1 + np.linalg.norm(u)))
    exact = _correct(h.Newton(reuse_tol=0.0), inp)
    np.testing.assert_array_equal(np.asarray(c.u), np.asarray(exact.u))


def test_chord_counts_one_jacobian():
    c = _correct(h.Chord(), corrector_input(0.6, 0.3))
    assert int(c.jacobians) == 1 and int(c.jvps) == 0
    assert int(c.iterations) > 2  # linear convergence: more iterations than Newton's


def test_simplified_counts_one_jacobian_and_some_jvps():
    inp = corrector_input(0.6, 0.1)
    c = _correct(h.Simplified(), inp)
    check_correction(c, inp)
    assert int(c.jacobians) == 1  # the frozen iteration and the JVP refinement succeeded
    assert 0 < int(c.jvps) <= 4


def test_simplified_takes_a_new_jacobian_when_the_refinement_fails():
    """A long step (0.3 on a circle of radius 2): four JVPs do not reach the tangent; the
    tangent then comes from a Jacobian at the solution (exact, and counted)."""
    inp = corrector_input(0.6, 0.3)
    c = _correct(h.Simplified(), inp)
    check_correction(c, inp)
    assert int(c.jacobians) == 2 and int(c.jvps) == 4


def test_simplified_refined_tangent_meets_its_documented_accuracy():
    # the refinement stops on an estimate: its first-step rate ‖Δv₁‖/‖v‖ can underestimate
    # the contraction by about the step length, so the documented accuracy is 10·TANGENT_TOL
    # (here 7.8e-13 after one JVP)
    from homotopy._tangent import TANGENT_TOL

    inp = corrector_input(0.6, 0.01)
    c = _correct(h.Simplified(), inp)
    assert int(c.jacobians) == 1 and int(c.jvps) == 1  # refined after one JVP
    u = np.asarray(c.u)
    t_ref = np.array([-u[1], u[0]]) / np.linalg.norm(u)
    assert np.linalg.norm(np.asarray(c.t) - t_ref) <= 10 * TANGENT_TOL


@pytest.mark.parametrize("corr", [h.Newton(reuse_tol=0.0), h.Chord()], ids=lambda c: c.name)
def test_correction_logdet_borders_with_the_previous_tangent(corr):
    """`Correction.logdet` is log|det[H_u(u); t_prevᵀ]| (bordered with the orientation
    reference inp.t), = log|det[H_u(u); tᵀ]| + log(t·t_prev): the `Correction` docstring's
    "[H_u(u); tᵀ]" holds for the sign only (reported)."""
    inp = corrector_input(0.6, 0.3)
    c = _correct(corr, inp)
    M_prev = np.vstack([np.asarray(CIRCLE.J(c.u)), np.asarray(inp.t)])
    assert float(c.logdet) == pytest.approx(np.log(abs(np.linalg.det(M_prev))), abs=1e-13)
    turn = float(c.t @ inp.t)
    assert float(c.logdet) == pytest.approx(np.log(2 * R) + np.log(turn), abs=1e-13)
    assert turn < 0.99  # the two differ measurably here


def test_simplified_hands_over_to_newton():
    """A frozen Jacobian contracting worse than give_up: Newton takes over, and counts."""
    inp = corrector_input(0.6, 0.3)
    c = _correct(h.Simplified(give_up=1e-6), inp)
    check_correction(c, inp)
    assert int(c.jacobians) >= 2


@pytest.mark.parametrize("corr", CORRECTOR_SET, ids=lambda c: c.name)
def test_corrector_not_running_does_no_iteration(corr):
    inp = corrector_input(0.6, 0.3, running=False)
    c = _correct(corr, inp)
    assert int(c.iterations) == 0
    np.testing.assert_array_equal(np.asarray(c.u), np.asarray(inp.u_p))


@pytest.mark.parametrize("corr", CORRECTOR_SET, ids=lambda c: c.name)
def test_corrector_batched_system_agrees(corr):
    """The batched variant (masks instead of conds) gives the same correction."""
    sys_b = system(Circle(), batched=True)
    inp = corrector_input(0.6, 0.3)
    c = corr.correct(sys_b, inp, TOLS)
    ref = _correct(corr, inp)
    np.testing.assert_allclose(np.asarray(c.u), np.asarray(ref.u), rtol=0, atol=1e-15)
    np.testing.assert_allclose(np.asarray(c.t), np.asarray(ref.t), rtol=0, atol=1e-15)


# -------------------------------------------------------------------- polish and correct_at


class Pair:
    """H(w, λ) = (w₁³ − aλ, w₂ − λ·w₁): the root w₁ = (aλ)^{1/3}, w₂ = λ·w₁."""

    def H(self, w, lam):
        return jnp.stack([w[0] ** 3 - 3.0 * lam, w[1] - lam * w[0]])


def pair_root(lam, a=3.0):
    w1 = np.cbrt(a * lam)
    return np.array([w1, lam * w1])


def test_polish_reaches_full_precision():
    sys = system(Pair())
    lam = 0.7
    w, nj = polish(sys, jnp.array([1.5, 1.0]), jnp.float64(lam), 1e-15, True)
    u = jnp.concatenate([w, jnp.array([lam])])
    assert float(jnp.linalg.norm(sys.H(u))) <= 1e-15
    np.testing.assert_allclose(np.asarray(w), pair_root(lam), rtol=0, atol=1e-15)
    assert 1 <= int(nj) <= 30


def test_polish_with_a_fixed_factor_uses_no_jacobian():
    sys = system(Pair())
    lam = jnp.float64(0.7)
    w0 = jnp.asarray(pair_root(0.7)) + jnp.array([1e-4, -2e-4])
    u0 = jnp.concatenate([w0, lam[None]])
    f = sys.factor(sys.J(u0)[:, :-1])
    w, nj = polish(sys, w0, lam, 1e-15, True, fixed=f)
    assert int(nj) == 0
    assert float(jnp.linalg.norm(sys.H(jnp.concatenate([w, lam[None]])))) <= 1e-15


def test_polish_not_going_leaves_w():
    sys = system(Pair())
    w0 = jnp.array([1.5, 1.0])
    w, nj = polish(sys, w0, jnp.float64(0.7), 1e-15, False)
    np.testing.assert_array_equal(np.asarray(w), np.asarray(w0))
    assert int(nj) == 0


def _pair_fh(w, lam, a):
    return jnp.stack([w[0] ** 3 - a * lam, w[1] - lam * w[0]])


@pytest.mark.parametrize(("a", "lam"), [(3.0, 0.7), (5.0, 0.2), (1.0, 2.0)])
def test_correct_at_function_homotopy(a, lam):
    problem = h.FunctionHomotopy(_pair_fh, args=jnp.float64(a))
    w = correct_at(problem, [1.2, 0.5], lam)
    assert isinstance(w, np.ndarray) and w.shape == (2,)
    np.testing.assert_allclose(w, pair_root(lam, a), rtol=0, atol=1e-14)


def test_correct_at_plain_problem():
    w = correct_at(Circle(), [1.5], 0.3)
    np.testing.assert_allclose(w, [np.sqrt(R**2 - 0.09)], rtol=0, atol=1e-15)


def _circle_fh(w, lam, r):
    return jnp.reshape(w[0] ** 2 + lam**2 - r**2, (1,))


def test_correct_in_hyperplanes_many_points():
    problem = h.FunctionHomotopy(_circle_fh, args=jnp.float64(R))
    phis = np.array([0.1, 0.9, 2.0, -1.3, 3.0])
    steps = np.array([0.3, -0.2, 0.5, 0.1, -0.4])
    u_pred = np.stack(
        [on_circle(p) + s * circle_tangent(p) for p, s in zip(phis, steps, strict=True)]
    )
    rows = np.stack([circle_tangent(p) for p in phis])
    rows[1] = [0.0, 1.0]  # one fixed-λ hyperplane among them
    u, ok = correct_in_hyperplanes(problem, u_pred, rows)
    assert u.shape == (5, 2) and ok.shape == (5,) and ok.dtype == bool
    assert ok.all()
    for i in range(5):
        np.testing.assert_allclose(u[i], hyperplane_root(u_pred[i], rows[i]), rtol=0, atol=1e-13)
    assert u[1, 1] == u_pred[1, 1]


def test_correct_in_hyperplanes_reports_failure():
    """A hyperplane that misses the circle cannot converge; the others still do."""
    problem = h.FunctionHomotopy(_circle_fh, args=jnp.float64(R))
    u_pred = np.array([[3.0, 0.0], on_circle(0.5)])
    rows = np.array([[1.0, 0.0], circle_tangent(0.5)])
    u, ok = correct_in_hyperplanes(problem, u_pred, rows)
    assert ok.tolist() == [False, True]
    np.testing.assert_allclose(u[1], on_circle(0.5), rtol=0, atol=1e-14)


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize("name", ["simplified", "newton", "chord"])
def test_corrector_from_name(name):
    c = corrector_from(name)
    assert type(c) is CORRECTORS[name] and c.name == name


@pytest.mark.parametrize("corr", [h.Newton(reuse_tol=1e-3), h.Chord(), h.Simplified(0.2)])
def test_corrector_from_instance_is_identity(corr):
    assert corrector_from(corr) is corr


@pytest.mark.parametrize("bad", ["Newton", "gauss", "", None, 1, h.Newton, h.Euler()])
def test_corrector_from_rejects(bad):
    with pytest.raises(ValueError, match="^corrector:"):
        corrector_from(bad)
