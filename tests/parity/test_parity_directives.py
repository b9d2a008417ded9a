"""Parity with real Alembic for every `op` directive (ALEMBIC-FACTS.md §10).

One project is made by the real `alembic init` and `alembic revision`: a base revision
(two tables and their rows, by bulk_insert) and, branching from it, one group of
directives per branch (one or two revisions in a row). Each test copies the project
keeping the base and one group, migrates it once with Alembic and once with distill,
each in a subprocess on its own fresh database, and compares the reflected schema, the
database objects and the data after `upgrade head` and after `downgrade` back to the
base; the offline tests do the same with the `--sql` scripts run on fresh databases.
On SQLite, what SQLite cannot ALTER goes through batch mode, written as a multi-backend
project would write it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import BACKENDS, DatabaseFactory
from support.alembic_projects import (
    Rev,
    copy_project,
    database_objects,
    make_project,
    run,
    run_script,
    snapshot,
)

TOOLS = ("alembic", "distill")

# Module-level helpers of the revision files.
HELPERS = '''
def is_sqlite():
    return op.get_context().dialect.name == "sqlite"


def is_mysql():
    return op.get_context().dialect.name in ("mysql", "mariadb")


def offline_copy(table):
    """Offline, batch mode cannot reflect a table: it is given the table's definition."""
    return table if op.get_context().as_sql else None
'''

ACCOUNT_AT_BASE = """
ACCOUNT = sa.Table(
    "account",
    sa.MetaData(),
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("name", sa.String(50), nullable=False),
    sa.Column("email", sa.String(100), nullable=True),
    sa.Column("age", sa.Integer(), nullable=True),
)
ORDERS = sa.Table(
    "orders",
    sa.MetaData(),
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("account_id", sa.Integer(), nullable=True),
    sa.Column("amount", sa.Numeric(10, 2), nullable=True),
)
"""

BASE = Rev(
    "p0000000",
    (),
    "account and orders",
    preamble="from decimal import Decimal\n" + ACCOUNT_AT_BASE,
    upgrade="""
op.create_table(
    "account",
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("name", sa.String(50), nullable=False),
    sa.Column("email", sa.String(100), nullable=True),
    sa.Column("age", sa.Integer(), nullable=True),
)
op.create_table(
    "orders",
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("account_id", sa.Integer(), nullable=True),
    sa.Column("amount", sa.Numeric(10, 2), nullable=True),
)
op.bulk_insert(
    ACCOUNT,
    [
        {"id": 1, "name": "ann", "email": "ann@example.com", "age": 30},
        {"id": 2, "name": "bob", "email": "bob@example.com", "age": 41},
        {"id": 3, "name": "cyd", "email": "cyd@example.com", "age": None},
    ],
)
op.bulk_insert(
    ORDERS,
    [
        {"id": 1, "account_id": 1, "amount": Decimal("9.50")},
        {"id": 2, "account_id": 2, "amount": Decimal("3.00")},
    ],
)
""",
    downgrade="""
op.drop_table("orders")
op.drop_table("account")
""",
)


def _group(
    rev_id: str,
    message: str,
    upgrade: str,
    downgrade: str,
    preamble: str = "",
    parent: str = BASE.rev_id,
) -> Rev:
    return Rev(
        rev_id,
        (parent,),
        message,
        upgrade=upgrade,
        downgrade=downgrade,
        preamble=HELPERS + preamble,
    )


RENAMES = _group(
    "p1000000",
    "rename_table, rename a column, add and drop columns",
    upgrade="""
op.rename_table("orders", "purchase")
op.alter_column("account", "email", new_column_name="mail", existing_type=sa.String(100))
op.add_column(
    "account", sa.Column("nickname", sa.String(30), nullable=False, server_default="none")
)
op.drop_column("account", "age")
""",
    downgrade="""
op.add_column("account", sa.Column("age", sa.Integer(), nullable=True))
op.drop_column("account", "nickname")
op.alter_column("account", "mail", new_column_name="email", existing_type=sa.String(100))
op.rename_table("purchase", "orders")
""",
)

ALTER_COLUMN = _group(
    "p2000000",
    "alter_column: nullable, type, server_default, comment",
    preamble=ACCOUNT_AT_BASE
    + """

UP = [
    ("email", dict(nullable=False, existing_type=sa.String(100))),
    ("name", dict(type_=sa.String(120), existing_type=sa.String(50), existing_nullable=False)),
    ("age", dict(server_default="18", existing_type=sa.Integer(), existing_nullable=True)),
    (
        "name",
        dict(comment="display name", existing_type=sa.String(120), existing_nullable=False),
    ),
]
DOWN = [
    (
        "name",
        dict(
            comment=None,
            existing_comment="display name",
            existing_type=sa.String(120),
            existing_nullable=False,
        ),
    ),
    (
        "age",
        dict(
            server_default=None,
            existing_server_default="18",
            existing_type=sa.Integer(),
            existing_nullable=True,
        ),
    ),
    ("name", dict(type_=sa.String(50), existing_type=sa.String(120), existing_nullable=False)),
    ("email", dict(nullable=True, existing_type=sa.String(100))),
]
ACCOUNT_ALTERED = sa.Table(
    "account",
    sa.MetaData(),
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("name", sa.String(120), nullable=False, comment="display name"),
    sa.Column("email", sa.String(100), nullable=False),
    sa.Column("age", sa.Integer(), nullable=True, server_default="18"),
)


def alter(changes, table):
    if is_sqlite():  # SQLite cannot ALTER a column in place: batch mode
        with op.batch_alter_table("account", copy_from=offline_copy(table)) as batch_op:
            for column, kw in changes:
                batch_op.alter_column(column, **kw)
    else:
        for column, kw in changes:
            op.alter_column("account", column, **kw)
""",
    upgrade="""
alter(UP, ACCOUNT)
op.execute("INSERT INTO account (id, name, email) VALUES (10, 'dee', 'dee@example.com')")
""",
    downgrade="""
alter(DOWN, ACCOUNT_ALTERED)
""",
)

CONSTRAINTS = _group(
    "p3000000",
    "foreign key, unique, check, primary key, exclude constraints; drop_constraint",
    preamble=ACCOUNT_AT_BASE
    + """
ORDERS_WITH_FK = sa.Table(
    "orders",
    sa.MetaData(),
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("account_id", sa.Integer(), nullable=True),
    sa.Column("amount", sa.Numeric(10, 2), nullable=True),
    sa.ForeignKeyConstraint(
        ["account_id"], ["account.id"], name="fk_orders_account", ondelete="CASCADE"
    ),
)
ACCOUNT_CONSTRAINED = sa.Table(
    "account",
    sa.MetaData(),
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("name", sa.String(50), nullable=False),
    sa.Column("email", sa.String(100), nullable=True),
    sa.Column("age", sa.Integer(), nullable=True),
    sa.UniqueConstraint("email", name="uq_account_email"),
    sa.CheckConstraint("age >= 0", name="ck_account_age"),
)
TAG = sa.Table(
    "tag",
    sa.MetaData(),
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("label", sa.String(20)),
)
TAG_WITH_PK = sa.Table(
    "tag",
    sa.MetaData(),
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("label", sa.String(20)),
    sa.PrimaryKeyConstraint("id", name="pk_tag"),
)
""",
    upgrade="""
op.create_table(
    "tag", sa.Column("id", sa.Integer(), nullable=False), sa.Column("label", sa.String(20))
)
if is_sqlite():  # SQLite cannot ALTER constraints: batch mode
    with op.batch_alter_table("orders", copy_from=offline_copy(ORDERS)) as batch_op:
        batch_op.create_foreign_key(
            "fk_orders_account", "account", ["account_id"], ["id"], ondelete="CASCADE"
        )
    with op.batch_alter_table("account", copy_from=offline_copy(ACCOUNT)) as batch_op:
        batch_op.create_unique_constraint("uq_account_email", ["email"])
        batch_op.create_check_constraint("ck_account_age", "age >= 0")
    with op.batch_alter_table("tag", copy_from=offline_copy(TAG)) as batch_op:
        batch_op.create_primary_key("pk_tag", ["id"])
else:
    op.create_foreign_key(
        "fk_orders_account", "orders", "account", ["account_id"], ["id"], ondelete="CASCADE"
    )
    op.create_unique_constraint("uq_account_email", "account", ["email"])
    op.create_check_constraint("ck_account_age", "account", "age >= 0")
    op.create_primary_key("pk_tag", "tag", ["id"])
if op.get_context().dialect.name == "postgresql":
    op.create_exclude_constraint("ex_tag_label", "tag", ("label", "="), using="btree")
""",
    downgrade="""
if op.get_context().dialect.name == "postgresql":
    op.drop_constraint("ex_tag_label", "tag")
if is_sqlite():
    with op.batch_alter_table("tag", copy_from=offline_copy(TAG_WITH_PK)) as batch_op:
        batch_op.drop_constraint("pk_tag", type_="primary")
    with op.batch_alter_table("account", copy_from=offline_copy(ACCOUNT_CONSTRAINED)) as batch_op:
        batch_op.drop_constraint("ck_account_age", type_="check")
        batch_op.drop_constraint("uq_account_email", type_="unique")
    with op.batch_alter_table("orders", copy_from=offline_copy(ORDERS_WITH_FK)) as batch_op:
        batch_op.drop_constraint("fk_orders_account", type_="foreignkey")
else:
    op.drop_constraint("pk_tag", "tag", type_="primary")
    op.drop_constraint("ck_account_age", "account", type_="check")
    op.drop_constraint("uq_account_email", "account", type_="unique")
    op.drop_constraint("fk_orders_account", "orders", type_="foreignkey")
op.drop_table("tag")
""",
)

COMMENTS = _group(
    "p4000000",
    "table comments, and a column added with a comment",
    upgrade="""
if op.get_context().dialect.supports_comments:  # SQLite has none; Alembic fails there
    op.create_table_comment("account", "people who order", existing_comment=None)
op.add_column("purchase", sa.Column("note", sa.String(40), nullable=True, comment="free text"))
""",
    downgrade="""
op.drop_column("purchase", "note")
if op.get_context().dialect.supports_comments:
    op.drop_table_comment("account", existing_comment="people who order")
""",
    parent=RENAMES.rev_id,
)

INDEXES = _group(
    "p5000000",
    "indexes: plain, multi-column, unique, partial, expression, if (not) exists",
    upgrade="""
op.create_index(op.f("ix_account_name"), "account", ["name"])
op.create_index("ix_account_name", "account", ["name"], if_not_exists=True)  # exists: no-op
op.drop_index("ix_account_nothing", table_name="account", if_exists=True)  # absent: no-op
op.create_index("ix_account_name_age", "account", ["name", "age"])
op.create_index("ux_account_email", "account", ["email"], unique=True)
op.create_index(
    "ix_account_adult",
    "account",
    ["age"],
    postgresql_where=sa.text("age >= 18"),
    sqlite_where=sa.text("age >= 18"),
)
if not is_mysql():  # MariaDB has no expression indexes
    op.create_index("ix_account_lower_name", "account", [sa.text("lower(name)")])
""",
    downgrade="""
if not is_mysql():
    op.drop_index("ix_account_lower_name", table_name="account")
op.drop_index("ix_account_adult", table_name="account")
op.drop_index("ux_account_email", table_name="account")
op.drop_index("ix_account_name_age", table_name="account")
op.drop_index("ix_account_name", table_name="account")
""",
    parent=CONSTRAINTS.rev_id,
)

DATA = _group(
    "p6000000",
    "bulk_insert one by one, execute with a string, text() and Core statements",
    preamble="from decimal import Decimal\n" + ACCOUNT_AT_BASE,
    upgrade="""
op.bulk_insert(
    ORDERS,
    [
        {"id": 10, "account_id": 1, "amount": Decimal("1.25")},
        {"id": 11, "account_id": 3, "amount": None},
    ],
    multiinsert=False,
)
op.execute("UPDATE account SET age = 31 WHERE id = 1")
op.execute(
    sa.text("UPDATE account SET email = :email WHERE id = :id").bindparams(
        email="robert@example.com", id=2
    )
)
op.execute(
    ACCOUNT.update()
    .where(ACCOUNT.c.id == op.inline_literal(3))
    .values(name=op.inline_literal("cyd's"), age=op.inline_literal(7))
)
op.execute(ACCOUNT.insert().values(id=4, name="dan", email=None, age=52))
""",
    downgrade="""
op.execute(ACCOUNT.delete().where(ACCOUNT.c.id == 4))
op.execute(ACCOUNT.update().where(ACCOUNT.c.id == 3).values(name="cyd", age=None))
op.execute(sa.text("UPDATE account SET email = 'bob@example.com' WHERE id = 2"))
op.execute("UPDATE account SET age = 30 WHERE id = 1")
op.execute(ORDERS.delete().where(ORDERS.c.id.in_([10, 11])))
""",
)

BATCH = _group(
    "p7000000",
    "batch_alter_table on every backend: auto and recreate='always'",
    preamble=ACCOUNT_AT_BASE
    + """
ACCOUNT_BATCHED = sa.Table(
    "account",
    sa.MetaData(),
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("email", sa.String(100), nullable=True),
    sa.Column("nickname", sa.String(30), nullable=True),
    sa.UniqueConstraint("email", name="uq_account_email"),
    sa.Index("ix_account_nickname", "nickname"),
)
ORDERS_BATCHED = sa.Table(
    "orders",
    sa.MetaData(),
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("account_id", sa.Integer(), nullable=True),
    sa.Column("amount", sa.Numeric(10, 2), nullable=False),
    sa.ForeignKeyConstraint(["account_id"], ["account.id"], name="fk_orders_account"),
)
""",
    upgrade="""
with op.batch_alter_table("account", copy_from=offline_copy(ACCOUNT)) as batch_op:
    batch_op.add_column(sa.Column("nickname", sa.String(30), nullable=True))
    batch_op.alter_column(
        "name", type_=sa.String(80), existing_type=sa.String(50), existing_nullable=False
    )
    batch_op.drop_column("age")
    batch_op.create_index("ix_account_nickname", ["nickname"])
    batch_op.create_unique_constraint("uq_account_email", ["email"])
with op.batch_alter_table(
    "orders", recreate="always", copy_from=offline_copy(ORDERS)
) as batch_op:
    batch_op.create_foreign_key("fk_orders_account", "account", ["account_id"], ["id"])
    batch_op.alter_column("amount", nullable=False, existing_type=sa.Numeric(10, 2))
""",
    downgrade="""
with op.batch_alter_table(
    "orders", recreate="always", copy_from=offline_copy(ORDERS_BATCHED)
) as batch_op:
    batch_op.alter_column("amount", nullable=True, existing_type=sa.Numeric(10, 2))
    batch_op.drop_constraint("fk_orders_account", type_="foreignkey")
with op.batch_alter_table("account", copy_from=offline_copy(ACCOUNT_BATCHED)) as batch_op:
    batch_op.drop_constraint("uq_account_email", type_="unique")
    batch_op.drop_index("ix_account_nickname")
    batch_op.add_column(sa.Column("age", sa.Integer(), nullable=True))
    batch_op.alter_column(
        "name", type_=sa.String(50), existing_type=sa.String(80), existing_nullable=False
    )
    batch_op.drop_column("nickname")
""",
)

# Each group: revisions applied in a row on top of the base.
GROUPS = {
    "tables_and_columns": [RENAMES, COMMENTS],
    "alter_column": [ALTER_COLUMN],
    "constraints_and_indexes": [CONSTRAINTS, INDEXES],
    "data": [DATA],
    "batch": [BATCH],
}


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project made once by `alembic init` + `alembic revision`: base and every group."""
    folder = tmp_path_factory.mktemp("directives") / "template"
    return make_project(
        folder, "sqlite://", [BASE, *(rev for revs in GROUPS.values() for rev in revs)]
    )


def _projects(
    template: Path,
    group: str,
    backend: str,
    new_database: DatabaseFactory,
    tmp_path: Path,
    *,
    offline: bool = False,
) -> tuple[dict[str, str], dict[str, Path]]:
    """Per tool: a fresh database, and a copy of the project with the base and one group."""
    urls = {tool: new_database(backend) for tool in TOOLS}
    if offline and backend == "mysql":
        # a script for MariaDB is written for the mariadb dialect: with a mysql:// URL
        # Alembic writes MySQL's `DROP CHECK`, which MariaDB rejects
        urls = {tool: _mariadb(url) for tool, url in urls.items()}
    keep = [BASE.rev_id, *(rev.rev_id for rev in GROUPS[group])]
    projects = {tool: copy_project(template, tmp_path / tool, urls[tool], keep) for tool in TOOLS}
    return urls, projects


def _mariadb(url: str) -> str:
    """The same database, named through SQLAlchemy's mariadb dialect."""
    return sa.make_url(url).set(drivername="mariadb+pymysql").render_as_string(hide_password=False)


def _compare(urls: dict[str, str], when: str) -> dict[str, Any]:
    """The reflected state of both databases, which must be equal."""
    expected, actual = (
        {"tables": snapshot(urls[tool]), "objects": database_objects(urls[tool])} for tool in TOOLS
    )
    assert actual == expected, when
    return actual


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("group", list(GROUPS))
def test_online_upgrade_and_downgrade_match_alembic(
    group: str, backend: str, template: Path, new_database: DatabaseFactory, tmp_path: Path
) -> None:
    urls, projects = _projects(template, group, backend, new_database, tmp_path)
    states = []
    for command in (["upgrade", "head"], ["downgrade", BASE.rev_id]):
        for tool in TOOLS:
            run(tool, projects[tool], *command)
        states.append(_compare(urls, " ".join(command)))
    assert states[0] != states[1], "the group's revision changed nothing"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("group", list(GROUPS))
def test_offline_scripts_have_the_same_effect_as_alembics(
    group: str, backend: str, template: Path, new_database: DatabaseFactory, tmp_path: Path
) -> None:
    urls, projects = _projects(template, group, backend, new_database, tmp_path, offline=True)
    states = []
    head = GROUPS[group][-1].rev_id
    for command in (["upgrade", "head", "--sql"], ["downgrade", f"{head}:{BASE.rev_id}", "--sql"]):
        for tool in TOOLS:
            run_script(urls[tool], run(tool, projects[tool], *command).stdout)
        states.append(_compare(urls, " ".join(command)))
    assert states[0] != states[1], "the group's revision changed nothing"
