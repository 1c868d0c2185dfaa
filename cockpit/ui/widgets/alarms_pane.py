"""The alarms pane: each alarm of the runbook, its state, since when and why.

States are words first (ALARM, OK, INSUFFICIENT_DATA, NOT FOUND), colour second. A row
whose state just changed is shown reversed for FLASH_SECONDS.
"""

from __future__ import annotations

from datetime import datetime, timezone

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from cockpit.core.text import one_line
from cockpit.monitor.alarm_watch import AlarmsFailed, AlarmsRead
from cockpit.probes.aws.alarms import NOT_FOUND, AlarmState
from cockpit.runbook import Runbook

FLASH_SECONDS = 10.0
STYLES = {"ALARM": "bold white on red", "OK": "bold green", "INSUFFICIENT_DATA": "bold yellow", NOT_FOUND: "bold magenta"}


def _since(since: datetime | None, now: datetime) -> str:
    if since is None:
        return ""
    minutes = max(0, int((now - since).total_seconds() // 60))
    span = f"{minutes} min" if minutes < 120 else f"{minutes // 60} h {minutes % 60} min"
    return f"since {since.astimezone(timezone.utc):%H:%M} UTC ({span})"


class AlarmsPane(VerticalScroll, can_focus=True):
    """The runbook's alarms as last read from CloudWatch."""

    def __init__(self, runbook: Runbook, *, live: bool, id: str) -> None:
        super().__init__(id=id, classes="pane")
        self.border_title = "Alarms"
        self.runbook = runbook
        self.live = live
        self.states: dict[str, AlarmState] = {}
        self.changed_at: dict[str, float] = {}
        self.read_at: float | None = None
        self.failure: AlarmsFailed | None = None
        self.failed_at = 0.0
        self._text: Text | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="alarms-body")

    def apply(self, report: object, now: float) -> list[tuple[AlarmState, AlarmState | None]]:
        """Take a report; return the alarms whose state changed, with their previous state (None: first read)."""
        if isinstance(report, AlarmsFailed):
            self.failure, self.failed_at = report, now
            return []
        if not isinstance(report, AlarmsRead):
            return []
        changes = []
        for alarm in report.alarms:
            before = self.states.get(alarm.name)
            if before is None or before.state != alarm.state:
                changes.append((alarm, before))
                if before is not None:
                    self.changed_at[alarm.name] = now
            self.states[alarm.name] = alarm
        self.read_at, self.failure = now, None
        return changes

    def firing(self) -> list[str]:
        """Names of the alarms in ALARM."""
        return [name for name, alarm in self.states.items() if alarm.firing]

    def body(self, now: float, wall: datetime) -> Text:
        """The pane's text at monotonic `now` and wall-clock `wall`."""
        out = Text()
        if not self.runbook.alarms:
            return Text("The runbook lists no alarms ([[alarms]]).", style="dim")
        if self.failure is not None:
            left = max(0.0, self.failure.retry_in - (now - self.failed_at))
            word = "throttled" if self.failure.throttled else "cannot read alarms"
            out.append(f"{word}, retrying in {left:.0f} s\n", style="bold yellow" if self.failure.throttled else "bold red")
            out.append(one_line(self.failure.reason, 300) + "\n", style="yellow" if self.failure.throttled else "red")
        elif self.read_at is not None:
            out.append(f"read {now - self.read_at:.0f} s ago\n", style="dim")
        elif not self.live:
            out.append("not connected to CloudWatch\n", style="dim")
        else:
            out.append("reading…\n", style="dim")
        for planned in self.runbook.alarms:
            alarm = self.states.get(planned.name)
            state = alarm.state if alarm else "unknown"
            flash = now - self.changed_at.get(planned.name, -1e9) < FLASH_SECONDS
            out.append(f"{state:<9}", style=("reverse " if flash else "") + STYLES.get(state, "dim"))
            out.append(f" {planned.name}\n", style="bold" if alarm and alarm.firing else "")
            if alarm is None:
                detail = planned.description
            elif alarm.state == NOT_FOUND:
                detail = "no such alarm in CloudWatch"
            else:
                detail = " · ".join(part for part in (_since(alarm.since, wall), one_line(alarm.reason, 300)) if part)
            out.append(f"  {detail}\n", style="magenta" if alarm and alarm.state == NOT_FOUND else "dim")
        return out

    def show(self, now: float, wall: datetime) -> None:
        """Repaint when the text changed."""
        text = self.body(now, wall)
        if text != self._text:
            self._text = text
            self.query_one("#alarms-body", Static).update(text)
