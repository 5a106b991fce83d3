"""Many paths at once: the compiled tracker ``vmap``ped over problems and starts, and split
over devices with ``jax.shard_map``.

Every path runs the same compiled loop as `track`, so `PathBatch[i]` equals
``track(problem_i, start=start_i, ...)`` point for point.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, PartitionSpec as P

from ._checks import check_bool, check_int, check_maps
from .activations import get_activation
from .degenerate import BranchStart
from .path import Path, Status
from .problems import OBJECTIVES, NaturalHomotopy, _check_matrix, check_nonempty, linear_start
from .protocol import Static, join_problem, split_problem, start_of
from .tracker import (
    COMPILER_OPTIONS,
    RUNNING,
    Algorithm,
    Result,
    _check_span,
    algorithm,
    check_in_range,
    to_path,
    uses_jvp,
    with_branch_start,
)


#: `track_many` stores this many points per path unless `max_points` says otherwise.
DEFAULT_MAX_POINTS = 201
#: paths run side by side per device in `track_many`.
DEFAULT_LANES = 256


@dataclass(frozen=True, eq=False)
class PathBatch:
    """The paths of `track_many`: B paths in fixed-size, NaN-padded arrays.

    - `codes` ``(B,)``: `Status` codes (`statuses` gives the Enum members).
    - `n_points` ``(B,)``: points each path took; at most `lam`'s second axis (the storage
      cap `max_points`) are stored: the first cap − 1 points and the last one.
    - `lam` ``(B, N)``, `w` ``(B, N, n)``, `s` ``(B, N)``, `tangents` ``(B, N, n + 1)``.
    - `w_end` ``(B, n)``: the weights at exactly λ = lam_span[1], NaN where not SUCCESS.
    - `stats`: ``steps``, ``rejected_steps``, ``newton_iterations``, ``jacobian_evaluations``,
      ``jvp_evaluations``, each ``(B,)``.
    - `problem(i)`, `path(i)` (also ``batch[i]``): the i-th problem and its full `Path`, with
      events and message.
    """

    codes: np.ndarray
    n_points: np.ndarray
    lam: np.ndarray
    w: np.ndarray
    s: np.ndarray
    tangents: np.ndarray
    w_end: np.ndarray
    stats: dict[str, np.ndarray]
    lam_span: tuple[float, float]
    _result: Result
    _problems: Any  # the problems' PyTree; leaves flagged in _axes carry the batch axis
    _static: Static | None  # a non-PyTree problem shared by every path
    _axes: tuple[bool, ...]
    _alg: Algorithm
    _branch_starts: tuple | None = None  # BranchStarts: each path begins at its degenerate point

    def __len__(self) -> int:
        return int(self.codes.shape[0])

    @property
    def statuses(self) -> list[Status]:
        """The `Status` of every path."""
        return [Status.from_code(c) for c in self.codes]

    @property
    def success(self) -> np.ndarray:
        """Boolean mask of the paths that reached the end of the span."""
        return self.codes == Status.SUCCESS.code

    def counts(self) -> dict[str, int]:
        """How many paths ended with each status (by ``Status.value``)."""
        return {
            s.value: int(np.sum(self.codes == s.code))
            for s in Status
            if np.any(self.codes == s.code)
        }

    def problem(self, i: int) -> Any:
        """The i-th problem (leaves shared by the whole batch are shared here too)."""
        return join_problem(_select(self._problems, self._axes, i), self._static)

    def path(self, i: int) -> Path:
        """The i-th `Path`, exactly as `track` would return it."""
        i = range(len(self))[i]
        one = jax.tree_util.tree_map(lambda a: np.asarray(a[i]), self._result)
        if self._branch_starts is None:
            return to_path(one, self.problem(i), self.lam_span, self._alg)
        b = self._branch_starts[i]
        inner = to_path(one, self.problem(i), (b.lifted_lam, self.lam_span[1]), self._alg, b.lam)
        return with_branch_start(inner, b, self.lam_span)

    __getitem__ = path

    def __iter__(self) -> Iterator[Path]:
        return (self.path(i) for i in range(len(self)))

    def __repr__(self) -> str:
        cap = self.lam.shape[1]
        return f"PathBatch(paths={len(self)}, statuses={self.counts()}, max_points={cap})"


def _select(problems: Any, axes: tuple[bool, ...], i: Any) -> Any:
    """The problem(s) at index `i` of the batch axis (an int or an index array)."""
    leaves, treedef = jax.tree_util.tree_flatten(problems)
    return jax.tree_util.tree_unflatten(
        treedef, [a[i] if b else a for a, b in zip(leaves, axes, strict=True)]
    )


def _refill(problems, static, axes, u0s, lam_end, alg: Algorithm, lanes: int):
    """Track B paths on a pool of `lanes` vmapped lanes: when a lane's path ends, its state is
    stored and the lane takes the next path. A lockstep vmap would keep every lane busy until
    the slowest path of the batch ends; here the work is the sum of the paths' steps, not B
    times the longest. Each path runs exactly the steps `track` runs.
    """
    B = u0s.shape[0]
    K = min(lanes, B)
    treedef = jax.tree_util.tree_structure(problems)

    def problem_of(i):
        return _select(problems, axes, i)

    def init(prob, u0):
        # lam_end = (λ_end, λ_bound)
        return alg.init(join_problem(prob, static), u0, lam_end[0], lam_end[1])

    def step(prob, st):
        return alg.step_lane(join_problem(prob, static), st)

    def finish(prob, st):
        return alg.finish(join_problem(prob, static), st)

    lane_axes = jax.tree_util.tree_unflatten(treedef, [0 if b else None for b in axes])
    init_v = jax.vmap(init, in_axes=(lane_axes, 0))
    step_v = jax.vmap(step, in_axes=(lane_axes, 0))
    finish_v = jax.vmap(finish, in_axes=(lane_axes, 0))

    first = jnp.arange(K, dtype=jnp.int32)
    lanes0 = init_v(problem_of(first), u0s[first])
    store = jax.tree_util.tree_map(lambda a: jnp.zeros((B,) + a.shape[1:], a.dtype), lanes0)
    # refill once an eighth of the lanes is free: amortizes the (vmapped) init over many lanes
    threshold = max(1, K // 8)

    def cond(c):
        return jnp.any(c[1] < B)

    def body(c):
        lanes, idx, nxt, store = c
        lanes = step_v(problem_of(jnp.minimum(idx, B - 1)), lanes)
        done = (idx < B) & (lanes.status != RUNNING)
        store = jax.tree_util.tree_map(
            lambda S, a: S.at[jnp.where(done, idx, B)].set(a, mode="drop"), store, lanes
        )
        idx = jnp.where(done, B, idx)
        free = idx >= B
        want = (nxt < B) & ((jnp.sum(free) >= threshold) | jnp.all(free))

        def refill(args):
            lanes, idx, nxt = args
            new = nxt + jnp.cumsum(free) - 1
            take = free & (new < B)
            j = jnp.minimum(new, B - 1)
            fresh = init_v(problem_of(j), u0s[j])

            def pick(f, a):
                return jnp.where(take.reshape((-1,) + (1,) * (a.ndim - 1)), f, a)

            lanes = jax.tree_util.tree_map(pick, fresh, lanes)
            return (
                lanes,
                jnp.where(take, new, idx).astype(idx.dtype),
                (nxt + jnp.sum(take)).astype(nxt.dtype),
            )

        lanes, idx, nxt = jax.lax.cond(want, refill, lambda a: a, (lanes, idx, nxt))
        return lanes, idx, nxt, store

    _, _, _, store = jax.lax.while_loop(cond, body, (lanes0, first, jnp.int32(K), store))
    return finish_v(problems, store)


@functools.lru_cache(maxsize=32)
def _compiled(
    alg: Algorithm, static: Static | None, axes: tuple, devices: tuple | None, lanes: int
):
    def batched(problem, u0, lam_end):
        return _refill(problem, static, axes, u0, lam_end, alg, lanes)

    if devices is None:
        return jax.jit(batched, compiler_options=COMPILER_OPTIONS)
    mesh = Mesh(np.asarray(devices), ("batch",))

    def specs(problem):
        return jax.tree_util.tree_unflatten(
            jax.tree_util.tree_structure(problem), [P("batch") if b else P() for b in axes]
        )

    def sharded(problem, u0, lam_end):
        # each device runs its own lane pool over its slice: no cross-device sync per step
        f = jax.shard_map(
            batched,
            mesh=mesh,
            in_specs=(specs(problem), P("batch"), P()),
            out_specs=P("batch"),
            check_vma=False,
        )
        return f(problem, u0, lam_end)

    return jax.jit(sharded, compiler_options=COMPILER_OPTIONS)


def _is_problem(x: Any) -> bool:
    return callable(getattr(x, "H", None))


def _natural_batch(X, d, activation, objective, bias, start):
    """The stacked `NaturalHomotopy` of arrays X, d: (problems, leaf axes, starts or None)."""
    if not isinstance(objective, str) or objective not in OBJECTIVES:
        raise ValueError(f"objective: expected one of {OBJECTIVES}, got {objective!r}")
    bias = check_bool("bias", bias)
    act = get_activation(activation)
    Xa = _check_matrix("X", X, (2, 3))
    if d is None:
        raise ValueError("d: the targets are required with an array X")
    da = _check_matrix("d", d, (1, 2, 3))
    check_nonempty(Xa, da, outputs=da.ndim == 3)  # d: (L,) or (B, L), or (B, L, m)
    x_batched, d_batched = Xa.ndim == 3, da.ndim >= 2
    start_a = None if start is None else _check_matrix("start", start, (1, 2))
    sizes = {
        name: a.shape[0]
        for name, a, batched in (
            ("X", Xa, x_batched),
            ("d", da, d_batched),
            ("start", start_a, start_a is not None and start_a.ndim == 2),
        )
        if batched
    }
    if len(set(sizes.values())) > 1:
        raise ValueError(f"X, d, start: batch sizes disagree: {sizes}")
    if not sizes:
        raise ValueError("X, d, start: nothing is batched; use track() for one path")
    B = next(iter(sizes.values()))
    if B == 0:
        name = next(iter(sizes))
        raise ValueError(f"{name}: the batch is empty (B = 0); pass at least one problem")
    L = Xa.shape[-2]
    Db = da if d_batched else np.broadcast_to(da, (B,) + da.shape)
    if Db.shape[1] != L:
        raise ValueError(f"d: has {Db.shape[1]} targets per problem but X has {L} patterns")
    Xb = Xa if x_batched else Xa[None]
    Xt = np.concatenate([Xb, np.ones(Xb.shape[:2] + (1,))], axis=2) if bias else Xb
    s = Xt.shape[-1]
    if objective == "interpolation" and L != s:
        raise ValueError(f"X: the interpolation objective needs L = s, but L = {L} and s = {s}")
    m = 1 if Db.ndim == 2 else Db.shape[-1]
    n = s * m
    if start_a is None:
        starts = linear_start(Xt, Db.reshape(B, L, m)).reshape(B, n)
    else:
        linear_start(Xt, np.zeros(Xt.shape[:-1] + (1,)))  # the rank check alone
        if start_a.shape[-1] != n:
            raise ValueError(f"start: expected {n} weights per path, got {start_a.shape[-1]}")
        starts = np.broadcast_to(start_a, (B, n))
    # the batched problem: a NaturalHomotopy PyTree whose leaves carry the batch axis
    proto = NaturalHomotopy(Xb[0], Db[0], act, objective, bias=bias)
    treedef = jax.tree_util.tree_structure(proto)
    problems = jax.tree_util.tree_unflatten(treedef, [jnp.asarray(Xa), jnp.asarray(Db)])
    return problems, (x_batched, True), starts


def _stacked(problems: Sequence[Any]):
    """Many problems of one structure as one PyTree with stacked leaves: (dyn, static, axes).

    **Raises:** `ValueError` naming `problems` when they differ in structure or shapes, or are
    distinct non-PyTree objects.
    """
    dyns, statics = zip(*(split_problem(p) for p in problems), strict=True)
    if statics[0] is not None:
        if any(s != statics[0] for s in statics):
            raise ValueError(
                "problems: distinct problems that are not JAX PyTrees cannot be batched; "
                "register the class as a PyTree (jax.tree_util.register_pytree_node), or pass "
                "one problem with many starts"
            )
        return None, statics[0], ()
    flat = [jax.tree_util.tree_flatten(p) for p in dyns]
    treedef = flat[0][1]
    if any(td != treedef for _, td in flat):
        raise ValueError("problems: the problems differ in structure (PyTree or static fields)")
    cols = list(zip(*(f[0] for f in flat), strict=True))
    # a leaf that is one array object in every problem (e.g. the X of many targets) is passed
    # once, not stacked: B copies of a large X would cost B times its memory
    axes = tuple(not all(a is col[0] for a in col) for col in cols)
    try:
        leaves = [jnp.stack(col) if b else col[0] for col, b in zip(cols, axes, strict=True)]
    except (TypeError, ValueError) as err:
        raise ValueError(f"problems: their arrays differ in shape ({err})") from None
    return jax.tree_util.tree_unflatten(treedef, leaves), None, axes


def track_many(
    problems: Any = None,
    d: Any = None,
    *,
    X: Any = None,
    activation: str | Any = "tanh",
    objective: str = "least_squares",
    bias: bool = False,
    start: Any = None,
    lam_span: tuple[float, float] = (0.0, 1.0),
    devices: Sequence[Any] | str | None = "auto",
    lanes: int = DEFAULT_LANES,
    predictor: Any = "hermite",
    corrector: Any = "simplified",
    controller: Any = "allgower_georg",
    events: Any = None,
    divergence: Any = "network",
    **options: Any,
) -> PathBatch:
    """Track many paths in one compiled call: many problems, or many starts of one.

    **Arguments:**

    - `problems`: one of
        - a problem (any object with ``H(w, lam)``, see `homotopy.protocol`) with ``(B, n)``
          starts in `start`: many starts of one problem;
        - a sequence of problems of one structure (JAX PyTrees with equally shaped leaves,
          e.g. `NaturalHomotopy` or `FunctionHomotopy` objects): one path each, from
          `start` or each problem's ``start()``;
        - an array X for the natural homotopy of many data sets: ``(B, L, n_in)`` stacked
          inputs, or ``(L, n_in)`` shared by every path; with `d`, `activation`,
          `objective`, `bias` as for `NaturalHomotopy` (one for the whole batch). It may
          also be passed as ``X=``.
    - `d`: with an array X, ``(B, L)`` (or ``(B, L, m)`` for m outputs) stacked targets, or
      ``(L,)`` shared: whenever `d` has more than one axis, the first is the batch axis.
    - `start`: ``(B, n)`` starts, ``(n,)`` for all, or ``None`` for each problem's start
      (for arrays X, d: each problem's linear solution X⁺d).
    - `lam_span`, `predictor`, `corrector`, `controller`, `events`, `divergence`: as for
      `track`.
    - `devices`: ``"auto"`` (all of ``jax.devices()`` when there are several, else none),
      ``None`` (no sharding), or a sequence of devices to split the batch over with
      ``jax.shard_map`` (the batch is padded to a multiple of their number). Across hosts,
      call ``jax.distributed.initialize()`` first (on CPUs also
      ``jax.config.update("jax_cpu_collectives_implementation", "gloo")``), then every
      process calls `track_many` with the same arguments and ``devices=jax.devices()``: each
      runs the paths of its own devices, and every process gets the whole `PathBatch` back.
    - `lanes`: how many paths run side by side (per device). A lane whose path ends takes the
      next one, so short paths do not wait for the longest.
    - `**options`: as for `track`. `max_points` defaults to 201 here (memory is
      ``B·max_points·(2n + 3)·8`` bytes for the stored paths), `max_steps` to 2000.

    **Returns:** a `PathBatch`. Per-path failures are statuses, as in `track`.

    **Raises:** `ValueError` for inconsistent batch sizes, an empty batch, bad data,
    rank-deficient X, bad options, a `lam_span` outside the problems' ``lam_range``, or an
    `H` or ``jacobian`` that JAX cannot trace or of the wrong shape, naming the argument.
    """
    options.setdefault("max_points", DEFAULT_MAX_POINTS)
    alg = algorithm(
        predictor=predictor,
        corrector=corrector,
        controller=controller,
        events=events,
        divergence=divergence,
        batched=True,
        **options,
    )
    lam0, lam1 = span = _check_span(lam_span)
    branch = None
    if isinstance(start, list | tuple) and start and isinstance(start[0], BranchStart):
        branch, start, lam0 = _branch_batch(start, span)
    lanes = check_int("lanes", lanes)
    if X is not None:
        if problems is not None:
            raise ValueError("X: given twice (as problems and as X=)")
        problems = X
    if problems is None:
        raise ValueError("problems: nothing to track; pass problems or arrays X, d")
    if isinstance(problems, list | tuple) and len(problems) == 0:
        raise ValueError("problems: the sequence is empty; pass at least one problem")
    seq = isinstance(problems, list | tuple) and _is_problem(problems[0])
    if _is_problem(problems) or seq:
        given = [
            name
            for name, v, default in (
                ("d", d, None),
                ("activation", activation, "tanh"),
                ("objective", objective, "least_squares"),
                ("bias", bias, False),
            )
            if v is not default and v != default
        ]
        if given:
            raise ValueError(f"{given[0]}: only for arrays X, d; the problems define their own")
        proto = problems[0] if seq else problems
        # before any start is computed (an MLPHomotopy's start() is a search of seconds)
        check_in_range(proto, span, None)
        if seq:
            if not all(_is_problem(p) for p in problems):
                raise ValueError("problems: every element must have a method H(w, lam)")
            dyn, static, axes = _stacked(problems)
            B = len(problems)
            if start is None:
                starts = np.stack([start_of(p) for p in problems])
            else:
                starts = _batch_starts(start, B, problems[0])
        else:
            dyn, static = split_problem(problems)
            axes = (False,) * len(jax.tree_util.tree_leaves(dyn))
            st = None if start is None else _check_matrix("start", start)
            if st is None or st.ndim != 2:
                raise ValueError(
                    "start: one problem needs (B, n) starts to make a batch; for one path "
                    "use track()"
                )
            starts = _batch_starts(st, st.shape[0], problems)
        check_maps(proto, starts.shape[1], forward=uses_jvp(alg))
    else:
        check_in_range(NaturalHomotopy, span, None)
        dyn, axes, starts = _natural_batch(problems, d, activation, objective, bias, start)
        static = None
    B = starts.shape[0]
    u0 = np.concatenate([starts, np.full((B, 1), lam0)], axis=1)

    devs = _resolve_devices(devices)
    pad = 0 if devs is None else (-B) % len(devs)
    if pad:

        def padded(a, batched=True):
            return jnp.concatenate([a, jnp.repeat(a[-1:], pad, axis=0)]) if batched else a

        leaves, treedef = jax.tree_util.tree_flatten(dyn)
        problems_run = jax.tree_util.tree_unflatten(
            treedef, [padded(a, b) for a, b in zip(leaves, axes, strict=True)]
        )
        u0_run = padded(jnp.asarray(u0))
    else:
        problems_run, u0_run = dyn, jnp.asarray(u0)
    fn = _compiled(alg, static, tuple(axes), devs, int(lanes))
    bound = lam0 if branch is None else branch[0].lam
    res = fn(problems_run, u0_run, jnp.asarray([lam1, bound], jnp.float64))
    res = _fetch(res)
    if pad:
        res = jax.tree_util.tree_map(lambda a: a[:B], res)
    batch = _batch_from(res, dyn, static, tuple(axes), alg, (lam0, lam1))
    return batch if branch is None else _with_branch_starts(batch, branch, span)


def _branch_batch(starts: Sequence[Any], span) -> tuple[tuple, np.ndarray, float]:
    """(the BranchStarts, their lifted weights ``(B, n)``, the common lifted λ₁)."""
    if not all(isinstance(b, BranchStart) for b in starts):
        raise ValueError("start: a sequence of BranchStarts must hold nothing else")
    lam1s = {b.lifted_lam for b in starts}
    if len(lam1s) != 1 or {b.lam for b in starts} != {span[0]}:
        raise ValueError(
            f"start: the BranchStarts must share λ₀ = lam_span[0] = {span[0]:g} and their lifted "
            f"λ₁ (got {sorted(lam1s)}); lift them with one delta"
        )
    return tuple(starts), np.stack([b.lifted_w for b in starts]), lam1s.pop()


def _with_branch_starts(batch: PathBatch, starts: tuple, span) -> PathBatch:
    """The batch of degenerate starts: each path's degenerate point put first (as `track`)."""
    B = len(starts)
    W0 = np.stack([b.w for b in starts])
    lam0 = np.array([b.lam for b in starts])
    ds = np.linalg.norm(np.column_stack([batch.w[:, 0] - W0, batch.lam[:, 0] - lam0]), axis=1)
    return dataclasses.replace(
        batch,
        n_points=batch.n_points + 1,
        lam=np.concatenate([lam0[:, None], batch.lam], axis=1),
        w=np.concatenate([W0[:, None], batch.w], axis=1),
        s=np.concatenate([np.zeros((B, 1)), batch.s + ds[:, None]], axis=1),
        tangents=np.concatenate(
            [np.stack([b.tangent for b in starts])[:, None], batch.tangents], axis=1
        ),
        lam_span=tuple(span),
        _branch_starts=starts,
    )


def _batch_starts(start: Any, B: int, problem: Any) -> np.ndarray:
    """``(B, n)`` starts from `start` (``(B, n)`` or ``(n,)``), checked like `track`'s."""
    st = _check_matrix("start", start, (1, 2))
    rows = st if st.ndim == 2 else np.broadcast_to(st, (B, st.shape[0]))
    if rows.shape[0] == 0:
        raise ValueError(f"start: no starts (shape {st.shape}); pass (B, n) starts with B ≥ 1")
    if rows.shape[0] != B:
        raise ValueError(f"start: {rows.shape[0]} starts for {B} problems")
    start_of(problem, rows[0])  # the shape check against problem.n_unknowns
    return np.asarray(rows, dtype=np.float64)


def _fetch(res: Result) -> Result:
    """The result as host arrays. Sharded over several processes (after
    `jax.distributed.initialize()`), each process holds only its own devices' slices: they are
    all-gathered, so that every process gets the whole batch."""
    if all(a.is_fully_addressable for a in jax.tree_util.tree_leaves(res)):
        return jax.device_get(res)
    from jax.experimental import multihost_utils

    return multihost_utils.process_allgather(res, tiled=True)


def _resolve_devices(devices: Sequence[Any] | str | None) -> tuple | None:
    if devices is None:
        return None
    if isinstance(devices, str):
        if devices != "auto":
            raise ValueError(
                f"devices: expected 'auto', None or a sequence of devices, got {devices!r}"
            )
        all_devs = jax.devices()
        return tuple(all_devs) if len(all_devs) > 1 else None
    devs = tuple(devices)
    if not devs:
        raise ValueError("devices: the sequence is empty")
    return devs


def _batch_from(
    res: Result, problems: Any, static: Static | None, axes: tuple, alg: Algorithm, lam_span
) -> PathBatch:
    U = np.asarray(res.U)
    N = U.shape[1]
    n_points = np.asarray(res.n_points)
    stored = np.minimum(n_points, N)
    codes = np.asarray(res.status)
    last = U[np.arange(len(codes)), stored - 1, :-1]
    w_end = np.where((codes == Status.SUCCESS.code)[:, None], last, np.nan)
    return PathBatch(
        codes=codes,
        n_points=n_points,
        lam=U[:, :, -1],
        w=U[:, :, :-1],
        s=np.asarray(res.S),
        tangents=np.asarray(res.T),
        w_end=w_end,
        stats=dict(
            steps=np.asarray(res.steps),
            rejected_steps=np.asarray(res.rejected),
            newton_iterations=np.asarray(res.newton),
            jacobian_evaluations=np.asarray(res.jacobians),
            jvp_evaluations=np.asarray(res.jvps),
        ),
        lam_span=tuple(lam_span),
        _result=res,
        _problems=problems,
        _static=static,
        _axes=axes,
        _alg=alg,
    )
