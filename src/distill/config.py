"""The project configuration: an ini file (`distill.ini` / `alembic.ini`) and/or the
`[tool.distill]` / `[tool.alembic]` table of pyproject.toml, read like Alembic reads them."""

from __future__ import annotations

import configparser
import contextlib
import os
import re
import sys
import warnings
from argparse import Namespace
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, TextIO, TypeVar, overload

from distill.errors import ConfigError

_T = TypeVar("_T")

PostWriteHookConfig = Mapping[str, str]
"""One post-write hook: its options plus `_hook_name`."""

OptionValue = str | int | list[str] | dict[str, str] | list[dict[str, str]] | None
"""What a key may hold: ini values are strings, TOML values keep their TOML type."""

DISTILL_SECTION = "distill"
ALEMBIC_SECTION = "alembic"
DEFAULT_INI_FILES = ("distill.ini", "alembic.ini")
DEFAULT_TOML_FILE = "pyproject.toml"
TOML_TABLES = ("distill", "alembic")  # [tool.distill] wins over [tool.alembic]

DEFAULT_FILE_TEMPLATE = "%(rev)s_%(slug)s"
DEFAULT_TRUNCATE_SLUG_LENGTH = 40
DEFAULT_OUTPUT_ENCODING = "utf-8"

_PATH_SEPARATORS = {"space": " ", "newline": "\n", "os": os.pathsep, ":": ":", ";": ";"}
_SPLIT_SPACE_COMMA = re.compile(r", *| +")
_SPLIT_SPACE_COMMA_COLON = re.compile(r", *| +|:")
_CONFIG_ARGS = ("stdout", "output_buffer", "config_args", "attributes")
_INIT_HINT = "create one with 'distill init <directory>', or point to it with -c/--config"


def mask_url(url: object) -> str:
    """Render a database URL with its password replaced by ***."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    text = str(url)
    try:
        return make_url(text).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        # not a parseable URL: still never show what looks like user:password@
        return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", text)


@dataclass(frozen=True)
class ScriptSettings:
    """The migration folder's options, read from the config file(s) and checked once."""

    script_location: str
    version_locations: tuple[str, ...] | None = None
    """None: the `versions` folder inside script_location."""
    recursive_version_locations: bool = False
    prepend_sys_path: tuple[str, ...] = ()
    file_template: str = DEFAULT_FILE_TEMPLATE
    truncate_slug_length: int = DEFAULT_TRUNCATE_SLUG_LENGTH
    timezone: str | None = None
    sourceless: bool = False
    output_encoding: str = DEFAULT_OUTPUT_ENCODING
    revision_environment: bool = False
    post_write_hooks: tuple[PostWriteHookConfig, ...] = ()


def _ini_has_section(path: str | None, section: str) -> bool:
    """True when the ini file at `path` exists and has `[section]`."""
    if path is None or not os.path.isfile(path):
        return False
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error:
        return False
    return parser.has_section(section)


def default_section(path: str | None) -> str:
    """The main section of an ini file: `distill` when it has one, else `alembic`."""
    return DISTILL_SECTION if _ini_has_section(path, DISTILL_SECTION) else ALEMBIC_SECTION


class Config:
    """The configuration of one project, with the public API of `alembic.config.Config`."""

    def __init__(
        self,
        file_: str | os.PathLike[str] | None = None,
        toml_file: str | os.PathLike[str] | None = None,
        ini_section: str | None = None,
        output_buffer: TextIO | None = None,
        stdout: TextIO | None = None,
        cmd_opts: Namespace | None = None,
        config_args: Mapping[str, Any] | None = None,
        attributes: Mapping[str, Any] | None = None,
    ) -> None:
        self.config_file_name: str | None = os.fspath(file_) if file_ else None
        self.toml_file_name: str | None = os.fspath(toml_file) if toml_file else None
        self._ini_section = ini_section
        self.output_buffer = output_buffer
        self.stdout: TextIO = stdout if stdout is not None else sys.stdout
        self.cmd_opts = cmd_opts
        self.config_args: dict[str, Any] = dict(config_args or {})
        self.toml_args: dict[str, Any] = dict(config_args or {})
        self.attributes: dict[str, Any] = dict(attributes or {})
        # the files a missing-config message names (find_config sets both defaults)
        self.tried_files: list[str] = [
            name for name in (self.config_file_name, self.toml_file_name) if name
        ]

    # -- the files ------------------------------------------------------------------------

    @property
    def config_ini_section(self) -> str:
        """The main ini section: as given (-n), else `distill` if the file has it, else
        `alembic` (decided when the file is first read, so `init` can write it first)."""
        if self._ini_section is not None:
            return self._ini_section
        has_distill = self.file_config.has_section(DISTILL_SECTION)
        return DISTILL_SECTION if has_distill else ALEMBIC_SECTION

    @config_ini_section.setter
    def config_ini_section(self, value: str) -> None:
        self._ini_section = value

    @property
    def quiet(self) -> bool:
        """True when -q/--quiet was given."""
        return bool(getattr(self.cmd_opts, "quiet", False))

    @property
    def messaging_opts(self) -> dict[str, bool]:
        """The messaging options (`quiet`), as Alembic exposes them."""
        return {"quiet": self.quiet}

    @cached_property
    def file_config(self) -> configparser.ConfigParser:
        """The parsed ini file (an empty main section when there is no file)."""
        path = self.config_file_name
        here = Path(path).absolute().parent if path else Path()
        self.config_args["here"] = here.as_posix()
        parser = configparser.ConfigParser(self.config_args)
        if path:
            try:
                parser.read(path, encoding="utf-8")
            except configparser.Error as error:
                raise ConfigError(
                    f"Config file {path} is not a valid ini file: {error}; fix its syntax"
                ) from error
            except UnicodeDecodeError as error:
                raise ConfigError(
                    f"Config file {path} is not UTF-8 text ({error}); save it as UTF-8"
                ) from error
        else:
            parser.add_section(self._ini_section or ALEMBIC_SECTION)
        return parser

    @cached_property
    def toml_config(self) -> Mapping[str, Any]:
        """The `[tool.distill]` (or else `[tool.alembic]`) table of pyproject.toml."""
        table = self._toml_table()
        return table[1] if table else {}

    @property
    def toml_alembic_config(self) -> Mapping[str, Any]:
        """Alembic's name for `toml_config`."""
        return self.toml_config

    @property
    def toml_table_name(self) -> str | None:
        """`tool.distill` or `tool.alembic`, whichever table is used; None without one."""
        table = self._toml_table()
        return f"tool.{table[0]}" if table else None

    def _toml_table(self) -> tuple[str, Mapping[str, Any]] | None:
        """The (name, table) distill reads from pyproject.toml, or None."""
        return self._toml_found

    @cached_property
    def _toml_found(self) -> tuple[str, Mapping[str, Any]] | None:
        """Read pyproject.toml once and pick `[tool.distill]`, else `[tool.alembic]`."""
        path = self.toml_file_name
        if not path or not os.path.isfile(path):
            return None
        self.toml_args["here"] = Path(path).absolute().parent.as_posix()
        tool = load_toml(path).get("tool", {})
        for name in TOML_TABLES:
            if isinstance(tool, dict) and name in tool:
                if not isinstance(tool[name], dict):
                    raise ConfigError(
                        f"Incorrect TOML format: [tool.{name}] in {path} must be a table"
                    )
                return name, tool[name]
        return None

    def has_file(self) -> bool:
        """True when the ini file exists or pyproject.toml has a distill/alembic table."""
        ini = self.config_file_name
        return bool(ini and os.path.isfile(ini)) or self._toml_table() is not None

    def missing_file_message(self) -> str:
        """What to tell a user whose project has no config file."""
        tried = " or ".join(os.path.abspath(name) for name in self.tried_files)
        return f"No config file found (tried {tried or 'no file'}); {_INIT_HINT}"

    def require_file(self) -> None:
        """Raise ConfigError unless a config file was found."""
        if not self.has_file():
            raise ConfigError(self.missing_file_message())

    def get_template_directory(self) -> str:
        """The folder holding the `init` templates shipped with distill."""
        return str(Path(__file__).absolute().parent / "scripts" / "templates")

    # -- output ---------------------------------------------------------------------------

    def print_stdout(self, text: str, *arg: Any) -> None:
        """Write a line to `stdout` (`text % arg` when args are given); silent under -q."""
        if self.quiet:
            return
        output = (str(text) % arg if arg else str(text)) + "\n"
        write_text(self.stdout, output)

    # -- ini sections ---------------------------------------------------------------------

    @overload
    def get_section(self, name: str, default: None = ...) -> dict[str, str] | None: ...

    @overload
    def get_section(self, name: str, default: Mapping[str, str]) -> Mapping[str, str]: ...

    def get_section(
        self, name: str, default: Mapping[str, str] | None = None
    ) -> Mapping[str, str] | None:
        """All options of an ini section as a dict; `default` when the section is absent."""
        if not self.file_config.has_section(name):
            return default
        return self._interpolating(name, lambda: dict(self.file_config.items(name)))

    def set_main_option(self, name: str, value: str) -> None:
        """Set an option of the main section (`%` must be written `%%`)."""
        self.set_section_option(self.config_ini_section, name, value)

    def remove_main_option(self, name: str) -> None:
        """Remove an option from the main section."""
        self.file_config.remove_option(self.config_ini_section, name)

    def set_section_option(self, section: str, name: str, value: str) -> None:
        """Set an option of any ini section, creating the section if needed."""
        if not self.file_config.has_section(section):
            self.file_config.add_section(section)
        try:
            self.file_config.set(section, name, value)
        except ValueError as error:
            raise ConfigError(
                f"Invalid value for [{section}] {name}: {error}; write a literal % as %%"
            ) from error

    def get_section_option(self, section: str, name: str, default: str | None = None) -> str | None:
        """An option of an ini section; ConfigError when the section does not exist."""
        if not self.file_config.has_section(section):
            raise ConfigError(
                f"No config file {self.config_file_name!r} found, or file has no "
                f"'[{section}]' section; {_INIT_HINT}, or choose the section with -n/--name"
            )
        if not self.file_config.has_option(section, name):
            return default
        return self._interpolating(section, lambda: self.file_config.get(section, name))

    @overload
    def get_main_option(self, name: str, default: str) -> str: ...

    @overload
    def get_main_option(self, name: str, default: str | None = None) -> str | None: ...

    def get_main_option(self, name: str, default: str | None = None) -> str | None:
        """An option of the main ini section (`[distill]`, `[alembic]` or the -n one)."""
        return self.get_section_option(self.config_ini_section, name, default)

    def _interpolating(self, section: str, read: Callable[[], _T]) -> _T:
        """Run `read()`, turning a `%(...)s` interpolation failure into a ConfigError."""
        try:
            return read()
        except configparser.InterpolationError as error:
            raise ConfigError(
                f"Bad %-interpolation in [{section}] of {self.config_file_name}: {error}; "
                "write a literal % as %%"
            ) from error

    # -- options from the ini main section or pyproject.toml ------------------------------

    def get_alembic_option(self, name: str, default: str | None = None) -> OptionValue:
        """A distill option: the ini main section first, then the TOML table."""
        if self.file_config.has_option(self.config_ini_section, name):
            section = self.config_ini_section
            value: str = self._interpolating(section, lambda: self.file_config.get(section, name))
            return value
        return self._get_toml_value(name, default)

    get_distill_option = get_alembic_option

    def get_alembic_boolean_option(self, name: str) -> bool:
        """A boolean option: ini value `true`, or a real TOML boolean."""
        if self.file_config.has_option(self.config_ini_section, name):
            return self.get_main_option(name) == "true"
        value = self.toml_config.get(name, False)
        if not isinstance(value, bool):
            raise ConfigError(
                f"boolean value expected for TOML parameter {name!r} in "
                f"[{self.toml_table_name}] of {self.toml_file_name}; write true or false"
            )
        return value

    def _get_toml_value(self, name: str, default: OptionValue = None) -> OptionValue:
        """A TOML value with `%(here)s` and config_args substituted in its strings."""
        if name not in self.toml_config:
            return default
        value = self.toml_config[name]
        if value is None or isinstance(value, int):  # bool is an int too
            return value
        if isinstance(value, str):
            return self._toml_substitute(name, value)
        if isinstance(value, dict):
            return {k: self._toml_substitute(name, v) for k, v in value.items()}
        if isinstance(value, list):
            if value and isinstance(value[0], dict):
                return [
                    {k: self._toml_substitute(name, v) for k, v in item.items()} for item in value
                ]
            return [self._toml_substitute(name, v) for v in value]
        raise ConfigError(
            f"unsupported TOML value type for key: {name!r} in {self.toml_file_name}; "
            "use a string, integer, boolean, list or table"
        )

    def _toml_substitute(self, name: str, value: Any) -> str:
        """Apply `%(here)s`-style substitution to one TOML string."""
        if not isinstance(value, str):
            return value  # type: ignore[no-any-return]
        try:
            return value % self.toml_args
        except (KeyError, ValueError, TypeError) as error:
            raise ConfigError(
                f"Bad %-substitution in TOML key {name!r} of {self.toml_file_name}: "
                f"{error!r}; write a literal % as %%"
            ) from error

    # -- typed settings -------------------------------------------------------------------

    def script_settings(self) -> ScriptSettings:
        """The migration folder's options, typed; a ConfigError names a bad key and file."""
        location = self.get_alembic_option("script_location")
        if location is None:
            self.require_file()
            where = self.config_file_name or self.toml_file_name
            raise ConfigError(
                "No 'script_location' key found in configuration. "
                f"Add script_location to [{self.config_ini_section}] of {where} "
                "(or to [tool.distill] of pyproject.toml)"
            )
        return ScriptSettings(
            script_location=self._string_option("script_location", location),
            version_locations=_optional_tuple(self.get_version_locations_list()),
            recursive_version_locations=self.get_alembic_boolean_option(
                "recursive_version_locations"
            ),
            prepend_sys_path=tuple(self.get_prepend_sys_paths_list() or ()),
            file_template=self._string_option(
                "file_template", self.get_alembic_option("file_template", DEFAULT_FILE_TEMPLATE)
            ),
            truncate_slug_length=self._whole_number_option(
                "truncate_slug_length", DEFAULT_TRUNCATE_SLUG_LENGTH
            ),
            timezone=self._optional_string_option("timezone"),
            sourceless=self.get_alembic_boolean_option("sourceless"),
            output_encoding=self._string_option(
                "output_encoding",
                self.get_alembic_option("output_encoding", DEFAULT_OUTPUT_ENCODING),
            ),
            revision_environment=self.get_alembic_boolean_option("revision_environment"),
            post_write_hooks=tuple(self.get_hooks_list()),
        )

    def _option_place(self, name: str) -> str:
        """Where an option is set: `[section] of file.ini` or `[tool.x] of pyproject.toml`."""
        if self.file_config.has_option(self.config_ini_section, name):
            return f"[{self.config_ini_section}] of {self.config_file_name}"
        return f"[{self.toml_table_name}] of {self.toml_file_name}"

    def _string_option(self, name: str, value: OptionValue) -> str:
        """An option that must be text (a TOML value could be anything)."""
        if not isinstance(value, str):
            raise ConfigError(
                f"{name} = {value!r} in {self._option_place(name)} is not valid: expected a string"
            )
        return value

    def _optional_string_option(self, name: str) -> str | None:
        """A text option that may be absent or empty (None then)."""
        value = self.get_alembic_option(name)
        if value is None or value == "":
            return None
        return self._string_option(name, value)

    def _whole_number_option(self, name: str, default: int) -> int:
        """A whole-number option; absent, empty or 0 means `default`."""
        value = self.get_alembic_option(name)
        if value is None or value == "":
            return default
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value or default
        if isinstance(value, str) and value.strip().isdigit():
            return int(value) or default
        raise ConfigError(
            f"{name} = {value!r} in {self._option_place(name)} is not valid: expected a "
            f"whole number (0 or empty means the default, {default})"
        )

    # -- lists ----------------------------------------------------------------------------

    def _path_separator(self, *names: str) -> str | None:
        """The separator the config chooses for path lists; None when none is set."""
        for name in names:
            separator = self.get_main_option(name)
            if separator is not None:
                break
        else:
            return None
        if separator not in _PATH_SEPARATORS:
            raise ConfigError(
                f"'{separator}' is not a valid value for {name}; "
                "expected 'space', 'newline', 'os', ':', ';' "
                f"(in [{self.config_ini_section}] of {self.config_file_name})"
            )
        if name == "version_path_separator":
            warnings.warn(
                "The version_path_separator configuration parameter is deprecated; "
                "please use path_separator",
                DeprecationWarning,
                stacklevel=3,
            )
        return _PATH_SEPARATORS[separator]

    def _split_paths(
        self, key: str, separators: tuple[str, ...], legacy: re.Pattern[str]
    ) -> list[str]:
        """Split an ini path list by the configured separator (or the legacy rule)."""
        raw = self.get_main_option(key) or ""
        separator = self._path_separator(*separators)
        if separator is None:
            warnings.warn(
                f"No path_separator found in configuration; falling back to legacy "
                f"splitting for {key}.  Consider adding path_separator=os to the config.",
                DeprecationWarning,
                stacklevel=3,
            )
            return legacy.split(raw)
        return [part.strip() for part in raw.split(separator) if part]

    def get_version_locations_list(self) -> list[str] | None:
        """The `version_locations` paths, or None when not configured."""
        if self.file_config.get(self.config_ini_section, "version_locations", fallback=None):
            return self._split_paths(
                "version_locations",
                ("path_separator", "version_path_separator"),
                _SPLIT_SPACE_COMMA,
            )
        return _as_str_list(self._get_toml_value("version_locations"), "version_locations")

    def get_prepend_sys_paths_list(self) -> list[str] | None:
        """The `prepend_sys_path` paths, or None when not configured."""
        if self.file_config.get(self.config_ini_section, "prepend_sys_path", fallback=None):
            return self._split_paths(
                "prepend_sys_path", ("path_separator",), _SPLIT_SPACE_COMMA_COLON
            )
        return _as_str_list(self._get_toml_value("prepend_sys_path"), "prepend_sys_path")

    def get_hooks_list(self) -> list[PostWriteHookConfig]:
        """The post-write hooks: `[post_write_hooks]` in the ini, else the TOML list."""
        hooks: list[PostWriteHookConfig] = []
        if not self.file_config.has_section("post_write_hooks"):
            tables = self._get_toml_value("post_write_hooks", [])
            if not isinstance(tables, list):
                raise ConfigError(
                    f"post_write_hooks in {self.toml_file_name} must be an array of tables "
                    "([[tool.distill.post_write_hooks]])"
                )
            for table in tables:
                if not isinstance(table, dict) or "name" not in table:
                    raise ConfigError(
                        f"Every [[post_write_hooks]] table in {self.toml_file_name} "
                        "needs a 'name' key"
                    )
                options = dict(table)
                options["_hook_name"] = options.pop("name")
                hooks.append(options)
            return hooks
        section = self.get_section("post_write_hooks", {})
        for name in _SPLIT_SPACE_COMMA.split(section.get("hooks", "")):
            if not name:
                continue
            prefix = name + "."
            options = {
                key[len(prefix) :]: value
                for key, value in section.items()
                if key.startswith(prefix)
            }
            options["_hook_name"] = name
            hooks.append(options)
        return hooks


def _optional_tuple(values: list[str] | None) -> tuple[str, ...] | None:
    """A list as a tuple; None stays None."""
    return None if values is None else tuple(values)


def _as_str_list(value: OptionValue, key: str) -> list[str] | None:
    """A TOML path list, checked to be a list of strings."""
    if value is None:
        return None
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return [str(item) for item in value]
    if isinstance(value, str):
        return [value]
    raise ConfigError(f'TOML key {key!r} must be a list of strings, e.g. {key} = ["."]')


def load_toml(path: str) -> dict[str, Any]:
    """Parse a TOML file, as a ConfigError when it is not valid TOML."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib

    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}; fix its syntax") from error


def write_text(stream: TextIO, text: str) -> None:
    """Write to a stream that may not encode every character or may be a closed pipe."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    safe = text.encode(encoding, "replace").decode(encoding)
    # `distill history | head` closes the pipe early; that is not an error
    with contextlib.suppress(BrokenPipeError):
        stream.write(safe)


def _config_paths(config_files: Sequence[str]) -> tuple[str, str, list[str]]:
    """The ini and toml file to read, and the names a missing-file error reports."""
    from_env = os.environ.get("DISTILL_CONFIG") or os.environ.get("ALEMBIC_CONFIG")
    default_toml = DEFAULT_TOML_FILE
    default_ini = next((name for name in DEFAULT_INI_FILES if os.path.isfile(name)), None)
    tried_ini = list(DEFAULT_INI_FILES) if default_ini is None else [default_ini]
    if from_env and os.path.basename(from_env) == DEFAULT_TOML_FILE:
        default_toml = from_env
    elif from_env:
        default_ini, tried_ini = from_env, [from_env]
    ini: str | None = None
    toml: str | None = None
    for name in config_files:
        if os.path.basename(name) == DEFAULT_TOML_FILE:
            if toml is not None:
                raise ConfigError(
                    "pyproject.toml indicated more than once; give -c/--config at most one "
                    "pyproject.toml and one ini file"
                )
            toml = name
        else:
            if ini is not None:
                raise ConfigError(
                    "only one ini file may be indicated; give -c/--config at most one ini "
                    "file and one pyproject.toml"
                )
            ini = name
    if ini is not None:
        tried_ini = [ini]
    chosen_ini = ini or default_ini or DEFAULT_INI_FILES[0]
    chosen_toml = toml or default_toml
    return chosen_ini, chosen_toml, [*tried_ini, chosen_toml]


def find_config(
    config_files: Sequence[str] | None,
    name: str | None,
    x_args: Sequence[str] | None,
    *,
    must_exist: bool = False,
    **kw: Any,
) -> Config:
    """Build the Config the CLI runs with, from -c files, -n, -x and the environment.

    Keywords `stdout`, `output_buffer`, `config_args` and `attributes` go to Config; any
    other keyword (quiet, verbose, ...) becomes an attribute of `config.cmd_opts`.
    """
    ini, toml, tried = _config_paths(list(config_files or ()))
    config_kw = {key: kw.pop(key) for key in _CONFIG_ARGS if key in kw}
    cmd_opts = Namespace(
        config=list(config_files) if config_files else None,
        name=name or default_section(ini),
        x=list(x_args) if x_args else None,
        **kw,
    )
    config = Config(file_=ini, toml_file=toml, ini_section=name, cmd_opts=cmd_opts, **config_kw)
    config.tried_files = tried
    if must_exist:
        config.require_file()
    return config
