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
