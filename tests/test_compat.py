"""The Alembic drop-in: `alembic.*` names served by distill while it runs a project.

Every mapped name imports; a real Alembic imported earlier is put back afterwards;
distill's own modules are never changed by the mapping; and an operation written for
Alembic's documented plugin API (register_operation + implementation_for) runs under
`distill upgrade`/`downgrade` with the same result as under Alembic.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest
from alembic_projects import Rev, database_objects, make_project, run, snapshot
from conftest import DatabaseFactory
from ops_helpers import offline

import distill.dialects.base
import distill.operations
from distill import compat
from distill.operations import Operations

ALEMBIC_SITE = Path(importlib.util.find_spec("alembic").origin).parent  # type: ignore[arg-type, union-attr]


def _served_by_distill(module: object) -> bool:
    """True for a distill module or one of compat's stand-ins, never for real Alembic."""
    origin = str(getattr(module, "__file__", "") or "")
    assert not origin.startswith(str(ALEMBIC_SITE)), origin
    name = getattr(module, "__name__", "")
    doc = getattr(module, "__doc__", "") or ""
    return name.startswith("distill.") or doc.startswith("distill's stand-in")


@pytest.mark.parametrize("name", sorted(compat.MODULES))
def test_every_mapped_name_imports_from_distill(name: str) -> None:
    with compat.alembic_names():
        module = importlib.import_module(name)
        assert _served_by_distill(module)
        assert sys.modules[name] is module
        for alias in compat.ALIASES.get(name, {}):
            assert getattr(module, alias).__module__.startswith("distill.")


def test_plain_import_alembic_reaches_every_submodule_as_alembic_does() -> None:
    with compat.alembic_names():
        import alembic

        # plugins write `import alembic` and then use the dotted names
        assert alembic.__version__ == compat.ALEMBIC_API_VERSION
        assert alembic.operations.ops.MigrateOperation is distill.operations.MigrateOperation
        assert alembic.operations.base.Operations is Operations
        assert alembic.autogenerate.render.renderers is alembic.autogenerate.renderers
        assert alembic.util.CommandError is distill.errors.DistillError
        assert alembic.ddl.impl.DefaultImpl is distill.dialects.base.DialectImpl


def test_real_alembic_imported_earlier_is_restored_afterwards() -> None:
    import alembic.operations

    real = alembic.operations
    assert real.Operations.__module__ == "alembic.operations.base"
    with compat.alembic_names():
        import alembic.operations as served

        assert served is not real
        assert served.Operations is Operations
    assert sys.modules["alembic.operations"] is real
    import alembic.operations as again

    assert again is real
    assert again.Operations.__module__ == "alembic.operations.base"


def test_mapping_never_changes_distills_own_modules() -> None:
    before = {key: value for key, value in vars(distill.operations).items()}
    with compat.alembic_names():
        import alembic.operations.base  # maps to distill.operations.api
        import alembic.operations.ops  # noqa: F401

    # Python sets a loaded submodule on its parent; that parent must be a stand-in
    assert vars(distill.operations) == before
    assert not hasattr(distill.operations, "base")


def test_default_impl_subclass_with_dialect_name_becomes_that_dialects_impl(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(distill.dialects.base, "_registry", dict(distill.dialects.base._registry))
    with compat.alembic_names():
        from alembic.ddl.impl import DefaultImpl

        class MSSQLImpl(DefaultImpl):  # type: ignore[misc, valid-type]
            """As a third-party dialect package registers its Alembic impl."""

            __dialect__ = "mssql"
            command_terminator = ""

    with offline("mssql") as (operations, sink):
        assert type(operations.impl) is MSSQLImpl
        operations.execute("UPDATE account SET age = 1")
    assert "UPDATE account SET age = 1" in sink.script


def test_default_impl_subclass_transactional_ddl_flag_is_honoured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Alembic impls say whether DDL is transactional with a `transactional_ddl` class flag."""
    monkeypatch.setattr(distill.dialects.base, "_registry", dict(distill.dialects.base._registry))
    with compat.alembic_names():
        from alembic.ddl.impl import DefaultImpl

        class TransactionalMSSQLImpl(DefaultImpl):  # type: ignore[misc, valid-type]
            __dialect__ = "mssql"
            transactional_ddl = True

    with offline("mssql") as (operations, _):
        assert type(operations.impl) is TransactionalMSSQLImpl
        assert operations.impl.transactional_ddl is True


# --- an operation written for Alembic's plugin API, run by both tools ---

CUSTOM_OPS = '''
"""Custom directives, as Alembic's "Operation Plugins" documentation writes them."""
from alembic.operations import MigrateOperation, Operations


@Operations.register_operation("create_view")
class CreateViewOp(MigrateOperation):
    def __init__(self, view_name, select):
        self.view_name = view_name
        self.select = select

    @classmethod
    def create_view(cls, operations, view_name, select, **kw):
        return operations.invoke(cls(view_name, select, **kw))

    def reverse(self):
        return DropViewOp(self.view_name, self.select)


@Operations.register_operation("drop_view", "drop_it")
class DropViewOp(MigrateOperation):
    def __init__(self, view_name, select=None):
        self.view_name = view_name
        self.select = select

    @classmethod
    def drop_it(cls, operations, view_name):
        return operations.invoke(cls(view_name))

    def reverse(self):
        return CreateViewOp(self.view_name, self.select)


@Operations.implementation_for(CreateViewOp)
def create_view(operations, operation):
    operations.execute(f"CREATE VIEW {operation.view_name} AS {operation.select}")


@Operations.implementation_for(DropViewOp)
def drop_view(operations, operation):
    operations.execute(f"DROP VIEW {operation.view_name}")
'''

VIEW_REVISIONS = [
    Rev(
        "v1000000",
        (),
        "account and its adults view",
        upgrade="""
op.create_table(
    "account",
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("age", sa.Integer(), nullable=False),
)
op.execute("INSERT INTO account (id, age) VALUES (1, 12), (2, 40)")
op.create_view("adults", "SELECT id FROM account WHERE age >= 18")
""",
        downgrade="""
op.drop_view("adults")
op.drop_table("account")
""",
    ),
    Rev(
        "v2000000",
        ("v1000000",),
        "seniors view, dropped through reverse()",
        preamble="from custom_ops import CreateViewOp",
        upgrade='op.create_view("seniors", "SELECT id FROM account WHERE age >= 65")',
        downgrade='op.invoke(CreateViewOp("seniors", "").reverse())',
    ),
]


def test_custom_operation_from_alembics_plugin_api_runs_under_distill(
    new_database: DatabaseFactory, tmp_path: Path
) -> None:
    urls = {"alembic": new_database("sqlite"), "distill": new_database("sqlite")}
    projects = {}
    for tool, url in urls.items():
        projects[tool] = make_project(
            tmp_path / tool, url, VIEW_REVISIONS, env_preamble="import custom_ops  # noqa"
        )
        (projects[tool] / "custom_ops.py").write_text(CUSTOM_OPS)

    views_after = {"upgrade": {"adults", "seniors"}, "downgrade -1": {"adults"}, "base": set()}
    for command in (["upgrade", "head"], ["downgrade", "-1"], ["downgrade", "base"]):
        for tool in ("alembic", "distill"):
            run(tool, projects[tool], *command)
        expected, actual = (
            (snapshot(urls[tool]), database_objects(urls[tool])) for tool in ("alembic", "distill")
        )
        assert actual == expected, command
        label = "base" if command[1] == "base" else " ".join(command).replace(" head", "")
        assert set(actual[1]["views"]) == views_after[label]
