"""Run one package on one database with both tools, step by step, and compare."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from realworld import databases, deliberate, snapshot
from realworld.compare import Outcome, compare_outcomes, compare_snapshots, summarise
from realworld.packages import PackageSpec
from realworld.workspace import Venv, prepare, run_tool, write_project

TOOLS = ("alembic", "distill")
ENVS = Path(__file__).parent / "envs"


@dataclass(frozen=True)
class StepResult:
    """One package x database x step: how each tool ended and what differed."""

    package: str
    backend: str
    step: str
    outcomes: dict[str, Outcome]
    differences: list[str] = field(default_factory=list)
    skipped: str = ""  # why the step did not run
    deliberate: list[str] = field(default_factory=list)  # README's deliberate differences

    @property
    def status(self) -> str:
        """identical, deliberate (only README's deliberate differences), different, failed
        (both tools failed alike) or skipped."""
        if self.skipped:
            return "skipped"
        if not all(outcome.ok for outcome in self.outcomes.values()):
            failed_alike = not any(o.ok for o in self.outcomes.values())
            return "failed" if failed_alike and len(self.differences) == 1 else "different"
        if self.differences:
            return "different"
        return "deliberate" if self.deliberate else "identical"

    def line(self) -> str:
        """The one line printed for this step."""
        head = f"{self.package:<16} {self.backend:<10} {self.step:<22}"
        if self.skipped:
            return f"{head} skipped: {self.skipped}"
        if self.status == "deliberate":
            return f"{head} {summarise(self.deliberate, 1).partition(': ')[2]}"
        text = summarise(self.differences)
        if self.status == "failed":
            text = "failed under both tools" + text.partition("both failed")[2]
        if self.deliberate:
            text += f" (+{len(self.deliberate)} deliberate)"
        return f"{head} {text}"


def steps_for(spec: PackageSpec, backend: str) -> list[tuple[str, tuple[str, ...]]]:
    """The steps: upgrade head, downgrade as far as the history allows, upgrade head again."""
    floor = spec.floor(backend)
    return [
        ("upgrade head", ("upgrade", "head")),
        (f"downgrade {floor}", ("downgrade", floor)),
        ("upgrade head again", ("upgrade", "head")),
    ]


def run_package(
    spec: PackageSpec,
    venv: Venv,
    backend: str,
    workdir: Path,
    keep: bool,
    report: Callable[[StepResult], None],
) -> list[StepResult]:
    """All steps of `spec` on `backend`, each tool on its own fresh database."""
    urls = {
        tool: databases.create(backend, f"{spec.name}_{tool[0]}", workdir / "db") for tool in TOOLS
    }
    try:
        site = venv.site_packages()
        env_py = (ENVS / spec.env_py).read_text() if spec.env_py else None
        projects = {
            tool: write_project(
                workdir / tool,
                databases.with_driver(urls[tool], spec.drivers.get(backend)),
                site / spec.script_location,
                tuple(site / v for v in spec.version_locations.get(backend, ())),
                env_py,
                {"realworld.imports": " ".join(spec.env_imports)},
            )
            for tool in TOOLS
        }
        if spec.prepare:
            for tool in TOOLS:
                prepare(venv, spec.prepare, urls[tool], workdir / f"{tool}.log")
        results: list[StepResult] = []
        stopped = ""
        history: list[tuple[str, ...]] = []
        for name, args in steps_for(spec, backend):
            if stopped:
                result = StepResult(spec.name, backend, name, {}, skipped=stopped)
            else:
                result = _run_step(
                    spec, venv, backend, name, (*history, args), urls, projects, workdir
                )
                history.append(args)
                if not all(o.ok for o in result.outcomes.values()):
                    stopped = f"'{name}' failed"
            report(result)
            results.append(result)
        return results
    finally:
        if not keep:
            for url in urls.values():
                databases.drop(url)


def _run_step(
    spec: PackageSpec,
    venv: Venv,
    backend: str,
    name: str,
    commands: tuple[tuple[str, ...], ...],
    urls: dict[str, str],
    projects: dict[str, Path],
    workdir: Path,
) -> StepResult:
    """Run one step (the last of `commands`, the others ran before) with both tools side by
    side, then compare outcomes and databases."""
    args = commands[-1]
    env = {
        tool: spec.environment(databases.with_driver(urls[tool], spec.drivers.get(backend)))
        for tool in TOOLS
    }

    def run(tool: str, project: str, step_args: tuple[str, ...]) -> Outcome:
        log = workdir / f"{project}.log"
        return run_tool(venv, tool, projects[project], step_args, env[project], log)

    with ThreadPoolExecutor(len(TOOLS)) as pool:
        futures = {tool: pool.submit(run, tool, tool, args) for tool in TOOLS}
        outcomes = {tool: future.result() for tool, future in futures.items()}
    differences = compare_outcomes(outcomes["alembic"], outcomes["distill"])
    if outcomes["alembic"].ok and not outcomes["distill"].ok:

        def carry(target: tuple[str, ...]) -> Outcome:
            """Alembic brings a fresh distill database through the earlier steps to `target`."""
            databases.reset(urls["distill"])
            if spec.prepare:
                prepare(venv, spec.prepare, urls["distill"], workdir / "distill.log")
            for earlier in (*commands[:-1], target):
                outcome = run("alembic", "distill", earlier)
                if not outcome.ok:
                    return outcome
            return outcome

        bridged, final = bridge(
            carry, lambda a: run("distill", "distill", a), args, outcomes["distill"]
        )
        differences += bridged
        outcomes = {**outcomes, "distill": final}
    snapshots: dict[str, Any] = {}
    for tool in TOOLS:
        snapshots[tool] = snapshot.take(urls[tool], spec.version_table, spec.volatile)
    differences += compare_snapshots(snapshots["alembic"], snapshots["distill"])
    unexplained, explained = deliberate.split(spec.name, backend, differences)
    return StepResult(spec.name, backend, name, outcomes, unexplained, deliberate=explained)


def bridge_target(revision: str) -> str:
    """The revision to hand to Alembic after distill failed on `a -> b`: b (one id only)."""
    if "->" not in revision:
        return ""
    target = revision.split("->")[-1].strip()
    return "" if not target or "," in target else target


def bridge(
    alembic: Callable[[tuple[str, ...]], Outcome],
    distill: Callable[[tuple[str, ...]], Outcome],
    args: tuple[str, ...],
    failed: Outcome,
    limit: int = 15,
) -> tuple[list[str], Outcome]:
    """Let Alembic carry distill's database past each revision distill fails, then resume.

    Returns a line per bridged revision and distill's last outcome, so one run reports
    every failing revision of a history instead of only the first.
    """
    lines: list[str] = []
    outcome = failed
    for _ in range(limit):
        target = bridge_target(outcome.revision)
        if outcome.ok or not target:
            break
        carried = alembic((args[0], target))
        if not carried.ok:
            lines.append(
                f"bridge: alembic could not carry distill's database to {target}: {carried.error}"
            )
            break
        outcome = distill(args)
        if not outcome.ok:
            lines.append(
                f"distill failed again after alembic carried it to {target}: {outcome.error}"
            )
    return lines, outcome
