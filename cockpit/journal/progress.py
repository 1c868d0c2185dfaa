"""Fold journal events into the state of each step (pure: no I/O)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from cockpit.journal.store import Event

TICK = "tick"
UNTICK = "untick"
NOTE = "note"
CHECK = "check"  # payload: status (pass/fail), evidence, latency_ms
ALARM = "alarm"  # on step id ALARM_PREFIX + alarm name; payload: state, previous, reason, since
ALARM_PREFIX = "alarm:"
SERVICE = "service"  # on SERVICE_PREFIX + service: a task definition seen fully rolled out; payload: task_definition
SERVICE_PREFIX = "service:"
ROLLBACK = "rollback"  # on ROLLBACK_PREFIX + service; payload: phase (intent/started/outcome), the plan, status
ROLLBACK_PREFIX = "rollback:"
ACTION = "action"  # on the step's id; payload: phase intent (index, kind, what, environment, who), outcome (intent: the
# intent's event id, ok, evidence, unknown, fields) or acknowledged (intent: an intent whose outcome stays unknown)
OVERRIDE = "override"  # on the step's id: its gate was not green and the operator ran it anyway; payload: gate (the failing
# lines), reason (typed), who. Journaled before the step's first intent.
SPOOLED_KINDS = frozenset({TICK, UNTICK, NOTE, CHECK, ALARM, SERVICE})  # what a shared journal's spool may keep
# while its server is away: records of what was done or seen, never what coordinates operators (journal/spooling.py)
# A tick of a check step carries `evidence` (from a passing check) or `override` (a reason).


@dataclass(frozen=True)
class CheckRecord:
    """The latest automated check of a step, as journaled."""

    status: str
    evidence: str
    latency_ms: float | None
    who: str
    at: str

    @property
    def passed(self) -> bool:
        """True when the check passed."""
        return self.status == "pass"


@dataclass(frozen=True)
class Note:
    """A note on a step, as journaled."""

    who: str
    at: str
    text: str


HISTORY_KEPT = 12  # the newest entries of a step's history a StepState keeps (the report has them all)


@dataclass(frozen=True)
class Entry:
    """One event of a step's history: when, who, and what, in a few words (journal text, not yet cleaned)."""

    at: str
    who: str
    what: str


def history_words(event: Event) -> str:
    """What `event` did to its step, in a few words: `ticked`, `note: …`, `check fail: …`, `action 1 (command) started`."""
    p = event.payload
    if event.kind == TICK:
        why = f" on evidence: {p['evidence']}" if p.get("evidence") else f" by override: {p['override']}" if p.get("override") else ""
        return "ticked" + why
    if event.kind == UNTICK:
        return "unticked"
    if event.kind == NOTE:
        return f"note: {p.get('text', '')}"
    if event.kind == CHECK:
        return f"check {p.get('status', '?')}: {p.get('evidence', '')}"
    if event.kind == ACTION:
        n = f"action {int(p.get('index', 0) or 0) + 1}" + (f" ({p['kind']})" if p.get("kind") else "")
        phase = p.get("phase")
        if phase == "outcome":
            word = "outcome unknown" if p.get("unknown") else "passed" if p.get("ok") else "FAILED"
            return f"{n} {word}: {p.get('evidence', '')}"
        return f"{n} started" if phase == "intent" else f"{n} {phase or '?'}"
    if event.kind == OVERRIDE:
        return f"gate overridden: {p.get('reason', '')}"
    return event.kind.replace("-", " ")  # an approval request, an approval, its use: the words say it


@dataclass(frozen=True)
class StepState:
    """What the journal says about one step."""

    done: bool = False
    by: str = ""
    at: str = ""
    first_at: str = ""
    last_at: str = ""
    notes: tuple[Note, ...] = ()
    check: CheckRecord | None = None
    evidence: str = ""
    override: str = ""
    history: tuple[Entry, ...] = ()  # the newest HISTORY_KEPT events, every operator's, in the journal's order


def apply(state: StepState, event: Event) -> StepState:
    """The state of a step after `event` (unknown kinds only touch the times and the history)."""
    entry = Entry(event.at, event.who, history_words(event))
    state = replace(state, first_at=state.first_at or event.at, last_at=event.at, history=(*state.history[1 - HISTORY_KEPT:], entry))
    if event.kind == TICK:
        evidence, override = str(event.payload.get("evidence", "")), str(event.payload.get("override", ""))
        return replace(state, done=True, by=event.who, at=event.at, evidence=evidence, override=override)
    if event.kind == UNTICK:
        return replace(state, done=False, by=event.who, at=event.at, evidence="", override="")
    if event.kind == CHECK:
        p = event.payload
        latency = p.get("latency_ms")
        record = CheckRecord(str(p.get("status", "")), str(p.get("evidence", "")), latency, event.who, event.at)
        return replace(state, check=record)
    if event.kind == NOTE:
        note = Note(event.who, event.at, str(event.payload.get("text", "")))
        return replace(state, notes=state.notes + (note,))
    return state


def fold(events: Iterable[Event], into: dict[str, StepState] | None = None) -> dict[str, StepState]:
    """Step id → state after `events`, starting from `into` (not modified)."""
    states = dict(into or {})
    for event in events:
        states[event.step_id] = apply(states.get(event.step_id, StepState()), event)
    return states


def phase_counts(steps: Iterable, states: dict[str, StepState]) -> tuple[int, int]:
    """(done, total) over the tickable steps of a phase."""
    tickable = [s for s in steps if s.tickable]
    return sum(states.get(s.id, StepState()).done for s in tickable), len(tickable)


def run_counts(phases: Iterable, environment: str, states: dict[str, StepState]) -> tuple[int, int]:
    """(done, total) of a run: the phases of `environment`, contingency plans not counted."""
    done = total = 0
    for phase in phases:
        if phase.applies_to(environment) and not phase.contingency:
            d, t = phase_counts(phase.steps, states)
            done, total = done + d, total + t
    return done, total


def phase_span(steps: Iterable, states: dict[str, StepState]) -> tuple[str, str, bool]:
    """(first event time, last tick time, all done) of a phase; '' when not begun."""
    tickable = [s for s in steps if s.tickable]
    seen = [states[s.id] for s in tickable if s.id in states]
    first = min((st.first_at for st in seen), default="")
    complete = bool(tickable) and all(states.get(s.id, StepState()).done for s in tickable)
    last = max((st.at for st in seen if st.done), default="") if complete else ""
    return first, last, complete
