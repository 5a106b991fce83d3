"""The sympy twin of the geometry: exact expressions against direct numpy formulas."""

import math

import numpy as np
import pytest
import scipy.linalg as sla
import sympy

from homotopy.symbolic import SymbolicManifold, latex


X3 = np.array([[1.0, 0.5], [-0.25, 1.5], [0.75, -1.0]])
W = np.array([0.4, -0.7])
LAM = 0.8


@pytest.fixture(scope="module")
def sm3():
    return SymbolicManifold(X3, "tanh")


def direct(X, w, lam):
    """φ, J, Hessians of σ_λ(Xw), σ = tanh, by hand in numpy."""
    z = X @ w
    th = np.tanh(z)
    phi = (1 - lam) * z + lam * th
    d1 = (1 - lam) + lam * (1 - th**2)
    d2 = lam * (-2 * th * (1 - th**2))
    J = d1[:, None] * X
    H = d2[:, None, None] * X[:, :, None] * X[:, None, :]
    return phi, J, H


def test_expressions_match_direct_formulas(sm3):
    phi, J, H = direct(X3, W, LAM)
    assert np.abs(sm3.embedding_at(W, LAM) - phi).max() < 1e-15
    assert np.abs(sm3.jacobian_at(W, LAM) - J).max() < 1e-15
    assert np.abs(sm3.metric_at(W, LAM) - J.T @ J).max() < 1e-14
    n = np.array([0.3, -1.0, 2.0])
    assert (
        np.abs(sm3.second_fundamental_form_at(W, LAM, n) - np.einsum("i,iab->ab", n, H)).max()
        < 1e-14
    )
    # the exact rationals equal the float inputs: X is represented without rounding
    assert sm3.X[0, 1] == sympy.Rational(1, 2) and sm3.X[1, 0] == sympy.Rational(-1, 4)


def test_hypersurface_normal_and_curvatures(sm3):
    phi, J, H = direct(X3, W, LAM)
    n = sm3.normal_at(W, LAM)
    assert abs(np.linalg.norm(n) - 1) < 1e-15 and np.abs(J.T @ n).max() < 1e-15
    assert np.linalg.det(np.column_stack([J, n])) > 0
    kap, V = sm3.principal_curvatures(W, LAM)  # closed form from the characteristic polynomial
    ref = sla.eigh(np.einsum("i,iab->ab", n, H), J.T @ J, eigvals_only=True)
    assert np.abs(kap - ref).max() < 1e-13
    # the mpmath eigenproblem path (explicit normal) agrees with the closed form
    kap2, V2 = sm3.principal_curvatures(W, LAM, normal=5 * n)
    assert np.abs(kap - kap2).max() < 1e-15
    assert np.abs(V2.T @ (J.T @ J) @ V2 - np.eye(2)).max() < 1e-14
    K, Hm = sm3.gaussian_curvature(W, LAM), sm3.mean_curvature(W, LAM)
    assert abs(K - kap[0] * kap[1]) < 1e-15 and abs(Hm - kap.mean()) < 1e-15
    assert abs(sm3.max_curvature(W, LAM) - np.abs(kap).max()) < 1e-15


def test_lambdify_and_latex(sm3):
    f_G, f_K = sm3.lambdify("metric"), sm3.lambdify("gaussian_curvature")
    assert np.abs(f_G(W, LAM) - sm3.metric_at(W, LAM)).max() < 1e-14
    assert abs(f_K(W, LAM) - sm3.gaussian_curvature(W, LAM)) < 1e-13
    f_II = sm3.lambdify("second_fundamental_form")
    n = np.array([1.0, 2.0, -0.5])
    assert np.abs(f_II(W, LAM, n) - sm3.second_fundamental_form_at(W, LAM, n)).max() < 1e-14
    kap = sm3.lambdify("principal_curvatures")(W, LAM)
    assert np.abs(np.sort(kap) - sm3.principal_curvatures(W, LAM)[0]).max() < 1e-13
    parts = sm3.latex()
    assert set(parts) == {"sigma_lambda", "phi", "J", "G", "II"}
    assert r"\tanh" in parts["sigma_lambda"] and r"\lambda" in parts["sigma_lambda"]
    assert r"\frac{w_{2}}{2}" in parts["phi"]  # 0.5 is exactly 1/2
    assert r"\frac{3}{10}" in latex([[0.3, 1.0], [1.0, 0.0], [0.0, 1.0]], part="J", numbers="nice")


def test_max_curvature_codim2_against_sampling():
    X = np.array([[1.0, 0.5], [-0.25, 1.5], [0.75, -1.0], [0.5, 0.5]])
    sm = SymbolicManifold(X, "logistic")
    w, lam = np.array([0.3, 1.1]), 1.0
    k = sm.max_curvature(w, lam)
    # independent: float64 brute force over unit normals of the generalized eigenproblem
    z = X @ w
    sg = 1 / (1 + np.exp(-z))
    d1 = (1 - lam) + lam * sg * (1 - sg)
    d2 = lam * sg * (1 - sg) * (1 - 2 * sg)
    J = d1[:, None] * X
    N = sla.null_space(J.T)
    th = np.linspace(0, np.pi, 20001)
    vals = [
        np.abs(
            sla.eigh(
                X.T @ np.diag(d2 * (N @ [math.cos(t), math.sin(t)])) @ X, J.T @ J, eigvals_only=True
            )
        ).max()
        for t in th
    ]
    assert k >= max(vals) - 1e-14 and k - max(vals) < 1e-8
    nb = sm.normal_basis_at(w, lam)
    assert np.abs(nb.T @ nb - np.eye(2)).max() < 1e-15 and np.abs(J.T @ nb).max() < 1e-15


def test_value_errors(sm3):
    with pytest.raises(ValueError, match="activation"):
        SymbolicManifold(X3, lambda t: t / (1 + t * t))
    with pytest.raises(ValueError, match="X"):
        SymbolicManifold(np.ones((1, 2)))
    with pytest.raises(ValueError, match="w"):
        sm3.metric_at(np.zeros(3), LAM)
    with pytest.raises(ValueError, match="what"):
        sm3.lambdify("nonsense")
    sm4 = SymbolicManifold(np.vstack([X3, [1.0, 1.0]]))
    with pytest.raises(ValueError, match="X"):
        sm4.principal_curvature_exprs()
    with pytest.raises(ValueError, match="X"):
        sm4.gaussian_curvature(W, LAM)
