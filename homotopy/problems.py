"""Homotopy systems H(w, λ) = 0 for the tracker.

`NaturalHomotopy` is Coetzee & Stonick's natural homotopy of a single-layer perceptron.
Any object with a method ``H(w, lam) -> (n,)`` (``w`` of shape ``(n,)``, ``lam`` a scalar)
is a problem the tracker accepts; it may add ``jacobian(w, lam) -> (n, n + 1)`` and
``start() -> (n,)`` (`homotopy.protocol`), and the data-manifold hooks for the geometry
(`homotopy.manifold`). `FunctionHomotopy` wraps a plain function into such an object.

`linear_start` is the λ = 0 start X̃⁺D with its rank check, for one problem or a stack.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ._checks import check_array as _check_matrix, check_bool, check_real_dtype
from ._linalg import serial_lapack
from .activations import Activation, get_activation, interval_activation
from .certification import IntervalData
from .network import SingleLayerPerceptron, augment
from .protocol import check_lam_range, jacobian_of as jacobian_of


Array = jax.Array
OBJECTIVES = ("least_squares", "interpolation")


class RankError(ValueError):
    """`linear_start`'s error: rank X̃ < s. `rank`, `s` and `index` (the first bad problem of
    a stack, ``None`` for one problem) say which."""

    def __init__(self, message: str, rank: int, s: int, index: tuple[int, ...] | None) -> None:
        super().__init__(message)
        self.rank = rank
        self.s = s
        self.index = index


def linear_start(design: Any, D: Any) -> np.ndarray:
    """w₀ = X̃⁺D, the λ = 0 least-squares weights, flattened row-major per problem: ``(..., s·m)``.

    `design` ``(..., L, s)`` (X̃, with the bias column if any) and targets `D` ``(..., L, m)``
    (a 1-D d as ``(L, 1)``); leading axes stack problems and broadcast against each other. One
    SVD per X̃ gives the rank (numpy's ``matrix_rank`` tolerance σ_max·max(L, s)·ε) and the
    pseudo-inverse. numpy, on the host.

    **Raises:** `RankError` (a `ValueError` naming `X`) when rank X̃ < s, for a stack naming
    the first bad problem; `ValueError` naming `X` when X̃⁺D overflows float64, `design` or
    `D` for mis-shaped input.
    """
    X = np.asarray(design, dtype=np.float64)
    Dm = np.asarray(D, dtype=np.float64)
    if X.ndim < 2:
        raise ValueError(f"design: expected shape (..., L, s), got {X.shape}")
    if Dm.ndim < 2 or Dm.shape[-2] != X.shape[-2]:
        raise ValueError(f"D: expected shape (..., L = {X.shape[-2]}, m), got {Dm.shape}")
    if X.ndim == 2 and Dm.ndim == 2 and X.shape[0] * X.shape[1] ** 2 >= GRAM_START_FLOPS:
        W = _gram_start(X, Dm)
        if W is not None:
            return W.reshape(-1)
    # one SVD for both the rank and the pseudo-inverse: this runs on every track(); BLAS
    # single-threaded, as OpenBLAS threads spinning against XLA's made it 0.1–0.3 s on 2 cores
    with serial_lapack(None):
        U, sv, Vt = np.linalg.svd(X, full_matrices=False)
    # ε·max(L, s) first: σ_max·max(L, s) overflows for entries near 1e308
    tol = sv.max(axis=-1, initial=0.0) * (max(X.shape[-2:]) * np.finfo(X.dtype).eps)
    rank = np.sum(sv > tol[..., None], axis=-1)
    s = X.shape[-1]
    if np.any(rank < s):
        if X.ndim == 2:
            index, r, where = None, int(rank), ""
        else:
            index = tuple(int(i) for i in np.argwhere(rank < s)[0])
            r = int(rank[index])
            where = f"problem {index[0] if len(index) == 1 else index} has "
        raise RankError(
            f"X: {where}rank {r} < s = {s}; the linear (λ = 0) solution X⁺d is not unique. "
            "Remove dependent columns or add patterns.",
            r,
            s,
            index,
        )
    # an overflow is refused below by name, not left to numpy's warning and an inf start
    with np.errstate(over="ignore", invalid="ignore"):
        if X.ndim == 2 and Dm.ndim == 2:  # one problem, on every track(): the plain products
            W = Vt.T @ ((U.T @ Dm) / sv[:, None])
        else:
            W = np.swapaxes(Vt, -1, -2) @ ((np.swapaxes(U, -1, -2) @ Dm) / sv[..., :, None])
    _check_finite_start(W)
    return W.reshape(-1) if W.ndim == 2 else W.reshape(W.shape[:-2] + (-1,))


def _check_finite_start(W: np.ndarray) -> None:
    """A ValueError naming `X` when X̃⁺D overflows float64 (e.g. X ~ 1e-301 with d ~ 1e300:
    weights ~ 1e600), for a stack naming the first such problem."""
    bad = ~np.isfinite(W).all(axis=(-2, -1))
    if np.any(bad):
        index = tuple(int(i) for i in np.argwhere(bad)[0]) if W.ndim > 2 else ()
        where = f"problem {index[0] if len(index) == 1 else index}: " if index else ""
        raise ValueError(
            f"X: {where}the linear (λ = 0) solution X⁺d overflows float64 (weights beyond "
            "1.8e308): rescale X or d"
        )


#: the row counts `NaturalHomotopy.bucketed` pads to: 8, 12, 16, 24, 32, 48, … (2ᵏ and 1.5·2ᵏ,
#: so padding costs at most a third more rows)
def bucket_rows(L: int) -> int:
    """The smallest 2ᵏ or 3·2ᵏ⁻¹ that is ≥ max(L, 8)."""
    b = 8
    while b < L:
        b = b * 3 // 2 if b & (b - 1) == 0 else b * 4 // 3
    return b


#: largest padded X̃ (rows × columns) that `NaturalHomotopy.bucketed` pads to: beyond it a
#: compile (seconds) is small beside the work padding would add to every call
BUCKET_MAX_ENTRIES = 2**18

#: L·s² from which `linear_start` solves a single problem through X̃ᵀX̃ (one symmetric product
#: and an s × s eigendecomposition) instead of the SVD of X̃ (~2× the product's flops and
#: much slower in practice: 0.16 s against 0.02 s at 20000 × 200)
GRAM_START_FLOPS = 10**7
#: cond(X̃)² below which the Gram route is used: its eigenvalues are then far from the
#: rank tolerance (errors ~ s·ε·μ_max ≪ μ_min), and up to three refinements restore full
#: accuracy
GRAM_START_COND2 = 1e10


def _gram_start(X: np.ndarray, D: np.ndarray) -> np.ndarray | None:
    """X̃⁺D by the corrected semi-normal equations (Björck): W = G⁻¹X̃ᵀD with G = X̃ᵀX̃, then
    W += G⁻¹X̃ᵀ(D − X̃W) until the correction is at rounding level. ``None`` when G is too
    ill-conditioned to decide the rank from it (the caller then takes the SVD)."""
    G = X.T @ X
    mu, V = np.linalg.eigh(G)
    if not (mu[0] > 0 and mu[-1] <= GRAM_START_COND2 * mu[0]):
        return None

    def solve(B: np.ndarray) -> np.ndarray:
        return V @ ((V.T @ B) / mu[:, None])

    with np.errstate(over="ignore", invalid="ignore"):  # an overflow: refused by the caller
        W = solve(X.T @ D)
        for _ in range(3):
            dW = solve(X.T @ (D - X @ W))
            W = W + dW
            if np.max(np.abs(dW)) <= 4 * np.finfo(float).eps * max(np.max(np.abs(W)), 1e-300):
                break
    _check_finite_start(W)
    return W


#: entries of X̃ from which the Jacobian and H use the forms that suit large matrices (these
#: are static shapes, so the choice is made once per compilation)
LARGE_DESIGN = 2**14


def _block_rows(a1: Array, design: Array) -> Array:
    """J = diag(σ_λ'(Z)) X̃ in each output block: J[(i, j), (b, k)] = a1_ij X̃_ib δ_jk."""
    eye = jnp.eye(a1.shape[-1], dtype=a1.dtype)
    J = jnp.einsum("ij,ib,jk->ijbk", a1, design, eye)
    return J.reshape(a1.size, design.shape[-1] * a1.shape[-1])


def _block_gram(design: Array, C: Array) -> Array:
    """Σ_i X̃_ia C_ij X̃_ib δ_jk: X̃ᵀ diag(C_{:, j}) X̃ in output block j, ``(s·m, s·m)``.

    With C = ν ∘ σ_λ''(Z) the second fundamental form II_ν; with C = σ_λ'² − σ_λ''∘R the
    Hessian ∇²E_λ. One matrix product per output (L·s² multiply-adds each): this is the
    Jacobian's whole cost on a large problem.
    """
    s, m = design.shape[-1], C.shape[-1]
    eye = jnp.eye(m, dtype=C.dtype)
    if design.size < LARGE_DESIGN:
        # small (and batched under vmap): XLA fuses this into element-wise code
        return jnp.einsum("ia,ij,ib,jk->ajbk", design, C, design, eye).reshape(s * m, s * m)
    if m == 1:
        # contracted over the rows of both: XLA:CPU's fastest form of this product (1.4 ms
        # against 2.3 ms for (X̃∘C)ᵀX̃ at 10000 × 50; numpy's BLAS: 1.4 ms)
        return jnp.einsum("ia,ib->ab", design * C, design)
    blocks = jnp.einsum("ia,ij,ib->jab", design, C, design)
    return jnp.einsum("jab,jk->ajbk", blocks, eye).reshape(s * m, s * m)


def _transpose_product(design: Array, V: Array) -> Array:
    """X̃ᵀV; for a large X̃ as (VᵀX̃)ᵀ: XLA:CPU reads a row-major X̃ along its rows this way,
    where X̃ᵀV makes a transposed copy of X̃ first (as costly as the product, at every H
    evaluation). Small (and batched) problems keep X̃ᵀV, which vmaps into faster code
    (3 × 2, B = 10⁴: 24,600 against 18,700 paths/s)."""
    if design.size < LARGE_DESIGN:
        return design.T @ V
    return (V.T @ design).T


def check_nonempty(X: np.ndarray, d: np.ndarray, outputs: bool) -> None:
    """A ValueError naming `X` or `d` when there are no patterns, inputs or outputs (the last
    axes of X ``(..., L, n_in)``, and of d where `outputs` says its last axis is m): such a
    problem has no equations or no unknowns, and its path would be a SUCCESS with empty
    weights."""
    if X.shape[-2] == 0:
        raise ValueError(f"X: has no patterns (rows), shape {X.shape}; need at least one")
    if X.shape[-1] == 0:
        raise ValueError(f"X: has no inputs (columns), shape {X.shape}; need at least one")
    if outputs and d.shape[-1] == 0:
        raise ValueError(f"d: has no outputs (columns), shape {d.shape}; need at least one")


class LeastSquaresFit:
    """The data checks, immutability, sizes, residual and error of a network fit to targets
    `d` (a mixin: the class gives inputs `X`, targets `d` and ``embedding(w, lam)``, the
    network's outputs flattened row-major)."""

    X: Array
    d: Array

    #: the λ interval of the natural homotopies (the `homotopy.protocol` hook): σ_λ blends
    #: the identity (λ = 0) into σ (λ = 1); past 1 it is no longer monotone (σ_λ' = 1 − λ(1 −
    #: σ') < 0 in σ's tails), so the folds a path shows there are not the network's
    lam_range: tuple[float, float] = (0.0, 1.0)

    @staticmethod
    def _checked_data(X: Any, d: Any) -> tuple[np.ndarray, np.ndarray]:
        """X ``(L, n_in)`` and d ``(L,)`` or ``(L, m)`` as finite, real, nonempty float64
        arrays, or a ValueError naming the bad one."""
        Xa = _check_matrix("X", X, (2,))
        da = _check_matrix("d", d, (1, 2))
        check_nonempty(Xa, da, outputs=da.ndim == 2)
        if da.shape[0] != Xa.shape[0]:
            raise ValueError(
                f"d: has {da.shape[0]} targets but X has {Xa.shape[0]} patterns (rows)"
            )
        return Xa, da

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    @property
    def n_patterns(self) -> int:
        """L, the number of training patterns (the dimension of the ambient space R^L)."""
        return self.X.shape[-2]

    @property
    def n_outputs(self) -> int:
        """m, the number of outputs."""
        # d has one axis fewer than X for a single output, also for a vmap-stacked problem
        return 1 if self.d.ndim < self.X.ndim else self.d.shape[-1]

    @property
    def targets(self) -> Array:
        """d flattened like `embedding`, ``(L·m,)`` (the `homotopy.manifold` hook)."""
        return self.d.reshape(-1)

    def with_targets(self, d: Any) -> Any:
        """The same network fitted to targets `d` (of d's shape; traceable, unchecked: the
        target homotopies of `homotopy.stationary` call it inside ``jit``)."""
        (X, _), aux = self._tree_flatten()  # type: ignore[attr-defined]
        return type(self)._tree_unflatten(aux, (X, d))  # type: ignore[attr-defined]

    def residual(self, w: Array, lam: Array | float) -> Array:
        """r = d − φ_λ(w) (flattened like `embedding`)."""
        return self.targets - self.embedding(w, lam)  # type: ignore[attr-defined]

    def error(self, w: Array, lam: Array | float) -> Array:
        """E_λ(w) = ½‖d − φ_λ(w)‖²."""
        r = self.residual(w, lam)
        return 0.5 * jnp.dot(r, r)


class NaturalHomotopy(LeastSquaresFit):
    r"""The natural homotopy of a single-layer perceptron (Coetzee & Stonick 1996).

    Network output over the training set $\phi_\lambda(w) = \sigma_\lambda(\tilde X W)$ with
    $\sigma_\lambda(t) = (1-\lambda)t + \lambda\sigma(t)$ and residual $r = d - \phi_\lambda(w)$.

    - ``objective="least_squares"``: $H(w, \lambda) = \nabla_w E_\lambda = -J^T r$ with
      $J = \operatorname{diag}(\sigma_\lambda'(\tilde X w))\tilde X$; at λ = 0 the normal
      equations, whose unique solution is $w_0 = \tilde X^+ d$ when rank X̃ = s.
    - ``objective="interpolation"`` (L = s, X̃ invertible): $H(w, \lambda) = \phi_\lambda(w) - d$.

    Weights are the flattened ``(s, m)`` matrix W (row-major), so ``w`` has ``n = s·m``
    entries; with a 1-D `d` (the usual case) m = 1 and ``w`` is simply the weight vector.
    A JAX PyTree (leaves `X`, `d`), so it passes through ``jit`` and ``vmap``.

    **Arguments:**

    - `X`: ``(L, n_in)`` input patterns as rows.
    - `d`: ``(L,)`` targets, or ``(L, m)`` for m outputs.
    - `activation`: ``"tanh"`` (default), ``"logistic"``, ``"arctan"``, ``"erf"``,
      ``"softsign"``, or a JAX-traceable scalar callable.
    - `objective`: ``"least_squares"`` (default) or ``"interpolation"``.
    - `bias`: append a constant input 1 (so s = n_in + 1); a bool.

    `lam_range` = (0, 1): `track` refuses a λ span outside it.

    **Raises:** `ValueError` naming the argument for non-finite, complex, empty or mis-shaped
    `X`/`d`, an unknown or non-elementwise `activation`, an unknown `objective`, a `bias`
    that is not a bool, or interpolation with L ≠ s.
    """

    X: Array
    d: Array
    activation: Activation
    objective: str
    bias: bool

    def __init__(
        self,
        X: Any,
        d: Any,
        activation: str | Callable[[Array], Array] | Activation = "tanh",
        objective: str = "least_squares",
        *,
        bias: bool = False,
    ) -> None:
        Xa, da = self._checked_data(X, d)
        bias = check_bool("bias", bias)
        if not isinstance(objective, str) or objective not in OBJECTIVES:
            raise ValueError(f"objective: expected one of {OBJECTIVES}, got {objective!r}")
        s = Xa.shape[1] + int(bias)
        if objective == "interpolation" and Xa.shape[0] != s:
            raise ValueError(
                f"X: the interpolation objective needs a square system, L = s, "
                f"but L = {Xa.shape[0]} and s = {s}"
            )
        # device_put, not jnp.asarray: the latter compiles a copy for every new shape (16 ms)
        self._set(
            jax.device_put(Xa), jax.device_put(da), get_activation(activation), objective, bias
        )

    def _set(self, X: Array, d: Array, activation: Activation, objective: str, bias: bool):
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "d", d)
        object.__setattr__(self, "activation", activation)
        object.__setattr__(self, "objective", objective)
        object.__setattr__(self, "bias", bool(bias))

    def __repr__(self) -> str:
        return (
            f"NaturalHomotopy(L={self.n_patterns}, s={self.n_features}, m={self.n_outputs}, "
            f"activation={self.activation.name!r}, objective={self.objective!r}, "
            f"bias={self.bias})"
        )

    # -- PyTree: unflattening bypasses validation so tracers and batched leaves pass.
    def _tree_flatten(self):
        return (self.X, self.d), (self.activation, self.objective, self.bias)

    @classmethod
    def _tree_unflatten(cls, aux, leaves):
        return cls._unchecked(leaves[0], leaves[1], *aux)

    @classmethod
    def _unchecked(cls, X, d, activation, objective, bias) -> NaturalHomotopy:
        """A problem from its parts without validation (tracers, stacked or padded leaves)."""
        obj = object.__new__(cls)
        obj._set(X, d, activation, objective, bias)
        return obj

    # -- sizes
    @property
    def n_features(self) -> int:
        """s, the number of weights per output (inputs plus the bias input)."""
        return self.X.shape[-1] + int(self.bias)

    @property
    def n_unknowns(self) -> int:
        """n = s·m, the length of the flat weight vector w."""
        return self.n_features * self.n_outputs

    @property
    def design(self) -> Array:
        """X̃ = [X | 1] with a bias, else X: the matrix the weights multiply."""
        return augment(self.X, self.bias)

    def _targets(self) -> Array:
        return self.d.reshape(self.d.shape[0], -1)

    def _W(self, w: Array) -> Array:
        return jnp.reshape(w, (self.n_features, self.n_outputs))

    def network(self, w: Array) -> SingleLayerPerceptron:
        """The perceptron with flat weights `w`."""
        shape = (self.n_features,) if self.d.ndim == 1 else (self.n_features, self.n_outputs)
        return SingleLayerPerceptron(jnp.reshape(w, shape), self.activation, self.bias)

    # -- the network and its derivatives over the training set
    def preactivation(self, w: Array) -> Array:
        """Z = X̃ W, shape ``(L, m)``."""
        return self.design @ self._W(w)

    def embedding(self, w: Array, lam: Array | float) -> Array:
        """φ_λ(w) = σ_λ(X̃ w) ∈ R^{L·m}, the point of the data manifold (flattened)."""
        return self.network(w).forward(self.X, lam).reshape(-1)

    def embedding_jacobian(self, w: Array, lam: Array | float) -> Array:
        """J = ∂φ_λ/∂w = diag(σ_λ'(Z)) X̃ per output, shape ``(L·m, s·m)``."""
        return _block_rows(self.activation.blend_d1(self.preactivation(w), lam), self.design)

    def second_fundamental_form(self, w: Array, lam: Array | float, normal: Array) -> Array:
        """II_ν = X̃ᵀ diag(ν ∘ σ_λ''(X̃w)) X̃ per output block, the raw contraction
        Σ_i ν_i ∂²φ_i/∂w² (linear in ν, no projection), ``(s·m, s·m)``."""
        a2 = self.activation.blend_d2(self.preactivation(w), lam)
        return _block_gram(self.design, a2 * jnp.reshape(normal, a2.shape))

    def embedding_second_derivative(self, w: Array, lam: Array | float, y: Array) -> Array:
        """∂²φ_λ[y, y] = σ_λ''(X̃W) ∘ (X̃Y)² (Y the ``(s, m)`` matrix of y), flattened."""
        a2 = self.activation.blend_d2(self.preactivation(w), lam)
        XY = self.design @ self._W(y)
        return (a2 * XY * XY).reshape(-1)

    def ridge_derivatives(self, w: Array, lam: Array | float) -> tuple[Array, Array]:
        """(σ_λ'(X̃W), σ_λ''(X̃W)) flattened: each φ_m = σ_λ(a_mᵀw) is a ridge function, a_m
        the m-th row of the block design (`homotopy.manifold`)."""
        Z = self.preactivation(w)
        return (
            self.activation.blend_d1(Z, lam).reshape(-1),
            self.activation.blend_d2(Z, lam).reshape(-1),
        )

    # -- the homotopy map
    def H(self, w: Array, lam: Array | float) -> Array:
        """H(w, λ): −Jᵀr (least squares) or φ_λ(w) − d (interpolation)."""
        Z = self.preactivation(w)
        R = self._targets() - self.activation.blend(Z, lam)
        if self.objective == "interpolation":
            return -R.reshape(-1)
        a1 = self.activation.blend_d1(Z, lam)
        return -_transpose_product(self.design, a1 * R).reshape(-1)

    def H_w(self, w: Array, lam: Array | float) -> Array:
        """∂H/∂w: X̃ᵀdiag(σ_λ'² − σ_λ''r)X̃ per output (least squares; the Hessian ∇²E_λ)
        or diag(σ_λ')X̃ (interpolation)."""
        act = self.activation
        Z = self.preactivation(w)
        a1 = act.blend_d1(Z, lam)
        if self.objective == "interpolation":
            return _block_rows(a1, self.design)
        R = self._targets() - act.blend(Z, lam)
        return _block_gram(self.design, a1 * a1 - act.blend_d2(Z, lam) * R)

    def H_lam(self, w: Array, lam: Array | float) -> Array:
        """∂H/∂λ: −X̃ᵀ((σ' − 1)∘r − σ_λ'∘(σ − t)) (least squares) or σ(Z) − Z (interpolation)."""
        act = self.activation
        Z = self.preactivation(w)
        if self.objective == "interpolation":
            return act.blend_dlam(Z).reshape(-1)
        R = self._targets() - act.blend(Z, lam)
        a1 = act.blend_d1(Z, lam)
        g = act.blend_d1_dlam(Z) * R - a1 * act.blend_dlam(Z)
        return -_transpose_product(self.design, g).reshape(-1)

    def jacobian(self, w: Array, lam: Array | float) -> Array:
        """[H_w | H_λ], the ``(n, n + 1)`` Jacobian of H in u = (w, λ)."""
        return jnp.concatenate([self.H_w(w, lam), self.H_lam(w, lam)[:, None]], axis=1)

    def prepared(self) -> NaturalHomotopy:
        """The same problem with the bias column already in X (the `homotopy.protocol`
        hook): traced once per compiled call, so that the loop does not copy X into
        X̃ = [X | 1] at every evaluation of H."""
        if not self.bias:
            return self
        return self._unchecked(self.design, self.d, self.activation, self.objective, False)

    def bucketed(self) -> NaturalHomotopy:
        """The same least-squares problem with L padded up to `bucket_rows` (L): zero rows of
        X̃ (the bias input included) and zero targets, which add exactly 0 to every sum in
        H, H_w and H_λ (each term carries a factor X̃_ia = 0). Problems whose L falls in one
        bucket share one compiled tracker. Interpolation (L equations) and problems past
        `BUCKET_MAX_ENTRIES` are returned as they are.

        Not padded: the columns (s). A padded unknown would need an equation of its own
        (H_j = w_j), whose identity block enters the tracker's norms of H_w and H_w⁻¹ (its
        vanishing- and singular-Jacobian tests), so that would not be exact.
        """
        cached = self.__dict__.get("_bucketed")
        if cached is not None:  # track() asks for it at every call
            return cached
        L, s = self.X.shape[-2], self.n_features
        Lb = bucket_rows(L)
        if self.objective != "least_squares" or Lb * s > BUCKET_MAX_ENTRIES:
            return self
        if self.X.ndim != 2:
            return self  # a stacked problem (under vmap) is padded by its builder, not here
        X = np.zeros((Lb, s))
        X[:L, : self.X.shape[-1]] = np.asarray(self.X)
        if self.bias:
            X[:L, -1] = 1.0
        d = np.zeros((Lb,) + tuple(self.d.shape[1:]))
        d[:L] = np.asarray(self.d)
        obj = self._unchecked(
            jax.device_put(X), jax.device_put(d), self.activation, self.objective, False
        )
        # kept beside the (immutable) problem: not a leaf, so jit and vmap never see it
        object.__setattr__(self, "_bucketed", obj)
        return obj

    def interval_data(self) -> IntervalData:
        """The single-layer network Y = σ_λ(X̃W) (X̃, D, σ, objective) as `homotopy.certify`
        encloses it (the `homotopy.protocol` hook)."""
        X = np.asarray(self.X, np.float64)
        if self.bias:
            X = np.concatenate([X, np.ones((X.shape[0], 1))], axis=1)
        return IntervalData(
            "single_layer", X, np.asarray(self.d, np.float64),
            interval_activation(self.activation), self.objective,
        )  # fmt: skip

    def start(self) -> np.ndarray:
        """The λ = 0 solution: w₀ = X̃⁺d (the unique linear least-squares / interpolation weights).

        **Raises:** `ValueError` when rank X̃ < s (the linear solution is not unique).
        """
        X = np.asarray(self.X)
        if self.bias:
            X = np.concatenate([X, np.ones((X.shape[0], 1))], axis=1)
        return linear_start(X, np.asarray(self.d).reshape(X.shape[0], -1))


jax.tree_util.register_pytree_node(
    NaturalHomotopy, NaturalHomotopy._tree_flatten, NaturalHomotopy._tree_unflatten
)


class FunctionHomotopy:
    """A user-defined system from a function ``H(w, lam, args) -> (n,)``.

    `args` is any PyTree of arrays (a leaf of the problem, so changing it does not recompile);
    `H` is static (compared by identity). `jacobian`, if given, has the same signature and
    returns ``(n, n + 1)``; otherwise the tracker differentiates `H` with ``jax.jacfwd``.

    **Arguments:**

    - `H`: the homotopy map.
    - `start`: the solution at the start of ``lam_span`` (optional; `track` may be given one).
    - `args`: parameters passed through to `H`.
    - `jacobian`: optional ``[H_w | H_λ]``.
    - `lam_range`: optional ``(lo, hi)``, the λ interval where `H` is defined (`track`
      refuses a span outside it); default: any λ.

    `track` checks `H` and `jacobian` once per shape at its start, abstractly
    (``jax.eval_shape``): a map that JAX cannot trace or of the wrong shape is a
    `ValueError` naming it.
    """

    def __init__(
        self,
        H: Callable[[Array, Array, Any], Array],
        *,
        start: Any = None,
        args: Any = None,
        jacobian: Callable[[Array, Array, Any], Array] | None = None,
        lam_range: tuple[float, float] | None = None,
    ) -> None:
        if not callable(H):
            raise ValueError("H: must be callable as H(w, lam, args)")
        if jacobian is not None and not callable(jacobian):
            raise ValueError("jacobian: must be callable as jacobian(w, lam, args)")
        self._fn = H
        self._jac = jacobian
        self.args = args
        if start is not None:
            check_real_dtype("start", np.asarray(start))  # not cast: a cast drops imaginary parts
        self._start = None if start is None else np.asarray(start, dtype=np.float64)
        self.lam_range = None if lam_range is None else check_lam_range(lam_range, "lam_range")

    def H(self, w: Array, lam: Array | float) -> Array:
        """H(w, λ) = the user's function."""
        return self._fn(w, lam, self.args)

    def jacobian(self, w: Array, lam: Array | float) -> Array:
        """[H_w | H_λ], the user's or by forward-mode autodiff."""
        if self._jac is not None:
            return self._jac(w, lam, self.args)
        return jacobian_of(self._fn_closed, w, lam)

    def _fn_closed(self, w: Array, lam: Array) -> Array:
        return self._fn(w, lam, self.args)

    def start(self) -> np.ndarray:
        """The start solution given at construction."""
        if self._start is None:
            raise ValueError("start: this FunctionHomotopy has no start; pass start= to track")
        return self._start


def _fh_flatten(p: FunctionHomotopy):
    start = None if p._start is None else tuple(p._start.tolist())
    return (p.args,), (p._fn, p._jac, start, p.lam_range)


def _fh_unflatten(aux, leaves):
    obj = object.__new__(FunctionHomotopy)
    obj._fn, obj._jac, start, obj.lam_range = aux
    obj._start = None if start is None else np.asarray(start, dtype=np.float64)
    obj.args = leaves[0]
    return obj


jax.tree_util.register_pytree_node(FunctionHomotopy, _fh_flatten, _fh_unflatten)
