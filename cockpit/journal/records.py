"""A run's rollbacks, alarm transitions and actions, read from its events (pure: no I/O).

`cockpit status` and the release report (cockpit/report/) both show these; they are read
here once. The payloads are the journal's (see progress.py): values are kept as journaled,
without cleaning: whoever shows them cleans them for where they go.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cockpit.journal.progress import ACTION, ALARM, ALARM_PREFIX, ROLLBACK, ROLLBACK_PREFIX, StepState
from cockpit.journal.store import Event

# A rollback outcome's `status` (cockpit/rollback/watch.py) that means it went through; anything else did not.
ROLLBACK_OK = ("completed", "started")


def step_status(step: Any, applies: bool, state: StepState) -> str:
    """done / open / info (read, not ticked) / not-applicable (a phase of other environments)."""
    if not applies:
        return "not-applicable"
    if not step.tickable:
        return "info"
    return "done" if state.done else "open"


@dataclass(frozen=True)
class RollbackEntry:
    """One journaled phase (intent / started / outcome) of a rollback of `service`."""

    service: str
    phase: str
    at: str
    by: str
    payload: dict[str, Any]

    @property
    def ok(self) -> bool | None:
        """An outcome: rolled back (and not found unhealthy); None for the other phases."""
        if self.phase != "outcome":
            return None
        return self.payload.get("status") in ROLLBACK_OK and self.payload.get("healthy") is not False


def rollback_entries(events: Iterable[Event]) -> list[RollbackEntry]:
    """Every rollback phase journaled, in commit order."""
    return [RollbackEntry(e.step_id[len(ROLLBACK_PREFIX):], str(e.payload.get("phase", "")), e.at, e.who, e.payload)
            for e in events if e.kind == ROLLBACK and e.step_id.startswith(ROLLBACK_PREFIX)]


@dataclass(frozen=True)
class AlarmEntry:
    """A change of an alarm's state, as the engine journaled it when it saw it."""

    name: str
    state: str
    previous: str
    reason: str
    at: str
    seen_by: str


def alarm_entries(events: Iterable[Event]) -> list[AlarmEntry]:
    """Every alarm transition journaled, in commit order."""
    return [AlarmEntry(e.step_id[len(ALARM_PREFIX):], str(e.payload.get("state", "")), str(e.payload.get("previous") or ""),
                       str(e.payload.get("reason") or ""), e.at, e.who)
            for e in events if e.kind == ALARM and e.step_id.startswith(ALARM_PREFIX)]


@dataclass(frozen=True)
class ActionEntry:
    """One action of a step: its intent and what followed it (outcome, acknowledgement, or nothing yet)."""

    intent: Event
    outcome: Event | None = None
    acknowledged: Event | None = None

    @property
    def status(self) -> str:
        """passed / failed / unknown (sent, no answer) / no outcome (the intent alone: a cockpit that died)."""
        if self.outcome is None:
            return "no outcome"
        if self.outcome.payload.get("unknown"):
            return "unknown"
        return "passed" if self.outcome.payload.get("ok") else "failed"


def action_entries(events: Iterable[Event]) -> list[ActionEntry]:
    """Every action intent, paired with its outcome and acknowledgement, in the intents' order."""
    found: dict[int, ActionEntry] = {}
    for e in events:
        if e.kind != ACTION:
            continue
        phase = e.payload.get("phase")
        if phase == "intent":
            found[e.id] = ActionEntry(e)
            continue
        key = int(e.payload.get("intent", 0) or 0)
        entry = found.get(key)
        if entry is None:
            continue
        if phase == "outcome":
            found[key] = ActionEntry(entry.intent, e, entry.acknowledged)
        elif phase == "acknowledged":
            found[key] = ActionEntry(entry.intent, entry.outcome, e)
    return list(found.values())
