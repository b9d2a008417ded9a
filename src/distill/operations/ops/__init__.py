"""Migration directives as data: one small frozen dataclass per op, each knowing its reverse.

Constructors keep Alembic's signatures (and class names), so code written against
`alembic.operations.ops` builds the same objects here. The `_reverse` fields hold the op
being undone when it is known (autogenerate sets them); that is what makes dropping a
table, column or index reversible.

The ops live in modules by concern (tables, columns, indexes, constraints, data); this
package re-exports every one of them, so `distill.operations.ops.X` stays the import path.
"""

from __future__ import annotations

# When the ops were one module its imports were names of it too, and the compat layer
# serves every name here as `alembic.operations.ops`: so those names stay reachable.
from collections.abc import Mapping as Mapping
from collections.abc import Sequence as Sequence
from dataclasses import dataclass as dataclass
from typing import TYPE_CHECKING as TYPE_CHECKING
from typing import Any as Any
from typing import ClassVar as ClassVar
from typing import Literal as Literal

import sqlalchemy as sa  # noqa: F401  (a name of the former module, see above)
from sqlalchemy.sql.elements import ColumnElement as ColumnElement
from sqlalchemy.sql.elements import TextClause as TextClause
from sqlalchemy.sql.elements import conv as conv
from sqlalchemy.sql.schema import SchemaItem as SchemaItem

from distill.dialects.alteration import ColumnAlteration as ColumnAlteration
from distill.dialects.ddl import sorted_constraints as sorted_constraints
from distill.errors import DistillError as DistillError
from distill.operations.base import IndexColumn as IndexColumn
from distill.operations.base import SupportsOpts as SupportsOpts
from distill.operations.base import attach as attach
from distill.operations.base import build_exclude_constraint as build_exclude_constraint
from distill.operations.base import build_foreign_key as build_foreign_key
from distill.operations.base import build_generic_constraint as build_generic_constraint
from distill.operations.base import build_index as build_index
from distill.operations.base import build_table as build_table
from distill.operations.base import metadata_for as metadata_for
from distill.operations.base import rebind as rebind
from distill.operations.base import stand_in_table as stand_in_table
from distill.operations.ops.base import AlterTableOp as AlterTableOp
from distill.operations.ops.base import MigrateOperation as MigrateOperation
from distill.operations.ops.base import NotReversible as NotReversible
from distill.operations.ops.columns import AddColumnOp as AddColumnOp
from distill.operations.ops.columns import AlterColumnOp as AlterColumnOp
from distill.operations.ops.columns import DropColumnOp as DropColumnOp
from distill.operations.ops.constraints import AddConstraintOp as AddConstraintOp
from distill.operations.ops.constraints import CreateCheckConstraintOp as CreateCheckConstraintOp
from distill.operations.ops.constraints import (
    CreateExcludeConstraintOp as CreateExcludeConstraintOp,
)
from distill.operations.ops.constraints import CreateForeignKeyOp as CreateForeignKeyOp
from distill.operations.ops.constraints import CreatePrimaryKeyOp as CreatePrimaryKeyOp
from distill.operations.ops.constraints import (
    CreateUniqueConstraintOp as CreateUniqueConstraintOp,
)
from distill.operations.ops.constraints import DropConstraintOp as DropConstraintOp
from distill.operations.ops.data import BulkInsertOp as BulkInsertOp
from distill.operations.ops.data import ExecuteSQLOp as ExecuteSQLOp
from distill.operations.ops.indexes import CreateIndexOp as CreateIndexOp
from distill.operations.ops.indexes import DropIndexOp as DropIndexOp
from distill.operations.ops.tables import CreateTableCommentOp as CreateTableCommentOp
from distill.operations.ops.tables import CreateTableOp as CreateTableOp
from distill.operations.ops.tables import DropTableCommentOp as DropTableCommentOp
from distill.operations.ops.tables import DropTableOp as DropTableOp
from distill.operations.ops.tables import RenameTableOp as RenameTableOp
