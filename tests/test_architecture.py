"""The package's module graph (issue 10): no import cycle, and the tracker's parts depend only
on the problem protocol, never on a concrete problem."""

import ast
import pathlib

import pytest


PKG = pathlib.Path(__file__).resolve().parent.parent / "homotopy"
MODULES = sorted(p.stem for p in PKG.glob("*.py") if p.stem != "__init__")


def _imports(module: str) -> set[str]:
    """The homotopy modules `module` imports anywhere in its text (also inside functions:
    a lazy import is still a dependency)."""
    tree = ast.parse((PKG / f"{module}.py").read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:
                out.add(node.module.split(".")[0])
            elif node.level == 1:
                out.update(a.name for a in node.names)
            elif node.module and node.module.startswith("homotopy."):
                out.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            out.update(a.name.split(".")[1] for a in node.names if a.name.startswith("homotopy."))
    return out & set(MODULES)


GRAPH = {m: _imports(m) for m in MODULES}


def test_the_graph_is_read():
    # the parser sees the edges we know are there (so the cycle test below can fail)
    assert {"correctors", "predictors", "events", "protocol"} <= GRAPH["tracker"]
    assert "tracker" in GRAPH["batch"]


def test_no_import_cycle():
    state: dict[str, int] = {}

    def visit(m, stack):
        if state.get(m) == 1:
            raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(m) :] + [m]))
        if state.get(m) == 2:
            return
        state[m] = 1
        for n in sorted(GRAPH[m]):
            visit(n, stack + [m])
        state[m] = 2

    for m in MODULES:
        visit(m, [])


def _reach(m: str) -> set[str]:
    seen, todo = set(), [m]
    while todo:
        for n in GRAPH[todo.pop()]:
            if n not in seen:
                seen.add(n)
                todo.append(n)
    return seen


@pytest.mark.parametrize(
    "part",
    [
        "tracker",
        "predictors",
        "correctors",
        "step_size",
        "events",
        "termination",
        "divergence",
        "protocol",
        "path",
        "manifold",
    ],
)
def test_parts_depend_on_the_protocol_not_on_a_problem(part):
    deps = _reach(part)
    assert "problems" not in deps and "network" not in deps and "activations" not in deps
    assert "plotting" not in deps and "cli" not in deps
