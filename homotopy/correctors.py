r"""Correctors: from a predicted point back onto the curve H(u) = 0, and the tangent there.

Every corrector solves the bordered system $\{H(u) = 0,\ \text{row}^T(u - u_{pred}) = 0\}$ by
a Newton-type iteration (`newton_solve`, the one kernel), where row is the step's constraint:
the previous tangent t (pseudo-arclength: the matrix $[H_u; t^T]$ stays regular at folds) or
$e_\lambda$ (λ fixed: natural-parameter steps and the landing on λ_end). They differ in which
Jacobians they evaluate:

- `Newton`: a new Jacobian every iteration; the last one is reused for the tangent when it was
  taken within `reuse_tol`·(1 + ‖u‖) of the solution.
- `Chord`: the Jacobian of the last accepted point for every iteration (one Jacobian per
  step, for the tangent; its contraction grows with the step, so steps are smaller).
- `Simplified` (the default): one Jacobian per step, at the prediction, kept for every
  iteration; the new tangent is refined from the same factored matrix by Jacobian-vector
  products (`homotopy._tangent.refined_tangent`). When the frozen Jacobian cannot keep up
  (contraction worse than `give_up`), Newton takes over from where it stopped.

A corrector is a small immutable object with one method, `correct`; pass an instance (or its
name) as ``track(..., corrector=...)``. Also here: `polish` (Newton at fixed λ to full
precision) and `correct_at` (re-correct any w at a given λ for a problem).
"""

from __future__ import annotations

import abc
import dataclasses
from typing import Any, ClassVar, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ._checks import check_part
from ._linalg import Factored, serial_lapack, solve
from ._tangent import bordered, refined_tangent, tangent
from .protocol import System, join_prepared, split_problem, system as system_of


Array = jax.Array


class NewtonTolerances(NamedTuple):
    """What a correction must reach: ‖H(u)‖₂ ≤ `tol`; the iteration stops when its estimated
    remaining error is ≤ `step_tol`·(1 + ‖u‖); at most `max_newton` iterations (twice that
    for a frozen matrix)."""

    tol: float
    step_tol: float
    max_newton: int


class NewtonResult(NamedTuple):
    """The outcome of `newton_solve` (a PyTree of arrays)."""

    u: Array
    converged: Array
    iterations: Array
    jacobians: Array
    contraction: Array  # the largest ‖Δu_{k+1}‖/‖Δu_k‖ seen
    J_last: Array  # the last Jacobian evaluated (at u − Δu_last)
    last_step: Array  # ‖Δu_last‖: how far u is from where J_last was evaluated


def newton_solve(
    system: System,
    u_p: Array,
    row: Array,
    tols: NewtonTolerances,
    *,
    fixed: tuple[Array, Factored] | None = None,
    give_up: float | None = None,
    active: Any = True,
    u_start: Array | None = None,
) -> NewtonResult:
    """Newton on {H(u) = 0, row·(u − u_p) = 0} from u_p.

    With `fixed` = (J, factored [J; rowᵀ]) for some J near the solution: simplified Newton,
    every iteration solves with that matrix; with `give_up`, it fails as soon as an iteration
    contracts by less than that factor (θ > `give_up`). `active=False` (a finished path in a
    batch) does no iteration at all. `u_start`: start there instead of at u_p.
    """
    frozen = fixed is not None
    max_it = tols.max_newton * (2 if frozen else 1)
    # a linearly converging iteration stops near its estimate of the remaining error, Newton's
    # far below it (the error squares): aim 100× lower, so both end at round-off level
    tol_factor = 1e-2 if frozen else 1.0
    limit = 1.0 if give_up is None else give_up

    # H(u) is carried: each iteration evaluates it once, at its new point, which is also
    # the final residual (on a large problem an H evaluation costs two passes over X)
    def cond(c):
        u, Hu, k, prev, theta, done, fail, nj, J_last = c
        return (k < max_it) & ~done & ~fail

    def body(c):
        u, Hu, k, prev, theta, done, fail, nj, J_last = c
        F = jnp.concatenate([Hu, jnp.reshape(row @ (u - u_p), (1,))])
        if frozen:
            fac = fixed[1]
        else:
            J_last = system.J(u)
            fac = bordered(system, J_last, row)
            nj = nj + 1
        du = -solve(fac, F)
        u_new = u + du
        nrm = jnp.linalg.norm(du)
        th = jnp.where(k > 0, nrm / jnp.maximum(prev, 1e-300), 0.0)
        # a-posteriori estimate of the remaining error: θ/(1 − θ)·‖Δu‖ (Deuflhard)
        rest = jnp.where(k > 0, th / jnp.maximum(1.0 - th, 1e-3) * nrm, nrm)
        scale = tol_factor * tols.step_tol * (1.0 + jnp.linalg.norm(u_new))
        done = (nrm <= scale) | ((k > 0) & (rest <= scale) & (th < 1.0))
        fail = ~jnp.all(jnp.isfinite(u_new)) | ((k > 0) & (th >= limit))
        Hu = system.H(u_new)
        return (u_new, Hu, k + 1, nrm, jnp.maximum(theta, th), done, fail, nj, J_last)

    zero = jnp.zeros((), u_p.dtype)
    # a prediction that already solves H (an exact start) needs no Jacobian at all
    u0 = u_p if u_start is None else u_start
    H0 = system.H(u0)
    exact = (jnp.linalg.norm(H0) <= 1e-2 * tols.tol) | ~jnp.asarray(active)
    J0 = fixed[0] if frozen else jnp.zeros((u_p.shape[0] - 1, u_p.shape[0]), u_p.dtype)
    init = (u0, H0, jnp.int32(0), zero, zero, exact, jnp.bool_(False), jnp.int32(0), J0)
    u, Hu, k, last, theta, done, fail, nj, J_last = jax.lax.while_loop(cond, body, init)
    Hn = jnp.linalg.norm(Hu)
    ok = done & ~fail & (Hn <= tols.tol) & jnp.all(jnp.isfinite(u))
    return NewtonResult(u, ok, k, nj, theta, J_last, last)


def polish(
    system: System, w: Array, lam: Array, tol: float, go: Any, fixed: Factored | None = None
) -> tuple[Array, Array]:
    """Newton at fixed λ to full precision: iterate while the update keeps shrinking (at most
    30 iterations). With `fixed` (the factored H_w of a point already near the solution),
    chord steps with it instead: no Jacobian is evaluated. Returns (w, Jacobians used)."""
    u0 = jnp.concatenate([w, jnp.reshape(jnp.asarray(lam, w.dtype), (1,))])

    def body(c):
        u, k, prev, go, nj = c
        f = system.factor(system.J(u)[:, :-1]) if fixed is None else fixed
        du = -solve(f, system.H(u))
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


def _polish_one(problem_dyn, static, w, lam, tol):
    return polish(system_of(join_prepared(problem_dyn, static)), w, lam, tol, True)[0]


_polish_jit = jax.jit(_polish_one, static_argnames=("static",), compiler_options=COMPILER_OPTIONS)


def correct_at(problem: Any, w: Any, lam: float, *, tol: float = 1e-12) -> np.ndarray:
    """Solve H(w, λ) = 0 at fixed λ by Newton's method from `w`: the re-correction of a point
    of a path (`Path.at`) at any λ, for any problem."""
    dyn, static = split_problem(problem)
    w = np.asarray(w, np.float64)
    with serial_lapack(w.shape[-1]):
        return np.asarray(_polish_jit(dyn, static, w, np.float64(lam), tol))


def _hyperplanes(problem_dyn, static, u_pred: Array, rows: Array, tols: NewtonTolerances, give_up):
    sys = system_of(join_prepared(problem_dyn, static), batched=True)

    def one(u_p, row):
        nw = newton_solve(sys, u_p, row, tols, give_up=give_up)
        return nw.u, nw.converged

    return jax.vmap(one)(u_pred, rows)


_hyperplanes_jit = jax.jit(
    _hyperplanes,
    static_argnames=("static", "tols", "give_up"),
    compiler_options=COMPILER_OPTIONS,
)


def correct_in_hyperplanes(
    problem: Any,
    u_pred: Any,
    rows: Any,
    *,
    tol: float = 1e-10,
    step_tol: float = 1e-13,
    max_newton: int = 8,
    give_up: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Correct each point ``u_pred[i]`` onto H = 0 within its hyperplane
    rowᵢᵀ(u − u_pred[i]) = 0 (Newton on the bordered system), all at once.

    `max_newton` iterations at most; an update growing by more than `give_up` (default 1)
    times the previous one fails the point.

    **Returns:** ``(u, converged)``: ``(k, n + 1)`` points and a boolean mask (‖H‖ ≤ `tol`).
    """
    u_pred = jnp.asarray(u_pred, jnp.float64)
    rows = jnp.asarray(rows, jnp.float64)
    dyn, static = split_problem(problem)
    tols = NewtonTolerances(tol, step_tol, max_newton)
    u, ok = _hyperplanes_jit(dyn, static, u_pred, rows, tols, give_up)
    return np.asarray(u), np.asarray(ok)


# ---------------------------------------------------------------------------------------------
# The correctors of the tracking loop.


class CorrectorInput(NamedTuple):
    """What a corrector sees of the step: the last accepted point `u`, its tangent `t`
    (the orientation reference and the arclength row) and Jacobian `J`, the prediction `u_p`,
    the constraint `row` (t, or e_λ with λ fixed), `fix_lam` (whether the row is e_λ),
    `e_lam`, and `running` (False: a finished lane in a batch; do no work)."""

    u: Array
    t: Array
    J: Array
    u_p: Array
    row: Array
    fix_lam: Array
    e_lam: Array
    running: Array


class Correction(NamedTuple):
    """A corrector's output: the point `u`, its (unoriented, t·t_prev > 0) unit tangent `t`,
    the Jacobian `J` the tangent came from (at u, or, when reused, at a point within
    `reuse_tol`·(1 + ‖u‖) of u, or `Simplified`'s at the prediction when the JVP refinement
    certified it close enough), (`sign`, `logdet`) of [J; t_prevᵀ] (bordered with the
    orientation reference; its sign is that of det[H_u(u); tᵀ], which is all the bifurcation
    test reads), whether it `converged`, the Newton `contraction`, and the work done
    (`iterations`, `jacobians`, `jvps`)."""

    u: Array
    t: Array
    J: Array
    sign: Array
    logdet: Array
    converged: Array
    contraction: Array
    iterations: Array
    jacobians: Array
    jvps: Array


class AbstractCorrector(abc.ABC):
    """Interface: ``correct(system, inp, tols) -> Correction`` (traced inside the loop)."""

    name: ClassVar[str]

    @abc.abstractmethod
    def correct(self, system: System, inp: CorrectorInput, tols: NewtonTolerances) -> Correction:
        """Correct ``inp.u_p`` onto the curve within ``inp.row``'s hyperplane."""


def _with_tangent(system: System, inp: CorrectorInput, nw: NewtonResult, reuse_tol: float):
    """The tangent at Newton's solution: from its last Jacobian when that was taken within its
    last (converged, tiny) update, else from a new one."""
    scale = 1.0 + jnp.linalg.norm(inp.u)
    reuse = (nw.jacobians > 0) & (nw.last_step <= reuse_tol * scale)
    J_c = jax.lax.cond(reuse, lambda: nw.J_last, lambda: system.J(nw.u))
    t_c, sign_c, logdet_c = tangent(system, J_c, inp.t)
    new_j = nw.jacobians + (~reuse).astype(jnp.int32)
    return Correction(
        nw.u, t_c, J_c, sign_c, logdet_c, nw.converged, nw.contraction, nw.iterations, new_j,
        jnp.int32(0),
    )  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Newton(AbstractCorrector):
    """Newton's method: a new Jacobian every iteration (quadratic convergence).

    - `reuse_tol`: the last Jacobian serves for the tangent when it was taken within
      `reuse_tol`·(1 + ‖u‖) of the solution (one Jacobian per step saved).
    """

    reuse_tol: float = 1e-6
    name: ClassVar[str] = "newton"

    def correct(self, system: System, inp: CorrectorInput, tols: NewtonTolerances) -> Correction:
        nw = newton_solve(system, inp.u_p, inp.row, tols, active=inp.running)
        return _with_tangent(system, inp, nw, self.reuse_tol)


@dataclasses.dataclass(frozen=True)
class Chord(AbstractCorrector):
    """The chord method: the last accepted point's Jacobian for every iteration (linear
    convergence at a rate that grows with the step)."""

    reuse_tol: float = 1e-6
    name: ClassVar[str] = "chord"

    def correct(self, system: System, inp: CorrectorInput, tols: NewtonTolerances) -> Correction:
        fixed = (inp.J, bordered(system, inp.J, inp.row))
        nw = newton_solve(system, inp.u_p, inp.row, tols, fixed=fixed, active=inp.running)
        return _with_tangent(system, inp, nw, self.reuse_tol)


@dataclasses.dataclass(frozen=True)
class Simplified(AbstractCorrector):
    """Simplified Newton: one Jacobian per step, at the prediction, for every iteration and
    (bordered with the old tangent) for the tangent refined by JVPs.

    - `give_up`: an iteration contracting by less than this hands over to `Newton` (a frozen
      Jacobian that cannot keep up, e.g. a saturating network).
    """

    give_up: float = 0.1
    name: ClassVar[str] = "simplified"

    def correct(self, system: System, inp: CorrectorInput, tols: NewtonTolerances) -> Correction:
        u_p, row = inp.u_p, inp.row
        J_c = system.J(u_p)
        f_t = bordered(system, J_c, inp.t)
        f_n = jax.lax.cond(
            inp.fix_lam, lambda: bordered(system, J_c, inp.e_lam), lambda: f_t
        )  # fmt: skip
        nw = newton_solve(
            system, u_p, row, tols, fixed=(J_c, f_n), give_up=self.give_up, active=inp.running
        )
        # Newton takes over from where the frozen iteration stopped (or from the prediction
        # if it went astray); no work where not needed
        retry = inp.running & ~nw.converged
        restart = jnp.where(jnp.all(jnp.isfinite(nw.u)), nw.u, u_p)

        def take_over(nw=nw, restart=restart, retry=retry):
            full = newton_solve(system, u_p, row, tols, active=retry, u_start=restart)
            return full._replace(iterations=nw.iterations + full.iterations)

        if system.batched:  # under vmap a cond runs both branches: mask instead
            full = take_over()
            nw = jax.tree_util.tree_map(lambda a, b: jnp.where(retry, b, a), nw, full)
        else:
            nw = jax.lax.cond(retry, take_over, lambda nw=nw: nw)
        u_c = nw.u
        t_c, jvps, refined = refined_tangent(system, u_c, f_t)

        # the Jacobian moved too fast for the refinement (e.g. a saturating network): take
        # the tangent, and the determinant's sign, from a new one at u_c
        def exact():
            J = system.J(u_c)
            return (J, *tangent(system, J, inp.t))

        J_c, t_c, sign_c, logdet_c = jax.lax.cond(
            refined, lambda: (J_c, t_c, f_t.sign, f_t.logdet), exact
        )
        new_j = 1 + nw.jacobians + (~refined).astype(jnp.int32)
        return Correction(
            u_c, t_c, J_c, sign_c, logdet_c, nw.converged, nw.contraction, nw.iterations, new_j,
            jvps,
        )  # fmt: skip


CORRECTORS: dict[str, type[AbstractCorrector]] = {c.name: c for c in (Simplified, Newton, Chord)}


def corrector_from(spec: Any) -> AbstractCorrector:
    """A corrector from its name (``"simplified"``, ``"newton"``, ``"chord"``) or an instance.

    **Raises:** `ValueError` naming `corrector` for anything else.
    """
    return check_part("corrector", spec, CORRECTORS, AbstractCorrector)
