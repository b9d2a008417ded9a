"""Run a documentation page: its fenced bash and Python blocks, in order, in one folder.

A page is read as a reader follows it:

- a ```bash block runs in bash, in the folder and with the variables the previous bash
  block left (a `cd`, an `export` or `. .venv/bin/activate` carries over);
- a ```python block without a title runs with the `python` that shell finds;
- a block with `title="path"` is that file's content (written relative to the current
  folder), whatever its language;
- a ```text block right after a bash or Python block that ran is that block's output:
  each of its lines must start a line of what the block printed, `...` matching
  anything;
- blocks in other languages (ini, toml without a title) are illustration and are not run.

An HTML comment on the line before a fence changes what happens to that block:

- `<!-- doc-test: replace "OLD" -->`: the titled block replaces the text OLD inside the
  existing file (OLD must be there);
- `<!-- doc-test: exits N -->`: the block must end with exit status N;
- `<!-- doc-test: install -->`: the block installs distill; it runs only when the runner
  installs (the checkout is installed in place of the package name), otherwise the
  checkout's own environment is used;
- `<!-- doc-test: needs postgresql -->`: the block needs a PostgreSQL server; it runs only
  when the runner is given one, with every PostgreSQL URL in it replaced by the server's
  (keep these few).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[\w-]*)(?P<attrs>[^\n`]*)$")
TITLE = re.compile(r'title="(?P<title>[^"]+)"')
DIRECTIVE = re.compile(r"^\s*<!--\s*doc-test:\s*(?P<text>.*?)\s*-->\s*$")
RUN_LANGUAGES = ("bash", "python")
NEEDS_POSTGRESQL = "needs postgresql"
INSTALL = "install"
CHECKOUT = Path(__file__).resolve().parents[2]
POSTGRESQL_URL = re.compile(r"postgresql\+psycopg://[^\s\"']+")


@dataclass(frozen=True)
class Block:
    """One fenced block of a Markdown page."""

    lang: str
    code: str
    line: int
    title: str | None = None
    directive: str | None = None

    @property
    def where(self) -> str:
        """`line N` for messages."""
        return f"line {self.line}"

    @property
    def expected_exit(self) -> int:
        """The exit status the block must end with (`exits N`, default 0)."""
        if self.directive and self.directive.startswith("exits "):
            return int(self.directive.split()[1])
        return 0

    @property
    def replaces(self) -> str | None:
        """The text a `replace "OLD"` block replaces, or None."""
        if self.directive and self.directive.startswith("replace "):
            return str(self.directive[len("replace ") :].strip().strip('"'))
        return None


def blocks(markdown: str) -> list[Block]:
    """Every fenced block of `markdown`, in order, with its title and directive."""
    lines = markdown.splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent = len(opening["indent"])
        body: list[str] = []
        end = index + 1
        while end < len(lines) and lines[end].strip() != "```":
            body.append(lines[end][indent:])
            end += 1
        title = TITLE.search(opening["attrs"])
        previous = _previous_text_line(lines, index)
        directive = DIRECTIVE.match(previous) if previous is not None else None
        found.append(
            Block(
                lang=opening["lang"],
                code="\n".join(body) + "\n",
                line=index + 1,
                title=title["title"] if title else None,
                directive=directive["text"] if directive else None,
            )
        )
        index = end + 1
    return found


def _previous_text_line(lines: list[str], index: int) -> str | None:
    """The nearest non-blank line above `index`, if any."""
    for line in reversed(lines[:index]):
        if line.strip():
            return line
    return None


def runnable(block: Block) -> bool:
    """True for the blocks a page run executes or writes."""
    return block.title is not None or block.lang in RUN_LANGUAGES


class PageRun:
    """Runs a page's blocks one after the other in `folder`, as one reader's terminal."""

    def __init__(
        self,
        folder: Path,
        install: bool = False,
        postgresql_url: str | None = None,
        timeout: float = 600,
    ) -> None:
        self.folder = folder
        self.install = install
        self.postgresql_url = postgresql_url
        self.timeout = timeout
        self.state = folder / ".doc-state"
        self.state.mkdir(parents=True)
        self.cwd = folder
        self.log: list[str] = []
        self.last_output: str | None = None
        self._env_file = self.state / "env"
        self._cwd_file = self.state / "cwd"
        self._env_file.write_text(_initial_exports(install))

    def run(self, block: Block, page: str) -> None:
        """Run, write or skip one block; an AssertionError says which block failed and how."""
        output, self.last_output = self.last_output, None
        if block.lang == "text" and block.title is None:
            if output is not None:
                check_output(block, output, page)
            return
        if not runnable(block):
            return
        if block.directive == NEEDS_POSTGRESQL and self.postgresql_url is None:
            return
        if block.directive == INSTALL and not self.install:
            return
        if block.title is not None:
            self._write(block, page)
            return
        if block.lang == "bash":
            code = block.code
            if block.directive == INSTALL:
                code = checkout_install(code)
            if block.directive == NEEDS_POSTGRESQL and self.postgresql_url is not None:
                code = POSTGRESQL_URL.sub(self.postgresql_url, code)
            self._shell(code, block, page)
        elif block.lang == "python":
            self._shell(f"python - <<'DOC_PYTHON_EOF'\n{block.code}DOC_PYTHON_EOF\n", block, page)

    def _write(self, block: Block, page: str) -> None:
        """Write (or edit, with `replace`) the file the block's title names."""
        assert block.title is not None
        path = self.cwd / block.title
        old = block.replaces
        if old is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(block.code)
            return
        assert path.is_file(), f"{page} {block.where}: {block.title} does not exist to edit"
        text = path.read_text()
        assert old in text, f"{page} {block.where}: {block.title} has no line {old!r} to replace"
        path.write_text(text.replace(old, block.code.rstrip("\n"), 1))

    def _shell(self, code: str, block: Block, page: str) -> None:
        """Run bash code in the saved folder and environment, then save them again."""
        script = (
            f". {shlex.quote(str(self._env_file))}\n"
            f"cd {shlex.quote(str(self.cwd))}\n"
            f"trap 'pwd > {shlex.quote(str(self._cwd_file))}; "
            f"export -p > {shlex.quote(str(self._env_file))}' EXIT\n"
            "set -eo pipefail\n"
            f"{code}"
        )
        result = subprocess.run(
            ["bash", "-c", script],
            env=_base_environment(),
            capture_output=True,
            text=True,
            timeout=self.timeout,
            check=False,
        )
        self.log.append(f"$ {block.code}{result.stdout}{result.stderr}")
        self.last_output = result.stdout + result.stderr
        if self._cwd_file.exists():
            self.cwd = Path(self._cwd_file.read_text().strip())
        assert result.returncode == block.expected_exit, (
            f"{page} {block.where}: exit {result.returncode}, "
            f"expected {block.expected_exit}\n{block.code}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )


def check_output(block: Block, output: str, page: str) -> None:
    """Every line of the text block starts a line of `output` (`...` matches anything)."""
    printed = [line.strip() for line in output.splitlines()]
    for expected in block.code.splitlines():
        if not expected.strip() or expected.strip() == "...":
            continue
        pattern = re.compile(".*".join(re.escape(part) for part in expected.strip().split("...")))
        assert any(pattern.match(line) for line in printed), (
            f"{page} {block.where}: the output shown has the line {expected!r}, "
            f"the command printed:\n{output}"
        )


def _base_environment() -> dict[str, str]:
    """What a fresh terminal has: a home, a locale, a temporary folder; no virtualenv."""
    keep = ("HOME", "LANG", "TMPDIR", "USER", "LOGNAME", "CI")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env.setdefault("LANG", "C.UTF-8")
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
    return env


def _initial_exports(install: bool) -> str:
    """The shell variables a run starts with: the checkout's Python first unless installing."""
    path = os.environ.get("PATH", "/usr/bin:/bin")
    if not install:
        path = f"{Path(sys.executable).parent}{os.pathsep}{path}"
    variables = {"PATH": path, "PYTHONDONTWRITEBYTECODE": "1", "NO_COLOR": "1"}
    variables.update({k: v for k, v in os.environ.items() if k.startswith("PIP_")})
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in variables.items())


def checkout_install(code: str) -> str:
    """An install block with the package name replaced by this checkout (same extras)."""
    pattern = re.compile(r"""(?P<quote>["']?)distill(?P<extras>\[[\w,]+\])?(?P=quote)""")

    def local(match: re.Match[str]) -> str:
        return shlex.quote(f"{CHECKOUT}{match['extras'] or ''}")

    lines = [
        pattern.sub(local, line) if re.search(r"\bpip install\b", line) else line
        for line in code.splitlines()
    ]
    return "\n".join(lines) + "\n"


def run_page(
    page: Path, folder: Path, install: bool = False, postgresql_url: str | None = None
) -> PageRun:
    """Run every runnable block of `page` in `folder`; the run's log is on the result."""
    run = PageRun(folder, install=install, postgresql_url=postgresql_url)
    for block in blocks(page.read_text(encoding="utf-8")):
        run.run(block, page.name)
    return run
