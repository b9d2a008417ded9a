"""A squashed baseline: one file that builds, from an empty database, what a range of the
history builds, kept beside the versions (`<script_location>/baseline/`).

Its header names its own id (`revision`) and the revisions it replaces (`replaces`, in
run order: the last is the revision a fresh database is at afterwards). The graph never
sees it, so Alembic, which reads only the version locations, replays the history as
before; distill runs it instead of the replaced range on an empty database.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from distill.errors import ScriptError

BASELINE_FOLDER = "baseline"


@dataclass(frozen=True)
class Baseline:
    """The baseline file's id, the revisions it replaces (run order) and its path."""

    revision: str
    replaces: tuple[str, ...]
    path: str
    doc: str = ""

    @property
    def tip(self) -> str:
        """The revision a database is at once the baseline has run."""
        return self.replaces[-1]


def baseline_folder(script_dir: str) -> Path:
    """Where the baseline file lives."""
    return Path(script_dir, BASELINE_FOLDER)


def read_baseline(script_dir: str) -> Baseline | None:
    """The project's baseline, None without one; a malformed one is a one-line error."""
    folder = baseline_folder(script_dir)
    if not folder.is_dir():
        return None
    files = sorted(p for p in folder.glob("*.py") if not p.name.startswith(("_", ".")))
    if not files:
        return None
    if len(files) > 1:
        names = ", ".join(p.name for p in files)
        raise ScriptError(
            f"{folder} holds {len(files)} baselines ({names}); keep one (distill squash "
            "writes one; run 'distill squash --finalize' before squashing again)"
        )
    return read_baseline_file(files[0])


def read_baseline_file(path: Path) -> Baseline:
    """The header of one baseline file, read without importing it."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    except SyntaxError as error:
        raise ScriptError(f"{path}:{error.lineno}: {error.msg}; fix the baseline file") from None
    found: dict[str, object] = {}
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and target.id in ("revision", "replaces") and value:
            try:
                found[target.id] = ast.literal_eval(value)
            except ValueError:
                raise ScriptError(
                    f"{path}:{node.lineno}: {target.id} must be a literal string or tuple"
                ) from None
    revision, replaces = found.get("revision"), found.get("replaces")
    if not isinstance(revision, str) or not isinstance(replaces, (tuple, list)) or not replaces:
        raise ScriptError(
            f"{path}: a baseline needs `revision = '<id>'` and `replaces = (...)` naming the "
            "revisions it replaces; write it with 'distill squash'"
        )
    return Baseline(
        revision, tuple(str(r) for r in replaces), str(path), ast.get_docstring(tree) or ""
    )
