#!/usr/bin/env python
"""Benchmark `homotopy.track` / `homotopy.track_many` against peer continuation methods.

One run, the same problems and the same endpoint accuracy (‖H(w, 1)‖₂ ≤ 1e-10) for every
method:

- ours: `homotopy.track` (default options, plus a sweep of predictor/corrector options);
- (a) natural-parameter continuation, `scipy.optimize.root` (MINPACK hybrj) at each λ;
- (b) `scipy.integrate.solve_ivp` on the Davidenko equation dw/dλ = −H_w⁻¹H_λ;
- (c) PyCont-Lite pseudo-arclength continuation (`pycont.arclengthContinuation`).

Peers get fast numpy versions of H, H_w, H_λ (checked equal to homotopy's to 1e-13); a peer
whose endpoint misses 1e-10 is polished by Newton steps at λ = 1 that are counted in its
stats. Then batch throughput of `track_many`, scaling with s and L, and the peak memory of
tracking 10⁴ paths of a 100×8 problem (measured in a child process).

    python scripts/bench.py --quick          # smoke run, 40-80 s on 2 cores
    python scripts/bench.py --json out.json  # full run (2.5-6 min on 2 cores)

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
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np


TOL = 1e-10  # endpoint accuracy every method must meet: ‖H(w, 1)‖₂ ≤ TOL
TWIN_TOL = 1e-13  # numpy twin vs homotopy's H, H_w, H_λ (relative to max(1, max|ref|))
MEM_LIMIT_BYTES = 2e9  # the 2 GB memory target (decimal: 2·10⁹ bytes)


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
}


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
        r.update(jac=tw.nJ, hev=tw.nH, err=tw.residual(r["w_end"]))
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


_COLD_CHILD = """
import time
t0 = time.perf_counter()
import numpy as np
import homotopy as h
t1 = time.perf_counter()
p = h.NaturalHomotopy(np.array([[1.0, 0.3], [0.2, 1.0], [0.5, -0.4]]), np.array([0.3, -0.2, 0.5]))
t2 = time.perf_counter()
path = h.track(p)
t3 = time.perf_counter()
h.track(p)
t4 = time.perf_counter()
print(t1 - t0, t3 - t2, t4 - t3, path.status.value)
"""


def run_cold(repeats: int) -> list[dict]:
    """The first `track` call of a fresh process on a 3×2 problem (trace + XLA compile +
    run), `repeats` fresh processes; also the import time and the second (warm) call."""
    out = []
    for _ in range(repeats):
        r = subprocess.run(
            [sys.executable, "-c", _COLD_CHILD], capture_output=True, text=True, timeout=300
        )
        imp, first, second, status = r.stdout.split()
        out.append(dict(imp=float(imp), first=float(first), second=float(second), status=status))
    return out


# ---------------------------------------------------------------------------------------------
# Main


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
        homotopy=_version("homotopy"),
        git=_git_rev(),
        devices=[str(dv) for dv in jax.devices()],
        backend=jax.default_backend(),
        loadavg_start=_loadavg(),
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes for a smoke run (< 2 min)")
    ap.add_argument("--json", metavar="FILE", help="also write all results to FILE")
    ap.add_argument("--repeats", type=int, default=None, help="warm runs per timing (≥ 5)")
    ap.add_argument(
        "--sections",
        default="cold,peers,options,batch,scaling,memory",
        help="comma-separated subset of: cold,peers,options,batch,scaling,memory",
    )
    ap.add_argument("--_memory-child", nargs=4, type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._memory_child:
        memory_child(*args._memory_child)
        return 0

    import jax

    import homotopy as h

    quick = args.quick
    R = max(5, args.repeats or 5)
    sections = set(args.sections.split(","))
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
        f"scipy {info['scipy']}, pycont-lite {info['pycont_lite']}, homotopy "
        f"{info['homotopy']} (git {info['git']})"
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
        cold = run_cold(3 if quick else 5)
        res["cold_start"] = cold
        _say(
            "\n"
            + _table(
                ["run", "import homotopy", "first track() (trace+compile+run)", "second", "status"],
                [
                    [i + 1, _fmt_t(c["imp"]), _fmt_t(c["first"]), _fmt_t(c["second"]), c["status"]]
                    for i, c in enumerate(cold)
                ],
                "COLD START: a fresh Python process, 3×2 tanh least squares, default options",
            )
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
            "cold = first call (ours: includes XLA compilation; peers: includes\n  "
            "importing scipy/pycont). min = median over problems of the fastest warm run."
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
                    _fmt_t(peer_best.get("natural+root", {}).get("time", float("nan"))),
                    _fmt_t(peer_best.get("davidenko", {}).get("time", float("nan"))),
                    _fmt_t(peer_best.get("pycont-lite", {}).get("time", float("nan"))),
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
                prow += ["(skipped)" if quick else "no smooth path"] + [""] * 6
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
                    "natural+root",
                    "davidenko",
                    "pycont-lite",
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
                "cold start: first track() of a fresh process, 3×2, < 3 s",
                f"median {_median(firsts):.2f} s, max {max(firsts):.2f} s over {len(firsts)} "
                f"processes (import homotopy {_median([c['imp'] for c in res['cold_start']]):.2f}"
                " s more)",
                _median(firsts) < 3.0,
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
