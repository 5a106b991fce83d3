"""The tracker's result: `Status`, `Event`, `Path`, and npz persistence (`save`, `load_path`).

Plain data: a `Path` holds arrays and the problem it was traced on; the only computation it
asks for, re-correcting points at a λ (`Path.at`), is `homotopy.correctors.correct_at`, a
function of the problem.
"""

from __future__ import annotations

import enum
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._hermite import hermite
from ._io import atomic_path


class Status(enum.Enum):
    """How a path ended. ``.value`` is a lowercase string; ``Path.message`` says what to try."""

    SUCCESS = "success"
    DIVERGED = "diverged"
    STEP_FAILURE = "step_failure"
    MAX_STEPS = "max_steps"
    LEFT_SPAN = "left_span"
    INVALID_START = "invalid_start"

    @property
    def code(self) -> int:
        """The integer the compiled loop carries for this status."""
        return list(Status).index(self)

    @classmethod
    def from_code(cls, code: int) -> Status:
        """Inverse of `code`."""
        return list(Status)[int(code)]


@dataclass(frozen=True)
class Event:
    """A special point found on the path.

    - `kind`: the event's name: ``"turning_point"`` (dλ/ds = 0, a fold in λ),
      ``"bifurcation"`` (the determinant of the bordered Jacobian [H_u; tᵀ] changes sign: a
      branch point), or a user event's (`homotopy.events.EventFunction`).
    - `lam`, `w`, `s`: where it is (λ, weights, arc length from the start).
    - `tangent`: the unit tangent (dw/ds, dλ/ds) of the path there.
    - `kernel`: at a bifurcation, an orthonormal basis ``(n + 1, 2)`` of the kernel of
      H_u = [H_w | H_λ] there (the right singular vectors of its two smallest singular
      values): the directions of the branches that meet, for branch switching; else ``None``.
    """

    kind: str
    lam: float
    w: np.ndarray = field(repr=False)
    s: float
    tangent: np.ndarray = field(repr=False)
    kernel: np.ndarray | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return f"Event(kind={self.kind!r}, lam={self.lam:.12g}, s={self.s:.6g})"


@dataclass(frozen=True, eq=False)
class Path:
    """A traced solution path u(s) = (w(s), λ(s)) of H(w, λ) = 0.

    Arrays hold the accepted points in order (no padding): `lam` ``(N,)``, `w` ``(N, n)``,
    `s` ``(N,)`` arc length (sum of chord lengths in u-space), `tangents` ``(N, n + 1)``
    unit tangents (dw/ds, dλ/ds). `w_end` is the solution at exactly the end of the span
    when `status` is SUCCESS, else ``None``; `direction` is w/‖w‖ at the last point when
    the weights DIVERGED, else ``None``. `stats` counts ``steps`` (accepted),
    ``rejected_steps``, ``newton_iterations``, ``jacobian_evaluations`` (of [H_w | H_λ])
    and ``jvp_evaluations`` (Jacobian-vector products, about the cost of one H each).
    `problem` is kept (not saved) so that `at` can correct points. `certificate`: with
    ``track(..., certify=True)``, the `homotopy.Certificate` of `w_end` (not saved).
    """

    status: Status
    message: str
    lam: np.ndarray
    w: np.ndarray
    s: np.ndarray
    tangents: np.ndarray
    events: tuple[Event, ...]
    w_end: np.ndarray | None
    direction: np.ndarray | None
    stats: Mapping[str, int]
    lam_span: tuple[float, float] = (0.0, 1.0)
    problem: Any = field(default=None, repr=False)
    certificate: Any = field(default=None, repr=False)

    @property
    def success(self) -> bool:
        """Whether the path reached the end of its λ span."""
        return self.status is Status.SUCCESS

    @property
    def turning_points(self) -> tuple[Event, ...]:
        """The events of kind ``"turning_point"``."""
        return tuple(e for e in self.events if e.kind == "turning_point")

    @property
    def bifurcations(self) -> tuple[Event, ...]:
        """The events of kind ``"bifurcation"``."""
        return tuple(e for e in self.events if e.kind == "bifurcation")

    def __repr__(self) -> str:
        return (
            f"Path(status={self.status.value!r}, points={len(self.lam)}, "
            f"lam=[{self.lam[0]:.6g} .. {self.lam[-1]:.6g}], events={list(self.events)}, "
            f"stats={dict(self.stats)})"
        )

    def at(self, lam: float, *, problem: Any = None, tol: float = 1e-12) -> np.ndarray:
        """All points of the path at this λ: ``(k, n)``, one row per crossing, in path order.

        Each crossing is located by cubic Hermite interpolation in arc length between the
        bracketing points, then corrected by Newton's method on H(·, λ) = 0 at fixed λ.
        An empty ``(0, n)`` array when the path never reaches λ.

        **Raises:** `ValueError` when no problem is attached (a loaded path) and none is given.
        """
        problem = self.problem if problem is None else problem
        if problem is None:
            raise ValueError("problem: this path has no problem attached; pass problem=")
        lam = float(lam)
        S, U, T = self.vertices()
        g = U[:, -1] - lam
        rows = []
        for i in range(len(g)):
            if g[i] == 0.0:
                rows.append(U[i, :-1])
            elif i + 1 < len(g) and g[i] * g[i + 1] < 0.0:
                rows.append(self._crossing(S[i : i + 2], U[i : i + 2], T[i : i + 2], lam))
        if not rows:
            return np.empty((0, self.w.shape[1]))
        guesses = np.asarray(rows)
        from .correctors import correct_at  # imported here: a Path alone needs no JAX

        return np.stack([correct_at(problem, w0, lam, tol=tol) for w0 in guesses])

    def vertices(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(s, u, t) of the path points and the events, in arc-length order (u = (w, λ)): an
        event holds the extreme λ of a fold, which the stored points on either side of it may
        miss."""
        S = np.concatenate([self.s, [e.s for e in self.events]])
        U = np.concatenate(
            [np.column_stack([self.w, self.lam])]
            + [np.append(e.w, e.lam)[None] for e in self.events]
        )
        T = np.concatenate([self.tangents] + [e.tangent[None] for e in self.events])
        order = np.argsort(S, kind="stable")
        return S[order], U[order], T[order]

    @staticmethod
    def _crossing(S: np.ndarray, U: np.ndarray, T: np.ndarray, lam: float) -> np.ndarray:
        """w at λ between two vertices, from the cubic Hermite curve in arc length."""
        u0, u1 = U
        t0, t1 = T
        ds = S[1] - S[0]

        lo, hi = 0.0, 1.0
        glo = u0[-1] - lam
        for _ in range(60):  # bisection on the cubic: a good guess is all Newton needs
            mid = 0.5 * (lo + hi)
            gm = hermite(u0, t0, u1, t1, ds, mid)[-1] - lam
            if gm * glo <= 0.0:
                hi = mid
            else:
                lo, glo = mid, gm
        return hermite(u0, t0, u1, t1, ds, 0.5 * (lo + hi))[:-1]

    # -- persistence
    def save(self, file: str | os.PathLike[str]) -> None:
        """Write the path to an ``.npz`` file (no pickle), atomically (temp file + rename)."""
        n = self.w.shape[1]
        ev = self.events
        arrays = dict(
            status=np.array(self.status.value),
            message=np.array(self.message),
            lam=self.lam,
            w=self.w,
            s=self.s,
            tangents=self.tangents,
            event_kind=np.array([e.kind for e in ev], dtype="U16"),
            event_lam=np.array([e.lam for e in ev], dtype=float),
            event_w=np.array([e.w for e in ev], dtype=float).reshape(len(ev), n),
            event_s=np.array([e.s for e in ev], dtype=float),
            event_tangent=np.array([e.tangent for e in ev], dtype=float).reshape(len(ev), n + 1),
            # NaN where an event has no kernel basis
            event_kernel=np.array(
                [np.full((n + 1, 2), np.nan) if e.kernel is None else e.kernel for e in ev],
                dtype=float,
            ).reshape(len(ev), n + 1, 2),
            w_end=np.empty(0) if self.w_end is None else self.w_end,
            direction=np.empty(0) if self.direction is None else self.direction,
            stats=np.array(json.dumps(dict(self.stats))),
            lam_span=np.asarray(self.lam_span, dtype=float),
        )
        file = os.fspath(file)
        if not file.endswith(".npz"):
            file += ".npz"
        with atomic_path(file, suffix=".npz") as tmp:
            np.savez(tmp, **arrays)


def load_path(file: str | os.PathLike[str], problem: Any = None) -> Path:
    """Read a `Path` written by `Path.save` (``allow_pickle=False``); attach `problem` if given."""
    with np.load(file, allow_pickle=False) as z:
        n_ev = len(z["event_kind"])
        kernels = z["event_kernel"] if "event_kernel" in z.files else np.full((n_ev, 0, 2), np.nan)
        events = tuple(
            Event(
                str(k),
                float(lam),
                np.array(w),
                float(s),
                np.array(t),
                None if np.isnan(K).all() else np.array(K),
            )
            for k, lam, w, s, t, K in zip(
                z["event_kind"],
                z["event_lam"],
                z["event_w"],
                z["event_s"],
                z["event_tangent"],
                kernels,
                strict=True,
            )
        )
        return Path(
            status=Status(str(z["status"])),
            message=str(z["message"]),
            lam=np.array(z["lam"]),
            w=np.array(z["w"]),
            s=np.array(z["s"]),
            tangents=np.array(z["tangents"]),
            events=events,
            w_end=np.array(z["w_end"]) if z["w_end"].size else None,
            direction=np.array(z["direction"]) if z["direction"].size else None,
            stats=json.loads(str(z["stats"])),
            lam_span=tuple(float(x) for x in z["lam_span"]),
            problem=problem,
        )
