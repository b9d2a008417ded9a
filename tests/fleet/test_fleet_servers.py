"""`distill fleet` on PostgreSQL databases, PostgreSQL schemas and MariaDB databases."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from support.cli_project import distill
from support.fleet_project import fleet_project, write_targets

RAW_SQL_IN_F3 = (
    'op.create_table("t3", sa.Column("id", sa.Integer, primary_key=True))\n'
    '    op.execute("CREATE TABLE raw3 (id integer)")'
)


def _with_password(url: str) -> str:
    """The URL with a password (the local servers accept any): it must never be printed."""
    return sa.make_url(url).set(password="s3cretpw").render_as_string(hide_password=False)


def _execute(url: str, *statements: str) -> None:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.begin() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)
    engine.dispose()


def _scalars(url: str, query: str) -> list[object]:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.connect() as connection:
        found = list(connection.exec_driver_sql(query).scalars())
    engine.dispose()
    return found


def _versions(url: str, table: str) -> list[object]:
    """The version rows; none when the table is missing (a rolled-back first run)."""
    schema, _, name = table.rpartition(".")
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.connect() as connection:
        exists = sa.inspect(connection).has_table(name, schema=schema or None)
    engine.dispose()
    return _scalars(url, f"SELECT version_num FROM {table}") if exists else []


def _databases(
    new_database: Callable[[str], str], backend: str, count: int
) -> list[tuple[str, str]]:
    # MariaDB refuses a password its root has not got; PostgreSQL (trust) takes any
    secret = _with_password if backend == "postgresql" else str
    return [(f"db{number:02d}", secret(new_database(backend))) for number in range(count)]


def _fleet_over_databases(tmp_path: Path, new_database: Callable[[str], str], backend: str) -> None:
    targets = _databases(new_database, backend, 10 if backend == "postgresql" else 4)
    broken_name, broken_url = targets[1]
    _execute(broken_url, "CREATE TABLE t2 (id integer)")
    project = fleet_project(tmp_path, targets[0][1])
    listing = write_targets(project, [f"{name} {url}" for name, url in targets])
    result = distill(
        project, "fleet", "upgrade", "head", "--targets", str(listing), "--keep-going",
        "--jobs", "2",
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "s3cretpw" not in output and "Traceback" not in output
    lines = result.stdout.splitlines()[:-1]
    failed = [line for line in lines if "failed" in line.split("  ")[-1]]
    assert [line.split()[0] for line in failed] == [broken_name], result.stdout
    for name, url in targets:
        # the broken target: f1 committed (one transaction per revision), f2 refused
        expected = ["f1"] if name == broken_name else ["f3"]
        assert _versions(url, "alembic_version") == expected, name
    current = distill(project, "fleet", "current", "--targets", str(listing), "--format", "json")
    assert current.returncode == 0, current.stderr
    assert "s3cretpw" not in current.stdout
    states = {entry["name"]: entry["state"] for entry in json.loads(current.stdout)["targets"]}
    assert states.pop(broken_name) == "behind" and set(states.values()) == {"at head"}


def test_ten_postgresql_databases_one_broken(
    tmp_path: Path, new_database: Callable[[str], str]
) -> None:
    _fleet_over_databases(tmp_path, new_database, "postgresql")


def test_mariadb_databases_one_broken(tmp_path: Path, new_database: Callable[[str], str]) -> None:
    _fleet_over_databases(tmp_path, new_database, "mysql")


def test_ten_postgresql_schemas_run_the_same_revisions_in_each(tmp_path: Path, pg_url: str) -> None:
    url = _with_password(pg_url)
    schemas = [f"tenant_{number:02d}" for number in range(10)]
    _execute(url, *(f"CREATE SCHEMA {schema}" for schema in [*schemas, "other"]))
    _execute(url, "CREATE TABLE tenant_05.t2 (id integer)")
    project = fleet_project(tmp_path, url, third=RAW_SQL_IN_F3)
    result = distill(
        project, "fleet", "upgrade", "head", "--schemas", "tenant_*", "--keep-going",
        "--jobs", "2",
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "s3cretpw" not in output
    assert result.stdout.splitlines()[-1].startswith("10 target(s): 9 ok, 1 failed")
    failed = next(line for line in result.stdout.splitlines() if line.startswith("tenant_05"))
    assert "t2" in failed and "already exists" in failed
    for schema in schemas:
        expected = ["f1"] if schema == "tenant_05" else ["f3"]  # f1 committed, f2 refused
        rows = _versions(url, f"{schema}.alembic_version")
        assert rows == expected, schema
        tables = _scalars(
            url,
            "SELECT table_name FROM information_schema.tables "
            f"WHERE table_schema = '{schema}' ORDER BY table_name",
        )
        if schema != "tenant_05":
            assert tables == ["alembic_version", "distill_log", "raw3", "t1", "t2", "t3"], schema
    public = _scalars(
        url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    )
    assert public == []  # nothing leaked into the database's own schema
    assert _scalars(
        url, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'other'"
    ) == [0]

    listing = write_targets(project, [f"{url}#tenant_03", f"{url}#tenant_05"])
    current = distill(project, "fleet", "current", "--targets", str(listing))
    assert current.returncode == 0, current.stderr
    assert "tenant_03" in current.stdout and "behind: tenant_05" in current.stdout
    assert "s3cretpw" not in current.stdout + current.stderr
    down = distill(project, "fleet", "downgrade", "f2", "--targets", str(listing))
    assert down.returncode == 1  # tenant_05 is at f1: "downgrading" it to f2 is an error
    assert _scalars(url, "SELECT version_num FROM tenant_03.alembic_version") == ["f2"]


def test_a_missing_schema_is_one_line_in_the_summary(tmp_path: Path, pg_url: str) -> None:
    project = fleet_project(tmp_path, pg_url)
    listing = write_targets(project, [f"{pg_url}#nope"])
    result = distill(project, "fleet", "upgrade", "head", "--targets", str(listing))
    assert result.returncode == 1
    assert "schema 'nope' does not exist" in result.stdout


def test_schemas_on_sqlite_are_refused_in_the_summary(tmp_path: Path) -> None:
    project = fleet_project(tmp_path)
    listing = write_targets(project, [f"sqlite:///{tmp_path / 'a.db'}#tenant"])
    result = distill(project, "fleet", "upgrade", "head", "--targets", str(listing))
    assert result.returncode == 1
    assert "sqlite has no schemas to run a tenant in" in result.stdout


def test_fleet_check_compares_each_schema_with_the_models(tmp_path: Path, pg_url: str) -> None:
    _execute(pg_url, "CREATE SCHEMA ta", "CREATE SCHEMA tb")
    project = fleet_project(tmp_path, pg_url)
    env = project / "migrations" / "env.py"
    env.write_text(
        env.read_text().replace(
            "target_metadata = None",
            "import sqlalchemy as sa\n"
            "target_metadata = sa.MetaData()\n"
            "for _n in (1, 2, 3):\n"
            "    sa.Table(f't{_n}', target_metadata,"
            " sa.Column('id', sa.Integer, primary_key=True))",
        )
    )
    assert distill(project, "fleet", "upgrade", "head", "--schemas", "t?").returncode == 0
    _execute(pg_url, "ALTER TABLE tb.t1 ADD COLUMN extra integer")
    result = distill(project, "fleet", "check", "--schemas", "t?")
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("ta") and lines[0].endswith("ok")
    assert "differs" in lines[1] and "remove column t1.extra" in lines[2]


def test_fleet_verify_reads_the_log_in_each_schema(tmp_path: Path, pg_url: str) -> None:
    _execute(pg_url, "CREATE SCHEMA va", "CREATE SCHEMA vb")
    project = fleet_project(tmp_path, pg_url)
    assert distill(project, "fleet", "upgrade", "f2", "--schemas", "v?").returncode == 0
    one = write_targets(project, [f"vb {pg_url}#vb"])
    assert distill(project, "fleet", "upgrade", "head", "--targets", str(one)).returncode == 0
    f3 = next((project / "migrations" / "versions").glob("f3*.py"))
    f3.write_text(f3.read_text().replace('"t3"', '"t3_renamed"', 1))
    result = distill(project, "fleet", "verify", "--schemas", "v?")
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("va") and lines[0].endswith("ok"), lines
    assert lines[1].startswith("vb") and "edited" in lines[1], lines
    assert "f3" in lines[2] and "edited since it was applied" in lines[2], lines
