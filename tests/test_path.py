"""Path persistence and the Status enum."""

import os
import zipfile

import numpy as np
import pytest

import homotopy as h


X = np.array([[-1.094, -0.603], [0.943, 0.719], [0.227, 1.162]])
D = np.array([0.616, 0.343, 0.64])


@pytest.fixture(scope="module")
def path():
    return h.track(h.NaturalHomotopy(X, D))


def test_status_values_are_lowercase_strings():
    for s in h.Status:
        assert s.value == s.name.lower()
        assert h.Status.from_code(s.code) is s
    assert {"success", "diverged", "step_failure", "max_steps"} <= {s.value for s in h.Status}


def test_save_load_round_trip(tmp_path, path):
    f = tmp_path / "p.npz"
    path.save(f)
    with zipfile.ZipFile(f) as z:  # plain .npy members, nothing pickled
        assert all(name.endswith(".npy") for name in z.namelist())
    q = h.load_path(f)
    assert q.status is path.status and q.message == path.message
    for name in ("lam", "w", "s", "tangents", "w_end"):
        np.testing.assert_array_equal(getattr(q, name), getattr(path, name))
    assert q.direction is None
    assert dict(q.stats) == dict(path.stats)
    assert [(e.kind, e.lam, e.s) for e in q.events] == [(e.kind, e.lam, e.s) for e in path.events]
    for a, b in zip(q.events, path.events, strict=True):
        np.testing.assert_array_equal(a.w, b.w)
    assert q.lam_span == path.lam_span


def test_loaded_path_needs_a_problem_for_at(tmp_path, path):
    path.save(tmp_path / "p")  # the suffix is added
    q = h.load_path(tmp_path / "p.npz")
    with pytest.raises(ValueError, match="problem"):
        q.at(0.5)
    np.testing.assert_allclose(q.at(0.5, problem=h.NaturalHomotopy(X, D)), path.at(0.5))


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path, path):
    f = tmp_path / "p.npz"
    f.write_bytes(b"old")
    path.save(f)
    assert sorted(os.listdir(tmp_path)) == ["p.npz"]
    assert h.load_path(f).status is path.status


def test_diverged_path_round_trips_direction(tmp_path):
    p = h.track(
        h.NaturalHomotopy([[1.0, 0.5], [-0.3, 1.0]], [1.3, -0.2], objective="interpolation")
    )
    assert p.status is h.Status.DIVERGED
    p.save(tmp_path / "d.npz")
    q = h.load_path(tmp_path / "d.npz")
    assert q.w_end is None
    np.testing.assert_array_equal(q.direction, p.direction)


def test_at_outside_the_path_is_empty(path):
    assert path.at(1.5).shape == (0, 2)
