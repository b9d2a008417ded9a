"""DDL statements SQLAlchemy lacks, how each backend writes them, and offline rendering.

The elements here (ALTER TABLE on a table known only by its name, the ALTER COLUMN
family, DROP CONSTRAINT by name, inline literals) compile to portable SQL; a dialect
module registers its own `@compiles` function for an element where its SQL differs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import ExecutableDDLElement
from sqlalchemy.sql.compiler import DDLCompiler, SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ClauseElement, TextClause

from distill.errors import DistillError

if TYPE_CHECKING:
    from sqlalchemy.types import TypeEngine

    from distill.dialects.alteration import ColumnAlteration


# --- DDL constructs SQLAlchemy lacks (ALTER TABLE on a table known only by name) ---


class AlterTable(ExecutableDDLElement):
    """ALTER TABLE on a table known only by its name."""

    def __init__(self, table_name: str, schema: str | None = None) -> None:
        self.table_name = table_name
        self.schema = schema


class AddColumn(AlterTable):
    """ALTER TABLE ... ADD COLUMN, optionally with constraints written into the column."""

    def __init__(
        self,
        table_name: str,
        column: sa.Column[Any],
        *,
        schema: str | None = None,
        if_not_exists: bool = False,
        inline_primary_key: bool = False,
        inline_constraints: Iterable[sa.Constraint] = (),
    ) -> None:
        super().__init__(table_name, schema)
        self.column = column
        self.if_not_exists = if_not_exists
        self.inline_primary_key = inline_primary_key
        self.inline_constraints = list(inline_constraints)


class DropColumn(AlterTable):
    """ALTER TABLE ... DROP COLUMN."""

    def __init__(
        self,
        table_name: str,
        column_name: str,
        *,
        schema: str | None = None,
        if_exists: bool = False,
    ) -> None:
        super().__init__(table_name, schema)
        self.column_name = column_name
        self.if_exists = if_exists


def alter_table(compiler: DDLCompiler, table_name: str, schema: str | None) -> str:
    """`ALTER TABLE <quoted, schema-qualified name>`."""
    return "ALTER TABLE " + compiler.preparer.format_table(sa.table(table_name, schema=schema))


def inline_constraint(compiler: DDLCompiler, constraint: sa.Constraint) -> str:
    """A table constraint written as a column constraint (REFERENCES / CHECK)."""
    if not isinstance(constraint, sa.ForeignKeyConstraint):
        return str(compiler.process(constraint))
    preparer = compiler.preparer
    remote = next(iter(constraint.elements)).column
    name = preparer.format_constraint(constraint) if constraint.name is not None else None
    text = f"CONSTRAINT {name} " if name else ""
    text += f"REFERENCES {preparer.format_table(remote.table)} ({preparer.quote(remote.name)})"
    text += compiler.define_constraint_match(constraint)
    text += compiler.define_constraint_cascades(constraint)
    text += compiler.define_constraint_deferrability(constraint)
    return text


@compiles(AddColumn)
def _compile_add_column(element: AddColumn, compiler: DDLCompiler, **kw: Any) -> str:
    parts = [alter_table(compiler, element.table_name, element.schema), "ADD COLUMN"]
    if element.if_not_exists:
        parts.append("IF NOT EXISTS")
    parts.append(compiler.get_column_specification(element.column))
    if element.inline_primary_key and element.column.primary_key:
        parts.append("PRIMARY KEY")
    parts.extend(str(compiler.process(constraint)) for constraint in element.column.constraints)
    parts.extend(inline_constraint(compiler, c) for c in element.inline_constraints)
    return " ".join(parts)


@compiles(DropColumn)
def _compile_drop_column(element: DropColumn, compiler: DDLCompiler, **kw: Any) -> str:
    if_exists = "IF EXISTS " if element.if_exists else ""
    return (
        f"{alter_table(compiler, element.table_name, element.schema)} "
        f"DROP COLUMN {if_exists}{compiler.preparer.quote(element.column_name)}"
    )


class RenameTable(AlterTable):
    """ALTER TABLE ... RENAME TO."""

    def __init__(self, table_name: str, new_table_name: str, schema: str | None = None) -> None:
        super().__init__(table_name, schema)
        self.new_table_name = new_table_name


class AlterColumn(AlterTable):
    """ALTER TABLE ... ALTER COLUMN (one attribute of a column known only by name)."""

    def __init__(self, table_name: str, column_name: str, schema: str | None = None) -> None:
        super().__init__(table_name, schema)
        self.column_name = column_name


class ColumnType(AlterColumn):
    """ALTER COLUMN ... TYPE, with PostgreSQL's USING expression when given."""

    def __init__(
        self,
        table_name: str,
        column_name: str,
        type_: TypeEngine[Any],
        *,
        schema: str | None = None,
        using: str | ClauseElement | None = None,
    ) -> None:
        super().__init__(table_name, column_name, schema)
        self.type_ = type_
        self.using = using


class ColumnNullable(AlterColumn):
    """ALTER COLUMN ... SET / DROP NOT NULL."""

    def __init__(
        self, table_name: str, column_name: str, nullable: bool, *, schema: str | None = None
    ) -> None:
        super().__init__(table_name, column_name, schema)
        self.nullable = nullable


class ColumnDefault(AlterColumn):
    """ALTER COLUMN ... SET DEFAULT / DROP DEFAULT (default None)."""

    def __init__(
        self, table_name: str, column_name: str, default: Any, *, schema: str | None = None
    ) -> None:
        super().__init__(table_name, column_name, schema)
        self.default = default


class ColumnIdentity(AlterColumn):
    """ALTER COLUMN ... ADD GENERATED AS IDENTITY / SET ... / DROP IDENTITY."""

    def __init__(
        self,
        table_name: str,
        column_name: str,
        identity: sa.Identity | None,
        existing: sa.Identity | None,
        *,
        schema: str | None = None,
    ) -> None:
        super().__init__(table_name, column_name, schema)
        self.identity = identity
        self.existing = existing


class ColumnRename(AlterColumn):
    """ALTER TABLE ... RENAME COLUMN a TO b."""

    def __init__(
        self, table_name: str, column_name: str, new_name: str, *, schema: str | None = None
    ) -> None:
        super().__init__(table_name, column_name, schema)
        self.new_name = new_name


class DropConstraintByName(ExecutableDDLElement):
    """ALTER TABLE ... DROP CONSTRAINT for a constraint known only by name and kind.

    distill's own construct (not SQLAlchemy's DropConstraint), so that each dialect file
    can compile it its own way without changing how DropConstraint compiles elsewhere.
    """

    def __init__(self, constraint: sa.Constraint, *, if_exists: bool = False) -> None:
        self.constraint = constraint
        self.if_exists = if_exists


def format_column(compiler: DDLCompiler, name: str) -> str:
    """A column name, quoted when it needs to be."""
    return str(compiler.preparer.quote(name))


def format_default(compiler: DDLCompiler, default: Any) -> str:
    """A server default (str, text(), SQL expression or DefaultClause) as DDL text."""
    rendered = compiler.get_column_default_string(
        sa.Column("x", sa.Integer, server_default=default)
    )
    return str(rendered)


def identity_changes(
    compiler: DDLCompiler, identity: sa.Identity, existing: sa.Identity
) -> list[str]:
    """The SET clauses that turn identity `existing` into `identity`."""
    changes: list[str] = []
    if bool(identity.always) != bool(existing.always):
        changes.append("SET GENERATED " + ("ALWAYS" if identity.always else "BY DEFAULT"))
    options = {
        "start": "SET START WITH {}",
        "increment": "SET INCREMENT BY {}",
        "minvalue": "SET MINVALUE {}",
        "maxvalue": "SET MAXVALUE {}",
        "cache": "SET CACHE {}",
    }
    for attribute, template in options.items():
        value = getattr(identity, attribute)
        if value is not None and value != getattr(existing, attribute):
            changes.append(template.format(value))
    if identity.cycle is not None and identity.cycle != existing.cycle:
        changes.append("SET CYCLE" if identity.cycle else "SET NO CYCLE")
    return changes


@compiles(RenameTable)
def _compile_rename_table(element: RenameTable, compiler: DDLCompiler, **kw: Any) -> str:
    return (
        f"{alter_table(compiler, element.table_name, element.schema)} "
        f"RENAME TO {compiler.preparer.quote(element.new_table_name)}"
    )


@compiles(ColumnType)
def _compile_column_type(element: ColumnType, compiler: DDLCompiler, **kw: Any) -> str:
    text = (
        f"{alter_table(compiler, element.table_name, element.schema)} ALTER COLUMN "
        f"{format_column(compiler, element.column_name)} "
        f"TYPE {compiler.dialect.type_compiler_instance.process(element.type_)}"
    )
    if element.using is not None:
        using = element.using
        if isinstance(using, ClauseElement):
            using = str(using.compile(dialect=compiler.dialect))
        text += f" USING {using}"
    return text


@compiles(ColumnNullable)
def _compile_column_nullable(element: ColumnNullable, compiler: DDLCompiler, **kw: Any) -> str:
    return (
        f"{alter_table(compiler, element.table_name, element.schema)} ALTER COLUMN "
        f"{format_column(compiler, element.column_name)} "
        f"{'DROP NOT NULL' if element.nullable else 'SET NOT NULL'}"
    )


@compiles(ColumnDefault)
def _compile_column_default(element: ColumnDefault, compiler: DDLCompiler, **kw: Any) -> str:
    change = (
        "DROP DEFAULT"
        if element.default is None
        else f"SET DEFAULT {format_default(compiler, element.default)}"
    )
    return (
        f"{alter_table(compiler, element.table_name, element.schema)} ALTER COLUMN "
        f"{format_column(compiler, element.column_name)} {change}"
    )


@compiles(ColumnIdentity)
def _compile_column_identity(element: ColumnIdentity, compiler: DDLCompiler, **kw: Any) -> str:
    prefix = (
        f"{alter_table(compiler, element.table_name, element.schema)} ALTER COLUMN "
        f"{format_column(compiler, element.column_name)}"
    )
    identity, existing = element.identity, element.existing
    if identity is None:
        return f"{prefix} DROP IDENTITY"
    if existing is None:
        kind = "ALWAYS" if identity.always else "BY DEFAULT"
        text = f"{prefix} ADD GENERATED {kind} AS IDENTITY"
        options = compiler.get_identity_options(identity)
        return f"{text} ({options})" if options else text
    return f"{prefix} {' '.join(identity_changes(compiler, identity, existing))}"


@compiles(ColumnRename)
def _compile_column_rename(element: ColumnRename, compiler: DDLCompiler, **kw: Any) -> str:
    return (
        f"{alter_table(compiler, element.table_name, element.schema)} RENAME COLUMN "
        f"{format_column(compiler, element.column_name)} TO "
        f"{format_column(compiler, element.new_name)}"
    )


@compiles(DropConstraintByName)
def _compile_drop_constraint(
    element: DropConstraintByName, compiler: DDLCompiler, **kw: Any
) -> str:
    constraint = element.constraint
    if_exists = "IF EXISTS " if element.if_exists else ""
    return (
        f"ALTER TABLE {compiler.preparer.format_table(constraint.table)} "
        f"DROP CONSTRAINT {if_exists}{compiler.preparer.format_constraint(constraint)}"
    )


class InlineLiteral(BindParameter[Any]):
    """A value rendered into the SQL text itself, online and offline (op.inline_literal)."""

    inherit_cache = True


@compiles(InlineLiteral)
def _render_inline_literal(element: InlineLiteral, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.render_literal_bindparam(element, **kw))  # type: ignore[no-untyped-call]


def inline_literal(value: Any, type_: Any = None) -> InlineLiteral:
    """Wrap `value` so that it is written into the SQL as a literal."""
    return InlineLiteral(None, value, type_=type_, unique=True)


def column_sequences(columns: Iterable[sa.Column[Any]], dialect: Dialect) -> list[sa.Sequence]:
    """The columns' Sequences `dialect` needs (SQLAlchemy's rule for CREATE TABLE)."""
    if not dialect.supports_sequences:
        return []
    return [
        column.default
        for column in columns
        if isinstance(column.default, sa.Sequence)
        and not (dialect.sequences_optional and column.default.optional)
    ]


def default_change(alteration: ColumnAlteration) -> sa.Executable:
    """SET / DROP DEFAULT, or the identity change when either side is an Identity."""
    table, column, schema = alteration.table_name, alteration.column_name, alteration.schema
    new, old = alteration.server_default, alteration.existing_server_default
    if isinstance(new, sa.Identity) or isinstance(old, sa.Identity):
        return ColumnIdentity(
            table,
            column,
            new if isinstance(new, sa.Identity) else None,
            old if isinstance(old, sa.Identity) else None,
            schema=schema,
        )
    return ColumnDefault(table, column, new, schema=schema)


def sorted_indexes(table: sa.Table) -> list[sa.Index]:
    """The table's indexes in a stable order (by name), so scripts are reproducible."""
    return sorted(table.indexes, key=lambda index: str(index.name or ""))


def sorted_constraints(table: sa.Table) -> list[sa.Constraint]:
    """The table's constraints in the order they were created (the set has no order)."""
    return sorted(table.constraints, key=lambda c: getattr(c, "_creation_order", 0))


# --- offline rendering ---


def first_line(statement: Any) -> str:
    """The statement on one line, cut at 80 characters, for messages."""
    text = " ".join(str(statement).split())
    return text if len(text) <= 80 else text[:77] + "..."


def render_for_script(
    statement: sa.Executable | str, dialect: Dialect, *, literal_binds: bool
) -> str:
    """The text an offline script holds for `statement` (without the terminator).

    DDL compiles as is; other statements get their values inlined when `literal_binds`
    is on, and are refused when they still carry bound values a script cannot send.
    """
    if isinstance(statement, str):
        statement = sa.text(statement)
    if not isinstance(statement, ClauseElement):
        raise DistillError(f"cannot write {statement!r} to an offline script: not a SQL statement")
    if isinstance(statement, ExecutableDDLElement):
        compiled = statement.compile(dialect=dialect)
    elif literal_binds:
        compiled = statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    else:
        compiled = statement.compile(dialect=dialect)
        rendered = set(compiled.bind_names.values()) if isinstance(compiled, SQLCompiler) else ()
        if rendered:
            names = ", ".join(sorted(rendered))
            raise DistillError(
                f"offline (--sql) mode cannot send bound values ({names}) of the statement "
                f"`{first_line(compiled)}`: a script has nowhere to send them. Turn on "
                "literal_binds (context.configure(literal_binds=True), as the stock env.py "
                "does offline) or wrap the values in op.inline_literal()"
            )
    return str(compiled).replace("\t", "    ").strip()


def check_text_values(statement: TextClause, dialect: Dialect) -> None:
    """Refuse a text() whose `:name` has no value: text() reads it as a bind parameter."""
    compiled = statement.compile(dialect=dialect)
    binds = compiled.binds if isinstance(compiled, SQLCompiler) else {}
    missing = [
        name
        for name, bind in binds.items()
        if bind.required and bind.value is None and bind.callable is None
    ]
    if missing:
        name = missing[0]
        raise DistillError(
            f"the SQL `{first_line(statement)}` contains ':{name}', which text() reads "
            f"as a bind parameter, and no value was given for it. Escape a literal "
            f"colon with a backslash ('\\:{name}'), or pass "
            f"sa.text(...).bindparams({name}=...)"
        )
