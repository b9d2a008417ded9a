"""Ops adding and dropping constraints: unique, primary key, check, foreign key, exclude."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.sql.base import _NoneName
from sqlalchemy.sql.elements import ColumnElement, TextClause, conv

from distill.errors import DistillError
from distill.operations.ops.base import MigrateOperation, NotReversible, qualified_name, sql_text
from distill.operations.schema_objects import (
    SupportsOpts,
    attach,
    build_exclude_constraint,
    build_foreign_key,
    build_generic_constraint,
    metadata_for,
    rebind,
    stand_in_table,
)


class AddConstraintOp(MigrateOperation):
    """Base of the ops that add a constraint to an existing table."""

    constraint_type: ClassVar[str] = ""
    # which op class builds itself from which kind of SQLAlchemy constraint
    _by_constraint_class: ClassVar[dict[type[sa.Constraint], type[AddConstraintOp]]] = {}

    if TYPE_CHECKING:
        constraint_name: str | None
        table_name: str
        schema: str | None

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        kind = cls.__dict__.get("_constraint_class")
        if kind is not None:
            AddConstraintOp._by_constraint_class[kind] = cls

    @classmethod
    def from_constraint(cls, constraint: sa.Constraint) -> AddConstraintOp:
        """The op that adds `constraint` (which must belong to a Table)."""
        if type(constraint).__name__ == "ExcludeConstraint":  # PostgreSQL's, loaded lazily
            return CreateExcludeConstraintOp.build_from(constraint)
        for klass in type(constraint).__mro__:
            builder = AddConstraintOp._by_constraint_class.get(klass)
            if builder is not None:
                return builder.build_from(constraint)
        raise DistillError(
            f"no operation adds a {type(constraint).__name__}; use op.execute() with its SQL"
        )

    @classmethod
    def build_from(cls, constraint: sa.Constraint) -> AddConstraintOp:
        """This op built from a SQLAlchemy constraint of its kind."""
        raise NotImplementedError(f"{cls.__name__} cannot be built from a constraint")

    def to_constraint(self, migration_context: SupportsOpts | None = None) -> sa.Constraint:
        """The constraint on a stand-in table, named by the configured convention."""
        raise NotImplementedError

    def reverse(self) -> DropConstraintOp:
        """Drop the constraint again (by the name it was given or the convention gives)."""
        return DropConstraintOp(
            self.constraint_name,
            self.table_name,
            type_=_DROP_TYPES.get(self.constraint_type),
            schema=self.schema,
            _reverse=self,
        )

    def describe(self) -> str:
        """One line saying what the op does."""
        kind = self.constraint_type or "constraint"
        name = self.constraint_name or "(unnamed)"
        return f"Create {kind} constraint {name} on {qualified_name(self.table_name, self.schema)}"

    def to_diff_tuple(self) -> tuple[Any, ...]:
        """Alembic's autogenerate diff form of the op."""
        return ("add_constraint", self.to_constraint())


def _table_of(constraint: sa.Constraint) -> sa.Table:
    table = getattr(constraint, "parent", None)
    if not isinstance(table, sa.Table):
        raise DistillError(
            f"constraint {constraint.name!r} belongs to no table; attach it to a Table first"
        )
    return table


def _final_name(name: Any) -> str | None:
    """A constraint's name as given, None when the convention is still to name it."""
    if name is None or isinstance(name, _NoneName):
        return None
    return str(name) if not isinstance(name, conv) else name


@dataclass(frozen=True, eq=False, init=False)
class _ColumnListConstraintOp(AddConstraintOp):
    """Shared shape of the constraints made of a list of columns (unique, primary key)."""

    _constraint_class: ClassVar[type[sa.Constraint]]

    constraint_name: str | None
    table_name: str
    columns: tuple[str, ...]
    schema: str | None
    kw: dict[str, Any]

    def __init__(
        self,
        constraint_name: str | None,
        table_name: str,
        columns: Sequence[str],
        *,
        schema: str | None = None,
        **kw: Any,
    ) -> None:
        self._init(
            constraint_name=constraint_name,
            table_name=table_name,
            columns=tuple([columns] if isinstance(columns, str) else columns),
            schema=schema,
            kw=kw,
        )

    @classmethod
    def build_from(cls, constraint: sa.Constraint) -> _ColumnListConstraintOp:
        table = _table_of(constraint)
        assert isinstance(constraint, cls._constraint_class)
        return cls(
            _final_name(constraint.name),
            table.name,
            [column.name for column in constraint.columns],  # type: ignore[attr-defined]
            schema=table.schema,
            **cls._options_of(constraint),
        )

    @classmethod
    def _options_of(cls, constraint: sa.Constraint) -> dict[str, Any]:
        """The keyword arguments that rebuild `constraint`'s options."""
        return dict(constraint.dialect_kwargs)

    def to_constraint(self, migration_context: SupportsOpts | None = None) -> sa.Constraint:
        """The constraint on a stand-in table."""
        table = stand_in_table(
            metadata_for(migration_context), self.table_name, self.schema, self.columns
        )
        constraint_class: Any = self._constraint_class
        return attach(constraint_class(*self.columns, name=self.constraint_name, **self.kw), table)


@dataclass(frozen=True, eq=False, init=False)
class CreateUniqueConstraintOp(_ColumnListConstraintOp):
    """ALTER TABLE ... ADD CONSTRAINT ... UNIQUE."""

    constraint_type: ClassVar[str] = "unique"
    _constraint_class: ClassVar[type[sa.Constraint]] = sa.UniqueConstraint

    @classmethod
    def _options_of(cls, constraint: sa.Constraint) -> dict[str, Any]:
        """Dialect options plus DEFERRABLE / INITIALLY."""
        options = dict(constraint.dialect_kwargs)
        if constraint.deferrable:
            options["deferrable"] = constraint.deferrable
        if constraint.initially:
            options["initially"] = constraint.initially
        return options

    def describe(self) -> str:
        """One line saying what the op does."""
        return f"{super().describe()} ({', '.join(self.columns)})"


@dataclass(frozen=True, eq=False, init=False)
class CreatePrimaryKeyOp(_ColumnListConstraintOp):
    """ALTER TABLE ... ADD CONSTRAINT ... PRIMARY KEY."""

    constraint_type: ClassVar[str] = "primarykey"
    _constraint_class: ClassVar[type[sa.Constraint]] = sa.PrimaryKeyConstraint

    def describe(self) -> str:
        """One line saying what the op does."""
        return (
            f"Create primary key {self.constraint_name or '(unnamed)'} on "
            f"{qualified_name(self.table_name, self.schema)} ({', '.join(self.columns)})"
        )


@dataclass(frozen=True, eq=False, init=False)
class CreateCheckConstraintOp(AddConstraintOp):
    """ALTER TABLE ... ADD CONSTRAINT ... CHECK."""

    constraint_type: ClassVar[str] = "check"
    _constraint_class: ClassVar[type[sa.Constraint]] = sa.CheckConstraint

    constraint_name: str | None
    table_name: str
    condition: Any
    schema: str | None
    kw: dict[str, Any]

    def __init__(
        self,
        constraint_name: str | None,
        table_name: str,
        condition: str | TextClause | ColumnElement[Any],
        *,
        schema: str | None = None,
        **kw: Any,
    ) -> None:
        self._init(
            constraint_name=constraint_name,
            table_name=table_name,
            condition=condition,
            schema=schema,
            kw=kw,
        )

    @classmethod
    def build_from(cls, constraint: sa.Constraint) -> CreateCheckConstraintOp:
        table = _table_of(constraint)
        assert isinstance(constraint, sa.CheckConstraint)
        return cls(
            _final_name(constraint.name),
            table.name,
            constraint.sqltext,
            schema=table.schema,
            **constraint.dialect_kwargs,
        )

    def to_constraint(self, migration_context: SupportsOpts | None = None) -> sa.Constraint:
        """The CheckConstraint on a stand-in table."""
        table = stand_in_table(metadata_for(migration_context), self.table_name, self.schema)
        condition = self.condition
        if isinstance(condition, ColumnElement):
            condition = rebind(condition, table)
        constraint = sa.CheckConstraint(condition, name=self.constraint_name, **self.kw)
        return attach(constraint, table)

    def describe(self) -> str:
        """One line saying what the op does."""
        return f"{super().describe()}: {' '.join(sql_text(self.condition).split())}"


@dataclass(frozen=True, eq=False, init=False)
class CreateForeignKeyOp(AddConstraintOp):
    """ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY ... REFERENCES."""

    constraint_type: ClassVar[str] = "foreignkey"
    _constraint_class: ClassVar[type[sa.Constraint]] = sa.ForeignKeyConstraint

    constraint_name: str | None
    source_table: str
    referent_table: str
    local_cols: list[str]
    remote_cols: list[str]
    kw: dict[str, Any]

    def __init__(
        self,
        constraint_name: str | None,
        source_table: str,
        referent_table: str,
        local_cols: list[str],
        remote_cols: list[str],
        **kw: Any,
    ) -> None:
        self._init(
            constraint_name=constraint_name,
            source_table=source_table,
            referent_table=referent_table,
            local_cols=list(local_cols),
            remote_cols=list(remote_cols),
            kw=kw,
        )

    @property
    def table_name(self) -> str:  # type: ignore[override]
        """The table holding the foreign key."""
        return self.source_table

    @property
    def schema(self) -> str | None:  # type: ignore[override]
        """The schema of the table holding the foreign key."""
        return self.kw.get("source_schema")

    @classmethod
    def build_from(cls, constraint: sa.Constraint) -> CreateForeignKeyOp:
        table = _table_of(constraint)
        assert isinstance(constraint, sa.ForeignKeyConstraint)
        kw: dict[str, Any] = dict(constraint.dialect_kwargs)
        for option in ("onupdate", "ondelete", "initially", "deferrable", "use_alter", "match"):
            value = getattr(constraint, option)
            if value:
                kw[option] = value
        first = constraint.elements[0]
        prefix = first.target_fullname.rsplit(".", 1)[0]
        referent_schema, _, referent = prefix.rpartition(".")
        return cls(
            _final_name(constraint.name),
            table.name,
            referent,
            [element.parent.name for element in constraint.elements],
            [element.target_fullname.rsplit(".", 1)[1] for element in constraint.elements],
            source_schema=table.schema,
            referent_schema=referent_schema or None,
            **kw,
        )

    def to_constraint(self, migration_context: SupportsOpts | None = None) -> sa.Constraint:
        """The ForeignKeyConstraint between stand-in tables."""
        return build_foreign_key(
            metadata_for(migration_context),
            self.constraint_name,
            self.source_table,
            self.referent_table,
            self.local_cols,
            self.remote_cols,
            **self.kw,
        )

    def describe(self) -> str:
        """One line saying what the op does."""
        referent = qualified_name(self.referent_table, self.kw.get("referent_schema"))
        return (
            f"Create foreign key {self.constraint_name or '(unnamed)'} on "
            f"{qualified_name(self.source_table, self.schema)} ({', '.join(self.local_cols)}) "
            f"-> {referent} ({', '.join(self.remote_cols)})"
        )

    def to_diff_tuple(self) -> tuple[Any, ...]:
        """Alembic's autogenerate diff form of the op."""
        return ("add_fk", self.to_constraint())


@dataclass(frozen=True, eq=False, init=False)
class CreateExcludeConstraintOp(AddConstraintOp):
    """ALTER TABLE ... ADD CONSTRAINT ... EXCLUDE (PostgreSQL)."""

    constraint_type: ClassVar[str] = "exclude"

    constraint_name: str | None
    table_name: str
    elements: tuple[tuple[Any, str], ...]
    where: Any
    schema: str | None
    _orig_constraint: sa.Constraint | None
    kw: dict[str, Any]

    def __init__(
        self,
        constraint_name: str | None,
        table_name: str,
        elements: Sequence[tuple[Any, str]],
        where: Any = None,
        schema: str | None = None,
        _orig_constraint: sa.Constraint | None = None,
        **kw: Any,
    ) -> None:
        self._init(
            constraint_name=constraint_name,
            table_name=table_name,
            elements=tuple(tuple(element) for element in elements),
            where=where,
            schema=schema,
            _orig_constraint=_orig_constraint,
            kw=kw,
        )

    def to_constraint(self, migration_context: SupportsOpts | None = None) -> sa.Constraint:
        """The ExcludeConstraint on a stand-in table."""
        return build_exclude_constraint(
            metadata_for(migration_context),
            self.constraint_name,
            self.table_name,
            self.elements,
            where=self.where,
            schema=self.schema,
            **self.kw,
        )

    @classmethod
    def build_from(cls, constraint: sa.Constraint) -> CreateExcludeConstraintOp:
        table = _table_of(constraint)
        exprs = getattr(constraint, "_render_exprs", ())
        kw: dict[str, Any] = dict(constraint.dialect_kwargs)
        for option in ("using", "deferrable", "initially", "ops"):
            value = getattr(constraint, option, None)
            if value:
                kw[option] = value
        return cls(
            _final_name(constraint.name),
            table.name,
            [(expr, operator) for expr, _, operator in exprs],
            where=getattr(constraint, "where", None),
            schema=table.schema,
            _orig_constraint=constraint,
            **kw,
        )

    def reverse(self) -> DropConstraintOp:
        """Drop the constraint again."""
        return DropConstraintOp(
            self.constraint_name, self.table_name, schema=self.schema, _reverse=self
        )

    def describe(self) -> str:
        """One line saying what the op does."""
        table = qualified_name(self.table_name, self.schema)
        return f"Create exclude constraint {self.constraint_name or '(unnamed)'} on {table}"


# drop_constraint's type_ for each kind of constraint an op adds
_DROP_TYPES = {
    "unique": "unique",
    "primarykey": "primary",
    "check": "check",
    "foreignkey": "foreignkey",
}


@dataclass(frozen=True, eq=False, init=False)
class DropConstraintOp(MigrateOperation):
    """ALTER TABLE ... DROP CONSTRAINT; reversible when the dropped constraint is known."""

    constraint_name: str | None
    table_name: str
    constraint_type: str | None
    schema: str | None
    if_exists: bool | None
    _reverse: AddConstraintOp | None

    def __init__(
        self,
        constraint_name: str | None,
        table_name: str,
        type_: str | None = None,
        *,
        schema: str | None = None,
        if_exists: bool | None = None,
        _reverse: AddConstraintOp | None = None,
    ) -> None:
        self._init(
            constraint_name=constraint_name,
            table_name=table_name,
            constraint_type=type_,
            schema=schema,
            if_exists=if_exists,
            _reverse=_reverse,
        )

    @classmethod
    def from_constraint(cls, constraint: sa.Constraint) -> DropConstraintOp:
        """The op that drops `constraint`, remembering it so that the drop can be reversed."""
        add = AddConstraintOp.from_constraint(constraint)
        table = _table_of(constraint)
        return cls(
            _final_name(constraint.name),
            table.name,
            type_=_DROP_TYPES.get(add.constraint_type),
            schema=table.schema,
            _reverse=add,
        )

    def to_constraint(self, migration_context: SupportsOpts | None = None) -> sa.Constraint:
        """The constraint to drop, named as the convention names it (kind from type_)."""
        if self._reverse is not None:
            constraint = self._reverse.to_constraint(migration_context)
            if self.constraint_name not in (None, self._reverse.constraint_name):
                constraint.name = self.constraint_name
            return constraint
        return build_generic_constraint(
            metadata_for(migration_context),
            self.constraint_name,
            self.table_name,
            self.constraint_type,
            schema=self.schema,
        )

    def reverse(self) -> AddConstraintOp:
        """Add the constraint again, if its definition is known."""
        if self._reverse is None:
            raise NotReversible(
                f"{self.describe()}: the constraint's definition is unknown, so it cannot "
                "be re-created; write the downgrade's create_*() call by hand"
            )
        return self._reverse

    def describe(self) -> str:
        """One line saying what the op does."""
        kind = f"{self.constraint_type} " if self.constraint_type else ""
        table = qualified_name(self.table_name, self.schema)
        return f"Drop {kind}constraint {self.constraint_name or '(unnamed)'} on {table}"

    def to_diff_tuple(self) -> tuple[Any, ...]:
        """Alembic's autogenerate diff form of the op."""
        kind = "remove_fk" if self.constraint_type == "foreignkey" else "remove_constraint"
        return (kind, self.to_constraint())
