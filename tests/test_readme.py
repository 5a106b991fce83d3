"""The README's quick start runs as written, and its two commands are what CI runs."""

import re
from pathlib import Path

import pytest


README = Path(__file__).resolve().parents[1] / "README.md"


def _block(after: str, lang: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(after)
    match = re.search(rf"```{lang}\n(.*?)```", text[start:], re.S)
    assert match, f"no {lang} block after {after!r}"
    return match.group(1)


def test_quick_start_runs(capsys):
    code = _block("## Quick start", "python")
    exec(compile(code, "README quick start", "exec"), {})
    out = capsys.readouterr().out
    assert "Status.SUCCESS" in out and "turning_point" in out and "'success': 1000" in out


@pytest.mark.parametrize("marker", ["<!-- main-command -->", "<!-- test-command -->"])
def test_the_two_commands_set_up_a_fresh_venv(marker):
    cmd = _block(marker, "bash").strip()
    assert cmd.startswith("python3 -m venv .venv && .venv/bin/pip install -e")
    if "main" in marker:
        assert cmd.endswith("homotopy demo")
