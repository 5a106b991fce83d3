#!/usr/bin/env python
"""Benchmark `homotopy.track` / `homotopy.track_many` against peer continuation methods.

One run, the same problems and the same endpoint accuracy (‖H(w, 1)‖₂ ≤ 1e-10) for every
method:

- ours: `homotopy.track` (default options, plus a sweep of predictor/corrector options);
- (a) natural-parameter continuation, `scipy.optimize.root` (MINPACK hybrj) at each λ;
- (b) `scipy.integrate.solve_ivp` on the Davidenko equation dw/dλ = −H_w⁻¹H_λ;
- (c) PyCont-Lite pseudo-arclength continuation (`pycont.arclengthContinuation`);
- (d) JaxCont pseudo-arclength continuation (`jaxcont`, its whole-loop jitted engine, in one
  `jax.jit` per shape with the interpolation to λ = 1 and the Newton polish);
- (e) on the large problems only: `scipy.optimize.least_squares(method="lm")` at λ = 1.

Peers get fast numpy versions of H, H_w, H_λ (checked equal to homotopy's to 1e-13); a peer
whose endpoint misses 1e-10 is polished by Newton steps at λ = 1 that are counted in its
stats. Sections: cold start over several shapes and cache conditions (fresh processes), the
per-path comparison, our options, batch throughput of `track_many`, scaling with s and L,
large problems (10000×50, 20000×200) against the Jacobian-flop cost and peers, and the peak
memory of tracking 10⁴ paths of a 100×8 problem (measured in a child process).

    python scripts/bench.py --quick          # smoke run, a few minutes on 2 cores
    python scripts/bench.py --json out.json  # full run (10-15 min on 2 cores)

Not part of the test suite. See scripts/README.md.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import math
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np


TOL = 1e-10  # endpoint accuracy every method must meet: ‖H(w, 1)‖₂ ≤ TOL
TWIN_TOL = 1e-13  # numpy twin vs homotopy's H, H_w, H_λ (relative to max(1, max|ref|))
MEM_LIMIT_BYTES = 2e9  # the 2 GB memory target (decimal: 2·10⁹ bytes)
BLAS_SETTLE_S = 0.25  # pause before each block of timed large-problem runs (see run_large)
COLD_SHAPES = [(3, 2), (100, 6), (100, 11), (100, 32), (1000, 20)]  # L×s, teacher problems
COLD_RATIO = 2.0  # target: every shape's first track() ≤ ~2× the 3×2 one
HEAVY_MODULES = ("sympy", "matplotlib", "scipy.optimize")  # should not load at import
LARGE_SHAPES = [(10_000, 50), (20_000, 200)]
FLOP_RATIO = 2.0  # target: warm track() ≤ 2× (Jacobian evaluations × one Jacobian's GEMM)
PEER_TIMEOUT_S = 60.0  # a large-problem peer whose first run takes longer is skipped


# ---------------------------------------------------------------------------------------------
# Small helpers


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _median(x) -> float:
    x = [v for v in x if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return float(np.median(x)) if x else float("nan")


def _fmt_t(sec: float) -> str:
    """A time in the most readable unit."""
    if sec is None or not math.isfinite(sec):
        return "n/a"
    if sec < 1e-3:
        return f"{sec * 1e6:.0f} µs"
    if sec < 1:
        return f"{sec * 1e3:.2f} ms"
    return f"{sec:.2f} s"


def _fmt_n(x: float) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{x:.0f}" if abs(x - round(x)) < 1e-9 else f"{x:.1f}"


def _table(headers: list[str], rows: list[list[Any]], title: str | None = None) -> str:
    cells = [[str(c) for c in r] for r in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)
    ]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [] if title is None else [title]
    out += [line, "-" * len(line)]
    out += [
        "  ".join(
            c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in cells
    ]
    return "\n".join(out)


def _say(msg: str = "") -> None:
    print(msg, flush=True)


def _loadavg() -> str:
    try:
        return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        return "n/a"


def _git_rev() -> str:
    try:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
        )
        return out.stdout.strip() or "n/a"
    except (OSError, subprocess.SubprocessError):
        return "n/a"


# ---------------------------------------------------------------------------------------------
# Problems


def problems_3x2(rng: np.random.Generator, n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """3×2 tanh least-squares problems: X ~ N(0, 1), targets d ~ U(−0.9, 0.9)."""
    return [(rng.normal(size=(3, 2)), rng.uniform(-0.9, 0.9, 3)) for _ in range(n)]


def problems_teacher(rng: np.random.Generator, n: int, L: int, s: int):
    """L×s problems from a noisy tanh teacher: X ~ N(0, 1/s), w* ~ N(0, 1),
    d = clip(0.8·tanh(Xw*) + 0.1·noise, −0.9, 0.9)."""
    X = rng.normal(size=(n, L, s)) / math.sqrt(s)
    w = rng.normal(size=(n, s))
    d = 0.8 * np.tanh(np.einsum("bls,bs->bl", X, w)) + 0.1 * rng.normal(size=(n, L))
    return X, np.clip(d, -0.9, 0.9)


def problem_large(rng: np.random.Generator, L: int, s: int):
    """One large L×s teacher problem: X ~ N(0, 1), w* ~ N(0, 1),
    d = clip(0.8·tanh(Xw*/√s) + 0.1·noise, −0.9, 0.9)."""
    X = rng.normal(size=(L, s))
    w = rng.normal(size=s)
    d = 0.8 * np.tanh(X @ w / math.sqrt(s)) + 0.1 * rng.normal(size=L)
    return X, np.clip(d, -0.9, 0.9)


# ---------------------------------------------------------------------------------------------
# The numpy twin of NaturalHomotopy(X, d, "tanh", "least_squares") for the peers


class TanhLS:
    """H(w, λ) = −Xᵀ(σ_λ'(Xw)∘r), r = d − σ_λ(Xw), σ = tanh, in plain numpy, with counters.

    `nH` counts evaluations of H, `nJ` evaluations of the Jacobian [H_w | H_λ] (a call of
    `jac`, `H_w` or `davidenko` counts one).
    """

    def __init__(self, X: np.ndarray, d: np.ndarray) -> None:
        self.X = np.ascontiguousarray(X, dtype=np.float64)
        self.XT = np.ascontiguousarray(self.X.T)
        self.d = np.asarray(d, dtype=np.float64)
        self.nH = 0
        self.nJ = 0
        self.device = None  # (X, d) as JAX arrays, made once for the JaxCont peer

    def reset(self) -> None:
        self.nH = 0
        self.nJ = 0

    def _parts(self, w, lam):
        Z = self.X @ w
        th = np.tanh(Z)
        e = np.exp(-2.0 * np.abs(Z))
        s2 = 4.0 * e / (1.0 + e) ** 2  # sech², as homotopy computes it
        a1 = (1.0 - lam) + lam * s2
        R = self.d - ((1.0 - lam) * Z + lam * th)
        return Z, th, s2, a1, R

    def H(self, w, lam):
        self.nH += 1
        Z, th, s2, a1, R = self._parts(w, lam)
        return -(self.XT @ (a1 * R))

    def jac(self, w, lam):
        """(H_w, H_λ) from one evaluation."""
        self.nJ += 1
        Z, th, s2, a1, R = self._parts(w, lam)
        c = a1 * a1 + 2.0 * lam * th * s2 * R  # σ_λ'² − σ_λ''r, σ_λ'' = −2λ tanh sech²
        Hw = (self.XT * c) @ self.X
        Hl = -(self.XT @ ((s2 - 1.0) * R - a1 * (th - Z)))
        return Hw, Hl

    def H_w(self, w, lam):
        return self.jac(w, lam)[0]

    def davidenko(self, lam, w):
        """dw/dλ = −H_w⁻¹H_λ (one Jacobian evaluation and one linear solve)."""
        Hw, Hl = self.jac(w, lam)
        return -np.linalg.solve(Hw, Hl)

    def residual(self, w, lam=1.0) -> float:
        """‖H(w, λ)‖₂, not counted."""
        Z, th, s2, a1, R = self._parts(w, lam)
        return float(np.linalg.norm(self.XT @ (a1 * R)))


def check_twin(problems, h, jax) -> float:
    """Largest relative difference between TanhLS and homotopy's H, H_w, H_λ."""
    worst = 0.0
    rng = np.random.default_rng(7)
    for X, d in problems:
        p = h.NaturalHomotopy(X, d)
        tw = TanhLS(X, d)
        fH = jax.jit(lambda w, lam, p=p: p.H(w, lam))
        fJ = jax.jit(lambda w, lam, p=p: p.jacobian(w, lam))
        for lam in (0.0, 0.3, 0.77, 1.0):
            w = p.start() + rng.normal(size=X.shape[1])
            ref_H = np.asarray(fH(w, lam))
            ref_J = np.asarray(fJ(w, lam))
            Hw, Hl = tw.jac(w, lam)
            for a, b in ((tw.H(w, lam), ref_H), (Hw, ref_J[:, :-1]), (Hl, ref_J[:, -1])):
                worst = max(worst, float(np.max(np.abs(a - b)) / max(1.0, np.max(np.abs(b)))))
    return worst


def newton_polish(tw: TanhLS, w: np.ndarray, st: dict, tol: float = TOL, max_it: int = 10):
    """Newton at λ = 1 until ‖H‖ ≤ tol; each iteration counted (1 Jacobian, 1 iteration)."""
    w = np.array(w, dtype=np.float64)
    for _ in range(max_it):
        if tw.residual(w) <= tol:
            break
        Hw, _ = tw.jac(w, 1.0)
        w = w - np.linalg.solve(Hw, tw.H(w, 1.0))
        st["newton"] += 1
        st["polish"] += 1
    return w


# ---------------------------------------------------------------------------------------------
# Peers. Each takes (twin, w0, **config) and returns a dict with w_end, ok and counts.


def peer_natural_root(tw: TanhLS, w0, *, xtol=1e-10, h0=0.05, h_max=0.5, h_min=1e-6, method="hybr"):
    """Natural-parameter continuation: secant predictor in λ, `scipy.optimize.root` (MINPACK
    hybrj with the analytic H_w) at each λ; step doubling on easy solves, halving on failure."""
    from scipy.optimize import root

    st = dict(steps=0, rejected=0, newton=0, polish=0)
    lam, w, lam_prev, w_prev = 0.0, np.array(w0, dtype=np.float64), None, None
    h = h0
    while lam < 1.0:
        lam_new = min(lam + h, 1.0)
        guess = w if w_prev is None else w + (w - w_prev) * (lam_new - lam) / (lam - lam_prev)
        sol = root(tw.H, guess, args=(lam_new,), jac=tw.H_w, method=method, options={"xtol": xtol})
        st["newton"] += int(sol.nfev)
        if sol.success and np.all(np.isfinite(sol.x)):
            lam_prev, w_prev, lam, w = lam, w, lam_new, sol.x
            st["steps"] += 1
            if sol.nfev <= 6:
                h = min(2 * h, h_max)
            elif sol.nfev > 12:
                h = h / 2
        else:
            st["rejected"] += 1
            h = h / 2
            if h < h_min:
                return dict(st, ok=False, w_end=w)
    w = newton_polish(tw, w, st)
    return dict(st, ok=True, w_end=w)


def peer_davidenko(tw: TanhLS, w0, *, method="RK45", rtol=1e-6, atol=1e-9):
    """`solve_ivp` on dw/dλ = −H_w⁻¹H_λ from λ = 0 to 1, then Newton polish at λ = 1."""
    from scipy.integrate import solve_ivp

    st = dict(steps=0, rejected=0, newton=0, polish=0)
    sol = solve_ivp(
        tw.davidenko,
        (0.0, 1.0),
        np.array(w0, dtype=np.float64),
        method=method,
        rtol=rtol,
        atol=atol,
    )
    st["steps"] = len(sol.t) - 1
    if not sol.success:
        return dict(st, ok=False, w_end=sol.y[:, -1])
    w = newton_polish(tw, sol.y[:, -1], st)
    return dict(st, ok=True, w_end=w)


_PYCONT_NEWTON = [0]


def peer_pycont(
    tw: TanhLS, w0, *, ds_0=0.05, ds_max=0.5, ds_min=1e-6, tolerance=1e-10, n_steps=2000
):
    """PyCont-Lite pseudo-arclength (matrix-free Newton-Krylov with finite-difference
    Jacobian-vector products) from (w0, 0), increasing λ, stopped by param_max = 1; bifurcation
    detection and stability analysis switched off (they only cost it time); fold detection is
    always on. Its PARAM_MAX point is solved at λ = 1 by Newton-Krylov; then Newton polish."""
    import pycont

    st = dict(steps=0, rejected=0, newton=0, polish=0)
    sp = dict(
        tolerance=tolerance,
        initial_directions="increase_p",
        param_max=1.0,
        bifurcation_detection=False,
        analyze_stability=False,
    )
    res = pycont.arclengthContinuation(
        tw.H,
        np.array(w0, dtype=np.float64),
        0.0,
        ds_min,
        ds_max,
        ds_0,
        n_steps,
        solver_parameters=sp,
        verbosity="off",
    )
    br = res.branches[0]
    ev = res.events[-1]
    st["steps"] = len(br.p_path) - 1
    if ev.kind != "PARAM_MAX" or len(res.branches) != 1:
        return dict(st, ok=False, w_end=np.asarray(ev.u))
    w = newton_polish(tw, np.asarray(ev.u), st)
    return dict(st, ok=True, w_end=w)


class _CountNewtonKrylov:
    """Counts scipy.optimize.newton_krylov iterations (pycont calls it as opt.newton_krylov)."""

    def __enter__(self):
        import scipy.optimize as so

        self.so, self.orig, self.count = so, so.newton_krylov, 0

        def counted(*a, **kw):
            user = kw.pop("callback", None)

            def cb(x, f):
                self.count += 1
                if user is not None:
                    user(x, f)

            return self.orig(*a, callback=cb, **kw)

        so.newton_krylov = counted
        return self

    def __exit__(self, *exc):
        self.so.newton_krylov = self.orig


# JaxCont (PyPI `jaxcont`). Its public `jaxcont.continuation(bif_problem(f, u0, p0, args=...),
# PseudoArclength(), p_span=..., settings=ContinuationPar(...))` calls one jitted whole-loop
# engine, `jaxcont.core.scan_continuation.pseudo_arclength_scan(f, ...)`, with `f` a static
# argument; called eagerly it wraps f in a fresh lambda each time and so retraces and recompiles
# on every call (~1 s even for 3×2). As a user would, we put the run in our own `jax.jit` (X, d,
# w0 traced: one compile per shape, reused by every problem of that shape) and call the engine
# there exactly as `continuation()` does when traced (compute_stability=False, no events; the
# bench checks once that both give the same branch), because only the engine's result has the
# per-step Newton counts and step sizes. JaxCont stops at the first accepted point with
# λ ≥ 1 (it overshoots, λ ≈ 1.04), so the same jitted program interpolates the last two points
# linearly at λ = 1 and Newton-polishes H(·, 1) there (counted).
#
# Settings (found by a colleague's sweeps against a fine-step reference): the residual given to
# JaxCont is H/L (same zero set; JaxCont's corrector tolerance is absolute, so this makes
# newton_tol mean the same for L = 3 and L = 20000); newton_tol = 1e-8 converges in 1–2 bordered
# Newton iterations (JaxCont grows ds ×1.5 only after < 3), the polish gives the accuracy;
# ds = 0.1, ds_max = 0.2 (ds_max = 1 jumped to another stationary point on ~2% of 3×2
# problems); max_steps = 400 is the static buffer length (a rejected step uses one too).

_JC: dict[str, Any] = {}
JC_POLISH_MAX = 20


def _jaxcont_settings(ds, ds_min, ds_max, max_steps, newton_tol, newton_max_iter):
    key = (ds, ds_min, ds_max, max_steps, newton_tol, newton_max_iter)
    if key not in _JC:
        import jaxcont

        _JC[key] = jaxcont.ContinuationPar(
            ds=ds,
            ds_min=ds_min,
            ds_max=ds_max,
            max_steps=max_steps,
            adaptive=True,
            newton_tol=newton_tol,
            newton_max_iter=newton_max_iter,
            compute_stability=False,
        )
    return _JC[key]


def _jc_H(w, lam, X, d):
    """H(w, λ) of the tanh natural homotopy in jax.numpy (for JaxCont)."""
    import jax.numpy as jnp

    t = X @ w
    th = jnp.tanh(t)
    return -X.T @ (((1.0 - lam) + lam * (1.0 - th * th)) * (d - ((1.0 - lam) * t + lam * th)))


def _jc_scan(f, w0, st):
    """JaxCont's pseudo-arclength engine on f(u, p) from (w0, p = 0) towards p = 1, with the
    settings `st` (a jaxcont.ContinuationPar)."""
    import jax.numpy as jnp
    import jaxcont
    from jaxcont.core.scan_continuation import pseudo_arclength_scan

    def c(v):
        return jnp.asarray(v, w0.dtype)

    return pseudo_arclength_scan(
        f, w0, c(0.0), c(1.0), c(st.ds), c(st.ds_min), c(st.ds_max), c(st.newton_tol),
        st.max_steps, jnp.asarray(st.newton_max_iter), jaxcont.Dense(), jnp.asarray(st.adaptive),
    )  # fmt: skip


def _jaxcont_solver():
    """The jitted JaxCont run: continuation, interpolation at λ = 1, Newton polish (built once)."""
    if "solve" in _JC:
        return _JC["solve"]
    import jax
    import jax.numpy as jnp

    def solve(X, d, w0, settings, tol, polish_max):
        dt = w0.dtype
        st = settings
        f = lambda u, p: _jc_H(u, p, X, d) / X.shape[0]
        r = _jc_scan(f, w0, st)
        k = r.n_valid - 1  # the last accepted point (slot 0: the corrected start)
        km = jnp.maximum(k - 1, 0)
        pk, pm = r.params[k], r.params[km]
        reached = pk >= 1.0
        theta = jnp.where(reached & (pk > pm), (1.0 - pm) / (pk - pm), 1.0)
        w1 = r.states[km] + theta * (r.states[k] - r.states[km])
        j = jnp.arange(1, st.max_steps + 1)
        acc = j <= k
        newton = jnp.sum(jnp.where(acc, r.iters[j], 0))  # accepted steps' corrector iterations
        # rejected attempts are not recorded; each halves ds, so infer them from the ds used
        # for consecutive accepted points and JaxCont's rule (×1.5 if < 3 iterations, ×0.8 if
        # > 6, clipped to [ds_min, ds_max]; the first attempt uses ds)
        prev, it = r.ds[j - 1], r.iters[j - 1]
        grown = prev * jnp.where(it < 3, 1.5, jnp.where(it > 6, 0.8, 1.0))
        expect = jnp.where(j == 1, r.ds[0], jnp.clip(grown, st.ds_min, st.ds_max))
        halvings = jnp.round(jnp.log2(expect / jnp.where(acc, r.ds[j], expect)))
        rejected = jnp.sum(jnp.where(acc, jnp.maximum(halvings, 0.0), 0.0))

        H1 = lambda w: _jc_H(w, 1.0, X, d)
        J1 = jax.jacfwd(H1)

        def cond(cr):
            w, i, res = cr
            return (res > tol) & (i < polish_max) & jnp.isfinite(res)

        def body(cr):
            w, i, _ = cr
            w = w - jnp.linalg.solve(J1(w), H1(w))
            return w, i + 1, jnp.linalg.norm(H1(w))

        wf, polish, err = jax.lax.while_loop(cond, body, (w1, 0, jnp.linalg.norm(H1(w1))))
        stats = jnp.stack(
            [
                jnp.asarray(x, dt)
                for x in (pk, reached, k, newton, r.iters[0], rejected, polish, err)
            ]
        )
        return wf, stats

    _JC["solve"] = jax.jit(solve, static_argnames=("settings", "tol", "polish_max"))
    return _JC["solve"]


def peer_jaxcont(
    tw: TanhLS,
    w0,
    *,
    ds=0.1,
    ds_min=1e-6,
    ds_max=0.2,
    max_steps=400,
    newton_tol=1e-8,
    newton_max_iter=10,
):
    """JaxCont pseudo-arclength continuation of H/L from (w0, 0) past λ = 1, interpolated at
    λ = 1 and Newton-polished there, all in one jitted program (compiled once per shape).

    Counts: Newton = the start's correction + accepted steps' bordered Newton iterations +
    polish (JaxCont does not record the iterations of rejected attempts); Jac = those + one
    tangent per attempted step + the first tangent (each is one jacfwd of [H_w | H_λ]), so a
    lower bound when steps were rejected."""
    import jax.numpy as jnp

    if tw.device is None:
        tw.device = (jnp.asarray(tw.X), jnp.asarray(tw.d))
    settings = _jaxcont_settings(ds, ds_min, ds_max, max_steps, newton_tol, newton_max_iter)
    w, stats = _jaxcont_solver()(
        *tw.device, jnp.asarray(w0, jnp.float64), settings, TOL, JC_POLISH_MAX
    )
    w = np.asarray(w)
    lam_c, reached, k, newton, seed, rejected, polish, _ = np.asarray(stats).tolist()
    st = dict(
        steps=int(k),
        rejected=int(rejected),
        newton=int(seed + newton + polish),
        polish=int(polish),
        jac=int(seed + newton + polish + 1 + k + rejected),
        hev=float("nan"),
        lam_end=lam_c,
    )
    return dict(st, ok=bool(reached) and bool(np.all(np.isfinite(w))), w_end=w)


def check_jaxcont_public(tw: TanhLS, w0) -> float:
    """Largest difference between the branch of `jaxcont.continuation(...)` (public API, in a
    jit) and our direct engine call, on one problem (default settings)."""
    import jax
    import jax.numpy as jnp
    import jaxcont

    st = _jaxcont_settings(0.1, 1e-6, 0.2, 400, 1e-8, 10)

    def public(X, d, w0):
        prob = jaxcont.bif_problem(
            lambda u, p, a: _jc_H(u, p, *a) / a[0].shape[0], w0, 0.0, args=(X, d)
        )
        res = jaxcont.continuation(prob, jaxcont.PseudoArclength(), p_span=(0.0, 1.0), settings=st)
        return res.branch.params, res.branch.states, res.stats["n_valid"]

    def engine(X, d, w0):
        f = lambda u, p: _jc_H(u, p, X, d) / X.shape[0]
        r = _jc_scan(f, w0, st)
        return r.params, r.states, r.n_valid

    args = (jnp.asarray(tw.X), jnp.asarray(tw.d), jnp.asarray(w0, jnp.float64))
    a, b = jax.jit(public)(*args), jax.jit(engine)(*args)
    if int(a[2]) != int(b[2]):
        return float("inf")
    n = int(a[2])
    return max(
        float(np.max(np.abs(np.asarray(x)[:n] - np.asarray(y)[:n])))
        for x, y in zip(a[:2], b[:2], strict=True)
    )


def peer_lm(tw: TanhLS, w0, *, gtol="match", ftol=1e-15, xtol=1e-15):
    """`scipy.optimize.least_squares(method="lm")` (MINPACK lmder) on r(w) = d − tanh(Xw) with
    the analytic Jacobian, from w0; its stationarity condition Jᵀr = 0 is H(w, 1) = 0. The
    default gtol "match" is MINPACK's scale-free gradient test set from ‖H‖₂ ≤ TOL at w0
    (TOL / (√s · max‖J_j‖ · ‖r‖), at least 1e-15); then Newton polish (counted). H evals =
    residual evaluations."""
    from scipy.optimize import least_squares

    X, d = tw.X, tw.d

    def fun(w):
        tw.nH += 1
        return d - np.tanh(X @ w)

    def jac(w):
        tw.nJ += 1
        th = np.tanh(X @ w)
        return -(1.0 - th * th)[:, None] * X

    w0 = np.array(w0, dtype=np.float64)
    if gtol == "match":
        r0 = d - np.tanh(X @ w0)
        cmax = float(np.max(np.linalg.norm((1.0 - np.tanh(X @ w0) ** 2)[:, None] * X, axis=0)))
        gtol = max(TOL / (math.sqrt(X.shape[1]) * cmax * float(np.linalg.norm(r0))), 1e-15)
    sol = least_squares(fun, w0, jac=jac, method="lm", gtol=gtol, ftol=ftol, xtol=xtol)
    st = dict(steps=int(sol.nfev), rejected=0, newton=0, polish=0)
    if not np.all(np.isfinite(sol.x)):
        return dict(st, ok=False, w_end=sol.x)
    w = newton_polish(tw, sol.x, st)
    return dict(st, ok=True, w_end=w)


PEERS: dict[str, tuple[Callable, list[tuple[str, dict]]]] = {
    "natural+root": (
        peer_natural_root,
        [("hybr xtol=1e-10", dict(xtol=1e-10)), ("hybr xtol=1e-6", dict(xtol=1e-6))],
    ),
    "davidenko": (
        peer_davidenko,
        [
            ("RK45 rtol=1e-6 atol=1e-9", dict(method="RK45", rtol=1e-6, atol=1e-9)),
            ("RK23 rtol=1e-4 atol=1e-7", dict(method="RK23", rtol=1e-4, atol=1e-7)),
            ("DOP853 rtol=1e-10 atol=1e-12", dict(method="DOP853", rtol=1e-10, atol=1e-12)),
        ],
    ),
    "pycont-lite": (
        peer_pycont,
        [
            ("ds0=0.05 ds_max=0.5 tol=1e-10", dict()),
            ("ds0=0.1 ds_max=1.0 tol=1e-10", dict(ds_0=0.1, ds_max=1.0)),
        ],
    ),
    "jaxcont": (
        peer_jaxcont,
        [
            ("ds=0.1 ds_max=0.2 newton_tol=1e-8", dict()),
            ("ds=0.05 ds_max=0.1 newton_tol=1e-10", dict(ds=0.05, ds_max=0.1, newton_tol=1e-10)),
        ],
    ),
}

# the large-problem peers (least_squares only there: it is not a continuation method)
LARGE_PEERS: dict[str, tuple[Callable, list[tuple[str, dict]]]] = {
    "least_squares lm": (
        peer_lm,
        [
            ("gtol matched, ftol=xtol=1e-15", dict()),
            ("tolerances 1e-8 (scipy default)", dict(gtol=1e-8, ftol=1e-8, xtol=1e-8)),
        ],
    ),
    "pycont-lite": PEERS["pycont-lite"],
    "jaxcont": PEERS["jaxcont"],
}
ALL_PEERS = {**PEERS, **LARGE_PEERS}


class Method:
    """One method on a problem set: counts from an instrumented first pass, a zero-argument
    runner per problem for the timing pass, and the summary once timed."""

    def __init__(self, per: list[dict], runners: list, cold: float) -> None:
        self.per, self.runners, self.cold = per, runners, cold
        self.result: dict | None = None
        self.label = ""


def prepare_peer(name: str, cfg: dict, problems, w0s) -> Method:
    """Cold first call, then one instrumented (counted) run per problem."""
    fn = PEERS[name][0]
    twins = [TanhLS(X, d) for X, d in problems]
    warnings.simplefilter("ignore")  # pycont/scipy may warn on hard trial steps
    t0 = time.perf_counter()
    try:
        fn(twins[0], w0s[0], **cfg)
    except Exception:  # noqa: BLE001 — a crash is recorded per problem below
        pass
    cold = time.perf_counter() - t0
    per, runners = [], []
    for tw, w0 in zip(twins, w0s, strict=True):
        tw.reset()
        try:
            with _CountNewtonKrylov() as nk:
                r = fn(tw, w0, **cfg)
            if name == "pycont-lite":
                r["newton"] += nk.count
        except Exception as err:  # noqa: BLE001
            per.append(dict(ok=False, error=repr(err)))
            runners.append(None)
            continue
        r.setdefault("jac", tw.nJ)
        r.setdefault("hev", tw.nH)
        r["err"] = tw.residual(r["w_end"])
        r["w_end"] = np.asarray(r["w_end"]).tolist()
        per.append(r)
        runners.append((lambda tw=tw, w0=w0: fn(tw, w0, **cfg)) if r["ok"] else None)
    warnings.simplefilter("default")
    return Method(per, runners, cold)


def prepare_ours(h, problems, w0s, opts: dict, cold: float | None = None) -> Method:
    """`homotopy.track` per path from the same w0 as the peers (``start=w0``): cold (first
    call, compiles; or `cold` when the first call of this shape and these options happened
    earlier, in `select_smooth`), then counts."""
    hps = [h.NaturalHomotopy(X, d) for X, d in problems]
    t0 = time.perf_counter()
    h.track(hps[0], start=w0s[0], **opts)
    cold = time.perf_counter() - t0 if cold is None else cold
    per, runners = [], []
    for (X, d), p, w0 in zip(problems, hps, w0s, strict=True):
        path = h.track(p, start=w0, **opts)
        st = path.stats
        ok = path.status is h.Status.SUCCESS
        per.append(
            dict(
                ok=ok,
                steps=st.get("steps"),
                rejected=st.get("rejected_steps"),
                newton=st.get("newton_iterations"),
                jac=st.get("jacobian_evaluations"),
                jvp=st.get("jvp_evaluations", 0),
                hev=float("nan"),
                polish=0,
                events=len(path.events),
                status=path.status.value,
                err=TanhLS(X, d).residual(path.w_end) if ok else float("nan"),
            )
        )
        runners.append(lambda p=p, w0=w0: h.track(p, start=w0, **opts))
    return Method(per, runners, cold)


def prepare_kernel(h, jax, problems, w0s, opts: dict) -> Method | None:
    """The compiled tracker alone (private API `homotopy.tracker._run_packed_jit`, then its two
    result arrays fetched): no option checks, no Path construction (the problems have no
    events, so nothing else runs). None if that private API has changed."""
    try:
        from homotopy import protocol as Pr, tracker as T

        o = T.algorithm(**opts)
        runners = []
        for (X, d), w0 in zip(problems, w0s, strict=True):
            dyn, static = Pr.split_problem(h.NaturalHomotopy(X, d))
            x = np.concatenate([w0, [0.0, 1.0]])

            def run(dyn=dyn, static=static, x=x):
                return [np.asarray(a) for a in T._run_packed_jit(dyn, static, x, o)]

            run()
            runners.append(run)
        return Method([dict(ok=True) for _ in problems], runners, float("nan"))
    except Exception:  # noqa: BLE001
        return None


def time_interleaved(methods: dict[str, Method], repeats: int) -> None:
    """Warm times, interleaved by problem: for each problem every method runs one warm-up and
    then `repeats` timed runs back to back (warm in the usual sense: caches, thread pools and
    branch predictors primed by the same call); the order of the methods rotates from problem
    to problem, so a changing machine load hits all methods alike. Fills `Method.result`.

    (Timing single runs round-robin instead penalizes the JAX call after a long numpy/Python
    run of a peer: on this CPU XLA's first call after ~25 ms of other work costs 2× more.)"""
    names = list(methods)
    n = len(methods[names[0]].runners)
    for i in range(n):
        order = names[i % len(names) :] + names[: i % len(names)]
        for k in order:
            run = methods[k].runners[i]
            ts = []
            if run is not None:
                run()
                for _ in range(repeats):
                    t = time.perf_counter()
                    run()
                    ts.append(time.perf_counter() - t)
            methods[k].per[i]["time"] = _median(ts) if ts else float("nan")
            methods[k].per[i]["time_min"] = min(ts) if ts else float("nan")
    for k in names:
        methods[k].result = _summarize(methods[k].per, methods[k].cold)


def _summarize(per: list[dict], cold: float) -> dict:
    ok = [r for r in per if r.get("ok")]
    good = [r for r in ok if r.get("err", 0.0) <= TOL]

    def med(k):
        return _median([r.get(k, float("nan")) for r in ok]) if ok else float("nan")

    return dict(
        time=med("time"),
        time_min=med("time_min"),
        cold=cold,
        steps=med("steps"),
        rejected=med("rejected"),
        newton=med("newton"),
        jac=med("jac"),
        jvp=med("jvp"),
        hev=med("hev"),
        polish=med("polish"),
        err_max=max((r.get("err", float("nan")) for r in ok), default=float("nan")),
        n=len(per),
        n_ok=len(ok),
        n_accurate=len(good),
        per_problem=per,
    )


def select_smooth(h, candidates, want: int, w_max: float = 50.0):
    """Problems whose homotopy path reaches λ = 1 with no turning point or bifurcation (so the
    natural-parameter peers can finish) and moderate weights."""
    keep, first = [], None
    for X, d in candidates:
        t = time.perf_counter()
        path = h.track(h.NaturalHomotopy(X, d))
        first = time.perf_counter() - t if first is None else first
        if (
            path.status is h.Status.SUCCESS
            and not path.events
            and np.linalg.norm(path.w_end) < w_max
        ):
            keep.append((X, d))
        if len(keep) == want:
            break
    return keep, first


# ---------------------------------------------------------------------------------------------
# Batch


def time_batch(h, X, d, repeats: int, **opts) -> dict:
    t = time.perf_counter()
    pb = h.track_many(X, d, **opts)
    cold = time.perf_counter() - t
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        pb = h.track_many(X, d, **opts)  # returns host numpy arrays: already synchronized
        ts.append(time.perf_counter() - t)
    warm = _median(ts)
    B = len(pb)
    steps = np.asarray(pb.stats["steps"])
    return dict(
        B=B,
        cold=cold,
        warm=warm,
        paths_per_s=B / warm,
        per_path=warm / B,
        counts=pb.counts(),
        steps_median=float(np.median(steps)),
        steps_max=int(steps.max()),
        jac_median=float(np.median(pb.stats["jacobian_evaluations"])),
    )


# ---------------------------------------------------------------------------------------------
# Memory child: track B paths of L×s problems, report ru_maxrss


def _proc_status_bytes(key: str) -> float:
    """VmHWM / VmRSS of this process from /proc (Linux), in bytes; NaN elsewhere."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    return float("nan")


def memory_child(B: int, L: int, s: int, max_points: int) -> None:
    """Track B teacher problems of size L×s in this (fresh) process and print peak memory.

    The peak is VmHWM, the high-water mark of this process's resident set, which starts afresh
    at exec. (ru_maxrss on Linux survives exec, so in a child it would include the parent's
    resident set at fork time; it is printed too, for the record.)"""
    import jax

    import homotopy as h

    X, d = problems_teacher(np.random.default_rng(11), B, L, s)
    jax.block_until_ready(jax.numpy.zeros(1))
    base = _proc_status_bytes("VmHWM")
    t = time.perf_counter()
    pb = h.track_many(X, d, max_points=max_points)
    el = time.perf_counter() - t
    peak = _proc_status_bytes("VmHWM")
    ru = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if not math.isfinite(peak):  # not Linux: fall back on ru_maxrss
        peak = ru
    print(
        json.dumps(
            dict(
                B=B,
                L=L,
                s=s,
                max_points=max_points,
                base_bytes=base,
                peak_bytes=peak,
                ru_maxrss_bytes=ru,
                time=el,
                counts=pb.counts(),
                steps_max=int(np.max(pb.stats["steps"])),
            )
        )
    )


def run_memory(B: int, L: int, s: int, max_points: int) -> dict:
    cmd = [
        sys.executable,
        os.path.abspath(__file__),
        "--_memory-child",
        str(B),
        str(L),
        str(s),
        str(max_points),
    ]
    t = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    wall = time.perf_counter() - t
    if out.returncode != 0:
        return dict(
            B=B,
            L=L,
            s=s,
            max_points=max_points,
            error=out.stderr[-2000:],
            peak_bytes=float("nan"),
            base_bytes=float("nan"),
            wall=wall,
        )
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["wall"] = wall
    return res


# The cold-start child: `python -c _COLD_CHILD DATA.npz KEY...` in a fresh process, with
# HOMOTOPY_CACHE_DIR set by the parent. numpy is imported first (to load the problems), then
# `import homotopy` is timed alone (it imports jax); then per problem the first `track` (trace +
# compile or cache read + run) and the second (warm) call. One JSON line on stdout.
_COLD_CHILD = """
import json, sys, time
t0 = time.perf_counter()
import numpy as np
t1 = time.perf_counter()
import homotopy as h
t2 = time.perf_counter()
heavy = [m for m in __HEAVY__ if m in sys.modules]
try:
    cache = h.compilation_cache_dir()
except AttributeError:
    cache = "n/a (homotopy has no compilation_cache_dir)"
data = np.load(sys.argv[1])
runs = []
for key in sys.argv[2:]:
    p = h.NaturalHomotopy(data[key + "_X"], data[key + "_d"])
    t3 = time.perf_counter()
    path = h.track(p)
    t4 = time.perf_counter()
    h.track(p)
    t5 = time.perf_counter()
    runs.append(dict(shape=key, first=t4 - t3, second=t5 - t4, status=path.status.value))
print(json.dumps(dict(numpy=t1 - t0, imp=t2 - t1, heavy=heavy, cache=cache, runs=runs,
                      total=time.perf_counter() - t0)))
""".replace("__HEAVY__", repr(HEAVY_MODULES))


def _dir_bytes(path: str) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return total


def _cold_child(data: str, keys: list[str], cache: str) -> dict:
    """One fresh process (HOMOTOPY_CACHE_DIR=cache) tracking the problems `keys` of `data`."""
    env = dict(os.environ, HOMOTOPY_CACHE_DIR=cache)
    t = time.perf_counter()
    r = subprocess.run(
        [sys.executable, "-c", _COLD_CHILD, data, *keys],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    wall = time.perf_counter() - t
    if r.returncode != 0:
        return dict(error=r.stderr[-2000:], wall=wall)
    out = json.loads(r.stdout.strip().splitlines()[-1])
    out["wall"] = wall
    return out


def run_cold_shapes(shapes, rounds: int) -> dict:
    """Per shape (one teacher problem each), `rounds` times: a fresh process with the
    persistent cache off, one with an empty cache folder of its own, and one more with that
    folder after the previous one filled it (warm cache). Then the sessions: one process tracking
    every shape in turn with an empty cache, and one more with that folder warm."""
    tmp = tempfile.mkdtemp(prefix="homotopy-bench-cold-")
    try:
        data = os.path.join(tmp, "problems.npz")
        arrays, keys = {}, []
        rng = np.random.default_rng(31)
        for L, s in shapes:
            X, d = problems_teacher(rng, 1, L, s)
            key = f"{L}x{s}"
            arrays[key + "_X"], arrays[key + "_d"] = X[0], d[0]
            keys.append(key)
        np.savez(data, **arrays)
        per: dict[str, dict[str, list]] = {k: {"off": [], "empty": [], "warm": []} for k in keys}
        cache_bytes: dict[str, int] = {}
        heavy: set[str] = set()
        errors: list[str] = []
        mismatch: list[str] = []  # children whose cache folder is not the one they were given
        for rnd in range(rounds):
            for key in keys:
                folder = os.path.join(tmp, f"cache-{key}-{rnd}")
                for cond, cache in (("off", "off"), ("empty", folder), ("warm", folder)):
                    out = _cold_child(data, [key], cache)
                    if "error" in out:
                        errors.append(f"{key} {cond}: {out['error']}")
                        continue
                    heavy.update(out["heavy"])
                    want = None if cache == "off" else os.path.abspath(cache)
                    if out["cache"] != want:
                        mismatch.append(f"{key} {cond}: {out['cache']!r}")
                    run = out["runs"][0]
                    per[key][cond].append(
                        dict(imp=out["imp"], numpy=out["numpy"], wall=out["wall"], **run)
                    )
                cache_bytes[key] = _dir_bytes(folder)
        sessions = {}
        folder = os.path.join(tmp, "cache-session")
        for cond in ("empty", "warm"):
            out = _cold_child(data, keys, folder)
            if "error" in out:
                errors.append(f"session {cond}: {out['error']}")
                continue
            heavy.update(out["heavy"])
            sessions[cond] = out
        return dict(
            shapes=keys,
            per=per,
            sessions=sessions,
            heavy=sorted(heavy),
            cache_bytes=cache_bytes,
            cache_mismatch=mismatch,
            errors=errors,
            rounds=rounds,
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Large problems: ours against the machine's Jacobian-flop cost and peers


class _Timeout(Exception):
    pass


def _call_with_timeout(fn, seconds: float):
    """fn() with SIGALRM after `seconds` (main thread, Unix; plain call elsewhere)."""
    if not hasattr(signal, "SIGALRM"):
        return fn()

    def handler(signum, frame):
        raise _Timeout

    old = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def run_large(h, L: int, s: int, peers: list[tuple[str, str, dict]], n_ours: int, n_peer: int):
    """One L×s problem (`problem_large`): ours = the whole `h.track(problem)` (its X⁺d start
    included); t_gemm = numpy's `(X * c[:, None]).T @ X` (the L·s² multiply-adds of one
    Jacobian); then `peers` (name, label, config) from w0 = X⁺d. Each method: a first (cold)
    call that is counted, one more warm-up for the JAX ones, then its timed runs in blocks
    (pause, untimed run, runs back to back) in two rounds of rotated order; t_gemm is sampled
    in a block next to each block of ours."""
    rng = np.random.default_rng(1000 + L + s)
    X, d = problem_large(rng, L, s)
    c = rng.normal(size=L)
    tw0 = TanhLS(X, d)
    problem = h.NaturalHomotopy(X, d)
    entry: dict[str, Any] = dict(L=L, s=s)

    t = time.perf_counter()
    path = h.track(problem)
    cold = time.perf_counter() - t
    st = path.stats
    ok = path.status is h.Status.SUCCESS
    ours = dict(
        cold=cold,
        ok=ok,
        status=path.status.value,
        steps=st.get("steps"),
        rejected=st.get("rejected_steps"),
        newton=st.get("newton_iterations"),
        jac=st.get("jacobian_evaluations"),
        jvp=st.get("jvp_evaluations", 0),
        err=tw0.residual(path.w_end) if ok else float("nan"),
        times=[],
    )
    h.track(problem)  # warm-up
    # t_gemm with numpy's default BLAS threads and with one: on a loaded machine a
    # multi-threaded OpenBLAS product can take 10-30× longer than a single-threaded one (its
    # threads wait for each other), so the machine's cost is the faster of the two medians
    gemm_t: dict[str, list[float]] = {"all": [], "1": []}
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        threadpool_limits = None

    def ours_run():
        h.track(problem)

    def gemm_sample(k=3):
        time.sleep(BLAS_SETTLE_S)
        (X * c[:, None]).T @ X
        for _ in range(k):
            t = time.perf_counter()
            (X * c[:, None]).T @ X
            gemm_t["all"].append(time.perf_counter() - t)
        if threadpool_limits is not None:
            with threadpool_limits(limits=1, user_api="blas"):
                for _ in range(k):
                    t = time.perf_counter()
                    (X * c[:, None]).T @ X
                    gemm_t["1"].append(time.perf_counter() - t)

    gemm_sample(5)
    t = time.perf_counter()
    w0 = np.linalg.lstsq(X, d, rcond=None)[0]
    entry["lstsq_time"] = time.perf_counter() - t

    # peers: counted first call (with a time limit), warm-up for JAX peers
    pres: dict[str, dict] = {}
    runners: dict[str, Callable] = {"ours": ours_run}
    warnings.simplefilter("ignore")
    for name, label, cfg in peers:
        fn = ALL_PEERS[name][0]
        tw = TanhLS(X, d)
        key = f"{name}|{label}"
        t = time.perf_counter()
        try:
            with _CountNewtonKrylov() as nk:
                r = _call_with_timeout(
                    lambda fn=fn, tw=tw, cfg=cfg: fn(tw, w0, **cfg), PEER_TIMEOUT_S
                )
        except _Timeout:
            pres[key] = dict(
                name=name, label=label, ok=False, skipped=f"first run > {PEER_TIMEOUT_S:.0f} s"
            )
            continue
        except Exception as err:  # noqa: BLE001
            pres[key] = dict(name=name, label=label, ok=False, skipped=repr(err)[:200])
            continue
        pcold = time.perf_counter() - t
        if name == "pycont-lite":
            r["newton"] += nk.count
        r.setdefault("jac", tw.nJ)
        r.setdefault("hev", tw.nH)
        r["err"] = tw.residual(r["w_end"])
        r["w_end"] = None
        r.update(name=name, label=label, cold=pcold, times=[])
        pres[key] = r
        if not r["ok"]:
            continue
        if name == "jaxcont":
            fn(tw, w0, **cfg)  # warm-up after the compile
        # a slow peer (numpy: its first run is warm already) gets a single timed run
        r["n_runs"] = n_peer if pcold < PEER_TIMEOUT_S / 3 else 1
        runners[key] = lambda fn=fn, tw=tw, cfg=cfg: fn(tw, w0, **cfg)
    warnings.simplefilter("default")

    want = {"ours": n_ours, **{k: pres[k]["n_runs"] for k in runners if k != "ours"}}
    names = list(runners)
    # timed in blocks, like timeit: a pause (OpenBLAS threads spin ~0.1 s after a
    # multi-threaded product and slow whatever runs next; XLA's pool as much as another
    # peer's BLAS), one untimed run, then the method's runs back to back; two rounds in
    # rotated order spread a changing load over all methods, and t_gemm is sampled in a
    # block of its own next to each block of ours
    for rnd in range(2):
        order = names[rnd % len(names) :] + names[: rnd % len(names)]
        for k in order:
            n = (want[k] + 1) // 2 if rnd == 0 else want[k] // 2
            if n == 0:
                continue
            time.sleep(BLAS_SETTLE_S)
            runners[k]()
            for _ in range(n):
                t = time.perf_counter()
                runners[k]()
                (ours if k == "ours" else pres[k])["times"].append(time.perf_counter() - t)
            if k == "ours":
                gemm_sample(5)
    for r in [ours, *pres.values()]:
        ts = r.get("times", [])
        r["time"] = _median(ts)
        r["time_min"] = min(ts) if ts else float("nan")
    entry["t_gemm_all_threads"] = _median(gemm_t["all"])
    entry["t_gemm_1_thread"] = _median(gemm_t["1"])
    entry["t_gemm_threads"] = (
        "1" if entry["t_gemm_1_thread"] < entry["t_gemm_all_threads"] else "all"
    )
    entry["t_gemm"] = min(entry["t_gemm_all_threads"], entry["t_gemm_1_thread"])
    entry["t_gemm_samples"] = gemm_t
    ours["flop_cost"] = (ours["jac"] or 0) * entry["t_gemm"]
    ours["flop_ratio"] = ours["time"] / ours["flop_cost"] if ours["flop_cost"] else float("nan")
    entry["ours"] = ours
    entry["peers"] = pres
    return entry


# ---------------------------------------------------------------------------------------------
# Main


SECTIONS = (
    "cold",
    "peers",
    "options",
    "batch",
    "scaling",
    "large",
    "memory",
    "sklearn",
    "geometry",
)


def machine_info(jax) -> dict:
    return dict(
        cpu_count=os.cpu_count(),
        affinity=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        platform=platform.platform(),
        processor=platform.processor() or platform.machine(),
        python=platform.python_version(),
        jax=_version("jax"),
        jaxlib=_version("jaxlib"),
        numpy=np.__version__,
        scipy=_version("scipy"),
        pycont_lite=_version("pycont-lite"),
        jaxcont=_version("jaxcont"),
        homotopy=_version("homotopy"),
        git=_git_rev(),
        devices=[str(dv) for dv in jax.devices()],
        homotopy_cache_dir=os.environ.get("HOMOTOPY_CACHE_DIR"),
        backend=jax.default_backend(),
        loadavg_start=_loadavg(),
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes for a smoke run (minutes)")
    ap.add_argument("--json", metavar="FILE", help="also write all results to FILE")
    ap.add_argument("--repeats", type=int, default=None, help="warm runs per timing (≥ 5)")
    ap.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help="comma-separated subset of: " + ",".join(SECTIONS),
    )
    ap.add_argument("--_memory-child", nargs=4, type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._memory_child:
        memory_child(*args._memory_child)
        return 0

    sections = set(args.sections.split(","))
    unknown = sections - set(SECTIONS)
    if unknown:
        ap.error(f"unknown sections {sorted(unknown)}; choose from {','.join(SECTIONS)}")
    # in this process the in-process "cold" columns mean "with XLA compilation": unless told
    # otherwise, keep homotopy's persistent compilation cache (which JaxCont's programs would
    # share) off here; the cold section sets it per child process
    os.environ.setdefault("HOMOTOPY_CACHE_DIR", "off")

    import jax

    import homotopy as h

    quick = args.quick
    R = max(5, args.repeats or 5)
    res: dict[str, Any] = dict(quick=quick, repeats=R, tol=TOL)
    T0 = time.perf_counter()

    info = machine_info(jax)
    res["machine"] = info
    _say("=" * 100)
    _say(f"homotopy benchmark ({'quick' if quick else 'full'} run)")
    _say(
        f"  CPUs: {info['cpu_count']} (usable {info['affinity']}), {info['processor']}, "
        f"{info['platform']}, Python {info['python']}"
    )
    _say(
        f"  jax {info['jax']}, jaxlib {info['jaxlib']}, numpy {info['numpy']}, "
        f"scipy {info['scipy']}, pycont-lite {info['pycont_lite']}, jaxcont "
        f"{info['jaxcont']}, homotopy {info['homotopy']} (git {info['git']})"
    )
    _say(
        f"  HOMOTOPY_CACHE_DIR in this process: {info['homotopy_cache_dir']!r} "
        "(the cold section sets it per child process)"
    )
    _say(f"  jax.devices(): {info['devices']} (backend {info['backend']})")
    _say(f"  load average at start (1/5/15 min): {info['loadavg_start']}")
    _say(
        f"  endpoint accuracy for every method: ‖H(w, 1)‖₂ ≤ {TOL:g}; warm times are medians "
        f"of {R} runs"
    )
    _say("=" * 100)

    # ---- cold start, in fresh processes (before this one has compiled anything)
    if "cold" in sections:
        cs = run_cold_shapes(COLD_SHAPES, 1 if quick else 2)
        res["cold"] = cs
        for e in cs["errors"]:
            _say(f"cold child failed: {e}")
        med = {
            k: {
                c: {f: _median([r[f] for r in v]) for f in ("imp", "first", "second")}
                for c, v in conds.items()
            }
            for k, conds in cs["per"].items()
        }
        res["cold_medians"] = med
        # the 3×2 cache-off processes, for the "cold start < 3 s" target
        res["cold_start"] = cs["per"].get("3x2", {}).get("off", [])
        ref = med.get("3x2", {})
        rows = []
        for k in cs["shapes"]:
            m = med[k]
            statuses = sorted({r["status"] for v in cs["per"][k].values() for r in v})

            def ratio(cond, m=m):
                return m[cond]["first"] / ref[cond]["first"] if ref else float("nan")

            rows.append(
                [
                    k.replace("x", "×"),
                    _fmt_t(m["off"]["imp"]),
                    _fmt_t(m["off"]["first"]),
                    _fmt_t(m["empty"]["first"]),
                    _fmt_t(m["warm"]["first"]),
                    _fmt_t(m["warm"]["second"]),
                    f"{ratio('off'):.2f}",
                    f"{ratio('empty'):.2f}",
                    f"{ratio('warm'):.2f}",
                    f"{m['warm']['first'] / m['empty']['first']:.2f}",
                    f"{cs['cache_bytes'].get(k, 0) / 1e6:.1f} MB",
                    ",".join(statuses),
                ]
            )
        _say(
            "\n"
            + _table(
                [
                    "L×s",
                    "import",
                    "1st: cache off",
                    "1st: empty cache",
                    "1st: warm cache",
                    "2nd call",
                    "÷3×2 off",
                    "÷3×2 empty",
                    "÷3×2 warm",
                    "warm÷empty",
                    "cache size",
                    "status",
                ],
                rows,
                f"COLD START: fresh Python processes, one teacher problem per shape, default "
                f"options ({cs['rounds']} round(s); medians)",
            )
        )
        srows = []
        for cond, out in cs["sessions"].items():
            firsts = [r["first"] for r in out["runs"]]
            srows.append(
                [
                    f"session, {cond} cache",
                    _fmt_t(out["imp"]),
                    _fmt_t(sum(firsts)),
                    _fmt_t(sum(r["second"] for r in out["runs"])),
                    _fmt_t(out["total"]),
                    _fmt_t(out["wall"]),
                    " ".join(f"{_fmt_t(f)}" for f in firsts),
                ]
            )
        if srows:
            _say(
                "\n"
                + _table(
                    [
                        "one process, all shapes",
                        "import",
                        "Σ 1st calls",
                        "Σ 2nd calls",
                        "total in Python",
                        "wall (incl. start-up)",
                        "1st call per shape (" + ", ".join(cs["shapes"]) + ")",
                    ],
                    srows,
                    "COLD START: SESSION (every shape in turn in one fresh process)",
                )
            )
        _say(
            "  import = `import homotopy` alone (numpy imported before it; jax included). "
            "1st = first track() of the\n  process (trace + XLA compile or cache read + run). "
            "cache off: HOMOTOPY_CACHE_DIR=off; empty: a new\n  folder per shape; warm: "
            "another process with that folder after the empty run filled it.\n  "
            f"modules loaded by `import homotopy` among {', '.join(HEAVY_MODULES)}: "
            f"{', '.join(cs['heavy']) or 'none'}. homotopy.compilation_cache_dir() in every "
            "child = the folder it\n  was given (None for off): "
            + ("yes" if not cs["cache_mismatch"] else "NO: " + "; ".join(cs["cache_mismatch"]))
        )

    # ---- the per-path problem set
    rng = np.random.default_rng(2024)
    n_prob = 4 if quick else 12
    t = time.perf_counter()
    problems, cold_3x2 = select_smooth(h, problems_3x2(rng, 8 * n_prob), n_prob)
    res["selection_time_incl_compile"] = time.perf_counter() - t
    w0s = [h.NaturalHomotopy(X, d).start() for X, d in problems]
    twin_err = check_twin(problems, h, jax)
    res["twin_max_rel_err"] = twin_err
    _say(
        f"\nProblems: {len(problems)} random 3×2 tanh least-squares problems (X ~ N(0,1), "
        f"d ~ U(−0.9, 0.9)), kept only if homotopy's path has no turning point/bifurcation."
    )
    _say(
        f"numpy twin of H, H_w, H_λ vs homotopy's: max rel. difference {twin_err:.2e} "
        f"({'OK' if twin_err <= TWIN_TOL else 'FAILS'} ≤ {TWIN_TOL:g})"
    )

    ours_default: dict | None = None
    peer_best: dict[str, dict] = {}
    if "peers" in sections or "scaling" in sections or "large" in sections:
        try:
            jc_diff = check_jaxcont_public(TanhLS(*problems[0]), w0s[0])
            res["jaxcont_public_vs_engine"] = jc_diff
            _say(
                "JaxCont: jaxcont.continuation(bif_problem(...), PseudoArclength(), ...) in a "
                f"jit vs the direct engine call used here: max |difference| {jc_diff:.1e} "
                "on the first problem"
            )
        except Exception as err:  # noqa: BLE001
            _say(f"JaxCont public-API check failed: {err!r}")

    if "peers" in sections:
        rows = []
        group: dict[str, Method] = {"ours": prepare_ours(h, problems, w0s, {}, cold=cold_3x2)}
        kern = prepare_kernel(h, jax, problems, w0s, {})
        if kern is not None:
            group["kernel"] = kern
        labels = {}
        for name, (_, cfgs) in PEERS.items():
            for label, cfg in cfgs[:1] if quick else cfgs:
                group[f"{name}|{label}"] = prepare_peer(name, cfg, problems, w0s)
                labels[f"{name}|{label}"] = (name, label)
        time_interleaved(group, R)
        ours_default = group["ours"].result
        if kern is not None:
            ours_default["kernel_time"] = kern.result["time"]
        res["ours_default"] = ours_default
        res["peers"] = {name: {} for name in PEERS}
        for key, (name, label) in labels.items():
            r = group[key].result
            res["peers"][name][label] = r
            good = r["n_accurate"] == r["n"]
            if good and (name not in peer_best or r["time"] < peer_best[name]["time"]):
                peer_best[name] = dict(r, label=label)
        od = ours_default

        def row(method, label, r, ratio=True):
            return [
                method,
                label,
                _fmt_t(r["time"]),
                _fmt_t(r["time_min"]),
                _fmt_t(r["cold"]),
                _fmt_n(r["steps"]),
                _fmt_n(r["newton"]),
                _fmt_n(r["jac"]),
                _fmt_n(r.get("jvp", 0)),
                _fmt_n(r["hev"]),
                _fmt_n(r["polish"]),
                f"{r['err_max']:.1e}",
                f"{r['n_accurate']}/{r['n']}",
                f"{r['time'] / od['time']:.2f}" if ratio else "1 (ref)",
            ]

        rows.append(row("ours: homotopy.track", "default (hermite, simplified)", od, ratio=False))
        rows.append(
            [
                "ours: compiled kernel only",
                "(private _run_packed_jit)",
                _fmt_t(od.get("kernel_time")),
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                f"{od.get('kernel_time', float('nan')) / od['time']:.2f}",
            ]
        )
        for name in PEERS:
            for label, r in res["peers"][name].items():
                rows.append(row(name, label, r))
        hdr = [
            "method",
            "configuration",
            "time/path",
            "min",
            "cold",
            "steps",
            "Newton",
            "Jac",
            "JVP",
            "H evals",
            "polish",
            "max ‖H(w,1)‖",
            "accurate",
            "time ÷ ours",
        ]
        _say(
            "\n"
            + _table(
                hdr,
                rows,
                "PER-PATH COMPARISON (medians over problems of the per-problem warm median)",
            )
        )
        _say(
            "  Newton: ours = Newton iterations; natural+root = hybrj function evaluations; "
            "davidenko = polish\n  iterations only; pycont-lite = Newton-Krylov iterations. "
            "Jac = evaluations of [H_w | H_λ] (every\n  Davidenko RHS needs H_w: 1 each); "
            "JVP = Jacobian-vector products by forward-mode AD (ours:\n  tangent refinement), "
            "each ≈ 1 H evaluation; Jacobian-equivalents = Jac + JVP ÷ (s + 1).\n  "
            "pycont-lite is matrix-free: its Jac is 0 analytic; it pays in H evals "
            "(finite-difference J·v\n  products); Jacobian-equivalents = H evals ÷ (s + 1). "
            "polish = Newton steps at λ = 1 added to reach\n  1e-10 (counted in Newton/Jac). "
            "cold = first call (ours, jaxcont: include XLA compilation; peers: include\n  "
            "importing scipy/pycont). min = median over problems of the fastest warm run.\n  "
            "jaxcont: Newton = bordered Newton iterations of accepted steps + polish (JaxCont "
            "does not record\n  rejected attempts); Jac = those + one tangent per step "
            "(a lower bound if steps were rejected);\n  its H evals are not counted (n/a)."
        )

    if "options" in sections and ours_default is not None:
        rows, best = [], None
        combos = [
            (p, c) for p in ("hermite", "euler", "rk4") for c in ("simplified", "newton", "chord")
        ]
        if quick:
            combos = [("hermite", "simplified"), ("hermite", "newton")]
        res["ours_options"] = {}
        group = {}
        for pred, corr in combos:
            cold = ours_default["cold"] if (pred, corr) == ("hermite", "simplified") else None
            group[f"{pred}/{corr}"] = prepare_ours(
                h, problems, w0s, dict(predictor=pred, corrector=corr), cold=cold
            )
        time_interleaved(group, R)
        for key, m in group.items():
            r = m.result
            res["ours_options"][key] = r
            good = r["n_accurate"] == r["n"]
            if good and (best is None or r["time"] < best[1]["time"]):
                best = (key, r)
            rows.append(
                [
                    key,
                    _fmt_t(r["time"]),
                    _fmt_t(r["time_min"]),
                    _fmt_t(r["cold"]),
                    _fmt_n(r["steps"]),
                    _fmt_n(r["rejected"]),
                    _fmt_n(r["newton"]),
                    _fmt_n(r["jac"]),
                    _fmt_n(r["jvp"]),
                    f"{r['err_max']:.1e}",
                    f"{r['n_accurate']}/{r['n']}",
                ]
            )
        _say(
            "\n"
            + _table(
                [
                    "predictor/corrector",
                    "time/path",
                    "min",
                    "cold (compile)",
                    "steps",
                    "rejected",
                    "Newton",
                    "Jac",
                    "JVP",
                    "max ‖H(w,1)‖",
                    "accurate",
                ],
                rows,
                "OURS: OPTIONS (homotopy.track, same problems; timed together, interleaved)",
            )
        )
        if best:
            _say(
                f"  best configuration meeting 1e-10 on every problem: {best[0]} "
                f"({_fmt_t(best[1]['time'])}/path)"
            )
            res["ours_best_option"] = best[0]

    # ---- batch throughput, 3×2
    if "batch" in sections:
        Bs = (1, 100) if quick else (1, 100, 10_000)
        mp = 2
        brng = np.random.default_rng(5)
        Xb = brng.normal(size=(max(Bs), 3, 2))
        db = brng.uniform(-0.9, 0.9, (max(Bs), 3))
        rows, res["batch"] = [], {}
        for B in Bs:
            r = time_batch(h, Xb[:B], db[:B], R if B <= 1000 else 3, max_points=mp)
            res["batch"][B] = r
            rows.append(
                [
                    B,
                    _fmt_t(r["cold"]),
                    _fmt_t(r["warm"]),
                    f"{r['paths_per_s']:,.0f}",
                    _fmt_t(r["per_path"]),
                    _fmt_n(r["steps_median"]),
                    r["steps_max"],
                    _fmt_n(r["jac_median"]),
                    r["counts"],
                ]
            )
        # the same paths in chunks of 100 (one compiled shape, warm)
        Bmax, chunk = max(Bs), 100
        if Bmax > chunk:
            t = time.perf_counter()
            for i in range(0, Bmax, chunk):
                h.track_many(Xb[i : i + chunk], db[i : i + chunk], max_points=mp)
            el = time.perf_counter() - t
            res["batch_chunked"] = dict(B=Bmax, chunk=chunk, time=el, paths_per_s=Bmax / el)
            rows.append(
                [
                    f"{Bmax} as {Bmax // chunk}×{chunk}",
                    "(warm)",
                    _fmt_t(el),
                    f"{Bmax / el:,.0f}",
                    _fmt_t(el / Bmax),
                    "",
                    "",
                    "",
                    "",
                ]
            )
        _say(
            "\n"
            + _table(
                [
                    "B",
                    "cold (compile)",
                    "warm",
                    "paths/s",
                    "time/path",
                    "steps med",
                    "steps max",
                    "Jac med",
                    "statuses",
                ],
                rows,
                f"BATCH THROUGHPUT: track_many, random 3×2 problems "
                f"(d ~ U(−0.9,0.9), folds allowed), max_points={mp}, "
                f"backend {info['backend']}",
            )
        )
        _say(
            "  track_many runs a pool of vmapped lanes (default 256) and refills a lane when its "
            "path ends, so the\n  work follows the sum of the paths' steps, not B × 'steps max'; "
            "'100×100' = 100 separate calls of 100."
        )

    # ---- scaling with s and L
    if "scaling" in sections:
        # s-scan {2, 8, 32} at L = 100 and L-scan {3, 100, 1000} at s = 2 (3×2: the set above)
        sizes = [(100, 8)] if quick else [(100, 2), (1000, 2), (100, 8), (100, 32)]
        Bsc = 32 if quick else 256
        n_pp = 2 if quick else 3
        rows, res["scaling"] = [], {}
        if "peers" in sections and ours_default is not None:
            b32 = res.get("batch", {}).get(100)
            rows.append(
                [
                    "3×2 (set above)",
                    _fmt_t(ours_default["time"]),
                    _fmt_t(ours_default["cold"]),
                    *(_fmt_t(peer_best.get(n, {}).get("time", float("nan"))) for n in PEERS),
                    _fmt_n(ours_default["steps"]),
                    _fmt_n(ours_default["jac"]),
                    "100" if b32 else "",
                    f"{b32['paths_per_s']:,.0f}" if b32 else "",
                    _fmt_t(b32["per_path"]) if b32 else "",
                    "",
                ]
            )
        srng = np.random.default_rng(99)
        for L, s in sizes:
            X, d = problems_teacher(srng, Bsc, L, s)
            rb = time_batch(h, X, d, 3, max_points=2)
            # per-path problems: the first smooth ones of the batch
            pp, cold_pp = (
                ([], None)
                if quick
                else select_smooth(
                    h, list(zip(X[: 8 * n_pp], d[: 8 * n_pp], strict=True)), n_pp, w_max=1e3
                )
            )
            entry = dict(batch=rb, n_per_path=len(pp))
            prow = [f"{L}×{s}"]
            if pp:
                w0p = [h.NaturalHomotopy(Xi, di).start() for Xi, di in pp]
                group = {"ours": prepare_ours(h, pp, w0p, {}, cold=cold_pp)}
                for name in PEERS:
                    lab, cfg = PEERS[name][1][0]
                    if name in peer_best:
                        lab = peer_best[name]["label"]
                        cfg = dict(PEERS[name][1])[lab]
                    group[name] = prepare_peer(name, cfg, pp, w0p)
                    group[name].label = lab
                time_interleaved(group, R)
                ro = group["ours"].result
                entry["ours"] = ro
                prow += [_fmt_t(ro["time"]), _fmt_t(ro["cold"])]
                for name in PEERS:
                    rp = group[name].result
                    entry[name] = dict(rp, label=group[name].label)
                    prow.append(
                        _fmt_t(rp["time"])
                        + (
                            ""
                            if rp["n_accurate"] == rp["n"]
                            else f" ({rp['n_accurate']}/{rp['n']} ok)"
                        )
                    )
                prow += [_fmt_n(ro["steps"]), _fmt_n(ro["jac"])]
            else:
                prow += ["(skipped)" if quick else "no smooth path"] + [""] * (len(PEERS) + 3)
            prow += [Bsc, f"{rb['paths_per_s']:,.0f}", _fmt_t(rb["per_path"]), _fmt_t(rb["cold"])]
            res["scaling"][f"{L}x{s}"] = entry
            rows.append(prow)
        _say(
            "\n"
            + _table(
                [
                    "L×s",
                    "ours/path",
                    "ours cold",
                    *PEERS,
                    "steps",
                    "Jac",
                    "batch B",
                    "paths/s",
                    "batched/path",
                    "batch cold",
                ],
                rows,
                "SCALING WITH L AND s (teacher problems d = clip(0.8 tanh(Xw*) + "
                "0.1 noise); per-path: warm medians, peers at their best 3×2 "
                "configuration)",
            )
        )

    # ---- large problems
    if "large" in sections:
        res["large"] = {}
        # ours is the fast one: more samples for a steadier median (its runs vary by ±20%)
        n_ours, n_peer = (3, 1) if quick else (max(11, R), 3)
        peer_cfgs = []
        for name, (_, cfgs) in LARGE_PEERS.items():
            if name in peer_best:  # the best 3×2 configuration of a continuation peer
                peer_cfgs.append(
                    (name, peer_best[name]["label"], dict(cfgs)[peer_best[name]["label"]])
                )
            else:
                for label, cfg in cfgs[:1] if quick or name != "least_squares lm" else cfgs:
                    peer_cfgs.append((name, label, cfg))
        orows, prows = [], []
        for L, s in LARGE_SHAPES:
            e = run_large(h, L, s, peer_cfgs, n_ours, n_peer)
            res["large"][f"{L}x{s}"] = e
            o = e["ours"]
            orows.append(
                [
                    f"{L}×{s}",
                    _fmt_t(o["time"]),
                    _fmt_t(o["time_min"]),
                    _fmt_t(o["cold"]),
                    len(o["times"]),
                    _fmt_n(o["steps"]),
                    _fmt_n(o["newton"]),
                    _fmt_n(o["jac"]),
                    _fmt_n(o["jvp"]),
                    _fmt_t(e["t_gemm_all_threads"]),
                    _fmt_t(e["t_gemm_1_thread"]),
                    _fmt_t(o["flop_cost"]),
                    f"{o['flop_ratio']:.2f}",
                    _fmt_t(e["lstsq_time"]),
                    f"{o['err']:.1e}",
                    o["status"],
                ]
            )
            prows.append(
                [
                    f"{L}×{s}",
                    "ours: homotopy.track",
                    "default, start X⁺d included",
                    _fmt_t(o["time"]),
                    _fmt_t(o["cold"]),
                    len(o["times"]),
                    _fmt_n(o["steps"]),
                    _fmt_n(o["newton"]),
                    _fmt_n(o["jac"]),
                    "0",
                    f"{o['err']:.1e}",
                    "1 (ref)",
                ]
            )
            for r in e["peers"].values():
                if "skipped" in r:
                    prows.append(
                        [f"{L}×{s}", r["name"], r["label"], f"skipped: {r['skipped']}"] + [""] * 8
                    )
                    continue
                acc = r["ok"] and r["err"] <= TOL
                prows.append(
                    [
                        f"{L}×{s}",
                        r["name"],
                        r["label"],
                        _fmt_t(r["time"]) + ("" if acc else " (missed 1e-10)"),
                        _fmt_t(r["cold"]),
                        len(r["times"]),
                        _fmt_n(r["steps"]),
                        _fmt_n(r["newton"]),
                        _fmt_n(r["jac"]),
                        _fmt_n(r["polish"]),
                        f"{r['err']:.1e}",
                        f"{r['time'] / o['time']:.2f}",
                    ]
                )
        _say(
            "\n"
            + _table(
                [
                    "L×s",
                    "warm track()",
                    "min",
                    "cold",
                    "runs",
                    "steps",
                    "Newton",
                    "Jac",
                    "JVP",
                    "gemm: all thr.",
                    "gemm: 1 thr.",
                    "Jac×t_gemm",
                    "warm÷(Jac×t_gemm)",
                    "X⁺d alone",
                    "‖H(w,1)‖",
                    "status",
                ],
                orows,
                "LARGE PROBLEMS: ours against the Jacobian-flop cost (X ~ N(0,1), d = clip(0.8 "
                "tanh(Xw*/√s) + 0.1 noise), no bias)",
            )
        )
        _say(
            "  warm track() = median of the whole call (Path included, its X⁺d start "
            "included) after a warm-up;\n  gemm = median of numpy's (X * c[:, None]).T @ X, "
            "one Jacobian's L·s² multiply-adds, sampled next to\n  every run of ours with "
            "numpy's BLAS threads and with 1 (threadpoolctl); t_gemm = the faster (a loaded\n  "
            "machine can slow multi-threaded OpenBLAS 10-30×); "
            f"target warm ÷ (Jac × t_gemm) ≤ {FLOP_RATIO:g}.\n  X⁺d alone = np.linalg.lstsq, "
            "for information."
        )
        _say(
            "\n"
            + _table(
                [
                    "L×s",
                    "method",
                    "configuration",
                    "warm",
                    "cold",
                    "runs",
                    "steps",
                    "Newton",
                    "Jac",
                    "polish",
                    "‖H(w,1)‖",
                    "time ÷ ours",
                ],
                prows,
                "LARGE PROBLEMS: PEERS (same problem, same accuracy ‖H(w,1)‖ ≤ 1e-10, from "
                "w0 = X⁺d; blocks of back-to-back runs in 2 rotated rounds)",
            )
        )
        _say(
            "  least_squares lm: steps = residual evaluations (nfev), Jac = analytic Jacobians "
            "of d − tanh(Xw) (L×s)\n  + polish Jacobians (s×s); its time includes the "
            "polish. Peers' time excludes X⁺d (ours includes it).\n  cold = first call "
            "(jaxcont: includes its compile for this shape). A peer whose first run takes "
            f"> {PEER_TIMEOUT_S:.0f} s\n  is skipped; one whose first run takes > "
            f"{PEER_TIMEOUT_S / 3:.0f} s gets one timed run."
        )

    # ---- memory
    if "memory" in sections:
        runs = [(1000, 100, 8, 201)] if quick else [(10_000, 100, 8, 201), (10_000, 100, 8, 2)]
        rows, res["memory"] = [], []
        for B, L, s, mp in runs:
            m = run_memory(B, L, s, mp)
            res["memory"].append(m)
            if "error" in m:
                rows.append([f"{B} × {L}×{s}", mp, "child failed", "", "", "", ""])
                _say(m["error"])
                continue
            rows.append(
                [
                    f"{B} × {L}×{s}",
                    mp,
                    f"{m['peak_bytes'] / 1e6:,.0f} MB",
                    f"{m['base_bytes'] / 1e6:,.0f} MB",
                    f"{(m['peak_bytes'] - m['base_bytes']) / 1e6:,.0f} MB",
                    f"{m['ru_maxrss_bytes'] / 1e6:,.0f} MB",
                    _fmt_t(m["time"]),
                    m["steps_max"],
                    m["counts"],
                ]
            )
        _say(
            "\n"
            + _table(
                [
                    "paths × problem",
                    "max_points",
                    "peak RSS (VmHWM)",
                    "after imports+data",
                    "increase",
                    "ru_maxrss*",
                    "time (cold)",
                    "steps max",
                    "statuses",
                ],
                rows,
                "MEMORY: track_many in a fresh child process (peak resident set)",
            )
        )
        _say(
            "  * ru_maxrss of the child survives exec on Linux: it includes this parent's "
            "resident set at fork time.\n  time (cold) includes compilation."
        )

    # ---- scikit-learn warm starts (scripts/bench_sklearn.py)
    if "sklearn" in sections:
        from bench_sklearn import bench_sklearn

        res["sklearn"] = bench_sklearn(quick=quick, say=_say)

    # ---- curvature searches at the sizes of real data (scripts/bench_geometry.py)
    if "geometry" in sections:
        import bench_geometry

        res["geometry"] = bench_geometry.run(quick=quick, say=_say)

    # ---- summary
    res["loadavg_end"] = _loadavg()
    res["total_time"] = time.perf_counter() - T0
    summary = []
    fastest = min(peer_best.items(), key=lambda kv: kv[1]["time"]) if peer_best else None
    if ours_default is not None and peer_best:
        ratio = fastest[1]["time"] / ours_default["time"]
        summary.append(
            (
                "per-path speed: fastest peer ÷ ours ≥ 10",
                f"{fastest[0]} ({fastest[1]['label']}) {_fmt_t(fastest[1]['time'])} vs "
                f"ours {_fmt_t(ours_default['time'])}: ratio {ratio:.2f}",
                ratio >= 10,
            )
        )
        kt = ours_default.get("kernel_time", float("nan"))
        if math.isfinite(kt):
            summary.append(
                (
                    "  (info) same, ours = compiled kernel only",
                    f"ratio {fastest[1]['time'] / kt:.2f}",
                    None,
                )
            )
        s1 = problems[0][0].shape[1] + 1
        our_j = ours_default["jac"]
        our_eq = our_j + ours_default["jvp"] / s1
        for name, r in peer_best.items():
            if name == "pycont-lite":
                peer_eq = r["jac"] + r["hev"] / s1
                peer_txt = (
                    f"{name} {_fmt_n(r['jac'])} analytic + {_fmt_n(r['hev'])} H evals "
                    f"(FD J·v) = {peer_eq:.1f} Jacobian-equivalents"
                )
            else:
                peer_eq = r["jac"]
                peer_txt = f"{name} {_fmt_n(peer_eq)}"
            txt = (
                f"ours {_fmt_n(our_j)} (+ {_fmt_n(ours_default['jvp'])} JVPs = {our_eq:.1f} "
                f"Jacobian-equivalents) vs {peer_txt}"
            )
            summary.append(
                (f"Jacobian evals/path < {name}", txt, our_j < peer_eq and our_eq < peer_eq)
            )
    if "batch" in sections:
        Bmax = max(res["batch"])
        pps = res["batch"][Bmax]["paths_per_s"]
        summary.append(
            (
                f"batched 3×2, B={Bmax}: ≥ 10⁴ paths/s",
                f"{pps:,.0f} paths/s ({info['backend']})",
                pps >= 1e4,
            )
        )
        if Bmax < 10_000:
            summary[-1] = (summary[-1][0], summary[-1][1] + " [quick run: B < 10⁴]", None)
        if ours_default is not None and peer_best:
            per = res["batch"][Bmax]["per_path"]
            summary.append(
                (
                    "  (info) fastest peer per path ÷ ours batched (amortized per path)",
                    f"{fastest[0]} {_fmt_t(fastest[1]['time'])} vs {_fmt_t(per)} at B={Bmax}: "
                    f"ratio {fastest[1]['time'] / per:.1f}",
                    None,
                )
            )
    if "memory" in sections and res["memory"]:
        m = res["memory"][0]
        ok = m["peak_bytes"] <= MEM_LIMIT_BYTES
        summary.append(
            (
                f"memory, {m['B']} paths of {m['L']}×{m['s']} (max_points "
                f"{m['max_points']}) ≤ 2 GB",
                f"peak RSS {m['peak_bytes'] / 1e6:,.0f} MB",
                ok if m["B"] >= 10_000 else None,
            )
        )
    if res.get("cold_start"):
        firsts = [c["first"] for c in res["cold_start"]]
        summary.append(
            (
                "cold start: first track() of a fresh process, 3×2, cache off, < 3 s",
                f"median {_median(firsts):.2f} s, max {max(firsts):.2f} s over {len(firsts)} "
                f"processes (import homotopy {_median([c['imp'] for c in res['cold_start']]):.2f}"
                " s more)",
                _median(firsts) < 3.0,
            )
        )
    if "cold" in sections and res.get("cold_medians"):
        med = res["cold_medians"]
        ref = med.get("3x2")
        if ref:
            for cond, word in (("off", "cache off"), ("empty", "empty cache")):
                ratios = {k: m[cond]["first"] / ref[cond]["first"] for k, m in med.items()}
                worst = max(ratios.values())
                summary.append(
                    (
                        f"cold, {word}: every shape's first track() ≤ {COLD_RATIO:g}× the 3×2 one",
                        ", ".join(f"{k} {v:.2f}×" for k, v in ratios.items() if k != "3x2")
                        + f" (3×2: {_fmt_t(ref[cond]['first'])})",
                        worst <= COLD_RATIO,
                    )
                )
        sp = {k: m["warm"]["first"] / m["empty"]["first"] for k, m in med.items()}
        summary.append(
            (
                "cold: warm cache much faster than empty (first call ≤ 0.5×, every shape)",
                ", ".join(f"{k} {v:.2f}×" for k, v in sp.items()),
                max(sp.values()) <= 0.5,
            )
        )
        heavy = res["cold"]["heavy"]
        summary.append(
            (
                f"import homotopy loads none of {', '.join(HEAVY_MODULES)}",
                ", ".join(heavy) or "none loaded",
                not heavy,
            )
        )
    if res.get("large"):
        for key, e in res["large"].items():
            o = e["ours"]
            summary.append(
                (
                    f"large {key.replace('x', '×')}: warm track() ≤ {FLOP_RATIO:g}× "
                    "Jacobian-flop cost",
                    f"{_fmt_t(o['time'])} vs {_fmt_n(o['jac'])} × {_fmt_t(e['t_gemm'])} "
                    f"({e['t_gemm_threads']} BLAS thread(s)) = "
                    f"{_fmt_t(o['flop_cost'])}: ratio {o['flop_ratio']:.2f}",
                    o["flop_ratio"] <= FLOP_RATIO and o["ok"] and o["err"] <= TOL,
                )
            )
        big = res["large"].get("20000x200")
        lm = [
            r
            for r in (big or {}).get("peers", {}).values()
            if r["name"] == "least_squares lm" and r.get("ok") and r.get("err", 1) <= TOL
        ]
        if big and lm:
            best = min(lm, key=lambda r: r["time"])
            t_o = big["ours"]["time"]
            summary.append(
                (
                    "large 20000×200: ours faster than least_squares lm",
                    f"ours {_fmt_t(t_o)} vs lm ({best['label']}) {_fmt_t(best['time'])}: "
                    f"lm ÷ ours {best['time'] / t_o:.2f}",
                    t_o < best["time"],
                )
            )
        else:
            summary.append(
                (
                    "large 20000×200: ours faster than least_squares lm",
                    "not measured (lm failed or shape not run)",
                    None,
                )
            )
    if ours_default is not None:
        acc = ours_default["n_accurate"] == ours_default["n"]
        summary.append(
            (
                "accuracy: every endpoint ‖H(w,1)‖ ≤ 1e-10 (ours)",
                f"max {ours_default['err_max']:.1e}",
                acc,
            )
        )
    _say("\n" + "=" * 100)
    _say("SUMMARY")
    for name, txt, ok in summary:
        tag = "INFO" if ok is None else ("PASS" if ok else "MISS")
        _say(f"  [{tag}] {name}: {txt}")
    res["summary"] = [dict(target=n, value=t, passed=o) for n, t, o in summary]
    _say(f"  load average at end: {res['loadavg_end']}; total bench time {res['total_time']:.0f} s")
    _say("=" * 100)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1, default=_json_default)
        _say(f"results written to {args.json}")
    return 0


def _json_default(o):
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


if __name__ == "__main__":
    sys.exit(main())
