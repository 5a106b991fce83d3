"""k(w) at any size (homotopy.normal_curvature): the normal-space ascent and the compressed
n ≤ 2 kernel against an independent dense computation (an explicit scipy null space of J, the
whitened II's of autodiff Hessians, multi-start alternating ascent with full eigenproblems), the
attained maximizer, brute force over directions, no M × M intermediate, saturation."""

import math
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg as sla

from homotopy import MLPHomotopy, NaturalHomotopy, geometry as geo, normal_curvature as nc
from homotopy.curvature_bound import curvature_upper_bound
from homotopy.manifold import manifold_of
from homotopy.protocol import split_problem


_hess = jax.jit(lambda p, w, lam: jax.jacfwd(jax.jacfwd(p.embedding))(w, lam))
_jac = jax.jit(lambda p, w, lam: jax.jacfwd(p.embedding)(w, lam))


def dense_reference(p, w, lam, n_seeds=150, seed=0):
    """max over unit x of ‖(xᵀB_k x)_k‖, B_k = whitened N_kᵀ∂²φ (scipy null space), by
    alternating ascent (full eigenproblem per step) from many random starts."""
    J = np.asarray(_jac(p, w, lam))
    H = np.asarray(_hess(p, w, lam))
    N = sla.null_space(J.T)
    Lc = np.linalg.cholesky(J.T @ J)
    Li = np.linalg.inv(Lc)
    Bs = np.einsum("ik,iab->kab", N, H)
    Bs = np.einsum("ab,kbc,dc->kad", Li, Bs, Li)
    rng = np.random.default_rng(seed)
    best = 0.0
    for x in rng.standard_normal((n_seeds, J.shape[1])):
        x /= np.linalg.norm(x)
        val = 0.0
        for _ in range(500):
            q = np.einsum("kab,a,b->k", Bs, x, x)
            nq = np.linalg.norm(q)
            ev, V = np.linalg.eigh(np.tensordot(q / nq, Bs, axes=1))
            x_new = V[:, np.argmax(np.abs(ev))]
            new = np.linalg.norm(np.einsum("kab,a,b->k", Bs, x_new, x_new))
            if new <= val * (1 + 1e-15):
                break
            x, val = x_new, new
        best = max(best, val)
    return best, J, H


def _problem(L, s, m, seed, act="tanh", bias=False):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.5, 1.5, (L, s))
    d = np.zeros((L, m)) if m > 1 else np.zeros(L)
    p = NaturalHomotopy(X, d, act, bias=bias)
    return p, rng.uniform(-1.5, 1.5, p.n_unknowns), float(rng.uniform(0.5, 1.0))


ASCENT_CASES = [
    (8, 3, 1, 1, "tanh"),
    (12, 4, 1, 2, "tanh"),
    (15, 5, 1, 3, "logistic"),
    (10, 3, 1, 4, "arctan"),
    (6, 2, 2, 5, "tanh"),  # multi-output: n = 4, M = 12
    (20, 6, 1, 6, "tanh"),
]


@pytest.mark.parametrize("L, s, m, seed, act", ASCENT_CASES)
def test_normal_space_ascent_matches_the_dense_reference(L, s, m, seed, act):
    p, w, lam = _problem(L, s, m, seed, act)
    mc = geo.max_curvature(p, w, lam)
    assert mc.method == "normal-space"
    ref, J, H = dense_reference(p, w, lam)
    assert abs(mc.value - ref) <= 1e-10 * ref
    # a ridge manifold gets the leverage bound: finite, above the true k, and equal to the
    # interval-arithmetic pointwise bound of curvature_bound (an independent implementation)
    proven = curvature_upper_bound(p, lam, geo.Box(w, w), max_boxes=1)
    assert ref <= mc.upper_bound < math.inf
    assert abs(mc.upper_bound - proven.k_upper) <= 1e-9 * proven.k_upper
    assert mc.certified == (mc.upper_bound <= mc.value * (1 + nc.CERT_RTOL))
    # the maximizer is attained: yᵀGy = 1, n unit and normal, nᵀ∂²φ[y, y] = k
    y, n = mc.direction, mc.normal
    assert abs(y @ J.T @ J @ y - 1.0) < 1e-12
    assert abs(np.linalg.norm(n) - 1.0) < 1e-12
    assert np.abs(J.T @ n).max() < 1e-10 * np.abs(J).max()
    assert abs(np.einsum("i,iab,a,b->", n, H, y, y) - mc.value) < 1e-10 * mc.value


@pytest.mark.parametrize("L, s, m, seed, act", ASCENT_CASES[:3])
def test_k_dominates_every_sampled_direction(L, s, m, seed, act):
    p, w, lam = _problem(L, s, m, seed, act)
    mc = geo.max_curvature(p, w, lam)
    J = np.asarray(_jac(p, w, lam))
    H = np.asarray(_hess(p, w, lam))
    Q, _ = np.linalg.qr(J)
    Y = np.random.default_rng(seed).standard_normal((20_000, J.shape[1]))
    h = np.einsum("iab,ta,tb->ti", H, Y, Y)
    Ph = h - (h @ Q) @ Q.T
    ratio = np.linalg.norm(Ph, axis=1) / np.einsum("ta,ab,tb->t", Y, J.T @ J, Y)
    assert mc.value >= ratio.max() * (1 - 1e-12)


@pytest.mark.parametrize("L, s, seed", [(9, 2, 10), (30, 2, 11), (12, 1, 12), (40, 1, 13)])
def test_compressed_kernel_n_le_2_is_exact(L, s, seed):
    """n ≤ 2, codimension ≥ 4: the ≤ 3 projected second derivatives carry all of k; the
    quartic/closed form on them equals the dense reference."""
    p, w, lam = _problem(L, s, 1, seed)
    mc = geo.max_curvature(p, w, lam)
    assert mc.method in ("quartic", "eigen") and mc.certified  # n = 1: a single normal
    ref, J, H = dense_reference(p, w, lam, n_seeds=64)
    assert abs(mc.value - ref) <= 1e-11 * ref
    y, n = mc.direction, mc.normal
    assert abs(y @ J.T @ J @ y - 1.0) < 1e-12
    assert abs(np.einsum("i,iab,a,b->", n, H, y, y) - mc.value) < 1e-10 * mc.value


def test_generic_hooks_mlp():
    """An MLP's hooks are autodiff defaults (no closed forms): the same kernel, same answer."""
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, (10, 2))
    p = MLPHomotopy(X, rng.uniform(-0.5, 0.5, 10), 2, "tanh", bias=True)
    w = rng.uniform(-1, 1, p.n_unknowns)
    mc = geo.max_curvature(p, w, 0.8)
    ref, _, _ = dense_reference(p, w, 0.8, n_seeds=200)
    assert abs(mc.value - ref) <= 1e-9 * ref


def _max_intermediate(fn, *args):
    """The largest product of the two largest dimensions of any array in fn's jaxpr (the
    printed program lists every intermediate's shape, inner loops included)."""
    text = str(jax.make_jaxpr(fn)(*args))
    big = 0
    for dims in re.findall(r"f64\[([\d,]+)\]", text):
        shape = sorted(int(x) for x in dims.split(","))
        if len(shape) >= 2:
            big = max(big, shape[-1] * shape[-2])
    return big


def test_no_M_by_M_intermediate():
    """At M = 3000 the ascent and the compressed kernel never form an M × M (or M × (M − n))
    array: every intermediate is O(M·n)."""
    M = 3000
    X = np.random.default_rng(0).normal(size=(M, 4))
    p = NaturalHomotopy(X, np.zeros(M))
    dyn, st = split_problem(p)
    w, lam = jnp.zeros(4), jnp.asarray(0.9)
    X0 = jnp.asarray(nc._starts(4, nc.STARTS))
    big = _max_intermediate(
        lambda d, w: nc._normal_ascent(d, st, w, lam, X0, jnp.asarray(5)), dyn, w
    )
    assert M * 8 <= big < M * 64  # (M, n)-sized blocks (n = 4, 8 starts), never M × M
    p2 = NaturalHomotopy(X[:, :2], np.zeros(M))
    d2, s2 = split_problem(p2)
    big2 = _max_intermediate(lambda d, w: nc._compressed(d, s2, w, lam), d2, jnp.zeros(2))
    assert big2 < M * 16


def test_saturated_metric_is_refused_not_a_linalg_error():
    """λ = 1 and huge pre-activations: σ' underflows, G is singular in float64. The point is
    reported unusable (None) in a batch and refused by max_curvature with a ValueError."""
    p, _, _ = _problem(12, 4, 1, 7)
    w = np.full(4, 40.0)
    with pytest.raises(ValueError, match=r"problem: φ_λ is not an immersion: rank J = \d < n"):
        geo.max_curvature(p, w, 1.0)
    dyn, st = split_problem(p)
    pc = nc.curvatures_at(dyn, st, np.stack([w, np.zeros(4) + 0.1]), 1.0, M=12)
    assert pc.results[0] is None and np.isnan(pc.values[0]) and not pc.usable[0]
    assert pc.usable[1] and pc.values[1] > 0
    assert pc.cond[0] > nc.METRIC_COND_MAX


def test_saturated_rows_are_screened_out_before_the_kernel(monkeypatch):
    """Saturated rows interleaved with usable ones, more than one chunk: the kernel sees only
    the usable rows (one chunk, not three), each with its pointwise value; the others are None
    with their cond G and rank J from the metric test."""
    p, w, lam = _problem(14, 4, 1, 8)
    dyn, st = split_problem(p)
    good = w + 0.3 * np.random.default_rng(2).standard_normal((3, 4))
    W = np.full((9, 4), 400.0)
    W[[1, 4, 8]] = good
    calls = []
    kernel = nc._kernel

    def counting(dynamic, static, Wc, *args):
        calls.append(np.asarray(Wc))
        return kernel(dynamic, static, Wc, *args)

    monkeypatch.setattr(nc, "_kernel", counting)
    pc = nc.curvatures_at(dyn, st, W, 1.0, M=14, chunk=4)
    assert len(calls) == 1 and np.allclose(calls[0][:3], good)
    assert list(np.flatnonzero(pc.usable)) == [1, 4, 8]
    assert all(pc.results[i] is None for i in [0, 2, 3, 5, 6, 7])
    assert np.all(pc.cond[~pc.usable] > nc.METRIC_COND_MAX) and np.all(pc.rank[~pc.usable] < 4)
    monkeypatch.setattr(nc, "_kernel", kernel)
    for i, wi in zip([1, 4, 8], good, strict=True):
        ref = geo.max_curvature(p, wi, 1.0)
        assert abs(pc.values[i] - ref.value) <= 1e-13 * ref.value
        J = np.asarray(manifold_of(p).embedding_jacobian(jnp.asarray(wi), 1.0))
        assert pc.cond[i] == pytest.approx(np.linalg.cond(J.T @ J), rel=1e-6)


def test_batch_and_pointwise_agree():
    """A region search and max_curvature evaluate the same function: same starts everywhere."""
    p, w, lam = _problem(14, 4, 1, 8)
    dyn, st = split_problem(p)
    W = w + 0.3 * np.random.default_rng(1).standard_normal((5, 4))
    pc = nc.curvatures_at(dyn, st, W, lam, M=14)
    for i in range(5):
        assert abs(pc.values[i] - geo.max_curvature(p, W[i], lam).value) < 1e-13 * pc.values[i]


def _needle_k(p, w, lam):
    """numpy, independently: max over the coordinates m of k along the needle y = G⁻¹J_mᵀ,
    and the coordinate with the largest |ρ|√h (the kernel's first needle)."""
    J = np.asarray(_jac(p, w, lam))
    H = np.asarray(_hess(p, w, lam))
    G = J.T @ J
    Gi = np.linalg.inv(G)
    P = np.eye(J.shape[0]) - J @ Gi @ J.T
    lev = np.einsum("ia,ab,ib->i", J, Gi, J)
    t = np.asarray(p.preactivation(jnp.asarray(w))).reshape(-1)
    d1 = np.asarray(jax.vmap(jax.grad(lambda z: p.activation.blend(z, lam)))(t))
    d2 = np.asarray(jax.vmap(jax.grad(jax.grad(lambda z: p.activation.blend(z, lam))))(t))
    score = np.abs(d2) / d1**2 * np.sqrt(lev)
    ks = []
    for m in range(J.shape[0]):
        y = Gi @ J[m]
        ks.append(np.linalg.norm(P @ np.einsum("iab,a,b->i", H, y, y)) / (y @ G @ y))
    return np.array(ks), int(np.argmax(score))


@pytest.mark.parametrize("L, s, m, seed, act", ASCENT_CASES[:4])
def test_needles_bracket_and_max_iter(L, s, m, seed, act):
    """On a ridge manifold the needle of the highest-|ρ|√h coordinate is a start: with
    max_iter=0 the value is at least k along it (computed in numpy from autodiff Hessians);
    more steps only raise it; every value stays below the leverage bound."""
    p, w, lam = _problem(L, s, m, seed, act)
    ks, top = _needle_k(p, w, lam)
    k0 = geo.max_curvature(p, w, lam, max_iter=0)
    k3 = geo.max_curvature(p, w, lam, max_iter=3)
    full = geo.max_curvature(p, w, lam)
    assert k0.value >= ks[top] * (1 - 1e-12)
    assert k0.value <= k3.value * (1 + 1e-12) <= full.value * (1 + 1e-12)
    assert full.value <= full.upper_bound == k0.upper_bound == k3.upper_bound


def _k_along(p, w, lam, Y):
    J = np.asarray(_jac(p, w, lam))
    H = np.asarray(_hess(p, w, lam))
    G = J.T @ J
    P = np.eye(J.shape[0]) - J @ np.linalg.solve(G, J.T)
    return np.array([np.linalg.norm(P @ np.einsum("iab,a,b->i", H, y, y)) / (y @ G @ y) for y in Y])


def test_needle_starts_are_used():
    """Points where the top needle beats every other start of the kernel (G's 4 weakest
    eigenvectors, the fixed random directions, all at 0 steps, in numpy): there max_iter=0
    still reaches the needle's value, so the needle is among the starts."""
    p, _, lam = _problem(20, 6, 1, 6, "tanh")
    rng = np.random.default_rng(0)
    found = 0
    for _ in range(40):
        w = rng.uniform(-2.5, 2.5, 6)
        ks, top = _needle_k(p, w, lam)
        J = np.asarray(_jac(p, w, lam))
        G = J.T @ J
        Rt = np.linalg.cholesky(G).T
        _, V = np.linalg.eigh(G)
        others = np.concatenate([V[:, :4].T, np.linalg.solve(Rt, nc._starts(6, nc.STARTS).T).T])
        if ks[top] > 1.01 * _k_along(p, w, lam, others).max():
            found += 1
            assert geo.max_curvature(p, w, lam, max_iter=0).value >= ks[top] * (1 - 1e-12)
    assert found >= 3


def test_max_iter_is_checked():
    p, w, lam = _problem(8, 3, 1, 1)
    for bad in (-1, 1.5, True, 2**40):
        with pytest.raises(ValueError, match="max_iter"):
            geo.max_curvature(p, w, lam, max_iter=bad)


class _Opaque:
    """A problem whose embedding JAX can trace but not differentiate (a host callback), with
    its own J, ∂²φ[y, y] and ridge derivatives: the kernel must project through J instead."""

    def __init__(self, inner):
        self.inner = inner
        self.n_unknowns = inner.n_unknowns

    def embedding(self, w, lam):
        shape = jax.ShapeDtypeStruct((self.inner.X.shape[0],), jnp.float64)
        host = jax.jit(self.inner.embedding)
        return jax.pure_callback(
            lambda w, lam: np.asarray(host(w, lam)), shape, w, lam, vmap_method="sequential"
        )

    def embedding_jacobian(self, w, lam):
        return self.inner.embedding_jacobian(w, lam)

    def embedding_second_derivative(self, w, lam, y):
        return self.inner.embedding_second_derivative(w, lam, y)

    def ridge_derivatives(self, w, lam):
        return self.inner.ridge_derivatives(w, lam)


def test_an_embedding_jax_cannot_differentiate_projects_through_j():
    p, w, lam = _problem(14, 4, 1, 5, bias=True)
    with pytest.raises(Exception):  # noqa: B017 - the premise: no JVP through the callback
        jax.linearize(lambda v: _Opaque(p).embedding(v, lam), jnp.asarray(w))
    ref = geo.max_curvature(p, w, lam)
    got = geo.max_curvature(_Opaque(p), w, lam)
    assert ref.method == got.method == "normal-space"
    assert got.value == pytest.approx(ref.value, rel=1e-10)
    assert got.upper_bound == pytest.approx(ref.upper_bound, rel=1e-10)
