"""Run one fresh process, timing it and reading its peak memory; summarise samples."""

from __future__ import annotations

import marshal
import os
import statistics
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Run:
    """One finished child process."""

    returncode: int
    seconds: float
    peak_rss_kib: int
    stdout: str
    stderr: str

    def last_line(self) -> str:
        """The last non-empty line of its output, stderr first: usually the error."""
        for text in (self.stderr, self.stdout):
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            if lines:
                return lines[-1][:300]
        return "no output"


class Spawner:
    """The helper process (bench/spawner.py) that starts and times every measured process."""

    def __init__(self, python: Path, folder: Path) -> None:
        script = Path(__file__).with_name("spawner.py")
        self.folder = folder
        self.process = subprocess.Popen(
            [str(python), "-S", str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )

    def run(self, argv: Sequence[str], cwd: Path, env: Mapping[str, str], timeout: float) -> Run:
        """Run `argv` to completion: wall time from spawn to exit, peak RSS from wait4."""
        out, err = self.folder / "stdout.txt", self.folder / "stderr.txt"
        request = (list(argv), str(cwd), dict(env), str(out), str(err), float(timeout))
        assert self.process.stdin is not None and self.process.stdout is not None
        marshal.dump(request, self.process.stdin)
        self.process.stdin.flush()
        try:
            status, seconds, peak = marshal.load(self.process.stdout)
        except EOFError:
            raise RuntimeError(f"the spawner stopped while running {argv[0]}") from None
        return Run(
            returncode=os.waitstatus_to_exitcode(status),
            seconds=seconds,
            peak_rss_kib=peak,  # ru_maxrss is in kilobytes on Linux
            stdout=out.read_text(errors="replace"),
            stderr=err.read_text(errors="replace"),
        )

    def close(self) -> None:
        """Let the spawner finish."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait()


@dataclass(frozen=True)
class Summary:
    """Median with the range of the samples."""

    median: float
    low: float
    high: float


def summarize(values: Sequence[float]) -> Summary:
    """The median, minimum and maximum of at least one sample."""
    if not values:
        raise ValueError("no samples to summarize")
    return Summary(statistics.median(values), min(values), max(values))


# What happened to one participant of a case.
OK = "ok"
FAILED = "failed"
NOT_AVAILABLE = "not available"


@dataclass
class Outcome:
    """One participant's samples in one case, or why it has none."""

    name: str
    floor: bool
    status: str = OK
    message: str = ""
    seconds: list[float] = field(default_factory=list)
    peak_rss_kib: list[int] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        """Whether it ran and has samples."""
        return self.status == OK and bool(self.seconds)

    def summary(self) -> Summary:
        """The median and range of its wall times."""
        return summarize(self.seconds)

    def peak_rss_mib(self) -> float:
        """The highest peak RSS over its timed runs, in MiB."""
        return max(self.peak_rss_kib) / 1024

    def fail(self, status: str, message: str) -> None:
        """Mark it failed (or not available) and drop its samples."""
        self.status, self.message = status, message
        self.seconds.clear()
        self.peak_rss_kib.clear()

    def as_dict(self) -> dict[str, object]:
        """Plain data for the JSON results."""
        data: dict[str, object] = {
            "name": self.name,
            "floor": self.floor,
            "status": self.status,
            "seconds": [round(value, 4) for value in self.seconds],
        }
        if self.message:
            data["message"] = self.message
        if self.usable:
            summary = self.summary()
            data |= {
                "median": round(summary.median, 4),
                "min": round(summary.low, 4),
                "max": round(summary.high, 4),
                "peak_rss_mib": round(self.peak_rss_mib(), 1),
                "peak_rss_kib_each": list(self.peak_rss_kib),
            }
        return data
