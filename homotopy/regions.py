"""Regions of weight space (box, ball, samples) that `homotopy.geometry` and
`homotopy.curvature_bound` search or bound (their own module, so that neither imports the other)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Box:
    """An axis-aligned box of weight space, ``lo ≤ w ≤ hi`` (each ``(n,)``)."""

    lo: np.ndarray
    hi: np.ndarray


@dataclass(frozen=True)
class Samples:
    """A region given by sample weights ``(N, n)``; local searches stay in their bounding box."""

    points: np.ndarray


@dataclass(frozen=True)
class Ball:
    """A Euclidean ball of weight space, ``‖w − center‖ ≤ radius`` (`center` ``(n,)``)."""

    center: np.ndarray
    radius: float
