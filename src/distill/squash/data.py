"""The data statements of the squashed revisions. The baseline is built from the schema,
so each insert, update, delete or raw SQL statement is named in the output and in the
file; inserts of constant rows into tables and columns that still exist are carried over."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from distill.config import Config
    from distill.scripts.directory import ScriptDirectory


@dataclass(frozen=True)
class DataStatement:
    """One data statement of a replaced revision; `rows` for an insert of constants."""

    revision: str
    text: str
    table: str | None = None
    rows: tuple[dict[str, Any], ...] | None = None

    def carried(self, columns: Mapping[str, set[str]]) -> bool:
        """True when its rows can be inserted into the squashed schema as they are."""
        if self.rows is None or self.table is None or self.table not in columns:
            return False
        return all(set(row) <= columns[self.table] for row in self.rows)

    def render(self) -> str:
        """The `op.bulk_insert(...)` line that carries the rows over."""
        names = sorted({name for row in self.rows or () for name in row})
        table = ", ".join([repr(self.table), *(f"sa.column({n!r})" for n in names)])
        return f"op.bulk_insert(sa.table({table}), {list(self.rows or ())!r})"


def data_statements(
    config: Config, script: ScriptDirectory, revisions: Sequence[str]
) -> Iterator[DataStatement]:
    """The data statements of `revisions`, recorded without a database, in run order."""
    from distill import compat
    from distill.dialects.lint_profile import dialect_named
    from distill.lint.recording import record
    from distill.operations.ops import BulkInsertOp, ExecuteSQLOp

    dialect = dialect_named(_dialect_name(config))
    with compat.alembic_names():
        for rev in revisions:
            try:
                module = script.load_module(rev)
            except Exception as error:  # a revision that no longer imports: say so
                yield DataStatement(rev, f"not read ({type(error).__name__}: {error})")
                continue
            recording = record(module, "upgrade", dialect, {})
            for recorded in recording.ops:
                operation = recorded.operation
                if isinstance(operation, BulkInsertOp):
                    table = str(getattr(operation.table, "name", operation.table))
                    rows = tuple(dict(row) for row in operation.rows)
                    constant = all(_literal(value) for row in rows for value in row.values())
                    text = f"bulk_insert into {table} ({len(rows)} row(s))"
                    yield DataStatement(rev, text, table, rows if constant else None)
                elif isinstance(operation, ExecuteSQLOp):
                    text = " ".join(str(operation.sqltext).split())
                    yield DataStatement(rev, f"execute {text[:100]}")
            if recording.failure is not None:
                line, what = recording.failure
                yield DataStatement(rev, f"not read (line {line}: {what}); review it by hand")


def _literal(value: Any) -> bool:
    """A value whose repr reads back as itself (so the baseline can hold it)."""
    try:
        return bool(ast.literal_eval(repr(value)) == value)
    except (ValueError, SyntaxError):
        return False


def _dialect_name(config: Config) -> str:
    """The configured database's dialect name (sqlite without a URL)."""
    from sqlalchemy.engine import make_url

    url = config.get_main_option("sqlalchemy.url")
    try:
        return make_url(url).get_backend_name() if url else "sqlite"
    except Exception:  # an unparsable URL: the dialect only shapes how SQL is recorded
        return "sqlite"
