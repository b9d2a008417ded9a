"""alembic-postgresql-enum and alembic-utils autogenerate under distill as under Alembic.

The same probe runs once with real Alembic and once with distill serving the `alembic`
names, each on its own PostgreSQL database holding the same schema: the op objects the
comparison produces and the lines the plugins render must be the same.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import DatabaseFactory

PROBE = """
import json, sys
from contextlib import nullcontext
import sqlalchemy as sa
from distill import compat

mode, url, plugin = sys.argv[1], sys.argv[2], sys.argv[3]
engine = sa.create_engine(url)
with engine.begin() as connection:
    connection.exec_driver_sql("CREATE TYPE status AS ENUM ('open', 'closed')")
    connection.exec_driver_sql("CREATE TABLE ticket (id INTEGER PRIMARY KEY, status status)")
    connection.exec_driver_sql(
        "CREATE FUNCTION old_fn() RETURNS integer AS $$ SELECT 1 $$ LANGUAGE SQL"
    )

with compat.alembic_names() if mode == "distill" else nullcontext():
    from alembic.autogenerate import produce_migrations, render_python_code
    from alembic.operations import ops
    from alembic.runtime.migration import MigrationContext
    if plugin == "enum":
        import alembic_postgresql_enum  # noqa: F401  (registers its comparator)
    else:
        from alembic_utils.pg_function import PGFunction
        from alembic_utils.replaceable_entity import register_entities

        register_entities([
            PGFunction(schema="public", signature="shout(t text)",
                       definition="RETURNS text AS $$ SELECT upper(t) $$ LANGUAGE SQL"),
        ])
    metadata = sa.MetaData()
    sa.Table("ticket", metadata, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("status", sa.Enum("open", "closed", "archived", name="status")))
    sa.Table("tag", metadata, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("kind", sa.Enum("x", "y", name="tagkind")))

    def flat(container):
        for op in container.ops:
            if isinstance(op, ops.ModifyTableOps):
                yield from flat(op)
            else:
                yield op

    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"target_metadata": metadata, "include_schemas": False}
        )
        script = produce_migrations(context, metadata)
        names = sorted(type(op).__name__ for op in flat(script.upgrade_ops))
        text = render_python_code(script.upgrade_ops, migration_context=context)
        down = render_python_code(script.downgrade_ops, migration_context=context)
print(json.dumps({
    "ops": names,
    "lines": sorted(
        " ".join(line.split()) for line in (text + "\\n" + down).splitlines()
        if line.strip() and not line.strip().startswith("#")
    ),
}))
"""


def _probe(mode: str, url: str, plugin: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, mode, url, plugin],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def _plugin_lines(found: dict[str, object], *needles: str) -> list[str]:
    lines: list[str] = found["lines"]  # type: ignore[assignment]
    return [line for line in lines if any(needle in line for needle in needles)]


@pytest.mark.postgres
def test_enum_plugin_autogenerates_as_under_alembic(new_database: DatabaseFactory) -> None:
    expected = _probe("alembic", new_database("postgresql"), "enum")
    actual = _probe("distill", new_database("postgresql"), "enum")
    # with the plugin installed, distill leaves enum types to it (no EnumChangeOp)
    assert actual["ops"] == expected["ops"]
    assert "AddEnumValuesOp" in actual["ops"]  # type: ignore[operator]
    wanted = _plugin_lines(expected, "sync_enum_values", "create_enum", "drop_enum", "ENUM(")
    assert wanted
    assert wanted == _plugin_lines(actual, "sync_enum_values", "create_enum", "drop_enum", "ENUM(")


@pytest.mark.postgres
def test_entity_plugin_autogenerates_as_under_alembic(new_database: DatabaseFactory) -> None:
    expected = _probe("alembic", new_database("postgresql"), "entities")
    actual = _probe("distill", new_database("postgresql"), "entities")
    # distill's own enum handling adds its ops here (Alembic has none)
    ops: list[str] = actual["ops"]  # type: ignore[assignment]
    assert [op for op in ops if op != "EnumChangeOp"] == expected["ops"]
    assert "CreateOp" in actual["ops"] and "DropOp" in actual["ops"]  # type: ignore[operator]
    wanted = _plugin_lines(expected, "_entity", "PGFunction")
    assert wanted and wanted == _plugin_lines(actual, "_entity", "PGFunction")
