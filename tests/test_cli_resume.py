"""Resume at the failed operation on MariaDB (DDL commits at once there), through the real
CLI: a re-run skips what the failed run completed, checks it, and doubles nothing."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from support.cli_project import (
    assert_one_line_failure,
    distill,
    new_project,
    ok,
    versions,
    write_revision,
)

BAD = 'op.execute("SELECT * FROM no_such_table")'


def body(*lines: str) -> str:
    """Lines of an upgrade()/downgrade() body."""
    return "\n    ".join(lines)


def failing_project(tmp_path: Path, url: str, *lines: str) -> tuple[Path, Path]:
    """aaa111 (table t_a) -> bbb222 (`lines`); the flag file makes `FAIL` true."""
    project = new_project(tmp_path, url)
    flag = tmp_path / "fail.flag"
    flag.write_text("fail")
    write_revision(project, "aaa111", None, 'op.create_table("t_a", sa.Column("id", sa.Integer))')
    write_revision(
        project,
        "bbb222",
        "aaa111",
        body(f"FAIL = __import__('os').path.exists({str(flag)!r})", *lines),
    )
    return project, flag


def refused_rerun(tmp_path: Path, url: str, *lines: str) -> subprocess.CompletedProcess[str]:
    """Fail bbb222 of failing_project(`lines`), then re-run it without the failure."""
    project, flag = failing_project(tmp_path, url, *lines)
    assert distill(project, "upgrade", "head").returncode == 1
    flag.unlink()
    return distill(project, "upgrade", "head")


def log(project: Path) -> list[dict[str, Any]]:
    """`distill log --format json`, newest first."""
    return list(json.loads(ok(project, "log", "--format", "json")))


def query(url: str, sql: str) -> list[Any]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.exec_driver_sql(sql).all())
    finally:
        engine.dispose()


def run_sql(url: str, sql: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(sql)
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


TABLE_INDEX_ROWS = (
    't = op.create_table("t_b", sa.Column("id", sa.Integer, primary_key=True), '
    'sa.Column("name", sa.String(20)))',
    'op.create_index("ix_b_name", "t_b", ["name"])',
    'op.bulk_insert(t, [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}])',
    "if FAIL:",
    f"    {BAD}",
    'op.create_table("t_d", sa.Column("id", sa.Integer))',
)


def test_a_re_run_resumes_at_the_failed_operation_and_doubles_nothing(
    tmp_path: Path, mysql_url: str
) -> None:
    project, flag = failing_project(tmp_path, mysql_url, *TABLE_INDEX_ROWS)
    failed = distill(project, "upgrade", "head")
    line = assert_one_line_failure(failed, "bbb222", "no_such_table")
    assert "resumes at the failing operation" in line
    assert versions(mysql_url) == ["aaa111"]
    flag.unlink()
    result = distill(project, "upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert "Resuming upgrade of bbb222 at operation 4" in result.stderr
    assert versions(mysql_url) == ["bbb222"]
    assert query(mysql_url, "SELECT id, name FROM t_b ORDER BY id") == [(1, "a"), (2, "b")]
    indexes = [row[2] for row in query(mysql_url, "SHOW INDEX FROM t_b")]
    assert sorted(indexes) == ["PRIMARY", "ix_b_name"]
    assert "t_d" in table_names(mysql_url)
    rows = [r for r in log(project) if r["revision"] == "bbb222"]
    assert [(r["outcome"], r["operations"]) for r in rows] == [("ok", 4), ("failed", 3)]
    assert "The next run resumes at operation 4" in rows[1]["note"]
    assert query(mysql_url, "SELECT * FROM distill_progress") == []  # forgotten once applied


def test_a_run_killed_in_the_middle_of_a_revision_resumes_too(
    tmp_path: Path, mysql_url: str
) -> None:
    lines = (
        'op.create_table("t_b", sa.Column("id", sa.Integer))',
        'op.create_table("t_c", sa.Column("id", sa.Integer))',
        "if FAIL:",
        "    __import__('os').kill(__import__('os').getpid(), 9)",
        'op.create_table("t_d", sa.Column("id", sa.Integer))',
    )
    project, flag = failing_project(tmp_path, mysql_url, *lines)
    killed = distill(project, "upgrade", "head")
    assert killed.returncode == -9, killed.stderr
    assert log(project)[0]["revision"] == "aaa111"  # the killed run wrote no failure row
    flag.unlink()
    result = distill(project, "upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert "Resuming upgrade of bbb222 at operation 3" in result.stderr
    assert {"t_b", "t_c", "t_d"} <= table_names(mysql_url)
    assert versions(mysql_url) == ["bbb222"]


def test_an_operation_edited_since_it_was_applied_refuses_the_resume(
    tmp_path: Path, mysql_url: str
) -> None:
    project, flag = failing_project(tmp_path, mysql_url, *TABLE_INDEX_ROWS)
    assert distill(project, "upgrade", "head").returncode == 1
    flag.unlink()
    path = project / "migrations" / "versions" / "bbb222_x.py"
    source = path.read_text()
    path.write_text(source.replace('["name"]', '["name", "id"]'))
    refused = distill(project, "upgrade", "head")
    line = assert_one_line_failure(
        refused, "Cannot resume revision bbb222", "operation 2 (Create index ix_b_name"
    )
    assert "distill stamp" in line
    assert "t_d" not in table_names(mysql_url)  # nothing of the revision ran again
    assert query(mysql_url, "SELECT COUNT(*) FROM t_b") == [(2,)]
    shorter = body(*TABLE_INDEX_ROWS[:2])  # the insert, applied, no longer in it
    path.write_text(source.split("def upgrade():")[0] + f"def upgrade():\n    {shorter}\n")
    refused = distill(project, "upgrade", "head")
    assert_one_line_failure(refused, "the failed run completed 3 operation(s)", "runs only 2")
    path.write_text(source)  # restored as it ran: the resume goes through
    ok(project, "upgrade", "head")
    assert versions(mysql_url) == ["bbb222"]
    assert query(mysql_url, "SELECT COUNT(*) FROM t_b") == [(2,)]


def test_operations_in_python_control_flow_count_in_the_order_they_run(
    tmp_path: Path, mysql_url: str
) -> None:
    loop = (
        "for number in range(5):",
        "    if number == 3 and FAIL:",
        f"        {BAD}",
        '    op.create_table(f"t_loop{number}", sa.Column("id", sa.Integer))',
    )
    project, flag = failing_project(tmp_path, mysql_url, *loop)
    assert distill(project, "upgrade", "head").returncode == 1
    assert {"t_loop0", "t_loop1", "t_loop2"} <= table_names(mysql_url)
    assert "t_loop3" not in table_names(mysql_url)
    flag.unlink()
    result = distill(project, "upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert "at operation 4" in result.stderr
    assert {f"t_loop{n}" for n in range(5)} <= table_names(mysql_url)
    assert versions(mysql_url) == ["bbb222"]


def test_generated_sql_applied_before_the_failure_cannot_be_resumed(
    tmp_path: Path, mysql_url: str
) -> None:
    lines = (
        'op.create_table("t_b", sa.Column("id", sa.BigInteger))',
        "op.execute(f\"INSERT INTO t_b (id) VALUES ({__import__('time').time_ns()})\")",
        "if FAIL:",
        f"    {BAD}",
    )
    refused = refused_rerun(tmp_path, mysql_url, *lines)
    assert "raw SQL, checked by its text only" in refused.stderr
    assert_one_line_failure(refused, "operation 2 (Execute SQL: INSERT", "SQL text differs")
    assert query(mysql_url, "SELECT COUNT(*) FROM t_b") == [(1,)]


def test_a_write_on_the_connection_itself_refuses_the_resume_and_reads_pass(
    tmp_path: Path, mysql_url: str
) -> None:
    lines = (
        'op.get_bind().execute(sa.text("SELECT 1"))',
        'op.create_table("t_b", sa.Column("id", sa.Integer))',
        'op.get_bind().execute(sa.text("INSERT INTO t_b (id) VALUES (7)"))',
        'op.create_table("t_c", sa.Column("id", sa.Integer))',
        "if FAIL:",
        f"    {BAD}",
    )
    refused = refused_rerun(tmp_path, mysql_url, *lines)
    assert_one_line_failure(refused, "runs SQL on the connection itself", "INSERT INTO t_b")
    assert query(mysql_url, "SELECT id FROM t_b") == [(7,)]


def test_batch_statements_count_one_by_one(tmp_path: Path, mysql_url: str) -> None:
    lines = (
        'op.create_table("t_b", sa.Column("id", sa.Integer, primary_key=True))',
        'with op.batch_alter_table("t_b") as batch_op:',
        '    batch_op.add_column(sa.Column("x", sa.Integer))',
        "    if FAIL:",
        '        batch_op.create_index("ix_bad", ["no_such_column"])',
        '    batch_op.add_column(sa.Column("y", sa.Integer))',
        '    batch_op.create_index("ix_b_x", ["x"])',
    )
    project, flag = failing_project(tmp_path, mysql_url, *lines)
    assert distill(project, "upgrade", "head").returncode == 1
    rows = [r for r in log(project) if r["revision"] == "bbb222"]
    assert rows[0]["operations"] == 2
    assert "Batch add column x on t_b" in rows[0]["note"]
    flag.unlink()
    result = distill(project, "upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert "at operation 3" in result.stderr
    columns = [row[0] for row in query(mysql_url, "SHOW COLUMNS FROM t_b")]
    assert columns == ["id", "x", "y"]
    assert versions(mysql_url) == ["bbb222"]


def test_a_failed_downgrade_resumes_too(tmp_path: Path, mysql_url: str) -> None:
    project = new_project(tmp_path, mysql_url)
    flag = tmp_path / "fail.flag"
    write_revision(project, "aaa111", None, 'op.create_table("t_a", sa.Column("id", sa.Integer))')
    up = body(
        'op.create_table("t_x", sa.Column("id", sa.Integer))',
        'op.create_table("t_y", sa.Column("id", sa.Integer))',
    )
    down = body(
        'op.drop_table("t_y")',
        f"if __import__('os').path.exists({str(flag)!r}):",
        f"    {BAD}",
        'op.drop_table("t_x")',
    )
    write_revision(project, "bbb222", "aaa111", up, down)
    ok(project, "upgrade", "head")
    flag.write_text("fail")
    assert distill(project, "downgrade", "-1").returncode == 1
    assert "t_y" not in table_names(mysql_url)
    flag.unlink()
    result = distill(project, "downgrade", "-1")
    assert result.returncode == 0, result.stderr
    assert "Resuming downgrade of bbb222 at operation 2" in result.stderr
    assert not {"t_x", "t_y"} & table_names(mysql_url)
    assert versions(mysql_url) == ["aaa111"]


def test_a_log_from_before_resume_existed_gets_its_progress_table(
    tmp_path: Path, mysql_url: str
) -> None:
    project, flag = failing_project(tmp_path, mysql_url, *TABLE_INDEX_ROWS)
    ok(project, "upgrade", "aaa111")
    # a database the previous distill kept: distill_log as it made it, no progress table
    run_sql(mysql_url, "DROP TABLE distill_progress")
    before = [row[0] for row in query(mysql_url, "SHOW COLUMNS FROM distill_log")]
    assert distill(project, "upgrade", "head").returncode == 1
    assert "distill_progress" in table_names(mysql_url)
    assert [row[0] for row in query(mysql_url, "SHOW COLUMNS FROM distill_log")] == before
    flag.unlink()
    ok(project, "upgrade", "head")
    assert versions(mysql_url) == ["bbb222"]


def test_a_stamp_forgets_the_resume_point(tmp_path: Path, mysql_url: str) -> None:
    project, flag = failing_project(tmp_path, mysql_url, *TABLE_INDEX_ROWS)
    assert distill(project, "upgrade", "head").returncode == 1
    run_sql(mysql_url, "DROP TABLE t_b")  # undone by hand
    stamped = distill(project, "stamp", "aaa111")
    assert stamped.returncode == 0, stamped.stderr
    assert "forgot where the failed run of bbb222 stopped" in stamped.stderr
    flag.unlink()
    result = distill(project, "upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert "Resuming" not in result.stderr
    assert query(mysql_url, "SELECT COUNT(*) FROM t_b") == [(2,)]


def test_without_the_log_nothing_is_recorded_and_the_failure_says_so(
    tmp_path: Path, mysql_url: str
) -> None:
    project, _ = failing_project(tmp_path, mysql_url, *TABLE_INDEX_ROWS)
    ini = project / "distill.ini"
    ini.write_text(ini.read_text().replace("[distill]\n", "[distill]\nledger = false\n", 1))
    line = assert_one_line_failure(distill(project, "upgrade", "head"), "bbb222")
    assert "Undo or complete them by hand" in line and "resumes" not in line
    assert not {"distill_log", "distill_progress"} & table_names(mysql_url)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_transactional_ddl_rolls_the_revision_back_and_keeps_no_progress(
    tmp_path: Path, db_url: str
) -> None:
    project, flag = failing_project(tmp_path, db_url, *TABLE_INDEX_ROWS)
    failed = distill(project, "upgrade", "head")
    assert_one_line_failure(failed, "bbb222", "rolled back")
    assert "distill_progress" not in table_names(db_url)
    assert "t_b" not in table_names(db_url)
    flag.unlink()
    result = distill(project, "upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert "Resuming" not in result.stderr
    assert versions(db_url) == ["bbb222"]
