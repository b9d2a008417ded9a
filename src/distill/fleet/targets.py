"""A fleet's targets: where each tenant's database (or schema) is, and its name.

A list is text, one target a line: `[name] url`, `#` starting a comment line. A URL may
end in `#schema` to name one PostgreSQL schema of that database. Lists come from a file
(`--targets FILE`), the `fleet_targets` setting, or the output of `fleet_targets_command`.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from distill.config import mask_url
from distill.errors import DistillError

if TYPE_CHECKING:
    from distill.config import Config


@dataclass(frozen=True)
class Target:
    """One tenant: a database URL and, for schema-per-tenant, the schema."""

    name: str
    url: str
    schema: str | None = None

    @property
    def shown_url(self) -> str:
        """The URL as output shows it: password masked, schema as `#schema`."""
        masked = mask_url(self.url)
        return f"{masked}#{self.schema}" if self.schema else masked


def parse_targets(text: str, where: str) -> list[Target]:
    """The targets of a list (`[name] url` a line, `#` comments); `where` names its source."""
    found: list[Target] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) > 2:
            raise DistillError(
                f"{where}:{number}: expected '[name] url', got {len(parts)} words; "
                "write one target a line, its name (optional) before its URL"
            )
        found.append(_target(parts[-1], parts[0] if len(parts) == 2 else None, f"{where}:{number}"))
    return unique_names(found, where)


def _target(text: str, name: str | None, where: str) -> Target:
    """One target from its URL text (`...#schema` allowed) and optional name."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    url, _, schema = text.partition("#")
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise DistillError(
            f"{where}: {mask_url(url)!r} is not a database URL; write "
            "dialect+driver://user:password@host/database (or sqlite:///file.db)"
        ) from None
    return Target(name or _default_name(parsed, schema or None), url, schema or None)


def _default_name(url: object, schema: str | None) -> str:
    """A target's name when the list gives none: its schema, else its database's name."""
    if schema:
        return schema
    database = getattr(url, "database", None) or "database"
    return Path(str(database)).stem or str(database)


def unique_names(targets: list[Target], where: str) -> list[Target]:
    """`targets`, refused when two share a name (the summary names targets)."""
    seen: dict[str, Target] = {}
    for target in targets:
        other = seen.get(target.name)
        if other is not None:
            raise DistillError(
                f"{where}: two targets are named {target.name!r} ({other.shown_url} and "
                f"{target.shown_url}); put a distinct name before each URL"
            )
        seen[target.name] = target
    return targets


def read_targets_file(path: str) -> list[Target]:
    """The targets listed in a file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise DistillError(f"--targets {path}: cannot read it ({error.strerror})") from None
    return parse_targets(text, path)


def configured_targets(config: Config) -> list[Target]:
    """The targets of the `fleet_targets` setting, or of `fleet_targets_command`'s output."""
    listed = config.get_alembic_option("fleet_targets")
    if isinstance(listed, list):
        listed = "\n".join(str(item) for item in listed)
    if isinstance(listed, str) and listed.strip():
        return parse_targets(listed, "fleet_targets setting")
    command = config.get_alembic_option("fleet_targets_command")
    if isinstance(command, str) and command.strip():
        return command_targets(command)
    raise DistillError(
        "no fleet targets: pass --targets FILE, or set fleet_targets (one URL a line) or "
        "fleet_targets_command (a command printing that list) in the config file"
    )


def command_targets(command: str) -> list[Target]:
    """The targets a command prints (`fleet_targets_command`)."""
    try:
        done = subprocess.run(
            shlex.split(command), capture_output=True, text=True, check=False, timeout=300
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise DistillError(f"fleet_targets_command {command!r} did not run: {error}") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output on stderr"])[-1]
        raise DistillError(
            f"fleet_targets_command {command!r} exited {done.returncode}: {last}; "
            "fix the command (it must print one target a line)"
        )
    return parse_targets(done.stdout, "fleet_targets_command output")


def expand_schemas(targets: list[Target], pattern: str) -> list[Target]:
    """Every schema of each target's database whose name matches `pattern` (`--schemas`)."""
    import sqlalchemy as sa

    found: list[Target] = []
    for target in targets:
        engine = sa.create_engine(target.url, poolclass=sa.NullPool)
        try:
            with engine.connect() as connection:
                names = sa.inspect(connection).get_schema_names()
        except sa.exc.DBAPIError as error:
            raise DistillError(
                f"--schemas: cannot list the schemas of {mask_url(target.url)}: "
                f"{_first_line(error.orig or error)}"
            ) from None
        finally:
            engine.dispose()
        matching = sorted(name for name in names if fnmatch.fnmatchcase(name, pattern))
        found.extend(Target(name, target.url, name) for name in matching)
    if not found:
        raise DistillError(f"--schemas {pattern!r} matched no schema; check the pattern")
    return unique_names(found, f"--schemas {pattern}")


def _first_line(error: BaseException) -> str:
    """The first line of an error's text."""
    return (str(error).strip().splitlines() or [repr(error)])[0]


def without_password(text: str, targets: list[Target]) -> str:
    """`text` with every target's password replaced by ***."""
    from sqlalchemy.engine import make_url

    for target in targets:
        password = make_url(target.url).password
        if password:
            text = text.replace(str(password), "***")
    return re.sub(r"(://[^:/@\s]*):[^@/\s]*@", r"\1:***@", text)
