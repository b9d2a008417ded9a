"""The checks of SQLite's guarded rebuild that keep every row as it was: NOT NULL, new
UNIQUE and CHECK constraints, type changes, ON DELETE actions and foreign keys."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from distill.dialects.base import DialectImpl, constraint_kind
from distill.dialects.refusals import refusal_reason
from distill.dialects.sql_text import quote_identifier
from distill.dialects.sqlite.stored_schema import pragma, schema_table
from distill.dialects.table_rebuild import TableRebuild
from distill.errors import DistillError

_ACTIONS = ("CASCADE", "SET NULL", "SET DEFAULT")


@dataclass(frozen=True)
class Reference:
    """A foreign key of `table` (id `fk_id` in PRAGMA foreign_key_list) that points here."""

    table: str
    fk_id: int
    columns: tuple[str, ...]
    on_delete: str


class RebuildChecks:
    """Statements on one table being rebuilt, and the checks run before and after its DDL."""

    def __init__(
        self,
        impl: DialectImpl,
        connection: sa.Connection,
        table_name: str,
        schema: str | None,
        where: str,
    ) -> None:
        self.impl = impl
        self.connection = connection
        self.name = table_name
        self.schema = schema
        self.where = where
        self.label = f"{schema}.{table_name}" if schema else table_name
        self.master = schema_table(schema)
        self._scratch_indexes = 0

    # --- statements ---

    def exec(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.impl.execute(sa.text(sql), dict(params) if params else None)

    def scalar(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.exec(sql, params).scalar()

    def qualified(self, name: str) -> str:
        prefix = f"{quote_identifier(self.schema)}." if self.schema else ""
        return prefix + quote_identifier(name)

    # --- checks that keep every row as it was ---

    def _count(self, where_clause: str) -> int:
        return int(
            self.scalar(f"SELECT count(*) FROM {self.qualified(self.name)} WHERE {where_clause}")
        )

    def _check_not_null(self, rebuild: TableRebuild, new: sa.Table, rows: int) -> None:
        for key in rebuild.copied_keys(new):
            column = new.c[key]
            if column.nullable or (column.primary_key and _is_rowid_alias(new, column)):
                continue
            source = str(rebuild.sources[key])
            nulls = self._count(f"{quote_identifier(source)} IS NULL")
            if nulls:
                raise DistillError(
                    f"{self.where}: column {column.name} of table {self.label} would become NOT "
                    f"NULL, but {nulls} of its {rows} rows hold NULL there. Fill them first "
                    f'(op.execute("UPDATE {self.name} SET {source} = ... WHERE {source} IS '
                    'NULL")); nothing was changed'
                )
        for key in rebuild.final_order():
            column = new.c[key]
            if rebuild.sources[key] is not None or column.nullable or not rows:
                continue
            if column.server_default is not None or column.computed is not None:
                continue
            if column.primary_key and _is_rowid_alias(new, column):
                continue
            raise DistillError(
                f"{self.where}: column {column.name} is added to table {self.label} as NOT "
                f"NULL without a server default, and the table has {rows} rows; give it a "
                "server_default=..., or add it nullable, fill it, then make it NOT NULL; "
                "nothing was changed"
            )

    def _check_new_unique(self, rebuild: TableRebuild) -> None:
        entries = [e for e in rebuild.constraints if e.added]
        if rebuild.primary_key is not None and rebuild.primary_key.added:
            entries.append(rebuild.primary_key)
        for entry in entries:
            if not isinstance(entry.constraint, (sa.UniqueConstraint, sa.PrimaryKeyConstraint)):
                continue
            sources = [rebuild.sources.get(key) for key in entry.keys]
            if not sources or any(source is None for source in sources):
                continue
            columns = ", ".join(quote_identifier(str(source)) for source in sources)
            filled = " AND ".join(f"{quote_identifier(str(s))} IS NOT NULL" for s in sources)
            groups = int(
                self.scalar(
                    f"SELECT count(*) FROM (SELECT 1 FROM {self.qualified(self.name)} "
                    f"WHERE {filled} GROUP BY {columns} HAVING count(*) > 1)"
                )
            )
            if groups:
                kind = constraint_kind(entry.constraint)
                raise DistillError(
                    f"{self.where}: the new {kind} constraint {entry.name or ''} on "
                    f"{self.label} ({', '.join(map(str, sources))}) does not hold: {groups} "
                    "value(s) occur in more than one row. Remove the duplicates first; nothing "
                    "was changed"
                )

    def _check_new_checks(self, rebuild: TableRebuild) -> None:
        for entry in rebuild.constraints:
            if not entry.added or not isinstance(entry.constraint, sa.CheckConstraint):
                continue
            text = rebuild.check_text(entry.constraint)
            try:
                failing = self._count(f"NOT ({text})")
            except sa.exc.DBAPIError:
                continue  # names a column the new table adds: the copy itself will tell
            if failing:
                raise DistillError(
                    f"{self.where}: the new CHECK constraint {entry.name or ''} on "
                    f"{self.label} ({text}) fails for {failing} row(s). Fix those rows first; "
                    "nothing was changed"
                )

    def _check_values(self, rebuild: TableRebuild, new: sa.Table) -> None:
        """Refuse a type change that would store any value differently.

        Each changed column's old values go through a scratch table whose column has the
        new type; a value survives when it comes back identical (same storage class and
        value), or turns back into it when cast to its old storage class (5 -> '5' -> 5).
        '007' -> 7, 3.7 -> 3 and 'abc' -> 0 do not survive.
        """
        keys = [key for key in rebuild.copied_keys(new) if key in rebuild.retyped]
        if not keys:
            return
        compiler = self.impl.dialect.type_compiler_instance
        probe = quote_identifier("_distill_probe")
        definitions = ", ".join(
            f"o{i}, n{i} {compiler.process(new.c[key].type)}" for i, key in enumerate(keys)
        )
        self.exec(f"CREATE TEMP TABLE {probe} ({definitions})")
        try:
            selected = ", ".join(
                f"{quote_identifier(str(rebuild.sources[key]))}, "
                f"{quote_identifier(str(rebuild.sources[key]))}"
                for key in keys
            )
            self.exec(
                f"INSERT INTO temp.{probe} SELECT {selected} FROM {self.qualified(self.name)}"
            )
            sums = ", ".join(f"sum(NOT ({_survives(f'n{i}', f'o{i}')}))" for i in range(len(keys)))
            counts = self.exec(f"SELECT {sums} FROM temp.{probe}").first()
        finally:
            self.exec(f"DROP TABLE temp.{probe}")
        for key, changed in zip(keys, counts or (), strict=False):
            if changed:
                column = new.c[key]
                raise DistillError(
                    f"{self.where}: changing the type of column {column.name} of table "
                    f"{self.label} to {compiler.process(column.type) or '(none)'} would change "
                    f"the stored value of {int(changed)} row(s) (SQLite converts a value to the "
                    "column's type only where it can). Convert or fix those values first; "
                    "nothing was changed"
                )

    # --- foreign keys ---

    def _references(self) -> list[Reference]:
        """Every foreign key in the database that points at this table (its own included)."""
        rows = self.exec(
            f'SELECT m.name, f.id, f."from", f.on_delete FROM {self.master} AS m '
            "JOIN pragma_foreign_key_list(m.name, :schema) AS f "
            "WHERE m.type = 'table' AND f.\"table\" = :name COLLATE NOCASE "
            "ORDER BY m.name, f.id, f.seq",
            {"name": self.name, "schema": self.schema or "main"},
        )
        found: dict[tuple[str, int], Reference] = {}
        for row in rows:
            key = (str(row[0]), int(row[1]))
            previous = found.get(key)
            columns = (*previous.columns, str(row[2])) if previous else (str(row[2]),)
            found[key] = Reference(key[0], key[1], columns, str(row[3]).upper())
        return list(found.values())

    def _check_delete_actions(self, references: list[Reference]) -> None:
        for reference in references:
            if reference.on_delete not in _ACTIONS:
                continue
            filled = " AND ".join(f"{quote_identifier(c)} IS NOT NULL" for c in reference.columns)
            rows = int(
                self.scalar(
                    f"SELECT count(*) FROM {self.qualified(reference.table)} WHERE {filled}"
                )
            )
            if rows:
                raise DistillError(
                    f"{self.where}: table {reference.table} refers to {self.label} with ON "
                    f"DELETE {reference.on_delete}, and PRAGMA foreign_keys is ON for this "
                    "connection. SQLite cannot switch it off inside the migration's "
                    f"transaction, and dropping the old {self.name} would {reference.on_delete} "
                    f"{rows} row(s) of {reference.table}. Switch foreign keys off for the "
                    "migration connection: in env.py run connection.exec_driver_sql('PRAGMA "
                    "foreign_keys=OFF') before context.begin_transaction() (distill checks "
                    "every foreign key of the rebuilt table with PRAGMA foreign_key_check "
                    "before it commits); nothing was changed"
                )

    def _violations(self, tables: Sequence[str]) -> dict[tuple[str, str], int | str]:
        """Foreign-key violations per (table, referred table), or SQLite's error text."""
        found: dict[tuple[str, str], int | str] = {}
        for table in tables:
            try:
                rows = self.exec(pragma("foreign_key_check", self.schema, table)).fetchall()
            except sa.exc.DBAPIError as error:
                # a key that refers to columns which are no primary key or unique index
                # ("foreign key mismatch"): SQLite cannot check it, a query can
                counted = self._count_violations(table)
                if counted is None:
                    found[(table.casefold(), "")] = refusal_reason(error)
                else:
                    found.update(counted)
                continue
            for row in rows:
                key = (str(row[0]).casefold(), str(row[2]).casefold())
                count = found.get(key, 0)
                found[key] = (count if isinstance(count, int) else 0) + 1
        return found

    def _count_violations(self, table: str) -> dict[tuple[str, str], int] | None:
        """What PRAGMA foreign_key_check would count for `table`, by query; None when a
        key's referred columns cannot be told (no column list and no primary key)."""
        keys: dict[int, tuple[str, list[tuple[str, str | None]]]] = {}
        try:
            for fk_id, referred, local, remote in self.exec(
                'SELECT id, "table", "from", "to" FROM pragma_foreign_key_list(:table, :schema) '
                "ORDER BY id, seq",
                {"table": table, "schema": self.schema or "main"},
            ).all():
                keys.setdefault(int(fk_id), (str(referred), []))[1].append((str(local), remote))
            counts: dict[tuple[str, str], int] = {}
            for referred, pairs in keys.values():
                remotes = [remote for _, remote in pairs]
                if None in remotes:
                    remotes = self._primary_key(referred)
                if len(remotes) != len(pairs):
                    return None
                filled = " AND ".join(
                    f"c.{quote_identifier(local)} IS NOT NULL" for local, _ in pairs
                )
                match = " AND ".join(
                    f"p.{quote_identifier(str(remote))} = c.{quote_identifier(local)}"
                    for (local, _), remote in zip(pairs, remotes, strict=True)
                )
                count = int(
                    self.scalar(
                        f"SELECT count(*) FROM {self.qualified(table)} AS c WHERE {filled} AND "
                        f"NOT EXISTS (SELECT 1 FROM {self.qualified(referred)} AS p WHERE {match})"
                    )
                )
                if count:
                    key = (table.casefold(), referred.casefold())
                    counts[key] = counts.get(key, 0) + count
        except sa.exc.DBAPIError:
            return None
        return counts

    def _primary_key(self, table: str) -> list[str | None]:
        """The primary-key columns of `table`, in key order."""
        rows = self.exec(
            "SELECT name FROM pragma_table_info(:table, :schema) WHERE pk > 0 ORDER BY pk",
            {"table": table, "schema": self.schema or "main"},
        ).all()
        return [str(row[0]) for row in rows]

    def _referring_rows(self, reference: Reference) -> bool:
        """Whether any row of the referring table fills the whole key (only those are checked)."""
        filled = " AND ".join(f"{quote_identifier(c)} IS NOT NULL" for c in reference.columns)
        return bool(
            self.scalar(
                f"SELECT EXISTS (SELECT 1 FROM {self.qualified(reference.table)} WHERE {filled})"
            )
        )

    def _check_foreign_keys(
        self, tables: Sequence[str], before: dict[tuple[str, str], int | str]
    ) -> None:
        after = self._violations(tables)
        for (table, referred), value in after.items():
            previous = before.get((table, referred))
            if isinstance(value, str):
                if not isinstance(previous, str):
                    raise DistillError(
                        f"{self.where}: after rebuilding {self.label}, the foreign keys of "
                        f"table {table} no longer work: {value} (a foreign key must refer to a "
                        "primary key or unique column); nothing was changed"
                    )
                continue
            if value > (previous if isinstance(previous, int) else 0):
                raise DistillError(
                    f"{self.where}: after rebuilding {self.label}, {value} row(s) of table "
                    f"{table} refer to rows of {referred} that do not exist (PRAGMA "
                    "foreign_key_check). Fix those rows first; nothing was changed"
                )


def _survives(new: str, old: str) -> str:
    """SQL: the new value is the old one, or becomes it again cast to the old storage class."""
    back = (
        f"CASE typeof({old}) WHEN 'integer' THEN CAST({new} AS INTEGER) "
        f"WHEN 'real' THEN CAST({new} AS REAL) WHEN 'text' THEN CAST({new} AS TEXT) "
        f"WHEN 'blob' THEN CAST({new} AS BLOB) ELSE {new} END"
    )
    same = f"(typeof({new}) = typeof({old}) AND ({new} = {old} OR {old} IS NULL))"
    returns = f"(typeof({back}) = typeof({old}) AND {back} = {old})"
    return f"({same} OR {returns})"


def _is_rowid_alias(table: sa.Table, column: sa.Column[Any]) -> bool:
    """INTEGER PRIMARY KEY: SQLite fills it itself."""
    columns = list(table.primary_key.columns)
    return len(columns) == 1 and columns[0] is column and isinstance(column.type, sa.Integer)
