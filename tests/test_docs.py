"""The documentation site: it builds strictly, its references cover the code, and the
tutorial and the switching guide run end to end."""

from __future__ import annotations

import dataclasses
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
import sqlalchemy as sa

from distill import context
from distill.config import ScriptSettings
from tests.support.doc_blocks import (
    INSTALL,
    NEEDS_POSTGRESQL,
    blocks,
    check_output,
    checkout_install,
    run_page,
    runnable,
)

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXECUTED_PAGES = ("tutorial.md", "switching.md")
INTERNAL_OPTIONS = {"distill_renames"}  # set by distill itself, not by users
OPTION_READS = re.compile(
    r"(?:get_alembic_option|get_main_option|get_distill_option|get_alembic_boolean_option"
    r"|_string_option|_optional_string_option|_whole_number_option|_get_toml_value)"
    r"\(\s*\"(?P<key>[a-z_.]+)\""
)
OPTS_READS = re.compile(r"\bopts\.get\(\s*[\"'](?P<key>[a-z_]+)[\"']")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once with `mkdocs build --strict`."""
    target = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(target)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return target


def listed_commands() -> list[str]:
    """The commands `distill --help` lists."""
    result = subprocess.run(
        [sys.executable, "-m", "distill", "--help"], capture_output=True, text=True, check=True
    )
    section = result.stdout.split("Commands:", 1)[1]
    return [line.split()[0] for line in section.splitlines() if line.startswith("  ")]


def test_site_builds_strictly(site: Path) -> None:
    """Every page of the navigation is built (a broken link fails the strict build)."""
    for page in ("tutorial", "commands", "configuration", "switching", "how-it-works"):
        assert (site / page / "index.html").is_file(), page
    assert (site / "benchmarks" / "index.html").is_file()


def command_paths() -> list[tuple[str, click.Command]]:
    """Every command and subcommand of the CLI, as ("fleet upgrade", command) pairs."""
    from distill.cli import main

    found: list[tuple[str, click.Command]] = []

    def walk(prefix: str, group: click.Group) -> None:
        for name, command in group.commands.items():
            path = f"{prefix} {name}".strip()
            found.append((path, command))
            if isinstance(command, click.Group):
                walk(path, command)

    walk("", main)
    return found


def test_command_reference_lists_every_command(site: Path) -> None:
    """Each command of `distill --help` (and subcommand) has its section, with its options."""
    page = (site / "commands" / "index.html").read_text()
    commands = listed_commands()
    assert {"upgrade", "downgrade", "revision", "check", "lint", "test"} <= set(commands)
    paths = command_paths()
    assert {path for path, _ in paths} >= set(commands)
    for path, command in paths:
        assert f'id="distill-{path.replace(" ", "-")}"' in page, path
        for parameter in command.params:
            for spelling in getattr(parameter, "opts", ()):
                if spelling.startswith("-"):
                    assert f"<code>{spelling}</code>" in page, (path, spelling)


def hook_module() -> Any:
    """docs/hooks/commands.py, the MkDocs hook that writes the command reference."""
    sys.path.insert(0, str(DOCS / "hooks"))
    try:
        import commands
    finally:
        sys.path.remove(str(DOCS / "hooks"))
    return commands


def test_curated_commands_have_help_and_examples() -> None:
    """The commands the reference groups have an example each and help on every option.

    A command added later lands under "More commands" with its usage line as the example
    until it is given a place and an example in docs/hooks/commands.py.
    """
    hook = hook_module()
    curated = {name for members in hook.GROUPS.values() for name in members}
    existing = dict(command_paths())
    checked = sorted(path for path in existing if path.split()[0] in curated)
    for name in checked:
        assert name in hook.EXAMPLES, f"add an example for {name} to docs/hooks/commands.py"
        for parameter in existing[name].params:
            if isinstance(parameter, click.Option):
                assert parameter.help, f"distill {name} {parameter.opts[0]} has no help="
    assert len(curated & set(existing)) >= 19
    assert "| `REVISION` | required |" in hook.command_reference()


def documented_names() -> set[str]:
    """Every `name` in backticks on the configuration page."""
    text = (DOCS / "configuration.md").read_text()
    return set(re.findall(r"`([A-Za-z_.<>]+)`", text))


def test_configuration_reference_covers_configure_and_settings() -> None:
    """Every configure() parameter, ScriptSettings field and option distill reads is there."""
    names = documented_names()
    parameters = [
        name
        for name, parameter in inspect.signature(context.configure).parameters.items()
        if parameter.kind is not inspect.Parameter.VAR_KEYWORD
    ]
    fields = [field.name for field in dataclasses.fields(ScriptSettings)]
    source = "\n".join(path.read_text() for path in (ROOT / "src" / "distill").rglob("*.py"))
    config_keys = {match["key"] for match in OPTION_READS.finditer(source)}
    opts_keys = {match["key"] for match in OPTS_READS.finditer(source)} - INTERNAL_OPTIONS
    wanted = {*parameters, *fields, *config_keys, *opts_keys, "path_separator"}
    assert len(parameters) > 20 and "backup_keep" in config_keys
    assert sorted(wanted - names) == []


def test_switching_guide_includes_every_readme_difference(site: Path) -> None:
    """The README's deliberate differences appear, all of them, in the switching guide."""
    readme = (ROOT / "README.md").read_text()
    start = readme.index("[start:differences]")
    end = readme.index("[end:differences]")
    leads = re.findall(r"^- \*\*(.+?)\*\*", readme[start:end], flags=re.MULTILINE)
    assert len(leads) >= 10
    page = (site / "switching" / "index.html").read_text()
    for lead in leads:
        text = re.sub(r"`([^`]*)`", r"<code>\1</code>", lead)
        assert text in page, lead


def test_readme_keeps_the_fresh_machine_commands() -> None:
    """The README's two commands are the ones CI and a new user run."""
    readme = (ROOT / "README.md").read_text()
    assert ".venv/bin/pip install -e '.[demo]' && .venv/bin/distill demo" in readme
    assert "\nbash bin/test\n" in readme
    assert "bash bin/test" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.parametrize("page", EXECUTED_PAGES)
def test_only_postgresql_blocks_are_left_out(page: str) -> None:
    """A block may be left out only because it needs PostgreSQL, and only a few."""
    found = [block for block in blocks((DOCS / page).read_text()) if runnable(block)]
    assert len(found) > 10
    directives = {block.directive for block in found if block.directive}
    allowed = {NEEDS_POSTGRESQL, INSTALL}
    for directive in directives - allowed:
        assert re.fullmatch(r'exits \d+|replace ".+"', directive), directive
    assert sum(block.directive == NEEDS_POSTGRESQL for block in found) <= 2


def test_page_runner_checks_output_and_exit_status(tmp_path: Path) -> None:
    """The runner fails on a wrong exit status and on output the page shows but no run printed."""
    page = tmp_path / "page.md"
    page.write_text("```bash\necho hello\n```\n\n```text\nhello\n```\n")
    run_page(page, tmp_path / "ok")
    page.write_text("```bash\necho hello\n```\n\n```text\ngoodbye\n```\n")
    with pytest.raises(AssertionError, match="goodbye"):
        run_page(page, tmp_path / "wrong-output")
    page.write_text("<!-- doc-test: exits 1 -->\n```bash\ntrue\n```\n")
    with pytest.raises(AssertionError, match="expected 1"):
        run_page(page, tmp_path / "wrong-exit")
    (block,) = blocks("```text\nDone in ... seconds\n```\n")
    check_output(block, "Done in 0.5 seconds\n", "page.md")
    assert str(ROOT) in checkout_install('pip install "distill[async]" sqlmodel')


@pytest.mark.parametrize("page", EXECUTED_PAGES)
def test_page_runs_end_to_end(page: str, tmp_path: Path) -> None:
    """Every bash and Python block of the page, in order, with the checkout's distill."""
    folder = tmp_path / "reader"
    folder.mkdir()
    run_page(DOCS / page, folder)


@pytest.mark.installs
@pytest.mark.parametrize("page", EXECUTED_PAGES)
def test_page_runs_from_a_fresh_install(page: str, tmp_path: Path) -> None:
    """The same, with the page's own install block (the checkout installed in a new venv)."""
    folder = tmp_path / "reader"
    folder.mkdir()
    run_page(DOCS / page, folder, install=True)


def test_tutorial_production_steps_run_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    """The tutorial with its PostgreSQL blocks run against a real server."""
    folder = tmp_path / "reader"
    folder.mkdir()
    run_page(DOCS / "tutorial.md", folder, postgresql_url=pg_url)
    engine = sa.create_engine(pg_url)
    with engine.connect() as connection:
        versions = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
        assert versions.scalars().all() == ["0003"]
        tables = set(sa.inspect(connection).get_table_names())
    engine.dispose()
    assert {"user", "post", "product"} <= tables
