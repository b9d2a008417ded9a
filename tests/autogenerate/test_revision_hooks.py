"""`process_revision_directives` for a plain `revision` with `revision_environment = true`:
env.py runs, its hook gets Alembic's objects and may rewrite, redirect or cancel the new
file, and a hook that raises stops the command. Each case runs under the real Alembic
and under distill on copies of one `alembic init` project, and the results must agree.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from support.alembic_projects import run

HOOK = '''
from alembic.operations import ops as _ops
from alembic.runtime.migration import MigrationContext as _MigrationContext


def _hook(context, revision, directives):
    """Check the objects, then do what HOOK_MODE says."""
    import os

    [script] = directives
    assert isinstance(context, _MigrationContext), type(context)
    assert isinstance(script, _ops.MigrationScript), type(script)
    assert isinstance(script.upgrade_ops, _ops.UpgradeOps)
    empty = os.environ.get("HOOK_EXPECT_EMPTY", "1") == "1"
    assert script.upgrade_ops.is_empty() is empty and script.downgrade_ops.is_empty() is empty
    assert revision == (), revision
    print(f"hook saw message={script.message!r}")
    mode = os.environ.get("HOOK_MODE", "")
    if mode == "rewrite":
        script.rev_id = "feedbeef0001"
        script.message = "rewritten by the hook"
    elif mode == "redirect":
        script.version_path = os.path.join(os.path.dirname(__file__), "other_versions")
    elif mode == "cancel":
        directives[:] = []
    elif mode == "no-drops":
        script.upgrade_ops.ops = [
            op for op in script.upgrade_ops.ops if type(op).__name__ != "DropTableOp"
        ]
    elif mode == "raise":
        raise RuntimeError("the hook says no")
'''


def hooked_project(folder: Path) -> Path:
    """`alembic init` with revision_environment on and the hook passed to configure()."""
    folder.mkdir()
    run("alembic", folder, "init", "migrations")
    ini = folder / "alembic.ini"
    text = ini.read_text().replace("# revision_environment = false", "revision_environment = true")
    text = text.replace(
        "sqlalchemy.url = driver://user:pass@localhost/dbname",
        "sqlalchemy.url = sqlite:///%(here)s/app.db",
    )
    other = folder / "migrations" / "other_versions"
    other.mkdir()
    text = text.replace(
        "# version_locations = %(here)s/bar:%(here)s/bat:%(here)s/alembic/versions",
        "version_locations = %(here)s/migrations/versions"
        f"{os.pathsep}%(here)s/migrations/other_versions",
    )
    ini.write_text(text)
    env = folder / "migrations" / "env.py"
    source = env.read_text().replace("target_metadata = None", "target_metadata = None\n" + HOOK)
    source = source.replace(
        "target_metadata=target_metadata",
        "target_metadata=target_metadata, process_revision_directives=_hook",
    )
    assert source.count("process_revision_directives=_hook") == 2  # offline and online
    env.write_text(source)
    return folder


def written(project: Path) -> list[str]:
    """The revision files, relative to the migration folder, with ids made comparable."""
    folder = project / "migrations"
    return sorted(
        str(path.relative_to(folder)) for path in folder.rglob("*.py") if path.name != "env.py"
    )


@pytest.fixture
def projects(tmp_path: Path) -> dict[str, Path]:
    """The same hooked project for each tool."""
    template = hooked_project(tmp_path / "template")
    return {
        tool: Path(shutil.copytree(template, tmp_path / tool, symlinks=True))
        for tool in ("alembic", "distill")
    }


def _run(tool: str, project: Path, mode: str, monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setenv("HOOK_MODE", mode)
    return run(
        tool,
        project,
        *("revision", "-m", "plain", "--rev-id", "abc123"),
        *("--version-path", "migrations/versions"),
        check=False,
    )


@pytest.mark.parametrize("mode", ["none", "rewrite", "redirect", "cancel"])
def test_hook_shapes_the_plain_revision_as_under_alembic(
    projects: dict[str, Path], mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = {tool: _run(tool, path, mode, monkeypatch) for tool, path in projects.items()}
    for tool, result in results.items():
        assert result.returncode == 0, f"{tool}: {result.stdout}\n{result.stderr}"  # type: ignore[attr-defined]
        assert "hook saw message='plain'" in result.stdout  # type: ignore[attr-defined]
    assert written(projects["distill"]) == written(projects["alembic"])
    files = written(projects["distill"])
    expected = {
        "none": ["versions/abc123_plain.py"],
        "rewrite": ["versions/feedbeef0001_rewritten_by_the_hook.py"],
        "redirect": ["other_versions/abc123_plain.py"],
        "cancel": [],
    }[mode]
    assert files == expected


def test_a_hook_that_raises_stops_the_command(
    projects: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    for tool, path in projects.items():
        result = _run(tool, path, "raise", monkeypatch)
        assert result.returncode != 0, tool  # type: ignore[attr-defined]
        assert "the hook says no" in result.stderr  # type: ignore[attr-defined]
        assert written(path) == []
    distill = _run("distill", projects["distill"], "raise", monkeypatch)
    assert "Traceback" not in distill.stderr  # type: ignore[attr-defined]


def test_python_api_hook_runs_before_env_hook(
    projects: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from distill import command
    from distill.config import Config

    monkeypatch.setenv("HOOK_MODE", "none")
    project = projects["distill"]
    calls: list[str] = []

    def first(context: object, revision: object, directives: list[object]) -> None:
        calls.append("command")
        directives[0].message = "from the caller"  # type: ignore[attr-defined]

    command.revision(
        Config(str(project / "alembic.ini")),
        "plain",
        rev_id="fedcba987654",
        version_path=str(project / "migrations" / "versions"),
        process_revision_directives=first,
    )
    assert calls == ["command"]
    assert written(project) == ["versions/fedcba987654_from_the_caller.py"]


MODELS = """\
import sqlalchemy as sa

metadata = sa.MetaData()
sa.Table("kept", metadata, sa.Column("id", sa.Integer, primary_key=True))
"""


def _with_models(project: Path) -> None:
    """models.py as target_metadata, and a database holding a table the models lack."""
    (project / "models.py").write_text(MODELS)
    env = project / "migrations" / "env.py"
    env.write_text(
        env.read_text().replace(
            "target_metadata = None\n", "import models\ntarget_metadata = models.metadata\n"
        )
    )
    ini = project / "alembic.ini"
    ini.write_text(ini.read_text().replace("# prepend_sys_path = .", "prepend_sys_path = ."))
    engine = sa.create_engine(f"sqlite:///{project / 'app.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE old (id INTEGER PRIMARY KEY)")
    engine.dispose()


@pytest.mark.parametrize("mode", ["none", "rewrite", "cancel", "no-drops"])
def test_hook_shapes_the_autogenerated_revision_as_under_alembic(
    projects: dict[str, Path], mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_MODE", mode)
    monkeypatch.setenv("HOOK_EXPECT_EMPTY", "0")
    texts = {}
    for tool, project in projects.items():
        _with_models(project)
        result = run(
            tool, project, "revision", "--autogenerate", "-m", "auto", "--rev-id", "abc123",
            "--version-path", "migrations/versions", check=False,
        )  # fmt: skip
        assert result.returncode == 0, f"{tool}: {result.stdout}\n{result.stderr}"
        assert "hook saw message='auto'" in result.stdout
        texts[tool] = {
            name: (project / "migrations" / name).read_text() for name in written(project)
        }
    assert texts["distill"].keys() == texts["alembic"].keys()
    for name, text in texts["distill"].items():
        theirs = texts["alembic"][name]
        for needle in ("op.create_table('kept'", "op.drop_table('old')"):
            assert (needle in text) == (needle in theirs), (mode, needle)
    if mode == "no-drops":
        [text] = texts["distill"].values()
        assert "op.drop_table('old')" not in text.split("def downgrade")[0]


def test_an_autogenerate_hook_that_raises_stops_the_command(
    projects: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_MODE", "raise")
    monkeypatch.setenv("HOOK_EXPECT_EMPTY", "0")
    project = projects["distill"]
    _with_models(project)
    result = run(
        "distill", project, "revision", "--autogenerate", "-m", "auto",
        "--version-path", "migrations/versions", check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "the hook says no" in result.stderr and "Traceback" not in result.stderr
    assert written(project) == []
