r"""Certified stationary points: a proof, in interval arithmetic with outward rounding, that a
unique exact zero of H(·, λ) lies in a box around a computed w (Krawczyk 1969; Moore).

For a box X = w̃ + [−r, r]ⁿ, Y ≈ H_w(w̃)⁻¹ and an enclosure H_w(X) of the Jacobian over X,
the Krawczyk operator

    K(X) = w̃ − Y H(w̃) + (I − Y H_w(X)) (X − w̃)

contains every zero of H(·, λ) in X, and K(X) ⊂ int X proves that X holds exactly one (and
that H_w is regular on X). Everything is enclosed rigorously in float64:

- elementwise operations round outward (`numpy.nextafter` one ulp past the rounded result,
  which is within half an ulp of the exact one);
- σ = tanh, logistic and arctan are monotone: their enclosure is σ at the endpoints, widened
  by `LIBM_ULPS` ulps (the accuracy glibc documents for these functions is ≤ 2 ulps); σ' and
  σ'' are enclosed through σ (1 − σ², σ(1 − σ), 1/(1 + t²), …);
- matrix products (`matmul`: point or interval factors) are done in midpoint–radius form
  (Rump 1999): the floating-point product of the midpoints plus a bound γₖ|mA||mB| on its
  rounding error and |mA|·rB + rA·(|mB| + rB), the bounds computed with an upward safety
  factor.

The single-layer network (`NaturalHomotopy`) has its Hessian written out: H_w(X) is
X̃ᵀ diag(σ_λ'² − σ_λ''·r_j) X̃ in each output's block (`gram`). The hidden-layer network
(`MLPHomotopy`) has no hand-derived Hessian: its backpropagation formula for H is evaluated on
`Dual` numbers, intervals carrying interval forward-mode tangents ∂/∂θₖ, so that one
evaluation over the box encloses H_θ(X) (each tangent rule f(u)' = f'(u)·u' is enclosed over
the ranges of u and u' on the box).

λ and the data are taken as the exact double values given. `certify` supports problems with
the ``interval_data() -> IntervalData`` hook, which describes the network: the natural
homotopy of a single-layer network with m ≥ 1 outputs (`NaturalHomotopy`, least squares or
interpolation) and of a one-hidden-layer network (`MLPHomotopy`: any h, m, input and output
biases, a linear or blended output node), with a built-in tanh, logistic or arctan
activation. Anything else (erf, softsign, a user-defined σ, a `FunctionHomotopy`) is refused
with a ValueError.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._checks import check_array


#: ulps by which libm's tanh, exp and arctan results are widened (glibc: ≤ 2 ulps)
LIBM_ULPS = 4
#: activations with interval enclosures
CERTIFIABLE = ("tanh", "logistic", "arctan")
#: the networks `IntervalData` describes
NETWORKS = ("single_layer", "mlp")

_EPS = np.finfo(np.float64).eps
_TINY = np.finfo(np.float64).smallest_subnormal


def _down(x: np.ndarray) -> np.ndarray:
    return np.nextafter(x, -np.inf)


def _up(x: np.ndarray) -> np.ndarray:
    return np.nextafter(x, np.inf)


@dataclass(frozen=True)
class Interval:
    """Arrays of closed intervals [lo, hi] with outward-rounded arithmetic."""

    lo: np.ndarray
    hi: np.ndarray
    # numpy arrays on the left defer to Interval's reflected operators
    __array_ufunc__ = None

    @classmethod
    def point(cls, x: Any) -> Interval:
        """The degenerate interval [x, x]."""
        x = np.asarray(x, np.float64)
        return cls(x, x)

    @classmethod
    def mid_rad(cls, mid: np.ndarray, rad: np.ndarray) -> Interval:
        """[mid − rad, mid + rad], rounded outward."""
        return cls(_down(mid - rad), _up(mid + rad))

    def __add__(self, o: Any) -> Interval:
        if isinstance(o, Dual):
            return NotImplemented
        o = _as(o)
        return Interval(_down(self.lo + o.lo), _up(self.hi + o.hi))

    __radd__ = __add__

    def __neg__(self) -> Interval:
        return Interval(-self.hi, -self.lo)

    def __sub__(self, o: Any) -> Interval:
        if isinstance(o, Dual):
            return NotImplemented
        return self + (-_as(o))

    def __rsub__(self, o: Any) -> Interval:
        return _as(o) + (-self)

    def __mul__(self, o: Any) -> Interval:
        if isinstance(o, Dual):
            return NotImplemented
        o = _as(o)
        p = np.stack([self.lo * o.lo, self.lo * o.hi, self.hi * o.lo, self.hi * o.hi])
        return Interval(_down(p.min(axis=0)), _up(p.max(axis=0)))

    __rmul__ = __mul__

    def __matmul__(self, o: Any) -> Interval:
        if isinstance(o, Dual):
            return NotImplemented
        return matmul(self, o)

    def __rmatmul__(self, o: Any) -> Interval:
        return matmul(o, self)

    def reciprocal_positive(self) -> Interval:
        """1/x for intervals of positive numbers."""
        if np.any(self.lo <= 0):
            raise ValueError("interval: reciprocal of an interval that is not positive")
        return Interval(_down(1.0 / self.hi), _up(1.0 / self.lo))

    def square(self) -> Interval:
        """x² (tighter than x·x when the interval contains 0)."""
        a, b = np.abs(self.lo), np.abs(self.hi)
        lo = np.where((self.lo <= 0) & (self.hi >= 0), 0.0, _down(np.minimum(a, b) ** 2))
        return Interval(lo, _up(np.maximum(a, b) ** 2))

    # -- shapes: exact, applied to both endpoints
    @property
    def shape(self) -> tuple[int, ...]:
        """The arrays' shape."""
        return np.shape(self.lo)

    def reshape(self, *shape: Any) -> Interval:
        """The intervals rearranged like ``ndarray.reshape``."""
        return Interval(self.lo.reshape(*shape), self.hi.reshape(*shape))

    @property
    def T(self) -> Interval:
        """The last two axes swapped (a matrix's transpose)."""
        return Interval(np.swapaxes(self.lo, -1, -2), np.swapaxes(self.hi, -1, -2))

    def __getitem__(self, key: Any) -> Interval:
        return Interval(self.lo[key], self.hi[key])

    @property
    def mid(self) -> np.ndarray:
        """A midpoint (rounded): with `rad`, mid ± rad ⊇ [lo, hi]."""
        return 0.5 * self.lo + 0.5 * self.hi

    @property
    def rad(self) -> np.ndarray:
        """A radius r with [lo, hi] ⊂ mid ± r."""
        m = self.mid
        return _up(np.maximum(_up(self.hi - m), _up(m - self.lo)))

    def contains(self, x: Any) -> np.ndarray:
        """Elementwise lo ≤ x ≤ hi."""
        x = np.asarray(x)
        return (self.lo <= x) & (x <= self.hi)


def _as(x: Any) -> Interval:
    return x if isinstance(x, Interval) else Interval.point(x)


def concatenate(parts: list[Interval], axis: int = 0) -> Interval:
    """The intervals joined along `axis` (``numpy.concatenate``)."""
    return Interval(
        np.concatenate([p.lo for p in parts], axis), np.concatenate([p.hi for p in parts], axis)
    )


def _widen(f: np.ndarray, sign: float) -> np.ndarray:
    """f moved by LIBM_ULPS ulps (and a subnormal) downwards (sign −1) or upwards (+1)."""
    return f + sign * (LIBM_ULPS * np.spacing(np.abs(f)) + _TINY)


def _monotone(fn, x: Interval, lo_bound: float, hi_bound: float) -> Interval:
    """The enclosure of an increasing libm function over x, clipped to its range."""
    return Interval(
        np.maximum(_widen(fn(x.lo), -1.0), lo_bound), np.minimum(_widen(fn(x.hi), 1.0), hi_bound)
    )


def _logistic(t: np.ndarray) -> np.ndarray:
    # 1/(1 + e^{−t}) and e^{t}/(1 + e^{t}) agree to a few ulps; the widening covers both
    return np.where(t >= 0, 1.0 / (1.0 + np.exp(-t)), np.exp(t) / (1.0 + np.exp(t)))


def sigma_enclosures(name: str, t: Interval) -> tuple[Interval, Interval, Interval]:
    """Enclosures of (σ(t), σ'(t), σ''(t)) over t for a built-in σ in `CERTIFIABLE`."""
    if name == "tanh":
        s = _monotone(np.tanh, t, -1.0, 1.0)
        d1 = 1.0 - s.square()
        return s, d1, -2.0 * (s * d1)
    if name == "logistic":
        s = _monotone(_logistic, t, 0.0, 1.0)
        d1 = s * (1.0 - s)
        return s, d1, d1 * (1.0 - 2.0 * s)
    if name == "arctan":
        s = _monotone(np.arctan, t, -np.pi / 2 - 1e-15, np.pi / 2 + 1e-15)
        d1 = (1.0 + t.square()).reciprocal_positive()
        return s, d1, -2.0 * (t * d1.square())
    raise ValueError(f"activation: no interval enclosure for {name!r}; use one of {CERTIFIABLE}")


def _gamma(k: int) -> float:
    """γₖ = kε/(1 − kε), rounded up (the bound on a k-term dot product's relative error)."""
    return float(_up(np.asarray(k * _EPS / (1.0 - k * _EPS)) * (1.0 + 4 * _EPS)))


def _safe(x: np.ndarray, k: int) -> np.ndarray:
    """A floating-point sum of k nonnegative products rounded up: x·(1 + 2(k + 2)ε) + k·tiny
    (each of the k products may underflow by up to a subnormal)."""
    return x * (1.0 + 2.0 * (k + 2) * _EPS) + k * _TINY


def matmul(A: Any, B: Any) -> Interval:
    """An enclosure of A B for point arrays or intervals A, B (numpy's matmul broadcasting):
    mA·mB ± (γₖ₊₁|mA||mB| + |mA|·rB + rA·(|mB| + rB)) in midpoint–radius form."""
    ma, ra = (A.mid, A.rad) if isinstance(A, Interval) else (np.asarray(A, np.float64), None)
    mb, rb = (B.mid, B.rad) if isinstance(B, Interval) else (np.asarray(B, np.float64), None)
    k = ma.shape[-1]
    absa, absb = np.abs(ma), np.abs(mb)
    rad = _safe(_gamma(k + 1) * (absa @ absb), k)  # the rounding error of mA·mB
    if rb is not None:
        rad = rad + _safe(absa @ rb, k)
        absb = _up(absb + rb)  # |b| ≤ |mB| + rB for every b of B
    if ra is not None:
        rad = rad + _safe(ra @ absb, k)
    return Interval.mid_rad(ma @ mb, _safe(rad, 3))


def matvec(A: np.ndarray, x: Interval) -> Interval:
    """An enclosure of A x for a point matrix A and an interval vector (or matrix) x."""
    return matmul(A, x)


def gram(A: np.ndarray, c: Interval) -> Interval:
    """An enclosure of Aᵀ diag(c) A for a point matrix A and an interval vector c ``(L,)``, or
    of the m matrices Aᵀ diag(c₍:, j₎) A, ``(m, s, s)``, for c ``(L, m)``."""
    # c's output axis first: (L,) → (L, 1), (L, m) → (m, L, 1), broadcast against A (L, s)
    m = np.moveaxis(c.mid, 0, -1)[..., None]
    r = np.moveaxis(c.rad, 0, -1)[..., None]
    absA = np.abs(A)
    L = A.shape[0]
    mid = A.T @ (m * A)
    rad = _safe(absA.T @ (r * absA), L) + _safe(_gamma(L + 2) * (absA.T @ (np.abs(m) * absA)), L)
    return Interval.mid_rad(mid, _safe(rad, 2))


def _blend(name: str, z: Interval, lam: float) -> tuple[Interval, Interval, Interval]:
    """Enclosures of σ_λ, σ_λ', σ_λ'' at z: (1−λ)t + λσ, (1−λ) + λσ', λσ''."""
    s, d1, d2 = sigma_enclosures(name, z)
    one_minus = Interval(_down(np.asarray(1.0 - lam)), _up(np.asarray(1.0 - lam)))
    return one_minus * z + lam * s, one_minus + lam * d1, lam * d2


@dataclass(frozen=True)
class Dual:
    """Interval forward-mode derivatives: for every θ of a box, x(θ) ∈ `val` and
    ∂x/∂θₖ(θ) ∈ ``tan[k]`` (`tan` has the shape ``(n,) + val.shape``).

    Each operation applies its tangent rule to enclosures over the box ((uv)' = u'v + uv',
    f(u)' = f'(u)u'), so the tangents of a formula evaluated on the box enclose its
    Jacobian over the box. Operands may be `Dual`, `Interval` or point arrays; values are
    kept 2-D (matrices) or 1-D (vectors), so that ``.T`` and ``@`` act on the value axes.
    """

    val: Interval
    tan: Interval
    __array_ufunc__ = None

    @classmethod
    def variable(cls, x: Interval) -> Dual:
        """The unknowns θ ∈ x ``(n,)`` themselves: tangents eₖ."""
        return cls(x, Interval.point(np.eye(x.shape[0])))

    @classmethod
    def constant(cls, x: Interval) -> Dual:
        """x with no tangents (an empty tangent axis): just the value is enclosed."""
        return cls(x, Interval.point(np.zeros((0,) + x.shape)))

    def __add__(self, o: Any) -> Dual:
        if isinstance(o, Dual):
            return Dual(self.val + o.val, self.tan + o.tan)
        return Dual(self.val + o, self.tan)

    __radd__ = __add__

    def __neg__(self) -> Dual:
        return Dual(-self.val, -self.tan)

    def __sub__(self, o: Any) -> Dual:
        return self + (-o)

    def __rsub__(self, o: Any) -> Dual:
        return (-self) + o

    def __mul__(self, o: Any) -> Dual:
        if isinstance(o, Dual):
            return Dual(self.val * o.val, self.tan * o.val + o.tan * self.val)
        return Dual(self.val * o, self.tan * o)

    __rmul__ = __mul__

    def __matmul__(self, o: Any) -> Dual:
        if isinstance(o, Dual):
            return Dual(self.val @ o.val, self.tan @ o.val + matmul(self.val, o.tan))
        return Dual(self.val @ o, self.tan @ o)

    def __rmatmul__(self, o: Any) -> Dual:
        return Dual(matmul(o, self.val), matmul(o, self.tan))

    @property
    def T(self) -> Dual:
        """The value's transpose."""
        return Dual(self.val.T, self.tan.T)

    def reshape(self, *shape: int) -> Dual:
        """The value reshaped (the tangent axis kept in front)."""
        val = self.val.reshape(*shape)
        # the value's new shape spelt out: a −1 is ambiguous for an empty tangent axis
        return Dual(val, self.tan.reshape(self.tan.shape[0], *val.shape))

    def __getitem__(self, key: slice) -> Dual:
        """A slice of a 1-D value."""
        return Dual(self.val[key], self.tan[:, key])

    @staticmethod
    def concatenate(parts: list[Dual]) -> Dual:
        """1-D values joined end to end."""
        return Dual(concatenate([p.val for p in parts]), concatenate([p.tan for p in parts], 1))


def _blend_dual(name: str, z: Dual, lam: float) -> tuple[Dual, Dual]:
    """(σ_λ(z), σ_λ'(z)) with tangents σ_λ'(z)·z' and σ_λ''(z)·z'."""
    s, d1, d2 = _blend(name, z.val, lam)
    return Dual(s, z.tan * d1), Dual(d1, z.tan * d2)


# ------------------------------------------------------------ the problem's description


@dataclass(frozen=True)
class IntervalData:
    """A problem's description of its network for `certify` (the ``interval_data()`` hook):
    H = ∇_θ E_λ with E_λ = ½‖D − Y_λ(θ)‖²_F (or H = Y_λ − D for interpolation).

    - `network`: ``"single_layer"``, Y = σ_λ(X̃W), θ = W ``(s, m)`` row-major; or ``"mlp"``,
      Y = σ_λ(X̃W)V + 1cᵀ (``output="activation"``: σ_λ of that), θ = (W ``(s, h)``,
      V ``(h, m)``, c ``(m,)`` if `output_bias`), each row-major.
    - `design`: X̃ ``(L, s)``, the bias column included; `targets`: D ``(L, m)`` (or ``(L,)``).
    - `activation`: σ's name (`homotopy.activations.interval_activation`: built-ins only).
    - `objective` (single layer): ``"least_squares"`` or ``"interpolation"``.
    - `hidden`, `output`, `output_bias` (mlp): h, ``"linear"`` or ``"activation"``, and c.

    **Raises:** `ValueError` naming `problem` for an inconsistent description.
    """

    network: str
    design: np.ndarray = field(repr=False)
    targets: np.ndarray = field(repr=False)
    activation: str
    objective: str = "least_squares"
    hidden: int = 0
    output: str = "linear"
    output_bias: bool = False

    def __post_init__(self) -> None:
        X = np.asarray(self.design, np.float64)
        D = np.asarray(self.targets, np.float64)
        D = D.reshape(D.shape[0], 1) if D.ndim == 1 else D
        if X.ndim != 2 or D.ndim != 2 or D.shape[0] != X.shape[0]:
            raise ValueError(
                f"problem: interval_data() gave a design {X.shape} and targets "
                f"{np.shape(self.targets)}, not (L, s) and (L, m) for one problem"
            )
        if self.network not in NETWORKS:
            raise ValueError(
                f"problem: certify knows the networks {NETWORKS}, got {self.network!r}"
            )
        if self.network == "single_layer" and self.objective not in (
            "least_squares", "interpolation"
        ):  # fmt: skip
            raise ValueError(f"problem: unknown objective {self.objective!r}")
        if self.objective == "interpolation" and X.shape[0] != X.shape[1]:
            raise ValueError(f"problem: interpolation needs a square design, got {X.shape}")
        if self.network == "mlp" and (
            self.hidden < 1 or self.output not in ("linear", "activation")
            or self.objective != "least_squares"
        ):  # fmt: skip
            raise ValueError(
                f"problem: an mlp needs hidden ≥ 1, output 'linear' or 'activation' and the "
                f"least-squares objective, got {self.hidden}, {self.output!r}, "
                f"{self.objective!r}"
            )
        object.__setattr__(self, "design", X)
        object.__setattr__(self, "targets", D)

    @property
    def n_unknowns(self) -> int:
        """n: s·m (single layer) or s·h + h·m (+ m with an output bias)."""
        s, m = self.design.shape[1], self.targets.shape[1]
        if self.network == "single_layer":
            return s * m
        return s * self.hidden + self.hidden * m + m * int(self.output_bias)


@dataclass(frozen=True)
class Certificate:
    """The outcome of `certify`.

    - `certified`: whether K(X) ⊂ int X was proved: exactly one zero of H(·, λ) lies in the
      box `w` ± `radius` (max-norm), and H_w is regular on it.
    - `radius`: the box's half-width (the smallest one tried that worked), or ``inf``.
    - `residual`: an upper bound on ‖H(w, λ)‖∞ (rigorous).
    - `contraction`: an upper bound on ‖I − Y H_w(X)‖∞ over the box (below 1 when certified).
    - `message`: what was proved, or why not.
    """

    certified: bool
    w: np.ndarray = field(repr=False)
    lam: float
    radius: float
    residual: float
    contraction: float
    message: str


def certifiable(problem: Any) -> None:
    """Nothing, or the ValueError `certify` would raise for this problem."""
    _enclose(problem)


def _enclose(problem: Any) -> IntervalData:
    """The problem's `IntervalData` from its ``interval_data()`` hook (a legacy 4-tuple
    (X̃, d, σ's name, objective) is a single-layer network), checked."""
    hook = getattr(problem, "interval_data", None)
    if not callable(hook):
        raise ValueError(
            "problem: certify needs the interval_data() hook describing a network "
            "(NaturalHomotopy and MLPHomotopy have it; a FunctionHomotopy's H is opaque), got "
            f"{type(problem).__name__}"
        )
    data = hook()
    if isinstance(data, tuple) and len(data) == 4:
        X, d, name, objective = data
        data = IntervalData("single_layer", X, d, name, objective)
    if not isinstance(data, IntervalData):
        raise ValueError(
            f"problem: interval_data() must return an IntervalData, got {type(data).__name__}"
        )
    if data.activation not in CERTIFIABLE:
        raise ValueError(
            f"activation: no interval enclosure for {data.activation}; certify supports the "
            f"built-in {', '.join(CERTIFIABLE)}"
        )
    return data


def enclose_H(problem: Any, w: Interval, lam: float) -> Interval:
    """An enclosure of H(w, λ) over the interval vector w."""
    return _H(_enclose(problem), w, lam)


def enclose_H_w(problem: Any, w: Interval, lam: float) -> Interval:
    """An enclosure of H_w(w, λ) over the interval vector w."""
    return _H_w(_enclose(problem), w, lam)


def _H(data: IntervalData, w: Interval, lam: float) -> Interval:
    if data.network == "mlp":
        return _mlp_H(data, Dual.constant(w), lam).val
    X, D = data.design, data.targets
    Z = matmul(X, w.reshape(X.shape[1], D.shape[1]))  # X̃W
    s, d1, _ = _blend(data.activation, Z, lam)
    if data.objective == "interpolation":
        return (s - D).reshape(-1)
    return (-matmul(X.T, d1 * (D - s))).reshape(-1)  # −X̃ᵀ(σ_λ' ∘ R), row-major like W


def _H_w(data: IntervalData, w: Interval, lam: float) -> Interval:
    if data.network == "mlp":
        return _mlp_H(data, Dual.variable(w), lam).tan.T  # tan[k, i] = ∂H_i/∂θ_k
    X, D = data.design, data.targets
    Z = matmul(X, w.reshape(X.shape[1], D.shape[1]))
    s, d1, d2 = _blend(data.activation, Z, lam)
    if data.objective == "interpolation":
        # ∂(Y_ij − D_ij)/∂W_bk = σ_λ'(Z_ij) X̃_ib δ_jk
        rows = Interval(d1.lo.T[:, :, None], d1.hi.T[:, :, None]) * X  # (m, L, s)
        return _diagonal_blocks(rows)
    # output j's block X̃ᵀ diag(σ_λ'² − σ_λ''∘r_j) X̃: the outputs share no weights
    return _diagonal_blocks(gram(X, d1.square() - d2 * (D - s)))


def _diagonal_blocks(B: Interval) -> Interval:
    """The ``(p·m, q·m)`` matrix M[(a, j), (b, k)] = B[j, a, b] δ_jk (exact zeros elsewhere)."""
    m, p, q = B.shape
    j = np.arange(m)
    lo, hi = np.zeros((p, m, q, m)), np.zeros((p, m, q, m))
    lo[:, j, :, j], hi[:, j, :, j] = B.lo, B.hi  # advanced indices first: (m, p, q)
    return Interval(lo.reshape(p * m, q * m), hi.reshape(p * m, q * m))


def _mlp_H(data: IntervalData, w: Dual, lam: float) -> Dual:
    """H(θ, λ) = ∇_θE_λ of the hidden-layer network by backpropagation (`MLPHomotopy.H`):
    G = R (linear output; R ∘ σ_λ'(Z) blended), ∂E/∂W = −X̃ᵀ((GVᵀ) ∘ σ_λ'(A)),
    ∂E/∂V = −SᵀG, ∂E/∂c = −1ᵀG, with A = X̃W, S = σ_λ(A), Z = SV + 1cᵀ."""
    X, D, name = data.design, data.targets, data.activation
    (L, s), h, m = X.shape, data.hidden, D.shape[1]
    W = w[: s * h].reshape(s, h)
    V = w[s * h : s * h + h * m].reshape(h, m)
    S, S1 = _blend_dual(name, X @ W, lam)
    Z = S @ V
    if data.output_bias:
        Z = Z + w[s * h + h * m :].reshape(1, m)
    if data.output == "activation":
        Y, Y1 = _blend_dual(name, Z, lam)
        G = (D - Y) * Y1
    else:
        G = D - Z
    parts = [-(X.T @ ((G @ V.T) * S1)), -(S.T @ G)]
    if data.output_bias:
        parts.append(-(np.ones((1, L)) @ G))
    return Dual.concatenate([p.reshape(-1) for p in parts])


def certify(problem: Any, w: Any, lam: float, *, max_radius: float | None = None) -> Certificate:
    """Prove that exactly one zero of H(·, λ) (a stationary point of E_λ, least squares; the
    interpolating weights) lies in a box around `w`, by the Krawczyk test in rigorous
    interval arithmetic.

    Radii r = max(10·‖Y H(w)‖∞, 1e-15·(1 + ‖w‖∞)) · 10ᵏ are tried up to `max_radius`
    (default 1e-6·(1 + ‖w‖∞)): the smallest box that passes is reported. A w that is not close
    to a regular zero is refused (``certified=False``, with the reason).

    **Raises:** `ValueError` naming `problem`, `activation`, `w` or `lam` for what cannot be
    certified (see the module docstring).
    """
    data = _enclose(problem)  # once: the data are read for every radius tried
    w = check_array("w", w, (1,))
    if not isinstance(lam, int | float | np.floating) or not np.isfinite(lam):
        raise ValueError(f"lam: expected a finite number, got {lam!r}")
    lam = float(lam)
    if w.shape[0] != data.n_unknowns:
        raise ValueError(f"w: expected {data.n_unknowns} weights, got {w.shape[0]}")
    scale = 1.0 + float(np.max(np.abs(w)))
    r_max = 1e-6 * scale if max_radius is None else float(max_radius)
    F = _H(data, Interval.point(w), lam)
    residual = float(np.max(np.maximum(np.abs(F.lo), np.abs(F.hi))))
    J0 = _H_w(data, Interval.point(w), lam).mid
    try:
        Y = np.linalg.inv(J0)
    except np.linalg.LinAlgError:
        return Certificate(False, w, lam, np.inf, residual, np.inf, "H_w(w) is singular")
    n = w.shape[0]
    YF = matvec(Y, F)  # ⊇ Y·H(w̃)
    step = float(np.max(np.maximum(np.abs(YF.lo), np.abs(YF.hi))))
    r = max(10.0 * step, 1e-15 * scale)
    best_contraction = np.inf
    while r <= r_max:
        box = Interval.mid_rad(w, np.full(n, r))
        Jx = _H_w(data, box, lam)
        M = Interval.point(np.eye(n)) - matvec(Y, Jx)  # ⊇ I − Y H_w(X)
        absM = np.maximum(np.abs(M.lo), np.abs(M.hi))
        contraction = float(np.max(_safe(absM.sum(axis=1), n)))
        best_contraction = min(best_contraction, contraction)
        # K(X) − w̃ ⊂ −YF + M·[−r, r]: inside (−r, r) componentwise
        spread = _safe(absM @ np.full(n, r), n)
        if np.all(_up(np.maximum(np.abs(YF.lo), np.abs(YF.hi)) + spread) < r):
            return Certificate(
                True, w, lam, r, residual, contraction,
                f"exactly one zero of H(·, {lam:g}) lies within {r:.3g} (max-norm) of w",
            )  # fmt: skip
        r *= 10.0
    return Certificate(
        False, w, lam, np.inf, residual, best_contraction,
        f"the Krawczyk test failed for every radius up to {r_max:.3g} (‖H(w)‖∞ ≤ {residual:.3g},"
        f" Newton step {step:.3g}): w is not within reach of a regular zero",
    )  # fmt: skip
