"""k_max over a region (homotopy.region_search via geometry.max_curvature_over): honest at any
scale (issue 15) and polynomial in n (issue 17).

References are independent of the search: `geometry.max_curvature` at the path's points and at
uniform random points of the box, the three projections of the fold target, and nesting."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import homotopy as h
from homotopy import geometry as geo, normal_curvature as nc
from homotopy.manifold import manifold_of
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
            problem, 0.9, geo.Box(w - 1, w + 1), n_seeds=8, rounds=3, rtol=0.0
        )
        corners = 2**s if s <= 6 else 0
        per_round = len(rc.levels) * 8
        # nothing saturates here: no level draws more, none lags 10³-fold behind the best
        assert rc.n_saturated == 0 and not rc.at_metric_limit
        assert rc.n_seeds == 3 * per_round + 1 + corners
        assert rc.levels == (1.0, 0.5, 0.25, 0.125, 0.0625)
        # rtol = 0: converged only where neither round 2 nor round 3 raised k_max at all
        h_ = rc.history
        assert len(h_) == 3 and rc.converged == (h_[2] <= h_[1] <= h_[0])


def _rare_feature_problem(big: float):
    """40 patterns; feature 3 is nonzero (= big) in two of them only, as digits' rare pixels:
    where those two saturate, G = JᵀJ is singular along e_3 (most of the box w ± 1 for big
    ≥ 20)."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 4))
    X[:, 3] = 0.0
    X[:2, 3] = big
    return h.NaturalHomotopy(X, 0.5 * np.tanh(X @ rng.normal(size=4) / 4), bias=False)


def test_saturated_levels_draw_more_seeds_lagging_levels_fewer():
    """A level short of n_starts usable seeds runs its Sobol sequence on (≤ 16 × n_seeds),
    after round 0 a level 10³-fold below the best draws n_seeds/4; polynomial either way."""
    from homotopy import region_search as rs

    problem = _rare_feature_problem(40.0)
    w = np.asarray(h.track(problem).w_end)
    box = geo.Box(w - 1, w + 1)
    rc = geo.max_curvature_over(problem, 1.0, box, n_seeds=8, rounds=3, rtol=0.0)
    levels = len(rc.levels)
    assert rc.n_saturated > 0
    assert rc.n_seeds > 3 * levels * 8 + 1 + 16  # saturated levels drew more …
    assert rc.n_seeds <= 3 * levels * 8 * rs.OVERSAMPLE + 1 + 16  # … within the cap
    # every usable seed counted once: the saturated ones are exactly the unusable ones
    dyn, st = split_problem(problem)
    reg = rs.parse_region(4, box)
    W, _ = rs.seeds(reg, 0, [3] * levels, 0, None)
    q = nc.curvatures_at(dyn, st, W, 1.0, M=40, iters=nc.QUICK, certify=False)
    assert (~q.usable).sum() > 0  # the first 8 per level already saturate in part
    # level sizes: round 0 uniform, then a quarter where the level lags 10³-fold
    scores = np.array([5.0, 1e4, -np.inf, 9.99, 10.0])
    assert rs.level_sizes(scores, 0, 5) == [5] * 5
    assert rs.level_sizes(scores, 1, 5) == [3, 5, 3, 3, 5]
    assert rs.level_sizes(scores, 2, 1) == [0, 1, 0, 0, 1]
    assert rs.level_sizes(np.full(3, -np.inf), 1, 5) == [5, 5, 5]


def test_level_points_extend_their_sequence():
    """More points at a level extend its seeds (a Sobol prefix), in a box and in a ball."""
    from homotopy import region_search as rs

    c = np.array([0.5, -1.0, 2.0])
    for region in (geo.Box(c - 2.0, c + 2.0), geo.Ball(c, 2.0)):
        reg = rs.parse_region(3, region)
        full = rs.level_points(reg, 0, 1, 7, 6)
        np.testing.assert_array_equal(rs.level_points(reg, 0, 1, 7, 5), full[:32])
        np.testing.assert_array_equal(rs.level_points(reg, 0, 1, 7, 6, 32), full[32:])
        assert len(np.unique(full, axis=0)) == 64
        assert reg.contains(full).all()
        assert np.max(np.abs(full - c)) <= 1.0 + 1e-12  # level 2^0: half-width 1


def test_converged_means_two_stalled_rounds_and_the_limit_flag_is_cond():
    """`converged` only after PATIENCE rounds in a row below rtol; `cond` is cond JᵀJ at w
    (numpy's eigenvalues), `at_metric_limit` exactly where it is within 10× of the limit."""
    from homotopy import region_search as rs

    for big in (10.0, 20.0, 40.0):
        problem = _rare_feature_problem(big)
        w = np.asarray(h.track(problem).w_end)
        for seed in (0, 1):
            rc = geo.max_curvature_over(problem, 1.0, geo.Box(w - 1, w + 1), n_seeds=8, seed=seed)
            hist = np.array(rc.history)
            stalls = hist[1:] <= hist[:-1] * (1 + 1e-3)
            if rc.converged:
                assert len(hist) >= 3 and stalls[-2:].all()
                assert len(stalls) == 2 or not stalls[-3]  # not converged a round earlier
            else:
                assert len(hist) == 4 and not stalls[-2:].all()
            phi = manifold_of(problem).embedding
            J = np.asarray(jax.jacfwd(lambda v, phi=phi: phi(v, 1.0))(jnp.asarray(rc.w)))
            ev = np.linalg.eigvalsh(J.T @ J)
            assert rc.cond == pytest.approx(ev[-1] / ev[0], rel=1e-6)
            limit = rc.n_saturated > 0 and rc.cond >= nc.METRIC_COND_MAX / 10
            assert rc.at_metric_limit == limit
            assert ("edge of that part" in rc.message) == limit
            assert rs.PATIENCE == 2


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
