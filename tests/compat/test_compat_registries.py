"""Autogenerate's registries, containers and Rewriter, as Alembic plugins use them today.

The comparators are only recorded (nothing compares until the autogenerate engine
exists); renderers can already be looked up and called; Rewriter works on containers
built by hand.
"""

from __future__ import annotations

import json
import subprocess
import sys
import types

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from distill.autogenerate import (
    AutogenContext,
    ComparatorRegistry,
    DispatchPriority,
    DowngradeOps,
    MigrationScript,
    ModifyTableOps,
    Plugin,
    RendererRegistry,
    Rewriter,
    UpgradeOps,
)
from distill.errors import DistillError
from distill.operations.ops import (
    AddColumnOp,
    CreateIndexOp,
    CreateTableOp,
    DropColumnOp,
    DropTableOp,
    MigrateOperation,
)

# Imports both plugins, then reports what they registered and what two of their
# renderers write; run once against real Alembic and once under distill's names.
PROBE = """
import json, sys
from contextlib import nullcontext
from distill import compat

with compat.alembic_names() if sys.argv[1] == "distill" else nullcontext():
    import alembic.autogenerate as autogenerate
    from alembic.autogenerate.api import AutogenContext
    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext
    import alembic_postgresql_enum
    from alembic_postgresql_enum import TableReference
    from alembic_postgresql_enum.operations import SyncEnumValuesOp
    from alembic_utils.pg_view import PGView
    from alembic_utils.reversible_op import CreateOp, DropOp, ReplaceOp

    plugin_modules = ("alembic_utils", "alembic_postgresql_enum")
    if sys.argv[1] == "distill":
        schema = [fn for fn, _ in autogenerate.comparators.functions("schema")]
        def renderer(op):
            return autogenerate.renderers.lookup(op)
    else:
        schema = [
            fn
            for key, entries in autogenerate.comparators._registry.items()
            if key[0] == "schema"
            for fn, _ in entries
        ]
        def renderer(op):
            return autogenerate.renderers.dispatch(op)
    context = AutogenContext(
        MigrationContext.configure(dialect_name="postgresql", opts={"as_sql": True}),
        autogenerate=False,
    )
    view = PGView(schema="public", signature="v", definition="SELECT 1 AS one")
    sync = SyncEnumValuesOp(
        "public", "status", ["a"], ["a", "b"],
        [TableReference("ticket", "status", table_schema="public")],
    )
    texts = [renderer(op)(context, op) for op in (CreateOp(view), DropOp(view), sync)]
    print(json.dumps({
        "schema_comparators": sorted(
            f"{fn.__module__}.{fn.__name__}" for fn in schema
            if fn.__module__.startswith(plugin_modules)
        ),
        "directives": sorted(
            name for name in ("create_entity", "drop_entity", "replace_entity",
                              "sync_enum_values", "add_enum_value")
            if callable(getattr(Operations, name, None))
        ),
        "rendered": texts,
        "imports": sorted(context.imports),
    }))
"""


def _probe(mode: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_plugins_register_the_same_things_as_under_alembic() -> None:
    expected, actual = _probe("alembic"), _probe("distill")
    assert actual == expected
    assert actual["schema_comparators"] == [
        "alembic_postgresql_enum.compare_dispatch.compare_enums",
        "alembic_utils.replaceable_entity.compare_registered_entities",
    ]
    assert "op.create_entity(public_v)" in str(actual["rendered"])


def test_comparators_run_first_to_last_dialect_before_default() -> None:
    registry = ComparatorRegistry()
    calls = []
    for name, priority, qualifier in [
        ("last", DispatchPriority.LAST, "default"),
        ("medium", DispatchPriority.MEDIUM, "default"),
        ("pg medium", DispatchPriority.MEDIUM, "postgresql"),
        ("first", DispatchPriority.FIRST, "default"),
        ("mysql", DispatchPriority.FIRST, "mysql"),
    ]:
        fn = types.SimpleNamespace(name=name)
        registry.dispatch_for("table", priority=priority, qualifier=qualifier)(fn)
        calls.append(fn)
    order = [fn.name for fn, _ in registry.functions("table", "postgresql")]
    assert order == ["first", "pg medium", "medium", "last"]
    assert [fn.name for fn, _ in registry.functions("table")] == ["first", "medium", "last"]
    assert registry.functions("column") == []
    branch = registry.branch()
    branch.dispatch_for("table")(types.SimpleNamespace(name="extra"))
    assert len(branch.functions("table")) == 4 and len(registry.functions("table")) == 3


def test_renderers_follow_the_class_hierarchy_and_refuse_a_second_registration() -> None:
    registry = RendererRegistry()

    class CustomAddColumn(AddColumnOp):
        pass

    @registry.dispatch_for(AddColumnOp)
    def render_add(context: object, op: AddColumnOp) -> str:
        return f"op.add_column({op.table_name!r}, ...)"

    op = CustomAddColumn("account", sa.Column("email", sa.String()))
    assert registry.lookup(op) is render_add
    assert registry.lookup(CustomAddColumn) is render_add
    assert registry.lookup(DropColumnOp("a", "b")) is None
    with pytest.raises(ValueError, match="key already exists"):
        registry.dispatch_for(AddColumnOp)(render_add)
    registry.dispatch_for(AddColumnOp, replace=True)(repr)
    assert registry.lookup(op) is repr


def test_autogen_context_takes_its_opts_and_dialect_from_the_migration_context() -> None:
    metadata = sa.MetaData()
    migration_context = types.SimpleNamespace(
        opts={"target_metadata": metadata, "alembic_module_prefix": "op."},
        bind=None,
        dialect=sqlite.dialect(),
    )
    context = AutogenContext(migration_context)
    assert context.metadata is metadata
    assert context.opts["alembic_module_prefix"] == "op."
    assert context.dialect is migration_context.dialect
    assert context.imports == set()


def _script() -> MigrationScript:
    account = ModifyTableOps(
        "account",
        [
            AddColumnOp("account", sa.Column("email", sa.String(50), nullable=False)),
            DropColumnOp.from_column_and_tablename(
                None, "account", sa.Column("legacy", sa.Integer())
            ),
        ],
    )
    tag = CreateTableOp("tag", [sa.Column("id", sa.Integer(), primary_key=True)])
    upgrade = UpgradeOps([account, tag])
    return MigrationScript("abc123", upgrade, upgrade.reverse(), message="m")


def test_containers_reverse_in_reverse_order() -> None:
    script = _script()
    downgrade = script.downgrade_ops_list[0]
    assert isinstance(downgrade, DowngradeOps)
    assert [type(op).__name__ for op in downgrade.ops] == ["DropTableOp", "ModifyTableOps"]
    undo = downgrade.ops[1]
    assert isinstance(undo, ModifyTableOps)
    assert [type(op).__name__ for op in undo.ops] == ["AddColumnOp", "DropColumnOp"]
    assert [getattr(op, "column", None) is not None for op in undo.ops] == [True, False]
    assert script.upgrade_ops_list[0].as_diffs()[0][0] == "add_column"
    assert not UpgradeOps().ops and UpgradeOps().is_empty()


def test_rewriter_replaces_ops_inside_containers_and_chains() -> None:
    nullable = Rewriter()
    indexed = Rewriter()

    @nullable.rewrites(AddColumnOp)
    def make_nullable(context: object, revision: object, op: AddColumnOp) -> AddColumnOp:
        op.column.nullable = True
        return op

    @indexed.rewrites(AddColumnOp)
    def add_index(context: object, revision: object, op: AddColumnOp) -> list[MigrateOperation]:
        return [op, CreateIndexOp(f"ix_{op.column.name}", op.table_name, [op.column.name])]

    @indexed.rewrites(DropColumnOp)
    def keep_column(context: object, revision: object, op: DropColumnOp) -> None:
        return None  # never drop columns in generated revisions

    script = _script()
    directives = [script]
    nullable.chain(indexed)(None, ("head",), directives)
    account = script.upgrade_ops_list[0].ops[0]
    assert isinstance(account, ModifyTableOps)
    add, index = account.ops
    assert isinstance(add, AddColumnOp) and add.column.nullable is True
    assert isinstance(index, CreateIndexOp) and index.index_name == "ix_email"
    assert isinstance(script.upgrade_ops_list[0].ops[1], CreateTableOp)
    assert isinstance(script.downgrade_ops_list[0].ops[0], DropTableOp)


def test_rewriter_must_leave_one_upgrade_container() -> None:
    rewriter = Rewriter()
    rewriter.rewrites(UpgradeOps)(lambda context, revision, op: [])
    with pytest.raises(DistillError, match="exactly one container"):
        rewriter(None, None, [_script()])


def test_plugin_set_up_from_a_module_records_its_comparators() -> None:
    def compare(*args: object) -> None:
        return None

    module = types.SimpleNamespace(
        setup=lambda plugin: plugin.add_autogenerate_comparator(compare, "table", "column")
    )
    Plugin.setup_plugin_from_module(module, "tests.example_plugin")
    try:
        plugin = Plugin.registered()["tests.example_plugin"]
        assert plugin.autogenerate_comparators.functions("table") == [(compare, "column")]
        with pytest.raises(DistillError, match="already registered"):
            Plugin("tests.example_plugin")
    finally:
        Plugin.registered()["tests.example_plugin"].remove()
    assert "tests.example_plugin" not in Plugin.registered()
