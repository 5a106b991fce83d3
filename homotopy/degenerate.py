r"""Branches that leave a degenerate start: a manifold of solutions at λ₀ (Lyapunov–Schmidt).

When the solutions of H(·, λ₀) = 0 near w* form a manifold M₀ of dimension k ≥ 1 (for a
network with a hidden layer at λ = 0: every factorization of the linear weights), H_w(w*, λ₀)
is singular with kernel T_{w*}M₀ (basis K, n × k) and the start is a bifurcation point of
high order: the path from it is not unique. For a gradient system H = ∇_w E (H_w symmetric)
with M₀ a nondegenerate critical manifold (Morse–Bott), the branches into λ > λ₀ leave from
the critical points of the reduced function g = ∂E/∂λ restricted to M₀, and only from them.

At such a point, write the branch as u(λ) = u* + (λ − λ₀) q + O((λ − λ₀)²) with
q = (p + Kα, 1) and p = −H_w⁺H_λ (the solution of H_w p = −H_λ normal to M₀). The second
order solvability condition Kᵀ D²H[q, q] = 0 is linear in α, because E is constant on M₀
(so Kᵀ D²H[Kα, Kα] = 0):

    M α = −½ Kᵀ D²H[q₀, q₀],     M_ij = K_iᵀ D²H[q₀, (K_j, 0)],     q₀ = (p, 1).

M is symmetric: it is the Hessian of the reduced function on M₀ in the basis K, and along the
branch Kᵀ H_w K ≈ (λ − λ₀) M. So the branch exists (locally unique) when M is nonsingular,
and its critical points of E_λ have M's inertia in the directions of M₀ for small λ − λ₀.

`branch_tangent` computes (q, M); `lift` follows the branch to a regular point at
λ₁ = λ₀ + δ by Newton's method from the first-order prediction, where an ordinary tracker
takes over. Host-side numpy around JAX derivatives (second derivatives by JVPs of JVPs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .correctors import correct_at
from .protocol import join_problem, second_derivative, split_problem, system as system_of


Array = jax.Array

#: default λ₁ − λ₀ of the lifted point: small enough that the first-order prediction lies in
#: Newton's basin (its error is O(δ²) against H_w's smallest eigenvalues O(δ)), large enough
#: that H_w(λ₁) is far from singular in float64
LIFT_DELTA = 1e-3
#: M's condition number above which a start is reported as degenerate
DEGENERATE_COND = 1e8


@dataclass(frozen=True)
class BranchStart:
    """A start on a degenerate solution manifold M₀ at λ₀ from which one branch leaves.

    - `w`, `lam`: the point w* ∈ M₀ and λ₀ (its H(w*, λ₀) = 0, H_w singular there).
    - `tangent`: the branch's unit tangent (dw/ds, dλ/ds) at (w*, λ₀), dλ/ds > 0.
    - `reduced_value`: g(w*) = ∂E/∂λ at (w*, λ₀), the first-order change of E along M₀.
    - `reduced_hessian`: the eigenvalues of M (the Hessian of g on M₀), ascending; `index` is
      the number of negative ones (0: for small λ − λ₀ the branch is a local minimum of E_λ).
    - `lifted_w`, `lifted_lam`: the branch's point at λ₁ = λ₀ + δ, a regular point where
      `track` starts its loop (the path it returns begins at (w*, λ₀)).
    - `dimension`: dim M₀.
    """

    w: np.ndarray = field(repr=False)
    lam: float
    tangent: np.ndarray = field(repr=False)
    reduced_value: float
    reduced_hessian: np.ndarray = field(repr=False)
    index: int
    lifted_w: np.ndarray = field(repr=False)
    lifted_lam: float
    dimension: int

    def __repr__(self) -> str:
        return (
            f"BranchStart(lam={self.lam:g}, reduced_value={self.reduced_value:.10g}, "
            f"index={self.index}, dimension={self.dimension}, lifted_lam={self.lifted_lam:g})"
        )


def _u(w: np.ndarray, lam: float) -> Array:
    return jnp.asarray(np.append(np.asarray(w, np.float64), lam))


def _hw_h(dyn, static, u):
    sys = system_of(join_problem(dyn, static))
    return sys.J(u)[:, :-1], sys.H(u)


_hw_h_jit = jax.jit(_hw_h, static_argnames=("static",))


def _second_order(dyn, static, u, q0, E):
    """D²H[q₀, E_j] for every column of E, and D²H[q₀, q₀]."""
    H = system_of(join_problem(dyn, static)).H

    def col(e):
        return second_derivative(H, u, q0, e)

    return jax.vmap(col, in_axes=1, out_axes=1)(E), second_derivative(H, u, q0, q0)


_second_order_jit = jax.jit(_second_order, static_argnames=("static",))


def _jacobian(dyn, static, u):
    return system_of(join_problem(dyn, static)).J(u)


_jacobian_jit = jax.jit(_jacobian, static_argnames=("static",))


def branch_tangent(problem: Any, w: Any, lam: float, K: Any) -> tuple[np.ndarray, np.ndarray]:
    """(q, M) at a start w* of a degenerate λ₀ with kernel basis K of H_w (n × k, orthonormal):
    the unnormalized branch direction q = (p + Kα, 1) and the symmetric k × k matrix M
    (module docstring). Meaningful where Kᵀ H_λ = 0 (w* is a critical point of g on M₀)."""
    dyn, static = split_problem(problem)
    u = _u(w, lam)
    K = np.asarray(K, np.float64)
    n, k = K.shape
    J = np.asarray(_jacobian_jit(dyn, static, u))
    Hw, Hl = J[:, :-1], J[:, -1]
    # p ⟂ K: the least-squares solution of H_w p = −H_λ with the kernel projected out
    P = np.eye(n) - K @ K.T
    p = P @ np.linalg.lstsq(Hw, -Hl, rcond=None)[0]
    q0 = jnp.asarray(np.append(p, 1.0))
    E = jnp.asarray(np.vstack([K, np.zeros((1, k))]))  # (n + 1, k): the kernel in u-space
    D, D00 = _second_order_jit(dyn, static, u, q0, E)
    M = K.T @ np.asarray(D)
    M = 0.5 * (M + M.T)
    b = -0.5 * K.T @ np.asarray(D00)
    alpha = np.linalg.lstsq(M, b, rcond=None)[0]
    q = np.append(p + K @ alpha, 1.0)
    return q, M


def lift(
    problem: Any,
    w: Any,
    lam: float,
    q: np.ndarray,
    delta: float = LIFT_DELTA,
    *,
    tol: float = 1e-12,
) -> tuple[np.ndarray, float] | None:
    """The branch's point at λ₀ + δ: Newton at fixed λ from w* + δ·q_w (`correct_at`, which
    iterates while its updates shrink: along M₀ H_w's eigenvalues are O(δ), so the updates
    stall at ε·cond(H_w) rather than reach a fixed tolerance), accepted when the residual is
    at rounding level, ‖H‖ ≤ tol·(1 + ‖w‖)·(1 + ‖H_w‖), within δ·‖q_w‖/2 of the prediction
    (still this branch); else ``None``."""
    dyn, static = split_problem(problem)
    lam1 = float(lam) + float(delta)
    pred = np.asarray(w, np.float64) + delta * np.asarray(q[:-1])
    x = correct_at(problem, pred, lam1, tol=tol)
    if not np.all(np.isfinite(x)):
        return None
    Hw, Hx = (np.asarray(a) for a in _hw_h_jit(dyn, static, _u(x, lam1)))
    scale = (1.0 + np.linalg.norm(x)) * (1.0 + np.linalg.norm(Hw))
    if np.linalg.norm(Hx) > 1e-2 * tol * scale:
        return None
    if np.linalg.norm(x - pred) > 0.5 * delta * np.linalg.norm(q[:-1]) + 1e-12:
        return None
    return x, lam1


def branch_start(
    problem: Any,
    w: Any,
    lam: float,
    K: Any,
    *,
    reduced_value: float = float("nan"),
    delta: float = LIFT_DELTA,
) -> tuple[BranchStart | None, str]:
    """The `BranchStart` at a critical point w* of the reduced function (kernel basis K of
    H_w there), or (None, why not): M singular (a degenerate critical point: no unique
    branch), or no lifted point found at λ₀ + δ for δ = `delta`, δ/10, δ/100."""
    K = np.asarray(K, np.float64)
    q, M = branch_tangent(problem, w, lam, K)
    ev = np.linalg.eigvalsh(M) if M.size else np.zeros(0)
    scale = max(float(np.max(np.abs(ev))) if ev.size else 0.0, 1e-300)
    if ev.size and float(np.min(np.abs(ev))) <= scale / DEGENERATE_COND:
        return None, (
            f"the reduced function's Hessian on M₀ is singular there (eigenvalues "
            f"{ev.min():.3g} … {ev.max():.3g}): a degenerate critical point, no unique branch"
        )
    lifted = None
    for dlt in (delta, delta / 10, delta / 100):
        lifted = lift(problem, w, lam, q, dlt)
        if lifted is not None:
            break
    if lifted is None:
        return None, "Newton found no point of the branch at λ₀ + δ (δ = 1e-3 … 1e-5)"
    t = q / np.linalg.norm(q)
    return (
        BranchStart(
            w=np.asarray(w, np.float64),
            lam=float(lam),
            tangent=t,
            reduced_value=float(reduced_value),
            reduced_hessian=ev,
            index=int(np.sum(ev < 0)),
            lifted_w=lifted[0],
            lifted_lam=lifted[1],
            dimension=int(K.shape[1]),
        ),
        "",
    )
