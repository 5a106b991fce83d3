"""The persistent JAX compilation cache, on by default in a per-user cache folder.

Every new problem shape or set of tracker options compiles the tracker once (seconds on a
CPU). With the cache a later process reads the compiled program from disk instead: the
first `track` of a new Python session then costs tracing plus a file read.

- Default folder: ``$XDG_CACHE_HOME/homotopy/jax`` (``~/.cache/homotopy/jax``) on Linux,
  ``~/Library/Caches/homotopy/jax`` on macOS, ``%LOCALAPPDATA%\\homotopy\\Cache\\jax`` on
  Windows. JAX keys each entry by the program, the compiler options, the backend and the
  jax/jaxlib versions, so a folder shared by several versions stays correct.
- ``HOMOTOPY_CACHE_DIR=/some/folder`` moves it; ``HOMOTOPY_CACHE_DIR=off`` (or ``0``,
  ``false``, ``no``, ``none``, empty) turns it off. Read once, at ``import homotopy``.
- In Python: `set_compilation_cache` (a folder, or ``None`` for off) and
  `compilation_cache_dir`.
- A cache the user configured for JAX already (``JAX_COMPILATION_CACHE_DIR`` or
  ``jax.config.update("jax_compilation_cache_dir", ...)`` before ``import homotopy``) is
  left exactly as it is.

JAX trusts the folder's contents (it loads executables from it): keep it private to you.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import jax


ENV = "HOMOTOPY_CACHE_DIR"
_OFF = frozenset({"", "0", "off", "false", "no", "none"})
#: JAX's default skips programs that compile in under 1 s; the tracker's event refinement and
#: re-correction kernels compile in 0.2–1 s and are worth keeping too
MIN_COMPILE_SECONDS = 0.1

_state: dict[str, str | None] = {"dir": None, "source": "off"}


def default_cache_dir() -> Path:
    """The per-user cache folder of this platform, with ``homotopy/jax`` appended."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        return base / "homotopy" / "Cache" / "jax"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "homotopy" / "jax"
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base and os.path.isabs(base) else Path.home() / ".cache") / (
        "homotopy/jax"
    )


def _apply(path: str | None) -> None:
    from jax._src import compilation_cache  # private: the only way to switch folders later

    jax.config.update("jax_compilation_cache_dir", path)
    if path is not None:
        # only lower JAX's own default, never a threshold the user chose
        if jax.config.jax_persistent_cache_min_compile_time_secs == 1.0:
            jax.config.update("jax_persistent_cache_min_compile_time_secs", MIN_COMPILE_SECONDS)
    compilation_cache.reset_cache()


def set_compilation_cache(path: str | os.PathLike[str] | None) -> None:
    """Keep compiled programs in the folder `path` from now on (created when first written);
    ``None`` turns the persistent cache off. Programs compiled already stay in memory.

    **Raises:** `ValueError` naming `path` when it is neither ``None`` nor a path.
    """
    if path is None:
        _apply(None)
        _state.update(dir=None, source="off")
        return
    if not isinstance(path, str | os.PathLike):
        raise ValueError(f"path: expected a folder (str or os.PathLike) or None, got {path!r}")
    folder = os.path.abspath(os.path.expanduser(os.fspath(path)))
    _apply(folder)
    _state.update(dir=folder, source="set_compilation_cache")


def compilation_cache_dir() -> str | None:
    """The folder of JAX's persistent compilation cache now in use, or ``None`` when off."""
    return jax.config.jax_compilation_cache_dir or None


def compilation_cache_source() -> str:
    """Who chose the cache folder: ``"default"``, ``"env"`` (`ENV`), ``"jax"`` (configured
    for JAX by the user), ``"set_compilation_cache"`` or ``"off"``."""
    if _state["source"] != "jax" and compilation_cache_dir() != _state["dir"]:
        return "jax"  # changed through jax.config since
    return str(_state["source"])


def configure_default() -> None:
    """At import: the user's JAX cache if any, else `ENV`, else `default_cache_dir`."""
    if jax.config.jax_compilation_cache_dir or os.environ.get("JAX_COMPILATION_CACHE_DIR"):
        _state.update(dir=compilation_cache_dir(), source="jax")
        return
    env = os.environ.get(ENV)
    if env is not None and env.strip().lower() in _OFF:
        _state.update(dir=None, source="off")
        return
    folder = os.path.abspath(os.path.expanduser(env)) if env else str(default_cache_dir())
    _apply(folder)
    _state.update(dir=folder, source="env" if env else "default")
