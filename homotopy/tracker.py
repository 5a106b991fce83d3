"""Predictor-corrector path tracking of H(w, λ) = 0, compiled into one ``lax.while_loop``.

The path u(s) = (w(s), λ(s)) is followed by pseudo-arclength continuation (Keller):
predict along the unit tangent t (kernel of [H_w | H_λ]), then correct with Newton's method on
the bordered system {H(u) = 0, tᵀ(u − u_pred) = 0}, whose matrix [H_u; tᵀ] stays regular at
folds in λ. Natural-parameter continuation is the same loop with the constraint row e_λ
(λ fixed) instead of t: it cannot pass a fold, and reports STEP_FAILURE there.

Every step, the loop checks for turning points (the λ-component of t changes sign) and simple
bifurcations (the sign of det[H_u; tᵀ] changes) and locates them by an Illinois
(regula falsi) iteration on the curve; it stops with a `Status` when the path reaches the end
of the span, runs to infinite weights, leaves the span backwards, or runs out of steps.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ._linalg import Factored, factor, inverse_norm, solve
from .path import EVENT_KINDS, Event, Path, Status
from .problems import jacobian_of


Array = jax.Array

_PREDICTORS = {"euler": 1, "hermite": 3, "rk4": 4}  # name -> order of the local error - 1


@dataclasses.dataclass(frozen=True)
class TrackerOptions:
    """Settings of `track` (all keyword arguments of `track` other than `start`, `lam_span`).

    **User limits**

    - `method`: ``"arclength"`` (pseudo-arclength, passes folds) or ``"natural"`` (steps in λ
      only; for teaching: it fails honestly at a fold).
    - `predictor`: ``"euler"`` (tangent), ``"hermite"`` (cubic Hermite extrapolation through
      the last two points and tangents, no extra Jacobians; the default) or ``"rk4"``
      (Runge-Kutta on the tangent field, three extra Jacobians per step).
    - `corrector`: ``"simplified"`` (the default: one Jacobian per step, taken at the
      predicted point and kept for every Newton iteration; the new tangent is refined from it
      by Jacobian-vector products to relative accuracy 1e-13), ``"newton"`` (a new Jacobian
      each iteration; the last one is reused for the tangent when it was taken within 1e-6
      of the solution) or ``"chord"`` (the Jacobian of the last accepted point, one Jacobian
      per step, but a contraction that grows with the step, so smaller steps).
    - `tol`: every accepted point has ‖H(u)‖₂ ≤ `tol`.
    - `step_tol`: Newton stops when its estimated remaining error is ≤ `step_tol`·(1 + ‖u‖).
    - `max_steps`: accepted steps; attempts (accepted + rejected) are capped at
      4·`max_steps`.
    - `max_points`: the fixed size of the path storage (default `max_steps` + 1, i.e. every
      point). With fewer, the path keeps its first `max_points` − 1 points and its last one:
      memory is O(`max_points`) per path whatever the number of steps.
    - `initial_step`, `min_step`, `max_step`: step sizes in arc length (in λ for
      ``method="natural"``); `min_step` and `max_step` are relative to 1 + ‖u‖.
    - `w_max`: ‖w‖ beyond which the weights are declared DIVERGED (default
      10⁶·max(1, ‖w₀‖)).
    - `detect_bifurcations`: watch the sign of det[H_u; tᵀ].
    - `max_events`: events stored per path.

    **Tuning constants** (step control after Allgower & Georg, *Numerical Continuation
    Methods*, §6.1): the Newton contraction θ = ‖Δu₁‖/‖Δu₀‖, the predictor's distance to the
    curve δ (relative to 1 + ‖u‖) and the angle α between consecutive tangents have reference
    values (`*_ref`: the step is scaled so that they are met) and hard limits (`*_max`: the
    step is rejected). `max_newton` iterations per correction. `turning_tol`: |dλ/ds| at a
    located turning point. `landing_tol`: the least |dλ/ds| at the end of the span for a
    regular landing (smaller means the path meets λ_end tangentially, e.g. asymptotically
    with weights running to infinity). `singular_tol`, relative to ‖H_w‖_F at the start: an
    endpoint where 1/‖H_w⁻¹‖_F (a lower bound on its smallest singular value, within √n)
    falls below it is not a regular solution (e.g. a saturated network where σ' and r both
    underflow, so H ≈ 0 numerically); and a point where all of H_w has (‖H_w‖_F below it)
    with the weights moving outward ends the path as DIVERGED: H_w vanishes only when σ'
    underflows, i.e. the weights are running to infinity.
    """

    method: str = "arclength"
    predictor: str = "hermite"
    corrector: str = "simplified"
    tol: float = 1e-10
    step_tol: float = 1e-11
    max_steps: int = 2000
    max_points: int | None = None
    initial_step: float = 0.05
    min_step: float = 1e-12
    max_step: float = 0.5
    w_max: float | None = None
    detect_bifurcations: bool = True
    max_events: int = 32
    max_newton: int = 8
    contraction_ref: float = 0.05
    contraction_max: float = 0.5
    distance_ref: float = 0.01
    distance_max: float = 0.2
    angle_ref: float = 0.08
    angle_max: float = 0.4
    turning_tol: float = 1e-10
    landing_tol: float = 1e-9
    singular_tol: float = 1e-10

    def __post_init__(self) -> None:
        if self.method not in ("arclength", "natural"):
            raise ValueError(f"method: expected 'arclength' or 'natural', got {self.method!r}")
        if self.predictor not in _PREDICTORS:
            raise ValueError(
                f"predictor: expected one of {tuple(_PREDICTORS)}, got {self.predictor!r}"
            )
        if self.corrector not in ("simplified", "newton", "chord"):
            raise ValueError(
                f"corrector: expected 'simplified', 'newton' or 'chord', got {self.corrector!r}"
            )
        for name in ("max_steps", "max_events", "max_newton", "max_points"):
            v = getattr(self, name)
            if name == "max_points" and v is None:
                continue
            if not isinstance(v, int | np.integer) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{name}: expected a positive integer, got {v!r}")
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if f.type == "float" or (f.name == "w_max" and v is not None):
                # bool is an int: refuse it explicitly
                if not isinstance(v, int | float | np.floating) or not math.isfinite(v) or v <= 0:
                    raise ValueError(f"{f.name}: expected a positive finite number, got {v!r}")
        if self.max_points is not None and self.max_points < 2:
            raise ValueError("max_points: must be at least 2 (the start and the last point)")
        if self.min_step >= self.max_step:
            raise ValueError("min_step: must be smaller than max_step")
        if self.contraction_ref >= self.contraction_max or self.angle_ref >= self.angle_max:
            raise ValueError("contraction_ref/angle_ref: must be below their *_max")
        if self.distance_ref >= self.distance_max:
            raise ValueError("distance_ref: must be below distance_max")


# ---------------------------------------------------------------------------------------------
# Problems: pytrees pass as dynamic arguments; anything else is static (hashed by identity).


class _Static:
    """Holds a non-PyTree problem as a static jit argument, compared by identity."""

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Static) and other.obj is self.obj


def _split_problem(problem: Any) -> tuple[Any, _Static | None]:
    leaves, _ = jax.tree_util.tree_flatten(problem)
    if len(leaves) == 1 and leaves[0] is problem:
        return None, _Static(problem)
    return problem, None


def _problem_fns(problem: Any) -> tuple[Callable, Callable]:
    """(H(u), J(u)) as functions of u = (w, λ)."""

    def H(u: Array) -> Array:
        return jnp.asarray(problem.H(u[:-1], u[-1]), u.dtype)

    if hasattr(problem, "jacobian"):

        def J(u: Array) -> Array:
            return jnp.asarray(problem.jacobian(u[:-1], u[-1]), u.dtype)

    else:

        def J(u: Array) -> Array:
            return jacobian_of(problem.H, u[:-1], u[-1])

    return H, J


# ---------------------------------------------------------------------------------------------
# Linear algebra on the bordered matrix M = [J; cᵀ].


def _bordered(J: Array, row: Array, batched: bool = False) -> Factored:
    """The factored bordered matrix [J; rowᵀ] (`batched`: traced under `vmap`, see `factor`)."""
    return factor(jnp.concatenate([J, row[None, :]], axis=0), batched)


def _tangent(J: Array, t_ref: Array, batched: bool = False):
    """Unit kernel vector t of J with t·t_ref > 0, and (sign, log|det|) of [J; t_refᵀ].

    [J; t_refᵀ] v = e_last gives J v = 0 and t_ref·v = 1 > 0, so v/‖v‖ is oriented; and
    sign det[J; tᵀ] = sign det[J; t_refᵀ] whenever t·t_ref > 0.
    """
    f = _bordered(J, t_ref, batched)
    v = solve(f, jnp.zeros(J.shape[1], J.dtype).at[-1].set(1.0))
    return v / jnp.linalg.norm(v), f.sign, f.logdet


_TANGENT_TOL = 1e-13  # relative accuracy of a tangent refined by JVPs
_TANGENT_ITERATIONS = 4  # JVPs before the refinement gives up for a new Jacobian
_TANGENT_RATE = 0.1  # ... or as soon as it contracts by less than this
_GIVE_UP = 0.1  # simplified Newton hands over to Newton after contracting by less than this


def _refined_tangent(H, u: Array, f: Factored, max_it: int):
    """Unit kernel vector t of H_u(u), oriented by t_ref, from f = the factored [J; t_refᵀ] of
    a nearby J ≈ H_u(u) (simplified Newton's Jacobian, taken at the prediction).

    v₀ = f⁻¹e_last is the kernel vector of J; the iteration v ← v − f⁻¹[H_u(u)·v; 0] (its
    fixed point solves [H_u(u); t_refᵀ] v = e_last) converges at the rate ‖f⁻¹(H_u(u) − J)‖,
    i.e. linearly in the distance from J's point to u. H_u(u)·v is a Jacobian-vector product
    (forward-mode AD of H, about the cost of one H): no Jacobian at u is formed.
    Returns (t, JVPs used, converged); also (sign, log|det|) of f stand for [H_u(u); tᵀ].
    """
    n1 = u.shape[0]
    v0 = solve(f, jnp.zeros(n1, u.dtype).at[-1].set(1.0))

    def cond(c):
        v, k, prev, done, slow = c
        return ~done & ~slow & (k < max_it)

    def body(c):
        v, k, prev, _, _ = c
        r = jax.jvp(H, (u,), (v,))[1]
        dv = solve(f, jnp.concatenate([r, jnp.zeros(1, u.dtype)]))
        v = v - dv
        nrm, vn = jnp.linalg.norm(dv), jnp.linalg.norm(v)
        # remaining error ≈ rate·‖Δv‖; the rate is ‖Δv₁‖/‖v‖ a priori, then ‖Δv_k‖/‖Δv_{k−1}‖
        rate = jnp.where(k > 0, nrm / jnp.maximum(prev, 1e-300), nrm / vn)
        # a small rate also certifies sign det[H_u(u); tᵀ] = sign det f (their ratio is
        # det(I + f⁻¹ΔJ) with ‖f⁻¹ΔJ‖ ≈ rate); a large one gives up
        slow = ~(rate <= _TANGENT_RATE) | ~jnp.isfinite(nrm)
        return v, k + 1, nrm, ~slow & (rate * nrm <= _TANGENT_TOL * vn), slow

    init = (v0, jnp.int32(0), jnp.zeros((), u.dtype), jnp.bool_(False), jnp.bool_(False))
    v, k, _, done, _ = jax.lax.while_loop(cond, body, init)
    return v / jnp.linalg.norm(v), k, done


class _Newton(NamedTuple):
    u: Array
    converged: Array
    iterations: Array
    jacobians: Array
    contraction: Array  # the largest ‖Δu_{k+1}‖/‖Δu_k‖ seen
    J_last: Array  # the last Jacobian evaluated (at u − Δu_last)
    last_step: Array  # ‖Δu_last‖: how far u is from where J_last was evaluated


def _newton(
    H,
    Jf,
    u_p,
    row,
    opts: TrackerOptions,
    fixed: tuple[Array, Factored] | None = None,
    give_up: float | None = None,
    active=True,
    u_start=None,
    batched: bool = False,
) -> _Newton:
    """Newton on {H(u) = 0, row·(u − u_p) = 0} from u_p.

    With `fixed` = (J, factored [J; rowᵀ]) for some J near the solution: simplified Newton,
    every iteration solves with that matrix; with `give_up`, it fails as soon as an iteration
    contracts by less than that factor (θ > `give_up`). `active=False` (a finished path in a
    batch) does no iteration at all. `u_start`: start there instead of at u_p.
    """
    chord = fixed is not None
    max_it = opts.max_newton * (2 if chord else 1)
    # a linearly converging iteration stops near its estimate of the remaining error, Newton's
    # far below it (the error squares): aim 100× lower, so both end at round-off level
    tol_factor = 1e-2 if chord else 1.0

    limit = 1.0 if give_up is None else give_up

    def cond(c):
        u, k, prev, theta, done, fail, nj, J_last = c
        return (k < max_it) & ~done & ~fail

    def body(c):
        u, k, prev, theta, done, fail, nj, J_last = c
        F = jnp.concatenate([H(u), jnp.reshape(row @ (u - u_p), (1,))])
        if chord:
            fac = fixed[1]
        else:
            J_last = Jf(u)
            fac = _bordered(J_last, row, batched)
            nj = nj + 1
        du = -solve(fac, F)
        u_new = u + du
        nrm = jnp.linalg.norm(du)
        th = jnp.where(k > 0, nrm / jnp.maximum(prev, 1e-300), 0.0)
        # a-posteriori estimate of the remaining error: θ/(1 − θ)·‖Δu‖ (Deuflhard)
        rest = jnp.where(k > 0, th / jnp.maximum(1.0 - th, 1e-3) * nrm, nrm)
        scale = tol_factor * opts.step_tol * (1.0 + jnp.linalg.norm(u_new))
        done = (nrm <= scale) | ((k > 0) & (rest <= scale) & (th < 1.0))
        fail = ~jnp.all(jnp.isfinite(u_new)) | ((k > 0) & (th >= limit))
        return (u_new, k + 1, nrm, jnp.maximum(theta, th), done, fail, nj, J_last)

    zero = jnp.zeros((), u_p.dtype)
    # a prediction that already solves H (an exact start) needs no Jacobian at all
    u0 = u_p if u_start is None else u_start
    exact = (jnp.linalg.norm(H(u0)) <= 1e-2 * opts.tol) | ~jnp.asarray(active)
    J0 = fixed[0] if chord else jnp.zeros((u_p.shape[0] - 1, u_p.shape[0]), u_p.dtype)
    init = (u0, jnp.int32(0), zero, zero, exact, jnp.bool_(False), jnp.int32(0), J0)
    u, k, last, theta, done, fail, nj, J_last = jax.lax.while_loop(cond, body, init)
    Hn = jnp.linalg.norm(H(u))
    ok = done & ~fail & (Hn <= opts.tol) & jnp.all(jnp.isfinite(u))
    return _Newton(u, ok, k, nj, theta, J_last, last)


# ---------------------------------------------------------------------------------------------
# The tracking loop.


class _State(NamedTuple):
    u: Array
    t: Array
    J: Array  # Jacobian at u (chord corrector)
    det_sign: Array  # sign and log|det| of [J; tᵀ] at u
    logdet: Array
    h: Array
    s: Array
    u_prev: Array
    t_prev: Array
    has_prev: Array
    status: Array  # -1 while running, else a Status code
    steps: Array
    rejected: Array
    newton: Array
    jacobians: Array
    jvps: Array
    attempts: Array
    n_points: Array
    # One row per accepted point, [u | t | s]; the last row is scratch, written (and ignored)
    # by a rejected step, so a step writes one row unconditionally: no read-modify-write.
    P: Array
    # Events: the loop stores the bracketing step, `_locate_events` refines it afterwards.
    # One row per event, [kind | u_a | t_a | u_c | t_c | g_a, g_c, log|det| at u_a, s_a] (a and
    # c: the step's start and end; kind indexes EVENT_KINDS, −1 unused); last row scratch.
    n_events: Array
    EV: Array
    # per-path constants, carried so that one compiled step serves any path (lane refill)
    lam_start: Array
    dirn: Array  # sign(λ_end − λ_start)
    w0norm: Array
    w_max: Array
    hw0: Array  # ‖H_w‖_F at the start: the scale of `singular_tol`


_RUNNING = -1
_BUFFERS = frozenset({"P", "n_events", "EV"})


class _Result(NamedTuple):
    """What the compiled tracker returns (arrays only; a PyTree, so it vmaps)."""

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


class _Machine(NamedTuple):
    """The tracker as three pure functions of one path's state: `init(u0)`, `step(state)`,
    `finish(state)`. `_run_packed` chains them; `track_many` runs `step` on a pool of lanes."""

    init: Callable[[Array], _State]
    step: Callable[[_State], _State]
    finish: Callable[[_State], _Result]


def _orient(t: Array, dirn: Array, natural: bool) -> Array:
    # natural mode orders points by λ, not by continuity of the tangent
    return jnp.where(dirn * t[-1] < 0, -t, t) if natural else t


def _velocity(t: Array, dirn: Array, natural: bool) -> Array:
    """du/dτ for the step parameter τ: arc length, or dirn·λ in natural mode."""
    return t / (dirn * t[-1]) if natural else t


def _machine(problem: Any, lam_end: Array, opts: TrackerOptions, lanes: bool = True) -> _Machine:
    """`lanes=False`: `step` is only ever called on a running path (a while loop on one
    path), so it skips the guards that keep a finished lane unchanged."""
    H, Jf = _problem_fns(problem)
    natural = opts.method == "natural"
    order = _PREDICTORS[opts.predictor]
    chord = opts.corrector == "chord"
    simplified = opts.corrector == "simplified"
    N = opts.max_steps + 1 if opts.max_points is None else min(opts.max_points, opts.max_steps + 1)
    E = opts.max_events

    def e_lam_of(u):
        return jnp.zeros(u.shape[0], u.dtype).at[-1].set(1.0)

    def orient(t, dirn):
        return _orient(t, dirn, natural)

    def velocity(t, dirn):
        return _velocity(t, dirn, natural)

    def field(u, t_ref, dirn):
        tt, _, _ = _tangent(Jf(u), t_ref, lanes)
        return velocity(orient(tt, dirn), dirn)

    def init(u0: Array) -> _State:
        dtype = u0.dtype
        n1 = u0.shape[0]
        shape = jax.eval_shape(H, u0).shape  # checked once per compilation, not per call
        if shape != (n1 - 1,):
            raise ValueError(f"problem: H(w, lam) must return shape ({n1 - 1},), got {shape}")
        e_lam = e_lam_of(u0)
        lam_start = u0[-1]
        dirn = jnp.sign(lam_end - lam_start)
        w0norm = jnp.linalg.norm(u0[:-1])
        w_max = opts.w_max if opts.w_max is not None else 1e6 * jnp.maximum(1.0, w0norm)

        # ---- start: correct w0 at fixed λ0, then the first tangent
        start = _newton(H, Jf, u0, e_lam, opts, batched=lanes)
        u_start = jnp.where(start.converged, start.u, u0)
        J0 = Jf(u_start)
        t0, sign0, logdet0 = _tangent(J0, dirn * e_lam, lanes)
        valid = start.converged & jnp.all(jnp.isfinite(t0)) & (jnp.abs(t0[-1]) > 1e-14)

        P = jnp.full((N + 1, 2 * n1 + 1), jnp.nan, dtype)
        EV = jnp.full((E + 1, 4 * n1 + 5), jnp.nan, dtype).at[:, 0].set(-1.0)
        return _State(
            u=u_start,
            t=t0,
            J=J0,
            det_sign=sign0,
            logdet=logdet0,
            h=jnp.asarray(opts.initial_step, dtype)
            * (jnp.abs(lam_end - lam_start) if natural else 1),
            s=jnp.zeros((), dtype),
            u_prev=u_start,
            t_prev=t0,
            has_prev=jnp.bool_(False),
            status=jnp.where(valid, _RUNNING, Status.INVALID_START.code).astype(jnp.int32),
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
            dirn=dirn,
            w0norm=w0norm,
            w_max=jnp.asarray(w_max, dtype),
            hw0=jnp.linalg.norm(J0[:, :-1]),
        )

    def predict(st: _State, h):
        u, t, dirn = st.u, st.t, st.dirn
        v = velocity(t, dirn)
        if order == 1:
            return u + h * v, jnp.int32(0)
        if order == 4:
            k2 = field(u + 0.5 * h * v, t, dirn)
            k3 = field(u + 0.5 * h * k2, t, dirn)
            k4 = field(u + h * k3, t, dirn)
            return u + h / 6.0 * (v + 2 * k2 + 2 * k3 + k4), jnp.int32(3)
        # cubic Hermite through (u_prev, u) extrapolated by h; τ-spacing of the two points:
        vp = velocity(st.t_prev, dirn)
        if natural:
            dt = jnp.abs(u[-1] - st.u_prev[-1])
        else:
            chord_len = jnp.linalg.norm(u - st.u_prev)
            half = 0.5 * jnp.arccos(jnp.clip(st.t_prev @ t, -1.0, 1.0))
            # arc = chord·(θ/2)/sin(θ/2): exact on circles, so the cubic keeps its order
            dt = chord_len * jnp.where(half > 1e-8, half / jnp.sin(jnp.maximum(half, 1e-8)), 1.0)
        tau = 1.0 + h / jnp.maximum(dt, 1e-300)
        h00, h10 = 2 * tau**3 - 3 * tau**2 + 1, tau**3 - 2 * tau**2 + tau
        h01, h11 = -2 * tau**3 + 3 * tau**2, tau**3 - tau**2
        cubic = h00 * st.u_prev + h10 * dt * vp + h01 * u + h11 * dt * v
        return jnp.where(st.has_prev & (dt > 0), cubic, u + h * v), jnp.int32(0)

    def step(st: _State) -> _State:
        # Branch-free: under vmap a lax.cond runs both branches anyway, and writing one row
        # of a buffer is far cheaper than selecting between two copies of it.
        u, t, h = st.u, st.t, st.h
        dirn, lam_start, w_max = st.dirn, st.lam_start, st.w_max
        e_lam = e_lam_of(u)
        lam = u[-1]
        scale = 1.0 + jnp.linalg.norm(u)
        u_p, extra_j = predict(st, h)
        # land exactly on λ_end when the prediction reaches it: an Euler step to λ_end, λ fixed
        cross = dirn * (u_p[-1] - lam_end) >= 0
        v = velocity(t, dirn)
        u_land = (u + ((lam_end - lam) / v[-1]) * v).at[-1].set(lam_end)
        u_p = jnp.where(cross, u_land, u_p)
        fix_lam = cross | natural
        row = jnp.where(fix_lam, e_lam, t)
        running = st.status == _RUNNING if lanes else jnp.bool_(True)
        jvps = jnp.int32(0)
        if simplified:
            # one Jacobian, at the prediction: Newton's matrix for every iteration, and (with
            # the old tangent as border) the matrix that refines the new tangent by JVPs
            J_c = Jf(u_p)
            f_t = _bordered(J_c, t, lanes)
            f_n = (
                _bordered(J_c, e_lam, lanes)
                if natural
                else jax.lax.cond(cross, lambda: _bordered(J_c, e_lam, lanes), lambda: f_t)
            )
            nw = _newton(H, Jf, u_p, row, opts, (J_c, f_n), _GIVE_UP, active=running, batched=lanes)
            # a frozen Jacobian that cannot keep up (the iteration contracts slowly, e.g. a
            # saturating network): Newton takes over from where it stopped (or from the
            # prediction if it went astray); no work where not needed
            retry = running & ~nw.converged
            restart = jnp.where(jnp.all(jnp.isfinite(nw.u)), nw.u, u_p)

            def take_over(nw=nw, restart=restart, retry=retry):
                full = _newton(H, Jf, u_p, row, opts, active=retry, u_start=restart, batched=lanes)
                return full._replace(iterations=nw.iterations + full.iterations)

            if lanes:  # under vmap a cond runs both branches: mask instead
                full = take_over()
                nw = jax.tree_util.tree_map(lambda a, b: jnp.where(retry, b, a), nw, full)
            else:
                nw = jax.lax.cond(retry, take_over, lambda nw=nw: nw)
            u_c = nw.u
            t_c, jvps, refined = _refined_tangent(H, u_c, f_t, _TANGENT_ITERATIONS)

            # the Jacobian moved too fast for the refinement (e.g. a saturating network): take
            # the tangent, and the determinant's sign, from a new one at u_c
            def exact():
                J = Jf(u_c)
                return (J, *_tangent(J, t, lanes))

            J_c, t_c, sign_c, logdet_c = jax.lax.cond(
                refined, lambda: (J_c, t_c, f_t.sign, f_t.logdet), exact
            )
            new_j = 1 + nw.jacobians + (~refined).astype(jnp.int32)
        else:
            fixed = (st.J, _bordered(st.J, row, lanes)) if chord else None
            nw = _newton(H, Jf, u_p, row, opts, fixed=fixed, active=running, batched=lanes)
            u_c = nw.u
            # Newton's last Jacobian was taken within its last (converged, tiny) update of
            # u_c: good for the tangent, and one Jacobian per step saved
            reuse = (nw.jacobians > 0) & (nw.last_step <= 1e-6 * scale)
            J_c = jax.lax.cond(reuse, lambda: nw.J_last, lambda: Jf(u_c))
            t_c, sign_c, logdet_c = _tangent(J_c, t, lanes)
            new_j = nw.jacobians + (~reuse).astype(jnp.int32)
        t_c = orient(t_c, dirn)
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
            & nw.converged
            & finite
            & ~overshoot
            & ~jump
            & (nw.contraction <= opts.contraction_max)
            & (delta <= opts.distance_max)
            & (alpha <= opts.angle_max)
        )
        # step-size factor: each criterion's ratio to its reference, at its order in h
        p1 = float(order + 1)
        f = jnp.maximum(
            jnp.maximum(
                (nw.contraction / opts.contraction_ref) ** (1.0 / p1),
                (delta / opts.distance_ref) ** (1.0 / p1),
            ),
            alpha / opts.angle_ref,
        )
        f = jnp.where(jnp.isfinite(f), f, 4.0)
        h_max = opts.max_step * (jnp.abs(lam_end - lam_start) if natural else scale)
        h_acc = jnp.clip(h / jnp.clip(f, 0.4, 4.0), 0.0, h_max)
        h_acc = jnp.where(cross, jnp.maximum(h_acc, h), h_acc)
        h_rej = h / jnp.clip(f, 2.0, 8.0)

        # ---- the accepted point (past the storage cap, the last slot keeps the latest one)
        i = jnp.minimum(st.n_points, N - 1)
        s_new = st.s + jnp.linalg.norm(u_c - u)
        steps = st.steps + ok
        at_end = lam_c == lam_end
        tangential = jnp.abs(t_c[-1]) < opts.landing_tol
        outward = (t_c[:-1] @ u_c[:-1]) > 0
        status_acc = jnp.int32(_RUNNING)
        status_acc = jnp.where(steps >= opts.max_steps, Status.MAX_STEPS.code, status_acc)
        status_acc = jnp.where(dirn * (lam_c - lam_start) < 0, Status.LEFT_SPAN.code, status_acc)
        status_acc = jnp.where(jnp.linalg.norm(u_c[:-1]) > w_max, Status.DIVERGED.code, status_acc)
        # H_w has vanished numerically (a saturated network: σ' underflows) with the weights
        # running outward: the curve runs off to infinite w at a fixed λ, and past here it is
        # not even numerically defined (H ≈ 0 for a whole range of w)
        vanished = jnp.linalg.norm(J_c[:, :-1]) <= opts.singular_tol * st.hw0
        status_acc = jnp.where(vanished & outward, Status.DIVERGED.code, status_acc)
        status_acc = jnp.where(
            at_end & tangential,
            jnp.where(outward, Status.DIVERGED.code, Status.STEP_FAILURE.code),
            status_acc,
        )
        status_acc = jnp.where(at_end & ~tangential, Status.SUCCESS.code, status_acc)
        # ---- the rejected attempt: too small a step ends the path; a path creeping along
        # λ_end with growing weights is an asymptote at infinity
        escaping = (
            (jnp.abs(lam - lam_end) <= 1e-6) & (jnp.abs(t[-1]) <= 1e-6) & (t[:-1] @ u[:-1] > 0)
        )
        status_rej = jnp.where(
            h_rej < opts.min_step * scale,
            jnp.where(escaping, Status.DIVERGED.code, Status.STEP_FAILURE.code),
            jnp.where(st.attempts + 1 >= 4 * opts.max_steps, Status.MAX_STEPS.code, _RUNNING),
        )

        # ---- events on the accepted step: store its bracket for `_locate_events`
        turning = ok & (t[-1] * t_c[-1] < 0) & (not natural)
        bif = ok & (sign_c != st.det_sign) & opts.detect_bifurcations
        g_det = sign_c * jnp.exp(jnp.clip(logdet_c - st.logdet, -700.0, 700.0))
        # both kinds in one scatter of two rows; a row not stored goes to the scratch row E
        idx, rows, n_ev = [], [], st.n_events
        for kind, flag, g0, g1 in ((0, turning, t[-1], t_c[-1]), (1, bif, st.det_sign, g_det)):
            put = flag & (n_ev < E)
            idx.append(jnp.where(put, n_ev, E))
            head = jnp.stack([jnp.asarray(kind, u.dtype)])
            tail = jnp.stack([g0, g1, st.logdet, st.s]).astype(u.dtype)
            rows.append(jnp.concatenate([head, u, t, u_c, t_c, tail]))
            n_ev = n_ev + put
        EV = st.EV.at[jnp.stack(idx)].set(jnp.stack(rows))

        def pick(a, r):
            return jnp.where(ok, a, r)

        new = st._replace(
            u=pick(u_c, u),
            t=pick(t_c, t),
            J=pick(J_c, st.J),
            det_sign=pick(sign_c, st.det_sign),
            logdet=pick(logdet_c, st.logdet),
            h=pick(h_acc, h_rej),
            s=pick(s_new, st.s),
            u_prev=pick(u, st.u_prev),
            t_prev=pick(t, st.t_prev),
            has_prev=st.has_prev | ok,
            status=pick(status_acc, status_rej).astype(jnp.int32),
            steps=steps,
            rejected=st.rejected + ~ok,
            newton=st.newton + nw.iterations,
            jacobians=st.jacobians + new_j + extra_j,
            jvps=st.jvps + jvps,
            attempts=st.attempts + 1,
            n_points=st.n_points + ok,
            P=st.P.at[jnp.where(ok, i, N)].set(jnp.concatenate([u_c, t_c, s_new[None]])),
            n_events=n_ev,
            EV=EV,
        )
        if not lanes:
            return new
        # A finished path (in a batch, still being stepped) stays exactly as it ended: its
        # buffers are guarded by `ok` (false when not running), the small fields here.
        return new._replace(
            **{
                f: jnp.where(running, getattr(new, f), getattr(st, f))
                for f in new._fields
                if f not in _BUFFERS
            }
        )

    def finish(st: _State, locate: bool = True) -> _Result:
        """The result; `locate=False` leaves the events unrefined (EU, ET, ES NaN) for
        `_events_jit` to refine from `st.EV`, compiled apart (see `_run_packed`)."""
        # ---- afterwards: an endpoint must be a regular root. On an asymptote to infinite weights
        # a saturated network makes H vanish numerically at finite w (σ' and r both underflow).
        f_end = factor(st.J[:, :-1], lanes)
        # 1/‖H_w⁻¹‖_F ≤ σ_min(H_w); NaN (an exactly singular H_w) counts as singular
        singular = ~(opts.singular_tol * st.hw0 * inverse_norm(f_end) < 1.0)
        growing = (st.t[:-1] @ st.u[:-1] > 0) & (jnp.linalg.norm(st.u[:-1]) > st.w0norm)
        status = jnp.where(
            (st.status == Status.SUCCESS.code) & singular,
            jnp.where(growing, Status.DIVERGED.code, Status.STEP_FAILURE.code),
            st.status,
        )
        st = st._replace(status=status.astype(jnp.int32))

        # ---- refine the events, polish the endpoint at exactly λ_end
        if locate:
            EU, ET, ES, nj = _locate_events(H, Jf, st.EV, st.n_events, st.dirn, opts, lanes)
        else:
            n1 = st.u.shape[0]
            EU = ET = jnp.full((E, n1), jnp.nan, st.u.dtype)
            ES, nj = jnp.full((E,), jnp.nan, st.u.dtype), 0
        success = st.status == Status.SUCCESS.code
        last = jnp.minimum(st.n_points, N) - 1
        n1 = st.u.shape[0]
        U, T, S = st.P[:N, :n1], st.P[:N, n1 : 2 * n1], st.P[:N, 2 * n1]
        # the landing point is accurate to step_tol: chord steps with its Jacobian (already
        # computed for its tangent) reach full precision without a new one
        w_end, polish_j = _polish_loop(H, Jf, U[last, :-1], lam_end, 1e-15, success, fixed=f_end)
        U = U.at[last].set(jnp.where(success, U[last].at[:-1].set(w_end), U[last]))
        return _Result(
            status=st.status,
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

    return _Machine(init, step, finish)


def _locate_events(
    H, Jf, EV: Array, n_events: Array, dirn: Array, opts: TrackerOptions, batched: bool = False
):
    """Refine each stored event by an Illinois (regula falsi) iteration on its step.

    Points u(σ) on the step come from the corrector started at u_a + σ·p with the step's
    constraint row; g(σ) is dλ/ds (turning points) or det[H_u; tᵀ] relative to its value at
    u_a (bifurcations). Done after the loop, once per event, so the hot loop stays small.
    `EV`, `n_events`: the loop's event records (`_State`); `dirn` = sign(λ_end − λ_start).
    """
    E = EV.shape[0] - 1
    n1 = (EV.shape[1] - 5) // 4
    natural = opts.method == "natural"
    e_lam = jnp.zeros(n1, EV.dtype).at[-1].set(1.0)

    def orient(t):
        return _orient(t, dirn, natural)

    def velocity(t):
        return _velocity(t, dirn, natural)

    def one(i, bufs):
        EU, ET, ES, nj_total = bufs
        rec = EV[i]
        kind = rec[0].astype(jnp.int32)
        u_a, t_a, u_c, t_c = (rec[1 + k * n1 : 1 + (k + 1) * n1] for k in range(4))
        g0, g1, logdet_a, s_a = rec[1 + 4 * n1 :]
        p = velocity(t_a)
        row = e_lam if natural else t_a
        sig1 = (row @ (u_c - u_a)) / (row @ p)
        tol_g = jnp.where(kind == 0, opts.turning_tol, 0.0)

        step_len = jnp.linalg.norm(u_c - u_a)

        def point(sig):
            u_pred = u_a + sig * p
            nw = _newton(H, Jf, u_pred, row, opts, batched=batched)
            tt, sgn, logdet = _tangent(Jf(nw.u), t_a, batched)
            tt = orient(tt)
            g_det = sgn * jnp.exp(jnp.clip(logdet - logdet_a, -700.0, 700.0))
            g = jnp.where(kind == 0, tt[-1], g_det)
            finite = jnp.all(jnp.isfinite(nw.u)) & jnp.all(jnp.isfinite(tt)) & jnp.isfinite(g)
            # near a branch point the corrector may converge onto the other branch: a point
            # farther from its prediction than half the step is not on this step's arc
            near = jnp.linalg.norm(nw.u - u_pred) <= 0.5 * step_len
            return nw.u, tt, g, finite & nw.converged & near, nw.jacobians + 1

        def cond(c):
            a, ga, b, gb, u_b, t_b, k, nj, x_fail, stuck = c
            return (
                (k < 40)
                & ~stuck
                & (jnp.abs(gb) > tol_g)
                & (jnp.abs(b - a) > 1e-15 * (1 + jnp.abs(b)))
            )

        def body(c):
            a, ga, b, gb, u_b, t_b, k, nj, x_fail, stuck = c
            x = b - gb * (b - a) / (gb - ga)
            x = jnp.where(jnp.isfinite(x), x, 0.5 * (a + b))
            # Every bordered matrix is singular exactly at a branch point, so the corrector
            # fails if x hits it to the last bit; then x is the root, and we evaluate just
            # beside it, towards b. Repeated hits shrink that offset geometrically.
            retry = jnp.isfinite(x_fail)
            x = jnp.where(retry, x_fail + 1e-4 * (b - x_fail), x)
            u_x, t_x, gx, ok, j = point(x)
            stuck = ~ok & retry
            x_fail = jnp.where(ok | retry, jnp.nan, x)
            flip = gx * gb < 0
            a2 = jnp.where(ok & flip, b, a)
            ga2 = jnp.where(ok, jnp.where(flip, gb, 0.5 * ga), ga)

            def keep(new, old):
                return jnp.where(ok, new, old)

            return (
                a2,
                ga2,
                keep(x, b),
                keep(gx, gb),
                keep(u_x, u_b),
                keep(t_x, t_b),
                k + 1,
                nj + j,
                x_fail,
                stuck,
            )

        zero = jnp.zeros((), u_a.dtype)
        nan = jnp.asarray(jnp.nan, u_a.dtype)
        init = (zero, g0, sig1, g1, u_c, t_c, jnp.int32(0), jnp.int32(0), nan, jnp.bool_(False))
        out = jax.lax.while_loop(cond, body, init)
        u_ev, t_ev, nj = out[4], out[5], out[7]
        return (
            EU.at[i].set(u_ev),
            ET.at[i].set(t_ev),
            ES.at[i].set(s_a + jnp.linalg.norm(u_ev - u_a)),
            nj_total + nj,
        )

    nan = jnp.full((E, n1), jnp.nan, EV.dtype)
    init = (0, (nan, nan, jnp.full((E,), jnp.nan, EV.dtype), jnp.int32(0)))
    _, bufs = jax.lax.while_loop(
        lambda c: c[0] < jnp.minimum(n_events, E),
        lambda c: (c[0] + 1, one(c[0], c[1])),
        init,
    )
    return bufs


def _polish_loop(H, Jf, w, lam, tol, go, fixed: Factored | None = None):
    """Newton at fixed λ to full precision: iterate while the update keeps shrinking.

    With `fixed` given (the factored H_w of a point already near the solution), chord steps
    with it instead: no Jacobian is evaluated.
    """
    u0 = jnp.concatenate([w, jnp.reshape(jnp.asarray(lam, w.dtype), (1,))])

    def body(c):
        u, k, prev, go, nj = c
        du = -solve(factor(Jf(u)[:, :-1]) if fixed is None else fixed, H(u))
        nrm = jnp.linalg.norm(du)
        better = jnp.isfinite(nrm) & (nrm < prev)
        u_new = jnp.where(better, u.at[:-1].add(du), u)
        go = better & (nrm > tol * (1.0 + jnp.linalg.norm(u[:-1])))
        return u_new, k + 1, jnp.where(better, nrm, prev), go, nj + (fixed is None)

    init = (u0, 0, jnp.asarray(jnp.inf, w.dtype), jnp.asarray(go), jnp.int32(0))
    u, _, _, _, nj = jax.lax.while_loop(lambda c: (c[1] < 30) & c[3], body, init)
    return u[:-1], nj


# LLVM's expensive passes cost ~0.5 s of every compile and buy no measurable run time on
# these small loops (scripts/bench.py; issue 5's cold-start target).
COMPILER_OPTIONS = {"xla_llvm_disable_expensive_passes": True, "xla_cpu_use_fusion_emitters": False}

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


def _run_packed(problem_dyn, static, u0_lam1, opts: TrackerOptions):
    """`_run` from (w0, λ0, λ1) in one array, with its result packed into one float and one
    int array (fetching 2 arrays from the device instead of 14, and putting 1, not 2, is most
    of the per-call overhead of a short path). The events come back as the loop's records
    (EV, dirn), unrefined: `_events_jit` refines them, compiled apart, so that the many paths
    without events neither compile nor carry the event locator."""
    problem = static.obj if static is not None else problem_dyn
    m = _machine(problem, u0_lam1[-1], opts, lanes=False)
    st = jax.lax.while_loop(lambda s: s.status == _RUNNING, m.step, m.init(u0_lam1[:-1]))
    res = m.finish(st, locate=False)
    out = dict(res._asdict(), EV=st.EV, dirn=st.dirn)
    floats = jnp.concatenate([jnp.ravel(out[f]) for f in _FLOAT_FIELDS])
    ints = jnp.concatenate([jnp.ravel(out[f]).astype(jnp.int32) for f in _INT_FIELDS])
    return floats, ints


_run_packed_jit = jax.jit(
    _run_packed, static_argnames=("static", "opts"), compiler_options=COMPILER_OPTIONS
)


def _events(problem_dyn, static, EV, n_events, dirn, opts: TrackerOptions):
    problem = static.obj if static is not None else problem_dyn
    H, Jf = _problem_fns(problem)
    return _locate_events(H, Jf, EV, n_events, dirn, opts)


_events_jit = jax.jit(
    _events, static_argnames=("static", "opts"), compiler_options=COMPILER_OPTIONS
)


@functools.lru_cache(maxsize=64)
def _layout(n1: int, opts: TrackerOptions) -> tuple[tuple, tuple]:
    """(name, start, stop, shape) of every field in the packed float and int arrays."""
    N = opts.max_steps + 1 if opts.max_points is None else min(opts.max_points, opts.max_steps + 1)
    E = opts.max_events
    shapes = dict(U=(N, n1), T=(N, n1), S=(N,), EV=(E + 1, 4 * n1 + 5), EK=(E,))
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


def _unpack(
    floats: np.ndarray, ints: np.ndarray, n1: int, opts: TrackerOptions, problem_dyn, static
) -> _Result:
    """The `_Result` of `_run_packed`'s output, its events refined by `_events_jit`."""
    fl, it = _layout(n1, opts)
    out = {f: floats[a:b].reshape(shape) for f, a, b, shape in fl}
    out.update((f, ints[a:b].reshape(shape)) for f, a, b, shape in it)
    EV, dirn = out.pop("EV"), out.pop("dirn")
    E = opts.max_events
    if out["n_events"] > 0:
        ev = _events_jit(problem_dyn, static, EV, out["n_events"], dirn, opts)
        EU, ET, ES, nj = (np.asarray(a) for a in ev)
        out["jacobians"] = out["jacobians"] + nj
    else:
        EU = ET = np.full((E, n1), np.nan)
        ES = np.full((E,), np.nan)
    return _Result(**out, EU=EU, ET=ET, ES=ES)


def _polish(problem_dyn, static, w, lam, tol):
    problem = static.obj if static is not None else problem_dyn
    H, Jf = _problem_fns(problem)
    return _polish_loop(H, Jf, w, lam, tol, True)[0]


_polish_jit = jax.jit(_polish, static_argnames=("static",), compiler_options=COMPILER_OPTIONS)


def correct_at(problem: Any, w: Any, lam: float, *, tol: float = 1e-12) -> np.ndarray:
    """Solve H(w, λ) = 0 at fixed λ by Newton's method from `w` (for `Path.at`)."""
    dyn, static = _split_problem(problem)
    w = jnp.asarray(w, jnp.float64)
    return np.asarray(_polish_jit(dyn, static, w, jnp.asarray(lam, jnp.float64), tol))


# ---------------------------------------------------------------------------------------------
# The public entry point.


_OPTION_NAMES = frozenset(f.name for f in dataclasses.fields(TrackerOptions))


@functools.lru_cache(maxsize=64)
def _options_cached(items: tuple) -> TrackerOptions:
    return TrackerOptions(**{k: v for k, _, v in items})


def _options(options: dict) -> TrackerOptions:
    """`TrackerOptions(**options)`, validated once per distinct set of options."""
    unknown = options.keys() - _OPTION_NAMES
    if unknown:
        raise ValueError(f"options: unknown {sorted(unknown)}; see homotopy.TrackerOptions")
    try:
        # the type is part of the key: 1, 1.0 and True are equal but not equally valid
        return _options_cached(tuple((k, type(v), v) for k, v in sorted(options.items())))
    except TypeError:  # an unhashable value: validate it uncached
        return TrackerOptions(**options)


def _check_span(lam_span: Any) -> tuple[float, float]:
    try:
        a, b = (float(x) for x in lam_span)
    except (TypeError, ValueError):
        raise ValueError(f"lam_span: expected two numbers (lam0, lam1), got {lam_span!r}") from None
    if not (math.isfinite(a) and math.isfinite(b)) or a == b:
        raise ValueError(f"lam_span: expected two distinct finite numbers, got {lam_span!r}")
    return a, b


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
            if opts.method == "natural"
            else " Try a smaller min_step, a looser tol, or check H for a singular point."
        )
        return f"step size fell below min_step at λ = {lam:.12g} (‖w‖ = {wn:.4g}).{hint}"
    if status is Status.MAX_STEPS:
        return (
            f"stopped after {st['steps']} accepted and {st['rejected_steps']} rejected steps "
            f"at λ = {lam:.12g}: raise max_steps"
        )
    if status is Status.LEFT_SPAN:
        return f"the path turned back and left the span through λ = {lam_span[0]:g}"
    return (
        f"the start w is not a regular solution at λ = {lam_span[0]:g} (Newton did not "
        "converge or H_w is singular there): pass a solution as start="
    )


def track(
    problem: Any,
    *,
    start: Any = None,
    lam_span: tuple[float, float] = (0.0, 1.0),
    **options: Any,
) -> Path:
    r"""Follow the solution path of H(w, λ) = 0 from λ = lam_span[0] to lam_span[1].

    **Arguments:**

    - `problem`: a `NaturalHomotopy`, a `FunctionHomotopy`, or any object with ``H(w, lam)``
      (and optionally ``jacobian(w, lam)``, ``start()``).
    - `start`: the solution at ``lam_span[0]``; default ``problem.start()`` (for a
      `NaturalHomotopy`: the linear least-squares weights X⁺d). It is first corrected by
      Newton's method at fixed λ.
    - `lam_span`: ``(lam0, lam1)``; λ may run either way.
    - `**options`: fields of `TrackerOptions` (method, predictor, corrector, tol, …).

    **Returns:** a `Path`; its `status` says how it ended, never an exception from the loop.

    **Raises:** `ValueError` for an unknown option or a bad `start`, `lam_span` or option value.
    """
    opts = _options(options)
    lam0, lam1 = _check_span(lam_span)
    if not hasattr(problem, "H"):
        raise ValueError("problem: expected an object with a method H(w, lam)")
    if start is None:
        if not hasattr(problem, "start"):
            raise ValueError("start: the problem has no start(); pass start=")
        start = problem.start()
    w0 = np.asarray(start, dtype=np.float64)
    if w0.ndim != 1 or not np.all(np.isfinite(w0)):
        raise ValueError(f"start: expected a finite 1-D weight vector, got shape {w0.shape}")
    n = getattr(problem, "n_unknowns", None)
    if n is not None and w0.shape[0] != n:
        raise ValueError(f"start: expected {n} weights, got {w0.shape[0]}")
    dyn, static = _split_problem(problem)
    # one numpy array in, (w0, λ0, λ1): jit converts it without an eager JAX op
    u0_lam1 = np.empty(w0.shape[0] + 2)
    u0_lam1[:-2], u0_lam1[-2], u0_lam1[-1] = w0, lam0, lam1
    floats, ints = _run_packed_jit(dyn, static, u0_lam1, opts)
    st = _unpack(np.asarray(floats), np.asarray(ints), w0.shape[0] + 1, opts, dyn, static)
    return _to_path(st, problem, (lam0, lam1), opts)


def _to_path(st: _Result, problem: Any, lam_span, opts: TrackerOptions) -> Path:
    """The `Path` of one compiled result (numpy arrays)."""
    k = min(int(st.n_points), st.U.shape[0])
    U, T, S = np.asarray(st.U[:k]), np.asarray(st.T[:k]), np.asarray(st.S[:k])
    status = Status.from_code(int(st.status))
    stats = dict(
        steps=int(st.steps),
        rejected_steps=int(st.rejected),
        newton_iterations=int(st.newton),
        jacobian_evaluations=int(st.jacobians),
        jvp_evaluations=int(st.jvps),
    )
    w_last = U[-1, :-1]
    direction = w_last / np.linalg.norm(w_last) if status is Status.DIVERGED else None
    w_end = w_last.copy() if status is Status.SUCCESS else None
    ne = min(int(st.n_events), opts.max_events)
    events = sorted(
        (
            Event(
                EVENT_KINDS[int(st.EK[i])],
                float(st.EU[i, -1]),
                np.array(st.EU[i, :-1]),
                float(st.ES[i]),
                np.array(st.ET[i]),
            )
            for i in range(ne)
        ),
        key=lambda e: e.s,
    )
    info = dict(
        stats, lam_last=float(U[-1, -1]), w_norm=float(np.linalg.norm(w_last)), direction=direction
    )
    return Path(
        status=status,
        message=_messages(status, info, lam_span, opts),
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
    )
