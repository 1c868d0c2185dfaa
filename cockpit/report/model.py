"""The release report as data (frozen): what `build_report` finds and `to_markdown` / `to_json` write.

Times are the journal's ISO-8601 UTC strings ('' when there is none); every text field is
already cleaned (cockpit/report/clean.py); `link` fields hold only http(s) URLs cockpit made.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckReport:
    """The latest automated check of a step."""

    status: str
    evidence: str
    at: str
    by: str
    latency_ms: float | None = None


@dataclass(frozen=True)
class NoteReport:
    """A note on a step."""

    at: str
    by: str
    text: str


@dataclass(frozen=True)
class StepReport:
    """One step: done / open / info / not-applicable, who ticked it and when, and its evidence."""

    id: str
    title: str
    kind: str
    status: str
    by: str = ""
    at: str = ""
    evidence: str = ""
    override: str = ""
    check: CheckReport | None = None
    notes: tuple[NoteReport, ...] = ()


@dataclass(frozen=True)
class PhaseReport:
    """A phase: its steps, and the time its steps took (first to last event) against the plan's duration."""

    id: str
    title: str
    status: str  # not started / in progress / done / not applicable
    planned_minutes: int | None
    started_at: str
    ended_at: str
    actual_seconds: float | None  # None: not started
    contingency: bool
    done: int
    total: int
    steps: tuple[StepReport, ...]

    @property
    def over_plan(self) -> bool:
        """True when the phase took longer than the plan says."""
        return self.planned_minutes is not None and self.actual_seconds is not None and self.actual_seconds > self.planned_minutes * 60


@dataclass(frozen=True)
class TimelineEntry:
    """One journaled event, in time order: `kind` (tick, check, action, rollback, alarm...), `subject` (a step,
    a service, an alarm), one line `text`, and `link` when it has one."""

    at: str
    who: str
    kind: str
    subject: str
    text: str
    link: str = ""


@dataclass(frozen=True)
class ActionReport:
    """One action of a step: passed / failed / unknown / no outcome, with its evidence and link."""

    step_id: str
    index: int
    kind: str
    target: str
    status: str
    started_at: str
    by: str
    ended_at: str
    evidence: str
    link: str = ""
    acknowledged_by: str = ""


@dataclass(frozen=True)
class RollbackReport:
    """One rollback of a service, from its intent to its outcome."""

    service: str
    from_revision: str
    to_revision: str
    started_at: str
    by: str
    ended_at: str
    status: str  # the outcome's (completed, timeout, failed, ...), or "no outcome"
    ok: bool | None  # None: no outcome journaled
    reason: str
    health: str = ""


@dataclass(frozen=True)
class AlarmTransition:
    """An alarm's change of state, as the engine saw it."""

    at: str
    name: str
    state: str
    previous: str
    reason: str


@dataclass(frozen=True)
class Participant:
    """Someone who journaled something in the run: what, and from when to when."""

    who: str
    did: tuple[tuple[str, int], ...]  # (what, how many), e.g. ("ticks", 3)
    first_at: str
    last_at: str


@dataclass(frozen=True)
class Item:
    """A line of the left-open or failed lists: what kind of thing (step, check, action, rollback, alarm), which one,
    why, when (`at`, '' for a step not done) and the phase of a step (`group`)."""

    kind: str
    subject: str
    text: str
    at: str = ""
    group: str = ""


@dataclass(frozen=True)
class Report:
    """The release report of one run."""

    runbook_id: str
    runbook_name: str
    runbook_version: str
    environment: str
    environment_label: str
    production: bool
    run_id: int | None
    started_at: str
    started_by: str
    generated_at: str
    status: str  # the overall status in one line
    done: int
    total: int
    phases: tuple[PhaseReport, ...]
    timeline: tuple[TimelineEntry, ...]
    actions: tuple[ActionReport, ...]
    rollbacks: tuple[RollbackReport, ...]
    alarms: tuple[AlarmTransition, ...]
    participants: tuple[Participant, ...]
    left_open: tuple[Item, ...]
    failed: tuple[Item, ...]
