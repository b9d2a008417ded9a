"""Config: ini and pyproject.toml parsing, sections, -c/-n/-x, %(here)s, path lists, errors.

Where Alembic defines the behaviour, the same file is also read with alembic.config.Config
and the answers are compared."""

from __future__ import annotations

import io
import os
import textwrap
import warnings
from pathlib import Path

import pytest
from alembic.config import Config as AlembicConfig

from distill.config import Config, ScriptSettings, find_config, mask_url
from distill.errors import ConfigError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


# -- sections and %(here)s ----------------------------------------------------------------


def test_distill_section_is_chosen_when_present(tmp_path: Path) -> None:
    ini = write(
        tmp_path / "distill.ini",
        """
        [alembic]
        script_location = from_alembic
        [distill]
        script_location = %(here)s/migrations
        """,
    )
    config = Config(ini)
    assert config.config_ini_section == "distill"
    assert config.get_main_option("script_location") == f"{tmp_path.as_posix()}/migrations"


def test_alembic_section_is_used_without_a_distill_one(tmp_path: Path) -> None:
    ini = write(tmp_path / "alembic.ini", "[alembic]\nscript_location = migrations\n")
    config = Config(ini)
    assert config.config_ini_section == "alembic"
    assert config.get_main_option("script_location") == "migrations"


def test_name_option_chooses_the_section(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(
        tmp_path / "alembic.ini",
        "[alembic]\nscript_location = a\n[other]\nscript_location = b\n",
    )
    monkeypatch.chdir(tmp_path)
    assert find_config([], "other", []).get_main_option("script_location") == "b"
    assert find_config([], None, []).get_main_option("script_location") == "a"


def test_here_is_the_absolute_posix_folder_of_the_ini(tmp_path: Path) -> None:
    ini = write(tmp_path / "sub" / "a.ini", "[alembic]\nurl = sqlite:///%(here)s/app.db\n")
    ours = Config(ini).get_main_option("url")
    theirs = AlembicConfig(str(ini)).get_main_option("url")
    assert ours == theirs == f"sqlite:///{(tmp_path / 'sub').as_posix()}/app.db"


def test_config_args_are_substituted(tmp_path: Path) -> None:
    ini = write(tmp_path / "a.ini", "[alembic]\nurl = %(driver)s://x\n")
    config = Config(ini, config_args={"driver": "sqlite"})
    assert config.get_main_option("url") == "sqlite://x"


def test_get_section_matches_alembic(tmp_path: Path) -> None:
    ini = write(
        tmp_path / "alembic.ini",
        """
        [alembic]
        script_location = migrations
        sqlalchemy.url = sqlite://
        [engine1]
        sqlalchemy.url = sqlite:///%(here)s/one.db
        """,
    )
    ours, theirs = Config(ini), AlembicConfig(str(ini))
    for section in ("alembic", "engine1", "missing"):
        assert ours.get_section(section) == theirs.get_section(section)
    assert ours.get_section("missing", {"a": "b"}) == {"a": "b"}


def test_missing_section_names_file_and_fix(tmp_path: Path) -> None:
    ini = write(tmp_path / "alembic.ini", "[alembic]\nx = 1\n")
    with pytest.raises(ConfigError) as error:
        Config(ini).get_section_option("nope", "x")
    message = str(error.value)
    assert f"No config file {str(ini)!r} found, or file has no '[nope]' section" in message
    assert "distill init" in message


def test_set_and_remove_main_option_without_a_file() -> None:
    config = Config()
    assert config.config_ini_section == "alembic"
    config.set_main_option("script_location", "pkg:migrations")
    config.set_section_option("extra", "key", "%(here)s")
    assert config.get_main_option("script_location") == "pkg:migrations"
    assert config.get_section_option("extra", "key") == Path().as_posix()
    config.remove_main_option("script_location")
    assert config.get_main_option("script_location") is None


def test_a_lone_percent_is_refused_with_advice() -> None:
    config = Config()
    with pytest.raises(ConfigError, match="%%"):
        config.set_main_option("x", "100%")


def test_bad_interpolation_in_file_names_the_file(tmp_path: Path) -> None:
    ini = write(tmp_path / "a.ini", "[alembic]\nurl = %(nosuch)s\n")
    with pytest.raises(ConfigError, match=r"a\.ini"):
        Config(ini).get_main_option("url")


def test_invalid_ini_syntax(tmp_path: Path) -> None:
    ini = write(tmp_path / "a.ini", "this is not ini\n")
    with pytest.raises(ConfigError, match="not a valid ini file"):
        Config(ini).get_main_option("x")


# -- pyproject.toml -------------------------------------------------------------------------


def test_toml_options_with_here_and_lists(tmp_path: Path) -> None:
    toml = write(
        tmp_path / "pyproject.toml",
        """
        [tool.distill]
        script_location = "%(here)s/migrations"
        version_locations = ["%(here)s/a", "%(here)s/b"]
        prepend_sys_path = ["."]
        truncate_slug_length = 20
        sourceless = true
        file_template = "%%(rev)s"
        """,
    )
    config = Config(toml_file=toml)
    here = tmp_path.as_posix()
    assert config.get_alembic_option("script_location") == f"{here}/migrations"
    assert config.get_version_locations_list() == [f"{here}/a", f"{here}/b"]
    assert config.get_prepend_sys_paths_list() == ["."]
    assert config.get_alembic_option("truncate_slug_length") == 20
    assert config.get_alembic_option("file_template") == "%(rev)s"
    assert config.get_alembic_boolean_option("sourceless") is True
    assert config.get_alembic_boolean_option("recursive_version_locations") is False
    assert config.toml_table_name == "tool.distill"


def test_toml_answers_match_alembic_for_tool_alembic(tmp_path: Path) -> None:
    toml = write(
        tmp_path / "pyproject.toml",
        """
        [tool.alembic]
        script_location = "%(here)s/migrations"
        version_locations = ["%(here)s/v"]
        [[tool.alembic.post_write_hooks]]
        name = "fmt"
        type = "exec"
        executable = "true"
        """,
    )
    ours, theirs = Config(toml_file=toml), AlembicConfig(toml_file=str(toml))
    for key in ("script_location", "nope"):
        assert ours.get_alembic_option(key) == theirs.get_alembic_option(key)
    assert ours.get_version_locations_list() == theirs.get_version_locations_list()
    assert ours.get_hooks_list() == theirs.get_hooks_list()


def test_tool_distill_wins_over_tool_alembic(tmp_path: Path) -> None:
    toml = write(
        tmp_path / "pyproject.toml",
        """
        [tool.alembic]
        script_location = "a"
        [tool.distill]
        script_location = "d"
        """,
    )
    assert Config(toml_file=toml).get_alembic_option("script_location") == "d"


def test_ini_value_wins_over_toml(tmp_path: Path) -> None:
    ini = write(tmp_path / "alembic.ini", "[alembic]\nscript_location = from_ini\n")
    toml = write(
        tmp_path / "pyproject.toml",
        '[tool.alembic]\nscript_location = "from_toml"\ntimezone = "UTC"\n',
    )
    config = Config(ini, toml)
    assert config.get_alembic_option("script_location") == "from_ini"
    assert config.get_alembic_option("timezone") == "UTC"


def test_toml_boolean_must_be_a_real_boolean(tmp_path: Path) -> None:
    toml = write(tmp_path / "pyproject.toml", '[tool.alembic]\nsourceless = "true"\n')
    with pytest.raises(ConfigError, match="boolean value expected for TOML parameter 'sourceless'"):
        Config(toml_file=toml).get_alembic_boolean_option("sourceless")


def test_ini_boolean_is_true_only_for_true(tmp_path: Path) -> None:
    ini = write(tmp_path / "a.ini", "[alembic]\na = true\nb = yes\n")
    ours, theirs = Config(ini), AlembicConfig(str(ini))
    for key in ("a", "b", "c"):
        assert ours.get_alembic_boolean_option(key) == theirs.get_alembic_boolean_option(key)


def test_tool_table_must_be_a_table(tmp_path: Path) -> None:
    toml = write(tmp_path / "pyproject.toml", '[tool]\ndistill = "x"\n')
    with pytest.raises(ConfigError, match="Incorrect TOML format"):
        Config(toml_file=toml).get_alembic_option("script_location")


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    toml = write(tmp_path / "pyproject.toml", "[tool.distill\n")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        Config(toml_file=toml).get_alembic_option("script_location")


def test_missing_toml_file_is_empty(tmp_path: Path) -> None:
    config = Config(toml_file=tmp_path / "pyproject.toml")
    assert config.toml_config == {}
    assert config.get_alembic_option("script_location", "dflt") == "dflt"


# -- path lists ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("separator", "value", "expected"),
    [
        ("os", f"a{os.pathsep}b", ["a", "b"]),
        (":", "a:b", ["a", "b"]),
        (";", "a;b", ["a", "b"]),
        ("space", "a b", ["a", "b"]),
        ("newline", "\n    a\n    b", ["a", "b"]),
    ],
)
def test_path_separator(tmp_path: Path, separator: str, value: str, expected: list[str]) -> None:
    ini = tmp_path / "a.ini"
    ini.write_text(
        f"[alembic]\npath_separator = {separator}\nversion_locations = {value}\n"
        f"prepend_sys_path = {value}\n"
    )
    ours, theirs = Config(ini), AlembicConfig(str(ini))
    assert ours.get_version_locations_list() == theirs.get_version_locations_list() == expected
    assert ours.get_prepend_sys_paths_list() == theirs.get_prepend_sys_paths_list() == expected


def test_invalid_path_separator(tmp_path: Path) -> None:
    ini = write(tmp_path / "a.ini", "[alembic]\npath_separator = |\nversion_locations = a\n")
    with pytest.raises(ConfigError, match="'\\|' is not a valid value for path_separator"):
        Config(ini).get_version_locations_list()


def test_legacy_splitting_warns_and_matches_alembic(tmp_path: Path) -> None:
    ini = write(
        tmp_path / "a.ini",
        "[alembic]\nversion_locations = a, b c\nprepend_sys_path = x:y, z\n",
    )
    with pytest.warns(DeprecationWarning, match="path_separator"):
        ours = (Config(ini).get_version_locations_list(), Config(ini).get_prepend_sys_paths_list())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = (
            AlembicConfig(str(ini)).get_version_locations_list(),
            AlembicConfig(str(ini)).get_prepend_sys_paths_list(),
        )
    assert ours == theirs == (["a", "b", "c"], ["x", "y", "z"])


def test_version_path_separator_is_deprecated_but_works(tmp_path: Path) -> None:
    ini = write(
        tmp_path / "a.ini", "[alembic]\nversion_path_separator = ;\nversion_locations = a;b\n"
    )
    with pytest.warns(DeprecationWarning, match="version_path_separator"):
        assert Config(ini).get_version_locations_list() == ["a", "b"]


def test_no_version_locations() -> None:
    assert Config().get_version_locations_list() is None
    assert Config().get_prepend_sys_paths_list() is None


# -- hooks --------------------------------------------------------------------------------


def test_ini_hooks_match_alembic(tmp_path: Path) -> None:
    ini = write(
        tmp_path / "a.ini",
        """
        [alembic]
        [post_write_hooks]
        hooks = black, ruff
        black.type = console_scripts
        black.entrypoint = black
        black.options = -l 79 REVISION_SCRIPT_FILENAME
        ruff.type = exec
        ruff.executable = ruff
        ruff.cwd = %(here)s
        """,
    )
    ours = Config(ini).get_hooks_list()
    assert ours == AlembicConfig(str(ini)).get_hooks_list()
    assert [hook["_hook_name"] for hook in ours] == ["black", "ruff"]
    assert ours[1]["cwd"] == tmp_path.as_posix()


def test_toml_hook_needs_a_name(tmp_path: Path) -> None:
    toml = write(tmp_path / "pyproject.toml", '[[tool.distill.post_write_hooks]]\ntype = "exec"\n')
    with pytest.raises(ConfigError, match="needs a 'name' key"):
        Config(toml_file=toml).get_hooks_list()


# -- find_config: what the CLI reads -------------------------------------------------------


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ALEMBIC_CONFIG", raising=False)
    monkeypatch.delenv("DISTILL_CONFIG", raising=False)
    return tmp_path


def test_defaults_prefer_distill_ini(in_tmp: Path) -> None:
    write(in_tmp / "alembic.ini", "[alembic]\nk = a\n")
    assert find_config([], None, []).config_file_name == "alembic.ini"
    write(in_tmp / "distill.ini", "[distill]\nk = d\n")
    config = find_config([], None, [])
    assert config.config_file_name == "distill.ini"
    assert config.toml_file_name == "pyproject.toml"
    assert config.get_main_option("k") == "d"


def test_without_any_file_the_default_is_distill_ini(in_tmp: Path) -> None:
    assert find_config([], None, []).config_file_name == "distill.ini"


def test_must_exist_names_the_files_and_the_fix(in_tmp: Path) -> None:
    with pytest.raises(ConfigError) as error:
        find_config([], None, [], must_exist=True)
    message = str(error.value)
    assert str(in_tmp / "distill.ini") in message
    assert str(in_tmp / "alembic.ini") in message
    assert "distill init" in message and "-c" in message


def test_must_exist_accepts_a_pyproject_table(in_tmp: Path) -> None:
    write(in_tmp / "pyproject.toml", '[tool.distill]\nscript_location = "m"\n')
    config = find_config([], None, [], must_exist=True)
    assert config.get_alembic_option("script_location") == "m"


def test_explicit_missing_file_is_named(in_tmp: Path) -> None:
    with pytest.raises(ConfigError, match=r"custom\.ini"):
        find_config(["custom.ini"], None, [], must_exist=True)


def test_c_sorts_toml_and_ini(in_tmp: Path) -> None:
    config = find_config(["conf/pyproject.toml", "my.ini"], None, [])
    assert (config.config_file_name, config.toml_file_name) == ("my.ini", "conf/pyproject.toml")


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (["a/pyproject.toml", "b/pyproject.toml"], "pyproject.toml indicated more than once"),
        (["a.ini", "b.ini"], "only one ini file may be indicated"),
    ],
)
def test_c_given_twice_for_one_kind(in_tmp: Path, files: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        find_config(files, None, [])


@pytest.mark.parametrize("variable", ["ALEMBIC_CONFIG", "DISTILL_CONFIG"])
def test_environment_variable_names_the_ini(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, "elsewhere.ini")
    assert find_config([], None, []).config_file_name == "elsewhere.ini"
    monkeypatch.setenv(variable, "conf/pyproject.toml")
    config = find_config([], None, [])
    assert config.toml_file_name == "conf/pyproject.toml"
    assert config.config_file_name == "distill.ini"


def test_distill_config_wins_over_alembic_config(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALEMBIC_CONFIG", "a.ini")
    monkeypatch.setenv("DISTILL_CONFIG", "d.ini")
    assert find_config([], None, []).config_file_name == "d.ini"


def test_x_arguments_and_other_options_land_in_cmd_opts(in_tmp: Path) -> None:
    config = find_config([], None, ["a=1", "b"], quiet=True)
    assert config.cmd_opts is not None
    assert config.cmd_opts.x == ["a=1", "b"]
    assert config.cmd_opts.quiet is True
    assert config.quiet
    assert find_config([], None, []).cmd_opts.x is None  # type: ignore[union-attr]


# -- output -------------------------------------------------------------------------------


def test_print_stdout_formats_and_respects_quiet(in_tmp: Path) -> None:
    buffer = io.StringIO()
    config = find_config([], None, [], stdout=buffer)
    config.print_stdout("plain %s")
    config.print_stdout("a %s b %d", "x", 3)
    assert buffer.getvalue() == "plain %s\na x b 3\n"
    quiet_buffer = io.StringIO()
    find_config([], None, [], stdout=quiet_buffer, quiet=True).print_stdout("hidden")
    assert quiet_buffer.getvalue() == ""


def test_attributes_are_a_shared_dict() -> None:
    marker = object()
    config = Config(attributes={"connection": marker})
    assert config.attributes["connection"] is marker
    config.attributes["other"] = 1
    assert Config().attributes == {}


def test_template_directory_holds_the_templates() -> None:
    names = sorted(p.name for p in Path(Config().get_template_directory()).iterdir())
    assert names == ["async", "generic", "multidb", "pyproject", "pyproject_async"]


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql+psycopg://user:secret@host/db", "postgresql+psycopg://user:***@host/db"),
        ("sqlite:///app.db", "sqlite:///app.db"),
        ("mysql://root@localhost/test", "mysql://root@localhost/test"),
        ("not a url://u:pw@h", "not a url://u:***@h"),
    ],
)
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked


# -- typed settings -------------------------------------------------------------------------


def test_script_settings_from_an_ini_are_typed(tmp_path: Path) -> None:
    ini = write(
        tmp_path / "alembic.ini",
        """
        [alembic]
        script_location = %(here)s/migrations
        path_separator = os
        version_locations = %(here)s/a
        prepend_sys_path = .
        recursive_version_locations = true
        file_template = %%(rev)s
        truncate_slug_length = 12
        timezone = UTC
        sourceless = true
        output_encoding = latin-1
        revision_environment = true
        [post_write_hooks]
        hooks = fmt
        fmt.type = exec
        fmt.executable = true
        """,
    )
    here = tmp_path.as_posix()
    assert Config(ini).script_settings() == ScriptSettings(
        script_location=f"{here}/migrations",
        version_locations=(f"{here}/a",),
        recursive_version_locations=True,
        prepend_sys_path=(".",),
        file_template="%(rev)s",
        truncate_slug_length=12,
        timezone="UTC",
        sourceless=True,
        output_encoding="latin-1",
        revision_environment=True,
        post_write_hooks=({"type": "exec", "executable": "true", "_hook_name": "fmt"},),
    )


def test_script_settings_defaults(tmp_path: Path) -> None:
    ini = write(tmp_path / "alembic.ini", "[alembic]\nscript_location = m\ntimezone =\n")
    assert Config(ini).script_settings() == ScriptSettings(script_location="m")
    settings = ScriptSettings(script_location="m")
    assert settings.version_locations is None and settings.prepend_sys_path == ()
    assert settings.file_template == "%(rev)s_%(slug)s"
    assert settings.truncate_slug_length == 40 and settings.output_encoding == "utf-8"


def test_script_settings_from_toml_are_typed(tmp_path: Path) -> None:
    toml = write(
        tmp_path / "pyproject.toml",
        """
        [tool.distill]
        script_location = "%(here)s/migrations"
        prepend_sys_path = [".", "src"]
        truncate_slug_length = 0
        revision_environment = true
        """,
    )
    settings = Config(toml_file=toml).script_settings()
    assert settings.script_location == f"{tmp_path.as_posix()}/migrations"
    assert settings.prepend_sys_path == (".", "src")
    assert settings.truncate_slug_length == 40  # 0 means the default, as in Alembic
    assert settings.revision_environment is True


@pytest.mark.parametrize("value", ["many", "-3", "1.5"])
def test_bad_whole_number_in_ini_names_key_file_and_what_is_allowed(
    tmp_path: Path, value: str
) -> None:
    ini = write(
        tmp_path / "alembic.ini",
        f"[alembic]\nscript_location = m\ntruncate_slug_length = {value}\n",
    )
    with pytest.raises(ConfigError) as caught:
        Config(ini).script_settings()
    assert str(caught.value) == (
        f"truncate_slug_length = {value!r} in [alembic] of {ini} is not valid: expected a "
        "whole number (0 or empty means the default, 40)"
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "file_template = 5",
            "file_template = 5 in [tool.alembic] of {toml} is not valid: expected a string",
        ),
        (
            'timezone = ["UTC"]',
            "timezone = ['UTC'] in [tool.alembic] of {toml} is not valid: expected a string",
        ),
        (
            "truncate_slug_length = true",
            "truncate_slug_length = True in [tool.alembic] of "
            "{toml} is not valid: expected a whole number (0 or empty means the default, 40)",
        ),
        (
            'sourceless = "yes"',
            "boolean value expected for TOML parameter 'sourceless' in "
            "[tool.alembic] of {toml}; write true or false",
        ),
    ],
)
def test_bad_toml_value_names_key_file_and_what_is_allowed(
    tmp_path: Path, line: str, message: str
) -> None:
    toml = write(tmp_path / "pyproject.toml", f'[tool.alembic]\nscript_location = "m"\n{line}\n')
    with pytest.raises(ConfigError) as caught:
        Config(toml_file=toml).script_settings()
    assert str(caught.value) == message.format(toml=toml)
