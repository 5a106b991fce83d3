"""Solves with the tracker's small square systems: factor once, then solve and read the
determinant.

Bordered systems [H_u; rowᵀ] have order n + 1 = s·m + 1. Up to `SMALL` unknowns we form A⁻¹
by Gauss-Jordan elimination with partial pivoting, unrolled at trace time: XLA fuses it into a
few element-wise kernels that batch as plain array arithmetic, and a solve is one
matrix-vector product. That is what the many 3 × 2 paths of `track_many` want (B = 10⁴ in
one call). The unrolled program grows with n², and so does its compile time (100 × 11 with
the old bound of 12: 6.3 s against 2.1 s for 3 × 2), so the bound is small. Larger systems
use LAPACK's LU, except in batched (`vmap`ped) code: there the same Gauss-Jordan runs as a
`fori_loop` over the columns (program size O(1) in n); up to `SMALL_BATCHED` batched code keeps
the unrolled inverse, whose throughput over many lanes is worth its compile time. Batched
LAPACK calls from inside XLA:CPU's compiled loops can deadlock with a multi-threaded OpenBLAS
(jaxlib 0.10, 2 cores: `track_many` on 32 paths of a 100×12 problem never returned), and
single-path ones are slow with it (`serial_lapack`).
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl


Array = jax.Array

#: Largest order n of A solved by the unrolled Gauss-Jordan inverse (above it: LAPACK LU, or the
#: looped elimination under vmap). 4 covers s·m ≤ 3, the 3 × 2 problems with and without bias.
SMALL = 4
#: The same bound in batched (`vmap`ped) code, where the unrolled inverse is plain array
#: arithmetic over the lanes and worth its compile time: `track_many` on 256 paths of 100 × 8
#: runs at ~3,000 paths/s with it, ~2,550 with the looped elimination.
SMALL_BATCHED = 12


class Factored(NamedTuple):
    """A factored square matrix A (a PyTree): `solve(f, b)` = A⁻¹b, `f.sign`·exp(`f.logdet`)
    = det A."""

    mat: Array  # A⁻¹ (n ≤ SMALL) or LAPACK's packed LU factors
    piv: Array | None  # LU pivots; None for the explicit inverse
    sign: Array  # sign of det A (0 when a pivot is exactly 0)
    logdet: Array  # log|det A|


def _gauss_jordan(A: Array) -> Factored:
    """A⁻¹ with partial pivoting: at step k, swap the largest |A_ik| (i ≥ k) into row k,
    scale that row by 1/pivot and eliminate column k from every other row of [A | I]."""
    n = A.shape[0]
    M = jnp.concatenate([A, jnp.eye(n, dtype=A.dtype)], axis=1)
    rows = jnp.arange(n)
    sign = jnp.ones((), A.dtype)
    logdet = jnp.zeros((), A.dtype)
    for k in range(n):
        col = jnp.where(rows >= k, jnp.abs(M[:, k]), -1.0)
        p = jnp.argmax(col)
        swap = jnp.where(rows == k, p, jnp.where(rows == p, k, rows))
        M = M[swap]
        pivot = M[k, k]
        sign = sign * jnp.where(p == k, 1.0, -1.0) * jnp.sign(pivot)
        logdet = logdet + jnp.log(jnp.abs(pivot))
        row_k = M[k] / pivot
        M = jnp.where((rows == k)[:, None], row_k[None, :], M - M[:, k : k + 1] * row_k[None, :])
    return Factored(M[:, n:], None, sign, logdet)


def _gauss_jordan_loop(A: Array) -> Factored:
    """`_gauss_jordan` as a `fori_loop` over k, in place (n × n, not [A | I]): the same
    arithmetic at half the memory traffic, O(1) in program size.

    Step k turns column k of the row-swapped A into e_k and column k of its inverse takes its
    place. Row swaps make the result (PA)⁻¹ for the permutation P (`perm`); A⁻¹ = (PA)⁻¹P
    puts its columns back in order.
    """
    n = A.shape[0]
    rows = jnp.arange(n)

    def body(k, c):
        B, perm, sign, logdet = c
        colk = jax.lax.dynamic_index_in_dim(B, k, axis=1, keepdims=False)
        p = jnp.argmax(jnp.where(rows >= k, jnp.abs(colk), -1.0))
        row_k, row_p = B[k], B[p]
        B = jnp.where((rows == k)[:, None], row_p, jnp.where((rows == p)[:, None], row_k, B))
        perm = jnp.where(rows == k, perm[p], jnp.where(rows == p, perm[k], perm))
        pivot = row_p[k]
        sign = sign * jnp.where(p == k, 1.0, -1.0) * jnp.sign(pivot)
        logdet = logdet + jnp.log(jnp.abs(pivot))
        colk = jax.lax.dynamic_index_in_dim(B, k, axis=1, keepdims=False)
        at_k = rows == k
        r = jnp.where(at_k, 1.0, row_p) / pivot  # the new row k
        B = B - colk[:, None] * jnp.where(at_k, 0.0, r)[None, :]
        B = jnp.where(at_k[None, :], -colk[:, None] / pivot, B)
        B = jnp.where(at_k[:, None], r[None, :], B)
        return B, perm, sign, logdet

    one, zero = jnp.ones((), A.dtype), jnp.zeros((), A.dtype)
    B, perm, sign, logdet = jax.lax.fori_loop(0, n, body, (A, rows, one, zero))
    return Factored(jnp.zeros_like(B).at[:, perm].set(B), None, sign, logdet)


def factor(A: Array, batched: bool = False) -> Factored:
    """Factor the square matrix A: the explicit inverse for n ≤ `SMALL` (≤ `SMALL_BATCHED`
    in `batched` code, traced under `vmap`, where larger ones take the looped elimination: no
    LAPACK call, see the module note), else LU."""
    if A.shape[0] <= (SMALL_BATCHED if batched else SMALL):
        return _gauss_jordan(A)
    if batched:
        return _gauss_jordan_loop(A)
    lu, piv = jsl.lu_factor(A)
    diag = jnp.diag(lu)
    swaps = jnp.sum(piv != jnp.arange(piv.shape[0]))
    sign = jnp.prod(jnp.sign(diag)) * jnp.where(swaps % 2 == 0, 1.0, -1.0)
    return Factored(lu, piv, sign, jnp.sum(jnp.log(jnp.abs(diag))))


class _SerialBlas:
    """BLAS and LAPACK single-threaded while any thread is inside (counted, under a lock, so
    that overlapping users restore the original thread counts only when the last leaves)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._limiter: Any = None
        self._controller: Any = None

    def __enter__(self) -> None:
        with self._lock:
            if self._depth == 0:
                if self._controller is None:  # scans the loaded libraries: ~6 ms, once
                    import scipy.linalg.cython_lapack  # noqa: F401  (jaxlib's LAPACK)
                    import threadpoolctl

                    self._controller = threadpoolctl.ThreadpoolController()
                self._limiter = self._controller.limit(limits=1, user_api="blas")
            self._depth += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0:
                self._limiter.restore_original_limits()
                self._limiter = None


_SERIAL = _SerialBlas()


def serial_blas(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn` run inside ``serial_lapack(None)``: for host-side drivers whose compiled calls
    factor matrices of any order (eigh, Cholesky, LU)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with serial_lapack(None):
            return fn(*args, **kwargs)

    return wrapper


def serial_lapack(n: int | None) -> contextlib.AbstractContextManager[None]:
    """A context for compiled calls whose square systems have order up to `n + 1` (`n`
    ``None``: not known, so assume LAPACK): where those go to LAPACK on a CPU
    (n + 1 > `SMALL`), BLAS runs single-threaded inside it.

    jaxlib's CPU LAPACK is scipy's OpenBLAS, whose threads spin against XLA's own thread
    pool: on 2 cores one LU of order 201 took 70 ms multi-threaded, 0.46 ms single-threaded
    (OpenBLAS threads getrf from m·n ≥ 10⁴). Costs ~25 µs per use; nothing when unused.
    """
    if (n is not None and n + 1 <= SMALL) or not _on_cpu():
        return contextlib.nullcontext()
    return _SERIAL


@functools.cache
def _on_cpu() -> bool:
    return jax.default_backend() == "cpu"  # 3 ms a call: asked once


def solve(f: Factored, b: Array) -> Array:
    """x = A⁻¹b for a factored A."""
    if f.piv is None:
        return f.mat @ b
    return jsl.lu_solve((f.mat, f.piv), b)


def inverse_norm(f: Factored) -> Array:
    """‖A⁻¹‖_F for a factored A (≥ 1/σ_min(A), within √n)."""
    if f.piv is None:
        return jnp.linalg.norm(f.mat)
    return jnp.linalg.norm(solve(f, jnp.eye(f.mat.shape[0], dtype=f.mat.dtype)))
