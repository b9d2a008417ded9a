"""Primary key, indexes, unique constraints, foreign keys and checks of one table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import sqlalchemy as sa

from distill.autogenerate.comparison import Comparison
from distill.autogenerate.reflect import ReflectedIndex, ReflectedTable
from distill.autogenerate.reflected_objects import to_index
from distill.autogenerate.signatures import (
    Keyed,
    create_op,
    final_name,
    model_check,
    model_foreign_key,
    model_index_signature,
    model_unique,
    pair,
    reflected_check,
    reflected_foreign_key,
    reflected_index_signature,
    reflected_unique,
)
from distill.operations.ops import (
    CreatePrimaryKeyOp,
    DropConstraintOp,
    DropIndexOp,
    MigrateOperation,
)


@dataclass
class ConstraintChanges:
    """Ops on one table's constraints: what goes before and after the column changes."""

    drops: list[MigrateOperation] = field(default_factory=list)
    adds: list[MigrateOperation] = field(default_factory=list)
    foreign_keys: list[MigrateOperation] = field(default_factory=list)


def compare_constraints(
    run: Comparison, reflected: ReflectedTable, table: sa.Table
) -> ConstraintChanges:
    """What changes in the primary key, indexes, uniques, foreign keys and checks."""
    changes = ConstraintChanges()
    # the reflected Table is built only when a constraint of it is dropped
    conn_table = partial(run.reflected_table, reflected)
    _primary_key(run, reflected, table, conn_table, changes)
    _indexes_and_uniques(run, reflected, table, conn_table, changes)
    _foreign_keys(run, reflected, table, conn_table, changes)
    _checks(run, reflected, table, conn_table, changes)
    return changes


def _parents(reflected: ReflectedTable) -> dict[str, Any]:
    return {"table_name": reflected.name, "schema_name": reflected.schema}


def _named(
    conn_table: sa.Table, kind: type[Any], name: str | None, columns: tuple[str, ...]
) -> Any:
    """The reflected SQLAlchemy constraint of `kind` with that name (or those columns)."""
    for constraint in conn_table.constraints:
        if not isinstance(constraint, kind):
            continue
        if name is not None and constraint.name == name:
            return constraint
        if name is None and tuple(c.name for c in constraint.columns) == columns:
            return constraint
    return None


def _primary_key(
    run: Comparison,
    reflected: ReflectedTable,
    table: sa.Table,
    conn_table: Callable[[], sa.Table],
    changes: ConstraintChanges,
) -> None:
    model = tuple(column.name for column in table.primary_key.columns)
    database = reflected.primary_key.columns
    if model == database:
        return
    if database:
        constraint = conn_table().primary_key
        changes.drops.append(DropConstraintOp.from_constraint(constraint))
    if model:
        changes.adds.append(
            CreatePrimaryKeyOp(
                final_name(table.primary_key, table),
                reflected.name,
                list(model),
                schema=reflected.schema,
            )
        )


def _indexes_and_uniques(
    run: Comparison,
    reflected: ReflectedTable,
    table: sa.Table,
    conn_table: Callable[[], sa.Table],
    changes: ConstraintChanges,
) -> None:
    rules, dialect = run.rules, run.dialect
    parents = _parents(reflected)
    unique_index_names = {u.duplicates_index for u in reflected.uniques if u.duplicates_index}
    db_indexes = [
        Keyed(index.name, reflected_index_signature(index, rules), index)
        for index in reflected.indexes
        if index.duplicates_constraint is None
        and index.name not in unique_index_names
        and run.include_name(index.name, "index", parents)
    ]
    db_uniques = [
        reflected_unique(unique)
        for unique in reflected.uniques
        if run.include_name(unique.name, "unique_constraint", parents)
    ]
    model_indexes = [
        Keyed(final_name(index, table), model_index_signature(index, dialect, rules), index)
        for index in sorted(table.indexes, key=lambda i: str(i.name or ""))
    ]
    model_uniques = [
        model_unique(constraint, table)
        for constraint in table.constraints
        if isinstance(constraint, sa.UniqueConstraint)
    ]
    index_pairs, new_indexes, old_indexes = pair(model_indexes, db_indexes)
    unique_pairs, new_uniques, old_uniques = pair(model_uniques, db_uniques)
    if rules.unique_constraints_are_indexes:
        new_indexes, old_uniques = _same_thing(new_indexes, old_uniques)
        new_uniques, old_indexes = _same_thing(new_uniques, old_indexes)
    if not rules.reflects_expression_indexes:
        new_indexes = [k for k in new_indexes if not _has_expression(k.signature)]
    if rules.foreign_keys_make_indexes:
        old_indexes = [k for k in old_indexes if not _made_by_foreign_key(k, reflected)]
    for model, database in index_pairs:
        if model.signature != database.signature and _included(run, model, database, "index"):
            changes.drops.append(_drop_index(database, conn_table()))
            changes.adds.append(create_op(model.item, table))
    for model, database in unique_pairs:
        if model.signature != database.signature and _included(
            run, model, database, "unique_constraint"
        ):
            changes.drops.append(_drop_unique(database, conn_table()))
            changes.adds.append(create_op(model.item, table))
    for model in new_indexes:
        if run.include_object(model.item, model.name, "index", False, None):
            changes.adds.append(create_op(model.item, table))
    for model in new_uniques:
        if run.include_object(model.item, model.name, "unique_constraint", False, None):
            changes.adds.append(create_op(model.item, table))
    if rules.unique_constraints_are_indexes:
        # the database's unique constraint is a unique index: dropped as one, like Alembic
        old_indexes = old_indexes + [k for k in old_uniques if k.item.duplicates_index]
        old_uniques = [k for k in old_uniques if not k.item.duplicates_index]
    for database in old_indexes:
        drop = _drop_index(database, conn_table())
        if run.include_object(drop.to_index(), database.name, "index", True, None):
            changes.drops.append(drop)
    for database in old_uniques:
        unique_drop = _drop_unique(database, conn_table())
        if database.name is not None and run.include_object(
            unique_drop.to_constraint(), database.name, "unique_constraint", True, None
        ):
            changes.drops.append(unique_drop)


def _included(run: Comparison, model: Keyed, database: Keyed, type_: str) -> bool:
    return run.include_object(model.item, model.name, type_, False, None)


def _same_thing(models: list[Keyed], databases: list[Keyed]) -> tuple[list[Keyed], list[Keyed]]:
    """Where a unique constraint is a unique index, the model's one of either kind pairs with
    the database's one of the other kind when their name or columns agree."""
    left_models = list(models)
    left_databases = list(databases)
    for model in models:
        columns = _columns_of(model.signature)
        for database in left_databases:
            same = database.name == model.name or _columns_of(database.signature) == columns
            if same and _is_unique(model.signature) and _is_unique(database.signature):
                left_models.remove(model)
                left_databases.remove(database)
                break
    return left_models, left_databases


def _columns_of(signature: tuple[Any, ...]) -> tuple[str, ...]:
    if signature and signature[0] == "unique":
        return tuple(signature[1])
    return tuple(name for kind, name in signature[0])


def _is_unique(signature: tuple[Any, ...]) -> bool:
    return signature[0] == "unique" or bool(signature[1])


def _has_expression(signature: tuple[Any, ...]) -> bool:
    return any(kind == "expression" for kind, _ in signature[0])


def _made_by_foreign_key(index: Keyed, reflected: ReflectedTable) -> bool:
    """An index the database made by itself for a foreign key's columns."""
    columns = _columns_of(index.signature)
    return not index.signature[1] and any(
        fk.columns == columns[: len(fk.columns)] and index.name in (fk.name, fk.columns[0])
        for fk in reflected.foreign_keys
    )


def _drop_index(database: Keyed, conn_table: sa.Table) -> DropIndexOp:
    found = next((i for i in conn_table.indexes if i.name == database.name), None)
    if found is None:
        found = to_index(database.item, conn_table)
    return DropIndexOp.from_index(found)


def _drop_unique(database: Keyed, conn_table: sa.Table) -> DropConstraintOp:
    item = database.item
    if isinstance(item, ReflectedIndex) or getattr(item, "duplicates_index", None):
        # a unique index standing for the constraint (MySQL/MariaDB)
        constraint = sa.UniqueConstraint(*item.columns, name=sa.sql.elements.conv(item.name))
        sa.Table(
            conn_table.name,
            sa.MetaData(),
            *[c._copy() for c in conn_table.columns],
            constraint,
            schema=conn_table.schema,
        )
    else:
        constraint = _named(conn_table, sa.UniqueConstraint, item.name, item.columns)
    return DropConstraintOp.from_constraint(constraint)


def _foreign_keys(
    run: Comparison,
    reflected: ReflectedTable,
    table: sa.Table,
    conn_table: Callable[[], sa.Table],
    changes: ConstraintChanges,
) -> None:
    default_schema = run.database.default_schema
    parents = _parents(reflected)
    database = [
        reflected_foreign_key(fk, default_schema)
        for fk in reflected.foreign_keys
        if run.include_name(fk.name, "foreign_key_constraint", parents)
    ]
    model = [
        model_foreign_key(constraint, table, default_schema)
        for constraint in table.foreign_key_constraints
    ]
    pairs, new, old = pair(model, database)
    for mine, theirs in pairs:
        if mine.signature != theirs.signature:
            new.append(mine)
            old.append(theirs)
    for theirs in old:
        constraint = _named(conn_table(), sa.ForeignKeyConstraint, theirs.name, theirs.item.columns)
        if constraint is None:
            continue
        if run.include_object(constraint, theirs.name, "foreign_key_constraint", True, None):
            changes.drops.append(DropConstraintOp.from_constraint(constraint))
    for mine in new:
        if run.include_object(mine.item, mine.name, "foreign_key_constraint", False, None):
            changes.foreign_keys.append(create_op(mine.item, table))


def _checks(
    run: Comparison,
    reflected: ReflectedTable,
    table: sa.Table,
    conn_table: Callable[[], sa.Table],
    changes: ConstraintChanges,
) -> None:
    if reflected.checks is None:
        return
    database = [
        reflected_check(check) for check in reflected.checks if not _implicit(check.sqltext)
    ]
    model = [
        model_check(constraint, table, run.dialect)
        for constraint in table.constraints
        if isinstance(constraint, sa.CheckConstraint) and not _implicit_model(constraint)
    ]
    _, new, old = pair(model, database)
    for theirs in old:
        if theirs.name is None:
            continue  # an unnamed check cannot be dropped by name
        constraint = _named(conn_table(), sa.CheckConstraint, theirs.name, ())
        if constraint is not None and run.include_object(
            constraint, theirs.name, "check_constraint", True, None
        ):
            changes.drops.append(DropConstraintOp.from_constraint(constraint))
    for mine in new:
        if run.include_object(mine.item, mine.name, "check_constraint", False, None):
            changes.adds.append(create_op(mine.item, table))


def _implicit(sqltext: str) -> bool:
    """A check the database adds by itself (MariaDB's json_valid on JSON columns)."""
    return sqltext.replace("`", "").lower().startswith("json_valid(")


def _implicit_model(constraint: sa.CheckConstraint) -> bool:
    """A check that an Enum or Boolean type adds (create_constraint) is compared as a type."""
    return bool(getattr(constraint, "_type_bound", False))
