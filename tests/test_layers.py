"""The import direction of DESIGN.md holds: each layer imports only from layers below it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

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
    "context": {"errors", "runtime", "config", "scripts", "graph"},
    "op": {"errors", "operations", "dialects"},
    "compat": {"errors"},
    "command": {
        "autogenerate",
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
    "cli": {"errors", "command", "demo", "config", "runtime", "__init__"},
    "__init__": set(),
    "__main__": {"cli"},
}


COMPONENTS = {p.name.removesuffix(".py") for p in SRC.iterdir()}


def _component(path: Path) -> str:
    """The top-level component a source file belongs to."""
    relative = path.relative_to(SRC)
    return relative.parts[0].removesuffix(".py")


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
        for name in names:
            parts = name.split(".")
            if parts[0] == "distill":
                found.add(parts[1] if len(parts) > 1 and parts[1] in COMPONENTS else "__init__")
    return found


SOURCES = sorted(p for p in SRC.rglob("*.py") if "templates" not in p.parts)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(SRC)))
def test_module_imports_only_lower_layers(path: Path) -> None:
    component = _component(path)
    assert component in ALLOWED, f"{component} is not placed in a layer: add it to ALLOWED"
    wrong = _distill_imports(path) - ALLOWED[component] - {component}
    assert not wrong, f"{path.relative_to(SRC)} imports {sorted(wrong)} from a higher layer"


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
