"""The cockpit header: runbook, environment badge, read-only marker, run, clocks."""

from __future__ import annotations

from datetime import datetime, timezone

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from cockpit.core.text import one_line
from cockpit.runbook import Environment, Runbook


class CockpitHeader(Horizontal):
    """One line that says where you are and what time it is."""

    DEFAULT_CSS = """
    CockpitHeader { height: 1; dock: top; }
    CockpitHeader > Static { width: auto; height: 1; padding: 0 1; }
    CockpitHeader > #title { width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    CockpitHeader > #clock { width: auto; min-width: 14; }
    CockpitHeader > #progress { width: auto; min-width: 18; }
    CockpitHeader > #alerts { width: auto; max-width: 70; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, runbook: Runbook, env: Environment, read_only: bool, demo: bool = False) -> None:
        super().__init__()
        self.demo = demo
        self.runbook = runbook
        self.env = env
        self.read_only = read_only
        self._alerts: Text | None = None
        self._health: tuple[list[str], list[str], bool] = ([], [], False)
        self._firing: list[str] = []
        self._alarms_unread = False

    def compose(self) -> ComposeResult:
        title = Text(one_line(f"{self.runbook.name} v{self.runbook.version}"), style="bold")
        yield Static(title, id="title")
        yield Static("", id="progress")
        yield Static("", id="alerts")
        badge = Static(Text(self.env.name.upper()), id="env-badge")
        badge.add_class("-production" if self.env.production else "-nonprod")
        badge.tooltip = f"environment: {self.env.label}"
        yield badge
        if self.demo:  # never mistaken for the real estate on a shared screen
            demo = Static(Text("DEMO"), id="demo-badge")
            demo.tooltip = "cockpit demo: a local stack on loopback ports; ! for trouble"
            yield demo
        if self.read_only:
            yield Static(Text("READ-ONLY"), id="ro-badge")
        yield Static("", id="clock")

    def show_progress(self, run_id: int | None, done: int, total: int) -> None:
        """Run number and steps done."""
        run = f"run #{run_id}" if run_id is not None else "no run yet"
        self.query_one("#progress", Static).update(Text(f"{run} · {done}/{total}"))

    def show_alerts(self, down: list[str], over: list[str], watched: bool) -> None:
        """What is down and what is over its threshold, named (colour only doubles the words)."""
        self._health = (list(down), list(over), watched)
        self._show()

    def show_alarms(self, firing: list[str], unread: bool = False) -> None:
        """CloudWatch alarms in ALARM: named, and the whole header turns red; `unread`: they cannot be read."""
        self._firing = list(firing)
        self._alarms_unread = unread
        self.set_class(bool(firing), "-alarm")
        self._show()

    def _show(self) -> None:
        down, over, watched = self._health
        firing = self._firing
        text = Text()
        room = self.size.width - 80  # what the title, progress, badge and clocks leave
        named = len(", ".join(down + over + firing)) + 30 <= room  # else counts: the panes name them
        if firing:
            text.append(f"ALARM: {', '.join(firing)}" if named else f"{len(firing)} ALARM", style="bold white on red")
        if down:
            text.append(" " if text else "")
            text.append(f"DOWN: {', '.join(down)}" if named else f"{len(down)} DOWN", style="bold white on red")
        if over:
            text.append(" " if text else "")
            text.append(f"OVER LIMIT: {', '.join(over)}" if named else f"{len(over)} OVER LIMIT", style="bold red")
        if self._alarms_unread:  # never "all up" while the alarms cannot be seen
            text.append(" " if text else "")
            text.append("ALARMS UNREAD", style="bold yellow")
        if not text and watched:
            text.append("all up", style="green")
        if text == self._alerts:
            return  # unchanged: no repaint
        self._alerts = text
        alerts = self.query_one("#alerts", Static)
        alerts.update(text)
        alerts.display = bool(text)

    def show_time(self, now: datetime) -> None:
        """UTC and local wall clocks."""
        utc, local = now.astimezone(timezone.utc), now.astimezone()
        text = f"{utc:%H:%M:%S} UTC"
        if local.utcoffset() != utc.utcoffset():  # on a UTC server one clock says it all
            text += f" · {local:%H:%M} {local.tzname() or 'local'}"
        self.query_one("#clock", Static).update(Text(text))
