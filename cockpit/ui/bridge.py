"""The bridge: engine events become Textual messages and calls on the cockpit screen.

The engine (a LocalEngine in the UI's loop, or an EngineProcess relaying a child's batches)
calls `receive(batch)` in the UI's loop; each batch is posted to the screen as one
EngineBatch message, and `deliver` hands every event to the method that draws it.
"""

from __future__ import annotations

from typing import Protocol

from textual.message import Message

from cockpit.engine.events import (
    ActionEnded,
    ActionProgress,
    AlarmsFailed,
    AlarmsRead,
    Answer,
    CheckDone,
    DeployRollout,
    EngineEvent,
    EngineProblem,
    HealthRead,
    IdentityRead,
    JournalFollowing,
    JournalRead,
    JournalUnreadable,
    JournalWritten,
    MetricsFailed,
    MetricsRead,
    PatternOutcome,
    RollbackElsewhere,
    RollbackEnded,
    RollbacksActive,
    RolloutProgress,
    ServicesFailed,
    ServicesRead,
    TailEvents,
    TailStatus,
    VerdictChanged,
)


class EngineBatch(Message):
    """One coalesced batch of engine events, in the engine's order."""

    def __init__(self, events: list[EngineEvent]) -> None:
        super().__init__()
        self.events = events


class Drawer(Protocol):
    """What the cockpit screen does with each kind of event."""

    def show_health(self, event: HealthRead) -> None: ...
    def show_log(self, event: TailEvents | TailStatus | PatternOutcome) -> None: ...
    def show_alarms(self, event: AlarmsRead | AlarmsFailed) -> None: ...
    def show_services(self, event: ServicesRead | ServicesFailed | DeployRollout | RollbackElsewhere) -> None: ...
    def check_done(self, event: CheckDone) -> None: ...
    def journal_read(self, event: JournalRead) -> None: ...
    def journal_written(self, event: JournalWritten) -> None: ...
    def journal_unreadable(self, event: JournalUnreadable) -> None: ...
    def journal_following(self, event: JournalFollowing) -> None: ...
    def show_verdict(self, event: VerdictChanged) -> None: ...
    def engine_problem(self, event: EngineProblem) -> None: ...
    def answered(self, event: Answer) -> None: ...
    def rollback_event(self, event: RolloutProgress | RollbackEnded | RollbacksActive) -> None: ...
    def show_identity(self, event: IdentityRead) -> None: ...
    def action_event(self, event: ActionProgress | ActionEnded) -> None: ...
    def show_metrics(self, event: MetricsRead | MetricsFailed) -> None: ...


def deliver(screen: Drawer, event: EngineEvent) -> None:
    """Hand `event` to the screen method that draws it."""
    match event:
        case HealthRead():
            screen.show_health(event)
        case TailEvents() | TailStatus() | PatternOutcome():
            screen.show_log(event)
        case AlarmsRead() | AlarmsFailed():
            screen.show_alarms(event)
        case ServicesRead() | ServicesFailed() | DeployRollout() | RollbackElsewhere():  # marked on its service's row
            screen.show_services(event)
        case CheckDone():
            screen.check_done(event)
        case JournalRead():
            screen.journal_read(event)
        case JournalWritten():
            screen.journal_written(event)
        case JournalUnreadable():
            screen.journal_unreadable(event)
        case JournalFollowing():
            screen.journal_following(event)
        case VerdictChanged():
            screen.show_verdict(event)
        case EngineProblem():
            screen.engine_problem(event)
        case Answer():
            screen.answered(event)
        case RolloutProgress() | RollbackEnded() | RollbacksActive():
            screen.rollback_event(event)
        case IdentityRead():
            screen.show_identity(event)
        case ActionProgress() | ActionEnded():
            screen.action_event(event)
        case MetricsRead() | MetricsFailed():
            screen.show_metrics(event)
