"""Commands that only read revision files import no database machinery (fast start-up).

Each command runs in a fresh interpreter that lists the modules it ended up importing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.cli_project import new_project, ok, write_revision

# Run the CLI in this process, then write the names of the imported modules to argv[1].
LISTING = """
import json, sys
from distill.cli import main
out, args = sys.argv[1], sys.argv[2:]
try:
    main(args, prog_name="distill")
except SystemExit as stop:
    code = stop.code
else:
    code = 0
with open(out, "w") as handle:
    json.dump({"code": code, "modules": sorted(sys.modules)}, handle)
"""

# Packages a graph-only command must not load: each costs start-up time.
HEAVY = (
    "sqlalchemy",
    "mako",
    "logging",
    "distill.compat",
    "distill.runtime",
    "distill.operations",
    "distill.dialects",
    "distill.autogenerate",
    "distill.lint",
)


def imported(project: Path, *args: str) -> list[str]:
    """The modules a fresh `distill ARGS` imports (it must exit 0)."""
    out = project / "modules.json"
    result = subprocess.run(
        [sys.executable, "-c", LISTING, str(out), *args],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        timeout=120,
    )
    found = json.loads(out.read_text())
    assert found["code"] in (0, None), result.stderr
    return list(found["modules"])


def heavy(modules: list[str]) -> list[str]:
    """The modules of `modules` that belong to a package in HEAVY."""
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with a short history aaa -> bbb -> ccc."""
    folder = new_project(tmp_path_factory.mktemp("imports"))
    write_revision(folder, "aaa111", None)
    write_revision(folder, "bbb222", "aaa111")
    write_revision(folder, "ccc333", "bbb222")
    return folder


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("heads",),
        ("heads", "-v"),
        ("history",),
        ("history", "-r", "aaa111:ccc333", "-v"),
        ("branches",),
        ("show", "bbb222"),
        ("--version",),
    ],
    ids=lambda args: " ".join(args),
)
def test_graph_commands_import_no_database_machinery(project: Path, args: tuple[str, ...]) -> None:
    assert heavy(imported(project, *args)) == []


def test_graph_commands_still_print_what_they_did(project: Path) -> None:
    # the lighter path must not change the output
    assert ok(project, "heads").split() == ["ccc333", "(head)"]
    assert "bbb222" in ok(project, "show", "bbb222")
    assert [line.split()[0] for line in ok(project, "history").splitlines()] == [
        "bbb222",
        "aaa111",
        "<base>",
    ]


def test_current_still_loads_the_runtime(project: Path) -> None:
    # the check above would pass for a command that silently did nothing: current must work
    ok(project, "upgrade", "head")
    modules = imported(project, "current")
    assert "sqlalchemy" in modules
    assert "distill.runtime.report" in modules
    assert ok(project, "current").split() == ["ccc333", "(head)"]
