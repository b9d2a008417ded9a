"""The import direction of DESIGN.md holds: each layer imports only from layers below it.

compat loads the modules it serves by name, so its edges come from its table
(`compat.served_modules()`) as well as from its import statements.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from distill import compat

SRC = Path(__file__).resolve().parents[1] / "src" / "distill"

# component -> the distill components it may import (itself always allowed).
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "graph": {"errors"},
    "config": {"errors"},
    "dialects": {"errors"},
    "operations": {"errors", "dialects"},
    "scripts": {"errors", "graph", "config"},
    "autogenerate": {"errors", "operations", "dialects", "config", "graph", "scripts"},
    "runtime": {"errors", "graph", "config", "scripts", "operations", "dialects"},
    "lint": {"errors", "graph", "config", "scripts", "operations", "dialects"},
    "context": {"errors", "runtime", "config", "scripts", "graph"},
    "op": {"errors", "operations", "dialects"},
    # compat serves alembic.command from command, and command turns compat on while
    # env.py runs: the one pair of layers that reach each other (compat only by name)
    "compat": {
        "autogenerate",
        "command",
        "config",
        "context",
        "dialects",
        "errors",
        "op",
        "operations",
        "runtime",
        "scripts",
    },
    "command": {
        "autogenerate",
        "lint",
        "errors",
        "graph",
        "config",
        "scripts",
        "runtime",
        "operations",
        "dialects",
        "context",
        "op",
        "compat",
    },
    "demo": {"errors", "config", "command"},
    # distill test and the pytest plugin drive env.py through command, like an application
    "testing": {
        "errors",
        "graph",
        "config",
        "scripts",
        "dialects",
        "runtime",
        "autogenerate",
        "command",
    },
    # a fleet runs each target through command, in a process of its own
    "fleet": {"errors", "config", "command", "dialects", "runtime", "graph", "scripts"},
    # squash builds on a scratch database as distill test does, and records data
    # statements as lint does
    "squash": {
        "errors",
        "graph",
        "config",
        "scripts",
        "dialects",
        "runtime",
        "autogenerate",
        "operations",
        "lint",
        "command",
        "compat",
        "testing",
    },
    "cli": {
        "errors",
        "command",
        "demo",
        "config",
        "runtime",
        "testing",
        "fleet",
        "squash",
        "__init__",
    },
    # install_as_alembic() turns compat on for the rest of the process
    "__init__": {"compat"},
    "__main__": {"cli"},
}


COMPONENTS = {p.name.removesuffix(".py") for p in SRC.iterdir()}


def _component(path: Path) -> str:
    """The top-level component a source file belongs to."""
    relative = path.relative_to(SRC)
    return relative.parts[0].removesuffix(".py")


def _component_of_module(name: str) -> str | None:
    """The distill component a dotted module name belongs to; None outside distill."""
    parts = name.split(".")
    if parts[0] != "distill":
        return None
    return parts[1] if len(parts) > 1 and parts[1] in COMPONENTS else "__init__"


def _distill_imports(path: Path) -> set[str]:
    """Top-level distill components imported anywhere in the file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "distill":
                names = [f"distill.{alias.name}" for alias in node.names]
            else:
                names = [node.module]
        found.update(c for c in map(_component_of_module, names) if c is not None)
    if path == SRC / "compat.py":
        found.update(_compat_table_edges())
    return found


def _compat_table_edges() -> set[str]:
    """The components compat's table serves alembic names from."""
    served = {_component_of_module(name) for name in compat.served_modules()}
    assert None not in served, "compat's table names a module outside distill"
    return {c for c in served if c is not None}


SOURCES = sorted(p for p in SRC.rglob("*.py") if "templates" not in p.parts)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(SRC)))
def test_module_imports_only_lower_layers(path: Path) -> None:
    component = _component(path)
    assert component in ALLOWED, f"{component} is not placed in a layer: add it to ALLOWED"
    wrong = _distill_imports(path) - ALLOWED[component] - {component}
    assert not wrong, f"{path.relative_to(SRC)} imports {sorted(wrong)} from a higher layer"


def test_compat_layer_lists_exactly_the_components_its_table_serves() -> None:
    # a component dropped from the table leaves no stale allowance behind
    assert ALLOWED["compat"] == _distill_imports(SRC / "compat.py") - {"compat"}


def test_layers_form_no_cycle_but_the_compat_command_pair() -> None:
    edges = {c: ALLOWED[c] - {c} for c in ALLOWED}
    edges["command"] = edges["command"] - {"compat"}

    def below(component: str, seen: tuple[str, ...]) -> None:
        assert component not in seen, f"layers form a cycle: {' -> '.join((*seen, component))}"
        for lower in edges[component]:
            below(lower, (*seen, component))

    for component in edges:
        below(component, ())


def test_package_never_imports_alembic() -> None:
    for path in SOURCES:
        for name in _distill_imports(path):
            assert name != "alembic"
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert all(not a.name.startswith("alembic") for a in node.names), path
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("alembic"), path
