"""Raw SQL (op.execute) -> Changes, parsed by sqlglot in the database's own grammar, so the
rules that apply to op objects apply to hand-written SQL too.

sqlglot is optional (`pip install 'distill[lint]'`); without it, and for SQL it cannot
parse, the statement becomes an `unparsed_sql` Change: reported, never ignored.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from distill.lint.changes import Change, TypeShape

INSTALL_HINT = "install sqlglot to check raw SQL: pip install 'distill[lint]'"

# functions whose value differs per row: a column added with one as its default has every
# existing row written (now() and CURRENT_TIMESTAMP are fixed per transaction, so not here)
VOLATILE_FUNCTIONS = re.compile(
    r"\b(clock_timestamp|random|gen_random_uuid|uuid_generate_v[14]|timeofday|nextval|"
    r"statement_timestamp|uuid|newid|rand)\s*\(",
    re.IGNORECASE,
)

_TYPE_FAMILIES = {
    "VARCHAR": "string",
    "NVARCHAR": "string",
    "CHAR": "string",
    "NCHAR": "string",
    "TEXT": "string",
    "SMALLINT": "integer",
    "INT": "integer",
    "BIGINT": "integer",
    "DECIMAL": "numeric",
    "FLOAT": "float",
    "DOUBLE": "float",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "datetime",
    "TIMESTAMPTZ": "datetime",
    "DATETIME": "datetime",
    "TIME": "time",
    "UUID": "uuid",
}
_INTEGER_BITS = {"SMALLINT": 16, "INT": 32, "BIGINT": 64}


def sql_parser_available() -> bool:
    """Whether sqlglot can be imported."""
    try:
        import sqlglot  # noqa: F401
    except ImportError:
        return False
    return True


def changes_from_sql(sql: str, line: int, grammar: str | None) -> list[Change]:
    """The Changes one op.execute() text makes; unparsable SQL is one `unparsed_sql`."""
    try:
        import sqlglot
        from sqlglot.errors import SqlglotError
    except ImportError:
        return [Change("unparsed_sql", line, detail=f"{_short(sql)} ({INSTALL_HINT})")]
    quiet = logging.getLogger("sqlglot")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        statements = sqlglot.parse(sql, read=grammar)
    except SqlglotError as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        return [Change("unparsed_sql", line, detail=f"{_short(sql)} ({_plain(reason)})")]
    finally:
        quiet.setLevel(level)
    found: list[Change] = []
    for index, statement in enumerate(statements):
        if statement is not None:
            found.extend(
                replace(change, statement=index) for change in _statement(statement, line, grammar)
            )
    return found


def _short(sql: str) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= 70 else text[:67] + "..."


def _plain(text: str) -> str:
    """Error text without the terminal underline codes sqlglot adds."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def _statement(node: Any, line: int, grammar: str | None) -> Iterator[Change]:
    from sqlglot import exp

    detail = _short(node.sql(dialect=grammar))
    if isinstance(node, exp.Command):
        yield Change("unparsed_sql", line, detail=f"{detail} (not understood by the parser)")
    elif isinstance(node, (exp.Update, exp.Insert, exp.Delete, exp.Merge, exp.TruncateTable)):
        table = node.find(exp.Table)
        yield Change("data", line, table=table.name if table else None, from_sql=True)
    elif isinstance(node, exp.Drop):
        yield from _drop(node, line, detail)
    elif isinstance(node, exp.Create):
        yield from _create(node, line, detail)
    elif isinstance(node, exp.Alter):
        yield from _alter(node, line, grammar, detail)
    elif not isinstance(node, _harmless()):
        yield Change("unparsed_sql", line, detail=f"{detail} (not a statement lint knows)")


def _harmless() -> tuple[type[Any], ...]:
    """Statements that change neither schema nor rows."""
    from sqlglot import exp

    names = (
        "Select",
        "Union",
        "Set",
        "Transaction",
        "Commit",
        "Rollback",
        "Grant",
        "Comment",
        "Use",
        "Pragma",
        "Analyze",
        "Describe",
        "Show",
    )
    return tuple(getattr(exp, name) for name in names if hasattr(exp, name))


def _drop(node: Any, line: int, detail: str) -> Iterator[Change]:
    kind = str(node.args.get("kind") or "").upper()
    tables = node.args.get("tables") or [node.this]
    for table in tables:
        name = getattr(table, "name", None) or None
        if kind == "TABLE":
            yield Change("drop_table", line, table=name, from_sql=True, detail=detail)
        elif kind == "INDEX":
            yield Change("drop_index", line, name=name, from_sql=True, detail=detail)
        else:
            yield Change("other_ddl", line, name=name, from_sql=True, detail=detail)


def _create(node: Any, line: int, detail: str) -> Iterator[Change]:
    from sqlglot import exp

    kind = str(node.args.get("kind") or "").upper()
    if kind == "INDEX":
        index = node.this
        table = index.args.get("table")
        name = index.name or None
        yield Change(
            "create_index",
            line,
            table=table.name if table is not None else None,
            name=name,
            unique=bool(node.args.get("unique")),
            concurrently=bool(node.args.get("concurrently")),
            from_sql=True,
            identifiers=(name,) if name else (),
            detail=detail,
        )
    elif kind == "TABLE":
        table = node.find(exp.Table)
        name = table.name if table is not None else None
        columns = tuple(column.name for column in node.find_all(exp.ColumnDef))
        yield Change(
            "create_table",
            line,
            table=name,
            from_sql=True,
            identifiers=((name,) if name else ()) + columns,
            detail=detail,
        )
    else:
        yield Change("other_ddl", line, from_sql=True, detail=detail)


def _alter(node: Any, line: int, grammar: str | None, detail: str) -> Iterator[Change]:
    from sqlglot import exp

    table = node.this.name if node.this is not None else None
    common: dict[str, Any] = {"table": table, "from_sql": True, "detail": detail}
    for action in node.args.get("actions") or []:
        if isinstance(action, exp.ColumnDef):
            yield _add_column(action, line, grammar, common)
        elif isinstance(action, exp.Drop):
            kind = str(action.args.get("kind") or "").upper()
            for item in action.args.get("tables") or []:
                if kind == "COLUMN":
                    yield Change("drop_column", line, name=item.name, **common)
                elif kind == "CONSTRAINT":
                    yield Change("drop_constraint", line, name=item.name, **common)
                else:
                    yield Change("other_ddl", line, name=item.name, **common)
        elif isinstance(action, exp.AlterRename):
            new = action.this.name
            yield Change("rename_table", line, new_name=new, identifiers=(new,), **common)
        elif isinstance(action, exp.RenameColumn):
            old, new = action.this.name, action.args["to"].name
            yield Change(
                "rename_column", line, name=old, new_name=new, identifiers=(new,), **common
            )
        elif isinstance(action, exp.AlterColumn):
            yield _alter_column(action, line, common)
        elif isinstance(action, exp.ModifyColumn):
            yield from _modify_column(action, line, common)
        elif isinstance(action, exp.AddConstraint):
            yield from _add_constraints(action, line, bool(node.args.get("not_valid")), common)
        else:
            yield Change("other_ddl", line, **common)


def _add_column(action: Any, line: int, grammar: str | None, common: dict[str, Any]) -> Change:
    from sqlglot import exp

    kinds = [constraint.args.get("kind") for constraint in action.args.get("constraints") or []]
    default = next((k for k in kinds if isinstance(k, exp.DefaultColumnConstraint)), None)
    generated = any(
        isinstance(k, (exp.GeneratedAsIdentityColumnConstraint, exp.AutoIncrementColumnConstraint))
        for k in kinds
    )
    default_sql = default.this.sql(dialect=grammar) if default is not None else ""
    volatile = default is not None and (
        bool(VOLATILE_FUNCTIONS.search(default_sql))
        or default.this.find(exp.Uuid, exp.Rand) is not None
    )
    return Change(
        "add_column",
        line,
        name=action.name,
        nullable=not any(isinstance(k, exp.NotNullColumnConstraint) for k in kinds),
        has_default=default is not None or generated,
        volatile_default=volatile,
        identifiers=(action.name,),
        **common,
    )


def _alter_column(action: Any, line: int, common: dict[str, Any]) -> Change:
    if action.args.get("allow_null") is False:
        return Change("set_not_null", line, name=action.name, **common)
    dtype = action.args.get("dtype")
    if dtype is not None:
        return Change("alter_type", line, name=action.name, new_type=_shape(dtype), **common)
    return Change("other_ddl", line, name=action.name, **common)


def _modify_column(action: Any, line: int, common: dict[str, Any]) -> Iterator[Change]:
    """MySQL's MODIFY / CHANGE: the column is restated, its type may change."""
    column = action.this
    renamed_from = action.args.get("rename_from")
    if renamed_from is not None and renamed_from.name != column.name:
        yield Change(
            "rename_column",
            line,
            name=renamed_from.name,
            new_name=column.name,
            identifiers=(column.name,),
            **common,
        )
    kind = column.args.get("kind")
    yield Change(
        "alter_type",
        line,
        name=column.name,
        new_type=_shape(kind) if kind is not None else None,
        **common,
    )


def _add_constraints(
    action: Any, line: int, not_valid: bool, common: dict[str, Any]
) -> Iterator[Change]:
    from sqlglot import exp

    for expression in action.expressions:
        name: str | None = None
        inner = [expression]
        if isinstance(expression, exp.Constraint):
            name = expression.name or None
            inner = list(expression.expressions)
        if any(isinstance(part, exp.IndexColumnConstraint) for part in inner):
            index_name = expression.name or None
            yield Change(
                "create_index",
                line,
                name=index_name,
                identifiers=(index_name,) if index_name else (),
                **common,
            )
            continue
        kind = "other"
        for part in inner:
            if isinstance(part, exp.ForeignKey):
                kind = "foreign_key"
            elif isinstance(part, exp.CheckColumnConstraint):
                kind = "check"
            elif isinstance(part, exp.UniqueColumnConstraint):
                kind = "unique"
            elif isinstance(part, exp.PrimaryKey):
                kind = "primary_key"
        yield Change(
            "add_constraint",
            line,
            name=name,
            constraint=kind,
            not_valid=not_valid,
            identifiers=(name,) if name else (),
            **common,
        )


def _shape(dtype: Any) -> TypeShape:
    """The TypeShape of a sqlglot DataType."""
    kind = dtype.this.name if hasattr(dtype.this, "name") else str(dtype.this)
    family = _TYPE_FAMILIES.get(kind, kind.lower())
    if kind in _INTEGER_BITS:
        return TypeShape("integer", _INTEGER_BITS[kind])
    params = [p.this for p in dtype.expressions if hasattr(p, "this")]
    sizes = [int(p.this) for p in params if getattr(p, "is_int", False)]
    size = sizes[0] if sizes else None
    scale = sizes[1] if len(sizes) > 1 else None
    return TypeShape(family, size, scale)
