"""Migration directives as data: one small frozen dataclass per op, each knowing its reverse.

Constructors keep Alembic's signatures (and class names), so code written against
`alembic.operations.ops` builds the same objects here. The `_reverse` fields hold the op
being undone when it is known (autogenerate sets them); that is what makes dropping a
table, column or index reversible.

The ops live in modules by concern (tables, columns, indexes, constraints, data); this
package gathers the op classes, so `distill.operations.ops.X` is the import path.
"""

from __future__ import annotations

from distill.operations.ops.base import AlterTableOp, MigrateOperation, NotReversible
from distill.operations.ops.columns import AddColumnOp, AlterColumnOp, DropColumnOp
from distill.operations.ops.constraints import (
    AddConstraintOp,
    CreateCheckConstraintOp,
    CreateExcludeConstraintOp,
    CreateForeignKeyOp,
    CreatePrimaryKeyOp,
    CreateUniqueConstraintOp,
    DropConstraintOp,
)
from distill.operations.ops.data import BulkInsertOp, ExecuteSQLOp
from distill.operations.ops.indexes import CreateIndexOp, DropIndexOp
from distill.operations.ops.tables import (
    CreateTableCommentOp,
    CreateTableOp,
    DropTableCommentOp,
    DropTableOp,
    RenameTableOp,
)

__all__ = [
    "AddColumnOp",
    "AddConstraintOp",
    "AlterColumnOp",
    "AlterTableOp",
    "BulkInsertOp",
    "CreateCheckConstraintOp",
    "CreateExcludeConstraintOp",
    "CreateForeignKeyOp",
    "CreateIndexOp",
    "CreatePrimaryKeyOp",
    "CreateTableCommentOp",
    "CreateTableOp",
    "CreateUniqueConstraintOp",
    "DropColumnOp",
    "DropConstraintOp",
    "DropIndexOp",
    "DropTableCommentOp",
    "DropTableOp",
    "ExecuteSQLOp",
    "MigrateOperation",
    "NotReversible",
    "RenameTableOp",
]
