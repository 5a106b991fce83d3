"""The unit tangent of the solution curve: the oriented kernel vector of H_u = [H_w | H_λ],
from a bordered solve (exactly, from a Jacobian) or refined by Jacobian-vector products from a
nearby factored Jacobian. Shared by the predictors (RK4's tangent field), the correctors and
the event locator."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from ._linalg import Factored, solve
from .protocol import System


Array = jax.Array

#: target relative accuracy of a tangent refined by JVPs. The stop rests on an estimated
#: rate; after a single JVP that estimate (‖Δv₁‖/‖v‖) can be low by about the step length, so
#: the accuracy reached is within 10·TANGENT_TOL (tests/test_correctors.py)
TANGENT_TOL = 1e-13
#: JVPs before the refinement gives up (the caller then takes a new Jacobian)
TANGENT_ITERATIONS = 4
#: ... or as soon as one iteration contracts by less than this
TANGENT_RATE = 0.1


def bordered(system: System, J: Array, row: Array) -> Factored:
    """The factored bordered matrix [J; rowᵀ]."""
    return system.factor(jnp.concatenate([J, row[None, :]], axis=0))


def tangent(system: System, J: Array, t_ref: Array) -> tuple[Array, Array, Array]:
    """Unit kernel vector t of J with t·t_ref > 0, and (sign, log|det|) of [J; t_refᵀ].

    [J; t_refᵀ] v = e_last gives J v = 0 and t_ref·v = 1 > 0, so v/‖v‖ is oriented; and
    sign det[J; tᵀ] = sign det[J; t_refᵀ] whenever t·t_ref > 0.
    """
    f = bordered(system, J, t_ref)
    v = solve(f, jnp.zeros(J.shape[1], J.dtype).at[-1].set(1.0))
    return v / jnp.linalg.norm(v), f.sign, f.logdet


def refined_tangent(
    system: System, u: Array, f: Factored, max_it: int = TANGENT_ITERATIONS
) -> tuple[Array, Array, Any]:
    """Unit kernel vector t of H_u(u), oriented by t_ref, from f = the factored [J; t_refᵀ] of
    a nearby J ≈ H_u(u) (simplified Newton's Jacobian, taken at the prediction).

    v₀ = f⁻¹e_last is the kernel vector of J; the iteration v ← v − f⁻¹[H_u(u)·v; 0] (its
    fixed point solves [H_u(u); t_refᵀ] v = e_last) converges at the rate ‖f⁻¹(H_u(u) − J)‖,
    i.e. linearly in the distance from J's point to u. H_u(u)·v is a Jacobian-vector product
    (forward-mode AD of H, about the cost of one H): no Jacobian at u is formed.
    Returns (t, JVPs used, converged); when converged, (sign, log|det|) of f stand for
    [H_u(u); tᵀ].
    """
    n1 = u.shape[0]
    v0 = solve(f, jnp.zeros(n1, u.dtype).at[-1].set(1.0))
    # linearized once: every product below reuses H's intermediate values at u (for a
    # network, X̃w and σ_λ'(X̃w): one pass over X̃ fewer per product)
    _, H_u = jax.linearize(system.H, u)

    def cond(c):
        v, k, prev, done, slow = c
        return ~done & ~slow & (k < max_it)

    def body(c):
        v, k, prev, _, _ = c
        r = H_u(v)
        dv = solve(f, jnp.concatenate([r, jnp.zeros(1, u.dtype)]))
        v = v - dv
        nrm, vn = jnp.linalg.norm(dv), jnp.linalg.norm(v)
        # remaining error ≈ rate·‖Δv‖; the rate is ‖Δv₁‖/‖v‖ a priori, then ‖Δv_k‖/‖Δv_{k−1}‖
        rate = jnp.where(k > 0, nrm / jnp.maximum(prev, 1e-300), nrm / vn)
        # a small rate also certifies sign det[H_u(u); tᵀ] = sign det f (their ratio is
        # det(I + f⁻¹ΔJ) with ‖f⁻¹ΔJ‖ ≈ rate); a large one gives up
        slow = ~(rate <= TANGENT_RATE) | ~jnp.isfinite(nrm)
        return v, k + 1, nrm, ~slow & (rate * nrm <= TANGENT_TOL * vn), slow

    init = (v0, jnp.int32(0), jnp.zeros((), u.dtype), jnp.bool_(False), jnp.bool_(False))
    v, k, _, done, _ = jax.lax.while_loop(cond, body, init)
    return v / jnp.linalg.norm(v), k, done
