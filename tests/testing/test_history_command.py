"""`distill test` in a subprocess: a good history passes; each fault names its revision."""

from __future__ import annotations

from pathlib import Path

from support.cli_project import assert_one_line_failure, distill, tables, write_revision
from support.history_project import history_project


def test_good_history_passes_every_check(tmp_path: Path, db_url: str) -> None:
    project = history_project(tmp_path)
    result = distill(project, "test", "--url", db_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok    a1 (rev a1): upgrade, downgrade, upgrade" in result.stdout
    assert "ok    b2 (rev b2): upgrade, downgrade, upgrade" in result.stdout
    assert "ok    models match the database at b2 (rev b2)" in result.stdout
    assert "all checks passed" in result.stdout
    assert tables(db_url) == ["alembic_version"]  # walked back down to base


def test_default_scratch_is_a_temporary_file_never_the_configured_database(
    tmp_path: Path,
) -> None:
    project = history_project(tmp_path)
    result = distill(project, "test")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "scratch database: sqlite:///" in result.stdout
    assert not (project / "app.db").exists()


def test_downgrade_leaving_an_index_behind_is_named(tmp_path: Path, db_url: str) -> None:
    project = history_project(tmp_path, index_undo="pass")
    result = distill(project, "test", "--url", db_url)
    assert_one_line_failure(result, "stairway failed at revision b2", "downgrade()")
    assert result.returncode == 1
    assert "+ users: index ix_users_email (email)" in result.stdout
    assert "ok    a1" in result.stdout


def test_downgrade_that_raises_is_named(tmp_path: Path) -> None:
    project = history_project(tmp_path, index_undo="raise RuntimeError('cannot go back')")
    result = distill(project, "test")
    line = assert_one_line_failure(result, "stairway failed at revision b2", "cannot go back")
    assert "downgrade() raised" in line
    assert result.returncode == 1


def test_two_heads_are_named(tmp_path: Path) -> None:
    project = history_project(tmp_path)
    write_revision(project, "c3", "a1")
    result = distill(project, "test")
    line = assert_one_line_failure(result, "single head failed", "2 heads")
    assert "b2" in line and "c3" in line
    assert result.returncode == 1


def test_models_that_drifted_are_named_with_the_difference(tmp_path: Path) -> None:
    project = history_project(tmp_path)
    models = project / "models.py"
    models.write_text(
        models.read_text().replace(
            'sa.Column("email", sa.String(50), index=True),',
            'sa.Column("email", sa.String(50), index=True),\n    sa.Column("name", sa.String(20)),',
        )
    )
    result = distill(project, "test")
    assert_one_line_failure(result, "model match failed at revision b2", "differ")
    assert "add_column users.name" in result.stdout
    assert result.returncode == 1


def test_second_upgrade_must_recreate_the_same_schema(tmp_path: Path) -> None:
    project = history_project(tmp_path)
    write_revision(
        project,
        "c3",
        "b2",
        "op.create_table('t', sa.Column('id', sa.Integer, primary_key=True))\n"
        "    import os\n"
        "    if os.path.exists('flag'):\n"
        "        op.create_index('ix_t', 't', ['id'])\n"
        "    open('flag', 'w').close()",
        "op.drop_table('t')",
    )
    result = distill(project, "test")
    assert_one_line_failure(result, "stairway failed at revision c3", "upgrade() after downgrade()")
    assert "+ t: index ix_t (id)" in result.stdout


def test_refuses_the_configured_database_as_scratch(tmp_path: Path) -> None:
    project = history_project(tmp_path)
    url = f"sqlite:///{project / 'app.db'}"
    result = distill(project, "test", "--url", url)
    assert_one_line_failure(result, "configured in sqlalchemy.url", "--allow-configured-database")
    assert not (project / "app.db").exists()


def test_refuses_a_scratch_database_that_is_not_empty(tmp_path: Path) -> None:
    project = history_project(tmp_path)
    assert distill(project, "upgrade", "a1").returncode == 0
    url = f"sqlite:///{project / 'app.db'}"
    result = distill(project, "test", "--url", url, "--allow-configured-database")
    assert_one_line_failure(result, "not empty", "users")
    assert tables(url) == ["alembic_version", "users"]


def test_refuses_an_env_py_that_connects_elsewhere(tmp_path: Path) -> None:
    project = history_project(tmp_path)
    env = project / "migrations" / "env.py"
    elsewhere = f"sqlite:///{project / 'real.db'}"
    env.write_text(
        env.read_text()
        .replace('config.get_main_option("sqlalchemy.url")', repr(elsewhere))
        .replace(
            "config.get_section(config.config_ini_section, {})",
            f"{{'sqlalchemy.url': {elsewhere!r}}}",
        )
    )
    result = distill(project, "test")
    assert_one_line_failure(result, "instead of the scratch database")
    assert tables(elsewhere) == []
