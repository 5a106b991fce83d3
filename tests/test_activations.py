"""The activation family σ, σ', σ'' and the blend σ_λ against independent references.

References are sympy's exact derivatives of each activation's sympy twin, evaluated at an
exact rational argument with ``evalf(30)`` (adaptive precision: 30 correct digits even where
the symbolic form cancels, e.g. ``1 − tanh²`` in the tails), and ``jax.grad`` of σ itself.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import jax
import jax.numpy as jnp
import jax.scipy.special as jsp
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from homotopy.activations import BUILTIN_ACTIVATIONS, Activation, get_activation


EPS = float(np.finfo(np.float64).eps)
NAMES = ("tanh", "logistic", "arctan", "erf", "softsign")
T_SYM = sp.Symbol("t", real=True)
LAM_SYM = sp.Symbol("lam", real=True)

# Grid: the bulk, the tails out to |t| = 40, and tiny arguments near the zero crossings.
_GRID = np.unique(
    np.concatenate(
        [
            np.linspace(-40.0, 40.0, 41),
            np.linspace(-3.0, 3.0, 13),
            [-1e-8, 1e-8, -1e-3, 1e-3, 0.3, -0.7, 1.7, -5.25, 12.125, -33.3],
        ]
    )
)
# exp(−t²) in erf' underflows to 0 beyond |t| ≈ 26.6 (as does the exact value in float64).
_TAIL = {"erf": 25.0}
# softsign is not C² at 0: σ'' jumps from +2 to −2.
_SKIP_ZERO = {"softsign"}


def _grid(name: str, k: int) -> np.ndarray:
    t = _GRID[np.abs(_GRID) <= _TAIL.get(name, math.inf)]
    if k == 2 and name in _SKIP_ZERO:
        t = t[t != 0.0]
    return t


def _exact(expr: sp.Expr, subs: dict) -> float:
    """expr at exact rational values of its symbols, to 30 correct digits, rounded to float."""
    exact = {sym: sp.Rational(float(v)) for sym, v in subs.items()}
    return float(expr.subs(exact).evalf(30))


@functools.cache
def _sympy_derivatives(name: str) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    e = BUILTIN_ACTIVATIONS[name].sympy_sigma(T_SYM)
    return e, sp.diff(e, T_SYM), sp.diff(e, T_SYM, 2)


@functools.cache
def _reference(name: str, k: int) -> tuple[np.ndarray, np.ndarray]:
    t = _grid(name, k)
    expr = _sympy_derivatives(name)[k]
    return t, np.array([_exact(expr, {T_SYM: v}) for v in t])


def _max_rel_err(got: np.ndarray, ref: np.ndarray) -> float:
    got = np.asarray(got, dtype=np.float64)
    assert got.shape == ref.shape
    assert np.all(np.isfinite(got))
    zero = ref == 0.0
    assert np.all(got[zero] == 0.0)
    return float(np.max(np.abs(got[~zero] - ref[~zero]) / np.abs(ref[~zero])))


# --------------------------------------------------------------------------- σ, σ', σ''


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("k", [0, 1, 2], ids=["sigma", "d1", "d2"])
def test_builtin_matches_sympy_relative(name, k):
    """σ, σ', σ'' agree with the exact derivative to a few ulps in relative terms, tails included
    (σ'(40) = 4e⁻⁸⁰ for tanh: only the stable sech² form gets that right)."""
    act = BUILTIN_ACTIVATIONS[name]
    t, ref = _reference(name, k)
    fn = (act.sigma, act.d1, act.d2)[k]
    got = np.asarray(fn(jnp.asarray(t)))
    assert _max_rel_err(got, ref) < 8 * EPS


@pytest.mark.parametrize("name", ["tanh", "logistic", "erf"])
def test_tail_derivative_is_tiny_but_relatively_exact(name):
    """Deep in the tails σ' is tiny but not flushed to zero, and σ'' keeps its sign."""
    act = BUILTIN_ACTIVATIONS[name]
    t = np.array([-25.0, -20.0, 20.0, 25.0]) if name == "erf" else np.array([-40.0, 40.0])
    d1 = np.asarray(act.d1(jnp.asarray(t)))
    d2 = np.asarray(act.d2(jnp.asarray(t)))
    assert np.all(d1 > 0) and np.all(d1 < 1e-15)
    np.testing.assert_array_equal(np.sign(d2), -np.sign(t))
    ref = np.array([_exact(_sympy_derivatives(name)[1], {T_SYM: v}) for v in t])
    np.testing.assert_allclose(d1, ref, rtol=1e-14, atol=0)


def test_tanh_d1_beats_naive_cancellation():
    """The naive 1 − tanh² is 0 at t = 20; the implemented σ' is not."""
    act = BUILTIN_ACTIVATIONS["tanh"]
    assert float(1.0 - jnp.tanh(20.0) ** 2) == 0.0
    np.testing.assert_allclose(
        float(act.d1(20.0)), 4 * math.exp(-40) / (1 + math.exp(-40)) ** 2, rtol=4 * EPS
    )


@pytest.mark.parametrize("name", NAMES)
def test_builtin_derivatives_match_jax_grad(name):
    act = BUILTIN_ACTIVATIONS[name]
    t = np.concatenate([np.linspace(-6.0, 6.0, 49), [0.05, -0.05, 1e-4]])
    t = t[t != 0.0]  # softsign'' is discontinuous at 0
    grads = jax.jit(
        lambda x: (
            act.d1(x),
            act.d2(x),
            jax.vmap(jax.grad(act.sigma))(x),
            jax.vmap(jax.grad(jax.grad(act.sigma)))(x),
        )
    )
    d1, d2, g1, g2 = grads(jnp.asarray(t))
    # jax's own tanh rule is 1 − tanh²: accurate in absolute, not relative, terms.
    np.testing.assert_allclose(d1, g1, rtol=1e-13, atol=4 * EPS)
    np.testing.assert_allclose(d2, g2, rtol=1e-13, atol=8 * EPS)


@pytest.mark.parametrize("name", NAMES)
def test_derivatives_keep_shape_and_dtype(name):
    act = BUILTIN_ACTIVATIONS[name]
    t = jnp.linspace(-2.0, 2.0, 12).reshape(3, 4)
    for y in jax.jit(lambda t: (act.sigma(t), act.d1(t), act.d2(t)))(t):
        assert y.shape == (3, 4)
        assert y.dtype == jnp.float64


@pytest.mark.parametrize("name", NAMES)
def test_range_matches_sympy_limits(name):
    act = BUILTIN_ACTIVATIONS[name]
    e = act.sympy_sigma(T_SYM)
    lo, hi = sp.limit(e, T_SYM, -sp.oo), sp.limit(e, T_SYM, sp.oo)
    assert act.range == pytest.approx((float(lo), float(hi)), abs=1e-15)
    assert float(act.sigma(-60.0)) >= act.range[0] and float(act.sigma(60.0)) <= act.range[1]


@pytest.mark.parametrize("name", NAMES)
def test_inverse_round_trips(name):
    act = BUILTIN_ACTIVATIONS[name]
    assert act.inverse is not None
    # σ⁻¹(σ(t)) = t, within the conditioning |σ(t)|/σ'(t) of the inversion.
    t = np.concatenate([np.linspace(-3.0, 3.0, 61), [1e-6, -1e-6]])
    lo, hi = act.range
    lo, hi = max(lo, -10.0), min(hi, 10.0)
    yy = lo + (hi - lo) * np.linspace(0.01, 0.99, 41)

    @jax.jit
    def trips(t, yy):
        y = act.sigma(t)
        return y, act.inverse(y), act.d1(t), act.sigma(act.inverse(yy))

    y, back, d1, there_and_back = (np.asarray(a) for a in trips(jnp.asarray(t), jnp.asarray(yy)))
    cond = np.abs(y) / d1
    assert np.all(np.abs(back - t) <= 8 * EPS * (np.abs(t) + cond))
    # σ(σ⁻¹(y)) = y on the open range.
    np.testing.assert_allclose(there_and_back, yy, rtol=1e-14, atol=1e-15)


# --------------------------------------------------------------------------- the blend σ_λ


@functools.cache
def _sympy_blend(name: str) -> tuple[sp.Expr, ...]:
    e = BUILTIN_ACTIVATIONS[name].sympy_blend(T_SYM, LAM_SYM)
    e1 = sp.diff(e, T_SYM)
    return e, e1, sp.diff(e, T_SYM, 2), sp.diff(e, LAM_SYM), sp.diff(e1, LAM_SYM)


_BLEND_T = np.array([-40.0, -17.5, -2.25, -0.4, -1e-3, 1e-3, 0.8, 3.0, 8.0, 24.0, 40.0])
_BLEND_LAM = (0.0, 0.3, 1.0)


@pytest.mark.parametrize("name", NAMES)
def test_blend_matches_sympy(name):
    """σ_λ, σ_λ', σ_λ'', ∂σ_λ/∂λ, ∂σ_λ'/∂λ against sympy's exact partial derivatives.

    ∂σ_λ/∂λ = σ(t) − t and ∂σ_λ'/∂λ = σ'(t) − 1 cancel near t = 0 (the exact value is
    O(t³) resp. O(t²)), so they are held to an absolute error of a few ulps of the inputs.
    """
    act = BUILTIN_ACTIVATIONS[name]
    exprs = _sympy_blend(name)
    t = _BLEND_T[np.abs(_BLEND_T) <= _TAIL.get(name, math.inf)]
    impls = (
        lambda tt, lam: act.blend(tt, lam),
        lambda tt, lam: act.blend_d1(tt, lam),
        lambda tt, lam: act.blend_d2(tt, lam),
        lambda tt, lam: act.blend_dlam(tt),
        lambda tt, lam: act.blend_d1_dlam(tt),
    )
    # absolute slack in units of eps: scale |t| for values, 1 for slopes, 0 for σ_λ''.
    abs_scale = (np.abs(t), np.ones_like(t), np.zeros_like(t), np.abs(t) + 1.0, np.ones_like(t))
    for lam in _BLEND_LAM:
        for k, (expr, impl) in enumerate(zip(exprs, impls, strict=True)):
            tk = t[t != 0.0] if (k == 2 and name in _SKIP_ZERO) else t
            ref = np.array([_exact(expr, {T_SYM: v, LAM_SYM: lam}) for v in tk])
            got = np.asarray(impl(jnp.asarray(tk), lam))
            sl = abs_scale[k][np.isin(t, tk)]
            err = np.abs(got - ref)
            bound = 8 * EPS * (np.abs(ref) + sl)
            assert np.all(err <= bound), (name, lam, k, tk[err > bound], err[err > bound])


@pytest.mark.parametrize("name", NAMES)
def test_blend_derivatives_match_jax_grad(name):
    act = BUILTIN_ACTIVATIONS[name]
    t = jnp.asarray(np.linspace(-4.0, 4.0, 33) + 0.0625)  # avoid t = 0 (softsign'')
    lam = 0.37

    @jax.jit
    def both(t, lam):
        def grad(f, argnum):
            return jax.vmap(jax.grad(f, argnums=argnum), in_axes=(0, None))(t, lam)

        impl = (act.blend_d1(t, lam), act.blend_dlam(t), act.blend_d2(t, lam), act.blend_d1_dlam(t))
        auto = (
            grad(act.blend, 0),
            grad(act.blend, 1),
            grad(act.blend_d1, 0),
            grad(act.blend_d1, 1),
        )
        return impl, auto

    impl, auto = both(t, lam)
    for a, b in zip(impl, auto, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


def test_blend_endpoints():
    t = np.linspace(-5.0, 5.0, 16)

    @jax.jit
    def ends(t):
        return [
            (
                a.blend(t, 0.0),
                a.blend_d1(t, 0.0),
                a.blend(t, 1.0),
                a.blend_d1(t, 1.0),
                a.sigma(t),
                a.d1(t),
            )
            for a in BUILTIN_ACTIVATIONS.values()
        ]

    for b0, b0_d1, b1, b1_d1, sigma, d1 in ends(jnp.asarray(t)):
        np.testing.assert_array_equal(b0, t)
        np.testing.assert_array_equal(b0_d1, np.ones(16))
        np.testing.assert_array_equal(b1, sigma)
        np.testing.assert_array_equal(b1_d1, d1)


@functools.partial(jax.jit, static_argnums=0)
def _blend_and_slope(act, t, lam):
    return act.blend_d1(t, lam), act.blend(t, lam)


@settings(max_examples=30, deadline=None)
@given(
    name=st.sampled_from(NAMES),
    t=hnp.arrays(np.float64, 16, elements=st.floats(-20.0, 20.0)),
    lam=st.floats(0.0, 1.0),
)
def test_blend_is_strictly_increasing(name, t, lam):
    """σ_λ' = (1 − λ) + λσ' > 0 on [0, 1], and σ_λ is monotone along sorted arguments."""
    ts = np.sort(t)
    slope, y = _blend_and_slope(BUILTIN_ACTIVATIONS[name], jnp.asarray(ts), lam)
    assert np.all(np.asarray(slope) > 0.0)
    assert np.all(np.diff(np.asarray(y)) >= 0.0)


def test_sympy_blend_formula():
    act = BUILTIN_ACTIVATIONS["tanh"]
    expr = act.sympy_blend(T_SYM, LAM_SYM)
    assert sp.simplify(expr - ((1 - LAM_SYM) * T_SYM + LAM_SYM * sp.tanh(T_SYM))) == 0


# --------------------------------------------------------------------------- user callables


def _half_tanh_2t(t):
    return jnp.tanh(2.0 * t) / 2.0


@pytest.mark.parametrize(
    "fn", [lambda t: jnp.tanh(2 * t) / 2, _half_tanh_2t], ids=["lambda", "named_def"]
)
def test_user_callable_gets_correct_derivatives(fn):
    act = get_activation(fn)
    assert isinstance(act, Activation)
    e = sp.tanh(2 * T_SYM) / 2
    exprs = (e, sp.diff(e, T_SYM), sp.diff(e, T_SYM, 2), 1 - LAM_SYM + LAM_SYM * sp.diff(e, T_SYM))
    t = np.linspace(-3.0, 3.0, 24) + 0.01
    # derivatives work elementwise on any shape (here (4, 6)) and under jit
    got = jax.jit(lambda x: (act.sigma(x), act.d1(x), act.d2(x), act.blend_d1(x, 0.4)))(
        jnp.asarray(t).reshape(4, 6)
    )
    for expr, g in zip(exprs, got, strict=True):
        assert g.shape == (4, 6)
        ref = np.array([_exact(expr, {T_SYM: v, LAM_SYM: 0.4}) for v in t])
        # jax.grad of tanh uses 1 − tanh²: accurate to ~1e-15 absolute, not relative.
        np.testing.assert_allclose(np.ravel(g), ref, rtol=1e-13, atol=1e-14)
    assert act.inverse is None and act.sympy_sigma is None
    with pytest.raises(ValueError, match="activation"):
        act.sympy_blend(T_SYM, LAM_SYM)


def test_user_callable_name():
    assert get_activation(_half_tanh_2t).name == "_half_tanh_2t"
    assert get_activation(lambda t: jnp.sin(t)).name == "<lambda>"


def test_get_activation_resolves_names_and_instances():
    for name in NAMES:
        act = get_activation(name)
        assert act is BUILTIN_ACTIVATIONS[name]
        assert act.name == name
        assert get_activation(act) is act


def _not_traceable(t):
    return float(t) * 2.0


def _numpy_only(t):
    return np.tanh(np.asarray(t))


@pytest.mark.parametrize(
    "bad",
    [
        "relu",
        "TANH",
        "",
        _not_traceable,
        _numpy_only,
        lambda t: jnp.stack([t, t]),
        lambda t: jnp.ones(3) * t,
        lambda a, b: a + b,
        42,
        None,
        [jnp.tanh],
    ],
    ids=[
        "unknown_name",
        "wrong_case",
        "empty",
        "float_cast",
        "numpy_only",
        "vector_valued",
        "broadcast_vector",
        "two_args",
        "int",
        "none",
        "list",
    ],
)
def test_bad_activation_raises_value_error(bad):
    with pytest.raises(ValueError, match="activation"):
        get_activation(bad)


def test_unknown_name_lists_choices():
    with pytest.raises(ValueError, match="tanh") as info:
        get_activation("relu")
    assert "relu" in str(info.value)


# --------------------------------------------------------------------------- as jit static args


def test_activations_are_hashable_and_immutable():
    acts = [get_activation(n) for n in NAMES] + [get_activation(_half_tanh_2t)]
    table = {a: a.name for a in acts}
    assert len(table) == len(acts)
    for a in acts:
        assert hash(a) == hash(a)
        assert table[a] == a.name
    with pytest.raises(dataclasses.FrozenInstanceError):
        acts[0].name = "other"


def test_activation_as_jit_static_argument():
    calls = []

    @functools.partial(jax.jit, static_argnums=0)
    def f(act, t, lam):
        calls.append(act.name)
        return act.blend_d1(t, lam) + act.blend_d2(t, lam)

    t = np.linspace(-2.0, 2.0, 7)
    for name in ("tanh", "arctan"):
        for lam in (0.5, 0.25):  # λ is traced: no retrace
            # numpy: σ_λ' + σ_λ'' = (1 − λ) + λ(σ' + σ'')
            d1, d2 = (
                (1 / np.cosh(t) ** 2, -2 * np.tanh(t) / np.cosh(t) ** 2)
                if name == "tanh"
                else (1 / (1 + t * t), -2 * t / (1 + t * t) ** 2)
            )
            np.testing.assert_allclose(
                f(get_activation(name), jnp.asarray(t), lam),
                (1 - lam) + lam * (d1 + d2),
                rtol=1e-14,
            )
    assert calls == ["tanh", "arctan"]  # one trace per activation: σ is static
    user = get_activation(jsp.erf)
    np.testing.assert_allclose(f(user, t, 0.5), f(get_activation("erf"), t, 0.5), rtol=1e-14)
