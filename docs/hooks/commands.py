"""MkDocs hook: the command reference from the click definitions in distill.cli, and the
latest benchmark table from bench/results/latest.md.

docs/commands.md holds the marker `<!-- distill-commands -->`; this hook replaces it with
one section per command `distill --help` lists, and per subcommand of a command group
(help, usage, every argument and option with its default, an example), so the page cannot
drift from the CLI. A command missing from EXAMPLES (keyed by its path, e.g. "fleet
upgrade") gets its usage line as the example.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

COMMANDS_MARKER = "<!-- distill-commands -->"
BENCHMARKS_MARKER = "<!-- distill-benchmarks -->"
ROOT = Path(__file__).resolve().parents[2]
LATEST_BENCHMARKS = ROOT / "bench" / "results" / "latest.md"

GROUPS: dict[str, tuple[str, ...]] = {
    "Start a project": ("init", "list_templates", "demo"),
    "Write revisions": ("revision", "merge", "edit", "squash"),
    "Run migrations": ("upgrade", "downgrade", "stamp", "restore", "ensure_version"),
    "Look at the history and the database": ("current", "heads", "branches", "history", "show"),
    "Catch mistakes": ("check", "lint", "test", "verify", "log"),
    "Many databases": ("fleet",),
}
"""Sections of the page; a command in none of them lands under "More commands"."""

ARGUMENTS: dict[str, str] = {
    "directory": "The migration folder to create (its parent must exist).",
    "revision": "Where to go: `head`, `heads`, `base`, a full or partial id, `+N` / `-N`, "
    "`<id>+N`, `label@head`, or `start:end` with `--sql`.",
    "revisions": "One or more revision identifiers (ids, `heads`, labels).",
    "path": "A backup file; default: the latest backup of the configured database.",
    "rev": "A revision identifier (id, partial id, `head`, `label@head`, ...).",
    "squash revision": "The last revision the baseline replaces (not with `--finalize`).",
}
"""What each positional argument means (click arguments carry no help of their own);
"command argument" keys win over plain argument names."""

EXAMPLES: dict[str, list[tuple[str, str]]] = {
    "init": [
        ("distill init migrations", "env.py, script.py.mako, versions/ and distill.ini"),
        ("distill init -t async migrations", "an env.py for an async driver"),
    ],
    "list_templates": [("distill list_templates", "generic, async, multidb, pyproject, ...")],
    "demo": [("distill demo --keep", "the whole workflow on SQLite, folder kept")],
    "revision": [
        ('distill revision --autogenerate -m "add product table"', "from the models"),
        ('distill revision -m "index on post title"', "an empty revision to fill by hand"),
        (
            "distill revision --autogenerate -m rename --rename user.fullname=user.name",
            "a rename instead of drop + add",
        ),
    ],
    "merge": [('distill merge heads -m "merge feature branches"', "one head again")],
    "edit": [("distill edit head", "open the newest revision in $EDITOR")],
    "upgrade": [
        ("distill upgrade head", "every pending revision"),
        ("distill upgrade +1", "the next one only"),
        ("distill upgrade head --sql > upgrade.sql", "the SQL script, for a DBA to run"),
    ],
    "downgrade": [
        ("distill downgrade -1", "undo the newest applied revision"),
        ("distill downgrade base", "undo everything"),
    ],
    "stamp": [("distill stamp head", "record a database as up to date without running SQL")],
    "restore": [("distill restore", "put the copy taken before the last upgrade back")],
    "ensure_version": [("distill ensure_version", "create the version table, nothing else")],
    "current": [("distill current --check-heads", "exit non-zero unless at the heads")],
    "heads": [("distill heads -v", "the heads, with file and date")],
    "branches": [("distill branches", "revisions with more than one child")],
    "history": [
        ("distill history -i", "newest first, the database's revisions marked"),
        ("distill history -r base:head -v", "a range, in full"),
    ],
    "show": [("distill show head", "one revision's header and file")],
    "check": [("distill check --format json", "CI: exit 1 when models and database differ")],
    "lint": [
        ("distill lint", "the revisions not yet applied"),
        ("distill lint --all --format github", "every revision, as GitHub annotations"),
    ],
    "test": [("distill test", "up, down, up every revision on a scratch SQLite database")],
    "verify": [("distill verify", "exit 1 when an applied revision's file was edited")],
    "log": [("distill log --format json", "the applied-revision log, newest first")],
    "squash": [
        ('distill squash 3f2a1b4c5d6e -m "baseline"', "one file builds base..3f2a1b4c5d6e"),
        ("distill squash --finalize", "once every database is past it"),
    ],
    "fleet": [("distill fleet current --targets tenants.txt", "where each tenant is")],
    "fleet upgrade": [
        ("distill fleet upgrade head --targets tenants.txt --jobs 4", "every tenant database"),
        ("distill fleet upgrade head --schemas 'tenant_*' --canary 2", "PostgreSQL schemas"),
    ],
    "fleet downgrade": [("distill fleet downgrade -1 --targets tenants.txt", "every tenant")],
    "fleet current": [("distill fleet current --format json", "targets per revision")],
    "fleet check": [("distill fleet check --targets tenants.txt", "models against each")],
    "fleet verify": [("distill fleet verify --schemas 'tenant_*'", "edited files per schema")],
}


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Replace the markers of commands.md and benchmarks.md with their generated text."""
    if COMMANDS_MARKER in markdown:
        markdown = markdown.replace(COMMANDS_MARKER, command_reference())
    if BENCHMARKS_MARKER in markdown:
        markdown = markdown.replace(BENCHMARKS_MARKER, latest_benchmarks())
    return markdown


def command_reference() -> str:
    """Markdown for the global options and every command of `distill`."""
    from distill.cli import main

    root = click.Context(main, info_name="distill", **main.context_settings)
    names = main.list_commands(root)
    placed = {name for members in GROUPS.values() for name in members}
    sections = [_global_options(main, root)]
    groups = [*GROUPS.items(), ("More commands", tuple(n for n in names if n not in placed))]
    for title, members in groups:
        present = [name for name in members if name in names]
        if present:
            sections.append(f"## {title}\n")
            for name in present:
                command = main.get_command(root, name)
                assert command is not None
                sections.extend(_sections(name, command, root))
    return "\n".join(sections)


def _sections(path: str, command: click.Command, parent: click.Context) -> list[str]:
    """The section of a command, followed by those of its subcommands if it has any."""
    context = click.Context(
        command, info_name=path.split()[-1], parent=parent, **command.context_settings
    )
    sections = [_command_section(path, command, context)]
    if isinstance(command, click.Group):
        for name in command.list_commands(context):
            subcommand = command.get_command(context, name)
            assert subcommand is not None
            sections.extend(_sections(f"{path} {name}", subcommand, context))
    return sections


def _global_options(main: click.Group, root: click.Context) -> str:
    """The options given before the command, as Alembic takes them."""
    lines = [
        "## Global options\n",
        "Given before the command: `distill -c other.ini -x tenant=acme upgrade head`.\n",
        *_parameter_table(main, root, with_help=True),
    ]
    return "\n".join(lines) + "\n"


def _command_section(path: str, command: click.Command, context: click.Context) -> str:
    """One command: heading, help, usage, parameters, example."""
    usage = " ".join(command.collect_usage_pieces(context))
    lines = [
        f"### distill {path}\n",
        f"{_text(command.help) or command.get_short_help_str(200)}\n",
        "```text",
        f"distill [GLOBAL OPTIONS] {path} {usage}".rstrip(),
        "```\n",
        *_parameter_table(command, context, with_help=False),
        "Example:\n",
        "```bash",
        *_example_lines(path, usage),
        "```\n",
    ]
    return "\n".join(lines)


def _parameter_table(command: click.Command, context: click.Context, with_help: bool) -> list[str]:
    """A table of the arguments and options (`--help` only for the global options)."""
    rows = [
        _row(parameter, context)
        for parameter in command.get_params(context)
        if with_help or "--help" not in getattr(parameter, "opts", ())
    ]
    if not rows:
        return []
    return [
        "| Argument / option | Default | What it does |",
        "|---|---|---|",
        *rows,
        "",
    ]


def _row(parameter: click.Parameter, context: click.Context) -> str:
    """One table row: the parameter's spelling, its default, its help."""
    if isinstance(parameter, click.Argument):
        spelling = f"`{parameter.make_metavar(context)}`"
        default = "required" if parameter.required else "optional"
        name = parameter.name or ""
        what = ARGUMENTS.get(f"{context.command_path.partition(' ')[2]} {name}") or ARGUMENTS.get(
            name, ""
        )
    else:
        assert isinstance(parameter, click.Option)
        names = ", ".join(f"`{n}`" for n in [*parameter.opts, *parameter.secondary_opts])
        metavar = "" if parameter.is_flag else f" `{parameter.make_metavar(context)}`"
        spelling = names + metavar
        default = _default(parameter, context)
        what = _text(parameter.help)
        if isinstance(parameter.type, click.Choice):
            what += f" One of: {', '.join(f'`{c}`' for c in parameter.type.choices)}."
        if parameter.multiple and "repeatable" not in what.lower():
            what += " Repeatable."
    return f"| {spelling} | {default} | {_cell(what)} |"


def _default(option: click.Option, context: click.Context) -> str:
    """The default as the user sees it: off for a flag, none when nothing is set."""
    if option.is_flag:
        return "off"
    value = option.get_default(context, call=False)
    if value is None or value == () or value == [] or not isinstance(value, (str, int, float)):
        return "none"
    return f"`{value}`"


def _example_lines(name: str, usage: str) -> list[str]:
    """The curated examples of a command, else its usage line."""
    examples = EXAMPLES.get(name)
    if not examples:
        return [f"distill {name} {usage}".rstrip()]
    width = max(len(line) for line, _ in examples) + 2
    return [f"{line.ljust(width)}# {why}" for line, why in examples]


def _text(help_text: str | None) -> str:
    """Help text on one line, as literal text (`<id>` and `__init__` are not markup)."""
    text = " ".join((help_text or "").split())
    return text.replace("<", "&lt;").replace(">", "&gt;").replace("__", "\\_\\_")


def _cell(text: str) -> str:
    """Text that is safe inside a Markdown table cell."""
    return text.replace("|", "\\|")


def latest_benchmarks() -> str:
    """bench/results/latest.md (it starts with the date and the machine), or how to make it."""
    if LATEST_BENCHMARKS.is_file():
        return LATEST_BENCHMARKS.read_text(encoding="utf-8")
    return (
        '!!! note "No full benchmark run is recorded in this checkout"\n'
        "    `bash bin/bench` writes `bench/results/latest.md`; this page shows it.\n"
    )
