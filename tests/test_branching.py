"""Branch switching at simple bifurcation points (homotopy.branching), against problems whose
branches are known in closed form: pitchforks (super- and subcritical), a transcritical point,
and a rotated, sheared two-unknown pitchfork whose kernel and left null vector are not aligned
with the axes."""

import dataclasses
import math

import jax.numpy as jnp
import numpy as np
import pytest

import homotopy as h
from homotopy.branching import bifurcation_directions, path_tangent, switch_branch


def _unit(v):
    v = np.asarray(v, float)
    return v / np.linalg.norm(v)


def _parallel(a, b):
    """|cos∠(a, b)|."""
    return abs(_unit(a) @ _unit(b))


# --------------------------------------------------------------- one unknown


def _pitchfork(w, lam, args):
    """w(λ − ½) − w³: the trivial branch w = 0 and w² = λ − ½ for λ ≥ ½."""
    return w * (lam - 0.5) - w**3


def _subcritical(w, lam, args):
    """w(λ − ½) + w³: the trivial branch w = 0 and w² = ½ − λ for λ ≤ ½."""
    return w * (lam - 0.5) + w**3


def _transcritical(w, lam, args):
    """w(λ − ½ − w): the branches w = 0 and w = λ − ½."""
    return w * (lam - 0.5 - w)


@pytest.fixture(scope="module")
def pitchfork():
    return h.track(h.FunctionHomotopy(_pitchfork), start=[0.0], divergence=None)


@pytest.fixture(scope="module")
def pitchfork_branches(pitchfork):
    return switch_branch(pitchfork, divergence=None)


@pytest.fixture(scope="module")
def transcritical():
    return h.track(h.FunctionHomotopy(_transcritical), start=[0.0], divergence=None)


def test_pitchfork_event_located(pitchfork):
    assert pitchfork.status is h.Status.SUCCESS
    (ev,) = pitchfork.bifurcations
    assert abs(ev.lam - 0.5) <= 1e-8 and abs(ev.w[0]) <= 1e-8


def test_pitchfork_branches_end_at_the_closed_form(pitchfork_branches):
    assert len(pitchfork_branches) == 2
    ends = sorted(float(p.w_end[0]) for p in pitchfork_branches)
    for p in pitchfork_branches:
        assert p.status is h.Status.SUCCESS
        assert p.lam[-1] == 1.0
    assert abs(ends[0] + math.sqrt(0.5)) <= 1e-10
    assert abs(ends[1] - math.sqrt(0.5)) <= 1e-10


def test_pitchfork_branches_lie_on_the_parabola(pitchfork_branches):
    signs = []
    for p in pitchfork_branches:
        w = p.w[:, 0]
        np.testing.assert_allclose(w**2, p.lam - 0.5, rtol=0, atol=1e-8)
        # each half-branch stays on its side of w = 0 and runs monotonically in λ to 1
        assert np.all(np.sign(w) == np.sign(w[0]))
        assert np.all(np.diff(p.lam) > 0)
        signs.append(np.sign(w[0]))
    assert sorted(signs) == [-1.0, 1.0]


def test_pitchfork_branches_start_off_the_bifurcation_point(pitchfork, pitchfork_branches):
    (ev,) = pitchfork.bifurcations
    delta = 1e-2 * (1 + 0.5)  # the default step, 1e-2·(1 + ‖u*‖)
    for p in pitchfork_branches:
        # the stored path begins at its first corrected point u₁ = (±δ, ½ + δ²), not at u*
        assert p.s[0] == 0.0
        assert abs(abs(p.w[0, 0]) - delta) <= 1e-12
        assert abs(p.lam[0] - (0.5 + delta**2)) <= 1e-12
        assert p.lam_span == (p.lam[0], 1.0)
        assert "branch switch" in p.message and f"{ev.lam:.6g}" in p.message


def test_pitchfork_directions(pitchfork):
    (ev,) = pitchfork.bifurcations
    d = bifurcation_directions(pitchfork.problem, ev)
    assert d.shape == (2, 2)
    # the traced branch (w = 0, λ rising) first, oriented along the path; then (1, 0)
    np.testing.assert_allclose(d[0], [0.0, 1.0], atol=1e-10)
    np.testing.assert_allclose(d[1], [1.0, 0.0], atol=1e-10)


def test_step_sets_the_first_point(pitchfork):
    branches = switch_branch(pitchfork, step=1e-3, divergence=None)
    assert sorted(round(float(p.w[0, 0]), 12) for p in branches) == [-1e-3, 1e-3]
    for p in branches:
        assert abs(abs(p.w_end[0]) - math.sqrt(0.5)) <= 1e-10


def test_subcritical_branches_run_down_in_lambda():
    path = h.track(h.FunctionHomotopy(_subcritical), start=[0.0], divergence=None)
    (ev,) = path.bifurcations
    assert abs(ev.lam - 0.5) <= 1e-8
    branches = switch_branch(path, ev, divergence=None)
    assert len(branches) == 2
    ends = []
    for p in branches:
        # the new branch lies at λ < ½: each half is tracked back to the span's start
        assert p.status is h.Status.SUCCESS and p.lam[-1] == 0.0
        np.testing.assert_allclose(p.w[:, 0] ** 2, 0.5 - p.lam, rtol=0, atol=1e-8)
        ends.append(float(p.w_end[0]))
    np.testing.assert_allclose(sorted(ends), [-math.sqrt(0.5), math.sqrt(0.5)], atol=1e-10)


def test_transcritical_branches(transcritical):
    (ev,) = transcritical.bifurcations
    assert abs(ev.lam - 0.5) <= 1e-8
    branches = switch_branch(transcritical, divergence=None)
    assert len(branches) == 2
    for p in branches:
        assert p.status is h.Status.SUCCESS
        np.testing.assert_allclose(p.w[:, 0], p.lam - 0.5, rtol=0, atol=1e-8)
    by_end = {float(p.lam[-1]): float(p.w_end[0]) for p in branches}
    # one half-branch goes on to λ = 1, the other back to λ = 0
    assert set(by_end) == {0.0, 1.0}
    assert abs(by_end[1.0] - 0.5) <= 1e-10
    assert abs(by_end[0.0] + 0.5) <= 1e-10


def _folding(w, lam, args):
    # branches w = 0 and λ = ½ − w² + w⁴: from the bifurcation point the new branch runs down
    # in λ, folds at λ = ¼ (w² = ½) and rises to λ = 1 at w² = (1 + √3)/2
    return w * (lam - 0.5 + w**2 - w**4)


def test_branch_that_folds_back_lands_at_the_other_end(monkeypatch):
    import homotopy.branching as br

    prob = h.FunctionHomotopy(_folding, start=[0.0])
    path = h.track(prob, divergence=None)
    spans = []
    real_track = br.track
    monkeypatch.setattr(
        br, "track", lambda *a, **k: spans.append(k["lam_span"][1]) or real_track(*a, **k)
    )
    branches = switch_branch(path, divergence=None)
    # each half-branch heads down first, leaves through λ = 1 after its fold, and is tracked
    # again towards λ = 1 (the bound then λ = 0)
    assert spans == [0.0, 1.0, 0.0, 1.0]
    ends = sorted(float(p.w_end[0]) for p in branches)
    w1 = math.sqrt((1 + math.sqrt(3)) / 2)
    np.testing.assert_allclose(ends, [-w1, w1], rtol=0, atol=1e-10)
    for p in branches:
        assert p.status is h.Status.SUCCESS
        np.testing.assert_allclose(p.lam, 0.5 - p.w[:, 0] ** 2 + p.w[:, 0] ** 4, atol=1e-8)
        (tp,) = p.turning_points
        assert abs(tp.lam - 0.25) < 1e-9 and abs(tp.w[0] ** 2 - 0.5) < 1e-6
        d = np.linalg.norm(np.column_stack([p.w[:, 0], p.lam - 0.5]), axis=1)
        assert d[1] > d[0]  # the first step leads away from the bifurcation point


def test_single_layer_symmetry_breaking_pitchfork():
    """Data symmetric under swapping the two inputs: the symmetric path w₁ = w₂ meets a
    pitchfork where the antisymmetric Hessian eigenvalue vanishes; the two new branches are
    each other's mirror images (w₁ ↔ w₂) and solve H."""
    X = np.array([[3.764, -1.586], [-0.688, 2.867], [-1.586, 3.764], [2.867, -0.688]])
    d = np.array([-0.454, 1.959, -0.454, 1.959])
    prob = h.NaturalHomotopy(X, d)
    path = h.track(prob)
    assert path.success
    np.testing.assert_allclose(path.w[:, 0], path.w[:, 1], atol=1e-9)
    (ev,) = path.bifurcations
    # the antisymmetric eigenvalue of H_w is zero there: e = (1, −1)/√2
    e = np.array([1.0, -1.0]) / math.sqrt(2)
    Hw = np.asarray(prob.H_w(ev.w, ev.lam))
    assert abs(e @ Hw @ e) < 1e-6 * np.linalg.norm(Hw)  # located to ~1e-7 (ill-posed there)
    tau, t2 = bifurcation_directions(prob, ev)
    assert _parallel(t2, [1.0, -1.0, 0.0]) > 1 - 1e-8
    a, b = switch_branch(path, ev)
    for p in (a, b):
        for w, lam in zip(p.w, p.lam, strict=True):
            assert np.linalg.norm(prob.H(w, lam)) < 1e-9
        assert abs(p.w[-1, 0] - p.w[-1, 1]) > 1e-3  # off the symmetric branch
    assert a.status is b.status is h.Status.DIVERGED  # the broken-symmetry weights run off
    for lam in (0.9, 0.95):
        wa, wb = a.at(lam), b.at(lam)
        assert len(wa) == len(wb) >= 1
        np.testing.assert_allclose(wa[:, ::-1], wb, rtol=1e-9)


def test_loaded_path_with_problem(pitchfork, tmp_path):
    pitchfork.save(tmp_path / "p.npz")
    loaded = h.load_path(tmp_path / "p.npz")
    with pytest.raises(ValueError, match="^problem: "):
        switch_branch(loaded)
    branches = switch_branch(loaded, problem=pitchfork.problem, divergence=None)
    ends = sorted(float(p.w_end[0]) for p in branches)
    np.testing.assert_allclose(ends, [-math.sqrt(0.5), math.sqrt(0.5)], atol=1e-10)


def test_transcritical_directions(transcritical):
    (ev,) = transcritical.bifurcations
    d = bifurcation_directions(transcritical.problem, ev)
    np.testing.assert_allclose(d[0], [0.0, 1.0], atol=1e-8)
    np.testing.assert_allclose(d[1], _unit([1.0, 1.0]), atol=1e-8)


# --------------------------------------------------------------- two unknowns, not axis-aligned
#
# H(w, λ) = M·F(R w − s(λ), λ) with F(v, λ) = [v₁(λ − ½) − v₁³, v₂ − λv₁²], R a rotation, M
# invertible and s(λ) = (0.3λ, 0.2λ²). Branches: v = 0, i.e. w = Rᵀs(λ) (traced), and
# v₁² = λ − ½, v₂ = λv₁², i.e. w = Rᵀ(v + s(λ)). At λ = ½ the traced branch's tangent is
# ∝ (Rᵀs'(½), 1), the new branch's (Rᵀe₁, 0); the left null vector of H_u is ∝ M⁻ᵀe₁.

_TH = 0.7
_R = np.array([[math.cos(_TH), -math.sin(_TH)], [math.sin(_TH), math.cos(_TH)]])
_M = np.array([[2.0, 0.5], [-0.3, 1.0]])


def _s(lam):
    return jnp.stack([0.3 * lam, 0.2 * lam**2])


def _F(v, lam):
    return jnp.stack([v[0] * (lam - 0.5) - v[0] ** 3, v[1] - lam * v[0] ** 2])


def _rotated(w, lam, args):
    R, M = args
    return M @ _F(R @ w - _s(lam), lam)


@pytest.fixture(scope="module")
def rotated():
    problem = h.FunctionHomotopy(_rotated, args=(jnp.asarray(_R), jnp.asarray(_M)))
    return h.track(problem, start=[0.0, 0.0], divergence=None)


def test_rotated_event_and_directions(rotated):
    assert rotated.status is h.Status.SUCCESS
    (ev,) = rotated.bifurcations
    assert abs(ev.lam - 0.5) <= 1e-8
    np.testing.assert_allclose(ev.w, _R.T @ np.array([0.15, 0.05]), atol=1e-8)
    old = _unit(np.append(_R.T @ np.array([0.3, 0.2]), 1.0))  # (Rᵀs'(½), 1)
    new = np.append(_R.T @ np.array([1.0, 0.0]), 0.0)
    # the path's tangent beside the event: the traced branch is a parabola, so the tangents
    # of its neighbouring points are off by about a step times its curvature, no more
    ref = path_tangent(rotated, ev)
    assert ref @ old >= 0.99
    d = bifurcation_directions(rotated.problem, ev, reference=ref)
    assert d.shape == (2, 3)
    np.testing.assert_allclose(d[0], old, atol=1e-8)  # oriented along the path (λ rising)
    assert _parallel(d[1], new) >= 1 - 1e-12
    np.testing.assert_allclose(np.linalg.norm(d, axis=1), 1.0, atol=1e-14)
    # without a reference the order follows event.tangent, but the pair is the same
    d0 = bifurcation_directions(rotated.problem, ev)
    assert sorted(_parallel(r, old) for r in d0) == pytest.approx([_parallel(new, old), 1.0])


def test_rotated_branches_match_the_closed_form(rotated):
    branches = switch_branch(rotated, rotated.bifurcations[0], divergence=None)
    assert len(branches) == 2
    ends = []
    for p in branches:
        assert p.status is h.Status.SUCCESS and p.lam[-1] == 1.0
        lam = p.lam
        v = p.w @ _R.T - np.column_stack([0.3 * lam, 0.2 * lam**2])  # rows R w − s(λ)
        np.testing.assert_allclose(v[:, 0] ** 2, lam - 0.5, rtol=0, atol=1e-8)
        np.testing.assert_allclose(v[:, 1], lam * v[:, 0] ** 2, rtol=0, atol=1e-8)
        ends.append(p.w_end)
    for sign in (1.0, -1.0):
        expect = _R.T @ (np.array([sign * math.sqrt(0.5), 0.5]) + np.array([0.3, 0.2]))
        assert min(np.linalg.norm(e - expect) for e in ends) <= 1e-10


# --------------------------------------------------------------- errors


def _event(lam, w, tangent, kernel):
    return h.Event(
        "bifurcation", lam, np.asarray(w, float), 0.0, np.asarray(tangent, float), kernel
    )


def test_turning_point_event_refused():
    # w² + λ − ½ from w = −√½: a fold at λ = ½, then back out of the span
    problem = h.FunctionHomotopy(lambda w, lam, a: w**2 + lam - 0.5)
    path = h.track(problem, start=[-math.sqrt(0.5)], divergence=None)
    (tp,) = path.turning_points
    assert path.bifurcations == ()
    with pytest.raises(ValueError, match="^event: .*bifurcation.*turning_point"):
        switch_branch(path, tp)
    with pytest.raises(ValueError, match="^event: index 0 out of range.*0 bifurcation"):
        switch_branch(path)
    with pytest.raises(ValueError, match="^event: .*bifurcation"):
        bifurcation_directions(problem, tp)


def test_bad_arguments_refused(pitchfork):
    (ev,) = pitchfork.bifurcations
    for ref in ([0.0, 0.0], [1.0, 0.0, 0.0], [math.inf, 1.0]):
        with pytest.raises(ValueError, match="^reference: "):
            bifurcation_directions(pitchfork.problem, ev, reference=ref)
    for bad in (1, -2):
        with pytest.raises(ValueError, match="^event: index .* out of range"):
            switch_branch(pitchfork, bad)
    with pytest.raises(ValueError, match="^event: expected an Event"):
        switch_branch(pitchfork, True)
    with pytest.raises(ValueError, match="^event: .*no kernel"):
        switch_branch(pitchfork, dataclasses.replace(ev, kernel=None))
    with pytest.raises(ValueError, match="^event: .*shape"):
        switch_branch(pitchfork, dataclasses.replace(ev, kernel=np.eye(2)[:, :1]))
    with pytest.raises(ValueError, match="^problem: "):
        switch_branch(dataclasses.replace(pitchfork, problem=None))
    with pytest.raises(ValueError, match="^path: "):
        switch_branch("not a path")
    for step in (0.0, -1e-3, math.nan, True):
        with pytest.raises(ValueError, match="^step: "):
            switch_branch(pitchfork, step=step)
    with pytest.raises(ValueError, match="^lam_span: "):
        switch_branch(pitchfork, lam_span=(1.0, 1.0))
    with pytest.raises(ValueError, match="^start: "):
        switch_branch(pitchfork, start=[0.0])
    with pytest.raises(ValueError, match="^tol: "):
        switch_branch(pitchfork, tol=-1.0)


def test_not_a_simple_bifurcation_point():
    # w² + (λ − ½)²: an isolated solution, Q = a² + b² is definite
    definite = h.FunctionHomotopy(lambda w, lam, a: w**2 + (lam - 0.5) ** 2)
    ev = _event(0.5, [0.0], [0.0, 1.0], np.eye(2))
    with pytest.raises(ValueError, match=r"^event: not a simple.*definite.*2, 2"):
        bifurcation_directions(definite, ev)
    # w²: Q = a² has a double root (the line w = 0 counted twice)
    double = h.FunctionHomotopy(lambda w, lam, a: w**2)
    with pytest.raises(ValueError, match=r"^event: not a simple.*degenerate.*ratio 0"):
        bifurcation_directions(double, ev)
    # w³ − (λ − ½)³: all second derivatives vanish at the point
    cubic = h.FunctionHomotopy(lambda w, lam, a: w**3 - (lam - 0.5) ** 3)
    with pytest.raises(ValueError, match=r"^event: not a simple.*vanishes.*degenerate"):
        bifurcation_directions(cubic, ev)


def test_event_tangent_is_the_paths_own(rotated):
    """At a bifurcation the event's tangent is the traced branch's (not any kernel vector)."""
    path = rotated
    (ev,) = path.bifurcations
    assert _parallel(ev.tangent, path_tangent(path, ev)) > 1 - 1e-3
    tau, _ = bifurcation_directions(path.problem, ev)
    assert _parallel(ev.tangent, tau) > 1 - 1e-3
