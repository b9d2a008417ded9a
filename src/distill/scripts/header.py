"""Read a revision file's identifiers without importing it.

Alembic imports every revision file to read four variables. distill parses the
source instead (with `ast`), and usually only the part before the first top-level
`def`/`class`, which is where the generated header lives.
"""

from __future__ import annotations

import ast
import dis
import importlib.util
import marshal
import os
import re
from collections.abc import Container
from types import CodeType

from distill.errors import ScriptError
from distill.graph import Revision

_NAMES = ("revision", "down_revision", "branch_labels", "depends_on")
_LEGACY_NAME = re.compile(r"[a-f0-9]+\.py")
# Where the module body starts: everything before it is the header.
_BODY_START = re.compile(rb"^(?:def|async[ \t]+def|class)[ \t]|^@", re.MULTILINE)
# Any later mention of a header variable means the body might rebind it: parse it all.
_MENTION = re.compile(rb"\b(?:revision|down_revision|branch_labels|depends_on)\b")
_COMPOUND = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_LITERAL_HINT = (
    "must be a literal (a string, None, or a tuple or list of strings) so that distill "
    "can read it without importing the file"
)

Value = str | None | tuple[str, ...]


class _NotLiteral:
    """A module-level name bound to something other than a literal."""

    def __init__(self, node: ast.AST | str) -> None:
        self.node = node

    @property
    def source(self) -> str:
        """The offending code, rendered only when an error needs it."""
        return self.node if isinstance(self.node, str) else ast.unparse(self.node)


def is_revision_file(name: str, sourceless: bool = False, existing: Container[str] = ()) -> bool:
    """Whether a file name in a version location is a revision file, by Alembic's rules.

    `existing` holds the other names in the same folder: with `sourceless`, a .pyc is
    skipped when its .py is there, a .pyo when its .py or .pyc is.
    """
    if name.startswith((".#", "__init__")):
        return False
    if name.endswith(".py"):
        return True
    if not sourceless or not name.endswith((".pyc", ".pyo")):
        return False
    source = name[:-1]
    if source in existing:
        return False
    return not (name.endswith(".pyo") and source + "c" in existing)


def read_header(path: str) -> Revision:
    """The revision a file declares, read without importing it."""
    full = os.path.abspath(path)
    try:
        with open(full, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise ScriptError(f"{full}: cannot read revision file: {error.strerror}") from None
    if full.endswith((".pyc", ".pyo")):
        values, doc = _scan_compiled(full, data)
    else:
        values, doc = _scan_source(full, data)
    return _build(full, values, doc)


# ---------------------------------------------------------------------- source files


def _scan_source(path: str, data: bytes) -> tuple[dict[str, tuple[Value, int]], str]:
    tree = None
    cut = _BODY_START.search(data)
    if cut is not None and not _mentions_header(data, cut.start()):
        try:
            tree = ast.parse(data[: cut.start()], filename=path)
        except (SyntaxError, ValueError):
            tree = None  # the cut fell inside a string or a bracket: read the whole file
    if tree is None:
        try:
            tree = ast.parse(data, filename=path)
        except SyntaxError as error:
            raise ScriptError(
                f"{path}:{error.lineno or 0}: syntax error in revision file: {error.msg}"
            ) from None
        except ValueError as error:  # e.g. NUL bytes
            raise ScriptError(f"{path}:0: syntax error in revision file: {error}") from None
    return _Reader(path).read(tree), ast.get_docstring(tree, clean=False) or ""


def _mentions_header(data: bytes, start: int) -> bool:
    # bytes.find is far faster than the regex and almost always settles it
    if all(data.find(word, start) < 0 for word in (b"revision", b"branch_labels", b"depends_on")):
        return False
    return _MENTION.search(data, start) is not None


class _Reader:
    """Collects the header variables from a module's top-level statements."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.bound: dict[str, Value | _NotLiteral] = {}
        self.found: dict[str, tuple[Value, int]] = {}

    def read(self, tree: ast.Module) -> dict[str, tuple[Value, int]]:
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    self._bind(target, stmt.value, stmt.lineno)
            elif isinstance(stmt, ast.AnnAssign):
                if stmt.value is not None:
                    self._bind(stmt.target, stmt.value, stmt.lineno)
            elif isinstance(stmt, ast.AugAssign):
                self._bind(stmt.target, stmt, stmt.lineno)
            elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
                for alias in stmt.names:
                    name = (alias.asname or alias.name).split(".")[0]
                    self._store(name, _NotLiteral(stmt), stmt.lineno)
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self._store(stmt.name, _NotLiteral(f"def {stmt.name}"), stmt.lineno)
            elif isinstance(stmt, _COMPOUND):
                self._reject_nested(stmt)
        return self.found

    def _bind(self, target: ast.expr, value: ast.AST, line: int) -> None:
        if isinstance(target, ast.Name):
            self._store(target.id, self._evaluate(value), line)
        elif isinstance(target, (ast.Tuple, ast.List)):
            items = value.elts if isinstance(value, (ast.Tuple, ast.List)) else None
            plain = not any(isinstance(e, ast.Starred) for e in target.elts)
            if items is not None and plain and len(items) == len(target.elts):
                for sub_target, sub_value in zip(target.elts, items, strict=True):
                    self._bind(sub_target, sub_value, line)
            else:
                for sub_target in target.elts:
                    for node in ast.walk(sub_target):
                        if isinstance(node, ast.Name):
                            self._store(node.id, _NotLiteral(value), line)

    def _store(self, name: str, value: Value | _NotLiteral, line: int) -> None:
        self.bound[name] = value
        if name not in _NAMES:
            return
        if isinstance(value, _NotLiteral):
            raise ScriptError(
                f"{self.path}:{line}: `{name}` {_LITERAL_HINT}; found `{value.source}`"
            )
        self.found[name] = (value, line)

    def _evaluate(self, node: ast.AST) -> Value | _NotLiteral:
        if isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, str)):
            return node.value
        if isinstance(node, ast.Name):
            value = self.bound.get(node.id)
            if node.id in self.bound and not isinstance(value, _NotLiteral):
                return value
            return _NotLiteral(f"{node.id}, which is not bound to a literal")
        if isinstance(node, (ast.Tuple, ast.List)):
            items: list[str] = []
            for element in node.elts:
                value = self._evaluate(element)
                if not isinstance(value, str):
                    return _NotLiteral(node)
                items.append(value)
            return tuple(items)
        return _NotLiteral(node)

    def _reject_nested(self, stmt: ast.stmt) -> None:
        todo: list[ast.AST] = [stmt]
        while todo:
            node = todo.pop()
            if isinstance(node, _SCOPES):
                continue  # names bound there are not module variables
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
                targets = [node.target]
            line = getattr(node, "lineno", 0)
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name) and name.id in _NAMES:
                        raise ScriptError(
                            f"{self.path}:{line}: `{name.id}` must be assigned at "
                            "module level, not inside a block, so that distill can read "
                            "it without importing the file"
                        )
            todo.extend(ast.iter_child_nodes(node))


# ---------------------------------------------------------------------- compiled files


def _scan_compiled(path: str, data: bytes) -> tuple[dict[str, tuple[Value, int]], str]:
    if data[:4] != importlib.util.MAGIC_NUMBER:
        raise ScriptError(
            f"{path}: compiled by another Python version; recompile it with this "
            "interpreter or ship the .py source"
        )
    try:
        code = marshal.loads(data[16:])
    except (EOFError, ValueError, TypeError):
        raise ScriptError(f"{path}: not a valid compiled Python file") from None
    if not isinstance(code, CodeType):
        raise ScriptError(f"{path}: not a valid compiled Python file")
    bound: dict[str, Value | _NotLiteral] = {}
    found: dict[str, tuple[Value, int]] = {}
    doc = ""
    recent: list[dis.Instruction] = []
    for ins in dis.get_instructions(code):
        if ins.opname in ("STORE_NAME", "STORE_GLOBAL"):
            name = str(ins.argval)
            value = _compiled_value(recent, bound)
            bound[name] = value
            positions = getattr(ins, "positions", None)  # Python 3.11+
            line = int(getattr(positions, "lineno", 0) or 0)
            if name == "__doc__" and isinstance(value, str):
                doc = value
            if name in _NAMES:
                if isinstance(value, _NotLiteral):
                    raise ScriptError(f"{path}:{line}: `{name}` {_LITERAL_HINT}")
                found[name] = (value, line)
        recent = [*recent[-8:], ins]
    return found, doc


def _compiled_value(
    recent: list[dis.Instruction], bound: dict[str, Value | _NotLiteral]
) -> Value | _NotLiteral:
    """The literal the instructions just before a store put on the stack, if any."""
    unknown = _NotLiteral("an expression")
    if not recent:
        return unknown
    last = recent[-1]
    if last.opname == "LOAD_CONST":
        return _constant(last.argval)
    if last.opname == "LOAD_NAME":
        value = bound.get(str(last.argval), unknown)
        return value
    if last.opname in ("BUILD_LIST", "BUILD_TUPLE") and isinstance(last.arg, int):
        count = last.arg
        loads = recent[-1 - count : -1] if count else []
        items = [_compiled_value([i], bound) for i in loads]
        if len(loads) == count and all(isinstance(i, str) for i in items):
            return tuple(str(i) for i in items)
    if last.opname == "LIST_EXTEND" and len(recent) >= 3:
        build, load = recent[-3], recent[-2]
        if build.opname == "BUILD_LIST" and build.arg == 0 and load.opname == "LOAD_CONST":
            return _constant(load.argval)
    return unknown


def _constant(value: object) -> Value | _NotLiteral:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (tuple, frozenset)) and all(isinstance(v, str) for v in value):
        return tuple(str(v) for v in value)
    return _NotLiteral(repr(value))


# ---------------------------------------------------------------------- result


def _build(path: str, found: dict[str, tuple[Value, int]], doc: str) -> Revision:
    if "revision" in found:
        rev_value, line = found["revision"]
        if not isinstance(rev_value, str):
            raise ScriptError(
                f"{path}:{line}: `revision` must be a string literal, found {rev_value!r}"
            )
        rev_id = rev_value
    else:
        filename = os.path.basename(path)
        if not _LEGACY_NAME.fullmatch(filename):
            raise ScriptError(
                f"Could not determine revision id from filename {filename}. Be sure the "
                f"'revision' variable is declared inside the script ({path}); add "
                "`revision = '<id>'` to the header"
            )
        rev_id = filename[: -len(".py")]
    if "down_revision" not in found:
        raise ScriptError(
            f"{path}: revision {rev_id} has no `down_revision`; add `down_revision = None` "
            "for a first revision, or the id of the revision it follows"
        )
    return Revision(
        revision=rev_id,
        down_revisions=_as_ids(found["down_revision"][0]),
        branch_labels=_as_ids(found.get("branch_labels", (None, 0))[0]),
        depends_on=_as_ids(found.get("depends_on", (None, 0))[0]),
        doc=doc,
        path=path,
    )


def _as_ids(value: Value) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return value
