"""Table rebuild ("move and copy"): what SQLite's ALTER TABLE cannot do, done by
recreating the table. One engine for batch mode and for the automatic rebuild.

- `TableRebuild` is the new definition of one table: its current definition (reflected,
  or batch's `copy_from`) with the changes applied one by one, plus which old column
  fills which new one.
- `copy_and_move` writes Alembic's statement sequence for it (CREATE TABLE
  _alembic_tmp_<t>, INSERT ... SELECT, DROP TABLE, ALTER TABLE ... RENAME, CREATE
  INDEX): batch mode on every backend, and every offline script.
- `rebuild_sqlite_table` is the online SQLite procedure (the 12 steps of SQLite's
  "Making Other Kinds Of Table Schema Changes"), run inside the migration's
  transaction under a savepoint: it keeps rows, indexes (partial and expression ones
  included, from their stored SQL), triggers, views and foreign keys in both
  directions, and refuses, changing nothing, when a row would be lost or altered.
- `reflect_table` reflects a SQLite table with what SQLAlchemy's reflection misses
  (collations, exact defaults, generated columns, untyped columns, AUTOINCREMENT, the
  ON DELETE / DEFERRABLE clauses of inline REFERENCES), read from the stored CREATE
  TABLE statement.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.base import SchemaEventTarget
from sqlalchemy.sql.elements import ColumnClause
from sqlalchemy.sql.visitors import replacement_traverse
from sqlalchemy.types import TypeEngine, UserDefinedType

from distill.dialects.base import (
    ColumnAlteration,
    ColumnRename,
    DialectImpl,
    RenameTable,
    constraint_kind,
)
from distill.errors import DistillError

# --- reading SQLite's stored table definitions ------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    | (?P<comment>--[^\n]*|/\*.*?(?:\*/|\Z))
    | (?P<string>'(?:[^']|'')*')
    | (?P<quoted>"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\])
    | (?P<blob>[xX]'[0-9a-fA-F]*')
    | (?P<number>0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<word>[A-Za-z_\x80-\U0010ffff][A-Za-z0-9_$\x80-\U0010ffff]*)
    | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)

# Words that end a column's type and start one of its constraints.
_COLUMN_CLAUSES = frozenset(
    [
        "CONSTRAINT",
        "PRIMARY",
        "NOT",
        "NULL",
        "UNIQUE",
        "CHECK",
        "DEFAULT",
        "COLLATE",
        "REFERENCES",
        "GENERATED",
        "AS",
    ]
)
_TABLE_CONSTRAINTS = frozenset(["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"])


@dataclass(frozen=True)
class Token:
    """One lexical token of SQLite SQL, with its place in the text."""

    kind: str
    text: str
    start: int
    end: int

    @property
    def keyword(self) -> str:
        """The upper-cased word, or "" for anything that is not a bare word."""
        return self.text.upper() if self.kind == "word" else ""

    @property
    def identifier(self) -> str | None:
        """The name a bare or quoted identifier stands for."""
        if self.kind == "word":
            return self.text
        if self.kind == "quoted":
            return unquote(self.text)
        return None


def tokenize(sql: str) -> list[Token]:
    """The tokens of `sql`, without whitespace and comments."""
    tokens = []
    for match in _TOKEN.finditer(sql):
        kind = str(match.lastgroup)
        if kind not in ("space", "comment"):
            tokens.append(Token(kind, match.group(), match.start(), match.end()))
    return tokens


def unquote(text: str) -> str:
    """`"a""b"` -> `a"b`; `[x]` -> `x`; a bare word is returned as it is."""
    if len(text) >= 2 and text[0] in '"`' and text[-1] == text[0]:
        return text[1:-1].replace(text[0] * 2, text[0])
    if len(text) >= 2 and text[0] == "[" and text[-1] == "]":
        return text[1:-1]
    return text


def _closing(tokens: Sequence[Token], start: int) -> int:
    """The index of the ")" matching the "(" at `start`."""
    depth = 0
    for index in range(start, len(tokens)):
        if tokens[index].text == "(" and tokens[index].kind == "punct":
            depth += 1
        elif tokens[index].text == ")" and tokens[index].kind == "punct":
            depth -= 1
            if depth == 0:
                return index
    return len(tokens) - 1


def referenced_names(sql: str) -> set[str]:
    """Case-folded identifiers that appear in a SQL expression (outside string literals)."""
    return {name.casefold() for token in tokenize(sql) if (name := token.identifier) is not None}


def rename_identifiers(sql: str, renames: Mapping[str, str]) -> str:
    """`sql` with every identifier named in `renames` (case-folded keys) replaced."""
    if not renames:
        return sql
    pieces: list[str] = []
    position = 0
    for token in tokenize(sql):
        name = token.identifier
        if name is None or name.casefold() not in renames:
            continue
        pieces.append(sql[position : token.start])
        pieces.append(quote_identifier(renames[name.casefold()]))
        position = token.end
    pieces.append(sql[position:])
    return "".join(pieces)


def quote_identifier(name: str) -> str:
    """`name` as SQLite reads it: bare when it is a plain word, else in double quotes."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) and name.upper() not in _RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


# Enough of SQLite's keywords that a renamed column named like one still parses.
_RESERVED = frozenset(
    [
        "ABORT",
        "ACTION",
        "ADD",
        "AFTER",
        "ALL",
        "ALTER",
        "AND",
        "AS",
        "ASC",
        "BEFORE",
        "BETWEEN",
        "BY",
        "CASCADE",
        "CASE",
        "CAST",
        "CHECK",
        "COLLATE",
        "COLUMN",
        "COMMIT",
        "CONSTRAINT",
        "CREATE",
        "CROSS",
        "DEFAULT",
        "DEFERRABLE",
        "DELETE",
        "DESC",
        "DISTINCT",
        "DROP",
        "ELSE",
        "END",
        "ESCAPE",
        "EXCEPT",
        "EXISTS",
        "FOREIGN",
        "FROM",
        "GLOB",
        "GROUP",
        "HAVING",
        "IN",
        "INDEX",
        "INNER",
        "INSERT",
        "INTERSECT",
        "INTO",
        "IS",
        "ISNULL",
        "JOIN",
        "KEY",
        "LEFT",
        "LIKE",
        "LIMIT",
        "MATCH",
        "NATURAL",
        "NOT",
        "NOTNULL",
        "NULL",
        "OF",
        "OFFSET",
        "ON",
        "OR",
        "ORDER",
        "OUTER",
        "PRIMARY",
        "REFERENCES",
        "REGEXP",
        "RIGHT",
        "SELECT",
        "SET",
        "TABLE",
        "THEN",
        "TO",
        "TRANSACTION",
        "UNION",
        "UNIQUE",
        "UPDATE",
        "USING",
        "VALUES",
        "WHEN",
        "WHERE",
    ]
)


def normalized(sql: str) -> str:
    """SQL text reduced for comparing two spellings of one expression."""
    return "".join(
        (token.identifier or token.text).casefold()
        if token.kind in ("word", "quoted")
        else token.text
        for token in tokenize(sql)
    )


@dataclass
class ColumnSQL:
    """What the CREATE TABLE text says about one column."""

    name: str
    declared_type: str = ""
    collation: str | None = None
    default: str | None = None
    generated: tuple[str, bool] | None = None  # (expression, stored)
    deferrable: bool | None = None  # of a REFERENCES clause written on the column
    initially: str | None = None


@dataclass
class TableSQL:
    """What the CREATE TABLE text says about a table."""

    columns: dict[str, ColumnSQL] = field(default_factory=dict)  # by case-folded name
    autoincrement: bool = False


def parse_create_table(sql: str) -> TableSQL:
    """The column details of a CREATE TABLE statement as SQLite stores it."""
    tokens = tokenize(sql)
    result = TableSQL(autoincrement=any(t.keyword == "AUTOINCREMENT" for t in tokens))
    opening = next((i for i, t in enumerate(tokens) if t.text == "(" and t.kind == "punct"), None)
    if opening is None:
        return result
    closing = _closing(tokens, opening)
    item: list[Token] = []
    index = opening + 1
    while index <= closing:
        token = tokens[index]
        if token.kind == "punct" and token.text == "(":
            end = _closing(tokens, index)
            item.extend(tokens[index : end + 1])
            index = end + 1
            continue
        if token.kind == "punct" and token.text in (",", ")"):
            if item and item[0].keyword not in _TABLE_CONSTRAINTS:
                column = _parse_column(sql, item)
                result.columns[column.name.casefold()] = column
            item = []
        else:
            item.append(token)
        index += 1
    return result


def _parse_column(sql: str, tokens: list[Token]) -> ColumnSQL:
    column = ColumnSQL(tokens[0].identifier or tokens[0].text)
    index = 1
    while index < len(tokens) and tokens[index].keyword not in _COLUMN_CLAUSES:
        if tokens[index].text == "(":
            index = _closing(tokens, index)
        index += 1
    if index > 1:
        column.declared_type = sql[tokens[1].start : tokens[index - 1].end]
    while index < len(tokens):
        keyword = tokens[index].keyword
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if tokens[index].text == "(":
            index = _closing(tokens, index) + 1
            continue
        if keyword == "COLLATE" and following is not None:
            column.collation = following.identifier or following.text
            index += 2
            continue
        if keyword == "DEFAULT" and following is not None:
            index = _parse_default(sql, tokens, index + 1, column)
            continue
        if keyword == "AS" and following is not None and following.text == "(":
            end = _closing(tokens, index + 1)
            expression = sql[following.end : tokens[end].start].strip()
            stored = end + 1 < len(tokens) and tokens[end + 1].keyword == "STORED"
            column.generated = (expression, stored)
            index = end + 1
            continue
        if keyword == "DEFERRABLE":
            negated = index > 0 and tokens[index - 1].keyword == "NOT"
            column.deferrable = not negated
        if keyword == "INITIALLY" and following is not None:
            column.initially = following.keyword or None
        index += 1
    return column


def _parse_default(sql: str, tokens: list[Token], index: int, column: ColumnSQL) -> int:
    token = tokens[index]
    if token.text == "(":
        end = _closing(tokens, index)
        column.default = sql[token.start : tokens[end].end]
        return end + 1
    if token.text in ("+", "-") and index + 1 < len(tokens):
        column.default = sql[token.start : tokens[index + 1].end]
        return index + 2
    column.default = token.text
    return index + 1


class DeclaredType(UserDefinedType[Any]):
    """A column type written exactly as declared (SQLite accepts any text, or none)."""

    cache_ok = True

    def __init__(self, text: str = "") -> None:
        self.text = text

    def get_col_spec(self, **kw: Any) -> str:
        """The declared type text."""
        return self.text


def schema_table(schema: str | None) -> str:
    """The `sqlite_master` of the main or of an attached database."""
    return f"{quote_identifier(schema)}.sqlite_master" if schema else "sqlite_master"


def pragma(name: str, schema: str | None, argument: str | None = None) -> str:
    """`PRAGMA [schema.]name[(argument)]` with the argument quoted as a string."""
    prefix = f"{quote_identifier(schema)}." if schema else ""
    if argument is None:
        return f"PRAGMA {prefix}{name}"
    return f"PRAGMA {prefix}{name}('{argument.replace(chr(39), chr(39) * 2)}')"


def stored_table_sql(connection: sa.Connection, table_name: str, schema: str | None) -> str | None:
    """The CREATE TABLE statement SQLite keeps for a table, or None if there is no such table."""
    row = connection.execute(
        sa.text(
            f"SELECT sql FROM {schema_table(schema)} "
            "WHERE type = 'table' AND name = :name COLLATE NOCASE"
        ),
        {"name": table_name},
    ).first()
    return None if row is None else str(row[0])


def reflect_table(
    connection: sa.Connection,
    table_name: str,
    *,
    schema: str | None = None,
    metadata: sa.MetaData | None = None,
    reflect_args: Iterable[Any] = (),
    reflect_kwargs: Mapping[str, Any] | None = None,
) -> sa.Table:
    """The table as reflection sees it, plus what only the CREATE TABLE text tells."""
    sql = stored_table_sql(connection, table_name, schema)
    parsed = parse_create_table(sql) if sql else TableSQL()
    kwargs = dict(reflect_kwargs or {})
    listeners = list(kwargs.pop("listeners", ()))

    def column_reflect(inspector: Any, table: sa.Table, info: dict[str, Any]) -> None:
        declared = parsed.columns.get(str(info["name"]).casefold())
        if declared is not None:
            _complete_column(info, declared)

    listeners.insert(0, ("column_reflect", column_reflect))
    if parsed.autoincrement:
        kwargs.setdefault("sqlite_autoincrement", True)
    with warnings.catch_warnings():
        # expression indexes are kept from their stored SQL, not from reflection
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression")
        table = sa.Table(
            table_name,
            metadata if metadata is not None else sa.MetaData(),
            *reflect_args,
            schema=schema,
            autoload_with=connection,
            listeners=listeners,
            **kwargs,
        )
    _complete_foreign_keys(connection, table, parsed)
    return table


def _complete_column(info: dict[str, Any], declared: ColumnSQL) -> None:
    type_ = info.get("type")
    if type_ is None or isinstance(type_, sa.types.NullType):
        info["type"] = type_ = DeclaredType(declared.declared_type)
    if declared.collation and isinstance(type_, sa.String) and not type_.collation:
        type_.collation = declared.collation
    if declared.generated is not None:
        expression, stored = declared.generated
        info["computed"] = {"sqltext": expression, "persisted": stored}
        info["default"] = None
    elif declared.default is not None:
        info["default"] = declared.default


def _complete_foreign_keys(connection: sa.Connection, table: sa.Table, parsed: TableSQL) -> None:
    """ON DELETE / ON UPDATE / DEFERRABLE that reflection leaves out of inline REFERENCES."""
    groups: dict[int, dict[str, Any]] = {}
    for row in connection.execute(sa.text(pragma("foreign_key_list", table.schema, table.name))):
        group = groups.setdefault(
            int(row.id),
            {
                "table": str(row.table),
                "from": [],
                "on_update": row.on_update,
                "on_delete": row.on_delete,
            },
        )
        group["from"].append(str(row[3]))
    for constraint in table.foreign_key_constraints:
        local = [column.name.casefold() for column in constraint.columns]
        referred = constraint.elements[0].target_fullname.split(".")[-2].casefold()
        for group in groups.values():
            if group["table"].casefold() != referred:
                continue
            if [name.casefold() for name in group["from"]] != local:
                continue
            if constraint.ondelete is None and group["on_delete"] not in (None, "NO ACTION"):
                constraint.ondelete = str(group["on_delete"])
            if constraint.onupdate is None and group["on_update"] not in (None, "NO ACTION"):
                constraint.onupdate = str(group["on_update"])
            break
        if len(local) == 1 and constraint.deferrable is None:
            declared = parsed.columns.get(local[0])
            if declared is not None and declared.deferrable is not None:
                constraint.deferrable = declared.deferrable
                constraint.initially = declared.initially


_UNCHANGED: Any = object()  # "leave as it is" for _column()


# --- the new shape of a table ---------------------------------------------------------------

TEMP_PREFIX = "_alembic_tmp_"


def temp_table_name(table_name: str) -> str:
    """The name the new table is created under before it takes the old one's place."""
    # Alembic's name and length, so scripts and leftovers look the same
    return f"{TEMP_PREFIX}{table_name}"[:50]


@dataclass
class _Entry:
    """A constraint of the new table: the original object and the column keys it uses."""

    constraint: sa.Constraint
    keys: tuple[str, ...]
    added: bool = False

    @property
    def name(self) -> str | None:
        return _name_of(self.constraint)


@dataclass
class _IndexEntry:
    """An index of the new table: the original Index and the column keys it uses."""

    index: sa.Index
    keys: tuple[str, ...]
    added: bool = False


def _name_of(item: sa.Constraint | sa.Index) -> str | None:
    """The constraint's or index's name as a plain string (None when it has none)."""
    name = item.name
    if name is None or not isinstance(name, str) or name == "_NONE_NAME":
        return None
    return str(name)


class TableRebuild:
    """The new definition of one table: its current one with changes applied, plus what
    to copy from the old rows.

    Columns are tracked under their original names ("keys"), like Alembic's batch mode,
    so a renamed column is still found by its old name and its data is copied from it.
    """

    def __init__(
        self,
        table: sa.Table,
        *,
        dialect: Dialect,
        reflected: bool,
        table_args: Sequence[Any] = (),
        table_kwargs: Mapping[str, Any] | None = None,
        partial_reordering: Sequence[Sequence[str]] | None = None,
        known_indexes: Iterable[str] = (),
    ) -> None:
        self.source = table
        self.dialect = dialect
        self.reflected = reflected
        self.name = table.name
        self.schema = table.schema
        self.temp_name = temp_table_name(table.name)
        self.table_args = tuple(table_args)
        self.table_kwargs = dict(table_kwargs or {})
        for key, value in table.kwargs.items():
            self.table_kwargs.setdefault(key, value)
        self.comment = table.comment
        self.partial_reordering = [tuple(names) for names in partial_reordering or ()]
        # SQLite's column affinity converts values itself, without losing any; a CAST would
        # force the conversion ('2020-01-01' AS DATETIME is 2020)
        self.casts_types = dialect.name != "sqlite"

        self.columns: dict[str, sa.Column[Any]] = {}
        self.sources: dict[str, str | None] = {}
        self.casts: dict[str, TypeEngine[Any]] = {}
        self.order: list[str] = []  # keys: the old columns in place, then the added ones
        # the old columns keep their order unless partial_reordering or a position says not
        self.existing: list[str] = []
        self.placements: list[tuple[str, str]] = []  # (first, second) pairs of keys
        for column in table.columns:
            self.columns[column.name] = _column(column, key=column.name)
            self.sources[column.name] = column.name
            self.order.append(column.name)
            self.existing.append(column.name)

        self.primary_key: _Entry | None = None
        self.constraints: list[_Entry] = []
        for constraint in _creation_order(table.constraints):
            if getattr(constraint, "_type_bound", False):
                continue  # the column's type makes it again
            entry = _Entry(constraint, _keys_of(constraint))
            if isinstance(constraint, sa.PrimaryKeyConstraint):
                if entry.keys:
                    self.primary_key = entry
            else:
                self.constraints.append(entry)
        self.indexes: dict[str, _IndexEntry] = {}
        for index in _creation_order(table.indexes):
            name = _name_of(index)
            if name is not None:
                self.indexes[name] = _IndexEntry(index, _keys_of(index))
        self.known_indexes = {name.casefold() for name in known_indexes}
        self.known_indexes.update(name.casefold() for name in self.indexes)
        self.dropped_indexes: set[str] = set()  # case-folded names of existing ones
        self.dropped_columns: set[str] = set()  # case-folded names, old and current
        self.not_null: set[str] = set()  # keys of copied columns made NOT NULL
        self.retyped: set[str] = set()  # keys of copied columns given a new type
        # old name (case-folded) -> new name, for columns renamed before the table was read
        self.aliases: dict[str, str] = {}

    # --- looking columns up ---

    @property
    def label(self) -> str:
        """`schema.table` for messages."""
        return f"{self.schema}.{self.name}" if self.schema else self.name

    def key_for(self, name: str) -> str:
        """The key of the column now called `name` (or originally called so)."""
        for key, column in self.columns.items():
            if column.name == name:
                return key
        if name in self.columns:
            return name
        folded = name.casefold()
        for key, column in self.columns.items():
            if column.name.casefold() == folded:
                return key
        alias = self.aliases.get(folded)
        if alias is not None and alias.casefold() != folded:
            return self.key_for(alias)
        names = ", ".join(self.columns[key].name for key in self.order)
        raise DistillError(
            f"table {self.label} has no column {name!r} (its columns: {names}); check the "
            "column name"
        )

    def renamed(self) -> dict[str, str]:
        """Case-folded original name -> new name, for every renamed copied column."""
        return {
            str(self.sources[key]).casefold(): column.name
            for key, column in self.columns.items()
            if self.sources[key] is not None and column.name != self.sources[key]
        }

    # --- changes ---

    def add_column(
        self,
        column: sa.Column[Any],
        *,
        insert_before: str | None = None,
        insert_after: str | None = None,
    ) -> None:
        """Add a column, with the constraints and indexes of the (stand-in) table it is on."""
        key = column.name
        if key in self.columns:
            raise DistillError(
                f"add_column: table {self.label} already has a column {key!r}; pick another "
                "name, or alter_column() the existing one"
            )
        self.columns[key] = _column(column, key=key)
        self.sources[key] = None
        self._place(key, insert_before, insert_after)
        stand_in = column.table if isinstance(column.table, sa.Table) else None
        if stand_in is None:
            return
        for constraint in _creation_order(stand_in.constraints):
            if isinstance(constraint, sa.PrimaryKeyConstraint):
                continue
            if getattr(constraint, "_type_bound", False):
                continue
            self.constraints.append(_Entry(constraint, self._keys_by_name(constraint), True))
        for index in _creation_order(stand_in.indexes):
            self.create_index(index)

    def drop_column(self, name: str) -> None:
        """Drop a column and whatever can only exist with it (indexes, constraints on it)."""
        key = self.key_for(name)
        column = self.columns.pop(key)
        self.dropped_columns.add(column.name.casefold())
        source = self.sources.pop(key)
        if source is not None:
            self.dropped_columns.add(source.casefold())
        self.casts.pop(key, None)
        self.order.remove(key)
        if key in self.existing:
            self.existing.remove(key)
        # a placement naming the dropped column stays: it no longer holds its partner back,
        # which is where Alembic puts that partner too
        self.not_null.discard(key)
        self.retyped.discard(key)
        if self.primary_key is not None and key in self.primary_key.keys:
            remaining = tuple(k for k in self.primary_key.keys if k != key)
            self.primary_key = (
                _Entry(self.primary_key.constraint, remaining, self.primary_key.added)
                if remaining
                else None
            )

    def alter_column(self, alteration: ColumnAlteration) -> None:
        """Apply one alter_column: name, type, nullability, default, comment, position."""
        key = self.key_for(alteration.column_name)
        column = self.columns[key]
        changes: dict[str, Any] = {}
        if alteration.changes_name:
            changes["name"] = alteration.new_column_name
        if alteration.type_ is not None:
            old_type = (
                alteration.existing_type if alteration.existing_type is not None else column.type
            )
            self._drop_type_checks(column.name, old_type)
            changes["type_"] = alteration.type_
            if self.sources[key] is not None:
                self.retyped.add(key)
                if self.casts_types and _needs_cast(column.type, alteration.type_):
                    self.casts[key] = alteration.type_
        if alteration.nullable is not None:
            changes["nullable"] = alteration.nullable
            if not alteration.nullable and self.sources[key] is not None:
                self.not_null.add(key)
        if alteration.changes_default:
            changes["server_default"] = alteration.server_default
        if alteration.changes_comment:
            changes["comment"] = alteration.comment
        if alteration.autoincrement is not None:
            changes["autoincrement"] = alteration.autoincrement
        self.columns[key] = _column(column, key=key, **changes)
        before = alteration.kw.get("insert_before")
        after = alteration.kw.get("insert_after")
        if before or after:
            if key in self.existing:
                self.existing.remove(key)
            self._place(key, before, after)

    def add_constraint(self, constraint: sa.Constraint, *, require_name: bool = True) -> None:
        """Add a constraint (batch mode wants it named); a primary key replaces the table's."""
        unnamed = _name_of(constraint) is None
        if require_name and unnamed and not isinstance(constraint, sa.PrimaryKeyConstraint):
            raise DistillError(
                f"Constraint must have a name: batch mode on table {self.label} recreates the "
                f"table, and a {constraint_kind(constraint)} constraint without a name cannot "
                "be told apart later; pass a name (or configure a naming convention)"
            )
        entry = _Entry(constraint, self._keys_by_name(constraint), True)
        if isinstance(constraint, sa.PrimaryKeyConstraint):
            self.primary_key = entry
        else:
            self.constraints.append(entry)

    def drop_constraint(self, constraint: sa.Constraint, *, missing_ok: bool = False) -> None:
        """Drop a constraint by its name."""
        name = _name_of(constraint)
        if name is None:
            raise DistillError(
                f"drop_constraint on table {self.label}: a constraint is dropped by its name, "
                "and none was given"
            )
        if self.primary_key is not None and _same_name(self.primary_key.name, name):
            for key in self.primary_key.keys:
                if key in self.columns:
                    self.columns[key].primary_key = False
            self.primary_key = None
            return
        for entry in self.constraints:
            if _same_name(entry.name, name):
                self.constraints.remove(entry)
                return
        for key, column in self.columns.items():
            for owned in list(column.constraints):
                if _same_name(_name_of(owned), name):
                    self.columns[key] = _column(column, key=key, drop_constraint=owned)
                    return
        if missing_ok or getattr(constraint, "_type_bound", False):
            return
        raise DistillError(self._no_such_constraint(name))

    def _no_such_constraint(self, name: str) -> str:
        named = sorted(
            entry.name
            for entry in [*self.constraints, *([self.primary_key] if self.primary_key else [])]
            if entry.name
        )
        unnamed = [
            constraint_kind(entry.constraint) for entry in self.constraints if entry.name is None
        ]
        text = (
            f"No such constraint: '{name}' on table {self.label} (its named constraints: "
            f"{', '.join(named) or 'none'})"
        )
        if unnamed:
            text += (
                f". The table has {len(unnamed)} unnamed constraint(s) "
                f"({', '.join(unnamed)}); SQLite keeps no name for them, so give them names "
                "to drop them by: batch_alter_table(..., naming_convention={'fk': "
                "'fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s', 'uq': "
                "'uq_%(table_name)s_%(column_0_name)s'}) and drop the name the convention gives"
            )
        return text

    def create_index(self, index: sa.Index) -> None:
        """Create an index on the new table (after the swap)."""
        name = _name_of(index)
        if name is None:
            raise DistillError(
                f"create_index on table {self.label}: the index needs a name; pass one (or "
                "configure a naming convention)"
            )
        self.indexes[name] = _IndexEntry(index, self._keys_by_name(index), True)

    def drop_index(self, name: str, *, missing_ok: bool = False) -> None:
        """Leave an existing index out of the new table."""
        for existing in list(self.indexes):
            if _same_name(existing, name):
                entry = self.indexes.pop(existing)
                if not entry.added:
                    self.dropped_indexes.add(existing.casefold())
                return
        if name.casefold() in self.known_indexes and name.casefold() not in self.dropped_indexes:
            self.dropped_indexes.add(name.casefold())
            return
        if missing_ok:
            return
        names = ", ".join(sorted(self.indexes)) or "none"
        raise DistillError(
            f"No such index: '{name}' on table {self.label} (its indexes: {names}); check "
            "the index name"
        )

    def set_comment(self, comment: str | None) -> None:
        """The table comment of the new table (None: no comment)."""
        self.comment = comment

    # --- the result ---

    def final_order(self) -> list[str]:
        """Column keys in the order of the new table, as Alembic orders them.

        Without partial_reordering or positions: the old columns, then the added ones.
        Otherwise the wanted pairs (consecutive old columns, or the partial_reordering
        tuples; plus insert_before / insert_after) are met by repeatedly taking, in that
        order, every column none of whose predecessors is still waiting.
        """
        if not self.partial_reordering and not self.placements:
            return list(self.order)
        pairs: set[tuple[str, str]] = set(self.placements)
        if self.partial_reordering:
            for names in self.partial_reordering:
                keys = [self.key_for(name) for name in names]
                pairs.update(itertools.pairwise(keys))
        else:
            pairs.update(itertools.pairwise(self.existing))
        before: dict[str, set[str]] = {key: set() for key in self.order}
        for first, second in pairs:
            if first != second and first in before and second in before:
                before[second].add(first)
        ordered: list[str] = []
        waiting = list(self.order)
        while waiting:
            pending = set(waiting)
            ready = [key for key in waiting if before[key].isdisjoint(pending)]
            if not ready:
                raise DistillError(
                    f"the column order asked for table {self.label} is circular "
                    f"(partial_reordering={self.partial_reordering!r}, insert_before / "
                    "insert_after); list each column once"
                )
            ordered.extend(ready)
            waiting = [key for key in waiting if key not in ready]
        return ordered

    def new_table(self, *, name: str | None = None, foreign_keys: bool = True) -> sa.Table:
        """The new table as a SQLAlchemy Table (named `name`, by default the temporary name)."""
        order = self.final_order()
        primary = self.primary_key if self.primary_key and self._present(self.primary_key) else None
        pk_keys = list(primary.keys) if primary else []
        pk_keys += [
            key
            for key in order
            if self.columns[key].primary_key
            and key not in pk_keys
            and (primary is None or self.sources[key] is None)
        ]
        columns = []
        for key in order:
            column = _column(self.columns[key], key=key)
            column.primary_key = key in pk_keys
            columns.append(column)
        extra = [item._copy() if hasattr(item, "_copy") else item for item in self.table_args]
        table = sa.Table(
            name or self.temp_name,
            sa.MetaData(),
            *columns,
            *extra,
            schema=self.schema,
            comment=self.comment,
            **self.table_kwargs,
        )
        if primary is not None:
            table.append_constraint(
                sa.PrimaryKeyConstraint(*pk_keys, name=_name_of(primary.constraint))
            )
        for entry in self._ordered_entries():
            if not self._present(entry):
                continue
            if isinstance(entry.constraint, sa.ForeignKeyConstraint) and not foreign_keys:
                continue
            table.append_constraint(self._copy_constraint(entry, table))
        self._name_type_checks(table)
        self._drop_duplicate_checks(table, extra)
        _stub_foreign_key_targets(table)
        return table

    def kept_named_constraints(self) -> list[sa.Constraint]:
        """The old table's named constraints that the new table has again, under that name."""
        entries = [*([self.primary_key] if self.primary_key else []), *self.constraints]
        return [
            entry.constraint
            for entry in entries
            if not entry.added and entry.name is not None and self._present(entry)
        ]

    def insert_from_select(self, target: sa.Table, source: sa.Table | None = None) -> sa.Insert:
        """INSERT INTO target (...) SELECT ... FROM the old table."""
        source = source if source is not None else self.source
        keys = self.copied_keys(target)
        expressions = [self.source_expression(key, source) for key in keys]
        return target.insert().inline().from_select(keys, sa.select(*expressions))

    def copied_keys(self, target: sa.Table) -> list[str]:
        """The keys of the columns whose values are copied from the old rows."""
        return [
            key
            for key in self.final_order()
            if self.sources[key] is not None and target.c[key].computed is None
        ]

    def source_expression(self, key: str, source: sa.Table) -> Any:
        """The old column a new one is filled from (CAST to the new type where needed)."""
        column = _column_named(source, str(self.sources[key]))
        if key in self.casts:
            return sa.cast(column, self.casts[key])
        return column

    def final_indexes(self, table: sa.Table) -> list[sa.Index]:
        """The indexes of the new table, built on `table`, skipping those on dropped columns."""
        indexes = []
        for name, entry in self.indexes.items():
            if not all(key in self.columns for key in entry.keys):
                continue
            if not entry.added and self._mentions_dropped(_index_text(entry.index)):
                continue
            indexes.append(self._copy_index(name, entry, table))
        return indexes

    # --- helpers ---

    def _place(self, key: str, before: str | None, after: str | None) -> None:
        """Record where a new (or moved) column goes, the way Alembic pairs it up."""
        if key not in self.order:
            self.order.append(key)
        first = self.key_for(after) if after else None
        second = self.key_for(before) if before else None
        if not self.partial_reordering:
            # a lone insert_after / insert_before also pins the other side, so the column
            # lands right next to the one named
            if first is not None and second is None:
                if first in self.existing:
                    index = self.existing.index(first) + 1
                    second = self.existing[index] if index < len(self.existing) else None
                else:
                    second = dict(self.placements).get(first)
            elif second is not None and first is None:
                if second in self.existing:
                    index = self.existing.index(second) - 1
                    first = self.existing[index] if index >= 0 else None
                else:
                    first = {b: a for a, b in self.placements}.get(second)
            elif first is None and second is None and self.existing:
                first = self.existing[-1]
        if second is not None:
            self.placements.append((key, second))
        if first is not None:
            self.placements.append((first, key))

    def _keys_by_name(self, item: sa.Constraint | sa.Index) -> tuple[str, ...]:
        names = [column.name for column in getattr(item, "columns", ())]
        if isinstance(item, sa.Index):
            names = [
                expression.name
                for expression in item.expressions
                if isinstance(expression, sa.Column)
            ]
        return tuple(self.key_for(name) for name in names)

    def _present(self, entry: _Entry) -> bool:
        if not all(key in self.columns for key in entry.keys):
            return False
        if isinstance(entry.constraint, sa.CheckConstraint) and not entry.added:
            return not self._mentions_dropped(self._check_text(entry.constraint))
        return True

    def _mentions_dropped(self, sql: str) -> bool:
        return bool(self.dropped_columns and referenced_names(sql) & self.dropped_columns)

    def _ordered_entries(self) -> list[_Entry]:
        # Alembic writes named constraints first, then the unnamed ones
        named = [entry for entry in self.constraints if entry.name is not None]
        return named + [entry for entry in self.constraints if entry.name is None]

    def _check_text(self, constraint: sa.CheckConstraint) -> str:
        sqltext = constraint.sqltext
        if isinstance(sqltext, sa.TextClause):
            return sqltext.text
        compiler = self.dialect.statement_compiler(self.dialect, None)
        return str(compiler.process(sqltext, include_table=False, literal_binds=True))

    def _copy_constraint(self, entry: _Entry, table: sa.Table) -> sa.Constraint:
        constraint = entry.constraint
        name = _name_of(constraint)
        common: dict[str, Any] = {
            "name": name,
            "deferrable": getattr(constraint, "deferrable", None),
            "initially": getattr(constraint, "initially", None),
            **_dialect_kwargs(constraint),
        }
        if isinstance(constraint, sa.ForeignKeyConstraint):
            renamed = self.renamed()
            targets = []
            for element in constraint.elements:
                target = element.target_fullname
                prefix, _, column = target.rpartition(".")
                if self.refers_to_self(prefix):
                    column = renamed.get(column.casefold(), column)
                    # the old table's name: the new table takes it over after the swap
                    prefix = f"{self.schema}.{self.name}" if self.schema else self.name
                targets.append(f"{prefix}.{column}")
            return sa.ForeignKeyConstraint(
                list(entry.keys),
                targets,
                onupdate=constraint.onupdate,
                ondelete=constraint.ondelete,
                match=constraint.match,
                use_alter=constraint.use_alter,
                **common,
            )
        if isinstance(constraint, sa.UniqueConstraint):
            return sa.UniqueConstraint(*entry.keys, **common)
        if isinstance(constraint, sa.CheckConstraint):
            text = rename_identifiers(self._check_text(constraint), self.renamed())
            return sa.CheckConstraint(sa.text(text), **common)
        # anything else (PostgreSQL EXCLUDE, third-party constraints): SQLAlchemy's own copy
        copied: sa.Constraint = constraint._copy(target_table=table)
        return copied

    def refers_to_self(self, prefix: str) -> bool:
        """True when `[schema.]table` (a foreign key's target) is this very table."""
        schema, _, name = prefix.rpartition(".")
        return name.casefold() == self.name.casefold() and (schema or None) == self.schema

    def _copy_index(self, name: str, entry: _IndexEntry, table: sa.Table) -> sa.Index:
        index = entry.index
        renamed = self.renamed()
        expressions = [
            _rebound(expression, table, self, renamed) for expression in index.expressions
        ]
        kwargs = _dialect_kwargs(index)
        for option, value in list(kwargs.items()):
            if option.endswith("_where") and value is not None:
                kwargs[option] = _rebound(value, table, self, renamed)
        return sa.Index(name, *expressions, unique=bool(index.unique), **kwargs)

    def _drop_type_checks(self, column_name: str, old_type: TypeEngine[Any]) -> None:
        """Leave out the CHECK a Boolean / Enum type made, now that the type changes."""
        texts = {
            normalized(text) for text in _type_check_texts(column_name, old_type, self.dialect)
        }
        names = {str(getattr(old_type, "name", None) or "").casefold()} - {""}
        if not texts and not names:
            return
        self.constraints = [
            entry
            for entry in self.constraints
            if not (
                isinstance(entry.constraint, sa.CheckConstraint)
                and not entry.added
                and (
                    normalized(self._check_text(entry.constraint)) in texts
                    or (entry.name or "").casefold() in names
                )
            )
        ]

    def _drop_duplicate_checks(self, table: sa.Table, given: Sequence[Any]) -> None:
        """A reflected unnamed CHECK that a column's type now makes itself is not kept twice."""
        type_bound = {
            normalized(self._check_text(c))
            for c in table.constraints
            if isinstance(c, sa.CheckConstraint) and getattr(c, "_type_bound", False)
        }
        restated = any(isinstance(item, sa.CheckConstraint) for item in given)
        for constraint in list(table.constraints):
            if not isinstance(constraint, sa.CheckConstraint):
                continue
            if getattr(constraint, "_type_bound", False) or constraint.name is not None:
                continue
            if any(constraint is item for item in given):
                continue
            text = normalized(self._check_text(constraint))
            # Alembic's rule: unnamed CHECKs restated in table_args replace the reflected ones
            if text in type_bound or (restated and self.reflected):
                table.constraints.discard(constraint)

    def _name_type_checks(self, table: sa.Table) -> None:
        """Name a type's CHECK as the old table's naming convention would."""
        convention = self.source.metadata.naming_convention
        if not convention or "ck" not in convention:
            return
        for constraint in table.constraints:
            if not getattr(constraint, "_type_bound", False):
                continue
            columns = list(getattr(constraint, "columns", ()))
            if len(columns) != 1:
                continue
            column = columns[0]
            probe = sa.Table(
                self.name,
                sa.MetaData(naming_convention=convention),
                sa.Column(column.name, column.type.copy()),
                schema=self.schema,
            )
            for made in probe.constraints:
                if getattr(made, "_type_bound", False) and made.name is not None:
                    constraint.name = made.name


def _same_name(a: str | None, b: str) -> bool:
    return a is not None and (a == b or a.casefold() == b.casefold())


def _creation_order(items: Iterable[Any]) -> list[Any]:
    return sorted(items, key=lambda item: getattr(item, "_creation_order", 0))


def _keys_of(item: sa.Constraint | sa.Index) -> tuple[str, ...]:
    if isinstance(item, sa.Index):
        return tuple(e.name for e in item.expressions if isinstance(e, sa.Column))
    return tuple(column.name for column in getattr(item, "columns", ()))


def _dialect_kwargs(item: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for dialect_name, options in item.dialect_options.items():
        for option, value in options._non_defaults.items():
            kwargs[f"{dialect_name}_{option}"] = value
    return kwargs


def _column_named(table: sa.Table, name: str) -> sa.Column[Any]:
    for column in table.columns:
        if column.name == name:
            return column
    return table.c[name]


def _index_text(index: sa.Index) -> str:
    parts = [str(e) if not isinstance(e, sa.Column) else e.name for e in index.expressions]
    for option, value in _dialect_kwargs(index).items():
        if option.endswith("_where") and value is not None:
            parts.append(str(value))
    return " ".join(parts)


def _rebound(
    expression: Any, table: sa.Table, rebuild: TableRebuild, renamed: Mapping[str, str]
) -> Any:
    """`expression` on the new table: columns by key, names in SQL text renamed."""
    if isinstance(expression, sa.Column):
        return table.c[rebuild.key_for(expression.name)]
    if isinstance(expression, sa.TextClause):
        return sa.text(rename_identifiers(expression.text, renamed))
    if isinstance(expression, str):
        return sa.text(rename_identifiers(expression, renamed))

    def replace(element: Any, **_: Any) -> Any:
        if isinstance(element, ColumnClause) and not element.is_literal:
            return table.c[rebuild.key_for(element.name)]
        return None

    return replacement_traverse(expression, {}, replace)


def _column(
    column: sa.Column[Any],
    *,
    key: str,
    name: Any = _UNCHANGED,
    type_: Any = _UNCHANGED,
    nullable: Any = _UNCHANGED,
    server_default: Any = _UNCHANGED,
    comment: Any = _UNCHANGED,
    autoincrement: Any = _UNCHANGED,
    drop_constraint: sa.Constraint | None = None,
) -> sa.Column[Any]:
    """A fresh Column like `column` (free to join a new table), with the given changes.

    A new type gets a new Column, so that a Boolean / Enum makes its CHECK constraint
    on the new table the way it does on any table.
    """
    args: list[Any] = [
        constraint._copy()
        for constraint in column.constraints
        if not getattr(constraint, "_type_bound", False) and constraint is not drop_constraint
    ]
    default: Any = column.server_default
    if isinstance(default, (sa.Computed, sa.Identity)):
        args.append(default._copy())
        default = None
    elif isinstance(default, sa.DefaultClause):
        default = default.arg
    if server_default is not _UNCHANGED:
        if isinstance(server_default, (sa.Computed, sa.Identity)):
            args = [a for a in args if not isinstance(a, (sa.Computed, sa.Identity))]
            args.append(server_default._copy())
            server_default = None
        default = (
            server_default.arg if isinstance(server_default, sa.DefaultClause) else server_default
        )
    new_type = column.type if type_ is _UNCHANGED else type_
    if isinstance(new_type, type):
        new_type = new_type()
    if isinstance(new_type, SchemaEventTarget):
        new_type = new_type.copy()  # type: ignore[attr-defined]
    copy: sa.Column[Any] = sa.Column(
        column.name if name is _UNCHANGED else name,
        new_type,
        *args,
        key=key,
        primary_key=column.primary_key,
        autoincrement=column.autoincrement if autoincrement is _UNCHANGED else autoincrement,
        server_default=default,
        nullable=column.nullable if nullable is _UNCHANGED else bool(nullable),
        comment=column.comment if comment is _UNCHANGED else (comment or None),
        info=dict(column.info),
        **_dialect_kwargs(column),
    )
    return copy


def _needs_cast(old: TypeEngine[Any], new: TypeEngine[Any]) -> bool:
    """Alembic's rule: CAST when the type family changes (JSON is stored as it is)."""
    return old._type_affinity is not new._type_affinity and not isinstance(new, sa.JSON)


def _type_check_texts(column_name: str, type_: TypeEngine[Any], dialect: Dialect) -> list[str]:
    """The CHECK texts a Boolean / Enum type makes for a column named `column_name`."""
    if not isinstance(type_, SchemaEventTarget):
        return []
    probe = sa.Table("t", sa.MetaData(), sa.Column(column_name, type_.copy()))
    compiler = dialect.statement_compiler(dialect, None)
    texts = []
    for constraint in probe.constraints:
        if isinstance(constraint, sa.CheckConstraint):
            rule = getattr(constraint, "_create_rule", None)
            if rule is not None and not rule(_Compiling(dialect)):
                continue
            texts.append(
                str(compiler.process(constraint.sqltext, include_table=False, literal_binds=True))
            )
    return texts


class _Compiling:
    """What a type's `_create_rule` looks at: the dialect it is compiled for."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect


def _stub_foreign_key_targets(table: sa.Table) -> None:
    """Give each foreign key a target table in the same MetaData so the DDL compiles."""
    for fk in table.foreign_keys:
        prefix, _, column_name = fk.target_fullname.rpartition(".")
        target_schema, _, target_name = prefix.rpartition(".")
        key = f"{target_schema}.{target_name}" if target_schema else target_name
        target = table.metadata.tables.get(key)
        if target is None:
            target = sa.Table(target_name, table.metadata, schema=target_schema or None)
        if column_name not in target.c:
            target.append_column(sa.Column(column_name, sa.types.NULLTYPE))


# --- Alembic's statement sequence (batch mode everywhere, and every offline script) ---------


def copy_and_move(impl: DialectImpl, rebuild: TableRebuild) -> None:
    """CREATE the new table, copy the rows, DROP the old table, RENAME, then the indexes."""
    new = rebuild.new_table()
    if impl.name in _NAMES_PER_SCHEMA:
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


# Backends where a constraint's name must be unique in the schema, not just in its table.
_NAMES_PER_SCHEMA = ("postgresql",)


def create_table_statements(impl: DialectImpl, table: sa.Table) -> None:
    """CREATE TABLE and, where comments are separate statements, the comments."""
    impl.execute(sa.schema.CreateTable(table))
    if impl.supports_comments and not impl.inline_comments:
        if table.comment is not None:
            impl.execute(sa.schema.SetTableComment(table))
        for column in table.columns:
            if column.comment is not None:
                impl.execute(sa.schema.SetColumnComment(column))


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
        reason = str(error.orig).strip().splitlines()[0] if str(error.orig).strip() else ""
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
            reason = str(error.orig).strip().splitlines()[0]
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
            reason = str(error.orig).strip().splitlines()[0]
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
            return str(error.orig).strip().splitlines()[0]
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
                found[(table.casefold(), "")] = str(error.orig).strip().splitlines()[0]
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
