"""What `distill lint` needs to know about a database: which SQL grammar to parse raw SQL
with, and which schema changes lock, rewrite or fail there.

The linter asks a LintProfile and never a dialect name; capability flags it shares with
the runtime (transactional DDL, concurrent indexes, table rebuilds) come from the
dialect's DialectImpl class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect

from distill.dialects import impl_class_for

# the database's documented limit, where SQLAlchemy's default is looser before connecting
_IDENTIFIER_LIMITS = {"postgresql": 63, "mysql": 64, "mariadb": 64}

# sqlglot's name for each SQLAlchemy dialect
_SQL_GRAMMARS = {"postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql", "sqlite": "sqlite"}

# dialects where ALTER TABLE ... ADD CONSTRAINT ... NOT VALID skips the full-table check
_NOT_VALID = frozenset(["postgresql"])

# dialects where ADD COLUMN with a volatile default (now(), random()) rewrites every row
_VOLATILE_DEFAULT_REWRITES = frozenset(["postgresql"])


@dataclass(frozen=True)
class LintProfile:
    """The facts about one database that lint rules depend on."""

    label: str  # the database, for messages
    sql_grammar: str | None  # sqlglot dialect; None: parse with sqlglot's generic grammar
    atomic_ddl: bool  # a failed revision's DDL is rolled back
    concurrent_indexes: bool  # CREATE INDEX CONCURRENTLY exists
    not_valid_constraints: bool  # ADD CONSTRAINT ... NOT VALID exists
    volatile_default_rewrites: bool  # ADD COLUMN ... DEFAULT now() rewrites the table
    alters_columns_in_place: bool  # False: a column change rebuilds the table
    alters_constraints_in_place: bool  # False: a constraint change rebuilds the table
    max_identifier_length: int | None  # None: no practical limit

    def concurrently(self, kw: Mapping[str, Any]) -> bool:
        """Whether an index op's dialect keywords ask for CREATE INDEX CONCURRENTLY."""
        return self.concurrent_indexes and bool(kw.get("postgresql_concurrently"))

    def not_valid(self, kw: Mapping[str, Any]) -> bool:
        """Whether a constraint op's dialect keywords ask for NOT VALID."""
        return self.not_valid_constraints and bool(kw.get("postgresql_not_valid"))


def lint_profile_for(dialect: Dialect) -> LintProfile:
    """The LintProfile of a SQLAlchemy dialect."""
    impl = impl_class_for(dialect)
    name = str(dialect.name)
    limit = _IDENTIFIER_LIMITS.get(name)
    if limit is None and int(dialect.max_identifier_length or 0) < 1000:
        limit = int(dialect.max_identifier_length)
    return LintProfile(
        label=name,
        sql_grammar=_SQL_GRAMMARS.get(name),
        atomic_ddl=impl.can_rollback_ddl,
        concurrent_indexes=impl.supports_concurrent_index,
        not_valid_constraints=name in _NOT_VALID,
        volatile_default_rewrites=name in _VOLATILE_DEFAULT_REWRITES,
        alters_columns_in_place=impl.can_alter_column,
        alters_constraints_in_place=impl.can_alter_constraints,
        max_identifier_length=limit,
    )


def dialect_named(name: str) -> Dialect:
    """A SQLAlchemy dialect (no driver loaded) for a name such as postgresql or sqlite."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        return make_url(f"{name}://").get_dialect()()
    except (ArgumentError, NoSuchModuleError) as error:
        from distill.errors import DistillError

        raise DistillError(
            f"--dialect {name}: SQLAlchemy has no such dialect ({error}); use postgresql, "
            "mysql, mariadb or sqlite"
        ) from error
