"""Checksums of revision files: only changes to the code count."""

from __future__ import annotations

from pathlib import Path

from distill.runtime.checksums import checksum_of_file, checksum_of_source

SOURCE = b'"""one"""\nrevision = "aaa111"\n\n\ndef upgrade():\n    op.execute("SELECT 1")\n'


def test_line_endings_trailing_whitespace_and_blank_lines_do_not_count() -> None:
    plain = checksum_of_source(SOURCE)
    assert checksum_of_source(SOURCE.replace(b"\n", b"\r\n")) == plain
    assert checksum_of_source(SOURCE.replace(b"\n", b"\r")) == plain
    assert checksum_of_source(SOURCE.replace(b"\n", b"  \t\n")) == plain
    assert checksum_of_source(SOURCE + b"\n\n   \n") == plain
    assert checksum_of_source(b"\n\n" + SOURCE.replace(b"\n\n", b"\n\n\n\n")) == plain
    assert checksum_of_source(b"\xef\xbb\xbf" + SOURCE) == plain


def test_code_indentation_and_inner_spaces_count() -> None:
    plain = checksum_of_source(SOURCE)
    assert checksum_of_source(SOURCE.replace(b"SELECT 1", b"SELECT 2")) != plain
    assert checksum_of_source(SOURCE.replace(b"    op", b"  op")) != plain
    assert checksum_of_source(SOURCE.replace(b"SELECT 1", b"SELECT  1")) != plain
    assert checksum_of_source(SOURCE + b"# note\n") != plain


def test_files_compiled_files_and_missing_files(tmp_path: Path) -> None:
    source = tmp_path / "aaa111_one.py"
    source.write_bytes(SOURCE.replace(b"\n", b"\r\n"))
    assert checksum_of_file(source) == checksum_of_source(SOURCE)
    compiled = tmp_path / "aaa111_one.pyc"
    compiled.write_bytes(b"\x00\x01 \n\n")
    assert checksum_of_file(compiled) != checksum_of_source(b"\x00\x01")
    assert checksum_of_file(tmp_path / "gone.py") is None
    assert checksum_of_file(None) is None
    assert len(checksum_of_source(SOURCE)) == 64
