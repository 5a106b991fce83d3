"""Scrambled Sobol points without scipy.stats (homotopy._sobol): unscrambled bit for bit equal to
scipy's `qmc.Sobol(scramble=False)`, scrambled ones (t, m, d)-nets as the theory says, and a
region search that never imports scipy.stats."""

import subprocess
import sys

import numpy as np
import pytest
from scipy.stats import qmc

from homotopy import _sobol


@pytest.mark.parametrize(("d", "m"), [(1, 4), (2, 7), (5, 8), (63, 5), (200, 10), (1500, 4)])
def test_unscrambled_points_equal_scipy(d, m):
    ref = qmc.Sobol(d, scramble=False).random_base2(m)
    assert np.array_equal(_sobol.sobol(d, m, None), ref)


@pytest.mark.parametrize("m", [1, 3, 6, 9])
def test_scrambled_points_are_nets(m):
    """Every coordinate puts one of 2^m points in each interval [j/2^m, (j+1)/2^m); the first
    two coordinates (a (0, m, 2)-net unscrambled, kept by the linear scramble and shift) put
    one in each 2^-a × 2^-(m-a) box."""
    U = _sobol.sobol(40, m, np.random.default_rng(m))
    assert U.shape == (2**m, 40) and np.all((U >= 0) & (U < 1))
    bins = np.floor(U * 2**m).astype(int)
    for j in range(40):
        assert np.array_equal(np.sort(bins[:, j]), np.arange(2**m))
    for a in range(m + 1):
        cells = np.floor(U[:, 0] * 2**a).astype(int) * 2 ** (m - a) + np.floor(
            U[:, 1] * 2 ** (m - a)
        ).astype(int)
        assert len(np.unique(cells)) == 2**m


def test_scrambling_is_deterministic_per_key():
    a = _sobol.sobol(7, 5, np.random.default_rng([0, 1, 4096]))
    b = _sobol.sobol(7, 5, np.random.default_rng([0, 1, 4096]))
    c = _sobol.sobol(7, 5, np.random.default_rng([0, 2, 4096]))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    # a linear scramble with unit diagonal and a shift: the points move, the net stays
    assert not np.array_equal(a, _sobol.sobol(7, 5, None))


def test_beyond_the_table_a_latin_hypercube():
    d = qmc.Sobol.MAXDIM + 1
    U = _sobol.sobol(d, 3, np.random.default_rng(0))
    assert U.shape == (8, d) and np.all((U >= 0) & (U < 1))
    bins = np.floor(U * 8).astype(int)
    assert np.all(np.sort(bins, axis=0) == np.arange(8)[:, None])
    with pytest.raises(ValueError, match="m: at most"):
        _sobol.sobol(2, _sobol.BITS + 1, None)


def test_a_region_search_does_not_import_scipy_stats():
    """scipy.stats costs 0.75 s to import, more than a small search itself."""
    code = (
        "import sys, numpy as np, homotopy as h\n"
        "from homotopy import geometry as geo\n"
        "p = h.NaturalHomotopy(np.random.default_rng(0).normal(size=(8, 3)), np.zeros(8))\n"
        "geo.max_curvature_over(p, 0.9, geo.Box(-np.ones(3), np.ones(3)), rounds=1)\n"
        "print('scipy.stats' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"
