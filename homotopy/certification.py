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
- products with the data matrix X̃ are done in midpoint–radius form (Rump 1999): the
  floating-point product of the midpoints plus a bound γₖ|X̃||mid| on its rounding error and
  |X̃|·rad, with the bounds themselves computed with an upward safety factor.

λ and the data are taken as the exact double values given. `certify` supports problems with
the ``interval_data() -> (X̃, d, σ name, objective)`` hook: the natural homotopy of a
single-output network (`NaturalHomotopy`, least squares or interpolation) with a tanh,
logistic or arctan activation; anything else is refused with a ValueError.
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
        o = _as(o)
        return Interval(_down(self.lo + o.lo), _up(self.hi + o.hi))

    __radd__ = __add__

    def __neg__(self) -> Interval:
        return Interval(-self.hi, -self.lo)

    def __sub__(self, o: Any) -> Interval:
        return self + (-_as(o))

    def __rsub__(self, o: Any) -> Interval:
        return _as(o) + (-self)

    def __mul__(self, o: Any) -> Interval:
        o = _as(o)
        p = np.stack([self.lo * o.lo, self.lo * o.hi, self.hi * o.lo, self.hi * o.hi])
        return Interval(_down(p.min(axis=0)), _up(p.max(axis=0)))

    __rmul__ = __mul__

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
    """A floating-point sum of k nonnegative products rounded up: x·(1 + 2(k + 2)ε) + tiny."""
    return x * (1.0 + 2.0 * (k + 2) * _EPS) + _TINY


def matvec(A: np.ndarray, x: Interval) -> Interval:
    """An enclosure of A x for a point matrix A and an interval vector (or matrix) x."""
    m, r = x.mid, x.rad
    c = A @ m
    absA = np.abs(A)
    k = A.shape[-1]
    rad = _safe(absA @ r, k) + _safe(_gamma(k + 1) * (absA @ np.abs(m)), k)
    return Interval.mid_rad(c, _safe(rad, 2))


def gram(A: np.ndarray, c: Interval) -> Interval:
    """An enclosure of Aᵀ diag(c) A for a point matrix A and an interval vector c."""
    m, r = c.mid, c.rad
    absA = np.abs(A)
    L = A.shape[0]
    mid = A.T @ (m[:, None] * A)
    rad = _safe(absA.T @ (r[:, None] * absA), L) + _safe(
        _gamma(L + 2) * (absA.T @ (np.abs(m)[:, None] * absA)), L
    )
    return Interval.mid_rad(mid, _safe(rad, 2))


def _blend(name: str, z: Interval, lam: float) -> tuple[Interval, Interval, Interval]:
    """Enclosures of σ_λ, σ_λ', σ_λ'' at z: (1−λ)t + λσ, (1−λ) + λσ', λσ''."""
    s, d1, d2 = sigma_enclosures(name, z)
    one_minus = Interval(_down(np.asarray(1.0 - lam)), _up(np.asarray(1.0 - lam)))
    return one_minus * z + lam * s, one_minus + lam * d1, lam * d2


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


def _enclose(problem: Any) -> tuple[np.ndarray, np.ndarray, str, str]:
    """(X̃, d, σ's name, objective) from the problem's ``interval_data()`` hook."""
    hook = getattr(problem, "interval_data", None)
    if not callable(hook):
        raise ValueError(
            f"problem: certify needs the interval_data() hook (NaturalHomotopy has it), got "
            f"{type(problem).__name__}"
        )
    X, d, name, objective = hook()
    if np.ndim(d) != 1:
        raise ValueError("problem: certify supports single-output networks (m = 1) so far")
    if name not in CERTIFIABLE:
        raise ValueError(
            f"activation: no interval enclosure for {name!r}; use one of {CERTIFIABLE}"
        )
    return np.asarray(X, np.float64), np.asarray(d, np.float64), name, objective


def enclose_H(problem: Any, w: Interval, lam: float) -> Interval:
    """An enclosure of H(w, λ) over the interval vector w."""
    return _H(_enclose(problem), w, lam)


def enclose_H_w(problem: Any, w: Interval, lam: float) -> Interval:
    """An enclosure of H_w(w, λ) over the interval vector w."""
    return _H_w(_enclose(problem), w, lam)


def _H(data: tuple, w: Interval, lam: float) -> Interval:
    X, d, name, objective = data
    z = matvec(X, w)
    s, d1, _ = _blend(name, z, lam)
    if objective == "interpolation":
        return s - d
    return -matvec(X.T, d1 * (d - s))


def _H_w(data: tuple, w: Interval, lam: float) -> Interval:
    X, d, name, objective = data
    z = matvec(X, w)
    s, d1, d2 = _blend(name, z, lam)
    if objective == "interpolation":
        return Interval(d1.lo[:, None], d1.hi[:, None]) * X  # diag(σ_λ') X̃
    return gram(X, d1.square() - d2 * (d - s))


def certify(problem: Any, w: Any, lam: float, *, max_radius: float | None = None) -> Certificate:
    """Prove that exactly one zero of H(·, λ) (a stationary point of E_λ, least squares) lies
    in a box around `w`, by the Krawczyk test in rigorous interval arithmetic.

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
    if w.shape[0] != problem.n_unknowns:
        raise ValueError(f"w: expected {problem.n_unknowns} weights, got {w.shape[0]}")
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
