"""Under an Alembic project, the project's logging configuration (alembic.ini's
`[logger_alembic]`) controls distill's run lines, which log under Alembic's logger names."""

from __future__ import annotations

import re
from pathlib import Path

from support.alembic_projects import Rev, make_project, run

REVISIONS = [
    Rev("aaa111", (), "create account", 'op.execute("CREATE TABLE account (id INTEGER)")', ""),
    Rev("bbb222", ("aaa111",), "add b", 'op.execute("CREATE TABLE b (id INTEGER)")', ""),
]

EXPECTED = [
    "INFO  [alembic.runtime.migration] Context impl SQLiteImpl.",
    "INFO  [alembic.runtime.migration] Will assume transactional DDL.",
    "INFO  [alembic.runtime.migration] Running upgrade  -> aaa111, create account",
    "INFO  [alembic.runtime.migration] Running upgrade aaa111 -> bbb222, add b",
]


def _set_alembic_level(project: Path, level: str) -> None:
    ini = project / "alembic.ini"
    text = ini.read_text()
    section = re.search(r"\[logger_alembic\]\nlevel = \w+", text)
    assert section is not None, "alembic init wrote no [logger_alembic] section"
    ini.write_text(text.replace(section.group(0), f"[logger_alembic]\nlevel = {level}"))


def test_stock_alembic_ini_shows_the_lines_as_alembic_does(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", f"sqlite:///{tmp_path / 'app.db'}", REVISIONS)
    result = run("distill", project, "upgrade", "head", "--no-backup")
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == EXPECTED  # the same lines as Alembic, once each, nothing else


def test_logger_alembic_level_silences_them(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", f"sqlite:///{tmp_path / 'app.db'}", REVISIONS)
    _set_alembic_level(project, "WARN")
    result = run("distill", project, "upgrade", "head", "--no-backup")
    assert result.stderr.strip() == ""
    current = run("distill", project, "current")
    assert current.stdout.split() == ["bbb222", "(head)"]


def test_a_file_handler_on_the_alembic_logger_receives_them(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", f"sqlite:///{tmp_path / 'app.db'}", REVISIONS)
    log = tmp_path / "deploy.log"
    ini = project / "alembic.ini"
    text = ini.read_text()
    text = text.replace("[handlers]\nkeys = console", "[handlers]\nkeys = console,deploy")
    text = re.sub(
        r"\[logger_alembic\]\nlevel = \w+\nhandlers =.*\n",
        "[logger_alembic]\nlevel = INFO\nhandlers = deploy\n",
        text,
    )
    text += (
        "\n[handler_deploy]\nclass = FileHandler\n"
        f"args = ({str(log)!r},)\nlevel = NOTSET\nformatter = generic\n"
    )
    ini.write_text(text)
    run("distill", project, "upgrade", "head", "--no-backup")
    written = [line for line in log.read_text().splitlines() if line.strip()]
    assert written == EXPECTED
