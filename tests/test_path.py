"""Path persistence, `Path.at`'s checks, the problem fingerprint and the Status enum."""

import dataclasses
import os
import zipfile

import jax.numpy as jnp
import numpy as np
import pytest

import homotopy as h
from homotopy.path import DEFAULT_TOL, problem_fingerprint


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


# ----------------------------------------------------------------------------- Path.at checks


def test_at_refuses_points_where_newton_did_not_converge(path):
    smooth = h.datasets.load("smooth").problem()  # another 3×2 problem: the same size
    assert smooth.n_unknowns == path.w.shape[1]
    with pytest.raises(ValueError, match=r"crossing 0 of 3 at λ = 0\.95: ‖H\(w, λ\)‖ = 0\.\d+ >"):
        path.at(0.95, problem=smooth)
    for w in path.at(0.95):  # its own problem: every point meets the default tolerance
        assert np.linalg.norm(path.problem.H(w, 0.95)) <= DEFAULT_TOL


def test_at_uses_the_given_or_the_paths_tolerance(path):
    # no float64 residual is that small: refused as outside track's range (it used to fail
    # every crossing, asking whether `problem` was the right one)
    with pytest.raises(ValueError, match=r"^tol: expected a number in \[1e-15, 0.01\]"):
        path.at(0.5, tol=1e-30)
    with pytest.raises(ValueError, match=r"^tol: .*got 1e-30"):
        dataclasses.replace(path, tol=1e-30).at(0.5)
    assert dataclasses.replace(path, tol=1e-30).at(0.5, tol=1e-10).shape == (1, 2)
    for bad, name in ((0.0, "tol"), (float("nan"), "tol")):
        with pytest.raises(ValueError, match=f"^{name}: "):
            path.at(0.5, tol=bad)
    with pytest.raises(ValueError, match="^lam: expected a finite real number"):
        path.at(float("nan"))


def test_at_with_a_problem_of_another_size_names_problem(path):
    wide = h.NaturalHomotopy(np.hstack([X, X[:, :1] ** 2]), D)
    with pytest.raises(ValueError, match="^problem: this path has 2 weights but the problem has 3"):
        path.at(0.5, problem=wide)

    def H(w, lam, args):  # a problem that does not say its size: H tells
        return jnp.concatenate([w, w[:1]]) - lam

    with pytest.raises(ValueError, match="^problem: this path has 2 weights but the problem has 3"):
        path.at(0.5, problem=h.FunctionHomotopy(H))

    def broken(w, lam, args):
        return jnp.reshape(w, (3, 1))[:, 0]

    with pytest.raises(ValueError, match="^problem: its H cannot be evaluated"):
        path.at(0.5, problem=h.FunctionHomotopy(broken))


# ----------------------------------------------------------------------------- fingerprint


def test_fingerprint_follows_the_data_and_the_settings():
    fp = problem_fingerprint(h.NaturalHomotopy(X, D))
    assert len(fp) == 64 and fp == problem_fingerprint(h.NaturalHomotopy(X.copy(), D[:, None]))
    others = [
        h.NaturalHomotopy(X, D + 1e-15),
        h.NaturalHomotopy(X[::-1], D[::-1]),
        h.NaturalHomotopy(X, D, "logistic"),
        h.NaturalHomotopy(X, D, bias=True),
        h.MLPHomotopy(X, D, 1, bias=False),
    ]
    assert len({fp, *map(problem_fingerprint, others)}) == 1 + len(others)
    assert problem_fingerprint(h.FunctionHomotopy(lambda w, lam, a: w)) is None  # no X, d


def test_saved_path_carries_the_fingerprint(tmp_path, path):
    f = tmp_path / "p.npz"
    path.save(f)
    q = h.load_path(f)
    assert q.fingerprint == problem_fingerprint(path.problem)
    assert h.load_path(f, h.NaturalHomotopy(X, D)).fingerprint == q.fingerprint  # a match
    for other in (h.NaturalHomotopy(X, D[::-1]), h.NaturalHomotopy(X, D, "erf")):
        with pytest.raises(ValueError, match=r"^problem: .*differ.*p\.npz"):
            h.load_path(f, other)
    q.save(tmp_path / "again.npz")  # saved again without a problem: the fingerprint stays
    assert h.load_path(tmp_path / "again.npz").fingerprint == q.fingerprint


def test_old_file_without_fingerprint_still_loads(tmp_path, path):
    path.save(tmp_path / "p.npz")
    arrays = dict(np.load(tmp_path / "p.npz"))
    del arrays["fingerprint"], arrays["event_kernel"], arrays["tol"]  # as an older version wrote it
    np.savez(tmp_path / "old.npz", **arrays)
    q = h.load_path(tmp_path / "old.npz", h.NaturalHomotopy(X, D[::-1]))  # cannot be checked
    assert q.fingerprint is None and q.tol is None
    np.testing.assert_array_equal(q.w, path.w)


# ----------------------------------------------------------------------------- load_path


def _saved(tmp_path, path, **change) -> str:
    path.save(tmp_path / "p.npz")
    arrays = {**dict(np.load(tmp_path / "p.npz")), **change}
    f = str(tmp_path / "edited.npz")
    np.savez(f, **{k: v for k, v in arrays.items() if v is not None})
    return f


def test_load_refuses_arrays_that_disagree(tmp_path, path):
    n_pts = len(path.lam)
    f = _saved(tmp_path, path, lam=path.lam[:3])
    with pytest.raises(
        ValueError, match=rf"edited\.npz.*lam has 3 entries but w has shape \({n_pts}, 2\)"
    ):
        h.load_path(f)
    f = _saved(tmp_path, path, event_lam=np.zeros(5))
    with pytest.raises(ValueError, match=r"edited\.npz.*event_lam has shape \(5,\)"):
        h.load_path(f)
    f = _saved(tmp_path, path, w_end=np.zeros(3))
    with pytest.raises(ValueError, match=r"w_end has 3 entries but w has 2 weights"):
        h.load_path(f)
    f = _saved(tmp_path, path, s=None)
    with pytest.raises(ValueError, match=r"edited\.npz.*no array 's'"):
        h.load_path(f)


def test_load_refuses_text_and_pickles_with_its_own_message(tmp_path, path):
    text = tmp_path / "notes.npz"
    text.write_text("lam,w\n0,1\n")
    with pytest.raises(ValueError, match=r"notes\.npz' is not an \.npz archive") as err:
        h.load_path(text)
    assert "allow_pickle" not in str(err.value)
    f = _saved(tmp_path, path, stats=np.array([{"steps": 1}], dtype=object))
    with pytest.raises(ValueError, match="pickled") as err:
        h.load_path(f)
    assert "allow_pickle=True" not in str(err.value)
    with pytest.raises(FileNotFoundError):
        h.load_path(tmp_path / "missing.npz")


# ----------------------------------------------------------------------------- save errors


def test_save_errors_name_the_file_not_the_temporary_one(tmp_path, path):
    (tmp_path / "adir.npz").mkdir()  # a folder where the file should go: the rename fails
    for target, why in (
        (tmp_path / "nowhere" / "p.npz", "does not exist"),
        (tmp_path / "adir.npz", "Is a directory"),
    ):
        with pytest.raises(OSError) as err:
            path.save(target)
        assert err.value.filename == str(target) and ".tmp-" not in str(err.value)
        assert why in str(err.value)
    assert sorted(os.listdir(tmp_path)) == ["adir.npz"]  # no temporary file left behind
    assert os.listdir(tmp_path / "adir.npz") == []


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_save_into_a_read_only_folder_names_the_file(tmp_path, path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(PermissionError) as err:
            path.save(folder / "p.npz")
    finally:
        folder.chmod(0o755)
    assert err.value.filename == str(folder / "p.npz") and ".tmp-" not in str(err.value)


def test_save_permission_error_names_the_file(tmp_path, path, monkeypatch):
    """As a read-only folder fails for a non-root user (tests often run as root)."""

    def refuse(prefix: str = "", suffix: str = "", dir: str = "") -> tuple[int, str]:
        raise PermissionError(13, "Permission denied", os.path.join(dir, prefix + "x" + suffix))

    monkeypatch.setattr("homotopy._io.tempfile.mkstemp", refuse)
    with pytest.raises(PermissionError, match="Permission denied") as err:
        path.save(tmp_path / "p.npz")
    assert err.value.filename == str(tmp_path / "p.npz") and ".tmp-" not in str(err.value)
