"""Argument checks shared at the API edge: each refuses bad input with a ValueError whose
message starts with the argument's name and a colon, and says what would be valid.

Numbers, integers and flags (`check_number`, `check_int`, `check_bool`) refuse ``bool`` as a
number and numbers as flags: ``True`` is an ``int`` in Python, and ``tol=True`` silently
meant ``tol=1.0``. Arrays (`check_array`) refuse complex, object and string data rather than
casting them. `check_maps` traces a problem's H and Jacobian abstractly (`jax.eval_shape`)
once per problem structure, so that a map JAX cannot trace, or one of the wrong shape, is
refused before the loop is compiled.
"""

from __future__ import annotations

import collections
import math
import numbers
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np


#: the range of a ‖H‖ tolerance (`track`'s `tol`, `Path.at`'s). ‖H‖ ≤ tol is an absolute
#: test, and the float64 value of H at the exact solution rounded to float64 is already
#: ~ε·(the size of H's terms): below 1e-15 no point passes even on a unit-scale 3 × 2 problem
#: (tol = 1e-30 ended INVALID_START, blaming the start). Above 1e-2 points far from the curve
#: pass as solutions (tol = 1 misses a fold pair; tol = 1e3 reported SUCCESS at a w_end with
#: ‖H‖ = 1e-2, far from the true one). The floor grows with the size and scale of H (a
#: 200 × 11 unit-scale problem needs tol ≥ 3e-15).
TOL_RANGE = (1e-15, 1e-2)

#: the largest integer option (`max_steps`, `max_newton`, …): the compiled loop counts in
#: int32 and caps attempts at 4·max_steps, so a larger value wrapped around (max_steps = 2³¹
#: ended MAX_STEPS at once, max_newton = 2³¹ STEP_FAILURE, 10²⁰ an OverflowError from jit)
INT_MAX = (2**31 - 1) // 4


def check_lam(lam: Any, name: str = "lam") -> float:
    """λ as a float in [0, 1], or a ValueError naming `name`."""
    try:
        value = float(lam)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a float in [0, 1], got {lam!r}") from None
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name}: expected a float in [0, 1], got {value}")
    return value


#: dtype kinds refused as data: complex (a cast drops the imaginary part with only a numpy
#: warning), object, strings, bytes, void, dates and durations (not numbers)
_NOT_REAL = {
    "c": "complex values", "O": "objects", "U": "strings", "S": "bytes", "V": "raw records",
    "M": "dates", "m": "durations",
}  # fmt: skip


def check_real_dtype(name: str, arr: np.ndarray) -> None:
    """A ValueError naming `name` unless `arr` holds real numbers (bool, int or float)."""
    what = _NOT_REAL.get(arr.dtype.kind)
    if what is None:
        return
    hint = (
        "pass np.real(...) if the imaginary part is meant to be dropped"
        if arr.dtype.kind == "c"
        else "convert it with np.asarray(..., dtype=float) if its entries are numbers"
    )
    raise ValueError(
        f"{name}: {what} (dtype {arr.dtype}); expected a real numeric array (bool, int or "
        f"float): {hint}"
    )


def check_array(name: str, a: Any, ndim: tuple[int, ...] | None = None) -> np.ndarray:
    """`a` as a finite float64 numpy array (of one of the dimensions `ndim`, if given),
    or a ValueError naming `name`."""
    if isinstance(a, np.ma.MaskedArray) and np.ma.is_masked(a):
        # np.asarray drops the mask: the masked entries' hidden values would be used as data
        raise ValueError(
            f"{name}: a masked array with {int(np.ma.count_masked(a))} masked entries; fill "
            "them (np.ma.filled) or remove those rows"
        )
    try:
        raw = np.asarray(a)
    except (TypeError, ValueError) as err:  # e.g. a ragged nested list
        raise ValueError(f"{name}: not a real numeric array ({err})") from None
    check_real_dtype(name, raw)
    try:
        # a longdouble beyond float64's range becomes inf (refused below), not a warning
        with np.errstate(over="ignore"):
            arr = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name}: not a real numeric array ({err})") from None
    if ndim is not None and arr.ndim not in ndim:
        want = " or ".join(f"{n}-D" for n in ndim)
        raise ValueError(f"{name}: expected a {want} array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: contains NaN or infinite entries")
    return arr


def is_number(v: Any) -> bool:
    """Whether `v` is a real number: an int, float, Fraction or numpy scalar, not a bool."""
    # bool is an int (and numpy's a number-like scalar): a flag is not a number
    return isinstance(v, numbers.Real) and not isinstance(v, bool | np.bool_)


def real_scalar(v: Any) -> float:
    """`v` as a float: a real number or a 0-d real array (e.g. a JAX scalar), not a bool, a
    string (``float('1')`` parses it) or a complex number; TypeError otherwise."""
    if type(v) is float or type(v) is int:  # the common case, on every track(): no ABC check
        return float(v)
    if isinstance(v, bool | np.bool_ | str | bytes):
        raise TypeError(type(v).__name__)
    if is_number(v):
        return float(v)
    a = np.asarray(v)
    if a.ndim != 0 or a.dtype.kind not in "iuf":
        raise TypeError(type(v).__name__)
    return float(a)


def _interval(lo: float, hi: float, lo_closed: bool, hi_closed: bool) -> str:
    if hi == math.inf:
        return "a positive finite number" if lo == 0 and not lo_closed else f"a number ≥ {lo:g}"
    return f"a number in {'[' if lo_closed else '('}{lo:g}, {hi:g}{']' if hi_closed else ')'}"


def check_number(
    name: str,
    v: Any,
    lo: float = 0.0,
    hi: float = math.inf,
    *,
    lo_closed: bool = False,
    hi_closed: bool = True,
    why: str = "",
) -> float:
    """`v` as a float in the interval from `lo` to `hi` (open or closed at each end; finite),
    or a ValueError naming `name` that gives the interval and `why` it is that."""
    ok = is_number(v) and math.isfinite(v)
    if ok:
        ok = (v >= lo if lo_closed else v > lo) and (v <= hi if hi_closed else v < hi)
    if not ok:
        reason = f" ({why})" if why else ""
        raise ValueError(
            f"{name}: expected {_interval(lo, hi, lo_closed, hi_closed)}{reason}, got {v!r}"
        )
    return float(v)


def check_positive(name: str, v: Any) -> None:
    """A ValueError naming `name` unless `v` is a positive finite real number (not a bool)."""
    check_number(name, v)


def check_int(name: str, v: Any, least: int = 1, *, most: int | None = None, why: str = "") -> int:
    """`v` as an int ≥ `least` (and ≤ `most`, if given; a Python or numpy integer, not a
    bool), or a ValueError naming `name` (with `why` that is the range)."""
    if (
        not isinstance(v, numbers.Integral)
        or isinstance(v, bool | np.bool_)
        or v < least
        or (most is not None and v > most)
    ):
        if most is not None:
            want = f"an integer in [{least}, {most}]"
        else:
            want = "a positive integer" if least == 1 else f"an integer ≥ {least}"
        reason = f" ({why})" if why else ""
        raise ValueError(f"{name}: expected {want}{reason}, got {v!r}")
    return int(v)


def check_bool(name: str, v: Any) -> bool:
    """`v` as a bool (Python's or numpy's), or a ValueError naming `name`: a string such as
    ``'0'`` or ``'no'`` is truthy, and a number is not a flag."""
    if not isinstance(v, bool | np.bool_):
        raise ValueError(f"{name}: expected True or False, got {v!r}")
    return bool(v)


def check_part(name: str, spec: Any, registry: dict[str, type], base: type, **fields: Any) -> Any:
    """A part of the tracker from its name in `registry` (built with `fields`) or an instance
    of `base`, or a ValueError naming the argument `name`."""
    if isinstance(spec, base):
        if fields:
            raise ValueError(
                f"{name}: {sorted(fields)} given beside a {name} object; set them on the object"
            )
        return spec
    if isinstance(spec, str) and spec in registry:
        return registry[spec](**fields)
    raise ValueError(
        f"{name}: expected one of {tuple(registry)} or a {base.__name__}, got {spec!r}"
    )


# ---------------------------------------------------------------------------------------------
# The problem's maps, traced abstractly once per structure.


class Static:
    """Holds a non-PyTree problem as a static ``jit`` argument or a cache key, compared by
    identity (and held, so that its id is not reused by another object while it lives)."""

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Static) and other.obj is self.obj


#: structures whose maps passed `check_maps` (a bounded, insertion-ordered set)
_CHECKED: collections.OrderedDict = collections.OrderedDict()
_CHECKED_MAX = 256

_TRACEABLE = "use jax.numpy, not numpy, float() or a Python if on w or lam"


def _split(problem: Any) -> tuple[Any, Any]:
    """(dynamic, static) as the compiled tracker sees the problem: a PyTree is an argument
    (its leaves abstract, as under jit), anything else a constant."""
    leaves = jax.tree_util.tree_leaves(problem)
    if len(leaves) == 1 and leaves[0] is problem:
        return None, problem
    return problem, None


def _structure(problem: Any, n: int) -> Any:
    """What the compiled tracker's cache sees of a problem: its PyTree structure (static
    fields included) and leaf shapes and dtypes, or the object itself when it is not a
    PyTree. ``None`` when that is unhashable."""
    leaves, treedef = jax.tree_util.tree_flatten(problem)
    if len(leaves) == 1 and leaves[0] is problem:
        return (Static(problem), n)
    try:
        avals = tuple(
            (np.shape(x), np.dtype(x.dtype) if hasattr(x, "dtype") else type(x)) for x in leaves
        )
        key = (treedef, avals, n)
        hash(key)
    except TypeError:  # an unhashable static field, or a leaf that is not an array
        return None
    return key


def _first_line(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0]}" if text else type(err).__name__


def _trace(
    name: str,
    fn: Any,
    problem: Any,
    n: int,
    want: tuple[int, ...],
    what: str,
    how: str,
    action: str = "traced",
) -> None:
    """Trace ``fn(problem, w, lam)`` abstractly; a ValueError naming `name` unless it traces
    (`how` says what must) and returns a real array, `what`, of shape `want`."""
    dyn, static = _split(problem)

    def call(dyn: Any, w: Any, lam: Any) -> Any:
        return jnp.asarray(fn(dyn if static is None else static, w, lam))

    w = jax.ShapeDtypeStruct((n,), jnp.float64)
    lam = jax.ShapeDtypeStruct((), jnp.float64)
    try:
        out = jax.eval_shape(call, dyn, w, lam)
    except jax.errors.JAXTypeError as err:  # a concrete value asked of a tracer
        raise ValueError(
            f"{name}: must be traceable by JAX ({_first_line(err)}); traced at a w of shape "
            f"({n},) and a scalar lam: {how}"
        ) from err
    except Exception as err:  # whatever else the map raised: here, not from inside jit
        extra = "" if how == _TRACEABLE else f"; {how}"
        raise ValueError(
            f"{name}: raised {_first_line(err)} when {action} at a w of shape ({n},) (the "
            f"start's length) and a scalar lam{extra}"
        ) from err
    if out.shape != want:
        raise ValueError(f"{name}: expected shape {want} ({what}), got shape {out.shape}")
    if jnp.issubdtype(out.dtype, jnp.complexfloating):
        raise ValueError(f"{name}: returns complex values (dtype {out.dtype}); must be real")


def _forward_jacobian(p: Any, w: Any, lam: Any) -> Any:
    """H_u by forward mode (JVPs of H, batched): traced, it raises where H has no JVP (e.g. a
    jax.custom_vjp function), which a plain `jax.jvp` under `jax.eval_shape` defers to
    lowering."""
    u = jnp.concatenate([w, lam[None]])
    return jax.jacfwd(lambda v: p.H(v[:-1], v[-1]))(u)


def check_maps(problem: Any, n: int, forward: bool = False) -> None:
    """A ValueError naming `H` (or `jacobian`) unless the problem's ``H(w, lam)`` traces under
    JAX at a w of `n` entries and returns a real ``(n,)`` array, its ``jacobian`` (where it
    has one) a real ``(n, n + 1)`` array [H_w | H_λ], and (`forward`: the tracker's parts
    take JVPs of H) ``jax.jvp`` differentiates H.

    Abstract evaluation only (`jax.eval_shape`: no compile, no arithmetic), once per problem
    structure (a warm `track` pays a dictionary lookup): an untraceable or mis-shaped map
    would otherwise fail deep inside the compiled loop's tracing, with JAX's own message.
    """
    key = _structure(problem, n)
    key = None if key is None else (key, forward)
    if key is not None and key in _CHECKED:
        return
    what = f"one equation per unknown; n = {n} from the start"
    _trace("H", lambda p, w, lam: p.H(w, lam), problem, n, (n,), what, _TRACEABLE)
    if callable(getattr(problem, "jacobian", None)):
        if getattr(problem, "_jac", "given") is None:
            # a FunctionHomotopy without jacobian= differentiates H: a failure there is H's
            name, how = "H", "jax.jacfwd differentiates it (no jacobian= given)"
        else:
            name, how = "jacobian", _TRACEABLE
        what = f"[H_w | H_λ] for n = {n}"
        _trace(name, lambda p, w, lam: p.jacobian(w, lam), problem, n, (n, n + 1), what, how)
    if forward:
        how = (
            "the 'simplified' corrector refines tangents by JVPs of H (jax.custom_vjp "
            "functions have none): make H forward-differentiable or use corrector='newton' "
            "or 'chord'"
        )
        what = f"H_u for n = {n}"
        _trace(
            "H", _forward_jacobian, problem, n, (n, n + 1), what, how, "differentiated by jax.jvp"
        )
    if key is not None:
        _CHECKED[key] = True
        if len(_CHECKED) > _CHECKED_MAX:
            _CHECKED.popitem(last=False)
