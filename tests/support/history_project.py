"""A project for `distill test`: users table, an email index, models that match."""

from __future__ import annotations

from pathlib import Path

from support.cli_project import new_project, write_revision

USERS = (
    "op.create_table('users', sa.Column('id', sa.Integer, primary_key=True), "
    "sa.Column('email', sa.String(50)))"
)
INDEX = "op.create_index('ix_users_email', 'users', ['email'])"
DROP_INDEX = "op.drop_index('ix_users_email', table_name='users')"

MODELS = """\
import sqlalchemy as sa

metadata = sa.MetaData()
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(50), index=True),
)
"""


def history_project(tmp_path: Path, url: str | None = None, index_undo: str = DROP_INDEX) -> Path:
    """Two revisions (users, then its email index) and models that match them."""
    project = new_project(tmp_path, url)
    write_revision(project, "a1", None, USERS, "op.drop_table('users')")
    write_revision(project, "b2", "a1", INDEX, index_undo)
    (project / "models.py").write_text(MODELS)
    env = project / "migrations" / "env.py"
    env.write_text(
        env.read_text().replace(
            "target_metadata = None", "from models import metadata as target_metadata"
        )
    )
    return project
