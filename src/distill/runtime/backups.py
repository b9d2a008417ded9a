"""A copy of the database before `upgrade` / `downgrade` changes it, and putting one back.

A SQLite file is copied with the online backup API into the backup folder (the config's
`backup_dir`, default `.distill-backups` beside the database file) once the run knows it
has steps to do; other databases run the configured `backup_command` (for example
`pg_dump -Fc -f backups/{timestamp}.dump {url}`) at the same moment, and its failure stops
the run before any revision runs. `backup_keep` (default 10) old copies are kept.
`restore` puts the latest (or a named) copy back after checking that its version table
holds revisions of this project, and keeps the file it replaces.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from distill.dialects import file_database
from distill.errors import ConfigError, DistillError
from distill.runtime.request import Migrate

if TYPE_CHECKING:
    from distill.config import Config
    from distill.graph import Step
    from distill.runtime.migrator import MigrationContext

DEFAULT_DIRECTORY = ".distill-backups"
DEFAULT_KEEP = 10
SUFFIX = ".backup"


@dataclass(frozen=True)
class BackupSettings:
    """The backup keys of the config's main section."""

    enabled: bool = True
    directory: str | None = None
    keep: int = DEFAULT_KEEP
    command: str | None = None

    @classmethod
    def of(cls, config: Config) -> BackupSettings:
        """The settings `config` gives (`backup`, `backup_dir`, `backup_keep`, `backup_command`)."""
        enabled = str(config.get_alembic_option("backup") or "true").strip().lower()
        if enabled not in {"true", "false"}:
            raise ConfigError(f"backup = {enabled!r} in the config: write true or false")
        keep_text = str(config.get_alembic_option("backup_keep") or DEFAULT_KEEP).strip()
        if not keep_text.isdigit() or int(keep_text) < 1:
            raise ConfigError(
                f"backup_keep = {keep_text!r} in the config: write a whole number of at least 1"
            )
        directory = config.get_alembic_option("backup_dir")
        command = config.get_alembic_option("backup_command")
        return cls(
            enabled=enabled == "true",
            directory=str(directory) if directory else None,
            keep=int(keep_text),
            command=str(command) if command else None,
        )


@dataclass(frozen=True)
class BackedUpMigrate(Migrate):
    """Migrate, with a backup taken once the plan has steps and before the first runs."""

    config: Config | None = None

    def steps(self, heads: tuple[str, ...], context: MigrationContext) -> list[Step]:
        """The plan; a backup first when there is something to do on a live database."""
        steps = super().steps(heads, context)
        if steps and not context.as_sql and self.config is not None:
            back_up(self.config, context, heads)
        return steps


def back_up(config: Config, context: MigrationContext, heads: tuple[str, ...]) -> str | None:
    """Copy the database `context` is connected to; the copy's path (None: a command ran)."""
    settings = BackupSettings.of(config)
    connection = context.connection
    if connection is None:
        return None
    url = connection.engine.url
    path = file_database.database_file(url)
    if path is not None:
        if not os.path.exists(path):
            return None  # a new database: nothing to keep
        directory = _directory(settings, path)
        os.makedirs(directory, exist_ok=True)
        label = "+".join(heads) or "base"
        target = os.path.join(directory, f"{os.path.basename(path)}.{_stamp()}.{label}{SUFFIX}")
        file_database.copy_database(path, target)
        _prune(directory, os.path.basename(path), settings.keep)
        _tell(config, f"Backup of {path} written to {target}")
        return target
    if settings.command:
        _run_command(config, settings, url.render_as_string(hide_password=False))
    return None


def _directory(settings: BackupSettings, database: str) -> str:
    base = os.path.dirname(database)
    return os.path.join(base, settings.directory or DEFAULT_DIRECTORY)


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def backups_of(directory: str, database_name: str) -> list[str]:
    """The backups of the database file called `database_name`, oldest first."""
    if not os.path.isdir(directory):
        return []
    prefix = f"{database_name}."
    names = [n for n in os.listdir(directory) if n.startswith(prefix) and n.endswith(SUFFIX)]
    return [os.path.join(directory, name) for name in sorted(names)]


def _prune(directory: str, database_name: str, keep: int) -> None:
    for old in backups_of(directory, database_name)[:-keep]:
        os.remove(old)


def _run_command(config: Config, settings: BackupSettings, url: str) -> None:
    """Run backup_command; its failure stops the run before anything changes."""
    assert settings.command is not None
    stamp = _stamp()
    try:
        argv = [part.format(url=url, timestamp=stamp) for part in shlex.split(settings.command)]
    except (KeyError, ValueError, IndexError) as error:
        raise ConfigError(
            f"backup_command {settings.command!r} cannot be read ({error}); the placeholders "
            "are {url} and {timestamp}"
        ) from error
    try:
        result = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            env={**os.environ, "DISTILL_DATABASE_URL": url},
            cwd=_config_folder(config),
            check=False,
        )
    except OSError as error:
        raise DistillError(
            f"backup_command could not start ({error}); nothing was migrated. Fix backup_command "
            "in the config or run with --no-backup"
        ) from error
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["no error output"])[-1]
        raise DistillError(
            f"backup_command failed with exit code {result.returncode} ({detail}); nothing was "
            "migrated. Fix the command or run with --no-backup"
        )
    if settings.directory:
        _prune_folder(os.path.join(_config_folder(config), settings.directory), settings.keep)
    _tell(config, f"Backup command ran: {shlex.join(argv[:1])}")


def _prune_folder(directory: str, keep: int) -> None:
    """Keep the newest `keep` files of a command's backup folder."""
    if not os.path.isdir(directory):
        return
    files = [os.path.join(directory, name) for name in os.listdir(directory)]
    files = sorted((f for f in files if os.path.isfile(f)), key=os.path.getmtime)
    for old in files[:-keep]:
        os.remove(old)


def _config_folder(config: Config) -> str:
    name = config.config_file_name or config.toml_file_name
    return os.path.dirname(os.path.abspath(name)) if name else os.getcwd()


def _tell(config: Config, line: str) -> None:
    """Say where the backup is, on stderr (stdout stays what Alembic prints)."""
    if not config.quiet:
        print(line, file=sys.stderr)


def restore(config: Config, database: str, known: set[str], backup: str | None = None) -> str:
    """Put `backup` (default: the latest) back into the file `database`; the kept file's path."""
    settings = BackupSettings.of(config)
    directory = _directory(settings, database)
    if backup is None:
        found = backups_of(directory, os.path.basename(database))
        if not found:
            raise DistillError(
                f"no backup of {database} in {directory}; upgrade and downgrade write one "
                "there (unless --no-backup)"
            )
        backup = found[-1]
    backup = os.path.abspath(backup)
    if not os.path.isfile(backup) or not file_database.is_database_file(backup):
        raise DistillError(f"{backup} is not a database backup; name a file distill wrote")
    _check_belongs(backup, known)
    os.makedirs(directory, exist_ok=True)
    kept = os.path.join(directory, f"{os.path.basename(database)}.{_stamp()}.replaced")
    if os.path.exists(database):
        file_database.copy_database(database, kept)
    file_database.copy_database(backup, database)
    return kept


def _check_belongs(backup: str, known: set[str]) -> None:
    """The backup's version table names revisions of this project (or it is empty)."""
    rows = file_database.version_rows(backup)
    if not rows:
        if file_database.table_names(backup):
            raise DistillError(
                f"{backup} has tables but no version rows, so it is not known to be a "
                "database of this project; not restoring it"
            )
        return
    unknown = sorted(set(rows) - known)
    if unknown:
        raise DistillError(
            f"{backup} is at revision(s) {', '.join(unknown)}, which this project does not "
            "have; it is not a database of this project, not restoring it"
        )
