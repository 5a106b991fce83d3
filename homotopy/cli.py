"""The ``homotopy`` command (also ``python -m homotopy``).

Subcommands:

- ``homotopy demo [--out DIR] [--all] [--no-figures]``: trace the built-in fold and smooth
  examples, print a summary, write the teaching figures as PNG into ``DIR`` (default
  ``./homotopy-out``).
- ``homotopy trace DATA [options] [--out PATH.npz] [--json]``: trace the natural homotopy of a
  data set. ``DATA`` is an ``.npz`` file with arrays ``X`` (L, n_in) and ``d`` (L,) or (L, m),
  a ``.csv`` file whose last column is the target (a first row with no number in it is a
  header, echoed in the summary), or the name of a built-in data set (`homotopy.datasets`).
- ``homotopy curvature DATA --lam L [--w W ...]``: curvature, focal distances and the
  uniqueness radius at the solution(s) of the path at λ = L (or at the weights given).
- ``homotopy plot PATH.npz [--data DATA] [--out FIG.png]``: draw a saved path; ``--data``
  must be the data (and options) it was traced on, checked by the fingerprint saved with it.

Bad input (a missing or unreadable file, wrong shapes, NaN, a rank-deficient X, an unknown
activation or option) ends with one line ``homotopy: error: …`` on stderr and exit code 2,
never a traceback (``--debug`` shows it). A traced path exits 0 whatever its status (the
status is in the output). Output files are written atomically (temp file + rename). A
progress line is drawn on stderr only when stderr is a terminal and ``--quiet`` is not given.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import math
import os
import sys
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

import numpy as np


ACTIVATIONS = ("tanh", "logistic", "arctan", "erf", "softsign")
OBJECTIVES = ("least_squares", "interpolation")
DEMO_LAM = 0.95  # between the fold example's turning points (λ ≈ 0.9313 and λ ≈ 0.9655)


# ----------------------------------------------------------------------------- progress


class Progress:
    """A tqdm progress bar on `stream` (stderr) for multi-step work, with a tiny interface.

    Drawn only when `enabled` and the stream is a terminal; otherwise nothing at all is
    written, so no progress reaches a pipe or a log file. `echo` prints a line to stdout
    without tearing the bar. A context manager: the bar is removed on exit.
    """

    def __init__(self, total: int, *, enabled: bool = True, stream: TextIO | None = None):
        from tqdm import tqdm

        stream = sys.stderr if stream is None else stream
        isatty = getattr(stream, "isatty", None)
        self.enabled = bool(enabled and callable(isatty) and isatty())
        self._bar = tqdm(
            total=max(1, int(total)),
            file=stream,
            disable=not self.enabled,
            leave=False,
            dynamic_ncols=True,
            bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}]",
        )

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self, label: str) -> None:
        """Announce the next unit of work."""
        self._bar.set_description_str(label)

    def advance(self, n: int = 1) -> None:
        """Mark `n` units done."""
        self._bar.update(n)

    def iterate(self, items: Iterable[Any], label: str) -> Iterable[Any]:
        """Yield `items`, advancing the bar after each."""
        for i, item in enumerate(items):
            self.start(f"{label} {i + 1}")
            yield item
            self.advance()

    def echo(self, text: str = "") -> None:
        """Print `text` to stdout, keeping the bar intact."""
        if self.enabled:
            self._bar.clear()
        print(text, flush=True)
        if self.enabled:
            self._bar.refresh()

    def close(self) -> None:
        """Remove the bar."""
        self._bar.close()


# ----------------------------------------------------------------------------- data input


def _fmt_err(err: BaseException) -> str:
    if isinstance(err, OSError) and err.strerror:
        return f"{err.strerror}: {err.filename}" if err.filename else err.strerror
    if isinstance(err, KeyError) and err.args:
        return str(err.args[0])
    return " ".join(str(err).split()) or type(err).__name__


def _read_npz(file: str) -> tuple[np.ndarray, np.ndarray]:
    if not zipfile.is_zipfile(file):
        raise ValueError(f"DATA: {file!r} is not an .npz archive (arrays X and d, np.savez)")
    try:
        # our own handle: np.load leaks the one it opens when the archive is damaged
        with open(file, "rb") as fh, np.load(fh, allow_pickle=False) as z:
            if not hasattr(z, "files"):
                raise ValueError("it holds a single array, not the arrays X and d")
            missing = [k for k in ("X", "d") if k not in z.files]
            if missing:
                raise ValueError(
                    f"no array {missing[0]!r}; an .npz needs arrays 'X' (L, n_in) and 'd' "
                    f"(L,), found {sorted(z.files)}"
                )
            X, d = np.array(z["X"]), np.array(z["d"])
    except (
        ValueError, OSError, zipfile.BadZipFile, EOFError, KeyError, NotImplementedError,
        zlib.error,
    ) as err:  # fmt: skip
        # KeyError, NotImplementedError, zlib.error: a damaged archive's directory or member
        if isinstance(err, FileNotFoundError):
            raise
        raise ValueError(f"DATA: cannot read {file!r} as .npz: {_fmt_err(err)}") from None
    return X, d


def _read_csv(file: str) -> tuple[np.ndarray, np.ndarray, list[str] | None]:
    """``(X, d, header)`` of a CSV file: the first row is a header (returned, else ``None``)
    only when none of its cells is a number, so a typo in the first data row is an error,
    not a row silently dropped; a UTF-8 byte-order mark is ignored, and a quoted cell is
    read without its quotes."""
    try:
        with open(file, encoding="utf-8-sig") as fh:  # -sig: a BOM is not part of cell 1
            lines = fh.read().splitlines()
    except UnicodeDecodeError:
        raise ValueError(f"DATA: {file!r} is not a UTF-8 text (CSV) file") from None
    rows: list[list[float]] = []
    header: list[str] | None = None
    header_line = 0
    for i, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        # csv, not str.split: a spreadsheet's quoted "1" is a number (split kept the quotes,
        # so a quoted first data row was taken for a header and dropped)
        cells = [c.strip() for c in next(csv.reader([text], skipinitialspace=True), [""])]
        numeric = [_is_float(c) for c in cells]
        if not rows and header is None and not any(numeric):
            header, header_line = cells, i  # a header row: kept for the summary, once
            continue
        if not all(numeric):
            col = numeric.index(False)
            hint = (
                " (the first row is a header only when none of its cells is a number)"
                if not rows and header is None
                else ""
            )
            raise ValueError(
                f"DATA: {file}, line {i}: cannot read {cells[col]!r} as a number "
                f"(column {col + 1}){hint}"
            )
        values = [float(c) for c in cells]
        if rows and len(values) != len(rows[0]):
            raise ValueError(
                f"DATA: {file}, line {i}: {len(values)} columns, but the first data row has "
                f"{len(rows[0])}"
            )
        if not rows and header is not None and len(header) != len(values):
            raise ValueError(
                f"DATA: {file}, line {header_line}: the header has {len(header)} columns, "
                f"but the first data row (line {i}) has {len(values)}"
            )
        rows.append(values)
    if not rows:
        raise ValueError(f"DATA: {file} has no data rows")
    A = np.array(rows)
    if A.shape[1] < 2:
        raise ValueError(
            f"DATA: {file} has {A.shape[1]} column; a CSV needs at least 2 (the inputs, then "
            "the target in the last column)"
        )
    return A[:, :-1], A[:, -1], header


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def load_data(spec: str) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """``(X, d, defaults)`` from a file or a built-in data set name.

    `defaults` holds the built-in set's ``objective`` and ``bias`` (empty for a file).

    **Raises:** `ValueError` with a one-line message for a missing/unreadable file, an
    unsupported suffix, a CSV cell that is not a number (naming its line and column), or
    arrays of the wrong shape, with NaN, or a rank-deficient X.
    """
    X, d, defaults, _ = _load(spec)
    return X, d, defaults


def _load(spec: str) -> tuple[np.ndarray, np.ndarray, dict[str, Any], list[str] | None]:
    """`load_data` and the CSV's header row (``None`` without one)."""
    from . import datasets

    if not os.path.exists(spec) and spec in datasets.DATASETS:
        ds = datasets.load(spec)
        defaults = {"objective": ds.objective, "bias": ds.bias}
        return np.asarray(ds.X), np.asarray(ds.d), defaults, None
    if not os.path.exists(spec):
        raise ValueError(
            f"DATA: no such file {spec!r} (give an .npz or .csv file, or a built-in data set: "
            f"{', '.join(datasets.DATASETS)})"
        )
    if os.path.isdir(spec):
        raise ValueError(f"DATA: {spec!r} is a directory, not a data file")
    suffix = os.path.splitext(spec)[1].lower()
    if suffix == ".npz":
        return *_read_npz(spec), {}, None
    if suffix in (".csv", ".txt"):
        X, d, header = _read_csv(spec)
        return X, d, {}, header
    raise ValueError(
        f"DATA: unsupported file type {suffix or '(none)'!r}; use .npz (arrays X, d) or "
        ".csv (last column the target)"
    )


def check_data(X: Any, d: Any, bias: bool) -> tuple[np.ndarray, np.ndarray]:
    """Shapes, finiteness and rank of the data, with one-line messages naming the problem."""
    from ._checks import check_real_dtype

    try:
        X, d = np.asarray(X), np.asarray(d)
        # complex data (an .npz) is refused, not cast: a cast drops the imaginary part with
        # only numpy's warning; dates, records and strings are not numbers either
        check_real_dtype("DATA: X", X)
        check_real_dtype("DATA: d", d)
        with np.errstate(over="ignore"):  # a longdouble past float64's range: inf, refused below
            X = np.asarray(X, dtype=np.float64)
            d = np.asarray(d, dtype=np.float64)
    except TypeError:
        raise ValueError("DATA: X and d must be real numeric arrays") from None
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"DATA: X must be a non-empty 2-D array (L, n_in), got shape {X.shape}")
    if d.ndim not in (1, 2) or d.size == 0:
        raise ValueError(f"DATA: d must be a 1-D (L,) or 2-D (L, m) array, got shape {d.shape}")
    if d.shape[0] != X.shape[0]:
        raise ValueError(
            f"DATA: d has {d.shape[0]} targets but X has {X.shape[0]} patterns (rows); "
            "they must match"
        )
    for name, a in (("X", X), ("d", d)):
        bad = ~np.isfinite(a)
        if bad.any():
            row = int(np.argwhere(bad)[0][0])
            raise ValueError(
                f"DATA: {name} contains NaN or infinite entries (first in data row {row + 1}); "
                "remove or fill them"
            )
    from .problems import RankError, linear_start

    design = np.hstack([X, np.ones((X.shape[0], 1))]) if bias else X
    try:
        linear_start(design, d.reshape(X.shape[0], -1))
    except RankError as err:
        what = "X with the bias column" if bias else "X"
        raise ValueError(
            f"DATA: {what} has rank {err.rank} < {err.s} columns (L = {X.shape[0]} patterns): "
            "rank-deficient, so the linear start X⁺d is not unique; remove dependent "
            "columns or add patterns"
        ) from None
    except ValueError as err:  # e.g. X⁺d overflows float64: the data's fault, named as such
        raise ValueError(f"DATA: {err}") from None
    return X, d


def build_problem(args: argparse.Namespace):
    """The `NaturalHomotopy` of ``args.data`` with the command-line options, or with
    ``--hidden H`` the `MLPHomotopy` with H hidden units."""
    return _build(args)[0]


def _build(args: argparse.Namespace) -> tuple[Any, list[str] | None]:
    """`build_problem` and the data's CSV header row (``None`` without one)."""
    from .problems import NaturalHomotopy

    X, d, defaults, header = _load(args.data)
    objective = args.objective or defaults.get("objective", "least_squares")
    bias = args.bias if args.bias is not None else defaults.get("bias", False)
    X, d = check_data(X, d, bias)
    hidden = getattr(args, "hidden", None)
    if hidden is not None:
        from .mlp import MLPHomotopy

        if hidden < 1:
            raise ValueError(f"--hidden: expected a positive number of hidden units, got {hidden}")
        if objective != "least_squares":
            raise ValueError("--hidden: a hidden-layer network needs --objective least_squares")
        return MLPHomotopy(X, d, hidden, args.activation, bias=bias), header
    return NaturalHomotopy(X, d, args.activation, objective, bias=bias), header


def _track_options(args: argparse.Namespace) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    for key in ("tol", "max_steps", "method"):
        value = getattr(args, key, None)
        if value is not None:
            opts[key] = value
    if getattr(args, "lam_span", None) is not None:
        opts["lam_span"] = tuple(args.lam_span)
    return opts


# ----------------------------------------------------------------------------- output


def _jsonable(x: Any) -> Any:
    """Plain JSON values: arrays to lists, non-finite floats to ``null``."""
    if x is None or isinstance(x, bool | str):
        return x
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    if isinstance(x, int | np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        v = float(x)
        return v if math.isfinite(v) else None
    return str(x)


def _dumps(payload: dict[str, Any]) -> str:
    return json.dumps(_jsonable(payload), allow_nan=False, ensure_ascii=False)


def _end_metrics(problem, path) -> dict[str, float | None]:
    import jax.numpy as jnp

    if path.w_end is None:
        return {"residual_norm_H": None, "error": None}
    w = jnp.asarray(path.w_end)
    lam = path.lam_span[1]
    res = float(np.linalg.norm(np.asarray(problem.H(w, lam))))
    err = float(problem.error(w, lam)) if hasattr(problem, "error") else None
    return {"residual_norm_H": res, "error": err}


def _problem_payload(problem) -> dict[str, Any]:
    if hasattr(problem, "hidden"):  # an MLPHomotopy
        return {
            "L": problem.n_patterns,
            "inputs": problem.n_inputs,
            "hidden": problem.hidden,
            "m": problem.n_outputs,
            "activation": problem.activation.name,
            "bias": problem.bias,
            "output_bias": problem.output_bias,
            "output": problem.output,
        }
    return {
        "L": problem.n_patterns,
        "s": problem.n_features,
        "m": problem.n_outputs,
        "activation": problem.activation.name,
        "objective": problem.objective,
        "bias": problem.bias,
    }


def path_payload(problem, path) -> dict[str, Any]:
    """The JSON document of ``trace --json``."""
    return {
        "status": path.status.value,
        "message": path.message,
        "problem": _problem_payload(problem),
        "lam_span": list(path.lam_span),
        "lam": path.lam,
        "s": path.s,
        "w": path.w,
        "events": [{"kind": e.kind, "lam": e.lam, "s": e.s, "w": e.w} for e in path.events],
        "w_end": path.w_end,
        "direction": path.direction,
        "stats": dict(path.stats),
        **_end_metrics(problem, path),
    }


def _vec(w: Any, precision: int = 10) -> str:
    return np.array2string(np.asarray(w), precision=precision, separator=", ")


def summary(name: str, problem, path, header: Sequence[str] | None = None) -> str:
    """A readable multi-line summary of a traced path (with the data's CSV `header` row)."""
    lines = [f"{name}", f"  problem  {problem!r}"]
    if header is not None:  # echoed: the user sees which row was taken for the header
        lines.append(f"  header   {', '.join(header)} (the CSV's first row; target last)")
    lines.append(f"  status   {path.status.value}: {path.message}")
    st = path.stats
    lines.append(
        f"  steps    {st['steps']} accepted, {st['rejected_steps']} rejected, "
        f"{st['newton_iterations']} Newton iterations, {st['jacobian_evaluations']} Jacobians, "
        f"{st['jvp_evaluations']} Jacobian-vector products"
    )
    if not path.events:
        lines.append("  events   none")
    for e in path.events:
        lines.append(f"  event    {e.kind.replace('_', ' ')} at λ = {e.lam:.12f} (s = {e.s:.6f})")
    lam1 = path.lam_span[1]
    if path.w_end is not None:
        m = _end_metrics(problem, path)
        lines.append(f"  endpoint w(λ={lam1:g}) = {_vec(path.w_end, 12)}")
        err = "" if m["error"] is None else f", error E(w) = {m['error']:.12g}"
        lines.append(f"  check    ‖H(w, λ)‖ = {m['residual_norm_H']:.2e}{err}")
    else:
        lines.append(
            f"  endpoint none (last point λ = {path.lam[-1]:.12g}, ‖w‖ = "
            f"{np.linalg.norm(path.w[-1]):.4g})"
        )
        if path.direction is not None:
            lines.append(f"  direction w/‖w‖ = {_vec(path.direction, 6)}")
    return "\n".join(lines)


def _out_file(file: str) -> str:
    folder = os.path.dirname(os.path.abspath(file))
    if not os.path.isdir(folder):
        raise ValueError(f"--out: the folder {folder!r} does not exist")
    return file


# ----------------------------------------------------------------------------- commands


def _demo(args: argparse.Namespace) -> int:
    from . import datasets
    from .tracker import track

    names = ["smooth", "fold"] + (
        [n for n in datasets.DATASETS if n not in ("smooth", "fold")] if args.all else []
    )
    figures = [] if args.no_figures else [
        "fold-path.png",
        "fold-data-manifold.png",
        "fold-curvature.png",
        "fold-projections.png",
    ]  # fmt: skip
    out = os.path.abspath(args.out)
    if figures:
        try:
            os.makedirs(out, exist_ok=True)
        except OSError as err:
            raise ValueError(f"--out: cannot create the folder {out!r}: {_fmt_err(err)}") from None
    with Progress(len(names) + len(figures), enabled=not args.quiet) as bar:
        paths = {}
        for name in names:
            bar.start(f"tracing {name}")
            ds = datasets.load(name)
            problem = ds.problem()
            path = track(problem)
            paths[name] = (problem, path)
            bar.advance()
            bar.echo(summary(f"[{name}] {ds.description}", problem, path))
            if name == "fold" and path.success:
                ws = path.at(DEMO_LAM)
                bar.echo(f"  at λ = {DEMO_LAM} (between the folds) the path crosses {len(ws)}×:")
                for w in ws:
                    err = float(problem.error(w, DEMO_LAM))
                    bar.echo(f"           w = {_vec(w, 8)}, error E = {err:.8g}")
            bar.echo()
        if not figures:
            return 0
        from . import plotting

        problem, path = paths["fold"]
        makers = {
            "fold-path.png": lambda: plotting.path_diagram(path),
            "fold-data-manifold.png": lambda: plotting.data_manifold(
                problem, (0.0, DEMO_LAM, 1.0), path=path, n=25, n_seeds=8
            ),
            "fold-curvature.png": lambda: plotting.curvature_along_path(problem, path, refine=3),
            "fold-projections.png": lambda: plotting.several_projections(
                problem, DEMO_LAM, path=path, n=25
            ),
        }
        for fname in figures:
            bar.start(f"figure {fname}")
            plotting.save_figure(makers[fname](), os.path.join(out, fname), dpi=90)
            bar.advance()
        bar.echo(f"wrote {len(figures)} figures to {out}{os.sep}:")
        for fname in figures:
            bar.echo(f"  {fname}")
    return 0


def _trace(args: argparse.Namespace) -> int:
    from .tracker import track

    problem, header = _build(args)
    opts = _track_options(args)
    out = _out_file(args.out) if args.out else None
    if getattr(args, "hidden", None) is not None:
        return _trace_hidden(args, problem, opts, out, header)
    with Progress(1 + bool(out), enabled=not args.quiet) as bar:
        bar.start("tracing (the first run compiles)")
        path = track(problem, **opts)
        bar.advance()
        if out:
            bar.start("saving")
            path.save(out)
            if not out.endswith(".npz"):
                out += ".npz"
            bar.advance()
    if args.json:
        print(_dumps({**path_payload(problem, path), "header": header}))
    else:
        print(summary(f"[{args.data}]", problem, path, header))
        if out:
            print(f"path saved to {os.path.abspath(out)}")
    return 0


def _trace_hidden(
    args: argparse.Namespace, problem, opts: dict[str, Any], out, header: list[str] | None
) -> int:
    """``trace --hidden H``: search the linear network's solution manifold for the points
    branches leave from, then trace every branch found (`MLPHomotopy.start_search`)."""
    from .tracker import track

    if args.starts < 1:
        raise ValueError(f"--starts: expected a positive number, got {args.starts}")
    with Progress(1, enabled=not args.quiet) as bar:
        bar.start(f"searching M₀ from {args.starts} random points")
        search = problem.start_search(args.starts, seed=args.seed)
        bar.advance()
    found = search.starts[: args.branches] if args.branches else search.starts
    paths = []
    with Progress(len(found), enabled=not args.quiet) as bar:
        for k, b in enumerate(found):
            bar.start(f"tracing branch {k + 1} of {len(found)}")
            paths.append(track(problem, start=b, **opts))
            bar.advance()
    files = []
    if out:
        stem = out[:-4] if out.endswith(".npz") else out
        for k, path in enumerate(paths):
            files.append(f"{stem}-branch{k}.npz")
            path.save(files[-1])
    head = (
        f"{len(search.starts)} branch(es) leave the linear network's solution manifold M₀ "
        f"(dimension {problem.start_dimension}): of {search.iterations} iterations "
        f"({search.iterations // search.tried} from each of {search.tried} random points of "
        f"M₀), {search.converged} converged to "
        "critical points of the reduced function "
        f"({search.repeated} repeats, {len(search.refused)} degenerate), {search.diverged} ran "
        f"to infinite weights, {search.stalled} stalled"
    )
    if args.json:
        print(
            _dumps(
                {
                    "search": head,
                    "header": header,
                    "branches": [
                        {
                            "reduced_value": b.reduced_value,
                            "index": b.index,
                            "start": b.w,
                            "tangent": b.tangent,
                            **path_payload(problem, path),
                        }
                        for b, path in zip(found, paths, strict=True)
                    ],
                }
            )
        )
        return 0
    print(f"[{args.data}] {head}")
    if header is not None:
        print(f"  header   {', '.join(header)} (the CSV's first row; target last)")
    for k, (b, path) in enumerate(zip(found, paths, strict=True)):
        print(
            summary(f"branch {k}: g = {b.reduced_value:.10g}, index {b.index} on M₀", problem, path)
        )
    for f in files:
        print(f"path saved to {os.path.abspath(f)}")
    return 0


def solutions_payload(res) -> dict[str, Any]:
    """The JSON of a `StationaryPoints` catalogue."""

    def point(q) -> dict[str, Any]:
        cert = q.certificate
        return {
            "w": q.w,
            "error": q.error,
            "gradient_norm": q.gradient_norm,
            "kind": q.kind,
            "index": q.index,
            "nullity": q.nullity,
            "hessian_eigenvalues": q.hessian_eigenvalues,
            "orbit_size": q.orbit_size,
            "copies_found": q.copies_found,
            "found_by": list(q.found_by),
            "hits": q.hits,
            "saturated": q.saturated,
            "certified": q.certified,
            "certificate_radius": None if cert is None or not cert.certified else cert.radius,
        }

    return {
        "lam": res.lam,
        "counts": res.counts(),
        "points": [point(q) for q in res.points],
        "degenerate": [point(q) for q in res.degenerate],
        "diverged": res.diverged,
        "new_in_last_round": res.new_in_last_round,
        "unseen_probability": res.unseen_probability,
        "rounds": [dataclasses.asdict(r) for r in res.rounds],
    }


def _solutions(args: argparse.Namespace) -> int:
    """``solutions``: every stationary point of E_λ found (`homotopy.stationary_points`)."""
    from .stationary import stationary_points

    problem = build_problem(args)
    with Progress(1, enabled=not args.quiet) as bar:
        bar.start(f"searching stationary points at λ = {args.lam:g} (the first run compiles)")
        res = stationary_points(
            problem, args.lam, batch=args.batch, rounds=args.rounds, seed=args.seed
        )
        bar.advance()
    if args.json:
        print(_dumps(solutions_payload(res)))
        return 0
    runs = sum(r.runs for r in res.rounds)
    print(
        f"[{args.data}] {len(res)} isolated stationary point(s) of E at λ = {res.lam:g} from "
        f"{runs} runs ({res.diverged} to infinite weights); the last round found "
        f"{res.new_in_last_round} new; counts {res.counts()}"
    )
    for k, q in enumerate(res.points):
        cert = "certified" if q.certified else "not certified"
        orbit = f", orbit of {q.orbit_size}" if q.orbit_size > 1 else ""
        label = q.kind if q.kind != "saddle" else f"saddle of index {q.index}"
        print(
            f"  {k}: E = {q.error:.12g}  {label}{orbit}  ‖∇E‖ = {q.gradient_norm:.1e}  {cert}"
            f"  (found by {', '.join(q.found_by)}; {q.hits} hits)\n     w = {_vec(q.w)}"
        )
    for q in res.degenerate:
        why = "saturated units" if q.saturated else "a continuum"
        print(
            f"  degenerate ({why}): E = {q.error:.12g}, Hessian eigenvalues: {q.index} "
            f"negative, {q.nullity} zero, {q.hessian_eigenvalues.size - q.index - q.nullity} "
            f"positive; {q.hits} hits"
        )
    return 0


def _curvature(args: argparse.Namespace) -> int:
    from . import geometry
    from .tracker import track

    problem = build_problem(args)
    lam = args.lam
    if not (math.isfinite(lam) and 0.0 <= lam <= 1.0):
        raise ValueError(f"--lam: expected a number in [0, 1], got {lam!r}")
    if not (math.isfinite(args.box) and args.box > 0.0):
        raise ValueError(f"--box: expected a positive number, got {args.box!r}")
    if args.w is not None:
        if len(args.w) != problem.n_unknowns:
            raise ValueError(
                f"--w: expected {problem.n_unknowns} weights for this problem, got {len(args.w)}"
            )
        ws = np.asarray([args.w], dtype=np.float64)
        origin = "given weights"
        path = None
    else:
        with Progress(1, enabled=not args.quiet) as bar:
            bar.start("tracing (the first run compiles)")
            path = track(problem, **_track_options(args))
            bar.advance()
        ws = path.at(lam)
        origin = f"the path's crossings of λ = {lam:g} (path status: {path.status.value})"
        if len(ws) == 0:
            lo, hi = float(np.min(path.lam)), float(np.max(path.lam))
            raise ValueError(
                f"--lam: the path (status {path.status.value}, λ in [{lo:.6g}, {hi:.6g}]) "
                f"never reaches λ = {lam:g}; give weights with --w"
            )
    results = []
    with Progress(len(ws), enabled=not args.quiet) as bar:
        for i, w in enumerate(ws):
            bar.start(f"solution {i + 1}: curvature over the box w ± {args.box:g}")
            k = geometry.max_curvature(problem, w, lam)
            f = geometry.focal_distances(problem, w, lam)
            box = np.stack([w - args.box, w + args.box], axis=-1)
            reg = geometry.max_curvature_over(problem, lam, box, n_seeds=args.seeds, path=path)
            hess = np.asarray(f.hessian_eigenvalues)
            if np.all(hess > 0):
                kind = "local minimum"
            elif np.all(hess < 0):
                kind = "local maximum"
            elif np.any(hess == 0):
                kind = "degenerate"
            else:
                kind = "saddle"
            results.append(
                {
                    "w": w,
                    "error": float(problem.error(w, lam)),
                    "residual_norm": f.residual_norm,
                    "max_curvature": k.value,
                    "max_curvature_certified": k.certified,
                    "local_radius": math.inf if k.value == 0 else 1.0 / k.value,
                    "focal_curvatures": f.curvatures,
                    "focal_distances": f.distances,
                    "nearest_focal_distance": f.nearest,
                    "hessian_eigenvalues_relative": hess,
                    "critical_point": kind,
                    "box_half_width": args.box,
                    "k_max_box": reg.k_max,
                    "k_max_at": reg.w,
                    "uniqueness_radius": reg.radius,
                    "k_max_is": "a numerical lower estimate (ρ = 1/k_max may be too large)",
                    "k_max_history": list(reg.history),
                    "k_max_converged": reg.converged,
                    "seeds": reg.n_seeds,
                    "local_searches": reg.n_local,
                    "saturated_seeds": reg.n_saturated,
                    "k_max_cond": reg.cond,
                    "k_max_at_metric_limit": reg.at_metric_limit,
                    "target_in_tube": bool(f.residual_norm < reg.radius),
                }
            )
            bar.advance()
    if args.json:
        print(_dumps({"lam": lam, "origin": origin, "solutions": results}))
        return 0
    print(f"[{args.data}] {problem!r}")
    print(f"λ = {lam:g}: {len(results)} point(s) from {origin}")
    for i, r in enumerate(results, start=1):
        inf = "∞"

        def num(v: float, fmt: str = ".6g", inf: str = inf) -> str:
            return inf if not math.isfinite(v) else format(v, fmt)

        print(f"  [{i}] w = {_vec(r['w'], 8)}")
        print(f"      error E = {r['error']:.8g}, residual ‖r‖ = {r['residual_norm']:.8g}")
        print(
            f"      max curvature k(w) = {num(r['max_curvature'])} "
            f"(local radius 1/k = {num(r['local_radius'])})"
        )
        fd = ", ".join(num(v) for v in np.asarray(r["focal_distances"]))
        print(
            f"      focal distances 1/κ along r: [{fd}], nearest {num(r['nearest_focal_distance'])}"
        )
        he = ", ".join(f"{v:.6g}" for v in r["hessian_eigenvalues_relative"])
        print(f"      error Hessian eigenvalues 1 − ‖r‖κ: [{he}] → {r['critical_point']}")
        print(
            f"      over the box w ± {r['box_half_width']:g}: k_max = {num(r['k_max_box'])}, "
            f"uniqueness radius ρ = 1/k_max = {num(r['uniqueness_radius'])}"
        )
        conv = (
            "converged (rounds in a row without a rise: evidence, not proof)"
            if r["k_max_converged"]
            else "not converged when the rounds ran out"
        )
        sat = f", {r['saturated_seeds']} saturated seeds skipped" if r["saturated_seeds"] else ""
        print(
            f"      (k_max is a numerical lower estimate, so ρ may be too large: "
            f"{r['seeds']} seeds, {r['local_searches']} local searches, {conv}{sat}; "
            "`curvature_bound` proves bounds)"
        )
        if r["k_max_at_metric_limit"]:
            print(
                f"      (k_max lies where cond JᵀJ = {r['k_max_cond']:.2g} reaches the limit of "
                "float64: k typically rises beyond it, so the true maximum is likely larger)"
            )
        verdict = (
            "‖r‖ < ρ: the projection is unique within the tube"
            if r["target_in_tube"]
            else "‖r‖ ≥ ρ: the tube bound does not guarantee a unique projection"
        )
        print(f"      {verdict}")
    return 0


def _plot(args: argparse.Namespace) -> int:
    from .manifold import dimensions
    from .path import load_path, problem_fingerprint

    file = args.path
    if not os.path.isfile(file):
        raise ValueError(f"PATH: no such file {file!r} (a path saved by 'homotopy trace --out')")
    if not zipfile.is_zipfile(file):
        raise ValueError(f"PATH: {file!r} is not an .npz file saved by 'homotopy trace --out'")
    try:
        path = load_path(file)
    except ValueError as err:  # load_path's messages name the file as "file: 'P.npz' …"
        raise ValueError(f"PATH: {str(err).removeprefix('file: ')}") from None
    except (zipfile.BadZipFile, EOFError, OSError) as err:
        raise ValueError(f"PATH: cannot read {file!r}: {_fmt_err(err)}") from None
    out = args.out or os.path.splitext(file)[0] + ".png"
    stem, suffix = os.path.splitext(out)
    if not suffix:
        raise ValueError(f"--out: give a file name with a suffix (.png, .svg, .pdf), got {out!r}")
    _out_file(out)
    problem = None
    jobs = [(out, "path diagram")]
    if args.data is not None:
        problem = build_problem(args)
        if problem.n_unknowns != path.w.shape[1]:
            raise ValueError(
                f"--data: the path has {path.w.shape[1]} weights but this problem has "
                f"{problem.n_unknowns} (check --bias and the data file)"
            )
        if path.fingerprint is None:
            print(
                f"homotopy: note: {file} holds no fingerprint of its data (saved by an older "
                "version), so --data could not be checked against it",
                file=sys.stderr,
            )
        elif problem_fingerprint(problem) != path.fingerprint:
            raise ValueError(
                f"--data: {args.data!r} with these options (--activation, --objective, --bias) "
                f"is not the problem {file!r} was traced on (its fingerprint differs); give "
                "the data and options used with 'homotopy trace'"
            )
        path = dataclasses.replace(path, problem=problem)
        jobs.append((f"{stem}-curvature{suffix}", "curvature along the path"))
        if dimensions(problem) == (3, 2):  # a surface in R³: M = L·m = 3, n = s·m = 2
            jobs.append((f"{stem}-manifold{suffix}", "data manifold"))
    from . import plotting

    with Progress(len(jobs), enabled=not args.quiet) as bar:
        for target, what in jobs:
            bar.start(what)
            if what == "path diagram":
                fig = plotting.path_diagram(path)
            elif what == "data manifold":
                lams = sorted({0.0, 0.5, float(np.clip(path.lam[-1], 0.0, 1.0))})
                fig = plotting.data_manifold(problem, lams, path=path, n=25, n_seeds=8)
            else:
                fig = plotting.curvature_along_path(problem, path)
            plotting.save_figure(fig, target)
            bar.advance()
    for target, what in jobs:
        print(f"wrote {what} to {os.path.abspath(target)}")
    return 0


# ----------------------------------------------------------------------------- parser


class _Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (exit code 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"homotopy: error: {message} (see '{self.prog} --help')\n")


def _problem_args(p: argparse.ArgumentParser, *, data_required: bool = True) -> None:
    if data_required:
        p.add_argument(
            "data",
            metavar="DATA",
            help=".npz (arrays X, d), .csv (last column the target) or a built-in data set "
            "name (fold, smooth, divergent, xor, colah_1d, spirals, pitchfork, hidden_pair)",
        )
    p.add_argument("--activation", default="tanh", choices=ACTIVATIONS, help="default tanh")
    p.add_argument(
        "--objective",
        choices=OBJECTIVES,
        default=None,
        help="default least_squares (a built-in data set brings its own)",
    )
    p.add_argument(
        "--bias",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="append a constant input 1 (default off; a built-in data set brings its own)",
    )


def _track_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--method", choices=("arclength", "natural"), default=None)
    p.add_argument("--tol", type=float, default=None, help="corrector tolerance (1e-10)")
    p.add_argument("--max-steps", type=int, default=None, help="accepted steps at most (2000)")
    p.add_argument(
        "--lam-span", type=float, nargs=2, metavar=("A", "B"), default=None,
        help="trace λ from A to B (default 0 1)",
    )  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``homotopy`` command."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bar (also off when not a TTY)"
    )
    common.add_argument(
        "--debug", action="store_true", help="show a traceback instead of a one-line error"
    )
    parser = _Parser(
        prog="homotopy",
        description="Natural-homotopy continuation: from the linear network to the sigmoidal "
        "one (Coetzee & Stonick 1996).",
        epilog="Exit codes: 0 done (a traced path's status is in the output), 2 bad input.",
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"homotopy {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        parents=[common],
        help="trace the built-in examples, print a summary and write figures",
        description="Trace the built-in smooth and fold examples (a 3×2 problem whose path "
        "has a fold pair), print a summary and write the teaching figures as PNG.",
    )
    demo.add_argument("--out", default="homotopy-out", help="figure folder (./homotopy-out)")
    demo.add_argument("--all", action="store_true", help="also trace every other built-in set")
    demo.add_argument("--no-figures", action="store_true", help="only trace and print")
    demo.set_defaults(func=_demo)

    trace = sub.add_parser(
        "trace",
        parents=[common],
        help="trace the natural homotopy of a data set",
        description="Trace the natural homotopy of DATA from λ = 0 to 1 and print a summary, "
        "or the whole path as JSON with --json.",
    )
    _problem_args(trace)
    _track_args(trace)
    trace.add_argument("--out", metavar="FILE.npz", help="save the path (atomically) as .npz")
    trace.add_argument("--json", action="store_true", help="print the path as JSON on stdout")
    trace.add_argument(
        "--hidden", type=int, default=None, metavar="H",
        help="a network with H hidden units: trace every branch leaving the linear network",
    )  # fmt: skip
    trace.add_argument(
        "--starts", type=int, default=16, help="with --hidden: random points of M₀ (16)"
    )
    trace.add_argument("--seed", type=int, default=0, help="with --hidden: their seed (0)")
    trace.add_argument(
        "--branches", type=int, default=None, help="with --hidden: trace the first K branches"
    )
    trace.set_defaults(func=_trace)

    curv = sub.add_parser(
        "curvature",
        parents=[common],
        help="curvature and uniqueness radius at the solution(s) at λ",
        description="At the path's solutions at λ (or at --w): the data manifold's max "
        "curvature, the focal distances along the residual, and the uniqueness radius "
        "ρ = 1/k_max over a box around the solution.",
    )
    _problem_args(curv)
    _track_args(curv)
    curv.add_argument("--lam", type=float, required=True, help="λ in [0, 1]")
    curv.add_argument("--w", type=float, nargs="+", default=None, help="weights (skip tracing)")
    curv.add_argument("--box", type=float, default=1.0, help="box half-width around w (1.0)")
    curv.add_argument(
        "--seeds", type=int, default=32, help="seeds per scale in the box (a power of two; 32)"
    )
    curv.add_argument("--json", action="store_true", help="print the results as JSON")
    curv.set_defaults(func=_curvature)

    sol = sub.add_parser(
        "solutions",
        parents=[common],
        help="every stationary point of the error at λ, classified and certified",
        description="Search the stationary points of E_λ (the λ-path, target homotopies and "
        "deflation, in rounds until one finds nothing new); print each one's error, Hessian "
        "inertia, symmetry orbit and certificate, or all of it as JSON with --json.",
    )
    _problem_args(sol)
    sol.add_argument("--lam", type=float, default=1.0, help="λ in [0, 1] (1)")
    sol.add_argument("--hidden", type=int, default=None, metavar="H", help="H hidden units")
    sol.add_argument("--batch", type=int, default=32, help="runs per method and round (32)")
    sol.add_argument("--rounds", type=int, default=8, help="rounds at most (8)")
    sol.add_argument("--seed", type=int, default=0, help="of the random weights (0)")
    sol.add_argument("--json", action="store_true", help="print the catalogue as JSON")
    sol.set_defaults(func=_solutions)

    plot = sub.add_parser(
        "plot",
        parents=[common],
        help="draw a saved path",
        description="Draw a path saved by 'homotopy trace --out': λ(s) and ‖w‖(λ); with "
        "--data also the curvature along the path (and the data manifold for a 3×2 problem).",
    )
    plot.add_argument("path", metavar="PATH.npz", help="a path saved by 'homotopy trace --out'")
    plot.add_argument("--data", default=None, help="the data the path was traced on")
    _problem_args(plot, data_required=False)
    plot.add_argument("--out", default=None, help="figure file (default PATH.png)")
    plot.set_defaults(func=_plot)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``homotopy`` command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("homotopy: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (``homotopy trace … --json | head``)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error while Python flushes stdout
        return 141
    except (ValueError, OSError, KeyError, zipfile.BadZipFile, np.linalg.LinAlgError) as err:
        if args.debug:
            raise
        print(f"homotopy: error: {_fmt_err(err)}", file=sys.stderr)
        return 2
    except Exception as err:  # never a traceback for the user; --debug shows it
        if args.debug:
            raise
        print(
            f"homotopy: internal error: {type(err).__name__}: {_fmt_err(err)} "
            "(rerun with --debug for the traceback)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
