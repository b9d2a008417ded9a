"""A whole schema as the ops that create it from nothing: the body of a squashed baseline.

The schema comes reflected from a database (`reflect.py`); it is compared, as models,
against an empty database, so the result is what `revision --autogenerate` would write
for it: tables parents first (foreign-key cycles as separate constraints), their
indexes, named enum types, and the reverse for the downgrade.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from distill.autogenerate.autogen_context import AutogenContext
from distill.autogenerate.compare import _compare_tables
from distill.autogenerate.comparison import Comparison
from distill.autogenerate.containers import ModifyTableOps, UpgradeOps
from distill.autogenerate.reflect import ReflectedDatabase
from distill.autogenerate.reflected_objects import to_table
from distill.autogenerate.render import render_body
from distill.operations.ops import DropIndexOp


def creation_ops(migration_context: Any, database: ReflectedDatabase) -> UpgradeOps:
    """The ops that build every table (and enum type) of `database` in an empty database."""
    metadata = sa.MetaData()
    tables = {key: to_table(table, metadata) for key, table in database.tables.items()}
    context = AutogenContext(migration_context, metadata=metadata, opts={})
    empty = ReflectedDatabase(
        database.default_schema, database.schemas, {}, {}, database.has_enum_types
    )
    upgrade_ops = UpgradeOps(ops=[])
    _compare_tables(Comparison.start(context, empty), upgrade_ops, tables, set())
    return upgrade_ops


def _without_index_drops(downgrade_ops: Any) -> Any:
    """The downgrade without its index drops: every table is dropped with its indexes, and
    MySQL refuses to drop an index a foreign key still needs."""
    kept = []
    for op in downgrade_ops.ops:
        if isinstance(op, ModifyTableOps):
            op.ops = [inner for inner in op.ops if not isinstance(inner, DropIndexOp)]
            if op.is_empty():
                continue
        kept.append(op)
    downgrade_ops.ops = kept
    return downgrade_ops


def render_creation(migration_context: Any, database: ReflectedDatabase) -> tuple[str, str, str]:
    """(upgrade body, downgrade body, import lines) of the ops that build `database`."""
    context = AutogenContext(migration_context, metadata=None, opts={})
    upgrade_ops = creation_ops(migration_context, database)
    upgrade = render_body(context, upgrade_ops)
    downgrade = render_body(context, _without_index_drops(upgrade_ops.reverse()))
    return upgrade, downgrade, "\n".join(sorted(context.imports))
