"""`build_report`: a run's committed journal events, read against its runbook, as a `Report`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from cockpit.journal import Event, Run, StepState, fold
from cockpit.journal.progress import phase_counts, run_counts
from cockpit.journal.records import action_entries, alarm_entries, rollback_entries, step_status
from cockpit.report.clean import clean, clean_lines
from cockpit.report.lists import failed_items, open_items, status_line
from cockpit.report.model import (
    ActionReport,
    AlarmTransition,
    CheckReport,
    NoteReport,
    Participant,
    PhaseReport,
    Report,
    RollbackReport,
    StepReport,
)
from cockpit.report.timeline import action_report, participants, rollback_reports, timeline
from cockpit.runbook import Environment, Phase, Runbook


def iso(moment: datetime) -> str:
    """`moment` as the journal writes times: ISO-8601 UTC with milliseconds and Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def seconds_between(first: str, last: str) -> float:
    """Seconds from one journal time to another."""
    return (datetime.fromisoformat(last) - datetime.fromisoformat(first)).total_seconds()


def _step(step, applies: bool, state: StepState) -> StepReport:
    check = state.check
    return StepReport(
        step.id, clean(step.title), step.kind, step_status(step, applies, state),
        by=clean(state.by) if state.done else "", at=state.at if state.done else "",
        evidence=clean(state.evidence), override=clean(state.override),
        check=None if check is None else CheckReport(clean(check.status), clean(check.evidence), check.at, clean(check.who), check.latency_ms),
        notes=tuple(NoteReport(n.at, clean(n.who), clean_lines(n.text)) for n in state.notes),
    )


def _phase(phase: Phase, env_name: str, states: dict[str, StepState]) -> PhaseReport:
    applies = phase.applies_to(env_name)
    seen = [states[s.id] for s in phase.steps if s.id in states]
    first = min((st.first_at for st in seen), default="")
    last = max((st.last_at for st in seen), default="")
    done, total = phase_counts(phase.steps, states)
    if not applies:
        status = "not applicable"
    elif not first:
        status = "not started"
    else:
        status = "done" if total and done == total else "in progress"
    steps = tuple(_step(s, applies, states.get(s.id, StepState())) for s in phase.steps)
    actual = seconds_between(first, last) if first else None
    return PhaseReport(phase.id, clean(phase.title), status, phase.duration_minutes, first, last, actual, phase.contingency,
                       done, total, steps)


def _run_events(run: Run | None, events: Sequence[Event]) -> tuple[int | None, list[Event]]:
    """The run's id and its events in commit order (`run` None: the run of the newest event)."""
    run_id = run.id if run is not None else (max(events, key=lambda e: e.id).run_id if events else None)
    return run_id, sorted((e for e in events if e.run_id == run_id), key=lambda e: e.id)


def build_report(runbook: Runbook, env: Environment, run: Run | None, events: Sequence[Event], now: datetime) -> Report:
    """The report of `run` (None: the run the events belong to) from its committed `events`, as of `now`.

    Without a Run record (the UI knows only the events), the run is said to start at its first event, by
    whoever wrote it: that is how the first tick of a run creates it.
    """
    run_id, mine = _run_events(run, events)
    states = fold(mine)
    phases = tuple(_phase(p, env.name, states) for p in runbook.phases)
    actions: tuple[ActionReport, ...] = tuple(action_report(entry) for entry in action_entries(mine))
    rollbacks: tuple[RollbackReport, ...] = rollback_reports(rollback_entries(mine))
    alarms = tuple(AlarmTransition(a.at, clean(a.name), clean(a.state), clean(a.previous), clean(a.reason)) for a in alarm_entries(mine))
    done, total = run_counts(runbook.phases, env.name, states)
    left_open = open_items(phases, actions, rollbacks, alarms)
    failed = failed_items(phases, actions, rollbacks)
    started_at = run.started_at if run is not None else (mine[0].at if mine else "")
    started_by = run.started_by if run is not None else (mine[0].who if mine else "")
    people: tuple[Participant, ...] = participants(mine)
    return Report(
        runbook.id, clean(runbook.name), runbook.version, env.name, clean(env.label), env.production, run_id,
        started_at, clean(started_by), iso(now), status_line(run_id, done, total, left_open, failed),
        done, total, phases, timeline(mine), actions, rollbacks, alarms, people, left_open, failed,
    )
