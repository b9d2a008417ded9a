"""Differences that README.md lists as deliberate: recognised by their shape, so the table
tells them apart from the differences nobody has explained yet."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

_INDEX = re.compile(r"^sqlite_master\.index (?P<name>\S+): alembic (?P<a>.*) \| distill (?P<d>.*)$")
_NULLABLE = re.compile(r"^tables\.[^.]+\.columns\.[^.]+\.nullable: alembic True \| distill False$")
_ORDER_OR_COLLATION = re.compile(r"\s+(?:ASC|DESC|COLLATE\s+\"?\w+\"?)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Deliberate:
    """One kind of deliberate difference: where it applies, how it is told, and why."""

    name: str
    backends: tuple[str, ...]
    matches: Callable[[str], bool]
    reason: str  # the README bullet that lists it
    packages: tuple[str, ...] = ()  # only these packages' histories (all when empty)

    def explains(self, package: str, backend: str, difference: str) -> bool:
        """Whether `difference` (one line of a step of `package` on `backend`) is this kind."""
        if self.packages and package not in self.packages:
            return False
        return backend in self.backends and self.matches(difference)


def _words(sql: str) -> str:
    return " ".join(sql.strip("'\"").split()).casefold()


def _index_kept(difference: str) -> bool:
    """distill kept an index as it was created where Alembic's rebuild recreated it from
    reflection: without ASC/DESC and COLLATE, or not at all for an expression index."""
    match = _INDEX.match(difference)
    if match is None or match["d"] == "(absent)":
        return False
    ours = match["d"]
    if match["a"] == "(absent)":
        columns = ours[ours.find("(") + 1 : ours.rfind(")")]
        return "(" in columns  # an expression: SQLAlchemy cannot reflect it
    return _words(_ORDER_OR_COLLATION.sub("", ours)) == _words(match["a"])


# Airflow 05234396c6fc (rename dataset as asset): batches that rename a column and then
# name it in a new primary key or foreign key; Alembic leaves those out (checked one by one
# against the revision's source, and in tests/operations/test_batch_realworld_keys.py)
_AIRFLOW_RENAMED_THEN_CONSTRAINED = frozenset(
    {
        "tables.asset_alias_asset.primary_key.name: alembic 'dataset_alias_dataset_pkey' | "
        "distill 'asset_alias_asset_pkey'",
        "tables.dag_schedule_dataset_reference.foreign_keys.dsdr_dataset_fkey: alembic (absent) "
        "| distill {'columns': ['dataset_id'], 'referred': 'dataset(id)', 'ondelete': 'CASCADE'}",
        "tables.dag_schedule_dataset_reference.primary_key.name: alembic 'dsar_pkey' | "
        "distill 'dsdr_pkey'",
        "tables.dataset_dag_run_queue.foreign_keys.ddrq_dataset_fkey: alembic (absent) | "
        "distill {'columns': ['dataset_id'], 'referred': 'dataset(id)', 'ondelete': 'CASCADE'}",
        "tables.dataset_dag_run_queue.primary_key.name: alembic 'assetdagrunqueue_pkey' | "
        "distill 'datasetdagrunqueue_pkey'",
        "tables.task_outlet_dataset_reference.foreign_keys.todr_dataset_fkey: alembic (absent) "
        "| distill {'columns': ['dataset_id'], 'referred': 'dataset(id)', 'ondelete': 'CASCADE'}",
        "tables.task_outlet_dataset_reference.primary_key.name: alembic 'toar_pkey' | "
        "distill 'todr_pkey'",
        # its reproduction, realworld/repros/batch_constraint_on_renamed_column.py
        "tables.ref.foreign_keys.dsdr_dataset_fkey: alembic (absent) | distill {'columns': "
        "['dataset_id'], 'referred': 'dataset(id)', 'ondelete': 'CASCADE'}",
        "tables.ref.primary_key.name: alembic 'dsar_pkey' | distill 'dsdr_pkey'",
    }
)

KNOWN: tuple[Deliberate, ...] = (
    Deliberate(
        "sqlite-index-kept",
        ("sqlite",),
        _index_kept,
        "README: SQLite batch rebuilds keep each index as created",
    ),
    Deliberate(
        "mysql-alter-column-keeps-not-null",
        ("mysql",),
        lambda difference: _NULLABLE.match(difference) is not None,
        "README: MySQL/MariaDB alter_column carries the live nullability",
    ),
    Deliberate(
        "batch-constraint-on-renamed-column",
        ("sqlite",),
        lambda difference: difference in _AIRFLOW_RENAMED_THEN_CONSTRAINED,
        "README: a SQLite batch creates a constraint on a column it renamed earlier",
        packages=("airflow", "batch_constraint_on_renamed_column"),
    ),
)


def split(package: str, backend: str, differences: Sequence[str]) -> tuple[list[str], list[str]]:
    """(unexplained differences, deliberate ones marked with their reason)."""
    unexplained: list[str] = []
    explained: list[str] = []
    for difference in differences:
        kind = next((k for k in KNOWN if k.explains(package, backend, difference)), None)
        if kind is None:
            unexplained.append(difference)
        else:
            explained.append(f"deliberate ({kind.reason}): {difference}")
    return unexplained, explained
