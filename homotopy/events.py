r"""Events: special points of a path, found where an event function g changes sign.

An event is a small immutable object with a `name`, a function ``value(point, ref) -> g``
of a point on the path (its u = (w, λ), tangent t and the sign and log|det| of the bordered
Jacobian [H_u; tᵀ]) and a refinement tolerance `tol`. The loop only *detects* a sign change of
g over an accepted step and stores the step (`record`); after the loop, `locate` refines each
one by an Illinois (regula falsi) iteration on the curve, so the hot loop stays small.

- `TurningPoint`: g = dλ/ds (a fold in λ: H_w is singular there, the bordered matrix is not).
- `Bifurcation`: g = det[H_u; tᵀ] relative to its value at the step's start (a simple branch
  point: H_u loses rank). The `Event` then carries the kernel basis of H_u there, which branch
  switching starts from.
- `EventFunction(name, fn)`: g = fn(w, λ), any scalar JAX function, e.g. ``‖w‖ − 10``.

Pass ``track(..., events=(TurningPoint(), Bifurcation(), EventFunction("big", f)))``.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Callable
from typing import Any, ClassVar, NamedTuple

import jax
import jax.numpy as jnp

from ._checks import check_number
from ._parametrization import orient, velocity
from ._tangent import tangent
from .correctors import NewtonTolerances, newton_solve
from .protocol import System


Array = jax.Array


class EventPoint(NamedTuple):
    """A point of the path as event functions see it: u = (w, λ), its oriented unit tangent
    t, and (sign, log|det|) of [H_u; tᵀ]."""

    u: Array
    t: Array
    sign: Array
    logdet: Array


class AbstractEvent(abc.ABC):
    """Interface: `name`, `tol` (refinement stops when |g| ≤ tol; 0: when the bracket
    closes), ``enabled(natural)`` and ``value(point, ref) -> g`` (`ref`: the step's start)."""

    name: str
    tol: float

    def enabled(self, natural: bool) -> bool:
        """Whether the event is watched (natural = stepping in λ)."""
        return True

    @abc.abstractmethod
    def value(self, point: EventPoint, ref: EventPoint) -> Array:
        """g at `point`; its sign change over a step is the event."""

    def crossed(self, g0: Array, g1: Array) -> Array:
        """Whether g changed sign over the step."""
        return g0 * g1 < 0


_TP_WHY = "the |dλ/ds| of a unit tangent to locate a turning point to"


def check_turning_tol(v: Any) -> float:
    """`track`'s ``turning_tol`` option as a float in (0, 1), or a ValueError naming it."""
    return check_number("turning_tol", v, 0.0, 1.0, hi_closed=False, why=_TP_WHY)


@dataclasses.dataclass(frozen=True)
class TurningPoint(AbstractEvent):
    """A fold in λ: dλ/ds = 0 (located to |dλ/ds| ≤ `tol`). Not watched in natural mode,
    which cannot pass one."""

    tol: float = 1e-10
    name: ClassVar[str] = "turning_point"

    def __post_init__(self) -> None:
        # 0: refine until the bracket closes; 1 or more would stop at once (|dλ/ds| ≤ 1)
        tol = check_number("tol", self.tol, 0.0, 1.0, lo_closed=True, hi_closed=False, why=_TP_WHY)
        object.__setattr__(self, "tol", tol)  # the float: a huge int overflows in jit

    def enabled(self, natural: bool) -> bool:
        return not natural

    def value(self, point, ref):
        return point.t[-1]


@dataclasses.dataclass(frozen=True)
class Bifurcation(AbstractEvent):
    """A simple bifurcation: det[H_u; tᵀ] changes sign (located to the last bit of the arc
    parameter)."""

    tol: float = 0.0
    name: ClassVar[str] = "bifurcation"

    def __post_init__(self) -> None:
        # stored as the float: an int beyond int64 (2**63) overflowed in jit
        object.__setattr__(self, "tol", check_number("tol", self.tol, 0.0, lo_closed=True))

    def value(self, point, ref):
        return point.sign * jnp.exp(jnp.clip(point.logdet - ref.logdet, -700.0, 700.0))

    def crossed(self, g0, g1):
        return jnp.sign(g1) != jnp.sign(g0)


@dataclasses.dataclass(frozen=True)
class EventFunction(AbstractEvent):
    """A user's event: g = fn(w, λ) changes sign (e.g. ``lambda w, lam: jnp.linalg.norm(w)
    - 10``). `fn` must be JAX-traceable and return a scalar; it is compared by identity."""

    name: str
    fn: Callable[[Array, Array], Array]
    tol: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"name: expected a non-empty string, got {self.name!r}")
        if not callable(self.fn):
            raise ValueError("fn: must be callable as fn(w, lam) -> scalar")
        # stored as the float: an int beyond int64 (2**63) overflowed in jit
        object.__setattr__(self, "tol", check_number("tol", self.tol, 0.0, lo_closed=True))

    def value(self, point, ref):
        g = self.fn(point.u[:-1], point.u[-1])
        return jnp.reshape(jnp.asarray(g, point.u.dtype), ())


EVENTS: dict[str, type[AbstractEvent]] = {"turning_point": TurningPoint, "bifurcation": Bifurcation}


def events_from(spec: Any) -> tuple[AbstractEvent, ...]:
    """A tuple of events from names (``"turning_point"``, ``"bifurcation"``) and instances.

    **Raises:** `ValueError` naming `events` for anything else or a repeated name.
    """
    if isinstance(spec, AbstractEvent | str):
        spec = (spec,)
    try:
        items = tuple(spec)
    except TypeError:
        raise ValueError(f"events: expected a sequence of events, got {spec!r}") from None
    out = []
    for e in items:
        if isinstance(e, str) and e in EVENTS:
            e = EVENTS[e]()
        if not isinstance(e, AbstractEvent):
            raise ValueError(
                f"events: expected names in {tuple(EVENTS)} or AbstractEvent instances, got {e!r}"
            )
        out.append(e)
    names = [e.name for e in out]
    if len(set(names)) != len(names):
        raise ValueError(f"events: names must be distinct, got {names}")
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# Detection in the loop and refinement after it.
#
# One row per event in the loop's buffer EV: [kind | u_a | t_a | u_c | t_c | g_a, g_c,
# log|det| at u_a, s_a] (a and c: the step's start and end; kind indexes the tracker's events,
# −1 unused); the last row is scratch, so a step writes its rows in one scatter.


#: the locator's Newton fails only when an update grows by more than this factor
LOCATE_GIVE_UP = 8.0


def record_width(n1: int) -> int:
    """The length of one event row for u of length n1."""
    return 4 * n1 + 5


def record(
    events: tuple[AbstractEvent, ...],
    natural: bool,
    EV: Array,
    n_events: Array,
    ok: Array,
    start: EventPoint,
    end: EventPoint,
    s_start: Array,
) -> tuple[Array, Array]:
    """Store the step start → end for every enabled event whose g changed sign on it (an
    accepted step, `ok`); returns the new (EV, n_events)."""
    E = EV.shape[0] - 1
    dtype = start.u.dtype
    idx, rows = [], []
    for kind, ev in enumerate(events):
        if not ev.enabled(natural):
            continue
        g0, g1 = ev.value(start, start), ev.value(end, start)
        put = ok & ev.crossed(g0, g1) & (n_events < E)
        idx.append(jnp.where(put, n_events, E))
        head = jnp.stack([jnp.asarray(kind, dtype)])
        tail = jnp.stack([g0, g1, start.logdet, s_start]).astype(dtype)
        rows.append(jnp.concatenate([head, start.u, start.t, end.u, end.t, tail]))
        n_events = n_events + put
    if not rows:
        return EV, n_events
    return EV.at[jnp.stack(idx)].set(jnp.stack(rows)), n_events


def locate(
    system: System,
    events: tuple[AbstractEvent, ...],
    natural: bool,
    tols: NewtonTolerances,
    EV: Array,
    n_events: Array,
    dirn: Array,
) -> tuple[Array, Array, Array, Array]:
    """Refine each stored event by an Illinois (regula falsi) iteration on its step.

    Points u(σ) on the step come from the corrector started at u_a + σ·p with the step's
    constraint row; g(σ) is the event's function there. Returns (EU, ET, ES, Jacobians): the
    events' points, tangents and arc lengths (NaN rows past `n_events`).
    """
    E = EV.shape[0] - 1
    n1 = (EV.shape[1] - 5) // 4
    e_lam = jnp.zeros(n1, EV.dtype).at[-1].set(1.0)
    tol_of = jnp.asarray([ev.tol for ev in events], EV.dtype)

    def one(i, bufs):
        EU, ET, ES, nj_total = bufs
        rec = EV[i]
        kind = rec[0].astype(jnp.int32)
        u_a, t_a, u_c, t_c = (rec[1 + k * n1 : 1 + (k + 1) * n1] for k in range(4))
        g0, g1, logdet_a, s_a = rec[1 + 4 * n1 :]
        ref = EventPoint(u_a, t_a, jnp.ones((), EV.dtype), logdet_a)
        p = velocity(t_a, dirn, natural)
        row = e_lam if natural else t_a
        sig1 = (row @ (u_c - u_a)) / (row @ p)
        tol_g = tol_of[kind]
        step_len = jnp.linalg.norm(u_c - u_a)

        def point(sig):
            u_pred = u_a + sig * p
            # near a branch point the bordered matrix is nearly singular and Newton's first
            # updates may grow before it converges (seen: ‖Δu₂‖ = 1.65‖Δu₁‖ at a pitchfork of
            # a hidden-layer network): tolerate that, and let `near` guard the branch
            nw = newton_solve(system, u_pred, row, tols, give_up=LOCATE_GIVE_UP)
            tt, sgn, logdet = tangent(system, system.J(nw.u), t_a)
            tt = orient(tt, dirn, natural)
            here = EventPoint(nw.u, tt, sgn, logdet)
            gs = jnp.stack([jnp.asarray(ev.value(here, ref), EV.dtype) for ev in events])
            g = gs[kind]
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
