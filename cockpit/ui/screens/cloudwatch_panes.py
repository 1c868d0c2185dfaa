"""The logs and alarms panes on the cockpit screen: reports in, journal entries out.

Each alarm state change is journaled (step id `alarm:NAME`, kind `alarm`) and flashed.
A change is one the journal of this run does not have yet, so restarting the cockpit,
or a second cockpit on the same journal, does not record the same state again.
"""

from __future__ import annotations

from typing import Any

from cockpit.journal import Event
from cockpit.journal.progress import ALARM, ALARM_PREFIX
from cockpit.probes.aws.alarms import AlarmState
from cockpit.ui.cloudwatch import CloudWatchFeed
from cockpit.ui.messages import AlarmReport, LogReport
from cockpit.ui.widgets.alarms_pane import AlarmsPane
from cockpit.ui.widgets.logs_pane import LogsPane


class CloudWatchPanes:
    """Mixed into CockpitScreen (uses its journal writes and clocks)."""

    feed: CloudWatchFeed | None = None
    journaled_alarms: dict[str, str]

    def start_cloudwatch(self: Any) -> None:
        """Start the log followers and the alarm watcher (when the app is live)."""
        self.feed = CloudWatchFeed(self, self.app.runbook, self.app.env, live=self.app.live)
        self.feed.start()

    def stop_cloudwatch(self: Any) -> None:
        """Stop them."""
        if self.feed is not None:
            self.feed.stop()

    def note_alarm_events(self: Any, events: list[Event]) -> None:
        """Remember the latest journaled state of each alarm."""
        for event in events:
            if event.kind == ALARM and event.step_id.startswith(ALARM_PREFIX):
                self.journaled_alarms[event.step_id[len(ALARM_PREFIX):]] = str(event.payload.get("state", ""))

    def render_cloudwatch(self: Any, now: float) -> None:
        """Status lines, ages and countdowns of the panes on screen."""
        if self._on_screen("logs-pane"):
            self.query_one(LogsPane).show_status(now)
        if self._on_screen("alarms-pane"):
            self.query_one(AlarmsPane).show(now, self.app.clock())

    def on_log_report(self: Any, message: LogReport) -> None:
        """New events or a status of a log tab."""
        self.query_one(LogsPane).apply(message.report, self.app.monotonic())

    def on_logs_pane_pattern_requested(self: Any, message: LogsPane.PatternRequested) -> None:
        """Pass a new filter pattern to its follower."""
        if self.feed is not None:
            self.feed.request_pattern(message.query_id, message.pattern)

    def on_alarm_report(self: Any, message: AlarmReport) -> None:
        """Alarm states: show them, flash and journal what changed."""
        pane = self.query_one(AlarmsPane)
        now = self.app.monotonic()
        for alarm, before in pane.apply(message.report, now):
            self._alarm_changed(alarm, before)
        pane.show(now, self.app.clock())
        self.show_verdict()

    def _alarm_changed(self: Any, alarm: AlarmState, before: AlarmState | None) -> None:
        if before is not None or alarm.firing:
            severity = "error" if alarm.firing else "information"
            was = f" (was {before.state})" if before is not None else ""
            self.notify(f"{alarm.name}: {alarm.state}{was}", title="alarm", severity=severity, timeout=10, markup=False)
        if self.journaled_alarms.get(alarm.name) == alarm.state or self.app.read_only:
            return
        self.journaled_alarms[alarm.name] = alarm.state
        payload = {"state": alarm.state, "previous": before.state if before else "", "reason": alarm.reason}
        if alarm.since is not None:
            payload["since"] = alarm.since.isoformat()
        self._write(ALARM_PREFIX + alarm.name, ALARM, payload)
