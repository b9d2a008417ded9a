"""AutogenContext: what comparators and renderers receive, as under Alembic.

It carries the migration context (and so the connection and dialect), the target
metadata, the options env.py gave to `configure()`, the filters (`include_name`,
`include_object`), the comparator registry of this run and the imports the rendered
code needs.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from distill.autogenerate.registry import ComparatorRegistry, Plugin, comparators
from distill.errors import DistillError

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlalchemy.engine import Connection, Dialect, Inspector


_DEFAULTS: dict[str, Any] = {
    "include_schemas": False,
    "compare_type": True,
    "compare_server_default": False,
    "render_as_batch": False,
    "alembic_module_prefix": "op.",
    "sqlalchemy_module_prefix": "sa.",
    "user_module_prefix": None,
    "upgrade_token": "upgrades",
    "downgrade_token": "downgrades",
}


def metadata_list(metadata: Any) -> list[sa.MetaData]:
    """target_metadata as a list: one MetaData, or a sequence of them as Alembic allows."""
    if metadata is None:
        return []
    if isinstance(metadata, Sequence):
        return list(metadata)
    return [metadata]


class AutogenContext:
    """The state of one autogenerate run (or of a render without a database)."""

    def __init__(
        self,
        migration_context: Any,
        metadata: Any = None,
        opts: Mapping[str, Any] | None = None,
        autogenerate: bool = True,
    ) -> None:
        if opts is None:
            opts = getattr(migration_context, "opts", None) or {}
        # configure()'s defaults, which plugins read without checking
        self.opts: dict[str, Any] = {**_DEFAULTS, **dict(opts)}
        if metadata is None:
            metadata = self.opts.get("target_metadata")
        if (
            autogenerate
            and migration_context is not None
            and getattr(migration_context, "as_sql", False)
        ):
            raise DistillError(
                "autogenerate can't use as_sql=True as it prevents querying the database "
                "for schema information; run it without --sql"
            )
        self.migration_context = migration_context
        self.metadata = metadata
        self.autogenerate = autogenerate
        self.connection: Connection | None = getattr(migration_context, "bind", None)
        self.dialect: Dialect | None = getattr(migration_context, "dialect", None)
        self.imports: set[str] = set()
        self._has_batch = False
        # (kind, table, old name) -> the rename candidate a drop may really be
        self._rename_hints: dict[tuple[str, str, str], Any] = {}
        self._inspector: Inspector | None = None
        include_object = self.opts.get("include_object")
        include_name = self.opts.get("include_name")
        self._object_filters: list[Callable[..., bool]] = [include_object] if include_object else []
        self._name_filters: list[Callable[..., bool]] = [include_name] if include_name else []
        self.comparators = _comparators_for(self.opts.get("autogenerate_plugins"))

    @property
    def inspector(self) -> Inspector:
        """A SQLAlchemy Inspector on the connection, the dialect's bulk one (made once per run)."""
        if self._inspector is None:
            if self.connection is None:
                raise DistillError(
                    "this AutogenContext has no database connection; configure the "
                    "MigrationContext with connection=... to compare against a database"
                )
            from distill.dialects import impl_class_for

            self._inspector = impl_class_for(self.connection.dialect).bulk_inspector(
                self.connection
            )
        return self._inspector

    @contextmanager
    def _within_batch(self) -> Iterator[None]:
        self._has_batch = True
        try:
            yield
        finally:
            self._has_batch = False

    def run_name_filters(
        self, name: str | None, type_: str, parent_names: Mapping[str, Any]
    ) -> bool:
        """True when every include_name hook accepts the reflected name."""
        names = dict(parent_names)
        if "table_name" in names:
            schema = names.get("schema_name")
            table = names["table_name"]
            names["schema_qualified_table_name"] = f"{schema}.{table}" if schema else table
        elif type_ == "table":
            schema = names.get("schema_name")
            names["schema_qualified_table_name"] = f"{schema}.{name}" if schema else name
        return all(hook(name, type_, names) for hook in self._name_filters)

    def run_object_filters(
        self, object_: Any, name: Any, type_: str, reflected: bool, compare_to: Any
    ) -> bool:
        """True when every include_object hook accepts the object."""
        return all(
            hook(object_, name, type_, reflected, compare_to) for hook in self._object_filters
        )

    run_filters = run_object_filters

    @property
    def filters_objects(self) -> bool:
        """Whether an include_object hook looks at the objects (else every one is kept)."""
        return bool(self._object_filters)

    @property
    def sorted_tables(self) -> list[sa.Table]:
        """The tables of every target MetaData, each in dependency order."""
        return [
            table for metadata in metadata_list(self.metadata) for table in metadata.sorted_tables
        ]

    @property
    def table_key_to_table(self) -> dict[str, sa.Table]:
        """Tables by key across every target MetaData; a key in two of them is an error."""
        found: dict[str, sa.Table] = {}
        for metadata in metadata_list(self.metadata):
            for key, table in metadata.tables.items():
                if key in found:
                    raise ValueError(
                        f"Duplicate table keys across multiple MetaData objects: {key!r}; "
                        "each table may belong to one of the target MetaData objects only"
                    )
                found[key] = table
        return found


def _comparators_for(plugin_patterns: Sequence[str] | None) -> ComparatorRegistry:
    """The global comparators plus those of the named Plugins env.py enables."""
    registry = comparators.branch()
    for name, plugin in Plugin.registered().items():
        if any(fnmatch.fnmatch(name, pattern) for pattern in plugin_patterns or ()):
            registry.populate_with(plugin.autogenerate_comparators)
    return registry
