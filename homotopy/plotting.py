r"""Teaching figures for the natural homotopy (``from homotopy import plotting``; matplotlib).

The core package never imports matplotlib; this module does, at its top. Every figure function
builds a `matplotlib.figure.Figure` directly (no pyplot, no global backend, never ``show``), so it
works headless and can be written with ``fig.savefig`` or `save_figure` (PNG, SVG, PDF, …).

- `data_manifold`: the data manifold $Z_\lambda = \phi_\lambda(\mathbb R^2) \subset \mathbb R^3$
  of a 3×2 problem for a few λ, coloured by curvature, with the uniqueness sheets
  $P_\pm = z \pm \rho n$ ($\rho = 1/k_{max}$), the target d, its projections and the path's image.
- `curvature_along_path`: $k(w(s))$, the residual norm ‖r‖, the local uniqueness radius 1/k and
  the focal distances 1/κ along a tracked path; where ‖r‖ > 1/k uniqueness is lost, and at a
  turning point ‖r‖ meets a focal distance.
- `several_projections`: one target with several orthogonal projections onto $Z_\lambda$ (the
  critical points of $E_\lambda$), classified as local minimum / saddle by the error Hessian.
- `path_diagram`: λ against arc length and ‖w‖ against λ, with the path's events.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import matplotlib.colors as mcolors
import numpy as np
from matplotlib import cm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from mpl_toolkits.mplot3d import Axes3D  # noqa: F401  (registers the "3d" projection)

from . import geometry
from ._checks import check_lam
from ._hermite import hermite
from ._io import atomic_path
from .correctors import correct_in_hyperplanes
from .layer_plots import (  # Colah-style pictures of a layer, re-exported here
    homeomorphism_comparison as homeomorphism_comparison,
    layer_animation as layer_animation,
    layer_deformation as layer_deformation,
)
from .manifold import dimensions, manifold_of
from .protocol import Static, join_problem, split_problem


__all__ = [
    "curvature_along_path",
    "data_manifold",
    "path_diagram",
    "save_figure",
    "several_projections",
    "surface_fields",
]

TARGET_COLOR = "#d62728"
SOLUTION_COLOR = "#111111"
PATH_COLOR = "#ff7f0e"
SHEET_COLOR = "#1f77b4"
EVENT_COLOR = "#7f3fbf"
CURVATURE_MEASURES = ("max", "gaussian", "mean")


# ----------------------------------------------------------------------------- validation


def _check_surface_problem(problem: Any) -> Any:
    """A problem whose data manifold is a surface in R³: n = 2 weights, an embedding into R³
    (for a network: L = 3 patterns, s = 2 weights, one output)."""
    n = manifold_of(problem).n
    n = 2 if n is None else n
    M = None
    if n == 2:
        try:
            M = dimensions(problem, n)[0]
        except ValueError:
            raise
        except Exception as err:  # noqa: BLE001 - the user's embedding refuses 2 weights
            raise ValueError(f"problem: its embedding does not take 2 weights ({err})") from None
    if (M, n) != (3, 2):
        raise ValueError(
            f"problem: these 3-D figures need a surface in R³ (n = 2 weights, an embedding "
            f"into R³; for a network L = 3 patterns, s = 2, one output), got n = {n}"
            + ("" if M is None else f", M = {M}")
        )
    return problem


def _targets(problem: Any) -> np.ndarray:
    """The target point d ∈ R^M (the problem's `targets`), or a ValueError naming `problem`."""
    d = manifold_of(problem).targets
    if d is None:
        raise ValueError(
            "problem: this figure draws the target d; give the problem a `targets` attribute "
            "(see homotopy.manifold)"
        )
    return np.asarray(d, dtype=np.float64).reshape(-1)


def _check_path(path: Any, n: int | None) -> Any:
    """A `homotopy.Path` with weights ``(N ≥ 1, n)`` (any n when `n` is ``None``)."""
    w = getattr(path, "w", None)
    lam = getattr(path, "lam", None)
    if w is None or lam is None:
        raise ValueError(f"path: expected a homotopy.Path, got {type(path).__name__}")
    w = np.asarray(w)
    if n is None and w.ndim == 2:
        n = w.shape[1]
    if w.ndim != 2 or w.shape[1] != n or w.shape[0] != np.shape(lam)[0] or w.shape[0] == 0:
        raise ValueError(f"path: expected weights of shape (N ≥ 1, {n}), got {w.shape}")
    return path


def _check_n(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 2:
        raise ValueError(f"n: expected an integer ≥ 2 (grid points per axis), got {n!r}")
    return int(n)


def _box(problem: Any, region: Any, path: Any, pad: float = 0.5) -> np.ndarray:
    """A (2, 2) array of (lo, hi) per weight: `region`, else the path's weights + margin,
    else ``start() ± 3``."""
    if region is None:
        if path is not None:
            w = np.asarray(path.w)
            lo, hi = w.min(axis=0), w.max(axis=0)
            margin = pad + 0.15 * (hi - lo)
            return np.stack([lo - margin, hi + margin], axis=-1)
        if not callable(getattr(problem, "start", None)):
            raise ValueError("region: required for a problem without start() or a path")
        w0 = np.asarray(problem.start(), dtype=np.float64)
        return np.stack([w0 - 3.0, w0 + 3.0], axis=-1)
    if isinstance(region, geometry.Box):
        box = np.stack([np.asarray(region.lo, float), np.asarray(region.hi, float)], axis=-1)
    elif isinstance(region, geometry.Samples):
        pts = np.asarray(region.points, float)
        box = np.stack([pts.min(axis=0), pts.max(axis=0)], axis=-1)
    else:
        try:
            box = np.asarray(region, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise ValueError(f"region: not a real numeric array ({err})") from None
    if box.shape != (2, 2) or not np.all(np.isfinite(box)) or np.any(box[:, 0] >= box[:, 1]):
        raise ValueError(
            f"region: expected a box of shape (2, 2), rows (lo, hi) with lo < hi, got "
            f"{np.shape(box)}"
        )
    return box


# ----------------------------------------------------------------------------- vectorised geometry


def _point_fields(dynamic: Any, static: Static | None, w: jax.Array, lam: jax.Array):
    """z, unit normal n (det[J | n] > 0, as `geometry.normal_basis`), K, H, κ (ascending)."""
    m = manifold_of(join_problem(dynamic, static))
    z = m.embedding(w, lam)
    J = m.embedding_jacobian(w, lam)
    c = jnp.cross(J[:, 0], J[:, 1])  # det[J0, J1, c] = ‖c‖² > 0: the geometry orientation
    n = c / jnp.linalg.norm(c)
    II = m.second_fundamental_form(w, lam, n)
    G = J.T @ J
    Lc = jnp.linalg.cholesky(G)
    Li = jax.scipy.linalg.solve_triangular(Lc, jnp.eye(2, dtype=G.dtype), lower=True)
    B = Li @ II @ Li.T
    kappa = jnp.linalg.eigvalsh(0.5 * (B + B.T))
    return z, n, kappa[0] * kappa[1], 0.5 * (kappa[0] + kappa[1]), kappa


@functools.partial(jax.jit, static_argnums=1)
def _fields_jit(dynamic: Any, static: Static | None, W: jax.Array, lam: jax.Array):
    return jax.vmap(lambda w: _point_fields(dynamic, static, w, lam))(W)


@functools.partial(jax.jit, static_argnums=1)
def _embed_many(dynamic: Any, static: Static | None, W: jax.Array, lam: jax.Array) -> jax.Array:
    m = manifold_of(join_problem(dynamic, static))
    return jax.vmap(lambda w: m.embedding(w, lam))(W)


def _embed_jit(problem: Any, W: jax.Array, lam: float) -> jax.Array:
    """φ_λ(w) for each row of W, ``(N, M)``."""
    return _embed_many(*split_problem(problem), W, lam)


def surface_fields(problem: Any, lam: float, W: Any) -> dict[str, np.ndarray]:
    """Pointwise geometry of the surface Z_λ at many weights at once (one ``jax.vmap``).

    The same quantities as `geometry.embedding`, `geometry.normal_basis` (its single column),
    `geometry.principal_curvatures`, `geometry.gaussian_curvature` and
    `geometry.mean_curvature`, for a surface in R³ (n = 2, M = 3), vectorised over the rows of
    `W` ``(N, 2)``.
    Returns a dict of numpy arrays: ``z`` ``(N, 3)``, ``normal`` ``(N, 3)``, ``gaussian``,
    ``mean``, ``max`` (= max |κ| = `geometry.max_curvature` for a surface) ``(N,)`` and
    ``kappa`` ``(N, 2)`` (ascending).
    """
    problem = _check_surface_problem(problem)
    lam = check_lam(lam)
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2 or W.shape[1] != 2:
        raise ValueError(f"W: expected weights of shape (N, 2), got {W.shape}")
    z, n, K, H, kappa = _fields_jit(*split_problem(problem), jnp.asarray(W), lam)
    kappa = np.asarray(kappa)
    return dict(
        z=np.asarray(z),
        normal=np.asarray(n),
        gaussian=np.asarray(K),
        mean=np.asarray(H),
        max=np.abs(kappa).max(axis=1),
        kappa=kappa,
    )


def _grid(box: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a = np.linspace(box[0, 0], box[0, 1], n)
    b = np.linspace(box[1, 0], box[1, 1], n)
    A, B = np.meshgrid(a, b, indexing="ij")
    return A, B, np.column_stack([A.ravel(), B.ravel()])


def _densify_w(w: np.ndarray, sub: int = 8) -> np.ndarray:
    """Weights linearly interpolated between consecutive rows (the image stays on Z_λ)."""
    if len(w) < 2:
        return w
    t = np.linspace(0.0, 1.0, sub, endpoint=False)
    segs = w[:-1, None, :] + t[None, :, None] * (w[1:] - w[:-1])[:, None, :]
    return np.concatenate([segs.reshape(-1, w.shape[1]), w[-1:]])


def _face_values(V: np.ndarray) -> np.ndarray:
    """Per-face means of a grid-node field (what plot_surface colours)."""
    return 0.25 * (V[:-1, :-1] + V[1:, :-1] + V[:-1, 1:] + V[1:, 1:])


def _set_equal_3d(ax: Any, pts: np.ndarray) -> None:
    lo, hi = np.nanmin(pts, axis=0), np.nanmax(pts, axis=0)
    mid, half = 0.5 * (lo + hi), 0.5 * max(float(np.max(hi - lo)), 1e-9) * 1.05
    ax.set_xlim(mid[0] - half, mid[0] + half)
    ax.set_ylim(mid[1] - half, mid[1] + half)
    ax.set_zlim(mid[2] - half, mid[2] + half)
    ax.set_box_aspect((1, 1, 1))


def _label_3d(ax: Any) -> None:
    ax.set_xlabel(r"$z_1 = \phi_\lambda(w)_1$", labelpad=2)
    ax.set_ylabel(r"$z_2$", labelpad=2)
    ax.set_zlabel(r"$z_3$", labelpad=2)
    ax.tick_params(labelsize=7, pad=0)


def _oblique_view(problem: Any, w: np.ndarray, tilt: float = 70.0) -> tuple[float, float]:
    """(elev, azim) looking at the tangent plane of Z_0 at φ_0(w) (for a network the plane
    col X̃ = Z_0 itself) from `tilt` degrees off its normal, from above: the surfaces are seen
    face-on enough to read, not edge-on."""
    J0 = manifold_of(problem).embedding_jacobian(jnp.asarray(w, dtype=jnp.float64), 0.0)
    n0 = np.cross(*np.asarray(J0, dtype=np.float64).T)
    n0 /= np.linalg.norm(n0)
    if n0[2] < 0:
        n0 = -n0
    up = np.array([0.0, 0.0, 1.0]) - n0[2] * n0
    if np.linalg.norm(up) < 1e-6:
        up = np.array([1.0, 0.0, 0.0]) - n0[0] * n0
    up /= np.linalg.norm(up)
    t = np.deg2rad(tilt)
    eye = np.cos(t) * n0 + np.sin(t) * up
    return _eye_to_view(eye)


def _eye_to_view(eye: np.ndarray) -> tuple[float, float]:
    eye = eye / np.linalg.norm(eye)
    elev = float(np.degrees(np.arcsin(np.clip(eye[2], -1.0, 1.0))))
    return elev, float(np.degrees(np.arctan2(eye[1], eye[0])))


def _side_view(d: np.ndarray, feet: np.ndarray, J: np.ndarray, tilt: float = 25.0):
    """(elev, azim) looking across the residual segments (perpendicular to the mean residual
    and to the spread of the foot points), raised `tilt` degrees towards the target's side."""
    r = d - feet
    rhat = np.sum(r / np.maximum(np.linalg.norm(r, axis=1, keepdims=True), 1e-300), axis=0)
    if np.linalg.norm(rhat) < 1e-12:
        rhat = np.cross(J[:, 0], J[:, 1])
    rhat /= np.linalg.norm(rhat)
    chord = feet[-1] - feet[0] if len(feet) > 1 else J[:, 0]
    side = np.cross(rhat, chord)
    if np.linalg.norm(side) < 1e-12:
        side = np.cross(rhat, J[:, 0])
    side /= np.linalg.norm(side)
    t = np.deg2rad(tilt)
    return _eye_to_view(np.cos(t) * side + np.sin(t) * rhat)


def _fmt(x: float) -> str:
    if math.isinf(x):
        return r"\infty"
    return f"{x:.3g}"


# ----------------------------------------------------------------------------- figure 1


def data_manifold(
    problem: Any,
    lams: Sequence[float] = (0.0, 0.5, 1.0),
    *,
    region: Any = None,
    path: Any = None,
    target: bool = True,
    sheets: bool = True,
    n: int = 40,
    curvature: str = "max",
    n_seeds: int = 32,
) -> Figure:
    r"""The data manifold $Z_\lambda = \phi_\lambda(w)$ of a surface problem, one 3-D panel per λ.

    The surface over an ``n × n`` grid of weights in `region` is coloured by curvature
    (`curvature`: ``"max"`` = max |κ| (the default), ``"gaussian"`` K = κ₁κ₂ or ``"mean"``
    H = (κ₁ + κ₂)/2; all zero at λ = 0 where Z is the plane col X). With `sheets`, the
    boundary sheets $P_\pm = z \pm \rho n$ of the uniqueness tube, $\rho = 1/k_{max}$ with
    $k_{max}$ from `geometry.max_curvature_over` on `region` (none when $k_{max} = 0$). With
    `target`, the target d (red star), its projection(s) onto $Z_\lambda$ (black: the points
    of `path` at λ, else the closest point found by `geometry.in_uniqueness_tube`) joined to d
    by dashed residual segments. With `path`, the curve $\phi_\lambda(w(s))$ of all the path's
    weights on each surface (orange).

    **Arguments:**

    - `problem`: a problem whose data manifold is a surface in R³ (the `homotopy.manifold`
      hooks with n = 2 weights and M = 3, e.g. a `NaturalHomotopy` with L = 3, s = 2 and one
      output); with `target`, it needs ``targets``.
    - `lams`: the λ of the panels, each in [0, 1].
    - `region`: ``(2, 2)`` array of (lo, hi) per weight, or a `geometry.Box`/`Samples`;
      default: the box around `path`'s weights plus a margin, else ``start() ± 3``.
    - `path`: a tracked `homotopy.Path` of this problem (optional).
    - `n`: grid points per axis. `n_seeds`: seeds per scale for `max_curvature_over`.

    **Raises:** `ValueError` naming the argument (`problem` unless n = 2 and M = 3).
    """
    problem = _check_surface_problem(problem)
    if isinstance(lams, int | float | np.floating):
        lams = (lams,)
    lams = [check_lam(lam, "lams") for lam in lams]
    if not lams:
        raise ValueError("lams: expected at least one λ")
    n = _check_n(n)
    if curvature not in CURVATURE_MEASURES:
        raise ValueError(f"curvature: expected one of {CURVATURE_MEASURES}, got {curvature!r}")
    if path is not None:
        path = _check_path(path, 2)
    box = _box(problem, region, path)
    A, B, Wg = _grid(box, n)
    d = _targets(problem) if target else None
    w_curve = _densify_w(np.asarray(path.w)) if path is not None else None

    panels = []
    for lam in lams:
        f = surface_fields(problem, lam, Wg)
        rc = (
            geometry.max_curvature_over(problem, lam, _as_box(box), n_seeds=n_seeds, path=path)
            if sheets
            else None
        )
        panels.append((lam, f, rc))

    values = np.concatenate([p[1][curvature] for p in panels])
    if curvature == "max":
        # log colours: curvature spans decades between λ = 0.5 and the saturated corners at λ = 1
        pos = values[values > 0]
        vmax = float(pos.max()) if pos.size else 1.0
        vmin = max(float(np.percentile(pos, 2)), vmax * 1e-4) if pos.size else 0.1
        vmin = min(vmin, vmax / 10)
        norm: mcolors.Normalize = mcolors.LogNorm(vmin, vmax)
        cmap = _cmap("viridis").with_extremes(bad="#bdbdbd")
        extend = "min" if np.any((values > 0) & (values < vmin)) else "neither"
    else:
        lim = float(np.percentile(np.abs(values), 98)) or float(np.abs(values).max()) or 1.0
        norm = mcolors.Normalize(-lim, lim)
        cmap = _cmap("RdBu_r")
        extend = "both" if np.abs(values).max() > lim else "neither"
    cbar_label = {
        "max": r"$k(w) = \max_i |\kappa_i|$ (log; grey: flat, $k = 0$)",
        "gaussian": r"Gaussian curvature $K = \kappa_1\kappa_2$",
        "mean": r"mean curvature $H = (\kappa_1 + \kappa_2)/2$",
    }[curvature]

    elev, azim = _oblique_view(problem, box.mean(axis=1))
    k = len(lams)
    fig = Figure(figsize=(4.6 * k + 1.2, 5.2), layout="constrained")
    axes = []
    for i, (lam, f, rc) in enumerate(panels):
        ax = fig.add_subplot(1, k, i + 1, projection="3d", computed_zorder=False)
        axes.append(ax)
        Z = f["z"].reshape(n, n, 3)
        N = f["normal"].reshape(n, n, 3)
        C = f[curvature].reshape(n, n)
        if curvature == "max":  # exactly flat faces grey (bad), the rest clipped into the scale
            C = np.where(C > 0, np.clip(C, norm.vmin, norm.vmax), np.nan)
        colors = cmap(norm(_face_values(C)))
        pts = [f["z"]]
        rho = rc.radius if rc is not None else math.inf
        handles: list[Any] = []
        if sheets and rc is not None and math.isfinite(rho):
            for sign in (-1.0, 1.0):
                P = Z + sign * rho * N
                ax.plot_surface(
                    P[..., 0],
                    P[..., 1],
                    P[..., 2],
                    color=SHEET_COLOR,
                    alpha=0.12,
                    linewidth=0,
                    antialiased=False,
                    shade=False,
                    zorder=1,
                )
                pts.append(P.reshape(-1, 3))
            handles.append(
                Patch(
                    color=SHEET_COLOR,
                    alpha=0.35,
                    label=rf"sheets $P_\pm = z \pm \rho\, n$, $\rho = 1/k_{{max}} = {_fmt(rho)}$",
                )
            )
        ax.plot_surface(
            Z[..., 0],
            Z[..., 1],
            Z[..., 2],
            facecolors=colors,
            rstride=1,
            cstride=1,
            linewidth=0.1,
            edgecolor=(0, 0, 0, 0.15),
            antialiased=True,
            shade=False,
            zorder=2,
        )
        if w_curve is not None:
            zc = np.asarray(_embed_jit(problem, jnp.asarray(w_curve), lam))
            ax.plot(zc[:, 0], zc[:, 1], zc[:, 2], color=PATH_COLOR, lw=2.0, zorder=5)
            handles.append(Line2D([], [], color=PATH_COLOR, lw=2, label=r"$\phi_\lambda(w(s))$"))
        if target:
            if path is not None:
                ws = _path_at(path, problem, lam)
            else:
                tube = geometry.in_uniqueness_tube(
                    problem, d, lam, _as_box(box), radius=rho if math.isfinite(rho) else 1e300
                )
                ws = tube.w[None]
            feet = np.asarray(_embed_jit(problem, jnp.asarray(ws), lam)) if len(ws) else None
            ax.scatter(*d, color=TARGET_COLOR, marker="*", s=160, zorder=10, depthshade=False)
            handles.append(
                Line2D([], [], color=TARGET_COLOR, marker="*", ms=11, ls="", label="target $d$")
            )
            pts.append(d[None])
            if feet is not None:
                for zf in feet:
                    ax.plot(*np.stack([d, zf]).T, color=TARGET_COLOR, ls="--", lw=1.2, zorder=9)
                ax.scatter(
                    feet[:, 0],
                    feet[:, 1],
                    feet[:, 2],
                    color=SOLUTION_COLOR,
                    s=30,
                    zorder=11,
                    depthshade=False,
                )
                dist = ", ".join(f"{np.linalg.norm(d - zf):.3g}" for zf in feet)
                handles.append(
                    Line2D(
                        [],
                        [],
                        color=SOLUTION_COLOR,
                        marker="o",
                        ms=5,
                        ls="--",
                        label=rf"projection(s) $\phi_\lambda(w^*)$, $\|r\| = {dist}$",
                    )
                )
        title = rf"$Z_{{\lambda}}$ at $\lambda = {lam:g}$"
        if rc is not None:
            title += "\n" + rf"$k_{{max}} = {_fmt(rc.k_max)}$, $\rho = 1/k_{{max}} = {_fmt(rho)}$"
        ax.set_title(title, fontsize=10)
        _label_3d(ax)
        _set_equal_3d(ax, np.concatenate(pts))
        ax.view_init(elev=elev, azim=azim)
        if handles:
            ax.legend(
                handles=handles,
                loc="upper center",
                bbox_to_anchor=(0.5, -0.02),
                fontsize=7,
                frameon=False,
            )
    sm = cm.ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(sm, ax=axes, shrink=0.6, extend=extend, label=cbar_label, pad=0.02)
    fig.suptitle(
        r"Data manifold $Z_\lambda = \phi_\lambda(\mathbb{R}^2) \subset \mathbb{R}^3$, "
        r"$\phi_\lambda(w) = (1-\lambda)Xw + \lambda\sigma(Xw)$",
        fontsize=12,
    )
    return fig


def _cmap(name: str) -> mcolors.Colormap:
    import matplotlib

    return matplotlib.colormaps[name]


def _as_box(box: np.ndarray) -> geometry.Box:
    """A (n, 2) array of (lo, hi) rows as a `geometry.Box` (never read as samples)."""
    return geometry.Box(box[:, 0], box[:, 1])


def _path_at(path: Any, problem: Any, lam: float) -> np.ndarray:
    """Weights of the path's crossings of λ (`Path.at`, corrected), ``(k, 2)``."""
    try:
        ws = path.at(lam, problem=problem)
    except Exception:  # noqa: BLE001 - a path that cannot be corrected: use its stored points
        ws = np.asarray(path.w)[np.isclose(np.asarray(path.lam), lam)]
    return np.asarray(ws, dtype=np.float64).reshape(-1, 2)


# ----------------------------------------------------------------------------- figure 2


def _path_samples(path: Any, problem: Any, refine: int) -> tuple[np.ndarray, np.ndarray]:
    """(s, u) of the path's points, its events and `refine` − 1 points per segment between
    them (cubic Hermite in arc length, corrected back onto H = 0), in arc-length order."""
    S, U, T = path.vertices()
    if refine <= 1 or len(S) < 2:
        return S, U
    tau = np.arange(1, refine) / refine
    ds = np.diff(S)[:, None, None]
    P = hermite(U[:-1, None], T[:-1, None], U[1:, None], T[1:, None], ds, tau[None, :, None])
    chord = U[1:] - U[:-1]
    chord /= np.maximum(np.linalg.norm(chord, axis=1, keepdims=True), 1e-300)
    Tc = np.broadcast_to(chord[:, None], P.shape)
    nu = U.shape[1]
    # each sample back onto H = 0 in the hyperplane through it normal to its segment's chord
    u_c, ok = correct_in_hyperplanes(
        problem, P.reshape(-1, nu), Tc.reshape(-1, nu), tol=1e-8, step_tol=1e-12
    )
    s_new = (S[:-1, None] + tau[None] * np.diff(S)[:, None]).reshape(-1)
    S2 = np.concatenate([S, s_new[ok]])
    U2 = np.concatenate([U, u_c[ok]])
    order = np.argsort(S2, kind="stable")
    return S2[order], U2[order]


def _shade_intervals(x: np.ndarray, g: np.ndarray) -> list[tuple[float, float]]:
    """Intervals of x where g > 0, with linear interpolation of the crossings."""
    out = []
    start = x[0] if g[0] > 0 else None
    for i in range(1, len(x)):
        if (g[i - 1] > 0) != (g[i] > 0):
            xc = x[i - 1] + (x[i] - x[i - 1]) * g[i - 1] / (g[i - 1] - g[i])
            if g[i] > 0:
                start = xc
            else:
                out.append((start, xc))
                start = None
    if start is not None:
        out.append((start, x[-1]))
    return out


def curvature_along_path(
    problem: Any,
    path: Any,
    *,
    region: Any = None,
    x: str = "s",
    refine: int = 6,
    n_region: int = 7,
) -> Figure:
    r"""Curvature, residual and focal distances along a tracked path, three stacked panels.

    (a) $k(w) = \max|\kappa|$ at the path's point (`geometry.max_curvature`), with λ(s);
    (b) the residual norm ‖r‖, the local uniqueness radius 1/k and the focal distances 1/κᵢ
    along r̂ = r/‖r‖ (`geometry.focal_distances`; positive ones: centres of curvature on the
    target's side), shaded where ‖r‖ > 1/k (the tube around the point no longer guarantees a
    unique projection); (c) the error Hessian's eigenvalues relative to G, 1 − ‖r‖κᵢ: at a
    turning point one of them is 0, i.e. ‖r‖ = 1/κᵢ, the target sits at a focal point.
    Turning points and bifurcations are vertical lines.

    **Arguments:**

    - `problem`: the problem the path solves, with the `homotopy.manifold` hooks and
      ``targets`` (e.g. a `NaturalHomotopy`, any L ≥ s).
    - `path`: a tracked `homotopy.Path`.
    - `region`: optional box ``(n, 2)`` / `geometry.Box` / `Samples`: also plots
      ρ(λ) = 1/k_max over the region (`geometry.uniqueness_radius`) at `n_region` λ values.
    - `x`: ``"s"`` (arc length, the default) or ``"lam"`` for the horizontal axis.
    - `refine`: samples per path segment (extra samples are corrected onto H = 0).

    **Raises:** `ValueError` naming the argument.
    """
    m = manifold_of(problem)
    if m.residual is None:  # refuse before the (costly) path sampling, not in geometry later
        raise ValueError(
            "problem: the focal distances need the residual r = d − φ_λ(w); give the problem "
            "a `targets` attribute or a residual(w, lam) method (see homotopy.manifold)"
        )
    path = _check_path(path, m.n)
    nu = np.shape(path.w)[1]
    if x not in ("s", "lam"):
        raise ValueError(f"x: expected 's' or 'lam', got {x!r}")
    if isinstance(refine, bool) or not isinstance(refine, int | np.integer) or refine < 1:
        raise ValueError(f"refine: expected a positive integer, got {refine!r}")
    S, U = _path_samples(path, problem, int(refine))
    W, LAM = U[:, :-1], np.clip(U[:, -1], 0.0, 1.0)
    k = np.array(
        [geometry.max_curvature(problem, w, lam).value for w, lam in zip(W, LAM, strict=True)]
    )
    focal = [geometry.focal_distances(problem, w, lam) for w, lam in zip(W, LAM, strict=True)]
    rn = np.array([f.residual_norm for f in focal])
    kap = np.array([f.curvatures for f in focal])  # (N, n) ascending
    hess = np.array([f.hessian_eigenvalues for f in focal])
    with np.errstate(divide="ignore"):
        radius = np.where(k > 0, 1.0 / np.where(k > 0, k, 1.0), np.inf)
    X = S if x == "s" else LAM
    xlabel = r"arc length $s$" if x == "s" else r"$\lambda$"

    fig = Figure(figsize=(8.0, 9.0), layout="constrained")
    ax1, ax2, ax3 = fig.subplots(3, 1, sharex=True)

    # (a) curvature
    ax1.plot(X, k, color="#2ca02c", lw=1.8, label=r"$k(w(s)) = \max_i |\kappa_i|$")
    ax1.set_ylabel(r"max. normal curvature $k$")
    if np.any(k > 0):
        ax1.set_yscale("log")
    ax1.set_title("(a) curvature of $Z_\\lambda$ at the path's point $\\phi_\\lambda(w)$")
    handles1, labels1 = ax1.get_legend_handles_labels()
    if x == "s":
        axl = ax1.twinx()
        axl.plot(X, LAM, color="0.5", lw=1.0, ls=":")
        axl.set_ylabel(r"$\lambda(s)$", color="0.4")
        axl.tick_params(axis="y", colors="0.4")
        handles1.append(Line2D([], [], color="0.5", ls=":", label=r"$\lambda(s)$"))
        labels1.append(r"$\lambda(s)$")
    ax1.legend(handles1, labels1, fontsize=8, loc="upper left")

    # (b) distances
    ax2.plot(X, rn, color="k", lw=2.0, label=r"residual $\|r\| = \|d - \phi_\lambda(w)\|$")
    ax2.plot(X, radius, color=SHEET_COLOR, lw=1.8, label=r"local uniqueness radius $1/k$")
    styles = ("--", "-.", ":")
    for i in range(kap.shape[1]):
        with np.errstate(divide="ignore"):
            fd = np.where(kap[:, i] > 0, 1.0 / np.where(kap[:, i] > 0, kap[:, i], 1.0), np.nan)
        if np.any(np.isfinite(fd)):
            ax2.plot(
                X,
                fd,
                color=EVENT_COLOR,
                lw=1.2,
                ls=styles[i % 3],
                label=rf"focal distance $1/\kappa_{i + 1}$ along $\hat r$",
            )
    if region is not None:
        box = region
        if not isinstance(region, geometry.Box | geometry.Samples) and np.shape(region) == (nu, 2):
            box = _as_box(np.asarray(region, dtype=np.float64))  # read as a box, as geometry does
        lam_r = np.linspace(0.0, 1.0, max(2, int(n_region)))[1:]
        rho = [geometry.uniqueness_radius(problem, lam, box) for lam in lam_r]
        if x == "lam":
            ax2.plot(
                lam_r,
                rho,
                "s",
                color="#17becf",
                ms=5,
                label=r"$\rho(\lambda) = 1/k_{max}$ over the region",
            )
        else:
            for r in rho:
                ax2.axhline(r, color="#17becf", lw=0.6, alpha=0.5)
            ax2.plot(
                [],
                [],
                color="#17becf",
                lw=0.6,
                label=rf"$\rho = 1/k_{{max}}$ over the region, $\lambda \in$ "
                rf"{{{', '.join(f'{v:.2g}' for v in lam_r)}}}",
            )
    lost = _shade_intervals(X, rn - radius) if x == "s" else []
    if x == "lam":
        for i in range(1, len(X)):
            if rn[i - 1] > radius[i - 1] and rn[i] > radius[i]:
                lost.append((min(X[i - 1], X[i]), max(X[i - 1], X[i])))
    for j, (a, b) in enumerate(lost):
        for ax in (ax1, ax2, ax3):
            first = j == 0 and ax is ax2
            label = r"$\|r\| > 1/k$: uniqueness not guaranteed" if first else None
            ax.axvspan(a, b, color="#d62728", alpha=0.12, lw=0, label=label)
    ax2.set_yscale("log")
    finite = np.concatenate([rn[rn > 0], radius[np.isfinite(radius)]])
    if finite.size:
        ax2.set_ylim(max(finite.min() * 0.5, 1e-4 * finite.max()), finite.max() * 3)
    ax2.set_ylabel("distance in $\\mathbb{R}^L$")
    ax2.set_title(r"(b) residual vs. uniqueness radius and focal distances")
    ax2.legend(fontsize=7.5, loc="best")

    # (c) Hessian eigenvalues relative to G
    for i in range(hess.shape[1]):
        ax3.plot(
            X,
            hess[:, i],
            lw=1.6,
            ls=styles[i % 3],
            color=EVENT_COLOR,
            label=rf"$1 - \|r\|\kappa_{i + 1}$",
        )
    ax3.axhline(0.0, color="k", lw=0.8)
    ax3.set_ylabel(r"eig. of $G^{-1}\nabla^2 E_\lambda$")
    ax3.set_title(r"(c) error Hessian $\nabla^2 E = G - II_r$: singular where $\|r\| = 1/\kappa$")
    ax3.set_xlabel(xlabel)
    ax3.legend(fontsize=8, loc="best")

    for e in path.events:
        xe = e.s if x == "s" else e.lam
        label = "turning point" if e.kind == "turning_point" else e.kind
        for ax in (ax1, ax2, ax3):
            ax.axvline(xe, color=EVENT_COLOR, lw=1.0, ls="--", alpha=0.8)
        ax1.annotate(
            f"{label}\n$\\lambda$={e.lam:.4f}",
            (xe, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(2, -2),
            textcoords="offset points",
            va="top",
            fontsize=7,
            color=EVENT_COLOR,
        )
    fig.suptitle("Curvature and uniqueness along the solution path", fontsize=12)
    return fig


# ----------------------------------------------------------------------------- figure 3


def _classify(eig: np.ndarray) -> str:
    tol = 1e-10 * max(1.0, float(np.abs(eig).max()))
    if np.all(eig > tol):
        return "local min"
    if np.all(eig < -tol):
        return "local max"
    if np.any(np.abs(eig) <= tol):
        return "degenerate"
    return "saddle"


def several_projections(
    problem: Any,
    lam: float,
    *,
    path: Any = None,
    region: Any = None,
    n: int = 40,
) -> Figure:
    r"""One target, several orthogonal projections onto $Z_\lambda$: the critical points of E_λ.

    The weights w⁽ⁱ⁾ are the path's crossings of λ (`Path.at`; `path` is tracked here when
    not given). Left (3-D): the surface $Z_\lambda$, the target d, the foot points
    $\phi_\lambda(w^{(i)})$ with small tangent planes and the residual segments d → foot point,
    each perpendicular to the surface (generalized orthogonality $J^T r = 0$). Right: the error
    $E_\lambda(w) = \tfrac12\|d - \phi_\lambda(w)\|^2$ over weight space with the same points
    and the path's weights. The legend gives ‖r‖ and the type from the eigenvalues of
    `geometry.error_hessian` (local min: both > 0; saddle: mixed signs).

    **Raises:** `ValueError` naming `problem` unless it is a surface in R³ (n = 2, M = 3) with
    ``targets``, or `lam` when the path does not reach it.
    """
    problem = _check_surface_problem(problem)
    d = _targets(problem)
    lam = check_lam(lam)
    n = _check_n(n)
    if path is None:
        from .tracker import track

        path = track(problem)
    path = _check_path(path, 2)
    ws = _path_at(path, problem, lam)
    if len(ws) == 0:
        raise ValueError(
            f"lam: the path (λ in [{np.min(path.lam):.4g}, {np.max(path.lam):.4g}]) never "
            f"reaches λ = {lam}"
        )
    if region is None:
        lo, hi = ws.min(axis=0), ws.max(axis=0)
        margin = 0.5 + 0.35 * (hi - lo)
        box = np.stack([lo - margin, hi + margin], axis=-1)
    else:
        box = _box(problem, region, None)
    feet = np.asarray(_embed_jit(problem, jnp.asarray(ws), lam))
    info = []
    for w, zf in zip(ws, feet, strict=True):
        eig = np.linalg.eigvalsh(np.asarray(geometry.error_hessian(problem, w, lam)))
        orth = geometry.generalized_orthogonality(problem, w, lam)
        J = np.asarray(geometry.tangent_basis(problem, w, lam))
        info.append((eig, _classify(eig), float(np.linalg.norm(d - zf)), orth, J))
    colors = _cmap("tab10")

    A, B, Wg = _grid(box, n)
    f = surface_fields(problem, lam, Wg)
    Z = f["z"].reshape(n, n, 3)

    fig = Figure(figsize=(13.0, 6.0), layout="constrained")
    ax = fig.add_subplot(1, 2, 1, projection="3d", computed_zorder=False)
    ax.plot_surface(
        Z[..., 0],
        Z[..., 1],
        Z[..., 2],
        color="#9ecae1",
        alpha=0.55,
        rstride=1,
        cstride=1,
        linewidth=0.2,
        edgecolor=(0.2, 0.3, 0.5, 0.25),
        shade=True,
        zorder=1,
    )
    zc = np.asarray(_embed_jit(problem, jnp.asarray(_densify_w(np.asarray(path.w))), lam))
    ax.plot(*zc.T, color=PATH_COLOR, lw=1.2, alpha=0.8, zorder=3)
    scale = float(np.max(np.ptp(Z.reshape(-1, 3), axis=0)))
    handles: list[Any] = [
        Line2D([], [], color=TARGET_COLOR, marker="*", ms=12, ls="", label="target $d$"),
        Line2D([], [], color=PATH_COLOR, lw=1.2, label=r"$\phi_\lambda(w(s))$, path weights"),
    ]
    for i, (zf, (eig, kind, rn, orth, J)) in enumerate(zip(feet, info, strict=True)):
        c = colors(i % 10)
        Q, _ = np.linalg.qr(J)
        e = 0.06 * scale
        corners = np.array(
            [
                zf + a * e * Q[:, 0] + b * e * Q[:, 1]
                for a, b in ((-1, -1), (1, -1), (1, 1), (-1, 1))
            ]
        )
        P = np.array([[corners[0], corners[1]], [corners[3], corners[2]]])
        ax.plot_surface(P[..., 0], P[..., 1], P[..., 2], color=c, alpha=0.35, shade=False, zorder=4)
        ax.plot(*np.stack([d, zf]).T, color=c, lw=1.8, ls="--", zorder=8)
        marker = "o" if kind == "local min" else ("X" if kind == "saddle" else "s")
        ax.scatter(*zf, color=c, marker=marker, s=60, edgecolor="k", zorder=9, depthshade=False)
        handles.append(
            Line2D(
                [],
                [],
                color=c,
                marker=marker,
                mec="k",
                ms=8,
                ls="--",
                label=(
                    rf"$w^{{({i + 1})}} = ({ws[i, 0]:.3f}, {ws[i, 1]:.3f})$: {kind}, "
                    rf"$\|r\| = {rn:.4f}$" + "\n"
                    rf"   eig $\nabla^2E = ({eig[0]:.3g}, {eig[1]:.3g})$, "
                    rf"$\|J^Tr\|/(\|J\|\|r\|) = {orth:.1e}$"
                ),
            )
        )
    ax.scatter(*d, color=TARGET_COLOR, marker="*", s=220, zorder=10, depthshade=False)
    _label_3d(ax)
    _set_equal_3d(ax, np.concatenate([Z.reshape(-1, 3), d[None]]))
    ax.view_init(*_side_view(d, feet, info[0][4]))
    ax.set_title(
        rf"$Z_\lambda$ at $\lambda = {lam:g}$: {len(ws)} orthogonal projection(s) of $d$"
        + "\n"
        + r"residuals $r = d - \phi_\lambda(w)$ are normal to $Z_\lambda$ ($J^T r = 0$)",
        fontsize=10,
    )

    # right: the error landscape in weight space
    ax2 = fig.add_subplot(1, 2, 2)
    E = 0.5 * np.sum((d - f["z"]) ** 2, axis=1).reshape(n, n)
    levels = np.geomspace(max(E.min(), 1e-12), E.max(), 30)
    cs = ax2.contourf(
        A, B, E, levels=levels, cmap=_cmap("magma_r"), norm=mcolors.LogNorm(), alpha=0.9
    )
    ax2.contour(A, B, E, levels=levels[::3], colors="k", linewidths=0.3, alpha=0.5)
    fig.colorbar(
        cs,
        ax=ax2,
        label=r"$E_\lambda(w) = \frac{1}{2}\|d - \phi_\lambda(w)\|^2$ (log)",
        format="%.3g",
    )
    pw = np.asarray(path.w)
    ax2.plot(
        pw[:, 0], pw[:, 1], color=PATH_COLOR, lw=1.5, label=r"path weights $w(s)$, all $\lambda$"
    )
    for i, (w, (_eig, kind, _rn, _o, _J)) in enumerate(zip(ws, info, strict=True)):
        marker = "o" if kind == "local min" else ("X" if kind == "saddle" else "s")
        ax2.plot(
            *w,
            marker=marker,
            color=colors(i % 10),
            mec="k",
            ms=10,
            ls="",
            label=rf"$w^{{({i + 1})}}$: {kind}",
        )
    ax2.set_xlim(box[0])
    ax2.set_ylim(box[1])
    ax2.set_xlabel(r"$w_1$")
    ax2.set_ylabel(r"$w_2$")
    ax2.set_title(rf"error landscape at $\lambda = {lam:g}$: critical points of $E_\lambda$")
    ax2.legend(fontsize=8, loc="best")
    fig.legend(handles=handles, loc="outside lower center", ncols=2, fontsize=8, frameon=False)
    fig.suptitle("Several projections of one target: generalized orthogonality", fontsize=12)
    return fig


# ----------------------------------------------------------------------------- figure 4


def path_diagram(path: Any) -> Figure:
    r"""Two panels for any tracked `homotopy.Path`: λ against arc length s, and ‖w‖ against λ,
    with turning points and bifurcations marked."""
    lam = getattr(path, "lam", None)
    w = getattr(path, "w", None)
    s = getattr(path, "s", None)
    if lam is None or w is None or s is None:
        raise ValueError(f"path: expected a homotopy.Path, got {type(path).__name__}")
    lam, w, s = np.asarray(lam), np.asarray(w), np.asarray(s)
    if w.ndim != 2 or len(w) != len(lam) or len(s) != len(lam) or len(lam) == 0:
        raise ValueError("path: lam, w and s must have the same (non-zero) number of points")
    fig = Figure(figsize=(11.0, 4.3), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    ax1.plot(s, lam, "-", color="#1f77b4", lw=1.8, label=r"$\lambda(s)$")
    ax1.plot(s, lam, ".", color="#1f77b4", ms=4, label="accepted points")
    wn = np.linalg.norm(w, axis=1)
    ax2.plot(lam, wn, "-", color="#1f77b4", lw=1.8, label=r"$\|w\|$")
    ax2.plot(lam, wn, ".", color="#1f77b4", ms=4)
    markers = {"turning_point": ("o", EVENT_COLOR), "bifurcation": ("D", "#d62728")}
    seen = set()
    for e in getattr(path, "events", ()):
        mk, col = markers.get(e.kind, ("s", "k"))
        label = None if e.kind in seen else e.kind.replace("_", " ")
        seen.add(e.kind)
        ax1.plot(e.s, e.lam, mk, color=col, ms=8, mec="k", label=label)
        ax2.plot(e.lam, np.linalg.norm(e.w), mk, color=col, ms=8, mec="k", label=label)
        ax2.axvline(e.lam, color=col, lw=0.8, ls="--", alpha=0.6)
        ax1.annotate(
            f"$\\lambda$={e.lam:.4f}",
            (e.s, e.lam),
            xytext=(5, -12),
            textcoords="offset points",
            fontsize=8,
            color=col,
        )
    ax1.set_xlabel(r"arc length $s$")
    ax1.set_ylabel(r"$\lambda$")
    ax1.set_title(r"homotopy parameter along the path")
    ax2.set_xlabel(r"$\lambda$")
    ax2.set_ylabel(r"$\|w\|_2$")
    ax2.set_title(r"weight norm against $\lambda$ (folds: several $w$ per $\lambda$)")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
    status = getattr(path, "status", None)
    title = "Solution path"
    if status is not None:
        title += f" ({getattr(status, 'value', status)}, {len(lam)} points)"
    fig.suptitle(title, fontsize=12)
    return fig


# ----------------------------------------------------------------------------- saving


def save_figure(fig: Figure, path: str | os.PathLike[str], **kwargs: Any) -> None:
    """Write `fig` to `path` atomically (a temp file in the same folder, then ``os.replace``).

    The format comes from the suffix (``.png``, ``.svg``, ``.pdf``, … anything the canvas
    supports); `kwargs` go to ``fig.savefig`` (e.g. ``dpi``, ``bbox_inches``).

    **Raises:** `ValueError` naming `path` for a missing or unsupported suffix, or `fig` when
    it is not a matplotlib Figure.
    """
    if not isinstance(fig, Figure):
        raise ValueError(f"fig: expected a matplotlib Figure, got {type(fig).__name__}")
    file = os.fspath(path)
    suffix = os.path.splitext(file)[1].lower().lstrip(".")
    supported = fig.canvas.get_supported_filetypes()
    if suffix not in supported:
        raise ValueError(
            f"path: cannot infer a format from {file!r}; use a suffix among "
            f"{sorted('.' + k for k in supported)}"
        )
    kwargs.pop("format", None)
    with atomic_path(file, suffix="." + suffix) as tmp:
        fig.savefig(tmp, format=suffix, **kwargs)
