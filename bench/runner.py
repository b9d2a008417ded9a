"""Run one case: a warm-up of every participant, then rounds in a rotating order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from bench.cases import Case, CaseDef, Participant, Skip
from bench.measure import FAILED, NOT_AVAILABLE, OK, Outcome, Run, Spawner

T = TypeVar("T")

# What a case came to.
RAN = "ran"
SKIPPED = "skipped"
ERROR = "error"


@dataclass
class CaseResult:
    """A case's outcomes, or why it did not run (skipped) or stopped (error)."""

    case: CaseDef
    status: str
    reason: str = ""
    outcomes: list[Outcome] = field(default_factory=list)

    def outcome(self, name: str) -> Outcome | None:
        """The participant called `name`, when it has samples."""
        for outcome in self.outcomes:
            if outcome.name == name and outcome.usable:
                return outcome
        return None

    def ratios(self) -> dict[str, float]:
        """distill's median over Alembic's and over each floor's, by the divisor's name."""
        ours = self.outcome("distill")
        if ours is None:
            return {}
        return {
            other.name: ours.summary().median / other.summary().median
            for other in self.outcomes
            if other.name != "distill" and other.usable
        }


def rotated(items: Sequence[T], by: int) -> list[T]:
    """`items` rotated left by `by` places."""
    if not items:
        return []
    shift = by % len(items)
    return [*items[shift:], *items[:shift]]


def round_order(participants: Sequence[Participant], round_number: int) -> list[Participant]:
    """The tools first, their order rotating every round; then the floors, also rotating."""
    tools = [p for p in participants if not p.floor]
    floors = [p for p in participants if p.floor]
    return rotated(tools, round_number) + rotated(floors, round_number)


@dataclass(frozen=True)
class Launcher:
    """How every process of a run starts: through the spawner, in one environment."""

    spawner: Spawner
    env: Mapping[str, str]
    timeout: float

    def run(self, participant: Participant) -> Run:
        """Run the participant's command once."""
        return self.spawner.run(participant.argv, participant.cwd, self.env, self.timeout)

    def problem(self, run: Run) -> str:
        """How a run that did not exit 0 ended."""
        if run.returncode >= 0:
            return f"exit {run.returncode}"
        if run.seconds >= self.timeout:
            return f"stopped after the {self.timeout:g} s timeout"
        return f"killed by signal {-run.returncode}"


def attempt(
    case: Case, participant: Participant, outcome: Outcome, launcher: Launcher, record: bool
) -> None:
    """Reset, run once, check; keep the sample when `record`, or mark the outcome failed."""
    if case.reset is not None:
        case.reset()
    run = launcher.run(participant)
    if run.returncode != 0:
        refused = participant.name == "distill" and "not available" in run.stdout + run.stderr
        status = NOT_AVAILABLE if refused else FAILED
        outcome.fail(status, f"{launcher.problem(run)}: {run.last_line()}")
        return
    wrong = participant.check(run) if participant.check is not None else None
    if wrong is not None:
        outcome.fail(FAILED, f"exit 0 but {wrong}")
        return
    if record:
        outcome.seconds.append(run.seconds)
        outcome.peak_rss_kib.append(run.peak_rss_kib)


def run_case(definition: CaseDef, repeat: int, launcher: Launcher) -> CaseResult:
    """Build the case, warm every participant up once untimed, then time `repeat` rounds."""
    outcomes: dict[str, Outcome] = {}
    try:
        case = definition.build()
        outcomes = {p.name: Outcome(p.name, p.floor) for p in case.participants}
        for participant in case.participants:
            attempt(case, participant, outcomes[participant.name], launcher, record=False)
        for round_number in range(repeat):
            for participant in round_order(case.participants, round_number):
                if outcomes[participant.name].status == OK:
                    attempt(case, participant, outcomes[participant.name], launcher, record=True)
    except Skip as reason:
        return CaseResult(definition, SKIPPED, str(reason))
    except Exception as error:  # the harness's own failure (a reset, a template): report it
        message = f"{error.__class__.__name__}: {error}".splitlines()[0]
        return CaseResult(definition, ERROR, message, list(outcomes.values()))
    return CaseResult(definition, RAN, "", list(outcomes.values()))
