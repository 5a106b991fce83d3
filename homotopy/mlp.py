r"""The natural homotopy of a one-hidden-layer perceptron (Coetzee & Stonick, Neural
Computation 7(4), 1995).

The hidden node function is deformed from linear to sigmoidal: with $A = \tilde X W$,

$$ Y_\lambda(\theta) = \sigma_\lambda(A)\,V + \mathbf 1 c^T, \qquad
   E_\lambda(\theta) = \tfrac12 \|D - Y_\lambda(\theta)\|_F^2, \qquad
   H(\theta, \lambda) = \nabla_\theta E_\lambda, $$

θ = (vec W, vec V, c) with W ∈ R^{s̃×h} (s̃ = inputs + bias), V ∈ R^{h×m}, c ∈ R^m (the output
bias, optional). With ``output="activation"`` the output node is blended too:
Y = σ_λ(σ_λ(A)V + 1cᵀ).

**The degenerate start.** At λ = 0 the network is linear, Y = X̂β(θ) with β = WV (plus c in
the bias row), so E₀ is minimal on the whole manifold M₀ = {θ : β(θ) = β* = X̂⁺D} of
dimension n − ŝm (every factorization of the linear weights), and ∇²E₀ = C'ᵀ(X̂ᵀX̂ ⊗ I)C' there
(the residual term vanishes: r₀ ⟂ col X̂), singular exactly on T M₀ = ker C'. The linear
network is a bifurcation point of high order: the branches into λ > 0 leave from the
critical points of the reduced function g = ∂E_λ/∂λ|₀ on M₀ (`homotopy.degenerate`), and
`starts` finds them by Newton on the Lagrange system {∇g = C'ᵀμ, C = 0} from random points of
M₀.

**Critical points at infinity.** On M₀, g = −Σ_j Ψ(w_j)·v_j + const with Ψ(w) = R₀ᵀσ(X̃w)
(R₀ = D − X̂β*, the linear residual), and the Lagrange equations of unit j are
v_j-multiples: (∂Ψ(w_j)ᵀ + μ) v_jᵀ = 0 and Ψ(w_j) + μᵀw_j = 0. Every point with saturated
units (‖w_j‖ → ∞) and vanishing output weights (v_j → 0, g → 0) is therefore a near-root, and
so are collapsing pairs (w_j → w_k, v_j = −v_k → ∞) and linear units (w_j → 0, v_j → ∞). On
real data with h ≥ 2 (diabetes, 10 inputs) the plain Levenberg–Marquardt and the Riemannian
Newton iterations run off there from every random point (16/16 and 16/16), although finite,
nondegenerate critical points exist. ``start_search`` therefore runs a third iteration first
(``desingularized=True``, the default; ``False`` gives the plain two): LM on the system with
unit j's input-weight rows divided by ‖v_j‖ (and g replaced by ḡ = −tr(R₀ᵀσ(X̃W)V), equal
to g on M₀ up to a constant, whose gradient has no term from the residual's change off M₀):
the same roots with every v_j ≠ 0, and none of the spurious ones at v_j → 0. Its success
rate from random points is low (a few % for diabetes with h = 2, none found for h = 3), so a
search needs many points.

**Redundant outputs.** When the targets satisfy D u = const·1 for some u ≠ 0 (one-vs-rest
codes of K ≥ 3 classes: every row sums to the same number), R₀u = 0 and β*_in u = 0, and for
h ≥ m every point of M₀ (V of rank m) has a t ≠ 0 with W_in t = 0 in col V: along the line
V → V + s·t uᵀ (c adjusted) M₀ is kept and g is constant, so every critical point of g is
degenerate and no branch start exists (iris, 3 classes, h = 3, 4). Fit the coordinates D P
in an orthonormal basis P of u⊥ instead (`homotopy.sklearn.HomotopyClassifier` does).

**Symmetries.** E_λ is invariant under permutations of the hidden units and, for an odd σ
(tanh, arctan, erf, softsign), under flipping a unit's sign (w_j, v_j) → (−w_j, −v_j):
`canonical` and `same_orbit` compare weights up to them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ._checks import check_bool, check_int
from .activations import Activation, get_activation, interval_activation
from .certification import IntervalData
from .correctors import COMPILER_OPTIONS
from .degenerate import BranchStart, branch_start
from .network import augment
from .problems import LeastSquaresFit, linear_start
from .protocol import jacobian_of


Array = jax.Array
OUTPUTS = ("linear", "activation")

#: |odd part error| below which σ is treated as odd (sign flips are symmetries)
_ODD_TOL = 1e-12
#: critical points of g within this (relative) distance, up to symmetry, are one point
ORBIT_TOL = 1e-6


@functools.lru_cache(maxsize=64)
def _is_odd(act: Activation) -> bool:
    """σ(−t) = −σ(t) on sample points (numpy on the host: also callable while tracing)."""
    with jax.ensure_compile_time_eval():
        t = np.linspace(-3.0, 3.0, 13)
        odd = np.asarray(act.sigma(jnp.asarray(t))) + np.asarray(act.sigma(jnp.asarray(-t)))
    return bool(np.max(np.abs(odd)) <= _ODD_TOL)


@dataclass(frozen=True)
class StartSearch:
    """What `MLPHomotopy.start_search` found: the `starts` (one `BranchStart` per symmetry
    orbit, sorted by g), how its `iterations` (three from each of `tried` random points; two
    with ``desingularized=False``) ended
    (`converged` to a critical point of g on M₀, `diverged` to infinite weights, `stalled`),
    how many roots repeated a point already found, and the `refused` critical points with
    the `reasons` (degenerate: a dead unit, two units with equal input weights, …)."""

    starts: tuple[BranchStart, ...]
    tried: int
    converged: int
    diverged: int
    stalled: int
    repeated: int
    refused: tuple[np.ndarray, ...] = field(repr=False)
    reasons: tuple[str, ...] = field(repr=False)

    @property
    def iterations(self) -> int:
        """The iterations run: each ended converged, diverged or stalled."""
        return self.converged + self.diverged + self.stalled


class MLPHomotopy(LeastSquaresFit):
    r"""The natural homotopy of a one-hidden-layer network y = σ_λ(X̃W)V (+ c).

    A JAX PyTree (leaves `X`, `d`), so it passes through ``jit`` and ``vmap`` (`track_many`
    runs many starts of one problem). The flat unknowns are θ = (W row-major, V row-major, c).

    **Arguments:**

    - `X`: ``(L, n_in)`` input patterns as rows; `d`: ``(L,)`` or ``(L, m)`` targets.
    - `hidden`: h ≥ 1, the number of hidden units.
    - `activation`: the hidden units' σ (``"tanh"``, ``"logistic"``, … or a callable).
    - `bias`: a constant input 1 to the hidden units (s̃ = n_in + 1).
    - `output`: ``"linear"`` (default) or ``"activation"`` (the output blended by σ_λ too).
    - `output_bias`: an output bias c (default: the same as `bias`).

    `bias` and `output_bias` are bools. `lam_range` = (0, 1): `track` refuses a λ span
    outside it.

    **Raises:** `ValueError` naming the argument for non-finite, complex, empty or mis-shaped
    data, h < 1, a flag that is not a bool, an unknown or non-elementwise activation, or an
    unknown output.
    """

    X: Array
    d: Array

    def __init__(
        self,
        X: Any,
        d: Any,
        hidden: int,
        activation: str | Callable[[Array], Array] | Activation = "tanh",
        bias: bool = True,
        output: str = "linear",
        *,
        output_bias: bool | None = None,
    ) -> None:
        Xa, da = self._checked_data(X, d)
        hidden = check_int("hidden", hidden)
        bias = check_bool("bias", bias)
        ob = bias if output_bias is None else check_bool("output_bias", output_bias)
        if not isinstance(output, str) or output not in OUTPUTS:
            raise ValueError(f"output: expected one of {OUTPUTS}, got {output!r}")
        self._set(
            jax.device_put(Xa), jax.device_put(da), int(hidden), get_activation(activation),
            bool(bias), output, ob, False,
        )  # fmt: skip

    def _set(self, X, d, hidden, activation, bias, output, output_bias, augmented):
        for k, v in dict(
            X=X, d=d, hidden=hidden, activation=activation, bias=bias, output=output,
            output_bias=output_bias, _augmented=augmented,
        ).items():  # fmt: skip
            object.__setattr__(self, k, v)

    def __repr__(self) -> str:
        return (
            f"MLPHomotopy(L={self.n_patterns}, inputs={self.n_inputs}, hidden={self.hidden}, "
            f"m={self.n_outputs}, activation={self.activation.name!r}, bias={self.bias}, "
            f"output={self.output!r}, output_bias={self.output_bias})"
        )

    def _aux(self):
        return (
            self.hidden, self.activation, self.bias, self.output, self.output_bias,
            self._augmented,
        )  # fmt: skip

    def _tree_flatten(self):
        return (self.X, self.d), self._aux()

    @classmethod
    def _tree_unflatten(cls, aux, leaves):
        obj = object.__new__(cls)
        obj._set(leaves[0], leaves[1], *aux)
        return obj

    # -- sizes and layout
    @property
    def n_inputs(self) -> int:
        """s̃: inputs per hidden unit, the bias input included."""
        return self.X.shape[-1] + int(self.bias and not self._augmented)

    @property
    def n_unknowns(self) -> int:
        """n = s̃h + hm (+ m with an output bias)."""
        s, h, m = self.n_inputs, self.hidden, self.n_outputs
        return s * h + h * m + m * int(self.output_bias)

    @property
    def design(self) -> Array:
        """X̃ = [X | 1] with a bias, else X."""
        return self.X if self._augmented else augment(self.X, self.bias)

    def unpack(self, w: Any) -> tuple[Array, Array, Array]:
        """(W ``(s̃, h)``, V ``(h, m)``, c ``(m,)``; zeros without an output bias) from θ."""
        w = jnp.asarray(w)
        s, h, m = self.n_inputs, self.hidden, self.n_outputs
        W = w[: s * h].reshape(s, h)
        V = w[s * h : s * h + h * m].reshape(h, m)
        c = w[s * h + h * m :] if self.output_bias else jnp.zeros(m, w.dtype)
        return W, V, c

    def pack(self, W: Any, V: Any, c: Any = None) -> np.ndarray:
        """θ from (W, V, c), the inverse of `unpack`."""
        parts = [np.asarray(W, np.float64).reshape(-1), np.asarray(V, np.float64).reshape(-1)]
        if self.output_bias:
            m = self.n_outputs
            parts.append(np.zeros(m) if c is None else np.asarray(c, np.float64).reshape(m))
        return np.concatenate(parts)

    def _targets(self) -> Array:
        return self.d.reshape(self.d.shape[0], -1)

    # -- the network
    def hidden_output(self, w: Array, lam: Array | float) -> Array:
        """S = σ_λ(X̃W), ``(L, h)``."""
        W, _, _ = self.unpack(w)
        return self.activation.blend(self.design @ W, lam)

    def outputs(self, w: Array, lam: Array | float) -> Array:
        """Y = σ_λ(X̃W)V + 1cᵀ (blended once more with ``output="activation"``), ``(L, m)``."""
        W, V, c = self.unpack(w)
        Z = self.activation.blend(self.design @ W, lam) @ V + c
        return self.activation.blend(Z, lam) if self.output == "activation" else Z

    def embedding(self, w: Array, lam: Array | float) -> Array:
        """φ_λ(θ) = Y flattened row-major, the point of the data manifold in R^{L·m}."""
        return self.outputs(w, lam).reshape(-1)

    # -- the homotopy map
    def H(self, w: Array, lam: Array | float) -> Array:
        """H(θ, λ) = ∇_θE_λ by backpropagation: with G = R (linear output; R ∘ σ_λ'(Z) for
        a blended one), ∂E/∂V = −SᵀG, ∂E/∂c = −1ᵀG, ∂E/∂W = −X̃ᵀ((GVᵀ) ∘ σ_λ'(A))."""
        act = self.activation
        W, V, c = self.unpack(w)
        Xt = self.design
        A = Xt @ W
        S = act.blend(A, lam)
        Z = S @ V + c
        if self.output == "activation":
            G = (self._targets() - act.blend(Z, lam)) * act.blend_d1(Z, lam)
        else:
            G = self._targets() - Z
        gW = -(Xt.T @ ((G @ V.T) * act.blend_d1(A, lam)))
        parts = [gW.reshape(-1), (-(S.T @ G)).reshape(-1)]
        if self.output_bias:
            parts.append(-jnp.sum(G, axis=0))
        return jnp.concatenate(parts)

    def jacobian(self, w: Array, lam: Array | float) -> Array:
        """[H_θ | H_λ] = [∇²E_λ | ∂∇E_λ/∂λ] by forward-mode autodiff of `H`."""
        return jacobian_of(self.H, w, lam)

    def interval_data(self) -> IntervalData:
        """The network Y = σ_λ(X̃W)V + 1cᵀ (X̃, D, σ, h, output node, c) as `homotopy.certify`
        encloses it (the `homotopy.protocol` hook)."""
        return IntervalData(
            "mlp", np.asarray(self.design, np.float64), np.asarray(self._targets(), np.float64),
            interval_activation(self.activation), hidden=self.hidden, output=self.output,
            output_bias=self.output_bias,
        )  # fmt: skip

    def prepared(self) -> MLPHomotopy:
        """The same problem with the bias column in X (the `homotopy.protocol` hook)."""
        if not self.bias or self._augmented:
            return self
        obj = object.__new__(MLPHomotopy)
        aux = list(self._aux())
        aux[-1] = True
        obj._set(self.design, self.d, *aux)
        return obj

    # -- the degenerate start at λ = 0
    @property
    def linear_design(self) -> np.ndarray:
        """X̂: the matrix of the linear network at λ = 0, Y = X̂β (X̃, with a column of ones
        appended when there is an output bias but no input bias)."""
        Xt = np.asarray(self.X, np.float64)
        if self.bias and not self._augmented:
            Xt = np.concatenate([Xt, np.ones((Xt.shape[0], 1))], axis=1)
        if self.output_bias and not self.bias:
            Xt = np.concatenate([Xt, np.ones((Xt.shape[0], 1))], axis=1)
        return Xt

    def linear_weights(self, w: Array) -> Array:
        """β(θ) = WV with c added to the bias row (or appended as one), ``(ŝ, m)``: the
        linear network's weights at λ = 0."""
        W, V, c = self.unpack(w)
        B = W @ V
        if not self.output_bias:
            return B
        if self.bias:
            return B.at[-1].add(c)
        return jnp.concatenate([B, c[None, :]], axis=0)

    @functools.cached_property
    def linear_solution(self) -> np.ndarray:
        """β* = X̂⁺D ``(ŝ, m)``, the unique linear least-squares weights (rank X̂ = ŝ).

        **Raises:** `RankError` when rank X̂ < ŝ."""
        Xh = self.linear_design
        D = np.asarray(self.d, np.float64).reshape(Xh.shape[0], -1)
        return linear_start(Xh, D).reshape(Xh.shape[1], -1)

    def start_constraint(self, w: Array) -> Array:
        """C(θ) = β(θ) − β* (flattened): M₀ = {C = 0}."""
        return (self.linear_weights(w) - self.linear_solution).reshape(-1)

    @property
    def start_dimension(self) -> int:
        """dim M₀ = n − ŝm (where C' is onto: h ≥ m, and V of full rank m)."""
        return self.n_unknowns - self.linear_design.shape[1] * self.n_outputs

    def reduced_function(self, w: Array) -> Array:
        """g(θ) = ∂E_λ(θ)/∂λ at λ = 0: on M₀, E_λ = E₀ + λg + O(λ²)."""
        return jax.grad(lambda lam: self.error(w, lam))(jnp.zeros((), jnp.float64))

    @functools.cached_property
    def _compiled(self) -> dict[str, Callable[..., Any]]:
        """The jitted pieces of the start search (compiled once per problem)."""
        g, C = self.reduced_function, self.start_constraint

        def hess_lagrangian(w, mu):
            return jax.hessian(lambda x: g(x) - jnp.dot(mu, C(x)))(w)

        # compiled anew for every problem (the data are constants of these programs), so
        # without the expensive LLVM passes, as the tracker: diabetes with h = 2, a search
        # 4.5–5.9 → 4.1–4.8 s, hidden_pair 8.5 → 7.8 s, the same starts
        jit = functools.partial(jax.jit, compiler_options=COMPILER_OPTIONS)
        return dict(
            C=jit(C),
            dC=jit(jax.jacfwd(C)),
            grad_g=jit(jax.grad(g)),
            g=jit(g),
            hess_lagrangian=jit(hess_lagrangian),
        )

    def _call(self, name: str, *args: Any) -> np.ndarray:
        return np.asarray(self._compiled[name](*(jnp.asarray(a, jnp.float64) for a in args)))

    def start_kernel(self, w: Any) -> np.ndarray:
        """An orthonormal basis ``(n, dim M₀)`` of T_θM₀ = ker C'(θ) (= ker ∇²E₀ on M₀)."""
        return _null_space(self._call("dC", w))

    def on_start_manifold(self, w: Any, tol: float = 1e-10) -> bool:
        """Whether ‖C(θ)‖ ≤ tol·(1 + ‖β*‖): θ is a solution of the linear network."""
        r = np.linalg.norm(self._call("C", w))
        return bool(r <= tol * (1.0 + np.linalg.norm(self.linear_solution)))

    def reduced_gradient(self, w: Any) -> np.ndarray:
        """Kᵀ∇g(θ): the gradient of g along M₀ in the basis K of `start_kernel` (zero at a
        critical point of g on M₀)."""
        return self.start_kernel(w).T @ self._call("grad_g", w)

    def reduced_hessian(self, w: Any) -> np.ndarray:
        """Kᵀ∇²(g − μᵀC)K with C'ᵀμ = ∇g (least squares): the Riemannian Hessian of g on M₀
        in the basis K (exact at a critical point, where it is `branch_tangent`'s M)."""
        K, mu = self._frame(w)
        return K.T @ self._call("hess_lagrangian", w, mu) @ K

    def _frame(self, w: Any) -> tuple[np.ndarray, np.ndarray]:
        """(K, μ) at θ: the basis of T_θM₀ and the multipliers of ∇g."""
        dC = self._call("dC", w)
        mu = np.linalg.lstsq(dC.T, self._call("grad_g", w), rcond=None)[0]
        return _null_space(dC), mu

    def _lagrange(self, z: Array) -> Array:
        """F(θ, μ) = (∇g(θ) − C'(θ)ᵀμ, C(θ)): zero at the critical points of g on M₀."""
        n = self.n_unknowns
        w, mu = z[:n], z[n:]
        _, vjp = jax.vjp(self.start_constraint, w)
        return jnp.concatenate([jax.grad(self.reduced_function)(w) - vjp(mu)[0],
                                self.start_constraint(w)])  # fmt: skip

    def _frozen_reduced(self, w: Array) -> Array:
        """ḡ(θ) = −tr(R₀ᵀσ(X̃W)V) with R₀ = D − X̂β* fixed: on M₀, ḡ = g + const (r₀ ⟂ col X̂
        removes the −X̃WV term, and with ``output="activation"`` the output term is constant
        there), so its critical points on M₀ are g's; off M₀ its gradient has no term from the
        residual's change, which the multipliers of g's own Lagrange system must absorb."""
        W, V, _ = self.unpack(w)
        return -jnp.sum(
            jnp.asarray(self._linear_residual) * (self.activation.sigma(self.design @ W) @ V)
        )

    @functools.cached_property
    def _linear_residual(self) -> np.ndarray:
        """R₀ = D − X̂β* ``(L, m)`` (numpy, on the host)."""
        D = np.asarray(self.d, np.float64).reshape(self.linear_design.shape[0], -1)
        return D - self.linear_design @ self.linear_solution

    def _unit_lagrange(self, z: Array) -> Array:
        """The Lagrange system of ḡ on M₀ with each unit's input-weight rows divided by ‖v_j‖:
        F = (D_v(∇ḡ − C'ᵀμ), C). Its w_j rows are −(∂Ψ(w_j)ᵀ + μ_in) v_j/‖v_j‖ with
        Ψ(w) = R₀ᵀσ(X̃w), which no longer vanish as v_j → 0: the plain system's factor v_j makes
        every point with small output weights and large input weights (saturated units, g → 0)
        a near-root, where Levenberg–Marquardt runs off to infinity (module docstring). The
        roots with every v_j ≠ 0 are the plain system's, with other multipliers."""
        n, s, h = self.n_unknowns, self.n_inputs, self.hidden
        w, mu = z[:n], z[n:]
        _, vjp = jax.vjp(self.start_constraint, w)
        gL = jax.grad(self._frozen_reduced)(w) - vjp(mu)[0]
        _, V, _ = self.unpack(w)
        vn = jnp.sqrt(jnp.sum(V * V, axis=1))
        rows = jnp.concatenate([jnp.tile(1.0 / vn, s), jnp.ones(n - s * h)])
        return jnp.concatenate([gL * rows, self.start_constraint(w)])

    @functools.cached_property
    def _lagrange_and_jacobian(self) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
        return _value_and_jacobian(self._lagrange)

    @functools.cached_property
    def _unit_lagrange_and_jacobian(self) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
        _ = self._linear_residual  # formed on the host (with β*), before tracing
        return _value_and_jacobian(self._unit_lagrange)

    @functools.cached_property
    def _frozen_gradient(self) -> Callable[[Any], np.ndarray]:
        _ = self._linear_residual  # formed on the host, before tracing
        f = jax.jit(jax.grad(self._frozen_reduced), compiler_options=COMPILER_OPTIONS)
        return lambda w: np.asarray(f(jnp.asarray(w, jnp.float64)))

    def project_to_start(self, w: Any, max_it: int = 50) -> np.ndarray:
        """The point of M₀ near θ: Gauss–Newton on C(θ) = 0 with minimum-norm steps."""
        w = np.asarray(w, np.float64)
        tol = 1e-14 * (1.0 + np.linalg.norm(self.linear_solution))
        for _ in range(max_it):
            r = self._call("C", w)
            if np.linalg.norm(r) <= tol:
                break
            w = w - np.linalg.lstsq(self._call("dC", w), r, rcond=None)[0]
        return w

    def _critical_point(self, w: np.ndarray, bound: float, max_it: int = 60) -> tuple:
        """Riemannian Newton for ∇_M g = 0 on M₀ from θ ∈ M₀: solve Mξ = −Kᵀ∇g (M the
        Riemannian Hessian), step along Kξ and retract onto M₀ (`project_to_start`);
        backtracking on ‖Kᵀ∇g‖, with the full step taken when no shorter one lowers it
        (saddles are as wanted as minima). Returns (θ, "converged" | "diverged" |
        "stalled")."""
        history = []
        for k in range(max_it):
            gg = self._call("grad_g", w)
            K, mu = self._frame(w)
            rg = K.T @ gg
            rn = float(np.linalg.norm(rg))
            if rn <= 1e-12 * (1.0 + np.linalg.norm(gg)):
                return w, "converged"
            history.append(rn)
            # creeping towards a critical point at infinity: ‖∇_M g‖ fell < 10% in 10 steps
            if k >= 20 and rn > 0.9 * history[-11]:
                return w, "stalled"
            M = K.T @ self._call("hess_lagrangian", w, mu) @ K
            xi = np.linalg.lstsq(M, -rg, rcond=None)[0]
            best = None
            for a in (1.0, 0.5, 0.25, 0.125):
                wt = self.project_to_start(w + a * (K @ xi))
                if not np.all(np.isfinite(wt)):
                    continue
                rt = float(np.linalg.norm(self.reduced_gradient(wt)))
                if best is None:
                    best = wt
                if rt < rn:
                    best = wt
                    break
            if best is None:
                return w, "stalled"
            w = best
            if np.linalg.norm(w) > bound:
                return w, "diverged"
        return w, "stalled"

    def start_search(
        self,
        n: int = 16,
        *,
        seed: int = 0,
        scale: float = 1.0,
        delta: float | None = None,
        desingularized: bool = True,
    ) -> StartSearch:
        """Search M₀ for the points branches leave from, from `n` random points of it.

        Each random point (W ~ N(0, scale²/s̃), V ~ N(0, 1), projected onto M₀) starts two
        iterations that converge quadratically to saddles of g as to its minima:
        Levenberg–Marquardt on the Lagrange system {∇g = C'ᵀμ, C = 0} and Riemannian Newton
        on M₀ (`_critical_point`); with `desingularized` (a bool, default True) first a
        third, LM on the desingularized system (`_unit_lagrange`, module docstring), which
        finds the finite critical points that the other two miss on real data with h ≥ 2
        (on diabetes with h = 2 the plain two find none from 8 points, it finds one; on the
        bundled ``hidden_pair``, a third branch, the one that reaches λ = 1). Each root is
        kept once per symmetry orbit when it is a nondegenerate critical point with a lifted
        branch point (`branch_start`): no dead unit, no two units with equal (or, odd σ,
        opposite) input weights, a regular reduced Hessian.

        **Raises:** `ValueError` naming `n`, `scale` or `desingularized`; `RankError` when the
        linear solution is not unique.
        """
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise ValueError(f"n: expected a positive integer, got {n!r}")
        if not np.isfinite(scale) or scale <= 0:
            raise ValueError(f"scale: expected a positive number, got {scale!r}")
        desingularized = check_bool("desingularized", desingularized)
        s_hat, m = self.linear_design.shape[1], self.n_outputs
        if self.hidden < min(s_hat, m):
            raise ValueError(
                f"hidden: {self.hidden} hidden unit(s) < min(ŝ, m) = {min(s_hat, m)}: the linear "
                "network cannot reach X̂⁺D (its λ = 0 solutions are the best rank-h "
                "approximations, reduced-rank regression), which the start search does not "
                "cover; use at least that many hidden units"
            )
        rng = np.random.default_rng(seed)
        s, h, m = self.n_inputs, self.hidden, self.n_outputs
        nmu = self.linear_design.shape[1] * m
        candidates: list[np.ndarray] = []
        bound = 1e3 * (1.0 + np.linalg.norm(self.linear_solution))
        found: list[BranchStart] = []
        refused: list[np.ndarray] = []
        reasons: list[str] = []
        count = dict(converged=0, diverged=0, stalled=0, repeated=0)
        kw = {} if delta is None else {"delta": delta}
        for _ in range(int(n)):
            W = rng.normal(0.0, scale / np.sqrt(s), (s, h))
            V = rng.normal(0.0, 1.0, (h, m))
            w0 = self.project_to_start(self.pack(W, V, np.zeros(m)))
            # two iterations from each point, which end at different critical points: LM on
            # the Lagrange system, and Riemannian Newton on M₀ (each also runs off to
            # critical points at infinity, or to degenerate ones, from its own starts; on real
            # data with h ≥ 2 from almost every point, towards saturated units with vanishing
            # output weights); with `desingularized`, first a third: LM on the desingularized
            # system of ḡ (`_unit_lagrange`) from the multipliers that fit ∇ḡ at w0 best
            runs = []
            if desingularized:
                mu0 = np.linalg.lstsq(self._call("dC", w0).T, self._frozen_gradient(w0), rcond=None)
                z, status = _levenberg_marquardt(
                    self._unit_lagrange_and_jacobian, np.concatenate([w0, mu0[0]]),
                    self.n_unknowns, bound, max_it=300,
                )  # fmt: skip
                runs.append((z[: self.n_unknowns], status))
            z, status_lm = _levenberg_marquardt(
                self._lagrange_and_jacobian, np.concatenate([w0, np.zeros(nmu)]),
                self.n_unknowns, bound,
            )  # fmt: skip
            w_rn, status_rn = self._critical_point(w0, bound)
            runs += [(z[: self.n_unknowns], status_lm), (w_rn, status_rn)]
            for w, status in runs:
                count[status] += 1
                if status == "converged":
                    candidates.append(w)
        for w in candidates:
            if any(self.same_orbit(w, b.w) for b in found) or any(
                self.same_orbit(w, r) for r in refused
            ):
                count["repeated"] += 1
                continue
            bs, why = self.branch_start(w, **kw)
            if bs is None:
                refused.append(w)
                reasons.append(why)
            else:
                found.append(bs)
        return StartSearch(
            starts=tuple(sorted(found, key=lambda b: b.reduced_value)),
            tried=int(n),
            refused=tuple(refused),
            reasons=tuple(reasons),
            **count,
        )

    def starts(self, n: int = 16, **options: Any) -> tuple[BranchStart, ...]:
        """The distinct branches leaving M₀ that `start_search` (n, options) finds, sorted by
        g (the branch whose error falls fastest first)."""
        return self.start_search(n, **options).starts

    def branch_start(self, w: Any, *, delta: float | None = None) -> tuple[BranchStart | None, str]:
        """The `BranchStart` at θ ∈ M₀, or (None, why θ is not one): not on M₀, not a
        critical point of g on M₀ (no branch leaves from it), or a degenerate one."""
        w = np.asarray(w, np.float64)
        if w.shape != (self.n_unknowns,):
            raise ValueError(f"w: expected {self.n_unknowns} weights, got shape {w.shape}")
        if not self.on_start_manifold(w, 1e-8):
            return None, "it is not a solution of the linear network (not on M₀)"
        K = self.start_kernel(w)
        if K.shape[1] != self.start_dimension:
            return None, (
                f"M₀ is singular there (its tangent space has dimension {K.shape[1]}, not "
                f"{self.start_dimension}: e.g. V does not have full rank)"
            )
        dead, twins = self._degenerate_units(w)
        if dead or twins:
            what = [f"unit {j} is dead (its output weights vanish)" for j in dead] + [
                f"units {j} and {k} have {'opposite' if sgn < 0 else 'equal'} input weights"
                for j, k, sgn in twins
            ]
            return None, (
                f"a degenerate critical point: {'; '.join(what)}, so a whole manifold of "
                "critical points passes through it and no unique branch leaves"
            )
        gw = self._call("grad_g", w)
        rg = np.linalg.norm(K.T @ gw)
        if rg > 1e-8 * (1.0 + np.linalg.norm(gw)):
            return None, (
                f"it is not a critical point of the reduced function g = ∂E/∂λ on M₀ "
                f"(‖∇g along M₀‖ = {rg:.3g}): no solution branch leaves M₀ there; use "
                "problem.starts() for the points that branches leave from"
            )
        g = float(self._call("g", w))
        kw = {} if delta is None else {"delta": delta}
        return branch_start(self, w, 0.0, K, reduced_value=g, **kw)

    def _degenerate_units(self, w: Any, tol: float = 1e-4) -> tuple[list, list]:
        """(dead units j: ‖v_j‖ ≤ tol·‖V‖, pairs (j, k, ±1) with w_j = ±w_k to tol·‖W‖; the
        sign −1 only for an odd σ): along either, output weights can be moved between units
        (or a dead unit's input weights changed) without changing g on M₀."""
        W, V, _ = (np.asarray(a) for a in self.unpack(jnp.asarray(w, jnp.float64)))
        vn = np.linalg.norm(V, axis=1)
        dead = [j for j in range(self.hidden) if vn[j] <= tol * max(np.linalg.norm(V), 1e-300)]
        scale = tol * max(np.linalg.norm(W), 1e-300)
        signs = (1.0, -1.0) if self.sign_symmetric else (1.0,)
        twins = [
            (j, k, sg)
            for j in range(self.hidden)
            for k in range(j + 1, self.hidden)
            for sg in signs
            if np.linalg.norm(W[:, j] - sg * W[:, k]) <= scale
        ]
        return dead, twins

    @functools.cached_property
    def _first_start(self) -> BranchStart:
        found = self.starts()
        if not found:
            raise ValueError(
                "start: no nondegenerate critical point of the reduced function on M₀ was "
                "found from 16 random points; try problem.starts(n) with a larger n or "
                "another scale (on real data with 2 or more hidden units the iterations run "
                "off to critical points at infinity from most points)"
            )
        return found[0]

    def start(self) -> BranchStart:
        """The default start: the branch of `starts` with the smallest g (cached)."""
        return self._first_start

    def start_diagnosis(self, w: Any, lam: float) -> str | None:
        """Why (w, λ) is not a valid start, or ``None`` (the `homotopy.protocol` hook
        `track` asks before tracking): at λ = 0 a point of M₀ is valid only as a
        `BranchStart` (the path from it is not unique)."""
        if lam != 0.0 or not self.on_start_manifold(w, 1e-8):
            return None
        bs, why = self.branch_start(w)
        if bs is None:
            return f"the start lies on the linear network's solution manifold M₀ and {why}"
        return (
            "the start lies on the linear network's solution manifold M₀ (dimension "
            f"{bs.dimension}), where the path is not unique; pass problem.branch_start(w)[0] "
            "(a BranchStart, which carries the branch's tangent) instead of the weights"
        )

    # -- symmetries
    @property
    def sign_symmetric(self) -> bool:
        """Whether σ is odd, so flipping a hidden unit's sign is a symmetry."""
        return _is_odd(self.activation)

    def _units(self, w: Any) -> np.ndarray:
        """One row per hidden unit: (its input weights, its output weights), ``(h, s̃ + m)``."""
        W, V, _ = self.unpack(jnp.asarray(w, jnp.float64))
        return np.concatenate([np.asarray(W).T, np.asarray(V)], axis=1)

    def canonical(self, w: Any) -> np.ndarray:
        """The representative of θ's symmetry orbit: each unit's sign flipped (odd σ) so that
        its largest-magnitude weight is positive, then the units sorted lexicographically."""
        U = self._units(w)
        if self.sign_symmetric:
            idx = np.argmax(np.abs(U), axis=1)
            U = U * np.where(U[np.arange(len(U)), idx] < 0, -1.0, 1.0)[:, None]
        U = U[np.lexsort(U.T[::-1])]
        s = self.n_inputs
        _, _, c = self.unpack(jnp.asarray(w, jnp.float64))
        return self.pack(U[:, :s].T, U[:, s:], np.asarray(c))

    def same_orbit(self, w1: Any, w2: Any, tol: float = ORBIT_TOL) -> bool:
        """Whether θ₁ = π(θ₂) for a permutation (and, odd σ, sign flips) of the hidden units,
        to `tol`·(1 + ‖θ‖): the best matching of units (scipy's assignment solver)."""
        from scipy.optimize import linear_sum_assignment

        U1, U2 = self._units(w1), self._units(w2)
        cost = np.linalg.norm(U1[:, None, :] - U2[None, :, :], axis=2)
        if self.sign_symmetric:
            cost = np.minimum(cost, np.linalg.norm(U1[:, None, :] + U2[None, :, :], axis=2))
        i, j = linear_sum_assignment(cost**2)
        _, _, c1 = self.unpack(jnp.asarray(w1, jnp.float64))
        _, _, c2 = self.unpack(jnp.asarray(w2, jnp.float64))
        dist = np.sqrt(np.sum(cost[i, j] ** 2) + np.sum((np.asarray(c1) - np.asarray(c2)) ** 2))
        return bool(dist <= tol * (1.0 + np.linalg.norm(np.asarray(w1))))


def _value_and_jacobian(F: Callable[[Array], Array]) -> Callable[[np.ndarray], tuple]:
    """z ↦ (F(z), ∂F/∂z) on the host, one compiled call (forward-mode Jacobian)."""
    fj = jax.jit(lambda z: (F(z), jax.jacfwd(F)(z)), compiler_options=COMPILER_OPTIONS)

    def call(z):
        Fz, Jz = fj(jnp.asarray(z))
        return np.asarray(Fz), np.asarray(Jz)

    return call


def _levenberg_marquardt(FJ, z, n_w: int, bound: float, max_it: int = 100, tol: float = 1e-12):
    """A root of F (``FJ(z) -> (F, F')``) by Levenberg–Marquardt steps (Newton's as the
    damping falls): (z, "converged" | "diverged" (‖w‖ > bound) | "stalled")."""
    F, J = FJ(z)
    f2 = float(F @ F)
    mu = 1e-3 * float(np.max(np.sum(J * J, axis=0)))
    for _ in range(max_it):
        if np.sqrt(f2) <= tol * (1.0 + np.linalg.norm(z[:n_w])):
            return z, "converged"
        A = J.T @ J
        step = np.linalg.solve(A + mu * np.diag(np.maximum(np.diag(A), 1e-12)), -(J.T @ F))
        zt = z + step
        if not np.all(np.isfinite(zt)):
            mu *= 8.0
            continue
        Ft, Jt = FJ(zt)
        ft2 = float(Ft @ Ft)
        if ft2 < f2:
            z, F, J, f2 = zt, Ft, Jt, ft2
            mu = max(mu / 5.0, 1e-15)
            if np.linalg.norm(z[:n_w]) > bound:
                return z, "diverged"
        else:
            mu *= 4.0
            if mu > 1e16:
                return z, "stalled"
    return z, "stalled"


def _null_space(A: np.ndarray) -> np.ndarray:
    """An orthonormal basis of ker A (right singular vectors past numpy's rank tolerance)."""
    _, sv, Vt = np.linalg.svd(A, full_matrices=True)
    rank = int(np.sum(sv > sv.max(initial=0.0) * max(A.shape) * np.finfo(float).eps))
    return Vt[rank:].T


jax.tree_util.register_pytree_node(
    MLPHomotopy, MLPHomotopy._tree_flatten, MLPHomotopy._tree_unflatten
)
