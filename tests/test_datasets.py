"""The built-in data sets have the properties their docstrings advertise (checked by tracking)."""

import numpy as np
import pytest

import homotopy
from homotopy import Status, datasets


@pytest.fixture(scope="module")
def traced():
    """Each built-in set (defaults) with its problem and path, traced once per module."""
    out = {}
    for name in datasets.DATASETS:
        ds = datasets.load(name)
        problem = ds.problem()
        out[name] = (ds, problem, homotopy.track(problem))
    return out


def test_load_every_name_and_unknown():
    for name in datasets.DATASETS:
        ds = datasets.load(name)
        assert ds.name == name
        assert ds.X.ndim == 2 and ds.d.shape == (ds.X.shape[0],)
        assert np.all(np.isfinite(ds.X)) and np.all(np.isfinite(ds.d))
        assert ds.description and datasets.DATASETS[name].__doc__
    with pytest.raises(ValueError, match="name: unknown data set 'nope'"):
        datasets.load("nope")


def test_fold_folds_twice_and_succeeds(traced):
    ds, problem, path = traced["fold"]
    assert ds.X.shape == (3, 2) and ds.objective == "least_squares"
    assert path.status is Status.SUCCESS
    tps = path.turning_points
    assert len(tps) == 2 and not path.bifurcations
    lams = sorted(e.lam for e in tps)
    assert lams == pytest.approx([0.9313, 0.9655], abs=1e-3)
    # between the folds the path crosses λ three times: three critical points of E_λ
    assert path.at(0.95).shape == (3, 2)
    assert np.linalg.norm(problem.H(path.w_end, 1.0)) < 1e-9


def test_smooth_has_no_events(traced):
    ds, problem, path = traced["smooth"]
    assert ds.X.shape == (3, 2)
    assert path.status is Status.SUCCESS and path.events == ()
    assert np.all(np.diff(path.lam) > 0)  # λ increases monotonically: no fold
    assert np.linalg.norm(problem.H(path.w_end, 1.0)) < 1e-9


def test_divergent_diverges(traced):
    ds, problem, path = traced["divergent"]
    assert ds.objective == "interpolation" and np.max(np.abs(ds.d)) > 1.0
    assert path.status is Status.DIVERGED
    assert path.w_end is None and path.direction is not None
    assert np.linalg.norm(path.w[-1]) > 1e3 and path.lam[-1] > 0.999


@pytest.mark.parametrize("target", [1.0, 0.9])
def test_xor_path_stays_at_zero(traced, target):
    ds = datasets.xor(target) if target != 1.0 else traced["xor"][0]
    assert ds.bias and ds.X.shape == (4, 2)
    assert set(map(tuple, ds.X)) == {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert np.array_equal(np.sign(ds.d), [-1, 1, 1, -1]) and np.all(np.abs(ds.d) == target)
    problem = ds.problem()
    assert np.allclose(np.asarray(problem.design).T @ ds.d, 0.0)  # X̃ᵀd = 0
    path = homotopy.track(problem)
    assert path.status is Status.SUCCESS and path.events == ()
    assert np.allclose(path.w, 0.0, atol=1e-12) and np.allclose(path.w_end, 0.0, atol=1e-12)
    assert float(problem.error(path.w_end, 1.0)) == pytest.approx(2.0 * target**2)
    # w = 0 is a nondegenerate local minimum at λ = 1 (Hessian X̃ᵀX̃ > 0), not a divergence
    assert np.all(np.linalg.eigvalsh(np.asarray(problem.H_w(path.w_end, 1.0))) > 0)


def test_colah_1d_is_not_separable_by_one_unit(traced):
    ds, problem, path = traced["colah_1d"]
    n = 20
    x, d = ds.X[:, 0], ds.d
    assert ds.bias and ds.X.shape == (3 * n, 1)
    inside = np.abs(x) <= 1 / 3 + 1e-12
    assert np.all(d[inside] == 0.9) and np.all(d[~inside] == -0.9)
    assert np.all(np.abs(x[~inside]) >= 2 / 3 - 1e-12) and np.all(np.abs(x) <= 1.0)
    assert inside.sum() == n
    assert path.status is Status.SUCCESS and path.events == ()
    # the slope stays 0 (x ↦ −x symmetry): the network ends as the constant mean(d)
    assert np.max(np.abs(path.w[:, 0])) < 1e-12
    assert np.tanh(path.w_end[1]) == pytest.approx(np.mean(d)) == pytest.approx(-0.3)
    assert float(problem.error(path.w_end, 1.0)) == pytest.approx(1.08 * n)
    assert datasets.colah_1d(n=3).X.shape == (9, 1)


def test_spirals_shapes_symmetry_and_fit(traced):
    ds, problem, path = traced["spirals"]
    n = 50
    assert ds.bias and ds.X.shape == (2 * n, 2)
    assert np.array_equal(ds.d, np.r_[np.full(n, 0.9), np.full(n, -0.9)])
    assert np.allclose(ds.X[n:], -ds.X[:n])  # noiseless: point-symmetric, classes swap
    assert np.all(np.linalg.norm(ds.X, axis=1) <= 1.0 + 1e-12)
    assert path.status is Status.SUCCESS and path.events == ()
    assert abs(path.w_end[2]) < 1e-12  # bias stays 0 by symmetry
    y = np.asarray(problem.embedding(path.w_end, 1.0))
    accuracy = np.mean(np.sign(y) == np.sign(ds.d))
    assert 0.55 < accuracy < 0.75  # one line through two spirals
    baseline = 0.5 * len(ds.d) * 0.81  # the constant predictor 0
    assert 0.8 < float(problem.error(path.w_end, 1.0)) / baseline < 0.95


def test_spirals_noise_is_deterministic_with_seed():
    a = datasets.spirals(n=30, noise=0.1, seed=3)
    b = datasets.spirals(n=30, noise=0.1, seed=3)
    c = datasets.spirals(n=30, noise=0.1, seed=4)
    clean = datasets.spirals(n=30)
    assert a.X.shape == (60, 2)
    assert np.array_equal(a.X, b.X) and not np.allclose(a.X, c.X)
    assert 0.05 < np.std(a.X - clean.X) < 0.15


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: datasets.xor(0.0), "target"),
        (lambda: datasets.xor("a"), "target"),
        (lambda: datasets.colah_1d(0), "n"),
        (lambda: datasets.colah_1d(2.5), "n"),
        (lambda: datasets.spirals(n=1), "n"),
        (lambda: datasets.spirals(noise=-1.0), "noise"),
        (lambda: datasets.spirals(turns=0), "turns"),
    ],
)
def test_bad_parameters(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_hidden_pair_has_three_branches(traced):
    """The docstring's account: the plain search's two branches diverge (one folds twice
    near 0.96); the default (desingularized) search adds a third, the highest g, which
    reaches λ = 1 at an index-2 saddle of E₁ fitting worse than the single layer."""
    ds, problem, path = traced["hidden_pair"]
    assert isinstance(problem, homotopy.MLPHomotopy) and problem.hidden == 2
    assert problem.start_dimension == 4
    found = problem.starts(40, desingularized=False)
    assert len(found) == 2
    paths = [homotopy.track(problem, start=b) for b in found]
    assert sorted(len(p.turning_points) for p in paths) == [0, 2]
    assert all(p.status is Status.DIVERGED for p in paths)
    (tp,) = {round(e.lam, 2) for p in paths for e in p.turning_points}
    assert tp == 0.96
    assert path.lam[0] == 0.0 and path.status is Status.DIVERGED  # the lowest g's branch
    single = homotopy.track(homotopy.NaturalHomotopy(ds.X, ds.d))
    assert single.success and not single.events
    every = problem.starts(40)
    assert len(every) == 3 and [b.w.tolist() for b in every[:2]] == [b.w.tolist() for b in found]
    third = homotopy.track(problem, start=every[2])
    assert third.success and not third.events
    assert every[2].reduced_value == pytest.approx(-0.0203, abs=1e-4) and every[2].index == 2
    E = float(problem.error(third.w_end, 1.0))
    hess = np.linalg.eigvalsh(np.asarray(problem.jacobian(third.w_end, 1.0))[:, :-1])
    assert E == pytest.approx(0.541, abs=1e-3) and int(np.sum(hess < 0)) == 2
    assert E > float(single.problem.error(single.w_end, 1.0)) == pytest.approx(0.247, abs=1e-3)


def test_pitchfork_on_the_symmetric_path(traced):
    ds, problem, path = traced["pitchfork"]
    assert path.success
    np.testing.assert_allclose(path.w[:, 0], path.w[:, 1], atol=1e-9)
    (ev,) = path.events
    assert ev.kind == "bifurcation" and abs(ev.lam - 0.8824) < 1e-4
    branches = homotopy.switch_branch(path)
    assert len(branches) == 2 and all(b.status is Status.DIVERGED for b in branches)
