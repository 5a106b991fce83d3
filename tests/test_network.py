"""SingleLayerPerceptron against a plain numpy implementation of y = (1 − λ)z + λσ(z)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special
from numpy_reference import NP_D1, NP_SIGMA

from homotopy.activations import get_activation
from homotopy.network import SingleLayerPerceptron, augment


NAMES = ("tanh", "logistic", "arctan", "erf", "softsign")


def np_forward(W, X, lam, name, bias):
    Xt = np.hstack([X, np.ones((X.shape[0], 1))]) if bias else X
    z = Xt @ W
    return (1.0 - lam) * z + lam * NP_SIGMA[name](z)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(20240611)
    return {
        "X": rng.normal(size=(9, 3)),
        "W1": rng.normal(size=(3,)) * 0.8,
        "W1b": rng.normal(size=(4,)) * 0.8,
        "Wm": rng.normal(size=(3, 2)) * 0.8,
        "Wmb": rng.normal(size=(4, 2)) * 0.8,
    }


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("bias", [False, True], ids=["nobias", "bias"])
@pytest.mark.parametrize("multi", [False, True], ids=["single", "multi"])
def test_forward_matches_numpy(data, name, bias, multi):
    key = ("Wm" if multi else "W1") + ("b" if bias else "")
    W = data[key]
    X = data["X"]
    net = SingleLayerPerceptron.create(W, name, bias=bias)
    assert net.n_inputs == 3
    assert net.n_outputs == (2 if multi else 1)
    assert net.weights.dtype == jnp.float64
    fwd = jax.jit(lambda n, X, lam: (n.forward(X, lam), n(X, lam), n.preactivation(X)))
    for lam in (0.0, 0.3, 1.0):
        y, y_call, z = fwd(net, X, lam)
        ref = np_forward(W, X, lam, name, bias)
        assert y.shape == ((9, 2) if multi else (9,))
        np.testing.assert_allclose(y, ref, rtol=1e-14, atol=1e-15)
        np.testing.assert_array_equal(y, y_call)
    Xt = np.hstack([X, np.ones((9, 1))]) if bias else X
    np.testing.assert_allclose(z, Xt @ W, rtol=1e-14, atol=1e-15)


def test_bias_is_last_row_of_weights(data):
    X = data["X"]
    Wb = data["Wmb"]
    with_bias = SingleLayerPerceptron.create(Wb, "tanh", bias=True)
    z = np.asarray(with_bias.preactivation(X))
    np.testing.assert_allclose(z, X @ Wb[:3] + Wb[3][None, :], rtol=1e-14, atol=1e-15)
    # the same thing spelled as an explicit constant input column
    explicit = SingleLayerPerceptron.create(Wb, "tanh", bias=False)
    ones = np.hstack([X, np.ones((9, 1))])
    np.testing.assert_allclose(with_bias(X, 0.6), explicit(ones, 0.6), rtol=1e-15, atol=1e-15)
    np.testing.assert_array_equal(augment(jnp.asarray(X), True)[:, -1], np.ones(9))
    np.testing.assert_array_equal(augment(jnp.asarray(X), False), X)


def test_lambda_endpoints(data):
    X, W = data["X"], data["Wm"]
    net = SingleLayerPerceptron.create(W, "erf")
    np.testing.assert_allclose(net(X, 0.0), X @ W, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(net(X, 1.0), scipy.special.erf(X @ W), rtol=1e-14, atol=1e-15)


def test_user_callable_activation(data):
    X, W = data["X"], data["W1b"]
    net = SingleLayerPerceptron.create(W, lambda t: jnp.tanh(2 * t) / 2, bias=True)
    Xt = np.hstack([X, np.ones((9, 1))])
    z = Xt @ W
    np.testing.assert_allclose(net(X, 0.7), 0.3 * z + 0.7 * np.tanh(2 * z) / 2, rtol=1e-14)


@pytest.mark.parametrize("bias", [False, True])
def test_preactivation_shape_errors_name_X(data, bias):
    net = SingleLayerPerceptron.create(data["Wmb"] if bias else data["Wm"], bias=bias)
    for bad in (np.ones((9, 4)), np.ones((9, 2)), np.ones(3), np.ones((2, 9, 3))):
        with pytest.raises(ValueError, match="X") as info:
            net.forward(bad, 0.5)
        assert "(L, 3)" in str(info.value)
        with pytest.raises(ValueError, match="X"):
            net.preactivation(bad)


def test_create_validates_weights_and_activation():
    with pytest.raises(ValueError, match="weights"):
        SingleLayerPerceptron.create(np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="weights"):
        SingleLayerPerceptron.create(np.float64(1.0))
    with pytest.raises(ValueError, match="activation"):
        SingleLayerPerceptron.create(np.ones(3), "relu")
    net = SingleLayerPerceptron.create([1, 2, 3])  # ints are converted to float64
    assert net.weights.dtype == jnp.float64
    assert net.activation is get_activation("tanh")
    assert net.bias is False


def test_with_weights_keeps_architecture(data):
    net = SingleLayerPerceptron.create(data["Wmb"], "arctan", bias=True)
    flat = np.arange(8.0) / 10
    other = net.with_weights(flat)
    assert other.weights.shape == (4, 2)
    assert other.activation is net.activation and other.bias
    np.testing.assert_allclose(
        other(data["X"], 0.5),
        np_forward(flat.reshape(4, 2), data["X"], 0.5, "arctan", True),
        rtol=1e-14,
        atol=1e-15,
    )


def test_is_immutable(data):
    net = SingleLayerPerceptron.create(data["W1"])
    with pytest.raises(AttributeError):
        net.weights = jnp.zeros(3)


def test_pytree_structure(data):
    net = SingleLayerPerceptron.create(data["Wmb"], "logistic", bias=True)
    leaves, treedef = jax.tree_util.tree_flatten(net)
    assert len(leaves) == 1
    np.testing.assert_array_equal(leaves[0], data["Wmb"])
    back = jax.tree_util.tree_unflatten(treedef, [leaves[0] * 2])
    assert isinstance(back, SingleLayerPerceptron)
    assert back.activation is net.activation and back.bias is True
    np.testing.assert_array_equal(back.weights, 2 * data["Wmb"])


def test_jit_does_not_retrace_for_new_weights(data):
    traces = []

    @jax.jit
    def f(net, X, lam):
        traces.append(1)
        return net(X, lam)

    X = data["X"]
    for scale in (1.0, 0.5, -2.0):
        W = data["Wm"] * scale
        net = SingleLayerPerceptron.create(W, "tanh")
        np.testing.assert_allclose(
            f(net, X, 0.4), np_forward(W, X, 0.4, "tanh", False), rtol=1e-14, atol=1e-15
        )
    assert len(traces) == 1


@pytest.mark.parametrize("bias", [False, True], ids=["nobias", "bias"])
def test_vmap_over_batch_of_weights(data, bias):
    rng = np.random.default_rng(7)
    s = 3 + int(bias)
    Ws = rng.normal(size=(5, s, 2))
    X = data["X"]
    batched = SingleLayerPerceptron(jnp.asarray(Ws), get_activation("softsign"), bias)
    ys = jax.vmap(lambda n: n(X, 0.8))(batched)
    assert ys.shape == (5, 9, 2)
    for k in range(5):
        np.testing.assert_allclose(
            ys[k], np_forward(Ws[k], X, 0.8, "softsign", bias), rtol=1e-14, atol=1e-15
        )
    # vmap over a stack of weight matrices through create/with_weights, with a batch of λ too
    net = SingleLayerPerceptron.create(Ws[0], "softsign", bias=bias)
    lams = jnp.linspace(0.0, 1.0, 5)
    ys2 = jax.vmap(lambda W, lam: net.with_weights(W)(X, lam))(jnp.asarray(Ws), lams)
    for k in range(5):
        np.testing.assert_allclose(
            ys2[k], np_forward(Ws[k], X, float(lams[k]), "softsign", bias), rtol=1e-14, atol=1e-15
        )


@pytest.mark.parametrize("name", NAMES)
def test_grad_through_network(data, name):
    """∂/∂W Σ_ij c_ij y_ij = X̃ᵀ(c ∘ σ_λ'(X̃W)), with the numpy σ'; and ∂/∂λ Σ y = Σ(σ(z) − z)."""
    X, W = data["X"], data["Wmb"]
    rng = np.random.default_rng(3)
    c = rng.normal(size=(9, 2))
    net = SingleLayerPerceptron.create(W, name, bias=True)
    lam = 0.45

    def loss(n, lam):
        return jnp.sum(c * n(X, lam))

    g_net, g_lam = jax.jit(jax.grad(loss, argnums=(0, 1)))(net, lam)
    assert isinstance(g_net, SingleLayerPerceptron)
    Xt = np.hstack([X, np.ones((9, 1))])
    z = Xt @ W
    slope = (1.0 - lam) + lam * NP_D1[name](z)
    np.testing.assert_allclose(g_net.weights, Xt.T @ (c * slope), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(g_lam, np.sum(c * (NP_SIGMA[name](z) - z)), rtol=1e-13, atol=1e-14)
