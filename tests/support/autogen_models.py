"""A rich schema for the "second run is empty" matrix: what each database can hold."""

from __future__ import annotations

import enum
import uuid
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql
from sqlmodel import Field, SQLModel

CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Status(enum.Enum):
    """An enum whose names become the database enum's values."""

    draft = "draft"
    published = "published"


class Author(SQLModel, table=True):
    """A SQLModel model: AutoString columns, an Optional primary key."""

    __tablename__ = "author"
    id: Optional[int] = Field(default=None, primary_key=True)  # noqa: UP045
    name: str = Field(index=True)
    email: Optional[str] = Field(default=None, unique=True)  # noqa: UP045


class Book(SQLModel, table=True):
    """A SQLModel model pointing at another."""

    __tablename__ = "book"
    id: Optional[int] = Field(default=None, primary_key=True)  # noqa: UP045
    title: str
    author_id: Optional[int] = Field(default=None, foreign_key="author.id")  # noqa: UP045


def rich_metadata(backend: str) -> sa.MetaData:
    """Tables using every feature `backend` supports, under a naming convention."""
    metadata = sa.MetaData(naming_convention=CONVENTION)
    account = sa.Table(
        "account",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(120), nullable=False, unique=True, comment="login"),
        sa.Column("status", sa.Enum(Status, name="status"), nullable=False, server_default="draft"),
        sa.Column("balance", sa.Numeric(12, 2), nullable=False, server_default="0"),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created", sa.DateTime(timezone=True), server_default=sa.func.now()),
        sa.Column("note", sa.Text, server_default=sa.text("'none'")),
        sa.Column("settings", sa.JSON),
        sa.Column("token", sa.Uuid, default=uuid.uuid4),
        sa.Column("score", sa.Float),
        sa.Column("doubled", sa.Integer, sa.Computed("id * 2")),
        sa.CheckConstraint("balance >= 0", name="balance_positive"),
        comment="people who log in",
    )
    sa.Index(None, account.c.status, account.c.created)
    sa.Table(
        "entry",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "account_id",
            sa.Integer,
            sa.ForeignKey("account.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("entry.id")),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("amount", sa.Numeric(10, 2)),
        sa.UniqueConstraint("account_id", "title", name="uq_entry_account_title"),
        sa.Index("ix_entry_amount_title", "amount", "title"),
    )
    entry = metadata.tables["entry"]
    if backend in ("postgresql", "sqlite"):
        sa.Index(
            "ix_entry_big",
            entry.c.amount,
            postgresql_where=entry.c.amount > 100,
            sqlite_where=entry.c.amount > 100,
        )
    if backend == "postgresql":
        sa.Index("ix_entry_lower_title", sa.func.lower(entry.c.title))
        sa.Table(
            "pg_extra",
            metadata,
            sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
            sa.Column("tags", postgresql.ARRAY(sa.String(30))),
            sa.Column("doc", postgresql.JSONB, server_default=sa.text("'{}'::jsonb")),
            sa.Column(
                "ref", postgresql.UUID(as_uuid=True), server_default=sa.text("gen_random_uuid()")
            ),
            sa.Column("span", sa.Interval),
            sa.Column("kind", postgresql.ENUM("x", "y", name="pg_kind")),
            sa.Index("ix_pg_extra_doc", "doc", postgresql_using="gin"),
        )
    if backend == "mysql":
        sa.Table(
            "my_extra",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("body", sa.String(500)),
            sa.Column("flags", mysql.SET("a", "b")),
            sa.Column("tiny", mysql.TINYINT(unsigned=True)),
            sa.Index("ix_my_extra_body", "body", mysql_length=20),
        )
    return metadata


def rich_target(backend: str) -> list[sa.MetaData]:
    """The rich tables and the SQLModel models: a list of MetaData, as Alembic allows."""
    return [rich_metadata(backend), SQLModel.metadata]
