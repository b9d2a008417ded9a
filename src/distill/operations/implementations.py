"""How each built-in op is carried out: SQLAlchemy objects built from the op, then the
DialectImpl call that writes or runs the SQL.

Each function is registered with `Operations.implementation_for`, the same way a plugin
registers its own; importing `distill.operations` registers them all.
"""

from __future__ import annotations

import sqlalchemy as sa

from distill.errors import DistillError
from distill.operations.api import Operations
from distill.operations.ops import (
    AddColumnOp,
    AddConstraintOp,
    AlterColumnOp,
    BulkInsertOp,
    CreateExcludeConstraintOp,
    CreateIndexOp,
    CreateTableCommentOp,
    CreateTableOp,
    DropColumnOp,
    DropConstraintOp,
    DropIndexOp,
    DropTableCommentOp,
    DropTableOp,
    ExecuteSQLOp,
    RenameTableOp,
)
from distill.operations.schema_objects import build_table, detached, metadata_for


@Operations.implementation_for(CreateTableOp)
def _create_table(operations: Operations, operation: CreateTableOp) -> sa.Table:
    table = operation.to_table(operations.migration_context)
    operations.impl.create_table(table, if_not_exists=bool(operation.if_not_exists))
    return table


@Operations.implementation_for(DropTableOp)
def _drop_table(operations: Operations, operation: DropTableOp) -> None:
    table = operation.to_table(operations.migration_context)
    operations.impl.drop_table(table, if_exists=bool(operation.if_exists))


@Operations.implementation_for(AddColumnOp)
def _add_column(operations: Operations, operation: AddColumnOp) -> None:
    # on a stand-in table the column's ForeignKey / unique / index become named objects
    column = detached(operation.column)
    build_table(
        metadata_for(operations.migration_context),
        operation.table_name,
        [column],
        schema=operation.schema,
    )
    operations.impl.add_column(
        operation.table_name,
        column,
        schema=operation.schema,
        if_not_exists=bool(operation.if_not_exists),
        inline_references=bool(operation.inline_references),
        inline_primary_key=bool(operation.inline_primary_key),
        **operation.kw,
    )


@Operations.implementation_for(DropColumnOp)
def _drop_column(operations: Operations, operation: DropColumnOp) -> None:
    # the dropped column's definition, when known, lets a backend clean up after it
    known = operation._reverse.column if operation._reverse is not None else None
    operations.impl.drop_column(
        operation.table_name,
        known
        if known is not None and known.name == operation.column_name
        else operation.column_name,
        schema=operation.schema,
        if_exists=bool(operation.if_exists),
    )


@Operations.implementation_for(CreateIndexOp)
def _create_index(operations: Operations, operation: CreateIndexOp) -> None:
    index = operation.to_index(operations.migration_context)
    operations.impl.create_index(index, if_not_exists=bool(operation.if_not_exists))


@Operations.implementation_for(DropIndexOp)
def _drop_index(operations: Operations, operation: DropIndexOp) -> None:
    impl = operations.impl
    if operation.table_name is None and impl.drop_index_needs_table:
        raise DistillError(
            f"drop_index({operation.index_name!r}): {impl.name} drops an index with "
            "DROP INDEX ... ON <table>, so the table name is required; call "
            f"op.drop_index({operation.index_name!r}, table_name='<table>')"
        )
    index = operation.to_index(operations.migration_context)
    impl.drop_index(index, if_exists=bool(operation.if_exists))


@Operations.implementation_for(ExecuteSQLOp)
def _execute_sql(operations: Operations, operation: ExecuteSQLOp) -> None:
    operations.impl.execute(operation.sqltext, execution_options=operation.execution_options)


@Operations.implementation_for(BulkInsertOp)
def _bulk_insert(operations: Operations, operation: BulkInsertOp) -> None:
    operations.impl.bulk_insert(operation.table, operation.rows, multiinsert=operation.multiinsert)


@Operations.implementation_for(RenameTableOp)
def _rename_table(operations: Operations, operation: RenameTableOp) -> None:
    operations.impl.rename_table(
        operation.table_name, operation.new_table_name, schema=operation.schema
    )


@Operations.implementation_for(AlterColumnOp)
def _alter_column(operations: Operations, operation: AlterColumnOp) -> None:
    operations.impl.alter_column(operation.to_alteration())


def _constraint_of(
    operations: Operations, operation: AddConstraintOp | DropConstraintOp, where: str
) -> sa.Constraint:
    """The op's SQLAlchemy constraint; a naming convention that cannot name it is explained."""
    try:
        return operation.to_constraint(operations.migration_context)
    except sa.exc.InvalidRequestError as error:
        raise DistillError(
            f"{where}: {error}; give the constraint a name, or use a naming convention "
            "that does not need one"
        ) from error


_CREATE_DIRECTIVES = {
    "unique": "create_unique_constraint",
    "primarykey": "create_primary_key",
    "check": "create_check_constraint",
    "foreignkey": "create_foreign_key",
    "exclude": "create_exclude_constraint",
}


@Operations.implementation_for(AddConstraintOp)
def _add_constraint(operations: Operations, operation: AddConstraintOp) -> None:
    name = operation.constraint_name
    directive = _CREATE_DIRECTIVES.get(operation.constraint_type, "create_constraint")
    where = f"{directive}({name!r}, {operation.table_name!r})"
    constraint = _constraint_of(operations, operation, where)
    impl = operations.impl
    if isinstance(operation, CreateExcludeConstraintOp) and not impl.supports_exclude_constraints:
        raise DistillError(
            f"create_exclude_constraint({name!r}, {operation.table_name!r}): EXCLUDE "
            f"constraints are PostgreSQL's; {impl.name} has none"
        )
    impl.add_constraint(constraint)


@Operations.implementation_for(DropConstraintOp)
def _drop_constraint(operations: Operations, operation: DropConstraintOp) -> None:
    where = f"drop_constraint({operation.constraint_name!r}, {operation.table_name!r})"
    constraint = _constraint_of(operations, operation, where)
    operations.impl.drop_constraint(constraint, if_exists=bool(operation.if_exists))


@Operations.implementation_for(CreateTableCommentOp)
def _create_table_comment(operations: Operations, operation: CreateTableCommentOp) -> None:
    operations.impl.create_table_comment(operation.to_table(operations.migration_context))


@Operations.implementation_for(DropTableCommentOp)
def _drop_table_comment(operations: Operations, operation: DropTableCommentOp) -> None:
    operations.impl.drop_table_comment(operation.to_table(operations.migration_context))
