"""The cockpit header: runbook, environment badge, read-only marker, run, clocks (the verdict is the line below)."""

from __future__ import annotations

from datetime import UTC, datetime

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
    """

    def __init__(self, runbook: Runbook, env: Environment, read_only: bool, demo: bool = False) -> None:
        super().__init__()
        self.demo = demo
        self.runbook = runbook
        self.env = env
        self.read_only = read_only

    def compose(self) -> ComposeResult:
        title = Text(one_line(f"{self.runbook.name} v{self.runbook.version}"), style="bold")
        yield Static(title, id="title")
        yield Static("", id="progress")
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

    def show_worst(self, error: bool) -> None:
        """Turn the whole header red while anything is wrong (the verdict line names it)."""
        self.set_class(error, "-alarm")

    def show_time(self, now: datetime) -> None:
        """UTC and local wall clocks."""
        utc, local = now.astimezone(UTC), now.astimezone()
        text = f"{utc:%H:%M:%S} UTC"
        if local.utcoffset() != utc.utcoffset():  # on a UTC server one clock says it all
            text += f" · {local:%H:%M} {local.tzname() or 'local'}"
        self.query_one("#clock", Static).update(Text(text))
