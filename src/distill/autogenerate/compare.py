"""Models against the database: the op objects that bring the database to the models.

The result has Alembic's shapes: an UpgradeOps holding CreateTableOp / DropTableOp and
one ModifyTableOps per changed table, so that plugins, `process_revision_directives`
hooks and the renderer see what they see under Alembic. Tables are created parents
first, changed, then dropped children first; each step is linear in the schema's size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

import sqlalchemy as sa

from distill.autogenerate.autogen_context import AutogenContext, metadata_list
from distill.autogenerate.compare_columns import compare_columns, computed_differs
from distill.autogenerate.compare_constraints import compare_constraints
from distill.autogenerate.comparison import Comparison
from distill.autogenerate.containers import ModifyTableOps, UpgradeOps
from distill.autogenerate.enums import EnumChangeOp, enum_uses, model_enums
from distill.autogenerate.ordering import dependency_order
from distill.autogenerate.plugins import run_comparators
from distill.autogenerate.reflect import (
    ReflectedDatabase,
    ReflectedTable,
    reflect_database,
    schema_names,
)
from distill.autogenerate.signatures import create_op, final_name
from distill.errors import DistillError
from distill.operations.ops import (
    CreateTableCommentOp,
    CreateTableOp,
    DropConstraintOp,
    DropTableCommentOp,
    DropTableOp,
    MigrateOperation,
    RenameTableOp,
)

TableKey = tuple[str | None, str]


def compare_to_database(context: AutogenContext, upgrade_ops: UpgradeOps) -> None:
    """Fill `upgrade_ops` with what turns the connected database into the target metadata."""
    if context.connection is None or context.dialect is None:
        raise DistillError(
            "autogenerate needs a database connection: configure the MigrationContext "
            "with connection=... (env.py's online mode)"
        )
    if context.metadata is None:
        raise DistillError(
            "autogenerate needs target_metadata: pass context.configure(target_metadata="
            "Base.metadata) in env.py (a MetaData or a list of them)"
        )
    schemas = _schemas(context)
    run_comparators(
        _Bootstrap(context),
        "schema",
        lambda: _compare_schemas(context, upgrade_ops, schemas),
        upgrade_ops,
        schemas,
    )


class _Bootstrap:
    """Enough of a Comparison to dispatch the "schema" comparators before reflecting."""

    def __init__(self, context: AutogenContext) -> None:
        self.context = context
        assert context.dialect is not None
        self.dialect = context.dialect


def _schemas(context: AutogenContext) -> list[str | None]:
    schemas: list[str | None] = [None]
    if context.opts.get("include_schemas"):
        assert context.connection is not None
        for name in schema_names(context.connection, context.inspector):
            if context.run_name_filters(name, "schema", {}):
                schemas.append(name)
    return schemas


def _version_table(context: AutogenContext) -> tuple[str | None, str]:
    migration_context = context.migration_context
    name = getattr(migration_context, "version_table", None) or context.opts.get(
        "version_table", "alembic_version"
    )
    schema = getattr(migration_context, "version_table_schema", None) or context.opts.get(
        "version_table_schema"
    )
    return schema, name


def _compare_schemas(
    context: AutogenContext, upgrade_ops: UpgradeOps, schemas: list[str | None]
) -> None:
    assert context.connection is not None and context.dialect is not None
    default_schema = context.dialect.default_schema_name
    model_tables: dict[TableKey, sa.Table] = {}
    # by name: the dependency order of new tables is worked out below, cycles included
    tables = [t for metadata in metadata_list(context.metadata) for t in metadata.tables.values()]
    for table in sorted(tables, key=lambda t: (t.schema or "", t.name)):
        schema = None if table.schema == default_schema else table.schema
        model_tables.setdefault((schema, table.name), table)
    # a model in a schema not included is still compared with its own table, never
    # re-created each time (Alembic's trap); that schema's other tables are left alone
    extra = sorted({schema for schema, _ in model_tables if schema not in schemas}, key=str)
    database = reflect_database(
        context.connection,
        [*schemas, *extra],
        include_name=context.run_name_filters,
        version_table=_version_table(context),
        inspector=context.inspector,
    )
    run = Comparison.start(context, database)
    if "alembic_postgresql_enum" in {
        getattr(fn, "__module__", "").split(".")[0]
        for _, fn, _ in context.comparators.ordered("schema", run.dialect.name)
    }:
        run.native_enums = False  # that plugin owns enum types; doing it twice would clash
    _compare_tables(run, upgrade_ops, model_tables, set(extra))


def _compare_tables(
    run: Comparison,
    upgrade_ops: UpgradeOps,
    model_tables: dict[TableKey, sa.Table],
    extra_schemas: set[str | None],
) -> None:
    database = run.database
    renamed = _renamed_tables(run, model_tables)
    added = [
        table
        for key, table in model_tables.items()
        if key not in database.tables
        and key not in renamed.values()
        and run.include_object(table, table.name, "table", False, None)
    ]
    removed = [
        reflected
        for key, reflected in database.tables.items()
        if key not in model_tables
        and key not in renamed
        and key[0] not in extra_schemas
        and run.include_object(run.reflected_table(reflected), reflected.name, "table", True, None)
    ]
    kept = [
        (reflected, model_tables[key])
        for key, reflected in sorted(
            database.tables.items(), key=lambda item: (item[0][0] or "", item[0][1])
        )
        if key in model_tables
        and (
            not run.filters_objects
            or run.include_object(
                model_tables[key], reflected.name, "table", False, run.reflected_table(reflected)
            )
        )
    ]
    for old_key, new_key in renamed.items():
        old = database.tables[old_key]
        table = model_tables[new_key]
        upgrade_ops.ops.append(RenameTableOp(old.name, table.name, schema=table.schema))
        kept.append((replace(old, name=table.name, renamed_from=old.name), table))
    enum_first, enum_last = _enum_changes(run, model_tables, [r for r, _ in kept], removed)
    upgrade_ops.ops.extend(enum_first)
    _create_tables(run, upgrade_ops, added)
    for reflected, table in kept:
        modify = ModifyTableOps(reflected.name, [], schema=table.schema)
        compare = partial(_compare_table, run, modify, reflected, table)
        if run.has_comparators("table"):
            run_comparators(
                run,
                "table",
                compare,
                modify,
                table.schema,
                reflected.name,
                run.reflected_table(reflected),
                table,
            )
        else:
            compare()  # what run_comparators does when nothing is registered
        if not modify.is_empty():
            upgrade_ops.ops.append(modify)
    _drop_tables(run, upgrade_ops, removed)
    upgrade_ops.ops.extend(enum_last)


def _renamed_tables(
    run: Comparison, model_tables: dict[TableKey, sa.Table]
) -> dict[TableKey, TableKey]:
    """Confirmed table renames: database key -> model key."""
    found = {}
    for key in run.database.tables:
        if key in model_tables:
            continue
        new = run.renames.table(key[0], key[1])
        if (
            new is not None
            and (key[0], new) in model_tables
            and (key[0], new) not in run.database.tables
        ):
            found[key] = (key[0], new)
    return found


def _table_key(table: sa.Table) -> TableKey:
    return (table.schema, table.name)


def _references(table: sa.Table) -> list[TableKey]:
    found = []
    for fk in table.foreign_key_constraints:
        prefix = fk.elements[0].target_fullname.rsplit(".", 1)[0]
        schema, _, name = prefix.rpartition(".")
        found.append((schema or None, name))
    return found


def _create_tables(run: Comparison, upgrade_ops: UpgradeOps, added: list[sa.Table]) -> None:
    ordered, broken = dependency_order(added, _table_key, _references)
    deferred: list[MigrateOperation] = []
    for table in ordered:
        cut = [
            fk
            for fk in table.foreign_key_constraints
            if fk.use_alter or (_table_key(table), _references_one(fk)) in broken
        ]
        op = CreateTableOp.from_table(table)
        if cut:
            op._init(columns=tuple(i for i in op.columns if all(i is not fk for fk in cut)))
            deferred.extend(create_op(fk, table) for fk in cut)
        upgrade_ops.ops.append(op)
        modify = ModifyTableOps(table.name, [], schema=table.schema)
        run_comparators(
            run,
            "table",
            partial(_new_table_indexes, run, modify, table),
            modify,
            table.schema,
            table.name,
            None,
            table,
        )
        if not modify.is_empty():
            upgrade_ops.ops.append(modify)
    if deferred:
        for fk in deferred:
            upgrade_ops.ops.append(ModifyTableOps(fk.table_name, [fk], schema=fk.schema))  # type: ignore[attr-defined]


def _references_one(fk: sa.ForeignKeyConstraint) -> TableKey:
    prefix = fk.elements[0].target_fullname.rsplit(".", 1)[0]
    schema, _, name = prefix.rpartition(".")
    return (schema or None, name)


def _new_table_indexes(run: Comparison, modify: ModifyTableOps, table: sa.Table) -> None:
    for index in sorted(table.indexes, key=lambda i: str(final_name(i, table) or "")):
        if run.include_object(index, index.name, "index", False, None):
            modify.ops.append(create_op(index, table))


def _drop_tables(run: Comparison, upgrade_ops: UpgradeOps, removed: list[ReflectedTable]) -> None:
    tables = [run.reflected_table(reflected) for reflected in removed]
    parents_first, broken = dependency_order(tables, _table_key, _references)
    for child, parent in sorted(broken, key=str):
        table = next(t for t in tables if _table_key(t) == child)
        for fk in table.foreign_key_constraints:
            if _references_one(fk) == parent and fk.name:
                upgrade_ops.ops.append(
                    ModifyTableOps(
                        table.name, [DropConstraintOp.from_constraint(fk)], schema=table.schema
                    )
                )
    for table in reversed(parents_first):
        upgrade_ops.ops.append(DropTableOp.from_table(table))


def _compare_table(
    run: Comparison, modify: ModifyTableOps, reflected: ReflectedTable, table: sa.Table
) -> None:
    added, altered, dropped = compare_columns(run, reflected, table)
    constraints = compare_constraints(run, reflected, table)
    _warn_computed(run, reflected, table)
    modify.ops.extend(constraints.drops)
    modify.ops.extend(added)
    modify.ops.extend(altered)
    modify.ops.extend(constraints.adds)
    modify.ops.extend(dropped)
    modify.ops.extend(constraints.foreign_keys)
    modify.ops.extend(_comment(run, reflected, table))


def _warn_computed(run: Comparison, reflected: ReflectedTable, table: sa.Table) -> None:
    import warnings

    for column in table.columns:
        found = reflected.column(column.name)
        if found is not None and computed_differs(found, column, run.dialect):
            warnings.warn(
                f"Computed default on {reflected.name}.{column.name} cannot be modified; "
                "drop and add the column in the revision by hand",
                stacklevel=2,
            )


def _comment(run: Comparison, reflected: ReflectedTable, table: sa.Table) -> list[MigrateOperation]:
    if not run.dialect.supports_comments:
        return []
    if (reflected.comment or None) == (table.comment or None):
        return []
    if table.comment is None:
        return [
            DropTableCommentOp(table.name, schema=table.schema, existing_comment=reflected.comment)
        ]
    return [
        CreateTableCommentOp(
            table.name, table.comment, schema=table.schema, existing_comment=reflected.comment
        )
    ]


def _enum_changes(
    run: Comparison,
    model_tables: dict[TableKey, sa.Table],
    kept: list[ReflectedTable],
    removed: list[ReflectedTable],
) -> tuple[list[MigrateOperation], list[MigrateOperation]]:
    """Enum value changes (to run first) and drops of unused types (to run last)."""
    database: ReflectedDatabase = run.database
    if not run.native_enums or not database.has_enum_types:
        return [], []
    wanted = model_enums(list(model_tables.values()), run.dialect, database.default_schema)
    first: list[MigrateOperation] = []
    last: list[MigrateOperation] = []
    for key, existing in sorted(
        database.enums.items(), key=lambda item: (item[0][0] or "", item[0][1])
    ):
        schema, name = key
        if not run.include_name(name, "enum", {"schema_name": schema}):
            continue
        labels = wanted.get(key)
        uses = enum_uses(database, schema, name)
        if labels is None:
            recreated = any(
                (use.schema, use.table) in {(r.schema, r.name) for r in removed} for use in uses
            ) or _used_by_dropped_columns(uses, model_tables)
            last.append(
                EnumChangeOp(
                    name,
                    schema,
                    existing.labels,
                    None,
                    uses,
                    reverse_implicit=recreated,
                    dialect=run.dialect,
                )
            )
        elif tuple(labels) != existing.labels:
            first.append(
                EnumChangeOp(name, schema, existing.labels, labels, uses, dialect=run.dialect)
            )
    for (schema, name), labels in sorted(
        wanted.items(), key=lambda item: (item[0][0] or "", item[0][1])
    ):
        if (schema, name) not in database.enums:
            # created by create_table / add_column; the downgrade drops it after them
            first.append(
                EnumChangeOp(name, schema, None, labels, implicit=True, dialect=run.dialect)
            )
    return first, last


def _used_by_dropped_columns(uses: Any, model_tables: dict[TableKey, sa.Table]) -> bool:
    for use in uses:
        table = model_tables.get((use.schema, use.table))
        if table is not None and use.column not in table.columns:
            return True
    return False


CompareFn = Callable[[AutogenContext, UpgradeOps], None]
