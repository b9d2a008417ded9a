"""Read a database into plain data: schema, version rows and a digest of the data."""

from __future__ import annotations

import datetime
import decimal
import hashlib
import uuid
import warnings
from collections.abc import Collection, Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

OWN_PREFIX = "distill_"  # every object distill adds to a database for itself


def type_text(type_: Any, dialect: Dialect) -> str:
    """A column type as the database dialect writes it."""
    try:
        return str(type_.compile(dialect=dialect))
    except Exception:  # NullType and other types the dialect cannot render
        return repr(type_)


def _key(name: str | None, columns: Iterable[Any]) -> str:
    """The key of a constraint or index: its name, or its columns when it has none."""
    return name if name else "(unnamed " + ",".join(str(c) for c in columns) + ")"


def _json(value: Any) -> Any:
    """A reflected value as plain data (SQL expressions as their text)."""
    if isinstance(value, (str, int, float, bool, type(None))):
        return value
    if isinstance(value, Mapping):
        return {str(key): _json(item) for key, item in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_json(item) for item in value]
    if isinstance(value, sa.sql.ClauseElement):
        return str(value)
    return repr(value)


def _options(item: Mapping[str, Any], skip: Collection[str]) -> dict[str, Any]:
    """The entries of a reflected item that say something, less those used as keys."""
    return {
        key: _json(value)
        for key, value in sorted(item.items())
        if key not in skip and value not in (None, {}, [])
    }


def reflect_table(inspector: sa.Inspector, table: str, dialect: Dialect) -> dict[str, Any]:
    """One table: ordered columns, keys, constraints and indexes, all named."""
    columns = [
        {
            "name": column["name"],
            "type": type_text(column["type"], dialect),
            "nullable": column["nullable"],
            "default": column.get("default"),
            "comment": column.get("comment"),
            **({"identity": repr(column["identity"])} if column.get("identity") else {}),
            **({"computed": repr(column["computed"])} if column.get("computed") else {}),
        }
        for column in inspector.get_columns(table)
    ]
    pk = inspector.get_pk_constraint(table)
    foreign_keys = {
        _key(fk["name"], fk["constrained_columns"]): {
            "columns": fk["constrained_columns"],
            "referred": f"{fk['referred_table']}({', '.join(fk['referred_columns'])})",
            **_options(fk.get("options", {}), ()),
        }
        for fk in inspector.get_foreign_keys(table)
    }
    uniques = {
        _key(uq["name"], uq["column_names"]): {"columns": uq["column_names"]}
        for uq in inspector.get_unique_constraints(table)
    }
    checks = {
        _key(ck["name"], [ck["sqltext"]]): {"sqltext": str(ck["sqltext"])}
        for ck in inspector.get_check_constraints(table)
    }
    indexes = {
        _key(ix["name"], ix["column_names"]): {
            "columns": ix["column_names"],
            "unique": bool(ix["unique"]),
            **_options(ix, ("name", "column_names", "unique")),
        }
        for ix in inspector.get_indexes(table)
    }
    return {
        "columns": {column["name"]: column for column in columns},
        "column_order": [column["name"] for column in columns],
        "primary_key": {"name": pk.get("name"), "columns": pk.get("constrained_columns", [])},
        "foreign_keys": foreign_keys,
        "unique_constraints": uniques,
        "check_constraints": checks,
        "indexes": indexes,
    }


def _plain(value: Any) -> str:
    """A stable text for one stored value, the same whichever driver returned it."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "x" + bytes(value).hex()
    if isinstance(value, (datetime.date, datetime.time, datetime.timedelta)):
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    return repr(value)


def data_digest(
    connection: sa.Connection, table: sa.Table, skip: Collection[str]
) -> dict[str, Any]:
    """Row count and a hash of the sorted rows, leaving out columns named in `skip`."""
    columns = [column for column in table.columns if column.name not in skip]
    rows = (
        sorted(
            "\x1f".join(_plain(value) for value in row)
            for row in connection.execute(sa.select(*columns))
            if columns
        )
        if columns
        else []
    )
    count = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
    digest = hashlib.sha256("\x1e".join(rows).encode()).hexdigest()[:16]
    return {"rows": count, "hash": digest}


def sqlite_objects(connection: sa.Connection) -> dict[str, str]:
    """SQLite's indexes, triggers and views as stored, whitespace folded."""
    rows = connection.exec_driver_sql(
        "SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger', 'view') "
        "AND sql IS NOT NULL"
    )
    return {f"{kind} {name}": " ".join(str(sql).split()) for kind, name, sql in rows}


def take(
    url: str,
    version_table: str = "alembic_version",
    volatile: Collection[str] = (),
) -> dict[str, Any]:
    """The snapshot of the database at `url`; `volatile` names `table.column`s to not hash."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with warnings.catch_warnings(), engine.connect() as connection:
            # expression indexes SQLAlchemy cannot reflect are compared through sqlite_master
            warnings.simplefilter("ignore", sa.exc.SAWarning)
            inspector = sa.inspect(connection)
            dialect = connection.dialect
            # distill's own tables (the applied-revision log) are not the project's schema
            names = sorted(n for n in inspector.get_table_names() if not n.startswith(OWN_PREFIX))
            tables = {
                name: reflect_table(inspector, name, dialect)
                for name in names
                if name != version_table
            }
            metadata = sa.MetaData()
            data: dict[str, Any] = {}
            versions: list[str] = []
            for name in names:
                table = sa.Table(name, metadata, autoload_with=connection)
                if name == version_table:
                    versions = sorted(
                        str(v) for v in connection.execute(sa.select(*table.columns)).scalars()
                    )
                    continue
                skip = {v.split(".", 1)[1] for v in volatile if v.split(".", 1)[0] == name}
                data[name] = data_digest(connection, table, skip)
            snapshot: dict[str, Any] = {"tables": tables, "versions": versions, "data": data}
            if dialect.name == "postgresql":
                snapshot["enums"] = {
                    enum["name"]: list(enum["labels"])
                    for enum in inspector.get_enums()  # type: ignore[attr-defined]
                }
                snapshot["sequences"] = sorted(
                    n for n in inspector.get_sequence_names() if not n.startswith(OWN_PREFIX)
                )
            if dialect.name == "sqlite":
                snapshot["sqlite_master"] = sqlite_objects(connection)
            views = sorted(inspector.get_view_names())
            if views:
                snapshot["views"] = views
            return snapshot
    finally:
        engine.dispose()
