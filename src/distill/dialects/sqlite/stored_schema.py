"""SQLite table definitions, read from the stored CREATE TABLE text and from PRAGMAs."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import UserDefinedType

from distill.dialects.sql_text import Token, matching_paren, quote_identifier, tokenize

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
    # CONSTRAINT <name> written on the column before REFERENCES / UNIQUE (reflection
    # reads no name there)
    references_name: str | None = None
    unique_name: str | None = None


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
    closing = matching_paren(tokens, opening)
    item: list[Token] = []
    index = opening + 1
    while index <= closing:
        token = tokens[index]
        if token.kind == "punct" and token.text == "(":
            end = matching_paren(tokens, index)
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
            index = matching_paren(tokens, index)
        index += 1
    if index > 1:
        column.declared_type = sql[tokens[1].start : tokens[index - 1].end]
    name: str | None = None  # of the column constraint being read
    while index < len(tokens):
        keyword = tokens[index].keyword
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if tokens[index].text == "(":
            index = matching_paren(tokens, index) + 1
            continue
        if keyword == "CONSTRAINT" and following is not None:
            name = following.identifier or following.text
            index += 2
            continue
        if keyword == "REFERENCES":
            column.references_name, name = name, None
        elif keyword == "UNIQUE":
            column.unique_name, name = name, None
        elif keyword in ("PRIMARY", "CHECK", "NOT", "NULL", "DEFAULT", "COLLATE", "GENERATED"):
            name = None
        if keyword == "COLLATE" and following is not None:
            column.collation = following.identifier or following.text
            index += 2
            continue
        if keyword == "DEFAULT" and following is not None:
            index = _parse_default(sql, tokens, index + 1, column)
            continue
        if keyword == "AS" and following is not None and following.text == "(":
            end = matching_paren(tokens, index + 1)
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
        end = matching_paren(tokens, index)
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
    """The table as reflection sees it, plus what only the CREATE TABLE text tells.

    SQLAlchemy's reflection misses collations, exact defaults, generated columns, untyped
    columns, AUTOINCREMENT and the ON DELETE / DEFERRABLE clauses of inline REFERENCES.
    """
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
    _complete_unique_constraints(table, parsed)
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
    """ON DELETE / ON UPDATE / DEFERRABLE and the name that reflection leaves out of a
    REFERENCES clause written on a column."""
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
        declared = parsed.columns.get(local[0]) if len(local) == 1 else None
        if declared is None:
            continue
        if constraint.deferrable is None and declared.deferrable is not None:
            constraint.deferrable = declared.deferrable
            constraint.initially = declared.initially
        if constraint.name is None and declared.references_name:
            constraint.name = declared.references_name


def _complete_unique_constraints(table: sa.Table, parsed: TableSQL) -> None:
    """The names of UNIQUE constraints written on a column, which reflection leaves out."""
    for constraint in table.constraints:
        if not isinstance(constraint, sa.UniqueConstraint) or constraint.name is not None:
            continue
        if len(constraint.columns) != 1:
            continue
        declared = parsed.columns.get(next(iter(constraint.columns)).name.casefold())
        if declared is not None and declared.unique_name:
            constraint.name = declared.unique_name
