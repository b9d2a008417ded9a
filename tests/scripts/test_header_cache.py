"""The per-location header cache: a warm read parses nothing, and it is never wrong when a
file changes (edits, same-size edits within the mtime window, renames, deletions, clock
skew), a corrupt cache or an unwritable folder only costs speed."""

from __future__ import annotations

import io
import marshal
import os
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from distill.config import Config
from distill.graph import Revision
from distill.scripts import header_cache
from distill.scripts.directory import ScriptDirectory
from distill.scripts.header_cache import cache_file


def source(rev: str, down: str | None, message: str = "msg") -> str:
    """A revision file in the generated shape."""
    return (
        f'"""{message}\n\nRevision ID: {rev}\n"""\n'
        f"revision = {rev!r}\ndown_revision = {down!r}\nbranch_labels = None\n"
        "depends_on = None\n\n\ndef upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n"
    )


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """distill.ini + migrations with revisions a <- b <- c; bytecode writing allowed."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    (tmp_path / "migrations" / "env.py").write_text("")
    (tmp_path / "distill.ini").write_text(
        "[distill]\nscript_location = %(here)s/migrations\npath_separator = os\n"
    )
    for rev, down in (("a", None), ("b", "a"), ("c", "b")):
        (versions / f"{rev}_x.py").write_text(source(rev, down))
    return tmp_path


def versions(project: Path) -> Path:
    return project / "migrations" / "versions"


def graph(project: Path) -> dict[str, Revision]:
    """The revisions a fresh ScriptDirectory reads."""
    directory = ScriptDirectory.from_config(Config(project / "distill.ini", stdout=io.StringIO()))
    return dict(directory.graph.revisions)


def recorded(project: Path) -> dict[str, tuple[object, ...]]:
    """The entries of the versions folder's cache file."""
    data = Path(cache_file(str(versions(project)))).read_bytes()
    entries = marshal.loads(data[12:])
    assert isinstance(entries, dict)
    return entries


def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Treat every file as old enough to record (the window is tested on its own)."""
    monkeypatch.setattr(header_cache, "SETTLE_SECONDS", 0.0)


def no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make parsing a header fail, so that a result can only come from the cache."""

    def refuse(path: str) -> Revision:
        raise AssertionError(f"parsed {path}")

    monkeypatch.setattr(header_cache, "read_header", refuse)


def test_warm_read_parses_nothing(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settled(monkeypatch)
    cold = graph(project)
    assert len(recorded(project)) == 3
    no_parsing(monkeypatch)
    assert graph(project) == cold
    assert cold["c"].down_revisions == ("b",)
    assert cold["c"].path == str((versions(project) / "c_x.py").resolve())


def test_edit_is_seen(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settled(monkeypatch)
    graph(project)
    (versions(project) / "c_x.py").write_text(source("c", "a", "a longer message now"))
    revisions = graph(project)
    assert revisions["c"].down_revisions == ("a",)
    assert revisions["c"].doc.startswith("a longer message now")


def test_same_size_edit_with_mtime_put_back_is_seen(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settled(monkeypatch)
    path = versions(project) / "c_x.py"
    before = path.stat()
    graph(project)
    time.sleep(0.05)  # past the kernel's timestamp tick, so the ctime moves
    path.write_text(source("c", "a"))  # "b" -> "a": same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    assert graph(project)["c"].down_revisions == ("a",)


def test_files_changed_within_the_window_are_not_recorded(project: Path) -> None:
    graph(project)  # the files were written just now
    assert recorded(project) == {}
    path = versions(project) / "c_x.py"
    path.write_text(source("c", "a"))  # same size, within the same instant
    assert graph(project)["c"].down_revisions == ("a",)


def test_future_mtime_is_not_recorded(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settled(monkeypatch)
    path = versions(project) / "c_x.py"
    ahead = time.time() + 3600  # a clock that runs ahead, e.g. on a file server
    os.utime(path, (ahead, ahead))
    graph(project)
    assert str(path.resolve()) not in recorded(project)
    path.write_text(source("c", "a"))
    os.utime(path, (ahead, ahead))
    assert graph(project)["c"].down_revisions == ("a",)


def test_rename_and_delete(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settled(monkeypatch)
    graph(project)
    folder = versions(project)
    (folder / "b_x.py").rename(folder / "b_renamed.py")
    (folder / "c_x.py").unlink()
    revisions = graph(project)
    assert sorted(revisions) == ["a", "b"]
    assert revisions["b"].path == str((folder / "b_renamed.py").resolve())
    assert sorted(recorded(project)) == sorted(str(p.resolve()) for p in folder.glob("*.py"))


def test_replaced_file_with_same_stat_but_new_inode_is_seen(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settled(monkeypatch)
    path = versions(project) / "c_x.py"
    before = path.stat()
    graph(project)
    replacement = path.with_name("c_new.tmp")
    replacement.write_text(source("c", "a"))
    os.utime(replacement, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(replacement, path)  # how editors and `git checkout` save
    assert graph(project)["c"].down_revisions == ("a",)


@pytest.mark.parametrize(
    "damage",
    ["garbage", "truncated", "flipped byte", "empty", "right checksum, wrong shape", "bad entry"],
)
def test_corrupt_cache_is_ignored_and_rewritten(
    project: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    settled(monkeypatch)
    expected = graph(project)
    cache = Path(cache_file(str(versions(project))))
    data = cache.read_bytes()
    if damage == "garbage":
        cache.write_bytes(b"not a cache at all")
    elif damage == "truncated":
        cache.write_bytes(data[: len(data) // 2])
    elif damage == "flipped byte":
        cache.write_bytes(data[:-5] + bytes([data[-5] ^ 0xFF]) + data[-4:])
    elif damage == "empty":
        cache.write_bytes(b"")
    else:
        if damage == "bad entry":
            entries = marshal.loads(data[12:])
            entries = {key: (*entry[:4], 42, *entry[5:]) for key, entry in entries.items()}
        else:
            entries = ["a", "list"]
        payload = marshal.dumps(entries)
        cache.write_bytes(data[:8] + zlib.crc32(payload).to_bytes(4, "little") + payload)
    assert graph(project) == expected
    assert len(recorded(project)) == 3  # rewritten whole


def test_unwritable_cache_folder(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settled(monkeypatch)
    # a plain file where __pycache__ should be: nothing can be written there, even as root
    (versions(project) / "__pycache__").write_text("")
    assert sorted(graph(project)) == ["a", "b", "c"]
    assert sorted(graph(project)) == ["a", "b", "c"]
    assert sorted(p.name for p in versions(project).iterdir()) == [
        "__pycache__",
        "a_x.py",
        "b_x.py",
        "c_x.py",
    ]


def test_no_temporary_files_are_left(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settled(monkeypatch)
    graph(project)
    (versions(project) / "c_x.py").unlink()
    graph(project)
    names = os.listdir(versions(project) / "__pycache__")
    assert names == [os.path.basename(cache_file(str(versions(project))))]


def test_not_written_when_bytecode_is_not(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settled(monkeypatch)
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    assert sorted(graph(project)) == ["a", "b", "c"]
    assert not (versions(project) / "__pycache__").exists()


@pytest.mark.parametrize("dont_write", [True, False])
def test_cli_honours_pythondontwritebytecode(project: Path, dont_write: bool) -> None:
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if dont_write:
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
    result = subprocess.run(
        [sys.executable, "-m", "distill", "heads"],
        cwd=project,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "c (head)"
    assert Path(cache_file(str(versions(project)))).exists() is not dont_write


def test_each_location_has_its_own_cache(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settled(monkeypatch)
    other = project / "more"
    other.mkdir()
    (other / "d_x.py").write_text(source("d", "c"))
    ini = project / "distill.ini"
    ini.write_text(
        ini.read_text()
        + f"version_locations = %(here)s/migrations/versions{os.pathsep}%(here)s/more\n"
    )
    cold = graph(project)
    assert sorted(cold) == ["a", "b", "c", "d"]
    assert Path(cache_file(str(other))).exists()
    no_parsing(monkeypatch)
    assert graph(project) == cold
