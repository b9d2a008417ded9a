"""The published packages whose Alembic histories the suite runs, and how to run each."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


def _no_environment(url: str) -> dict[str, str]:
    """Packages whose env.py reads the URL from alembic.ini need no variables."""
    return {}


@dataclass(frozen=True)
class PackageSpec:
    """One package: what to install, where its migrations are, how its env.py runs."""

    name: str  # the name on the command line
    distribution: str  # the installed distribution's name, lower case
    requirement: str  # what pip installs (pinned, so runs compare across days)
    script_location: str  # folder with env.py, relative to site-packages
    env_note: str  # which env.py runs, and why
    extras: tuple[str, ...] = ()  # more requirements, e.g. the driver the package expects
    backends: tuple[str, ...] = ("sqlite", "postgresql", "mysql")
    version_locations: dict[str, tuple[str, ...]] = field(default_factory=dict)  # per backend
    env_py: str | None = None  # file in realworld/envs/ when the package's cannot run alone
    prepare: str = ""  # Python run in the venv on each fresh database (URL in sys.argv[1])
    env_imports: tuple[str, ...] = ()  # modules our env.py imports, as the package's env.py does
    drivers: dict[str, str] = field(default_factory=dict)  # backend -> DBAPI driver name
    environment: Callable[[str], dict[str, str]] = _no_environment  # URL -> variables
    version_table: str = "alembic_version"
    downgrade_floor: str = "base"  # the lowest revision the history can go down to
    floor_overrides: dict[str, str] = field(default_factory=dict)  # per backend, when it differs
    floor_note: str = ""  # why the floor is not base
    volatile: tuple[str, ...] = ()  # table.column values that differ run to run (now())

    def floor(self, backend: str) -> str:
        """The revision `downgrade` goes to on `backend`."""
        return self.floor_overrides.get(backend, self.downgrade_floor)


def _airflow_environment(url: str) -> dict[str, str]:
    """Airflow's env.py connects through its settings, read from the environment."""
    name = url.rsplit("/", 1)[-1].replace(".db", "")
    return {
        "AIRFLOW_HOME": str(Path(tempfile.gettempdir()) / f"distill-realworld-airflow-{name}"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": url,
        "AIRFLOW__CORE__LOAD_EXAMPLES": "false",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "false",
    }


_MLFLOW_INITIAL_TABLES = """
import sys
import sqlalchemy as sa
from mlflow.store.tracking.dbmodels.initial_models import Base
engine = sa.create_engine(sys.argv[1])
Base.metadata.create_all(engine)
engine.dispose()
"""


def _prefect_environment(url: str) -> dict[str, str]:
    """Prefect's env.py takes the database from its settings, read from the environment."""
    home = Path(url.rsplit("/", 1)[-1]).name
    return {
        "PREFECT_API_DATABASE_CONNECTION_URL": url,
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": url,
        "PREFECT_HOME": str(Path(tempfile.gettempdir()) / f"distill-realworld-prefect-{home}"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }


PACKAGES: tuple[PackageSpec, ...] = (
    PackageSpec(
        name="optuna",
        distribution="optuna",
        requirement="optuna==5.1.0",
        script_location="optuna/storages/_rdb/alembic",
        env_note="the package's own (URL from alembic.ini; render_as_batch)",
        downgrade_floor="v3.0.0.c",
        floor_note=(
            "v3.0.0.c's downgrade raises AttributeError (IntermediateValueModel has no "
            "FloatTypeEnum) under both tools"
        ),
    ),
    PackageSpec(
        name="mlflow",
        distribution="mlflow",
        requirement="mlflow==3.17.2",
        script_location="mlflow/store/db_migrations",
        env_note=(
            "the package's own (URL from alembic.ini; render_as_batch); its first revision "
            "expects the tables MLflow creates from initial_models before migrating, so the "
            "suite creates them the same way on both databases first"
        ),
        prepare=_MLFLOW_INITIAL_TABLES,
        downgrade_floor="bda7b8c39065",
        floor_overrides={"sqlite": "c8d9e0f1a2b3", "mysql": "dc11669786a5"},
        floor_note=(
            "bda7b8c39065: the downgrades of the 30 revisions below it are `pass`, so a round "
            "trip through them cannot work under either tool (PostgreSQL also refuses "
            "2b4d017a5e9b's downgrade: registered_models is still referenced). SQLite: "
            "c8d9e0f1a2b3, whose downgrade Alembic cannot run (its batch copies the generated "
            "column spans.duration_ns: cannot INSERT into generated column). MariaDB: head "
            "dc11669786a5 itself cannot be downgraded (it drops index_job_locks_job_id, which "
            "a foreign key needs); both tools fail alike"
        ),
    ),
    PackageSpec(
        name="prefect",
        distribution="prefect",
        requirement="prefect==3.9.1",
        script_location="prefect/server/database/_migrations",
        env_note=(
            "ours (realworld/envs/async_env.py): Prefect's env.py runs only inside Prefect's "
            "worker threads (NoEventLoopError otherwise); ours does what it does at its core: "
            "async engine, run_sync, transaction_per_migration, render_as_batch on SQLite, "
            "the per-dialect versions folder, and imports the modules Prefect's env.py imports"
        ),
        env_py="async_env.py",
        env_imports=("prefect.server.database.dependencies", "prefect.server.utilities.database"),
        version_locations={
            "sqlite": ("prefect/server/database/_migrations/versions/sqlite",),
            "postgresql": ("prefect/server/database/_migrations/versions/postgresql",),
        },
        backends=("sqlite", "postgresql"),
        drivers={"sqlite": "aiosqlite", "postgresql": "asyncpg"},
        environment=_prefect_environment,
    ),
    PackageSpec(
        name="airflow",
        distribution="apache-airflow",
        requirement="apache-airflow==3.3.2",
        script_location="airflow/migrations",
        env_note=(
            "the package's own (connection from Airflow's settings, "
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN; transaction_per_migration, render_as_batch)"
        ),
        backends=("sqlite", "postgresql"),
        extras=("psycopg2-binary",),
        drivers={"postgresql": "psycopg2"},
        environment=_airflow_environment,
        downgrade_floor="4bc4d934e2bc",
        floor_note=(
            "the squashed initial revision 4bc4d934e2bc (Airflow 2.6.2) cannot be downgraded: "
            "its downgrade drops index sm_dag, which no longer exists (both tools)"
        ),
        volatile=("log_template.created_at",),
    ),
)


def by_name(names: list[str] | None) -> list[PackageSpec]:
    """The specs named (all when `names` is empty); unknown names raise ValueError."""
    if not names:
        return list(PACKAGES)
    known = {spec.name: spec for spec in PACKAGES}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"unknown package(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return [known[name] for name in names]
