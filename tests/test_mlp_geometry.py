"""Geometry of the hidden-layer data manifold (`MLPHomotopy`) through the generic protocol.

`MLPHomotopy` gives only ``embedding``, ``targets``, ``residual`` and ``n_unknowns``, so
`homotopy.geometry` works through the autodiff defaults of `homotopy.manifold`. The references
here are independent of both: φ(θ) = σ_λ(X̃W)V + 1cᵀ is built symbolically (sympy.tanh, rational
data, weights and λ), differentiated exactly, evaluated to 40 digits, and the first and second
fundamental forms, normals and normal curvatures are formed with mpmath linear algebra.
"""

import functools
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
import scipy.linalg as sla
import sympy as sp
from scipy import optimize

import homotopy
from homotopy import geometry as geo
from homotopy.mlp import MLPHomotopy


TOL = 1e-12  # relative, float64 results against 40-digit references
DPS = 40
R = sp.Rational


def rel_err(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b)) / max(1.0, float(np.max(np.abs(b)))))


# ----------------------------------------------------------------------------- sympy reference


@dataclass(frozen=True)
class Case:
    """A small network: rational patterns X (L, s), targets d (L, m), weights θ, λ."""

    X: tuple
    d: tuple
    hidden: int
    bias: bool
    output_bias: bool
    theta: tuple
    lam: sp.Rational
    output: str = "linear"

    def problem(self) -> MLPHomotopy:
        X = np.array([[float(x) for x in row] for row in self.X])
        d = np.array([[float(x) for x in row] for row in self.d])
        return MLPHomotopy(
            X, d, self.hidden, "tanh", self.bias, self.output, output_bias=self.output_bias
        )

    @property
    def w(self) -> np.ndarray:
        return np.array([float(t) for t in self.theta])


def _rat(rows):
    return tuple(tuple(R(x) for x in row) for row in rows)


class SymRef:
    """Exact φ(θ), its derivatives and E(θ), evaluated with mpmath at `DPS` digits."""

    def __init__(self, case: Case):
        mp.mp.dps = DPS
        X = sp.Matrix(case.X)
        D = sp.Matrix(case.d)
        L, m, h = X.rows, D.cols, case.hidden
        if case.bias:
            X = X.row_join(sp.ones(L, 1))
        s = X.cols
        th = sp.symbols(f"t0:{len(case.theta)}")
        W = sp.Matrix(s, h, th[: s * h])  # row-major, like MLPHomotopy.unpack
        V = sp.Matrix(h, m, th[s * h : s * h + h * m])
        c = sp.Matrix(1, m, th[s * h + h * m :]) if case.output_bias else sp.zeros(1, m)
        assert len(th) == s * h + h * m + (m if case.output_bias else 0)
        lam = case.lam

        def blend(a):
            return (1 - lam) * a + lam * sp.tanh(a)

        Y = (X * W).applyfunc(blend) * V + sp.ones(L, 1) * c
        if case.output == "activation":
            Y = Y.applyfunc(blend)
        phi = [Y[i, j] for i in range(L) for j in range(m)]  # row-major (pattern, output)
        dflat = [D[i, j] for i in range(L) for j in range(m)]
        E = sp.Rational(1, 2) * sum((di - p) ** 2 for di, p in zip(dflat, phi, strict=True))
        sub = dict(zip(th, case.theta, strict=True))
        n, M = len(th), len(phi)
        self.n, self.M = n, M

        def ev(e):
            return mp.mpf(sp.N(e, DPS, subs=sub)) if e.free_symbols else mp.mpf(sp.N(e, DPS))

        self.z = mp.matrix([ev(p) for p in phi])
        self.r = mp.matrix([ev(di - p) for di, p in zip(dflat, phi, strict=True)])
        Jsym = [[sp.diff(p, t) for t in th] for p in phi]
        self.J = mp.matrix([[ev(e) for e in row] for row in Jsym])
        self.H = []  # H[i] = ∂²φ_i/∂θ²
        for i in range(M):
            Hi = mp.matrix(n, n)
            for a in range(n):
                for b in range(a, n):
                    Hi[a, b] = Hi[b, a] = ev(sp.diff(Jsym[i][a], th[b]))
            self.H.append(Hi)
        self.E = ev(E)
        self.hessE = mp.matrix(n, n)  # the exact Hessian of E itself, not via G − II_r
        for a in range(n):
            dEa = sp.diff(E, th[a])
            for b in range(a, n):
                self.hessE[a, b] = self.hessE[b, a] = ev(sp.diff(dEa, th[b]))
        self.G = self.J.T * self.J
        self.P = mp.eye(M) - self.J * mp.inverse(self.G) * self.J.T  # onto the normal space

    def ii(self, nu) -> mp.matrix:
        """Σ_i ν_i ∂²φ_i/∂θ² (raw contraction)."""
        out = mp.matrix(self.n, self.n)
        for i in range(self.M):
            out += mp.mpf(nu[i]) * self.H[i]
        return out

    def unit_normal(self, v) -> mp.matrix:
        """P v / ‖P v‖ for an ambient vector v: a unit normal."""
        u = self.P * mp.matrix([mp.mpf(x) for x in v])
        return u / mp.norm(u)

    def hypersurface_normal(self) -> mp.matrix:
        """The unit normal with det[J | n] > 0 (codimension 1)."""
        assert self.M == self.n + 1
        k = max(range(self.M), key=lambda i: mp.norm(self.P[:, i]))  # P e_k far from 0
        nv = self.P[:, k] / mp.norm(self.P[:, k])
        B = mp.matrix(self.M, self.M)
        for i in range(self.M):
            for j in range(self.n):
                B[i, j] = self.J[i, j]
            B[i, self.n] = nv[i]
        return nv if mp.det(B) > 0 else -nv

    def whitened(self, nu) -> mp.matrix:
        """Lc⁻¹ II_ν Lc⁻ᵀ with G = Lc Lcᵀ: its eigenvalues are the normal curvatures."""
        Li = mp.inverse(mp.cholesky(self.G))
        B = Li * self.ii(nu) * Li.T
        return (B + B.T) / 2

    def curvatures(self, nu) -> np.ndarray:
        """κ ascending of II_ν v = κ G v (ν a unit normal)."""
        E, _ = mp.eigsy(self.whitened(nu))
        return np.sort(np.array([float(e) for e in E]))


def npf(a) -> np.ndarray:
    """An mpmath matrix as float64 (a column vector as a 1-d array)."""
    out = np.array(a.tolist(), dtype=float)
    return out[:, 0] if out.shape[1] == 1 else out


@functools.cache
def ref(case: Case) -> SymRef:
    return SymRef(case)


# L = 3 patterns, one input, no biases, h = 1: θ = (w, v), n = 2, M = 3
HYPER2 = Case(
    X=_rat([[-1], [R(1, 2)], [R(3, 2)]]),
    d=_rat([[R(1, 3)], [R(-1, 2)], [1]]),
    hidden=1, bias=False, output_bias=False,
    theta=(R(4, 5), R(-6, 5)), lam=R(7, 10),
)  # fmt: skip
# the same with the output node blended too, Y = σ_λ(σ_λ(X̃W)V): V no longer enters linearly
HYPER2A = Case(
    X=HYPER2.X, d=HYPER2.d, hidden=1, bias=False, output_bias=False,
    theta=HYPER2.theta, lam=HYPER2.lam, output="activation",
)  # fmt: skip
# L = 5, one input, both biases, h = 1: θ = (w, b, v, c), n = 4, M = 5 (still a hypersurface)
HYPER4 = Case(
    X=_rat([[-2], [-1], [0], [R(3, 4)], [2]]),
    d=_rat([[R(-1, 2)], [R(1, 4)], [R(1, 3)], [R(-3, 4)], [1]]),
    hidden=1, bias=True, output_bias=True,
    theta=(R(9, 10), R(-3, 10), R(3, 2), R(1, 5)), lam=R(7, 10),
)  # fmt: skip
# L = 6, one input, both biases, h = 1: n = 4, M = 6 (codimension 2)
CODIM2 = Case(
    X=_rat([[-2], [R(-6, 5)], [R(-1, 3)], [R(1, 2)], [R(7, 5)], [R(9, 4)]]),
    d=_rat([[R(-4, 5)], [R(-1, 2)], [R(1, 10)], [R(1, 2)], [R(3, 4)], [R(-1, 5)]]),
    hidden=1, bias=True, output_bias=True,
    theta=(R(6, 5), R(1, 4), R(-7, 5), R(1, 10)), lam=R(4, 5),
)  # fmt: skip
# two outputs: L = 4, one input, both biases, h = 1: θ = (w, b, v1, v2, c1, c2), n = 6, M = 8
MULTI = Case(
    X=_rat([[-1], [R(-1, 3)], [R(1, 2)], [R(3, 2)]]),
    d=_rat([[R(1, 2), -1], [0, R(1, 3)], [R(-1, 4), R(1, 2)], [1, R(2, 3)]]),
    hidden=1, bias=True, output_bias=True,
    theta=(R(11, 10), R(-2, 5), R(4, 3), R(-3, 4), R(1, 5), R(-1, 10)), lam=R(3, 5),
)  # fmt: skip


def test_cases_have_the_intended_shapes():
    shapes = [(HYPER2, (2, 3)), (HYPER2A, (2, 3)), (HYPER4, (4, 5)), (CODIM2, (4, 6)),
              (MULTI, (6, 8))]  # fmt: skip
    for case, (n, M) in shapes:
        p = case.problem()
        assert p.n_unknowns == n == len(case.theta)
        assert homotopy.manifold.dimensions(p) == (M, n)
        # no closed-form hooks: the geometry must use the autodiff defaults
        for hook in homotopy.manifold.HOOKS[1:]:
            assert not hasattr(p, hook)


# ----------------------------------------------------------------------------- first order


@pytest.mark.parametrize(
    "case", [HYPER2, HYPER2A, HYPER4, CODIM2, MULTI], ids=["h2", "h2a", "h4", "c2", "m2"]
)
def test_embedding_jacobian_metric_normals_match_sympy(case):
    p, w, lam, sr = case.problem(), case.w, float(case.lam), ref(case)
    assert rel_err(geo.embedding(p, w, lam), npf(sr.z)) < TOL
    assert rel_err(p.residual(jnp.asarray(w), lam), npf(sr.r)) < TOL
    assert abs(float(p.error(jnp.asarray(w), lam)) - float(sr.E)) < TOL * max(1, float(sr.E))
    assert rel_err(geo.tangent_basis(p, w, lam), npf(sr.J)) < TOL
    assert rel_err(geo.metric(p, w, lam), npf(sr.G)) < TOL
    N = np.asarray(geo.normal_basis(p, w, lam))
    q = sr.M - sr.n
    assert N.shape == (sr.M, q)
    assert np.abs(N.T @ N - np.eye(q)).max() < 1e-14
    # the normal space itself (basis-free): N Nᵀ = I − J G⁻¹ Jᵀ
    assert rel_err(N @ N.T, npf(sr.P)) < TOL
    assert np.linalg.det(np.hstack([npf(sr.J), N])) > 0  # the documented orientation
    # the error Hessian: geometry's G − II_r, and the problem's backprop H_θ, vs sympy's ∇²E
    HE_ref = npf(sr.hessE)
    assert rel_err(geo.error_hessian(p, w, lam), HE_ref) < TOL
    assert rel_err(np.asarray(p.jacobian(jnp.asarray(w), lam))[:, : sr.n], HE_ref) < TOL
    grad_ref = -npf(sr.J).T @ npf(sr.r)
    assert rel_err(p.H(jnp.asarray(w), lam), grad_ref) < TOL


# ----------------------------------------------------------------------------- hypersurfaces


@pytest.mark.parametrize("case", [HYPER2, HYPER2A, HYPER4], ids=["n2", "n2a", "n4"])
def test_hypersurface_curvatures_match_sympy(case):
    p, w, lam, sr = case.problem(), case.w, float(case.lam), ref(case)
    n_ref = sr.hypersurface_normal()
    n_hat = np.asarray(geo.normal_basis(p, w, lam))[:, 0]
    assert rel_err(n_hat, npf(n_ref)) < TOL  # same normal, same sign (det[J | n] > 0)
    II_ref = npf(sr.ii(n_ref))
    assert rel_err(geo.second_fundamental_form(p, w, lam, n_hat), II_ref) < TOL
    kap_ref = sr.curvatures(n_ref)
    # With a linear output node and m = 1, φ is linear in v_j and ∂²φ/∂v_j∂W_j = ∂φ/∂W_j / v_j
    # is tangent, so every v_j (and c) direction is a zero of II_n: those hypersurfaces have
    # h (+ 1) vanishing principal curvatures and K = 0 identically. The blended output has none.
    n_zero = case.hidden + case.output_bias if case.output == "linear" else 0
    assert int(np.sum(np.abs(kap_ref) < 1e-30)) == n_zero
    assert np.sum(np.abs(kap_ref) > 1e-2) == sr.n - n_zero  # the others are well away from 0
    pc = geo.principal_curvatures(p, w, lam)
    assert rel_err(pc.values, kap_ref) < TOL
    assert rel_err(pc.normal, npf(n_ref)) < TOL
    K_ref = float(mp.det(sr.ii(n_ref)) / mp.det(sr.G))  # Gaussian curvature det II_n / det G
    assert abs(float(geo.gaussian_curvature(p, w, lam)) - K_ref) < TOL * max(1, abs(K_ref))
    assert abs(float(pc.gaussian) - K_ref) < TOL * max(1, abs(K_ref))
    H_ref = float(sum(kap_ref) / sr.n)
    assert abs(float(geo.mean_curvature(p, w, lam)) - H_ref) < TOL * max(1, abs(H_ref))
    # directions: G-orthonormal eigenvectors of the pencil (II_n, G)
    V, G = np.asarray(pc.directions), npf(sr.G)
    assert np.abs(V.T @ G @ V - np.eye(sr.n)).max() < 1e-11
    assert np.abs(II_ref @ V - G @ V * kap_ref).max() < 1e-11 * max(1, np.abs(II_ref).max())
    # the opposite normal flips every curvature
    flipped = geo.principal_curvatures(p, w, lam, normal=-2.5 * n_hat).values
    assert rel_err(flipped, -kap_ref[::-1]) < TOL
    mc = geo.max_curvature(p, w, lam)
    k_ref = float(np.abs(kap_ref).max())
    assert mc.method == "eigen" and mc.certified
    assert abs(mc.value - k_ref) < TOL * max(1, k_ref)
    # the maximizer: curvature +k along (normal, direction)
    v = mc.direction
    II_mc = npf(sr.ii(mc.normal))
    assert abs(v @ G @ v - 1) < 1e-12 and abs(v @ II_mc @ v - k_ref) < 1e-11 * max(1, k_ref)


# ----------------------------------------------------------------------------- codimension > 1


def _max_over_normals(Bs: np.ndarray) -> float:
    """max over unit c ∈ R² of ‖c₁B₁ + c₂B₂‖₂: dense sweep of half the circle, then Brent."""

    def rho(t):
        return np.abs(np.linalg.eigvalsh(np.cos(t) * Bs[0] + np.sin(t) * Bs[1])).max()

    ts = np.linspace(0.0, np.pi, 4001)
    vals = np.array([rho(t) for t in ts])
    i = int(np.argmax(vals))
    h = ts[1] - ts[0]
    res = optimize.minimize_scalar(
        lambda t: -rho(t), bounds=(ts[i] - h, ts[i] + h), method="bounded",
        options=dict(xatol=1e-13),
    )  # fmt: skip
    return max(vals[i], -res.fun)


_jax_hess_E = jax.jit(lambda p, w, lam: jax.hessian(p.error)(w, lam))


@pytest.mark.parametrize("case", [CODIM2, MULTI], ids=["m1", "m2"])
def test_codimension2_matches_sympy(case):
    p, w, lam, sr = case.problem(), case.w, float(case.lam), ref(case)
    G = npf(sr.G)
    # the raw contraction along an arbitrary (not normal) vector, linear in ν
    nu = np.linspace(-1.0, 1.5, sr.M) ** 3 + 0.25
    assert rel_err(geo.second_fundamental_form(p, w, lam, nu), npf(sr.ii(nu))) < TOL
    assert rel_err(geo.second_fundamental_form(p, w, lam, 3 * nu), 3 * npf(sr.ii(nu))) < TOL
    # normal curvatures along two independent unit normals (given unnormalized)
    for v in ([1, -2, 3, -1, 2, 1, 0, 1][: sr.M], [2, 1, -1, 0, -3, 1, 1, -2][: sr.M]):
        n_ref = sr.unit_normal(v)
        n_np = npf(n_ref)
        assert rel_err(geo.second_fundamental_form(p, w, lam, n_np), npf(sr.ii(n_ref))) < TOL
        pc = geo.principal_curvatures(p, w, lam, normal=7.0 * n_np)
        kap_ref = sr.curvatures(n_ref)
        assert np.ptp(kap_ref) > 1e-3
        assert rel_err(pc.values, kap_ref) < TOL
        assert rel_err(pc.normal, n_np) < 1e-14
        assert abs(float(pc.gaussian) - float(np.prod(kap_ref))) < TOL
        assert abs(float(pc.mean) - float(np.mean(kap_ref))) < TOL
    with pytest.raises(ValueError, match="normal: required for codimension 2"):
        geo.principal_curvatures(p, w, lam)
    with pytest.raises(ValueError, match="Gaussian and mean curvature need a hypersurface"):
        geo.gaussian_curvature(p, w, lam)
    with pytest.raises(ValueError, match="normal: not normal"):
        geo.principal_curvatures(p, w, lam, normal=npf(sr.J)[:, 0])
    # max curvature: the whitened II's of the sympy normal basis, searched over the circle
    N = np.asarray(geo.normal_basis(p, w, lam))
    Bs = np.array([npf(sr.whitened(N[:, k])) for k in range(2)])
    k_ref = _max_over_normals(Bs)
    mc = geo.max_curvature(p, w, lam)
    assert mc.certified and mc.method == "ascent"
    assert abs(mc.value - k_ref) < 1e-11 * max(1, k_ref)
    assert mc.upper_bound >= mc.value and mc.upper_bound <= mc.value * (1 + 1e-9)
    assert abs(np.linalg.norm(mc.normal) - 1) < 1e-13
    assert np.abs(npf(sr.J).T @ mc.normal).max() < 1e-12
    v = mc.direction
    assert abs(v @ G @ v - 1) < 1e-12
    assert abs(v @ npf(sr.ii(mc.normal)) @ v - k_ref) < 1e-11 * max(1, k_ref)
    # the error Hessian ∇²E = G − II_r against sympy's exact Hessian of E
    HE_ref = npf(sr.hessE)
    HE = np.asarray(geo.error_hessian(p, w, lam))
    assert rel_err(HE, HE_ref) < TOL
    assert rel_err(HE, G - npf(sr.ii(sr.r))) < TOL
    assert rel_err(_jax_hess_E(p, jnp.asarray(w), lam), HE_ref) < TOL
    assert rel_err(np.asarray(p.jacobian(jnp.asarray(w), lam))[:, : sr.n], HE_ref) < TOL
    # focal distances along r̂ (r is not normal here: only the pencil (II_r̂, G) is used)
    fd = geo.focal_distances(p, w, lam)
    nr = float(mp.norm(sr.r))
    kap_r = sr.curvatures(sr.r / nr)
    assert abs(fd.residual_norm - nr) < TOL * max(1, nr)
    assert rel_err(fd.curvatures, kap_r) < TOL
    assert rel_err(fd.hessian_eigenvalues, 1 - nr * kap_r) < TOL
    assert rel_err(np.sort(sla.eigh(HE_ref, G, eigvals_only=True)), np.sort(1 - nr * kap_r)) < 1e-11
    assert kap_r.max() > 1e-2  # a positive curvature: a finite nearest focal distance
    nearest_ref = 1 / kap_r.max()
    assert abs(fd.nearest - nearest_ref) < 1e-11 * max(1, nearest_ref)
    go = geo.generalized_orthogonality(p, w, lam)
    J = npf(sr.J)
    go_ref = np.linalg.norm(J.T @ npf(sr.r)) / (np.linalg.norm(J, 2) * nr)
    assert go_ref > 1e-2 and abs(go - go_ref) < 1e-12  # not a critical point


# ----------------------------------------------------------------------------- critical points


def test_generalized_orthogonality_at_a_minimum():
    """A local minimizer of E_λ (scipy, then Newton by `correct_at`): r ⟂ T_zZ, and
    ∇²E = G − ‖r‖ II_r̂ ≻ 0 exactly when ‖r‖ is below the nearest focal distance."""
    p, lam = CODIM2.problem(), 0.8
    f = jax.jit(p.error)
    g = jax.jit(jax.grad(p.error))
    opt = optimize.minimize(
        lambda w: float(f(jnp.asarray(w), lam)), CODIM2.w,
        jac=lambda w: np.asarray(g(jnp.asarray(w), lam)), method="BFGS",
        options=dict(gtol=1e-9),
    )  # fmt: skip
    w = homotopy.correct_at(p, opt.x, lam)
    assert np.linalg.norm(w - opt.x) < 1e-4  # Newton polished the same minimizer
    assert np.abs(np.asarray(p.H(jnp.asarray(w), lam))).max() < 1e-12
    go = geo.generalized_orthogonality(p, w, lam)
    assert go < 1e-12
    fd = geo.focal_distances(p, w, lam)
    HE = np.asarray(geo.error_hessian(p, w, lam))
    G = np.asarray(geo.metric(p, w, lam))
    assert rel_err(HE, _jax_hess_E(p, jnp.asarray(w), lam)) < 1e-12
    # the eigenvalues of ∇²E relative to G are 1 − ‖r‖κ_i
    gen = np.sort(sla.eigh(HE, G, eigvals_only=True))
    assert rel_err(gen, np.sort(fd.hessian_eigenvalues)) < 1e-11
    assert np.linalg.eigvalsh(HE).min() > 0  # a minimizer
    assert fd.residual_norm < fd.nearest
    # at a critical point r̂ is a unit normal: the focal curvatures are normal curvatures
    r = np.asarray(p.residual(jnp.asarray(w), lam))
    pc = geo.principal_curvatures(p, w, lam, normal=r)
    assert rel_err(pc.values, fd.curvatures) < 1e-12
    mc = geo.max_curvature(p, w, lam)
    assert np.abs(fd.curvatures).max() <= mc.value * (1 + 1e-12)


@pytest.mark.parametrize("frac", [0.5, 0.9, 1.1, 2.0])
def test_hessian_sign_changes_at_the_focal_distance(frac):
    """Targets d = φ(w₀) + t n along the maximal-curvature normal n: w₀ is a critical point
    with ‖r‖ = t, and ∇²E(w₀) loses positive definiteness exactly past t = 1/k."""
    base, lam = CODIM2.problem(), 0.8
    w0 = CODIM2.w
    mc = geo.max_curvature(base, w0, lam)
    t = frac / mc.value
    z0 = np.asarray(geo.embedding(base, w0, lam))
    d = (z0 + t * mc.normal).reshape(-1, 1)
    p = MLPHomotopy(np.asarray(base.X), d, 1, "tanh", True, output_bias=True)
    assert geo.generalized_orthogonality(p, w0, lam) < 1e-12
    fd = geo.focal_distances(p, w0, lam)
    assert abs(fd.residual_norm - t) < 1e-14 * max(1, t)
    assert abs(fd.nearest - 1 / mc.value) < 1e-10 / mc.value  # the maximal curvature is +k
    assert abs(fd.curvatures.max() - mc.value) < 1e-10 * mc.value
    ev = np.linalg.eigvalsh(np.asarray(geo.error_hessian(p, w0, lam)))
    n_neg_ref = int(np.sum(fd.hessian_eigenvalues < 0))
    assert n_neg_ref == int(np.sum(fd.distances[fd.distances > 0] < t))
    assert int(np.sum(ev < 0)) == n_neg_ref  # Sylvester: G ≻ 0, same inertia
    assert (ev.min() > 0) == (fd.residual_norm < fd.nearest) == (frac < 1)


def test_uniqueness_tube_on_the_hidden_layer_surface():
    """n = 2 surface (L = 3, θ = (w, v)): a target at distance t < ρ along a normal of
    φ(w₀) is inside the tube, and the projection recovers w₀ and t."""
    base, lam = HYPER2.problem(), 0.7
    w0 = HYPER2.w
    box = geo.Box(np.array([0.5, -1.6]), np.array([1.2, -0.8]))  # away from w = 0, v = 0
    rc = geo.max_curvature_over(base, lam, box, n_seeds=8, n_starts=2)
    assert rc.k_max >= geo.max_curvature(base, w0, lam).value * (1 - 1e-12)
    assert np.all(rc.w >= box.lo) and np.all(rc.w <= box.hi)
    assert abs(geo.max_curvature(base, rc.w, lam).value - rc.k_max) < 1e-12 * rc.k_max
    n_hat = np.asarray(geo.normal_basis(base, w0, lam))[:, 0]
    t = 0.5 * rc.radius
    target = np.asarray(geo.embedding(base, w0, lam)) + t * n_hat
    tube = geo.in_uniqueness_tube(base, target, lam, box, radius=rc, n_seeds=8)
    assert tube.inside and tube.radius == rc.radius
    assert abs(tube.distance - t) < 1e-10 * max(1, t)
    assert np.abs(tube.w - w0).max() < 1e-8
    assert tube.orthogonality < 1e-8


# ----------------------------------------------------------------------------- two hidden units


def test_two_outputs_two_hidden_units_agree_with_autodiff():
    """h = 2, m = 2 (n = 8, M = 10): the protocol's defaults against a direct autodiff frame
    (`curvatures_from` / `max_curvature_from`) and a numpy version of the network."""
    rng = np.random.default_rng(3)
    X = rng.uniform(-1.5, 1.5, (5, 1))
    D = rng.uniform(-1.0, 1.0, (5, 2))
    p = MLPHomotopy(X, D, 2, "tanh", True, output_bias=False)
    assert p.n_unknowns == 8
    w = rng.uniform(-1.2, 1.2, 8)
    lam = 0.6
    W, V = w[:4].reshape(2, 2), w[4:].reshape(2, 2)
    A = np.hstack([X, np.ones((5, 1))]) @ W
    Y = ((1 - lam) * A + lam * np.tanh(A)) @ V
    assert rel_err(geo.embedding(p, w, lam), Y.reshape(-1)) < 1e-14  # row-major (pattern, out)
    wj = jnp.asarray(w)
    J = np.asarray(jax.jacrev(p.embedding)(wj, lam))
    Hs = np.asarray(jax.jacrev(jax.jacrev(p.embedding))(wj, lam))
    assert rel_err(geo.tangent_basis(p, w, lam), J) < 1e-13
    N = np.asarray(geo.normal_basis(p, w, lam))
    assert N.shape == (10, 2) and np.abs(J.T @ N).max() < 1e-13
    for k in range(2):
        pc = geo.principal_curvatures(p, w, lam, normal=N[:, k])
        ref_c = geo.curvatures_from(J, Hs, normal=N[:, k])
        assert rel_err(pc.values, ref_c.values) < 1e-12
        II = np.einsum("i,iab->ab", N[:, k], Hs)
        assert rel_err(pc.values, sla.eigh(II, J.T @ J, eigvals_only=True)) < 1e-11
    mc = geo.max_curvature(p, w, lam)
    mc_ref = geo.max_curvature_from(J, Hs)
    assert mc.certified and mc_ref.certified
    assert abs(mc.value - mc_ref.value) < 1e-11 * max(1, mc_ref.value)
    r = D.reshape(-1) - Y.reshape(-1)
    HE_ref = J.T @ J - np.einsum("i,iab->ab", r, Hs)
    assert rel_err(geo.error_hessian(p, w, lam), HE_ref) < 1e-12
    assert rel_err(geo.error_hessian(p, w, lam), _jax_hess_E(p, wj, lam)) < 1e-12
