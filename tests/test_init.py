"""`import homotopy`: float64 on, and the heavy optional modules left for first use."""

from __future__ import annotations

import json
import subprocess
import sys

import homotopy as h


LAZY = ("sympy", "matplotlib", "scipy.optimize", "mpmath", "homotopy.plotting")


def test_import_leaves_sympy_matplotlib_and_scipy_optimize_unloaded():
    code = (
        "import json, sys, time; t = time.perf_counter(); import homotopy; "
        "t = time.perf_counter() - t; "
        f"print(json.dumps(dict(loaded=[m for m in {LAZY!r} if m in sys.modules], t=t)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    res = json.loads(out.stdout)
    assert res["loaded"] == []


def test_the_lazy_parts_still_work_on_first_use():
    import sympy

    t = sympy.Symbol("t")
    for name in ("tanh", "logistic", "arctan", "erf", "softsign"):
        act = h.get_activation(name)
        value = float(act.sympy_blend(t, sympy.Rational(1, 2)).subs(t, 0.3))
        assert abs(value - float(act.blend(0.3, 0.5))) < 1e-15


def test_float64_is_on():
    import jax.numpy as jnp

    assert jnp.zeros(1).dtype == jnp.float64
