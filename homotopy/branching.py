r"""Branch switching at simple bifurcation points (Keller; Allgower & Georg, *Numerical
Continuation Methods*, §8).

At a simple bifurcation point u* = (w*, λ*) of H(u) = 0, H_u(u*) (n × (n + 1)) has rank n − 1:
a two-dimensional kernel span{φ₁, φ₂} (`Event.kernel`) and a left null vector ψ (ψᵀH_u = 0).
Every branch through u* has its tangent t = aφ₁ + bφ₂ in the kernel, and projecting the second
order expansion of H onto ψ gives the algebraic bifurcation equation

    Q(a, b) = ψᵀ D²H(u*)[aφ₁ + bφ₂, aφ₁ + bφ₂] = α₁₁a² + 2α₁₂ab + α₂₂b² = 0.

It has two distinct real roots (directions) exactly when its 2 × 2 matrix A = (αᵢⱼ) is
indefinite (α₁₂² − α₁₁α₂₂ > 0): those are the two branch tangents, one of them the traced
path's own. `switch_branch` steps from u* along the other, ±δ·t₂, corrects the prediction onto
H = 0 in the pseudo-arclength hyperplane t₂ᵀ(u − u_pred) = 0 (not at fixed λ: at a pitchfork
the new branch is vertical in λ) and tracks each new half-branch with `homotopy.track`.

The traced path's own tangent at u* is taken from its points beside the event
(`path_tangent`, as `track` does for `Event.tangent`): the tangent computed at u* itself is
any vector of the two-dimensional kernel there. The computation is a one-off on the host
(numpy, and JAX for the derivatives of H), not in a compiled loop.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import jax.numpy as jnp
import numpy as np

from ._checks import check_positive
from .correctors import correct_in_hyperplanes
from .events import LOCATE_GIVE_UP
from .path import Event, Path, Status
from .protocol import check_problem, second_derivative, system
from .tracker import _check_span, tangent_through, track


__all__ = ["bifurcation_directions", "path_tangent", "switch_branch"]

#: the smaller |eigenvalue| of A relative to the larger below which the bifurcation equation
#: counts as degenerate (a double root: not a simple bifurcation point). Event location errs
#: by ~1e-8 in u, which perturbs A by that much relative to its size: far below this.
_DEGENERATE_RATIO = 1e-6
#: halvings of the predictor step before a half-branch is given up
_MAX_HALVINGS = 20


def _u_of(event: Event) -> np.ndarray:
    return np.append(np.asarray(event.w, np.float64), float(event.lam))


def _check_event(event: Any, n: int | None = None) -> Event:
    """`event` itself when it is a bifurcation event with a usable kernel basis."""
    if not isinstance(event, Event):
        raise ValueError(f"event: expected an Event or an index, got {event!r}")
    if event.kind != "bifurcation":
        raise ValueError(
            f"event: expected a bifurcation event (kind 'bifurcation'), got kind {event.kind!r}"
        )
    n1 = np.asarray(event.w).shape[0] + 1
    if n is not None and n1 != n + 1:
        raise ValueError(f"event: its w has {n1 - 1} entries, the problem has {n} unknowns")
    if event.kernel is None:
        raise ValueError("event: it carries no kernel basis (Event.kernel is None)")
    K = np.asarray(event.kernel, np.float64)
    if K.shape != (n1, 2) or not np.all(np.isfinite(K)):
        raise ValueError(
            f"event: expected a finite kernel basis of shape ({n1}, 2), got shape {K.shape}"
        )
    return event


def _abe_matrix(problem: Any, event: Event) -> tuple[np.ndarray, np.ndarray]:
    """(A, Φ): A = ψᵀD²H(u*)[φᵢ, φⱼ], the bifurcation equation's matrix in the basis Φ = [φ₁ φ₂]
    (orthonormalised), with ψ the left singular vector of H_u(u*)'s smallest singular value."""
    sys = system(problem)
    u = jnp.asarray(_u_of(event))
    # a QR re-orthonormalises a basis that was saved and loaded, at no cost to a good one
    Phi = np.linalg.qr(np.asarray(event.kernel, np.float64))[0]
    J = np.asarray(sys.J(u))
    psi = np.linalg.svd(J)[0][:, -1]
    p = [jnp.asarray(Phi[:, i]) for i in range(2)]
    B = {
        (i, j): np.asarray(second_derivative(sys.H, u, p[i], p[j]))
        for i, j in ((0, 0), (0, 1), (1, 1))
    }
    a11, a12, a22 = (float(psi @ B[k]) for k in ((0, 0), (0, 1), (1, 1)))
    return np.array([[a11, a12], [a12, a22]]), Phi


def bifurcation_directions(problem: Any, event: Event, *, reference: Any = None) -> np.ndarray:
    """The two unit branch tangents (2, n + 1) at a bifurcation event: the roots aφ₁ + bφ₂ of
    Q(a, b) = ψᵀD²H(u*)[aφ₁ + bφ₂, aφ₁ + bφ₂] = 0.

    Row 0 is the root closest to the path's own tangent, oriented along it; row 1 is the other
    branch's, signed so that its largest entry in magnitude is positive (the other half-branch
    is its negative). The path's tangent is `reference` (``(n + 1,)``), by default
    `event.tangent` (which `track` takes from the path's points beside the event; for a path
    saved by an older version, pass `path_tangent`, as `switch_branch` does).

    **Raises:** `ValueError` naming `problem` when it has no H, and `event` when it is not a
    bifurcation event with a kernel basis, or when the point is not a simple bifurcation point
    (the bifurcation equation is definite: no real branch; or degenerate: a double or no
    root), with the eigenvalues of its matrix.
    """
    problem = check_problem(problem)
    event = _check_event(event)
    A, Phi = _abe_matrix(problem, event)
    mu, R = np.linalg.eigh(A)  # ascending: mu[0] ≤ mu[1]
    big = float(np.max(np.abs(mu)))
    if big == 0.0 or not np.all(np.isfinite(mu)):
        raise ValueError(
            f"event: not a simple bifurcation point at λ = {event.lam:.12g}: the bifurcation "
            f"equation ψᵀD²H[t, t] = 0 vanishes identically (eigenvalues {mu[0]:.3g}, "
            f"{mu[1]:.3g}; degenerate)"
        )
    # a (numerically) zero eigenvalue first: round-off decides its sign
    if min(abs(mu[0]), abs(mu[1])) <= _DEGENERATE_RATIO * big:
        raise ValueError(
            f"event: not a simple bifurcation point at λ = {event.lam:.12g}: the bifurcation "
            f"equation's quadratic form is degenerate (eigenvalues {mu[0]:.6g}, {mu[1]:.6g}, "
            f"ratio {min(abs(mu[0]), abs(mu[1])) / big:.3g}): its roots coincide"
        )
    if mu[0] * mu[1] > 0:
        raise ValueError(
            f"event: not a simple bifurcation point at λ = {event.lam:.12g}: the bifurcation "
            f"equation's quadratic form is definite (eigenvalues {mu[0]:.6g}, {mu[1]:.6g}; "
            f"discriminant {-mu[0] * mu[1]:.6g} < 0), so no real branch passes through it"
        )
    # in A's eigenbasis Q = μ₀x² + μ₁y² with μ₀ < 0 < μ₁: the roots are y/x = ±√(−μ₀/μ₁)
    roots = [R @ np.array([math.sqrt(mu[1]), s * math.sqrt(-mu[0])]) for s in (1.0, -1.0)]
    dirs = np.array([Phi @ (c / np.linalg.norm(c)) for c in roots])
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    tau = np.asarray(event.tangent if reference is None else reference, np.float64)
    if tau.shape != dirs[0].shape or not np.all(np.isfinite(tau)) or not np.any(tau):
        raise ValueError(
            f"reference: expected a finite nonzero vector of shape {dirs[0].shape}, got "
            f"shape {tau.shape}"
        )
    if abs(dirs[1] @ tau) > abs(dirs[0] @ tau):
        dirs = dirs[::-1].copy()
    if dirs[0] @ tau < 0:
        dirs[0] = -dirs[0]
    if dirs[1][np.argmax(np.abs(dirs[1]))] < 0:
        dirs[1] = -dirs[1]
    return dirs


def path_tangent(path: Path, event: Event) -> np.ndarray:
    """The path's unit tangent through a bifurcation event: the mean of the stored tangents
    just before and after it, projected onto the event's kernel (what `track` now stores as
    `event.tangent`; recomputed here for a path saved by an older version).

    Off the point these are well defined and differ from the branch's tangent at u* by
    O(step · curvature); the tangent computed at u* itself is any vector of the kernel.
    """
    return tangent_through(
        np.asarray(path.s), np.asarray(path.tangents), event.s,
        np.asarray(event.kernel, np.float64), np.asarray(event.tangent, np.float64),
    )  # fmt: skip


def _first_point(
    problem, u_star: np.ndarray, tau: np.ndarray, t2: np.ndarray, delta: float, tol: float
) -> np.ndarray | None:
    """The new branch's point u₁ in the hyperplane t₂ᵀ(u − u* − δt₂) = 0, halving δ until the
    correction converges *off* the traced branch; None when no δ works."""
    # the new branch leaves the old one's tangent line at the rate sin∠(t₂, τ)
    sin = float(np.linalg.norm(t2 - (t2 @ tau) * tau))
    for _ in range(_MAX_HALVINGS):
        u_pred = u_star + delta * t2
        # near the branch point the bordered matrix is nearly singular and Newton's first
        # updates may grow before it converges: tolerate that (as the event locator does)
        u, ok = correct_in_hyperplanes(
            problem, u_pred[None], t2[None], tol=tol, max_newton=30,
            give_up=LOCATE_GIVE_UP,
        )  # fmt: skip
        if ok[0]:
            u1 = u[0]
            d = u1 - u_star
            off_old = float(np.linalg.norm(d - (d @ tau) * tau))
            # near its prediction (it did not slide along the hyperplane onto the old branch)
            # and away from the old branch's tangent line by about δ·sin∠(t₂, τ)
            if np.linalg.norm(u1 - u_pred) <= 0.5 * sin * delta and off_old >= 0.5 * sin * delta:
                return u1
        delta *= 0.5
    return None


def _tangent_away(sys, u1: np.ndarray, u_star: np.ndarray) -> np.ndarray:
    """The unit kernel vector of H_u(u₁) pointing away from u*."""
    t = np.linalg.svd(np.asarray(sys.J(jnp.asarray(u1))))[2][-1]
    return t if t @ (u1 - u_star) >= 0 else -t


def switch_branch(
    path: Path,
    event: Event | int = 0,
    *,
    problem: Any = None,
    lam_span: tuple[float, float] | None = None,
    step: float | None = None,
    **track_options: Any,
) -> tuple[Path, ...]:
    """The branches through a bifurcation point other than the path's, tracked from
    u₁ = u* ± δt₂ corrected onto H = 0 (t₂ from `bifurcation_directions`).

    **Arguments:**

    - `path`: a `Path` from `homotopy.track` with a bifurcation event.
    - `event`: one of ``path.bifurcations`` (an `Event` of kind ``"bifurcation"``), or an index
      into it (default the first).
    - `problem`: the problem (default ``path.problem``).
    - `lam_span`: where the new branches may go (default ``path.lam_span``): each half-branch
      is tracked from its first point λ₁ to the end of the span it heads to.
    - `step`: the predictor step δ along ±t₂ (default 10⁻²·(1 + ‖u*‖)); halved while the
      correction fails or lands back on the traced branch.
    - `**track_options`: passed to `homotopy.track` (e.g. ``divergence=None``, ``tol``).

    **Returns:** a tuple of `Path`s, normally two, for +t₂ and −t₂ (a half-branch whose first
    point cannot be found is left out). Each starts at its first point u₁ (not at u*); its
    message says it came from branch switching. At a transcritical point one half-branch runs
    back towards the span's start: it is returned too.

    **Raises:** `ValueError` naming `path`, `event`, `problem`, `lam_span` or `step` when it is
    unusable, when the point is not a simple bifurcation point (see
    `bifurcation_directions`), or when neither half-branch can be started.
    """
    if not isinstance(path, Path):
        raise ValueError(f"path: expected a homotopy.Path, got {type(path).__name__}")
    problem = path.problem if problem is None else problem
    if problem is None:
        raise ValueError("problem: the path has no problem attached; pass problem=")
    problem = check_problem(problem)
    if isinstance(event, int | np.integer) and not isinstance(event, bool):
        bifs = path.bifurcations
        if not -len(bifs) <= int(event) < len(bifs):
            raise ValueError(
                f"event: index {int(event)} out of range: the path has {len(bifs)} "
                "bifurcation event(s)"
            )
        event = bifs[int(event)]
    event = _check_event(event, path.w.shape[1] if path.w.ndim == 2 else None)
    lo, hi = _check_span(path.lam_span if lam_span is None else lam_span)
    if "start" in track_options:
        raise ValueError("start: not allowed here; each new branch starts at its first point u₁")
    if "lam_bound" in track_options:
        raise ValueError("lam_bound: not allowed here; lam_span bounds the new branches")
    tol = track_options.get("tol", 1e-10)
    check_positive("tol", tol)

    u_star = _u_of(event)
    if step is None:
        step = 1e-2 * (1.0 + float(np.linalg.norm(u_star)))
    elif isinstance(step, bool) or not isinstance(step, int | float | np.floating):
        raise ValueError(f"step: expected a positive finite number, got {step!r}")
    if not math.isfinite(step) or step <= 0:
        raise ValueError(f"step: expected a positive finite number, got {step!r}")

    tau, t2 = bifurcation_directions(problem, event, reference=path_tangent(path, event))
    sys = system(problem)

    out = []
    for sign in (1.0, -1.0):
        u1 = _first_point(problem, u_star, tau, sign * t2, float(step), float(tol))
        if u1 is None:
            continue
        t1 = _tangent_away(sys, u1, u_star)
        lam1 = float(u1[-1])
        # first towards the end of the span the branch heads to (by the sign of dλ/ds away
        # from u*; the original path's end where the branch is vertical in λ at u₁), its
        # first tangent oriented away from u* (`direction`); a branch that folds back and
        # leaves through the other end is tracked again to land there
        if abs(t1[-1]) <= 1e-12:
            ends = [hi, lo]
        else:
            ends = [max(lo, hi), min(lo, hi)] if t1[-1] > 0 else [min(lo, hi), max(lo, hi)]
        first = None
        for lam_end, bound in (ends, ends[::-1]):
            if lam_end == lam1:
                continue
            p = track(
                problem, start=u1[:-1], lam_span=(lam1, lam_end), lam_bound=bound,
                direction=t1, **track_options,
            )  # fmt: skip
            first = p
            if p.status is not Status.LEFT_SPAN:
                break
        if first is None:
            continue
        u_next = np.append(first.w[1], first.lam[1]) if len(first.lam) > 1 else u1
        away = bool((u_next - u1) @ (u1 - u_star) > 0)
        label = "+" if sign > 0 else "−"
        note = "" if away else " (warning: its first step does not lead away from u*)"
        first = dataclasses.replace(
            first,
            message=(
                f"branch switched at the bifurcation at λ = {event.lam:.12g} (direction "
                f"{label}t₂, first point at λ = {lam1:.12g}){note}: {first.message}"
            ),
        )
        out.append(first)
    if not out:
        raise ValueError(
            f"event: no point of the new branch found near λ = {event.lam:.12g} (the "
            f"correction failed or fell back onto the traced branch for every step from "
            f"{step:.3g} down to {step * 0.5 ** (_MAX_HALVINGS - 1):.3g})"
        )
    return tuple(out)
