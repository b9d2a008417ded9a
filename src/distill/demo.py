"""`distill demo`: the whole workflow, step by step, in a temporary folder."""

from __future__ import annotations

import shutil
import sys
import tempfile
import textwrap
from pathlib import Path

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
{price_cents}

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
{price_cents}

metadata = Base.metadata
'''

# the second version of the models adds this column, per flavour
PRICE_CENTS = {"SQLModel": "    price_cents: int\n", "SQLAlchemy": "    price_cents: Mapped[int]\n"}

PRODUCTS = [
    {"id": 1, "name": "mug", "price": 9.5},
    {"id": 2, "name": "poster", "price": 15.0},
    {"id": 3, "name": "sticker", "price": 1.25},
]

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
    """Run init, autogenerate, upgrade, a data migration, check and downgrades, printing each
    step; every step is the `distill` command a user would type, run in the demo folder."""
    folder = Path(tempfile.mkdtemp(prefix="distill-demo-"))
    out = _Printer(quiet)

    def distill(*args: str) -> None:
        _run_distill(folder, quiet, *args)

    try:
        database = url or f"sqlite:///{folder / 'demo.db'}"
        out.step("distill init migrations", "write the migration folder and distill.ini")
        distill("init", "migrations")
        _set_url(folder / "distill.ini", database)
        flavour, models = _models()
        (folder / "models.py").write_text(models.format(price_cents=""))
        _point_env_at_models(folder / "migrations" / "env.py")
        out.note(f"models.py: {flavour} User, Post, Product; env.py: target_metadata")

        out.step(
            'distill revision --autogenerate -m "create user post product"',
            "compare the models with the empty database and write the first revision",
        )
        distill("revision", "--autogenerate", "-m", "create user post product", "--rev-id", FIRST)
        out.note(_body(_revision_file(folder, FIRST)))
        out.step("distill upgrade head", "create the tables")
        distill("upgrade", "head")
        _add_products(database)
        out.note("the app stores three products:")
        out.tables(database)

        (folder / "models.py").write_text(models.format(price_cents=PRICE_CENTS[flavour]))
        out.note("models.py: Product gets a required price_cents column")
        out.step(
            'distill revision --autogenerate -m "price in cents"',
            "autogenerate the change; distill lints the new file",
        )
        distill("revision", "--autogenerate", "-m", "price in cents", "--rev-id", SECOND)
        out.note(
            "a NOT NULL column fails on the rows that exist, as lint says: edit the revision "
            "into a data migration (add it nullable, fill it from price, then NOT NULL)"
        )
        _fill(_revision_file(folder, SECOND), SECOND_REVISION)
        out.step("distill upgrade head", "run the data migration")
        distill("upgrade", "head")
        out.tables(database)
        out.step("distill check", "the models and the database agree")
        distill("check")
        out.step("distill current", "where the database is")
        distill("current")
        out.step("distill history", "the revisions, newest first")
        distill("history")
        out.step("distill downgrade -1", "undo the data migration")
        distill("downgrade", "-1")
        out.tables(database)
        out.step("distill downgrade base", "undo everything")
        distill("downgrade", "base")
        out.tables(database)
        out.note("done: every step above ran against " + _masked(database))
    finally:
        if keep:
            out.note(f"the demo folder is kept at {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


FIRST, SECOND = "1a2b3c4d5e6f", "2b3c4d5e6f70"


def _run_distill(folder: Path, quiet: bool, *args: str) -> None:
    """Run `distill ARGS` in the demo folder; its output shows unless quiet."""
    import subprocess

    from distill.errors import DistillError

    captured = subprocess.PIPE if quiet else None
    result = subprocess.run(
        [sys.executable, "-m", "distill", *args],
        cwd=folder,
        stdout=captured,
        stderr=captured,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        detail = (result.stderr or "").strip().splitlines()[-1:] if quiet else []
        raise DistillError(
            f"the demo's step `distill {' '.join(args)}` failed (exit {result.returncode})"
            + (f": {detail[0]}" if detail else "")
        )


def _revision_file(folder: Path, rev_id: str) -> Path:
    """The revision file `revision --rev-id` wrote."""
    [path] = (folder / "migrations" / "versions").glob(f"{rev_id}_*.py")
    return path


def _models() -> tuple[str, str]:
    """SQLModel's models when SQLModel is installed, the same in plain SQLAlchemy otherwise."""
    import importlib.util

    if importlib.util.find_spec("sqlmodel") is not None:
        return "SQLModel", SQLMODEL_MODELS
    return "SQLAlchemy", SQLALCHEMY_MODELS


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


def _body(path: Path) -> str:
    """The upgrade() of a revision file, as autogenerate wrote it."""
    text = path.read_text()
    return text[text.index("def upgrade()") : text.index("def downgrade()")].rstrip()


def _add_products(url: str) -> None:
    """Insert the demo's products, as the application would."""
    import sqlalchemy as sa

    product = sa.table(
        "product", sa.column("id"), sa.column("name"), sa.column("price", sa.Float())
    )
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(product.insert(), PRODUCTS)
    finally:
        engine.dispose()


def _fill(path: Path, body: str) -> None:
    """Replace the upgrade()/downgrade() of a new revision file with `body`."""
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
                names = sorted(inspector.get_table_names())
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
