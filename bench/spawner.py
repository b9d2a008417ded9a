"""Start the timed processes from a process of its own, small enough to measure them.

A child's peak RSS (wait4's ru_maxrss) includes the resident size of the process that
forked it, as it stood at the fork: spawned straight from the harness, which holds
SQLAlchemy and the projects, every child would look as big as the harness. This
script runs under `python -S` with builtin modules only (about 10 MB) and reads
requests from stdin: one marshal record `(argv, cwd, env, stdout, stderr, timeout)`
per process, answered with `(wait status, seconds, peak RSS in KiB)`.
"""

from __future__ import annotations

import marshal
import os
import signal
import sys
import time


def main() -> None:
    """Serve requests until stdin closes."""
    running = [0]

    def stop(signum: int, frame: object) -> None:
        if running[0]:
            os.kill(running[0], signal.SIGKILL)

    signal.signal(signal.SIGALRM, stop)
    while True:
        try:
            argv, cwd, env, out, err, timeout = marshal.load(sys.stdin.buffer)
        except EOFError:
            return
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        outputs = [os.open(out, flags, 0o644), os.open(err, flags, 0o644)]
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, outputs[0], 1),
            (os.POSIX_SPAWN_DUP2, outputs[1], 2),
        ]
        os.chdir(cwd)
        start = time.perf_counter()
        running[0] = os.posix_spawn(argv[0], argv, env, file_actions=actions)
        signal.setitimer(signal.ITIMER_REAL, timeout)
        _, status, usage = os.wait4(running[0], 0)
        seconds = time.perf_counter() - start
        signal.setitimer(signal.ITIMER_REAL, 0)
        running[0] = 0
        for descriptor in outputs:
            os.close(descriptor)
        marshal.dump((status, seconds, usage.ru_maxrss), sys.stdout.buffer)
        sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
