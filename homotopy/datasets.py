"""Built-in example problems, each small enough to trace in well under a second."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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

    def problem(self, activation: str = "tanh") -> NaturalHomotopy:
        """The natural homotopy of this data set."""
        return NaturalHomotopy(self.X, self.d, activation, self.objective, bias=self.bias)


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


def load(name: str) -> Dataset:
    """A built-in data set by name.

    **Raises:** `ValueError` naming `name` if unknown."""
    try:
        return DATASETS[name]()
    except KeyError:
        raise ValueError(
            f"name: unknown data set {name!r}; choose from {sorted(DATASETS)}"
        ) from None


DATASETS = {"fold": fold, "smooth": smooth, "divergent": divergent}
