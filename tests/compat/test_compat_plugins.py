"""Third-party Alembic plugins under the drop-in: alembic-utils and alembic-postgresql-enum.

Each project is made by `alembic init` / `alembic revision` and imports the plugin the
way its documentation says (env.py and the revision files); it is migrated once by
Alembic and once by distill, each in a subprocess on its own PostgreSQL database, and
the reflected results must be the same: tables, rows, enum labels, functions, views.
"""

from __future__ import annotations

from pathlib import Path

from conftest import DatabaseFactory
from support.alembic_projects import Rev, database_objects, make_project, run, run_script, snapshot

# --- alembic-utils: op.create_entity / replace_entity / drop_entity ---

ENTITIES_V1 = """
from alembic_utils.pg_function import PGFunction
from alembic_utils.pg_view import PGView

public_shout = PGFunction(
    schema="public",
    signature="shout(some_text text)",
    definition="RETURNS text AS $$ SELECT upper(some_text) $$ LANGUAGE SQL",
)
public_account_names = PGView(
    schema="public",
    signature="account_names",
    definition="SELECT id, name FROM account",
)
"""
ENTITIES_V2 = """
from alembic_utils.pg_function import PGFunction
from alembic_utils.pg_view import PGView

public_shout = PGFunction(
    schema="public",
    signature="shout(some_text text)",
    definition="RETURNS text AS $$ SELECT upper(some_text) || '!' $$ LANGUAGE SQL",
)
public_shout_before = PGFunction(
    schema="public",
    signature="shout(some_text text)",
    definition="RETURNS text AS $$ SELECT upper(some_text) $$ LANGUAGE SQL",
)
public_account_names = PGView(
    schema="public",
    signature="account_names",
    definition="SELECT id, public.shout(name) AS name FROM account",
)
public_account_names_before = PGView(
    schema="public",
    signature="account_names",
    definition="SELECT id, name FROM account",
)
"""
# env.py registers the entities for autogenerate, as alembic-utils documents it
REGISTER_ENTITIES = """
from alembic_utils.pg_function import PGFunction
from alembic_utils.replaceable_entity import register_entities

register_entities(
    [
        PGFunction(
            schema="public",
            signature="shout(some_text text)",
            definition="RETURNS text AS $$ SELECT upper(some_text) || '!' $$ LANGUAGE SQL",
        )
    ]
)
"""
ENTITY_REVISIONS = [
    Rev(
        "u1000000",
        (),
        "account, a function and a view",
        preamble=ENTITIES_V1,
        upgrade="""
op.create_table(
    "account",
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("name", sa.String(50), nullable=False),
)
op.execute("INSERT INTO account (id, name) VALUES (1, 'ann'), (2, 'bob')")
op.create_entity(public_shout)
op.create_entity(public_account_names)
""",
        downgrade="""
op.drop_entity(public_account_names)
op.drop_entity(public_shout)
op.drop_table("account")
""",
    ),
    Rev(
        "u2000000",
        ("u1000000",),
        "replace the function and the view",
        preamble=ENTITIES_V2,
        upgrade="""
op.replace_entity(public_shout)
op.replace_entity(public_account_names)
""",
        downgrade="""
op.replace_entity(public_account_names_before)
op.replace_entity(public_shout_before)
""",
    ),
]


def _state(url: str) -> tuple[object, object]:
    return snapshot(url), database_objects(url)


def test_alembic_utils_entities_match_alembic(
    new_database: DatabaseFactory, tmp_path: Path
) -> None:
    urls = {"alembic": new_database("postgresql"), "distill": new_database("postgresql")}
    projects = {
        tool: make_project(tmp_path / tool, url, ENTITY_REVISIONS, env_preamble=REGISTER_ENTITIES)
        for tool, url in urls.items()
    }
    for command in (["upgrade", "u1000000"], ["upgrade", "head"], ["downgrade", "-1"]):
        for tool in ("alembic", "distill"):
            run(tool, projects[tool], *command)
        expected, actual = _state(urls["alembic"]), _state(urls["distill"])
        assert actual == expected, command
        assert [f[0] for f in actual[1]["functions"]] == ["shout"]  # type: ignore[index]
        assert set(actual[1]["views"]) == {"account_names"}  # type: ignore[index]
    run("alembic", projects["alembic"], "downgrade", "base")
    run("distill", projects["distill"], "downgrade", "base")
    assert _state(urls["distill"]) == _state(urls["alembic"])
    objects = database_objects(urls["distill"])
    assert (objects["views"], objects["enums"], objects["functions"]) == ({}, {}, [])


def test_alembic_utils_offline_script_matches_alembic(
    new_database: DatabaseFactory, tmp_path: Path
) -> None:
    urls = {"alembic": new_database("postgresql"), "distill": new_database("postgresql")}
    for tool, url in urls.items():
        project = make_project(tmp_path / tool, url, ENTITY_REVISIONS)
        run_script(url, run(tool, project, "upgrade", "head", "--sql").stdout)
    assert _state(urls["distill"]) == _state(urls["alembic"])
    assert database_objects(urls["distill"])["views"]


# --- alembic-postgresql-enum: op.sync_enum_values ---

# env.py imports and configures the plugin, as alembic-postgresql-enum documents it
CONFIGURE_ENUM_PLUGIN = """
import alembic_postgresql_enum

alembic_postgresql_enum.set_configuration(alembic_postgresql_enum.Config(add_type_ignore=True))
"""
ENUM_REVISIONS = [
    Rev(
        "n1000000",
        (),
        "ticket with a status enum",
        preamble="from sqlalchemy.dialects import postgresql",
        upgrade="""
op.create_table(
    "ticket",
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column(
        "status",
        postgresql.ENUM("open", "closed", name="ticket_status"),
        nullable=False,
        server_default="open",
    ),
)
op.execute("INSERT INTO ticket (id, status) VALUES (1, 'open'), (2, 'closed')")
op.execute("INSERT INTO ticket (id) VALUES (3)")
""",
        downgrade="""
op.drop_table("ticket")
op.execute("DROP TYPE ticket_status")
""",
    ),
    Rev(
        "n2000000",
        ("n1000000",),
        "rename closed to done, add archived",
        preamble="from alembic_postgresql_enum import TableReference",
        upgrade="""
op.sync_enum_values(
    enum_schema="public",
    enum_name="ticket_status",
    new_values=["open", "done", "archived"],
    affected_columns=[("ticket", "status")],
    enum_values_to_rename=[("closed", "done")],
)
op.execute("UPDATE ticket SET status = 'archived' WHERE id = 3")
""",
        downgrade="""
op.execute("UPDATE ticket SET status = 'open' WHERE id = 3")
op.sync_enum_values(
    enum_schema="public",
    enum_name="ticket_status",
    new_values=["open", "closed"],
    affected_columns=[
        TableReference(
            table_schema="public",
            table_name="ticket",
            column_name="status",
            existing_server_default="'open'::ticket_status",
        )
    ],
    enum_values_to_rename=[("done", "closed")],
)
""",
    ),
]


def test_alembic_postgresql_enum_sync_enum_values_matches_alembic(
    new_database: DatabaseFactory, tmp_path: Path
) -> None:
    urls = {"alembic": new_database("postgresql"), "distill": new_database("postgresql")}
    projects = {
        tool: make_project(tmp_path / tool, url, ENUM_REVISIONS, env_preamble=CONFIGURE_ENUM_PLUGIN)
        for tool, url in urls.items()
    }
    labels = {
        "n1000000": ["open", "closed"],
        "head": ["open", "done", "archived"],
        "-1": ["open", "closed"],
        "base": None,
    }
    for target, expected_labels in labels.items():
        command = ["upgrade" if target in ("n1000000", "head") else "downgrade", target]
        for tool in ("alembic", "distill"):
            run(tool, projects[tool], *command)
        expected, actual = _state(urls["alembic"]), _state(urls["distill"])
        assert actual == expected, command
        assert actual[1]["enums"].get("ticket_status") == expected_labels  # type: ignore[index]
