"""Argument checks shared at the API edge: each refuses bad input with a ValueError naming it."""

from __future__ import annotations

from typing import Any


def check_lam(lam: Any, name: str = "lam") -> float:
    """λ as a float in [0, 1], or a ValueError naming `name`."""
    try:
        value = float(lam)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a float in [0, 1], got {lam!r}") from None
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name}: expected a float in [0, 1], got {value}")
    return value
