r"""The problem protocol: what the tracker, `track_many`, `geometry` and `plotting` ask of a
problem. Any object that has the methods below is a problem; nothing needs subclassing.

**Tracking** (`track`, `Tracker`, `track_many`):

- ``H(w, lam) -> (n,)``, required: the homotopy map, traceable by JAX (``w`` of shape
  ``(n,)``, ``lam`` a scalar), real. `track` and `track_many` trace it (and `jacobian`)
  abstractly once per problem structure before compiling, and refuse with a `ValueError`
  naming it a map that does not trace or returns the wrong shape.
- ``jacobian(w, lam) -> (n, n + 1)``, optional: $[H_w \mid H_\lambda]$; without it the
  tracker differentiates `H` by forward-mode autodiff (`jacobian_of`).
- ``start() -> (n,)``, optional: the solution at the start of the λ span (else pass
  ``start=``); or a `homotopy.degenerate.BranchStart` where the solutions at λ₀ form a
  manifold (`track` then starts its loop at the branch's lifted point).
- ``start_diagnosis(w, lam) -> str | None``, optional: why (w, λ) is not a valid start (then
  `track` returns an INVALID_START path with that reason and does not track), or ``None``.
- ``interval_data() -> IntervalData``, optional: the problem's network described for
  `homotopy.certify` (and ``track(..., certify=True)``), which encloses its H and H_w in
  interval arithmetic (`homotopy.certification.IntervalData`: a single-layer or
  one-hidden-layer network, its X̃, D, σ and layout; `NaturalHomotopy` and `MLPHomotopy`
  have it). A legacy ``(X̃, d, σ name, objective)`` tuple is read as a single layer.
- ``n_unknowns``, optional: n, checked against the start.
- ``lam_range -> (lo, hi)``, optional: the λ interval on which H is the problem's homotopy
  (`NaturalHomotopy` and `MLPHomotopy`: (0, 1), since σ_λ stops being monotone past
  λ = 1). `track`, `Tracker` and `track_many` refuse a ``lam_span`` (or ``lam_bound``)
  outside it; without it (e.g. a `FunctionHomotopy` given none) any λ is accepted.
- ``prepared() -> problem``, optional: the same problem (the same H, bit for bit up to
  rounding, the same unknowns) in the form cheapest to evaluate many times, e.g. with
  derived arrays formed once. The single-path compiled entry points (`track`, `Tracker`,
  `Path.at`) call it once per call, outside their loops (`join_prepared`).
- ``bucketed() -> problem``, optional: the same problem (the same unknowns and the same H up
  to rounding) with its arrays padded to a standard size, so that problems of nearby sizes
  share one compiled program (`bucket`; `track` and `Tracker` use it).

**Geometry** (`homotopy.geometry`, `homotopy.plotting`), the data-manifold hooks: see
`homotopy.manifold`.

A problem that is a JAX PyTree (e.g. `NaturalHomotopy`, `FunctionHomotopy`) passes through
``jit`` as data, so a new problem of the same shape does not recompile and `track_many` can
stack many of them; any other object is a static argument, compared by identity.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol, runtime_checkable

import jax
import jax.numpy as jnp
import numpy as np

from ._checks import Static as Static, check_real_dtype, real_scalar
from ._linalg import Factored, factor


Array = jax.Array


@runtime_checkable
class Homotopy(Protocol):
    """A homotopy H(w, λ) = 0 the tracker can follow (the one required method)."""

    def H(self, w: Array, lam: Array) -> Array:
        """H(w, λ) ∈ Rⁿ."""
        ...


def jacobian_of(H: Callable[[Array, Array], Array], w: Array, lam: Array | float) -> Array:
    """[H_w | H_λ] of a function ``H(w, lam)`` by forward-mode autodiff in u = (w, λ)."""
    u = jnp.concatenate([jnp.asarray(w), jnp.reshape(jnp.asarray(lam, w.dtype), (1,))])
    return jax.jacfwd(lambda v: H(v[:-1], v[-1]))(u)


def second_derivative(H: Callable[[Array], Array], u: Array, a: Array, b: Array) -> Array:
    """D²H(u)[a, b] = ∂²/∂s∂t H(u + s a + t b) at 0, for H a function of u = (w, λ): a JVP
    of a JVP (no Hessian is formed)."""

    def dH(x: Array) -> Array:
        return jax.jvp(H, (x,), (a,))[1]

    return jax.jvp(dH, (u,), (b,))[1]


class System(NamedTuple):
    """A problem as the tracker's kernels see it: functions of u = (w, λ), and the linear
    algebra to use with them.

    - `H`: u ↦ H(w, λ), ``(n,)``.
    - `J`: u ↦ H_u = [H_w | H_λ], ``(n, n + 1)``.
    - `factor`: a square matrix ↦ its `Factored` form (see `homotopy._linalg`; the batched
      variant makes no LAPACK call, for code traced under ``vmap``).
    - `batched`: whether the kernels are traced under ``vmap`` (then a ``lax.cond`` runs
      both branches anyway, so the kernels mask instead of branching).
    """

    H: Callable[[Array], Array]
    J: Callable[[Array], Array]
    factor: Callable[[Array], Factored]
    batched: bool = False


def system(problem: Any, *, batched: bool = False) -> System:
    """The `System` of a problem: H(u), its Jacobian (the problem's or autodiff), and the
    factorization (`batched`: the kernels will be traced under ``vmap``)."""

    def H(u: Array) -> Array:
        return jnp.asarray(problem.H(u[:-1], u[-1]), u.dtype)

    if hasattr(problem, "jacobian"):

        def J(u: Array) -> Array:
            return jnp.asarray(problem.jacobian(u[:-1], u[-1]), u.dtype)

    else:

        def J(u: Array) -> Array:
            return jacobian_of(problem.H, u[:-1], u[-1])

    return System(H, J, functools.partial(factor, batched=batched), batched)


def split_problem(problem: Any) -> tuple[Any, Static | None]:
    """(dynamic, static) halves for ``jit``: a PyTree problem is dynamic, anything else
    static (`join_problem` puts them back together)."""
    leaves, _ = jax.tree_util.tree_flatten(problem)
    if len(leaves) == 1 and leaves[0] is problem:
        return None, Static(problem)
    return problem, None


def join_problem(dynamic: Any, static: Static | None) -> Any:
    """The problem from its `split_problem` halves."""
    return static.obj if static is not None else dynamic


def prepare(problem: Any) -> Any:
    """``problem.prepared()`` where the problem has it, else the problem (traced once at the
    top of a compiled call, so derived arrays are not rebuilt inside its loops)."""
    hook = getattr(problem, "prepared", None)
    return hook() if callable(hook) else problem


def join_prepared(dynamic: Any, static: Static | None) -> Any:
    """`join_problem`, then `prepare`: the problem as a compiled entry point traces it."""
    return prepare(join_problem(dynamic, static))


def bucket(problem: Any) -> Any:
    """``problem.bucketed()`` where the problem has it, else the problem (on the host, before
    ``jit``: the padded shapes pick the compiled program)."""
    hook = getattr(problem, "bucketed", None)
    return hook() if callable(hook) else problem


def check_problem(problem: Any) -> Any:
    """The problem, or a `ValueError` when it has no ``H(w, lam)``."""
    if not callable(getattr(problem, "H", None)):
        raise ValueError("problem: expected an object with a method H(w, lam)")
    return problem


def check_lam_range(value: Any, name: str = "problem") -> tuple[float, float]:
    """A λ interval ``(lo, hi)`` as two floats lo < hi (±inf allowed), or a ValueError
    naming `name`."""
    try:
        lo, hi = (real_scalar(x) for x in value)
    except (TypeError, ValueError):
        lo = hi = math.nan
    if not lo < hi:  # NaN compares false
        what = "its lam_range must be" if name == "problem" else "expected"
        raise ValueError(f"{name}: {what} a λ interval (lo, hi) with lo < hi, got {value!r}")
    return lo, hi


def lam_range_of(problem: Any) -> tuple[float, float] | None:
    """The problem's declared λ interval ``lam_range``, or ``None`` where it declares none."""
    value = getattr(problem, "lam_range", None)
    return None if value is None else check_lam_range(value)


def start_of(problem: Any, start: Any = None) -> np.ndarray:
    """The start weights: `start`, or ``problem.start()``; a finite 1-D float64 vector of
    ``problem.n_unknowns`` entries where the problem says how many.

    **Raises:** `ValueError` naming `start` when there is none or it is malformed.
    """
    if start is None:
        if not hasattr(problem, "start"):
            raise ValueError("start: the problem has no start(); pass start=")
        start = problem.start()
    if hasattr(start, "lifted_w"):  # a homotopy.degenerate.BranchStart
        raise ValueError(
            "start: a BranchStart (a degenerate start with its branch's tangent): use "
            "homotopy.track, which starts the loop at its lifted point"
        )
    try:
        raw = np.asarray(start)
    except (TypeError, ValueError) as err:  # e.g. a ragged nested list
        raise ValueError(f"start: not a real numeric vector ({err})") from None
    check_real_dtype("start", raw)  # before the cast, which would drop imaginary parts
    w0 = raw.astype(np.float64, copy=False)
    if w0.ndim != 1 or not np.all(np.isfinite(w0)):
        raise ValueError(f"start: expected a finite 1-D weight vector, got shape {w0.shape}")
    n = getattr(problem, "n_unknowns", None)
    if n is not None and w0.shape[0] != n:
        raise ValueError(f"start: expected {n} weights, got {w0.shape[0]}")
    return w0
