"""What the metrics screen draws, kept by the app while the screen is closed: the latest read,
the failure since (if any), and the journal's events that become markers.

The engine sends MetricsRead / MetricsFailed whether or not the screen is open; the screen,
when opened, shows the latest at once. Only committed journal events reach it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from cockpit.engine.events import MetricsFailed, MetricsRead
from cockpit.journal import Event
from cockpit.journal.markers import Marker, markers
from cockpit.journal.progress import ACTION, ALARM, ROLLBACK, SERVICE
from cockpit.runbook import Runbook

MARKED = (ACTION, ALARM, ROLLBACK, SERVICE)  # the kinds markers() reads (an action outcome needs its intent: all kept)


def deployed_services(runbook: Runbook) -> dict[tuple[str, int], str]:
    """(step id, action index) → the ECS service a github_workflow action deploys: a deploy marker names it."""
    return {(step.id, index): action.service for _, step in runbook.steps()
            for index, action in enumerate(step.actions) if action.kind == "github_workflow" and action.service}


class MetricsFeed:
    """The latest metrics read and failure, and the marker events, as the UI has received them."""

    def __init__(self, services: Mapping[tuple[str, int], str] | None = None) -> None:
        self.read: MetricsRead | None = None
        self.failed: MetricsFailed | None = None
        self.failed_at = 0.0  # monotonic time the failure arrived (its retry counts down from there)
        self.services = dict(services or {})
        self._events: dict[int, Event] = {}
        self._markers: list[Marker] | None = []

    def apply(self, event: MetricsRead | MetricsFailed, now: float) -> None:
        """A read replaces the last one and clears the failure; a failure keeps the last read (it ages)."""
        if isinstance(event, MetricsRead):
            self.read, self.failed = event, None
        else:
            self.failed, self.failed_at = event, now

    def retry_left(self, now: float) -> float | None:
        """Seconds until the engine tries again after the failure (None: no failure)."""
        return None if self.failed is None else max(0.0, self.failed.retry_in - (now - self.failed_at))

    def take_journal(self, events: Iterable[Event]) -> bool:
        """Keep the committed events that can be markers; True when there were new ones."""
        new = [e for e in events if e.kind in MARKED and e.id not in self._events]
        for event in new:
            self._events[event.id] = event
        if new:
            self._markers = None
        return bool(new)

    def markers(self) -> list[Marker]:
        """Every marker of the events kept, in time order."""
        if self._markers is None:
            self._markers = markers(self._events.values(), self.services)
        return self._markers
