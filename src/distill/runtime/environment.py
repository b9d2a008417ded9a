"""EnvironmentContext: what env.py talks to through `distill.context` (or `alembic.context`)
while a command runs it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal, TextIO, overload

from distill.errors import DistillError
from distill.runtime.migrator import MigrationContext
from distill.runtime.request import NOT_GIVEN, RunRequest, split_options

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Connection
    from sqlalchemy.sql.base import Executable

    from distill.config import Config
    from distill.scripts.directory import ScriptDirectory

# The EnvironmentContexts entered and not yet exited, innermost last. A plain list, not a
# ContextVar: env.py may run migrations in another greenlet (async engines' run_sync).
_active: list[EnvironmentContext] = []


def active_environment(function: str = "") -> EnvironmentContext:
    """The EnvironmentContext of the command now running env.py; an error if none is."""
    if not _active:
        called = f"distill.context.{function}" if function else "distill.context"
        raise DistillError(
            f"{called} is only available while a command runs env.py: env.py must be run "
            "by `distill` (or `alembic`) commands such as `distill upgrade head`, not "
            "imported or executed directly"
        )
    return _active[-1]


class EnvironmentContext:
    """The running command's side of env.py: its config, its script directory, its plan."""

    def __init__(
        self,
        config: Config,
        script: ScriptDirectory,
        *,
        request: RunRequest | None = None,
        **kw: Any,
    ) -> None:
        """Commands pass `request`. Callers of Alembic's API pass its keywords instead
        (`fn`, `as_sql`, `starting_rev`, `destination_rev`, `tag`, `purge`, `dont_mutate`),
        which make the request; any other keyword is a default for configure()."""
        run_options, configure_options = split_options(kw)
        if request is None:
            request = RunRequest.from_options(run_options)
        elif run_options:
            raise TypeError(
                f"EnvironmentContext() got request= and {', '.join(sorted(run_options))}; "
                "put those into the RunRequest"
            )
        self.config = config
        self.script = script
        self.request = replace(request, script=script)
        self.context_opts: dict[str, Any] = configure_options
        self._migration_context: MigrationContext | None = None
        self._at_exit: list[Callable[[], None]] = []  # deploy locks held until env.py ends

    def __enter__(self) -> EnvironmentContext:
        _active.append(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self in _active:
            _active.remove(self)
        calls, self._at_exit = self._at_exit, []
        _call_all(calls[::-1])

    def call_at_exit(self, call: Callable[[], None]) -> None:
        """Call `call` when env.py's run ends (after its connections closed)."""
        self._at_exit.append(call)

    # -- what env.py asks ------------------------------------------------------------------

    def is_offline_mode(self) -> bool:
        """True when the command writes a SQL script (--sql) instead of connecting."""
        return self.request.as_sql

    def is_transactional_ddl(self) -> bool:
        """True when DDL runs inside transactions on this database (after configure())."""
        return bool(self.get_context().impl.transactional_ddl)

    def requires_connection(self) -> bool:
        """True when env.py must connect (not --sql)."""
        return not self.is_offline_mode()

    def get_head_revision(self) -> str | tuple[str, ...] | None:
        """The single head revision id; an error when the history has several heads."""
        return self.script.as_revision_number("head")

    def get_head_revisions(self) -> str | tuple[str, ...] | None:
        """Every head revision id."""
        return self.script.as_revision_number("heads")

    def get_starting_revision_argument(self) -> str | tuple[str, ...] | None:
        """The `start` of an offline `start:end` range; None online."""
        if self._migration_context is not None:
            start = self._migration_context.request.start
        elif self.request.starting_rev is not NOT_GIVEN:
            start = self.request.start
        else:
            raise DistillError(
                "No starting revision argument is available: this command was not given a "
                "`start:end` range, and context.configure() has not been called yet"
            )
        if start is None or not isinstance(start, str):
            return start
        return self.script.as_revision_number(start)

    def get_revision_argument(self) -> str | tuple[str, ...] | None:
        """The destination revision the command was given, resolved to an id."""
        destination = self.request.destination_rev
        if destination is None:
            return None
        try:
            return self.script.as_revision_number(destination)
        except DistillError:
            # relative forms (`+1`, `-2`) name a step, not a revision: hand them over as given
            if any(sign in destination for sign in "+-"):
                return str(destination)
            raise

    def get_tag_argument(self) -> str | None:
        """The --tag value, or None."""
        tag = self.request.tag
        return None if tag is None else str(tag)

    @overload
    def get_x_argument(self, as_dictionary: Literal[False] = ...) -> list[str]: ...

    @overload
    def get_x_argument(self, as_dictionary: Literal[True]) -> dict[str, str]: ...

    @overload
    def get_x_argument(self, as_dictionary: bool) -> list[str] | dict[str, str]: ...

    def get_x_argument(self, as_dictionary: bool = False) -> list[str] | dict[str, str]:
        """The -x values: a list, or {key: value} split at the first `=`."""
        cmd_opts = self.config.cmd_opts
        values = list(getattr(cmd_opts, "x", None) or []) if cmd_opts is not None else []
        if not as_dictionary:
            return values
        pairs: dict[str, str] = {}
        for value in values:
            key, _, rest = value.partition("=")
            pairs[key] = rest
        return pairs

    def configure(
        self,
        connection: Connection | None = None,
        url: str | URL | None = None,
        dialect_name: str | None = None,
        dialect_opts: Mapping[str, Any] | None = None,
        transactional_ddl: bool | None = None,
        transaction_per_migration: bool = False,
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
        """Build the MigrationContext from env.py's settings (Alembic's keywords and defaults).

        Unknown keywords are kept in the options for whoever reads them; Alembic's run
        options among them (`as_sql`, `fn`, ...) go to the run request instead.
        """
        run_options, kw = split_options(kw)
        request = self.request.with_options(run_options)
        if starting_rev:
            request = replace(request, starting_rev=starting_rev)
        if tag:
            request = replace(request, tag=tag)
        self.request = request
        opts = self.context_opts
        if transactional_ddl is not None:
            opts["transactional_ddl"] = transactional_ddl
        if output_buffer is not None:
            opts["output_buffer"] = output_buffer
        elif getattr(self.config, "output_buffer", None) is not None:
            opts["output_buffer"] = self.config.output_buffer
        if template_args:
            opts.setdefault("template_args", {}).update(template_args)
        if callable(on_version_apply):
            callbacks: tuple[Callable[..., Any], ...] = (on_version_apply,)
        else:
            callbacks = tuple(on_version_apply or ())
        opts.update(
            transaction_per_migration=transaction_per_migration,
            target_metadata=target_metadata,
            include_name=include_name,
            include_object=include_object,
            include_schemas=include_schemas,
            render_as_batch=render_as_batch,
            upgrade_token=upgrade_token,
            downgrade_token=downgrade_token,
            sqlalchemy_module_prefix=sqlalchemy_module_prefix,
            alembic_module_prefix=alembic_module_prefix,
            user_module_prefix=user_module_prefix,
            literal_binds=literal_binds,
            process_revision_directives=process_revision_directives,
            on_version_apply=callbacks,
            compare_type=compare_type,
            compare_server_default=compare_server_default,
        )
        if autogenerate_plugins is not None:
            opts["autogenerate_plugins"] = autogenerate_plugins
        if render_item is not None:
            opts["render_item"] = render_item
        opts.update(kw)
        self._migration_context = MigrationContext.configure(
            connection=connection,
            url=url,
            dialect_name=dialect_name,
            environment_context=self,
            dialect_opts=dialect_opts,
            opts=opts,
            request=request,
        )

    def run_migrations(self, **kw: Any) -> None:
        """Run the command's plan; `kw` is passed to every upgrade()/downgrade()."""
        self._configured("run_migrations()").run_migrations(**kw)

    def execute(
        self, sql: Executable | str, execution_options: Mapping[str, Any] | None = None
    ) -> None:
        """Run `sql` (online) or write it to the script (--sql)."""
        self._configured("execute()").execute(sql, execution_options=execution_options)

    def static_output(self, text: str) -> None:
        """Write `text` as-is to the --sql output, followed by a blank line."""
        self._configured("static_output()").static_output(text)

    def begin_transaction(self) -> AbstractContextManager[Any]:
        """The transaction to wrap run_migrations() in (a no-op where none belongs)."""
        return self._configured("begin_transaction()").begin_transaction()

    def get_context(self) -> MigrationContext:
        """The MigrationContext configure() built."""
        if self._migration_context is None:
            raise DistillError(
                "No context has been configured yet: call context.configure(...) in env.py "
                "before this"
            )
        return self._migration_context

    def _configured(self, what: str) -> MigrationContext:
        if self._migration_context is None:
            raise DistillError(
                f"context.{what} was called before context.configure(); in env.py, call "
                "context.configure(connection=...) (or url=... offline) first"
            )
        return self._migration_context

    def get_bind(self) -> Any:
        """The Connection (online) or a MockConnection writing to the script (offline)."""
        return self.get_context().bind

    def get_impl(self) -> Any:
        """The dialect implementation the operations run through."""
        return self.get_context().impl


def _call_all(calls: list[Callable[[], None]]) -> None:
    """Call each; every one runs even when an earlier one raised (the first error wins)."""
    if not calls:
        return
    try:
        calls[0]()
    finally:
        _call_all(calls[1:])
