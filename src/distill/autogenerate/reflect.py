"""What the live database holds, read with SQLAlchemy's bulk inspector calls into plain data.

One `get_multi_*` call per kind of object and schema (columns, primary keys, indexes,
unique constraints, foreign keys, check constraints, comments), so a schema of a
thousand tables costs a handful of queries. The version table is never part of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Inspector

from distill.dialects.own_objects import is_own_object

# include_name(name, type_, parent_names) -> bool, as env.py passes it
NameFilter = Callable[[str | None, str, Mapping[str, Any]], bool]


@dataclass(frozen=True)
class ReflectedColumn:
    """A column as the database reports it."""

    name: str
    type: Any
    nullable: bool
    default: str | None = None
    comment: str | None = None
    autoincrement: Any = "auto"
    identity: Mapping[str, Any] | None = None
    computed: Mapping[str, Any] | None = None
    dialect_options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReflectedIndex:
    """An index: plain columns, or SQL expressions where the database reports them."""

    name: str | None
    columns: tuple[str | None, ...]
    unique: bool
    expressions: tuple[str, ...] | None = None
    dialect_options: Mapping[str, Any] = field(default_factory=dict)
    duplicates_constraint: str | None = None


@dataclass(frozen=True)
class ReflectedUnique:
    """A unique constraint."""

    name: str | None
    columns: tuple[str, ...]
    duplicates_index: str | None = None
    dialect_options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReflectedForeignKey:
    """A foreign key with its ON DELETE / ON UPDATE / DEFERRABLE options."""

    name: str | None
    columns: tuple[str, ...]
    referred_schema: str | None
    referred_table: str
    referred_columns: tuple[str, ...]
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReflectedCheck:
    """A check constraint, its SQL text as the database reports it."""

    name: str | None
    sqltext: str


@dataclass(frozen=True)
class ReflectedPrimaryKey:
    """The primary key: its name (None where the database has none) and columns."""

    name: str | None
    columns: tuple[str, ...]


@dataclass(frozen=True)
class ReflectedTable:
    """One table and everything on it."""

    schema: str | None
    name: str
    columns: tuple[ReflectedColumn, ...]
    primary_key: ReflectedPrimaryKey
    indexes: tuple[ReflectedIndex, ...] = ()
    uniques: tuple[ReflectedUnique, ...] = ()
    foreign_keys: tuple[ReflectedForeignKey, ...] = ()
    checks: tuple[ReflectedCheck, ...] | None = None  # None: not reflected by this database
    comment: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    renamed_from: str | None = None  # the name in the database, for a confirmed rename

    def column(self, name: str) -> ReflectedColumn | None:
        """The column called `name`, if any."""
        return self._columns_by_name.get(name)

    @cached_property
    def _columns_by_name(self) -> dict[str, ReflectedColumn]:
        """The columns by name, the first of a repeated name winning (built on first use)."""
        found: dict[str, ReflectedColumn] = {}
        for column in self.columns:
            found.setdefault(column.name, column)
        return found


@dataclass(frozen=True)
class ReflectedEnum:
    """A named ENUM type (PostgreSQL) with its labels in order."""

    schema: str | None
    name: str
    labels: tuple[str, ...]


@dataclass(frozen=True)
class ReflectedDatabase:
    """The tables (keyed by schema and name) and enum types of the schemas looked at."""

    default_schema: str | None
    schemas: tuple[str | None, ...]
    tables: Mapping[tuple[str | None, str], ReflectedTable]
    enums: Mapping[tuple[str | None, str], ReflectedEnum] = field(default_factory=dict)
    has_enum_types: bool = False  # the database has named enum types (PostgreSQL)


def _accept_all(name: str | None, type_: str, parent_names: Mapping[str, Any]) -> bool:
    return True


def reflect_database(
    connection: Connection,
    schemas: Iterable[str | None],
    *,
    include_name: NameFilter | None = None,
    version_table: tuple[str | None, str] | None = ("__none__", "alembic_version"),
    inspector: Inspector | None = None,
) -> ReflectedDatabase:
    """Read the tables of `schemas` (None: the default schema) that include_name accepts."""
    accept = include_name or _accept_all
    if inspector is None:
        from distill.dialects import impl_class_for

        inspector = impl_class_for(connection.dialect).bulk_inspector(connection)
    default_schema = connection.dialect.default_schema_name
    tables: dict[tuple[str | None, str], ReflectedTable] = {}
    enums: dict[tuple[str | None, str], ReflectedEnum] = {}
    wanted_schemas = tuple(schemas)
    for schema in wanted_schemas:
        names = [
            name
            for name in inspector.get_table_names(schema=schema)
            if not _is_version_table(schema, name, version_table, default_schema)
            and accept(name, "table", {"schema_name": schema})
        ]
        if names:
            tables.update(_reflect_tables(connection, inspector, schema, names))
        enums.update(_reflect_enums(inspector, schema, default_schema))
    has_enums = getattr(inspector, "get_enums", None) is not None
    return ReflectedDatabase(default_schema, wanted_schemas, tables, enums, has_enums)


def _is_version_table(
    schema: str | None,
    name: str,
    version_table: tuple[str | None, str] | None,
    default_schema: str | None,
) -> bool:
    """The version table, or one of distill's own tables beside it (`distill_log`)."""
    if version_table is None:
        return False
    version_schema, version_name = version_table
    if name != version_name and not is_own_object(name):
        return False
    if version_schema == "__none__":  # any schema: the caller did not say where it is
        return True
    return _same_schema(schema, version_schema, default_schema)


def _same_schema(one: str | None, other: str | None, default_schema: str | None) -> bool:
    return (one or default_schema) == (other or default_schema)


def _reflect_tables(
    connection: Connection, inspector: Inspector, schema: str | None, names: list[str]
) -> dict[tuple[str | None, str], ReflectedTable]:
    """Every kind of object of the named tables, one bulk call per kind."""
    dialect = connection.dialect
    kw: dict[str, Any] = {"schema": schema, "filter_names": names}
    columns = inspector.get_multi_columns(**kw)
    pks = inspector.get_multi_pk_constraint(**kw)
    indexes = inspector.get_multi_indexes(**kw)
    uniques = _optional(inspector.get_multi_unique_constraints, kw)
    fks = inspector.get_multi_foreign_keys(**kw)
    checks = _optional(inspector.get_multi_check_constraints, kw)
    comments = _optional(inspector.get_multi_table_comment, kw) if dialect.supports_comments else {}
    options = _optional(inspector.get_multi_table_options, kw)
    result: dict[tuple[str | None, str], ReflectedTable] = {}
    for key, raw_columns in columns.items():
        _, name = key
        pk: Mapping[str, Any] = pks.get(key) or {}
        result[(schema, name)] = ReflectedTable(
            schema=schema,
            name=name,
            columns=tuple(_column(column) for column in raw_columns),
            primary_key=ReflectedPrimaryKey(
                pk.get("name"), tuple(pk.get("constrained_columns") or ())
            ),
            indexes=tuple(_index(index) for index in indexes.get(key, ())),
            uniques=tuple(_unique(unique) for unique in (uniques or {}).get(key, ())),
            foreign_keys=tuple(_foreign_key(fk) for fk in fks.get(key, ())),
            checks=(
                None
                if checks is None
                else tuple(
                    ReflectedCheck(check.get("name"), str(check["sqltext"]))
                    for check in checks.get(key, ())
                )
            ),
            comment=((comments or {}).get(key) or {}).get("text"),
            options=dict((options or {}).get(key) or {}),
        )
    return result


def _optional(method: Callable[..., Any], kw: Mapping[str, Any]) -> Any:
    """A bulk call some dialects do not implement: None where they do not."""
    try:
        return method(**kw)
    except NotImplementedError:
        return None


def _column(raw: Mapping[str, Any]) -> ReflectedColumn:
    default = raw.get("default")
    return ReflectedColumn(
        name=raw["name"],
        type=raw["type"],
        nullable=bool(raw.get("nullable", True)),
        default=None if default is None else str(default),
        comment=raw.get("comment"),
        autoincrement=raw.get("autoincrement", "auto"),
        identity=raw.get("identity"),
        computed=raw.get("computed"),
        dialect_options=dict(raw.get("dialect_options") or {}),
    )


def _index(raw: Mapping[str, Any]) -> ReflectedIndex:
    expressions = raw.get("expressions")
    return ReflectedIndex(
        name=raw.get("name"),
        columns=tuple(raw.get("column_names") or ()),
        unique=bool(raw.get("unique")),
        expressions=None if expressions is None else tuple(str(e) for e in expressions),
        dialect_options={
            key: (str(value) if isinstance(value, sa.TextClause) else value)
            for key, value in (raw.get("dialect_options") or {}).items()
        },
        duplicates_constraint=raw.get("duplicates_constraint"),
    )


def _unique(raw: Mapping[str, Any]) -> ReflectedUnique:
    return ReflectedUnique(
        name=raw.get("name"),
        columns=tuple(raw.get("column_names") or ()),
        duplicates_index=raw.get("duplicates_index"),
        dialect_options=dict(raw.get("dialect_options") or {}),
    )


def _foreign_key(raw: Mapping[str, Any]) -> ReflectedForeignKey:
    return ReflectedForeignKey(
        name=raw.get("name"),
        columns=tuple(raw.get("constrained_columns") or ()),
        referred_schema=raw.get("referred_schema"),
        referred_table=raw["referred_table"],
        referred_columns=tuple(raw.get("referred_columns") or ()),
        options=dict(raw.get("options") or {}),
    )


def _reflect_enums(
    inspector: Inspector, schema: str | None, default_schema: str | None
) -> dict[tuple[str | None, str], ReflectedEnum]:
    """Named ENUM types of one schema, where the dialect has them (PostgreSQL)."""
    get_enums = getattr(inspector, "get_enums", None)
    if get_enums is None:
        return {}
    found: dict[tuple[str | None, str], ReflectedEnum] = {}
    for raw in get_enums(schema=schema or default_schema):
        enum_schema = None if raw.get("schema") in (None, default_schema) else raw["schema"]
        found[(enum_schema, raw["name"])] = ReflectedEnum(
            enum_schema, raw["name"], tuple(raw.get("labels") or ())
        )
    return found


def schema_names(connection: Connection, inspector: Inspector | None = None) -> list[str]:
    """Every schema of the database except the default one."""
    inspector = inspector if inspector is not None else sa.inspect(connection)
    default = connection.dialect.default_schema_name
    return [
        name
        for name in inspector.get_schema_names()
        if name != default and name.lower() not in _SYSTEM_SCHEMAS
    ]


# the databases' own catalogs, never user schemas
_SYSTEM_SCHEMAS = {"information_schema", "performance_schema", "mysql", "sys", "pg_catalog"}
