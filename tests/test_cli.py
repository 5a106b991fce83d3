"""The ``homotopy`` command, run as a user runs it: in a subprocess (exit codes, output, errors).

Every subprocess starts Python and JAX (and the tracing ones compile), so they are few and
shared through module fixtures; the bad-input cases fail before any compilation and run
concurrently. A handful of cheap checks call `homotopy.cli` in-process.
"""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import homotopy
from homotopy import cli, datasets
from homotopy.path import problem_fingerprint


ENV = {**os.environ, "JAX_PLATFORMS": "cpu", "PYTHONIOENCODING": "utf-8"}
TIMEOUT = 600
PROGRESS_MARKS = ("\r", "[####", "[----", "\x1b[K")


def _cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "homotopy", *args]


def _run(*args: str, cwd: Path, script: bool = False) -> subprocess.CompletedProcess:
    cmd = [str(Path(sys.executable).with_name("homotopy")), *args] if script else _cmd(*args)
    return subprocess.run(
        cmd, cwd=cwd, env=ENV, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


def _no_progress(stderr: str) -> bool:
    return not any(m in stderr for m in PROGRESS_MARKS)


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """A folder with the fold example as CSV (with a header) and a set of bad inputs."""
    d = tmp_path_factory.mktemp("cli")
    fold = datasets.fold()
    rows = "\n".join(
        ",".join(repr(float(v)) for v in [*x, t]) for x, t in zip(fold.X, fold.d, strict=True)
    )
    (d / "fold.csv").write_text("x1,x2,target\n" + rows + "\n")
    np.savez(d / "mismatch.npz", X=fold.X, d=np.ones(4))
    np.savez(d / "rank.npz", X=np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]]), d=fold.d)
    (d / "one_column.csv").write_text("0.1\n0.2\n0.3\n")
    (d / "nan.csv").write_text("1,0,0.5\n0,1,nan\n1,1,0.2\n")
    (d / "not_a_path.npz").write_bytes(b"not a zip archive")
    return d


@pytest.fixture(scope="module")
def traced(work):
    """``trace fold.csv --out path.npz --json`` (CSV input, JSON and the saved file at once)."""
    proc = _run("trace", "fold.csv", "--out", "path.npz", "--json", cwd=work)
    return proc, work / "path.npz"


@pytest.fixture(scope="module")
def bad_runs(work):
    """Each bad input listed in the issue, run concurrently: name -> (argv, process)."""
    cases = {
        "missing file": (["trace", "no_such_file.npz"], "no such file 'no_such_file.npz'"),
        "d length mismatch": (["trace", "mismatch.npz"], "d has 4 targets but X has 3"),
        "csv with one column": (["trace", "one_column.csv"], "has 1 column"),
        "nan in data": (["trace", "nan.csv"], "d contains NaN"),
        "rank-deficient X": (["trace", "rank.npz"], "rank 1 < 2"),
        "unknown activation": (["trace", "fold.csv", "--activation", "relu"], "relu"),
        "not a saved path": (["plot", "not_a_path.npz"], "not an .npz file saved by"),
        "no command": ([], "required: COMMAND"),
        "out folder missing": (
            ["trace", "fold.csv", "--out", "nowhere/p.npz"],
            "does not exist",
        ),
    }
    procs = {
        name: subprocess.Popen(
            _cmd(*argv),
            cwd=work,
            env=ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for name, (argv, _) in cases.items()
    }
    out = {}
    for name, p in procs.items():
        stdout, stderr = p.communicate(timeout=TIMEOUT)
        out[name] = (cases[name][1], p.returncode, stdout, stderr)
    return out


# ----------------------------------------------------------------------------- subprocess


def test_python_m_help(work):
    proc = _run("--help", cwd=work)
    assert proc.returncode == 0, proc.stderr
    for command in ("demo", "trace", "curvature", "plot"):
        assert command in proc.stdout
    assert proc.stdout.startswith("usage: homotopy")


def test_demo_summary_and_figures(tmp_path):
    out = tmp_path / "figs"
    proc = _run("demo", "--out", str(out), "--quiet", cwd=tmp_path, script=True)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert "[smooth]" in text and "[fold]" in text
    assert text.count("status   success") == 2
    assert "turning point at λ = 0.9655" in text and "turning point at λ = 0.9313" in text
    assert "events   none" in text  # the smooth path
    assert "endpoint w(λ=1)" in text and "error E(w)" in text
    assert "crosses 3×" in text
    assert f"wrote 4 figures to {out}" in text
    pngs = sorted(p.name for p in out.iterdir())
    assert pngs == sorted(
        ["fold-path.png", "fold-data-manifold.png", "fold-curvature.png", "fold-projections.png"]
    )
    for p in out.iterdir():
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 10_000
    assert "Traceback" not in proc.stderr and _no_progress(proc.stderr)
    assert not (tmp_path / "homotopy-out").exists()  # --out was honoured


def test_trace_json_and_saved_path(traced):
    proc, file = traced
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)  # plain JSON: no NaN/Infinity tokens
    assert doc["status"] == "success"
    assert doc["problem"] == {
        "L": 3, "s": 2, "m": 1, "activation": "tanh", "objective": "least_squares",
        "bias": False,
    }  # fmt: skip
    assert [e["kind"] for e in doc["events"]] == ["turning_point", "turning_point"]
    assert sorted(e["lam"] for e in doc["events"]) == pytest.approx([0.9313, 0.9655], abs=1e-3)
    assert len(doc["w"]) == len(doc["lam"]) == len(doc["s"]) and len(doc["w"][0]) == 2
    assert doc["lam"][0] == 0.0 and doc["lam"][-1] == pytest.approx(1.0)
    assert len(doc["w_end"]) == 2 and doc["direction"] is None
    assert doc["stats"]["steps"] > 0 and doc["residual_norm_H"] < 1e-9
    assert doc["header"] == ["x1", "x2", "target"]  # the CSV's header row, echoed
    # the saved path round-trips and no temp file is left next to it
    path = homotopy.load_path(file)
    assert path.status.value == "success" and len(path.turning_points) == 2
    np.testing.assert_allclose(path.w_end, doc["w_end"])
    fold = datasets.fold()
    assert path.fingerprint == problem_fingerprint(homotopy.NaturalHomotopy(fold.X, fold.d))
    assert [p.name for p in file.parent.glob("*.npz") if p.name.startswith("tmp")] == []
    assert _no_progress(proc.stderr)


def test_plot_saved_path(traced, work):
    proc0, file = traced
    assert proc0.returncode == 0
    proc = _run("plot", str(file), "--data", "fold.csv", "--out", "fig.png", cwd=work)
    assert proc.returncode == 0, proc.stderr
    for name in ("fig.png", "fig-curvature.png", "fig-manifold.png"):
        assert (work / name).read_bytes()[:4] == b"\x89PNG"
        assert str(work / name) in proc.stdout


def test_curvature_json(work):
    proc = _run("curvature", "fold", "--lam", "0.95", "--json", "--box", "0.5", cwd=work)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    sols = doc["solutions"]
    assert doc["lam"] == 0.95 and len(sols) == 3
    assert [s["critical_point"] for s in sols] == ["local minimum", "saddle", "local minimum"]
    for s in sols:
        assert s["max_curvature"] > 0 and 0 < s["uniqueness_radius"] <= 1 / s["max_curvature"]
        # target farther than ρ: the tube bound cannot certify uniqueness (three projections)
        assert s["target_in_tube"] is (s["residual_norm"] < s["uniqueness_radius"])
    saddle = sols[1]
    assert saddle["residual_norm"] > saddle["nearest_focal_distance"]  # past a focal point


def test_curvature_huge_box_is_honest(capsys):
    """Issue 15: `--box 1e6` on the fold used to print k_max = 0, ρ = ∞ and "unique within
    the tube"; the fold target has three projections at λ = 0.95 (k up to 2.70)."""
    assert cli.main(["curvature", "fold", "--lam", "0.95", "--box", "1e6", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "∞" not in out.split("uniqueness radius")[1].split("\n")[0]
    assert "numerical lower estimate" in out and "unique within the tube" not in out
    assert (
        cli.main(["curvature", "fold", "--lam", "0.95", "--box", "1e6", "--json", "--quiet"]) == 0
    )
    sols = json.loads(capsys.readouterr().out)["solutions"]
    assert len(sols) == 3
    for s in sols:
        assert s["k_max_box"] >= max(t["max_curvature"] for t in sols)
        assert s["uniqueness_radius"] < 1 / 2.7 and not s["target_in_tube"]
        assert s["seeds"] > 0 and s["local_searches"] > 0


@pytest.mark.parametrize(
    "case",
    [
        "missing file",
        "d length mismatch",
        "csv with one column",
        "nan in data",
        "rank-deficient X",
        "unknown activation",
        "not a saved path",
        "no command",
        "out folder missing",
    ],
)
def test_bad_input_is_one_line_exit_2(bad_runs, case, work):
    expected, rc, stdout, stderr = bad_runs[case]
    assert rc == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("homotopy: error: "), stderr
    assert expected in lines[0]
    assert "Traceback" not in stderr and stdout == ""
    assert not (work / "nowhere").exists()


# ----------------------------------------------------------------------------- in-process


def test_trace_divergent_json_has_nulls(capsys):
    assert cli.main(["trace", "divergent", "--json", "--quiet"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "diverged" and doc["problem"]["objective"] == "interpolation"
    assert doc["w_end"] is None and doc["error"] is None and len(doc["direction"]) == 2


def test_json_never_emits_nan():
    text = cli._dumps({"a": np.array([1.0, np.nan, np.inf]), "b": float("-inf"), "c": None})
    assert json.loads(text) == {"a": [1.0, None, None], "b": None, "c": None}


class _Stream(io.StringIO):
    def __init__(self, tty: bool):
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_progress_bar_only_on_a_tty(capsys):
    tty = _Stream(True)
    with cli.Progress(2, stream=tty) as bar:
        bar.start("one")
        bar.advance()
        bar.echo("hello")
        bar.start("two")
        bar.advance()
    drawn = tty.getvalue()
    assert "one" in drawn and "1/2" in drawn and "two" in drawn  # tqdm throttles redraws
    assert capsys.readouterr().out == "hello\n"
    for stream, enabled in ((_Stream(False), True), (_Stream(True), False)):
        with cli.Progress(3, stream=stream, enabled=enabled) as bar:
            for _ in bar.iterate(range(3), "item"):
                pass
        assert stream.getvalue() == ""


def test_csv_reader_messages(tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("a,b,c\n# comment\n1,2,3\n\n4,5,6\n7,8,9\n")
    X, d, defaults = cli.load_data(str(f))
    assert X.shape == (3, 2) and d.tolist() == [3, 6, 9] and defaults == {}
    f.write_text("1,2,3\n4,x,6\n")
    with pytest.raises(ValueError, match=r"line 2: cannot read 'x' as a number"):
        cli.load_data(str(f))
    f.write_text("1,2,3\n4,5\n")
    with pytest.raises(ValueError, match=r"line 2: 2 columns"):
        cli.load_data(str(f))
    with pytest.raises(ValueError, match="unsupported file type '.json'"):
        (tmp_path / "x.json").write_text("{}")
        cli.load_data(str(tmp_path / "x.json"))
    np.savez(tmp_path / "noX.npz", d=np.ones(3))
    with pytest.raises(ValueError, match="no array 'X'"):
        cli.load_data(str(tmp_path / "noX.npz"))


def test_csv_header_only_when_no_cell_is_a_number(tmp_path):
    f = tmp_path / "b.csv"
    f.write_bytes(b"\xef\xbb\xbf1,0.2,0.3\n0.3,1,-0.2\n1,1,0.5\n")  # a BOM, no header
    X, d, _ = cli.load_data(str(f))
    assert X.shape == (3, 2) and d.tolist() == [0.3, -0.2, 0.5]
    f.write_bytes(b"\xef\xbb\xbfa, b ,y\n1,2,3\n4,5,7\n")
    X, d, header = cli._read_csv(str(f))
    assert header == ["a", "b", "y"] and X.tolist() == [[1, 2], [4, 5]]
    cases = {
        "O.3,1,-0.2\n1,0.2,0.3\n1,1,0.5\n": r"line 1: cannot read 'O\.3' as a number "
        r"\(column 1\) \(the first row is a header only when none of its cells is a number\)",
        "# comment\n1,x,0.3\n1,2,3\n": r"line 2: cannot read 'x' as a number \(column 2\)",
        "1,0.2,0.3\n0.3,1,-0.2\n1,l,0.5\n": r"line 3: cannot read 'l' as a number \(column 2\)",
        "a,b,y\nc,d,e\n1,2,3\n": r"line 2: cannot read 'c' as a number \(column 1\)",
        "1,2,3\n4,5,6\n7,8,9\n\ufeff1,2,3\n": r"line 4: cannot read '\\ufeff1'",
        "a,y\n1,2,3\n4,5,6\n": r"line 1: the header has 2 columns, but the first data row "
        r"\(line 2\) has 3",
    }
    for text, message in cases.items():
        f.write_text(text, encoding="utf-8")
        with pytest.raises(ValueError, match=rf"^DATA: {f}, {message}"):
            cli.load_data(str(f))


def test_trace_echoes_the_header_and_keeps_a_bom_row(tmp_path, capsys):
    bom, named = tmp_path / "b.csv", tmp_path / "named.csv"
    bom.write_bytes(b"\xef\xbb\xbf1,0.2,0.3\n0.3,1,-0.2\n1,1,0.5\n")
    named.write_text("a,b,y\n1,0.2,0.3\n0.3,1,-0.2\n1,1,0.5\n")
    assert cli.main(["trace", str(bom), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "L=3" in text and "  header " not in text  # the first row is data
    assert cli.main(["trace", str(named), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "L=3" in text and "  header   a, b, y (the CSV's first row; target last)" in text
    assert cli.main(["trace", str(named), "--quiet", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["header"] == ["a", "b", "y"] and doc["problem"]["L"] == 3
    assert cli.main(["trace", str(bom), "--quiet", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["header"] is None


def test_trace_save_error_names_the_out_file(tmp_path, capsys):
    (tmp_path / "adir.npz").mkdir()  # --out names a folder: the final rename fails
    assert cli.main(["trace", "fold", "--quiet", "--out", str(tmp_path / "adir.npz")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"homotopy: error: Is a directory: {tmp_path / 'adir.npz'}"
    assert sorted(os.listdir(tmp_path)) == ["adir.npz"]


def test_plot_refuses_data_the_path_was_not_traced_on(traced, work, capsys):
    _, file = traced
    out = str(work / "never.png")
    fold = str(work / "fold.csv")
    cases = [
        (["--data", "smooth"], "'smooth' with these options"),  # same size, other data
        (["--data", fold, "--activation", "logistic"], "fingerprint differs"),
        (["--data", fold, "--bias"], "the path has 2 weights but this problem has 3"),
    ]
    for extra, expected in cases:
        assert cli.main(["plot", str(file), *extra, "--out", out, "--quiet"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("homotopy: error: --data: "), err
        assert expected in err[0]
    assert not os.path.exists(out)


def test_plot_old_file_without_fingerprint_notes_it(traced, work, capsys):
    _, file = traced
    arrays = dict(np.load(file))
    del arrays["fingerprint"]  # as a path saved before fingerprints
    np.savez(work / "old.npz", **arrays)
    out = work / "old.png"
    argv = ["plot", str(work / "old.npz"), "--data", str(work / "fold.csv"), "--out", str(out)]
    assert cli.main([*argv, "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "holds no fingerprint" in captured.err and "could not be checked" in captured.err
    assert out.read_bytes()[:4] == b"\x89PNG" and str(out) in captured.out


def test_plot_refuses_a_file_with_inconsistent_arrays(traced, work, capsys):
    _, file = traced
    arrays = dict(np.load(file))
    arrays["lam"] = arrays["lam"][:3]
    bad = work / "cut.npz"
    np.savez(bad, **arrays)
    assert cli.main(["plot", str(bad), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"homotopy: error: PATH: {str(bad)!r} holds inconsistent arrays: ")
    assert f"lam has 3 entries but w has shape ({len(np.load(file)['lam'])}, 2)" in err


def test_builtin_names_bring_their_objective_and_bias():
    X, d, defaults = cli.load_data("xor")
    assert X.shape == (4, 2) and defaults == {"objective": "least_squares", "bias": True}
    with pytest.raises(ValueError, match="rank 2 < 3"):
        cli.check_data(np.eye(3)[:, :2][[0, 1, 1]], np.ones(3), bias=True)


def test_trace_hidden_traces_every_branch(capsys, tmp_path):
    out = tmp_path / "br.npz"
    argv = ["trace", "hidden_pair", "--hidden", "2", "--starts", "40", "--quiet"]
    assert cli.main([*argv, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert "3 branch(es) leave" in doc["search"]
    assert "of 120 iterations (3 from each of 40 random points" in doc["search"]
    branches = doc["branches"]
    assert [b["status"] for b in branches] == ["diverged", "diverged", "success"]
    assert sorted(len(b["events"]) for b in branches) == [0, 0, 2]
    assert all(b["lam"][0] == 0.0 and b["problem"]["hidden"] == 2 for b in branches)
    g = [b["reduced_value"] for b in branches]
    assert g == sorted(g) and len(set(g)) == 3
    assert cli.main([*argv, "--branches", "1", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert text.count("branch ") >= 1 and "branch 1:" not in text
    loaded = homotopy.load_path(tmp_path / "br-branch0.npz")
    assert loaded.lam[0] == 0.0 and loaded.status is homotopy.Status.DIVERGED
    assert cli.main(["trace", "hidden_pair", "--hidden", "0", "--quiet"]) == 2
    assert "--hidden: expected a positive number" in capsys.readouterr().err


def test_solutions_lists_every_point_with_its_certificate(capsys):
    data = "fold"
    assert cli.main(["solutions", data, "--quiet", "--batch", "8", "--rounds", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["lam"] == 1.0 and out["points"]
    best = out["points"][0]
    assert best["kind"] == "minimum" and best["certified"] and best["gradient_norm"] < 1e-12
    assert best["certificate_radius"] > 0 and set(best["found_by"]) <= {
        "lambda_path", "targets", "deflation",
    }  # fmt: skip
    assert sum(r["runs"] for r in out["rounds"]) > 1
    assert cli.main(["solutions", data, "--quiet", "--batch", "8", "--rounds", "2"]) == 0
    text = capsys.readouterr().out
    assert "isolated stationary point(s)" in text and "certified" in text
    assert cli.main(["solutions", data, "--quiet", "--lam", "2"]) == 2
    assert "lam:" in capsys.readouterr().err
