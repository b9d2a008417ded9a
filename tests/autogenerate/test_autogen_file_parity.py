"""The written file: for the same change, `distill revision --autogenerate` and
`alembic revision --autogenerate` write the same op calls, with the same arguments, into
upgrade() and downgrade() of copies of one `alembic init` project, on all three databases.

Compared as parsed calls, so what differs on purpose does not count: layout (distill
writes one call per line where Alembic wraps), comments (distill's data-loss notes),
the order of ops (distill drops last), `op.f()` around a name the database gave back,
and the order of a new table's constraints.
"""

from __future__ import annotations

import ast
import shutil
from collections import Counter
from pathlib import Path

import sqlalchemy as sa
from support.alembic_projects import run
from support.autogen import create

BEFORE = """\
import sqlalchemy as sa

metadata = sa.MetaData()
sa.Table(
    "user",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(50)),
    sa.Column("age", sa.Integer, index=True),
    sa.Column("gone", sa.Integer),
)
sa.Table(
    "legacy",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("uid", sa.Integer, sa.ForeignKey("user.id")),
)
"""

AFTER = """\
import sqlalchemy as sa

metadata = sa.MetaData(naming_convention={"ix": "ix_%(column_0_label)s"})
sa.Table(
    "user",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("email", sa.String(200), index=True, unique=True),
    sa.Column("age", sa.Integer),
    sa.Column("created", sa.DateTime(timezone=True)),
    comment="people",
)
sa.Table(
    "post",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("user.id", ondelete="CASCADE")),
    sa.Column("body", sa.Text),
    sa.Column("price", sa.Numeric(10, 2)),
    sa.Column("flag", sa.Boolean, server_default=sa.false()),
    sa.Index("ix_post_body_price", "body", "price"),
)
"""


def _project(folder: Path, url: str) -> Path:
    folder.mkdir()
    run("alembic", folder, "init", "migrations")
    ini = folder / "alembic.ini"
    ini.write_text(
        ini.read_text()
        .replace("# prepend_sys_path = .", "prepend_sys_path = .")
        .replace(
            "sqlalchemy.url = driver://user:pass@localhost/dbname",
            f"sqlalchemy.url = {url.replace('%', '%%')}",
        )
    )
    env = folder / "migrations" / "env.py"
    env.write_text(
        env.read_text().replace(
            "target_metadata = None", "import models\ntarget_metadata = models.metadata"
        )
    )
    (folder / "models.py").write_text(AFTER)
    return folder


class _Plain(ast.NodeTransformer):
    """op.f('name') -> 'name'; a create_table's constraints in a fixed order."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if ast.unparse(node.func) == "op.f" and len(node.args) == 1:
            return node.args[0]
        if ast.unparse(node.func) == "op.create_table":
            name, *items = node.args
            columns = [item for item in items if "sa.Column(" in ast.unparse(item)[:10]]
            others = sorted((i for i in items if i not in columns), key=ast.unparse)
            node.args = [name, *columns, *others]
        return node


def _calls(project: Path) -> dict[str, Counter[str]]:
    """Each function's op calls of the one revision file, as normalised source."""
    [path] = (project / "migrations" / "versions").glob("*.py")
    tree = ast.parse(path.read_text())
    found: dict[str, Counter[str]] = {}
    for function in tree.body:
        if isinstance(function, ast.FunctionDef):
            calls = [
                ast.unparse(_Plain().visit(statement.value))
                for statement in function.body
                if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)
            ]
            found[function.name] = Counter(calls)
    return found


def test_written_revision_matches_alembic(tmp_path: Path, db_url: str) -> None:
    namespace: dict[str, object] = {}
    exec(BEFORE, namespace)  # the database as the previous models made it
    before = namespace["metadata"]
    assert isinstance(before, sa.MetaData)
    create(db_url, before)
    template = _project(tmp_path / "template", db_url)
    files = {}
    for tool in ("alembic", "distill"):
        project = Path(shutil.copytree(template, tmp_path / tool))
        run(tool, project, "revision", "--autogenerate", "-m", "change", "--rev-id", "abc123")
        files[tool] = _calls(project)
    assert files["alembic"]["upgrade"], files  # the change is there to compare
    assert files["distill"] == files["alembic"]
