"""`distill demo`: the whole workflow, step by step, in a temporary folder."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from distill.config import Config

SQLMODEL_MODELS = '''\
"""The models of the demo app (SQLModel's tutorial shapes)."""

from sqlmodel import Field, SQLModel


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    email: str


class Post(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str
    body: str = ""
    user_id: int | None = Field(default=None, foreign_key="user.id")


class Product(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str
    price: float
    price_cents: int | None = None


metadata = SQLModel.metadata
'''

SQLALCHEMY_MODELS = '''\
"""The models of the demo app, in plain SQLAlchemy (SQLModel is not installed)."""

from sqlalchemy import ForeignKey
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "user"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(index=True)
    email: Mapped[str]


class Post(Base):
    __tablename__ = "post"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str]
    body: Mapped[str] = mapped_column(default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


class Product(Base):
    __tablename__ = "product"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    price: Mapped[float]
    price_cents: Mapped[int | None]


metadata = Base.metadata
'''

FIRST_REVISION = '''\
def upgrade() -> None:
    """Create the user, post and product tables, with a few products."""
    op.create_table(
        "user",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
    )
    op.create_index(op.f("ix_user_name"), "user", ["name"])
    op.create_table(
        "post",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False, server_default=""),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("user.id"), nullable=True),
    )
    product = op.create_table(
        "product",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("price", sa.Float(), nullable=False),
    )
    op.bulk_insert(
        product,
        [
            {"id": 1, "name": "mug", "price": 9.5},
            {"id": 2, "name": "poster", "price": 15.0},
            {"id": 3, "name": "sticker", "price": 1.25},
        ],
    )


def downgrade() -> None:
    """Drop the three tables."""
    op.drop_table("product")
    op.drop_table("post")
    op.drop_index(op.f("ix_user_name"), table_name="user")
    op.drop_table("user")
'''

SECOND_REVISION = '''\
product = sa.table(
    "product", sa.column("price", sa.Float()), sa.column("price_cents", sa.Integer())
)


def upgrade() -> None:
    """Store prices in cents: a new column, filled from the old one, then NOT NULL."""
    op.add_column("product", sa.Column("price_cents", sa.Integer(), nullable=True))
    cents = sa.cast(sa.func.round(product.c.price * 100), sa.Integer)
    op.execute(product.update().values(price_cents=cents))
    # Every row has a value now; SQLite cannot ALTER this, distill rebuilds the table.
    op.alter_column("product", "price_cents", existing_type=sa.Integer(), nullable=False)


def downgrade() -> None:
    """Drop the cents column again."""
    op.drop_column("product", "price_cents")
'''


def run_demo(url: str | None = None, keep: bool = False, quiet: bool = False) -> None:
    """Run init, revision, upgrade, a data migration and downgrades, printing each step."""
    from distill import command

    folder = Path(tempfile.mkdtemp(prefix="distill-demo-"))
    out = _Printer(quiet)
    try:
        os.chdir(folder)
        database = url or f"sqlite:///{folder / 'demo.db'}"
        config = _config(folder)
        out.step("distill init migrations", "write the migration folder and distill.ini")
        command.init(config, "migrations")
        _set_url(folder / "distill.ini", database)
        config = _config(folder)
        flavour, models = _models()
        (folder / "models.py").write_text(models)
        _point_env_at_models(folder / "migrations" / "env.py")
        out.note(f"models.py: {flavour} User, Post, Product; env.py: target_metadata")

        out.step('distill revision -m "create user post product"', "first revision")
        first = command.revision(config, "create user post product", rev_id="1a2b3c4d5e6f")
        _fill(first, FIRST_REVISION)
        out.step('distill revision -m "price in cents"', "a data migration")
        second = command.revision(config, "price in cents", rev_id="2b3c4d5e6f70")
        _fill(second, SECOND_REVISION)

        out.step("distill upgrade head", "run both revisions")
        command.upgrade(config, "head")
        out.tables(database)
        out.step("distill current", "where the database is")
        command.current(config)
        out.step("distill history", "the revisions, newest first")
        command.history(config)
        out.step("distill downgrade -1", "undo the data migration")
        command.downgrade(config, "-1")
        out.tables(database)
        out.step("distill downgrade base", "undo everything")
        command.downgrade(config, "base")
        out.tables(database)
        out.note("done: every step above ran against " + _masked(database))
    finally:
        os.chdir(Path.home() if Path.home().exists() else "/")
        if keep:
            out.note(f"the demo folder is kept at {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def _models() -> tuple[str, str]:
    """SQLModel's models when SQLModel is installed, the same in plain SQLAlchemy otherwise."""
    import importlib.util

    if importlib.util.find_spec("sqlmodel") is not None:
        return "SQLModel", SQLMODEL_MODELS
    return "SQLAlchemy", SQLALCHEMY_MODELS


def _config(folder: Path) -> Config:
    """The demo project's config (distill.ini once init has written it)."""
    from distill.config import Config

    ini = folder / "distill.ini"
    return Config(str(ini) if ini.exists() else None, ini_section="distill")


def _set_url(ini: Path, url: str) -> None:
    """Write the database URL into distill.ini, as a user would."""
    lines = [
        f"sqlalchemy.url = {url.replace('%', '%%')}" if line.startswith("sqlalchemy.url") else line
        for line in ini.read_text().splitlines()
    ]
    ini.write_text("\n".join(lines) + "\n")


def _point_env_at_models(env_py: Path) -> None:
    """Make env.py hand the models' metadata to distill, as a user would."""
    text = env_py.read_text()
    marker = "target_metadata = None"
    if marker in text:
        text = text.replace(
            marker,
            "import sys\nsys.path.insert(0, str(__import__('pathlib').Path(__file__).parents[1]))\n"
            "from models import metadata  # noqa: E402\n\ntarget_metadata = metadata",
        )
        env_py.write_text(text)


def _fill(script: object, body: str) -> None:
    """Replace the empty upgrade()/downgrade() of a new revision file with `body`."""
    path = Path(str(getattr(script, "path", "")))
    text = path.read_text()
    head = text[: text.index("def upgrade()")]
    path.write_text(head + body)


def _masked(url: str) -> str:
    """The URL with its password hidden."""
    from distill.config import mask_url

    return mask_url(url)


class _Printer:
    """Prints the demo's narration on stdout."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.count = 0

    def step(self, command: str, why: str) -> None:
        """Announce the next command."""
        self.count += 1
        self._print(f"\n[{self.count}] $ {command}    # {why}")

    def note(self, text: str) -> None:
        """Print a remark."""
        self._print(textwrap.indent(text, "    "))

    def tables(self, url: str) -> None:
        """Print every table of the database with its columns and row count."""
        import sqlalchemy as sa

        engine = sa.create_engine(url)
        try:
            with engine.connect() as conn:
                inspector = sa.inspect(conn)
                # distill's own log is shown by `distill log`, not among the project's tables
                names = sorted(
                    n for n in inspector.get_table_names() if not n.startswith("distill_")
                )
                if not names:
                    self.note("tables: (none)")
                for name in names:
                    columns = ", ".join(c["name"] for c in inspector.get_columns(name))
                    table = sa.table(name)
                    count = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()
                    self.note(f"table {name}({columns}): {count} row(s)")
                    if name == "product" and "price_cents" in columns:
                        rows = conn.execute(sa.text("SELECT name, price, price_cents FROM product"))
                        for row in rows:
                            self.note(f"    {row[0]}: price={row[1]} price_cents={row[2]}")
        finally:
            engine.dispose()

    def _print(self, text: str) -> None:
        """Write a line unless quiet."""
        if not self.quiet:
            print(text, file=sys.stdout, flush=True)
