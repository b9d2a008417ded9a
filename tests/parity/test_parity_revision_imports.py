"""Habits of published histories around importing revision files, run under Alembic and
distill on real projects (realworld/repros/revision_relies_on_another_revisions_import)."""

from __future__ import annotations

from pathlib import Path

from conftest import DatabaseFactory
from support.alembic_projects import Rev, make_project, run, snapshot

# prefect 9725c1cbee35: the first revision does `import prefect` and uses a submodule
# (prefect.server.utilities.database) that only later revision files import at their top
USES_SUBMODULE = Rev(
    "a1000000",
    (),
    "uses a submodule it never imports",
    upgrade="""
import appmodels
op.create_table("t", sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("kind", appmodels.types.KIND))
""",
    downgrade='op.drop_table("t")',
    preamble="import sqlalchemy as sa",
)
IMPORTS_SUBMODULE = Rev(
    "b2000000",
    ("a1000000",),
    "imports the submodule at its top",
    upgrade='op.add_column("t", sa.Column("other", appmodels.types.KIND))',
    downgrade='op.drop_column("t", "other")',
    preamble="import sqlalchemy as sa\nimport appmodels.types",
)


def _application(project: Path) -> None:
    """The application package next to alembic.ini (prepend_sys_path = .)."""
    package = project / "appmodels"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "types.py").write_text("import sqlalchemy as sa\nKIND = sa.String(20)\n")


def test_a_revision_may_use_what_a_later_revision_file_imports(
    tmp_path: Path, new_database: DatabaseFactory
) -> None:
    """Alembic imports the revision files before running any; the run sees their imports."""
    alembic_url, sqlite_url = new_database("sqlite"), new_database("sqlite")
    history = [USES_SUBMODULE, IMPORTS_SUBMODULE]
    by_alembic = make_project(tmp_path / "a", alembic_url, history)
    by_distill = make_project(tmp_path / "d", sqlite_url, history)
    for project in (by_alembic, by_distill):
        _application(project)
    for command in (["upgrade", "head"], ["downgrade", "base"], ["upgrade", "head"]):
        run("alembic", by_alembic, *command)
        run("distill", by_distill, *command)
        assert snapshot(sqlite_url) == snapshot(alembic_url), command
