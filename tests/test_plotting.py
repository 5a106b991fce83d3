"""Headless tests of homotopy.plotting: every figure renders, saves (PNG/SVG/PDF) and validates."""

import os

import matplotlib


matplotlib.use("Agg")

import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import homotopy  # noqa: E402
from homotopy import datasets, geometry, plotting  # noqa: E402


@pytest.fixture(scope="module")
def fold():
    problem = datasets.fold().problem()
    return problem, homotopy.track(problem)


@pytest.fixture(autouse=True)
def no_show(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("plt.show must not be called")

    monkeypatch.setattr(plt, "show", boom)
    yield
    plt.close("all")


def _check_png(fig, tmp_path, name, min_kb=10):
    assert isinstance(fig, Figure)
    file = tmp_path / f"{name}.png"
    plotting.save_figure(fig, file, dpi=60)
    assert file.stat().st_size > min_kb * 1024
    img = mpimg.imread(file)
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
    flat = img.reshape(-1, img.shape[-1])
    assert len(np.unique(flat[::7], axis=0)) > 20  # not a single colour
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".tmp-")]  # no temp files left
    return img


def test_data_manifold_with_path(fold, tmp_path):
    problem, path = fold
    fig = plotting.data_manifold(problem, (0.0, 0.95), path=path, n=15, n_seeds=8)
    _check_png(fig, tmp_path, "manifold")
    assert len(fig.axes) == 3  # two 3-D panels and the colourbar
    for suffix in ("svg", "pdf"):
        file = tmp_path / f"manifold.{suffix}"
        plotting.save_figure(fig, file)
        assert file.stat().st_size > 5 * 1024
    head = (tmp_path / "manifold.pdf").read_bytes()[:5]
    assert head == b"%PDF-"
    assert b"<svg" in (tmp_path / "manifold.svg").read_bytes()[:2000]


def test_data_manifold_without_path(fold, tmp_path):
    problem, _ = fold
    fig = plotting.data_manifold(problem, 0.5, n=10, n_seeds=8, curvature="gaussian")
    _check_png(fig, tmp_path, "manifold_nopath")


def test_data_manifold_no_sheets_no_target(fold, tmp_path):
    problem, path = fold
    fig = plotting.data_manifold(
        problem, (1.0,), path=path, n=10, sheets=False, target=False, region=[[-4, 0], [0, 5]]
    )
    _check_png(fig, tmp_path, "manifold_bare")


def test_curvature_along_path(fold, tmp_path):
    problem, path = fold
    fig = plotting.curvature_along_path(problem, path, refine=2)
    _check_png(fig, tmp_path, "curvature")
    fig = plotting.curvature_along_path(problem, path, refine=1, x="lam")
    _check_png(fig, tmp_path, "curvature_lam")


def test_several_projections(fold, tmp_path):
    problem, path = fold
    fig = plotting.several_projections(problem, 0.95, path=path, n=15)
    _check_png(fig, tmp_path, "projections")
    text = " ".join(t.get_text() for leg in fig.legends for t in leg.get_texts())
    assert text.count("local min") == 2 and text.count("saddle") == 1
    with pytest.raises(ValueError, match="lam"):
        plotting.several_projections(problem, 1.5, path=path)


def test_path_diagram(fold, tmp_path):
    _, path = fold
    _check_png(plotting.path_diagram(path), tmp_path, "path")
    with pytest.raises(ValueError, match="path"):
        plotting.path_diagram(object())


def test_surface_fields_match_geometry(fold):
    problem, path = fold
    W = np.array([[-1.0, 1.3], [-2.2, 3.0], [0.3, -0.4]])
    for lam in (0.0, 0.7, 1.0):
        f = plotting.surface_fields(problem, lam, W)
        for i, w in enumerate(W):
            n = np.asarray(geometry.normal_basis(problem, w, lam))[:, 0]
            k = np.asarray(geometry.principal_curvatures(problem, w, lam).values)
            np.testing.assert_allclose(f["normal"][i], n, atol=1e-12)
            np.testing.assert_allclose(f["kappa"][i], k, atol=1e-10)
            np.testing.assert_allclose(
                f["gaussian"][i], float(geometry.gaussian_curvature(problem, w, lam)), atol=1e-10
            )
            mk = geometry.max_curvature(problem, w, lam).value
            np.testing.assert_allclose(f["max"][i], mk, rtol=1e-9, atol=1e-12)


def test_invalid_problem_names_argument(fold):
    _, path = fold
    square = datasets.divergent().problem()  # L = 2
    four = homotopy.NaturalHomotopy(np.eye(4, 2) + 0.1, np.ones(4))  # L = 4
    for bad in (square, four, "nope"):
        with pytest.raises(ValueError, match="problem"):
            plotting.data_manifold(bad, n=5)
        with pytest.raises(ValueError, match="problem"):
            plotting.several_projections(bad, 0.5, path=path)
    with pytest.raises(ValueError, match="problem"):
        plotting.curvature_along_path("nope", path)
    problem = datasets.fold().problem()
    with pytest.raises(ValueError, match="lams"):
        plotting.data_manifold(problem, (0.5, 2.0), n=5)
    with pytest.raises(ValueError, match="n"):
        plotting.data_manifold(problem, n=1)
    with pytest.raises(ValueError, match="region"):
        plotting.data_manifold(problem, region=[[1, 0], [0, 1]], n=5)
    with pytest.raises(ValueError, match="x"):
        plotting.curvature_along_path(problem, path, x="w")


def test_save_figure_atomic(tmp_path):
    fig = Figure()
    fig.add_subplot().plot([0, 1], [1, 0])
    target = tmp_path / "out.png"
    target.write_bytes(b"old")
    plotting.save_figure(fig, target)
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    plotting.save_figure(fig, str(tmp_path / "out.svg"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png", "out.svg"]
    with pytest.raises(ValueError, match="path"):
        plotting.save_figure(fig, tmp_path / "out.unknown")
    with pytest.raises(ValueError, match="path"):
        plotting.save_figure(fig, tmp_path / "noext")
    with pytest.raises(ValueError, match="fig"):
        plotting.save_figure("not a figure", tmp_path / "x.png")

    class Boom(Exception):
        pass

    def fail(*args, **kwargs):
        raise Boom

    fig.savefig = fail
    with pytest.raises(Boom):
        plotting.save_figure(fig, tmp_path / "fail.pdf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png", "out.svg"]


def test_core_package_does_not_import_matplotlib():
    import subprocess
    import sys

    code = "import sys, homotopy; assert 'matplotlib' not in sys.modules, 'imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
