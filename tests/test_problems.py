"""Homotopy systems: NaturalHomotopy and FunctionHomotopy against independent references.

H, H_w, H_λ and the Jacobian are checked against (a) ``jax.jacfwd`` of H, (b) central finite
differences, (c) for least squares ``jax.grad``/``jax.hessian`` of the error E_λ, and (d) a plain
numpy transcription of the formulas in DESIGN.md §1 with numpy's own σ and σ'.
"""

from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import numpy_reference as _ref
import pytest
from hypothesis import assume, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from homotopy.activations import get_activation
from homotopy.network import SingleLayerPerceptron
from homotopy.problems import FunctionHomotopy, NaturalHomotopy, RankError, linear_start


NAMES = ("tanh", "logistic", "arctan", "erf", "softsign")
OBJECTIVES = ("least_squares", "interpolation")
LAMS = (0.0, 0.3, 1.0)

NP_SIGMA, NP_D1 = dict(_ref.NP_SIGMA), dict(_ref.NP_D1)  # extended below


# --------------------------------------------------------------------------- references


def np_design(X, bias):
    return np.hstack([X, np.ones((X.shape[0], 1))]) if bias else np.asarray(X)


def np_H(X, d, w, lam, name, objective, bias):
    """DESIGN.md §1 in numpy: −J^T r per output, or σ_λ(X̃W) − d."""
    Xt = np_design(X, bias)
    D = d.reshape(d.shape[0], -1)
    W = w.reshape(Xt.shape[1], D.shape[1])
    Z = Xt @ W
    R = D - ((1 - lam) * Z + lam * NP_SIGMA[name](Z))
    if objective == "interpolation":
        return -R.reshape(-1)
    return -(Xt.T @ (((1 - lam) + lam * NP_D1[name](Z)) * R)).reshape(-1)


def np_error(X, d, w, lam, name, bias):
    Xt = np_design(X, bias)
    D = d.reshape(d.shape[0], -1)
    Z = Xt @ w.reshape(Xt.shape[1], D.shape[1])
    R = D - ((1 - lam) * Z + lam * NP_SIGMA[name](Z))
    return 0.5 * np.sum(R * R)


def _half_tanh_2t(t):
    return jnp.tanh(2.0 * t) / 2.0


# a user-given callable activation rides along with the built-ins
USER = "half_tanh_2t"
ACTIVATION = {**{n: n for n in NAMES}, USER: _half_tanh_2t}
NP_SIGMA[USER] = lambda z: np.tanh(2 * z) / 2
NP_D1[USER] = lambda z: 1.0 / np.cosh(2 * z) ** 2

CONFIGS = list(itertools.product(NAMES, OBJECTIVES, [False, True], [False, True])) + list(
    itertools.product((USER,), ("least_squares",), [False, True], [False, True])
)


def _config_id(cfg):
    name, objective, multi, bias = cfg
    return f"{name}-{objective}-{'multi' if multi else 'single'}-{'bias' if bias else 'nobias'}"


def make_data(objective, multi, bias, seed=0, n_in=3):
    """Random X (well conditioned: cond X̃ < 30), targets in (−0.8, 0.8) and O(1) weights."""
    rng = np.random.default_rng(seed)
    s = n_in + int(bias)
    L = s if objective == "interpolation" else 7
    while True:
        X = rng.normal(size=(L, n_in))
        if np.linalg.cond(np_design(X, bias)) < 30:
            break
    d = rng.uniform(-0.8, 0.8, size=(L, 2) if multi else (L,))
    m = 2 if multi else 1
    w = rng.normal(size=(s * m,)) * 0.6
    return X, d, w


def _derivatives(p, w, lam):
    """The problem's maps and their autodiff references at one λ."""
    u = jnp.concatenate([w, jnp.reshape(lam, (1,))])

    def Hu(v):
        return p.H(v[:-1], v[-1])

    out = {
        "H": p.H(w, lam),
        "H_w": p.H_w(w, lam),
        "H_lam": p.H_lam(w, lam),
        "jac": p.jacobian(w, lam),
        "jacfwd": jax.jacfwd(Hu)(u),
    }
    if p.objective == "least_squares":
        out["grad_E"] = jax.grad(p.error)(w, lam)
        out["hess_E"] = jax.hessian(p.error)(w, lam)
    return out


def _all_derivatives(problems, ws, lam):
    return [_derivatives(p, w, lam) for p, w in zip(problems, ws, strict=True)]


# Compile time, not run time, dominates these tiny graphs: compile one function per
# activation (all its configurations at once) without LLVM's expensive optimizations.
_FAST_COMPILE = {"xla_backend_optimization_level": 0, "xla_llvm_disable_expensive_passes": True}


@pytest.fixture(scope="module")
def derivs():
    datas = [make_data(*cfg[1:], seed=k) for k, cfg in enumerate(CONFIGS)]
    problems = [
        NaturalHomotopy(X, d, ACTIVATION[cfg[0]], cfg[1], bias=cfg[3])
        for cfg, (X, d, _) in zip(CONFIGS, datas, strict=True)
    ]
    ws = [jnp.asarray(w) for *_, w in datas]
    starts = [p.start() for p in problems]
    result = {}
    for name in ACTIVATION:
        idx = [k for k, cfg in enumerate(CONFIGS) if cfg[0] == name]
        ps, w_at = [problems[k] for k in idx], [ws[k] for k in idx]
        fn = jax.jit(_all_derivatives).lower(ps, w_at, jnp.asarray(0.5)).compile(_FAST_COMPILE)
        per_lam = [jax.device_get(fn(ps, w_at, jnp.asarray(lam))) for lam in LAMS]
        # the same compiled function evaluated at the λ = 0 starts
        at_start = jax.device_get(fn(ps, [jnp.asarray(starts[k]) for k in idx], jnp.asarray(0.0)))
        for j, k in enumerate(idx):
            result[CONFIGS[k]] = (datas[k], [r[j] for r in per_lam], starts[k], at_start[j]["H"])
    return result


# --------------------------------------------------------------------------- derivatives


@pytest.mark.parametrize("cfg", CONFIGS, ids=_config_id)
def test_H_and_jacobian_against_references(derivs, cfg):
    name, objective, multi, bias = cfg
    (X, d, w), outs, _, _ = derivs[cfg]
    n = w.size
    for lam, out in zip(LAMS, outs, strict=True):
        H, H_w, H_lam, jac = out["H"], out["H_w"], out["H_lam"], out["jac"]
        assert H.shape == (n,) and H_w.shape == (n, n) and H_lam.shape == (n,)
        assert jac.shape == (n, n + 1)
        np.testing.assert_array_equal(jac, np.concatenate([H_w, H_lam[:, None]], axis=1))
        # (d) numpy transcription of the formulas
        np.testing.assert_allclose(
            H, np_H(X, d, w, lam, name, objective, bias), rtol=1e-13, atol=1e-14
        )
        # (a) forward-mode autodiff of H
        scale = np.max(np.abs(jac))
        np.testing.assert_allclose(jac, out["jacfwd"], rtol=1e-12, atol=1e-13 * scale)
        # (b) central finite differences of the independent numpy H (equal to H, checked above)
        np.testing.assert_allclose(
            _np_fd_jacobian(X, d, w, lam, name, objective, bias), jac, rtol=0, atol=1e-7 * scale
        )
        if objective == "least_squares":
            # (c) H = ∇E and H_w = ∇²E, differentiated by JAX from the error alone
            np.testing.assert_allclose(H, out["grad_E"], rtol=1e-12, atol=1e-13 * scale)
            np.testing.assert_allclose(H_w, out["hess_E"], rtol=1e-12, atol=1e-13 * scale)
            np.testing.assert_allclose(H_w, H_w.T, rtol=0, atol=1e-14 * scale)


def _np_fd_jacobian(X, d, w, lam, name, objective, bias, h=1e-6):
    u = np.concatenate([w, [lam]])
    cols = []
    for k in range(u.size):
        hk = h * max(1.0, abs(u[k]))
        up, um = u.copy(), u.copy()
        up[k] += hk
        um[k] -= hk
        cols.append(
            (
                np_H(X, d, up[:-1], up[-1], name, objective, bias)
                - np_H(X, d, um[:-1], um[-1], name, objective, bias)
            )
            / (2 * hk)
        )
    return np.stack(cols, axis=1)


@pytest.mark.parametrize(
    "multi,bias", [(False, False), (True, True)], ids=["single-nobias", "multi-bias"]
)
def test_embedding_residual_error_against_numpy(multi, bias):
    X, d, w = make_data("least_squares", multi, bias, seed=17)
    p = NaturalHomotopy(X, d, "logistic", bias=bias)
    lam = 0.6
    Xt = np_design(X, bias)
    Z = Xt @ w.reshape(Xt.shape[1], -1)
    phi = ((1 - lam) * Z + lam * NP_SIGMA["logistic"](Z)).reshape(-1)
    f = jax.jit(
        lambda p, w: (
            p.embedding(w, lam),
            p.residual(w, lam),
            p.error(w, lam),
            p.embedding_jacobian(w, lam),
            p.preactivation(w),
            p.H(w, lam),
        )
    )
    emb, r, E, J, Zc, H = f(p, w)
    np.testing.assert_allclose(Zc, Z, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(emb, phi, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(r, d.reshape(-1) - phi, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(E, np_error(X, d, w, lam, "logistic", bias), rtol=1e-13)
    # J = ∂φ/∂w by central differences of the numpy φ (w flattened row-major from (s, m))
    m = 2 if multi else 1
    Jfd = np.empty((Xt.shape[0] * m, w.size))
    for k in range(w.size):
        e = np.zeros(w.size)
        e[k] = 1e-6
        zp, zm = Xt @ (w + e).reshape(-1, m), Xt @ (w - e).reshape(-1, m)
        fp = (1 - lam) * zp + lam * NP_SIGMA["logistic"](zp)
        fm = (1 - lam) * zm + lam * NP_SIGMA["logistic"](zm)
        Jfd[:, k] = ((fp - fm) / 2e-6).reshape(-1)
    np.testing.assert_allclose(J, Jfd, rtol=0, atol=1e-8)
    # H = −Jᵀr
    np.testing.assert_allclose(H, -np.asarray(J).T @ np.asarray(r), rtol=1e-12, atol=1e-14)


def test_multi_output_is_blockwise_single_output():
    """With m outputs the least-squares system decouples into m single-output systems."""
    X, d, w = make_data("least_squares", True, True, seed=11)
    p = NaturalHomotopy(X, d, "logistic", bias=True)
    W = w.reshape(4, 2)
    singles = [NaturalHomotopy(X, d[:, k], "logistic", bias=True) for k in range(2)]

    @jax.jit
    def f(p, singles, w, W):
        return (
            p.H(w, 0.6),
            p.H_w(w, 0.6),
            [(q.H(W[:, k], 0.6), q.H_w(W[:, k], 0.6)) for k, q in enumerate(singles)],
        )

    H, Hw, per_output = f(p, singles, w, W)
    H, Hw = np.asarray(H).reshape(4, 2), np.asarray(Hw).reshape(4, 2, 4, 2)
    for k, (Hk, Hwk) in enumerate(per_output):
        np.testing.assert_allclose(H[:, k], Hk, rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(Hw[:, k, :, k], Hwk, rtol=1e-14, atol=1e-15)
        np.testing.assert_array_equal(Hw[:, k, :, 1 - k], 0.0)


def test_user_callable_activation_is_used(derivs):
    """The user-callable configuration really runs σ(t) = tanh(2t)/2, not a built-in."""
    (X, d, w), outs, _, _ = derivs[(USER, "least_squares", False, False)]
    ref_tanh = np_H(X, d, w, 1.0, "tanh", "least_squares", False)
    assert np.max(np.abs(outs[-1]["H"] - ref_tanh)) > 1e-3


# --------------------------------------------------------------------------- the start


@pytest.mark.parametrize("cfg", CONFIGS, ids=_config_id)
def test_start_is_linear_solution(derivs, cfg):
    name, objective, multi, bias = cfg
    (X, d, _), _, w0, H0 = derivs[cfg]
    m = 2 if multi else 1
    assert isinstance(w0, np.ndarray) and w0.dtype == np.float64
    assert w0.shape == ((3 + int(bias)) * m,)
    Xt = np_design(X, bias)
    D = d.reshape(d.shape[0], -1)
    if objective == "interpolation":
        ref = np.linalg.solve(Xt, D)
    else:
        ref = np.linalg.solve(Xt.T @ Xt, Xt.T @ D)  # the normal equations
        lst, *_ = np.linalg.lstsq(Xt, D, rcond=None)
        np.testing.assert_allclose(w0, lst.reshape(-1), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(w0, ref.reshape(-1), rtol=1e-12, atol=1e-14)
    # at λ = 0 the start solves the homotopy, whatever the activation
    np.testing.assert_allclose(H0, 0.0, atol=1e-13)


def test_interpolation_closed_form_at_lambda_one():
    """DESIGN.md §1: at λ = 1 with tanh, w = X⁻¹ artanh(d) solves H = 0 when |d| < 1."""
    X, d, _ = make_data("interpolation", False, True, seed=8)
    p = NaturalHomotopy(X, d, "tanh", "interpolation", bias=True)
    w1 = np.linalg.solve(np_design(X, True), np.arctanh(d))
    np.testing.assert_allclose(p.H(w1, 1.0), 0.0, atol=1e-14)
    assert np.max(np.abs(np.asarray(p.H(w1, 0.5)))) > 1e-3


@pytest.mark.parametrize(
    "X,bias,rank,s",
    [
        (
            np.array([[1.0, 2.0, 2.0], [0.5, 1.0, 1.0], [3.0, -1.0, -1.0], [2.0, 0.0, 0.0]]),
            False,
            2,
            3,
        ),
        (np.array([[1.0, 1.0], [2.0, 1.0], [3.0, 1.0], [-1.0, 1.0]]), True, 2, 3),
        (np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), False, 2, 3),
        (np.zeros((4, 2)), False, 0, 2),
    ],
    ids=["duplicate_column", "constant_column_plus_bias", "too_few_patterns", "zero"],
)
def test_rank_deficient_start_raises(X, bias, rank, s):
    d = np.linspace(-0.5, 0.5, X.shape[0])
    p = NaturalHomotopy(X, d, bias=bias)  # construction is fine; only start() needs full rank
    with pytest.raises(ValueError, match="X") as info:
        p.start()
    msg = str(info.value)
    assert f"rank {rank}" in msg and f"s = {s}" in msg


def test_linear_start_stacked_against_lstsq():
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, (4, 6, 3))
    D = rng.uniform(-1, 1, (4, 6, 2))
    W = linear_start(X, D)
    assert W.shape == (4, 6)
    for b in range(4):
        ref = np.linalg.lstsq(X[b], D[b], rcond=None)[0].reshape(-1)
        np.testing.assert_allclose(W[b], ref, rtol=0, atol=1e-13)
        np.testing.assert_array_equal(W[b], linear_start(X[b], D[b]))  # same per problem
    # one design, many targets (broadcast), and NaturalHomotopy.start is the same function
    Wd = linear_start(X[0], D)
    assert Wd.shape == (4, 6)
    np.testing.assert_allclose(Wd[2], linear_start(X[0], D[2]), rtol=0, atol=1e-15)
    p = NaturalHomotopy(X[1][:, :2], D[1][:, 0], bias=True)
    np.testing.assert_array_equal(p.start(), linear_start(np.asarray(p.design), D[1][:, :1]))


def test_linear_start_rank_error_names_the_problem():
    X = np.random.default_rng(4).uniform(-1, 1, (3, 5, 2))
    X[2, :, 1] = 2.0 * X[2, :, 0]
    with pytest.raises(RankError, match=r"X: problem 2 has rank 1 < s = 2") as info:
        linear_start(X, np.zeros((3, 5, 1)))
    assert isinstance(info.value, ValueError)
    assert (info.value.rank, info.value.s, info.value.index) == (1, 2, (2,))
    with pytest.raises(ValueError, match=r"^X: rank 1 < s = 2; the linear"):
        linear_start(X[2], np.zeros((5, 1)))
    with pytest.raises(ValueError, match="D"):
        linear_start(X[0], np.zeros(5))


def test_singular_square_interpolation_start_raises():
    X = np.array([[1.0, 2.0], [2.0, 4.0]])
    p = NaturalHomotopy(X, [0.1, 0.2], objective="interpolation")
    with pytest.raises(ValueError, match="rank 1"):
        p.start()


# --------------------------------------------------------------------------- validation

_X = np.arange(12.0).reshape(4, 3) / 7
_d = np.array([0.1, -0.2, 0.3, 0.0])


@pytest.mark.parametrize(
    "kwargs,arg",
    [
        (dict(X=np.where(np.eye(4, 3) > 0, np.nan, _X), d=_d), "X"),
        (dict(X=np.where(np.eye(4, 3) > 0, np.inf, _X), d=_d), "X"),
        (dict(X=_X, d=np.array([0.1, np.nan, 0.3, 0.0])), "d"),
        (dict(X=_X, d=np.array([[0.1, -np.inf]] * 4)), "d"),
        (dict(X=_X.ravel(), d=_d), "X"),
        (dict(X=_X[None], d=_d), "X"),
        (dict(X=np.float64(1.0), d=_d), "X"),
        (dict(X=_X, d=np.ones((4, 2, 1))), "d"),
        (dict(X=_X, d=np.float64(0.5)), "d"),
        (dict(X=_X, d=_d[:3]), "d"),
        (dict(X=_X[:3], d=_d), "d"),
        (dict(X=[["a", "b"], ["c", "d"]], d=[0.0, 1.0]), "X"),
        (dict(X=_X, d=_d, objective="maximum_likelihood"), "objective"),
        (dict(X=_X, d=_d, objective="interpolation"), "X"),
        (dict(X=_X[:3], d=_d[:3], objective="interpolation", bias=True), "X"),
        (dict(X=_X, d=_d, activation="relu"), "activation"),
        (dict(X=_X, d=_d, activation=lambda t: jnp.stack([t, t])), "activation"),
    ],
    ids=[
        "nan_X",
        "inf_X",
        "nan_d",
        "inf_d_multi",
        "X_1d",
        "X_3d",
        "X_scalar",
        "d_3d",
        "d_scalar",
        "d_short",
        "X_short",
        "X_strings",
        "objective",
        "interp_L_ne_s",
        "interp_L_ne_s_bias",
        "activation_name",
        "activation_vector",
    ],
)
def test_validation_names_the_argument(kwargs, arg):
    with pytest.raises(ValueError) as info:
        NaturalHomotopy(**kwargs)
    assert str(info.value).startswith(f"{arg}:"), str(info.value)


def test_accepts_lists_and_ints():
    p = NaturalHomotopy([[1, 0], [0, 1], [1, 1]], [1, 0, 0])
    assert p.X.dtype == jnp.float64 and p.d.dtype == jnp.float64
    assert (p.n_patterns, p.n_features, p.n_outputs, p.n_unknowns) == (3, 2, 1, 2)
    q = NaturalHomotopy(np.ones((5, 2)) + np.eye(5, 2), np.zeros((5, 3)), bias=True)
    assert (q.n_patterns, q.n_features, q.n_outputs, q.n_unknowns) == (5, 3, 3, 9)
    np.testing.assert_array_equal(q.design[:, -1], np.ones(5))
    assert "L=5" in repr(q) and "tanh" in repr(q)


def test_network_view():
    X, d, w = make_data("least_squares", True, True, seed=2)
    p = NaturalHomotopy(X, d, "erf", bias=True)
    net = p.network(w)
    assert isinstance(net, SingleLayerPerceptron) and net.bias
    assert net.weights.shape == (4, 2)
    np.testing.assert_allclose(net(X, 0.3).reshape(-1), p.embedding(w, 0.3), rtol=1e-15)
    assert p.activation is get_activation("erf")


def test_immutable():
    p = NaturalHomotopy(_X, _d)
    for attr in ("X", "d", "activation", "objective", "bias", "something_new"):
        with pytest.raises(AttributeError):
            setattr(p, attr, 1.0)
    np.testing.assert_array_equal(p.X, _X)


# --------------------------------------------------------------------------- PyTree


def test_passes_through_jit_as_argument():
    traces = []

    @jax.jit
    def f(p, w, lam):
        traces.append(1)
        return p.H(w, lam), p.jacobian(w, lam)

    for seed in (0, 1, 2):  # new data, same structure: no retrace
        X, d, w = make_data("least_squares", False, True, seed=seed)
        p = NaturalHomotopy(X, d, "arctan", bias=True)
        H, J = f(p, w, 0.4)
        np.testing.assert_allclose(
            H, np_H(X, d, w, 0.4, "arctan", "least_squares", True), rtol=1e-13, atol=1e-14
        )
        np.testing.assert_allclose(
            J, _np_fd_jacobian(X, d, w, 0.4, "arctan", "least_squares", True), atol=1e-7
        )
    assert len(traces) == 1


@pytest.mark.parametrize("objective,multi", [("least_squares", False), ("interpolation", True)])
def test_vmap_over_stacked_problems(objective, multi):
    B = 4
    datas = [make_data(objective, multi, True, seed=100 + k) for k in range(B)]
    probs = [NaturalHomotopy(X, d, "tanh", objective, bias=True) for X, d, _ in datas]
    leaves, treedef = jax.tree_util.tree_flatten(probs[0])
    assert len(leaves) == 2
    per_problem = [jax.tree_util.tree_leaves(p) for p in probs]
    stacked = [jnp.stack(ls) for ls in zip(*per_problem, strict=True)]
    batched = jax.tree_util.tree_unflatten(treedef, stacked)
    assert batched.n_patterns == probs[0].n_patterns and batched.n_outputs == probs[0].n_outputs
    ws = jnp.stack([w for *_, w in datas])
    lams = jnp.array([0.0, 0.3, 0.7, 1.0])
    H, J = jax.jit(jax.vmap(lambda p, w, lam: (p.H(w, lam), p.jacobian(w, lam))))(batched, ws, lams)
    # the same as looping over the problems one at a time
    looped = jax.jit(lambda p, w, lam: (p.H(w, lam), p.jacobian(w, lam)))
    for k, (p, (X, d, w)) in enumerate(zip(probs, datas, strict=True)):
        Hk, Jk = looped(p, w, lams[k])
        np.testing.assert_allclose(H[k], Hk, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(J[k], Jk, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(
            H[k], np_H(X, d, w, float(lams[k]), "tanh", objective, True), rtol=1e-13, atol=1e-14
        )


def test_tree_unflatten_keeps_static_fields():
    p = NaturalHomotopy(_X, _d, "softsign", bias=True)
    leaves, treedef = jax.tree_util.tree_flatten(p)
    q = jax.tree_util.tree_unflatten(treedef, [2 * leaves[0], leaves[1]])
    assert isinstance(q, NaturalHomotopy)
    assert (q.activation, q.objective, q.bias) == (p.activation, p.objective, p.bias)
    np.testing.assert_array_equal(q.X, 2 * _X)
    with pytest.raises(AttributeError):
        q.X = _X


# --------------------------------------------------------------------------- hypothesis


@jax.jit
def _h_and_hess(p, w, lam):
    return p.H(w, lam), p.H_w(w, lam), jax.hessian(p.error)(w, lam)


_finite = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False)


@settings(max_examples=25, deadline=None)
@given(
    X=hnp.arrays(np.float64, (6, 3), elements=_finite),
    d=hnp.arrays(np.float64, (6,), elements=st.floats(-0.95, 0.95)),
    w=hnp.arrays(np.float64, (4,), elements=_finite),
    lam=st.floats(0.0, 1.0),
)
def test_property_H_matches_numpy_and_hessian(X, d, w, lam):
    p = NaturalHomotopy(X, d, "tanh", bias=True)
    H, H_w, hess = (np.asarray(a) for a in _h_and_hess(p, w, lam))
    ref = np_H(X, d, w, lam, "tanh", "least_squares", True)
    scale = 1.0 + np.max(np.abs(X)) ** 2 * (1.0 + np.max(np.abs(d)) + np.max(np.abs(w)) * 10)
    np.testing.assert_allclose(H, ref, rtol=1e-12, atol=1e-14 * scale)
    np.testing.assert_allclose(H_w, hess, rtol=1e-11, atol=1e-14 * scale)


@settings(max_examples=25, deadline=None)
@given(
    X=hnp.arrays(np.float64, (6, 3), elements=_finite),
    d=hnp.arrays(np.float64, (6, 2), elements=_finite),
    bias=st.booleans(),
)
def test_property_start_solves_linear_problem(X, d, bias):
    Xt = np_design(X, bias)
    sv = np.linalg.svd(Xt, compute_uv=False)
    assume(sv[-1] > 1e-3 * sv[0] and sv[0] > 1e-3)
    p = NaturalHomotopy(X, d, "logistic", bias=bias)
    w0 = p.start()
    ref = np.linalg.solve(Xt.T @ Xt, Xt.T @ d)
    cond = sv[0] / sv[-1]
    np.testing.assert_allclose(
        w0, ref.reshape(-1), rtol=0, atol=1e-13 * cond**2 * (1 + np.max(np.abs(ref)))
    )
    H0 = np_H(X, d, w0, 0.0, "logistic", "least_squares", bias)
    assert np.max(np.abs(H0)) <= 1e-13 * sv[0] ** 2 * (1 + np.max(np.abs(w0)) + np.max(np.abs(d)))


# --------------------------------------------------------------------------- FunctionHomotopy


def _cubic(w, lam, args):
    """H(w, λ) = w³ − a·λ·w + b·(1 − λ) − c, elementwise, coupled through a rotation."""
    a, b, c, M = args["a"], args["b"], args["c"], args["M"]
    return M @ (w**3) - a * lam * w + b * (1.0 - lam) - c


def _cubic_jacobian(w, lam, args):
    a, b, M = args["a"], args["b"], args["M"]
    H_w = M * (3.0 * w**2)[None, :] - a * lam * jnp.eye(w.size)
    H_lam = -a * w - b
    return jnp.concatenate([H_w, H_lam[:, None]], axis=1)


_ARGS = {
    "a": jnp.array(1.5),
    "b": jnp.array([0.2, -0.4, 0.1]),
    "c": jnp.array([0.3, 0.0, -0.2]),
    "M": jnp.array([[1.0, 0.2, 0.0], [0.0, 1.0, -0.3], [0.1, 0.0, 1.0]]),
}


def test_function_homotopy_H_and_autodiff_jacobian():
    fh = FunctionHomotopy(_cubic, args=_ARGS)
    w = jnp.array([0.4, -1.1, 0.7])
    np.testing.assert_array_equal(fh.H(w, 0.3), _cubic(w, 0.3, _ARGS))
    both = jax.jit(lambda w, lam: (fh.jacobian(w, lam), _cubic_jacobian(w, lam, _ARGS)))
    for lam in (0.0, 0.3, 1.0):
        J, ref = both(w, jnp.asarray(lam))
        assert J.shape == (3, 4)
        np.testing.assert_allclose(J, ref, rtol=1e-14, atol=1e-15)


def test_function_homotopy_user_jacobian_and_start():
    calls = []

    def jac(w, lam, args):
        calls.append(1)
        return _cubic_jacobian(w, lam, args)

    fh = FunctionHomotopy(_cubic, args=_ARGS, jacobian=jac, start=[1, 2, 3])
    w = jnp.array([0.4, -1.1, 0.7])
    np.testing.assert_array_equal(fh.jacobian(w, 0.5), _cubic_jacobian(w, 0.5, _ARGS))
    assert calls == [1]
    s = fh.start()
    assert s.dtype == np.float64
    np.testing.assert_array_equal(s, [1.0, 2.0, 3.0])


def test_function_homotopy_errors():
    with pytest.raises(ValueError, match="start"):
        FunctionHomotopy(_cubic, args=_ARGS).start()
    with pytest.raises(ValueError, match="H"):
        FunctionHomotopy("not a function")
    with pytest.raises(ValueError, match="jacobian"):
        FunctionHomotopy(_cubic, jacobian=3)


def test_function_homotopy_is_a_pytree():
    fh = FunctionHomotopy(_cubic, args=_ARGS, start=[0.1, 0.2, 0.3])
    leaves, treedef = jax.tree_util.tree_flatten(fh)
    assert len(leaves) == len(jax.tree_util.tree_leaves(_ARGS))
    w = jnp.array([0.4, -1.1, 0.7])
    H, J = jax.jit(lambda p, w, lam: (p.H(w, lam), p.jacobian(w, lam)))(fh, w, 0.25)
    np.testing.assert_allclose(H, _cubic(w, 0.25, _ARGS), rtol=1e-15)
    np.testing.assert_allclose(J, _cubic_jacobian(w, 0.25, _ARGS), rtol=1e-14, atol=1e-15)
    back = jax.tree_util.tree_unflatten(treedef, leaves)
    np.testing.assert_array_equal(back.start(), [0.1, 0.2, 0.3])
    # vmap over a batch of args
    args_b = dict(_ARGS, c=jnp.stack([_ARGS["c"], 2 * _ARGS["c"]]))
    fh_b = FunctionHomotopy(_cubic, args=args_b)
    in_axes = FunctionHomotopy(_cubic, args=dict(a=None, b=None, c=0, M=None))
    Hb = jax.vmap(lambda p: p.H(w, 0.5), in_axes=(in_axes,))(fh_b)
    np.testing.assert_allclose(Hb[1] - Hb[0], -_ARGS["c"], rtol=1e-15, atol=1e-15)


# ---------------------------------------------------------------------------------------------
# Large problems: the Gram route of linear_start; size buckets; the hooks the tracker uses.


def _conditioned(rng, L, s, cond):
    U, _ = np.linalg.qr(rng.normal(size=(L, s)))
    V, _ = np.linalg.qr(rng.normal(size=(s, s)))
    return (U * np.logspace(0, -np.log10(cond), s)) @ V.T


@pytest.mark.parametrize("cond", [1.0, 1e2, 1e4])
@pytest.mark.parametrize("m", [1, 3])
def test_gram_start_agrees_with_the_svd(cond, m):
    from homotopy import problems

    rng = np.random.default_rng(int(cond) + m)
    L, s = 4000, 60  # L·s² = 1.4e7 ≥ GRAM_START_FLOPS
    assert L * s * s >= problems.GRAM_START_FLOPS
    X = _conditioned(rng, L, s, cond) if cond > 1 else rng.normal(size=(L, s))
    D = rng.normal(size=(L, m))
    assert problems._gram_start(X, D) is not None  # the route under test is taken
    w = linear_start(X, D).reshape(s, m)
    ref = np.linalg.lstsq(X, D, rcond=None)[0]
    # the least-squares solution itself is only determined to ~cond·ε (relative)
    assert np.max(np.abs(w - ref)) <= 50 * cond * np.finfo(float).eps * np.max(np.abs(ref))
    # and it is a least-squares solution to rounding: Xᵀ(D − Xw) ≈ 0
    g = X.T @ (D - X @ w)
    assert np.max(np.abs(g)) <= 1e-12 * np.linalg.norm(X, 2) * np.linalg.norm(D)


def test_gram_start_falls_back_to_the_svd_when_ill_conditioned():
    from homotopy import problems

    rng = np.random.default_rng(5)
    X = _conditioned(rng, 3000, 60, 1e7)
    D = rng.normal(size=(3000, 1))
    assert problems._gram_start(X, D) is None
    ref = np.linalg.lstsq(X, D, rcond=None)[0].ravel()
    np.testing.assert_allclose(linear_start(X, D), ref, rtol=0, atol=1e-6 * np.abs(ref).max())
    Xr = X.copy()
    Xr[:, 7] = Xr[:, 3]  # exactly rank deficient, large: still the RankError
    with pytest.raises(RankError, match="rank 59 < s = 60"):
        linear_start(Xr, D)


def test_bucket_rows_ladder():
    from homotopy.problems import bucket_rows

    ladder = [bucket_rows(L) for L in range(1, 5000)]
    assert sorted(set(ladder))[:8] == [8, 12, 16, 24, 32, 48, 64, 96]
    for L, b in zip(range(1, 5000), ladder, strict=True):
        assert b >= max(L, 8) and (L <= 8 or b <= 1.5 * L)


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("activation", ["tanh", "logistic", "arctan"])
@pytest.mark.parametrize("m", [None, 2])
def test_bucketed_problem_has_the_same_H_and_unknowns(bias, activation, m):
    rng = np.random.default_rng(7)
    L = 13
    X = rng.normal(size=(L, 3))
    d = rng.uniform(0.1, 0.9, size=(L,) if m is None else (L, m))
    p = NaturalHomotopy(X, d, activation, bias=bias)
    q = p.bucketed()
    assert q.X.shape == (16, p.n_features) and q.n_unknowns == p.n_unknowns
    # the padding is zero rows of X̃ (bias input included) and zero targets
    np.testing.assert_array_equal(np.asarray(q.X)[:L], np.asarray(p.design))
    assert not np.any(np.asarray(q.X)[L:]) and not np.any(np.asarray(q.d)[L:])
    for lam in (0.0, 0.4, 1.0):
        w = rng.normal(size=p.n_unknowns)
        scale = 1 + np.abs(np.asarray(p.jacobian(w, lam))).max()
        np.testing.assert_allclose(q.H(w, lam), p.H(w, lam), rtol=0, atol=4e-16 * scale)
        np.testing.assert_allclose(
            q.jacobian(w, lam), p.jacobian(w, lam), rtol=0, atol=4e-16 * scale
        )
    np.testing.assert_allclose(linear_start(np.asarray(q.X), np.asarray(q.d).reshape(16, -1)),
                               p.start(), rtol=1e-13, atol=1e-13)  # fmt: skip


def test_bucketed_leaves_interpolation_and_large_problems_alone():
    from homotopy.problems import BUCKET_MAX_ENTRIES

    rng = np.random.default_rng(8)
    square = NaturalHomotopy(rng.normal(size=(3, 3)), [0.1, 0.2, 0.3], objective="interpolation")
    assert square.bucketed() is square
    L = BUCKET_MAX_ENTRIES // 4 + 1
    big = NaturalHomotopy(rng.normal(size=(L, 4)), np.zeros(L))
    assert big.bucketed() is big


def test_prepared_problem_has_the_bias_column_in_X():
    rng = np.random.default_rng(9)
    p = NaturalHomotopy(rng.normal(size=(6, 2)), rng.uniform(-0.5, 0.5, 6), bias=True)
    q = p.prepared()
    assert not q.bias and q.X.shape == (6, 3) and q.n_unknowns == p.n_unknowns
    w = rng.normal(size=3)
    np.testing.assert_array_equal(q.H(w, 0.3), p.H(w, 0.3))
    np.testing.assert_array_equal(q.jacobian(w, 0.3), p.jacobian(w, 0.3))
    unbiased = NaturalHomotopy(rng.normal(size=(6, 2)), rng.uniform(-0.5, 0.5, 6))
    assert unbiased.prepared() is unbiased


def test_H_reads_X_without_a_transposed_copy():
    # XLA:CPU copies X into Xᵀ for X̃ᵀv (as costly as the product itself, at every H); the
    # (vᵀX̃)ᵀ form reads X along its rows
    rng = np.random.default_rng(10)
    p = NaturalHomotopy(rng.normal(size=(1000, 20)), rng.uniform(-0.5, 0.5, 1000))
    hlo = jax.jit(lambda p, w: p.H(w, 0.5)).lower(p, jnp.zeros(20)).compile().as_text()
    # no op makes an (s, L) array: Xᵀ is never formed
    assert "f64[20,1000]" not in hlo and "f64[1000,20]{0,1}" not in hlo
