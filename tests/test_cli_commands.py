"""Every command through the real CLI, on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support.cli_project import new_project, ok, tables, versions, write_revision


def create(table: str) -> tuple[str, str]:
    """Revision bodies creating and dropping a one-column table."""
    return (
        f'op.create_table("{table}", sa.Column("id", sa.Integer, primary_key=True))',
        f'op.drop_table("{table}")',
    )


def branched_project(tmp_path: Path, url: str) -> Path:
    """aaa111 -> bbb222 -> (ccc111 | ccc333) -> mmm999 -> ddd444."""
    project = new_project(tmp_path, url)
    write_revision(project, "aaa111", None, *create("t_a"))
    write_revision(project, "bbb222", "aaa111", *create("t_b"))
    write_revision(project, "ccc111", "bbb222", *create("t_c1"))
    write_revision(project, "ccc333", "bbb222", *create("t_c3"))
    merge = project / "migrations" / "versions" / "mmm999_x.py"
    write_revision(project, "mmm999", None, *create("t_m"))
    merge.write_text(
        merge.read_text().replace("down_revision = None", "down_revision = ('ccc111', 'ccc333')")
    )
    write_revision(project, "ddd444", "mmm999", *create("t_d"))
    return project


def test_upgrade_downgrade_current_through_branches_and_merge(tmp_path: Path, db_url: str) -> None:
    project = branched_project(tmp_path, db_url)
    ok(project, "upgrade", "+2")
    assert versions(db_url) == ["bbb222"]
    assert ok(project, "current").split() == ["bbb222", "(branchpoint)"]
    ok(project, "upgrade", "ccc111")
    assert versions(db_url) == ["ccc111"]
    ok(project, "upgrade", "heads")
    assert versions(db_url) == ["ddd444"]
    assert "t_d" in tables(db_url)
    ok(project, "downgrade", "ccc111")
    assert versions(db_url) == ["ccc111", "ccc333"]
    assert "t_m" not in tables(db_url)
    ok(project, "downgrade", "ccc333-1")
    assert versions(db_url) == ["bbb222"]
    ok(project, "downgrade", "base")
    assert versions(db_url) == []
    assert tables(db_url) == ["alembic_version"]


def test_stamp_and_purge(tmp_path: Path, db_url: str) -> None:
    project = branched_project(tmp_path, db_url)
    ok(project, "stamp", "ccc111", "ccc333")
    assert versions(db_url) == ["ccc111", "ccc333"]
    assert tables(db_url) == ["alembic_version"]  # stamping runs no migration
    ok(project, "stamp", "mmm999")
    assert versions(db_url) == ["mmm999"]
    ok(project, "stamp", "--purge", "aaa111")
    assert versions(db_url) == ["aaa111"]
    ok(project, "stamp", "base")
    assert versions(db_url) == []


def test_offline_sql_runs_nothing(tmp_path: Path, db_url: str) -> None:
    project = branched_project(tmp_path, db_url)
    sql = ok(project, "upgrade", "heads", "--sql")
    assert "CREATE TABLE alembic_version" in sql
    assert "-- Running upgrade  -> aaa111" in sql
    assert "CREATE TABLE t_d" in sql
    assert tables(db_url) == []
    partial = ok(project, "upgrade", "aaa111:bbb222", "--sql")
    assert "CREATE TABLE alembic_version" not in partial
    assert "UPDATE alembic_version SET version_num='bbb222'" in partial
    down = ok(project, "downgrade", "ddd444:bbb222", "--sql")
    assert "-- Running downgrade mmm999 -> ccc111, ccc333" in down


def test_heads_history_show_branches(tmp_path: Path) -> None:
    project = branched_project(tmp_path, f"sqlite:///{tmp_path / 'x.db'}")
    assert ok(project, "heads") == "ddd444 (head)\n"
    history = ok(project, "history").splitlines()
    assert history[0] == "mmm999 -> ddd444 (head), rev ddd444"
    assert history[-1] == "<base> -> aaa111, rev aaa111"
    assert ok(project, "history", "-r", "aaa111:bbb222").splitlines() == [
        "aaa111 -> bbb222 (branchpoint), rev bbb222",
        "<base> -> aaa111, rev aaa111",
    ]
    shown = ok(project, "show", "mmm999")
    assert shown.startswith("Rev: mmm999 (mergepoint)\nMerges: ccc111, ccc333\n")
    assert ok(project, "branches").startswith("bbb222 (branchpoint)\n")


def test_revision_and_merge_write_files(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    ok(project, "revision", "-m", "first", "--rev-id", "aaa111")
    ok(project, "revision", "-m", "second", "--rev-id", "bbb222")
    ok(project, "revision", "-m", "side", "--rev-id", "ccc333", "--head", "aaa111", "--splice")
    assert sorted(ok(project, "heads").split()) == ["(head)", "(head)", "bbb222", "ccc333"]
    ok(project, "merge", "heads", "-m", "join", "--rev-id", "mmm999")
    assert ok(project, "heads") == "mmm999 (head)\n"
    text = (project / "migrations" / "versions" / "mmm999_join.py").read_text()
    assert "down_revision: str | Sequence[str] | None = ('bbb222', 'ccc333')" in text


def test_ensure_version_creates_only_the_table(tmp_path: Path, db_url: str) -> None:
    project = new_project(tmp_path, db_url)
    ok(project, "ensure_version")
    assert tables(db_url) == ["alembic_version"]


def test_current_verbose_masks_password(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    out = ok(project, "current", "-v")
    assert out.startswith("Current revision(s) for sqlite:///")


def test_list_templates_and_version(tmp_path: Path) -> None:
    out = ok(tmp_path, "list_templates")
    for name in ("generic", "async", "multidb", "pyproject"):
        assert f"\n{name} - " in out
    assert ok(tmp_path, "--version").startswith("distill ")


def test_python_api_matches_alembic_command_signatures() -> None:
    import inspect

    import alembic.command as reference

    from distill import command

    for name in [
        "list_templates",
        "init",
        "revision",
        "merge",
        "upgrade",
        "downgrade",
        "show",
        "history",
        "heads",
        "branches",
        "current",
        "stamp",
        "edit",
        "ensure_version",
    ]:
        theirs = list(inspect.signature(getattr(reference, name)).parameters.items())
        # distill's additions are keyword-only, so no Alembic call can reach them
        ours = [
            (n, p)
            for n, p in inspect.signature(getattr(command, name)).parameters.items()
            if p.kind is not p.KEYWORD_ONLY or n in dict(theirs)
        ]
        assert [(n, p.kind, p.default) for n, p in ours] == [
            (n, p.kind, p.default) for n, p in theirs
        ], name


def test_edit_opens_the_revision_file_in_editor(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    ok(project, "revision", "-m", "first", "--rev-id", "aaa111")
    editor = f"{sys.executable} -c \"import sys; open(sys.argv[1], 'a').write('# edited')\""
    result = subprocess.run(
        [sys.executable, "-m", "distill", "edit", "aaa1"],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "EDITOR": editor},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    path = project / "migrations" / "versions" / "aaa111_first.py"
    assert path.read_text().endswith("# edited")
