"""The cockpit header: runbook, run, who cockpit acts as (AWS account, GitHub repository), environment badge,
read-only marker, clocks (the verdict is the line below)."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from cockpit.core.text import one_line
from cockpit.engine.events import IdentityRead
from cockpit.runbook import Environment, Runbook

NOT_READ = "AWS unknown"  # until the engine's first IdentityRead: not known is not fine
COMPACT_BELOW = 110  # columns: narrower, the identity drops the word "GitHub" (owner/name says what it is) so the clocks fit


class CockpitHeader(Horizontal):
    """One line that says where you are and what time it is."""

    DEFAULT_CSS = """
    CockpitHeader { height: 1; dock: top; }
    CockpitHeader > Static { width: auto; height: 1; padding: 0 1; }
    CockpitHeader > #title { width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    CockpitHeader > #clock { width: auto; min-width: 14; }
    CockpitHeader > #progress { width: auto; min-width: 18; }
    CockpitHeader > #identity { width: auto; max-width: 46; text-wrap: nowrap; text-overflow: ellipsis; }
    CockpitHeader.-compact > #identity { max-width: 34; }
    """

    def __init__(self, runbook: Runbook, env: Environment, read_only: bool, demo: bool = False) -> None:
        super().__init__()
        self.demo = demo
        self.runbook = runbook
        self.env = env
        self.read_only = read_only
        self.identity: IdentityRead | None = None

    def compose(self) -> ComposeResult:
        title = Text(one_line(f"{self.runbook.name} v{self.runbook.version}"), style="bold")
        yield Static(title, id="title")
        yield Static("", id="progress")
        identity = Static(Text(NOT_READ), id="identity")
        identity.tooltip = "who cockpit acts as: not read yet"
        yield identity
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

    def show_identity(self, event: IdentityRead) -> None:
        """`AWS 123456789012 · GitHub owner/repo`; with a problem (a failed check, a pin not matched) marked ✗ in the
        error style, the problems in the tooltip (the screen also notifies them)."""
        self.identity = event
        identity = self.query_one("#identity", Static)
        identity.set_class(bool(event.problems), "-problem")
        details = [f"AWS principal: {one_line(event.aws_arn, 200)}"] if event.aws_arn else []
        identity.tooltip = "\n".join([*(one_line(p, 300) for p in event.problems), *details]) or "who cockpit acts as"
        self._paint_identity()

    def _paint_identity(self) -> None:
        if self.identity is not None:
            self.query_one("#identity", Static).update(identity_text(self.identity, compact=self.has_class("-compact")))

    def on_resize(self, event: events.Resize) -> None:
        """Narrow (80 columns): the compact identity."""
        compact = event.size.width < COMPACT_BELOW
        if compact != self.has_class("-compact"):
            self.set_class(compact, "-compact")
            self._paint_identity()

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


def identity_text(event: IdentityRead, *, compact: bool = False) -> Text:
    """The header's identity: the account (or why there is none) and the repository, as plain text (never markup)."""
    if not event.aws_configured:
        aws = "AWS not configured"
    else:
        aws = f"AWS {event.aws_account}" if event.aws_account else NOT_READ
    github = event.github_repository if compact and event.github_repository else (
        f"GitHub {event.github_repository}" if event.github_repository else "GitHub not set")
    return Text(one_line(f"{'✗ ' if event.problems else ''}{aws} · {github}", 120))
