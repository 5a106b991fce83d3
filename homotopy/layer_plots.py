r"""Colah-style pictures of a 2-D layer $x \mapsto \sigma_\lambda(Wx + b)$ deforming the plane.

After C. Olah, *Neural Networks, Manifolds, and Topology* (2014). A square grid and a two-class
data set are pushed through the layer for λ from 0 (the affine map $Wx + b$) to 1 (the full
nonlinearity): with a non-singular $W$ the grid is bent smoothly but never torn or folded (a
homeomorphism onto the image); with a singular $W$ the whole plane collapses onto a line
(λ = 0) or a curve (λ > 0), and points of both classes land on top of each other.

- `layer_deformation`: one row of panels, the input and its image at several λ.
- `homeomorphism_comparison`: two such rows, a non-singular and a singular W.
- `layer_animation`: a `matplotlib.animation.FuncAnimation` over λ ∈ [0, 1], optionally saved
  as an animated GIF (Pillow).

As in `homotopy.plotting`, figures are built as `matplotlib.figure.Figure` objects (no pyplot,
never ``show``): they work headless; write them with ``fig.savefig`` or
`homotopy.plotting.save_figure`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from matplotlib.animation import FuncAnimation, PillowWriter
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure
from matplotlib.lines import Line2D

from ._io import atomic_path
from .activations import Activation
from .layers import Layer, as_layer, grid_lines, two_class_data


__all__ = ["homeomorphism_comparison", "layer_animation", "layer_deformation"]

CLASS_COLORS = ("#1f77b4", "#d62728")
GRID_COLORS = ("#7f7f7f", "#bcbd22")  # horizontal lines, vertical lines
KERNEL_COLOR = "#2ca02c"
RANGE_COLOR = "#555555"
DEFAULT_LAMS = (0.0, 0.25, 0.5, 0.75, 1.0)

ActivationArg = str | Callable[[Any], Any] | Activation


# ----------------------------------------------------------------------------- validation


def _check_lams(lams: Any) -> np.ndarray:
    try:
        arr = np.asarray(lams, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise ValueError(f"lams: expected a sequence of floats in [0, 1], got {lams!r}") from None
    if arr.size == 0 or not np.all((arr >= 0.0) & (arr <= 1.0)):
        raise ValueError(f"lams: expected a non-empty sequence of floats in [0, 1], got {lams!r}")
    return arr


def _check_data(data: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """None → Colah's two curves; a kind name; a pair (x (N, 2), labels (N,)); False → none."""
    if data is False:
        return None
    if data is None:
        return two_class_data("curves")
    if isinstance(data, str):
        try:
            return two_class_data(data)
        except ValueError as err:
            raise ValueError(f"data: {err}") from None
    try:
        x, labels = data
        x = np.asarray(x, dtype=np.float64)
        labels = np.asarray(labels)
    except (TypeError, ValueError):
        raise ValueError(
            "data: expected None, a kind name, False or a pair (x of shape (N, 2), labels (N,))"
        ) from None
    if x.ndim != 2 or x.shape[1] != 2 or labels.shape != (x.shape[0],):
        raise ValueError(
            f"data: expected x of shape (N, 2) and labels of shape (N,), got {x.shape} and "
            f"{labels.shape}"
        )
    if not np.all(np.isfinite(x)):
        raise ValueError("data: the points must be finite")
    return x, labels


def _check_positive_int(name: str, value: Any, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
        raise ValueError(f"{name}: expected an integer ≥ {least}, got {value!r}")
    return int(value)


# ----------------------------------------------------------------------------- drawing


def _headline(layer: Layer) -> str:
    name = layer.activation.name
    if layer.rank == 2:
        return (
            f"{name} layer, W non-singular (det W = {layer.det:.3g}): "
            "a homeomorphism onto its image — the plane is bent, never torn or glued"
        )
    where = "a line (λ = 0) and a curve (λ > 0)" if layer.rank == 1 else "a single point"
    return (
        f"{name} layer, W singular (det W = 0, rank {layer.rank}): collapses the plane onto "
        f"{where} — not a homeomorphism"
    )


def _class_colors(labels: np.ndarray) -> list[str]:
    classes = np.unique(labels)
    lookup = {c: CLASS_COLORS[i % len(CLASS_COLORS)] for i, c in enumerate(classes)}
    return [lookup[c] for c in labels]


def _kernel_lines(layer: Layer, lim: float, n: int = 5) -> list[np.ndarray]:
    """For rank-1 W: a few lines x₀ + s·k (k spanning ker W) through the box; each one is glued
    to a single point by the layer."""
    k = layer.kernel
    if k is None:
        return []
    normal = np.array([-k[1], k[0]])
    s = np.linspace(-3 * lim, 3 * lim, 2)
    return [c * normal + s[:, None] * k for c in np.linspace(-0.8 * lim, 0.8 * lim, n)]


def _map_lines(layer: Layer, lines: list[np.ndarray], lam: float) -> list[np.ndarray]:
    """Every polyline through the layer in one vectorised call."""
    if not lines:
        return []
    image = np.asarray(layer(np.concatenate(lines), lam))
    return np.split(image, np.cumsum([len(line) for line in lines])[:-1])


def _draw_panel(
    ax: Axes,
    lines: list[np.ndarray],
    n_horizontal: int,
    points: np.ndarray | None,
    colors: list[str] | None,
) -> tuple[list[Line2D], Any]:
    artists = []
    for i, line in enumerate(lines):
        color = GRID_COLORS[0] if i < n_horizontal else GRID_COLORS[1]
        (art,) = ax.plot(line[:, 0], line[:, 1], color=color, lw=0.8, alpha=0.85, zorder=1)
        artists.append(art)
    scatter = None
    if points is not None:
        scatter = ax.scatter(
            points[:, 0], points[:, 1], c=colors, s=9, linewidths=0, alpha=0.9, zorder=3
        )
    ax.set_aspect("equal", adjustable="datalim")
    ax.tick_params(labelsize=7)
    return artists, scatter


def _draw_range_box(ax: Axes, layer: Layer) -> None:
    lo, hi = layer.activation.range
    if np.isfinite(lo) and np.isfinite(hi):
        xs = [lo, hi, hi, lo, lo]
        ys = [lo, lo, hi, hi, lo]
        ax.plot(xs, ys, color=RANGE_COLOR, lw=0.8, ls=":", zorder=0)


def _deformation_row(
    fig: Figure | SubFigure,
    layer: Layer,
    lams: np.ndarray,
    data: tuple[np.ndarray, np.ndarray] | None,
    grid: bool,
    lim: float,
    n_lines: int,
    show_input: bool,
) -> list[Axes]:
    lines = grid_lines(lim, n_lines, 121)  # validates lim and n_lines either way
    lines = lines if grid else []
    points, colors = (None, None) if data is None else (data[0], _class_colors(data[1]))
    glued = _kernel_lines(layer, lim)
    n_cols = len(lams) + int(show_input)
    axes = list(np.atleast_1d(fig.subplots(1, n_cols, squeeze=False)[0]))
    col = 0
    if show_input:
        ax = axes[0]
        _draw_panel(ax, lines, n_lines, points, colors)
        for gl in glued:
            ax.plot(gl[:, 0], gl[:, 1], color=KERNEL_COLOR, lw=1.2, ls="--", zorder=2)
        ax.set_xlim(-1.15 * lim, 1.15 * lim)
        ax.set_ylim(-1.15 * lim, 1.15 * lim)
        ax.set_aspect("equal", adjustable="box")
        title = "input x"
        if glued:
            title += "\n(green: lines along ker W)"
        ax.set_title(title, fontsize=9)
        col = 1
    for lam in lams:
        ax = axes[col]
        mapped = _map_lines(layer, lines, lam)
        mapped_points = None if points is None else np.asarray(layer(points, lam))
        _draw_panel(ax, mapped, n_lines, mapped_points, colors)
        for gl in glued:  # each glued line lands on one point
            image = np.asarray(layer(gl[:1], lam))
            ax.plot(
                image[:, 0], image[:, 1], "X", color=KERNEL_COLOR, ms=7, mec="k", mew=0.5, zorder=4
            )
        if lam == 1.0:
            _draw_range_box(ax, layer)
        ax.set_title(f"λ = {lam:g}", fontsize=9)
        col += 1
    fig.suptitle(_headline(layer), fontsize=10)
    return axes


def _legend(fig: Figure, data: Any, layer_or_layers: Sequence[Layer]) -> None:
    handles = [
        Line2D([], [], color=GRID_COLORS[0], lw=1, label="horizontal grid lines"),
        Line2D([], [], color=GRID_COLORS[1], lw=1, label="vertical grid lines"),
    ]
    if data is not None:
        labels = np.unique(data[1])
        for i, c in enumerate(labels):
            handles.append(
                Line2D(
                    [], [], ls="", marker="o", ms=5, color=CLASS_COLORS[i % 2], label=f"class {c}"
                )
            )
    if any(layer.kernel is not None for layer in layer_or_layers):
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker="X",
                ms=7,
                color=KERNEL_COLOR,
                mec="k",
                label="image of a whole green line",
            )
        )
    if any(np.all(np.isfinite(layer.activation.range)) for layer in layer_or_layers):
        handles.append(Line2D([], [], color=RANGE_COLOR, ls=":", label="range of σ (λ = 1)"))
    fig.legend(
        handles=handles, loc="outside lower center", ncol=len(handles), fontsize=8, frameon=False
    )


# ----------------------------------------------------------------------------- public figures


def layer_deformation(
    W: Any,
    b: Any,
    lams: Sequence[float] = DEFAULT_LAMS,
    *,
    activation: ActivationArg = "tanh",
    data: Any = None,
    grid: bool = True,
    lim: float = 1.5,
    n_lines: int = 13,
    show_input: bool = True,
) -> Figure:
    r"""A row of panels: a grid and a two-class data set pushed through $\sigma_\lambda(Wx + b)$.

    **Arguments:**

    - `W`, `b`: the ``(2, 2)`` weights and ``(2,)`` bias (see `homotopy.layers.Layer`; points are
      rows, ``y = σ_λ(x @ W.T + b)``).
    - `lams`: the blends shown, one panel each (in [0, 1]).
    - `activation`: σ — a name, a JAX-traceable callable or an `Activation`.
    - `data`: ``None`` (Colah's two curves), a kind of `homotopy.layers.two_class_data`
      (``"circles"``, ``"moons"``, ``"spirals"``, ``"curves"``), a pair ``(x (N, 2), labels (N,))``,
      or ``False`` for none.
    - `grid`: draw the deformed grid lines of ``[−lim, lim]²`` (`n_lines` each way).
    - `show_input`: a first panel with the undeformed input; for a singular W it also shows a few
      lines along ker W (green, dashed), each of which the layer glues to one point (green X).

    The suptitle says whether W is non-singular (a homeomorphism onto its image) or singular
    (collapses the plane: not a homeomorphism), with det W.

    **Raises:** `ValueError` naming `W`, `b`, `lams`, `data`, `lim` or `n_lines`.
    """
    layer = as_layer(W, b, activation)
    lams_arr = _check_lams(lams)
    pts = _check_data(data)
    n_lines = _check_positive_int("n_lines", n_lines, 2)
    n_cols = len(lams_arr) + int(bool(show_input))
    fig = Figure(figsize=(2.7 * n_cols, 3.5), layout="constrained")
    _deformation_row(fig, layer, lams_arr, pts, bool(grid), lim, n_lines, bool(show_input))
    _legend(fig, pts, [layer])
    return fig


def homeomorphism_comparison(
    W_regular: Any,
    W_singular: Any,
    b: Any,
    lams: Sequence[float] = DEFAULT_LAMS,
    *,
    activation: ActivationArg = "tanh",
    data: Any = None,
    grid: bool = True,
    lim: float = 1.5,
    n_lines: int = 13,
    show_input: bool = True,
) -> Figure:
    r"""Two rows of `layer_deformation`: a non-singular W (top) and a singular W (bottom).

    Same arguments as `layer_deformation`, with the same bias `b` for both rows.
    ``homotopy.layers.EXAMPLE_W_REGULAR``, ``EXAMPLE_W_SINGULAR`` and ``EXAMPLE_B`` are a ready
    pair.

    **Raises:** `ValueError` naming `W_regular` if it is singular, `W_singular` if it is not, or
    `b`, `lams`, `data`, … on bad input.
    """
    try:
        regular = as_layer(W_regular, b, activation)
    except ValueError as err:
        raise ValueError(str(err).replace("W:", "W_regular:", 1)) from None
    try:
        singular = as_layer(W_singular, b, activation)
    except ValueError as err:
        raise ValueError(str(err).replace("W:", "W_singular:", 1)) from None
    if regular.is_singular:
        raise ValueError(f"W_regular: is singular (rank {regular.rank}); pass a non-singular W")
    if not singular.is_singular:
        raise ValueError(
            f"W_singular: is non-singular (det W = {singular.det:.3g}); pass a rank-1 or zero W"
        )
    lams_arr = _check_lams(lams)
    pts = _check_data(data)
    n_lines = _check_positive_int("n_lines", n_lines, 2)
    n_cols = len(lams_arr) + int(bool(show_input))
    fig = Figure(figsize=(2.7 * n_cols, 6.6), layout="constrained")
    top, bottom = fig.subfigures(2, 1)
    for sub, layer in ((top, regular), (bottom, singular)):
        _deformation_row(sub, layer, lams_arr, pts, bool(grid), lim, n_lines, bool(show_input))
    _legend(fig, pts, [regular, singular])
    return fig


def layer_animation(
    W: Any,
    b: Any,
    *,
    frames: int = 30,
    activation: ActivationArg = "tanh",
    data: Any = None,
    path: str | os.PathLike[str] | None = None,
    fps: float = 10,
    grid: bool = True,
    lim: float = 1.5,
    n_lines: int = 13,
    dpi: float = 80,
) -> FuncAnimation:
    r"""An animation of the plane under $\sigma_\lambda(Wx + b)$ as λ runs from 0 to 1.

    `frames` equally spaced λ in [0, 1] (both ends included), with fixed axes that hold every
    frame. The figure is a `matplotlib.figure.Figure` (no pyplot), so this works headless.

    With `path` ending in ``.gif`` the animation is written there with
    `matplotlib.animation.PillowWriter` at `fps` frames per second and `dpi`, atomically (a
    temporary file in the same folder, then ``os.replace``). Without a `path`, render it
    yourself — ``anim.save(...)``, ``anim.to_jshtml()`` — since matplotlib warns about an
    animation dropped unrendered.

    Returns the `FuncAnimation` (the GIF, if any, is at `path`).

    **Raises:** `ValueError` naming `W`, `b`, `frames`, `fps`, `data` or `path` (a suffix other
    than ``.gif``); `ImportError` if Pillow is missing.
    """
    layer = as_layer(W, b, activation)
    frames = _check_positive_int("frames", frames, 2)
    try:
        fps = float(fps)
    except (TypeError, ValueError):
        raise ValueError(f"fps: expected a positive number, got {fps!r}") from None
    if not (np.isfinite(fps) and fps > 0):
        raise ValueError(f"fps: expected a positive number, got {fps}")
    file = None
    if path is not None:
        file = os.fspath(path)
        if not file.lower().endswith(".gif"):
            raise ValueError(f"path: only animated GIFs (.gif) are written, got {file!r}")
        try:
            import PIL  # noqa: F401  (PillowWriter needs it; a matplotlib dependency)
        except ImportError as err:  # pragma: no cover - pillow ships with matplotlib
            raise ImportError("layer_animation needs Pillow to write a GIF") from err
    pts = _check_data(data)
    n_lines = _check_positive_int("n_lines", n_lines, 2)
    lines = grid_lines(lim, n_lines, 121)  # validates lim and n_lines either way
    lines = lines if grid else []
    colors = None if pts is None else _class_colors(pts[1])
    lams = np.linspace(0.0, 1.0, frames)

    # every frame's image, computed once; the axes hold them all
    mapped = [
        (
            _map_lines(layer, lines, lam),
            None if pts is None else np.asarray(layer(pts[0], lam)),
        )
        for lam in lams
    ]
    every = [a for lines_k, p in mapped for a in (*lines_k, *(() if p is None else (p,)))]
    if every:
        stacked = np.concatenate(every)
        lo, hi = stacked.min(axis=0), stacked.max(axis=0)
    else:
        lo, hi = np.full(2, -1.0), np.full(2, 1.0)
    pad = 0.05 * np.maximum(hi - lo, 1e-3) + 1e-3

    fig = Figure(figsize=(5.0, 5.3), layout="constrained")
    ax = fig.add_subplot()
    line_artists, scatter = _draw_panel(ax, mapped[0][0], n_lines, mapped[0][1], colors)
    ax.set_xlim(lo[0] - pad[0], hi[0] + pad[0])
    ax.set_ylim(lo[1] - pad[1], hi[1] + pad[1])
    ax.set_aspect("equal", adjustable="box")
    title = ax.set_title("", fontsize=10)
    headline = _headline(layer).replace(": ", ":\n", 1).replace(" — ", "\n")
    fig.suptitle(headline, fontsize=8)

    def update(k: int) -> list[Any]:
        new_lines, new_points = mapped[k]
        for art, line in zip(line_artists, new_lines, strict=True):
            art.set_data(line[:, 0], line[:, 1])
        if scatter is not None:
            scatter.set_offsets(new_points)
        title.set_text(f"σ_λ(Wx + b),  λ = {lams[k]:.3f}")
        return [*line_artists, *([scatter] if scatter is not None else []), title]

    update(0)
    anim = FuncAnimation(fig, update, frames=range(frames), interval=1000.0 / fps, blit=False)
    if file is not None:
        with atomic_path(file, suffix=".gif") as tmp:
            anim.save(tmp, writer=PillowWriter(fps=fps), dpi=dpi)
    return anim
