"""The persistent compilation cache (`homotopy._cache`): on by default in the per-user cache
folder, moved or turned off by HOMOTOPY_CACHE_DIR or `set_compilation_cache`, reused by a
second process. Each case runs in a fresh subprocess: the cache is process-global state."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import homotopy as h
from homotopy import _cache


# One small track, then what the cache did: JAX's monitoring events count hits and misses.
CHILD = r"""
import json, sys
import jax

events = []
jax.monitoring.register_event_listener(lambda name, **kw: events.append(name))
import numpy as np
import homotopy as h
from homotopy import _cache

if len(sys.argv) > 1:
    h.set_compilation_cache(None if sys.argv[1] == "None" else sys.argv[1])
p = h.NaturalHomotopy(np.array([[1.0, 0.3], [0.2, 1.0], [0.5, -0.4]]), np.array([0.3, -0.2, 0.5]))
path = h.track(p)
print(json.dumps(dict(
    success=bool(path.success),
    dir=h.compilation_cache_dir(),
    source=_cache.compilation_cache_source(),
    hits=events.count("/jax/compilation_cache/cache_hits"),
)))
"""


def run_child(env: dict[str, str], *args: str) -> dict:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("HOMOTOPY_", "JAX_COMP"))}
    full.update(env)
    out = subprocess.run(
        [sys.executable, "-c", CHILD, *args], env=full, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_second_process_reuses_the_cache(tmp_path):
    folder = tmp_path / "cache"
    first = run_child({"HOMOTOPY_CACHE_DIR": str(folder)})
    assert first["success"] and first["dir"] == str(folder) and first["source"] == "env"
    assert first["hits"] == 0
    written = entries(folder)
    assert any(name.startswith("jit__run_packed") for name in written)

    second = run_child({"HOMOTOPY_CACHE_DIR": str(folder)})
    assert second["success"]
    # every program written (the tracker's loop, and any other that took > 0.1 s to
    # compile) is read back, none compiled again
    assert second["hits"] == len(written) >= 1
    assert entries(folder) == written


def test_default_folder_follows_the_platform_convention(tmp_path):
    if sys.platform in ("win32", "darwin"):
        pytest.skip("the XDG folder is the Linux convention")
    res = run_child({"XDG_CACHE_HOME": str(tmp_path)})
    assert res["source"] == "default"
    assert res["dir"] == str(tmp_path / "homotopy" / "jax")
    assert any(n.startswith("jit__run_packed") for n in entries(tmp_path / "homotopy" / "jax"))


@pytest.mark.parametrize("value", ["off", "0", "OFF", ""])
def test_env_turns_it_off(tmp_path, value):
    res = run_child({"HOMOTOPY_CACHE_DIR": value, "XDG_CACHE_HOME": str(tmp_path)})
    assert res["success"] and res["dir"] is None and res["source"] == "off"
    assert res["hits"] == 0 and entries(tmp_path) == []


def test_set_compilation_cache_moves_and_turns_off(tmp_path):
    moved = tmp_path / "moved"
    res = run_child({"XDG_CACHE_HOME": str(tmp_path / "xdg")}, str(moved))
    assert res["dir"] == str(moved) and res["source"] == "set_compilation_cache"
    assert any(n.startswith("jit__run_packed") for n in entries(moved))
    assert entries(tmp_path / "xdg") == []

    off = run_child({"XDG_CACHE_HOME": str(tmp_path / "xdg")}, "None")
    assert off["dir"] is None and off["hits"] == 0
    assert entries(tmp_path / "xdg") == []


def test_a_cache_configured_for_jax_is_left_alone(tmp_path):
    mine = tmp_path / "mine"
    res = run_child(
        {"JAX_COMPILATION_CACHE_DIR": str(mine), "HOMOTOPY_CACHE_DIR": str(tmp_path / "ours")}
    )
    assert res["dir"] == str(mine) and res["source"] == "jax"
    assert not (tmp_path / "ours").exists()


def test_an_unwritable_folder_does_not_break_tracking(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    res = run_child({"HOMOTOPY_CACHE_DIR": str(blocker / "cache")})
    assert res["success"]


def test_set_compilation_cache_names_a_bad_argument():
    with pytest.raises(ValueError, match="path"):
        h.set_compilation_cache(3)


def test_default_cache_dir_is_absolute_and_per_user():
    folder = _cache.default_cache_dir()
    assert folder.is_absolute() and folder.parts[-2:] == ("homotopy", "jax")
