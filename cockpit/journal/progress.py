"""Fold journal events into the state of each step (pure: no I/O)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from cockpit.journal.store import Event

TICK = "tick"
UNTICK = "untick"
NOTE = "note"


@dataclass(frozen=True)
class Note:
    """A note on a step, as journaled."""

    who: str
    at: str
    text: str


@dataclass(frozen=True)
class StepState:
    """What the journal says about one step."""

    done: bool = False
    by: str = ""
    at: str = ""
    first_at: str = ""
    last_at: str = ""
    notes: tuple[Note, ...] = ()


def apply(state: StepState, event: Event) -> StepState:
    """The state of a step after `event` (unknown kinds only touch the times)."""
    state = replace(state, first_at=state.first_at or event.at, last_at=event.at)
    if event.kind == TICK:
        return replace(state, done=True, by=event.who, at=event.at)
    if event.kind == UNTICK:
        return replace(state, done=False, by=event.who, at=event.at)
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
