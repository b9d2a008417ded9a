"""The API env.py uses (`from distill import context`, or `from alembic import context`).

Each function forwards to the EnvironmentContext of the command that is running env.py.
`context.config` and `context.script` are the running command's Config and
ScriptDirectory.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Literal, TextIO, overload

from distill.runtime.environment import active_environment

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Connection
    from sqlalchemy.sql.base import Executable

    from distill.config import Config
    from distill.runtime.migrator import MigrationContext
    from distill.scripts.directory import ScriptDirectory

    config: Config
    script: ScriptDirectory

__all__ = [
    "begin_transaction",
    "config",
    "configure",
    "execute",
    "get_bind",
    "get_context",
    "get_head_revision",
    "get_head_revisions",
    "get_impl",
    "get_revision_argument",
    "get_starting_revision_argument",
    "get_tag_argument",
    "get_x_argument",
    "is_offline_mode",
    "is_transactional_ddl",
    "requires_connection",
    "run_migrations",
    "script",
    "static_output",
]


def __getattr__(name: str) -> Any:
    """`config` and `script`: the running command's, looked up on each access."""
    if name == "config":
        return active_environment("config").config
    if name == "script":
        return active_environment("script").script
    raise AttributeError(f"module 'distill.context' has no attribute {name!r}")


def configure(
    connection: Connection | None = None,
    url: str | URL | None = None,
    dialect_name: str | None = None,
    dialect_opts: Mapping[str, Any] | None = None,
    transactional_ddl: bool | None = None,
    transaction_per_migration: bool | None = None,
    output_buffer: TextIO | None = None,
    starting_rev: str | None = None,
    tag: str | None = None,
    template_args: Mapping[str, Any] | None = None,
    render_as_batch: bool = False,
    target_metadata: Any = None,
    include_name: Callable[..., bool] | None = None,
    include_object: Callable[..., bool] | None = None,
    include_schemas: bool = False,
    process_revision_directives: Callable[..., Any] | None = None,
    compare_type: bool | Callable[..., bool | None] = True,
    compare_server_default: bool | Callable[..., bool | None] = False,
    render_item: Callable[..., Any] | None = None,
    literal_binds: bool = False,
    upgrade_token: str = "upgrades",
    downgrade_token: str = "downgrades",
    alembic_module_prefix: str = "op.",
    sqlalchemy_module_prefix: str = "sa.",
    user_module_prefix: str | None = None,
    on_version_apply: Callable[..., Any] | Sequence[Callable[..., Any]] | None = None,
    autogenerate_plugins: Sequence[str] | None = None,
    **kw: Any,
) -> None:
    """Set up the migration context: the connection (or url/dialect_name offline) and options.

    Keywords and defaults are Alembic's; unknown keywords (version_table,
    version_table_schema, version_table_pk, output_encoding, ...) are kept as options.
    """
    active_environment("configure()").configure(
        connection=connection,
        url=url,
        dialect_name=dialect_name,
        dialect_opts=dialect_opts,
        transactional_ddl=transactional_ddl,
        transaction_per_migration=transaction_per_migration,
        output_buffer=output_buffer,
        starting_rev=starting_rev,
        tag=tag,
        template_args=template_args,
        render_as_batch=render_as_batch,
        target_metadata=target_metadata,
        include_name=include_name,
        include_object=include_object,
        include_schemas=include_schemas,
        process_revision_directives=process_revision_directives,
        compare_type=compare_type,
        compare_server_default=compare_server_default,
        render_item=render_item,
        literal_binds=literal_binds,
        upgrade_token=upgrade_token,
        downgrade_token=downgrade_token,
        alembic_module_prefix=alembic_module_prefix,
        sqlalchemy_module_prefix=sqlalchemy_module_prefix,
        user_module_prefix=user_module_prefix,
        on_version_apply=on_version_apply,
        autogenerate_plugins=autogenerate_plugins,
        **kw,
    )


def begin_transaction() -> AbstractContextManager[Any]:
    """The transaction to wrap run_migrations() in; a no-op where the database has none."""
    return active_environment("begin_transaction()").begin_transaction()


def run_migrations(**kw: Any) -> None:
    """Run the command's migrations; `kw` is passed to every upgrade()/downgrade()."""
    active_environment("run_migrations()").run_migrations(**kw)


def is_offline_mode() -> bool:
    """True when the command writes a SQL script (--sql) instead of connecting."""
    return active_environment("is_offline_mode()").is_offline_mode()


def is_transactional_ddl() -> bool:
    """True when DDL runs inside transactions on this database (after configure())."""
    return active_environment("is_transactional_ddl()").is_transactional_ddl()


def requires_connection() -> bool:
    """True when env.py must connect to the database (not --sql)."""
    return active_environment("requires_connection()").requires_connection()


def get_head_revision() -> str | tuple[str, ...] | None:
    """The single head revision id; an error when the history has several heads."""
    return active_environment("get_head_revision()").get_head_revision()


def get_head_revisions() -> str | tuple[str, ...] | None:
    """Every head revision id."""
    return active_environment("get_head_revisions()").get_head_revisions()


def get_revision_argument() -> str | tuple[str, ...] | None:
    """The destination revision the command was given (`upgrade r2` -> 'r2')."""
    return active_environment("get_revision_argument()").get_revision_argument()


def get_starting_revision_argument() -> str | tuple[str, ...] | None:
    """The start of an offline `start:end` range; None online."""
    return active_environment("get_starting_revision_argument()").get_starting_revision_argument()


def get_tag_argument() -> str | None:
    """The --tag value, or None."""
    return active_environment("get_tag_argument()").get_tag_argument()


@overload
def get_x_argument(as_dictionary: Literal[False] = ...) -> list[str]: ...


@overload
def get_x_argument(as_dictionary: Literal[True]) -> dict[str, str]: ...


@overload
def get_x_argument(as_dictionary: bool) -> list[str] | dict[str, str]: ...


def get_x_argument(as_dictionary: bool = False) -> list[str] | dict[str, str]:
    """The -x values: a list, or {key: value} split at the first `=`."""
    return active_environment("get_x_argument()").get_x_argument(as_dictionary)


def execute(sql: Executable | str, execution_options: Mapping[str, Any] | None = None) -> None:
    """Run `sql` on the connection (online) or write it to the script (--sql)."""
    active_environment("execute()").execute(sql, execution_options=execution_options)


def static_output(text: str) -> None:
    """Write `text` as-is to the --sql output, followed by a blank line."""
    active_environment("static_output()").static_output(text)


def get_context() -> MigrationContext:
    """The MigrationContext that configure() built."""
    return active_environment("get_context()").get_context()


def get_bind() -> Any:
    """The Connection (online) or a MockConnection writing to the script (--sql)."""
    return active_environment("get_bind()").get_bind()


def get_impl() -> Any:
    """The dialect implementation operations run through."""
    return active_environment("get_impl()").get_impl()
