"""Writing revision files: ids, names, slugs, template variables, every refusal, hooks."""

from __future__ import annotations

import datetime
import io
import re
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig
from alembic.script.revision import Revision as AlembicRevision
from alembic.script.revision import RevisionError as AlembicRevisionError

from distill.config import Config
from distill.errors import ConfigError, DistillError, GraphError, MultipleHeads, ScriptError
from distill.scripts.directory import ScriptDirectory
from distill.scripts.init import init_project
from distill.scripts.writer import (
    create_date,
    new_rev_id,
    revision_filename,
    run_hooks,
    slugify,
    verify_rev_id,
)

DATE = datetime.datetime(2026, 3, 4, 5, 6, 7)


# -- ids ----------------------------------------------------------------------------------


def test_new_rev_ids_are_twelve_hex_digits() -> None:
    ids = {new_rev_id() for _ in range(50)}
    assert len(ids) == 50
    assert all(re.fullmatch(r"[0-9a-f]{12}", rev) for rev in ids)


@pytest.mark.parametrize("rev_id", ["a-b", "x@y", "1+2", "p:q", "a@b-c+d:e"])
def test_illegal_characters_use_alembics_message(rev_id: str) -> None:
    with pytest.raises(AlembicRevisionError) as theirs:
        AlembicRevision.verify_rev_id(rev_id)
    with pytest.raises(ScriptError) as ours:
        verify_rev_id(rev_id)
    assert str(ours.value).startswith(str(theirs.value))


def test_ids_longer_than_the_version_column_are_refused() -> None:
    verify_rev_id("a" * 32)
    with pytest.raises(ScriptError) as error:
        verify_rev_id("a" * 33)
    assert "33 characters" in str(error.value) and "32" in str(error.value)
    assert "--rev-id" in str(error.value)


@pytest.mark.parametrize("rev_id", ["", " ", " abc"])
def test_blank_ids_are_refused(rev_id: str) -> None:
    with pytest.raises(ScriptError):
        verify_rev_id(rev_id)


# -- slugs and names ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "length", "slug"),
    [
        (
            "Hello, World!! this is a really long message for slug",
            40,
            "hello_world_this_is_a_really_long_",
        ),
        ("add user table", 40, "add_user_table"),
        (None, 40, ""),
        ("ÄÖ über straße", 40, "äö_über_straße"),
        ("one two three", 7, "one_"),
        ("abcdefghij", 4, "abcd_"),
    ],
)
def test_slug(message: str | None, length: int, slug: str) -> None:
    assert slugify(message, length) == slug


def test_default_file_name() -> None:
    name = revision_filename("%(rev)s_%(slug)s", "abc", "Add users!", DATE)
    assert name == "abc_add_users.py"


def test_date_tokens_and_subdirectories() -> None:
    template = "%(year)d/%(month).2d/%(day).2d_%(hour).2d%(minute).2d_%(second).2d_%(rev)s_%(slug)s"
    assert revision_filename(template, "abc", "x y", DATE) == "2026/03/04_0506_07_abc_x_y.py"
    epoch = revision_filename("%(epoch)s_%(rev)s", "abc", None, DATE)
    assert epoch == f"{int(DATE.timestamp())}_abc.py"


def test_unknown_file_template_token() -> None:
    with pytest.raises(ConfigError, match=r"unknown token %\(revision\)s"):
        revision_filename("%(revision)s", "abc", None, DATE)


def test_malformed_file_template() -> None:
    with pytest.raises(ConfigError, match="not a valid %-format"):
        revision_filename("%(rev)s_%", "abc", None, DATE)


# -- dates --------------------------------------------------------------------------------


def test_local_date_is_naive() -> None:
    assert create_date(None).tzinfo is None


@pytest.mark.parametrize("name", ["UTC", "utc", "Europe/Paris"])
def test_timezone_names(name: str) -> None:
    date = create_date(name)
    assert date.tzinfo is not None
    assert (
        date.utcoffset()
        == datetime.datetime.now(ZoneInfo(name.upper() if name == "utc" else name)).utcoffset()
    )


def test_unknown_timezone() -> None:
    with pytest.raises(ConfigError, match="Can't locate timezone: Nowhere/Town"):
        create_date("Nowhere/Town")


# -- generating files in a project ----------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh distill project (generic template) with the cwd inside it."""
    monkeypatch.chdir(tmp_path)
    config = Config("distill.ini", stdout=io.StringIO())
    init_project(config, "migrations")
    return tmp_path


def script_dir(project: Path, **options: str) -> tuple[ScriptDirectory, io.StringIO]:
    out = io.StringIO()
    config = Config(project / "distill.ini", stdout=out)
    for key, value in options.items():
        config.set_main_option(key, value)
    return ScriptDirectory.from_config(config), out


def text_of(script: ScriptDirectory, rev: str) -> str:
    return Path(script.graph.revisions[rev].path).read_text()


def test_first_and_second_revision(project: Path) -> None:
    script, out = script_dir(project)
    first = script.generate_revision("aaa111", "create account table")
    assert first.down_revision is None
    assert Path(first.path).name == "aaa111_create_account_table.py"
    assert out.getvalue() == f"Generating {Path(first.path)} ...  done\n"
    text = text_of(script, "aaa111")
    assert text.startswith(
        '"""create account table\n\nRevision ID: aaa111\nRevises: \nCreate Date: '
    )
    assert "revision: str = 'aaa111'\n" in text
    assert "down_revision: str | Sequence[str] | None = None\n" in text
    assert "branch_labels: str | Sequence[str] | None = None\n" in text

    second = script.generate_revision("bbb222", None)
    assert second.down_revision == "aaa111"
    assert Path(second.path).name == "bbb222_.py"
    assert text_of(script, "bbb222").startswith(
        '"""empty message\n\nRevision ID: bbb222\nRevises: aaa111\n'
    )
    assert script.get_heads() == ["bbb222"]
    # a fresh ScriptDirectory reads the same history from disk
    assert script_dir(project)[0].get_heads() == ["bbb222"]


def test_create_date_is_rendered(project: Path) -> None:
    script, _ = script_dir(project, timezone="UTC")
    script.generate_revision("aaa111", "x")
    match = re.search(r"^Create Date: (.*)$", text_of(script, "aaa111"), re.M)
    assert match is not None
    assert match.group(1).endswith("+00:00")
    assert datetime.datetime.fromisoformat(match.group(1)).tzinfo is not None


def test_splice_rules(project: Path) -> None:
    script, _ = script_dir(project)
    script.generate_revision("aaa111", "a")
    script.generate_revision("bbb222", "b")
    with pytest.raises(ScriptError) as error:
        script.generate_revision("ccc333", "c", head="aaa111")
    assert str(error.value) == (
        "Revision aaa111 is not a head revision; please specify --splice to create a new "
        "branch from this revision"
    )
    assert not list(Path(script.versions).glob("ccc333*"))
    script.generate_revision("ccc333", "c", head="aaa111", splice=True)
    assert sorted(script.get_heads()) == ["bbb222", "ccc333"]

    with pytest.raises(MultipleHeads) as multiple:
        script.generate_revision("ddd444", "d")
    assert str(multiple.value) == (
        "Multiple heads are present; please specify the head revision on which the new "
        "revision should be based, or perform a merge."
    )

    merge = script.generate_revision("mmm999", "merge", head=["bbb222", "ccc333"])
    assert merge.down_revision == ("bbb222", "ccc333")
    text = text_of(script, "mmm999")
    assert "Revises: bbb222, ccc333\n" in text
    assert "down_revision: str | Sequence[str] | None = ('bbb222', 'ccc333')\n" in text
    assert script.get_heads() == ["mmm999"]


def test_new_root_with_head_base(project: Path) -> None:
    script, _ = script_dir(project)
    script.generate_revision("aaa111", "a")
    root = script.generate_revision("sss001", "side", head="base", branch_labels="side")
    assert root.down_revision is None
    assert "branch_labels: str | Sequence[str] | None = ('side',)\n" in text_of(script, "sss001")
    child = script.generate_revision("sss002", "two", head="side@head")
    assert child.down_revision == "sss001"


def test_duplicate_heads_are_refused(project: Path) -> None:
    script, _ = script_dir(project)
    script.generate_revision("aaa111", "a")
    with pytest.raises(ScriptError, match="Duplicate head revisions specified"):
        script.generate_revision("bbb222", "b", head=["aaa111", "aaa1"])


def test_depends_on_expands_prefixes_and_keeps_labels(project: Path) -> None:
    script, _ = script_dir(project)
    script.generate_revision("aaa111", "a")
    script.generate_revision("sss001", "s", head="base", branch_labels=["side"])
    script.generate_revision("bbb222", "b", head="aaa111", depends_on="sss0")
    assert "depends_on: str | Sequence[str] | None = 'sss001'\n" in text_of(script, "bbb222")
    script.generate_revision("ccc333", "c", head="bbb222", depends_on=["side", "aaa1"])
    assert "depends_on: str | Sequence[str] | None = ['side', 'aaa111']\n" in text_of(
        script, "ccc333"
    )
    with pytest.raises(DistillError):
        script.generate_revision("ddd444", "d", head="ccc333", depends_on="zzzz")


def test_duplicate_branch_label_is_refused_before_writing(project: Path) -> None:
    script, _ = script_dir(project)
    script.generate_revision("aaa111", "a", branch_labels="main")
    with pytest.raises(
        GraphError, match="Branch name 'main' in revision bbb222 already used by revision aaa111"
    ):
        script.generate_revision("bbb222", "b", branch_labels="main")
    assert not list(Path(script.versions).glob("bbb222*"))


def test_existing_revision_id_is_refused(project: Path) -> None:
    script, _ = script_dir(project)
    script.generate_revision("aaa111", "a")
    with pytest.raises(GraphError, match="Revision aaa111 already exists"):
        script.generate_revision("aaa111", "again")


@pytest.mark.parametrize("rev_id", ["x" * 33, "a-b", "a:b"])
def test_bad_rev_ids_write_nothing(project: Path, rev_id: str) -> None:
    script, _ = script_dir(project)
    with pytest.raises(ScriptError):
        script.generate_revision(rev_id, "x")
    assert list(Path(script.versions).iterdir()) == []


def test_template_without_branch_labels(project: Path) -> None:
    mako = project / "migrations" / "script.py.mako"
    mako.write_text(
        mako.read_text().replace(
            "branch_labels: str | Sequence[str] | None = ${repr(branch_labels)}\n", ""
        )
    )
    script, _ = script_dir(project)
    with pytest.raises(ScriptError) as error:
        script.generate_revision("aaa111", "a", branch_labels="side")
    assert "specified branch_labels side, however the migration file" in str(error.value)
    assert "'branch_labels' section" in str(error.value)


def test_template_rendering_failure(project: Path) -> None:
    mako = project / "migrations" / "script.py.mako"
    mako.write_text("${undefined_thing.attribute}\n")
    script, out = script_dir(project)
    with pytest.raises(ScriptError) as error:
        script.generate_revision("aaa111", "a")
    match = re.match(
        r"Template rendering failed; see (\S+) for a template-oriented traceback\.",
        str(error.value),
    )
    assert match, str(error.value)
    assert "undefined_thing" in Path(match.group(1)).read_text()
    assert out.getvalue().endswith("  FAILED\n")


def test_missing_template(project: Path) -> None:
    (project / "migrations" / "script.py.mako").unlink()
    script, _ = script_dir(project)
    with pytest.raises(ScriptError, match=r"script\.py\.mako not found"):
        script.generate_revision("aaa111", "a")


def test_template_args_and_config_reach_the_template(project: Path) -> None:
    mako = project / "migrations" / "script.py.mako"
    mako.write_text(
        mako.read_text()
        + "# custom=${custom} section=${config.config_ini_section} upgrades-token\n"
    )
    script, _ = script_dir(project)
    script.generate_revision("aaa111", "a", custom="value", upgrades="op.drop_table('t')")
    text = text_of(script, "aaa111")
    assert "# custom=value section=distill upgrades-token\n" in text
    assert "    op.drop_table('t')\n" in text


def test_file_template_with_subdirectories(project: Path) -> None:
    script, out = script_dir(
        project,
        file_template="%%(year)d/%%(month).2d/%%(rev)s_%%(slug)s",
        recursive_version_locations="true",
    )
    created = script.generate_revision("aaa111", "dated")
    now = datetime.datetime.now()
    expected = Path(script.versions) / f"{now.year}" / f"{now.month:02d}" / "aaa111_dated.py"
    assert Path(created.path) == expected.resolve()
    assert f"Creating directory {expected.parent}" in out.getvalue()
    fresh, _ = script_dir(project, recursive_version_locations="true")
    assert fresh.get_heads() == ["aaa111"]
    # its parent lives in a subfolder, yet the child goes to the version location
    child = fresh.generate_revision("bbb222", "next")
    assert Path(child.path).parent == Path(script.versions).resolve()


def test_multiple_version_locations(project: Path) -> None:
    here = project.as_posix()
    locations = f"{here}/migrations/versions {here}/extra"
    script, out = script_dir(project, version_locations=locations, path_separator="space")
    with pytest.raises(
        ScriptError, match="Multiple version locations present, please specify --version-path"
    ):
        script.generate_revision("aaa111", "a")
    with pytest.raises(ScriptError, match="is not represented in current version locations"):
        script.generate_revision("aaa111", "a", version_path=str(project / "nowhere"))
    first = script.generate_revision("aaa111", "a", version_path=str(project / "extra"))
    assert Path(first.path).parent == (project / "extra").resolve()
    assert f"Creating directory {project / 'extra'} ...  done" in out.getvalue()
    child = script.generate_revision("bbb222", "b")  # goes next to its parent
    assert Path(child.path).parent == (project / "extra").resolve()


def test_quiet_config_prints_nothing(project: Path) -> None:
    out = io.StringIO()
    config = Config(project / "distill.ini", stdout=out, cmd_opts=None)
    config.cmd_opts = type("Opts", (), {"quiet": True, "x": None})()  # type: ignore[assignment]
    ScriptDirectory.from_config(config).generate_revision("aaa111", "a")
    assert out.getvalue() == ""


# -- parity with Alembic's own writer on an Alembic project -------------------------------


def _strip_dates(text: str) -> str:
    return re.sub(r"Create Date: .*", "Create Date: <date>", text)


def test_same_file_as_alembic_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("theirs", "ours"):
        (tmp_path / name).mkdir()
        alembic_command.init(
            AlembicConfig(str(tmp_path / name / "alembic.ini")), str(tmp_path / name / "migrations")
        )
    theirs_config = AlembicConfig(str(tmp_path / "theirs" / "alembic.ini"))
    ours = ScriptDirectory.from_config(
        Config(tmp_path / "ours" / "alembic.ini", stdout=io.StringIO())
    )
    steps: list[dict[str, object]] = [
        {"rev_id": "aaa111", "message": "create account table"},
        {"rev_id": "bbb222", "message": "add b"},
        {"rev_id": "ccc111", "message": "c one"},
        {"rev_id": "ccc333", "message": "c two", "head": "bbb222", "splice": True},
        {
            "rev_id": "sss001",
            "message": "side base",
            "head": "base",
            "branch_label": "side",
            "depends_on": ["bbb2"],
        },
        {"rev_id": "sss002", "message": None, "head": "side@head", "depends_on": ["side", "ccc1"]},
    ]
    for step in steps:
        alembic_command.revision(theirs_config, **step)  # type: ignore[arg-type]
        ours.generate_revision(
            str(step["rev_id"]),
            step.get("message"),  # type: ignore[arg-type]
            head=step.get("head", "head"),  # type: ignore[arg-type]
            splice=bool(step.get("splice", False)),
            branch_labels=step.get("branch_label"),  # type: ignore[arg-type]
            depends_on=step.get("depends_on"),  # type: ignore[arg-type]
        )
    alembic_command.merge(theirs_config, ["ccc111", "ccc333"], message="merge cs", rev_id="mmm999")
    ours.generate_revision("mmm999", "merge cs", head=["ccc111", "ccc333"])
    capsys.readouterr()
    their_files = sorted((tmp_path / "theirs" / "migrations" / "versions").glob("*.py"))
    our_files = sorted((tmp_path / "ours" / "migrations" / "versions").glob("*.py"))
    assert [p.name for p in our_files] == [p.name for p in their_files]
    for mine, reference in zip(our_files, their_files, strict=True):
        assert _strip_dates(mine.read_text()) == _strip_dates(reference.read_text()), mine.name


# -- post-write hooks -----------------------------------------------------------------------

HOOK_SCRIPT = """
import sys
target = [arg for arg in sys.argv[1:] if arg.endswith(".py")][-1]
others = [arg for arg in sys.argv[1:] if arg != target]
with open(target, "a") as handle:
    handle.write("# touched by " + " ".join(others) + "\\n")
"""


@pytest.fixture
def hook_file(tmp_path: Path) -> Path:
    path = tmp_path / "hooks" / "distill_test_hook.py"
    path.parent.mkdir()
    path.write_text(textwrap.dedent(HOOK_SCRIPT))
    return path


def test_exec_hook_runs_with_the_file_name(tmp_path: Path, hook_file: Path) -> None:
    target = tmp_path / "rev.py"
    target.write_text("")
    out = io.StringIO()
    hooks = [
        {
            "_hook_name": "touch",
            "type": "exec",
            "executable": sys.executable,
            "options": f"{hook_file} --flag 'two words' REVISION_SCRIPT_FILENAME",
        }
    ]
    run_hooks(target, hooks, stdout=out)
    assert target.read_text() == "# touched by --flag two words\n"
    assert out.getvalue() == "Running post write hook 'touch' ...\n  done\n"


def test_module_hook_with_cwd(
    tmp_path: Path, hook_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(hook_file.parent))
    target = tmp_path / "rev.py"
    target.write_text("")
    hooks = [
        {
            "_hook_name": "mod",
            "type": "module",
            "module": "distill_test_hook",
            "options": "-x",
            "cwd": str(hook_file.parent),
        }
    ]
    run_hooks(target, hooks, quiet=True)
    # no REVISION_SCRIPT_FILENAME in options: the file name goes first
    assert target.read_text() == "# touched by -x\n"


def test_hooks_run_after_generation(project: Path, hook_file: Path) -> None:
    with open(project / "distill.ini", "a") as ini:
        ini.write(
            "\n[post_write_hooks]\nhooks = touch\ntouch.type = exec\n"
            f"touch.executable = {sys.executable}\n"
            f"touch.options = {hook_file} REVISION_SCRIPT_FILENAME\n"
        )
    text = (project / "distill.ini").read_text()
    # the template already has an empty [post_write_hooks] section: keep only ours
    first = text.index("[post_write_hooks]")
    second = text.index("[post_write_hooks]", first + 1)
    end = text.index("[loggers]")
    (project / "distill.ini").write_text(text[:first] + text[end:second] + text[second:])
    script, out = script_dir(project)
    created = script.generate_revision("aaa111", "a")
    assert Path(created.path).read_text().endswith("# touched by \n")
    assert "Running post write hook 'touch' ...\n  done\n" in out.getvalue()


@pytest.mark.parametrize(
    ("hook", "message"),
    [
        (
            {"_hook_name": "h"},
            "Key 'h.type' (or 'type' in toml) is required for post write hook 'h'",
        ),
        ({"_hook_name": "h", "type": "nosuch"}, "No formatter with name 'nosuch' registered"),
        (
            {"_hook_name": "h", "type": "exec"},
            "Key h.executable is required for post write hook 'h'",
        ),
        (
            {"_hook_name": "h", "type": "module", "module": "no_such_module_xyz"},
            "Could not find module no_such_module_xyz",
        ),
        (
            {"_hook_name": "h", "type": "console_scripts", "entrypoint": "no-such-script"},
            "Could not find entrypoint console_scripts.no-such-script",
        ),
        (
            {"_hook_name": "h", "type": "exec", "executable": "/no/such/program"},
            "could not run '/no/such/program'",
        ),
    ],
)
def test_hook_errors(tmp_path: Path, hook: dict[str, str], message: str) -> None:
    target = tmp_path / "rev.py"
    target.write_text("")
    with pytest.raises(ConfigError) as error:
        run_hooks(target, [hook], quiet=True)
    assert message in str(error.value)


def test_console_scripts_hook_runs_an_entry_point(tmp_path: Path) -> None:
    target = tmp_path / "rev.txt"
    target.write_text("x")
    out_file = tmp_path / "rendered.txt"
    hooks = [
        {
            "_hook_name": "render",
            "type": "console_scripts",
            "entrypoint": "mako-render",
            "options": f"--var a=1 --output-file {out_file} REVISION_SCRIPT_FILENAME",
        }
    ]
    run_hooks(target, hooks, quiet=True)
    assert out_file.read_text() == "x"


def test_custom_hook_type_can_be_registered(tmp_path: Path) -> None:
    from distill.scripts import writer

    seen: list[tuple[str, str]] = []

    @writer.register("distill_test_recorder")
    def record(path: str, options: Mapping[str, str]) -> None:
        seen.append((path, options["flag"]))

    try:
        target = tmp_path / "rev.py"
        hook = {"_hook_name": "rec", "type": "distill_test_recorder", "flag": "on"}
        run_hooks(target, [hook], quiet=True)
        assert seen == [(str(target), "on")]
    finally:
        writer._HOOKS.pop("distill_test_recorder")
