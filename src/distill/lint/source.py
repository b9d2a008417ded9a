"""What lint reads from a revision's source text: allow comments, statement spans,
imports of the application's own code, and the shape of downgrade()."""

from __future__ import annotations

import ast
import importlib.util
import io
import re
import sys
import tokenize
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

ALLOW = re.compile(r"#\s*distill:\s*allow\s+([\w-]+(?:\s*,\s*[\w-]+)*)\s*(?:--\s*(\S.*))?$")

# imports that are migration tooling, never the application
_TOOLING = frozenset(["alembic", "distill", "sqlalchemy", "sqlmodel", "__future__"])

_COMPOUND = (
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.With,
    ast.AsyncWith,
    ast.Try,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Match,
)

DowngradeShape = Literal["ok", "empty", "raises", "missing"]


@dataclass(frozen=True)
class SourceFacts:
    """Facts from one revision file's text."""

    allows: dict[int, frozenset[str]] = field(default_factory=dict)
    reasonless: tuple[int, ...] = ()  # allow comments missing their `-- why`
    spans: tuple[tuple[int, int], ...] = ()  # simple statements: first and last line
    app_imports: tuple[tuple[int, str], ...] = ()
    downgrade: DowngradeShape = "ok"
    downgrade_line: int = 0
    irreversible: bool = False  # `irreversible = True`, or downgrade() raises NotReversible

    def statement_start(self, line: int) -> int:
        """The first line of the simple statement holding `line` (`line` if none)."""
        span = self._span(line)
        return span[0] if span else line

    def allowed(self, rule: str, line: int) -> bool:
        """Whether an allow comment for `rule` sits on the statement at `line`."""
        first, last = self._span(line) or (line, line)
        return any(rule in self.allows.get(n, frozenset()) for n in range(first, last + 1))

    def allowed_anywhere(self, rule: str) -> bool:
        """Whether an allow comment for `rule` sits anywhere in the file."""
        return any(rule in rules for rules in self.allows.values())

    def _span(self, line: int) -> tuple[int, int] | None:
        return self._smallest_spans.get(line)

    @cached_property
    def _smallest_spans(self) -> dict[int, tuple[int, int]]:
        """Line -> the smallest simple statement holding it (one pass, not one per finding)."""
        smallest: dict[int, tuple[int, int]] = {}
        for first, last in self.spans:
            for number in range(first, last + 1):
                known = smallest.get(number)
                if known is None or last - first < known[1] - known[0]:
                    smallest[number] = (first, last)
        return smallest


def read_source(text: str, filename: str) -> SourceFacts:
    """The SourceFacts of a revision file's text."""
    tree = ast.parse(text, filename)
    allows, reasonless = _allow_comments(text)
    spans = tuple(
        (node.lineno, node.end_lineno or node.lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.stmt) and not isinstance(node, _COMPOUND)
    )
    shape, line, raises_marker = _downgrade_shape(tree)
    return SourceFacts(
        allows=allows,
        reasonless=reasonless,
        spans=spans,
        app_imports=tuple(_application_imports(tree)),
        downgrade=shape,
        downgrade_line=line,
        irreversible=raises_marker or _declares_irreversible(tree),
    )


def _allow_comments(text: str) -> tuple[dict[int, frozenset[str]], tuple[int, ...]]:
    """Line -> the rules its allow comment names; and the comments that give no reason."""
    allows: dict[int, frozenset[str]] = {}
    reasonless: list[int] = []
    tokens = tokenize.generate_tokens(io.StringIO(text).readline)
    for token in tokens:
        if token.type != tokenize.COMMENT:
            continue
        match = ALLOW.search(token.string)
        if match is None:
            continue
        line = token.start[0]
        if not match.group(2):
            reasonless.append(line)
            continue
        rules = frozenset(name.strip() for name in match.group(1).split(","))
        allows[line] = allows.get(line, frozenset()) | rules
    return allows, tuple(reasonless)


def _application_imports(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, module) for each import of code that is neither a library nor tooling."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                found.append((node.lineno, "." * node.level + (node.module or "")))
                continue
            names = [node.module or ""]
        else:
            continue
        found.extend((node.lineno, name) for name in names if _is_application(name))
    return found


def _is_application(module: str) -> bool:
    """Whether `module` is the project's own code (found outside any installed library)."""
    top = module.split(".")[0]
    if not top or top in _TOOLING or top in sys.stdlib_module_names:
        return False
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return False
    if spec is None:
        return False
    origin = spec.origin or ""
    if not origin or origin in ("built-in", "frozen"):
        locations = list(spec.submodule_search_locations or [])
        origin = locations[0] if locations else ""
    return bool(origin) and "site-packages" not in origin and "dist-packages" not in origin


def _downgrade_shape(tree: ast.Module) -> tuple[DowngradeShape, int, bool]:
    """Whether downgrade() is missing, empty, raising or fine; its line; and whether what
    it raises declares the revision irreversible."""
    function = next(
        (
            node
            for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name == "downgrade"
        ),
        None,
    )
    if function is None:
        return "missing", 0, False
    body = list(function.body)
    if body and _is_docstring(body[0]):
        body = body[1:]
    if all(_is_placeholder(statement) for statement in body):
        return "empty", function.lineno, False
    raising = [statement for statement in body if isinstance(statement, ast.Raise)]
    if raising:
        marker = any(_names_irreversible(statement.exc) for statement in raising)
        return "raises", raising[0].lineno, marker
    return "ok", function.lineno, False


def _is_docstring(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def _is_placeholder(statement: ast.stmt) -> bool:
    """`pass`, `...`, or a bare string."""
    if isinstance(statement, ast.Pass):
        return True
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)


def _names_irreversible(exc: ast.expr | None) -> bool:
    """Whether a raised exception's name says the migration cannot be reversed."""
    if exc is None:
        return False
    target = exc.func if isinstance(exc, ast.Call) else exc
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    return "irreversible" in name.lower() or "notreversible" in name.lower()


def _declares_irreversible(tree: ast.Module) -> bool:
    """A module-level `irreversible = True`."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            if "irreversible" in names and node.value.value is True:
                return True
    return False
