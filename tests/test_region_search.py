"""k_max over a region (homotopy.region_search via geometry.max_curvature_over): honest at any
scale (issue 15) and polynomial in n (issue 17).

References are independent of the search: `geometry.max_curvature` at the path's points and at
uniform random points of the box, the three projections of the fold target, and nesting."""

import math

import numpy as np
import pytest

import homotopy as h
from homotopy import geometry as geo, normal_curvature as nc
from homotopy.protocol import split_problem


SCALES = (1.0, 30.0, 1e3, 1e6)


def _nested(problem, lam, w, path, scales=SCALES):
    out = []
    for R in scales:
        out.append(geo.max_curvature_over(problem, lam, geo.Box(w - R, w + R), path=path))
    return out


def _assert_honest(problem, lam, w, path, scales=SCALES):
    """Nested boxes never lose curvature; ρ is finite once a point of nonzero k is inside;
    k_max ≥ k at every path point in the box."""
    res = _nested(problem, lam, w, path, scales)
    ks = [r.k_max for r in res]
    assert all(b >= a * (1 - 1e-9) for a, b in zip(ks, ks[1:], strict=False)), ks
    pts = np.asarray(path.w)
    for R, r in zip(scales, res, strict=True):
        inside = pts[np.all(np.abs(pts - w) <= R, axis=1)]
        k_path = [
            geo.max_curvature(problem, p, lam).value for p in inside[:: max(1, len(inside) // 12)]
        ]
        if k_path:
            assert r.k_max >= max(k_path) * (1 - 1e-9), (R, r.k_max, max(k_path))
        if r.k_max > 0:
            assert math.isfinite(r.radius) and r.radius == pytest.approx(1 / r.k_max)
        assert np.all(np.abs(r.w - w) <= R * (1 + 1e-12))
    return res


def test_fold_box_1e6_is_no_longer_flat():
    """Issue 15, case 1: at λ = 0.95 the fold target has three projections with k 1.18, 2.70,
    0.35; the box ±1e6 used to report k_max = 0, ρ = ∞, "unique within the tube"."""
    problem = h.datasets.fold().problem()
    path = h.track(problem)
    ks = [geo.max_curvature(problem, w, 0.95).value for w in path.at(0.95)]
    res = _assert_honest(problem, 0.95, np.asarray(path.w_end), path)
    assert res[-1].k_max >= max(ks) and res[-1].radius < 1 / max(ks)
    tube = geo.in_uniqueness_tube(
        problem, problem.targets, 0.95, geo.Box(path.w_end - 1e6, path.w_end + 1e6)
    )
    assert not tube.inside and "lower estimate" in res[-1].message


@pytest.mark.parametrize("name", ["fold", "smooth", "divergent", "colah_1d", "pitchfork"])
def test_builtin_datasets_nested_boxes(name):
    problem = h.datasets.load(name).problem()
    path = h.track(problem)
    lam = float(path.lam[-1])
    _assert_honest(problem, min(lam, 0.9), np.asarray(path.w[-1]), path, (1.0, 1e6))


@pytest.mark.parametrize("seed", [0, 2, 3])
def test_random_problems_nested_boxes(seed):
    rng = np.random.default_rng(seed)
    L, s = int(rng.integers(4, 9)), int(rng.integers(1, 4))
    problem = h.NaturalHomotopy(rng.normal(size=(L, s)), rng.uniform(-0.8, 0.8, L), bias=True)
    path = h.track(problem)
    _assert_honest(problem, 0.9, np.asarray(path.w[-1]), path, (1.0, 30.0, 1e6))


def test_saturated_regions_no_linalg_error():
    """λ = 1, boxes ±30 and ±1e6: σ' underflows on most of the box (G singular in float64).
    Those seeds are skipped and counted, never a LinAlgError; k_max is still found."""
    problem = h.datasets.fold().problem()
    w = np.asarray(h.track(problem).w_end)
    for R in (30.0, 1e6):
        rc = geo.max_curvature_over(problem, 1.0, geo.Box(w - R, w + R))
        assert rc.n_saturated > 0 and "saturated" in rc.message
        assert rc.k_max > 0 and math.isfinite(rc.radius)
        assert rc.k_max >= geo.max_curvature(problem, w, 1.0).value
    assert geo.uniqueness_radius(problem, 1.0, np.stack([w - 30, w + 30], -1)) < math.inf


def test_whole_box_saturated_is_a_clear_error():
    problem = h.datasets.fold().problem()
    box = geo.Box(np.array([4e5, 4e5]), np.array([1e6, 1e6]))
    with pytest.raises(ValueError, match="problem: .*not an immersion at any of the"):
        geo.max_curvature_over(problem, 1.0, box)


def test_dominates_random_points_iris():
    """Issue 17 on the small bundled set: k_max on w ± 1 at the iris solution ≥ k at 10⁴
    independent uniform random points of the box (each value attained, so a lower bound)."""
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = datasets.load_iris(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    problem = h.NaturalHomotopy(X, np.where(y == 0, 0.8, -0.8), bias=True)
    path = h.track(problem)
    w = np.asarray(path.w_end)
    box = geo.Box(w - 1.0, w + 1.0)
    rc = geo.max_curvature_over(problem, 1.0, box, path=path)
    W = np.random.default_rng(7).uniform(box.lo, box.hi, size=(10_000, w.size))
    dyn, st = split_problem(problem)
    pc = nc.curvatures_at(dyn, st, W, 1.0, M=X.shape[0], iters=nc.QUICK)
    assert rc.k_max >= np.nanmax(pc.values)
    assert rc.n_seeds > 0 and rc.n_local > 0 and len(rc.history) >= 1
    # the reported maximum is what max_curvature says at that point
    assert rc.maximum.value == pytest.approx(geo.max_curvature(problem, rc.w, 1.0).value, 1e-12)


def test_seeding_is_polynomial_in_n():
    """Seeds per round = levels × n_seeds (+ centre, corners only while 2^n ≤ 64): no 2^n."""
    rng = np.random.default_rng(0)
    for s in (3, 12):
        problem = h.NaturalHomotopy(rng.normal(size=(30, s)), np.zeros(30))
        w = 0.1 * rng.normal(size=s)
        rc = geo.max_curvature_over(
            problem, 0.9, geo.Box(w - 1, w + 1), n_seeds=8, rounds=2, rtol=0.0
        )
        corners = 2**s if s <= 6 else 0
        per_round = len(rc.levels) * 8
        assert rc.n_seeds == 2 * per_round + 1 + corners
        assert rc.levels == (1.0, 0.5, 0.25, 0.125, 0.0625)
        # rtol = 0: converged only where the second round did not raise k_max at all
        assert len(rc.history) == 2 and rc.converged == (rc.history[1] <= rc.history[0])


def test_ball_region():
    problem = h.datasets.fold().problem()
    w = np.asarray(h.track(problem).w_end)
    rc = geo.max_curvature_over(problem, 0.95, geo.Ball(w, 2.0))
    assert np.linalg.norm(rc.w - w) <= 2.0 * (1 + 1e-12)
    assert rc.k_max >= geo.max_curvature(problem, w, 0.95).value
    box = geo.max_curvature_over(problem, 0.95, geo.Box(w - 2.0, w + 2.0))
    assert rc.k_max <= box.k_max * (1 + 1e-6)  # the ball lies in the box


def test_samples_region_and_tube():
    problem = h.datasets.fold().problem()
    path = h.track(problem)
    S = geo.Samples(np.asarray(path.w))
    rc = geo.max_curvature_over(problem, 0.95, S)
    assert rc.k_max >= max(geo.max_curvature(problem, w, 0.95).value for w in path.w)
    assert rc.converged and len(rc.history) == 1


def test_arguments_are_checked():
    problem = h.datasets.fold().problem()
    box = np.array([[-1.0, 1.0], [-1.0, 1.0]])
    for kw, name in [
        (dict(n_seeds=12), "n_seeds"),
        (dict(n_seeds=True), "n_seeds"),
        (dict(n_starts=-1), "n_starts"),
        (dict(rounds=0), "rounds"),
        (dict(rtol=2.0), "rtol"),
        (dict(seed=1.5), "seed"),
        (dict(path=np.zeros((3, 5))), "path"),
    ]:
        with pytest.raises(ValueError, match=name):
            geo.max_curvature_over(problem, 0.5, box, **kw)
    for bad in (geo.Ball(np.zeros(2), -1.0), geo.Ball(np.zeros(3), 1.0), geo.Ball([0, np.nan], 1)):
        with pytest.raises(ValueError, match="region"):
            geo.max_curvature_over(problem, 0.5, bad)


def test_tube_on_a_ball():
    problem = h.datasets.fold().problem()
    path = h.track(problem)
    w = np.asarray(path.w_end)
    ball = geo.Ball(w, 0.5)
    tube = geo.in_uniqueness_tube(problem, problem.targets, 1.0, ball, path=path)
    assert np.linalg.norm(tube.w - w) <= 0.5 * (1 + 1e-12)
    assert tube.distance <= np.linalg.norm(problem.targets - geo.embedding(problem, w, 1.0))
    proven = geo.in_uniqueness_tube(problem, problem.targets, 1.0, ball, proven=True)
    assert not proven.proven and "not a ball or samples" in proven.message


def test_cond_estimate_is_a_close_upper_estimate():
    """The ascents' cond G (repeated squaring of G and G⁻¹) against numpy's eigenvalues: never
    below (up to the rounding of λ_min), and within n^{1/16} above, on spectra from 1e2 to
    1e14 with one or many eigenvalues at each end."""
    import jax.numpy as jnp

    from homotopy.region_search import _cond_estimate

    rng = np.random.default_rng(0)
    for n, c in [(5, 1e2), (12, 1e8), (31, 1e12), (62, 1e14), (200, 1e10)]:
        Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
        for ev in [np.logspace(0, np.log10(c), n), np.r_[1.0, np.full(n - 2, c**0.5), c]]:
            G = (Q * ev) @ Q.T
            G = 0.5 * (G + G.T)
            true = np.linalg.cond(G)
            est = float(_cond_estimate(jnp.asarray(G), jnp.asarray(np.linalg.inv(G))))
            # λ_min itself is known only to ~ε·cond relative, in both computations
            slack = 1e-12 + 4e-16 * c * n
            assert true * (1 - slack) <= est <= true * n ** (1 / 16) * (1 + slack), (n, c)
    assert _cond_estimate(jnp.zeros((3, 3)), jnp.full((3, 3), jnp.nan)) == np.inf


def test_ktilde_is_nan_where_the_metric_is_unusable():
    """At saturated weights (λ = 1, pre-activations ~40: σ' underflows) the smooth objective of
    the ascents is NaN, not rounding noise to climb; at an ordinary point it is k along y."""
    import jax.numpy as jnp

    from homotopy.region_search import ktilde

    rng = np.random.default_rng(1)
    p = h.NaturalHomotopy(rng.uniform(-1, 1, (12, 4)), np.zeros(12))
    dyn, st = split_problem(p)
    y = rng.normal(size=4)
    bad = ktilde(dyn, st, jnp.asarray(np.concatenate([np.full(4, 40.0), y])), jnp.asarray(1.0))
    assert np.isnan(float(bad))
    w = rng.uniform(-1, 1, 4)
    good = float(ktilde(dyn, st, jnp.asarray(np.concatenate([w, y])), jnp.asarray(1.0)))
    assert 0 < good <= geo.max_curvature(p, w, 1.0).value * (1 + 1e-12)
