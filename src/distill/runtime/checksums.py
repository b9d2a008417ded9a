"""Checksums of revision files: what the applied-revision log records and `verify` compares.

The checksum is the SHA-256 of the file's normalised source, so that only changes to the
code count: line endings (CRLF, CR, LF), whitespace at the end of a line, blank lines and
a byte-order mark do not. Indentation and everything else do. A sourceless revision
(`.pyc`) is hashed as it is.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

BOM = b"\xef\xbb\xbf"


def normalised_source(data: bytes) -> bytes:
    """`data` with line endings unified, trailing whitespace and blank lines dropped."""
    if data.startswith(BOM):
        data = data[len(BOM) :]
    # map/filter keep the per-line work in C: an upgrade checks every applied file
    return b"\n".join(filter(None, map(bytes.rstrip, data.splitlines())))


def checksum_of_source(data: bytes, *, compiled: bool = False) -> str:
    """The checksum of a revision file's bytes (compiled files are not normalised)."""
    return hashlib.sha256(data if compiled else normalised_source(data)).hexdigest()


def checksum_of_file(path: str | Path | None) -> str | None:
    """The checksum of the revision file at `path`; None when there is no such file."""
    if not path:
        return None
    name = os.fspath(path)
    try:
        data = _read(name)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    return checksum_of_source(data, compiled=name.endswith((".pyc", ".pyo")))


def _read(name: str) -> bytes:
    """The file's bytes, read without io's buffered file object (a run checks every
    applied revision's file: this is about three times faster per small file)."""
    handle = os.open(name, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        chunks = []
        while chunk := os.read(handle, 65536):
            chunks.append(chunk)
    finally:
        os.close(handle)
    return b"".join(chunks)


def squashed_revisions(path: str | Path | None) -> tuple[str, ...]:
    """The ids a revision file says were squashed into it (`squashed = (...)`, written by
    `distill squash --finalize`); () for any other file."""
    import ast

    if not path:
        return ()
    try:
        tree = ast.parse(Path(path).read_bytes())
    except (OSError, SyntaxError, ValueError):
        return ()
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and target.id == "squashed" and value is not None:
            try:
                found = ast.literal_eval(value)
            except ValueError:
                return ()
            return tuple(str(rev) for rev in found)
    return ()
