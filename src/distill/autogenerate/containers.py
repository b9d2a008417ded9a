"""The containers autogenerate fills with op objects, as plugins and rewriters see them.

A MigrationScript holds an UpgradeOps and a DowngradeOps; those hold ops and
ModifyTableOps (the ops on one table). The lists are plain and mutable on purpose:
plugins and `process_revision_directives` hooks insert, remove and replace ops in place.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from distill.operations.ops import MigrateOperation


class OpContainer(MigrateOperation):
    """A list of op objects."""

    def __init__(self, ops: Sequence[MigrateOperation] = ()) -> None:
        self.ops: list[MigrateOperation] = list(ops)

    def is_empty(self) -> bool:
        """True when there is nothing to do."""
        return not self.ops

    def as_diffs(self) -> list[Any]:
        """Alembic's diff tuples of every op, nested containers flattened."""
        return list(_diffs(self))

    def describe(self) -> str:
        """One line saying what the container holds."""
        count = len(self.ops)
        return f"{type(self).__name__} with {count} op{'' if count == 1 else 's'}"


def _diffs(container: OpContainer) -> Iterator[Any]:
    for op in container.ops:
        if isinstance(op, OpContainer):
            yield from _diffs(op)
        else:
            diff = op.to_diff_tuple()
            # a column alteration is a group of modify_* tuples, which Alembic lists
            yield list(diff) if diff and isinstance(diff[0], tuple) else diff


def _reversed_ops(ops: Sequence[MigrateOperation]) -> list[MigrateOperation]:
    return [op.reverse() for op in reversed(ops)]


class ModifyTableOps(OpContainer):
    """The ops that change one table."""

    def __init__(
        self, table_name: str, ops: Sequence[MigrateOperation], *, schema: str | None = None
    ) -> None:
        super().__init__(ops)
        self.table_name = table_name
        self.schema = schema

    def reverse(self) -> ModifyTableOps:
        """The reversed ops, in reverse order."""
        return ModifyTableOps(self.table_name, _reversed_ops(self.ops), schema=self.schema)


class UpgradeOps(OpContainer):
    """What a revision's upgrade() does; `upgrade_token` names its template variable."""

    def __init__(
        self, ops: Sequence[MigrateOperation] = (), upgrade_token: str = "upgrades"
    ) -> None:
        super().__init__(ops)
        self.upgrade_token = upgrade_token

    def reverse_into(self, downgrade_ops: DowngradeOps) -> DowngradeOps:
        """Fill `downgrade_ops` with the reverse of these ops and return it."""
        downgrade_ops.ops[:] = _reversed_ops(self.ops)
        return downgrade_ops

    def reverse(self) -> DowngradeOps:
        """The downgrade that undoes these ops."""
        return self.reverse_into(DowngradeOps(ops=[]))


class DowngradeOps(OpContainer):
    """What a revision's downgrade() does; `downgrade_token` names its template variable."""

    def __init__(
        self, ops: Sequence[MigrateOperation] = (), downgrade_token: str = "downgrades"
    ) -> None:
        super().__init__(ops)
        self.downgrade_token = downgrade_token

    def reverse(self) -> UpgradeOps:
        """The upgrade these ops undo."""
        return UpgradeOps(ops=_reversed_ops(self.ops))


class MigrationScript(MigrateOperation):
    """A revision file to be written: its identifiers and its upgrade / downgrade ops.

    `upgrade_ops` / `downgrade_ops` hold one container, or a list of them for
    multi-database templates; `upgrade_ops_list` / `downgrade_ops_list` are always lists.
    """

    def __init__(
        self,
        rev_id: str | None,
        upgrade_ops: UpgradeOps | list[UpgradeOps],
        downgrade_ops: DowngradeOps | list[DowngradeOps],
        *,
        message: str | None = None,
        imports: set[str] | None = None,
        head: str | None = None,
        splice: bool | None = None,
        branch_label: Any = None,
        version_path: str | None = None,
        depends_on: Any = None,
    ) -> None:
        self.rev_id = rev_id
        self.message = message
        self.imports: set[str] = set() if imports is None else imports
        self.head = head
        self.splice = splice
        self.branch_label = branch_label
        self.version_path = version_path
        self.depends_on = depends_on
        self.upgrade_ops = upgrade_ops
        self.downgrade_ops = downgrade_ops

    @property
    def upgrade_ops_list(self) -> list[UpgradeOps]:
        """The upgrade containers, always as a list."""
        ops = self.upgrade_ops
        return list(ops) if isinstance(ops, list) else [ops]

    @property
    def downgrade_ops_list(self) -> list[DowngradeOps]:
        """The downgrade containers, always as a list."""
        ops = self.downgrade_ops
        return list(ops) if isinstance(ops, list) else [ops]

    def describe(self) -> str:
        """One line saying what the script is."""
        return f"Migration script {self.rev_id or '(new)'}: {self.message or 'empty message'}"
