"""Typed messages from workers to the UI (immutable snapshots only)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from cockpit.checks.result import CheckResult
from cockpit.journal import Event
from cockpit.monitor.readings import Poll


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


@dataclass
class Polled(Message):
    """A backend was polled at monotonic time `at`; `retry_at` is set while it is failing."""

    poll: Poll
    at: float
    retry_at: float | None = None


@dataclass
class ProbeExited(Message):
    """The probe process is gone; `reason` says how."""

    reason: str


@dataclass
class CheckDone(Message):
    """A step's automated check finished (not yet journaled)."""

    step_id: str
    result: CheckResult


@dataclass
class LogReport(Message):
    """A log follower's report: TailEvents, TailStatus or PatternOutcome (monitor/log_tail.py)."""

    report: object


@dataclass
class AlarmReport(Message):
    """The alarm watcher's report: AlarmsRead or AlarmsFailed (monitor/alarm_watch.py)."""

    report: object


@dataclass
class ServicesReport(Message):
    """The services watcher's report: ServicesRead or ServicesFailed (monitor/services_watch.py)."""

    report: object
