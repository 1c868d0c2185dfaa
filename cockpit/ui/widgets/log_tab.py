"""One log query's tab: a status line over the streaming lines.

The tab owns its buffer (the newest events, bounded) and writes new events to its
LogView as they arrive, unless follow is off: then they are only counted ("+123 new")
and written when follow comes back, so the lines being read never move.
"""

from __future__ import annotations

from collections import deque

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from cockpit.core.text import one_line
from cockpit.engine.events import FAILING, FOLLOWING, LOADING, THROTTLED_STATE, PatternOutcome, TailEvents, TailStatus
from cockpit.monitor.log_buffer import LineFormat, LogBuffer
from cockpit.runbook.model import LogQuery
from cockpit.ui.widgets.log_view import LogView, wrap_cells


def _age(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


class LogTab(Vertical):
    """The status and lines of `query`; `fmt` is the pane's (shared time zone)."""

    DEFAULT_CSS = """
    LogTab { height: 1fr; }
    LogTab > .log-status { height: auto; max-height: 4; }
    LogTab > LogView { height: 1fr; }
    """

    def __init__(self, query: LogQuery, cap: int, fmt: LineFormat, *, live: bool) -> None:
        super().__init__(id=f"log-tab-{query.id}")
        self.log_query = query  # not `query`: that is DOMNode's method, which select-all calls
        self.fmt = fmt
        self.buffer = LogBuffer(cap)
        self.generation = 0
        self.pattern = query.filter_pattern
        self.pending = ""  # a pattern sent to AWS, not yet accepted or rejected
        self.pattern_error = ""
        self.status = TailStatus(query.id, LOADING if live else "idle", "" if live else "not connected to CloudWatch")
        self.status_at = 0.0
        self.followed_at: float | None = None
        self.follow = True
        self.wrap = False
        self.view = LogView(cap, id=f"log-view-{query.id}")
        self._pieces: deque[int] = deque()  # view lines per event on screen, while wrapped
        self._status_text: Text | None = None

    def compose(self) -> ComposeResult:
        yield Static("", classes="log-status")
        yield self.view

    # -- reports from the follower ---------------------------------------------------
    def apply(self, report: object, now: float) -> None:
        """Take one report of this tab's follower (monotonic `now`)."""
        if isinstance(report, TailEvents):
            if report.generation == self.generation:  # else: from a pattern since replaced
                self.add_events(report)
        elif isinstance(report, TailStatus):
            at = now if report.at is None else min(now, report.at)  # the engine's time, not when the batch arrived
            self.status, self.status_at = report, at
            if report.state == FOLLOWING:
                self.followed_at = at
        elif isinstance(report, PatternOutcome):
            if report.pattern == self.pending:  # else a newer request is still on its way
                self.pending = ""
            if report.error:
                self.pattern_error = f"filter {report.pattern!r} rejected, still showing {self.pattern!r}: {report.error}"
            else:
                self.pattern_error = ""
                self.generation, self.pattern = report.generation, report.pattern
                self.buffer.clear()
                self._clear_view()

    def add_events(self, report: TailEvents) -> None:
        """Keep the events; write them now when following."""
        self.buffer.add(report.events, report.trimmed)
        if self.follow and report.events:
            self._write(self.fmt.lines(report.events))
            self.buffer.mark_shown()

    def _write(self, lines: list[str]) -> None:
        if self.wrap:  # an event takes several lines: the view keeps as many as its newest `cap` events need
            # The cells between the scrollbars, not the widget's width: the vertical scrollbar is drawn
            # over the last columns, so a piece as wide as `size` lost its end under it at every cut.
            width = max(20, self.view.scrollable_content_region.width)
            pieces = [wrap_cells(line, width) for line in lines]
            self._pieces.extend(len(p) for p in pieces)
            while len(self._pieces) > self.buffer.cap:
                self._pieces.popleft()
            self.view.max_lines = sum(self._pieces)
            lines = [piece for event in pieces for piece in event]
        else:
            self.view.max_lines = self.buffer.cap
        full = self.view.max_lines is not None and len(self.view.lines) + len(lines) > self.view.max_lines
        # Not Log's own auto-scroll: it scrolls only if the view was at the end before, and after
        # a resize or a clear it was not (scroll_y left behind), so the view stayed put forever
        # while the status said "following". Following means showing the newest line.
        self.view.write_lines(lines, scroll_end=False)
        if self.follow:
            self.view.follow_end()
        if full:  # Textual's Log, once at max_lines, neither scrolls nor repaints: the screen froze
            self.view.refresh()

    # -- controls -------------------------------------------------------------------------
    def set_follow(self, follow: bool) -> None:
        """Follow: new events scroll in. Off: they are counted and held back."""
        self.follow = follow
        if follow:
            held = self.buffer.take_unshown()
            if held:
                if len(held) >= self.buffer.cap:
                    self._clear_view()
                self._write(self.fmt.lines(held))
            self.view.follow_end()

    def rebuild(self) -> None:
        """Write every shown event again (time zone or wrap changed)."""
        shown = list(self.buffer.events)
        if self.buffer.unshown:
            shown = shown[: -self.buffer.unshown]
        self._clear_view()
        if shown:
            self._write(self.fmt.lines(shown))
        if self.follow:
            self.view.follow_end()

    def _clear_view(self) -> None:
        self.view.clear()
        self._pieces.clear()

    def on_resize(self) -> None:
        """Wrapped lines follow the width; a following view keeps its newest line in sight."""
        if self.wrap and self.buffer.events:
            self.call_after_refresh(self.rebuild)
        elif self.follow:
            self.call_after_refresh(self.view.follow_end)

    def save_lines(self) -> list[str]:
        """Every event in the buffer, one line each, times in UTC (for a file)."""
        return LineFormat(utc=True).lines(self.buffer.events)

    # -- status ---------------------------------------------------------------------------
    def _state_text(self, now: float) -> Text:
        """What the follower is doing: following (and when it last polled), loading, throttled, failing."""
        s = self.status
        if s.state == FOLLOWING or (s.state == LOADING and self.followed_at is not None):
            age = "" if self.followed_at is None else f" · polled {_age(now - self.followed_at)} ago"
            return Text.assemble(("● live", "bold green"), (age, "dim"))  # the stream; "paused" is the view
        if s.state == LOADING:
            return Text(f"… {s.text or 'loading'}", style="bold")
        if s.state in (THROTTLED_STATE, FAILING):
            left = max(0.0, (s.retry_in or 0) - (now - self.status_at))
            label = "throttled" if s.state == THROTTLED_STATE else "failing"
            return Text(f"{label}, retrying in {left:.0f} s", style="bold yellow" if s.state == THROTTLED_STATE else "bold red")
        return Text(s.text or s.state, style="dim")

    def status_text(self, now: float) -> Text:
        """The state of the tab in a line or two (outside text via Text, never markup)."""
        s = self.status
        out = Text()
        if not self.follow:
            out.append(f"‖ paused +{self.buffer.unshown:,} new (f: follow) · ", style="bold yellow")
        out.append_text(self._state_text(now))
        out.append(f" · {self.buffer.received:,} events", style="dim")
        if self.buffer.dropped:
            out.append(f" · {self.buffer.dropped:,} dropped (buffer {self.buffer.cap:,})", style="yellow")
        out.append(f"\n{self.log_query.log_group} · filter {self.pattern!r}", style="dim")
        if self.pending:
            out.append(f" → applying {self.pending!r}…", style="bold")
        if s.state == FAILING or (s.state == THROTTLED_STATE and s.text):
            out.append("\n" + one_line(s.text, 400), style="red" if s.state == FAILING else "yellow")
        if self.pattern_error:
            out.append("\n" + one_line(self.pattern_error, 400), style="bold red")
        return out

    def show_status(self, now: float) -> None:
        """Repaint the status line when it changed."""
        text = self.status_text(now)
        if text != self._status_text:
            self._status_text = text
            self.query_one(".log-status", Static).update(text)
