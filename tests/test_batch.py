"""track_many: the batched tracker equals track() path by path; sharding over devices."""

import json
import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import homotopy as h
from homotopy import datasets


def _assert_same(p: h.Path, q: h.Path) -> None:
    """The same path: status, step counts, events and endpoint, and every point of q on p's
    curve (near p's point of the same index).

    Points are compared as points *of the curve*: XLA vectorises the batched arithmetic
    differently, and on long steps the Hermite predictor, extrapolating by a few times the
    last step, amplifies those last-digit differences into a shift *along* the curve (both
    points still solve H = 0 to 1e-13). So a point of q that is not within 1e-10 of p's must
    be a solution of p at its own λ, i.e. within 1e-9 of a crossing that `p.at` finds.
    """
    assert p.status is q.status
    assert p.stats["steps"] == q.stats["steps"]
    assert p.stats["rejected_steps"] == q.stats["rejected_steps"]
    assert q.lam.shape == p.lam.shape
    far = np.abs(q.w - p.w).max(axis=1) > 1e-10 * (1 + np.abs(p.w).max(axis=1))
    far |= np.abs(q.lam - p.lam) > 1e-10
    assert np.abs(q.lam - p.lam).max() < 1e-5  # a shift along the curve, not another point
    for k in np.flatnonzero(far):
        crossings = p.at(q.lam[k])
        assert np.min(np.abs(crossings - q.w[k]).max(axis=1)) <= 1e-9
    assert [e.kind for e in q.events] == [e.kind for e in p.events]
    np.testing.assert_allclose([e.lam for e in q.events], [e.lam for e in p.events], atol=1e-10)
    if p.w_end is None:
        assert q.w_end is None
    else:
        np.testing.assert_allclose(q.w_end, p.w_end, rtol=1e-12, atol=1e-12)


@pytest.fixture(scope="module")
def mixed():
    """Smooth paths, the fold example and targets outside tanh's range, in one batch."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(12, 3, 2))
    d = rng.uniform(-0.9, 0.9, size=(12, 3))
    fold = datasets.fold()
    X[3], d[3] = fold.X, fold.d
    d[7] = [1.4, -1.2, 0.3]  # unreachable targets: least squares at infinite weights
    return X, d, h.track_many(X, d, max_points=400)


def test_track_many_equals_track_path_by_path(mixed):
    X, d, batch = mixed
    assert len(batch) == 12
    for i in range(len(batch)):
        _assert_same(h.track(h.NaturalHomotopy(X[i], d[i]), max_points=400), batch[i])
    assert len(batch[3].turning_points) == 2
    assert batch.success[3] and batch.statuses[3] is h.Status.SUCCESS


def test_lane_refill_gives_the_same_paths(mixed):
    # 3 lanes for 12 paths of very different lengths: lanes are refilled many times
    X, d, batch = mixed
    refilled = h.track_many(X, d, max_points=400, lanes=3)
    for i in range(len(batch)):
        _assert_same(batch[i], refilled[i])
    np.testing.assert_array_equal(refilled.codes, batch.codes)
    for key, value in batch.stats.items():
        np.testing.assert_array_equal(refilled.stats[key], value)


def test_batch_arrays_are_padded_and_consistent(mixed):
    _, _, batch = mixed
    assert batch.lam.shape == (12, 400) and batch.w.shape == (12, 400, 2)
    for i in range(len(batch)):
        k = batch.n_points[i]
        assert np.all(np.isfinite(batch.lam[i, :k])) and np.all(np.isnan(batch.lam[i, k:]))
        assert batch.stats["steps"][i] == k - 1
        if batch.success[i]:
            np.testing.assert_array_equal(batch.w_end[i], batch.w[i, k - 1])
        else:
            assert np.all(np.isnan(batch.w_end[i]))
    assert sum(batch.counts().values()) == 12


def test_many_starts_of_one_problem():
    fold = datasets.fold()
    p = fold.problem()
    w0 = p.start()
    starts = w0 + np.array([[0.0, 0.0], [1e-3, -2e-3], [-5e-3, 1e-3]])
    batch = h.track_many(fold.X, fold.d, start=starts)
    for i in range(3):
        _assert_same(h.track(p, start=starts[i], max_points=201), batch[i])
        np.testing.assert_allclose(batch.w[i, 0], w0, atol=1e-12)  # all corrected to X⁺d


def test_shared_X_many_targets_with_bias_and_other_activation():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(6, 2))
    d = rng.uniform(0.1, 0.9, size=(5, 6))
    batch = h.track_many(X, d, activation="logistic", bias=True)
    for i in range(5):
        _assert_same(
            h.track(h.NaturalHomotopy(X, d[i], "logistic", bias=True), max_points=201), batch[i]
        )
    assert batch.problem(2).n_features == 3


def test_storage_cap_keeps_first_points_and_the_last():
    fold = datasets.fold()
    X = np.stack([fold.X, fold.X])
    d = np.stack([fold.d, datasets.smooth().d])
    full = h.track(fold.problem())
    batch = h.track_many(X, d, max_points=10)
    assert batch.lam.shape[1] == 10
    assert batch.n_points[0] == len(full.lam) > 10
    p0 = batch[0]
    assert len(p0.lam) == 10
    np.testing.assert_allclose(p0.w[:9], full.w[:9], atol=1e-10)
    np.testing.assert_allclose(p0.w_end, full.w_end, atol=1e-12)
    assert len(p0.turning_points) == 2  # events are kept whatever the cap


@pytest.mark.parametrize(
    "kwargs,name",
    [
        (dict(X=np.zeros((2, 3, 2)), d=np.zeros((3, 3))), "batch sizes"),
        (dict(X=np.ones((3, 2)), d=np.zeros(3)), "nothing is batched"),
        (dict(X=np.ones((2, 3, 2)), d=np.zeros((2, 3))), "rank"),
        (dict(X=np.eye(3, 2)[None].repeat(2, 0), d=np.zeros((2, 4))), "d"),
        (dict(X=np.eye(3, 2)[None].repeat(2, 0), d=np.zeros((2, 3)), objective="x"), "objective"),
        (dict(X=np.eye(3, 2)[None].repeat(2, 0), d=np.zeros((2, 3)), devices="gpu"), "devices"),
        (dict(X=np.eye(3, 2)[None].repeat(2, 0), d=np.zeros((2, 3)), start=np.zeros(3)), "start"),
        (dict(X=np.eye(3, 2)[None].repeat(2, 0), d=np.zeros((2, 3)), lanes=0), "lanes"),
    ],
)
def test_bad_batches_raise_value_error(kwargs, name):
    with pytest.raises(ValueError, match=name):
        h.track_many(**kwargs)


SHARDED = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import jax
    import homotopy as h
    rng = np.random.default_rng(9)
    X = rng.normal(size=(10, 3, 2))
    d = rng.uniform(-0.9, 0.9, size=(10, 3))
    sharded = h.track_many(X, d, devices=jax.devices())
    single = h.track_many(X, d, devices=None)
    print(json.dumps(dict(
        devices=len(jax.devices()),
        codes=sharded.codes.tolist(),
        same_codes=bool(np.array_equal(sharded.codes, single.codes)),
        max_diff=float(np.nanmax(np.abs(sharded.w - single.w))),
        nan_same=bool(np.array_equal(np.isnan(sharded.w), np.isnan(single.w))),
    )))
    """
)


def test_sharded_over_four_cpu_devices_equals_unsharded():
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4")
    out = subprocess.run(
        [sys.executable, "-c", SHARDED], capture_output=True, text=True, env=env, timeout=600
    )
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["devices"] == 4
    assert res["same_codes"] and res["nan_same"]
    assert res["max_diff"] <= 1e-12  # the same per-path program on every device


LARGE = textwrap.dedent(
    """
    import json, numpy as np, homotopy as h
    rng = np.random.default_rng(3)
    X = rng.normal(size=(32, 40, 12)) / np.sqrt(12)
    d = np.clip(0.8 * np.tanh(np.einsum("bls,bs->bl", X, rng.normal(size=(32, 12)))), -0.9, 0.9)
    batch = h.track_many(X, d, max_points=300)
    np.savez("out.npz", X=X, d=d)
    for i in range(3):
        batch[i].save(f"path{i}.npz")
    print(json.dumps(dict(counts=batch.counts())))
    """
)


def test_large_systems_in_a_full_lane_pool(tmp_path):
    # n = 12 weights: the bordered systems (13 × 13) are past the unrolled solver, and 32
    # paths fill 32 lanes. Batched LAPACK calls inside the compiled loop deadlocked here
    # (jaxlib 0.10, OpenBLAS threads): run in a child so that a hang fails, not blocks
    from homotopy import _linalg

    assert 12 + 1 > _linalg.SMALL
    out = subprocess.run(
        [sys.executable, "-c", LARGE], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1])["counts"] == {"success": 32}
    z = np.load(tmp_path / "out.npz")
    for i in range(3):
        p = h.track(h.NaturalHomotopy(z["X"][i], z["d"][i]), max_points=300)
        _assert_same(p, h.load_path(tmp_path / f"path{i}.npz"))


def test_batched_program_makes_no_lapack_call():
    # the same large systems: the vmapped tracker eliminates in array arithmetic instead
    import jax

    from homotopy import batch as hb

    rng = np.random.default_rng(4)
    X, d = rng.normal(size=(4, 20, 12)), rng.uniform(-0.5, 0.5, size=(4, 20))
    alg = hb.algorithm(max_points=10, batched=True)
    proto = h.NaturalHomotopy(X[0], d[0])
    problems = jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(proto), [X, d])
    u0 = np.concatenate([np.zeros((4, 12)), np.zeros((4, 1))], axis=1)
    ends = np.array([1.0, 0.0])  # (λ_end, λ_bound)
    text = hb._compiled(alg, None, (True, True), None, 4).lower(problems, u0, ends).as_text()
    assert "lapack" not in text.lower()
    assert "while" in text  # the loops are there: the text is the tracker's program


MULTI_PROCESS = textwrap.dedent(
    """
    import json, sys
    import jax
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(
        coordinator_address=f"localhost:{sys.argv[2]}", num_processes=2, process_id=int(sys.argv[1])
    )
    import numpy as np, homotopy as h
    rng = np.random.default_rng(0)
    X, d = rng.normal(size=(10, 3, 2)), rng.uniform(-0.9, 0.9, size=(10, 3))
    d[4] = [1.4, -1.2, 0.3]  # a diverging path among them
    b = h.track_many(X, d, devices=jax.devices(), max_points=50)
    np.savez(f"proc{sys.argv[1]}.npz", w=b.w, codes=b.codes)
    print(json.dumps(dict(processes=jax.process_count(), devices=len(jax.devices()))))
    """
)


def test_multi_process_with_jax_distributed_equals_single_process(tmp_path):
    # two processes with two CPU devices each, as two hosts: each runs its own devices'
    # slices and gets the whole batch back
    import socket

    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", MULTI_PROCESS, str(i), str(port)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
    for out, _ in outs:
        assert json.loads(out.strip().splitlines()[-1]) == {"processes": 2, "devices": 4}
    # the reference: one process with the same 4 devices (the same sharded program)
    one = MULTI_PROCESS.split("import numpy as np")[1].replace("proc{sys.argv[1]}", "one")
    ref = subprocess.run(
        [sys.executable, "-c", "import json, sys, jax\nimport numpy as np" + one],
        cwd=tmp_path,
        env=dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ref.returncode == 0, ref.stderr
    single = np.load(tmp_path / "one.npz")
    assert single["codes"][4] == h.Status.DIVERGED.code
    for i in range(2):
        z = np.load(tmp_path / f"proc{i}.npz")
        np.testing.assert_array_equal(z["codes"], single["codes"])
        np.testing.assert_array_equal(np.isnan(z["w"]), np.isnan(single["w"]))
        np.testing.assert_allclose(z["w"], single["w"], rtol=0, atol=1e-12)
    # and without sharding, the same paths: a regular path to the last bits; the diverging
    # one (weights growing without bound, where last-bit differences between the sharded and
    # the plain program are amplified along the curve) by its status
    rng = np.random.default_rng(0)
    X, d = rng.normal(size=(10, 3, 2)), rng.uniform(-0.9, 0.9, size=(10, 3))
    d[4] = [1.4, -1.2, 0.3]
    plain = h.track_many(X, d, devices=None, max_points=50)
    np.testing.assert_array_equal(plain.codes, single["codes"])
    regular = plain.codes == h.Status.SUCCESS.code
    assert regular.sum() == 9
    np.testing.assert_allclose(plain.w[regular], single["w"][regular], rtol=0, atol=1e-12)


# ---------------------------------------------------------------- any problem, not only X and d
class _Logistic:
    """A user-written problem that is not a NaturalHomotopy (a PyTree of its own): the
    least-squares homotopy of y = (1 − λ)·Xw + λ·tanh(Xw) written from scratch, with the
    data-manifold hook `embedding`."""

    def __init__(self, X, d):
        self.X, self.d = X, d

    def embedding(self, w, lam):
        z = self.X @ w
        return (1.0 - lam) * z + lam * jnp.tanh(z)

    def H(self, w, lam):
        r = self.d - self.embedding(w, lam)
        J = jax.jacfwd(self.embedding)(w, lam)
        return -J.T @ r


jax.tree_util.register_pytree_node(
    _Logistic, lambda p: ((p.X, p.d), None), lambda _, leaves: _Logistic(*leaves)
)


def test_user_problem_class_goes_through_track_many():
    rng = np.random.default_rng(11)
    probs = [
        _Logistic(jnp.asarray(rng.normal(size=(3, 2))), jnp.asarray(rng.uniform(-0.6, 0.6, 3)))
        for _ in range(3)
    ]
    starts = np.stack([np.linalg.lstsq(p.X, p.d, rcond=None)[0] for p in probs])
    batch = h.track_many(probs, start=starts)
    for i, p in enumerate(probs):
        one = h.track(p, start=starts[i])
        ref = h.track(h.NaturalHomotopy(np.asarray(p.X), np.asarray(p.d)))
        _assert_same(batch[i], one)
        assert type(batch.problem(i)) is _Logistic
        if ref.success:  # the same homotopy as the built-in one: the same solution
            np.testing.assert_allclose(batch.w_end[i], ref.w_end, rtol=0, atol=1e-10)
    # and the geometry of its data manifold through the protocol's hook
    k = h.geometry.principal_curvatures(probs[0], batch.w_end[0], 1.0, normal=None)
    k_ref = h.geometry.principal_curvatures(
        h.NaturalHomotopy(np.asarray(probs[0].X), np.asarray(probs[0].d)),
        batch.w_end[0],
        1.0,
        normal=k.normal,
    )
    np.testing.assert_allclose(np.asarray(k.values), np.asarray(k_ref.values), rtol=1e-10)


def test_many_starts_of_one_static_problem():
    class Circle:  # not a PyTree: a static argument, shared by every lane
        def H(self, w, lam):
            return jnp.array([w[0] ** 2 + lam**2 - 1.0])

    starts = np.array([[1.0], [-1.0]])
    batch = h.track_many(Circle(), start=starts, lam_span=(0.0, 0.5), divergence=None)
    np.testing.assert_allclose(batch.w_end[:, 0], [np.sqrt(0.75), -np.sqrt(0.75)], atol=1e-12)
    assert isinstance(batch.problem(1), Circle)


@pytest.mark.parametrize(
    "call,name",
    [
        (lambda: h.track_many(h.NaturalHomotopy(np.eye(3, 2), np.zeros(3))), "start"),
        (lambda: h.track_many(h.NaturalHomotopy(np.eye(3, 2), np.zeros(3)), d=1), "d"),
        (lambda: h.track_many([h.NaturalHomotopy(np.eye(3, 2), np.zeros(3)), 3]), "problems"),
        (
            lambda: h.track_many(
                [
                    h.NaturalHomotopy(np.eye(3, 2), np.zeros(3)),
                    h.NaturalHomotopy(np.eye(4, 2), np.zeros(4)),
                ]
            ),
            "problems",
        ),
    ],
)
def test_bad_problem_batches_raise_value_error(call, name):
    with pytest.raises(ValueError, match=name):
        call()
