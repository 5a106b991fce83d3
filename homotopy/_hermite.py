"""The cubic Hermite curve through two points and their tangents: one kernel for the
Hermite predictor (extrapolation, τ > 1), `Path.at` (interpolation, 0 ≤ τ ≤ 1) and the
refined path samples of `plotting`.

Plain arithmetic on its arguments, so it serves numpy arrays on the host and JAX arrays under
``jit`` alike, and broadcasts (τ of any shape against points of shape ``(..., n)``).
"""

from __future__ import annotations

from typing import Any


def hermite_basis(tau: Any) -> tuple[Any, Any, Any, Any]:
    """(h₀₀, h₁₀, h₀₁, h₁₁)(τ) = (2τ³ − 3τ² + 1, τ³ − 2τ² + τ, −2τ³ + 3τ², τ³ − τ²)."""
    return (
        2 * tau**3 - 3 * tau**2 + 1,
        tau**3 - 2 * tau**2 + tau,
        -2 * tau**3 + 3 * tau**2,
        tau**3 - tau**2,
    )


def hermite(u0: Any, v0: Any, u1: Any, v1: Any, dt: Any, tau: Any) -> Any:
    """p(τ) = h₀₀u₀ + h₁₀·dt·v₀ + h₀₁u₁ + h₁₁·dt·v₁: p(0) = u₀, p(1) = u₁, p'(0)/dt = v₀,
    p'(1)/dt = v₁ (`dt`: the parameter spacing of the two points)."""
    h00, h10, h01, h11 = hermite_basis(tau)
    return h00 * u0 + h10 * dt * v0 + h01 * u1 + h11 * dt * v1
