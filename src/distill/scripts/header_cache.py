"""A per-location cache of revision headers, so that a warm start stats files instead of
parsing them.

The cache lives in `<location>/__pycache__/distill-headers.<python tag>.cache`. An entry is
used only when the file's size, mtime, ctime and inode all match what was recorded, and a
file changed in the last few seconds is never recorded (a coarse mtime could hide a second
edit within the same tick). Any problem reading the cache means it is ignored; any problem
writing it means it is not written. It is not written when Python is told not to write
bytecode (PYTHONDONTWRITEBYTECODE, -B).
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
import time
import zlib

from distill.graph import Revision
from distill.scripts.header import read_header

# Bumped whenever the layout of an entry or what read_header returns changes.
_MAGIC = b"DSTLHDR2"
# A file whose mtime or ctime is this recent (or in the future) is parsed but not recorded.
SETTLE_SECONDS = 3.0

# size, mtime_ns, ctime_ns, inode, revision, down_revisions, branch_labels, depends_on, doc
Entry = tuple[int, int, int, int, str, tuple[str, ...], tuple[str, ...], tuple[str, ...], str]


def cache_file(location: str) -> str:
    """Where the header cache of a version location is kept."""
    tag = sys.implementation.cache_tag or "python"
    return os.path.join(location, "__pycache__", f"distill-headers.{tag}.cache")


def _load(path: str) -> dict[str, Entry]:
    """The entries of a cache file; empty when it is missing, corrupt or from elsewhere."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
        if data[:8] != _MAGIC or len(data) < 12:
            return {}
        payload = data[12:]
        if zlib.crc32(payload) != int.from_bytes(data[8:12], "little"):
            return {}
        entries = marshal.loads(payload)
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if type(entries) is not dict:
        return {}
    return {path: entry for path, entry in entries.items() if _valid(entry)}


def _valid(entry: object) -> bool:
    """A cheap shape check, so that a cache from a buggy writer can never be trusted."""
    return (
        type(entry) is tuple
        and len(entry) == 9
        and type(entry[4]) is str
        and type(entry[5]) is tuple
        and type(entry[6]) is tuple
        and type(entry[7]) is tuple
        and type(entry[8]) is str
    )


class HeaderCache:
    """The recorded headers of one version location, and the ones read this run."""

    def __init__(self, location: str) -> None:
        self.path = cache_file(location)
        self._old = _load(self.path)
        self._new: dict[str, Entry] = {}
        self._changed = False
        self._now = time.time()

    def read(self, path: str) -> Revision:
        """The revision file `path` declares (an absolute real path), cached or parsed."""
        try:
            stat = os.stat(path)
        except OSError:
            return read_header(path)  # reports the error as reading would
        entry = self._old.get(path)
        if (
            entry is not None
            and entry[1] == stat.st_mtime_ns
            and entry[0] == stat.st_size
            and entry[2] == stat.st_ctime_ns
            and entry[3] == stat.st_ino
        ):
            self._new[path] = entry
            return Revision(entry[4], entry[5], entry[6], entry[7], entry[8], path)
        key = (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)
        revision = read_header(path)
        self._changed = True
        if self._now - max(stat.st_mtime, stat.st_ctime) >= SETTLE_SECONDS:
            self._new[path] = (
                *key,
                revision.revision,
                revision.down_revisions,
                revision.branch_labels,
                revision.depends_on,
                revision.doc,
            )
        return revision

    def save(self) -> None:
        """Write the cache if it changed; silently leave it when that is not possible."""
        if sys.dont_write_bytecode:
            return
        if not self._changed and self._new.keys() == self._old.keys():
            return
        payload = marshal.dumps(self._new)
        data = _MAGIC + zlib.crc32(payload).to_bytes(4, "little") + payload
        temporary = f"{self.path}.{os.getpid()}.tmp"
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            with open(temporary, "xb") as handle:
                handle.write(data)
            os.replace(temporary, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
