"""The single-layer perceptron with the blended activation, y = σ_λ(X W + b)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from .activations import Activation, get_activation


Array = jax.Array


def augment(X: Array, bias: bool) -> Array:
    """[X | 1] when ``bias`` (the bias is the weight of a constant input), else X."""
    if not bias:
        return X
    return jnp.concatenate([X, jnp.ones((X.shape[0], 1), X.dtype)], axis=1)


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class SingleLayerPerceptron:
    """A single-layer network y = σ_λ(X̃ W), X̃ = [X | 1] with a bias, W ∈ R^{s×m}.

    A JAX PyTree: `weights` is the only leaf, so the network passes through ``jit``,
    ``grad`` and ``vmap``. One-dimensional `weights` (shape ``(s,)``) make a single-output
    network whose `forward` returns shape ``(L,)``; two-dimensional ``(s, m)`` give ``(L, m)``.

    **Arguments:**

    - `weights`: ``(n_in [+1], m)`` or ``(n_in [+1],)``; with `bias`, the last row is the bias.
    - `activation`: a name, a JAX-traceable callable or an `Activation`.
    - `bias`: whether a constant input 1 is appended to every pattern.
    """

    weights: Array
    activation: Activation = field(metadata=dict(static=True))
    bias: bool = field(default=False, metadata=dict(static=True))

    @classmethod
    def create(
        cls,
        weights: Array | np.ndarray,
        activation: str | Callable[[Array], Array] | Activation = "tanh",
        *,
        bias: bool = False,
    ) -> SingleLayerPerceptron:
        """Build a network, checking `weights` and resolving `activation`."""
        w = jnp.asarray(weights, dtype=jnp.float64)
        if w.ndim not in (1, 2):
            raise ValueError(f"weights: expected shape (s,) or (s, m), got {w.shape}")
        return cls(w, get_activation(activation), bool(bias))

    @property
    def n_inputs(self) -> int:
        """Number of input features (not counting the bias input)."""
        return self.weights.shape[0] - int(self.bias)

    @property
    def n_outputs(self) -> int:
        """Number of outputs m."""
        return 1 if self.weights.ndim == 1 else self.weights.shape[1]

    def preactivation(self, X: Array) -> Array:
        """z = X̃ W, the input of the activation."""
        X = jnp.asarray(X, dtype=self.weights.dtype)
        if X.ndim != 2 or X.shape[1] != self.n_inputs:
            raise ValueError(f"X: expected shape (L, {self.n_inputs}), got {X.shape}")
        return augment(X, self.bias) @ self.weights

    def forward(self, X: Array, lam: Array | float) -> Array:
        """y = σ_λ(X̃ W): the network's output on every pattern at blend λ."""
        return self.activation.blend(self.preactivation(X), lam)

    __call__ = forward

    def with_weights(self, weights: Array) -> SingleLayerPerceptron:
        """The same architecture with other weights (reshaped to this network's shape)."""
        return SingleLayerPerceptron(
            jnp.reshape(weights, self.weights.shape), self.activation, self.bias
        )
