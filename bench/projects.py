"""Generated projects both tools run unchanged: made by `alembic init`, then filled."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.schema import (
    TableSpec,
    element_lines,
    linear_tables,
    models_source,
    pick_parents,
    revision_id,
    table_name,
)

# The branched history repeats: one trunk revision, BRANCHES branches of BRANCH_LENGTH
# revisions each, and a merge of their tips.
BRANCHES = 3
BRANCH_LENGTH = 2


@dataclass(frozen=True)
class Step:
    """One revision file: its id, its parents and the table it creates (None: a merge)."""

    revision: str
    down: tuple[str, ...]
    table: TableSpec | None


@dataclass(frozen=True)
class Project:
    """A project folder with `alembic.ini`, `migrations/env.py` and its revisions."""

    folder: Path
    steps: tuple[Step, ...]
    tables: tuple[TableSpec, ...]

    @property
    def head(self) -> str:
        """The single head revision (empty for a project without revisions)."""
        return self.steps[-1].revision if self.steps else ""

    @property
    def versions(self) -> Path:
        """The folder holding the revision files."""
        return self.folder / "migrations" / "versions"

    def set_url(self, url: str) -> None:
        """Point `sqlalchemy.url` in alembic.ini at `url`."""
        ini = self.folder / "alembic.ini"
        text = re.sub(
            r"(?m)^sqlalchemy\.url = .*$", lambda _: f"sqlalchemy.url = {url}", ini.read_text()
        )
        ini.write_text(text)


def linear_steps(count: int) -> list[Step]:
    """A straight history of `count` revisions, each creating one table."""
    steps: list[Step] = []
    for number, spec in enumerate(linear_tables(count), start=1):
        down = (steps[-1].revision,) if steps else ()
        steps.append(Step(revision_id("linear", number), down, spec))
    return steps


def branched_steps(count: int) -> list[Step]:
    """`count` revisions in blocks that fork into branches and merge again; one head."""
    steps: list[Step] = []
    # The tables each revision's lineage has created: foreign keys point only at those.
    lineage: dict[str, tuple[str, ...]] = {"": ()}
    created: list[str] = []

    def add(down: tuple[str, ...], creates: bool) -> str:
        number = len(steps) + 1
        revision = revision_id("branched", number)
        available: tuple[str, ...] = ()
        for parent in down or ("",):
            available += tuple(name for name in lineage[parent] if name not in available)
        table = None
        if creates:
            name = table_name(len(created) + 1)
            created.append(name)
            table = TableSpec(name, pick_parents(number, available))
            available += (name,)
        lineage[revision] = available
        steps.append(Step(revision, down, table))
        return revision

    block = 2 + BRANCHES * BRANCH_LENGTH
    tip: tuple[str, ...] = ()
    while len(steps) < count:
        if count - len(steps) < block:
            tip = (add(tip, True),)
            continue
        trunk = add(tip, True)
        tips = []
        for _ in range(BRANCHES):
            parent = trunk
            for _ in range(BRANCH_LENGTH):
                parent = add((parent,), True)
            tips.append(parent)
        tip = (add(tuple(tips), False),)
    return steps


def revision_source(step: Step) -> str:
    """A revision file like Alembic's generic template writes, with real operations."""
    if step.table is None:
        message, upgrade, downgrade = "merge branches", ["pass"], ["pass"]
    else:
        spec = step.table
        message = f"create {spec.name}"
        upgrade = ["op.create_table(", f'    "{spec.name}",']
        upgrade += [f"    {line}" for line in element_lines(spec)]
        upgrade += [
            ")",
            f'op.create_index("{spec.index_name}", "{spec.name}", ["name"], unique=False)',
        ]
        downgrade = [
            f'op.drop_index("{spec.index_name}", table_name="{spec.name}")',
            f'op.drop_table("{spec.name}")',
        ]
    down: str | tuple[str, ...] | None = (
        None if not step.down else step.down[0] if len(step.down) == 1 else step.down
    )
    revises = ", ".join(step.down)
    return f'''"""{message}

Revision ID: {step.revision}
Revises: {revises}
Create Date: 2026-01-01 00:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = {step.revision!r}
down_revision: Union[str, Sequence[str], None] = {down!r}
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
{_indent(upgrade)}


def downgrade() -> None:
    """Downgrade schema."""
{_indent(downgrade)}
'''


def _indent(lines: Sequence[str]) -> str:
    return "\n".join(f"    {line}" for line in lines)


def init_project(folder: Path, alembic: Path) -> None:
    """Run `alembic init migrations` in a new `folder`: the project a user starts with."""
    folder.mkdir(parents=True)
    subprocess.run(
        [str(alembic), "init", "migrations"], cwd=folder, check=True, capture_output=True
    )


def history_project(folder: Path, steps: Sequence[Step], alembic: Path) -> Project:
    """A project whose versions folder holds one file per step."""
    init_project(folder, alembic)
    project = Project(folder, tuple(steps), tuple(s.table for s in steps if s.table))
    for step in steps:
        slug = "merge" if step.table is None else f"create_{step.table.name}"
        (project.versions / f"{step.revision}_{slug}.py").write_text(revision_source(step))
    return project


def fleet_project(folder: Path, count: int, alembic: Path) -> Project:
    """A linear history whose env.py takes the database from `-x url=...` when given."""
    project = history_project(folder, linear_steps(count), alembic)
    env = folder / "migrations" / "env.py"
    env.write_text(
        env.read_text().replace(
            "config = context.config\n",
            "config = context.config\n"
            "_url = context.get_x_argument(as_dictionary=True).get('url')\n"
            "if _url:\n"
            "    config.set_main_option('sqlalchemy.url', _url)\n",
            1,
        )
    )
    return project


def models_project(folder: Path, count: int, alembic: Path) -> Project:
    """A project without revisions whose env.py targets a models module of `count` tables."""
    init_project(folder, alembic)
    tables = linear_tables(count)
    (folder / "models.py").write_text(models_source(tables))
    env = folder / "migrations" / "env.py"
    env.write_text(
        env.read_text().replace(
            "target_metadata = None", "from models import metadata as target_metadata"
        )
    )
    return Project(folder, (), tuple(tables))
