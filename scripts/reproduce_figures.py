"""Write every figure of the package into one folder.

    python scripts/reproduce_figures.py [--out figures] [--n 40] [--format png]

Figures: the data manifold of the fold example bending from a plane (λ = 0) into the sigmoidal
surface, curvature and uniqueness along its path, one target with three projections, the path
diagram, and Colah's pictures of a tanh layer (regular vs singular W, plus an animated GIF).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

import homotopy as h
from homotopy import datasets, layers, plotting


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="figures", help="output folder (created if missing)")
    parser.add_argument("--n", type=int, default=40, help="grid size of the surfaces")
    parser.add_argument("--format", default="png", choices=["png", "svg", "pdf"])
    parser.add_argument("--no-gif", action="store_true", help="skip the layer animation")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    t0 = time.perf_counter()
    fold = datasets.fold().problem()
    path = h.track(fold)
    lo, hi = sorted(e.lam for e in path.turning_points)
    figures = {
        "fold-data-manifold": lambda: plotting.data_manifold(
            fold, lams=(0.0, 0.5, 0.95, 1.0), path=path, n=args.n
        ),
        "fold-curvature-along-path": lambda: plotting.curvature_along_path(fold, path),
        "fold-several-projections": lambda: plotting.several_projections(
            fold, 0.5 * (lo + hi), path=path, n=args.n
        ),
        "fold-path-diagram": lambda: plotting.path_diagram(path),
        "layer-homeomorphism-comparison": lambda: plotting.homeomorphism_comparison(
            layers.EXAMPLE_W_REGULAR, layers.EXAMPLE_W_SINGULAR, layers.EXAMPLE_B
        ),
        "layer-deformation-circles": lambda: plotting.layer_deformation(
            layers.EXAMPLE_W_REGULAR, layers.EXAMPLE_B, data="circles"
        ),
    }
    for name, make in figures.items():
        file = os.path.join(args.out, f"{name}.{args.format}")
        plotting.save_figure(make(), file, dpi=120)
        print(f"wrote {file}")
    if not args.no_gif:
        file = os.path.join(args.out, "layer-animation.gif")
        plotting.layer_animation(layers.EXAMPLE_W_REGULAR, layers.EXAMPLE_B, path=file)
        print(f"wrote {file}")
    print(f"done in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")  # matplotlib's 3-D shading divides by zero on flat faces
    sys.exit(main())
