"""Built-in example problems, each small enough to trace in well under a second.

Each constructor's docstring states the property the example shows (tests/test_datasets.py
checks it by tracking): `fold` (a fold pair), `smooth` (no events), `divergent` (weights run
to infinity), `xor`, `colah_1d` and `spirals` (sets one tanh unit cannot fit, and what the
homotopy does with them). `load(name)` builds one by name with its defaults.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .mlp import MLPHomotopy
from .problems import NaturalHomotopy


@dataclass(frozen=True)
class Dataset:
    """Inputs `X` (L, n_in), targets `d` (L,) and how to build the homotopy for them."""

    name: str
    description: str
    X: np.ndarray
    d: np.ndarray
    objective: str = "least_squares"
    bias: bool = False
    hidden: int | None = None  # the hidden units it is meant for (None: a single layer)

    def problem(self, activation: str = "tanh", hidden: int | None = None) -> Any:
        """The natural homotopy of this data set: a `NaturalHomotopy`, or with `hidden`
        units (default: the data set's own `hidden`, if any) an `MLPHomotopy`."""
        h = self.hidden if hidden is None else hidden
        if h is None:
            return NaturalHomotopy(self.X, self.d, activation, self.objective, bias=self.bias)
        if self.objective != "least_squares":
            raise ValueError("hidden: a hidden-layer network needs the least-squares objective")
        return MLPHomotopy(self.X, self.d, h, activation, bias=self.bias)


def fold() -> Dataset:
    """3×2 least squares whose target sits far off the plane col X along its normal: the
    tanh path folds twice in λ (turning points near λ ≈ 0.966 and λ ≈ 0.931)."""
    return Dataset(
        "fold",
        "3×2 least squares, target far off the plane: a fold pair before λ = 1",
        np.array([[-1.094, -0.603], [0.943, 0.719], [0.227, 1.162]]),
        np.array([0.616, 0.343, 0.64]),
    )


def smooth() -> Dataset:
    """3×2 least squares with a target near the plane: a smooth path straight to λ = 1."""
    return Dataset(
        "smooth",
        "3×2 least squares, target near the plane: a smooth path to λ = 1",
        np.array([[1.0, 0.2], [0.3, 1.0], [1.0, 1.0]]),
        np.array([0.4, 0.3, 0.5]),
    )


def divergent() -> Dataset:
    """2×2 interpolation with a target outside tanh's range (−1, 1): the weights run to
    infinity as λ → 1."""
    return Dataset(
        "divergent",
        "2×2 interpolation, |d₁| > 1: the weights run to infinity as λ → 1",
        np.array([[1.0, 0.5], [-0.3, 1.0]]),
        np.array([1.3, -0.2]),
        objective="interpolation",
    )


def _check_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name}: expected an integer ≥ {minimum}, got {value!r}")
    return int(value)


def _check_target(target: object) -> float:
    try:
        t = float(target)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"target: expected a positive float, got {target!r}") from None
    if not (math.isfinite(t) and t > 0.0):
        raise ValueError(f"target: expected a positive float, got {target!r}")
    return t


def xor(target: float = 1.0) -> Dataset:
    """XOR with a bias input: X = the four corners of {0, 1}², targets d = ±`target`
    (−, +, +, −), least squares with ``bias=True`` (L = 4, s = 3).

    **What the path shows.** X̃ᵀd = 0 and σ_λ(0) = 0, so w = 0 solves H(w, λ) = 0 for every
    λ: the linear start X̃⁺d is 0 and the path stays at w = 0 all the way to λ = 1 (SUCCESS,
    no events; the Hessian there is X̃ᵀX̃ > 0, a nondegenerate local minimum). The network
    answers 0 to every pattern, error E₁ = 2·target² (2 for ±1, 1.62 for ±0.9): a single
    tanh unit cannot represent XOR, and the homotopy does not pretend otherwise. (The weights
    do not run to infinity, not even for ±1 targets: w = 0 is a regular critical point of E_λ
    all along.)
    """
    t = _check_target(target)
    return Dataset(
        "xor",
        f"XOR with bias, targets ±{t:g}: the path stays at w = 0 (a tanh unit cannot do XOR)",
        np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]),
        t * np.array([-1.0, 1.0, 1.0, -1.0]),
        bias=True,
    )


def colah_1d(n: int = 20) -> Dataset:
    """Colah's 1-D example: class A = [−1/3, 1/3] (target +0.9) against class
    B = [−1, −2/3] ∪ [2/3, 1] (target −0.9); one input x with a bias (L = 3n, s = 2).

    `n` evenly spaced points in A and `n` in each half of B. A teaching set: a single
    tanh unit σ(ax + b) is monotone in x, so it cannot put the middle interval on one side
    and both outer ones on the other. The data are symmetric under x ↦ −x, so the slope a
    is 0 at λ = 0 and stays 0 along the whole (smooth, event-free) path: the network ends as
    the constant σ(b) = mean(d) = −0.3, error E₁ = ½(n·1.2² + 2n·0.6²) = 1.08·n.
    """
    n = _check_int("n", n, 1)
    a = np.linspace(-1.0 / 3.0, 1.0 / 3.0, n)
    b = np.concatenate([np.linspace(-1.0, -2.0 / 3.0, n), np.linspace(2.0 / 3.0, 1.0, n)])
    return Dataset(
        "colah_1d",
        "Colah's 1-D example, A = [−1/3, 1/3] vs B = [−1, −2/3] ∪ [2/3, 1]: "
        "not separable by one tanh unit",
        np.concatenate([a, b])[:, None],
        np.concatenate([np.full(n, 0.9), np.full(2 * n, -0.9)]),
        bias=True,
    )


def spirals(n: int = 50, noise: float = 0.0, seed: int = 0, turns: float = 1.75) -> Dataset:
    """Two interleaved spirals in the plane, `n` points each, targets +0.9 / −0.9, with a
    bias input (L = 2n, s = 3).

    Spiral one is z(t) = r(t)(cos t, sin t) with r = t/(2π·turns), t ∈ (0, 2π·turns] (spaced
    so that the points are roughly evenly spread along the curve); spiral two is −z(t).
    Gaussian noise of standard deviation `noise` is added to every coordinate (reproducible:
    `seed` seeds ``numpy.random.default_rng``). Without noise the set is point-symmetric
    (x ↦ −x swaps the classes), so the bias weight is 0 along the whole path. The path is
    smooth to λ = 1 (SUCCESS, no events), but a single tanh unit only draws one line through
    the spirals: it classifies about two thirds of the points correctly (64 % for the
    defaults) and its error stays near the constant predictor's ½·L·0.81 (87 % of it).
    """
    n = _check_int("n", n, 2)
    try:
        noise = float(noise)
        turns = float(turns)
    except (TypeError, ValueError):
        raise ValueError("noise, turns: expected floats") from None
    if not (math.isfinite(noise) and noise >= 0.0):
        raise ValueError(f"noise: expected a float ≥ 0, got {noise!r}")
    if not (math.isfinite(turns) and turns > 0.0):
        raise ValueError(f"turns: expected a positive float, got {turns!r}")
    t = np.sqrt(np.linspace(0.0, 1.0, n + 1)[1:]) * (2.0 * np.pi * turns)
    r = t / (2.0 * np.pi * turns)
    z = np.column_stack([r * np.cos(t), r * np.sin(t)])
    X = np.concatenate([z, -z])
    if noise > 0.0:
        X = X + noise * np.random.default_rng(seed).standard_normal(X.shape)
    return Dataset(
        "spirals",
        f"two interleaved spirals, {n} points each (noise {noise:g}): one tanh unit draws one line",
        X,
        np.concatenate([np.full(n, 0.9), np.full(n, -0.9)]),
        bias=True,
    )


def hidden_pair() -> Dataset:
    """10×2 least squares for a network with 2 tanh hidden units (no biases): at λ = 0 the
    linear network's solutions form a 4-dimensional manifold, and three branches (up to the
    units' symmetries) leave it from the critical points of the reduced function g
    (`MLPHomotopy.starts`). The two with the lowest g, which the plain search
    (``desingularized=False``) finds alone, run to infinite weights, one after folding twice
    near λ ≈ 0.96; the third (g ≈ −0.0203) reaches λ = 1 without events, at a saddle of E₁
    (index 2, E ≈ 0.541, worse than the single layer's 0.247). As a single-layer problem the
    same data trace smoothly to λ = 1."""
    X = np.array(
        [[-0.622, -0.01], [0.001, 0.057], [2.183, -0.284], [-0.292, -0.458], [1.036, -0.413],
         [-0.088, 0.881], [0.761, -0.975], [1.815, 0.277], [0.951, 0.331], [1.716, -0.348]]
    )  # fmt: skip
    d = np.array([0.794, 0.036, -0.613, 0.302, -1.022, 0.827, -0.522, -0.867, -0.584, -0.878])
    return Dataset(
        "hidden_pair",
        "10×2, for 2 hidden units: three branches leave the linear network, two diverge",
        X,
        d,
        hidden=2,
    )


def pitchfork() -> Dataset:
    """4×2 least squares symmetric under swapping the two inputs (rows come in mirrored
    pairs with equal targets): the path from X⁺d stays on the symmetric line w₁ = w₂ and
    meets a symmetry-breaking pitchfork near λ ≈ 0.8824, where `homotopy.switch_branch`
    starts the two mirror-image branches (both run to infinite weights before λ = 1). With
    one hidden unit (``problem(hidden=1)``, no biases) the branch leaving the degenerate
    start meets a pitchfork too, near λ ≈ 0.831."""
    return Dataset(
        "pitchfork",
        "4×2 least squares symmetric in the inputs: a pitchfork on the symmetric path",
        np.array([[3.764, -1.586], [-0.688, 2.867], [-1.586, 3.764], [2.867, -0.688]]),
        np.array([-0.454, 1.959, -0.454, 1.959]),
    )


def load(name: str) -> Dataset:
    """A built-in data set by name.

    **Raises:** `ValueError` naming `name` if unknown."""
    try:
        return DATASETS[name]()
    except KeyError:
        raise ValueError(
            f"name: unknown data set {name!r}; choose from {sorted(DATASETS)}"
        ) from None


DATASETS = {
    "fold": fold,
    "smooth": smooth,
    "divergent": divergent,
    "xor": xor,
    "colah_1d": colah_1d,
    "spirals": spirals,
    "hidden_pair": hidden_pair,
    "pitchfork": pitchfork,
}
"""Name → constructor (called with its defaults by `load`)."""
