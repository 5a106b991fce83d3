r"""Every stationary point of the error at a fixed λ: found by several batched methods,
classified by the Hessian's inertia, grouped into symmetry orbits, and certified.

A path from λ = 0 ends at one stationary point of
$E_\lambda(w) = \tfrac12\|d - \phi_\lambda(w)\|^2$, not necessarily the best one.
`stationary_points` combines three ways of finding more, in rounds, until a round finds
nothing new:
- **the λ-path** itself (`track` from the linear start; for a hidden-layer network, every
  branch of the degenerate start);
- **target homotopies** (`TargetHomotopy`): for random weights w′ the targets
  d′ = φ_λ(w′) are fitted exactly by w′, so w′ is a known zero of ∇E(·; d′); the path of
  $H(w, \tau) = \nabla_w E_\lambda(w; (1-\tau)d' + \tau d) + (1-\tau)\mu(w - w')$ from τ = 0 to
  1 ends at a stationary point of E(·; d). The proximal term μ keeps the start nondegenerate
  where the network has more weights than targets (then the zero-error set at d′ is a
  manifold); it vanishes at τ = 1. All paths of a round run in one `track_many` call.
- **deflation** (Farrell, Birkisson & Funke 2015): Newton's method on the deflated gradient
  $m(w)\nabla E(w)$ with $m(w) = \prod_k (\|w - w_k\|^{-2} + 1)$ over the points $w_k$ found so
  far, from random starts and from perturbations of the found points, all vmapped. The
  deflated Newton step is the Newton step δ scaled by $1/(1 - \nabla\log m \cdot δ)$ (one
  linear solve, as for Newton), and it is repelled from every known point.

Each candidate is polished by Newton at fixed λ and kept when ‖∇E‖ and the last Newton step are
at rounding level. Its Hessian's inertia classifies it: a minimum, a saddle of index k (k
negative eigenvalues), a maximum, or *degenerate* (a zero eigenvalue: e.g. a point of a
continuum of stationary points, as a dead hidden unit gives). Runs whose weights grow without
bound are counted as paths to infinity: for a saturating network, E's infimum is often reached
only there.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .correctors import COMPILER_OPTIONS
from .protocol import jacobian_of, join_problem, split_problem


Array = jax.Array

#: the methods `stationary_points` can combine
METHODS = ("lambda_path", "targets", "deflation")
#: Hessian eigenvalues below this fraction of the largest |eigenvalue| count as zero
NULL_TOL = 1e-8
#: relative distance below which two polished points (up to symmetry) are one point
SAME_TOL = 1e-6
#: Newton iterations that polish a candidate (it stops once the steps stop shrinking)
POLISH_ITERATIONS = 30
#: σ_λ' below this (√ε) at some pattern marks a point as saturated
SATURATED = 1.5e-8


# ----------------------------------------------------------------------------- the problem


class TargetHomotopy:
    r"""The parameter homotopy in the targets at fixed λ:
    $H(w, \tau) = \nabla_w E_\lambda(w; d_\tau) + (1-\tau)\mu(w - w')$ with
    $d_\tau = (1-\tau)d' + \tau d$.

    With d′ = φ_λ(w′) (`from_weights`), w′ is an exact zero at τ = 0, nondegenerate when
    μ > 0 or the metric G(w′) = JᵀJ is regular; at τ = 1 the equations are the base problem's
    H(·, λ) = 0. The base is a least-squares network problem with ``with_targets``
    (`NaturalHomotopy`, `MLPHomotopy`). A JAX PyTree (leaves: the base, d′, w′, λ, μ), so many
    of them are stacked by `track_many`; a base shared by all is passed once.
    """

    def __init__(self, base: Any, d_from: Any, w_from: Any, lam: float, mu: float = 0.0) -> None:
        self.base = base
        self.d_from = d_from
        self.w_from = w_from
        self.lam = lam
        self.mu = mu

    @classmethod
    def from_weights(cls, base: Any, w_from: Any, lam: float, mu: float = 0.0) -> TargetHomotopy:
        """The homotopy from the targets d′ = φ_λ(w′) that `w_from` = w′ fits exactly."""
        w_from = jnp.asarray(w_from, jnp.float64)
        d_from = base.embedding(w_from, lam).reshape(base.d.shape)
        return cls(base, d_from, w_from, jnp.float64(lam), jnp.float64(mu))

    @property
    def n_unknowns(self) -> int:
        """n, the base problem's."""
        return self.base.n_unknowns

    def _at(self, tau: Array) -> Any:
        return self.base.with_targets((1.0 - tau) * self.d_from + tau * self.base.d)

    def H(self, w: Array, tau: Array | float) -> Array:
        """∇_wE_λ(w; d_τ) + (1 − τ)μ(w − w′)."""
        return self._at(tau).H(w, self.lam) + (1.0 - tau) * self.mu * (w - self.w_from)

    def jacobian(self, w: Array, tau: Array | float) -> Array:
        """[H_w | H_τ] = [∇²E(w; d_τ) + (1 − τ)μI | ∇E(w; d) − ∇E(w; d′) − μ(w − w′)] (H is
        affine in the targets)."""
        n = w.shape[0]
        Hw = _hessian(self._at(tau), w, self.lam) + (1.0 - tau) * self.mu * jnp.eye(n)
        Ht = (
            self.base.H(w, self.lam)
            - self.base.with_targets(self.d_from).H(w, self.lam)
            - self.mu * (w - self.w_from)
        )
        return jnp.concatenate([Hw, Ht[:, None]], axis=1)

    def prepared(self) -> TargetHomotopy:
        """The same homotopy over the base's `prepared` form (the `homotopy.protocol` hook)."""
        hook = getattr(self.base, "prepared", None)
        base = hook() if callable(hook) else self.base
        return TargetHomotopy(base, self.d_from, self.w_from, self.lam, self.mu)

    def start(self) -> np.ndarray:
        """w′, the exact zero at τ = 0."""
        return np.asarray(self.w_from, np.float64)


jax.tree_util.register_pytree_node(
    TargetHomotopy,
    lambda p: ((p.base, p.d_from, p.w_from, p.lam, p.mu), None),
    lambda _, c: TargetHomotopy(*c),
)


def _hessian(problem: Any, w: Array, lam: Array | float) -> Array:
    """∇²E_λ(w) = H_w: the problem's Jacobian without its λ column, or autodiff."""
    if hasattr(problem, "jacobian"):
        return problem.jacobian(w, lam)[:, :-1]
    return jacobian_of(problem.H, w, lam)[:, :-1]


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class StationaryPoint:
    """One stationary point of E_λ (for a hidden-layer network: one symmetry orbit).

    - `w`: the weights (the orbit's `canonical` representative for an `MLPHomotopy`).
    - `error`: E_λ(w); `gradient_norm`: ‖∇E_λ(w)‖₂ after polishing.
    - `hessian_eigenvalues`: of ∇²E_λ(w), ascending.
    - `index`: how many are negative (0: a minimum); `nullity`: how many are zero
      (|·| ≤ `NULL_TOL`·max|·|).
    - `kind`: ``"minimum"``, ``"saddle"``, ``"maximum"`` or ``"degenerate"`` (nullity > 0).
    - `orbit_size`: the number of distinct symmetric copies of w (hidden-unit permutations and,
      for an odd σ, sign flips; 1 for a single layer); `copies_found`: how many of them the
      runs reached.
    - `found_by`: the methods that reached it; `hits`: how many runs ended on it.
    - `saturated`: a degenerate point where some unit's σ_λ' is below `SATURATED` at some
      pattern: the zero eigenvalues may be an artefact of saturation (the error is flat to
      rounding there), a point "at infinity" rather than a continuum of exact stationary
      points. Always False for a nondegenerate point.
    - `certificate`: the `homotopy.Certificate` of `certify`, or ``None`` where it was not
      tried (degenerate points, problems without interval data).
    """

    w: np.ndarray = field(repr=False)
    error: float
    gradient_norm: float
    hessian_eigenvalues: np.ndarray = field(repr=False)
    index: int
    nullity: int
    kind: str
    orbit_size: int
    copies_found: int
    found_by: tuple[str, ...]
    hits: int
    saturated: bool = False
    certificate: Any = field(default=None, repr=False)

    @property
    def certified(self) -> bool:
        """Whether `certify` proved a unique exact stationary point in a box around `w`."""
        return self.certificate is not None and bool(self.certificate.certified)


@dataclass(frozen=True)
class Round:
    """One batch of runs of one method: how many `runs`, how many `converged` to a stationary
    point, how many of those were `new` (nondegenerate points not seen before; `new_degenerate`
    for degenerate ones), how many `diverged` (weights running to infinity) and how many
    `failed` otherwise (a path that folded back, Newton that stalled)."""

    method: str
    runs: int
    converged: int
    new: int
    new_degenerate: int
    diverged: int
    failed: int


@dataclass(frozen=True)
class StationaryPoints:
    """The catalogue of `stationary_points`: the points found, sorted by error.

    - `points`: the nondegenerate `StationaryPoint` s (one per symmetry orbit);
      `degenerate`: those with a singular Hessian (points of continua are not isolated, so
      each run may land on another point of the same continuum: they are listed, not counted
      towards completeness).
    - `lam`: the λ of E_λ; `rounds`: every batch run, in order.
    - `diverged`: runs whose weights ran to infinity (over all methods).
    - `new_in_last_round`: new nondegenerate points the last round found (0: it found none:
      the completeness statistic); `unseen_probability`: the Good–Turing estimate n₁/N of the
      chance that the next converged run finds a new point (n₁ points hit exactly once, N
      converged hits in all).
    """

    points: tuple[StationaryPoint, ...]
    degenerate: tuple[StationaryPoint, ...]
    lam: float
    rounds: tuple[Round, ...]
    diverged: int
    new_in_last_round: int
    unseen_probability: float

    def __len__(self) -> int:
        return len(self.points)

    def __iter__(self) -> Iterator[StationaryPoint]:
        return iter(self.points)

    def __getitem__(self, i: int) -> StationaryPoint:
        return self.points[i]

    @property
    def minima(self) -> tuple[StationaryPoint, ...]:
        """The local minima (index 0), lowest error first."""
        return tuple(p for p in self.points if p.kind == "minimum")

    @property
    def saddles(self) -> tuple[StationaryPoint, ...]:
        """The saddles (index ≥ 1), lowest error first."""
        return tuple(p for p in self.points if p.kind == "saddle")

    def counts(self) -> dict[str, int]:
        """How many nondegenerate points (orbits) of each kind: ``minimum``, ``saddle-k``…,
        ``maximum``; plus ``degenerate`` (continua) and ``saturated`` (degenerate by
        saturation: points at infinity in effect)."""
        out: dict[str, int] = {}
        for p in self.points:
            key = f"saddle-{p.index}" if p.kind == "saddle" else p.kind
            out[key] = out.get(key, 0) + 1
        sat = sum(p.saturated for p in self.degenerate)
        if len(self.degenerate) > sat:
            out["degenerate"] = len(self.degenerate) - sat
        if sat:
            out["saturated"] = sat
        return dict(sorted(out.items(), key=lambda kv: _kind_order(kv[0])))

    def __repr__(self) -> str:
        runs = sum(r.runs for r in self.rounds)
        return (
            f"StationaryPoints(lam={self.lam:g}, points={len(self.points)}, "
            f"counts={self.counts()}, runs={runs}, diverged={self.diverged}, "
            f"new_in_last_round={self.new_in_last_round})"
        )


def _kind_order(key: str) -> tuple[int, int]:
    if key == "minimum":
        return (0, 0)
    if key.startswith("saddle-"):
        return (1, int(key.split("-")[1]))
    return {"maximum": (2, 0), "degenerate": (3, 0)}.get(key, (4, 0))


# ----------------------------------------------------------------------------- kernels


def _deflated_newton(dyn, static, W0, lam, known, mask, max_it, xtol, step_cap):
    """Deflated Newton from each row of W0 (vmapped): (w, converged, diverged, iterations)."""
    problem = join_problem(dyn, static)

    def grad_log_m(w):
        # ∇ log Π_k (‖w − w_k‖⁻² + 1) = Σ_k −2‖·‖⁻⁴ (w − w_k) / (‖·‖⁻² + 1)
        diff = w[None, :] - known
        r2 = jnp.maximum(jnp.sum(diff**2, axis=1), 1e-300)
        coef = jnp.where(mask, -2.0 / (r2 * (1.0 + r2)), 0.0)
        return coef @ diff

    def one(w0):
        def body(c):
            w, k, _, _, prev = c
            g = problem.H(w, lam)
            # the least-norm step: a singular Hessian (a continuum of stationary points) is
            # no failure, Newton then converges to a point of the continuum
            delta = -jnp.linalg.lstsq(_hessian(problem, w, lam), g)[0]
            scale = 1.0 + jnp.linalg.norm(w)
            nd = jnp.linalg.norm(delta)
            small = nd <= xtol * scale
            # at rounding level the steps stop shrinking: converged, and the step is not taken
            stalled = (nd >= prev) & (prev <= 1e-8 * scale)
            denom = 1.0 - grad_log_m(w) @ delta
            step = jnp.where(small | (jnp.abs(denom) < 1e-12), delta, delta / denom)
            nrm = jnp.linalg.norm(step)
            step = jnp.where(nrm > step_cap * scale, step * (step_cap * scale / nrm), step)
            bad = ~jnp.all(jnp.isfinite(step))
            w_new = jnp.where(stalled | bad, w, w + step)
            return w_new, k + 1, small | stalled | bad, bad, nd

        inf = jnp.asarray(jnp.inf, W0.dtype)
        init = (w0, jnp.int32(0), jnp.bool_(False), jnp.bool_(False), inf)
        w, k, done, bad, _ = jax.lax.while_loop(lambda c: (c[1] < max_it) & ~c[2], body, init)
        return w, done & ~bad, k

    return jax.vmap(one)(W0)


_deflated_newton_jit = jax.jit(
    _deflated_newton, static_argnames=("static", "max_it"), compiler_options=COMPILER_OPTIONS
)


def _measure(dyn, static, W, lam):
    """(E, ∇E, ∇²E, last Newton step) at each row of W (vmapped)."""
    problem = join_problem(dyn, static)

    def one(w):
        g = problem.H(w, lam)
        Hw = _hessian(problem, w, lam)
        return problem.error(w, lam), g, Hw, jnp.linalg.lstsq(Hw, -g)[0]

    return jax.vmap(one)(W)


_measure_jit = jax.jit(_measure, static_argnames=("static",), compiler_options=COMPILER_OPTIONS)


# ----------------------------------------------------------------------------- the search


@dataclass
class _Entry:
    w: np.ndarray
    copies: list[np.ndarray]
    found_by: set[str]
    hits: int
    error: float
    grad: float
    eig: np.ndarray
    degenerate: bool


class _Catalogue:
    """The points found so far, compared up to the problem's symmetries."""

    def __init__(self, problem: Any, tol: float) -> None:
        self.problem = problem
        self.tol = tol
        self.entries: list[_Entry] = []
        self.symmetric = hasattr(problem, "same_orbit") and hasattr(problem, "canonical")

    def _close(self, a: np.ndarray, b: np.ndarray) -> bool:
        return bool(np.linalg.norm(a - b) <= self.tol * (1.0 + np.linalg.norm(a)))

    def add(self, w, err, grad, eig, degenerate, method) -> bool:
        """Record one converged run; True when it is a new point."""
        for e in self.entries:
            if abs(e.error - err) > 1e-6 * (1.0 + abs(err)) or e.degenerate != degenerate:
                continue
            # degenerate points are not isolated: those of one error level and inertia are
            # taken as one continuum (its first point represents it)
            same_set = degenerate and _inertia(e.eig) == _inertia(eig)
            if (
                same_set
                or self._close(e.w, w)
                or (self.symmetric and self.problem.same_orbit(e.w, w, tol=self.tol))
            ):
                e.hits += 1
                e.found_by.add(method)
                if not any(self._close(c, w) for c in e.copies):
                    e.copies.append(w)
                return False
        rep = self.problem.canonical(w) if self.symmetric else w
        self.entries.append(_Entry(rep, [w], {method}, 1, err, grad, eig, degenerate))
        return True

    def known(self) -> np.ndarray:
        """Every copy found, ``(K, n)``: what deflation repels from."""
        ws = [c for e in self.entries for c in e.copies]
        return np.array(ws) if ws else np.zeros((0, self.problem.n_unknowns))


def _nullity(eig: np.ndarray) -> int:
    """How many eigenvalues are zero: |·| ≤ `NULL_TOL`·max|·|."""
    return int(np.sum(np.abs(eig) <= NULL_TOL * np.max(np.abs(eig))))


def _inertia(eig: np.ndarray) -> tuple[int, int, int]:
    """(negative, zero, positive) eigenvalue counts."""
    tol = NULL_TOL * np.max(np.abs(eig))
    return int(np.sum(eig < -tol)), int(np.sum(np.abs(eig) <= tol)), int(np.sum(eig > tol))


def _check_problem(problem: Any) -> None:
    if not (callable(getattr(problem, "with_targets", None)) and hasattr(problem, "error")):
        raise ValueError(
            "problem: stationary_points needs a least-squares network problem "
            f"(NaturalHomotopy or MLPHomotopy), got {type(problem).__name__}"
        )
    if getattr(problem, "objective", "least_squares") != "least_squares":
        raise ValueError(
            "problem: stationary points are those of the least-squares error; the "
            "interpolation objective has no error function to search"
        )


def _positive_int(name: str, v: Any, minimum: int = 1) -> int:
    if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < minimum:
        raise ValueError(f"{name}: expected an integer ≥ {minimum}, got {v!r}")
    return int(v)


def stationary_points(
    problem: Any,
    lam: float = 1.0,
    *,
    methods: Sequence[str] = METHODS,
    batch: int = 32,
    rounds: int = 8,
    patience: int = 2,
    seed: int = 0,
    scale: tuple[float, float] = (0.25, 4.0),
    mu: float | None = None,
    tol: float = 1e-10,
    max_newton: int = 60,
    certify: bool = True,
    lambda_starts: int = 16,
) -> StationaryPoints:
    r"""Catalogue the stationary points of E_λ (∇E_λ(w) = 0): each one's error, gradient
    norm, Hessian inertia and symmetry orbit, which methods found it, and a certificate.

    **Arguments:**

    - `problem`: a least-squares `NaturalHomotopy` or `MLPHomotopy`.
    - `lam`: the λ of E_λ (default 1: the sigmoidal network).
    - `methods`: a subset of ``("lambda_path", "targets", "deflation")`` (see the module
      docstring).
    - `batch`: runs per method and round (the target homotopies of a round are one
      `track_many` call, the deflated Newton runs one vmapped call).
    - `rounds`, `patience`: at most `rounds` rounds; stop after `patience` rounds in a row
      that found no new nondegenerate point.
    - `seed`: of the random weights w′ (numpy's default generator).
    - `scale`: the range (log-uniform) of the standard deviation of the random preactivations
      x̃ᵢ·w′ (input weights w′ ~ N(0, σ²/‖x̃‖²_rms)); output weights are N(0, 1/h).
    - `mu`: the target homotopies' proximal weight; default 0 when the network has no more
      weights than targets, else 0.1·tr G(w′)/n per path.
    - `tol`: Newton's step tolerance (relative to 1 + ‖w‖) for a converged point.
    - `max_newton`: iterations per deflated Newton run.
    - `certify`: run `homotopy.certify` on each nondegenerate point (when the problem
      supports interval data).
    - `lambda_starts`: random points of the degenerate start's manifold searched for branch
      starts (an `MLPHomotopy`'s λ-path).

    **Returns:** a `StationaryPoints` catalogue.

    **Raises:** `ValueError` naming the argument for another kind of problem or a bad option.
    """
    _check_problem(problem)
    if not isinstance(lam, int | float | np.floating) or isinstance(lam, bool):
        raise ValueError(f"lam: expected a number in (0, 1], got {lam!r}")
    lam = float(lam)
    if not 0.0 <= lam <= 1.0:
        raise ValueError(f"lam: expected a number in [0, 1], got {lam}")
    methods = tuple(methods) if not isinstance(methods, str) else (methods,)
    if not methods or any(m not in METHODS for m in methods):
        raise ValueError(f"methods: expected a non-empty subset of {METHODS}, got {methods!r}")
    batch = _positive_int("batch", batch)
    rounds = _positive_int("rounds", rounds)
    patience = _positive_int("patience", patience)
    max_newton = _positive_int("max_newton", max_newton)
    lo_s, hi_s = _check_scale(scale)
    if not (isinstance(tol, float | int) and 0.0 < tol < 1e-3):
        raise ValueError(f"tol: expected a positive number below 1e-3, got {tol!r}")
    if mu is not None and not (isinstance(mu, float | int) and mu >= 0.0):
        raise ValueError(f"mu: expected a nonnegative number, got {mu!r}")

    rng = np.random.default_rng(seed)
    dyn, static = split_problem(problem)
    cat = _Catalogue(problem, SAME_TOL)
    report: list[Round] = []
    diverged = 0
    quiet = 0
    last_new = 0

    def record(method: str, W: np.ndarray, ok: np.ndarray, div: np.ndarray) -> Round:
        W_ok = W[ok]
        new = new_deg = conv = 0
        if len(W_ok):
            E, G, Hs, steps = (
                np.asarray(a)[: len(W_ok)]
                for a in _measure_jit(dyn, static, _padded_rows(W_ok), lam)
            )
            for w, e, g, Hw, st in zip(W_ok, E, G, Hs, steps, strict=True):
                if not (np.all(np.isfinite(Hw)) and np.linalg.norm(st) <= _accept(tol, w)):
                    continue
                eig = np.linalg.eigvalsh(0.5 * (Hw + Hw.T))
                degenerate = _nullity(eig) > 0
                conv += 1
                if cat.add(w, float(e), float(np.linalg.norm(g)), eig, degenerate, method):
                    new_deg += degenerate
                    new += not degenerate
        r = Round(
            method, len(W), conv, new, new_deg, int(np.sum(div)), len(W) - conv - int(np.sum(div))
        )
        report.append(r)
        return r

    if "lambda_path" in methods:
        W, ok, div = _lambda_path_ends(problem, lam, lambda_starts, seed)
        diverged += int(np.sum(div))
        record("lambda_path", *_polished(dyn, static, W, ok, div, lam, tol))
    batch_methods = [m for m in methods if m != "lambda_path"]
    for _ in range(rounds if batch_methods else 0):
        new_here = 0
        for method in batch_methods:
            if method == "targets":
                W, ok, div = _target_ends(problem, lam, rng, batch, (lo_s, hi_s), mu)
            else:
                known = cat.known()
                W0 = _deflation_starts(problem, rng, batch, (lo_s, hi_s), known)
                W, ok, div = _deflate(dyn, static, W0, lam, known, max_newton, tol)
            diverged += int(np.sum(div))
            new_here += record(method, *_polished(dyn, static, W, ok, div, lam, tol)).new
        last_new = new_here
        quiet = quiet + 1 if new_here == 0 else 0
        if quiet >= patience:
            break

    points, degenerate = _finish(problem, cat, lam, certify)
    hits = np.array([e.hits for e in cat.entries if not e.degenerate])
    unseen = float(np.sum(hits == 1) / np.sum(hits)) if hits.size else 1.0
    return StationaryPoints(points, degenerate, lam, tuple(report), diverged, last_new, unseen)


def _check_scale(scale: Any) -> tuple[float, float]:
    try:
        lo, hi = (float(s) for s in scale)
    except (TypeError, ValueError):
        raise ValueError(f"scale: expected a pair (low, high), got {scale!r}") from None
    if not (0.0 < lo <= hi < math.inf):
        raise ValueError(f"scale: expected 0 < low ≤ high < inf, got {scale!r}")
    return lo, hi


def _accept(tol: float, w: np.ndarray) -> float:
    return tol * (1.0 + float(np.linalg.norm(w)))


def _polished(dyn, static, W, ok, div, lam, tol):
    """Newton at fixed λ (no deflation) from the converged runs' ends: (W, ok, diverged)."""
    W = np.asarray(W, np.float64)
    ok = np.asarray(ok, bool) & np.all(np.isfinite(W), axis=1)
    if np.any(ok):
        pad, mask = _padded_known(np.zeros((0, W.shape[1])))
        rows = W[ok]
        Wp, conv, _ = _deflated_newton_jit(
            dyn, static, _padded_rows(rows), lam, pad, mask, POLISH_ITERATIONS, 1e-15, 1.0
        )
        Wp, conv = np.asarray(Wp)[: len(rows)], np.asarray(conv)[: len(rows)]
        W = W.copy()
        W[ok] = np.asarray(Wp)
        ok[ok] = np.asarray(conv)
    return W, ok, np.asarray(div, bool) & ~ok


def _random_weights(problem: Any, rng: np.random.Generator, B: int, scale) -> np.ndarray:
    """B random weight vectors: preactivations of std log-uniform in `scale`."""
    Xt = np.asarray(problem.design, np.float64)
    rms = float(np.sqrt(np.mean(np.sum(Xt**2, axis=1)))) or 1.0
    sd = np.exp(rng.uniform(np.log(scale[0]), np.log(scale[1]), size=(B, 1))) / rms
    n = problem.n_unknowns
    if not hasattr(problem, "hidden"):
        return sd * rng.standard_normal((B, n))
    s, h = Xt.shape[1], problem.hidden
    W = sd * rng.standard_normal((B, s * h))
    rest = rng.standard_normal((B, n - s * h)) / np.sqrt(h)
    return np.concatenate([W, rest], axis=1)


def _lambda_path_ends(problem: Any, lam: float, n_starts: int, seed: int):
    """The λ-path's end(s) at `lam`: (W, reached, diverged)."""
    from .path import Status
    from .tracker import track

    if hasattr(problem, "start_search"):
        starts = problem.starts(n_starts, seed=seed)
        if not starts:
            n = problem.n_unknowns
            return np.zeros((0, n)), np.zeros(0, bool), np.zeros(0, bool)
        if lam == 0.0:
            W = np.array([b.w for b in starts])
            return W, np.ones(len(W), bool), np.zeros(len(W), bool)
        # one track per branch: their lifted points may sit at different λ (track_many needs
        # one), and there are few of them
        paths = [track(problem, start=b, lam_span=(0.0, lam)) for b in starts]
        ok = np.array([q.status == Status.SUCCESS for q in paths])
        W = np.array([q.w_end if q.status == Status.SUCCESS else q.w[-1] for q in paths])
        return W, ok, np.array([q.status == Status.DIVERGED for q in paths])
    path = track(problem, lam_span=(0.0, lam)) if lam > 0.0 else None
    if path is None:
        w0 = np.asarray(problem.start(), np.float64)
        return w0[None], np.ones(1, bool), np.zeros(1, bool)
    ok = path.status == Status.SUCCESS
    w_end = path.w_end if ok else np.full(problem.n_unknowns, np.nan)
    return w_end[None], np.array([ok]), np.array([path.status == Status.DIVERGED])


def _target_ends(problem: Any, lam: float, rng, B: int, scale, mu):
    """Ends of B target homotopies from random w′ (one `track_many` call)."""
    from .batch import track_many
    from .path import Status

    Wf = _random_weights(problem, rng, B, scale)
    mus = _mu_for(problem, Wf, lam) if mu is None else np.full(B, float(mu))
    homs = [TargetHomotopy.from_weights(problem, w, lam, m) for w, m in zip(Wf, mus, strict=True)]
    pb = track_many(homs, start=Wf, max_steps=500)
    # a path that reached τ = 1 at a singular point (a continuum of solutions, e.g. the
    # zero-error set of an over-parametrized network) ends without SUCCESS: its last point
    # is still a candidate, for Newton to decide
    last = np.minimum(pb.n_points, pb.lam.shape[1]) - 1
    rows = np.arange(len(pb))
    lam_last, w_last = pb.lam[rows, last], pb.w[rows, last]
    near = np.isfinite(lam_last) & (np.abs(lam_last - 1.0) <= 1e-6)
    W = np.where(pb.success[:, None], pb.w_end, w_last)
    ok = pb.success | near
    # weights that ran off (by the tracker's verdict, or grown tenfold without an end) are a
    # path to infinity, unless Newton finds a stationary point where the path stopped
    grown = np.linalg.norm(w_last, axis=1) > 10.0 * (1.0 + np.linalg.norm(Wf, axis=1))
    return W, ok, (pb.codes == Status.DIVERGED.code) | (grown & ~pb.success)


def _mu_for(problem: Any, Wf: np.ndarray, lam: float) -> np.ndarray:
    """0 where the network has no more weights than targets, else 0.1·tr G(w′)/n."""
    n, M = problem.n_unknowns, int(np.prod(problem.d.shape))
    if n <= M:
        return np.zeros(len(Wf))
    dyn, static = split_problem(problem)
    return 0.1 * np.asarray(_trace_metric_jit(dyn, static, jnp.asarray(Wf), lam)) / n


def _trace_metric(dyn, static, W: Array, lam: Array) -> Array:
    """tr G(w) = ‖∂φ/∂w‖²_F for each row of W."""
    problem = join_problem(dyn, static)

    def one(w):
        J = jax.jacfwd(lambda v: problem.embedding(v, lam))(w)
        return jnp.sum(J**2)

    return jax.vmap(one)(W)


_trace_metric_jit = jax.jit(_trace_metric, static_argnames=("static",))


def _deflation_starts(problem: Any, rng, B: int, scale, known: np.ndarray) -> np.ndarray:
    """Half random weights, half the found points moved by 10% of their size (fewer when
    nothing is known yet)."""
    n_near = min(B // 2, 4 * len(known))
    W = _random_weights(problem, rng, B - n_near, scale)
    if n_near:
        base = known[rng.integers(0, len(known), n_near)]
        jitter = rng.standard_normal(base.shape) * 0.1 * (1.0 + np.abs(base))
        W = np.concatenate([W, base + jitter])
    return W


def _deflate(dyn, static, W0: np.ndarray, lam: float, known: np.ndarray, max_it: int, tol: float):
    """Deflated Newton from each row of W0, away from `known`: (W, converged, diverged)."""
    pad, mask = _padded_known(known)
    W, ok, _ = _deflated_newton_jit(dyn, static, jnp.asarray(W0), lam, pad, mask, max_it, tol, 0.5)
    W, ok = np.asarray(W), np.asarray(ok)
    big = np.linalg.norm(W, axis=1) > 1e3 * (1.0 + np.linalg.norm(W0, axis=1))
    return W, ok & ~big, big | ~np.all(np.isfinite(W), axis=1)


def _padded_rows(W: np.ndarray) -> Array:
    """W with its last row repeated up to 16 rows or the next power of two: the batch sizes
    of the compiled kernels, so that a varying number of candidates does not recompile."""
    B = max(16, 1 << max(0, len(W) - 1).bit_length())
    return jnp.asarray(np.concatenate([W, np.repeat(W[-1:], B - len(W), axis=0)]))


def _padded_known(known: np.ndarray) -> tuple[Array, Array]:
    """The known points padded to 64 rows, or the next power of two (one compiled program
    for the first 64), with the mask of the real ones."""
    K = max(64, 1 << max(0, len(known) - 1).bit_length())
    pad = np.zeros((K, known.shape[1]))
    pad[: len(known)] = known
    return jnp.asarray(pad), jnp.asarray(np.arange(K) < len(known))


def _orbit_size(problem: Any, w: np.ndarray) -> int:
    """|orbit| = |group| / |stabilizer| for hidden-unit permutations (and sign flips)."""
    if not hasattr(problem, "hidden"):
        return 1
    units = problem._units(w)
    h = units.shape[0]
    odd = problem.sign_symmetric
    group = math.factorial(h) * (2**h if odd else 1)
    scale = SAME_TOL * (1.0 + np.linalg.norm(w))
    stab, used = 1, np.zeros(h, bool)
    for i in range(h):
        if used[i]:
            continue
        same = [
            j for j in range(i, h)
            if not used[j] and (
                np.linalg.norm(units[j] - units[i]) <= scale
                or (odd and np.linalg.norm(units[j] + units[i]) <= scale)
            )
        ]  # fmt: skip
        used[same] = True
        stab *= math.factorial(len(same))
        if odd and np.linalg.norm(units[i]) <= scale:
            stab *= 2 ** len(same)  # a zero unit is its own sign flip
    return group // stab


def _saturated(problem: Any, w: np.ndarray, lam: float) -> bool:
    """Whether min σ_λ'(z) < `SATURATED` over the preactivations z of the (hidden) units."""
    wj = jnp.asarray(w, jnp.float64)
    if hasattr(problem, "hidden"):
        W, _, _ = problem.unpack(wj)
        z = problem.design @ W
    else:
        z = problem.preactivation(wj)
    return bool(np.min(np.asarray(problem.activation.blend_d1(z, lam))) < SATURATED)


def _finish(problem: Any, cat: _Catalogue, lam: float, certify: bool):
    """The catalogue's entries as sorted `StationaryPoint` s (certified where possible)."""
    from .certification import certifiable, certify as certify_point

    can_certify = certify
    if certify:
        try:
            certifiable(problem)
        except ValueError:
            can_certify = False
    pts, degs = [], []
    for e in cat.entries:
        eig = e.eig
        neg, nul, _ = _inertia(eig)
        n = eig.size
        if nul:
            kind = "degenerate"
        elif neg == 0:
            kind = "minimum"
        elif neg == n:
            kind = "maximum"
        else:
            kind = "saddle"
        cert = None
        if can_certify and not nul:
            cert = certify_point(problem, e.w, lam)
        p = StationaryPoint(
            np.asarray(e.w), e.error, e.grad, eig, neg, nul, kind, _orbit_size(problem, e.w),
            len(e.copies), tuple(m for m in METHODS if m in e.found_by), e.hits,
            bool(nul) and _saturated(problem, e.w, lam), cert,
        )  # fmt: skip
        (degs if nul else pts).append(p)
    key = lambda p: (p.error, p.index)  # noqa: E731
    return tuple(sorted(pts, key=key)), tuple(sorted(degs, key=key))
