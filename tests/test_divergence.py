"""Divergence strategies on synthetic points (`NetworkDivergence`, `NoDivergence`,
`divergence_from`), then end to end: a solution that genuinely runs to infinity."""

import jax.numpy as jnp
import numpy as np
import pytest

import homotopy as h
from homotopy.divergence import NetworkDivergence, NoDivergence, divergence_from


NET = NetworkDivergence()
NONE = NoDivergence()


def f64(x):
    return jnp.asarray(x, jnp.float64)


def unit(v):
    v = np.asarray(v, float)
    return jnp.asarray(v / np.linalg.norm(v))


# ------------------------------------------------------------------------------------- bound


@pytest.mark.parametrize(("w0_norm", "bound"), [(0.0, 1e6), (0.5, 1e6), (1.0, 1e6), (3.0, 3e6)])
def test_default_bound(w0_norm, bound):
    assert float(NET.bound(f64(w0_norm))) == pytest.approx(bound, rel=1e-15)


def test_bound_factor_and_explicit_w_max():
    assert float(NetworkDivergence(w_max_factor=10.0).bound(f64(4.0))) == 40.0
    assert float(NetworkDivergence(w_max_factor=10.0).bound(f64(0.1))) == 10.0
    # an explicit bound ignores the start
    for w0 in (0.0, 5.0, 1e9):
        b = NetworkDivergence(w_max=50.0).bound(f64(w0))
        assert b.dtype == jnp.float64 and float(b) == 50.0


# ---------------------------------------------------------------------------------- at_point

J_REGULAR = jnp.array([[1.0, 0.5, 0.2], [0.0, 2.0, -0.3]])
HW0 = float(jnp.linalg.norm(J_REGULAR[:, :-1]))
TOL = 1e-10


def at_point(div, w, lam, t, J=J_REGULAR, w_max=100.0):
    u = jnp.concatenate([jnp.asarray(w, jnp.float64), f64(lam)[None]])
    return bool(div.at_point(u, unit(t), J, f64(w_max), f64(HW0), TOL))


def test_at_point_by_norm():
    t = [1.0, 0.0, 1.0]
    assert not at_point(NET, [60.0, 80.0], 0.5, t)  # ‖w‖ = 100: on the bound is not beyond
    assert at_point(NET, [60.0, 80.0 + 1e-12], 0.5, t)
    # by norm the direction of motion does not matter
    assert at_point(NET, [-70.0, 80.0], 0.5, [1.0, -1.0, 0.0])
    assert not at_point(NET, [1.0, 2.0], 0.5, [1.0, 1.0, 0.0])


@pytest.mark.parametrize("scale", [1e-11, 1e-20, 0.0])
def test_at_point_vanished_jacobian_moving_outward(scale):
    J = J_REGULAR.at[:, :-1].multiply(scale)  # ‖H_w‖ ≤ singular_tol·‖H_w(start)‖
    w = [3.0, -4.0]
    assert at_point(NET, w, 0.5, [3.0, -4.0, 0.1], J=J)  # tᵀw > 0: outward
    assert not at_point(NET, w, 0.5, [-3.0, 4.0, 0.1], J=J)  # inward
    assert not at_point(NET, w, 0.5, [4.0, 3.0, 0.1], J=J)  # tangential: tᵀw = 0


def test_at_point_vanished_needs_both():
    """A merely small (not vanished) H_w moving outward is fine; so is λ's column alone
    being anything (only H_w counts)."""
    J = J_REGULAR.at[:, :-1].multiply(1e-9)
    assert not at_point(NET, [3.0, -4.0], 0.5, [3.0, -4.0, 0.1], J=J)
    J = jnp.zeros((2, 3)).at[:, -1].set(1e3)
    assert at_point(NET, [3.0, -4.0], 0.5, [3.0, -4.0, 0.1], J=J)


def test_outward():
    u = jnp.array([1.0, 2.0, 0.3])
    assert bool(NET.outward(u, unit([1.0, 0.0, -5.0])))
    assert not bool(NET.outward(u, unit([-1.0, 0.0, 5.0])))
    assert not bool(NET.outward(u, unit([2.0, -1.0, 5.0])))  # tᵀw = 0
    # λ's component plays no part
    assert not bool(NET.outward(u, unit([-0.1, 0.0, 1.0])))


# ---------------------------------------------------------------------- stalled, singular end


def stalled(div, lam, t_lam, outward=True, lam_end=1.0):
    w = jnp.array([3.0, 4.0])
    t_w = (1.0 if outward else -1.0) * w / 5.0
    t = jnp.concatenate([t_w * np.sqrt(1 - t_lam**2), f64(t_lam)[None]])
    return bool(div.stalled(jnp.concatenate([w, f64(lam)[None]]), t, f64(lam_end)))


def test_stalled():
    assert stalled(NET, 1.0 - 1e-7, 1e-7)
    assert stalled(NET, 1.0 - 5e-7, 1e-6)  # |dλ/ds| = the tolerance itself is in
    assert stalled(NET, 1.0 + 1e-7, -1e-7)  # either side of λ_end
    assert not stalled(NET, 1.0 - 1e-7, 1e-7, outward=False)
    assert not stalled(NET, 1.0 - 1e-5, 1e-7)  # not at λ_end
    assert not stalled(NET, 1.0 - 1e-7, 1e-5)  # not creeping: |dλ/ds| too large
    assert not stalled(NET, 0.0, 1e-7, lam_end=0.5)


def test_stalled_tolerance_is_a_field():
    loose = NetworkDivergence(stall_tol=1e-3)
    assert stalled(loose, 1.0 - 1e-4, 1e-4)
    assert not stalled(NET, 1.0 - 1e-4, 1e-4)


def test_at_singular_end():
    u = jnp.array([3.0, 4.0, 1.0])
    out, inw = unit([3.0, 4.0, 0.0]), unit([-3.0, -4.0, 0.0])
    assert bool(NET.at_singular_end(u, out, f64(4.9)))  # ‖w‖ = 5 grew since the start
    assert not bool(NET.at_singular_end(u, out, f64(5.0)))  # did not grow
    assert not bool(NET.at_singular_end(u, inw, f64(1.0)))  # moving inward


# ---------------------------------------------------------------------------- NoDivergence


def test_no_divergence_never():
    assert float(NONE.bound(f64(3.0))) == np.inf
    u = jnp.array([1e300, 0.0, 1.0])
    t = unit([1.0, 0.0, 1e-12])
    assert not bool(NONE.at_point(u, t, jnp.zeros((2, 3)), f64(1.0), f64(1.0), TOL))
    assert not bool(NONE.outward(u, t))
    assert not bool(NONE.stalled(u, t, f64(1.0)))
    assert not bool(NONE.at_singular_end(u, t, f64(0.0)))


# --------------------------------------------------------------------------- divergence_from


def test_divergence_from_names_and_instances():
    assert divergence_from("network") == NetworkDivergence()
    assert divergence_from("network", w_max=7.0) == NetworkDivergence(w_max=7.0)
    assert isinstance(divergence_from(None), NoDivergence)
    assert isinstance(divergence_from("none"), NoDivergence)
    inst = NetworkDivergence(stall_tol=1e-3)
    assert divergence_from(inst) is inst
    assert divergence_from(NONE) is NONE


@pytest.mark.parametrize("spec", [None, "none", NetworkDivergence(), NoDivergence()])
def test_divergence_from_refuses_fields_beside(spec):
    with pytest.raises(ValueError, match=r"^divergence: \['w_max'\] given beside"):
        divergence_from(spec, w_max=5.0)


@pytest.mark.parametrize("bad", ["Network", "off", "", 0, False, NetworkDivergence, h.Euler()])
def test_divergence_from_rejects(bad):
    with pytest.raises(ValueError, match="^divergence:"):
        divergence_from(bad)


@pytest.mark.parametrize("field", ["w_max", "w_max_factor", "stall_tol"])
@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan, np.inf, True, "1"])
def test_network_divergence_validation_names_the_field(field, bad):
    with pytest.raises(ValueError, match=f"^{field}:"):
        NetworkDivergence(**{field: bad})


def test_network_divergence_unknown_field_via_from():
    with pytest.raises(TypeError):
        divergence_from("network", bound=3.0)


# ----------------------------------------------------------------- end to end: w = 1/(1 − λ)


def _pole(w, lam, args):
    return w * (1.0 - lam) - 1.0


POLE = h.FunctionHomotopy(_pole, start=[1.0])
MAX_STEPS = 300  # DIVERGED needs ~50 steps, STEP_FAILURE (without the strategy) ~75


def check_on_curve(path):
    np.testing.assert_allclose(path.w[:, 0] * (1.0 - path.lam), 1.0, rtol=0, atol=1e-9)


def test_pole_diverges_by_default():
    path = h.track(POLE, max_steps=MAX_STEPS)
    assert path.status is h.Status.DIVERGED
    check_on_curve(path)
    assert abs(path.w[-1, 0]) > 1e6  # the default bound, 1e6·max(1, ‖w₀‖ = 1)
    assert abs(path.w[:-1, 0]).max() <= 1e6  # ... and it stopped at the first point past it
    assert path.lam[-1] < 1.0 and np.all(np.diff(path.lam) > 0)
    np.testing.assert_array_equal(path.direction, [1.0])
    assert path.w_end is None
    assert path.stats["steps"] < MAX_STEPS


@pytest.mark.parametrize(
    "kw", [dict(w_max=100.0), dict(divergence=NetworkDivergence(w_max=100.0))], ids=str
)
def test_pole_diverges_at_an_explicit_bound(kw):
    path = h.track(POLE, max_steps=MAX_STEPS, **kw)
    assert path.status is h.Status.DIVERGED
    check_on_curve(path)
    assert path.w[-1, 0] > 100.0 and path.w[:-1, 0].max() <= 100.0


@pytest.mark.parametrize("div", [None, "none", NoDivergence()], ids=str)
def test_pole_without_divergence_is_never_diverged(div):
    """Without the strategy the path creeps towards λ = 1 until the step collapses: a
    STEP_FAILURE (MAX_STEPS with a smaller step budget), never DIVERGED."""
    path = h.track(POLE, max_steps=MAX_STEPS, divergence=div)
    assert path.status in (h.Status.STEP_FAILURE, h.Status.MAX_STEPS)
    assert path.status is not h.Status.DIVERGED and path.direction is None
    check_on_curve(path)
    assert abs(path.w[-1, 0]) > 1e6  # it went on past the network bound
    assert path.lam[-1] < 1.0


def test_pole_without_divergence_small_budget_is_max_steps():
    path = h.track(POLE, max_steps=20, divergence=None)
    assert path.status is h.Status.MAX_STEPS
    assert path.stats["steps"] == 20
