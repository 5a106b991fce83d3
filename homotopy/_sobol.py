r"""Scrambled Sobol points without importing `scipy.stats` (0.75 s on a first call, more than
the points themselves cost by a factor of ~10³).

The Sobol sequence in base 2 (Joe & Kuo 2008 direction numbers, the table scipy ships):
x_{i+1} = x_i ⊕ v_{c(i)} in Gray-code order, c(i) the lowest set bit of i + 1, so the first
2^m points are those of `scipy.stats.qmc.Sobol(d, scramble=False).random_base2(m)`, bit for
bit. Scrambling is Matoušek's linear matrix scramble and a digital shift: per coordinate a
random lower unit-triangular binary matrix L acts on the digits of every direction number
and a random B-bit word is xor-ed onto every point. Both preserve the (t, m, d)-net property
(in particular: every coordinate of 2^m points puts one point in each dyadic interval of
width 2^-m). Where the table is not found (another scipy layout) or d exceeds it,
`scipy.stats.qmc.Sobol` is used, or for d beyond any table a Latin hypercube.
"""

from __future__ import annotations

import functools
import importlib.util
import os

import numpy as np


__all__ = ["sobol"]

BITS = 30  # digits per coordinate, as scipy's default


@functools.cache
def _table() -> tuple[np.ndarray, np.ndarray] | None:
    """(poly, vinit) of scipy's Joe–Kuo table, read from its data file, or None."""
    spec = importlib.util.find_spec("scipy")
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        path = os.path.join(root, "stats", "_sobol_direction_numbers.npz")
        if os.path.exists(path):
            with np.load(path) as z:
                return np.asarray(z["poly"]), np.asarray(z["vinit"])
    return None


@functools.lru_cache(maxsize=8)
def _directions(d: int) -> np.ndarray | None:
    """V ``(d, BITS)`` uint64: v_{j,k}, the k-th direction number of coordinate j as a
    BITS-bit integer (most significant digit first), or None without the table."""
    tab = _table()
    if tab is None or d > len(tab[0]):
        return None
    poly, vinit = tab
    V = np.zeros((d, BITS), dtype=np.uint64)
    V[0] = 1
    for j in range(1, d):
        p = int(poly[j])
        s = p.bit_length() - 1  # the polynomial's degree
        # a_1 … a_{s-1} (the bits between the leading and trailing ones), then the trailing 1
        coef = [(p >> (s - 1 - i)) & 1 for i in range(s)]
        V[j, :s] = vinit[j, :s]
        for k in range(s, BITS):
            new = int(V[j, k - s])
            for i in range(s):
                if coef[i]:
                    new ^= int(V[j, k - i - 1]) << (i + 1)
            V[j, k] = new
    return V << np.arange(BITS - 1, -1, -1, dtype=np.uint64)


def _scrambled(V: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(L V, shift): every direction number's digits through a random lower unit-triangular
    binary matrix per coordinate, and a random digital shift per coordinate."""
    d = V.shape[0]
    # drawn as uint8: the draw fixes the random stream, so every region search's seeds
    L = np.tril(rng.integers(0, 2, size=(d, BITS, BITS), dtype=np.uint8), -1).astype(np.int64)
    L[:, np.arange(BITS), np.arange(BITS)] = 1
    place = np.arange(BITS - 1, -1, -1, dtype=np.uint64)
    # (d, k, r): digit r (most significant first) of v_{j,k}
    digits = ((V[:, :, None] >> place) & 1).astype(np.int64)
    new = (np.einsum("jrc,jkc->jkr", L, digits) & 1).astype(np.uint64)
    LV = (new << place).sum(axis=2, dtype=np.uint64)
    shift = rng.integers(0, 2**BITS, size=d, dtype=np.uint64)
    return LV, shift


def _points(V: np.ndarray, m: int, shift: np.ndarray) -> np.ndarray:
    """The first 2^m points (Gray-code order) from direction numbers V, xor-ed with shift."""
    n = 1 << m
    X = np.empty((n, V.shape[0]), dtype=np.uint64)
    x = shift.copy()
    X[0] = x
    for i in range(1, n):
        c = (i & -i).bit_length() - 1  # the lowest set bit of i: Gray code's changing bit
        x ^= V[:, c]
        X[i] = x
    return X.astype(np.float64) / float(1 << BITS)


def sobol(d: int, m: int, rng: np.random.Generator | None) -> np.ndarray:
    """The first 2^m points ``(2^m, d)`` in [0, 1)^d of a Sobol sequence, scrambled by
    `rng` (None: unscrambled)."""
    if m > BITS:
        raise ValueError(f"m: at most {BITS} (2^{BITS} points), got {m}")
    V = _directions(d)
    if V is None:
        return _fallback(d, m, rng)
    if rng is None:
        return _points(V, m, np.zeros(d, dtype=np.uint64))
    LV, shift = _scrambled(V, rng)
    return _points(LV, m, shift)


def _fallback(d: int, m: int, rng: np.random.Generator | None) -> np.ndarray:
    from scipy.stats import qmc

    if d <= qmc.Sobol.MAXDIM:
        return qmc.Sobol(d, scramble=rng is not None, seed=rng).random_base2(m)
    # beyond every Sobol table: a Latin hypercube (each coordinate stratified in 2^m bins)
    rng = rng if rng is not None else np.random.default_rng(0)
    n = 1 << m
    strata = np.argsort(rng.random((d, n)), axis=1).T
    return (strata + rng.random((n, d))) / n
