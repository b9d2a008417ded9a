"""`init` and `list_templates`: every template writes a usable project."""

from __future__ import annotations

import datetime
import io
import logging
import logging.config
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig

from distill.config import Config, find_config, load_toml
from distill.errors import ConfigError, ScriptError
from distill.scripts.describe import comma
from distill.scripts.directory import ScriptDirectory
from distill.scripts.init import init_project, list_templates
from distill.scripts.writer import render_template

TEMPLATES = ["async", "generic", "multidb", "pyproject", "pyproject_async"]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ALEMBIC_CONFIG", raising=False)
    monkeypatch.delenv("DISTILL_CONFIG", raising=False)
    return tmp_path


def cli_config(**kw: object) -> tuple[Config, io.StringIO]:
    """A Config as the CLI builds it, printing into a buffer."""
    out = io.StringIO()
    return find_config([], None, [], stdout=out, **kw), out


def render_revision(folder: Path, config: Config, **extra: object) -> str:
    """Render the folder's script.py.mako the way `revision` does."""
    dest = folder / "versions" / "rendered.py"
    render_template(
        folder / "script.py.mako",
        dest,
        up_revision="abc123",
        down_revision=("aaa", "bbb"),
        branch_labels=("side",),
        depends_on="ccc",
        create_date=datetime.datetime(2026, 1, 2, 3, 4, 5),
        comma=comma,
        message="add a table",
        config=config,
        **extra,
    )
    return dest.read_text()


@pytest.mark.parametrize("template", TEMPLATES)
def test_template_writes_a_working_project(project: Path, template: str) -> None:
    config, out = cli_config()
    init_project(config, "migrations", template=template)

    folder = project / "migrations"
    assert sorted(p.name for p in folder.iterdir()) == [
        "README",
        "env.py",
        "script.py.mako",
        "versions",
    ]
    assert list((folder / "versions").iterdir()) == []
    compile((folder / "env.py").read_text(), str(folder / "env.py"), "exec")
    env_text = (folder / "env.py").read_text()
    assert "from distill import context" in env_text
    assert "disable_existing_loggers=False" in env_text

    reread = Config("distill.ini", "pyproject.toml")
    assert reread.config_ini_section == "distill"
    script = ScriptDirectory.from_config(reread)
    assert Path(script.dir) == folder
    assert reread.get_main_option("sqlalchemy.url") or reread.get_section_option(
        "engine1", "sqlalchemy.url"
    )

    source = render_revision(folder, reread)
    compile(source, "rendered.py", "exec")
    assert "from distill import op" in source
    assert "revision: str = 'abc123'" in source
    assert "down_revision: str | Sequence[str] | None = ('aaa', 'bbb')" in source
    assert "branch_labels: str | Sequence[str] | None = ('side',)" in source
    assert "depends_on: str | Sequence[str] | None = 'ccc'" in source
    assert source.startswith('"""add a table\n\nRevision ID: abc123\nRevises: aaa, bbb\n')

    # the logging sections load, and an application's existing logger stays enabled
    app_logger = logging.getLogger("myapp.service")
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        logging.config.fileConfig("distill.ini", disable_existing_loggers=False)
        assert not app_logger.disabled
        assert logging.getLogger("distill").level == logging.INFO
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
        logging.getLogger("distill").setLevel(logging.NOTSET)

    printed = out.getvalue().splitlines()
    assert printed[0] == f"Creating directory {folder} ...  done"
    assert printed[1] == f"Creating directory {folder / 'versions'} ...  done"
    assert f"Generating {folder / 'env.py'} ...  done" in printed
    assert f"Generating {project / 'distill.ini'} ...  done" in printed


def test_ini_points_at_the_folder_relative_to_itself(project: Path) -> None:
    config, _ = cli_config()
    init_project(config, "migrations")
    text = (project / "distill.ini").read_text()
    assert "[distill]\n" in text
    assert "script_location = %(here)s/migrations\n" in text
    assert "prepend_sys_path = .\n" in text
    assert "path_separator = os\n" in text
    assert "sqlalchemy.url = sqlite:///%(here)s/app.db\n" in text
    assert "keys = root,sqlalchemy,distill\n" in text
    assert Config("distill.ini").get_main_option("sqlalchemy.url") == (
        f"sqlite:///{project.as_posix()}/app.db"
    )


def test_config_in_another_folder(project: Path) -> None:
    out = io.StringIO()
    config = find_config(["conf/distill.ini"], None, [], stdout=out)
    (project / "conf").mkdir()
    init_project(config, "migrations")
    text = (project / "conf" / "distill.ini").read_text()
    assert "script_location = %(here)s/../migrations\n" in text
    assert Path(ScriptDirectory.from_config(Config("conf/distill.ini")).dir).resolve() == (
        project / "migrations"
    )


def test_absolute_directory_is_written_as_is(project: Path) -> None:
    config, _ = cli_config()
    target = project / "abs" / "migrations"
    init_project(config, str(target))
    assert f"script_location = {target.as_posix()}\n" in (project / "distill.ini").read_text()


def test_pyproject_template_writes_tool_distill(project: Path) -> None:
    config, out = cli_config()
    init_project(config, "migrations", template="pyproject")
    data = load_toml(str(project / "pyproject.toml"))
    assert data["tool"]["distill"]["script_location"] == "%(here)s/migrations"
    assert data["tool"]["distill"]["prepend_sys_path"] == ["."]
    ini = (project / "distill.ini").read_text()
    assert "script_location" not in ini
    assert "sqlalchemy.url" in ini
    assert out.getvalue().splitlines()[-1] == (
        f"Please edit configuration settings in {project / 'pyproject.toml'} and "
        f"configuration/connection/logging settings in {project / 'distill.ini'} "
        "before proceeding."
    )


def test_pyproject_template_appends_to_an_existing_file(project: Path) -> None:
    (project / "pyproject.toml").write_text('[project]\nname = "app"\n')
    config, out = cli_config()
    init_project(config, "migrations", template="pyproject_async")
    data = load_toml(str(project / "pyproject.toml"))
    assert data["project"]["name"] == "app"
    assert data["tool"]["distill"]["script_location"] == "%(here)s/migrations"
    assert f"Appending to existing {project / 'pyproject.toml'} ...  done" in out.getvalue()


@pytest.mark.parametrize("table", ["distill", "alembic"])
def test_pyproject_with_a_table_is_left_alone(project: Path, table: str) -> None:
    original = f'[tool.{table}]\nscript_location = "elsewhere"\n'
    (project / "pyproject.toml").write_text(original)
    config, out = cli_config()
    init_project(config, "migrations", template="pyproject")
    assert (project / "pyproject.toml").read_text() == original
    assert (
        f"File {project / 'pyproject.toml'} already exists and already has a "
        f"[tool.{table}] section, skipping"
    ) in out.getvalue()


def test_existing_config_file_is_kept(project: Path) -> None:
    (project / "distill.ini").write_text("[distill]\nscript_location = mine\n")
    config, out = cli_config()
    init_project(config, "migrations")
    assert (project / "distill.ini").read_text() == "[distill]\nscript_location = mine\n"
    assert f"File {project / 'distill.ini'} already exists, skipping" in out.getvalue()


def test_existing_alembic_ini_is_the_config_file(project: Path) -> None:
    (project / "alembic.ini").write_text("[alembic]\nscript_location = old\n")
    config, out = cli_config()
    init_project(config, "migrations")
    assert not (project / "distill.ini").exists()
    assert f"File {project / 'alembic.ini'} already exists, skipping" in out.getvalue()


def test_package_writes_init_files(project: Path) -> None:
    config, out = cli_config()
    init_project(config, "migrations", package=True)
    assert (project / "migrations" / "__init__.py").read_text() == ""
    assert (project / "migrations" / "versions" / "__init__.py").read_text() == ""
    assert f"Adding {project / 'migrations' / '__init__.py'} ...  done" in out.getvalue()


def test_empty_existing_directory_is_used(project: Path) -> None:
    (project / "migrations").mkdir()
    config, out = cli_config()
    init_project(config, "migrations")
    assert (project / "migrations" / "env.py").exists()
    assert "Creating directory" in out.getvalue()


def test_non_empty_directory_is_refused(project: Path) -> None:
    (project / "migrations").mkdir()
    (project / "migrations" / "x.txt").write_text("")
    config, _ = cli_config()
    with pytest.raises(ScriptError, match="Directory migrations already exists and is not empty"):
        init_project(config, "migrations")


def test_unknown_template_is_refused(project: Path) -> None:
    config, _ = cli_config()
    with pytest.raises(ConfigError) as error:
        init_project(config, "migrations", template="nosuch")
    message = str(error.value)
    assert f"No such template {Path(config.get_template_directory()) / 'nosuch'}" in message
    assert "generic" in message
    assert not (project / "migrations").exists()


def test_quiet_prints_nothing(project: Path) -> None:
    config, out = cli_config(quiet=True)
    init_project(config, "migrations")
    assert out.getvalue() == ""


@pytest.mark.parametrize("template", TEMPLATES)
def test_same_files_as_alembic_init(
    project: Path, template: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config, _ = cli_config()
    init_project(config, "ours", template=template)
    alembic_command.init(
        AlembicConfig("alembic.ini", toml_file="theirs.toml"), "theirs", template=template
    )
    capsys.readouterr()
    ours = sorted(p.name for p in (project / "ours").iterdir())
    theirs = sorted(p.name for p in (project / "theirs").iterdir() if p.name != "__pycache__")
    assert ours == theirs


def test_list_templates_output() -> None:
    out = io.StringIO()
    list_templates(Config(stdout=out))
    root = Path(Config().get_template_directory())
    lines = out.getvalue().split("\n")
    assert lines[:2] == ["Available templates:", ""]
    listed = lines[2:7]
    assert [line.split(" - ")[0] for line in listed] == TEMPLATES
    for line in listed:
        name, synopsis = line.split(" - ", 1)
        assert synopsis == (root / name / "README").read_text().splitlines()[0]
        assert synopsis
    assert lines[7:] == [
        "",
        "Templates are used via the 'init' command, e.g.:",
        "",
        "  distill init --template generic ./scripts",
        "",
    ]


# -- the generated env.py really runs migrations (with distill's runtime) -------------------


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """env.py calls fileConfig; put the test process's logging back afterwards."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    yield
    root.handlers[:], root.level = saved[0], saved[1]


def tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.parametrize("template", TEMPLATES)
def test_generated_env_py_migrates_online_and_offline(
    project: Path, template: str, restore_logging: None
) -> None:
    from distill import command

    config, _ = cli_config()
    init_project(config, "migrations", template=template)
    config = Config("distill.ini", "pyproject.toml", stdout=io.StringIO())
    databases = ["engine1", "engine2"] if template == "multidb" else ["app"]
    bodies: dict[str, str] = {}
    for name in databases:
        prefix = f"{name}_" if template == "multidb" else ""
        bodies[f"{prefix}upgrades"] = f'op.execute("CREATE TABLE t_{name} (id INTEGER)")'
        bodies[f"{prefix}downgrades"] = f'op.execute("DROP TABLE t_{name}")'
    ScriptDirectory.from_config(config).generate_revision("r1", "first", **bodies)

    command.upgrade(config, "head")
    for name in databases:
        assert f"t_{name}" in tables(f"sqlite:///{project}/{name}.db")
    command.downgrade(config, "base")
    for name in databases:
        assert f"t_{name}" not in tables(f"sqlite:///{project}/{name}.db")

    buffer = io.StringIO()
    offline = Config("distill.ini", "pyproject.toml", stdout=io.StringIO(), output_buffer=buffer)
    command.upgrade(offline, "head", sql=True)
    if template == "multidb":  # each database's SQL goes to <name>.sql
        for name in databases:
            assert f"CREATE TABLE t_{name} (id INTEGER)" in (project / f"{name}.sql").read_text()
    else:
        assert "CREATE TABLE t_app (id INTEGER)" in buffer.getvalue()


@pytest.mark.parametrize("template", ["generic", "async"])
def test_env_py_uses_a_connection_handed_over_in_attributes(
    project: Path, template: str, restore_logging: None
) -> None:
    from distill import command

    config, _ = cli_config()
    init_project(config, "migrations", template=template)
    config = Config("distill.ini", stdout=io.StringIO())
    upgrade = 'op.execute("CREATE TABLE shared (id INTEGER)")'
    ScriptDirectory.from_config(config).generate_revision("r1", "first", upgrades=upgrade)
    other = f"sqlite:///{project}/other.db"
    engine = sa.create_engine(other)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()
    assert "shared" in tables(other)
    assert not (project / "app.db").exists()


def test_one_config_object_for_init_and_then_revision(project: Path) -> None:
    config = Config("distill.ini", stdout=io.StringIO())
    init_project(config, "migrations")
    assert config.config_ini_section == "distill"
    created = ScriptDirectory.from_config(config).generate_revision("r1", "first")
    assert Path(created.path).parent == (project / "migrations" / "versions").resolve()
