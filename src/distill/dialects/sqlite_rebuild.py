"""Recreating a table: Alembic's copy-and-move statements, and SQLite's guarded online rebuild."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from distill.dialects.base import DialectImpl, constraint_kind
from distill.dialects.ddl import ColumnRename, RenameTable
from distill.dialects.rebuild_plan import TableRebuild
from distill.dialects.refusals import refusal_reason
from distill.dialects.sqlite_schema import (
    pragma,
    quote_identifier,
    referenced_names,
    reflect_table,
    schema_table,
    stored_table_sql,
)
from distill.errors import DistillError

# --- Alembic's statement sequence (batch mode everywhere, and every offline script) ---------


def copy_and_move(impl: DialectImpl, rebuild: TableRebuild) -> None:
    """CREATE the new table, copy the rows, DROP the old table, RENAME, then the indexes.

    Alembic's sequence (CREATE TABLE _alembic_tmp_<t>, INSERT ... SELECT, DROP TABLE,
    ALTER TABLE ... RENAME, CREATE INDEX): batch mode on every backend, and every offline
    script.
    """
    new = rebuild.new_table()
    if impl.constraint_names_per_schema:
        # the new table reuses these names while the old one still holds them
        for constraint in rebuild.kept_named_constraints():
            impl.drop_constraint(constraint)
    create_table_statements(impl, new)
    try:
        impl.execute(rebuild.insert_from_select(new))
        impl.execute(sa.schema.DropTable(_named_table(rebuild.name, rebuild.schema)))
    except Exception:
        # where DDL cannot be rolled back, do not leave the half-made table behind
        if not impl.as_sql and not impl.transactional_ddl:
            with contextlib.suppress(Exception):
                impl.execute(sa.schema.DropTable(new))
        raise
    impl.execute(RenameTable(rebuild.temp_name, rebuild.name, rebuild.schema))
    final = rebuild.new_table(name=rebuild.name)
    for index in rebuild.final_indexes(final):
        impl.execute(sa.schema.CreateIndex(index))


def create_table_statements(impl: DialectImpl, table: sa.Table) -> None:
    """CREATE TABLE and, where comments are separate statements, the comments."""
    impl.execute(sa.schema.CreateTable(table))
    impl.create_comments(table)


def _named_table(name: str, schema: str | None) -> sa.Table:
    return sa.Table(name, sa.MetaData(), schema=schema)


# --- SQLite, online: the 12 steps inside the migration's transaction --------------------------

Plan = Callable[[sa.Table, Sequence[str]], TableRebuild]

_SAVEPOINT = "distill_rebuild"
_ACTIONS = ("CASCADE", "SET NULL", "SET DEFAULT")


@dataclass(frozen=True)
class _Reference:
    """A foreign key of `table` (id `fk_id` in PRAGMA foreign_key_list) that points here."""

    table: str
    fk_id: int
    columns: tuple[str, ...]
    on_delete: str


def rebuild_sqlite_table(
    impl: DialectImpl,
    table_name: str,
    *,
    schema: str | None,
    plan: Plan,
    where: str,
    renames: Sequence[tuple[str, str]] = (),
    reflect: Callable[[sa.Connection], sa.Table] | None = None,
    source: sa.Table | None = None,
) -> None:
    """Recreate a SQLite table with a new definition, keeping every row, index, trigger,
    view and foreign key, or change nothing and say why.

    The 12 steps of SQLite's "Making Other Kinds Of Table Schema Changes", inside the
    migration's transaction under a savepoint: rows, indexes (partial and expression ones
    from their stored SQL), triggers, views and foreign keys in both directions are kept;
    when a row would be lost or altered it refuses, changing nothing.

    `plan` gets the current table (reflected after `renames` were done in place, or
    `source`) and the names of its indexes, and returns the TableRebuild to carry out.
    """
    connection = impl.connection
    if connection is None:
        raise DistillError(f"{where}: a table rebuild needs a live connection")
    _SQLiteRebuild(impl, connection, table_name, schema, where).run(plan, renames, reflect, source)


class _SQLiteRebuild:
    """One guarded rebuild; see rebuild_sqlite_table and the module docstring."""

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

    # --- the procedure ---

    def run(
        self,
        plan: Plan,
        renames: Sequence[tuple[str, str]],
        reflect: Callable[[sa.Connection], sa.Table] | None,
        source: sa.Table | None,
    ) -> None:
        if stored_table_sql(self.connection, self.name, self.schema) is None:
            raise DistillError(f"{self.where}: table {self.label} does not exist")
        enforced = bool(self.scalar("PRAGMA foreign_keys"))
        switched_off = False
        if enforced:
            # only possible outside a transaction; inside one SQLite ignores it
            self.exec("PRAGMA foreign_keys=OFF")
            switched_off = not self.scalar("PRAGMA foreign_keys")
        enforcing = enforced and not switched_off
        legacy = int(self.scalar("PRAGMA legacy_alter_table"))
        deferred = int(self.scalar("PRAGMA defer_foreign_keys"))
        self.exec(f"SAVEPOINT {_SAVEPOINT}")
        try:
            self._rebuild(plan, renames, reflect, source, enforcing)
        except BaseException as error:
            self._roll_back()
            if isinstance(error, sa.exc.DBAPIError):
                raise self._refused(error) from error
            raise
        else:
            self.exec(f"RELEASE {_SAVEPOINT}")
        finally:
            self.exec(f"PRAGMA legacy_alter_table={legacy}")
            self.exec(f"PRAGMA defer_foreign_keys={deferred}")
            if switched_off:
                self.exec("PRAGMA foreign_keys=ON")

    def _roll_back(self) -> None:
        for statement in (f"ROLLBACK TO {_SAVEPOINT}", f"RELEASE {_SAVEPOINT}"):
            # a failure that ended the whole transaction took the savepoint with it
            with contextlib.suppress(sa.exc.DBAPIError):
                self.exec(statement)

    def _refused(self, error: sa.exc.DBAPIError) -> DistillError:
        reason = refusal_reason(error)
        statement = " ".join(str(error.statement or "").split())
        if len(statement) > 200:
            statement = statement[:197] + "..."
        return DistillError(
            f"{self.where}: rebuilding table {self.label} failed: {reason} (statement: "
            f"{statement}). Nothing was changed: the rebuild was rolled back"
        )

    def _rebuild(
        self,
        plan: Plan,
        renames: Sequence[tuple[str, str]],
        reflect: Callable[[sa.Connection], sa.Table] | None,
        source: sa.Table | None,
        enforcing: bool,
    ) -> None:
        self.exec("PRAGMA legacy_alter_table=OFF")
        schema_was_valid = self._schema_is_valid() is None
        if source is None:
            # in place, so SQLite itself rewrites the views, triggers, indexes and
            # foreign keys that name the column
            for old_name, new_name in renames:
                self.impl.execute(ColumnRename(self.name, old_name, new_name, schema=self.schema))
            source = (
                reflect(self.connection)
                if reflect is not None
                else reflect_table(self.connection, self.name, schema=self.schema)
            )
        indexes = self._stored("index")
        triggers = self._stored("trigger")
        rebuild = plan(source, [name for name, _ in indexes])
        new = rebuild.new_table()
        rows = int(self.scalar(f"SELECT count(*) FROM {self.qualified(self.name)}"))
        self._check_not_null(rebuild, new, rows)
        self._check_new_unique(rebuild)
        self._check_new_checks(rebuild)
        self._check_values(rebuild, new)
        references = self._references()
        others = [ref for ref in references if ref.table.casefold() != self.name.casefold()]
        if enforcing:
            self._check_delete_actions(others)
        fk_tables = [self.name, *dict.fromkeys(ref.table for ref in others)]
        before = self._violations(fk_tables)
        sequence = self._sequence()
        refers_to_self = any(
            rebuild.refers_to_self(fk.target_fullname.rpartition(".")[0]) for fk in new.foreign_keys
        )
        if enforcing:
            self.exec("PRAGMA defer_foreign_keys=ON")
        if enforcing and (references or refers_to_self):
            self._swap_by_copying_twice(rebuild, rows, references)
        else:
            self._swap_by_renaming(rebuild, new, rows)
        self._restore_sequence(rebuild, sequence)
        self._recreate_indexes(rebuild, indexes)
        for name, sql in triggers:
            self._recreate("trigger", name, sql)
        if schema_was_valid:
            broken = self._schema_is_valid()
            if broken is not None:
                raise DistillError(
                    f"{self.where}: the new definition of table {self.label} breaks another "
                    f"part of the schema: {broken}. Drop that view or trigger first "
                    "(op.execute('DROP VIEW ...')) and create it again after the change; "
                    "nothing was changed"
                )
        self._check_foreign_keys(fk_tables, before)

    # --- the swap ---

    def _swap_by_renaming(self, rebuild: TableRebuild, new: sa.Table, rows: int) -> None:
        """SQLite's own procedure: copy into the new table, drop the old, rename the new."""
        create_table_statements(self.impl, new)
        self._copy(rebuild.insert_from_select(new), new, rows)
        self.impl.execute(sa.schema.DropTable(_named_table(self.name, self.schema)))
        # legacy renaming leaves the views and triggers that name the table as they are:
        # they name the old table, which the new one now is
        self.exec("PRAGMA legacy_alter_table=ON")
        self.impl.execute(RenameTable(rebuild.temp_name, self.name, self.schema))
        self.exec("PRAGMA legacy_alter_table=OFF")

    def _swap_by_copying_twice(
        self, rebuild: TableRebuild, rows: int, references: list[_Reference]
    ) -> None:
        """With foreign keys enforced (PRAGMA foreign_keys cannot change inside a transaction),
        the rows come back into a table that already has the final name, so that each row
        re-inserted settles the deferred violations that dropping the old table counted.

        Dropping and refilling the table looks up the referring rows of every row; where
        the referring columns have no index that is a scan each time, so they get a
        temporary one for the duration.
        """
        holding = rebuild.new_table(foreign_keys=False)
        create_table_statements(self.impl, holding)
        self._copy(rebuild.insert_from_select(holding), holding, rows)
        scratch = [self._index_for(ref.table, ref.columns) for ref in references]
        self.impl.execute(sa.schema.DropTable(_named_table(self.name, self.schema)))
        final = rebuild.new_table(name=self.name)
        create_table_statements(self.impl, final)
        for constraint in final.foreign_key_constraints:
            if rebuild.refers_to_self(constraint.elements[0].target_fullname.rpartition(".")[0]):
                columns = tuple(column.name for column in constraint.columns)
                scratch.append(self._index_for(self.name, columns))
        keys = rebuild.copied_keys(final)
        back = final.insert().from_select(keys, sa.select(*[holding.c[key] for key in keys]))
        self._copy(back, final, rows)
        self.impl.execute(sa.schema.DropTable(holding))
        for name in scratch:
            if name is not None:
                self.exec(f"DROP INDEX IF EXISTS {self.qualified(name)}")

    def _index_for(self, table: str, columns: Sequence[str]) -> str | None:
        """A temporary index on table(columns) unless an index already leads with them."""
        wanted = [column.casefold() for column in columns]
        schema = self.schema or "main"
        for (index,) in self.exec(
            "SELECT name FROM pragma_index_list(:table, :schema)",
            {"table": table, "schema": schema},
        ).all():
            leading = [
                str(name).casefold()
                for (name,) in self.exec(
                    "SELECT name FROM pragma_index_info(:index, :schema) ORDER BY seqno",
                    {"index": index, "schema": schema},
                ).all()
            ]
            if leading[: len(wanted)] == wanted:
                return None
        self._scratch_indexes += 1
        name = f"_distill_fk_{self._scratch_indexes}"
        listed = ", ".join(quote_identifier(column) for column in columns)
        self.exec(f"CREATE INDEX {self.qualified(name)} ON {quote_identifier(table)} ({listed})")
        return name

    def _copy(self, insert: sa.Insert, target: sa.Table, rows: int) -> None:
        try:
            self.impl.execute(insert)
        except sa.exc.DBAPIError as error:
            reason = refusal_reason(error)
            raise DistillError(
                f"{self.where}: the rows of table {self.label} do not fit its new "
                f"definition: {reason}. Fix those rows first (op.execute('UPDATE ...')); "
                "nothing was changed"
            ) from error
        copied = int(self.scalar(f"SELECT count(*) FROM {self._target(target)}"))
        if copied != rows:
            raise DistillError(
                f"{self.where}: copying table {self.label} kept {copied} of its {rows} rows; "
                "nothing was changed"
            )

    def _target(self, table: sa.Table) -> str:
        return self.qualified(table.name)

    # --- what the table has besides its definition ---

    def _stored(self, kind: str) -> list[tuple[str, str]]:
        """(name, sql) of the table's indexes or triggers, as SQLite stores them."""
        rows = self.exec(
            f"SELECT name, sql FROM {self.master} WHERE type = :kind "
            "AND tbl_name = :name COLLATE NOCASE AND sql IS NOT NULL ORDER BY rowid",
            {"kind": kind, "name": self.name},
        )
        return [(str(row[0]), str(row[1])) for row in rows]

    def _recreate(self, kind: str, name: str, sql: str) -> None:
        try:
            self.exec(sql)
        except sa.exc.DBAPIError as error:
            reason = refusal_reason(error)
            raise DistillError(
                f"{self.where}: {kind} {name} of table {self.label} cannot be created again on "
                f"the new definition: {reason}. Drop it first (or change it to fit); nothing "
                "was changed"
            ) from error

    def _recreate_indexes(self, rebuild: TableRebuild, stored: list[tuple[str, str]]) -> None:
        added = {name.casefold() for name, entry in rebuild.indexes.items() if entry.added}
        for name, sql in stored:
            folded = name.casefold()
            if folded in rebuild.dropped_indexes or folded in added:
                continue
            body = sql[sql.find("(") :]
            if rebuild.dropped_columns & referenced_names(body):
                continue  # an index on a dropped column goes with it
            self._recreate("index", name, sql)
        final = rebuild.new_table(name=self.name)
        for index in rebuild.final_indexes(final):
            if str(index.name).casefold() in added:
                self.impl.execute(sa.schema.CreateIndex(index))

    def _sequence(self) -> int | None:
        """The AUTOINCREMENT high-water mark, which dropping the table would forget."""
        exists = self.scalar(
            f"SELECT count(*) FROM {self.master} WHERE type = 'table' AND name = 'sqlite_sequence'"
        )
        if not exists:
            return None
        prefix = f"{quote_identifier(self.schema)}." if self.schema else ""
        value = self.scalar(
            f"SELECT seq FROM {prefix}sqlite_sequence WHERE name = :name COLLATE NOCASE",
            {"name": self.name},
        )
        return None if value is None else int(value)

    def _restore_sequence(self, rebuild: TableRebuild, sequence: int | None) -> None:
        if sequence is None or not rebuild.table_kwargs.get("sqlite_autoincrement"):
            return
        prefix = f"{quote_identifier(self.schema)}." if self.schema else ""
        params = {"name": self.name, "seq": sequence}
        updated = self.exec(
            f"UPDATE {prefix}sqlite_sequence SET seq = :seq "
            "WHERE name = :name COLLATE NOCASE AND seq < :seq",
            params,
        ).rowcount
        present = self.scalar(
            f"SELECT count(*) FROM {prefix}sqlite_sequence WHERE name = :name COLLATE NOCASE",
            params,
        )
        if not updated and not present:
            self.exec(
                f"INSERT INTO {prefix}sqlite_sequence (name, seq) VALUES (:name, :seq)", params
            )

    def _schema_is_valid(self) -> str | None:
        """None when SQLite can resolve every view and trigger, else its complaint.

        Renaming a column to its own name makes SQLite (3.25+, legacy_alter_table off)
        check the whole schema and change nothing.
        """
        if not self.impl.can_rename_column:
            return None
        column = self.scalar(
            "SELECT name FROM pragma_table_info(:name, :schema) LIMIT 1",
            {"name": self.name, "schema": self.schema or "main"},
        )
        if column is None:
            return None
        try:
            self.impl.execute(ColumnRename(self.name, str(column), str(column), schema=self.schema))
        except sa.exc.DBAPIError as error:
            return refusal_reason(error)
        return None

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
            text = rebuild._check_text(entry.constraint)
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

    def _references(self) -> list[_Reference]:
        """Every foreign key in the database that points at this table (its own included)."""
        rows = self.exec(
            f'SELECT m.name, f.id, f."from", f.on_delete FROM {self.master} AS m '
            "JOIN pragma_foreign_key_list(m.name, :schema) AS f "
            "WHERE m.type = 'table' AND f.\"table\" = :name COLLATE NOCASE "
            "ORDER BY m.name, f.id, f.seq",
            {"name": self.name, "schema": self.schema or "main"},
        )
        found: dict[tuple[str, int], _Reference] = {}
        for row in rows:
            key = (str(row[0]), int(row[1]))
            previous = found.get(key)
            columns = (*previous.columns, str(row[2])) if previous else (str(row[2]),)
            found[key] = _Reference(key[0], key[1], columns, str(row[3]).upper())
        return list(found.values())

    def _check_delete_actions(self, references: list[_Reference]) -> None:
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
                found[(table.casefold(), "")] = refusal_reason(error)
                continue
            for row in rows:
                key = (str(row[0]).casefold(), str(row[2]).casefold())
                count = found.get(key, 0)
                found[key] = (count if isinstance(count, int) else 0) + 1
        return found

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
