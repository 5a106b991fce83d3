"""The ``homotopy`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np


def _summary(name: str, problem, path) -> str:
    import jax.numpy as jnp

    lines = [f"{name}: {problem!r}", f"  status   {path.status.value}: {path.message}"]
    st = path.stats
    lines.append(
        f"  steps    {st['steps']} accepted, {st['rejected_steps']} rejected, "
        f"{st['newton_iterations']} Newton iterations, {st['jacobian_evaluations']} Jacobians"
    )
    for e in path.events:
        lines.append(f"  event    {e.kind} at λ = {e.lam:.12f}, s = {e.s:.6f}")
    if path.w_end is not None:
        w = path.w_end
        res = float(np.linalg.norm(problem.H(jnp.asarray(w), 1.0)))
        err = float(problem.error(jnp.asarray(w), 1.0))
        lines.append(f"  w(λ=1)   {np.array2string(w, precision=12)}")
        lines.append(f"  ‖H‖ = {res:.2e}, error E₁(w) = {err:.12g}")
    return "\n".join(lines)


def _demo(args: argparse.Namespace) -> int:
    from . import datasets, track

    for name in ("smooth", "fold", "divergent"):
        ds = datasets.load(name)
        problem = ds.problem()
        path = track(problem)
        print(_summary(f"[{name}] {ds.description}", problem, path))
        print()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``homotopy`` command; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="homotopy",
        description="Natural-homotopy continuation: from the linear network to the sigmoidal one.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="trace the built-in examples and print a summary")
    demo.set_defaults(func=_demo)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
