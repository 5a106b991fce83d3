"""Geometry meets the tracker: at every turning point the target sits at a focal point."""

import numpy as np
import pytest

import homotopy as h
from homotopy import datasets, geometry


@pytest.fixture(scope="module")
def fold():
    problem = datasets.fold().problem()
    return problem, h.track(problem)


def test_focal_identity_at_tracked_turning_points(fold):
    problem, path = fold
    assert len(path.turning_points) == 2
    for e in path.turning_points:
        # ∇²E = G − II_r is singular: its smallest singular value relative to the largest
        Hess = np.asarray(geometry.error_hessian(problem, e.w, e.lam))
        sv = np.linalg.svd(Hess, compute_uv=False)
        assert sv[-1] / sv[0] < 1e-8
        # ... and ‖r‖ equals the focal distance 1/κ of one normal curvature along r/‖r‖
        fd = geometry.focal_distances(problem, e.w, e.lam)
        rel = np.min(np.abs(fd.residual_norm * fd.curvatures - 1.0))
        assert rel < 1e-6
        assert abs(fd.residual_norm - fd.nearest) / fd.nearest < 1e-6
        # the point is a solution: the residual is orthogonal to the tangent space
        assert geometry.generalized_orthogonality(problem, e.w, e.lam) < 1e-12


def test_no_focal_point_on_a_smooth_path():
    problem = datasets.smooth().problem()
    path = h.track(problem)
    assert path.success and not path.events
    for lam, w in zip(path.lam, path.w, strict=True):
        fd = geometry.focal_distances(problem, w, lam)
        assert np.all(fd.hessian_eigenvalues > 0)  # a strict local minimum all the way


def test_uniqueness_lost_only_between_the_folds(fold):
    problem, path = fold
    lo, hi = sorted(e.lam for e in path.turning_points)
    # between the folds the middle solution is a saddle: one eigenvalue 1 − ‖r‖κ < 0
    mid = path.at(0.5 * (lo + hi))
    signs = [
        int(np.sum(geometry.focal_distances(problem, w, 0.5 * (lo + hi)).hessian_eigenvalues < 0))
        for w in mid
    ]
    assert signs == [0, 1, 0]
