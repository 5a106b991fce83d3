"""Property-based tests of the API edge (issue 15: no silent wrong answers).

Random shapes, dtypes (bool, int, float32, complex, object, strings, masked), NaN/inf,
extreme scales (1e-300 … 1e300) and option values go into `NaturalHomotopy`, `MLPHomotopy`,
`track`, `track_many`, `Path.at`, `Path.save`/`load_path` (also of damaged files), the CLI's
data readers and `homotopy trace`. Two outcomes are allowed:

- a documented exception: a `ValueError` whose message starts with the offending argument's
  name and a colon (``DATA:`` for the CLI's data, ``file:`` for a saved path; an `OSError`
  for a file that cannot be opened);
- a result whose every reported solution satisfies ‖H(w, λ)‖ ≤ the tolerance: every point of
  a path that did not end INVALID_START (its points, events and `w_end`), every row of
  `Path.at`.

Anything else (another exception, a warning: pytest turns them into errors, a point off the
curve) fails. Fast by construction: a fixed seed (``derandomize``) and a bounded number of
examples, and the problems that are tracked reuse a few shapes (L ∈ {3, 5} pads to one row
bucket, s ∈ {1, 2}) with the default options, so the tracker compiles a handful of times.
``HOMOTOPY_FUZZ_EXAMPLES=N`` runs N examples per test, ``HOMOTOPY_FUZZ_RANDOM=1`` a new seed
each run (scripts/README.md). Geometry: only a light pointwise check here; whether k_max is
monotone over nested regions is the geometry tests' (issue 15's geometry part, issue 17).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, event, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import homotopy as h
from homotopy import cli, geometry
from homotopy.path import problem_fingerprint


_EXAMPLES = os.environ.get("HOMOTOPY_FUZZ_EXAMPLES")
_RANDOM = os.environ.get("HOMOTOPY_FUZZ_RANDOM") == "1"


def fuzz(examples: int) -> Callable:
    """Hypothesis settings: `examples` per test in CI (``HOMOTOPY_FUZZ_EXAMPLES`` overrides),
    the same examples every run unless ``HOMOTOPY_FUZZ_RANDOM=1``, no deadline (compiles),
    no example database written into the repository."""
    return settings(
        max_examples=int(_EXAMPLES) if _EXAMPLES else examples,
        derandomize=not _RANDOM,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def attempt(names: Iterable[str], call: Callable, *args: Any, **kwargs: Any) -> Any:
    """`call`'s result, or ``None`` when it raised a ValueError naming one of `names` (its
    message starts ``name:``); any other exception propagates and fails the test."""
    names = tuple(names)
    try:
        return call(*args, **kwargs)
    except ValueError as err:
        msg = str(err)
        assert any(msg.startswith(f"{n}:") for n in names), f"names none of {names}: {msg}"
        event(f"refused: {msg.split(':')[0]}")  # --hypothesis-show-statistics shows the mix
        return None


# ------------------------------------------------------------------------ the property itself


@jax.jit
def _H_rows(problem: Any, W: jax.Array, lam: jax.Array) -> jax.Array:
    return jax.vmap(problem.H)(W, lam)


def _norm(r: np.ndarray) -> float:
    """‖r‖₂ without overflow in the squares (inf only when the norm is; NaN stays NaN)."""
    m = float(np.max(np.abs(r), initial=0.0))
    return m if m == 0.0 or not np.isfinite(m) else m * float(np.linalg.norm(r / m))


def residuals(problem: Any, W: Any, lam: Any) -> np.ndarray:
    """‖H(w_i, λ_i)‖₂ for each row of `W`, evaluated on the problem as given (not padded)."""
    W = np.atleast_2d(np.asarray(W, np.float64))
    lam = np.broadcast_to(np.asarray(lam, np.float64), (W.shape[0],))
    H = np.asarray(_H_rows(problem, jnp.asarray(W), jnp.asarray(lam)))
    return np.array([_norm(r) for r in H])


def assert_solutions(problem: Any, path: h.Path, tol: float) -> None:
    """Every solution `path` reports is one: its points, events and w_end have ‖H‖ ≤ tol
    (unless it ended INVALID_START, which says its start is not one), and its status fits."""
    assert isinstance(path.status, h.Status) and path.message
    event(f"status: {path.status.value}")
    if path.status is h.Status.INVALID_START:
        assert path.w_end is None
        return
    assert np.all(np.isfinite(path.w)) and np.all(np.isfinite(path.lam))
    res = residuals(problem, path.w, path.lam)
    assert np.all(res <= tol), (res.max(), tol, path)
    for e in path.events:
        r = residuals(problem, e.w, e.lam)[0]
        assert r <= tol, (e, r)
    if path.status is h.Status.SUCCESS:
        assert path.lam[-1] == path.lam_span[1]
        assert residuals(problem, path.w_end, path.lam_span[1])[0] <= tol
    else:
        assert path.w_end is None
    if path.status is h.Status.DIVERGED:
        assert abs(np.linalg.norm(path.direction) - 1.0) < 1e-12


# ------------------------------------------------------------------------------- strategies

SCALES = [1e-300, 1e-150, 1e-8, 1.0, 1.0, 1.0, 1e8, 1e150, 1e300]
DTYPES = ["float64", "float32", "float16", "int64", "int8", "uint8", "bool", "longdouble",
          "complex", "complex0", "object", "str", "list", "masked", "masked_none",
          "datetime"]  # fmt: skip
REAL = {"float64", "float32", "float16", "int64", "int8", "uint8", "bool", "longdouble",
        "list", "masked_none"}  # fmt: skip
SPECIALS = [np.nan, np.inf, -np.inf, 1e308, -1e308, 5e-324, 0.0]


def as_dtype(a: np.ndarray, kind: str) -> Any:
    """`a` converted as a user might hand it over: as a `kind` array, list or masked array."""
    with np.errstate(all="ignore"):
        if kind == "bool":
            return a > 0
        if kind in ("int64", "int8", "uint8"):
            info = np.iinfo(kind)
            return np.clip(np.nan_to_num(np.round(a)), info.min, info.max).astype(kind)
        if kind == "complex":
            return a + 1j
        if kind == "complex0":  # a zero imaginary part is still refused, not cast
            return a + 0j
        if kind == "object":
            return a.astype(object)
        if kind == "str":
            return a.astype(str)
        if kind == "list":
            return a.tolist()
        if kind == "masked":
            return np.ma.masked_array(a, mask=np.ones(a.shape, bool) if a.size else True)
        if kind == "masked_none":
            return np.ma.masked_array(a, mask=np.zeros(a.shape, bool))
        if kind == "datetime":
            return np.zeros(a.shape, "datetime64[s]")
        return a.astype(kind)


@st.composite
def arrays(draw, like: Any = None) -> tuple[Any, str]:
    """(an array-like, its dtype kind in `DTYPES`): half the time a good one (a float64
    ``(L, 2)`` X or, given the X it goes with as `like`, an ``(L,)`` d), else of a random
    shape, dtype and values, with NaN, inf or an extreme entry."""
    good = draw(st.booleans())
    if good:
        L = draw(st.integers(1, 5)) if like is None or not np.ndim(like) else np.shape(like)[0]
        shape = (L, 2) if like is None else (L,)
    else:
        shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    a = rng.normal(size=shape) * draw(st.sampled_from(SCALES))
    if a.size and not good and draw(st.booleans()):
        a.flat[draw(st.integers(0, a.size - 1))] = draw(st.sampled_from(SPECIALS))
    kind = "float64" if good and draw(st.booleans()) else draw(st.sampled_from(DTYPES))
    return as_dtype(a, kind), kind


def floats64(a: Any) -> np.ndarray:
    """A real input as the float64 array the API should see (a list too; a masked array
    without masked entries is its data)."""
    with np.errstate(over="ignore"):
        return np.asarray(np.ma.getdata(a), dtype=np.float64)


ACTIVATIONS = ("tanh", "logistic", "arctan", "erf", "softsign")


def _not_elementwise(t):
    return jnp.tanh(t) * jnp.max(t)


def _untraceable(t):
    return np.tanh(float(t))


activations = st.one_of(
    st.sampled_from(ACTIVATIONS),
    st.sampled_from(["TANH", "relu", "", " tanh", "sigmoid"]),
    st.sampled_from([None, 3, 1.5, b"tanh", ("tanh",), jnp.tanh, _not_elementwise, _untraceable]),
)
flags = st.one_of(
    st.booleans(), st.sampled_from([np.True_, np.False_, 0, 1, "0", "True", None, 1.0, "yes"])
)


# --------------------------------------------------------------------------- 1. construction


data = arrays().flatmap(lambda X: st.tuples(st.just(X), arrays(like=X[0])))


@fuzz(150)
@given(
    Xd=data,
    activation=activations,
    objective=st.one_of(st.sampled_from(["least_squares", "interpolation"]), st.text(max_size=4)),
    bias=flags,
)
def test_natural_homotopy_is_built_from_real_finite_data_or_refused(
    Xd, activation, objective, bias
):
    (Xa, xk), (da, dk) = Xd
    p = attempt(
        ("X", "d", "activation", "objective", "bias"),
        h.NaturalHomotopy, Xa, da, activation, objective, bias=bias,
    )  # fmt: skip
    if p is None:
        return
    # accepted: only real, finite, nonempty, consistently shaped data, unchanged
    assert xk in REAL and dk in REAL, (xk, dk)
    Xf, df = floats64(Xa), floats64(da)
    assert Xf.ndim == 2 and df.ndim in (1, 2) and Xf.shape[0] == df.shape[0] and Xf.size
    assert np.isfinite(Xf).all() and np.isfinite(df).all()
    assert np.array_equal(np.asarray(p.X), Xf) and np.array_equal(np.asarray(p.d), df)
    assert p.X.dtype == np.float64 and isinstance(p.bias, bool) and p.bias == bias
    assert p.activation.name in ACTIVATIONS or callable(activation)
    assert p.n_unknowns == (Xf.shape[1] + p.bias) * (1 if df.ndim == 1 else df.shape[1])


@fuzz(80)
@given(
    Xd=data,
    hidden=st.one_of(
        st.integers(-2, 4), st.sampled_from([2.0, True, "2", None, np.int64(3), np.int8(-1)])
    ),
    activation=activations,
    bias=flags,
    output=st.one_of(st.sampled_from(["linear", "activation"]), st.text(max_size=3)),
    output_bias=st.one_of(st.none(), flags),
)
def test_mlp_homotopy_is_built_or_refused(Xd, hidden, activation, bias, output, output_bias):
    (Xa, xk), (da, dk) = Xd
    p = attempt(
        ("X", "d", "hidden", "activation", "bias", "output", "output_bias"),
        h.MLPHomotopy, Xa, da, hidden, activation, bias, output, output_bias=output_bias,
    )  # fmt: skip
    if p is None:
        return
    assert xk in REAL and dk in REAL, (xk, dk)
    Xf, df = floats64(Xa), floats64(da)
    assert np.array_equal(np.asarray(p.X), Xf) and np.array_equal(np.asarray(p.d), df)
    assert isinstance(p.hidden, int) and p.hidden >= 1 and not isinstance(hidden, bool)
    m = 1 if df.ndim == 1 else df.shape[1]
    s = Xf.shape[1] + p.bias
    assert p.n_unknowns == s * p.hidden + p.hidden * m + m * p.output_bias


# ------------------------------------------------------------------------------- 2. track


@st.composite
def small_problems(draw) -> tuple[Any, Any, dict[str, Any]]:
    """(X, d, NaturalHomotopy keywords) of a random tanh problem with s ∈ {1, 2} and L ∈ {3, 5}
    (one padded row bucket): well-conditioned data at random scales, sometimes with a spike,
    repeated rows or in another real dtype."""
    L = draw(st.sampled_from([3, 5]))
    n_in, bias = draw(st.sampled_from([(1, False), (1, True), (2, False)]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    X = rng.normal(size=(L, n_in)) * draw(st.sampled_from([1.0] * 4 + SCALES))
    d = rng.uniform(-0.95, 0.95, L) * draw(st.sampled_from([1.0] * 4 + [1e-300, 1e-8, 1.5, 1e300]))
    trick = draw(st.sampled_from(["none", "none", "spike", "repeat", "float32", "int", "bool"]))
    if trick == "spike":
        with np.errstate(over="ignore", under="ignore"):  # an inf spike: refused, as it should
            X[draw(st.integers(0, L - 1)), 0] *= draw(st.sampled_from([1e-200, 1e100, 1e250]))
    elif trick == "repeat":
        X[1] = X[0]
    elif trick in ("float32", "int", "bool"):
        X = as_dtype(X, {"float32": "float32", "int": "int64", "bool": "bool"}[trick])
    return X, d, dict(bias=bias)


#: spans: mostly valid ones (a repeated entry is drawn more often), then malformed ones
spans = st.one_of(
    st.sampled_from([(0.0, 1.0)] * 4 + [(1.0, 0.0), (0.0, 0.5), (0.2, 0.9), (np.float32(0), 1)]),
    st.tuples(st.floats(0, 1), st.floats(0, 1)).filter(lambda t: t[0] != t[1]),
    st.sampled_from([(0.0, 1.5), (-0.1, 1.0), (0.5, 0.5), (0.0, np.nan), (0.0,), "01",
                     (0.0, True), ("0", "1"), (0.0, 1.0 + 0j), None]),
)  # fmt: skip


@fuzz(50)
@given(
    problem=small_problems(),
    lam_span=spans,
    start=st.sampled_from([None] * 5 + ["random", "nan", "short"]),
    seed=st.integers(0, 99),
)
def test_track_reports_only_solutions(problem, lam_span, start, seed):
    X, d, kw = problem
    p = attempt(("X", "d"), h.NaturalHomotopy, X, d, **kw)
    if p is None:
        return
    n = p.n_unknowns
    w0 = {
        None: None,
        "random": np.random.default_rng(seed).normal(size=n),
        "nan": np.full(n, np.nan),
        "short": np.zeros(n + 1),
    }[start]
    path = attempt(("lam_span", "start", "X"), h.track, p, lam_span=lam_span, start=w0)
    if path is not None:
        assert_solutions(p, path, 1e-10)


# a 3×2 problem whose path passes two turning points on its way to λ = 1 (test_tracker's)
X_FOLD = np.array([[-1.094, -0.603], [0.943, 0.719], [0.227, 1.162]])
D_FOLD = np.array([0.616, 0.343, 0.64])
FOLD = h.NaturalHomotopy(X_FOLD, D_FOLD)

_BAD = [True, False, np.True_, None, "1", "1e-10", np.nan, np.inf, -np.inf, -1, 0, 0.0, 1e300,
        -1e-300, 5e-324, 1 + 0j, [1], np.array([1.0, 2.0]), 2**31, 2**63, 10**30, 1e-16,
        1.0]  # fmt: skip
#: the options (and their defaults): a valid value other than the default would compile the
#: tracker again, so valid draws are the default in another numeric type
OPTION_DEFAULTS = dict(
    tol=1e-10, step_tol=1e-11, max_steps=2000, max_points=None, initial_step=0.05,
    min_step=1e-12, max_step=0.5, max_events=32, max_newton=8, landing_tol=1e-9,
    singular_tol=1e-10, turning_tol=None, w_max=None, contraction_ref=None, max_growth=None,
    reject_max_shrink=None, method="arclength", detect_bifurcations=True, predictor="hermite",
    corrector="simplified", controller="allgower_georg", divergence="network", events=None,
    certify=False, lam_bound=None, direction=None,
)  # fmt: skip


def _same_value(v: Any) -> st.SearchStrategy:
    out = [st.just(v)]
    if type(v) is float:
        out.append(st.just(np.float64(v)))
    elif type(v) is int:
        out += [st.just(np.int64(v)), st.just(np.int32(v))]
    return st.one_of(out)


options = st.dictionaries(
    st.sampled_from(sorted(OPTION_DEFAULTS) + ["tolerance"]),
    st.one_of(st.sampled_from(_BAD), st.text(max_size=6)),
    min_size=1,
    max_size=3,
).flatmap(
    lambda bad: st.fixed_dictionaries(
        {
            k: st.one_of(st.just(v), _same_value(OPTION_DEFAULTS[k]))
            if k in OPTION_DEFAULTS
            else st.just(v)
            for k, v in bad.items()
        }
    )
)


@fuzz(80)
@given(opts=options)
def test_track_options_are_checked(opts):
    """Each option is checked against its range and type before anything is compiled: a bad
    value is a ValueError naming an option given (or 'options' for an unknown name)."""
    names = list(opts) + ["options"]
    path = attempt(names, h.track, FOLD, **opts)
    if path is None:
        return
    # accepted: honest whatever the values (a valid one such as contraction_ref=1e-16 may
    # end MAX_STEPS); with the defaults in another type it is the fold's own path
    tol = opts.get("tol", 1e-10)
    assert_solutions(FOLD, path, float(tol))
    if all(
        isinstance(v, str | int | float) and v == OPTION_DEFAULTS.get(k) for k, v in opts.items()
    ):
        assert path.success and len(path.turning_points) == 2


# --------------------------------------------------------------------------- 3. track_many


@fuzz(25)
@given(
    seed=st.integers(0, 2**16),
    scales=st.tuples(st.sampled_from(SCALES), st.sampled_from(SCALES)),
    how=st.sampled_from(["arrays", "problems", "shared_X", "bad"]),
    bad=st.sampled_from(
        [
            "B0",
            "mismatch",
            "d_short",
            "complex",
            "nan",
            "start",
            "start_nan",
            "empty_list",
            "mixed",
            "bias",
            "lam_span",
        ]
    ),  # fmt: skip
)
def test_track_many_reports_only_solutions(seed, scales, how, bad):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(2, 4, 2)) * np.array(scales)[:, None, None]
    d = rng.uniform(-0.9, 0.9, (2, 4))
    names = ("X", "d", "start", "problems", "bias", "lam_span", "X, d, start")
    if how == "arrays":
        batch = attempt(names, h.track_many, X, d)
    elif how == "shared_X":
        batch = attempt(names, h.track_many, X[0], d)
    elif how == "problems":
        probs = [attempt(("X",), h.NaturalHomotopy, x, y) for x, y in zip(X, d, strict=True)]
        assume(all(q is not None for q in probs))
        batch = attempt(names, h.track_many, probs)
    else:
        args: dict[str, Any] = dict(X=X, d=d)
        if bad == "B0":
            args = dict(X=X[:0], d=d[:0])
        elif bad == "mismatch":
            args["d"] = d[:1]
        elif bad == "d_short":
            args["d"] = d[:, :3]
        elif bad == "complex":
            args["X"] = X + 1j
        elif bad == "nan":
            args["d"] = np.where(d > 0.5, np.nan, d)
            args["d"][0, 0] = np.nan
        elif bad == "start":
            args["start"] = np.zeros((3, 2))
        elif bad == "start_nan":
            args["start"] = np.full((2, 2), np.nan)
        elif bad == "bias":
            args["bias"] = "no"
        elif bad == "lam_span":
            args["lam_span"] = (0.0, 2.0)
        if bad == "empty_list":
            batch = attempt(names, h.track_many, [])
        elif bad == "mixed":
            batch = attempt(names, h.track_many, [FOLD, h.NaturalHomotopy(X[0], d[0])])
        else:
            batch = attempt(names, h.track_many, **args)
        assert batch is None, bad  # each of these is refused
    if batch is None:
        return
    assert len(batch) == 2
    for i in range(len(batch)):
        assert_solutions(batch.problem(i), batch[i], 1e-10)


# ------------------------------------------------------------------------------- 4. Path.at

_PATHS: dict[str, h.Path] = {}


def path_of(name: str) -> h.Path:
    """A few paths, traced once: the fold's, one that diverges, one with an invalid start."""
    if name not in _PATHS:
        if name == "fold":
            _PATHS[name] = h.track(FOLD)
        elif name == "diverged":  # |d| ≥ 1 for tanh: the weights run to infinity
            _PATHS[name] = h.track(h.NaturalHomotopy(X_FOLD, D_FOLD * 2))
        else:
            _PATHS[name] = h.track(FOLD, start=np.array([1e200, -1e200]))
    return _PATHS[name]


OTHER_PROBLEMS = {
    "own": FOLD,
    "scaled": h.NaturalHomotopy(2 * X_FOLD, D_FOLD),  # the same path, with w halved
    "other_d": h.NaturalHomotopy(X_FOLD, D_FOLD[::-1]),
    "other_size": h.NaturalHomotopy(X_FOLD, D_FOLD, bias=True),
    "not_a_problem": object(),
    "int": 3,
}

lams = st.one_of(
    st.floats(-0.2, 1.2),
    st.sampled_from([0.0, 1.0, 0.95, 0.9655, 0.9313, np.nan, np.inf, 1e308, -1e308, "0.5",
                     True, None, [0.5], np.float32(0.5), np.array(0.5), 0.5 + 0j]),
)  # fmt: skip
tols = st.one_of(
    st.none(),
    st.sampled_from([1e-10, 1e-8, 1e-15, 1e-2, np.float64(1e-9)]),
    st.sampled_from([0, -1.0, 1e-16, 1.0, 1e300, True, "1e-10", np.nan, None]),
)


@fuzz(60)
@given(
    which=st.sampled_from(["fold", "fold", "diverged", "invalid"]),
    lam=lams,
    tol=tols,
    other=st.sampled_from(sorted(OTHER_PROBLEMS) + [None, None]),
)
def test_path_at_returns_only_converged_points(which, lam, tol, other):
    path = path_of(which)
    problem = None if other is None else OTHER_PROBLEMS[other]
    W = attempt(("lam", "tol", "problem", "Path.at"), path.at, lam, problem=problem, tol=tol)
    if W is None:
        return
    used = problem if problem is not None else path.problem
    event(f"rows: {len(W)}")
    assert W.ndim == 2 and W.shape[1] == path.w.shape[1]
    if len(W):
        assert np.all(residuals(used, W, float(lam)) <= (path.tol if tol is None else tol))
    if other in (None, "own") and which == "fold" and 0 < float(lam) < 0.93:
        assert len(W) == 1  # before the fold: one crossing


# ----------------------------------------------------------------------- 5. save / load_path

MUTATIONS = ["none", "flip", "flip", "truncate", "drop", "dtype_str", "dtype_complex", "nan",
             "reshape", "empty", "object", "stats", "status", "tol", "append"]  # fmt: skip
ARRAYS = ["status", "message", "lam", "w", "s", "tangents", "event_kind", "event_lam",
          "event_w", "event_s", "event_tangent", "event_kernel", "w_end", "direction", "stats",
          "lam_span", "fingerprint", "tol"]  # fmt: skip


def _damaged(file: str, how: str, rng: np.random.Generator) -> None:
    """Flip one to three random bits of `file`, or cut it short, in place."""
    with open(file, "rb") as fh:
        raw = fh.read()
    if how == "flip":
        b = bytearray(raw)
        for i in rng.integers(0, len(b), size=rng.integers(1, 4)):
            b[i] ^= 1 << int(rng.integers(0, 8))
        raw = bytes(b)
    else:
        raw = raw[: int(rng.integers(0, len(raw)))]
    with open(file, "wb") as fh:
        fh.write(raw)


def _mutated(file: str, how: str, key: str, rng: np.random.Generator) -> None:
    """Damage the saved path `file` in place, as a disk, a user or a script might."""
    if how in ("flip", "truncate"):
        _damaged(file, how, rng)
        return
    with np.load(file) as z:
        a = {k: np.array(z[k]) for k in z.files}
    if key not in a:
        key = "lam"
    v = a[key]
    if how == "drop":
        del a[key]
    elif how == "dtype_str":
        a[key] = v.astype(str)
    elif how == "dtype_complex":
        a[key] = v.astype(complex) if v.dtype.kind != "U" else np.array(1j)
    elif how == "nan" and v.dtype.kind == "f" and v.size:
        v = v.copy()
        v.flat[int(rng.integers(0, v.size))] = rng.choice([np.nan, np.inf])
        a[key] = v
    elif how == "reshape":
        a[key] = v.reshape(-1)[:-1] if v.size else np.zeros((2, 2))
    elif how == "empty":
        a[key] = np.empty((0,) + v.shape[1:], v.dtype) if v.ndim else np.array([])
    elif how == "object":
        a[key] = np.array([1, "x"], dtype=object)
    elif how == "stats":
        a["stats"] = np.array(rng.choice(["[1, 2]", '{"steps": "x"}', "{", '{"steps": true}']))
    elif how == "status":
        a["status"] = np.array(rng.choice(["SUCCESS", "", "done", "success "]))
    elif how == "tol":
        bad_tols = [np.array(-1.0), np.array([1e-10, 1e-10]), np.array(1.0), np.array("x")]
        a["tol"] = bad_tols[int(rng.integers(0, len(bad_tols)))]
    elif how == "append":
        a[key] = np.concatenate([v.reshape(-1), v.reshape(-1)[:1]]) if v.size else v
    with open(file, "wb") as fh:
        np.savez(fh, **a)


@fuzz(60)
@given(
    which=st.sampled_from(["fold", "diverged", "invalid"]),
    how=st.sampled_from(MUTATIONS),
    key=st.sampled_from(ARRAYS),
    seed=st.integers(0, 2**16),
    lam=st.floats(0, 1),
)
def test_saved_paths_round_trip_and_damage_is_refused(which, how, key, seed, lam):
    path = path_of(which)
    with tempfile.TemporaryDirectory() as tmp:
        file = os.path.join(tmp, "path.npz")
        path.save(file)
        if how == "none":  # the round trip: the same path, the same points at every λ
            event("round trip")
            q = h.load_path(file, FOLD if which != "diverged" else None)
            assert q.status is path.status and q.message == path.message
            for f in ("lam", "w", "s", "tangents"):
                assert np.array_equal(getattr(q, f), getattr(path, f), equal_nan=True), f
            assert len(q.events) == len(path.events)
            for e, f in zip(q.events, path.events, strict=True):
                assert (e.kind, e.lam, e.s) == (f.kind, f.lam, f.s)
                assert np.array_equal(e.w, f.w) and np.array_equal(e.tangent, f.tangent)
            assert q.tol == path.tol and q.fingerprint == problem_fingerprint(path.problem)
            if which == "fold":
                assert np.allclose(q.at(lam), path.at(lam), atol=1e-12)
            return
        _mutated(file, how, key, np.random.default_rng(seed))
        try:
            q = h.load_path(file)
        except ValueError as err:
            assert str(err).startswith("file:"), err
            event("refused: file")
            return
    event(f"loaded after {how}")
    # loaded despite the damage (a byte the archive does not check, a harmless change): a
    # consistent path whose re-corrected points are still solutions
    N, n = q.w.shape
    assert q.lam.shape == (N,) and q.s.shape == (N,) and q.tangents.shape == (N, n + 1)
    assert np.isfinite(q.lam).all() and np.isfinite(q.w).all()
    if n == FOLD.n_unknowns:
        W = attempt(("Path.at",), q.at, lam, problem=FOLD)
        if W is not None and len(W):
            assert np.all(residuals(FOLD, W, lam) <= q.tol if q.tol else 1e-10)


@pytest.mark.parametrize("file", [None, 3, 2.5, ["a.npz"], b"\x00"])
def test_load_path_refuses_what_is_not_a_file_name(file):
    with pytest.raises((ValueError, OSError)) as info:
        h.load_path(file)
    if isinstance(info.value, ValueError):
        assert str(info.value).startswith("file:")


# --------------------------------------------------------------------------- 6. CLI readers

_WORDS = st.text(alphabet="abcdxyz", min_size=1, max_size=4)


@st.composite
def csv_cells(draw, numbers_only: bool = False) -> tuple[str, float | None]:
    """(the text of a CSV cell, its value, or None when it is not a number)."""
    kinds = ["float", "float", "int", "quoted"]
    kind = draw(st.sampled_from(kinds if numbers_only else kinds + ["word", "empty", "special"]))
    if kind == "float":
        x = draw(st.floats(allow_nan=False, allow_infinity=False, width=64))
        fmt = draw(st.sampled_from(["{!r}", "{:.3e}", "{:.6f}", " {!r} "]))
        text = fmt.format(x)
        return text, float(text)
    if kind == "int":
        k = draw(st.integers(-(10**6), 10**6))
        return str(k), float(k)
    if kind == "quoted":
        k = draw(st.integers(-99, 99))
        return f'"{k}"', float(k)
    if kind == "special":
        text = draw(st.sampled_from(["nan", "inf", "-inf", "NaN", "1e999"]))
        return text, float(text)
    if kind == "empty":
        return draw(st.sampled_from(["", " "])), None
    return draw(_WORDS), None


@st.composite
def csv_files(draw) -> tuple[bytes, list[list[tuple[str, float | None]]]]:
    """(a CSV file's bytes, its rows of cells): sometimes a BOM, a header, comments, blank
    lines and CRLF endings around rows of random cells."""
    width = draw(st.sampled_from([2, 2, 3, 4, 1]))
    ragged = draw(st.booleans()) and draw(st.booleans())
    # two files in three hold numbers only (a header aside): most of those must be read
    cells = csv_cells(numbers_only=draw(st.sampled_from([True, True, False])))
    rows = draw(
        st.lists(
            st.lists(cells, min_size=width, max_size=width + 1 if ragged else width),
            min_size=1,
            max_size=6,
        )
    )
    if draw(st.booleans()) and rows:
        rows[0] = [(w, None) for w in draw(st.lists(_WORDS, min_size=width, max_size=width))]
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    lines = []
    for r in rows:
        if draw(st.integers(0, 5)) == 0:
            lines.append(draw(st.sampled_from(["", "# a comment", "   "])))
        lines.append(",".join(t for t, _ in r))
    text = eol.join(lines) + eol
    bom = b"\xef\xbb\xbf" if draw(st.booleans()) else b""
    return bom + text.encode(), rows


def expected_csv(rows: list[list[tuple[str, float | None]]]):
    """What the CSV reader must make of `rows`: ``(X, d, header)``, or ``None`` for an
    error. A row whose text is blank is skipped; the first row left is the header exactly
    when none of its cells is a number; every other row must be all numbers, of one width
    ≥ 2 that the header shares."""
    rows = [r for r in rows if ",".join(t for t, _ in r).strip()]
    header = None
    if rows and all(v is None for _, v in rows[0]):
        header = [t.strip() for t, _ in rows[0]]
        rows = rows[1:]
    if not rows or any(v is None for r in rows for _, v in r):
        return None
    widths = {len(r) for r in rows} | ({len(header)} if header else set())
    if len(widths) != 1 or len(rows[0]) < 2:
        return None
    A = np.array([[v for _, v in r] for r in rows])
    return A[:, :-1], A[:, -1], header


@fuzz(120)
@given(f=csv_files())
def test_csv_reader_never_drops_a_row(f):
    """A CSV is read exactly as `expected_csv` says, or refused with a DATA: message: no row
    dropped, no header guessed from a row with a number, no value changed."""
    raw, rows = f
    want = expected_csv(rows)
    with tempfile.TemporaryDirectory() as tmp:
        file = os.path.join(tmp, "data.csv")
        with open(file, "wb") as fh:
            fh.write(raw)
        got = attempt(("DATA",), cli._read_csv, file)
        data = attempt(("DATA",), cli.load_data, file)
    if want is None:
        assert got is None and data is None, (raw, got)
        return
    assert got is not None, raw
    event(f"read, header: {want[2] is not None}")
    X, d, header = got
    assert header == want[2], raw
    assert np.array_equal(X, want[0], equal_nan=True) and np.array_equal(d, want[1], equal_nan=True)
    # the data check refuses what cannot be tracked, by a DATA: message, and passes the rest
    checked = attempt(("DATA",), cli.check_data, X, d, False)
    if checked is not None:
        assert np.isfinite(checked[0]).all() and np.isfinite(checked[1]).all()


@fuzz(80)
@given(Xd=data, damage=st.sampled_from([None] * 3 + ["flip", "truncate"]), seed=st.integers(0, 99))
def test_npz_reader_passes_real_data_unchanged_or_refuses_it(Xd, damage, seed):
    """An .npz of real arrays X, d is read unchanged; anything else (complex, objects,
    strings, dates, NaN, a damaged archive) is refused with a DATA: message."""
    (Xa, xk), (da, dk) = Xd
    assume(
        xk not in ("list", "masked", "masked_none") and dk not in ("list", "masked", "masked_none")
    )
    with tempfile.TemporaryDirectory() as tmp:
        file = os.path.join(tmp, "data.npz")
        np.savez(file, X=Xa, d=da)  # object arrays are pickled: the reader must refuse them
        if damage is not None:
            _damaged(file, damage, np.random.default_rng(seed))
        loaded = attempt(("DATA",), cli.load_data, file)
    if loaded is None or damage is not None:  # a damaged file read anyway: a harmless byte
        return
    got = attempt(("DATA",), cli.check_data, loaded[0], loaded[1], False)
    if got is None:
        return
    assert xk in REAL and dk in REAL, (xk, dk)
    Xf, df = floats64(Xa), floats64(da)
    assert np.array_equal(got[0], Xf.reshape(Xf.shape[0], -1) if Xf.ndim == 1 else Xf)
    assert np.array_equal(got[1], df) and np.isfinite(got[0]).all()


@fuzz(20)
@given(
    seed=st.integers(0, 2**16),
    scale=st.sampled_from(SCALES),
    extra=st.sampled_from([[], [], ["--tol", "1e30"], ["--tol", "x"], ["--max-steps", "0"],
                           ["--max-steps", "100000000000000000000"], ["--lam-span", "0", "nan"],
                           ["--lam-span", "0", "2"], ["--activation", "relu"], ["--bias"]]),
)  # fmt: skip
def test_trace_command_exits_cleanly(seed, scale, extra):
    """``homotopy trace DATA --json`` ends 0 with a path whose endpoint solves H, or 2 with
    one error line: never 1 (an internal error) or a traceback."""
    rng = np.random.default_rng(seed)
    A = np.column_stack([rng.normal(size=(5, 1)) * scale, rng.uniform(-0.9, 0.9, 5)])
    with tempfile.TemporaryDirectory() as tmp:
        file = os.path.join(tmp, "data.csv")
        np.savetxt(file, A, delimiter=",", fmt="%.17g")
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                rc = cli.main(["trace", file, "--json", *extra])
            except SystemExit as e:  # argparse's own refusals
                rc = e.code
        X, d = cli.load_data(file)[:2]
    assert rc in (0, 2), err.getvalue()
    if rc == 2:
        assert err.getvalue().count("\n") <= 2 and "Traceback" not in err.getvalue()
        return
    doc = json.loads(out.getvalue())
    p = h.NaturalHomotopy(X, d, bias="--bias" in extra)
    if doc["w_end"] is not None:
        assert residuals(p, np.array(doc["w_end"]), doc["lam_span"][1])[0] <= 1e-10


# ------------------------------------------------------------------------------- 7. geometry


@fuzz(30)
@given(
    w=st.one_of(
        st.tuples(st.floats(-50, 50), st.floats(-50, 50)).map(np.array),
        st.sampled_from([np.array([1e300, -1e300]), np.array([np.nan, 0.0]), np.zeros(3),
                         np.zeros(2), "ab", None, np.array([30.0, -30.0])]),
    ),
    lam=st.one_of(st.floats(0, 1), st.sampled_from([-0.1, 1.5, np.nan, True, "1"])),
)  # fmt: skip
def test_pointwise_curvature_is_a_number_or_refused(w, lam):
    """`geometry.max_curvature` at any point of a small problem: a ValueError naming `w` or
    `lam`, or k ≥ 0 (finite or inf), never NaN. Over regions (k_max monotone in the region)
    is the geometry tests' part (issue 15's geometry point, issue 17)."""
    k = attempt(("w", "lam", "problem"), geometry.max_curvature, FOLD, w, lam)
    if k is not None:
        assert not np.isnan(k.value) and k.value >= 0.0, k
