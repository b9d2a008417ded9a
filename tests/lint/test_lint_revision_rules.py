"""Rules about a revision as a whole: its message, downgrade(), imports and the heads."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from support.lint_project import config, new_project, rules, write_revision

from distill import command

SAFE_BODY = 'op.add_column("users", sa.Column("nickname", sa.String(20)))'


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return new_project(tmp_path)


@pytest.mark.parametrize("message", ["update", "fix", "WIP", "empty message", "changes 2", ""])
def test_vague_message_fires(project: Path, message: str) -> None:
    path = write_revision(project, SAFE_BODY, message=message)
    assert "vague-message" in rules(project, path, "sqlite")


def test_clear_message_is_silent(project: Path) -> None:
    path = write_revision(project, SAFE_BODY, message="add users.nickname")
    assert "vague-message" not in rules(project, path, "sqlite")


def test_vague_message_is_silenced_by_an_allow_comment_anywhere(project: Path) -> None:
    body = SAFE_BODY + "  # distill: allow vague-message -- history written before the rule"
    path = write_revision(project, body, message="wip")
    assert "vague-message" not in rules(project, path, "sqlite")


@pytest.mark.parametrize(
    "downgrade",
    ["pass", '"""Nothing."""', "...", 'raise NotImplementedError("no way back")'],
)
def test_empty_or_raising_downgrade_fires(project: Path, downgrade: str) -> None:
    path = write_revision(project, SAFE_BODY, downgrade=downgrade)
    assert "irreversible-downgrade" in rules(project, path, "sqlite")


@pytest.mark.parametrize(
    ("downgrade", "header"),
    [
        ('op.drop_column("users", "nickname")', ""),
        ("pass", "irreversible = True"),
        ('raise NotReversible("data is gone")', "class NotReversible(Exception): ..."),
    ],
)
def test_downgrade_or_irreversible_marker_is_silent(
    project: Path, downgrade: str, header: str
) -> None:
    path = write_revision(project, SAFE_BODY, downgrade=downgrade, header=header)
    assert "irreversible-downgrade" not in rules(project, path, "sqlite")


def test_irreversible_downgrade_is_silenced_by_its_allow_comment(project: Path) -> None:
    downgrade = "pass  # distill: allow irreversible-downgrade -- rows cannot come back"
    path = write_revision(project, SAFE_BODY, downgrade=downgrade)
    assert "irreversible-downgrade" not in rules(project, path, "sqlite")


def _application(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # prepend_sys_path = . is the working directory, as with Alembic; Python caches the
    # finder of "." with the directory it was first used in
    monkeypatch.chdir(project)
    monkeypatch.delitem(sys.path_importer_cache, ".", raising=False)
    package = project / "shopapp"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text("STATUSES = ('new', 'paid')\n")


def test_import_of_the_applications_models_fires(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _application(project, monkeypatch)
    path = write_revision(project, SAFE_BODY, header="from shopapp.models import STATUSES")
    assert "imports-app-code" in rules(project, path, "sqlite")


def test_imports_of_libraries_are_silent(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _application(project, monkeypatch)
    header = "import json\nimport click\nfrom sqlalchemy.dialects import postgresql"
    path = write_revision(project, SAFE_BODY, header=header)
    assert "imports-app-code" not in rules(project, path, "sqlite")


def test_import_of_the_application_is_silenced_by_its_allow_comment(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _application(project, monkeypatch)
    header = "import shopapp.models  # distill: allow imports-app-code -- constants only"
    path = write_revision(project, SAFE_BODY, header=header)
    assert "imports-app-code" not in rules(project, path, "sqlite")


def test_multiple_heads_is_an_error_of_the_history(project: Path) -> None:
    write_revision(project, SAFE_BODY, rev="a1", message="add users.nickname")
    write_revision(project, SAFE_BODY, rev="b1", message="add users.nickname again")
    cfg = config(project)
    report = command.lint(cfg, all_revisions=True, fmt="json")
    assert report.failed
    printed = json.loads(cfg.stdout.getvalue())  # type: ignore[attr-defined]
    [heads] = [f for f in printed["findings"] if f["rule"] == "multiple-heads"]
    assert heads["severity"] == "error"
    assert "a1" in heads["reason"] and "b1" in heads["reason"]


def test_one_head_is_silent(project: Path) -> None:
    write_revision(project, SAFE_BODY, rev="a1", message="add users.nickname")
    cfg = config(project)
    report = command.lint(cfg, all_revisions=True, fmt="json")
    assert [f.rule for f in report.findings if f.rule == "multiple-heads"] == []


def test_multidb_revision_is_recorded_per_engine(tmp_path: Path) -> None:
    from support.lint_project import lint

    project = new_project(tmp_path)
    path = project / "migrations" / "versions" / "m1_multi.py"
    path.write_text(
        '"""drop the old audit table"""\n'
        "from alembic import op\n\n"
        "revision = 'm1'\ndown_revision = None\nbranch_labels = None\ndepends_on = None\n\n\n"
        "def upgrade(engine_name):\n    globals()[f'upgrade_{engine_name}']()\n\n\n"
        "def downgrade(engine_name):\n    globals()[f'downgrade_{engine_name}']()\n\n\n"
        "def upgrade_engine1():\n    pass\n\n\n"
        "def downgrade_engine1():\n    pass\n\n\n"
        "def upgrade_engine2():\n    op.drop_table('audit')\n\n\n"
        "def downgrade_engine2():\n    raise NotImplementedError('irreversible')\n"
    )
    found = {finding.rule for finding in lint(project, path, "sqlite")}
    assert "drop-table" in found
    assert "not-recorded" not in found
