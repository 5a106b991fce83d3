"""The input contract at the API edge: every bad argument gets one ValueError whose message
starts with the argument's name and a colon and says what would be valid, before anything
is computed or compiled; good input keeps working."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import homotopy as h
from homotopy import _checks
from homotopy.activations import get_activation
from homotopy.events import Bifurcation, EventFunction, TurningPoint
from homotopy.tracker import INT_OPTIONS, NUMBER_OPTIONS, TOL_RANGE, TrackerOptions


# the 3×2 fold problem of test_tracker: two turning points on the way to λ = 1
X_FOLD = np.array([[-1.094, -0.603], [0.943, 0.719], [0.227, 1.162]])
D_FOLD = np.array([0.616, 0.343, 0.64])
X6 = np.random.default_rng(3).normal(size=(6, 2))
D6 = np.random.default_rng(4).uniform(-0.5, 0.5, 6)


def raises_named(name: str, call, *args, **kwargs) -> str:
    """The message of the ValueError `call` raises, checked to start with ``name:``."""
    with pytest.raises(ValueError) as info:
        call(*args, **kwargs)
    msg = str(info.value)
    assert msg.startswith(f"{name}:"), msg
    return msg


@pytest.fixture(scope="module")
def fold():
    return h.NaturalHomotopy(X_FOLD, D_FOLD)


# --------------------------------------------------------------------------- 1. activations


@pytest.mark.parametrize(
    "fn",
    [
        lambda t: jnp.sum(t),
        lambda t: t - jnp.mean(t),
        lambda t: t / jnp.linalg.norm(t),
        lambda t: jnp.tanh(t) * jnp.max(t),
        lambda t: jnp.flip(t),
    ],
    ids=["sum", "centred", "normalized", "scaled_by_max", "flipped"],
)
@pytest.mark.parametrize("problem", ["natural", "mlp"])
def test_non_elementwise_activation_is_refused(fn, problem):
    """σ(t)[i] must depend on t[i] alone: jnp.sum used to run 2000 steps to MAX_STEPS."""
    if problem == "natural":
        msg = raises_named("activation", h.NaturalHomotopy, X6, D6, activation=fn)
    else:
        msg = raises_named("activation", h.MLPHomotopy, X6, D6, 2, activation=fn)
    assert "elementwise" in msg


@pytest.mark.parametrize(
    "fn,error",
    [
        (lambda t: np.tanh(np.asarray(t)), "TracerArrayConversionError"),
        (lambda t: float(t) / (1.0 + abs(float(t))), "ConcretizationTypeError"),
        (lambda t: t if t > 0 else 0.5 * t, "TracerBoolConversionError"),
    ],
    ids=["numpy", "float", "python_if"],
)
def test_untraceable_activation_is_refused_naming_the_jax_error(fn, error):
    msg = raises_named("activation", h.NaturalHomotopy, X6, D6, activation=fn)
    assert "JAX-traceable" in msg and error in msg


def test_complex_activation_is_refused():
    raises_named("activation", h.NaturalHomotopy, X6, D6, activation=lambda t: jnp.exp(1j * t))


@pytest.mark.parametrize(
    "fn",
    [
        jnp.tanh,
        jax.nn.sigmoid,
        lambda t: t / (1 + t**2),
        lambda t: t / (1.0 + jnp.abs(t)),
        lambda t: jnp.where(t > 0, jnp.tanh(t), 0.5 * jnp.tanh(t)),
        jnp.vectorize(lambda t: jnp.arctan(t)),
    ],
    ids=["jnp.tanh", "sigmoid", "rational", "softsign", "where", "vectorized"],
)
def test_ordinary_activation_callables_still_work(fn):
    p = h.NaturalHomotopy(X6, D6, activation=fn, bias=True)
    assert h.MLPHomotopy(X6, D6, 2, activation=fn).activation is p.activation
    assert h.track(p).status in (h.Status.SUCCESS, h.Status.DIVERGED)


def test_callable_tanh_tracks_like_the_builtin():
    ref = h.track(h.NaturalHomotopy(X_FOLD, D_FOLD))
    got = h.track(h.NaturalHomotopy(X_FOLD, D_FOLD, activation=lambda t: jnp.tanh(t)))
    assert got.success and len(got.turning_points) == len(ref.turning_points) == 2
    np.testing.assert_allclose(got.w_end, ref.w_end, atol=1e-10)


def test_one_activation_per_callable():
    """A callable is checked once and resolves to one `Activation`: problems built with it
    share their compiled tracker (the activation is a static field)."""

    def sig(t):
        return t / (1.0 + jnp.abs(t))

    assert get_activation(sig) is get_activation(sig)
    a = h.NaturalHomotopy(X6, D6, activation=sig)
    b = h.NaturalHomotopy(X6 + 1.0, D6, activation=sig)
    assert jax.tree_util.tree_structure(a) == jax.tree_util.tree_structure(b)


def test_user_built_activation_instance_is_checked():
    good = get_activation("tanh")
    bad = dataclasses.replace(good, name="summed", sigma=lambda t: jnp.sum(jnp.tanh(t)))
    raises_named("activation", h.NaturalHomotopy, X6, D6, activation=bad)
    ok = dataclasses.replace(good, name="tanh_copy")
    assert h.NaturalHomotopy(X6, D6, activation=ok).activation is ok


# --------------------------------------------------------------------------- 2. options


def test_every_numeric_option_has_a_checked_range():
    """The systematic part: each float or int field of TrackerOptions is in the table its
    check reads (a new field without a range fails here)."""
    for f in dataclasses.fields(TrackerOptions):
        if f.type == "float":
            assert f.name in NUMBER_OPTIONS, f.name
        elif f.type.startswith("int"):
            assert f.name in INT_OPTIONS, f.name


NUMERIC_OPTIONS = sorted(
    set(NUMBER_OPTIONS) | set(INT_OPTIONS) | {"turning_tol", "w_max", "contraction_ref",
                                             "max_growth", "reject_max_shrink"}
)  # fmt: skip


@pytest.mark.parametrize("name", NUMERIC_OPTIONS)
@pytest.mark.parametrize("flag", [True, False, np.True_], ids=["True", "False", "np.True_"])
def test_booleans_are_refused_for_every_numeric_option(fold, name, flag):
    """``tol=True`` used to be taken as 1.0 (the fold then showed no turning point)."""
    raises_named(name, h.track, fold, **{name: flag})
    raises_named(name, h.Tracker, fold, **{name: flag})
    raises_named(name, h.track_many, fold, start=np.zeros((2, 2)), **{name: flag})
    if name in NUMBER_OPTIONS or name in INT_OPTIONS:
        raises_named(name, TrackerOptions, **{name: flag})


@pytest.mark.parametrize(
    "value", [1e3, 1.0, 0.1, 1e-30, 1e-16, 0.0, -1e-10, np.nan, np.inf, "1e-10", None]
)
def test_tol_outside_its_range_is_refused(fold, value):
    """tol = 1e3 reported SUCCESS at a w_end with ‖H‖ = 1e-2; tol = 1e-30 ended INVALID_START
    blaming the start. The message gives the range."""
    msg = raises_named("tol", h.track, fold, tol=value)
    assert "1e-15" in msg and "0.01" in msg


@pytest.mark.parametrize("tol", [TOL_RANGE[0] * 3, TOL_RANGE[1], np.float32(1e-6), 1e-12])
def test_tol_inside_its_range_is_accepted(fold, tol):
    path = h.track(fold, tol=tol)
    assert path.success and len(path.turning_points) == 2


@pytest.mark.parametrize(
    "kwargs,name",
    [
        (dict(step_tol=1.0), "step_tol"),
        (dict(step_tol=0.0), "step_tol"),
        (dict(landing_tol=1.0), "landing_tol"),
        (dict(singular_tol=2.0), "singular_tol"),
        (dict(turning_tol=1.0), "turning_tol"),
        (dict(max_steps=2.0), "max_steps"),
        (dict(max_points=1), "max_points"),
        (dict(max_newton=0), "max_newton"),
        (dict(initial_step=-0.1), "initial_step"),
        (dict(min_step=1.0, max_step=0.5), "min_step"),
        (dict(method=["arclength"]), "method"),
        (dict(detect_bifurcations="no"), "detect_bifurcations"),
        (dict(detect_bifurcations=1), "detect_bifurcations"),
        (dict(certify="yes"), "certify"),
        (dict(lam_span=(0.0, True)), "lam_span"),
        (dict(lam_span=("0", "1")), "lam_span"),
        (dict(lam_bound=False), "lam_bound"),
    ],
)
def test_bad_option_values_are_named(fold, kwargs, name):
    raises_named(name, h.track, fold, **kwargs)


def test_numpy_scalars_and_flags_are_accepted(fold):
    path = h.track(
        fold, tol=np.float64(1e-10), max_steps=np.int64(500), detect_bifurcations=np.bool_(True),
        certify=np.bool_(False), lam_span=(np.float64(0.0), jnp.float64(1.0)),
    )  # fmt: skip
    assert path.success and len(path.turning_points) == 2


@pytest.mark.parametrize(
    "make",
    [
        lambda: TurningPoint(tol=True),
        lambda: TurningPoint(tol=1.5),
        lambda: Bifurcation(tol=-1.0),
        lambda: EventFunction("big", lambda w, lam: w[0], tol=True),
    ],
)
def test_event_tolerances_are_checked(make):
    raises_named("tol", make)


# --------------------------------------------------------------------------- 3. data


@pytest.mark.parametrize(
    "X,d,name",
    [
        (np.zeros((3, 0)), np.zeros(3), "X"),
        (np.zeros((0, 2)), np.zeros(0), "X"),
        (X6, np.zeros((6, 0)), "d"),
    ],
    ids=["no_inputs", "no_patterns", "no_outputs"],
)
def test_empty_data_is_refused(X, d, name):
    """X (3, 0) or d (3, 0) used to report SUCCESS with empty weights."""
    raises_named(name, h.NaturalHomotopy, X, d)
    raises_named(name, h.NaturalHomotopy, X, d, bias=True)
    raises_named(name, h.MLPHomotopy, X, d, 2)
    raises_named(name, h.track_many, np.stack([X, X]), np.stack([d, d]))


@pytest.mark.parametrize("bias", ["0", "False", 1, 0, None, 1.0], ids=repr)
def test_non_bool_bias_is_refused(bias):
    """bias='0' used to become True."""
    raises_named("bias", h.NaturalHomotopy, X6, D6, bias=bias)
    raises_named("bias", h.MLPHomotopy, X6, D6, 2, bias=bias)
    if bias is not None:
        raises_named("output_bias", h.MLPHomotopy, X6, D6, 2, output_bias=bias)
    raises_named("bias", h.track_many, np.stack([X6, X6]), np.stack([D6, D6]), bias=bias)


def test_numpy_bool_bias_is_accepted():
    p = h.NaturalHomotopy(X6, D6, bias=np.bool_(True))
    assert p.bias is True and p.n_features == 3
    q = h.MLPHomotopy(X6, D6, 2, bias=np.False_, output_bias=np.True_)
    assert (q.bias, q.output_bias) == (False, True)


@pytest.mark.parametrize(
    "X,d,name,words",
    [
        (X6 + 1j, D6, "X", "complex"),
        (X6 + 0j, D6, "X", "complex"),
        (X6, D6 * (1 + 1j), "d", "complex"),
        (X6.astype(object), D6, "X", "object"),
        (X6.astype(str), D6, "X", "string"),
        (X6, np.array([None] * 6), "d", "object"),
    ],
    ids=["complex_X", "complex_X_zero_imag", "complex_d", "object_X", "str_X", "none_d"],
)
def test_non_real_data_is_refused(X, d, name, words):
    """Complex data used to lose its imaginary part with only a numpy warning."""
    for make in (
        lambda: h.NaturalHomotopy(X, d),
        lambda: h.MLPHomotopy(X, d, 2),
        lambda: h.track_many(np.stack([X, X]), np.stack([d, d])),
    ):
        assert words in raises_named(name, make)


def test_complex_start_is_refused(fold):
    raises_named("start", h.track, fold, start=np.array([0.1, 0.2]) + 1e-3j)
    raises_named("start", h.FunctionHomotopy, lambda w, lam, a: w - lam, start=[1j])


def test_bool_and_int_data_are_accepted():
    X = np.array([[1, 0], [0, 1], [1, 1], [0, 0]], dtype=bool)
    p = h.NaturalHomotopy(X, [0.1, -0.2, 0.3, 0.0], bias=True)
    assert p.X.dtype == jnp.float64 and h.track(p).success


# --------------------------------------------------------------------------- 4. the λ range


def test_natural_problems_declare_lam_range():
    assert h.NaturalHomotopy.lam_range == h.MLPHomotopy.lam_range == (0.0, 1.0)
    assert getattr(h.FunctionHomotopy(lambda w, lam, a: w), "lam_range", None) is None


@pytest.mark.parametrize("span", [(0.0, 5.0), (-1.0, 1.0), (1.0, 1.5), (0.5, -0.5)])
def test_lam_span_outside_the_problems_range_is_refused(fold, span):
    """(0, 5) used to report 4 spurious turning points "at λ = 1" (σ_λ is not monotone past
    λ = 1)."""
    assert "[0, 1]" in raises_named("lam_span", h.track, fold, lam_span=span)
    raises_named("lam_span", h.Tracker, fold, lam_span=span)
    raises_named("lam_span", h.track_many, fold, start=np.zeros((2, 2)), lam_span=span)
    raises_named("lam_span", h.track_many, [fold, fold], lam_span=span)
    raises_named("lam_span", h.track_many, np.stack([X6, X6]), np.stack([D6, D6]),
                 lam_span=span)  # fmt: skip
    raises_named("lam_span", h.track, h.MLPHomotopy(X6, D6, 2), lam_span=span)


def test_lam_bound_outside_the_range_is_refused(fold):
    raises_named("lam_bound", h.track, fold, start=fold.start(), lam_span=(0.5, 1.0),
                 lam_bound=-0.5)  # fmt: skip
    raises_named("lam_bound", h.Tracker, fold, lam_span=(0.5, 1.0), lam_bound=-0.5)


def test_function_homotopy_accepts_any_span_unless_it_declares_a_range():
    line = h.FunctionHomotopy(lambda w, lam, a: w - lam, start=[0.0])
    path = h.track(line, lam_span=(0.0, 5.0), divergence=None)
    assert path.success and abs(path.w_end[0] - 5.0) < 1e-12
    back = h.track(line, start=[0.0], lam_span=(0.0, -3.0), divergence=None)
    assert back.success and abs(back.w_end[0] + 3.0) < 1e-12
    ranged = h.FunctionHomotopy(lambda w, lam, a: w - lam, start=[0.0], lam_range=(0.0, 2.0))
    assert h.track(ranged, lam_span=(0.0, 2.0), divergence=None).success
    raises_named("lam_span", h.track, ranged, lam_span=(0.0, 5.0))
    raises_named("lam_range", h.FunctionHomotopy, lambda w, lam, a: w, lam_range=(1.0, 0.0))
    raises_named("lam_range", h.FunctionHomotopy, lambda w, lam, a: w, lam_range="01")


def test_a_malformed_declared_range_names_the_problem():
    class Odd:
        lam_range = (1.0, np.nan)

        def H(self, w, lam):
            return w - lam

    raises_named("problem", h.track, Odd(), start=[0.0])


def test_lam_span_is_refused_before_the_start_is_computed():
    class Costly(h.FunctionHomotopy):
        calls = 0

        def start(self):
            Costly.calls += 1
            return np.zeros(1)

    p = Costly(lambda w, lam, a: w - lam, lam_range=(0.0, 1.0))
    raises_named("lam_span", h.track, p, lam_span=(0.0, 2.0))
    assert Costly.calls == 0


# --------------------------------------------------------------------------- 5. the maps


def _line(w, lam, args):
    return w - lam


@pytest.mark.parametrize(
    "H,error",
    [
        (lambda w, lam, a: np.asarray(w) - lam, "TracerArrayConversionError"),
        (lambda w, lam, a: w - float(w[0]) * lam, "ConcretizationTypeError"),
        (lambda w, lam, a: w - lam if lam > 0.5 else w, "TracerBoolConversionError"),
    ],
    ids=["numpy", "float", "python_if"],
)
def test_untraceable_H_is_refused_naming_the_jax_error(H, error):
    """These used to escape as JAX's ConcretizationTypeError (or kin) from inside jit."""
    p = h.FunctionHomotopy(H, start=[0.0, 0.0], args=0.0)
    for call in (
        lambda: h.track(p),
        lambda: h.Tracker(p).init(),
        lambda: h.Tracker(p).run(),
        lambda: h.track_many(p, start=np.zeros((3, 2))),
        lambda: h.track_many([p, h.FunctionHomotopy(H, start=[0.0, 0.0], args=1.0)]),
    ):
        msg = raises_named("H", call)
        assert msg.startswith("H: must be traceable by JAX") and error in msg


def test_H_of_the_wrong_shape_is_refused():
    p = h.FunctionHomotopy(lambda w, lam, a: jnp.concatenate([w, w]) - lam, start=[0.0, 0.0])
    assert "(2,)" in raises_named("H", h.track, p)
    raises_named("H", h.track_many, p, start=np.zeros((2, 2)))
    q = h.FunctionHomotopy(lambda w, lam, a: jnp.sum(w) - lam, start=[0.0, 0.0])
    raises_named("H", h.track, q)


def test_an_error_inside_H_is_named_with_the_shape_it_was_traced_at():
    p = h.FunctionHomotopy(lambda w, lam, a: w - lam * a, start=[0.0] * 3, args=jnp.ones(2))
    msg = raises_named("H", h.track, p)
    assert "TypeError" in msg and "(3,)" in msg


def test_H_that_forward_mode_cannot_differentiate_is_named():
    """A jax.custom_vjp H has no JVP: without jacobian= (autodiff) or with the default
    corrector (JVP tangent refinement) it is refused by name; the Newton and chord correctors
    with a given Jacobian track it."""

    @jax.custom_vjp
    def ident(w):
        return w

    ident.defvjp(lambda w: (w, None), lambda res, g: (g,))
    p = h.FunctionHomotopy(lambda w, lam, a: ident(w) - lam, start=[0.0])
    assert "jacobian=" in raises_named("H", h.track, p)
    given = h.FunctionHomotopy(
        lambda w, lam, a: ident(w) - lam,
        start=[0.0],
        jacobian=lambda w, lam, a: jnp.array([[1.0, -1.0]]),
    )
    msg = raises_named("H", h.track, given, divergence=None)
    assert "jax.jvp" in msg and "corrector='newton'" in msg
    raises_named("H", h.track_many, given, start=np.zeros((2, 1)), divergence=None)
    for corrector in ("newton", "chord"):
        path = h.track(given, corrector=corrector, divergence=None)
        assert path.success and abs(path.w_end[0] - 1.0) < 1e-12


def test_complex_H_is_refused():
    p = h.FunctionHomotopy(lambda w, lam, a: w - lam * (1 + 1j), start=[0.0])
    assert "complex" in raises_named("H", h.track, p)


def test_jacobian_of_the_wrong_shape_is_refused():
    p = h.FunctionHomotopy(
        _line, start=[0.0, 0.0], jacobian=lambda w, lam, a: jnp.eye(2)
    )  # H_w only, no H_λ column
    assert "(2, 3)" in raises_named("jacobian", h.track, p)
    raises_named("jacobian", h.track_many, p, start=np.zeros((2, 2)))
    q = h.FunctionHomotopy(_line, start=[0.0], jacobian=lambda w, lam, a: np.eye(1, 2))
    assert h.track(q, divergence=None).success  # a numpy constant is a fine Jacobian
    r = h.FunctionHomotopy(
        _line, start=[0.0], jacobian=lambda w, lam, a: np.asarray(w)[None] * np.ones((1, 2))
    )
    assert "jacobian: must be traceable by JAX" in raises_named("jacobian", h.track, r)


def test_a_problem_class_with_a_bad_jacobian_is_refused():
    class Circle:
        def H(self, w, lam):
            return jnp.array([w @ w - 1.0 - lam, w[0] - w[1]])

        def jacobian(self, w, lam):
            return jnp.zeros((2, 2))

    raises_named("jacobian", h.track, Circle(), start=[0.7, 0.7], divergence=None)


def test_empty_batches_are_refused(fold):
    """B = 0 used to be an IndexError."""
    raises_named("start", h.track_many, fold, start=np.zeros((0, 2)))
    raises_named("problems", h.track_many, [])
    raises_named("problems", h.track_many, ())
    raises_named("start", h.track_many, [fold, fold], start=np.zeros((0, 2)))
    raises_named("X", h.track_many, np.zeros((0, 6, 2)), np.zeros((0, 6)))


def test_the_map_check_is_abstract_and_runs_once_per_structure(monkeypatch):
    """The check traces H abstractly (no compile) and is cached per problem structure: a
    warm track pays a dictionary lookup, not a trace."""
    traces = []

    def H(w, lam, args):
        traces.append(1)  # runs only while JAX traces
        return w - lam * args

    p = h.FunctionHomotopy(H, start=np.zeros(2), args=jnp.array([1.0, 2.0]))
    _checks.check_maps(p, 2)
    assert len(traces) == 2  # H, then jax.jacfwd of it: traced, not compiled
    assert h.track(p).success

    def no_trace(*args, **kwargs):
        raise AssertionError("traced again")

    monkeypatch.setattr(_checks, "_trace", no_trace)
    q = h.FunctionHomotopy(H, start=np.zeros(2), args=jnp.array([3.0, 4.0]))
    np.testing.assert_allclose(h.track(q).w_end, [3.0, 4.0], atol=1e-14)
    fold = h.NaturalHomotopy(X_FOLD, D_FOLD)
    monkeypatch.undo()
    h.track(fold)
    monkeypatch.setattr(_checks, "_trace", no_trace)
    assert h.track(h.NaturalHomotopy(X_FOLD + 0.01, D_FOLD)).success  # same structure


# ------------------------------------------ 6. found by the property-based suite (test_fuzz)


@pytest.mark.parametrize("name", ["max_steps", "max_newton", "max_events", "max_points"])
@pytest.mark.parametrize("value", [2**31, 10**20, (2**31 - 1) // 4 + 1])
def test_integer_options_beyond_the_loops_int32_counters_are_refused(fold, name, value):
    """max_steps = 2³¹ ended MAX_STEPS at once and max_newton = 2³¹ STEP_FAILURE (int32
    wrap-around); 10²⁰ was an OverflowError from jit."""
    msg = raises_named(name, h.track, fold, **{name: value})
    assert str(_checks.INT_MAX) in msg and "int32" in msg
    raises_named(name, TrackerOptions, **{name: value})


def test_the_largest_integer_option_is_accepted():
    assert TrackerOptions(max_steps=_checks.INT_MAX, max_points=100).max_steps == _checks.INT_MAX


def test_float_options_given_as_huge_ints_are_stored_as_floats():
    """max_step = 2**63 (a valid number) was kept as a Python int and overflowed when jit
    converted it (OverflowError); so did the controller's, divergence's and events' fields."""
    from homotopy.divergence import NetworkDivergence

    assert type(TrackerOptions(max_step=2**63).max_step) is float
    assert type(h.AllgowerGeorg(reject_max_shrink=2**63).reject_max_shrink) is float
    assert type(NetworkDivergence(w_max=2**63).w_max) is float
    assert type(Bifurcation(tol=2**63).tol) is float
    assert type(EventFunction("e", lambda w, lam: lam, tol=2**63).tol) is float


@pytest.mark.parametrize(
    "kwargs,name",
    [
        (dict(max_growth=0.5), "max_growth"),  # was "max_growth/max_shrink: …"
        (dict(max_shrink=0.5), "max_shrink"),
        (dict(reject_max_shrink=1.5), "reject_max_shrink"),  # was named reject_min_shrink
        (dict(reject_min_shrink=9.0), "reject_min_shrink"),
        (dict(contraction_max=0.01), "contraction_max"),  # was named contraction_ref
        (dict(contraction_ref=0.9), "contraction_ref"),
        (dict(max_step=1e-13), "max_step"),  # was named min_step
        (dict(min_step=1.0), "min_step"),
    ],
)
def test_an_ordering_error_names_the_option_that_was_given(fold, kwargs, name):
    raises_named(name, h.track, fold, **kwargs)


def test_a_linear_start_that_overflows_is_refused_naming_X():
    """X ~ 1e-301 with d ~ 1e300 gives weights ~ 1e600: numpy's overflow warning, then an
    infinite start."""
    X = np.array([[1.3e-301], [-1.3e-301], [6.4e-301]])
    d = np.array([-9.2e299, 6.0e299, 7.8e299])
    p = h.NaturalHomotopy(X, d)
    assert "overflows float64" in raises_named("X", h.track, p)
    assert "overflows" in raises_named(
        "X", h.track_many, X[None].repeat(2, 0), d[None].repeat(2, 0)
    )


def test_data_near_the_float64_limit_gets_a_rank_check_without_overflow():
    """The rank tolerance σ_max·max(L, s)·ε overflowed (a RuntimeWarning) for entries near
    1e308."""
    from homotopy.problems import linear_start

    w = linear_start(np.array([[6e307, 1e307], [1e307, 6e307], [0.0, 0.0]]), np.ones((3, 1)))
    assert np.all(np.isfinite(w))


def test_a_start_near_1e300_ends_invalid_without_a_warning():
    """X ~ 1e-300 makes w₀ ~ 1e300: the path's ‖w‖ overflowed numpy's norm (a warning)."""
    rng = np.random.default_rng(0)
    path = h.track(h.NaturalHomotopy(rng.normal(size=(5, 2)) * 1e-300, rng.uniform(-0.5, 0.5, 5)))
    assert path.status is h.Status.INVALID_START and "‖w‖" not in path.message


@pytest.mark.parametrize("lam", ["0.5", True, np.True_, 0.5 + 0j, [0.5]])
def test_path_at_refuses_a_lam_that_is_not_a_real_number(fold, lam):
    """'0.5' and True were parsed by float() (True as λ = 1)."""
    raises_named("lam", h.track(fold).at, lam)


@pytest.mark.parametrize("tol", [True, "1e-10", 1e300, 1.0, 1e-300, 0.0, -1.0, np.nan])
def test_path_at_refuses_a_tol_outside_tracks_range(fold, tol):
    """tol = True and '1' were taken as 1.0 and 1e300 let any point pass; 1e-300 failed
    every crossing with 'is `problem` the one the path was traced on?'."""
    msg = raises_named("tol", h.track(fold).at, 0.5, tol=tol)
    assert "1e-15" in msg and "0.01" in msg


def test_path_at_far_from_the_path_is_empty_without_a_warning(fold):
    """(λᵢ − λ)(λᵢ₊₁ − λ) overflowed for λ = 1e308 (a RuntimeWarning)."""
    path = h.track(fold)
    assert path.at(1e308).shape == (0, 2) and path.at(-1e308).shape == (0, 2)


def _saved(fold, tmp_path, **change):
    """A saved fold path with some arrays replaced (``None`` deletes one)."""
    file = tmp_path / "p.npz"
    h.track(fold).save(file)
    with np.load(file) as z:
        a = {k: np.array(z[k]) for k in z.files}
    for k, v in change.items():
        if v is None:
            del a[k]
        else:
            a[k] = v
    np.savez(file, **a)
    return file


@pytest.mark.parametrize(
    "change,words",
    [
        (dict(stats=np.array("[1, 2]")), "stats"),  # was a TypeError in repr
        (dict(stats=np.array('{"steps": "x"}')), "stats"),
        (dict(tol=np.array([1e-10, 1e-10])), "tol"),  # was a TypeError
        (dict(tol=np.array(1.0)), "tol"),  # a tampered tol: points with ‖H‖ ≤ 1 would pass
        (dict(tol=np.array("x")), "tol"),
        (dict(event_kernel=np.zeros((2, 3, 2)).astype(str)), "event_kernel"),  # TypeError
        (dict(lam=np.zeros(26) + 1j), "lam"),  # complex λ was accepted
        (dict(lam=np.full(26, np.nan)), "lam"),  # NaN λ: Path.at found no crossing
        (dict(lam_span=np.array([np.nan, 1.0])), "lam_span"),
        (dict(lam_span=np.array([1.0, 1.0])), "lam_span"),
        (dict(message=np.array([["x"]])), "message"),
        (dict(w_end=np.array(["a", "b"])), "w_end"),
        (dict(status=np.array(3)), "status"),
        (dict(tangents=np.full((26, 3), np.inf)), "tangents"),  # Path.at warned in hermite
    ],
)
def test_load_path_refuses_arrays_of_the_wrong_kind(fold, tmp_path, change, words):
    path = h.track(fold)
    for k, v in change.items():  # shaped like this path's arrays
        if k in ("lam", "tangents") and v.shape[0] != len(path.lam):
            change[k] = np.resize(v, (len(path.lam),) + v.shape[1:])
    msg = raises_named("file", h.load_path, _saved(fold, tmp_path, **change))
    assert words in msg


@pytest.mark.parametrize("file", [None, 3, ["p.npz"], "a\x00b.npz"])
def test_load_path_refuses_what_is_not_a_file_name(file):
    """os.fspath raised a bare TypeError, open() a bare 'embedded null byte'."""
    raises_named("file", h.load_path, file)


def test_load_path_refuses_a_damaged_archive_without_leaking_its_file(fold, tmp_path):
    """A bit flipped in the compression-method field was a NotImplementedError; a damaged
    central directory left np.load's file handle open (a ResourceWarning)."""
    file = tmp_path / "p.npz"
    h.track(fold).save(file)
    raw = bytearray(file.read_bytes())
    method = raw.index(b"PK\x01\x02") + 10  # the first member's compression method
    bad = bytes(raw[:method]) + b"\x63" + bytes(raw[method + 1 :])
    file.write_bytes(bad)
    assert "damaged" in raises_named("file", h.load_path, file)
    end = raw.rindex(b"PK\x05\x06")  # the end-of-directory record: point it at garbage
    bad = raw[:]
    bad[end + 16 : end + 20] = (7).to_bytes(4, "little")
    file.write_bytes(bytes(bad))
    assert "damaged" in raises_named("file", h.load_path, file)


def test_masked_arrays_with_masked_entries_are_refused():
    """np.asarray drops the mask: the hidden values were used as data."""
    X = np.ma.masked_array(X6, mask=X6 > 1.0)
    assert "masked" in raises_named("X", h.NaturalHomotopy, X, D6)
    p = h.NaturalHomotopy(np.ma.masked_array(X6, mask=False), D6)  # nothing masked: its data
    assert np.array_equal(np.asarray(p.X), X6)


def test_longdouble_data_beyond_float64_is_refused_without_a_warning():
    X = X6.astype(np.longdouble)
    X[0, 0] = np.longdouble("1e4000")
    assert "NaN or infinite" in raises_named("X", h.NaturalHomotopy, X, D6)


def test_csv_quoted_numbers_are_data_not_a_header(tmp_path):
    """A spreadsheet's quoted first row "1","2","3" was taken for a header and dropped."""
    from homotopy import cli

    f = tmp_path / "q.csv"
    f.write_text('"1","0.2","0.3"\n"0.3", "1",-0.2\n1,1,0.5\n')
    X, d, header = cli._read_csv(str(f))
    assert header is None and X.shape == (3, 2) and d.tolist() == [0.3, -0.2, 0.5]
    f.write_text('"a","b","y"\n1,2,3\n')
    assert cli._read_csv(str(f))[2] == ["a", "b", "y"]  # a quoted header, read unquoted


@pytest.mark.parametrize(
    "X,words",
    [
        (np.eye(3) + 1j, "complex"),  # was numpy's ComplexWarning: the imaginary part dropped
        (np.zeros((3, 1), "datetime64[s]"), "dates"),  # was "rank 0 < 1 columns"
        (np.zeros(3, [("a", "f8")]), "raw records"),
        (np.eye(3, dtype=np.longdouble) * np.longdouble("1e4000"), "NaN or infinite"),
    ],
    ids=["complex", "dates", "records", "longdouble_overflow"],
)
def test_cli_data_of_the_wrong_kind_is_refused(tmp_path, X, words):
    from homotopy import cli

    file = tmp_path / "x.npz"
    np.savez(file, X=X, d=np.full(3, 0.1))
    X, d = cli.load_data(str(file))[:2]
    with pytest.raises(ValueError, match="^DATA: ") as info:
        cli.check_data(X, d, False)
    assert words in str(info.value)


def test_a_damaged_npz_data_file_is_refused_by_name(tmp_path):
    """A damaged member header was a NotImplementedError (an internal error in the CLI)."""
    from homotopy import cli

    file = tmp_path / "x.npz"
    np.savez(file, X=X6, d=D6)
    raw = bytearray(file.read_bytes())
    raw[raw.index(b"PK\x01\x02") + 10] = 0x63  # an unknown compression method
    file.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="^DATA: .* as .npz"):
        cli.load_data(str(file))


def test_a_subnormal_lam_is_taken_as_zero(fold):
    """XLA flushes subnormals to zero: a span ending at 2.2e-311 reported SUCCESS with its
    last λ 0, not the span's end."""
    path = h.track(fold, lam_span=(2.2e-311, 1.0))
    assert path.lam_span == (0.0, 1.0) and path.lam[0] == 0.0 and path.success
    assert "subnormal" in raises_named("lam_span", h.track, fold, lam_span=(0.0, 5e-324))


@pytest.mark.parametrize("spec", [np.array([1.0, 2.0]), np.array(["network", "none"])])
def test_an_array_for_divergence_is_refused_by_name(fold, spec):
    """divergence == "none" on an array compared elementwise: a bare 'truth value of an
    array is ambiguous'."""
    raises_named("divergence", h.track, fold, divergence=spec)


def test_cli_data_whose_linear_start_overflows_is_named_as_data():
    """The overflow refusal of linear_start reached the CLI as 'X: …', not 'DATA: …'."""
    from homotopy import cli

    with pytest.raises(ValueError, match="^DATA: X: .*overflows float64"):
        cli.check_data(np.array([[2.2e-309]]), np.array([1.0]), False)


def test_a_damaged_directory_offset_is_refused_as_a_damaged_archive(fold, tmp_path):
    """A flipped high bit of the central directory's offset made zipfile seek before the
    start of the file: a bare OSError [Errno 22] from inside load_path."""
    file = tmp_path / "p.npz"
    h.track(fold).save(file)
    raw = bytearray(file.read_bytes())
    raw[raw.rindex(b"PK\x05\x06") + 19] ^= 0x40  # the offset's high byte
    file.write_bytes(bytes(raw))
    assert "damaged" in raises_named("file", h.load_path, file)


@pytest.mark.parametrize("direction", ["", "ab", [1 + 1j, 0, 0], [[1.0, 0.0, 0.0]]])
def test_a_direction_that_is_not_a_real_vector_is_refused_by_name(fold, direction):
    """'' was a bare 'could not convert string to float'; a complex vector lost its
    imaginary part."""
    raises_named("direction", h.track, fold, direction=direction)
