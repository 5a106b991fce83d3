"""The tracker's result: `Status`, `Event`, `Path`, and npz persistence (`save`, `load_path`).

Plain data: a `Path` holds arrays and the problem it was traced on; the only computation it
asks for, re-correcting points at a λ (`Path.at`), is `homotopy.correctors.correct_at`, a
function of the problem. A saved path carries the `fingerprint` of its problem's data and
settings, so that it is not combined with another problem by mistake.
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._hermite import hermite
from ._io import atomic_path


DEFAULT_TOL = 1e-10  # ‖H‖ a re-corrected point must meet when the path holds no tol (track's)
NEWTON_STEP_TOL = 1e-12  # correct_at's relative step size at which Newton stops


def stable_norm(x: Any) -> float:
    """‖x‖₂ of a float array without overflow in the squares: numpy's norm is inf (with a
    RuntimeWarning) once entries pass ~1e154, this only when the norm itself is. NaN where
    `x` holds one."""
    a = np.abs(np.asarray(x, dtype=np.float64)).ravel()
    if a.size == 0:
        return 0.0
    m = float(np.max(a))
    if m == 0.0 or not np.isfinite(m):
        return m
    return m * float(np.linalg.norm(a / m))  # Python floats: an overflow is inf, silently


def problem_fingerprint(problem: Any) -> str | None:
    """A SHA-256 hex digest of the problem's data (`X`, `d`) and settings (activation name,
    objective, bias, hidden, output, output_bias), or ``None`` for a problem without `X` and `d`.

    Read with ``getattr`` only, so any problem type works; `d` of shape ``(L,)`` and ``(L, 1)``
    give the same digest (the same H).
    """
    X, d = getattr(problem, "X", None), getattr(problem, "d", None)
    if X is None or d is None:
        return None
    try:
        X = np.ascontiguousarray(X, dtype="<f8")
        d = np.ascontiguousarray(d, dtype="<f8")
    except (TypeError, ValueError):
        return None
    X = X.reshape(X.shape[0], -1) if X.ndim else X
    d = d.reshape(d.shape[0], -1) if d.ndim else d
    act = getattr(problem, "activation", None)
    if act is not None and not isinstance(act, str):
        act = getattr(act, "name", None) or getattr(act, "__qualname__", type(act).__name__)
    settings: dict[str, Any] = {"activation": act}
    for key in ("objective", "bias", "hidden", "output", "output_bias"):
        value = getattr(problem, key, None)
        if isinstance(value, bool | np.bool_):
            value = bool(value)
        elif isinstance(value, int | np.integer):
            value = int(value)
        elif value is not None:
            value = str(value)
        settings[key] = value
    head = {"version": 1, "settings": settings, "X": list(X.shape), "d": list(d.shape)}
    digest = hashlib.sha256(json.dumps(head, sort_keys=True).encode())
    digest.update(X.tobytes())
    digest.update(d.tobytes())
    return digest.hexdigest()


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
    ``track(..., certify=True)``, the `homotopy.Certificate` of `w_end` (not saved). `tol`:
    the ‖H‖ tolerance the path was traced with, where known (`at` checks its points
    against it). `fingerprint`: of a loaded path, the `problem_fingerprint` stored in its
    file (``None`` for an older file, or a path not loaded); `save` writes the attached
    problem's.
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
    tol: float | None = None
    fingerprint: str | None = field(default=None, repr=False)

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

    def at(self, lam: float, *, problem: Any = None, tol: float | None = None) -> np.ndarray:
        """All points of the path at this λ: ``(k, n)``, one row per crossing, in path order.

        Each crossing is located by cubic Hermite interpolation in arc length between the
        bracketing points, then corrected by Newton's method on H(·, λ) = 0 at fixed λ; every
        point returned has ‖H(w, λ)‖₂ ≤ `tol` (default: the path's `tol`, else
        `DEFAULT_TOL` = 1e-10, `track`'s default). An empty ``(0, n)`` array when the path
        never reaches λ.

        **Raises:** `ValueError` naming `problem` when none is attached (a loaded path) and
        none is given, or it has another number of unknowns than the path; naming the
        crossing (its index and λ) and its residual when Newton does not reach `tol` there
        (e.g. `problem` is not the one the path was traced on); naming `lam` when it is not a
        finite real number (a bool or a string is not), `tol` when it is not one in track's
        range [1e-15, 1e-2] (`homotopy.tracker.TOL_RANGE`).
        """
        # imported here: a Path alone (loaded, saved, read) needs no JAX
        from ._checks import TOL_RANGE, check_number
        from .correctors import correct_at

        problem = self.problem if problem is None else problem
        if problem is None:
            raise ValueError("problem: this path has no problem attached; pass problem=")
        lam = _finite("lam", lam)
        if tol is None:
            tol = DEFAULT_TOL if self.tol is None else self.tol
        # track's range: a looser tol lets points off the path pass, a tighter one no point
        tol = check_number("tol", tol, *TOL_RANGE, lo_closed=True, why="as track's tol")
        n = self.w.shape[1]
        self._check_size(problem, lam)
        S, U, T = self.vertices()
        # signs, not a product: (λ_i − λ)(λ_{i+1} − λ) overflows for |λ| near 1e308
        g = np.sign(U[:, -1] - lam)
        rows = []
        for i in range(len(g)):
            if g[i] == 0.0:
                rows.append(U[i, :-1])
            elif i + 1 < len(g) and g[i] * g[i + 1] < 0.0:
                # a guess only: one that overflows is caught by the residual check below
                with np.errstate(over="ignore", invalid="ignore"):
                    rows.append(self._crossing(S[i : i + 2], U[i : i + 2], T[i : i + 2], lam))
        if not rows:
            return np.empty((0, n))

        ws = np.stack([correct_at(problem, w0, lam, tol=NEWTON_STEP_TOL) for w0 in rows])
        for k, w in enumerate(ws):
            res = _residual(problem, w, lam)
            if not res <= tol:  # NaN fails too
                raise ValueError(
                    f"Path.at: Newton did not converge at crossing {k} of {len(ws)} at "
                    f"λ = {lam:.12g}: ‖H(w, λ)‖ = {res:.3g} > tol = {tol:.3g}; is `problem` "
                    "the one the path was traced on?"
                )
        return ws

    def _check_size(self, problem: Any, lam: float) -> None:
        """A `ValueError` naming `problem` when its unknowns are not the path's weights."""
        n = self.w.shape[1]
        m = getattr(problem, "n_unknowns", None)
        if m is None:  # a problem that does not say: H of a path point must be n values
            try:
                m = int(np.size(np.asarray(problem.H(np.array(self.w[0]), lam))))
            except Exception as err:  # noqa: BLE001 - any failure here is a mismatch
                raise ValueError(
                    f"problem: its H cannot be evaluated at this path's {n} weights "
                    f"({type(err).__name__}: {err}); pass the problem the path was traced on"
                ) from None
        if m != n:
            raise ValueError(
                f"problem: this path has {n} weights but the problem has {m} unknowns; pass "
                "the problem the path was traced on"
            )

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
        """Write the path to an ``.npz`` file (no pickle), atomically (temp file + rename),
        with the fingerprint of its problem (`problem_fingerprint`) where it has one.

        **Raises:** `OSError` naming the file (not the temporary one) when it cannot be
        written.
        """
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
        fingerprint = self.fingerprint
        if self.problem is not None:
            fingerprint = problem_fingerprint(self.problem) or fingerprint
        if fingerprint is not None:
            arrays["fingerprint"] = np.array(fingerprint)
        if self.tol is not None:
            arrays["tol"] = np.array(float(self.tol))
        file = os.fspath(file)
        if not file.endswith(".npz"):
            file += ".npz"
        with atomic_path(file, suffix=".npz") as tmp:
            np.savez(tmp, **arrays)


def _finite(name: str, value: Any) -> float:
    """`value` as a finite float (a real number or a 0-d real array, not a bool or a
    string: ``float('0.5')`` and ``float(True)`` would parse them), or a `ValueError`
    naming the argument."""
    from ._checks import real_scalar  # a Path alone needs no JAX

    try:
        x = real_scalar(value)
    except (TypeError, ValueError):
        x = float("nan")
    if not np.isfinite(x):
        raise ValueError(f"{name}: expected a finite real number, got {value!r}")
    return x


def _residual(problem: Any, w: np.ndarray, lam: float) -> float:
    """‖H(w, λ)‖₂ (NaN where H is not finite)."""
    import jax.numpy as jnp

    return stable_norm(np.asarray(problem.H(jnp.asarray(w), lam), dtype=np.float64))


# The arrays every saved path has; `event_kernel`, `fingerprint` and `tol` came later.
_REQUIRED = (
    "status", "message", "lam", "w", "s", "tangents", "event_kind", "event_lam", "event_w",
    "event_s", "event_tangent", "w_end", "direction", "stats", "lam_span",
)  # fmt: skip


#: the saved arrays of numbers (any other is text: `status`, `message`, `stats`,
#: `event_kind`, `fingerprint`), and those that must be finite: a path's points and events
#: are (the tracker accepts only finite points); tangents are NaN only at the one point of a
#: path whose start was not valid, an event's kernel where it has none
_NUMERIC = (
    "lam", "w", "s", "tangents", "event_lam", "event_w", "event_s", "event_tangent",
    "event_kernel", "w_end", "direction", "lam_span", "tol",
)  # fmt: skip
_FINITE = (
    "lam", "w", "s", "event_lam", "event_w", "event_s", "event_tangent", "w_end", "direction",
    "lam_span", "tol",
)  # fmt: skip
_TEXT = ("status", "message", "stats", "fingerprint")


def _contents_problem(a: Mapping[str, np.ndarray]) -> str | None:
    """What is wrong with a saved path's arrays (by name): a dtype, a non-finite value, a
    shape that disagrees with another's, an unreadable `tol`; or ``None``."""
    for name in _NUMERIC:
        if name in a and a[name].dtype.kind not in "iuf":
            return f"{name} must hold real numbers, got dtype {a[name].dtype}"
    for name in _TEXT:
        if name in a and (a[name].dtype.kind != "U" or a[name].ndim != 0):
            got = f"dtype {a[name].dtype}, shape {a[name].shape}"
            return f"{name} must be one text string, got {got}"
    if a["event_kind"].dtype.kind != "U" and a["event_kind"].size:
        return f"event_kind must hold text, got dtype {a['event_kind'].dtype}"
    why = _shapes_problem(a)
    if why is not None:
        return why
    for name in _FINITE:
        if name in a and not np.all(np.isfinite(a[name])):
            return f"{name} holds NaN or infinite values"
    T = a["tangents"]
    if np.any(np.isinf(T)) or (T.shape[0] > 1 and np.any(np.isnan(T))):
        return "tangents holds NaN or infinite values (NaN only for a one-point path)"
    if a["lam_span"][0] == a["lam_span"][1]:
        return f"lam_span has equal ends {tuple(a['lam_span'])}"
    if "tol" in a:
        from ._checks import TOL_RANGE  # a Path alone needs no JAX

        tol = a["tol"]
        if tol.ndim != 0 or not TOL_RANGE[0] <= float(tol) <= TOL_RANGE[1]:
            return f"tol must be one number in [{TOL_RANGE[0]:g}, {TOL_RANGE[1]:g}], got {tol!r}"
    return None


def _read_stats(text: str) -> dict[str, int]:
    """The saved `stats`: a JSON object of counts (ValueError otherwise)."""
    stats = json.loads(text)
    if not isinstance(stats, dict) or not all(
        isinstance(k, str) and type(v) is int for k, v in stats.items()
    ):
        raise ValueError(f"stats must be a JSON object of integer counts, got {text[:80]!r}")
    return stats


def _shapes_problem(a: Mapping[str, np.ndarray]) -> str | None:
    """What is inconsistent among a saved path's arrays (by name), or ``None``."""
    lam, w = a["lam"], a["w"]
    if lam.ndim != 1 or lam.size == 0:
        return f"lam must be a non-empty 1-D array, got shape {lam.shape}"
    N = lam.shape[0]
    if w.ndim != 2 or w.shape[0] != N or w.shape[1] == 0:
        return f"lam has {N} entries but w has shape {w.shape} (expected ({N}, n))"
    n = w.shape[1]
    expected = {"s": (N,), "tangents": (N, n + 1)}
    k = a["event_kind"].shape[0] if a["event_kind"].ndim == 1 else -1
    if k < 0:
        return f"event_kind must be 1-D, got shape {a['event_kind'].shape}"
    expected |= {
        "event_lam": (k,),
        "event_w": (k, n),
        "event_s": (k,),
        "event_tangent": (k, n + 1),
        "event_kernel": (k, n + 1, 2),
        "lam_span": (2,),
    }
    for name, shape in expected.items():
        if name in a and a[name].shape != shape:
            return (
                f"{name} has shape {a[name].shape} but lam ({N} points), w ({n} weights) and "
                f"event_kind ({k} events) need {shape}"
            )
    for name in ("w_end", "direction"):
        if a[name].size not in (0, n):
            return f"{name} has {a[name].size} entries but w has {n} weights"
    return None


def load_path(file: str | os.PathLike[str], problem: Any = None) -> Path:
    """Read a `Path` written by `Path.save` (``allow_pickle=False``); attach `problem` if given.

    **Raises:** `OSError` for a missing or unreadable file; `ValueError` naming `file` when
    it is not a file name, not an ``.npz`` archive, a damaged one, holds pickled (object)
    arrays, lacks arrays, or has arrays of the wrong kind (text for numbers, NaN or infinite
    points, a `tol` outside track's range, unreadable stats) or that disagree in length;
    `ValueError` naming `problem` when the file's fingerprint says it was traced on another
    problem (`problem_fingerprint`).
    """
    try:
        file = os.fspath(file)
    except TypeError:
        raise ValueError(f"file: expected a file name (str or os.PathLike), got {file!r}") from None
    if not isinstance(file, str):  # bytes: a file name, but messages print str
        file = os.fsdecode(file)
    try:
        with open(file, "rb") as fh:  # a missing file: the OSError names it
            is_zip = zipfile.is_zipfile(fh)
    except ValueError as err:  # e.g. an embedded NUL: no file can have that name
        raise ValueError(f"file: {file!r} is not a valid file name ({err})") from None
    if not is_zip:  # numpy would try to unpickle it and suggest allow_pickle=True
        raise ValueError(
            f"file: {file!r} is not an .npz archive; a path is saved by Path.save "
            "(or 'homotopy trace --out')"
        )
    try:
        # our own handle: np.load leaks the one it opens when the archive's directory is
        # damaged (a ResourceWarning)
        with open(file, "rb") as fh, np.load(fh, allow_pickle=False) as z:
            missing = [k for k in _REQUIRED if k not in z.files]
            if missing:
                raise ValueError(
                    f"file: {file!r} is not a path saved by Path.save: no array "
                    f"{', '.join(map(repr, missing))}"
                )
            a = {k: np.array(z[k]) for k in z.files}
    except ValueError as err:
        if str(err).startswith("file: "):
            raise
        if "allow_pickle" in str(err):  # numpy's message suggests allow_pickle=True: never
            raise ValueError(
                f"file: {file!r} holds pickled (object) arrays, which are never loaded; a "
                "path saved by Path.save has none"
            ) from None
        raise ValueError(f"file: {file!r} is a damaged .npz archive ({err})") from None
    except (
        zipfile.BadZipFile, EOFError, KeyError, NotImplementedError, zlib.error, OSError
    ) as err:  # fmt: skip
        # NotImplementedError: a damaged header naming an unknown compression method;
        # OSError (the file itself was opened above): a damaged offset, e.g. a seek before 0
        raise ValueError(f"file: {file!r} is a damaged .npz archive ({err})") from None
    why = _contents_problem(a)
    if why is not None:
        raise ValueError(f"file: {file!r} holds inconsistent arrays: {why}")
    try:
        status = Status(str(a["status"]))
        stats = _read_stats(str(a["stats"]))
    except ValueError as err:
        raise ValueError(f"file: {file!r} holds an unreadable status or stats: {err}") from None
    fingerprint = str(a["fingerprint"]) if "fingerprint" in a else None
    if problem is not None and fingerprint is not None:
        mine = problem_fingerprint(problem)
        if mine is not None and mine != fingerprint:
            raise ValueError(
                f"problem: its data or settings differ from those the path in {file!r} was "
                "traced on (fingerprints differ); pass that problem"
            )
    n_ev = len(a["event_kind"])
    n = a["w"].shape[1]
    kernels = a["event_kernel"] if "event_kernel" in a else np.full((n_ev, n + 1, 2), np.nan)
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
            a["event_kind"],
            a["event_lam"],
            a["event_w"],
            a["event_s"],
            a["event_tangent"],
            kernels,
            strict=True,
        )
    )
    return Path(
        status=status,
        message=str(a["message"]),
        lam=a["lam"],
        w=a["w"],
        s=a["s"],
        tangents=a["tangents"],
        events=events,
        w_end=a["w_end"] if a["w_end"].size else None,
        direction=a["direction"] if a["direction"].size else None,
        stats=stats,
        lam_span=tuple(float(x) for x in a["lam_span"]),
        problem=problem,
        tol=float(a["tol"]) if "tol" in a else None,
        fingerprint=fingerprint,
    )
