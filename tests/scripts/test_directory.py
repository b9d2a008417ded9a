"""The migration folder: from_config errors, which files count, the graph from headers,
lazy imports, env.py, and Script's attributes (checked against Alembic's ScriptDirectory)."""

from __future__ import annotations

import importlib.util
import io
import os
import py_compile
import sys
import textwrap
from pathlib import Path

import pytest
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory as AlembicScriptDirectory

from distill.config import Config
from distill.errors import ConfigError, DistillError, ScriptError
from distill.scripts.directory import ScriptDirectory


def revision_source(
    rev: str,
    down: str | tuple[str, ...] | None = None,
    *,
    labels: tuple[str, ...] | None = None,
    depends: str | tuple[str, ...] | None = None,
    message: str | None = None,
    tail: str = "",
) -> str:
    """A minimal revision file in the shape Alembic generates."""
    return (
        f'"""{message or f"message of {rev}"}\n\nRevision ID: {rev}\n"""\n'
        f"revision = {rev!r}\n"
        f"down_revision = {down!r}\n"
        f"branch_labels = {labels!r}\n"
        f"depends_on = {depends!r}\n\n\n"
        "def upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n" + tail
    )


def make_project(root: Path, ini_extra: str = "") -> Path:
    """distill.ini + migrations/{env.py, versions/}; returns the ini path."""
    (root / "migrations" / "versions").mkdir(parents=True)
    (root / "migrations" / "env.py").write_text("")
    ini = root / "distill.ini"
    ini.write_text(
        "[distill]\nscript_location = %(here)s/migrations\npath_separator = os\n" + ini_extra
    )
    return ini


def write_rev(folder: Path, name: str, source: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(source)
    return path


def open_dir(ini: Path) -> ScriptDirectory:
    return ScriptDirectory.from_config(Config(ini, stdout=io.StringIO()))


# -- from_config ----------------------------------------------------------------------------


def test_no_script_location(tmp_path: Path) -> None:
    ini = tmp_path / "distill.ini"
    ini.write_text("[distill]\nsqlalchemy.url = sqlite://\n")
    with pytest.raises(ConfigError) as error:
        open_dir(ini)
    assert str(error.value).startswith("No 'script_location' key found in configuration.")
    assert str(ini) in str(error.value)


def test_no_config_file_at_all(tmp_path: Path) -> None:
    config = Config(tmp_path / "distill.ini")
    with pytest.raises(ConfigError) as error:
        ScriptDirectory.from_config(config)
    assert str(tmp_path / "distill.ini") in str(error.value)
    assert "distill init" in str(error.value)


def test_missing_folder(tmp_path: Path) -> None:
    ini = tmp_path / "distill.ini"
    ini.write_text("[distill]\nscript_location = %(here)s/nope\n")
    with pytest.raises(ScriptError) as error:
        open_dir(ini)
    assert str(error.value) == (
        f"Path doesn't exist: {tmp_path.as_posix()}/nope.  Please use the 'init' command "
        "to create a new scripts folder."
    )


def test_package_resource_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "src" / "myapp_distill_test"
    (package / "db" / "migrations" / "versions").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    write_rev(package / "db" / "migrations" / "versions", "r1.py", revision_source("r1"))
    monkeypatch.syspath_prepend(str(tmp_path / "src"))
    config = Config()
    config.set_main_option("script_location", "myapp_distill_test:db:migrations")
    script = ScriptDirectory.from_config(config)
    assert Path(script.dir) == package / "db" / "migrations"
    assert script.get_heads() == ["r1"]


def test_unknown_package_location(tmp_path: Path) -> None:
    config = Config()
    config.set_main_option("script_location", "no_such_package_xyz:migrations")
    with pytest.raises(ConfigError, match="no_such_package_xyz"):
        ScriptDirectory.from_config(config)


def test_constructing_leaves_sys_path_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = list(sys.path)
    ini = make_project(tmp_path, f"prepend_sys_path = {tmp_path}/a{os.pathsep}{tmp_path}/b\n")
    script = open_dir(ini)
    assert sys.path == before
    assert script.prepend_sys_path == (f"{tmp_path}/a", f"{tmp_path}/b")
    with script.project_sys_path():
        assert sys.path[:2] == [f"{tmp_path}/a", f"{tmp_path}/b"]
        sys.path.append(f"{tmp_path}/added_inside")
    # only the prepended entries are taken away again
    assert sys.path == [*before, f"{tmp_path}/added_inside"]


def test_package_location_found_through_prepend_sys_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = list(sys.path)
    package = tmp_path / "src" / "myapp_prepended_location"
    (package / "migrations" / "versions").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    write_rev(package / "migrations" / "versions", "r1.py", revision_source("r1"))
    ini = tmp_path / "distill.ini"
    ini.write_text(
        "[distill]\nscript_location = myapp_prepended_location:migrations\n"
        "prepend_sys_path = %(here)s/src\npath_separator = os\n"
    )
    script = open_dir(ini)
    assert Path(script.dir) == package / "migrations"
    assert script.get_heads() == ["r1"]
    assert sys.path == before


def test_options_reach_the_directory(tmp_path: Path) -> None:
    ini = make_project(
        tmp_path,
        "file_template = %%(rev)s\ntruncate_slug_length = 10\ntimezone = UTC\n"
        "sourceless = true\nrecursive_version_locations = true\noutput_encoding = latin-1\n",
    )
    script = open_dir(ini)
    assert script.file_template == "%(rev)s"
    assert script.truncate_slug_length == 10
    assert script.timezone == "UTC"
    assert script.sourceless and script.recursive_version_locations
    assert script.output_encoding == "latin-1"
    assert script.env_py_location == str(tmp_path / "migrations" / "env.py")
    assert script.versions == str(tmp_path / "migrations" / "versions")


def test_bad_truncate_slug_length(tmp_path: Path) -> None:
    ini = make_project(tmp_path, "truncate_slug_length = many\n")
    with pytest.raises(ConfigError, match="truncate_slug_length"):
        open_dir(ini)


# -- which files are revisions --------------------------------------------------------------


def test_top_level_only_unless_recursive(tmp_path: Path) -> None:
    ini = make_project(tmp_path)
    versions = tmp_path / "migrations" / "versions"
    write_rev(versions, "r1_a.py", revision_source("r1"))
    write_rev(versions / "2026", "r2_b.py", revision_source("r2", "r1"))
    write_rev(versions / "2026" / "__pycache__", "junk.py", "raise SystemExit")
    write_rev(versions, ".#r9_editor.py", "garbage(")
    write_rev(versions, "__init__.py", "")
    write_rev(versions, "notes.txt", "not python")
    assert open_dir(ini).get_heads() == ["r1"]

    with open(ini, "a") as handle:
        handle.write("recursive_version_locations = true\n")
    script = open_dir(ini)
    assert script.get_heads() == ["r2"]
    assert [s.revision for s in script.walk_revisions()] == ["r2", "r1"]


def test_sourceless_files(tmp_path: Path) -> None:
    ini = make_project(tmp_path)
    versions = tmp_path / "migrations" / "versions"
    legacy = write_rev(versions, "r1_a.py", revision_source("r1"))
    py_compile.compile(str(legacy), cfile=str(versions / "r1_a.pyc"))
    legacy.unlink()
    cached = write_rev(versions, "r2_b.py", revision_source("r2", "r1"))
    py_compile.compile(str(cached), cfile=importlib.util.cache_from_source(str(cached)))
    cached.unlink()
    source = write_rev(versions, "r3_c.py", revision_source("r3", "r2"))
    py_compile.compile(str(source), cfile=str(versions / "r3_c.pyc"))  # shadowed by its .py

    with pytest.raises(DistillError):
        open_dir(ini).get_heads()  # without sourceless, r2 and r1 are missing

    with open(ini, "a") as handle:
        handle.write("sourceless = true\n")
    script = open_dir(ini)
    assert [s.revision for s in script.walk_revisions()] == ["r3", "r2", "r1"]
    assert script.get_revision("r3").path.endswith("r3_c.py")  # type: ignore[union-attr]
    assert script.get_revision("r1").module.revision == "r1"  # type: ignore[union-attr]
    assert script.get_revision("r2").doc == "message of r2"  # type: ignore[union-attr]


def test_same_folder_twice_is_read_once(tmp_path: Path) -> None:
    versions = tmp_path / "migrations" / "versions"
    (tmp_path / "link").symlink_to(versions)
    ini = make_project(tmp_path, f"version_locations = {versions}{os.pathsep}{tmp_path}/link\n")
    write_rev(versions, "r1_a.py", revision_source("r1"))
    with pytest.warns(UserWarning, match="loaded twice! ignoring"):
        assert open_dir(ini).get_heads() == ["r1"]


def test_missing_version_location_is_skipped(tmp_path: Path) -> None:
    versions = tmp_path / "migrations" / "versions"
    ini = make_project(tmp_path, f"version_locations = {versions}{os.pathsep}{tmp_path}/none\n")
    write_rev(versions, "r1_a.py", revision_source("r1"))
    script = open_dir(ini)
    assert script.get_heads() == ["r1"]
    with pytest.raises(ScriptError, match="Multiple version_locations present"):
        script.versions  # noqa: B018


# -- lazy imports ---------------------------------------------------------------------------


def test_listing_300_revisions_imports_none(tmp_path: Path) -> None:
    ini = make_project(tmp_path)
    versions = tmp_path / "migrations" / "versions"
    boom = 'raise RuntimeError("imported " + revision)\n'
    previous = None
    for index in range(300):
        rev = f"r{index:04d}"
        write_rev(versions, f"{rev}_step.py", revision_source(rev, previous, tail=boom))
        previous = rev
    before = set(sys.modules)
    script = open_dir(ini)
    assert script.get_heads() == ["r0299"]
    assert script.get_bases() == ["r0000"]
    walked = [s for s in script.walk_revisions()]
    assert len(walked) == 300
    assert walked[10].doc == "message of r0289"
    assert [s.cmd_format(False, include_parents=True) for s in walked[:1]] == [
        "r0298 -> r0299 (head)"
    ]
    assert set(sys.modules) == before
    with pytest.raises(RuntimeError, match="imported r0150"):
        script.get_revision("r0150").module  # type: ignore[union-attr]  # noqa: B018


def test_module_is_imported_once_under_a_unique_name(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    ini = make_project(tmp_path, f"version_locations = {a}{os.pathsep}{b}\n")
    counter = (
        "import builtins\nbuiltins.__dict__.setdefault('_distill_loads', []).append(revision)\n"
    )
    write_rev(a, "same_name.py", revision_source("ra", tail=counter))
    write_rev(b, "same_name.py", revision_source("rb", "ra", tail=counter))
    import builtins

    builtins.__dict__["_distill_loads"] = []
    try:
        script = open_dir(ini)
        first = script.load_module("ra")
        assert script.load_module("ra") is first
        second = script.get_revision("rb").module  # type: ignore[union-attr]
        assert first.__name__ != second.__name__
        assert (first.revision, second.revision) == ("ra", "rb")
        assert sys.modules[first.__name__] is first
        assert builtins.__dict__["_distill_loads"] == ["ra", "rb"]
    finally:
        del builtins.__dict__["_distill_loads"]


# -- env.py -------------------------------------------------------------------------------


def test_run_env_executes_a_fresh_module_each_time(tmp_path: Path) -> None:
    ini = make_project(tmp_path)
    log = tmp_path / "runs.txt"
    (tmp_path / "migrations" / "env.py").write_text(
        textwrap.dedent(
            f"""
            counter = 0
            counter += 1
            with open({str(log)!r}, "a") as handle:
                handle.write(str(counter) + "\\n")
            """
        )
    )
    script = open_dir(ini)
    script.run_env()
    script.run_env()
    assert log.read_text() == "1\n1\n"


def test_run_env_without_env_py(tmp_path: Path) -> None:
    ini = make_project(tmp_path)
    (tmp_path / "migrations" / "env.py").unlink()
    with pytest.raises(ScriptError) as error:
        open_dir(ini).run_env()
    assert "No env.py found in" in str(error.value)
    assert "distill init" in str(error.value)


def test_run_env_propagates_errors(tmp_path: Path) -> None:
    ini = make_project(tmp_path)
    (tmp_path / "migrations" / "env.py").write_text("raise KeyError('from env')\n")
    with pytest.raises(KeyError, match="from env"):
        open_dir(ini).run_env()


# -- the API against Alembic's ScriptDirectory -----------------------------------------------


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """The ALEMBIC-FACTS graph, written by hand in Alembic's file shape."""
    make_project(tmp_path)
    (tmp_path / "migrations" / "script.py.mako").write_text("")
    versions = tmp_path / "migrations" / "versions"
    for name, source in [
        ("aaa111_a.py", revision_source("aaa111", message="create account table")),
        ("bbb222_b.py", revision_source("bbb222", "aaa111")),
        ("ccc111_c.py", revision_source("ccc111", "bbb222")),
        ("ccc333_c.py", revision_source("ccc333", "bbb222", message="two\nlines\n\nand more")),
        ("mmm999_m.py", revision_source("mmm999", ("ccc111", "ccc333"))),
        ("ddd444_d.py", revision_source("ddd444", "mmm999")),
        ("sss001_s.py", revision_source("sss001", labels=("side",), depends="bbb222")),
        ("sss002_s.py", revision_source("sss002", "sss001", depends=("ccc111", "side"))),
    ]:
        write_rev(versions, name, source)
    alembic_ini = tmp_path / "alembic.ini"
    alembic_ini.write_text(
        "[alembic]\nscript_location = %(here)s/migrations\npath_separator = os\n"
    )
    return tmp_path


def test_api_matches_alembic(history: Path) -> None:
    ours = open_dir(history / "distill.ini")
    theirs = AlembicScriptDirectory.from_config(AlembicConfig(str(history / "alembic.ini")))
    assert ours.get_heads() == theirs.get_heads()
    assert ours.get_bases() == theirs.get_bases()
    assert [s.revision for s in ours.walk_revisions()] == [
        s.revision for s in theirs.walk_revisions()
    ]
    assert [s.revision for s in ours.walk_revisions("bbb222", "mmm999")] == [
        s.revision for s in theirs.walk_revisions("bbb222", "mmm999")
    ]
    for rev in ("aaa111", "bbb222", "ccc333", "mmm999", "sss001", "sss002"):
        mine, reference = ours.get_revision(rev), theirs.get_revision(rev)
        assert mine is not None and reference is not None
        for attribute in (
            "revision",
            "down_revision",
            "dependencies",
            "branch_labels",
            "doc",
            "longdoc",
            "nextrev",
            "is_head",
            "is_base",
            "is_branch_point",
            "is_merge_point",
        ):
            assert getattr(mine, attribute) == getattr(reference, attribute), (rev, attribute)
        assert Path(mine.path) == Path(reference.path)
        assert mine.module.revision == rev
    assert [s.revision for s in ours.get_revisions(["ccc1", "side@head"])] == ["ccc111", "sss002"]
    assert ours.get_revision("base") is None
    assert ours.get_revisions(None) == ()
    for symbol in ("heads", "aaa111", "side@head"):
        assert ours.as_revision_number(symbol) == theirs.as_revision_number(symbol)
    assert ours.as_revision_number("aaa1") == "aaa111"  # Alembic returns the prefix as given
    for rows in [("ccc111", "ccc333"), ("mmm999", "sss001"), ("ddd444", "sss002")]:
        assert {s.revision for s in ours.get_all_current(rows)} == {
            s.revision for s in theirs.get_all_current(rows)
        }
    assert ours.as_revision_number("base") is None


def test_single_head_and_base_errors(history: Path) -> None:
    script = open_dir(history / "distill.ini")
    with pytest.raises(DistillError, match="multiple heads"):
        script.get_current_head()
    with pytest.raises(DistillError, match="multiple bases"):
        script.get_base()


def test_iterate_revisions_matches_alembic(history: Path) -> None:
    ours = open_dir(history / "distill.ini")
    theirs = AlembicScriptDirectory.from_config(AlembicConfig(str(history / "alembic.ini")))
    for upper, lower in [("mmm999", "bbb222"), ("heads", "base"), ("ddd444", "aaa111")]:
        for inclusive in (False, True):
            assert [s.revision for s in ours.iterate_revisions(upper, lower, inclusive)] == [
                s.revision for s in theirs.iterate_revisions(upper, lower, inclusive=inclusive)
            ], (upper, lower, inclusive)


def test_single_head_project(tmp_path: Path) -> None:
    ini = make_project(tmp_path)
    versions = tmp_path / "migrations" / "versions"
    write_rev(versions, "r1.py", revision_source("r1"))
    write_rev(versions, "r2.py", revision_source("r2", "r1"))
    script = open_dir(ini)
    assert script.get_current_head() == "r2"
    assert script.get_base() == "r1"
    empty = tmp_path / "empty"
    empty_ini = make_project(empty)
    assert open_dir(empty_ini).get_current_head() is None
    assert open_dir(empty_ini).get_base() is None
