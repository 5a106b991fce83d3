"""Independent numpy σ and σ' (closed forms written from scratch), shared by the tests."""

import math

import numpy as np
import scipy.special


NP_SIGMA = {
    "tanh": np.tanh,
    "logistic": scipy.special.expit,
    "arctan": np.arctan,
    "erf": scipy.special.erf,
    "softsign": lambda z: z / (1.0 + np.abs(z)),
}
NP_D1 = {
    "tanh": lambda z: 1.0 / np.cosh(z) ** 2,
    "logistic": lambda z: scipy.special.expit(z) * scipy.special.expit(-z),
    "arctan": lambda z: 1.0 / (1.0 + z * z),
    "erf": lambda z: 2.0 / math.sqrt(math.pi) * np.exp(-z * z),
    "softsign": lambda z: 1.0 / (1.0 + np.abs(z)) ** 2,
}
NP_D2 = {
    "tanh": lambda z: -2.0 * np.tanh(z) / np.cosh(z) ** 2,
    "logistic": lambda z: (
        scipy.special.expit(z) * scipy.special.expit(-z) * (1.0 - 2.0 * scipy.special.expit(z))
    ),
    "arctan": lambda z: -2.0 * z / (1.0 + z * z) ** 2,
}


def single_layer_derivatives(Xt, d, name, lam, W):
    """(E, ∇E, ∇²E) of E_λ(w) = ½‖d − σ_λ(X̃w)‖² at each row of W ``(N, s)``, in numpy."""
    Z = W @ Xt.T  # (N, L)
    s0 = (1 - lam) * Z + lam * NP_SIGMA[name](Z)
    s1 = (1 - lam) + lam * NP_D1[name](Z)
    s2 = lam * NP_D2[name](Z)
    R = d[None, :] - s0
    E = 0.5 * np.sum(R**2, axis=1)
    g = -(R * s1) @ Xt
    c = s1**2 - R * s2  # ∇²E = X̃ᵀ diag(σ'² − r σ'') X̃
    Hs = np.einsum("nl,la,lb->nab", c, Xt, Xt)
    return E, g, Hs


def grid_stationary_points(Xt, d, name, lam, radius, n_grid, max_it=60):
    """Every stationary point of the single-layer E_λ that Newton reaches from a dense grid
    over the box [−radius, radius]^s (s = 1 or 2): (points ``(K, s)``, errors, Hessian
    eigenvalues ``(K, s)``), deduplicated, all in numpy (independent of homotopy's code)."""
    s = Xt.shape[1]
    axes = [np.linspace(-radius, radius, n_grid)] * s
    W = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, s)
    alive = np.ones(len(W), bool)
    for _ in range(max_it):
        _, g, Hs = single_layer_derivatives(Xt, d, name, lam, W[alive])
        det_ok = np.abs(np.linalg.det(Hs)) > 1e-300
        step = np.zeros_like(W[alive])
        step[det_ok] = -np.linalg.solve(Hs[det_ok], g[det_ok][..., None])[..., 0]
        # a damped step: at most 1 per iteration (Newton far from a root overshoots)
        nrm = np.linalg.norm(step, axis=1, keepdims=True)
        step = np.where(nrm > 1.0, step / np.maximum(nrm, 1e-300), step)
        idx = np.flatnonzero(alive)
        W[idx] += step
        alive[idx[~det_ok]] = False
    E, g, Hs = single_layer_derivatives(Xt, d, name, lam, W)
    step = np.full(len(W), np.inf)
    ok_det = np.abs(np.linalg.det(Hs)) > 1e-300
    step[ok_det] = np.linalg.norm(np.linalg.solve(Hs[ok_det], g[ok_det][..., None])[..., 0], axis=1)
    good = (step <= 1e-11 * (1 + np.linalg.norm(W, axis=1))) & np.all(np.abs(W) <= radius, 1)
    pts, errs, eigs = [], [], []
    for w, e, H in zip(W[good], E[good], Hs[good], strict=True):
        if any(np.linalg.norm(w - p) <= 1e-7 * (1 + np.linalg.norm(w)) for p in pts):
            continue
        pts.append(w)
        errs.append(e)
        eigs.append(np.linalg.eigvalsh(H))
    return np.array(pts).reshape(-1, s), np.array(errs), np.array(eigs).reshape(-1, s)
