"""`distill revision --autogenerate` and `distill check` through the real CLI, the way
the SQLModel tutorial uses them, on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from support.autogen import ruff_check
from support.cli_project import (
    assert_one_line_failure,
    distill,
    new_project,
    ok,
    tables,
    versions,
)

SQLMODEL_MODELS = '''\
"""The tutorial's models."""

from sqlmodel import Field, SQLModel


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    email: str
{user_extra}

class Post(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str
    user_id: int | None = Field(default=None, foreign_key="user.id")


class Product(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str
    price: float
'''


def write_models(project: Path, text: str) -> None:
    """models.py in the project, and env.py handing its metadata to distill."""
    (project / "models.py").write_text(text)
    env = project / "migrations" / "env.py"
    source = env.read_text()
    if "import models" not in source:
        env.write_text(
            source.replace(
                "target_metadata = None",
                "import models  # noqa: E402\n\ntarget_metadata = models.SQLModel.metadata",
            )
        )


def sqlmodel_project(tmp_path: Path, url: str, user_extra: str = "") -> Path:
    """A `distill init` project whose env.py uses the tutorial's SQLModel models."""
    project = new_project(tmp_path, url)
    write_models(project, SQLMODEL_MODELS.format(user_extra=user_extra))
    return project


def newest_revision(project: Path) -> Path:
    """The revision file written last."""
    files = sorted(
        (project / "migrations" / "versions").glob("*.py"), key=lambda path: path.stat().st_mtime
    )
    return files[-1]


def test_tutorial_flow(tmp_path: Path, db_url: str) -> None:
    project = sqlmodel_project(tmp_path, db_url)

    out = ok(project, "revision", "--autogenerate", "-m", "Add user post and product")
    assert "Generating" in out
    first = newest_revision(project)
    text = first.read_text()
    assert "import sqlmodel" in text  # AutoString needs it; no edit of script.py.mako
    assert "op.create_table('user'" in text or 'op.create_table("user"' in text
    assert ruff_check(first).returncode == 0, ruff_check(first).stdout
    assert "drop_table" in text and "data" in text.lower()  # the downgrade's drops say so

    ok(project, "upgrade", "head")
    assert {"user", "post", "product"} <= set(tables(db_url))
    assert len(versions(db_url)) == 1

    ok(project, "revision", "--autogenerate", "-m", "nothing")
    second = newest_revision(project).read_text()
    assert 'def upgrade() -> None:\n    """Apply this revision."""\n    # ###' in second
    assert "op." not in second.split("def upgrade()")[1].split("def downgrade()")[0]
    (newest_revision(project)).unlink()

    result = distill(project, "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No new upgrade operations detected." in result.stdout

    write_models(project, SQLMODEL_MODELS.format(user_extra="    nickname: str | None = None\n"))
    result = distill(project, "check")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "user.nickname" in result.stdout
    assert "Traceback" not in result.stderr

    result = distill(project, "check", "--format", "json")
    assert result.returncode == 1, result.stderr
    [difference] = json.loads(result.stdout)["differences"]
    assert difference["kind"] == "add_column"
    assert (difference["table"], difference["column"]) == ("user", "nickname")


def test_refuses_a_database_behind_head(tmp_path: Path, sqlite_url: str) -> None:
    project = sqlmodel_project(tmp_path, sqlite_url)
    ok(project, "revision", "--autogenerate", "-m", "first")
    for args in (("revision", "--autogenerate", "-m", "second"), ("check",)):
        result = distill(project, *args)
        assert result.returncode == 255
        assert_one_line_failure(result, "Target database is not up to date", "distill upgrade head")
    assert len(list((project / "migrations" / "versions").glob("*.py"))) == 1


def test_without_target_metadata_says_what_to_set(tmp_path: Path, sqlite_url: str) -> None:
    project = new_project(tmp_path, sqlite_url)
    result = distill(project, "revision", "--autogenerate", "-m", "x")
    assert_one_line_failure(result, "target_metadata", "env.py")
    assert not list((project / "migrations" / "versions").glob("*.py"))


def test_sql_with_autogenerate_is_refused(tmp_path: Path, sqlite_url: str) -> None:
    project = sqlmodel_project(tmp_path, sqlite_url)
    result = distill(project, "revision", "--autogenerate", "--sql", "-m", "x")
    assert_one_line_failure(result, "--sql with --autogenerate")


def test_type_decorator_brings_its_module_import(tmp_path: Path, sqlite_url: str) -> None:
    project = new_project(tmp_path, sqlite_url)
    (project / "mytypes.py").write_text(
        "import sqlalchemy as sa\n\n\nclass Money(sa.types.TypeDecorator):\n"
        "    impl = sa.Numeric(12, 2)\n    cache_ok = True\n"
    )
    write_models(
        project,
        "import sqlalchemy as sa\nfrom sqlmodel import SQLModel\n\nimport mytypes\n\n"
        "sa.Table('invoice', SQLModel.metadata, sa.Column('id', sa.Integer, primary_key=True),"
        " sa.Column('total', mytypes.Money()))\n",
    )
    ok(project, "revision", "--autogenerate", "-m", "invoice")
    path = newest_revision(project)
    assert "import mytypes" in path.read_text()
    assert ruff_check(path).returncode == 0, ruff_check(path).stdout
    ok(project, "upgrade", "head")
    engine = sa.create_engine(sqlite_url)
    try:
        columns = {c["name"] for c in sa.inspect(engine).get_columns("invoice")}
    finally:
        engine.dispose()
    assert columns == {"id", "total"}
    assert distill(project, "check").returncode == 0


def test_revision_prints_the_lint_findings_of_the_file_it_wrote(
    tmp_path: Path, db_url: str
) -> None:
    project = sqlmodel_project(tmp_path, db_url, user_extra="    age: int | None = None\n")
    first = ok(project, "revision", "--autogenerate", "-m", "tables")
    # the tutorial's models have no naming convention: the foreign key is unnamed
    assert "warning [unnamed-constraint]" in first and "0 errors" in first
    ok(project, "upgrade", "head")

    # drop `age`, add a NOT NULL `nickname`: both break a running application
    write_models(project, SQLMODEL_MODELS.format(user_extra="    nickname: str\n"))
    out = ok(project, "revision", "--autogenerate", "-m", "nickname")
    path = newest_revision(project)
    assert "Review before applying (distill lint):" in out
    assert f"({path})" in out
    assert "[drop-column] drops column user.age" in out
    assert "[add-required-column]" in out and "user.nickname" in out
    assert "2 errors, " in out and "; 1 revision checked." in out


MULTIDB_MODELS = """\
import sqlalchemy as sa

first = sa.MetaData()
sa.Table("alpha", first, sa.Column("id", sa.Integer, primary_key=True), sa.Column("a", sa.Text))
second = sa.MetaData()
sa.Table("beta", second, sa.Column("id", sa.Integer, primary_key=True), sa.Column("b", sa.Integer))
"""


def test_multidb_template_compares_each_engine_with_its_metadata(
    tmp_path: Path, db_url: str, new_database: object
) -> None:
    other = new_database("sqlite")  # type: ignore[operator]
    result = distill(tmp_path, "init", "-t", "multidb", "migrations")
    assert result.returncode == 0, result.stderr
    ini = tmp_path / "distill.ini"
    ini.write_text(
        ini.read_text()
        .replace("sqlite:///%(here)s/engine1.db", db_url.replace("%", "%%"))
        .replace("sqlite:///%(here)s/engine2.db", other)
    )
    (tmp_path / "models.py").write_text(MULTIDB_MODELS)
    env = tmp_path / "migrations" / "env.py"
    env.write_text(
        env.read_text().replace(
            "target_metadata = {}",
            "import models  # noqa: E402\n\n"
            'target_metadata = {"engine1": models.first, "engine2": models.second}',
        )
    )
    ok(tmp_path, "revision", "--autogenerate", "-m", "two databases")
    text = newest_revision(tmp_path).read_text()
    engine1 = text.split("def upgrade_engine1")[1].split("def downgrade_engine1")[0]
    engine2 = text.split("def upgrade_engine2")[1].split("def downgrade_engine2")[0]
    assert "op.create_table('alpha'" in engine1 and "beta" not in engine1
    assert "op.create_table('beta'" in engine2 and "alpha" not in engine2
    assert ruff_check(newest_revision(tmp_path)).returncode == 0

    ok(tmp_path, "upgrade", "head")
    assert "alpha" in tables(db_url) and "beta" not in tables(db_url)
    assert "beta" in tables(other) and "alpha" not in tables(other)

    ok(tmp_path, "revision", "--autogenerate", "-m", "nothing")
    second = newest_revision(tmp_path).read_text()
    assert "op." not in second.split("def upgrade_engine1")[1]
    newest_revision(tmp_path).unlink()
    result = distill(tmp_path, "check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_use_module_prefix_warning_points_at_env_py(tmp_path: Path, sqlite_url: str) -> None:
    project = sqlmodel_project(tmp_path, sqlite_url)
    env = project / "migrations" / "env.py"
    source = env.read_text()
    env.write_text(
        source.replace(
            "context.configure(connection=connection, target_metadata=target_metadata)",
            "context.configure(\n        connection=connection,\n"
            "        target_metadata=target_metadata,\n        use_module_prefix=True,\n    )",
        )
    )
    line = env.read_text().splitlines().index("        use_module_prefix=True,") + 1
    result = distill(project, "revision", "--autogenerate", "-m", "tables")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("UserWarning") == 1
    assert f"{env}:{line}: UserWarning: context.configure(use_module_prefix=...)" in result.stderr
    assert "user_module_prefix" in result.stderr and "does not need it" in result.stderr
    assert "import sqlmodel" in newest_revision(project).read_text()


def test_template_args_and_post_write_hook_apply_to_the_autogenerated_file(
    tmp_path: Path, sqlite_url: str
) -> None:
    import shutil
    import subprocess
    import sys

    project = sqlmodel_project(tmp_path, sqlite_url)
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    ini = project / "distill.ini"
    ini.write_text(
        ini.read_text().replace(
            "[post_write_hooks]\n",
            "[post_write_hooks]\nhooks = ruff_format\nruff_format.type = exec\n"
            f"ruff_format.executable = {ruff}\n"
            "ruff_format.options = format REVISION_SCRIPT_FILENAME\n",
        )
    )
    env = project / "migrations" / "env.py"
    env.write_text(
        env.read_text().replace(
            "context.configure(connection=connection, target_metadata=target_metadata)",
            "context.configure(connection=connection, target_metadata=target_metadata, "
            'template_args={"reviewer": "ada"})',
        )
    )
    mako = project / "migrations" / "script.py.mako"
    mako.write_text(mako.read_text().replace('"""\n', '"""\n# reviewed by ${reviewer}\n', 1))

    ok(project, "revision", "--autogenerate", "-m", "tables")
    path = newest_revision(project)
    assert "# reviewed by ada" in path.read_text()
    formatted = subprocess.run(
        [ruff, "format", "--check", str(path)], capture_output=True, text=True
    )
    assert formatted.returncode == 0, formatted.stdout  # the hook ran on the new file
    assert 'op.create_table(\n        "user"' in path.read_text()
