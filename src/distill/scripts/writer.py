"""Writing a new revision file: the id, the file name, script.py.mako rendered with
Alembic's template variables, then the post-write hooks."""

from __future__ import annotations

import contextlib
import datetime
import os
import re
import shlex
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from distill.config import write_text
from distill.errors import ConfigError, GraphError, MultipleHeads, ResolutionError, ScriptError
from distill.graph import Revision, check_new_revision_id
from distill.scripts.describe import comma

if TYPE_CHECKING:
    from distill.config import PostWriteHookConfig
    from distill.scripts.directory import ScriptDirectory

REVISION_SCRIPT_TOKEN = "REVISION_SCRIPT_FILENAME"
FILE_TEMPLATE_TOKENS = ("rev", "slug", "epoch", "year", "month", "day", "hour", "minute", "second")

_SLUG_WORD = re.compile(r"\w+")

HookFn = Callable[[str, Mapping[str, str]], None]
_HOOKS: dict[str, HookFn] = {}


# -- ids, dates and names -------------------------------------------------------------------


def new_rev_id() -> str:
    """A fresh revision id: twelve hex digits from a random UUID."""
    return uuid.uuid4().hex[-12:]


def verify_rev_id(rev_id: str) -> None:
    """Refuse an id the identifier syntax or the version table cannot hold."""
    try:
        check_new_revision_id(rev_id)
    except ResolutionError as error:
        raise ScriptError(f"{error.message}; choose another --rev-id") from None


def create_date(timezone: str | None) -> datetime.datetime:
    """Now: local time, or aware time in `timezone` (name as given, then upper-cased)."""
    if not timezone:
        return datetime.datetime.now()
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    for name in (timezone, timezone.upper()):
        try:
            zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        return datetime.datetime.now(tz=datetime.timezone.utc).astimezone(zone)
    raise ConfigError(
        f"Can't locate timezone: {timezone}; use an IANA name such as UTC or Europe/Paris "
        "(install the tzdata package if your system has no time zone database)"
    )


def slugify(message: str | None, truncate_slug_length: int) -> str:
    """The `\\w+` runs of the message joined by `_`, lower-cased, cut at a word boundary."""
    slug = "_".join(_SLUG_WORD.findall(message or "")).lower()
    if len(slug) > truncate_slug_length:
        slug = slug[:truncate_slug_length].rsplit("_", 1)[0] + "_"
    return slug


def revision_filename(
    file_template: str,
    rev_id: str,
    message: str | None,
    date: datetime.datetime,
    truncate_slug_length: int = 40,
) -> str:
    """The new file's name relative to its version location (may contain `/`)."""
    values: dict[str, object] = {
        "rev": rev_id,
        "slug": slugify(message, truncate_slug_length),
        "epoch": int(date.timestamp()),
        "year": date.year,
        "month": date.month,
        "day": date.day,
        "hour": date.hour,
        "minute": date.minute,
        "second": date.second,
    }
    try:
        return file_template % values + ".py"
    except KeyError as error:
        raise ConfigError(
            f"file_template {file_template!r} uses unknown token %({error.args[0]})s; "
            f"the tokens are {', '.join(FILE_TEMPLATE_TOKENS)}"
        ) from error
    except (ValueError, TypeError) as error:
        raise ConfigError(
            f"file_template {file_template!r} is not a valid %-format ({error}); "
            "write tokens as %(rev)s and a literal % as %% (%%%% in an ini file)"
        ) from error


# -- status lines ---------------------------------------------------------------------------


def _stream(stdout: TextIO | None) -> TextIO:
    return stdout if stdout is not None else sys.stdout


@contextlib.contextmanager
def status(
    message: str, *, quiet: bool = False, stdout: TextIO | None = None, newline: bool = False
) -> Iterator[None]:
    """Print `message ...`, then `  done` (or `  FAILED` if the block raised)."""
    if not quiet:
        write_text(_stream(stdout), message + " ..." + ("\n" if newline else ""))
        _stream(stdout).flush()
    try:
        yield
    except BaseException:
        if not quiet:
            write_text(_stream(stdout), "  FAILED\n")
        raise
    if not quiet:
        write_text(_stream(stdout), "  done\n")


def say(message: str, *, quiet: bool = False, stdout: TextIO | None = None) -> None:
    """Print one informational line unless quiet."""
    if not quiet:
        write_text(_stream(stdout), message + "\n")


# -- imports --------------------------------------------------------------------------------


def _import_key(line: str) -> tuple[int, str, str]:
    """isort's order: `import x` lines before `from x import y`, by module, case-blind."""
    words = line.split()
    module = words[1] if len(words) > 1 else line
    return (0 if words[:1] == ["import"] else 1, module.lower(), line)


def import_block(*chunks: str | None) -> str:
    """Import lines (each chunk one or more lines) as one sorted block without repeats.

    script.py.mako writes `import sqlalchemy as sa` and autogenerate's imports through
    it, so the new file's imports pass isort and ruff's default rules.
    """
    lines = {
        line.strip() for chunk in chunks if chunk for line in chunk.splitlines() if line.strip()
    }
    return "\n".join(sorted(lines, key=_import_key))


# -- templates ------------------------------------------------------------------------------


def render_template(
    template: Path,
    dest: Path,
    output_encoding: str = "utf-8",
    *,
    append: bool = False,
    **variables: Any,
) -> None:
    """Render a Mako template into `dest` (appended after a blank line when `append`)."""
    from mako import exceptions
    from mako.template import Template

    if not template.is_file():
        raise ScriptError(
            f"Template {template} not found; restore it from a distill template "
            "(distill list_templates shows them)"
        )
    try:
        output = Template(filename=str(template)).render_unicode(**variables)
    except Exception as error:
        with tempfile.NamedTemporaryFile(
            "wb", prefix="distill_template_", suffix=".txt", delete=False
        ) as trace:
            trace.write(exceptions.text_error_template().render_unicode().encode("utf-8"))
        raise ScriptError(
            f"Template rendering failed; see {trace.name} for a template-oriented traceback. "
            f"({error.__class__.__name__}: {error} in {template})"
        ) from error
    try:
        data = output.encode(output_encoding)
    except (LookupError, UnicodeEncodeError) as error:
        raise ConfigError(
            f"Cannot encode {dest} as output_encoding {output_encoding!r}: {error}"
        ) from error
    with open(dest, "ab" if append else "wb") as handle:
        if append:
            handle.write(b"\n\n")
        handle.write(data)


# -- the revision ---------------------------------------------------------------------------


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _as_scalar(ids: Sequence[str]) -> str | tuple[str, ...] | None:
    if not ids:
        return None
    return ids[0] if len(ids) == 1 else tuple(ids)


def _resolve_heads(directory: ScriptDirectory, head: str | Sequence[str] | None) -> list[str]:
    """The parent ids of the new revision."""
    graph = directory.graph
    parents: list[str] = []
    for identifier in _as_list(head if head is not None else "head"):
        try:
            parents.extend(graph.resolve(identifier))
        except MultipleHeads as error:
            raise MultipleHeads(
                "Multiple heads are present; please specify the head revision on which the "
                "new revision should be based, or perform a merge.",
                error.argument,
            ) from error
    if len(set(parents)) != len(parents):
        raise ScriptError(
            f"Duplicate head revisions specified: {', '.join(parents)}; name each parent once"
        )
    return parents


def _resolve_depends_on(directory: ScriptDirectory, depends_on: Sequence[str]) -> list[str]:
    """Dependencies as written to the file: labels kept, ids and prefixes made full ids."""
    graph = directory.graph
    labels = {label for rev in graph.revisions for label in graph.labels(rev)}
    resolved: list[str] = []
    for dependency in depends_on:
        if dependency in labels:
            resolved.append(dependency)
            continue
        rev = graph.resolve_one(dependency)
        if rev is None:
            raise ResolutionError(
                f"--depends-on {dependency!r} does not name a revision; give a revision id, "
                "a unique prefix or a branch label",
                dependency,
            )
        resolved.append(rev)
    return resolved


def _choose_version_path(
    directory: ScriptDirectory, parents: Sequence[str], version_path: str | os.PathLike[str] | None
) -> Path:
    """The version location the new file goes to (Alembic's --version-path rules)."""
    locations = directory.version_location_paths
    if version_path is None:
        if len(locations) == 1:
            return locations[0]
        for parent in parents:
            parent_file = Path(directory.graph.revisions[parent].path).absolute()
            for location in locations:
                if parent_file.is_relative_to(location):
                    return location
        raise ScriptError(
            "Multiple version locations present, please specify --version-path "
            f"(one of: {', '.join(str(p) for p in locations)})"
        )
    chosen = Path(version_path).absolute()
    if chosen not in locations:
        raise ScriptError(
            f"Path {version_path} is not represented in current version locations "
            f"({', '.join(str(p) for p in locations)}); add it to version_locations first"
        )
    return chosen


def _check_new_revision(
    directory: ScriptDirectory, revid: str, parents: Sequence[str], splice: bool, labels: list[str]
) -> None:
    """Refuse what would make a broken history, before anything is written."""
    graph = directory.graph
    if revid in graph.revisions:
        raise GraphError(
            f"Revision {revid} already exists ({graph.revisions[revid].path}); "
            "choose another --rev-id"
        )
    if not splice:
        for parent in parents:
            if not graph.is_head(parent):
                raise ScriptError(
                    f"Revision {parent} is not a head revision; please specify --splice to "
                    "create a new branch from this revision"
                )
    owners = {
        label: rev for rev, revision in graph.revisions.items() for label in revision.branch_labels
    }
    for label in labels:
        if label in owners:
            raise GraphError(
                f"Branch name '{label}' in revision {revid} already used by revision "
                f"{owners[label]}; choose another --branch-label"
            )


def _ensure_directory(path: Path, quiet: bool, stdout: TextIO | None) -> None:
    if not path.exists():
        with status(f"Creating directory {path.absolute()}", quiet=quiet, stdout=stdout):
            os.makedirs(path)


def write_revision(
    directory: ScriptDirectory,
    revid: str,
    message: str | None,
    *,
    head: str | Sequence[str] | None = None,
    splice: bool = False,
    branch_labels: str | Sequence[str] | None = None,
    version_path: str | os.PathLike[str] | None = None,
    depends_on: str | Sequence[str] | None = None,
    file_template: str | None = None,
    template_args: Mapping[str, Any] | None = None,
) -> Revision:
    """Render script.py.mako into a new file, run the hooks and read the file back."""
    from distill.scripts.header import read_header

    verify_rev_id(revid)
    quiet = bool(directory.messaging_opts.get("quiet", False))
    stdout = directory.config.stdout if directory.config is not None else None
    parents = _resolve_heads(directory, head)
    labels = _as_list(branch_labels)
    _check_new_revision(directory, revid, parents, splice, labels)
    dependencies = _resolve_depends_on(directory, _as_list(depends_on))
    location = _choose_version_path(directory, parents, version_path)
    date = create_date(directory.timezone)
    name = revision_filename(
        file_template or directory.file_template,
        revid,
        message,
        date,
        directory.truncate_slug_length,
    )
    path = location / name
    if directory.version_locations:
        _ensure_directory(location, quiet, stdout)
    _ensure_directory(path.parent, quiet, stdout)
    if path.exists():
        raise ScriptError(f"File {path} already exists; choose another --rev-id or message")
    variables: dict[str, Any] = {
        **(template_args or {}),
        "up_revision": str(revid),
        "down_revision": _as_scalar(parents),
        "branch_labels": tuple(labels) if labels else None,
        # Alembic writes several dependencies as a list, several parents as a tuple
        "depends_on": dependencies[0] if len(dependencies) == 1 else (dependencies or None),
        "create_date": date,
        "comma": comma,
        "import_block": import_block,
        "message": message if message is not None else "empty message",
    }
    with status(f"Generating {path.absolute()}", quiet=quiet, stdout=stdout):
        render_template(
            Path(directory.dir, "script.py.mako"), path, directory.output_encoding, **variables
        )
    run_hooks(path, directory.hooks, quiet=quiet, stdout=stdout)
    revision = read_header(str(path.resolve()))
    if labels and not revision.branch_labels:
        raise ScriptError(
            f"Version {revid} specified branch_labels {comma(labels)}, however the migration "
            f"file {path} does not have them; have you upgraded your script.py.mako to "
            "include the 'branch_labels' section?"
        )
    return revision


# -- post-write hooks -----------------------------------------------------------------------


def register_hook(name: str) -> Callable[[HookFn], HookFn]:
    """Register a function `fn(path, options)` as the post-write hook type `name`."""

    def decorate(fn: HookFn) -> HookFn:
        _HOOKS[name] = fn
        return fn

    return decorate


register = register_hook  # the name `alembic.script.write_hooks` uses


def run_hooks(
    path: Path,
    hooks: Sequence[PostWriteHookConfig],
    *,
    quiet: bool = False,
    stdout: TextIO | None = None,
) -> None:
    """Run each configured post-write hook on the new file, in order."""
    for hook in hooks:
        name = hook["_hook_name"]
        if "type" not in hook:
            raise ConfigError(
                f"Key '{name}.type' (or 'type' in toml) is required for post write hook "
                f"{name!r}; use console_scripts, module or exec"
            )
        kind = hook["type"]
        if kind not in _HOOKS:
            raise ConfigError(
                f"No formatter with name '{kind}' registered (post write hook {name!r}); "
                f"the types are {', '.join(sorted(_HOOKS))}"
            )
        with status(f"Running post write hook {name!r}", quiet=quiet, stdout=stdout, newline=True):
            _HOOKS[kind](str(path), hook)


def _required(options: Mapping[str, str], key: str) -> str:
    name = options["_hook_name"]
    if key not in options:
        raise ConfigError(
            f"Key {name}.{key} is required for post write hook {name!r}; add it to the "
            "[post_write_hooks] section"
        )
    return options[key]


def hook_arguments(options_text: str, path: str) -> list[str]:
    """The hook's `options` split like a shell would, with the file name filled in."""
    if REVISION_SCRIPT_TOKEN not in options_text:
        options_text = f"{REVISION_SCRIPT_TOKEN} {options_text}"
    return [
        arg.replace(REVISION_SCRIPT_TOKEN, path)
        for arg in shlex.split(options_text, posix=os.name != "nt")
    ]


def _run_hook_command(path: str, options: Mapping[str, str], command: list[str]) -> None:
    arguments = hook_arguments(options.get("options", ""), path)
    try:
        subprocess.run([*command, *arguments], cwd=options.get("cwd") or None, check=False)
    except OSError as error:
        raise ConfigError(
            f"Post write hook {options['_hook_name']!r} could not run {command[0]!r}: {error}"
        ) from error


@register_hook("console_scripts")
def _console_scripts_hook(path: str, options: Mapping[str, str]) -> None:
    """Run an installed console script (found by entry point name) on the file."""
    from importlib.metadata import entry_points

    wanted = _required(options, "entrypoint")
    for entry in entry_points(group="console_scripts"):
        if entry.name == wanted:
            break
    else:
        raise ConfigError(f"Could not find entrypoint console_scripts.{wanted}")
    code = f"import {entry.module}; {entry.module}.{entry.attr}()"
    _run_hook_command(path, options, [sys.executable, "-c", code])


@register_hook("module")
def _module_hook(path: str, options: Mapping[str, str]) -> None:
    """Run `python -m <module>` on the file."""
    import importlib.util

    module = _required(options, "module")
    if importlib.util.find_spec(module) is None:
        raise ConfigError(f"Could not find module {module}")
    _run_hook_command(path, options, [sys.executable, "-m", module])


@register_hook("exec")
def _exec_hook(path: str, options: Mapping[str, str]) -> None:
    """Run an executable on the file."""
    _run_hook_command(path, options, [_required(options, "executable")])
