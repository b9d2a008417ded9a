"""Parity with Alembic 1.20.1: for the same models and database, distill's comparison
yields the same diffs and op objects, apart from the deliberate differences (enum types,
check constraints, renames), and its Python API has Alembic's signatures."""

from __future__ import annotations

import inspect
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa
from support.autogen import alembic_diffs, connect, create, distill_diffs, normalised, produce
from support.autogen_models import rich_target

import distill.autogenerate as ours
from distill.autogenerate import api as our_api


def _before() -> sa.MetaData:
    metadata = sa.MetaData()
    sa.Table(
        "user",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50)),
        sa.Column("age", sa.Integer, index=True),
        sa.Column("gone", sa.Integer),
    )
    sa.Table(
        "legacy",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uid", sa.Integer, sa.ForeignKey("user.id")),
    )
    return metadata


def _after() -> sa.MetaData:
    metadata = sa.MetaData(naming_convention={"ix": "ix_%(column_0_label)s"})
    sa.Table(
        "user",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("email", sa.String(200), index=True, unique=True),
        sa.Column("age", sa.Integer),
        sa.Column("created", sa.DateTime(timezone=True)),
        comment="people",
    )
    sa.Table(
        "post",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("user.id", ondelete="CASCADE")),
        sa.Column("body", sa.Text),
        sa.Column("price", sa.Numeric(10, 2)),
        sa.Column("data", sa.JSON),
        sa.Index("ix_post_body_price", "body", "price"),
    )
    return metadata


def _flat_op_names(script: Any) -> Counter[str]:
    names: Counter[str] = Counter()

    def walk(container: Any) -> None:
        for op in container.ops:
            if hasattr(op, "ops"):
                walk(op)
            elif type(op).__name__ != "EnumChangeOp":
                names[type(op).__name__] += 1

    walk(script.upgrade_ops_list[0])
    return names


def _alembic_op_names(url: str, metadata: Any) -> Counter[str]:
    from alembic.autogenerate import produce_migrations
    from alembic.runtime.migration import MigrationContext

    with connect(url) as connection:
        context = MigrationContext.configure(connection, opts={"target_metadata": metadata})
        return _flat_op_names(produce_migrations(context, metadata))


def test_changes_to_existing_tables_match_alembic(db_url: str) -> None:
    create(db_url, _before())
    after = _after()
    theirs = normalised(alembic_diffs(db_url, after))
    assert normalised(distill_diffs(db_url, after)) == theirs
    assert len(theirs) >= 8
    assert _flat_op_names(produce(db_url, after)) == _alembic_op_names(db_url, after)


def test_rich_schema_from_empty_database_matches_alembic(backend: str, db_url: str) -> None:
    target = rich_target(backend)
    theirs = normalised(alembic_diffs(db_url, target))
    mine = [d for d in normalised(distill_diffs(db_url, target)) if d[0] != "add_enum"]
    assert mine == theirs
    assert _flat_op_names(produce(db_url, target)) == _alembic_op_names(db_url, target)


def _parameters(function: Any) -> list[tuple[str, Any, Any]]:
    signature = inspect.signature(function)
    return [
        (name, parameter.kind, parameter.default)
        for name, parameter in signature.parameters.items()
        if parameter.kind is not inspect.Parameter.KEYWORD_ONLY
    ]


@pytest.mark.parametrize(
    "name", ["compare_metadata", "produce_migrations", "render_python_code", "render_op_text"]
)
def test_functions_have_alembic_signatures(name: str) -> None:
    import alembic.autogenerate as theirs

    assert _parameters(getattr(ours, name)) == _parameters(getattr(theirs, name))


def test_contexts_have_alembic_signatures() -> None:
    from alembic.autogenerate import api as their_api

    for cls in ("AutogenContext", "RevisionContext"):
        assert _parameters(getattr(our_api, cls).__init__) == _parameters(
            getattr(their_api, cls).__init__
        )
    for method in ("run_name_filters", "run_object_filters", "run_filters"):
        assert _parameters(getattr(ours.AutogenContext, method)) == _parameters(
            getattr(their_api.AutogenContext, method)
        )
