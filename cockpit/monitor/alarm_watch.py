"""The alarms pane's poller: describe_alarms every interval in a daemon thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from cockpit.core.backoff import backoff_delay
from cockpit.monitor.repeater import Repeater
from cockpit.probes.aws.alarms import AlarmState, read_alarms
from cockpit.probes.aws.clients import LazyClient
from cockpit.probes.aws.errors import THROTTLED, classify_aws
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


class AlarmWatch:
    """Reads `names` every `settings.alarms_interval_seconds`, reporting to `report` (any thread)."""

    def __init__(self, names: tuple[str, ...], client: LazyClient, settings: CloudWatchSettings, report: Callable[[object], None]) -> None:
        self.names = names
        self.client = client
        self.settings = settings
        self.report = report
        self.thread = Repeater("alarms", self._run)

    def start(self) -> None:
        """Start polling."""
        self.thread.start()

    def stop(self) -> None:
        """Stop at the next wait."""
        self.thread.stop()

    def refresh(self) -> None:
        """Poll now."""
        self.thread.wake()

    def _run(self, stop: threading.Event) -> None:
        s = self.settings
        failures = 0
        while not stop.is_set():
            try:
                self.report(AlarmsRead(read_alarms(self.client.get(), self.names)))
                failures, delay = 0, s.alarms_interval_seconds
            except Exception as exc:  # AwsProblem, or boto3's own while building the client
                problem = classify_aws(exc, "alarms")
                failures += 1
                cap = s.max_backoff_seconds
                delay = backoff_delay(failures, s.alarms_interval_seconds, cap) if problem.transient else cap
                self.report(AlarmsFailed(problem.reason, problem.kind == THROTTLED, delay))
            if not self.thread.sleep(delay):
                return
