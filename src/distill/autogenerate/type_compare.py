"""Whether a model's column type differs from the type the database reports.

Both types are compiled for the database (so a TypeDecorator, a variant or SQLModel's
AutoString is judged by what it creates) and compared by name, arguments and suffix.
Arguments the model leaves out (a MySQL display width, a collation) do not count.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Hashable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from distill.autogenerate.dialect_rules import ReflectionRules

_CHARSET = re.compile(r"\s+(COLLATE|CHARACTER SET|CHARSET)\s+\S+", re.I)


# Spellings of SQLAlchemy's own types by dialect, class and attributes: a thousand
# tables repeat a handful of types, and compiling each costs more than the comparison.
_SPELLINGS: weakref.WeakKeyDictionary[Dialect, dict[Hashable, str]] = weakref.WeakKeyDictionary()


def type_spelling(type_: Any, dialect: Dialect) -> str:
    """The type as the database's DDL writes it, upper case, without collation."""
    key = type_key(type_)
    if key is None:
        return _spelling(type_, dialect)
    known = _SPELLINGS.setdefault(dialect, {})
    found = known.get(key)
    if found is None:
        found = known[key] = _spelling(type_, dialect)
    return found


def type_key(type_: Any) -> Hashable | None:
    """What a built-in type's DDL and repr depend on (its class and attributes), or None
    for a type that may depend on more (a TypeDecorator, a user's type, a variant)."""
    cls = type(type_)
    if not cls.__module__.startswith("sqlalchemy.") or isinstance(type_, sa.types.TypeDecorator):
        return None
    attributes = getattr(type_, "__dict__", None)
    if attributes is None or attributes.get("_variant_mapping"):
        return None
    key = (cls, tuple(sorted((k, type(v), v) for k, v in attributes.items())))
    try:
        hash(key)
    except TypeError:  # an attribute holding a list or a dict: compiled each time
        return None
    return key


def _spelling(type_: Any, dialect: Dialect) -> str:
    try:
        text = str(sa.types.to_instance(type_).compile(dialect=dialect))
    except Exception:  # a type the dialect cannot compile: compare by its class name
        text = type(type_).__name__
    return " ".join(_CHARSET.sub("", text).upper().split())


def _parts(spelling: str, rules: ReflectionRules) -> tuple[str, tuple[str, ...], str]:
    """(first word, arguments, the other words) of a type spelling."""
    match = re.search(r"\((.*?)\)", spelling)
    params: tuple[str, ...] = ()
    if match is not None:
        params = tuple(p.strip() for p in match.group(1).split(",") if p.strip())
        spelling = spelling[: match.start()] + " " + spelling[match.end() :]
    words = spelling.split()
    if not words:
        return "", params, ""
    base = rules.type_synonyms.get(words[0], words[0])
    return base, params, " ".join(words[1:])


def types_differ(
    reflected_type: Any, metadata_type: Any, dialect: Dialect, rules: ReflectionRules
) -> bool:
    """True when the model's type is not what the database column has."""
    if isinstance(metadata_type, sa.types.NullType) or isinstance(
        reflected_type, sa.types.NullType
    ):
        return False
    model = type_spelling(metadata_type, dialect)
    database = type_spelling(reflected_type, dialect)
    if model == database or (model, database) in rules.equal_types:
        return False
    model_base, model_params, model_suffix = _parts(model, rules)
    db_base, db_params, db_suffix = _parts(database, rules)
    if (model_base, database) in rules.equal_types or (model_base, db_base) in rules.equal_types:
        return False
    if model_base != db_base or model_suffix != db_suffix:
        return True
    if not model_params:
        return False
    return model_params != db_params[: len(model_params)] or (
        len(db_params) > len(model_params) and not _defaults_only(db_params[len(model_params) :])
    )


def _defaults_only(params: tuple[str, ...]) -> bool:
    """Trailing reflected arguments that repeat a default (a scale of 0)."""
    return all(param == "0" for param in params)
