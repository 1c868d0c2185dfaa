"""The alarms pane's poller: describe_alarms every interval in a daemon thread."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cockpit.monitor.repeater import PollingWatch
from cockpit.probes.aws.alarms import AlarmState, read_alarms
from cockpit.probes.aws.clients import LazyClient
from cockpit.runbook.model import CloudWatchSettings


@dataclass(frozen=True)
class AlarmsRead:
    """Every watched alarm as CloudWatch reports it now."""

    alarms: tuple[AlarmState, ...]


@dataclass(frozen=True)
class AlarmsFailed:
    """describe_alarms failed; the watcher tries again in `retry_in` seconds."""

    reason: str
    throttled: bool
    retry_in: float


class AlarmWatch(PollingWatch):
    """Reads `names` every `settings.alarms_interval_seconds`, reporting to `report` (any thread)."""

    def __init__(self, names: tuple[str, ...], client: LazyClient, settings: CloudWatchSettings, report: Callable[[object], None]) -> None:
        super().__init__("alarms", settings.alarms_interval_seconds, settings.max_backoff_seconds, report, AlarmsFailed)
        self.names = names
        self.client = client

    def read(self) -> AlarmsRead:
        """The alarms, now."""
        return AlarmsRead(read_alarms(self.client.get(), self.names))
