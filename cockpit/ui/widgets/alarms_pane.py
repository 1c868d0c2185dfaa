"""The alarms pane: one line per alarm of the runbook (problems first), then each one's reason.

States are words first (ALARM, OK, INSUFFICIENT_DATA, NOT FOUND), colour second. A row
whose state just changed is shown reversed for FLASH_SECONDS. When the pane is shorter
than its alarms, the last line says how many more and the worst state among them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from cockpit.core.text import one_line
from cockpit.engine.events import NOT_FOUND, AlarmsFailed, AlarmsRead, AlarmState
from cockpit.monitor.verdict import AlarmsSeen, Answered
from cockpit.runbook import Runbook
from cockpit.ui.widgets.fold import Refits, block, detailed, fit, fold, rows_for

FLASH_SECONDS = 10.0
STYLES = {"ALARM": "bold white on red", "OK": "bold green", "INSUFFICIENT_DATA": "bold yellow", NOT_FOUND: "bold magenta"}
RANK = {"ALARM": 3, NOT_FOUND: 2, "INSUFFICIENT_DATA": 2, "unknown": 1, "OK": 0}


def _age(since: datetime, now: datetime) -> str:
    """'12m', '3h': how long an alarm has been in its state."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    return f"{minutes}m" if minutes < 120 else f"{minutes // 60}h"


def _since(since: datetime | None, now: datetime) -> str:
    if since is None:
        return ""
    minutes = max(0, int((now - since).total_seconds() // 60))
    span = f"{minutes} min" if minutes < 120 else f"{minutes // 60} h {minutes % 60} min"
    return f"since {since.astimezone(UTC):%H:%M} UTC ({span})"


class AlarmsPane(Refits, VerticalScroll, can_focus=True):
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

    def seen(self, interval: float, grace: float = 0.0) -> AlarmsSeen:
        """What the verdict needs: the runbook's alarms as last read, and when."""
        alarms = tuple((a.name, self.states.get(a.name)) for a in self.runbook.alarms)
        return AlarmsSeen(alarms, Answered(self.read_at, interval, self.failure.reason if self.failure else "", grace))

    def _ordered(self) -> list[tuple[str, AlarmState | None, str]]:
        """(name, state, description): problems first (ALARM, then NOT FOUND / no data / unread), then OK."""
        rows = [(a.name, self.states.get(a.name), a.description) for a in self.runbook.alarms]
        return sorted(rows, key=lambda r: -RANK.get(r[1].state if r[1] else "unknown", 1))

    def _status(self, now: float) -> tuple[str, str]:
        """(short status for the border, its style)."""
        if self.failure is not None:
            left = max(0.0, self.failure.retry_in - (now - self.failed_at))
            word = "throttled" if self.failure.throttled else "cannot read alarms"
            return f"{word}, retrying in {left:.0f} s", "bold yellow" if self.failure.throttled else "bold red"
        if self.read_at is not None:
            return f"read {now - self.read_at:.0f} s ago", "dim"
        return ("reading…" if self.live else "not connected to CloudWatch"), "dim"

    def summary(self, now: float, wall: datetime, width: int) -> list[Text]:
        """One line per alarm, problems first: state, name, since (the name cut with … if it must)."""
        lines = []
        for name, alarm, _ in self._ordered():
            state = alarm.state if alarm else "unknown"
            flash = now - self.changed_at.get(name, -1e9) < FLASH_SECONDS
            since = f" {_age(alarm.since, wall)}" if alarm and alarm.since else ""
            line = Text(f"{state:<9}", style=("reverse " if flash else "") + STYLES.get(state, "dim"))
            room = max(4, width - line.cell_len - 1)
            if len(name) + len(since) > room:
                since = ""  # the name wins over its age
            line.append(" " + fit(name, room), style="bold" if alarm and alarm.firing else "")
            line.append(since, style="dim")
            lines.append(line)
        return lines

    def details(self, wall: datetime) -> Text:
        """Every alarm's whole reason, in the same order (below the summary)."""
        out = Text()
        if self.failure is not None:
            out.append(one_line(self.failure.reason, 300) + "\n", style="yellow" if self.failure.throttled else "red")
        for name, alarm, description in self._ordered():
            if alarm is None:
                detail = description
            elif alarm.state == NOT_FOUND:
                detail = "no such alarm in CloudWatch"
            else:
                detail = " · ".join(part for part in (_since(alarm.since, wall), one_line(alarm.reason, 600)) if part)
            if detail:
                out.append(f"{name}: ", style="bold")
                out.append(detail + "\n", style="magenta" if alarm and alarm.state == NOT_FOUND else "dim")
        return out

    def body(self, now: float, wall: datetime, width: int = 200) -> Text:
        """The pane's whole text at monotonic `now` and wall-clock `wall`: status, summary, details."""
        if not self.runbook.alarms:
            return Text("The runbook lists no alarms ([[alarms]]).", style="dim")
        status, style = self._status(now)
        out = Text(status + "\n", style=style)
        return out + block(self.summary(now, wall, width)) + self.details(wall)

    def show(self, now: float, wall: datetime) -> None:
        """Repaint: the summary in the rows there are (`+N more` with the worst when short), details below."""
        if not self.runbook.alarms:
            self._paint(Text("The runbook lists no alarms ([[alarms]]).", style="dim"))
            return
        status, style = self._status(now)
        self.border_subtitle = status
        width = self.scrollable_content_region.width or 36
        lines = self.summary(now, wall, width)
        states = [a.state if a else "unknown" for _, a, _ in self._ordered()]
        if self.failure is not None:
            lines.insert(0, Text(fit("UNREAD   " + status, width), style=style))
            states.insert(0, "unknown")
        rows = rows_for(self) or len(lines)
        out = block(fold(lines, rows, states, RANK))
        self._shown_at = (now, wall)
        if detailed(self):
            out.append_text(self.details(wall))
        out.rstrip()
        self._paint(out)

    def _paint(self, text: Text) -> None:
        if text != self._text:
            self._text = text
            self.query_one("#alarms-body", Static).update(text)
