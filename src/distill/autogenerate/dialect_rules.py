"""What autogenerate must know about each database's reflection, as data.

Each entry says how a database reports what SQLAlchemy created: type spellings that
mean the same thing, unique constraints that are really indexes, indexes a foreign key
makes by itself. The engine looks the rules up once per run by dialect name, the way
the plugin registries take a dialect qualifier; it never tests a dialect's name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.engine import Dialect


@dataclass(frozen=True)
class ReflectionRules:
    """How one database reports schema objects back."""

    # base type names that are one type here: compiled name -> name as reflected
    type_synonyms: Mapping[str, str] = field(default_factory=dict)
    # whole type spellings (model side, database side) that are the same column type
    equal_types: frozenset[tuple[str, str]] = frozenset()
    # a unique constraint is a unique index, reported as both (MySQL/MariaDB)
    unique_constraints_are_indexes: bool = False
    # a foreign key gets an index of its own when its columns have none
    foreign_keys_make_indexes: bool = False
    # expression indexes come back with their expressions
    reflects_expression_indexes: bool = True
    # the index option holding a partial index's WHERE clause
    partial_index_option: str | None = None
    # the dialect keyword prefix of index options compared (postgresql_using, mysql_length)
    index_options: tuple[str, ...] = ()


_DEFAULT = ReflectionRules()

_RULES: dict[str, ReflectionRules] = {
    "postgresql": ReflectionRules(
        type_synonyms={"DECIMAL": "NUMERIC", "INT": "INTEGER"},
        equal_types=frozenset(
            {
                ("FLOAT", "DOUBLE PRECISION"),
                ("FLOAT(53)", "DOUBLE PRECISION"),
                ("FLOAT(24)", "REAL"),
                ("DOUBLE", "DOUBLE PRECISION"),
            }
        ),
        partial_index_option="postgresql_where",
        index_options=("postgresql_using", "postgresql_include"),
    ),
    "mysql": ReflectionRules(
        type_synonyms={"NUMERIC": "DECIMAL", "INT": "INTEGER", "BOOLEAN": "BOOL"},
        equal_types=frozenset(
            {("BOOL", "TINYINT(1)"), ("JSON", "LONGTEXT"), ("TIMESTAMP", "TIMESTAMP")}
        ),
        unique_constraints_are_indexes=True,
        foreign_keys_make_indexes=True,
        reflects_expression_indexes=False,
        index_options=("mysql_length", "mysql_prefix"),
    ),
    "sqlite": ReflectionRules(
        type_synonyms={"INT": "INTEGER"},
        reflects_expression_indexes=False,
        partial_index_option="sqlite_where",
    ),
}
_RULES["mariadb"] = _RULES["mysql"]


def rules_for(dialect: Dialect | None) -> ReflectionRules:
    """The rules of `dialect` (neutral ones for a database not listed)."""
    if dialect is None:
        return _DEFAULT
    return _RULES.get(dialect.name, _DEFAULT)
