"""The data-manifold hooks (homotopy.manifold): autodiff defaults against NaturalHomotopy's
closed forms, geometry of problems that are not NaturalHomotopy (a plain network class, a
sphere with its known curvatures), and the errors for missing hooks."""

import math

import jax
import jax.numpy as jnp
import matplotlib


matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from homotopy import NaturalHomotopy, geometry as geo, plotting  # noqa: E402
from homotopy.manifold import HOOKS, Manifold, dimensions, manifold_of  # noqa: E402


def rel_err(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b)) / max(1.0, float(np.max(np.abs(b)))))


class EmbeddingOnly:
    """Only the required hook: everything else is the autodiff default."""

    def __init__(self, problem):
        self.embedding = problem.embedding


class TanhNet:
    """A user-written single-output network, not a NaturalHomotopy: φ_λ(w) = σ_λ(Xw)."""

    def __init__(self, X, d, *, residual_only=False):
        self.X = jnp.asarray(X)
        if residual_only:
            self._d = jnp.asarray(d)
        else:
            self.targets = jnp.asarray(d)

    def embedding(self, w, lam):
        z = self.X @ w
        return (1.0 - lam) * z + lam * jnp.tanh(z)

    def H(self, w, lam):
        J = jax.jacfwd(self.embedding)(w, lam)
        return -J.T @ (self.targets - self.embedding(w, lam))

    def residual(self, w, lam):
        return self._d - self.embedding(w, lam)


class Sphere:
    """x(u, v) = R(cos u cos v, sin u cos v, sin v): only the embedding (λ is ignored)."""

    def __init__(self, R, targets=None):
        self.R = R
        if targets is not None:
            self.targets = np.asarray(targets, float)

    def embedding(self, w, lam):
        u, v = w[0], w[1]
        return self.R * jnp.stack([jnp.cos(u) * jnp.cos(v), jnp.sin(u) * jnp.cos(v), jnp.sin(v)])


# ----------------------------------------------------------------------------- (a) defaults


CASES = [
    (4, 2, 1, False, "tanh", 0),
    (5, 2, 1, True, "logistic", 1),
    (5, 2, 2, False, "erf", 2),
    (6, 3, 3, True, "arctan", 3),
    (4, 3, 2, True, "softsign", 4),
]


@pytest.mark.parametrize("L, s0, m, bias, act, seed", CASES)
def test_autodiff_defaults_equal_closed_forms(L, s0, m, bias, act, seed):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.2, 1.2, (L, s0))
    d = rng.uniform(-0.8, 0.8, (L, m)) if m > 1 else rng.uniform(-0.8, 0.8, L)
    p = NaturalHomotopy(X, d, act, bias=bias)
    closed, auto = manifold_of(p), manifold_of(EmbeddingOnly(p))
    for name in HOOKS:  # the problem's own closed forms are used, not autodiff
        assert getattr(closed, name) == getattr(p, name)
    assert closed.n == p.n_unknowns and auto.n is None
    assert auto.targets is None and auto.residual is None
    w = jnp.asarray(rng.uniform(-1.5, 1.5, p.n_unknowns))
    nu = jnp.asarray(rng.standard_normal(L * m))
    y = jnp.asarray(rng.standard_normal(p.n_unknowns))
    for lam in (0.0, 0.6, 1.0):
        J = closed.embedding_jacobian(w, lam)
        assert rel_err(auto.embedding_jacobian(w, lam), J) < 1e-13
        II = closed.second_fundamental_form(w, lam, nu)
        assert rel_err(auto.second_fundamental_form(w, lam, nu), II) < 1e-12
        h = closed.embedding_second_derivative(w, lam, y)
        assert rel_err(auto.embedding_second_derivative(w, lam, y), h) < 1e-12
        # the two second-order hooks agree: yᵀ II_ν y = ν · ∂²φ[y, y]
        assert abs(float(y @ II @ y - nu @ h)) < 1e-12 * max(1.0, float(jnp.abs(nu @ h)))
        # ridge coordinates φ_m = f(a_mᵀw): J = f' ∘ A and ∂²φ[y, y] = f'' ∘ (Ay)², A the
        # block design (J at λ = 0, where f' ≡ 1); the other hooks are autodiff here
        d1, d2 = closed.ridge_derivatives(w, lam)
        A = auto.embedding_jacobian(w, 0.0)
        assert rel_err(d1[:, None] * A, auto.embedding_jacobian(w, lam)) < 1e-13
        assert rel_err(d2 * (A @ y) ** 2, auto.embedding_second_derivative(w, lam, y)) < 1e-12
    np.testing.assert_array_equal(closed.targets, np.asarray(d).reshape(-1))
    np.testing.assert_array_equal(closed.residual(w, 0.6), p.residual(w, 0.6))
    assert dimensions(p) == (L * m, p.n_unknowns)
    assert dimensions(EmbeddingOnly(p), p.n_unknowns) == (L * m, p.n_unknowns)


def test_closed_form_II_is_the_hessian_term_of_H_w():
    """H_w = G − II_r for least squares: the one block-Gram contraction serves both."""
    rng = np.random.default_rng(7)
    p = NaturalHomotopy(rng.uniform(-1, 1, (5, 2)), rng.uniform(-1, 1, (5, 2)), bias=True)
    w = jnp.asarray(rng.uniform(-1, 1, p.n_unknowns))
    J = p.embedding_jacobian(w, 0.7)
    II_r = p.second_fundamental_form(w, 0.7, p.residual(w, 0.7))
    assert np.abs(np.asarray(J.T @ J - II_r - p.H_w(w, 0.7))).max() < 1e-14


# ----------------------------------------------------------------------------- (b) a plain class


@pytest.fixture(scope="module")
def nets():
    rng = np.random.default_rng(11)
    X = rng.uniform(-1.2, 1.2, (3, 2))
    d = rng.uniform(-0.8, 0.8, 3)
    X4 = rng.uniform(-1.2, 1.2, (4, 2))
    d4 = rng.uniform(-0.8, 0.8, 4)
    return (
        (TanhNet(X, d), NaturalHomotopy(X, d)),
        (TanhNet(X4, d4), NaturalHomotopy(X4, d4)),
        (TanhNet(X4, d4, residual_only=True), NaturalHomotopy(X4, d4)),
    )


def test_plain_problem_matches_natural_homotopy(nets):
    w, lam = np.array([0.7, -0.4]), 0.9
    for plain, nh in nets:
        N = np.asarray(geo.normal_basis(nh, w, lam))
        assert rel_err(geo.normal_basis(plain, w, lam), N) < 1e-12
        pc = geo.principal_curvatures(plain, w, lam, normal=N[:, 0])
        pc_ref = geo.principal_curvatures(nh, w, lam, normal=N[:, 0])
        assert rel_err(pc.values, pc_ref.values) < 1e-12
        mc, mc_ref = geo.max_curvature(plain, w, lam), geo.max_curvature(nh, w, lam)
        assert mc.method == mc_ref.method and mc.certified
        assert abs(mc.value - mc_ref.value) < 1e-12 * max(1.0, mc_ref.value)
        fd, fd_ref = geo.focal_distances(plain, w, lam), geo.focal_distances(nh, w, lam)
        assert abs(fd.residual_norm - fd_ref.residual_norm) < 1e-14
        assert rel_err(fd.curvatures, fd_ref.curvatures) < 1e-12
        assert rel_err(fd.hessian_eigenvalues, fd_ref.hessian_eigenvalues) < 1e-12
        assert rel_err(geo.error_hessian(plain, w, lam), nh.H_w(jnp.asarray(w), lam)) < 1e-12
        go = geo.generalized_orthogonality(plain, w, lam)
        assert abs(go - geo.generalized_orthogonality(nh, w, lam)) < 1e-13
        assert rel_err(geo.embedding(plain, w, lam), geo.embedding(nh, w, lam)) < 1e-15
    plain, nh = nets[0]  # a hypersurface: the default normal and K agree too
    pc, pc_ref = geo.principal_curvatures(plain, w, lam), geo.principal_curvatures(nh, w, lam)
    assert rel_err(pc.normal, pc_ref.normal) < 1e-14 and rel_err(pc.values, pc_ref.values) < 1e-12
    K, K_ref = (
        float(geo.gaussian_curvature(plain, w, lam)),
        float(geo.gaussian_curvature(nh, w, lam)),
    )
    assert abs(K - K_ref) < 1e-12 * max(1.0, abs(K_ref))


def test_plain_problem_regions_and_tube(nets):
    plain, nh = nets[0]
    lam = 1.0
    box = geo.Box(np.array([-1.5, -1.5]), np.array([1.5, 1.5]))
    rc, rc_ref = geo.max_curvature_over(plain, lam, box), geo.max_curvature_over(nh, lam, box)
    assert abs(rc.k_max - rc_ref.k_max) < 1e-10 * rc_ref.k_max
    w0 = np.array([0.6, -0.4])
    n = np.asarray(geo.principal_curvatures(nh, w0, lam).normal)
    target = np.asarray(geo.embedding(nh, w0, lam)) + 0.5 * rc_ref.radius * n
    tube = geo.in_uniqueness_tube(plain, target, lam, box, radius=rc_ref)
    ref = geo.in_uniqueness_tube(nh, target, lam, box, radius=rc_ref)
    assert tube.inside and ref.inside
    assert abs(tube.distance - ref.distance) < 1e-12 and np.abs(tube.w - w0).max() < 1e-10
    # without n_unknowns a raw (k, 2) region is ambiguous; a Box or Samples is not
    with pytest.raises(ValueError, match="region"):
        geo.max_curvature_over(plain, lam, np.array([[-1.0, 1.0], [-1.0, 1.0]]))
    rs = geo.max_curvature_over(plain, lam, geo.Samples(np.array([[0.1, 0.2], [0.5, -0.3]])))
    assert rs.k_max > 0


# ----------------------------------------------------------------------------- (c) the sphere


@pytest.mark.parametrize("R, u, v", [(1.0, 0.3, 0.2), (2.5, -1.1, 0.9), (0.3, 2.0, -0.5)])
def test_sphere_through_the_protocol(R, u, v):
    sphere = Sphere(R)
    w = np.array([u, v])
    x = np.asarray(sphere.embedding(jnp.asarray(w), 0.0))
    pc = geo.principal_curvatures(sphere, w, 0.5)
    # det[J | n] > 0 is the outward normal x/R here; the sphere bends away from it: κ = −1/R
    assert np.abs(np.asarray(pc.normal) - x / R).max() < 1e-14
    assert np.abs(np.asarray(pc.values) + 1 / R).max() < 1e-12
    assert abs(float(geo.gaussian_curvature(sphere, w, 0.5)) - 1 / R**2) < 1e-11 / R**2
    assert abs(float(geo.mean_curvature(sphere, w, 0.5)) + 1 / R) < 1e-12 / R
    inward = geo.principal_curvatures(sphere, w, 0.5, normal=-x)
    assert np.abs(np.asarray(inward.values) - 1 / R).max() < 1e-12
    mc = geo.max_curvature(sphere, w, 0.5)
    assert mc.method == "eigen" and abs(mc.value - 1 / R) < 1e-12
    assert np.abs(mc.normal + x / R).max() < 1e-12  # the inward normal attains +k
    G = np.asarray(geo.metric(sphere, w, 0.5))
    assert np.abs(G - np.diag([R**2 * math.cos(v) ** 2, R**2])).max() < 1e-14 * max(1, R**2)


def test_sphere_focal_point_region_and_tube():
    R = 1.7
    w = np.array([0.4, -0.3])
    # the centre is the focal point of every normal: ‖r‖ = R = 1/κ, the Hessian is singular
    centred = Sphere(R, targets=np.zeros(3))
    fd = geo.focal_distances(centred, w, 0.0)
    assert abs(fd.residual_norm - R) < 1e-14
    assert np.abs(fd.distances - R).max() < 1e-12 and abs(fd.nearest - R) < 1e-12
    assert np.abs(fd.hessian_eigenvalues).max() < 1e-12
    assert geo.generalized_orthogonality(centred, w, 0.0) < 1e-15
    assert np.abs(np.asarray(geo.error_hessian(centred, w, 0.0))).max() < 1e-12
    # k = 1/R everywhere, so ρ = R; a point halfway to the centre lies in the tube
    box = geo.Box(np.array([-1.0, -1.0]), np.array([1.0, 1.0]))
    rc = geo.max_curvature_over(centred, 0.0, box, n_seeds=4)
    assert abs(rc.k_max - 1 / R) < 1e-12 and abs(rc.radius - R) < 1e-11
    x = np.asarray(geo.embedding(centred, w, 0.0))
    tube = geo.in_uniqueness_tube(centred, 0.5 * x, 0.0, box, radius=rc)
    assert tube.inside and abs(tube.distance - R / 2) < 1e-12
    assert np.abs(tube.w - w).max() < 1e-10 and tube.orthogonality < 1e-12
    # the sphere rotated into R⁴ (codimension 2, autodiff hooks throughout): k = 1/R
    Q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((4, 4)))

    class Sphere4:
        def embedding(self, w, lam):
            return jnp.asarray(Q[:, :3]) @ Sphere(R).embedding(w, lam)

    mc = geo.max_curvature(Sphere4(), w, 0.3)
    assert mc.method == "quartic" and abs(mc.value - 1 / R) < 1e-12


def test_sphere_surface_figure():
    sphere = Sphere(1.0, targets=[0.2, 0.1, 0.3])
    region = [[-1.0, 1.0], [-0.8, 0.8]]
    f = plotting.surface_fields(sphere, 0.5, np.array([[0.1, 0.2], [-0.5, 0.4]]))
    assert np.abs(f["kappa"] + 1.0).max() < 1e-12 and np.abs(f["gaussian"] - 1.0).max() < 1e-12
    fig = plotting.data_manifold(sphere, (0.5,), region=region, n=6, n_seeds=4)
    assert isinstance(fig, Figure)
    with pytest.raises(ValueError, match="problem"):  # no targets to draw
        plotting.data_manifold(Sphere(1.0), (0.5,), region=region, n=6, n_seeds=4)
    bare = plotting.data_manifold(Sphere(1.0), (0.5,), region=region, n=6, target=False)
    assert isinstance(bare, Figure)


# ----------------------------------------------------------------------------- (d) errors


def test_missing_and_bad_hooks_name_problem():
    with pytest.raises(ValueError, match=r"problem: object has no embedding\(w, lam\)"):
        manifold_of(object())
    with pytest.raises(ValueError, match="problem.*embedding"):
        geo.principal_curvatures(object(), [0.1, 0.2], 0.5)

    class BadHook(Sphere):
        embedding_jacobian = 3.0

    with pytest.raises(ValueError, match="problem: BadHook.embedding_jacobian"):
        manifold_of(BadHook(1.0))
    sphere, w = Sphere(1.0), np.array([0.2, 0.1])
    for fn in (geo.focal_distances, geo.error_hessian, geo.generalized_orthogonality):
        with pytest.raises(ValueError, match="problem: .*targets"):
            fn(sphere, w, 0.5)

    class Flat:  # R³ → R²: M < n, never an immersion
        def embedding(self, w, lam):
            return w[:2]

    with pytest.raises(ValueError, match="problem: .*M < n"):
        geo.metric(Flat(), np.zeros(3), 0.5)
    with pytest.raises(ValueError, match="problem: .*immersion"):  # the pole: ∂x/∂u = 0
        geo.principal_curvatures(sphere, np.array([0.3, math.pi / 2]), 0.5)
    with pytest.raises(ValueError, match="problem"):
        plotting.surface_fields(Flat(), 0.5, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="n"):
        dimensions(sphere)
    assert isinstance(manifold_of(sphere), Manifold) and dimensions(sphere, 2) == (3, 2)
