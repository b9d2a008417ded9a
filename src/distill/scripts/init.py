"""`init` and `list_templates`: create a migration folder and its config from a template."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from distill.errors import ConfigError, ScriptError
from distill.scripts.writer import render_template, say, status

if TYPE_CHECKING:
    from distill.config import Config

INI_TEMPLATE = "distill.ini.mako"
# the name Alembic's templates, and third-party ones such as Flask-Migrate's, use
ALEMBIC_INI_TEMPLATE = "alembic.ini.mako"
TOML_TEMPLATE = "pyproject.toml.mako"
TOML_TABLES = ("distill", "alembic")


def template_names(config: Config) -> list[str]:
    """The names of the templates distill ships, sorted."""
    root = Path(config.get_template_directory())
    return sorted(p.name for p in root.iterdir() if (p / "README").is_file())


def list_templates(config: Config) -> None:
    """Print each template with the first line of its README."""
    root = Path(config.get_template_directory())
    config.print_stdout("Available templates:\n")
    for name in template_names(config):
        with open(root / name / "README", encoding="utf-8") as readme:
            synopsis = readme.readline().rstrip()
        config.print_stdout("%s - %s", name, synopsis)
    config.print_stdout("\nTemplates are used via the 'init' command, e.g.:")
    config.print_stdout("\n  distill init --template generic ./scripts")


def _script_location(directory: Path, config_file: Path) -> str:
    """How the config file names the folder: `%(here)s/<relative>` or the absolute path."""
    if directory.is_absolute():
        return directory.as_posix()
    relative = os.path.relpath(directory.absolute(), config_file.absolute().parent)
    return "%(here)s/" + Path(relative).as_posix()


def _toml_has_table(path: Path) -> str | None:
    """The `tool.distill`/`tool.alembic` table pyproject.toml already has, if any."""
    from distill.config import load_toml

    tool = load_toml(str(path)).get("tool", {})
    for name in TOML_TABLES:
        if isinstance(tool, dict) and name in tool:
            return f"tool.{name}"
    return None


def init_project(
    config: Config, directory: str, template: str = "generic", package: bool = False
) -> None:
    """Create `directory` (env.py, script.py.mako, README, versions/) and the config file."""
    quiet = config.quiet
    out = config.stdout
    folder = Path(directory)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ScriptError(
            f"Directory {folder} already exists and is not empty; "
            "choose a new directory, or empty this one"
        )
    source = Path(config.get_template_directory()) / template
    if not (source / "README").is_file():
        raise ConfigError(
            f"No such template {source}; the templates are "
            f"{', '.join(template_names(config))} (distill list_templates)"
        )
    ini_file = Path(config.config_file_name or "distill.ini")
    toml_file = Path(config.toml_file_name or "pyproject.toml")

    if not folder.exists():
        with status(f"Creating directory {folder.absolute()}", quiet=quiet, stdout=out):
            os.makedirs(folder)
    versions = folder / "versions"
    with status(f"Creating directory {versions.absolute()}", quiet=quiet, stdout=out):
        os.makedirs(versions)

    wrote_toml = False
    for item in sorted(source.iterdir()):
        if not item.is_file():
            continue
        if item.name in (INI_TEMPLATE, ALEMBIC_INI_TEMPLATE):
            dest = ini_file.absolute()
            if dest.exists():
                say(f"File {dest} already exists, skipping", quiet=quiet, stdout=out)
                continue
            with status(f"Generating {dest}", quiet=quiet, stdout=out):
                render_template(item, dest, script_location=_script_location(folder, ini_file))
        elif item.name == TOML_TEMPLATE:
            wrote_toml = True
            dest = toml_file.absolute()
            location = _script_location(folder, toml_file)
            if not dest.exists():
                with status(f"Generating {dest}", quiet=quiet, stdout=out):
                    render_template(item, dest, script_location=location)
                continue
            table = _toml_has_table(dest)
            if table is not None:
                say(
                    f"File {dest} already exists and already has a [{table}] section, skipping",
                    quiet=quiet,
                    stdout=out,
                )
                continue
            with status(f"Appending to existing {dest}", quiet=quiet, stdout=out):
                render_template(item, dest, append=True, script_location=location)
        else:
            dest = (folder / item.name).absolute()
            with status(f"Generating {dest}", quiet=quiet, stdout=out):
                shutil.copyfile(item, dest)

    if package:
        for path in (folder.absolute() / "__init__.py", versions.absolute() / "__init__.py"):
            with status(f"Adding {path}", quiet=quiet, stdout=out):
                path.touch()

    if wrote_toml:
        say(
            f"Please edit configuration settings in {toml_file.absolute()} and "
            "configuration/connection/logging settings in "
            f"{ini_file.absolute()} before proceeding.",
            quiet=quiet,
            stdout=out,
        )
    else:
        say(
            "Please edit configuration/connection/logging settings in "
            f"{ini_file.absolute()} before proceeding.",
            quiet=quiet,
            stdout=out,
        )
