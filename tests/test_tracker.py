"""The tracker against independent references: closed forms, scipy root finders and
least squares, SVD null spaces, and hand-made bifurcations."""

import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg
import scipy.optimize
from hypothesis import HealthCheck, given, settings, strategies as st

import homotopy as h


# A 3×2 problem whose target lies far off the plane col X along its normal: the path of the
# natural homotopy folds twice in λ before reaching λ = 1.
X_FOLD = np.array([[-1.094, -0.603], [0.943, 0.719], [0.227, 1.162]])
D_FOLD = np.array([0.616, 0.343, 0.64])


@pytest.fixture(scope="module")
def fold_path():
    return h.track(h.NaturalHomotopy(X_FOLD, D_FOLD))


def unit_tangent(J):
    """Independent unit kernel vector of the s×(s+1) Jacobian, from scipy's SVD."""
    ns = scipy.linalg.null_space(np.asarray(J))
    assert ns.shape[1] == 1
    return ns[:, 0]


# ---------------------------------------------------------------- interpolation: closed forms
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_interpolation_endpoint_is_inverse_artanh(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(3, 3)) + 2 * np.eye(3)
    d = rng.uniform(-0.95, 0.95, size=3)
    path = h.track(h.NaturalHomotopy(X, d, objective="interpolation"))
    assert path.status is h.Status.SUCCESS
    assert path.lam[-1] == 1.0
    np.testing.assert_allclose(path.w_end, np.linalg.solve(X, np.arctanh(d)), rtol=0, atol=1e-10)


@pytest.mark.parametrize("activation", ["logistic", "arctan", "erf", "softsign"])
def test_interpolation_endpoint_other_activations(activation):
    act = h.get_activation(activation)
    X = np.array([[1.5, -0.4], [0.3, 0.9]])
    lo, hi = act.range
    d = lo + (hi - lo) * np.array([0.2, 0.85])
    path = h.track(h.NaturalHomotopy(X, d, activation, objective="interpolation"))
    assert path.status is h.Status.SUCCESS
    ref = np.linalg.solve(X, np.asarray(act.inverse(jnp.asarray(d))))
    np.testing.assert_allclose(path.w_end, ref, rtol=0, atol=1e-10)


def test_scalar_path_matches_brentq_at_many_lambdas():
    a, b = 2.0, 0.6
    path = h.track(h.NaturalHomotopy([[a]], [b], objective="interpolation"))
    assert path.success
    for lam in [0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95, 0.999]:
        ref = scipy.optimize.brentq(
            lambda w, lam=lam: (1 - lam) * a * w + lam * np.tanh(a * w) - b, -5, 5, xtol=1e-15
        )
        pts = path.at(lam)
        assert pts.shape == (1, 1)
        assert abs(pts[0, 0] - ref) < 1e-12
    # and the stored path points themselves lie on the curve to the corrector tolerance
    for lam, w in zip(path.lam, path.w[:, 0], strict=True):
        assert abs((1 - lam) * a * w + lam * np.tanh(a * w) - b) <= 1e-10


# ---------------------------------------------------------------- least squares
@pytest.mark.parametrize(
    "activation,bias", [("tanh", False), ("tanh", True), ("logistic", True), ("arctan", False)]
)
def test_least_squares_endpoint_against_scipy(activation, bias):
    rng = np.random.default_rng(7)
    X = rng.normal(size=(8, 2))
    act = h.get_activation(activation)
    lo, hi = act.range
    d = lo + (hi - lo) * rng.uniform(0.2, 0.8, size=8)
    p = h.NaturalHomotopy(X, d, activation, bias=bias)
    path = h.track(p)
    assert path.status is h.Status.SUCCESS, path.message
    w1 = path.w_end
    assert np.linalg.norm(p.H(jnp.asarray(w1), 1.0)) <= 1e-10
    Xt = np.asarray(p.design)

    def resid(w):
        return np.asarray(act.sigma(jnp.asarray(Xt @ w))) - d

    def jac(w):  # analytic: scipy's default finite differences would cost it 1e-8 in w
        return np.asarray(act.blend_d1(jnp.asarray(Xt @ w), 1.0))[:, None] * Xt

    ls = scipy.optimize.least_squares(resid, w1, jac=jac, xtol=1e-15, ftol=1e-15, gtol=1e-15)
    np.testing.assert_allclose(ls.x, w1, rtol=0, atol=1e-12)
    # every accepted point satisfies ‖H‖ ≤ tol
    for lam, w in zip(path.lam, path.w, strict=True):
        assert np.linalg.norm(p.H(jnp.asarray(w), lam)) <= 1e-10


def test_multi_output_equals_separate_outputs():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(6, 2))
    D = rng.uniform(-0.6, 0.6, size=(6, 2))
    both = h.track(h.NaturalHomotopy(X, D, bias=True))
    assert both.success
    W = both.w_end.reshape(3, 2)
    for j in range(2):
        single = h.track(h.NaturalHomotopy(X, D[:, j], bias=True))
        np.testing.assert_allclose(W[:, j], single.w_end, atol=1e-11)


# ---------------------------------------------------------------- folds
def test_fold_pair_found_and_passed(fold_path):
    p = h.NaturalHomotopy(X_FOLD, D_FOLD)
    path = fold_path
    assert path.status is h.Status.SUCCESS
    tps = path.turning_points
    assert len(tps) == 2
    lam_a, lam_b = sorted(e.lam for e in tps)
    # the path goes up past the upper fold, back down past the lower one, then on to λ = 1
    assert path.lam.max() == 1.0 and np.any(np.diff(path.lam) < 0)
    for e in tps:
        J = np.asarray(p.jacobian(jnp.asarray(e.w), e.lam))
        assert np.linalg.norm(p.H(jnp.asarray(e.w), e.lam)) <= 1e-10
        t = unit_tangent(J)
        assert abs(t[-1]) <= 1e-8  # located to |dλ/ds| ≤ 1e-8 (independent tangent)
        sv = np.linalg.svd(J[:, :-1], compute_uv=False)
        assert sv[-1] / sv[0] < 1e-7  # H_w is singular at a fold
    # both folds are real: three solutions at a λ between them, each a root of H
    mid = 0.5 * (lam_a + lam_b)
    pts = path.at(mid)
    assert pts.shape == (3, 2)
    for w in pts:
        assert np.linalg.norm(p.H(jnp.asarray(w), mid)) < 1e-12
    assert min(np.linalg.norm(pts[i] - pts[j]) for i, j in [(0, 1), (0, 2), (1, 2)]) > 1e-3
    # outside the fold interval exactly one solution on the path
    assert path.at(lam_a - 0.05).shape[0] == 1
    assert path.at(lam_b + 0.01).shape[0] == 1


def test_natural_parameter_mode_fails_at_the_fold(fold_path):
    p = h.NaturalHomotopy(X_FOLD, D_FOLD)
    nat = h.track(p, method="natural")
    assert nat.status is h.Status.STEP_FAILURE
    assert "turning point" in nat.message and "arclength" in nat.message
    upper_fold = max(e.lam for e in fold_path.turning_points)
    assert np.all(np.diff(nat.lam) > 0)  # monotone in λ: no jump to another branch
    # Past the fold H(·, λ) has no root, but min‖H‖ grows only like |H_λ|·(λ − λ_fold): a point
    # with ‖H‖ ≤ tol may lie up to ~tol/|H_λ| beyond it, and no further.
    w_last = nat.w[-1]
    H_lam = np.asarray(p.H_lam(w_last, nat.lam[-1]))
    assert np.linalg.norm(p.H(w_last, nat.lam[-1])) <= 1e-10
    assert nat.lam[-1] <= upper_fold + 1e-10 / np.linalg.norm(H_lam) + 1e-13
    assert upper_fold - nat.lam[-1] < 1e-6
    # It stayed on the lower branch: its points agree with the arclength path's first crossing.
    # (Within ~1e-6 of the fold H_w is nearly singular, and ‖H‖ ≤ tol allows w errors ~1e-7.)
    for lam in nat.lam[nat.lam < upper_fold - 1e-3][1::3]:
        np.testing.assert_allclose(
            h.Path.at(fold_path, lam)[0], nat.w[nat.lam == lam][0], atol=1e-9
        )


def test_natural_parameter_mode_succeeds_without_folds():
    X = np.array([[1.0, 0.2], [0.3, 1.0], [1.0, 1.0]])
    d = np.array([0.4, 0.3, 0.5])
    p = h.NaturalHomotopy(X, d)
    nat = h.track(p, method="natural")
    arc = h.track(p)
    assert nat.success and arc.success
    np.testing.assert_allclose(nat.w_end, arc.w_end, atol=1e-12)


@pytest.mark.parametrize("predictor", ["euler", "hermite", "rk4"])
@pytest.mark.parametrize("corrector", ["simplified", "newton", "chord"])
def test_predictors_and_correctors_agree(fold_path, predictor, corrector):
    p = h.NaturalHomotopy(X_FOLD, D_FOLD)
    path = h.track(p, predictor=predictor, corrector=corrector)
    assert path.success
    np.testing.assert_allclose(path.w_end, fold_path.w_end, atol=1e-12)
    got = sorted(e.lam for e in path.turning_points)
    want = sorted(e.lam for e in fold_path.turning_points)
    np.testing.assert_allclose(got, want, atol=1e-9)


@pytest.mark.parametrize("corrector,atol", [("simplified", 1e-12), ("newton", 1e-6)])
def test_stored_tangents_are_the_null_vectors(fold_path, corrector, atol):
    # every stored tangent, through both folds, against scipy's SVD null space at its point.
    # Newton reuses a Jacobian taken up to 1e-6 away; the JVP refinement is exact.
    p = h.NaturalHomotopy(X_FOLD, D_FOLD)
    path = fold_path if corrector == "simplified" else h.track(p, corrector=corrector)
    for w, lam, t in zip(path.w, path.lam, path.tangents, strict=True):
        ref = unit_tangent(p.jacobian(jnp.asarray(w), lam))
        np.testing.assert_allclose(t, np.sign(ref @ t) * ref, rtol=0, atol=atol)
        assert np.linalg.norm(p.H(jnp.asarray(w), lam)) <= 1e-12  # far below tol = 1e-10


def test_simplified_newton_takes_one_jacobian_per_step():
    # smooth paths: one Jacobian per step (at the prediction) plus the start's, where Newton
    # takes two or more; the tangent's refinement costs Jacobian-vector products instead
    rng = np.random.default_rng(11)
    n_jac = {"simplified": 0, "newton": 0}
    for _ in range(6):
        p = h.NaturalHomotopy(rng.normal(size=(5, 3)), rng.uniform(-0.8, 0.8, 5))
        simple, newton = h.track(p), h.track(p, corrector="newton")
        assert simple.success and newton.success
        np.testing.assert_allclose(simple.w_end, newton.w_end, rtol=0, atol=1e-13)
        st = simple.stats
        # the landing step may refresh its Jacobian (an Euler prediction, farther off)
        assert st["steps"] + 1 <= st["jacobian_evaluations"] <= st["steps"] + 3
        assert st["jvp_evaluations"] >= st["steps"] - 1
        assert newton.stats["jvp_evaluations"] == 0
        n_jac["simplified"] += st["jacobian_evaluations"]
        n_jac["newton"] += newton.stats["jacobian_evaluations"]
    assert n_jac["simplified"] < 0.7 * n_jac["newton"]


def test_simplified_newton_falls_back_to_new_jacobians_when_they_change_fast():
    # saturating tanh: H_w ∝ e^{−2|Xw|} changes by e² per unit of w, faster than a frozen
    # Jacobian can follow; the corrector and the tangent take new ones, and the path still
    # ends as Newton's does (DIVERGED at λ = 1)
    X = np.array([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]])
    p = h.NaturalHomotopy(X, np.array([1.0, 1.0, -1.0, -1.0]))
    simple, newton = h.track(p), h.track(p, corrector="newton")
    assert simple.status is newton.status is h.Status.DIVERGED
    assert simple.stats["jacobian_evaluations"] > simple.stats["steps"] + 3  # refreshed
    np.testing.assert_allclose(simple.direction, newton.direction, atol=1e-6)


# ---------------------------------------------------------------- divergence
@pytest.mark.parametrize("d", [[1.3, -0.2], [1.0, 0.3], [-1.0, -1.0], [0.2, -2.5]])
def test_weights_diverge_when_target_outside_range(d):
    X = np.array([[1.0, 0.5], [-0.3, 1.0]])
    path = h.track(h.NaturalHomotopy(X, d, objective="interpolation"))
    assert path.status is h.Status.DIVERGED
    assert path.w_end is None
    assert path.lam[-1] > 0.99
    assert np.linalg.norm(path.w[-1]) > 5 * np.linalg.norm(path.w[0])
    assert abs(np.linalg.norm(path.direction) - 1) < 1e-12
    assert "λ =" in path.message and "direction" in path.message
    # the direction is that of X⁻¹·sign(d) restricted to the saturating patterns: z = Xw grows
    # only in the rows whose target is outside (−1, 1)
    z_dir = X @ path.direction
    outside = np.abs(d) >= 1
    assert np.all(np.sign(z_dir[outside]) == np.sign(np.asarray(d)[outside]))


def test_least_squares_weights_diverge_for_xor_like_data():
    # separable ±1 targets: the saturating network's optimum is at infinite weights
    X = np.array([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]])
    d = np.array([1.0, 1.0, -1.0, -1.0])
    p = h.NaturalHomotopy(X, d)
    path = h.track(p)
    assert path.status is h.Status.DIVERGED, path.message
    np.testing.assert_allclose(path.direction, [1.0, 0.0], atol=1e-12)
    # It stops where H_w has vanished numerically (σ' underflows: ‖H_w‖_F is 1e-10 of its
    # size at the start, and past there H ≈ 0 for a whole range of w) and not before; λ is 1
    # to 1e-6.
    size = [np.linalg.norm(p.H_w(w, lam)) for w, lam in zip(path.w, path.lam, strict=True)]
    assert size[-1] <= 1e-10 * size[0] < min(size[:-1])
    assert 1 - 1e-6 < path.lam[-1] < 1
    assert path.events == ()  # no spurious folds in the numerically flat region


# ---------------------------------------------------------------- bifurcations
def _pitchfork(w, lam, args):
    mu = lam - 0.5
    return jnp.array([w[0] * mu - w[0] ** 3, w[1] - lam * w[0] - 0.3])


def test_pitchfork_bifurcation_detected_and_located():
    prob = h.FunctionHomotopy(_pitchfork, start=[0.0, 0.3])
    path = h.track(prob)
    assert path.success
    bifs = path.bifurcations
    assert len(bifs) == 1
    assert abs(bifs[0].lam - 0.5) < 1e-9
    assert np.allclose(bifs[0].w, [0.0, 0.3], atol=1e-9)
    assert not path.turning_points
    np.testing.assert_allclose(path.w_end, [0.0, 0.3], atol=1e-12)


def test_events_on_a_path_through_a_branch_point_stay_on_the_step():
    # Regression (issue 2, found by the notebooks): tracking the pitchfork's side branch back
    # through its tip, the bifurcation's corrector converged onto the trivial branch and the
    # event was reported at λ = −1.04, off the traversed path.
    path = h.track(h.FunctionHomotopy(_pitchfork, start=[0.3, 0.48]), lam_span=(0.6, 0.0))
    assert path.status is h.Status.LEFT_SPAN  # the branch turns back at λ = ½
    assert {e.kind for e in path.events} == {"turning_point", "bifurcation"}
    for e in path.events:
        assert abs(e.lam - 0.5) < 1e-8
        np.testing.assert_allclose(e.w, [0.0, 0.3], atol=1e-4)
        assert path.s[0] < e.s < path.s[-1]  # on the traversed arc


def test_transcritical_bifurcation_in_user_class():
    class Transcritical:  # not a PyTree: passed to jit as a static argument
        def H(self, w, lam):
            return jnp.array([w[0] * (lam - 0.3) - w[0] ** 2 + 0.0 * w[0]])

    path = h.track(Transcritical(), start=np.zeros(1))
    assert path.success
    assert len(path.bifurcations) == 1
    assert abs(path.bifurcations[0].lam - 0.3) < 1e-9


# ---------------------------------------------------------------- API behaviour
def test_reverse_span_returns_to_linear_solution():
    X = np.array([[1.0, 0.2], [0.3, 1.0], [1.0, 1.0]])
    d = np.array([0.4, 0.3, 0.5])
    p = h.NaturalHomotopy(X, d)
    fwd = h.track(p)
    back = h.track(p, start=fwd.w_end, lam_span=(1.0, 0.0))
    assert back.success and back.lam[-1] == 0.0
    np.testing.assert_allclose(back.w_end, p.start(), atol=1e-12)


def test_max_steps_is_reported():
    p = h.NaturalHomotopy(X_FOLD, D_FOLD)
    path = h.track(p, max_steps=3)
    assert path.status is h.Status.MAX_STEPS
    assert len(path.lam) == 4 and "max_steps" in path.message


def _no_real_root(w, lam, args):
    return w**2 + 1.0 + lam


def test_invalid_start_is_a_status_not_an_exception():
    path = h.track(h.FunctionHomotopy(_no_real_root, start=[0.5]))
    assert path.status is h.Status.INVALID_START
    assert "start" in path.message
    assert len(path.lam) == 1 and path.w_end is None


def test_start_is_corrected_onto_the_path():
    p = h.NaturalHomotopy(X_FOLD, D_FOLD)
    path = h.track(p, start=[1e3, -1e3])  # at λ = 0 H is linear: one Newton step fixes it
    assert path.success
    np.testing.assert_allclose(path.w[0], p.start(), atol=1e-12)


@pytest.mark.parametrize(
    "kwargs,name",
    [
        (dict(lam_span=(0.0, 0.0)), "lam_span"),
        (dict(lam_span=(0.0,)), "lam_span"),
        (dict(start=[1.0, 2.0, 3.0]), "start"),
        (dict(start=[np.nan, 1.0]), "start"),
        (dict(tol=-1.0), "tol"),
        (dict(method="newton"), "method"),
        (dict(predictor="taylor"), "predictor"),
        (dict(max_steps=0), "max_steps"),
        (dict(bogus=1), "bogus"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(kwargs, name):
    with pytest.raises(ValueError, match=name):
        h.track(h.NaturalHomotopy(X_FOLD, D_FOLD), **kwargs)


def test_second_call_does_not_retrace():
    traces = []

    def H(w, lam, args):
        traces.append(1)  # runs only while JAX traces
        return w - lam * args

    prob = h.FunctionHomotopy(H, start=np.zeros(2), args=jnp.array([1.0, 2.0]))
    first = h.track(prob)
    n = len(traces)
    again = h.track(h.FunctionHomotopy(H, start=np.zeros(2), args=jnp.array([3.0, 4.0])))
    assert len(traces) == n  # new args, same function and shapes: the compiled loop is reused
    np.testing.assert_allclose(first.w_end, [1.0, 2.0], atol=1e-14)
    np.testing.assert_allclose(again.w_end, [3.0, 4.0], atol=1e-14)


def test_stats_are_consistent(fold_path):
    st = fold_path.stats
    assert st["steps"] == len(fold_path.lam) - 1
    assert st["newton_iterations"] >= st["steps"]
    assert st["jacobian_evaluations"] >= st["steps"]
    assert np.all(np.diff(fold_path.s) > 0)
    np.testing.assert_allclose(np.linalg.norm(fold_path.tangents, axis=1), 1.0, atol=1e-12)


# ---------------------------------------------------------------- properties
HONEST = {h.Status.SUCCESS, h.Status.DIVERGED, h.Status.STEP_FAILURE, h.Status.MAX_STEPS}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**31 - 1),
    L=st.integers(2, 5),
    scale=st.floats(0.3, 3.0),
    tscale=st.floats(0.1, 1.5),
)
def test_tracker_terminates_with_an_honest_status(seed, L, scale, tscale):
    rng = np.random.default_rng(seed)
    X = scale * rng.normal(size=(L, 2))
    if np.linalg.matrix_rank(X) < 2:
        return
    d = tscale * rng.uniform(-1, 1, size=L)
    p = h.NaturalHomotopy(X, d)
    path = h.track(p, max_steps=300)
    assert path.status in HONEST
    assert path.stats["steps"] <= 300 and len(path.lam) <= 301
    assert path.stats["rejected_steps"] + path.stats["steps"] <= 4 * 300
    Hn = [np.linalg.norm(p.H(jnp.asarray(w), lam)) for lam, w in zip(path.lam, path.w, strict=True)]
    assert max(Hn) <= 1e-10
    if path.status is h.Status.SUCCESS:
        assert path.lam[-1] == 1.0
        assert np.linalg.norm(p.H(jnp.asarray(path.w_end), 1.0)) <= 1e-12
    if path.status is h.Status.DIVERGED:
        assert path.lam[-1] > 0.9 or np.linalg.norm(path.w[-1]) > 1e6


# ---------------------------------------------------------------- the parts and the stepping API
def _same_path(a, b, atol=0.0):
    assert a.status is b.status and dict(a.stats) == dict(b.stats)
    np.testing.assert_allclose(a.w, b.w, rtol=0, atol=atol)
    np.testing.assert_allclose(a.lam, b.lam, rtol=0, atol=atol)
    np.testing.assert_allclose(a.tangents, b.tangents, rtol=0, atol=atol)
    assert [e.kind for e in a.events] == [e.kind for e in b.events]
    for ea, eb in zip(a.events, b.events, strict=True):
        assert abs(ea.lam - eb.lam) <= atol + 1e-15


def test_stepping_by_hand_equals_track(fold_path):
    tracker = h.Tracker(h.NaturalHomotopy(X_FOLD, D_FOLD))
    state = tracker.init()
    assert int(state.status) == -1
    attempts = 0
    while int(state.status) == -1:
        state = tracker.step(state)
        attempts += 1
    assert attempts == fold_path.stats["steps"] + fold_path.stats["rejected_steps"]
    assert tracker.step(state) is state  # a finished path stays as it is
    path = tracker.finish(state)
    # the same arithmetic, compiled as separate programs: equal to the last bits
    _same_path(path, fold_path, atol=1e-13)
    np.testing.assert_allclose(path.w_end, fold_path.w_end, rtol=0, atol=1e-14)
    assert len(path.turning_points) == 2


def test_stepping_shows_rejected_steps():
    # a step too long for the corrector: the tracker rejects it and shrinks h, visibly
    tracker = h.Tracker(h.NaturalHomotopy(X_FOLD, D_FOLD), initial_step=0.5, corrector="chord")
    st0 = tracker.init()
    st1 = tracker.step(st0)
    assert int(st1.attempts) == 1
    if int(st1.steps) == 0:
        assert int(st1.rejected) == 1 and float(st1.h) < float(st0.h)
        np.testing.assert_array_equal(np.asarray(st1.u), np.asarray(st0.u))


@pytest.mark.parametrize(
    "strings,objects",
    [
        (dict(predictor="euler"), dict(predictor=h.Euler())),
        (dict(predictor="rk4", corrector="newton"), dict(predictor=h.RK4(), corrector=h.Newton())),
        (dict(corrector="chord"), dict(corrector=h.Chord())),
        (
            dict(contraction_ref=0.1, angle_max=0.3),
            dict(controller=h.AllgowerGeorg(0.1, angle_max=0.3)),
        ),
        (dict(turning_tol=1e-8, detect_bifurcations=False), dict(events=[h.TurningPoint(1e-8)])),
        (dict(w_max=1e3), dict(divergence=h.NetworkDivergence(w_max=1e3))),
    ],
)
def test_parts_as_strings_and_objects_agree(strings, objects):
    p = h.NaturalHomotopy(X_FOLD, D_FOLD)
    _same_path(h.track(p, **strings), h.track(p, **objects))


@pytest.mark.parametrize(
    "kwargs,name",
    [
        (dict(corrector="secant"), "corrector"),
        (dict(controller="pid"), "controller"),
        (dict(controller=h.AllgowerGeorg(), angle_ref=0.1), "controller"),
        (dict(contraction_ref=0.6), "contraction_ref"),
        (dict(events=["fold"]), "events"),
        (dict(events=[h.TurningPoint()], turning_tol=1e-9), "events"),
        (dict(divergence="sometimes"), "divergence"),
        (dict(divergence=None, w_max=10.0), "divergence"),
        (dict(turning_tol=0.0), "turning_tol"),
        (dict(detect_bifurcations="yes"), "detect_bifurcations"),
    ],
)
def test_bad_parts_raise_value_error_naming_them(kwargs, name):
    with pytest.raises(ValueError, match=name):
        h.track(h.NaturalHomotopy(X_FOLD, D_FOLD), **kwargs)


def test_user_event_norm_crosses_a_level(fold_path):
    # "‖w‖ crosses 3" beside the turning points: every crossing found, at ‖w‖ = 3 exactly
    big = h.EventFunction("w_norm_3", lambda w, lam: jnp.linalg.norm(w) - 3.0)
    path = h.track(h.NaturalHomotopy(X_FOLD, D_FOLD), events=[h.TurningPoint(), big])
    crossings = [e for e in path.events if e.kind == "w_norm_3"]
    norms = np.linalg.norm(fold_path.w, axis=1)
    expected = int(np.sum(np.diff(np.sign(norms - 3.0)) != 0))
    assert expected >= 1 and len(crossings) == expected
    for e in crossings:
        assert abs(np.linalg.norm(e.w) - 3.0) < 1e-10
        H = np.asarray(h.NaturalHomotopy(X_FOLD, D_FOLD).H(jnp.asarray(e.w), e.lam))
        assert np.linalg.norm(H) < 1e-10  # on the curve
    assert [round(e.lam, 10) for e in path.turning_points] == [
        round(e.lam, 10) for e in fold_path.turning_points
    ]


def test_bifurcation_event_carries_the_kernel_basis():
    prob = h.FunctionHomotopy(_pitchfork, start=[0.0, 0.3])
    (bif,) = h.track(prob).bifurcations
    K = bif.kernel
    assert K.shape == (3, 2)
    np.testing.assert_allclose(K.T @ K, np.eye(2), atol=1e-12)
    u = jnp.asarray(np.append(bif.w, bif.lam))
    J = np.asarray(h.problems.jacobian_of(lambda w, lam: _pitchfork(w, lam, None), u[:-1], u[-1]))
    np.testing.assert_allclose(J @ K, 0.0, atol=1e-8)
    # both branches through (w, λ) = (0, 0.3, ½) have their tangents in span K: the trivial
    # one (w = (0, 0.3): tangent e_λ) and the side branch w₁² = λ − ½, w₂ = 0.3 + λw₁ (at its
    # tip dλ/dw₁ = 0 and dw₂/dw₁ = λ = ½)
    trivial = np.array([0.0, 0.0, 1.0])
    side = np.array([1.0, 0.5, 0.0]) / np.linalg.norm([1.0, 0.5, 0.0])
    for t in (trivial, side):
        np.testing.assert_allclose(K @ (K.T @ t), t, atol=1e-7)
    assert all(e.kernel is None for e in h.track(h.NaturalHomotopy(X_FOLD, D_FOLD)).events)


def test_event_kernel_survives_save_and_load(tmp_path):
    path = h.track(h.FunctionHomotopy(_pitchfork, start=[0.0, 0.3]))
    path.save(tmp_path / "p.npz")
    back = h.load_path(tmp_path / "p.npz")
    np.testing.assert_array_equal(back.bifurcations[0].kernel, path.bifurcations[0].kernel)


def test_divergence_can_be_switched_off_for_a_non_network_problem():
    # w = 1/(1 − λ): a genuine escape to infinity; without divergence detection it is never
    # called DIVERGED
    prob = h.FunctionHomotopy(lambda w, lam, a: w * (1.0 - lam) - 1.0, start=[1.0])
    on = h.track(prob, max_steps=400)
    off = h.track(prob, max_steps=400, divergence=None)
    assert on.status is h.Status.DIVERGED
    assert off.status in (h.Status.STEP_FAILURE, h.Status.MAX_STEPS)


# ---------------------------------------------------------------------------------------------
# Size buckets: problems whose L falls in one bucket share one compiled tracker, and the
# padded problem's path is the unpadded one's.


def _teacher(rng, L, s, bias=False):
    X = rng.normal(size=(L, s))
    d = np.clip(0.8 * np.tanh(X @ rng.normal(size=s)) + 0.1 * rng.normal(size=L), -0.9, 0.9)
    return h.NaturalHomotopy(X, d, bias=bias)


def test_problems_in_one_size_bucket_compile_once():
    from homotopy import tracker as T

    rng = np.random.default_rng(21)
    h.track(_teacher(rng, 17, 3))  # bucket 24
    before = T._run_packed_jit._cache_size()
    for L in range(18, 25):
        assert h.track(_teacher(rng, L, 3)).status is not None
    assert T._run_packed_jit._cache_size() == before


@pytest.mark.parametrize("bias", [False, True])
def test_bucketed_path_is_the_unpadded_path(monkeypatch, bias):
    from homotopy import tracker as T

    rng = np.random.default_rng(22)
    problems = [_teacher(rng, 13, 2, bias) for _ in range(6)]
    # the fold data set has two turning points: events go through the padded problem too
    problems.append(h.datasets.fold().problem())
    padded = [h.track(p) for p in problems]
    monkeypatch.setattr(T, "bucket", lambda p: p)
    plain = [h.track(p) for p in problems]
    for i, (a, b) in enumerate(zip(padded, plain, strict=True)):
        assert a.status is b.status and len(a.lam) == len(b.lam)
        assert a.problem is b.problem
        np.testing.assert_allclose(a.w_end, b.w_end, rtol=0, atol=1e-13 * (1 + np.abs(b.w).max()))
        assert [e.kind for e in a.events] == [e.kind for e in b.events]
        for ea, eb in zip(a.events, b.events, strict=True):
            assert abs(ea.lam - eb.lam) <= 1e-12
        # padding changes only the order of the sums (rounding): the same points up to the
        # fold's first turning point; near and past it (H_w nearly singular, then ‖w‖
        # growing steeply) rounding moves the points along the curve within the
        # corrector's tolerance
        k = np.inf if i < len(problems) - 1 else a.events[0].s
        near = a.s <= k
        scale = 1 + np.abs(b.w).max()
        np.testing.assert_allclose(a.w[near], b.w[near], rtol=0, atol=1e-13 * scale)
        np.testing.assert_allclose(a.w, b.w, rtol=0, atol=1e-5 * scale)


def test_direction_and_lam_bound():
    """`direction` orients the first tangent (here away from λ_end), `lam_bound` moves the
    LEFT_SPAN limit behind the start; both are checked at the API edge."""
    line = h.FunctionHomotopy(lambda w, lam, a: w - lam, start=[0.5])
    down = h.track(line, lam_span=(0.5, 1.0), direction=[-1.0, -1.0], lam_bound=0.0,
                   divergence=None)  # fmt: skip
    assert down.status is h.Status.LEFT_SPAN and "through λ = 0" in down.message
    assert np.all(np.diff(down.lam) < 0) and down.lam[-2] >= 0.0 > down.lam[-1]
    up = h.track(line, lam_span=(0.5, 1.0), lam_bound=0.0, divergence=None)
    assert up.success and abs(up.w_end[0] - 1.0) < 1e-12
    with pytest.raises(ValueError, match="lam_bound"):
        h.track(line, lam_span=(0.5, 1.0), lam_bound=0.7)
    with pytest.raises(ValueError, match="lam_bound"):
        h.track(line, lam_span=(0.5, 1.0), lam_bound="x")
    with pytest.raises(ValueError, match="direction"):
        h.track(line, lam_span=(0.5, 1.0), direction=[0.0, 0.0])
    with pytest.raises(ValueError, match="direction"):
        h.track(line, lam_span=(0.5, 1.0), direction=[1.0, 1.0, 1.0])


def test_bad_options_are_refused_before_the_start_is_computed():
    class Costly:
        calls = 0

        def H(self, w, lam):
            return w - lam

        def start(self):
            Costly.calls += 1
            return np.zeros(1)

    for kw in (dict(no_such_option=1), dict(lam_bound="x"), dict(direction=[0.0, 0.0])):
        with pytest.raises(ValueError):
            h.track(Costly(), **kw)
    assert Costly.calls == 0
