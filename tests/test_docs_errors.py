"""docs/errors.md against the code: every `Status` member (and no stale one), every checked
option with the range the code enforces (compared with the code's tables and tried at both
ends through the API), the names each argument accepts, the refused dtypes and the CLI's exit
codes. Nothing here compiles: the options are validated by `tracker.algorithm`, which builds
the parts without tracing them."""

from __future__ import annotations

import dataclasses
import inspect
import math
import pathlib
import re

import numpy as np
import pytest

import homotopy as h
from homotopy import (
    _checks,
    activations,
    cli,
    correctors,
    events,
    mlp,
    predictors,
    problems,
    step_size,
    tracker,
)


DOC = pathlib.Path(__file__).resolve().parent.parent / "docs" / "errors.md"
TEXT = DOC.read_text()


def table(heading: str, first: str) -> list[list[str]]:
    """The rows (cells, stripped) of the first table under `heading` whose header row starts
    with `first`."""
    section = TEXT.split(f"\n{heading}\n", 1)
    assert len(section) == 2, f"no heading {heading!r} in {DOC.name}"
    lines = section[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first} |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        # split on | not escaped as \|
        rows.append([c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def ticked(cell: str) -> list[str]:
    """The `backticked` words of a cell."""
    return re.findall(r"`([^`]+)`", cell)


# ----------------------------------------------------------------------------- statuses


def test_every_status_is_documented_and_none_is_stale():
    rows = table("## Statuses", "status")
    documented = {ticked(r[0])[0]: ticked(r[1])[0] for r in rows}
    assert documented == {s.name: s.value for s in h.Status}
    assert all(len(r[2]) > 20 for r in rows)  # each with a meaning


# ------------------------------------------------------------------------------ options


def _number(text: str) -> float:
    text = text.strip()
    return math.inf if text == "∞" else float(text)


def parse_range(cell: str) -> tuple[float, float, bool, bool, bool, bool]:
    """(lo, hi, lo_closed, hi_closed, integer, none_allowed) of 'a number in [1e-15, 0.01]',
    'an integer in [1, 536870911], or None', …"""
    m = re.fullmatch(
        r"an? (number|integer) in ([\[(])\s*([^,]+),\s*([^\])]+)([\])])(, or None)?", cell
    )
    assert m, f"unreadable range {cell!r}"
    kind, lb, lo, hi, rb, none = m.groups()
    return _number(lo), _number(hi), lb == "[", rb == "]", kind == "integer", none is not None


OPTIONS = {ticked(r[0])[0]: r for r in table("### Tracker options", "option")}
DEFAULTS = {f.name: f.default for f in dataclasses.fields(step_size.AllgowerGeorg)} | {
    f.name: f.default for f in dataclasses.fields(tracker.TrackerOptions)
}


def test_every_checked_option_is_documented_and_none_is_stale():
    code = (
        set(tracker.NUMBER_OPTIONS)
        | set(tracker.INT_OPTIONS)
        | set(step_size.CONTROLLER_OPTIONS)
        | {"turning_tol", "w_max"}
    )
    assert set(OPTIONS) == code
    # every numeric field of TrackerOptions is in the code's tables (so, by the line above,
    # on the page)
    for f in dataclasses.fields(tracker.TrackerOptions):
        if f.type == "float" or f.type.startswith("int"):
            assert f.name in tracker.NUMBER_OPTIONS or f.name in tracker.INT_OPTIONS


def test_documented_ranges_are_the_codes_tables():
    for name, (lo, hi, ends, _why) in tracker.NUMBER_OPTIONS.items():
        assert parse_range(OPTIONS[name][1])[:4] == (lo, hi, ends[0] == "[", ends[1] == "]"), name
    for name, least in tracker.INT_OPTIONS.items():
        lo, hi, lo_c, hi_c, integer, _ = parse_range(OPTIONS[name][1])
        assert (lo, hi, lo_c, hi_c, integer) == (least, _checks.INT_MAX, True, True, True), name
    assert parse_range(OPTIONS["tol"][1])[:2] == tracker.TOL_RANGE == _checks.TOL_RANGE


def _accepted(**kwargs) -> bool:
    """Whether the options are valid (a refusal must name one of them)."""
    try:
        tracker.algorithm(**kwargs)
    except ValueError as err:
        assert any(str(err).startswith(f"{k}:") for k in kwargs), err
        return False
    return True


def _partners(name: str, value: float) -> dict[str, float]:
    """The documented ordering partner (the 'also' column) set so that `value` satisfies it:
    'below P' gets P = 2·value, 'above P' gets P = value/2, '≤'/'≥ P' gets P = value."""
    also = OPTIONS[name][2]
    if not also:
        return {}
    (partner,) = ticked(also)
    if also.startswith("above"):
        return {partner: value / 2}
    if also.startswith("below"):
        return {partner: value * 2}
    return {partner: value}  # ≤ or ≥: equal is allowed


def _inside_values(lo, hi, lo_closed, hi_closed, integer) -> list:
    if integer:
        return [int(lo), int(hi)]
    # just inside an open end (1e-300 above 0, where a partner's value/2 stays positive)
    out = [lo if lo_closed else (1e-300 if lo == 0 else float(np.nextafter(lo, math.inf)))]
    if math.isfinite(hi):
        out.append(hi if hi_closed else float(np.nextafter(hi, -math.inf)))
    else:
        out.append(1e300)
    return out


def _outside_values(lo, hi, lo_closed, hi_closed, integer) -> list:
    if integer:
        return [int(lo) - 1, int(hi) + 1, float(lo), True, "1"]
    out = [float(np.nextafter(lo, -math.inf)) if lo_closed else lo, math.nan, math.inf, True]
    if math.isfinite(hi):
        out.append(float(np.nextafter(hi, math.inf)) if hi_closed else hi)
    return out + ["0.5"]


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_each_documented_range_is_what_the_api_enforces(name):
    """The page's range, tried through the API: both ends (inside: accepted, outside or at
    an open end: refused naming the option), NaN, inf, a bool and a string refused, None
    accepted exactly where the page says 'or None'."""
    lo, hi, lo_c, hi_c, integer, none_ok = parse_range(OPTIONS[name][1])
    for v in _inside_values(lo, hi, lo_c, hi_c, integer):
        assert _accepted(**{name: v}, **_partners(name, v)), (name, v)
    for v in _outside_values(lo, hi, lo_c, hi_c, integer):
        assert not _accepted(**{name: v}), (name, v)
    if name != "turning_tol":  # turning_tol=None is refused: it has no 'not given' value
        assert _accepted(**{name: None}) == none_ok, name


@pytest.mark.parametrize("name", sorted(n for n in OPTIONS if OPTIONS[n][2]))
def test_each_documented_ordering_is_enforced(name):
    """Against the partner's default: 'below P' / 'above P' refuse P itself, '≤ P' refuses
    2·P, '≥ P' a value between the range's low end and P, each naming the option given;
    with the partner moved as the page says, the same value is accepted."""
    also = OPTIONS[name][2]
    (partner,) = ticked(also)
    p = DEFAULTS[partner]
    lo = parse_range(OPTIONS[name][1])[0]
    value = {"≤": 2 * p, "≥": (lo + p) / 2}.get(also[0], p)
    assert not _accepted(**{name: value})
    assert _accepted(**{name: value}, **_partners(name, value))


def test_the_named_arguments_accept_exactly_the_documented_names():
    rows = {ticked(r[0])[0]: r[1] for r in table("### Tracker options", "argument")}
    names = {k: [w for w in ticked(v) if not w.startswith("Abstract")] for k, v in rows.items()}
    assert names["method"] == ["arclength", "natural"]
    assert names["predictor"] == list(predictors.PREDICTORS)
    assert names["corrector"] == list(correctors.CORRECTORS)
    assert names["controller"] == list(step_size.CONTROLLERS)
    assert names["events"] == list(events.EVENTS)
    assert names["divergence"][:2] == ["network", "none"]
    for part in ("method", "predictor", "corrector", "controller", "divergence"):
        for value in names[part]:
            if value != "None":
                assert _accepted(**{part: value}), (part, value)
        assert not _accepted(**{part: names[part][0].upper()})  # names are exact
    assert _accepted(events=names["events"])


def test_the_data_settings_accept_exactly_the_documented_names():
    # the lower-case names (not `MLPHomotopy`, `True`, …)
    rows = {
        ticked(r[0])[0]: [w for w in ticked(r[1]) if w[0].islower()]
        for r in table("The settings:", "argument")
    }
    assert rows["activation"] == list(activations.BUILTIN_ACTIVATIONS)
    assert rows["objective"] == list(problems.OBJECTIVES)
    assert rows["output"] == list(mlp.OUTPUTS)


def test_the_refused_dtypes_are_the_checks():
    rows = table(
        "### Data: `NaturalHomotopy`, `MLPHomotopy`, `track_many` arrays, the CLI's files",
        "dtype kind",
    )
    assert {ticked(r[0])[0]: r[1] for r in rows} == _checks._NOT_REAL
    # and each is refused, as the page says, by its description
    X = np.zeros((3, 2))
    examples = {"c": X + 1j, "O": X.astype(object), "U": X.astype(str), "S": X.astype(bytes),
                "V": np.zeros((3, 2), [("a", "f8")]), "M": X.astype("datetime64[s]"),
                "m": X.astype("timedelta64[s]")}  # fmt: skip
    for kind, what in _checks._NOT_REAL.items():
        with pytest.raises(ValueError, match=f"^X: {what}"):
            h.NaturalHomotopy(examples[kind], np.zeros(3))


# ------------------------------------------------------------------------ exceptions, CLI


def test_the_documented_exceptions_are_the_codes():
    rows = table("## Exceptions", "exception")
    assert "`homotopy.problems.RankError` (a `ValueError`)" in [r[0] for r in rows]
    assert issubclass(problems.RankError, ValueError)
    with pytest.raises(problems.RankError, match="^X: "):
        h.track(h.NaturalHomotopy(np.ones((3, 2)), np.zeros(3)))


def test_the_documented_exit_codes_are_mains(capsys):
    codes = {int(r[0]) for r in table("## Exceptions", "exit code")}
    returned = {int(c) for c in re.findall(r"return (\d+)", inspect.getsource(cli.main))}
    assert returned | {0} == codes  # 0 is each command's own success
    assert cli.main(["trace", "/nonexistent/data.csv"]) == 2
    assert capsys.readouterr().err.startswith("homotopy: error: DATA: ")


def test_the_documented_estimator_exceptions_are_the_codes():
    hs = pytest.importorskip("homotopy.sklearn")
    rows = [r[0] for r in table("## Exceptions", "exception")]
    for name in ("PathNotConverged", "NoBranchStart"):
        assert f"`homotopy.sklearn.{name}` (a `RuntimeError`)" in rows
        assert issubclass(getattr(hs, name), RuntimeError)
