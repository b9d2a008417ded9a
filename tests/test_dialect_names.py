"""Only dialects/ knows a database: no other module compares dialect names, checks a
database's dialect class, reads a driver's error code, or imports or passes anything
named after a database.

Every module of the package outside src/distill/dialects/ is parsed with `ast`; the
checker's own tests below show it catches the cases that once lived in the runtime,
the rebuild plan and batch mode.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "distill"
DIALECTS = SRC / "dialects"

# SQLAlchemy's dialect names
DATABASES = frozenset(["sqlite", "postgresql", "mysql", "mariadb", "mssql", "oracle"])

# calls and attributes that answer with a dialect or driver name
NAME_SOURCES = frozenset(["get_backend_name", "get_driver_name", "drivername"])

# attributes where drivers keep their own error codes (SQLSTATE, MySQL errno)
ERROR_CODES = frozenset(["sqlstate", "pgcode", "pgerror", "errno"])

# a module named after a database (sqlalchemy.dialects.sqlite, sqlite_schema, ...)
DATABASE_MODULE = re.compile(rf"^({'|'.join(sorted(DATABASES))})(_|$)")

# a class named after a database (SQLiteDialect_pysqlite, PGDialect, MySQLImpl, ...)
DATABASE_CLASS = re.compile(r"^(sqlite|pg|postgres|psycopg|mysql|maria|mssql|oracle)", re.I)

# database-specific names that are the directive itself, by Alembic's API
ALLOWED_IMPORTS = {
    # op.create_exclude_constraint builds PostgreSQL's EXCLUDE constraint
    ("sqlalchemy.dialects.postgresql", "ExcludeConstraint"),
}

ADVICE = (
    "ask a DialectImpl capability flag or hook instead (dialects/base.py, "
    "dialects/run_hooks.py) and put the database's own behaviour in its dialects/ module"
)


def _identifier(node: ast.expr) -> str | None:
    """The last name of `a.b.c`, `c` or `c()`."""
    if isinstance(node, ast.Call):
        return _identifier(node.func)
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def _is_dialect_receiver(node: ast.expr) -> bool:
    """`dialect`, `self.dialect`, `impl`, `self._impl`, `get_dialect()`, ..."""
    name = (_identifier(node) or "").lower()
    return "dialect" in name or name.endswith("impl")


def _names_a_database(node: ast.expr) -> bool:
    """A dialect name: a literal one, `<dialect or impl>.name`, or `url.get_backend_name()`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.lower() in DATABASES
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return any(_names_a_database(element) for element in node.elts)
    if isinstance(node, ast.Attribute) and node.attr == "name":
        return _is_dialect_receiver(node.value)
    return _identifier(node) in NAME_SOURCES


def _is_database_class(node: ast.expr) -> bool:
    if isinstance(node, (ast.Tuple, ast.List)):
        return any(_is_database_class(element) for element in node.elts)
    dotted = ast.unparse(node).lower().split(".")
    if any(part in DATABASES for part in dotted[:-1]):
        return True
    return bool(DATABASE_CLASS.match(_identifier(node) or ""))


def _match_names_a_database(node: ast.Match) -> bool:
    if _names_a_database(node.subject):
        return True
    for case in node.cases:
        for pattern in ast.walk(case.pattern):
            if isinstance(pattern, ast.MatchValue) and _names_a_database(pattern.value):
                return True
    return False


def _import_problem(node: ast.Import | ast.ImportFrom) -> str | None:
    if isinstance(node, ast.Import):
        modules = [(alias.name, "") for alias in node.names]
    else:
        modules = [(node.module or "", alias.name) for alias in node.names]
    for module, name in modules:
        parts = [*module.lower().split("."), name.lower()]
        named = any(DATABASE_MODULE.match(part) for part in parts)
        if named and (module, name) not in ALLOWED_IMPORTS:
            imported = f"{module}.{name}" if name else module
            return f"imports what is named after a database ({imported})"
    return None


def _problem(node: ast.AST) -> str | None:
    """What is wrong with `node`, or None."""
    if isinstance(node, ast.Compare):
        if any(_names_a_database(operand) for operand in [node.left, *node.comparators]):
            return "compares a dialect name"
    elif isinstance(node, ast.Match):
        if _match_names_a_database(node):
            return "matches on a dialect name"
    elif isinstance(node, ast.Call):
        function = _identifier(node.func)
        is_check = function in ("isinstance", "issubclass") and len(node.args) == 2
        if is_check and _is_database_class(node.args[1]):
            return f"checks {function} against a database's class"
        if function in ("startswith", "endswith") and any(map(_names_a_database, node.args)):
            return "compares a dialect name"
        if function in ("getattr", "hasattr") and len(node.args) >= 2:
            attribute = node.args[1]
            if isinstance(attribute, ast.Constant) and attribute.value in ERROR_CODES:
                return "reads a driver's error code"
        if any(keyword.arg in DATABASES for keyword in node.keywords):
            return "passes an argument named after a database"
    elif isinstance(node, ast.Attribute) and node.attr in ERROR_CODES:
        return "reads a driver's error code"
    elif isinstance(node, ast.arg) and node.arg in DATABASES:
        return "takes a parameter named after a database"
    elif isinstance(node, (ast.Import, ast.ImportFrom)):
        return _import_problem(node)
    return None


def findings(source: str, filename: str) -> list[str]:
    """One line per place in `source` that knows a database by name: file, line, what, how."""
    tree = ast.parse(source, filename)
    found = []
    for node in ast.walk(tree):
        problem = _problem(node)
        if problem is not None:
            line = getattr(node, "lineno", 0)
            segment = " ".join((ast.get_source_segment(source, node) or "").split())[:80]
            found.append(f"{filename}:{line}: {problem} (`{segment}`); {ADVICE}")
    return sorted(found, key=lambda text: int(text.split(":")[1]))


OUTSIDE_DIALECTS = sorted(
    path
    for path in SRC.rglob("*.py")
    if DIALECTS not in path.parents and "templates" not in path.relative_to(SRC).parts
)


def test_modules_are_found() -> None:
    names = {str(path.relative_to(SRC)) for path in OUTSIDE_DIALECTS}
    assert {"runtime/migrator.py", "runtime/sink.py", "operations/batch.py"} <= names


@pytest.mark.parametrize("path", OUTSIDE_DIALECTS, ids=lambda p: str(p.relative_to(SRC)))
def test_no_database_names_outside_dialects(path: Path) -> None:
    found = findings(path.read_text(), str(path.relative_to(SRC.parent)))
    assert not found, "\n".join(found)


# --- the checker on the cases it exists for ---


def test_catches_the_rebuild_plans_dialect_name_comparison() -> None:
    (found,) = findings('self.casts_types = dialect.name != "sqlite"\n', "plan.py")
    assert found.startswith("plan.py:1: compares a dialect name")
    assert '`dialect.name != "sqlite"`' in found
    assert "ask a DialectImpl capability flag or hook instead" in found


def test_catches_the_sinks_check_of_the_sqlite_driver() -> None:
    source = (
        "from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite\n"
        "def support(connection):\n"
        "    if not isinstance(connection.dialect, SQLiteDialect_pysqlite):\n"
        '        return "not-sqlite"\n'
    )
    found = findings(source, "sink.py")
    assert [text.split(" (`")[0] for text in found] == [
        "sink.py:1: imports what is named after a database "
        "(sqlalchemy.dialects.sqlite.pysqlite.SQLiteDialect_pysqlite)",
        "sink.py:3: checks isinstance against a database's class",
    ]


def test_catches_the_migrators_reading_of_postgresqls_error_code() -> None:
    source = (
        'sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)\n'
        'lock_exhaustion = sqlstate == "53200"\n'
    )
    found = findings(source, "migrator.py")
    assert len(found) == 2
    assert all(text.startswith("migrator.py:1: reads a driver's error code") for text in found)


def test_catches_batch_modes_sqlite_reflection() -> None:
    source = (
        "def _reflect(self, connection, *, sqlite):\n"
        "    if sqlite:\n"
        "        from distill.dialects.sqlite_schema import reflect_table\n"
        "table = batch._reflect(connection, sqlite=True)\n"
    )
    found = [text.split(" (`")[0] for text in findings(source, "batch.py")]
    assert found == [
        "batch.py:1: takes a parameter named after a database",
        "batch.py:3: imports what is named after a database "
        "(distill.dialects.sqlite_schema.reflect_table)",
        "batch.py:4: passes an argument named after a database",
    ]


@pytest.mark.parametrize(
    "source",
    [
        'if op.get_bind().dialect.name in ("postgresql", "mysql"): pass',
        "if self.impl.name == other: pass",
        "if url.get_backend_name() == backend: pass",
        'if driver.startswith("mysql"): pass',
        'match bind.dialect.name:\n    case "sqlite": pass',
        'match kind:\n    case "oracle": pass',
        "from sqlalchemy.dialects import postgresql",
        "import sqlalchemy.dialects.mysql",
        "ok = isinstance(impl, (DialectImpl, PostgreSQLImpl))",
        "ok = isinstance(dialect, sa.dialects.mssql.base.MSDialect)",
        "code = error.orig.pgcode",
    ],
)
def test_catches_every_form(source: str) -> None:
    assert findings(source + "\n", "m.py")


@pytest.mark.parametrize(
    "source",
    [
        'if path.name == "__pycache__": pass',
        "if column.name not in table.c: pass",
        'if os.name != "nt": pass',
        "ok = isinstance(impl, DialectImpl) and isinstance(dialect, Dialect)",
        "from sqlalchemy.dialects.postgresql import ExcludeConstraint",
        'url = f"sqlite:///{folder}/demo.db"',
        'kw.pop("postgresql_using", None)',
    ],
)
def test_leaves_other_names_alone(source: str) -> None:
    assert findings(source + "\n", "m.py") == []
