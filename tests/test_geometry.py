"""Geometry of the data manifold: checks against sympy/mpmath, analytic surfaces, brute force.

Reference values come from independent computations: `homotopy.symbolic` (sympy derivatives
evaluated with mpmath at 40 digits), hand-written derivatives of spheres, cylinders and tori,
JAX autodiff Hessians of `problem.embedding`, scipy null spaces, `problem.H_w`, and dense
sampling of unit normals.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg as sla
from scipy import optimize

from homotopy import NaturalHomotopy, geometry as geo
from homotopy.symbolic import SymbolicManifold


TOL = 1e-10

# jitted references (the problem is a PyTree: new targets reuse the compiled code)
_H_w = jax.jit(lambda p, w, lam: p.H_w(w, lam))
_emb_jac = jax.jit(lambda p, w, lam: jax.jacfwd(p.embedding)(w, lam))
_emb_hess = jax.jit(lambda p, w, lam: jax.jacfwd(jax.jacfwd(p.embedding))(w, lam))
_err_hess = jax.jit(lambda p, w, lam: jax.hessian(p.error)(w, lam))


def rel_err(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b)) / max(1.0, float(np.max(np.abs(b)))))


def _case(L, s, seed, act="tanh"):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.2, 1.2, (L, s))
    w = rng.uniform(-1.0, 1.0, s)
    lam = float(rng.uniform(0.4, 1.0))
    return X, w, lam, act


HYPER = [_case(3, 2, 1), _case(3, 2, 2, "logistic"), _case(3, 2, 3, "arctan")]
CODIM2 = [_case(4, 2, 4), _case(4, 2, 5, "erf"), _case(4, 2, 6)]


_SYM: dict = {}


def sym(X, act):
    key = (X.tobytes(), act)
    if key not in _SYM:
        _SYM[key] = SymbolicManifold(X, act)
    return _SYM[key]


# ----------------------------------------------------------------------------- vs sympy


@pytest.mark.parametrize("X, w, lam, act", HYPER)
def test_hypersurface_matches_sympy(X, w, lam, act):
    p = NaturalHomotopy(X, np.zeros(3), act)
    sm = sym(X, act)
    assert rel_err(geo.embedding(p, w, lam), sm.embedding_at(w, lam)) < TOL
    assert rel_err(geo.tangent_basis(p, w, lam), sm.jacobian_at(w, lam)) < TOL
    assert rel_err(geo.metric(p, w, lam), sm.metric_at(w, lam)) < TOL
    n = np.asarray(geo.normal_basis(p, w, lam))[:, 0]
    assert rel_err(n, sm.normal_at(w, lam)) < TOL  # same orientation: det[J | n] > 0
    assert (
        rel_err(geo.second_fundamental_form(p, w, lam, n), sm.second_fundamental_form_at(w, lam, n))
        < TOL
    )
    pc = geo.principal_curvatures(p, w, lam)
    kap_ref, _ = sm.principal_curvatures(w, lam)  # closed form H ∓ sqrt(H² − K)
    assert rel_err(pc.values, kap_ref) < TOL
    assert abs(float(geo.gaussian_curvature(p, w, lam)) - sm.gaussian_curvature(w, lam)) < TOL
    assert abs(float(geo.mean_curvature(p, w, lam)) - sm.mean_curvature(w, lam)) < TOL
    assert abs(float(pc.gaussian) - sm.gaussian_curvature(w, lam)) < TOL
    mc = geo.max_curvature(p, w, lam)
    assert mc.method == "eigen" and mc.certified
    assert abs(mc.value - max(abs(kap_ref))) < TOL
    assert abs(mc.value - sm.max_curvature(w, lam)) < TOL


@pytest.mark.parametrize("X, w, lam, act", CODIM2)
def test_codim2_matches_sympy(X, w, lam, act):
    p = NaturalHomotopy(X, np.zeros(4), act)
    sm = sym(X, act)
    assert rel_err(geo.metric(p, w, lam), sm.metric_at(w, lam)) < TOL
    N = np.asarray(geo.normal_basis(p, w, lam))
    J = sm.jacobian_at(w, lam)
    assert np.abs(J.T @ N).max() < 1e-13 and np.abs(N.T @ N - np.eye(2)).max() < 1e-14
    for k in range(2):
        n = N[:, k]
        assert (
            rel_err(
                geo.second_fundamental_form(p, w, lam, n), sm.second_fundamental_form_at(w, lam, n)
            )
            < TOL
        )
        kap = geo.principal_curvatures(p, w, lam, normal=3.0 * n).values  # normalized inside
        kap_ref, _ = sm.principal_curvatures(w, lam, normal=n)
        assert rel_err(kap, kap_ref) < TOL
    mc = geo.max_curvature(p, w, lam)
    k_ref = sm.max_curvature(w, lam)  # mpmath sweep over normals + golden section
    assert mc.certified and abs(mc.value - k_ref) < TOL * max(1.0, k_ref)
    # the maximizer is consistent: a unit normal whose curvature along `direction` is +k
    assert abs(np.linalg.norm(mc.normal) - 1) < 1e-13
    II = sm.second_fundamental_form_at(w, lam, mc.normal)
    G = sm.metric_at(w, lam)
    v = mc.direction
    assert abs(v @ G @ v - 1) < 1e-12 and abs(v @ II @ v - k_ref) < TOL


# ----------------------------------------------------------------------------- analytic surfaces


def sphere(R, u, v):
    """x = R(cos u cos v, sin u cos v, sin v): J, Hessian by hand."""
    cu, su, cv, sv = math.cos(u), math.sin(u), math.cos(v), math.sin(v)
    J = R * np.array([[-su * cv, -cu * sv], [cu * cv, -su * sv], [0.0, cv]])
    H = R * np.array(
        [
            [[-cu * cv, su * sv], [su * sv, -cu * cv]],
            [[-su * cv, -cu * sv], [-cu * sv, -su * cv]],
            [[0.0, 0.0], [0.0, -sv]],
        ]
    )
    x = R * np.array([cu * cv, su * cv, sv])
    return x, J, H


@pytest.mark.parametrize("R, u, v", [(1.0, 0.3, 0.2), (2.5, -1.1, 0.9), (0.3, 2.0, -0.5)])
def test_sphere(R, u, v):
    x, J, H = sphere(R, u, v)
    n = np.asarray(geo.hypersurface_normal(J))
    assert np.abs(n - x / R).max() < 1e-14  # det[J | n] > 0 is the outward normal here
    c = geo.curvatures_from(J, H)
    assert np.abs(np.asarray(c.values) + 1 / R).max() < 1e-12  # bends away from n: κ = −1/R
    assert abs(float(c.gaussian) - 1 / R**2) < 1e-12
    assert abs(float(c.mean) + 1 / R) < 1e-12
    c_in = geo.curvatures_from(J, H, normal=-x)  # inward normal, unnormalized
    assert np.abs(np.asarray(c_in.values) - 1 / R).max() < 1e-12
    assert abs(geo.max_curvature_from(J, H).value - 1 / R) < 1e-12
    V = np.asarray(c.directions)
    assert np.abs(V.T @ (J.T @ J) @ V - np.eye(2)).max() < 1e-12
    # the same sphere rotated into R⁴ (codimension 2): k = 1/R
    Q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((4, 4)))
    A = Q[:, :3]
    mc = geo.max_curvature_from(A @ J, np.einsum("ij,jab->iab", A, H))
    assert mc.certified and abs(mc.value - 1 / R) < 1e-12
    assert np.abs(mc.normal + A @ x / R).max() < 1e-10  # the inward normal


@pytest.mark.parametrize("R, u, h", [(1.0, 0.4, 0.0), (3.0, 2.5, -1.0)])
def test_cylinder(R, u, h):
    J = np.array([[-R * math.sin(u), 0.0], [R * math.cos(u), 0.0], [0.0, 1.0]])
    H = np.zeros((3, 2, 2))
    H[0, 0, 0], H[1, 0, 0] = -R * math.cos(u), -R * math.sin(u)
    c = geo.curvatures_from(J, H)
    assert np.abs(np.asarray(c.values) - [-1 / R, 0.0]).max() < 1e-12
    assert abs(float(c.gaussian)) < 1e-15 and abs(float(c.mean) + 0.5 / R) < 1e-12
    assert abs(geo.max_curvature_from(J, H).value - 1 / R) < 1e-12


@pytest.mark.parametrize("R1, R2", [(1.0, 2.0), (0.7, 0.7), (3.0, 0.5)])
def test_clifford_torus(R1, R2):
    """x = (R1 cos u, R1 sin u, R2 cos v, R2 sin v) ⊂ R⁴: normal curvatures 1/R1, 1/R2."""
    u, v = 0.7, -1.9
    J = np.array(
        [
            [-R1 * math.sin(u), 0],
            [R1 * math.cos(u), 0],
            [0, -R2 * math.sin(v)],
            [0, R2 * math.cos(v)],
        ]
    )
    H = np.zeros((4, 2, 2))
    H[0, 0, 0], H[1, 0, 0] = -R1 * math.cos(u), -R1 * math.sin(u)
    H[2, 1, 1], H[3, 1, 1] = -R2 * math.cos(v), -R2 * math.sin(v)
    mc = geo.max_curvature_from(J, H)
    assert mc.method == "quartic" and abs(mc.value - max(1 / R1, 1 / R2)) < 1e-12


@pytest.mark.parametrize("b", [0.0, 0.5, 2.0])
def test_graph_surface_codim2(b):
    """(u1, u2, u3, |u|²/2, b u1 u2) ⊂ R⁵ at 0: ‖II(x, x)‖ = ‖(1, 2b x1 x2)‖, max √(1 + b²)."""
    J = np.vstack([np.eye(3), np.zeros((2, 3))])
    H = np.zeros((5, 3, 3))
    H[3] = np.eye(3)
    H[4, 0, 1] = H[4, 1, 0] = b
    mc = geo.max_curvature_from(J, H)
    assert mc.method == "ascent" and mc.certified
    assert abs(mc.value - math.sqrt(1 + b * b)) < 1e-12
    assert mc.upper_bound >= mc.value and mc.upper_bound <= mc.value * (1 + 1e-9)


# ----------------------------------------------------------------------------- λ = 0


def test_flat_at_lambda_zero():
    X, w, _, _ = _case(3, 2, 7)
    p = NaturalHomotopy(X, np.array([0.3, -0.2, 0.5]))
    assert np.all(np.asarray(geo.principal_curvatures(p, w, 0.0).values) == 0.0)
    assert float(geo.gaussian_curvature(p, w, 0.0)) == 0.0
    assert float(geo.mean_curvature(p, w, 0.0)) == 0.0
    assert geo.max_curvature(p, w, 0.0).value == 0.0
    fd = geo.focal_distances(p, w, 0.0)
    assert np.all(np.isinf(fd.distances)) and fd.nearest == math.inf
    box = np.array([[-2.0, 2.0], [-2.0, 2.0]])
    assert geo.uniqueness_radius(p, 0.0, box) == math.inf
    X5, _, _, _ = _case(5, 2, 8)
    p5 = NaturalHomotopy(X5, np.zeros(5))
    rc = geo.max_curvature_over(p5, 0.0, box)
    assert rc.k_max == 0.0 and rc.radius == math.inf


# ----------------------------------------------------------------------------- II, error Hessian


PROBLEMS = [
    (
        np.random.default_rng(10).uniform(-1, 1, (4, 2)),
        np.random.default_rng(11).uniform(-1, 1, 4),
        False,
        "tanh",
    ),
    (
        np.random.default_rng(12).uniform(-1, 1, (5, 2)),
        np.random.default_rng(13).uniform(-1, 1, (5, 2)),
        True,
        "logistic",
    ),
    (
        np.random.default_rng(14).uniform(-1, 1, (3, 2)),
        np.random.default_rng(15).uniform(-1, 1, 3),
        False,
        "erf",
    ),
]


@pytest.mark.parametrize("X, d, bias, act", PROBLEMS)
def test_error_hessian_and_II_against_autodiff(X, d, bias, act):
    p = NaturalHomotopy(X, d, act, bias=bias)
    rng = np.random.default_rng(20)
    w = rng.uniform(-1.5, 1.5, p.n_unknowns)
    lam = 0.8
    EH = np.asarray(geo.error_hessian(p, w, lam))
    assert np.abs(EH - np.asarray(p.H_w(w, lam))).max() < 1e-12
    hess_E = np.asarray(_err_hess(p, jnp.asarray(w), lam))
    assert np.abs(EH - hess_E).max() < 1e-12
    # the raw contraction II_n = Σ n_ij ∂²φ_ij/∂w² (any n) against the autodiff Hessian tensor
    T = np.asarray(_emb_hess(p, jnp.asarray(w), lam))
    n = rng.standard_normal(T.shape[0])
    II = np.asarray(geo.second_fundamental_form(p, w, lam, n))
    assert np.abs(II - np.einsum("i,iab->ab", n, T)).max() < 1e-12
    # tangent, metric and normal space against scipy
    J = np.asarray(geo.tangent_basis(p, w, lam))
    assert np.abs(J - np.asarray(_emb_jac(p, jnp.asarray(w), lam))).max() < 1e-13
    assert np.abs(np.asarray(geo.metric(p, w, lam)) - J.T @ J).max() < 1e-13
    N = np.asarray(geo.normal_basis(p, w, lam))
    Nref = sla.null_space(J.T)
    assert N.shape == Nref.shape
    assert np.abs(N @ N.T - Nref @ Nref.T).max() < 1e-12  # same normal space
    assert np.linalg.det(np.hstack([J, N])) > 0


# ----------------------------------------------------------------------------- focal points


@pytest.mark.parametrize("X, w, lam, act", [HYPER[0], HYPER[1], CODIM2[0]])
def test_focal_identity(X, w, lam, act):
    """Move the target along a normal until problem.H_w is singular: there ‖r‖ = 1/κ."""
    L = X.shape[0]
    p0 = NaturalHomotopy(X, np.zeros(L), act)
    z = np.asarray(p0.embedding(jnp.asarray(w), lam))
    J = np.asarray(p0.embedding_jacobian(jnp.asarray(w), lam))
    N = sla.null_space(J.T)
    n = N @ np.linspace(1.0, 0.3, N.shape[1])
    n /= np.linalg.norm(n)

    def hess_det(t, sign):
        p = NaturalHomotopy(X, z + sign * t * n, act)
        return np.linalg.det(np.asarray(_H_w(p, jnp.asarray(w), lam)))

    found = 0
    for sign in (1.0, -1.0):
        ts = np.linspace(0.0, 60.0, 601)
        vals = [hess_det(t, sign) for t in ts]
        k = next((i for i in range(600) if vals[i] * vals[i + 1] < 0), None)
        if k is None:
            continue
        t_star = optimize.brentq(hess_det, ts[k], ts[k + 1], args=(sign,), xtol=1e-15, rtol=1e-15)
        p = NaturalHomotopy(X, z + sign * t_star * n, act)
        assert geo.generalized_orthogonality(p, w, lam) < 1e-12  # w is a critical point of E
        fd = geo.focal_distances(p, w, lam)
        assert abs(fd.residual_norm - t_star) < 1e-12
        assert abs(fd.nearest - t_star) < 1e-8 * t_star
        assert np.abs(fd.hessian_eigenvalues).min() < 1e-8
        kap = np.asarray(geo.principal_curvatures(p, w, lam, normal=sign * n).values)
        assert np.abs(1.0 / t_star - kap).min() < 1e-8 / t_star
        found += 1
    assert found >= 1


def test_generalized_orthogonality_at_solution():
    X, _, lam, _ = _case(5, 2, 30)
    d = np.random.default_rng(31).uniform(-0.8, 0.8, 5)
    p = NaturalHomotopy(X, d)
    sol = optimize.least_squares(
        lambda v: np.asarray(p.residual(jnp.asarray(v), lam)),
        np.zeros(2),
        jac=lambda v: -np.asarray(p.embedding_jacobian(jnp.asarray(v), lam)),
    )
    w = sol.x
    for _ in range(5):  # Newton on H = ∇E = 0 with problem.H_w, to full precision
        w = w - np.linalg.solve(
            np.asarray(_H_w(p, jnp.asarray(w), lam)), np.asarray(p.H(jnp.asarray(w), lam))
        )
    assert geo.generalized_orthogonality(p, w, lam) < 1e-13
    assert geo.generalized_orthogonality(p, w + 0.3, lam) > 1e-3
    fd = geo.focal_distances(p, w, lam)
    # a minimizer: every 1 − ‖r‖κ > 0, i.e. the target is nearer than every focal point
    assert np.all(fd.hessian_eigenvalues > 0) and fd.residual_norm < fd.nearest


# ----------------------------------------------------------------------------- brute force


def _brute_rho(p, w, lam, n_samples, seed=0):
    """Independent: autodiff Hessian tensor, scipy null space, sampled unit normals + refinement."""
    wj = jnp.asarray(w)
    J = np.asarray(_emb_jac(p, wj, lam))
    T = np.asarray(_emb_hess(p, wj, lam))
    N = sla.null_space(J.T)
    Li = np.linalg.inv(np.linalg.cholesky(J.T @ J))
    Bs = np.einsum("ab,ik,ibc,dc->kad", Li, N, T, Li)
    q = N.shape[1]

    def rho(C):
        return np.abs(np.linalg.eigvalsh(np.tensordot(C, Bs, axes=1))).max(-1)

    if q == 2:
        th = np.linspace(0, np.pi, n_samples, endpoint=False)
        C = np.stack([np.cos(th), np.sin(th)], 1)
    else:
        C = np.random.default_rng(seed).standard_normal((n_samples, q))
        C /= np.linalg.norm(C, axis=1, keepdims=True)
    vals = np.concatenate([rho(C[i : i + 50_000]) for i in range(0, len(C), 50_000)])
    sample_max = float(vals.max())
    refined = sample_max
    starts: list[np.ndarray] = []
    for i in np.argsort(-vals):  # local refinement of the best distinct samples (Nelder–Mead)
        if len(starts) == 4:
            break
        if any(abs(C[i] @ c) > 0.99 for c in starts):
            continue
        starts.append(C[i])
        res = optimize.minimize(
            lambda c: -rho(c[None] / np.linalg.norm(c))[0], C[i], method="Nelder-Mead",
            options=dict(xatol=1e-12, fatol=1e-16, maxiter=1500),
        )  # fmt: skip
        refined = max(refined, -res.fun)
    return sample_max, refined


@pytest.mark.parametrize(
    "L, s, m, seed, n_samples",
    [(4, 2, 1, 40, 100_000), (5, 3, 1, 41, 100_000), (5, 2, 1, 42, 60_000),
     (6, 3, 1, 43, 60_000), (3, 2, 2, 44, 60_000), (7, 4, 1, 45, 60_000)],
)  # fmt: skip
def test_max_curvature_vs_brute_force(L, s, m, seed, n_samples):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.5, 1.5, (L, s))
    d = np.zeros((L, m)) if m > 1 else np.zeros(L)
    p = NaturalHomotopy(X, d)
    w = rng.uniform(-1.5, 1.5, p.n_unknowns)
    lam = 0.9
    mc = geo.max_curvature(p, w, lam)
    sample_max, refined = _brute_rho(p, w, lam, n_samples, seed)
    assert mc.value >= sample_max - 1e-12  # the exact value dominates every sample
    assert abs(mc.value - refined) < 1e-9 * max(1.0, refined)
    if (L - s) * m <= 3:
        assert mc.certified and mc.upper_bound >= mc.value
    # the reported maximizer attains it
    II = np.asarray(geo.second_fundamental_form(p, w, lam, mc.normal))
    assert abs(mc.direction @ II @ mc.direction - mc.value) < 1e-10 * max(1, mc.value)
    assert abs(mc.direction @ np.asarray(geo.metric(p, w, lam)) @ mc.direction - 1) < 1e-12


# ----------------------------------------------------------------------------- regions and the tube


def test_max_curvature_over_region_and_tube():
    X = np.array([[1.0, 0.3], [-0.4, 1.2], [0.8, -0.9]])
    p = NaturalHomotopy(X, np.zeros(3))
    lam = 1.0
    box = np.array([[-1.5, 1.5], [-1.5, 1.5]])
    rc = geo.max_curvature_over(p, lam, box)
    # dominates a finer grid of exact pointwise values, and is attained at rc.w
    g = np.linspace(-1.5, 1.5, 31)
    grid_max = max(geo.max_curvature(p, [a, b], lam).value for a in g[::3] for b in g[::3])
    assert rc.k_max >= grid_max - 1e-12
    assert abs(geo.max_curvature(p, rc.w, lam).value - rc.k_max) < 1e-12
    assert np.all(rc.w >= box[:, 0]) and np.all(rc.w <= box[:, 1])
    assert rc.radius == pytest.approx(1 / rc.k_max, rel=1e-15)
    assert geo.uniqueness_radius(p, lam, geo.Box(box[:, 0], box[:, 1])) == pytest.approx(
        rc.radius, rel=1e-9
    )
    samples = np.random.default_rng(0).uniform(-1.5, 1.5, (40, 2))
    rs = geo.max_curvature_over(p, lam, samples)
    assert rs.k_max <= rc.k_max * (1 + 1e-9)  # the samples' bounding box lies in the box

    w0 = np.array([0.6, -0.4])
    pc = geo.principal_curvatures(p, w0, lam)
    z0, n = np.asarray(geo.embedding(p, w0, lam)), np.asarray(pc.normal)
    near = geo.in_uniqueness_tube(p, z0 + 0.5 * rc.radius * n, lam, box, radius=rc)
    assert near.inside and near.radius == rc.radius
    assert abs(near.distance - 0.5 * rc.radius) < 1e-12
    assert np.abs(near.w - w0).max() < 1e-10 and near.orthogonality < 1e-12
    k_pos = float(np.max(pc.values))
    assert k_pos > 0
    # beyond a focal point
    far = geo.in_uniqueness_tube(p, z0 + 2.0 / k_pos * n, lam, box, radius=rc)
    assert not far.inside and far.distance > far.radius
    assert abs(np.linalg.norm(far.point - (z0 + 2.0 / k_pos * n)) - far.distance) < 1e-12


# ----------------------------------------------------------------------------- API edge


def test_value_errors():
    X4, w, lam, _ = _case(4, 2, 50)
    p4 = NaturalHomotopy(X4, np.zeros(4))
    with pytest.raises(ValueError, match="normal"):
        geo.principal_curvatures(p4, w, lam)
    with pytest.raises(ValueError, match="problem"):
        geo.gaussian_curvature(p4, w, lam)
    with pytest.raises(ValueError, match="problem"):
        geo.mean_curvature(p4, w, lam)
    with pytest.raises(ValueError, match="lam"):
        geo.metric(p4, w, 1.5)
    with pytest.raises(ValueError, match="w"):
        geo.metric(p4, np.zeros(3), lam)
    with pytest.raises(ValueError, match="normal"):
        geo.principal_curvatures(p4, w, lam, normal=np.asarray(geo.tangent_basis(p4, w, lam))[:, 0])
    with pytest.raises(ValueError, match="normal"):
        geo.second_fundamental_form(p4, w, lam, np.zeros(3))
    with pytest.raises(ValueError, match="region"):
        geo.max_curvature_over(p4, lam, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="target"):
        geo.in_uniqueness_tube(p4, np.zeros(3), lam, np.array([[-1, 1], [-1, 1]]), radius=1.0)
    with pytest.raises(ValueError, match="problem"):
        geo.metric("not a problem", w, lam)
    with pytest.raises(ValueError, match="problem"):
        geo.metric(NaturalHomotopy(np.ones((4, 2)), np.zeros(4)), w, lam)  # rank 1
    with pytest.raises(ValueError, match="hessian"):
        geo.curvatures_from(np.eye(3)[:, :2], np.zeros((3, 2, 3)))


def test_immersion_errors_name_problem():
    w = np.array([0.3, -0.2])
    rank1 = NaturalHomotopy(np.ones((4, 2)), np.zeros(4))  # rank X̃ = 1: rank J = 1 at every w
    for fn in (geo.metric, geo.normal_basis, geo.max_curvature, geo.focal_distances):
        with pytest.raises(ValueError, match=r"problem: φ_λ is not an immersion: rank J = 1 < n"):
            fn(rank1, w, 0.5)
    with pytest.raises(ValueError, match="problem: .*immersion at any of the .* region seeds"):
        geo.max_curvature_over(rank1, 0.5, np.array([[-1.0, 1.0], [-1.0, 1.0]]))
    short = NaturalHomotopy(np.eye(2, 3), np.zeros(2))  # L = 2 < s = 3: M < n
    with pytest.raises(ValueError, match="problem: .*M < n"):
        geo.embedding(short, np.zeros(3), 0.5)
