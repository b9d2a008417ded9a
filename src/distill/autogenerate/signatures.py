"""What makes two indexes, unique constraints, foreign keys or checks the same, as data.

Each object of the model and of the database becomes a `Keyed` item: its final name
(the naming convention applied) and a signature built from normalised parts, so the
comparison pairs them by name first and by signature for unnamed ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.base import _NoneName
from sqlalchemy.sql.elements import conv

from distill.autogenerate.dialect_rules import ReflectionRules
from distill.autogenerate.reflect import (
    ReflectedCheck,
    ReflectedForeignKey,
    ReflectedIndex,
    ReflectedUnique,
)
from distill.autogenerate.sql_text import compiled, expression_key


@dataclass
class Keyed:
    """A schema object with its final name and comparable signature."""

    name: str | None
    signature: tuple[Any, ...]
    item: Any


def final_name(constraint: Any, table: sa.Table) -> str | None:
    """The name the object has in the database: given, or made by the naming convention."""
    name = constraint.name
    if isinstance(name, conv):
        return name
    if name is not None and not isinstance(name, _NoneName):
        return str(name)
    try:
        from sqlalchemy.sql.naming import _constraint_name_for_table

        made = _constraint_name_for_table(constraint, table)  # type: ignore[no-untyped-call]
    except Exception:  # a convention that needs a name the object lacks
        return None
    return None if made is None or isinstance(made, _NoneName) else conv(str(made))


def create_op(item: Any, table: sa.Table) -> Any:
    """The op creating a model index or constraint, a convention-made name kept as final."""
    from distill.operations.ops import AddConstraintOp, CreateIndexOp

    name = final_name(item, table)
    if isinstance(item, sa.Index):
        op: Any = CreateIndexOp.from_index(item)
        if name is not None:
            op._init(index_name=name)
        return op
    op = AddConstraintOp.from_constraint(item)
    if name is not None:
        op._init(constraint_name=name)
    return op


def pair(
    model: Iterable[Keyed], database: Iterable[Keyed]
) -> tuple[list[tuple[Keyed, Keyed]], list[Keyed], list[Keyed]]:
    """Pairs by name, then unnamed (or unpaired) ones by signature; the rest unpaired."""
    model_left = list(model)
    database_left = list(database)
    pairs: list[tuple[Keyed, Keyed]] = []
    by_name = {item.name: item for item in database_left if item.name}
    for item in list(model_left):
        match = by_name.get(item.name) if item.name else None
        if match is not None and match in database_left:
            pairs.append((item, match))
            model_left.remove(item)
            database_left.remove(match)
    for item in list(model_left):
        match = next(
            (
                other
                for other in database_left
                if other.signature == item.signature
                and (
                    item.name is None or other.name is None or other.name not in _names(model_left)
                )
            ),
            None,
        )
        if match is not None:
            pairs.append((item, match))
            model_left.remove(item)
            database_left.remove(match)
    return pairs, model_left, database_left


def _names(items: Iterable[Keyed]) -> set[str | None]:
    return {item.name for item in items}


# -- indexes ---------------------------------------------------------------------------


def model_index_signature(
    index: sa.Index, dialect: Dialect, rules: ReflectionRules
) -> tuple[Any, ...]:
    """Columns or expressions, uniqueness, WHERE clause and compared dialect options."""
    elements: list[tuple[str, str]] = []
    for expression in index.expressions:
        if isinstance(expression, sa.Column):
            elements.append(("column", str(expression.name)))
        elif isinstance(expression, str):
            elements.append(("column", expression))
        else:
            elements.append(("expression", expression_key(compiled(expression, dialect))))
    where = None
    if rules.partial_index_option:
        prefix, _, key = rules.partial_index_option.partition("_")
        clause = index.dialect_options[prefix].get(key) if prefix in index.dialect_options else None
        where = None if clause is None else expression_key(compiled(clause, dialect))
    options = tuple(
        _index_option(option, _model_option(index, option), elements)
        for option in rules.index_options
    )
    return (tuple(elements), bool(index.unique), where, options)


def _model_option(index: sa.Index, option: str) -> Any:
    prefix, _, key = option.partition("_")
    try:
        return index.dialect_options[prefix].get(key)
    except KeyError:
        return None


def reflected_index_signature(index: ReflectedIndex, rules: ReflectionRules) -> tuple[Any, ...]:
    """The same signature for an index the database reports."""
    elements: list[tuple[str, str]] = []
    expressions = index.expressions or (None,) * len(index.columns)
    for name, expression in zip(index.columns, expressions, strict=False):
        if name is not None:
            elements.append(("column", name))
        else:
            elements.append(("expression", expression_key(str(expression))))
    where = None
    if rules.partial_index_option:
        clause = index.dialect_options.get(rules.partial_index_option)
        where = None if clause is None else expression_key(str(clause))
    options = tuple(
        _index_option(option, index.dialect_options.get(option), elements)
        for option in rules.index_options
    )
    return (tuple(elements), index.unique, where, options)


def _index_option(option: str, value: Any, elements: list[tuple[str, str]]) -> Any:
    """A dialect option in one comparable form (defaults as None)."""
    if not value:
        return None
    if option == "postgresql_using":
        return None if str(value).lower() == "btree" else str(value).lower()
    if option == "mysql_length":
        if isinstance(value, Mapping):
            return tuple(sorted((str(k), int(v)) for k, v in value.items()))
        return tuple(sorted((name, int(value)) for kind, name in elements if kind == "column"))
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    return str(value)


# -- unique constraints, foreign keys, checks ------------------------------------------


def unique_signature(columns: Iterable[str]) -> tuple[Any, ...]:
    """A unique constraint is its columns."""
    return ("unique", tuple(columns))


def model_unique(constraint: sa.UniqueConstraint, table: sa.Table) -> Keyed:
    """A model unique constraint, keyed."""
    columns = [column.name for column in constraint.columns]
    return Keyed(final_name(constraint, table), unique_signature(columns), constraint)


def reflected_unique(unique: ReflectedUnique) -> Keyed:
    """A reflected unique constraint, keyed."""
    return Keyed(unique.name, unique_signature(unique.columns), unique)


def _action(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).upper().split())
    return None if text == "NO ACTION" else text


def _fk_signature(
    columns: Iterable[str],
    referred_schema: str | None,
    referred_table: str,
    referred_columns: Iterable[str],
    options: Mapping[str, Any],
) -> tuple[Any, ...]:
    initially = options.get("initially")
    initially = (
        None
        if initially is None or str(initially).upper() == "IMMEDIATE"
        else str(initially).upper()
    )
    return (
        tuple(columns),
        referred_schema,
        referred_table,
        tuple(referred_columns),
        _action(options.get("ondelete")),
        _action(options.get("onupdate")),
        bool(options.get("deferrable")) or None,
        initially,
    )


def model_foreign_key(
    constraint: sa.ForeignKeyConstraint, table: sa.Table, default_schema: str | None
) -> Keyed:
    """A model foreign key, keyed."""
    first = constraint.elements[0]
    table_part = first.target_fullname.rsplit(".", 1)[0]
    schema, _, referred = table_part.rpartition(".")
    referred_schema = None if not schema or schema == default_schema else schema
    options = {
        "ondelete": constraint.ondelete,
        "onupdate": constraint.onupdate,
        "deferrable": constraint.deferrable,
        "initially": constraint.initially,
    }
    signature = _fk_signature(
        [element.parent.name for element in constraint.elements],
        referred_schema,
        referred,
        [element.target_fullname.rsplit(".", 1)[1] for element in constraint.elements],
        options,
    )
    return Keyed(final_name(constraint, table), signature, constraint)


def reflected_foreign_key(fk: ReflectedForeignKey, default_schema: str | None) -> Keyed:
    """A reflected foreign key, keyed."""
    schema = None if fk.referred_schema == default_schema else fk.referred_schema
    signature = _fk_signature(
        fk.columns, schema, fk.referred_table, fk.referred_columns, fk.options
    )
    return Keyed(fk.name, signature, fk)


def model_check(constraint: sa.CheckConstraint, table: sa.Table, dialect: Dialect) -> Keyed:
    """A model check constraint, keyed by its normalised condition."""
    text = expression_key(compiled(constraint.sqltext, dialect))
    return Keyed(final_name(constraint, table), ("check", text), constraint)


def reflected_check(check: ReflectedCheck) -> Keyed:
    """A reflected check constraint, keyed."""
    return Keyed(check.name, ("check", expression_key(check.sqltext)), check)
