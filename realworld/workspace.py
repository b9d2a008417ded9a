"""The throwaway venv per package, the generated projects, and running the two tools."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from realworld.compare import Outcome

ALEMBIC_REQUIREMENT = "alembic==1.20.1"
DRIVERS = ("psycopg[binary]", "PyMySQL", "aiosqlite", "asyncpg", "greenlet")
CHECKOUT = Path(__file__).resolve().parents[1]
STEP_TIMEOUT = 1800  # seconds; a long history on a slow server takes minutes, never half an hour

_LOGGING = """
[loggers]
keys = root,sqlalchemy,alembic

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console
qualname =

[logger_sqlalchemy]
level = WARNING
handlers =
qualname = sqlalchemy.engine

[logger_alembic]
level = INFO
handlers =
qualname = alembic

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(levelname)-5.5s [%(name)s] %(message)s
"""


def cache_root() -> Path:
    """Where venvs and projects go: $DISTILL_REALWORLD_CACHE, else a user cache folder."""
    configured = os.environ.get("DISTILL_REALWORLD_CACHE")
    if configured:
        return Path(configured).expanduser().resolve()
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "distill-realworld"


@dataclass(frozen=True)
class Venv:
    """A throwaway virtual environment holding one package, Alembic and distill."""

    path: Path

    @property
    def bin(self) -> Path:
        """Its scripts folder."""
        return self.path / "bin"

    def site_packages(self) -> Path:
        """Its site-packages folder."""
        found = sorted(self.path.glob("lib/python*/site-packages"))
        if not found:
            raise RuntimeError(f"{self.path} has no site-packages; remove it and run again")
        return found[0]

    def versions(self) -> dict[str, str]:
        """Installed distribution versions, by lower-case name."""
        script = (
            "import json, importlib.metadata as m;"
            "print(json.dumps({d.metadata['Name'].lower(): d.version for d in m.distributions()}))"
        )
        out = subprocess.run(
            [str(self.bin / "python"), "-c", script], capture_output=True, text=True, check=True
        )
        return dict(json.loads(out.stdout))


def ensure_venv(name: str, requirements: tuple[str, ...], reuse: bool, log: Path) -> Venv:
    """The venv for one package: made anew, or with `reuse` kept and only topped up."""
    venv = Venv(cache_root() / name)
    marker = venv.path / "realworld-requirements.json"
    wanted = [*requirements, ALEMBIC_REQUIREMENT, *DRIVERS]
    if reuse and marker.exists() and json.loads(marker.read_text()) == wanted:
        return venv
    if venv.path.exists() and not reuse:
        subprocess.run(["rm", "-rf", str(venv.path)], check=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    if not (venv.bin / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv.path)], check=True)
    command = [str(venv.bin / "pip"), "install", "-q", *wanted, "-e", str(CHECKOUT)]
    with log.open("w") as out:
        result = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        raise RuntimeError(f"installing {' '.join(wanted)} failed; see {log}")
    marker.write_text(json.dumps(wanted))
    return venv


def write_project(
    folder: Path,
    url: str,
    script_location: Path,
    version_locations: tuple[Path, ...] = (),
    env_py: str | None = None,
    ini_options: dict[str, str] | None = None,
) -> Path:
    """Write alembic.ini (and our env.py when given) into `folder`; return the ini path."""
    folder.mkdir(parents=True, exist_ok=True)
    if env_py is not None:
        script_location = folder / "env"
        script_location.mkdir(exist_ok=True)
        (script_location / "env.py").write_text(env_py)
        (script_location / "script.py.mako").write_text('"""${message}"""\n')
    lines = [
        "[alembic]",
        f"script_location = {script_location}",
        "path_separator = os",
        f"sqlalchemy.url = {url.replace('%', '%%')}",
    ]
    if version_locations:
        lines.append("version_locations = " + os.pathsep.join(str(p) for p in version_locations))
    lines += [f"{key} = {value.replace('%', '%%')}" for key, value in (ini_options or {}).items()]
    ini = folder / "alembic.ini"
    ini.write_text("\n".join(lines) + "\n" + _LOGGING)
    return ini


_RUNNING = re.compile(r"Running (?:upgrade|downgrade|stamp_revision) (.*?)(?:,|$)", re.M)


_TRACEBACK_FILE = re.compile(r'File "([^"\n]*/versions/[^"\n]*)\.py", line \d+')


def _last_revision(text: str) -> str:
    """The last `Running upgrade a -> b` the tool printed, as `a -> b`.

    Without those lines (an env.py that sets up no logging) the last revision file in
    the traceback names it instead.
    """
    found = _RUNNING.findall(text)
    if found:
        return str(found[-1]).strip()
    files = [path for path in _TRACEBACK_FILE.findall(text) if not _is_stdlib(path)]
    return f"(file {Path(files[-1]).name}.py)" if files else ""


def _is_stdlib(path: str) -> bool:
    """True for the standard library (whose path may contain a `versions/` folder too)."""
    return path.startswith(sys.base_prefix) and "site-packages" not in path


_FILE_PATH = re.compile(r"\(/[^()\s]*/([^/()\s]+\.py)\)")


def failure_line(text: str) -> str:
    """The line of a tool's output that says why it failed (revision files by name only)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    chosen = lines[-1] if lines else "(no output)"
    for line in reversed(lines):
        if line.startswith("FAILED:") or re.match(r"^[\w.]+(Error|Exception|Exit)\b.*:", line):
            chosen = line
            break
    return _FILE_PATH.sub(r"(\1)", chosen)[:500]


def run_tool(
    venv: Venv, tool: str, ini: Path, args: tuple[str, ...], env: dict[str, str], log: Path
) -> Outcome:
    """Run `alembic` or `distill` from the venv on the project; the log keeps its output."""
    command = [str(venv.bin / tool), "-c", str(ini), *args]
    environment = {**os.environ, **env, "PATH": f"{venv.bin}{os.pathsep}{os.environ['PATH']}"}
    environment.pop("VIRTUAL_ENV", None)
    try:
        result = subprocess.run(
            command,
            cwd=ini.parent,
            capture_output=True,
            text=True,
            env=environment,
            timeout=STEP_TIMEOUT,
        )
        exit_code, output = result.returncode, result.stdout + result.stderr
    except subprocess.TimeoutExpired as expired:
        partial = expired.stderr.decode() if isinstance(expired.stderr, bytes) else ""
        exit_code, output = -9, f"timed out after {STEP_TIMEOUT} s\n{partial}"
    with log.open("a") as out:
        out.write(f"$ {' '.join(command)}\n{output}\n[exit {exit_code}]\n\n")
    error = "" if exit_code == 0 else failure_line(output)
    return Outcome(exit_code, error, _last_revision(output))


def prepare(venv: Venv, code: str, url: str, log: Path) -> None:
    """Run a package's set-up code (what its application does before migrating) on `url`."""
    result = subprocess.run(
        [str(venv.bin / "python"), "-c", code, url], capture_output=True, text=True, timeout=600
    )
    with log.open("a") as out:
        out.write(
            f"$ prepare {url}\n{result.stdout}{result.stderr}\n[exit {result.returncode}]\n\n"
        )
    if result.returncode != 0:
        raise RuntimeError(f"preparing {url} failed: {failure_line(result.stdout + result.stderr)}")
