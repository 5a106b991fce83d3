"""The 2-D layer x ↦ σ_λ(Wx + b) (homotopy.layers) and its Colah-style pictures (layer_plots)."""

import math

import jax
import jax.numpy as jnp
import matplotlib.image as mpimg
import numpy as np
import pytest
from matplotlib.animation import FuncAnimation, PillowWriter
from matplotlib.figure import Figure
from PIL import Image

from homotopy import layer_plots
from homotopy.layers import (
    EXAMPLE_B,
    EXAMPLE_W_REGULAR,
    EXAMPLE_W_SINGULAR,
    Layer,
    grid_lines,
    two_class_data,
)


LAMS = (0.0, 0.5, 0.9, 1.0)
W_REG = np.array([[1.3, -0.7], [0.4, 0.9]])  # det = 1.45
W_SING = np.array([[1.0, -2.0], [-0.5, 1.0]])  # rank 1, ker W = span (2, 1)
B = np.array([0.2, -0.3])

# independent numpy references: σ and σ' per built-in activation
NP_SIGMA = {
    "tanh": (np.tanh, lambda t: 1.0 / np.cosh(t) ** 2),
    "logistic": (lambda t: 1.0 / (1.0 + np.exp(-t)), lambda t: np.exp(-t) / (1 + np.exp(-t)) ** 2),
    "arctan": (np.arctan, lambda t: 1.0 / (1.0 + t * t)),
}


def _points(n=40, seed=1, scale=1.5):
    return np.random.default_rng(seed).uniform(-scale, scale, (n, 2))


# ----------------------------------------------------------------------------- the map


@pytest.mark.parametrize("name", sorted(NP_SIGMA))
@pytest.mark.parametrize("lam", LAMS)
def test_output_matches_numpy_formula(name, lam):
    sigma, _ = NP_SIGMA[name]
    x = _points()
    z = np.einsum("ij,nj->ni", W_REG, x) + B  # row n: W x_n + b
    expected = (1 - lam) * z + lam * sigma(z)
    got = np.asarray(Layer(W_REG, B, name)(x, lam))
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-14)
    # a single point (2,) is the same as a row
    np.testing.assert_allclose(np.asarray(Layer(W_REG, B, name)(x[3], lam)), expected[3], 1e-13)


@pytest.mark.parametrize("lam", LAMS)
@pytest.mark.parametrize("W", [W_REG, W_SING], ids=["regular", "singular"])
def test_jacobian_matches_jacfwd_and_finite_differences(W, lam):
    layer = Layer(W, B)
    x = _points(12)
    J = np.asarray(layer.jacobian(x, lam))
    assert J.shape == (12, 2, 2)

    def f(p):
        z = W @ p + B
        return (1 - lam) * z + lam * jnp.tanh(z)

    J_ad = np.asarray(jax.vmap(jax.jacfwd(f))(jnp.asarray(x)))
    np.testing.assert_allclose(J, J_ad, rtol=1e-13, atol=1e-14)

    h = 1e-6  # central differences: O(h²) truncation, O(eps/h) rounding
    for j in range(2):
        e = np.zeros(2)
        e[j] = h
        fd = (np.asarray(layer(x + e, lam)) - np.asarray(layer(x - e, lam))) / (2 * h)
        np.testing.assert_allclose(J[:, :, j], fd, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("name", sorted(NP_SIGMA))
@pytest.mark.parametrize("lam", LAMS)
def test_det_jacobian_closed_form_and_sign(name, lam):
    _, dsigma = NP_SIGMA[name]
    x = _points()
    for W, sign in ((W_REG, 1.0), (-W_REG, 1.0), (W_REG[::-1], -1.0)):
        z = np.einsum("ij,nj->ni", W, x) + B
        d1 = (1 - lam) + lam * dsigma(z)
        detW = W[0, 0] * W[1, 1] - W[0, 1] * W[1, 0]
        expected = d1[:, 0] * d1[:, 1] * detW
        got = np.asarray(Layer(W, B, name).det_jacobian(x, lam))
        np.testing.assert_allclose(got, expected, rtol=1e-12)
        assert np.all(np.sign(got) == sign)  # σ_λ' > 0: the sign of det W, never 0
    singular = np.asarray(Layer(W_SING, B, name).det_jacobian(x, lam))
    assert np.all(singular == 0.0)


def test_homeomorphism_flags():
    regular, singular = Layer(W_REG, B), Layer(W_SING, B)
    zero = Layer(np.zeros((2, 2)), B)
    for lam in LAMS:
        assert regular.is_homeomorphism(lam)
        assert not singular.is_homeomorphism(lam)
        assert not zero.is_homeomorphism(lam)
    assert (regular.rank, singular.rank, zero.rank) == (2, 1, 0)
    assert math.isclose(regular.det, 1.45, rel_tol=1e-14)
    np.testing.assert_allclose(abs(singular.kernel @ np.array([2.0, 1.0])), math.sqrt(5), 1e-14)
    assert regular.kernel is None and zero.kernel is None
    assert "non-singular" in regular.describe() and "not a homeomorphism" in singular.describe()
    with pytest.raises(ValueError, match="lam"):
        regular.is_homeomorphism(1.5)


@pytest.mark.parametrize("lam", LAMS)
def test_singular_w_glues_points_along_its_kernel(lam):
    """Two distinct points differing along ker W have the same image: not injective."""
    layer = Layer(W_SING, B)
    k = np.array([2.0, 1.0])
    np.testing.assert_allclose(W_SING @ k, 0.0, atol=0)
    x1 = np.array([[0.3, -0.7], [1.1, 0.2]])
    x2 = x1 + 1.7 * k
    assert np.all(np.linalg.norm(x1 - x2, axis=1) > 1.0)
    y1, y2 = np.asarray(layer(x1, lam)), np.asarray(layer(x2, lam))
    np.testing.assert_allclose(y1, y2, rtol=0, atol=1e-15)
    # no inverse exists
    with pytest.raises(ValueError, match="W: singular"):
        layer.inverse(y1, lam)


@pytest.mark.parametrize("name", ["tanh", "logistic", "arctan", "erf", "softsign"])
@pytest.mark.parametrize("lam", LAMS)
def test_inverse_round_trips(name, lam):
    layer = Layer(W_REG, B, name)
    x = _points(50, seed=2, scale=1.0)
    back = np.asarray(layer.inverse(layer(x, lam), lam))
    np.testing.assert_allclose(back, x, rtol=0, atol=1e-12)
    # the other way: points of the image (every y for λ < 1, the range square at λ = 1)
    lo, hi = layer.activation.range
    if lam < 1:
        y = _points(50, seed=3, scale=3.0)
    else:
        y = lo + (hi - lo) * np.random.default_rng(3).uniform(0.02, 0.98, (50, 2))
    forward = np.asarray(layer(layer.inverse(y, lam), lam))
    np.testing.assert_allclose(forward, y, rtol=0, atol=1e-12)


def test_inverse_exact_at_lam0_and_custom_activation():
    layer = Layer(W_REG, B)
    y = _points(5)
    np.testing.assert_allclose(
        np.asarray(layer.inverse(y, 0.0)), np.linalg.solve(W_REG, (y - B).T).T, rtol=1e-14
    )
    # a user σ with no closed-form inverse: Newton on the scalar equation, at λ = 1 too
    custom = Layer(W_REG, B, lambda t: t / jnp.sqrt(1.0 + t * t))
    x = _points(20, seed=4, scale=1.0)
    for lam in (0.5, 1.0):
        np.testing.assert_allclose(
            np.asarray(custom.inverse(custom(x, lam), lam)), x, rtol=0, atol=1e-12
        )


def test_inverse_outside_image_is_refused():
    with pytest.raises(ValueError, match="y:"):
        Layer(W_REG, B).inverse(np.array([[0.5, 1.2]]), 1.0)


@pytest.mark.parametrize(
    ("W", "b", "match"),
    [
        (np.ones((2, 3)), B, "W: expected shape"),
        (np.ones(2), B, "W: expected shape"),
        ([[1.0, np.nan], [0.0, 1.0]], B, "W: must be finite"),
        ([["a", "b"], ["c", "d"]], B, "W: not a real"),
        (W_REG, np.ones(3), "b: expected shape"),
        (W_REG, [np.inf, 0.0], "b: must be finite"),
    ],
)
def test_layer_validation(W, b, match):
    with pytest.raises(ValueError, match=match):
        Layer(W, b)


def test_layer_validation_of_activation_lam_and_points():
    with pytest.raises(ValueError, match="activation"):
        Layer(W_REG, B, "relu?")
    layer = Layer(W_REG, B)
    with pytest.raises(ValueError, match="lam"):
        layer(np.zeros((3, 2)), -0.1)
    with pytest.raises(ValueError, match="x:"):
        layer(np.zeros((3, 3)), 0.5)


# ----------------------------------------------------------------------------- inputs of pictures


def test_grid_lines_shapes():
    lines = grid_lines(lim=2.0, n_lines=7, n_points=31)
    assert len(lines) == 14
    assert all(line.shape == (31, 2) for line in lines)
    horizontal, vertical = lines[:7], lines[7:]
    assert all(np.ptp(line[:, 1]) == 0 for line in horizontal)
    assert all(np.ptp(line[:, 0]) == 0 for line in vertical)
    np.testing.assert_allclose([line[0, 1] for line in horizontal], np.linspace(-2, 2, 7))
    assert np.min(lines) == -2.0 and np.max(lines) == 2.0
    for kwargs, match in (
        ({"lim": 0}, "lim"),
        ({"n_lines": 1}, "n_lines"),
        ({"n_points": 1.5}, "n_points"),
    ):
        with pytest.raises(ValueError, match=match):
            grid_lines(**kwargs)


@pytest.mark.parametrize("kind", ["curves", "circles", "moons", "spirals"])
def test_two_class_data_deterministic(kind):
    x, labels = two_class_data(kind, n=101, seed=7)
    assert x.shape == (101, 2) and labels.shape == (101,)
    assert np.all(np.isfinite(x)) and np.max(np.abs(x)) < 1.5
    assert set(np.unique(labels)) == {0, 1} and np.sum(labels == 0) == 50
    x2, labels2 = two_class_data(kind, n=101, seed=7)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(labels, labels2)
    assert not np.array_equal(x, two_class_data(kind, n=101, seed=8)[0])


def test_two_class_data_validation():
    with pytest.raises(ValueError, match="kind"):
        two_class_data("xor")
    with pytest.raises(ValueError, match="n:"):
        two_class_data(n=1)
    with pytest.raises(ValueError, match="noise"):
        two_class_data(noise=-1)


# ----------------------------------------------------------------------------- figures


def _rendered(fig, tmp_path, name):
    file = tmp_path / name
    fig.savefig(file, format="png", dpi=50)
    image = mpimg.imread(file)
    assert image.ndim == 3 and image.shape[0] > 50 and image.shape[1] > 50
    flat = image.reshape(-1, image.shape[-1])
    assert np.unique(flat, axis=0).shape[0] > 10  # not a single colour
    return image


def test_layer_deformation_renders(tmp_path):
    fig = layer_plots.layer_deformation(
        W_REG, B, lams=(0.0, 0.5, 1.0), data=two_class_data("moons", n=40), n_lines=5
    )
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 4  # input + 3 λ
    assert "non-singular" in fig._suptitle.get_text()
    _rendered(fig, tmp_path, "regular.png")
    fig = layer_plots.layer_deformation(
        W_SING, B, lams=(1.0,), data=False, show_input=False, n_lines=5
    )
    assert len(fig.axes) == 1 and "not a homeomorphism" in fig._suptitle.get_text()
    _rendered(fig, tmp_path, "singular.png")


def test_homeomorphism_comparison_renders(tmp_path):
    fig = layer_plots.homeomorphism_comparison(
        EXAMPLE_W_REGULAR,
        EXAMPLE_W_SINGULAR,
        EXAMPLE_B,
        lams=(0.0, 1.0),
        data=two_class_data("circles", n=60),
        n_lines=5,
    )
    assert isinstance(fig, Figure) and len(fig.axes) == 6
    titles = [sub._suptitle.get_text() for sub in fig.subfigs]
    assert "non-singular" in titles[0] and "singular" in titles[1]
    assert "not a homeomorphism" in titles[1]
    _rendered(fig, tmp_path, "comparison.png")
    with pytest.raises(ValueError, match="W_regular"):
        layer_plots.homeomorphism_comparison(W_SING, W_SING, B)
    with pytest.raises(ValueError, match="W_singular"):
        layer_plots.homeomorphism_comparison(W_REG, W_REG, B)
    with pytest.raises(ValueError, match="W_regular: expected shape"):
        layer_plots.homeomorphism_comparison(np.eye(3), W_SING, B)


@pytest.mark.parametrize("bad", [np.eye(3), np.ones(4), [[1.0, 2.0]]])
def test_figures_refuse_bad_w(bad):
    with pytest.raises(ValueError, match="W"):
        layer_plots.layer_deformation(bad, B)
    with pytest.raises(ValueError, match="W"):
        layer_plots.layer_animation(bad, B)


def test_figures_refuse_bad_arguments():
    with pytest.raises(ValueError, match="lams"):
        layer_plots.layer_deformation(W_REG, B, lams=(0.5, 2.0))
    with pytest.raises(ValueError, match="data"):
        layer_plots.layer_deformation(W_REG, B, data=(np.zeros((3, 2)), np.zeros(4)))
    with pytest.raises(ValueError, match="data"):
        layer_plots.layer_deformation(W_REG, B, data="xor")
    with pytest.raises(ValueError, match="path"):
        layer_plots.layer_animation(W_REG, B, path="movie.mp4")
    with pytest.raises(ValueError, match="frames"):
        layer_plots.layer_animation(W_REG, B, frames=1)


@pytest.mark.parametrize("W", [W_REG, W_SING], ids=["regular", "singular"])
def test_layer_animation_writes_gif(tmp_path, W):
    frames = 4
    path = tmp_path / "layer.gif"
    anim = layer_plots.layer_animation(
        W, B, frames=frames, data=two_class_data(n=40), path=path, dpi=30, n_lines=5
    )
    assert isinstance(anim, FuncAnimation)
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind
    with Image.open(path) as im:
        assert im.format == "GIF"
        assert im.n_frames == frames
        first = np.asarray(im.convert("RGB"))
        im.seek(frames - 1)
        last = np.asarray(im.convert("RGB"))
    assert first.shape == last.shape and not np.array_equal(first, last)


def test_layer_animation_without_path_renders_on_request(tmp_path):
    anim = layer_plots.layer_animation(W_REG, B, frames=3, n_lines=3, data=False)
    assert isinstance(anim, FuncAnimation)
    assert list(tmp_path.iterdir()) == []
    anim.save(tmp_path / "later.gif", writer=PillowWriter(fps=5), dpi=20)
    with Image.open(tmp_path / "later.gif") as im:
        assert im.n_frames == 3
