"""Gates (go / no-go): the checks that must pass before a deploy or a command of a step runs (issue 17).

A step's gate (`Runbook.gate_of`: its phase's, then its own) names check steps; it holds only a
step whose actions change something (`Step.gated`: a workflow or a command, not a Slack
message). A check of a phase that runs in this environment is run live, now, through the
engine's `check_steps` (journaled like any check, never ticking a step). A check of a phase
that runs elsewhere (Phase B's staging checks gating the production deploy) cannot be run from
here: its evidence is the last result of that check in the latest run of that environment in
the journal. Only a pass is green. A failure, an inconclusive result, a check never run, a
journal that cannot be read: each is one line naming the check, because a gate that guesses
"green" is the screen lying. A green result from the journal says how old it is; the operator
judges that, the gate does not refuse on age.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cockpit.checks.result import FAIL, INCONCLUSIVE, PASS, CheckResult
from cockpit.core.text import one_line
from cockpit.journal import Event
from cockpit.journal.progress import CHECK
from cockpit.journal.store import Run, utc_now
from cockpit.runbook import Environment, Runbook

EVIDENCE_CHARS = 200  # of a failing check's evidence in a gate line

CheckSteps = Callable[[Sequence[str]], Awaitable[Mapping[str, CheckResult]]]  # the engine's check_steps(ids, tick=False)
ReadRun = Callable[[str], Awaitable[tuple[Run | None, list[Event]]]]  # environment → its latest run and its events
OUTCOME_WORDS = {PASS: "passed", FAIL: "failed", INCONCLUSIVE: "was inconclusive"}


@dataclass(frozen=True)
class GateLine:
    """One check of a gate: `ok` only for a pass; `text` names the check and says where, when and how it came out."""

    check: str
    ok: bool
    text: str


@dataclass(frozen=True)
class GateReport:
    """A step's gate as evaluated now: every check's line, in the gate's order (none: ungated)."""

    step_id: str
    lines: tuple[GateLine, ...] = ()

    @property
    def failing(self) -> tuple[str, ...]:
        """The lines of the checks that are not green (empty: the gate is green, or there is none)."""
        return tuple(line.text for line in self.lines if not line.ok)

    @property
    def green(self) -> bool:
        return not self.failing

    def to_dict(self) -> dict[str, Any]:
        """The --json form."""
        return {"green": self.green, "failing": list(self.failing),
                "checks": [{"check": line.check, "ok": line.ok, "text": line.text} for line in self.lines]}


def age(at: str, now: datetime) -> str:
    """'12 s', '5 min', '3 h 4 min', '2 d 1 h' since the journal time `at` ('?' when it cannot be read)."""
    try:
        seconds = int((now - datetime.fromisoformat(at.replace("Z", "+00:00"))).total_seconds())
    except ValueError:
        return "?"
    seconds = max(seconds, 0)
    if seconds < 60:
        return f"{seconds} s"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if minutes < 60:
        return f"{minutes} min"
    return f"{hours} h {minutes % 60} min" if hours < 24 else f"{days} d {hours % 24} h"


def _live_line(check: str, result: CheckResult | None) -> GateLine:
    if result is None:
        return GateLine(check, False, f"{check} unknown: its check did not run")
    evidence = one_line(result.evidence, EVIDENCE_CHARS)
    word = OUTCOME_WORDS.get(result.status, f"ended {result.status!r}")
    return GateLine(check, result.passed, f"{check} {word} just now: {evidence}")


def _recorded_line(check: str, environment: str, run: Run | None, events: list[Event], now: datetime) -> GateLine:
    if run is None:
        return GateLine(check, False, f"{check} never checked in {environment} (no {environment} run in the journal)")
    last = next((e for e in reversed(events) if e.kind == CHECK and e.step_id == check), None)
    if last is None:
        return GateLine(check, False, f"{check} never checked in {environment}")
    status = str(last.payload.get("status", ""))
    where = f"{check} {OUTCOME_WORDS.get(status, 'ended ' + repr(one_line(status, 40)))} in {environment} at {last.at}"
    if status == PASS:
        return GateLine(check, True, f"{where} ({age(last.at, now)} ago)")
    return GateLine(check, False, f"{where}: {one_line(str(last.payload.get('evidence', '')), EVIDENCE_CHARS)}")


async def _live(checks: list[str], run_checks: CheckSteps | None) -> dict[str, GateLine]:
    if not checks:
        return {}
    if run_checks is None:
        return {c: GateLine(c, False, f"{c} unknown: checks cannot be run here") for c in checks}
    try:
        results = await run_checks(checks)
    except Exception as exc:  # the gate must end in lines, never green by accident
        why = f"{type(exc).__name__}: {one_line(str(exc), EVIDENCE_CHARS)}"
        return {c: GateLine(c, False, f"{c} unknown: its check could not run: {why}") for c in checks}
    return {c: _live_line(c, results.get(c)) for c in checks}


async def _recorded(check: str, environment: str, read_run: ReadRun | None, now: datetime) -> GateLine:
    if read_run is None:
        return GateLine(check, False, f"{check} unknown in {environment}: no journal to read it from")
    try:
        run, events = await read_run(environment)
    except Exception as exc:  # JournalError or sqlite: unknown, never green
        return GateLine(check, False, f"{check} unknown in {environment}: the journal cannot be read: {one_line(str(exc), EVIDENCE_CHARS)}")
    return _recorded_line(check, environment, run, events, now)


async def evaluate(runbook: Runbook, env: Environment, step_id: str, run_checks: CheckSteps | None, read_run: ReadRun | None,
                   now: Callable[[], datetime] = utc_now, *, held_only: bool = True) -> GateReport:
    """The gate of `step_id` in `env`, now: live checks for this environment's phases, the journal for the others'.

    A check of a phase that runs in several other environments must have passed in each of them. `held_only`: a step
    the gate does not hold (Slack only) has none; False evaluates its gate anyway (for a message's `{gate}`)."""
    step = runbook.step(step_id)
    if step is None or (held_only and not step.gated):
        return GateReport(step_id)
    ids = runbook.gate_of(step_id)
    here = [c for c in ids if _runs_here(runbook, c, env)]
    live = await _live(here, run_checks)
    reads: dict[str, tuple[Run | None, list[Event]] | None] = {}
    lines: list[GateLine] = []
    for check in ids:
        if check in live:
            lines.append(live[check])
            continue
        phase = runbook.phase_of(check)
        for environment in phase.environments if phase is not None else ():
            lines.append(await _recorded(check, environment, _cached(read_run, reads), now().astimezone(UTC)))
    return GateReport(step_id, tuple(lines))


def _runs_here(runbook: Runbook, check: str, env: Environment) -> bool:
    phase = runbook.phase_of(check)
    return phase is None or phase.applies_to(env.name)  # None: not a step (the loader refuses that); run it, it says so


def _cached(read_run: ReadRun | None, reads: dict[str, tuple[Run | None, list[Event]] | None]) -> ReadRun | None:
    """`read_run` reading each environment once per evaluation (a failed read is tried again for the next check)."""
    if read_run is None:
        return None

    async def read(environment: str) -> tuple[Run | None, list[Event]]:
        found = reads.get(environment)
        if found is None:
            found = reads[environment] = await read_run(environment)
        return found

    return read


def gate_summary(report: GateReport) -> str:
    """A gate in one line for a message (`{gate}`): '7 of 7 passed (b-health-status passed in staging at …; …)', or
    what is not green, each failing check named."""
    if not report.lines:
        return "no gate"
    passed = sum(line.ok for line in report.lines)
    head = f"{passed} of {len(report.lines)} gate checks passed"
    return head if report.green else f"{head}; not green: " + "; ".join(report.failing)
