"""SQLite's guarded online rebuild of a table: the 12 steps of SQLite's "Making Other Kinds
Of Table Schema Changes" inside the migration's transaction, under a savepoint."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence

import sqlalchemy as sa

from distill.dialects.base import DialectImpl
from distill.dialects.builtin_errors import NoSuchColumn, NoSuchTable
from distill.dialects.copy_and_move import create_table_statements, named_table
from distill.dialects.ddl import ColumnRename, RenameTable
from distill.dialects.refusals import refusal_reason
from distill.dialects.sql_text import quote_identifier, referenced_names
from distill.dialects.sqlite.rebuild_checks import RebuildChecks, Reference
from distill.dialects.sqlite.stored_schema import reflect_table, stored_table_sql
from distill.dialects.table_rebuild import TableRebuild
from distill.errors import DistillError

Plan = Callable[[sa.Table, Sequence[str]], TableRebuild]

_SAVEPOINT = "distill_rebuild"


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


class _SQLiteRebuild(RebuildChecks):
    """One guarded rebuild; see rebuild_sqlite_table and the module docstring."""

    # --- the procedure ---

    def run(
        self,
        plan: Plan,
        renames: Sequence[tuple[str, str]],
        reflect: Callable[[sa.Connection], sa.Table] | None,
        source: sa.Table | None,
    ) -> None:
        if stored_table_sql(self.connection, self.name, self.schema) is None:
            raise NoSuchTable(
                f"{self.where}: table {self.label} does not exist; check the table name "
                "(and schema=)"
            )
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
                self._require_column(old_name)
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
        # dropping the old table counts a violation for each row that refers to it; only
        # then must the rows come back into a table of that name to settle them
        referred_to = refers_to_self or any(
            ref.table.casefold() == self.name.casefold() or self._referring_rows(ref)
            for ref in references
        )
        if enforcing and referred_to:
            self._swap_by_copying_twice(rebuild, rows, references, indexes)
        else:
            self._swap_by_renaming(rebuild, new, rows)
            self._recreate_indexes(rebuild, indexes)
        self._restore_sequence(rebuild, sequence)
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

    def _require_column(self, name: str) -> None:
        """NoSuchColumn (a KeyError, as Alembic raises) unless the table has column `name`."""
        columns = [
            str(row[0])
            for row in self.exec(
                "SELECT name FROM pragma_table_info(:name, :schema)",
                {"name": self.name, "schema": self.schema or "main"},
            ).all()
        ]
        if name.casefold() not in {column.casefold() for column in columns}:
            raise NoSuchColumn(
                f"{self.where}: table {self.label} has no column {name!r} (its columns: "
                f"{', '.join(columns)}); check the column name"
            )

    # --- the swap ---

    def _swap_by_renaming(self, rebuild: TableRebuild, new: sa.Table, rows: int) -> None:
        """SQLite's own procedure: copy into the new table, drop the old, rename the new."""
        create_table_statements(self.impl, new)
        self._copy(rebuild.insert_from_select(new), new, rows)
        self.impl.execute(sa.schema.DropTable(named_table(self.name, self.schema)))
        # legacy renaming leaves the views and triggers that name the table as they are:
        # they name the old table, which the new one now is
        self.exec("PRAGMA legacy_alter_table=ON")
        self.impl.execute(RenameTable(rebuild.temp_name, self.name, self.schema))
        self.exec("PRAGMA legacy_alter_table=OFF")

    def _swap_by_copying_twice(
        self,
        rebuild: TableRebuild,
        rows: int,
        references: list[Reference],
        indexes: list[tuple[str, str]],
    ) -> None:
        """With foreign keys enforced (PRAGMA foreign_keys cannot change inside a transaction),
        the rows come back into a table that already has the final name, so that each row
        re-inserted settles the deferred violations that dropping the old table counted.

        Dropping and refilling the table looks up the referring rows of every row; where
        the referring columns have no index that is a scan each time, so they get a
        temporary one for the duration. The table's own indexes come before its rows: a
        UNIQUE index may be the key another table's foreign key refers to.
        """
        holding = rebuild.new_table(foreign_keys=False)
        create_table_statements(self.impl, holding)
        self._copy(rebuild.insert_from_select(holding), holding, rows)
        scratch = [self._index_for(ref.table, ref.columns) for ref in references]
        self.impl.execute(sa.schema.DropTable(named_table(self.name, self.schema)))
        final = rebuild.new_table(name=self.name)
        create_table_statements(self.impl, final)
        for constraint in final.foreign_key_constraints:
            if rebuild.refers_to_self(constraint.elements[0].target_fullname.rpartition(".")[0]):
                columns = tuple(column.name for column in constraint.columns)
                scratch.append(self._index_for(self.name, columns))
        self._recreate_indexes(rebuild, indexes)
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
            if "foreign key mismatch" in reason:
                raise DistillError(
                    f"{self.where}: rows of another table refer to {self.label} by columns "
                    f"that its new definition makes neither a primary key nor unique "
                    f"({reason}), and with PRAGMA foreign_keys ON SQLite cannot put the rows "
                    f"of {self.label} back. Drop or change the referring foreign key before "
                    "this change, or switch foreign keys off for the migration connection "
                    "(connection.exec_driver_sql('PRAGMA foreign_keys=OFF') in env.py before "
                    "context.begin_transaction()); nothing was changed"
                ) from error
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
        final = rebuild.new_table(name=self.name)
        # a column dropped and added again in the same batch keeps its indexes (as in
        # Alembic, which recreates every index whose columns the new table has)
        gone = rebuild.dropped_columns - {column.name.casefold() for column in final.columns}
        for name, sql in stored:
            folded = name.casefold()
            if folded in rebuild.dropped_indexes or folded in added:
                continue
            body = sql[sql.find("(") :]
            if gone & referenced_names(body):
                continue  # an index on a dropped column goes with it
            self._recreate("index", name, sql)
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
