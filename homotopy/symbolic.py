r"""Exact (sympy) geometry of the data manifold for small problems: teaching and cross-checks.

`SymbolicManifold` builds, for a small numeric design X (converted *exactly* to sympy
Rationals by default) and a built-in activation, the symbolic
$\phi(w, \lambda) = \sigma_\lambda(Xw)$, $J$, $G = J^TJ$, the Hessians
$\partial^2\phi_i/\partial w^2$,
$II_n = \sum_i n_i \partial^2\phi_i/\partial w^2$, the hypersurface normal (cofactor vector,
$\det[J \mid n] > 0$, the same convention as `homotopy.geometry`), the principal curvatures
(for s = 2, L = 3 in closed form from the characteristic polynomial
$\det(II - \kappa G) = 0$) and the Gaussian and mean curvature.

Numeric methods evaluate these expressions with mpmath at `dps` digits (default 40) from the
exact float inputs, so they are an independent high-precision reference for the JAX code.
``lambdify`` gives numpy callables; ``latex`` gives LaTeX for teaching. Single output only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import mpmath
import numpy as np
import sympy

from .activations import Activation, get_activation


__all__ = ["SymbolicManifold", "latex"]


def _to_sympy(v: float, numbers: str) -> sympy.Expr:
    if numbers == "exact":
        return sympy.Rational(v)
    if numbers == "nice":
        return sympy.nsimplify(v, rational=True)
    return sympy.Float(v)


def _det(M: sympy.Matrix) -> sympy.Expr:
    """det M by Laplace expansion along the first row, with no intermediate simplification.

    (sympy's own ``det`` runs ``cancel`` on every product, which stalls on exp/tanh terms.)
    """
    n = M.rows
    if n == 0:
        return sympy.Integer(1)
    if n == 1:
        return M[0, 0]
    if n == 2:
        return M[0, 0] * M[1, 1] - M[0, 1] * M[1, 0]
    total = sympy.Integer(0)
    for j in range(n):
        minor = M.copy()
        minor.row_del(0)
        minor.col_del(j)
        total += (-1) ** j * M[0, j] * _det(minor)
    return total


def _adj(M: sympy.Matrix) -> sympy.Matrix:
    """adj M (adj M · M = det M · I) from cofactors, unsimplified."""
    n = M.rows

    def cof(i: int, j: int) -> sympy.Expr:
        minor = M.copy()
        minor.row_del(i)
        minor.col_del(j)
        return (-1) ** (i + j) * _det(minor)

    return sympy.Matrix(n, n, lambda i, j: cof(j, i))


def _mp_to_np(a: Any) -> np.ndarray:
    if isinstance(a, mpmath.matrix):
        return np.array([[float(a[i, j]) for j in range(a.cols)] for i in range(a.rows)])
    return np.asarray(float(a))


class SymbolicManifold:
    r"""Exact $\phi(w, \lambda) = \sigma_\lambda(\tilde X w)$ and its geometry for a small X.

    **Arguments:**

    - `X`: ``(L, n_in)`` numeric design (rows are patterns).
    - `activation`: a built-in name or an `Activation` with a sympy twin.
    - `bias`: append a constant input 1 (s = n_in + 1).
    - `numbers`: ``"exact"`` (default: each float becomes the Rational equal to it),
      ``"nice"`` (``nsimplify``: 0.3 → 3/10, for display), or ``"float"``.
    - `dps`: mpmath digits for the numeric methods.

    Symbolic methods take no arguments and return sympy objects; numeric methods take
    ``(w, lam)`` and return numpy float64 arrays rounded from `dps`-digit values.
    """

    def __init__(
        self,
        X: Any,
        activation: str | Activation = "tanh",
        *,
        bias: bool = False,
        numbers: str = "exact",
        dps: int = 40,
    ) -> None:
        Xa = np.asarray(X, dtype=np.float64)
        if Xa.ndim != 2 or not np.all(np.isfinite(Xa)):
            raise ValueError(f"X: expected a finite 2-D array, got shape {Xa.shape}")
        if numbers not in ("exact", "nice", "float"):
            raise ValueError(f"numbers: expected 'exact', 'nice' or 'float', got {numbers!r}")
        act = get_activation(activation)
        if act.sympy_sigma is None:
            raise ValueError(f"activation: {act.name!r} has no sympy twin")
        if bias:
            Xa = np.concatenate([Xa, np.ones((Xa.shape[0], 1))], axis=1)
        L, s = Xa.shape
        if L < s:
            raise ValueError(f"X: L = {L} patterns < s = {s} weights")
        self.activation = act
        self.dps = int(dps)
        self.L, self.s = L, s
        self.X = sympy.Matrix(L, s, lambda i, j: _to_sympy(float(Xa[i, j]), numbers))
        self.w = sympy.symbols(f"w1:{s + 1}", real=True)
        self.lam = sympy.Symbol("lambda", real=True)
        self.t = sympy.Symbol("t", real=True)
        self.n = sympy.symbols(f"n1:{L + 1}", real=True)
        wv = sympy.Matrix(self.w)
        self._z = self.X * wv
        self._phi = self._z.applyfunc(lambda zi: act.sympy_blend(zi, self.lam))
        self._J = self._phi.jacobian(wv)
        self._G = self._J.T * self._J
        self._hess = [sympy.hessian(self._phi[i], self.w) for i in range(L)]
        self._cache: dict[Any, Callable[..., Any]] = {}

    # ------------------------------------------------------------------ symbolic
    def sigma_lambda(self) -> sympy.Expr:
        """σ_λ(t) = (1 − λ)t + λσ(t)."""
        return self.activation.sympy_blend(self.t, self.lam)

    def embedding(self) -> sympy.Matrix:
        """φ(w, λ) = σ_λ(X̃w), an (L, 1) Matrix."""
        return self._phi

    def jacobian(self) -> sympy.Matrix:
        """J = ∂φ/∂w (L, s)."""
        return self._J

    def metric(self) -> sympy.Matrix:
        """G = JᵀJ (s, s)."""
        return self._G

    def hessians(self) -> list[sympy.Matrix]:
        """[∂²φ_i/∂w²] for i = 1..L."""
        return list(self._hess)

    def second_fundamental_form(self, normal: Sequence[Any] | None = None) -> sympy.Matrix:
        """II_n = Σ_i n_i ∂²φ_i/∂w² (linear in n; default n = symbols n_1..n_L)."""
        n = self.n if normal is None else list(normal)
        if len(n) != self.L:
            raise ValueError(f"normal: expected {self.L} entries, got {len(n)}")
        out = sympy.zeros(self.s, self.s)
        for ni, Hi in zip(n, self._hess, strict=True):
            out += ni * Hi
        return out

    def _require_hypersurface(self) -> None:
        if self.L != self.s + 1:
            raise ValueError(f"X: a hypersurface needs L = s + 1, got L = {self.L}, s = {self.s}")

    def hypersurface_normal(self) -> sympy.Matrix:
        """ñ_i = (−1)^{i+L} det J_{(i)} (row i removed): det[J | ñ] = ‖ñ‖² > 0, not normalized."""
        self._require_hypersurface()
        L = self.L
        entries = []
        for i in range(L):
            minor = self._J.copy()
            minor.row_del(i)
            entries.append((-1) ** (i + L + 1) * _det(minor))  # 0-based i: sign (−1)^{(i+1)+L}
        return sympy.Matrix(entries)

    def gaussian_curvature_expr(self) -> sympy.Expr:
        """K = det II_ñ / (det G ‖ñ‖^s) (II is linear in n, so this uses the unit normal)."""
        nt = self.hypersurface_normal()
        II = self.second_fundamental_form(list(nt))
        return _det(II) / (_det(self._G) * (nt.dot(nt)) ** sympy.Rational(self.s, 2))

    def mean_curvature_expr(self) -> sympy.Expr:
        """H = tr(adj(G) II_ñ) / (s det G ‖ñ‖): the mean of the principal curvatures."""
        nt = self.hypersurface_normal()
        II = self.second_fundamental_form(list(nt))
        return (_adj(self._G) * II).trace() / (self.s * _det(self._G) * sympy.sqrt(nt.dot(nt)))

    def principal_curvature_exprs(self) -> tuple[sympy.Expr, sympy.Expr]:
        """(κ₋, κ₊) = H ∓ √(H² − K): the roots of det(II_n − κG) = 0 for s = 2, L = 3."""
        if (self.L, self.s) != (3, 2):
            raise ValueError(
                f"X: closed-form principal curvatures need L = 3, s = 2, got {self.L}, {self.s}"
            )
        H, K = self.mean_curvature_expr(), self.gaussian_curvature_expr()
        root = sympy.sqrt(H**2 - K)
        return H - root, H + root

    # ------------------------------------------------------------------ numeric
    def _fn(self, key: Any, expr: Callable[[], Any], extra: tuple = ()) -> Callable[..., Any]:
        if key not in self._cache:
            self._cache[key] = sympy.lambdify((*self.w, self.lam, *extra), expr(), modules="mpmath")
        return self._cache[key]

    def _args(self, w: Any, lam: float) -> list[Any]:
        wa = np.asarray(w, dtype=np.float64).reshape(-1)
        if wa.size != self.s:
            raise ValueError(f"w: expected {self.s} entries, got {wa.size}")
        return [mpmath.mpf(float(v)) for v in wa] + [mpmath.mpf(float(lam))]

    def _mp(self, name: str, w: Any, lam: float) -> Any:
        exprs = {
            "embedding": lambda: self._phi,
            "jacobian": lambda: self._J,
            "metric": lambda: self._G,
            "normal": lambda: self.hypersurface_normal(),
            "gaussian": lambda: self.gaussian_curvature_expr(),
            "mean": lambda: self.mean_curvature_expr(),
            "II": lambda: self.second_fundamental_form(),
        }
        extra = tuple(self.n) if name == "II" else ()
        fn = self._fn(name, exprs[name], extra)
        return fn, self._args(w, lam)

    def evaluate(self, expr: Any, w: Any, lam: float) -> np.ndarray:
        """Any sympy expression/Matrix in (w, λ), evaluated at `dps` digits, as float64."""
        fn = self._fn(("expr", sympy.srepr(expr)), lambda: expr)
        with mpmath.workdps(self.dps):
            return _mp_to_np(fn(*self._args(w, lam)))

    def _eval(self, name: str, w: Any, lam: float, *extra: Any) -> Any:
        fn, args = self._mp(name, w, lam)
        return fn(*args, *extra)

    def embedding_at(self, w: Any, lam: float) -> np.ndarray:
        """φ(w, λ) (L,)."""
        with mpmath.workdps(self.dps):
            return _mp_to_np(self._eval("embedding", w, lam)).reshape(-1)

    def jacobian_at(self, w: Any, lam: float) -> np.ndarray:
        """J(w, λ) (L, s)."""
        with mpmath.workdps(self.dps):
            return _mp_to_np(self._eval("jacobian", w, lam))

    def metric_at(self, w: Any, lam: float) -> np.ndarray:
        """G(w, λ) (s, s)."""
        with mpmath.workdps(self.dps):
            return _mp_to_np(self._eval("metric", w, lam))

    def _unit_normal_mp(self, w: Any, lam: float) -> mpmath.matrix:
        nt = self._eval("normal", w, lam)
        return nt / mpmath.norm(nt)

    def normal_at(self, w: Any, lam: float) -> np.ndarray:
        """The unit hypersurface normal ñ/‖ñ‖ (det[J | n] > 0)."""
        self._require_hypersurface()
        with mpmath.workdps(self.dps):
            return _mp_to_np(self._unit_normal_mp(w, lam)).reshape(-1)

    def _normal_basis_mp(self, w: Any, lam: float) -> mpmath.matrix:
        """Gram–Schmidt of [J | e_1 … e_L] at `dps` digits: the last L − s span (col J)^⊥."""
        J = self._eval("jacobian", w, lam)
        L, s = self.L, self.s
        basis: list[mpmath.matrix] = []
        cands = [J[:, j] for j in range(s)] + [
            mpmath.matrix([[1 if i == k else 0] for i in range(L)]) for k in range(L)
        ]
        for v in cands:
            u = v.copy()
            for _ in range(2):  # re-orthogonalize once
                for b in basis:
                    u = u - (b.T * u)[0] * b
            nu = mpmath.norm(u)
            if len(basis) < s or nu > mpmath.mpf(10) ** (-self.dps // 3):
                basis.append(u / nu)
            if len(basis) == L:
                break
        N = mpmath.matrix(L, L - s)
        for k in range(L - s):
            for i in range(L):
                N[i, k] = basis[s + k][i]
        return N

    def normal_basis_at(self, w: Any, lam: float) -> np.ndarray:
        """An orthonormal basis of the normal space (L, L − s) (orientation not fixed)."""
        with mpmath.workdps(self.dps):
            return _mp_to_np(self._normal_basis_mp(w, lam))

    def _ii_mp(self, w: Any, lam: float, n: Any) -> mpmath.matrix:
        return self._eval(
            "II", w, lam, *[mpmath.mpf(float(v)) if isinstance(v, float) else v for v in n]
        )

    def second_fundamental_form_at(self, w: Any, lam: float, normal: Any) -> np.ndarray:
        """II_n(w, λ) (s, s) for a numeric n (not normalized)."""
        n = [float(v) for v in np.asarray(normal, dtype=np.float64).reshape(-1)]
        if len(n) != self.L:
            raise ValueError(f"normal: expected {self.L} entries, got {len(n)}")
        with mpmath.workdps(self.dps):
            return _mp_to_np(self._ii_mp(w, lam, n))

    def _geneig_mp(self, G: mpmath.matrix, II: mpmath.matrix) -> tuple[list, mpmath.matrix]:
        Lc = mpmath.cholesky(G)
        Li = mpmath.inverse(Lc)
        B = Li * II * Li.T
        B = (B + B.T) / 2
        E, Q = mpmath.eigsy(B)
        order = sorted(range(len(E)), key=lambda i: E[i])
        V = Li.T * Q
        Vs = mpmath.matrix(self.s, self.s)
        for jj, j in enumerate(order):
            for i in range(self.s):
                Vs[i, jj] = V[i, j]
        return [E[i] for i in order], Vs

    def principal_curvatures(
        self, w: Any, lam: float, normal: Any = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(κ ascending, G-orthonormal directions) of II_n̂ v = κ G v, n̂ = n/‖n‖.

        Default n: the hypersurface normal. For L = 3, s = 2 with the default normal the
        values come from the closed form H ∓ √(H² − K); otherwise from an mpmath eigenproblem.
        """
        with mpmath.workdps(self.dps):
            G = self._eval("metric", w, lam)
            if normal is None:
                self._require_hypersurface()
                n = self._unit_normal_mp(w, lam)
                n = [n[i] for i in range(self.L)]
            else:
                nf = [mpmath.mpf(float(v)) for v in np.asarray(normal, float).reshape(-1)]
                if len(nf) != self.L:
                    raise ValueError(f"normal: expected {self.L} entries, got {len(nf)}")
                nn = mpmath.sqrt(mpmath.fsum(v * v for v in nf))
                n = [v / nn for v in nf]
            E, V = self._geneig_mp(G, self._ii_mp(w, lam, n))
            if normal is None and (self.L, self.s) == (3, 2):
                # the roots H ∓ √(H² − K) of det(II_n − κG) = 0 (principal_curvature_exprs)
                H, K = self._eval("mean", w, lam), self._eval("gaussian", w, lam)
                root = mpmath.sqrt(max(H * H - K, mpmath.mpf(0)))
                E = [H - root, H + root]
            return np.array([float(e) for e in E]), _mp_to_np(V)

    def gaussian_curvature(self, w: Any, lam: float) -> float:
        """K = det II_n / det G (hypersurface, unit normal n)."""
        self._require_hypersurface()
        with mpmath.workdps(self.dps):
            return float(self._eval("gaussian", w, lam))

    def mean_curvature(self, w: Any, lam: float) -> float:
        """H = tr(G⁻¹II_n)/s (hypersurface, unit normal n with det[J | n] > 0)."""
        self._require_hypersurface()
        with mpmath.workdps(self.dps):
            return float(self._eval("mean", w, lam))

    def max_curvature(self, w: Any, lam: float, *, n_sweep: int = 720) -> float:
        """k = max_{unit n ⟂ T} max|κ| = max_θ ‖cos θ B₁ + sin θ B₂‖₂ (codimension ≤ 2).

        Codimension 2: a dense sweep of θ ∈ [0, π) at `dps` digits, then golden-section
        refinement of every near-maximal sample (ρ(θ) is Lipschitz, so the sweep brackets it).
        """
        q = self.L - self.s
        if q > 2:
            raise ValueError(f"X: max_curvature is implemented for codimension ≤ 2, got {q}")
        with mpmath.workdps(self.dps):
            if q == 0:
                return 0.0
            G = self._eval("metric", w, lam)
            N = self._normal_basis_mp(w, lam)
            Li = mpmath.inverse(mpmath.cholesky(G))
            Bs = []
            for k in range(q):
                II = self._ii_mp(w, lam, [N[i, k] for i in range(self.L)])
                B = Li * II * Li.T
                Bs.append((B + B.T) / 2)
            if q == 1:
                E, _ = mpmath.eigsy(Bs[0])
                return float(max(abs(e) for e in E))

            def rho(th: Any) -> Any:
                M = mpmath.cos(th) * Bs[0] + mpmath.sin(th) * Bs[1]
                if self.s == 2:
                    tr2 = (M[0, 0] + M[1, 1]) / 2
                    return abs(tr2) + mpmath.sqrt(((M[0, 0] - M[1, 1]) / 2) ** 2 + M[0, 1] ** 2)
                E, _ = mpmath.eigsy(M)
                return max(abs(e) for e in E)

            h = mpmath.pi / n_sweep
            ths = [i * h for i in range(n_sweep)]
            vals = [rho(t) for t in ths]
            top = max(vals)
            best = top
            gr = (mpmath.sqrt(5) - 1) / 2
            for i, v in enumerate(vals):
                if v < top * mpmath.mpf("0.99") or v < vals[i - 1] or v < vals[(i + 1) % n_sweep]:
                    continue
                a, b = ths[i] - h, ths[i] + h
                c, d = b - gr * (b - a), a + gr * (b - a)
                fc, fd = rho(c), rho(d)
                while b - a > mpmath.mpf(10) ** (-(self.dps // 2)):
                    if fc > fd:
                        b, d, fd = d, c, fc
                        c = b - gr * (b - a)
                        fc = rho(c)
                    else:
                        a, c, fc = c, d, fd
                        d = a + gr * (b - a)
                        fd = rho(d)
                best = max(best, fc, fd)
            return float(best)

    # ------------------------------------------------------------------ numpy / LaTeX
    def lambdify(self, what: str) -> Callable[..., np.ndarray]:
        """A numpy callable f(w, lam) (f(w, lam, n) for ``"second_fundamental_form"``).

        `what`: ``"embedding"``, ``"jacobian"``, ``"metric"``, ``"second_fundamental_form"``,
        ``"normal"`` (unnormalized cofactor normal), ``"gaussian_curvature"``,
        ``"mean_curvature"`` or ``"principal_curvatures"`` (the last four: hypersurfaces).
        """
        table: dict[str, Callable[[], Any]] = {
            "embedding": lambda: self._phi,
            "jacobian": lambda: self._J,
            "metric": lambda: self._G,
            "second_fundamental_form": lambda: self.second_fundamental_form(),
            "normal": lambda: self.hypersurface_normal(),
            "gaussian_curvature": lambda: self.gaussian_curvature_expr(),
            "mean_curvature": lambda: self.mean_curvature_expr(),
            "principal_curvatures": lambda: sympy.Matrix(self.principal_curvature_exprs()),
        }
        if what not in table:
            raise ValueError(f"what: expected one of {sorted(table)}, got {what!r}")
        extra = tuple(self.n) if what == "second_fundamental_form" else ()
        fn = sympy.lambdify((*self.w, self.lam, *extra), table[what](), modules="numpy", cse=True)

        def f(w: Any, lam: float, *n: Any) -> np.ndarray:
            wa = np.asarray(w, dtype=np.float64).reshape(-1)
            na = np.asarray(n[0], dtype=np.float64).reshape(-1) if n else ()
            return np.squeeze(np.asarray(fn(*wa, float(lam), *na), dtype=np.float64))

        f.__doc__ = f"{what} of {self!r} as a numpy function of (w, lam)"
        return f

    def latex(self, part: str | None = None) -> str | dict[str, str]:
        """LaTeX of σ_λ, φ, J, G, II_n (symbolic n): all in a dict, or one `part` as a string."""
        parts = {
            "sigma_lambda": lambda: r"\sigma_\lambda(t) = " + sympy.latex(self.sigma_lambda()),
            "phi": lambda: r"\phi(w, \lambda) = " + sympy.latex(self._phi),
            "J": lambda: "J = " + sympy.latex(self._J),
            "G": lambda: "G = J^T J = " + sympy.latex(self._G),
            "II": lambda: r"II_n = " + sympy.latex(self.second_fundamental_form()),
        }
        if part is None:
            return {k: v() for k, v in parts.items()}
        if part not in parts:
            raise ValueError(f"part: expected one of {sorted(parts)}, got {part!r}")
        return parts[part]()

    def __repr__(self) -> str:
        return f"SymbolicManifold(L={self.L}, s={self.s}, activation={self.activation.name!r})"


def latex(
    X: Any, activation: str | Activation = "tanh", part: str | None = None, **kwargs: Any
) -> str | dict[str, str]:
    """LaTeX of σ_λ, φ, J, G, II for X: ``SymbolicManifold(X, activation, **kw).latex(part)``."""
    return SymbolicManifold(X, activation, **kwargs).latex(part)
