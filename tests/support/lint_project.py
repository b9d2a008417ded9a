"""A project made by `distill init` and revision files written for lint tests."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

from distill import command
from distill.config import Config
from distill.lint import Finding

MESSAGE = "add the things this test needs"


def config(project: Path) -> Config:
    """The project's Config, printing into a buffer."""
    return Config(str(project / "distill.ini"), stdout=io.StringIO())


def new_project(folder: Path) -> Path:
    """`distill init migrations` in `folder`, on a SQLite file there."""
    command.init(config(folder), str(folder / "migrations"))
    ini = folder / "distill.ini"
    lines = [
        f"sqlalchemy.url = sqlite:///{folder / 'app.db'}"
        if line.startswith("sqlalchemy.url")
        else line
        for line in ini.read_text().splitlines()
    ]
    ini.write_text("\n".join(lines) + "\n")
    return folder


def write_revision(
    project: Path,
    body: str,
    *,
    rev: str = "a1",
    down: str | None = None,
    message: str = MESSAGE,
    downgrade: str = 'op.execute("SELECT 1")',
    header: str = "",
) -> Path:
    """A revision file whose upgrade() runs `body` (dedented)."""
    path = project / "migrations" / "versions" / f"{rev}_lint.py"
    upgrade = textwrap.indent(textwrap.dedent(body).strip(), "    ")
    undo = textwrap.indent(textwrap.dedent(downgrade).strip(), "    ")
    path.write_text(
        f'"""{message}"""\n'
        "from alembic import op\n"
        "import sqlalchemy as sa\n"
        f"{header}\n"
        f"revision = {rev!r}\n"
        f"down_revision = {down!r}\n"
        "branch_labels = None\n"
        "depends_on = None\n\n\n"
        f"def upgrade():\n{upgrade}\n\n\n"
        f"def downgrade():\n{undo}\n"
    )
    return path


def lint(project: Path, path: Path, dialect: str) -> list[Finding]:
    """The findings of one revision file on `dialect`."""
    return command.lint_file(config(project), path, dialect=dialect)


def rules(project: Path, path: Path, dialect: str) -> list[str]:
    """The rule names that fire on one revision file."""
    return [finding.rule for finding in lint(project, path, dialect)]


def with_allow(body: str, rule: str) -> str:
    """`body` with an allow comment for `rule` on its last line."""
    lines = textwrap.dedent(body).strip().splitlines()
    lines[-1] += f"  # distill: allow {rule} -- checked by hand for this test"
    return "\n".join(lines)
