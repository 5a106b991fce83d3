"""A/B benchmark of two source trees of homotopy, measured side by side in one run.

    python scripts/bench_ab.py OLD_TREE NEW_TREE [--rounds 3] [--quick]

Each round runs one fresh child process per tree (``PYTHONPATH=TREE``), alternating A, B, A,
B, …, so that a changing machine load hits both alike. A child compiles first, then times
warm calls with the results fetched to the host:

- per path: `track` on twelve 3×2 natural-homotopy problems (median over repeats per
  problem, then the median over problems), and on four 100×8 ones;
- batched: `track_many` throughput on B = 10⁴ paths of 3×2 (``max_points=2``) and on
  B = 256 paths of 100×8.

Prints each tree's median over rounds and, per row, B's time over A's (for throughputs: A's
paths/s over B's), so > 1 always means B is slower. Used for
issue 10 (the tracker redesign must not change these numbers beyond noise).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys


CHILD = r"""
import json, sys, time
import numpy as np
import homotopy as h

quick = sys.argv[1] == "1"
rng = np.random.default_rng(0)

def problems(L, s, k):
    out = []
    while len(out) < k:
        X = rng.normal(size=(L, s))
        d = np.tanh(X @ rng.normal(size=s)) * 0.9 + 0.05 * rng.normal(size=L)
        p = h.NaturalHomotopy(X, d)
        if h.track(p).success:
            out.append(p)
    return out

def per_path(ps, repeats):
    meds = []
    for p in ps:
        h.track(p)
        ts = []
        for _ in range(repeats):
            t0 = time.perf_counter(); h.track(p); ts.append(time.perf_counter() - t0)
        meds.append(sorted(ts)[len(ts) // 2])
    return float(np.median(meds))

def batched(L, s, B, repeats, **kw):
    X = rng.normal(size=(B, L, s))
    d = np.clip(np.tanh(np.einsum("bls,bs->bl", X, rng.normal(size=(B, s)))), -0.9, 0.9)
    h.track_many(X, d, **kw)
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter(); h.track_many(X, d, **kw); ts.append(time.perf_counter() - t0)
    return B / min(ts)

out = {}
out["track 3x2 (s/path)"] = per_path(problems(3, 2, 4 if quick else 12), 10 if quick else 30)
out["track 100x8 (s/path)"] = per_path(problems(100, 8, 2 if quick else 4), 5 if quick else 15)
B = 1000 if quick else 10000
out["track_many 3x2 B=1e4 (paths/s)"] = batched(3, 2, B, 2 if quick else 3, max_points=2)
out["track_many 100x8 B=256 (paths/s)"] = batched(100, 8, 64 if quick else 256, 2 if quick else 3)
print(json.dumps(out))
"""


def run_child(tree: str, quick: bool) -> dict:
    env = dict(os.environ, PYTHONPATH=os.path.abspath(tree))
    out = subprocess.run(
        [sys.executable, "-c", CHILD, "1" if quick else "0"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=os.path.abspath(tree),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    import jax

    print(f"# {platform.platform()}, {os.cpu_count()} CPUs, jax {jax.__version__}")
    res: dict[str, list[dict]] = {"A": [], "B": []}
    for r in range(args.rounds):
        order = ("A", "B") if r % 2 == 0 else ("B", "A")
        for which in order:
            res[which].append(run_child(args.old if which == "A" else args.new, args.quick))
    rows = list(res["A"][0])
    print(f"A = {args.old}\nB = {args.new}\n({args.rounds} rounds, median over rounds)\n")
    print(f"| {'measure':34s} | {'A':>10s} | {'B':>10s} | B÷A (time) | rounds A | rounds B |")
    print(f"|{'-' * 36}|{'-' * 12}|{'-' * 12}|------------|----------|----------|")
    for k in rows:
        a = [x[k] for x in res["A"]]
        b = [x[k] for x in res["B"]]
        ma, mb = statistics.median(a), statistics.median(b)

        def fmt(v, k=k):
            return f"{v * 1e6:.0f} µs" if "s/path" in k else f"{v:,.0f}"

        spread = lambda xs, f=fmt: "/".join(f(x) for x in xs)  # noqa: E731
        ratio = mb / ma if "s/path" in k else ma / mb
        print(
            f"| {k:34s} | {fmt(ma):>10s} | {fmt(mb):>10s} | {ratio:10.2f} | {spread(a)} "
            f"| {spread(b)} |"
        )


if __name__ == "__main__":
    main()
