"""The logs pane: one tab per log query of the runbook, and the keys that drive them.

`/` edits the current tab's filter pattern (AWS checks it; a rejected one leaves the old
stream running), `f` follow on/off, `s` search with `n`/`N` to jump between matches,
`w` wrap, `t` UTC or local time, `S` save the tab to a file, `[`/`]` change tab.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Static, TabbedContent, TabPane

from cockpit.core.text import one_line
from cockpit.monitor.log_buffer import LineFormat
from cockpit.runbook import Runbook
from cockpit.ui.screens.note import NoteScreen
from cockpit.ui.widgets.log_tab import LogTab
from cockpit.ui.widgets.log_view import LogView

if TYPE_CHECKING:
    from cockpit.ui.app import CockpitApp


class LogsPane(Vertical):
    """Tabs of streaming CloudWatch Logs queries."""

    app: CockpitApp

    BINDINGS = [
        Binding("slash", "edit_filter", "Filter"),
        Binding("f", "toggle_follow", "Follow"),
        Binding("s", "search", "Search"),
        Binding("n", "next_match(True)", "Next match", show=False),
        Binding("N", "next_match(False)", "Prev match", show=False),
        Binding("w", "toggle_wrap", "Wrap"),
        Binding("t", "toggle_utc", "UTC/local", show=False),  # in ? help; the footer is short at 80 columns
        Binding("S", "save", "Save", show=False),
        Binding("right_square_bracket", "next_tab(1)", "Next tab", show=False),
        Binding("left_square_bracket", "next_tab(-1)", "Prev tab", show=False),
    ]

    class PatternRequested(Message):
        """The operator asked for a new filter pattern on tab `query_id`."""

        def __init__(self, query_id: str, pattern: str) -> None:
            super().__init__()
            self.query_id = query_id
            self.pattern = pattern

    def __init__(self, runbook: Runbook, *, live: bool, id: str) -> None:
        super().__init__(id=id, classes="pane")
        self.border_title = "Logs"
        self.runbook = runbook
        self.fmt = LineFormat(utc=True)
        self.tabs = {q.id: LogTab(q, runbook.cloudwatch.buffer_lines, self.fmt, live=live) for q in runbook.log_queries}
        self.search_term = ""

    def compose(self) -> ComposeResult:
        if not self.tabs:
            yield Static(Text("The runbook has no log queries ([[log_queries]]).", style="dim"))
            return
        with TabbedContent(id="log-tabs"):
            for tab in self.tabs.values():
                with TabPane(Content(one_line(tab.log_query.id, 20)), id=f"log-pane-{tab.log_query.id}"):
                    yield tab

    # -- data ------------------------------------------------------------------------------
    def apply(self, report: object, now: float) -> None:
        """A report of one tab's follower."""
        tab = self.tabs.get(getattr(report, "query_id", ""))
        if tab is not None:
            tab.apply(report, now)

    def show_status(self, now: float) -> None:
        """Repaint the status lines (ages, countdowns)."""
        for tab in self.tabs.values():
            tab.show_status(now)
        current = self.current()
        if current is not None:
            self.border_subtitle = self._subtitle(current)

    def _subtitle(self, tab: LogTab) -> Text:
        parts = ["UTC" if self.fmt.utc else "local time"]
        if tab.wrap:
            parts.append("wrap")
        if self.search_term:
            parts.append(f"search {one_line(self.search_term, 20)!r}: {len(tab.view.matching_lines())}")
        return Text(" · ".join(parts))  # Text: a search term like [/api] is not markup

    def current(self) -> LogTab | None:
        """The tab on show."""
        if not self.tabs:
            return None
        active = self.query_one(TabbedContent).active
        return next((t for t in self.tabs.values() if f"log-pane-{t.log_query.id}" == active), None)

    def focus_view(self) -> None:
        """Put the keyboard on the lines of the tab on show, at once: a key typed right after goes there (Widget.focus()
        would move it only after the keys already queued)."""
        tab = self.current()
        self.screen.set_focus(tab.view if tab is not None else self)

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        tab = self.current()
        if tab is not None:
            tab.view.search(self.search_term)
            self.border_subtitle = self._subtitle(tab)

    # -- actions ---------------------------------------------------------------------------
    def action_next_tab(self, step: int) -> None:
        """Show the next (or previous) tab."""
        ids = [f"log-pane-{q}" for q in self.tabs]
        if ids:
            tabbed = self.query_one(TabbedContent)
            tabbed.active = ids[(ids.index(tabbed.active) + step) % len(ids)]
            self.focus_view()

    def action_show_tab(self, query_id: str) -> None:
        """Show the tab of log query `query_id` (the palette's "Logs: tab ...")."""
        if query_id in self.tabs:
            self.query_one(TabbedContent).active = f"log-pane-{query_id}"
            self.focus_view()

    def action_edit_filter(self) -> None:
        """Ask for a new CloudWatch filter pattern for the tab on show."""
        tab = self.current()
        if tab is None:
            return

        def apply(pattern: str | None) -> None:
            if pattern is not None and (pattern != tab.pattern or tab.pending):  # back to the current one cancels a pending one
                tab.pending = pattern
                tab.pattern_error = ""
                self.post_message(self.PatternRequested(tab.log_query.id, pattern))

        explain = "CloudWatch filter pattern syntax (AWS checks it). Empty: every event. The current stream goes on until AWS accepts the new pattern."
        screen = NoteScreen(tab.log_query.title, heading="Filter", explain=explain, value=tab.pattern,
                            placeholder="e.g. Redis, ?ERROR ?WARN, { $.level = \"error\" }", hint="enter applies · esc cancels",
                            allow_empty=True)
        self.app.push_screen(screen, apply)

    def action_toggle_follow(self) -> None:
        """Follow on/off for the tab on show."""
        tab = self.current()
        if tab is not None:
            tab.set_follow(not tab.follow)
            tab.show_status(self.app.monotonic())

    def on_log_view_scrolled_back(self, event: LogView.ScrolledBack) -> None:
        """Scrolling back to read pauses the tab (as `f` does); `f` follows again."""
        event.stop()
        tab = self.current()
        if tab is not None and tab.follow and tab.view is event.control:
            tab.set_follow(False)
            tab.show_status(self.app.monotonic())

    def action_search(self) -> None:
        """Ask for a search term; matches are highlighted in every tab, `n`/`N` jump."""
        def apply(term: str | None) -> None:
            if term is None:
                return
            self.search_term = term
            for tab in self.tabs.values():
                tab.view.search(term)
            current = self.current()
            if current is not None:
                self.border_subtitle = self._subtitle(current)
            if term:
                self.action_next_match(True)

        self.app.push_screen(NoteScreen("log lines", heading="Search", value=self.search_term, hint="enter searches · empty clears · esc cancels",
                                        placeholder="text to find (not case-sensitive)", allow_empty=True), apply)

    def action_next_match(self, forward: bool) -> None:
        """Scroll to the next (previous) line with a match."""
        tab = self.current()
        if tab is None:
            return
        if not self.search_term:
            self.notify("nothing to find yet: s searches", timeout=3, markup=False)
            return
        if not tab.view.matching_lines():
            self.notify(f"no line matches {self.search_term!r}", timeout=3, markup=False)
            return
        if tab.follow:
            tab.set_follow(False)  # reading back: stop new lines from moving the view
        tab.view.jump(forward)
        self.border_subtitle = self._subtitle(tab)

    def action_toggle_wrap(self) -> None:
        """Wrap long lines on/off (every tab)."""
        wrap = not any(t.wrap for t in self.tabs.values())
        for tab in self.tabs.values():
            tab.wrap = wrap
            tab.rebuild()

    def action_toggle_utc(self) -> None:
        """Times in UTC or local time (every tab)."""
        self.fmt.set_utc(not self.fmt.utc)
        for tab in self.tabs.values():
            tab.rebuild()
        current = self.current()
        if current is not None:
            self.border_subtitle = self._subtitle(current)

    def action_save(self) -> None:
        """Write the tab on show (its whole buffer, secrets already redacted) to a new file."""
        tab = self.current()
        if tab is None:
            return
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        default = f"cockpit-{tab.log_query.id}-{stamp}.log"

        def apply(path: str | None) -> None:
            if path:
                self.run_worker(self._save(tab, path), group="log-save")

        self.app.push_screen(NoteScreen(tab.log_query.title, heading="Save to file", value=default,
                                        hint="enter saves (never overwrites) · esc cancels"), apply)

    async def _save(self, tab: LogTab, name: str) -> None:
        header = [
            f"# {tab.log_query.log_group} filter {tab.pattern!r}, saved {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC",
            f"# {len(tab.buffer.events):,} events (received {tab.buffer.received:,}, dropped {tab.buffer.dropped:,}); times in UTC",
        ]
        lines = header + tab.save_lines()

        def write() -> Path:
            path = Path(name).expanduser()  # ~nosuchuser raises RuntimeError
            with path.open("x", encoding="utf-8") as out:  # "x": an existing file is never overwritten
                out.write("\n".join(lines) + "\n")
            return path

        try:
            path = await asyncio.to_thread(write)
        except (OSError, RuntimeError, ValueError) as exc:
            self.notify(f"not saved to {one_line(name, 120)}: {one_line(str(exc), 200)}", severity="error", timeout=8, markup=False)
        else:
            self.notify(f"saved {len(lines) - 2:,} lines to {one_line(str(path), 120)}", timeout=5, markup=False)
