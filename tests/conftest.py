"""Shared test setup: importing homotopy first switches JAX to float64."""

import homotopy  # noqa: F401
