"""Coalescing: however fast the sources produce, the UI gets at most one small batch per flush.

Snapshots replace the pending one of their kind (the newest health rows, alarms, services, metrics,
a tab's status, the verdict); a tab's new log lines are appended to its pending lines and
capped at `cap` (the excess is counted as trimmed, as the buffer would drop it); everything
else (journal, checks, pattern outcomes, engine problems) is kept, in order.
"""

from __future__ import annotations

from cockpit.engine.events import (
    AlarmsFailed,
    AlarmsRead,
    EngineEvent,
    HealthRead,
    MetricsFailed,
    MetricsRead,
    ServicesFailed,
    ServicesRead,
    TailEvents,
    TailStatus,
    VerdictChanged,
)

FLUSH_SECONDS = 0.1  # ~10 batches a second at most


def _slot(event: EngineEvent) -> tuple[str, str] | None:
    """The kind of snapshot `event` is (a newer one of the same slot replaces it); None: keep every one."""
    if isinstance(event, HealthRead):
        return ("health", "")
    if isinstance(event, AlarmsRead | AlarmsFailed):
        return ("alarms", "")
    if isinstance(event, ServicesRead | ServicesFailed):
        return ("services", "")
    if isinstance(event, MetricsRead | MetricsFailed):
        return ("metrics", "")
    if isinstance(event, TailStatus):
        return ("tail-status", event.query_id)
    if isinstance(event, VerdictChanged):
        return ("verdict", "")
    return None


class Outbox:
    """Pending events, merged; `take()` empties it into one batch."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._pending: list[EngineEvent] = []
        self._slots: dict[tuple[str, str], int] = {}  # slot → index in _pending
        self._lines: dict[tuple[str, int], int] = {}  # (tab, generation) → index of its pending TailEvents

    def __len__(self) -> int:
        return len(self._pending)

    def put(self, event: EngineEvent) -> None:
        """Add `event`, merging it into what is pending where it can."""
        slot = _slot(event)
        if slot is not None:
            index = self._slots.get(slot)
            if index is not None:
                self._pending[index] = event
                return
            self._slots[slot] = len(self._pending)
        elif isinstance(event, TailEvents):
            key = (event.query_id, event.generation)
            index = self._lines.get(key)
            if index is not None:
                self._pending[index] = self._merge(self._pending[index], event)  # type: ignore[arg-type]
                return
            self._lines[key] = len(self._pending)
            event = self._merge(None, event)
        self._pending.append(event)

    def _merge(self, before: TailEvents | None, new: TailEvents) -> TailEvents:
        events = (before.events if before else ()) + new.events
        trimmed = (before.trimmed if before else 0) + new.trimmed
        if len(events) > self.cap:  # the UI keeps only `cap` lines of a tab anyway
            trimmed += len(events) - self.cap
            events = events[-self.cap:]
        return TailEvents(new.query_id, new.generation, events, trimmed)

    def take(self) -> list[EngineEvent]:
        """Everything pending, in order, as one batch (and the outbox is empty again)."""
        batch, self._pending = self._pending, []
        self._slots.clear()
        self._lines.clear()
        return batch
