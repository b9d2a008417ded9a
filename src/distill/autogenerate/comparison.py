"""The state one comparison run shares between its steps: context, rules, options, filters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from distill.autogenerate.autogen_context import AutogenContext
from distill.autogenerate.dialect_rules import ReflectionRules, rules_for
from distill.autogenerate.reflect import ReflectedDatabase, ReflectedTable
from distill.autogenerate.reflected_objects import to_table
from distill.autogenerate.renames import Renames


@dataclass
class Comparison:
    """One models-against-database run."""

    context: AutogenContext
    database: ReflectedDatabase
    dialect: Dialect
    rules: ReflectionRules
    compare_type: bool | Callable[..., Any]
    compare_server_default: bool | Callable[..., Any]
    native_enums: bool
    renames: Renames = field(default_factory=Renames)
    _tables: dict[tuple[str | None, str], sa.Table] = field(default_factory=dict)
    _has_comparators: dict[str, bool] = field(default_factory=dict)

    @classmethod
    def start(cls, context: AutogenContext, database: ReflectedDatabase) -> Comparison:
        """A run over `database` with the options of `context`."""
        dialect = context.dialect
        assert dialect is not None
        opts = context.opts
        return cls(
            context=context,
            database=database,
            dialect=dialect,
            rules=rules_for(dialect),
            compare_type=opts.get("compare_type", True),
            compare_server_default=opts.get("compare_server_default", False),
            native_enums=bool(opts.get("distill_compare_enums", True)),
            renames=Renames.of(opts.get("distill_renames")),
        )

    @property
    def migration_context(self) -> Any:
        """The MigrationContext, as compare_type / compare_server_default hooks receive it."""
        return self.context.migration_context

    def reflected_table(self, reflected: ReflectedTable) -> sa.Table:
        """The reflected table as a SQLAlchemy Table (built once)."""
        key = (reflected.schema, reflected.name)
        table = self._tables.get(key)
        if table is None:
            table = self._tables[key] = to_table(reflected, sa.MetaData())
        return table

    def reflected_column(self, reflected: ReflectedTable, name: str) -> sa.Column[Any]:
        """A column of the reflected table as a SQLAlchemy Column."""
        return self.reflected_table(reflected).c[name]

    @property
    def filters_objects(self) -> bool:
        """Whether include_object hooks see the compared objects: when none does, the
        reflected SQLAlchemy objects are built only for the ops that keep them."""
        return self.context.filters_objects

    def has_comparators(self, target: str) -> bool:
        """Whether plugins registered comparators for `target` ("table", "column"): asked
        once per run (per column otherwise)."""
        found = self._has_comparators.get(target)
        if found is None:
            found = bool(self.context.comparators.ordered(target, self.dialect.name))
            self._has_comparators[target] = found
        return found

    def include_name(self, name: str | None, type_: str, parents: dict[str, Any]) -> bool:
        """include_name for a reflected name."""
        return self.context.run_name_filters(name, type_, parents)

    def include_object(
        self, object_: Any, name: Any, type_: str, reflected: bool, compare_to: Any
    ) -> bool:
        """include_object for a model or reflected object."""
        return self.context.run_object_filters(object_, name, type_, reflected, compare_to)
