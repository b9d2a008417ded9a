"""The real-world suite's own logic: snapshot comparison, outcomes, bridging (no install)."""

from __future__ import annotations

import sys
from pathlib import Path

# the suite lives beside src/ (it is not part of the package); make it importable here
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from realworld.compare import (
    Outcome,
    compare_outcomes,
    compare_snapshots,
    diff_values,
    summarise,
)
from realworld.runner import bridge, bridge_target
from realworld.workspace import failure_line


def _table(nullable: bool = False, index: str = "ix_a") -> dict[str, object]:
    return {
        "columns": {"a": {"name": "a", "type": "INTEGER", "nullable": nullable, "default": None}},
        "column_order": ["a"],
        "indexes": {index: {"columns": ["a"], "unique": False}},
    }


def test_identical_snapshots_have_no_difference() -> None:
    snap = {"tables": {"t": _table()}, "versions": ["r1"], "data": {"t": {"rows": 0, "hash": "x"}}}
    assert compare_snapshots(snap, snap) == []


def test_a_changed_leaf_is_named_by_its_path() -> None:
    left = {"tables": {"t": _table(nullable=True)}}
    right = {"tables": {"t": _table(nullable=False)}}
    assert compare_snapshots(left, right) == [
        "tables.t.columns.a.nullable: alembic True | distill False"
    ]


def test_a_key_on_one_side_only_is_absent_on_the_other() -> None:
    left = {"tables": {"t": _table(index="ix_a")}}
    right = {"tables": {"t": _table(index="ix_b")}}
    lines = compare_snapshots(left, right)
    assert (
        "tables.t.indexes.ix_a: alembic {'columns': ['a'], 'unique': False} | distill (absent)"
        in lines
    )
    assert (
        "tables.t.indexes.ix_b: alembic (absent) | distill {'columns': ['a'], 'unique': False}"
        in lines
    )


def test_lists_and_tuples_compare_alike_but_order_matters() -> None:
    assert diff_values({"c": ("a", "b")}, {"c": ["a", "b"]}) == []
    assert diff_values({"c": ["a", "b"]}, {"c": ["b", "a"]}) == [
        "c: alembic ['a', 'b'] | distill ['b', 'a']"
    ]


def test_version_rows_and_data_digest_differences_are_reported() -> None:
    left = {"versions": ["r2"], "data": {"t": {"rows": 1, "hash": "aa"}}}
    right = {"versions": ["r1"], "data": {"t": {"rows": 1, "hash": "bb"}}}
    assert compare_snapshots(left, right) == [
        "data.t.hash: alembic 'aa' | distill 'bb'",
        "versions: alembic ['r2'] | distill ['r1']",
    ]


def test_outcomes_say_which_tool_failed_and_where() -> None:
    ok = Outcome(0)
    failed = Outcome(1, "FAILED: boom", "r1 -> r2")
    assert compare_outcomes(ok, ok) == []
    assert compare_outcomes(ok, failed) == [
        "distill failed at r1 -> r2 (exit 1) where alembic succeeded: FAILED: boom"
    ]
    assert compare_outcomes(failed, ok)[0].startswith("alembic failed at r1 -> r2 (exit 1)")
    assert compare_outcomes(failed, failed)[0].startswith("both failed: alembic at r1 -> r2")


def test_summary_shows_the_first_differences_and_counts_the_rest() -> None:
    assert summarise([]) == "identical"
    assert summarise(["a", "b", "c", "d"]) == "different: a; b (+2 more)"
    assert summarise(["a"]) == "different: a"


def test_failure_line_prefers_the_failed_line_then_the_exception() -> None:
    distill = "Running upgrade a -> b ... FAILED\nFAILED: upgrade of revision b failed: x\n"
    assert failure_line(distill) == "FAILED: upgrade of revision b failed: x"
    alembic = (
        'Traceback (most recent call last):\n  File "x.py"\n'
        "sqlalchemy.exc.OperationalError: no table\n"
    )
    assert failure_line(alembic) == "sqlalchemy.exc.OperationalError: no table"
    assert failure_line("") == "(no output)"
    named = "FAILED: upgrade of revision b (/home/u/site-packages/app/versions/b_add.py) failed: x"
    assert failure_line(named) == "FAILED: upgrade of revision b (b_add.py) failed: x"


def test_bridge_target_is_the_revision_being_reached() -> None:
    assert bridge_target("r1 -> r2") == "r2"
    assert bridge_target(" -> r1") == "r1"
    assert bridge_target("r3 -> r1, r2") == ""
    assert bridge_target("") == ""


def test_bridge_lets_alembic_carry_each_failing_revision_then_resumes() -> None:
    calls: list[tuple[str, tuple[str, ...]]] = []
    distill_outcomes = [Outcome(1, "FAILED: again", "r3 -> r4"), Outcome(0)]

    def alembic(args: tuple[str, ...]) -> Outcome:
        calls.append(("alembic", args))
        return Outcome(0)

    def distill(args: tuple[str, ...]) -> Outcome:
        calls.append(("distill", args))
        return distill_outcomes.pop(0)

    lines, final = bridge(alembic, distill, ("upgrade", "head"), Outcome(1, "x", "r1 -> r2"))
    assert final.ok
    assert calls == [
        ("alembic", ("upgrade", "r2")),
        ("distill", ("upgrade", "head")),
        ("alembic", ("upgrade", "r4")),
        ("distill", ("upgrade", "head")),
    ]
    assert lines == ["distill failed again after alembic carried it to r2: FAILED: again"]


def test_bridge_stops_when_alembic_cannot_carry_the_database() -> None:
    lines, final = bridge(
        lambda args: Outcome(1, "nope"),
        lambda args: Outcome(0),
        ("downgrade", "base"),
        Outcome(1, "x", "r2 -> r1"),
    )
    assert not final.ok
    assert lines == ["bridge: alembic could not carry distill's database to r1: nope"]


def test_snapshot_reads_schema_versions_and_an_order_free_digest(tmp_path: Path) -> None:
    import sqlalchemy as sa

    from realworld.snapshot import take

    def database(name: str, rows: list[tuple[int, str]]) -> str:
        url = f"sqlite:///{tmp_path / name}"
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32))")
            connection.exec_driver_sql("INSERT INTO alembic_version VALUES ('r1')")
            connection.exec_driver_sql(
                "CREATE TABLE t (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL DEFAULT 'x')"
            )
            connection.exec_driver_sql("CREATE INDEX ix_t_name ON t (name DESC)")
            for row in rows:
                connection.exec_driver_sql("INSERT INTO t VALUES (?, ?)", row)
        engine.dispose()
        return url

    first = take(database("a.db", [(1, "a"), (2, "b")]))
    second = take(database("b.db", [(2, "b"), (1, "a")]))
    assert compare_snapshots(first, second) == []
    assert first["versions"] == ["r1"]
    assert first["data"]["t"]["rows"] == 2
    column = first["tables"]["t"]["columns"]["name"]
    assert (column["type"], column["nullable"], column["default"]) == ("VARCHAR(20)", False, "'x'")
    assert first["sqlite_master"]["index ix_t_name"] == "CREATE INDEX ix_t_name ON t (name DESC)"
    third = take(database("c.db", [(1, "a"), (2, "c")]))
    hashes = first["data"]["t"]["hash"], third["data"]["t"]["hash"]
    assert compare_snapshots(first, third) == [
        f"data.t.hash: alembic {hashes[0]!r} | distill {hashes[1]!r}"
    ]


def test_deliberate_differences_are_told_apart_by_shape() -> None:
    from realworld.deliberate import split

    kept = [
        "sqlite_master.index ix_d: alembic 'CREATE INDEX ix_d ON t (a, b)' | "
        "distill 'CREATE INDEX ix_d ON t (a, b DESC)'",
        "sqlite_master.index ix_n: alembic 'CREATE INDEX ix_n ON t (name)' | "
        "distill 'CREATE INDEX ix_n on t (name COLLATE NOCASE)'",
        "sqlite_master.index ix_e: alembic (absent) | "
        'distill "CREATE INDEX ix_e ON t (coalesce(a, b) DESC)"',
    ]
    not_kept = [
        # distill lost an index, or kept one on other columns: never deliberate
        "sqlite_master.index ix_a: alembic 'CREATE INDEX ix_a ON t (a)' | distill (absent)",
        "sqlite_master.index ix_a: alembic 'CREATE INDEX ix_a ON t (a)' | "
        "distill 'CREATE INDEX ix_a ON t (b DESC)'",
        "sqlite_master.index ix_b: alembic (absent) | distill 'CREATE INDEX ix_b ON t (b)'",
        "tables.t.columns.c.nullable: alembic False | distill True",
    ]
    unexplained, explained = split("any", "sqlite", kept + not_kept)
    assert unexplained == not_kept
    assert [line.split("): ", 1)[1] for line in explained] == kept
    assert all(line.startswith("deliberate (README: ") for line in explained)
    nullable = "tables.jobs.columns.job_name.nullable: alembic True | distill False"
    assert split("any", "mysql", [nullable]) == ([], [split("any", "mysql", [nullable])[1][0]])
    assert split("any", "postgresql", [nullable]) == ([nullable], [])
    assert split("any", "postgresql", kept[:1]) == (kept[:1], [])


def test_a_step_with_only_deliberate_differences_is_marked_so() -> None:
    from realworld.runner import StepResult

    ok = {"alembic": Outcome(0), "distill": Outcome(0)}
    assert StepResult("p", "sqlite", "upgrade head", ok).status == "identical"
    marked = StepResult("p", "sqlite", "upgrade head", ok, deliberate=["deliberate (x): y"])
    assert marked.status == "deliberate"
    assert marked.line().endswith(" deliberate (x): y")
    both = StepResult("p", "sqlite", "upgrade head", ok, ["z"], deliberate=["deliberate (x): y"])
    assert both.status == "different"
    assert both.line().endswith("different: z (+1 deliberate)")


def test_a_step_both_tools_fail_alike_says_so() -> None:
    from realworld.runner import StepResult

    failed = {"alembic": Outcome(1, "x", "a -> b"), "distill": Outcome(1, "y", "a -> b")}
    lines = compare_outcomes(failed["alembic"], failed["distill"])
    result = StepResult("p", "mysql", "upgrade head", failed, lines, deliberate=["deliberate"])
    assert result.status == "failed"
    assert " failed under both tools: alembic at a -> b " in result.line()
    assert result.line().endswith("(+1 deliberate)")


def test_a_listed_difference_is_deliberate_only_for_its_package() -> None:
    from realworld.deliberate import split

    line = "tables.task_outlet_dataset_reference.primary_key.name: alembic 'toar_pkey' | "
    line += "distill 'todr_pkey'"
    assert split("airflow", "sqlite", [line])[0] == []
    assert split("mlflow", "sqlite", [line]) == ([line], [])
    assert split("airflow", "postgresql", [line]) == ([line], [])
