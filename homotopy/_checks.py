"""Argument checks shared at the API edge: each refuses bad input with a ValueError naming it."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def check_lam(lam: Any, name: str = "lam") -> float:
    """λ as a float in [0, 1], or a ValueError naming `name`."""
    try:
        value = float(lam)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a float in [0, 1], got {lam!r}") from None
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name}: expected a float in [0, 1], got {value}")
    return value


def check_array(name: str, a: Any, ndim: tuple[int, ...] | None = None) -> np.ndarray:
    """`a` as a finite float64 numpy array (of one of the dimensions `ndim`, if given),
    or a ValueError naming `name`."""
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name}: not a real numeric array ({err})") from None
    if ndim is not None and arr.ndim not in ndim:
        want = " or ".join(f"{n}-D" for n in ndim)
        raise ValueError(f"{name}: expected a {want} array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: contains NaN or infinite entries")
    return arr


def check_positive(name: str, v: Any) -> None:
    """A ValueError naming `name` unless `v` is a positive finite real number (not a bool)."""
    # bool is an int: refuse it explicitly
    if not isinstance(v, int | float | np.floating) or isinstance(v, bool):
        raise ValueError(f"{name}: expected a positive finite number, got {v!r}")
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"{name}: expected a positive finite number, got {v!r}")


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
