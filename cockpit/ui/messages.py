"""Typed messages from workers to the UI (immutable snapshots only)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from cockpit.journal import Event


@dataclass
class EventsCommitted(Message):
    """Journal events that are on disk (read back by the journal poller)."""

    events: tuple[Event, ...]


@dataclass
class WriteDone(Message):
    """A journal write for `step_id` finished: `event` is committed, or `error` says why not."""

    step_id: str
    kind: str
    event: Event | None
    error: str = ""


@dataclass
class PollFailed(Message):
    """Reading the journal failed; the poller retries."""

    reason: str
