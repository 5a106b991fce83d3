r"""Predictor-corrector path tracking of H(w, λ) = 0: the loop that runs the parts.

The path u(s) = (w(s), λ(s)) is followed by pseudo-arclength continuation (Keller): a
predictor steps along the curve (`homotopy.predictors`), a corrector brings the prediction
back onto it within the hyperplane tᵀ(u − u_pred) = 0 (`homotopy.correctors`), a step-size
controller accepts or rejects the step and sizes the next (`homotopy.step_size`), event
functions are watched for sign changes (`homotopy.events`), a divergence strategy recognises
weights running to infinity (`homotopy.divergence`) and `homotopy.termination` turns all of
that into a `Status`. Natural-parameter continuation (``method="natural"``) is the same loop
with the constraint row e_λ (λ fixed) instead of t: it cannot pass a fold, and reports
STEP_FAILURE there.

`Tracker` is the stepping interface (``init`` / ``step`` / ``finish``); `track` runs the same
three functions fused into one compiled ``lax.while_loop``, and `track_many` runs them on a
pool of ``vmap``ped lanes.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from . import termination
from ._checks import (
    INT_MAX,
    TOL_RANGE,  # `tol`'s range, and why: kept importable from here
    check_array,
    check_bool,
    check_int,
    check_maps,
    check_number,
    real_scalar,
)
from ._linalg import inverse_norm, serial_lapack
from ._parametrization import orient, velocity
from ._tangent import tangent
from .correctors import (
    COMPILER_OPTIONS,
    AbstractCorrector,
    CorrectorInput,
    NewtonTolerances,
    Simplified,
    corrector_from,
    newton_solve,
    polish,
)
from .degenerate import BranchStart
from .divergence import AbstractDivergence, divergence_from
from .events import (
    AbstractEvent,
    Bifurcation,
    EventPoint,
    TurningPoint,
    check_turning_tol,
    events_from,
    locate,
    record,
    record_width,
)
from .path import Event, Path, Status, stable_norm
from .predictors import AbstractPredictor, PredictorInput, predictor_from
from .protocol import (
    System,
    bucket,
    check_problem,
    join_prepared,
    lam_range_of,
    split_problem,
    start_of,
    system as system_of,
)
from .step_size import CONTROLLER_OPTIONS, AbstractStepSizeController, controller_from


Array = jax.Array
RUNNING = termination.RUNNING


#: the numeric options: (low, high, "[]" / "(]" / "()": which ends are allowed, why). Every
#: one is a finite real number, not a bool (``tol=True`` was taken as 1.0). A relative
#: tolerance of 1 or more (a bound on a quantity ≤ 1) would pass always.
NUMBER_OPTIONS: dict[str, tuple[float, float, str, str]] = {
    "tol": (*TOL_RANGE, "[]", "‖H‖ ≤ tol at every accepted point: below 1e-15 float64 "
            "rounding of H alone exceeds it, above 1e-2 points off the path pass"),
    "step_tol": (0.0, 1.0, "()", "relative to 1 + ‖u‖"),
    "initial_step": (0.0, math.inf, "()", ""),
    "min_step": (0.0, math.inf, "()", ""),
    "max_step": (0.0, math.inf, "()", ""),
    "landing_tol": (0.0, 1.0, "()", "a bound on |dλ/ds| of a unit tangent"),
    "singular_tol": (0.0, 1.0, "()", "relative to ‖H_w‖_F at the start"),
}  # fmt: skip
#: the integer options and their least values (a bool is not an integer here); each is at
#: most `INT_MAX` (the loop's int32 counters)
INT_OPTIONS = {"max_steps": 1, "max_points": 2, "max_events": 1, "max_newton": 1}


@dataclasses.dataclass(frozen=True)
class TrackerOptions:
    """The tracker's limits and tolerances (keyword options of `track` and `Tracker`).

    - `method`: ``"arclength"`` (pseudo-arclength, passes folds) or ``"natural"`` (steps in λ
      only; for teaching: it fails honestly at a fold).
    - `tol`: every accepted point has ‖H(u)‖₂ ≤ `tol`, in [1e-15, 1e-2] (`TOL_RANGE`: the
      float64 floor of ‖H‖, and the loosest test whose points are still solutions).
    - `step_tol`: Newton stops when its estimated remaining error is ≤ `step_tol`·(1 + ‖u‖)
      (in (0, 1)).
    - `max_steps`: accepted steps; attempts (accepted + rejected) are capped at
      4·`max_steps`.
    - `max_points`: the fixed size of the path storage (default `max_steps` + 1, i.e. every
      point). With fewer, the path keeps its first `max_points` − 1 points and its last one:
      memory is O(`max_points`) per path whatever the number of steps.
    - `initial_step`, `min_step`, `max_step`: step sizes in arc length (in λ for
      ``method="natural"``); `min_step` and `max_step` are relative to 1 + ‖u‖.
    - `max_events`: events stored per path.
    - `max_newton`: iterations per correction (twice that for a frozen Jacobian).
    - `landing_tol`: the least |dλ/ds| at the end of the span for a regular landing (smaller
      means the path meets λ_end tangentially, e.g. asymptotically with weights running to
      infinity).
    - `singular_tol`, relative to ‖H_w‖_F at the start: an endpoint where 1/‖H_w⁻¹‖_F (a
      lower bound on its smallest singular value, within √n) falls below it is not a regular
      solution (e.g. a saturated network where σ' and r both underflow, so H ≈ 0
      numerically); the divergence strategy uses the same scale for a vanished H_w.

    Every numeric option is a finite real number in its range (`NUMBER_OPTIONS`,
    `INT_OPTIONS`), never a bool; a bad one is a `ValueError` naming it and the range.

    The parts have their own settings: step control (`contraction_ref`, … see
    `homotopy.step_size.AllgowerGeorg`), `turning_tol` (`homotopy.events.TurningPoint`),
    `w_max` (`homotopy.divergence.NetworkDivergence`); `track` accepts those as keywords too.
    """

    method: str = "arclength"
    tol: float = 1e-10
    step_tol: float = 1e-11
    max_steps: int = 2000
    max_points: int | None = None
    initial_step: float = 0.05
    min_step: float = 1e-12
    max_step: float = 0.5
    max_events: int = 32
    max_newton: int = 8
    landing_tol: float = 1e-9
    singular_tol: float = 1e-10

    def __post_init__(self) -> None:
        if not isinstance(self.method, str) or self.method not in ("arclength", "natural"):
            raise ValueError(f"method: expected 'arclength' or 'natural', got {self.method!r}")
        for name, least in INT_OPTIONS.items():
            v = getattr(self, name)
            if not (name == "max_points" and v is None):
                why = "the loop's counters are int32"
                if name == "max_points":
                    why = f"the start and the last point; {why}"
                check_int(name, v, least, most=INT_MAX, why=why)
        for name, (lo, hi, ends, why) in NUMBER_OPTIONS.items():
            # stored as the float: an int beyond int64 (max_step=2**63) overflowed in jit
            value = check_number(
                name, getattr(self, name), lo, hi,
                lo_closed=ends[0] == "[", hi_closed=ends[1] == "]", why=why,
            )  # fmt: skip
            object.__setattr__(self, name, value)
        if self.min_step >= self.max_step:
            # named by the one changed from its default (max_step=1e-13 is max_step's fault)
            if self.max_step != type(self).max_step and self.min_step == type(self).min_step:
                raise ValueError(
                    f"max_step: must be larger than min_step = {self.min_step!r}, got "
                    f"{self.max_step!r}"
                )
            raise ValueError(
                f"min_step: must be smaller than max_step = {self.max_step!r}, got "
                f"{self.min_step!r}"
            )

    @property
    def natural(self) -> bool:
        """Whether the loop steps in λ (``method="natural"``)."""
        return self.method == "natural"

    @property
    def newton(self) -> NewtonTolerances:
        """The correctors' tolerances."""
        return NewtonTolerances(self.tol, self.step_tol, self.max_newton)

    @property
    def n_stored(self) -> int:
        """Rows of the point storage: min(`max_points`, `max_steps` + 1)."""
        if self.max_points is None:
            return self.max_steps + 1
        return min(self.max_points, self.max_steps + 1)


class TrackerState(NamedTuple):
    """One path's state between steps (a PyTree of arrays, replaced every step).

    Evolving: `u`, `t` (the unit tangent), `J` (the Jacobian at u), `det_sign` and `logdet`
    of [J; tᵀ], the step `h`, arc length `s`, the previous point (`u_prev`, `t_prev`,
    `has_prev`) and `status` (`RUNNING` = −1, else a `Status` code). Statistics: `steps`,
    `rejected`, `newton`, `jacobians`, `jvps`, `attempts`. Buffers: `n_points` and `P` (one
    row [u | t | s] per accepted point, NaN-padded; the last row is scratch), `n_events` and
    `EV` (the events' steps, see `homotopy.events`). Per-path constants, carried so that one
    compiled step serves any path: `lam_start`, `lam_bound` (LEFT_SPAN past it), `lam_end`,
    `dirn` = sign(λ_end − λ_start), `w0norm`, `w_max`, `hw0` = ‖H_w‖_F at the start (the
    scale of `singular_tol`).
    """

    u: Array
    t: Array
    J: Array
    det_sign: Array
    logdet: Array
    h: Array
    s: Array
    u_prev: Array
    t_prev: Array
    has_prev: Array
    status: Array
    steps: Array
    rejected: Array
    newton: Array
    jacobians: Array
    jvps: Array
    attempts: Array
    n_points: Array
    P: Array
    n_events: Array
    EV: Array
    lam_start: Array
    lam_bound: Array
    lam_end: Array
    dirn: Array
    w0norm: Array
    w_max: Array
    hw0: Array


#: fields of `TrackerState` written by masked scatters (a finished lane's stay unchanged)
BUFFERS = frozenset({"P", "n_events", "EV"})


class Result(NamedTuple):
    """What the compiled tracker returns for a path (arrays only; a PyTree, so it vmaps)."""

    status: Array
    n_points: Array
    U: Array
    T: Array
    S: Array
    n_events: Array
    EK: Array
    EU: Array
    ET: Array
    ES: Array
    steps: Array
    rejected: Array
    newton: Array
    jacobians: Array
    jvps: Array


@dataclasses.dataclass(frozen=True, eq=False)
class Algorithm:
    """The tracker's parts and options: hashable, so it is a static argument of ``jit``.

    Its methods are pure functions of (problem, state), traced inside ``jit`` (and ``vmap``
    when `batched`): `init`, `step` (one attempted step of a running path), `finish`.
    """

    options: TrackerOptions
    predictor: AbstractPredictor
    corrector: AbstractCorrector
    controller: AbstractStepSizeController
    events: tuple[AbstractEvent, ...]
    divergence: AbstractDivergence
    batched: bool = False

    # jit hashes and compares its static arguments on every call: hash once, and compare by
    # identity first (`algorithm` hands out one object per distinct set of parts and options)
    def __hash__(self) -> int:
        try:
            return self.__dict__["_hash"]
        except KeyError:
            value = hash(tuple(getattr(self, f.name) for f in dataclasses.fields(self)))
            object.__setattr__(self, "_hash", value)
            return value

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Algorithm):
            return NotImplemented
        return all(
            getattr(self, f.name) == getattr(other, f.name) for f in dataclasses.fields(self)
        )

    @property
    def event_names(self) -> tuple[str, ...]:
        """`Event.kind` of each event index."""
        return tuple(e.name for e in self.events)

    def system(self, problem: Any) -> System:
        """The problem's `System`, with the linear algebra for this algorithm."""
        return system_of(problem, batched=self.batched)

    def init(
        self,
        problem: Any,
        u0: Array,
        lam_end: Array,
        lam_bound: Array | None = None,
        direction: Array | None = None,
    ) -> TrackerState:
        """The state at the start: w₀ corrected at fixed λ₀, then the first tangent
        (INVALID_START when that fails). `lam_bound` (default λ₀): the path is LEFT_SPAN
        when λ goes back past it. `direction` (default: towards λ_end; zeros mean the
        default): the first tangent t has t·direction > 0."""
        opts = self.options
        sys = self.system(problem)
        dtype = u0.dtype
        n1 = u0.shape[0]
        shape = jax.eval_shape(sys.H, u0).shape  # checked once per compilation, not per call
        if shape != (n1 - 1,):
            raise ValueError(f"problem: H(w, lam) must return shape ({n1 - 1},), got {shape}")
        e_lam = jnp.zeros(n1, dtype).at[-1].set(1.0)
        lam_start = u0[-1]
        lam_end = jnp.asarray(lam_end, dtype)
        dirn = jnp.sign(lam_end - lam_start)
        w0norm = jnp.linalg.norm(u0[:-1])

        start = newton_solve(sys, u0, e_lam, opts.newton)
        u_start = jnp.where(start.converged, start.u, u0)
        J0 = sys.J(u_start)
        t_ref = dirn * e_lam
        if direction is not None:
            t_ref = jnp.where(jnp.any(direction != 0), direction, t_ref)
        t0, sign0, logdet0 = tangent(sys, J0, t_ref)
        valid = start.converged & jnp.all(jnp.isfinite(t0)) & (jnp.abs(t0[-1]) > 1e-14)

        N, E = opts.n_stored, opts.max_events
        P = jnp.full((N + 1, 2 * n1 + 1), jnp.nan, dtype)
        EV = jnp.full((E + 1, record_width(n1)), jnp.nan, dtype).at[:, 0].set(-1.0)
        span = jnp.abs(lam_end - lam_start) if opts.natural else 1
        return TrackerState(
            u=u_start,
            t=t0,
            J=J0,
            det_sign=sign0,
            logdet=logdet0,
            h=jnp.asarray(opts.initial_step, dtype) * span,
            s=jnp.zeros((), dtype),
            u_prev=u_start,
            t_prev=t0,
            has_prev=jnp.bool_(False),
            status=jnp.where(valid, RUNNING, Status.INVALID_START.code).astype(jnp.int32),
            steps=jnp.int32(0),
            rejected=jnp.int32(0),
            newton=start.iterations,
            jacobians=start.jacobians + 1,
            jvps=jnp.int32(0),
            attempts=jnp.int32(0),
            n_points=jnp.int32(1),
            P=P.at[0].set(jnp.concatenate([u_start, t0, jnp.zeros(1, dtype)])),
            n_events=jnp.int32(0),
            EV=EV,
            lam_start=lam_start,
            lam_bound=lam_start if lam_bound is None else jnp.asarray(lam_bound, dtype),
            lam_end=lam_end,
            dirn=dirn,
            w0norm=w0norm,
            w_max=jnp.asarray(self.divergence.bound(w0norm), dtype),
            hw0=jnp.linalg.norm(J0[:, :-1]),
        )

    def step(self, problem: Any, st: TrackerState) -> TrackerState:
        """One attempted step: predict, correct, accept or reject, record events, decide the
        status. Branch-free: under vmap a ``lax.cond`` runs both branches anyway, and writing
        one row of a buffer is far cheaper than selecting between two copies of it."""
        opts, natural = self.options, self.options.natural
        sys = self.system(problem)
        u, t, h = st.u, st.t, st.h
        dirn, lam_start, lam_end = st.dirn, st.lam_start, st.lam_end
        e_lam = jnp.zeros(u.shape[0], u.dtype).at[-1].set(1.0)
        lam = u[-1]
        scale = 1.0 + jnp.linalg.norm(u)
        running = st.status == RUNNING

        # ---- predict; land exactly on λ_end when the prediction reaches it: an Euler step
        # to λ_end, then a correction with λ fixed
        pin = PredictorInput(u, t, st.u_prev, st.t_prev, st.has_prev, dirn)
        u_p, extra_j = self.predictor.predict(sys, pin, h, natural)
        cross = dirn * (u_p[-1] - lam_end) >= 0
        v = velocity(t, dirn, natural)
        u_land = (u + ((lam_end - lam) / v[-1]) * v).at[-1].set(lam_end)
        u_p = jnp.where(cross, u_land, u_p)
        fix_lam = cross | natural
        row = jnp.where(fix_lam, e_lam, t)

        # ---- correct
        c = self.corrector.correct(
            sys, CorrectorInput(u, t, st.J, u_p, row, fix_lam, e_lam, running), opts.newton
        )
        u_c, t_c = c.u, orient(c.t, dirn, natural)

        # ---- accept or reject, and the next step
        alpha = jnp.arccos(jnp.clip(t @ t_c, -1.0, 1.0))
        delta = jnp.linalg.norm(u_c - u_p) / scale
        lam_c = u_c[-1]
        overshoot = dirn * (lam_c - lam_end) > 0
        finite = jnp.all(jnp.isfinite(u_c)) & jnp.all(jnp.isfinite(t_c))
        # a fixed-λ correction must stay near its prediction, or it has jumped branches
        jump = fix_lam & (
            jnp.linalg.norm(u_c - u_p) > 0.5 * jnp.linalg.norm(u_p - u) + 1e-9 * scale
        )
        ok = (
            running
            & c.converged
            & finite
            & ~overshoot
            & ~jump
            & self.controller.accept(c.contraction, delta, alpha)
        )
        h_acc, h_rej = self.controller.adapt(h, c.contraction, delta, alpha, self.predictor.order)
        h_max = opts.max_step * (jnp.abs(lam_end - lam_start) if natural else scale)
        h_acc = jnp.clip(h_acc, 0.0, h_max)
        h_acc = jnp.where(cross, jnp.maximum(h_acc, h), h_acc)

        # ---- the status
        steps = st.steps + ok
        at_end = lam_c == lam_end
        status_acc = termination.after_accepted(
            at_end=at_end,
            tangential=jnp.abs(t_c[-1]) < opts.landing_tol,
            outward=self.divergence.outward(u_c, t_c),
            diverged=self.divergence.at_point(u_c, t_c, c.J, st.w_max, st.hw0, opts.singular_tol),
            left_span=dirn * (lam_c - st.lam_bound) < 0,
            steps=steps,
            max_steps=opts.max_steps,
        )
        status_rej = termination.after_rejected(
            too_small=h_rej < opts.min_step * scale,
            stalled=self.divergence.stalled(u, t, lam_end),
            attempts=st.attempts + 1,
            max_steps=opts.max_steps,
        )

        # ---- events on the accepted step; the accepted point (past the storage cap, the
        # last slot keeps the latest one)
        s_new = st.s + jnp.linalg.norm(u_c - u)
        EV, n_ev = record(
            self.events,
            natural,
            st.EV,
            st.n_events,
            ok,
            EventPoint(u, t, st.det_sign, st.logdet),
            EventPoint(u_c, t_c, c.sign, c.logdet),
            st.s,
        )
        N = opts.n_stored
        i = jnp.minimum(st.n_points, N - 1)

        def pick(a, r):
            return jnp.where(ok, a, r)

        return st._replace(
            u=pick(u_c, u),
            t=pick(t_c, t),
            J=pick(c.J, st.J),
            det_sign=pick(c.sign, st.det_sign),
            logdet=pick(c.logdet, st.logdet),
            h=pick(h_acc, h_rej),
            s=pick(s_new, st.s),
            u_prev=pick(u, st.u_prev),
            t_prev=pick(t, st.t_prev),
            has_prev=st.has_prev | ok,
            status=pick(status_acc, status_rej).astype(jnp.int32),
            steps=steps,
            rejected=st.rejected + ~ok,
            newton=st.newton + c.iterations,
            jacobians=st.jacobians + c.jacobians + extra_j,
            jvps=st.jvps + c.jvps,
            attempts=st.attempts + 1,
            n_points=st.n_points + ok,
            P=st.P.at[jnp.where(ok, i, N)].set(jnp.concatenate([u_c, t_c, s_new[None]])),
            n_events=n_ev,
            EV=EV,
        )

    def step_lane(self, problem: Any, st: TrackerState) -> TrackerState:
        """`step` for a lane of a batch, which may hold a finished path: that one stays
        exactly as it ended (its buffers are guarded by the step's acceptance, false when not
        running; the small fields here)."""
        new = self.step(problem, st)
        running = st.status == RUNNING
        return new._replace(
            **{
                f: jnp.where(running, getattr(new, f), getattr(st, f))
                for f in new._fields
                if f not in BUFFERS
            }
        )

    def finish(self, problem: Any, st: TrackerState, locate_events: bool = True) -> Result:
        """The result of a finished path: the endpoint checked for regularity and polished
        at exactly λ_end; the events refined (`locate_events=False` leaves EU, ET, ES NaN
        for `_events_jit` to refine from ``st.EV``, compiled apart)."""
        opts = self.options
        sys = self.system(problem)
        # an endpoint must be a regular root. On an asymptote to infinite weights a saturated
        # network makes H vanish numerically at finite w (σ' and r both underflow).
        f_end = sys.factor(st.J[:, :-1])
        # 1/‖H_w⁻¹‖_F ≤ σ_min(H_w); NaN (an exactly singular H_w) counts as singular
        singular = ~(opts.singular_tol * st.hw0 * inverse_norm(f_end) < 1.0)
        status = termination.at_finish(
            st.status,
            singular=singular,
            escaped=self.divergence.at_singular_end(st.u, st.t, st.w0norm),
        )
        N, E = opts.n_stored, opts.max_events
        n1 = st.u.shape[0]
        if locate_events:
            EU, ET, ES, nj = locate(
                sys, self.events, opts.natural, opts.newton, st.EV, st.n_events, st.dirn
            )
        else:
            EU = ET = jnp.full((E, n1), jnp.nan, st.u.dtype)
            ES, nj = jnp.full((E,), jnp.nan, st.u.dtype), 0
        success = status == Status.SUCCESS.code
        last = jnp.minimum(st.n_points, N) - 1
        U, T, S = st.P[:N, :n1], st.P[:N, n1 : 2 * n1], st.P[:N, 2 * n1]
        # the landing point is accurate to step_tol: chord steps with its Jacobian (already
        # computed for its tangent) reach full precision without a new one
        w_end, polish_j = polish(sys, U[last, :-1], st.lam_end, 1e-15, success, fixed=f_end)
        U = U.at[last].set(jnp.where(success, U[last].at[:-1].set(w_end), U[last]))
        return Result(
            status=status.astype(jnp.int32),
            n_points=st.n_points,
            U=U,
            T=T,
            S=S,
            n_events=st.n_events,
            EK=st.EV[:E, 0].astype(jnp.int32),
            EU=EU,
            ET=ET,
            ES=ES,
            steps=st.steps,
            rejected=st.rejected,
            newton=st.newton,
            jacobians=st.jacobians + nj + polish_j,
            jvps=st.jvps,
        )


# ---------------------------------------------------------------------------------------------
# Choosing the parts: names or objects, plus the parts' settings given as keyword options.


_OPTION_NAMES = frozenset(f.name for f in dataclasses.fields(TrackerOptions))
_PART_OPTIONS = CONTROLLER_OPTIONS | {"turning_tol", "detect_bifurcations", "w_max"}


def _build(
    predictor: Any,
    corrector: Any,
    controller: Any,
    events: Any,
    divergence: Any,
    options: dict,
    batched: bool,
) -> Algorithm:
    unknown = options.keys() - _OPTION_NAMES - _PART_OPTIONS
    if unknown:
        raise ValueError(f"options: unknown {sorted(unknown)}; see homotopy.TrackerOptions")
    opts = TrackerOptions(**{k: v for k, v in options.items() if k in _OPTION_NAMES})
    ctrl = controller_from(
        controller, **{k: v for k, v in options.items() if k in CONTROLLER_OPTIONS}
    )
    if events is None:
        # checked under the option's own name, before TurningPoint checks its `tol`
        own = "turning_tol" in options
        tp = TurningPoint(check_turning_tol(options["turning_tol"])) if own else TurningPoint()
        detect = check_bool("detect_bifurcations", options.get("detect_bifurcations", True))
        evs = (tp, Bifurcation()) if detect else (tp,)
    else:
        given = {"turning_tol", "detect_bifurcations"} & options.keys()
        if given:
            raise ValueError(
                f"events: {sorted(given)} given beside events=; set them on the events instead"
            )
        evs = events_from(events)
    div_fields = {"w_max": options["w_max"]} if options.get("w_max") is not None else {}
    return Algorithm(
        options=opts,
        predictor=predictor_from(predictor),
        corrector=corrector_from(corrector),
        controller=ctrl,
        events=evs,
        divergence=divergence_from(divergence, **div_fields),
        batched=batched,
    )


@functools.lru_cache(maxsize=128)
def _build_cached(key: tuple) -> Algorithm:
    parts, items, batched = key
    return _build(*(p for _, p in parts), {k: v for k, _, v in items}, batched)


def algorithm(
    *,
    predictor: Any = "hermite",
    corrector: Any = "simplified",
    controller: Any = "allgower_georg",
    events: Any = None,
    divergence: Any = "network",
    batched: bool = False,
    **options: Any,
) -> Algorithm:
    """The `Algorithm` of these parts and options, validated once per distinct set.

    **Raises:** `ValueError` naming the argument for an unknown option, part or bad value.
    """
    parts = (predictor, corrector, controller, events, divergence)
    try:
        # the type is part of the key: 1, 1.0 and True are equal but not equally valid
        key = (
            tuple((type(p), p) for p in parts),
            tuple((k, type(v), v) for k, v in sorted(options.items())),
            batched,
        )
        hash(key)
    except TypeError:  # an unhashable value (e.g. a list of events): validate it uncached
        return _build(*parts, options, batched)
    return _build_cached(key)


# ---------------------------------------------------------------------------------------------
# Compiled entry points. Results are packed into one float and one int array (fetching 2
# arrays from the device instead of 14, and putting 1, not 2, is most of the per-call overhead
# of a short path).


_FLOAT_FIELDS = ("U", "T", "S", "EV", "dirn")
_INT_FIELDS = (
    "status",
    "n_points",
    "n_events",
    "steps",
    "rejected",
    "newton",
    "jacobians",
    "jvps",
    "EK",
)


def _pack(alg: Algorithm, problem: Any, st: TrackerState):
    """`finish` without the event refinement, packed. The events come back as the loop's
    records (EV, dirn), unrefined: `_events_jit` refines them, compiled apart, so that the
    many paths without events neither compile nor carry the event locator."""
    res = alg.finish(problem, st, locate_events=False)
    out = dict(res._asdict(), EV=st.EV, dirn=st.dirn)
    floats = jnp.concatenate([jnp.ravel(out[f]) for f in _FLOAT_FIELDS])
    ints = jnp.concatenate([jnp.ravel(out[f]).astype(jnp.int32) for f in _INT_FIELDS])
    return floats, ints


def _unpack_start(x: Array) -> tuple[Array, Array, Array, Array]:
    """(u0, λ1, λ_bound, direction) from the packed start [w0, λ0, λ1, λ_bound, direction]
    (u0 and direction of length n + 1)."""
    n1 = (x.shape[0] - 2) // 2
    return x[:n1], x[n1], x[n1 + 1], x[n1 + 2 :]


def _run_packed(problem_dyn, static, u0_lam1, alg: Algorithm):
    """init, step while running, finish: one path in one compiled loop, from
    (w0, λ0, λ1, λ_bound, direction) (`_unpack_start`)."""
    problem = join_prepared(problem_dyn, static)
    st0 = alg.init(problem, *_unpack_start(u0_lam1))
    st = jax.lax.while_loop(
        lambda s: s.status == RUNNING, functools.partial(alg.step, problem), st0
    )
    return _pack(alg, problem, st)


_run_packed_jit = jax.jit(
    _run_packed, static_argnames=("static", "alg"), compiler_options=COMPILER_OPTIONS
)


def _init(problem_dyn, static, u0_lam1, alg: Algorithm) -> TrackerState:
    return alg.init(join_prepared(problem_dyn, static), *_unpack_start(u0_lam1))


def _step(problem_dyn, static, st, alg: Algorithm) -> TrackerState:
    return alg.step(join_prepared(problem_dyn, static), st)


def _finish_packed(problem_dyn, static, st, alg: Algorithm):
    return _pack(alg, join_prepared(problem_dyn, static), st)


def _events(problem_dyn, static, EV, n_events, dirn, alg: Algorithm):
    sys = alg.system(join_prepared(problem_dyn, static))
    opts = alg.options
    return locate(sys, alg.events, opts.natural, opts.newton, EV, n_events, dirn)


_jit = functools.partial(
    jax.jit, static_argnames=("static", "alg"), compiler_options=COMPILER_OPTIONS
)
_init_jit, _step_jit, _finish_jit, _events_jit = (
    _jit(f) for f in (_init, _step, _finish_packed, _events)
)


def _kernel_basis(problem_dyn, static, u):
    """Singular values and right singular vectors of H_u at u (for bifurcation events)."""
    J = system_of(join_prepared(problem_dyn, static)).J(u)
    return jnp.linalg.svd(J, full_matrices=True)[1:]


_kernel_basis_jit = jax.jit(_kernel_basis, static_argnames=("static",))


@functools.lru_cache(maxsize=64)
def _layout(n1: int, opts: TrackerOptions) -> tuple[tuple, tuple]:
    """(name, start, stop, shape) of every field in the packed float and int arrays."""
    N, E = opts.n_stored, opts.max_events
    shapes = dict(U=(N, n1), T=(N, n1), S=(N,), EV=(E + 1, record_width(n1)), EK=(E,))
    out = []
    for fields in (_FLOAT_FIELDS, _INT_FIELDS):
        pos, spans = 0, []
        for f in fields:
            shape = shapes.get(f, ())
            size = math.prod(shape)
            spans.append((f, pos, pos + size, shape))
            pos += size
        out.append(tuple(spans))
    return out[0], out[1]


def _unpack(floats: np.ndarray, ints: np.ndarray, n1: int, alg: Algorithm, dyn, static) -> Result:
    """The `Result` of a packed output, its events refined by `_events_jit`."""
    fl, it = _layout(n1, alg.options)
    out = {f: floats[a:b].reshape(shape) for f, a, b, shape in fl}
    out.update((f, ints[a:b].reshape(shape)) for f, a, b, shape in it)
    EV, dirn = out.pop("EV"), out.pop("dirn")
    E = alg.options.max_events
    if out["n_events"] > 0:
        ev = _events_jit(dyn, static, EV, out["n_events"], dirn, alg)
        EU, ET, ES, nj = (np.asarray(a) for a in ev)
        out["jacobians"] = out["jacobians"] + nj
    else:
        EU = ET = np.full((E, n1), np.nan)
        ES = np.full((E,), np.nan)
    return Result(**out, EU=EU, ET=ET, ES=ES)


# ---------------------------------------------------------------------------------------------
# The public interface.


def _check_span(lam_span: Any) -> tuple[float, float]:
    try:
        a, b = (real_scalar(x) for x in lam_span)
    except (TypeError, ValueError):
        raise ValueError(f"lam_span: expected two numbers (lam0, lam1), got {lam_span!r}") from None
    # a subnormal λ is 0 to the compiled loop (XLA flushes subnormals to zero on CPU): taken
    # as 0 here, so that the path's span is the one it was traced on (a span ending at
    # 2.2e-311 reported SUCCESS with its last λ 0)
    flushed = [0.0 if abs(x) < _TINY else x for x in (a, b)]
    note = " (a subnormal λ counts as 0)" if flushed != [a, b] else ""
    a, b = flushed
    if not (math.isfinite(a) and math.isfinite(b)) or a == b:
        raise ValueError(f"lam_span: expected two distinct finite numbers{note}, got {lam_span!r}")
    return a, b


_TINY = float(np.finfo(np.float64).tiny)  # the least normal float64, 2.2e-308


def uses_jvp(alg: Algorithm) -> bool:
    """Whether the algorithm's loop takes JVPs of H (the simplified corrector's tangent
    refinement), so that `check_maps` must check H is forward-differentiable."""
    return isinstance(alg.corrector, Simplified)


def check_in_range(problem: Any, span: tuple[float, float], lam_bound: float | None) -> None:
    """A ValueError naming `lam_span` (or `lam_bound`) when it leaves the problem's declared
    ``lam_range`` (`homotopy.protocol`); a problem without one accepts any λ."""
    rng = lam_range_of(problem)
    if rng is None:
        return
    lo, hi = rng
    kind = problem if isinstance(problem, type) else type(problem)
    where = (
        f"{kind.__name__} declares lam_range = ({lo:g}, {hi:g}), the λ interval on "
        "which its homotopy is defined"
    )
    if not all(lo <= lam <= hi for lam in span):
        raise ValueError(f"lam_span: expected both ends in [{lo:g}, {hi:g}] ({where}), got {span}")
    if lam_bound is not None and not lo <= lam_bound <= hi:
        raise ValueError(f"lam_bound: expected a λ in [{lo:g}, {hi:g}] ({where}), got {lam_bound}")


def _check_direction(direction: Any) -> np.ndarray:
    # check_array: a string or a complex vector is refused by name, not left to numpy's cast
    # ('' was a bare "could not convert string to float")
    d = check_array("direction", direction, (1,))
    if not np.any(d != 0):
        raise ValueError("direction: expected a finite, nonzero vector (w, λ) of n + 1 entries")
    return d


def _check_bound(lam_bound: Any, span: tuple[float, float]) -> float | None:
    if lam_bound is None:
        return None
    try:
        b = real_scalar(lam_bound)
    except (TypeError, ValueError):
        raise ValueError(f"lam_bound: expected a number, got {lam_bound!r}") from None
    b = 0.0 if abs(b) < _TINY else b  # as `_check_span`: the loop flushes subnormals
    if not math.isfinite(b) or (span[1] - span[0]) * (span[0] - b) < 0:
        raise ValueError(
            f"lam_bound: expected a finite λ on the start's side of lam_span {span} "
            f"(at or behind lam_span[0]), got {lam_bound!r}"
        )
    return b


class Tracker:
    r"""The path tracker for one problem, as a stepping interface.

    ``tracker.init(start)`` gives the `TrackerState` at the start, ``tracker.step(state)``
    one attempted step (accepted or rejected: see ``state.status``, ``state.steps``), and
    ``tracker.finish(state)`` the `Path`. `run` does all three in one compiled loop; it is
    what `track` calls, and `track_many` runs the same `Algorithm` on a pool of lanes. Each
    method is compiled once per problem shape and set of parts.

    **Arguments:** as `track`: `problem`, `lam_span`, the parts (`predictor`, `corrector`,
    `controller`, `events`, `divergence`: names or objects) and keyword options
    (`TrackerOptions` fields and the parts' settings).

    **Raises:** `ValueError` naming the argument for a bad problem, span (or one outside the
    problem's ``lam_range``), part or option; `init` and `run` also for a bad start or an
    `H` or ``jacobian`` that JAX cannot trace or of the wrong shape.
    """

    def __init__(
        self,
        problem: Any,
        *,
        lam_span: tuple[float, float] = (0.0, 1.0),
        predictor: Any = "hermite",
        corrector: Any = "simplified",
        controller: Any = "allgower_georg",
        events: Any = None,
        divergence: Any = "network",
        lam_bound: float | None = None,
        direction: Any = None,
        **options: Any,
    ) -> None:
        self.algorithm = algorithm(
            predictor=predictor,
            corrector=corrector,
            controller=controller,
            events=events,
            divergence=divergence,
            **options,
        )
        self.lam_span = _check_span(lam_span)
        self.lam_bound = _check_bound(lam_bound, self.lam_span)
        self.direction = None if direction is None else _check_direction(direction)
        self.problem = check_problem(problem)
        check_in_range(problem, self.lam_span, self.lam_bound)
        self._forward = uses_jvp(self.algorithm)
        # the compiled calls see the problem padded to its size bucket (same unknowns, same H)
        self._dyn, self._static = split_problem(bucket(problem))

    def __repr__(self) -> str:
        a = self.algorithm
        return (
            f"Tracker(lam_span={self.lam_span}, predictor={a.predictor}, "
            f"corrector={a.corrector}, events={a.event_names}, divergence={a.divergence})"
        )

    def _serial(self):
        # the whole call, the start's numpy products included: OpenBLAS threads left
        # spinning after a multi-threaded product slow XLA's threads down (10000 × 50: 35 ms
        # a path against 21 ms)
        n = getattr(self.problem, "n_unknowns", None)
        return serial_lapack(n if isinstance(n, int) else None)

    def _u0(self, start: Any) -> np.ndarray:
        w0 = start_of(self.problem, start)
        # H and the Jacobian traced abstractly, once per problem structure: refused by name
        # here, not from inside the compiled loop's tracing
        check_maps(self.problem, w0.shape[0], forward=self._forward)
        # one numpy array in, (w0, λ0, λ1, λ_bound, direction): jit converts it without an
        # eager JAX op
        n = w0.shape[0]
        x = np.zeros(2 * n + 4)
        x[:n], x[n], x[n + 1] = w0, *self.lam_span
        x[n + 2] = self.lam_span[0] if self.lam_bound is None else self.lam_bound
        if self.direction is not None:
            if self.direction.shape != (n + 1,):
                raise ValueError(
                    f"direction: expected {n + 1} entries (w, λ), got {self.direction.shape}"
                )
            x[n + 3 :] = self.direction
        return x

    def init(self, start: Any = None) -> TrackerState:
        """The state at ``lam_span[0]``: `start` (default ``problem.start()``) corrected at
        fixed λ, and the first tangent; ``status`` is RUNNING (−1) or INVALID_START's code."""
        with self._serial():
            u0_lam1 = self._u0(start)
            return jax.block_until_ready(
                _init_jit(self._dyn, self._static, u0_lam1, self.algorithm)
            )

    def step(self, state: TrackerState) -> TrackerState:
        """One attempted step of a running path; a finished one is returned unchanged."""
        if int(state.status) != RUNNING:
            return state
        with self._serial():
            return jax.block_until_ready(_step_jit(self._dyn, self._static, state, self.algorithm))

    def finish(self, state: TrackerState) -> Path:
        """The `Path` of a state (normally a finished one; a running one ends as it is,
        with its status reported as MAX_STEPS)."""
        if int(state.status) == RUNNING:
            state = state._replace(status=jnp.int32(Status.MAX_STEPS.code))
        with self._serial():
            floats, ints = _finish_jit(self._dyn, self._static, state, self.algorithm)
            return self._path(floats, ints, int(state.u.shape[0]))

    def run(self, start: Any = None) -> Path:
        """Track from `start` (default ``problem.start()``) to ``lam_span[1]`` in one
        compiled loop."""
        with self._serial():
            u0_lam1 = self._u0(start)
            floats, ints = _run_packed_jit(self._dyn, self._static, u0_lam1, self.algorithm)
            return self._path(floats, ints, (u0_lam1.shape[0] - 2) // 2)

    def _path(self, floats, ints, n1: int) -> Path:
        floats, ints = np.asarray(floats), np.asarray(ints)
        res = _unpack(floats, ints, n1, self.algorithm, self._dyn, self._static)
        return to_path(res, self.problem, self.lam_span, self.algorithm, self.lam_bound)


def track(
    problem: Any,
    *,
    start: Any = None,
    lam_span: tuple[float, float] = (0.0, 1.0),
    predictor: Any = "hermite",
    corrector: Any = "simplified",
    controller: Any = "allgower_georg",
    events: Any = None,
    divergence: Any = "network",
    lam_bound: float | None = None,
    direction: Any = None,
    certify: bool = False,
    **options: Any,
) -> Path:
    r"""Follow the solution path of H(w, λ) = 0 from λ = lam_span[0] to lam_span[1].

    **Arguments:**

    - `problem`: any object with ``H(w, lam)`` (and optionally ``jacobian(w, lam)``,
      ``start()``; see `homotopy.protocol`), e.g. a `NaturalHomotopy` or `FunctionHomotopy`.
    - `start`: the solution at ``lam_span[0]``; default ``problem.start()`` (for a
      `NaturalHomotopy`: the linear least-squares weights X⁺d). It is first corrected by
      Newton's method at fixed λ.
    - `lam_span`: ``(lam0, lam1)``; λ may run either way, within the problem's
      ``lam_range`` where it declares one (`NaturalHomotopy`, `MLPHomotopy`: [0, 1]).
    - `predictor`: ``"hermite"`` (default), ``"euler"``, ``"rk4"`` or an
      `AbstractPredictor` (`homotopy.predictors`).
    - `corrector`: ``"simplified"`` (default), ``"newton"``, ``"chord"`` or an
      `AbstractCorrector` (`homotopy.correctors`).
    - `controller`: ``"allgower_georg"`` or an `AbstractStepSizeController`
      (`homotopy.step_size`); its fields (``contraction_ref``, …) may also be given as
      keywords.
    - `events`: a sequence of event names or `AbstractEvent` objects (`homotopy.events`;
      default: turning points and, unless ``detect_bifurcations=False``, bifurcations; the
      turning points' tolerance is ``turning_tol``).
    - `divergence`: ``"network"`` (default; ``w_max`` sets its bound), ``None`` (never
      DIVERGED, for problems that are not networks) or an `AbstractDivergence`.
    - `lam_bound`: the path ends LEFT_SPAN when λ goes back past this value (default
      ``lam_span[0]``); a start inside a wider interval, e.g. a branch switched to at a
      bifurcation, may fold back below its own λ and stay a valid path.
    - `direction`: a vector (w, λ) the first tangent is oriented along (t·direction > 0);
      default: towards ``lam_span[1]``. With `lam_bound`, a path may start away from its end.
    - `certify`: prove the endpoint of a successful path (`homotopy.certify`: interval
      arithmetic, a unique exact zero of H(·, λ_end) in a box around `w_end`); the result is
      ``path.certificate`` and the message says what was proved.
    - `**options`: `TrackerOptions` fields (method, tol, max_steps, …).

    **Returns:** a `Path`; its `status` says how it ended, never an exception from the loop.

    **Raises:** `ValueError` naming the argument for an unknown option, a bad `start`,
    `lam_span` (or one outside the problem's ``lam_range``), part or option value (a bool
    given for a number, a `tol` outside [1e-15, 1e-2]), or an `H` or ``jacobian`` that JAX
    cannot trace or that returns the wrong shape (checked abstractly before compiling).
    """
    parts = dict(
        predictor=predictor,
        corrector=corrector,
        controller=controller,
        events=events,
        divergence=divergence,
        lam_bound=lam_bound,
        direction=direction,
        **options,
    )
    span = _check_span(lam_span)
    check_problem(problem)
    # every argument checked before the start is computed (an MLPHomotopy's start() is a
    # search of seconds): the algorithm is built once and cached for the Tracker below
    algorithm(**{k: v for k, v in parts.items() if k not in ("lam_bound", "direction")})
    check_in_range(problem, span, _check_bound(lam_bound, span))
    if direction is not None:
        _check_direction(direction)
    certify = check_bool("certify", certify)
    if certify:
        from .certification import certifiable

        certifiable(problem)  # refused here, before any tracking
    path = _track(problem, start, span, parts)
    if certify and path.success:
        from .certification import certify as prove

        cert = prove(problem, path.w_end, span[1])
        verdict = "endpoint certified: " if cert.certified else "endpoint NOT certified: "
        path = dataclasses.replace(
            path, certificate=cert, message=f"{path.message} ({verdict}{cert.message})"
        )
    return path


def _track(problem: Any, start: Any, span, parts: dict) -> Path:
    if start is None and hasattr(problem, "start"):
        start = problem.start()  # once: the tracker below is given the result
    if isinstance(start, BranchStart):
        return _track_branch(problem, start, span, parts)
    diagnose = getattr(problem, "start_diagnosis", None)
    if callable(diagnose) and start is not None:
        w0 = start_of(problem, start)
        why = diagnose(w0, span[0])
        if why:
            return _invalid_start(problem, w0, span, why)
    return Tracker(problem, lam_span=span, **parts).run(start)


def _invalid_start(problem: Any, w0: np.ndarray, span, why: str) -> Path:
    """The INVALID_START path of a start the problem refused (its `start_diagnosis`)."""
    n = w0.shape[0]
    return Path(
        status=Status.INVALID_START,
        message=f"The start at λ = {span[0]:g} is not valid: {why}.",
        lam=np.array([span[0]]),
        w=w0[None].copy(),
        s=np.zeros(1),
        tangents=np.full((1, n + 1), np.nan),
        events=(),
        w_end=None,
        direction=None,
        stats=dict(steps=0, rejected_steps=0, newton_iterations=0, jacobian_evaluations=0,
                   jvp_evaluations=0),
        lam_span=tuple(span),
        problem=problem,
    )  # fmt: skip


def _track_branch(problem: Any, start: BranchStart, span, parts: dict) -> Path:
    """Track from a degenerate start: the loop runs from the branch's lifted (regular) point;
    the path returned begins at the degenerate point itself, with the branch's tangent."""
    if span[0] != start.lam:
        raise ValueError(
            f"start: this BranchStart is at λ = {start.lam:g} but lam_span starts at {span[0]:g}"
        )
    if (span[1] - span[0]) * (start.lifted_lam - start.lam) <= 0:
        raise ValueError("lam_span: the BranchStart's branch leaves towards the other side")
    parts = dict(parts)
    if parts.get("lam_bound") is None:
        parts["lam_bound"] = start.lam
    inner = Tracker(problem, lam_span=(start.lifted_lam, span[1]), **parts).run(start.lifted_w)
    return with_branch_start(inner, start, span)


def with_branch_start(inner: Path, start: BranchStart, span) -> Path:
    """The path of a degenerate start: `inner` (the loop's, from the lifted point) with the
    degenerate point itself and the branch's tangent put first, arc length shifted."""
    u0 = np.append(start.w, start.lam)
    u1 = np.append(inner.w[0], inner.lam[0])
    ds = float(np.linalg.norm(u1 - u0))
    note = (
        f"Started on a degenerate solution manifold (dimension {start.dimension}) at "
        f"λ = {start.lam:g}, from a critical point of the reduced function (index "
        f"{start.index}); the loop starts on that branch at λ = {start.lifted_lam:g}. "
    )
    return dataclasses.replace(
        inner,
        message=note + inner.message,
        lam=np.concatenate([[start.lam], inner.lam]),
        w=np.concatenate([start.w[None], inner.w]),
        s=np.concatenate([[0.0], inner.s + ds]),
        tangents=np.concatenate([start.tangent[None], inner.tangents]),
        events=tuple(dataclasses.replace(e, s=e.s + ds) for e in inner.events),
        lam_span=tuple(span),
    )


def _messages(status: Status, st: dict, lam_span, opts: TrackerOptions) -> str:
    lam = st["lam_last"]
    wn = st["w_norm"]
    if status is Status.SUCCESS:
        return f"reached λ = {lam_span[1]:g} in {st['steps']} steps"
    if status is Status.DIVERGED:
        d = np.array2string(st["direction"], precision=4, separator=", ")
        return (
            f"weights diverged: ‖w‖ = {wn:.4g} at λ = {lam:.17g} (the solution runs to "
            f"infinity near λ = {lam:.6g}); direction w/‖w‖ = {d}"
        )
    if status is Status.STEP_FAILURE:
        hint = (
            " Natural-parameter continuation cannot pass a turning point (fold in λ) where "
            "H_w is singular: use method='arclength'."
            if opts.natural
            else " Try a smaller min_step, a looser tol, or check H for a singular point."
        )
        return f"step size fell below min_step at λ = {lam:.12g} (‖w‖ = {wn:.4g}).{hint}"
    if status is Status.MAX_STEPS:
        return (
            f"stopped after {st['steps']} accepted and {st['rejected_steps']} rejected steps "
            f"at λ = {lam:.12g}: raise max_steps"
        )
    if status is Status.LEFT_SPAN:
        bound = st.get("lam_bound")
        bound = lam_span[0] if bound is None else bound
        return f"the path turned back and left the span through λ = {bound:g}"
    return (
        f"the start w is not a regular solution at λ = {lam_span[0]:g} (Newton did not "
        "converge or H_w is singular there): pass a solution as start="
    )


def _kernel(problem: Any, u: np.ndarray) -> np.ndarray:
    """An orthonormal basis (n + 1, 2) of the (numerical) kernel of H_u at a simple
    bifurcation point: the right singular vectors of its two smallest singular values."""
    dyn, static = split_problem(problem)
    _, Vt = _kernel_basis_jit(dyn, static, jnp.asarray(u))
    return np.asarray(Vt)[-2:].T.copy()


def tangent_through(S: np.ndarray, T: np.ndarray, s: float, K: np.ndarray, t: np.ndarray):
    """The path's own tangent at a bifurcation point (arc length s): the tangent computed
    there is any vector of H_u's two-dimensional kernel K, so take the mean of the stored
    tangents on either side, projected onto K."""
    i = int(np.searchsorted(S, s))
    if not 0 < i < len(S):
        return t
    v = K @ (K.T @ (T[i - 1] + T[i]))
    nrm = np.linalg.norm(v)
    return v / nrm if nrm > 0 else t


def to_path(
    res: Result, problem: Any, lam_span, alg: Algorithm, lam_bound: float | None = None
) -> Path:
    """The `Path` of one compiled result (numpy arrays)."""
    k = min(int(res.n_points), res.U.shape[0])
    U, T, S = np.asarray(res.U[:k]), np.asarray(res.T[:k]), np.asarray(res.S[:k])
    status = Status.from_code(int(res.status))
    stats = dict(
        steps=int(res.steps),
        rejected_steps=int(res.rejected),
        newton_iterations=int(res.newton),
        jacobian_evaluations=int(res.jacobians),
        jvp_evaluations=int(res.jvps),
    )
    w_last = U[-1, :-1]
    w_norm = stable_norm(w_last)  # not np.linalg.norm: it overflows (a warning) past 1e154
    direction = None
    if status is Status.DIVERGED:  # scaled first: w/‖w‖ of entries near 1e308 would be 0
        v = w_last / np.max(np.abs(w_last))
        direction = v / np.linalg.norm(v)
    w_end = w_last.copy() if status is Status.SUCCESS else None
    ne = min(int(res.n_events), alg.options.max_events)
    names = alg.event_names
    events = []
    for i in range(ne):
        kind = names[int(res.EK[i])]
        u_ev = np.array(res.EU[i])
        t_ev = np.array(res.ET[i])
        kernel = None
        if kind == Bifurcation.name:
            kernel = _kernel(problem, u_ev)
            t_ev = tangent_through(S, T, float(res.ES[i]), kernel, t_ev)
        events.append(Event(kind, float(u_ev[-1]), u_ev[:-1], float(res.ES[i]), t_ev, kernel))
    events.sort(key=lambda e: e.s)
    info = dict(
        stats,
        lam_last=float(U[-1, -1]),
        w_norm=w_norm,
        direction=direction,
        lam_bound=lam_bound,
    )
    return Path(
        status=status,
        message=_messages(status, info, lam_span, alg.options),
        lam=U[:, -1].copy(),
        w=U[:, :-1].copy(),
        s=S,
        tangents=T,
        events=tuple(events),
        w_end=w_end,
        direction=direction,
        stats=stats,
        lam_span=tuple(lam_span),
        problem=problem,
        tol=float(alg.options.tol),  # what Path.at re-corrects to
    )
