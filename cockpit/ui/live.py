"""Live monitoring on the cockpit screen: pollers feed the board, the board feeds the panes.

The pollers run in the probe process (see monitor/process.py), which posts a Polled
message per poll. Polls only update the board; the panes are redrawn from it every
few seconds (the screen's LIVE_EVERY, and only the cells that changed), so a burst of
polls never turns into a burst of repaints.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.widget import Widget
from textual.widgets import Static

from cockpit.monitor.backends import Unconfigured, build_backends
from cockpit.monitor.board import HealthBoard, RowView
from cockpit.monitor.process import ProbeProcess
from cockpit.monitor.readings import Poll
from cockpit.runbook import Environment, Runbook
from cockpit.ui.messages import Polled, ProbeExited
from cockpit.ui.widgets.health_table import HealthTable, more_below, problems_text, rank
from cockpit.ui.widgets.latency_pane import LatencyPane

RESTART_SECONDS = 5.0  # after the probe process died, start it again this much later


class LiveMonitor:
    """Owns the board, and the probe process when `live`, for `node` (the cockpit screen)."""

    def __init__(self, node: Widget, runbook: Runbook, env: Environment, *, live: bool, monotonic: Callable[[], float]) -> None:
        self.node = node
        self.board = HealthBoard(runbook)
        self.monotonic = monotonic
        self.watched: list = []
        if live:
            for backend in build_backends(runbook, env):  # their rows, before the first poll
                self.board.add_rows(backend.name, backend.rows(), backend.interval)
                if not isinstance(backend, Unconfigured):
                    self.watched.append(backend)
        # Nothing configured: no process to start.
        self.process = ProbeProcess(runbook, env, self._report, self._exited) if self.watched else None
        self._problems: Text | None = None

    def _report(self, poll: Poll, retry_in: float | None) -> None:
        at = self.monotonic()  # stamped on our clock: the board's ages and retries use it
        self.node.post_message(Polled(poll, at, None if retry_in is None else at + retry_in))

    def _exited(self, reason: str) -> None:
        self.node.post_message(ProbeExited(reason))

    def start(self) -> None:
        """Start polling (in the probe process)."""
        if self.process is not None:
            self.process.start()

    def probe_exited(self, reason: str) -> None:
        """The probe process is gone: every watched row says so, and it restarts shortly."""
        now = self.monotonic()
        for backend in self.watched:
            self.board.mark_down(backend.name, reason, now, now + RESTART_SECONDS)
        self.node.set_timer(RESTART_SECONDS, self.restart)

    def restart(self) -> None:
        """Start the probe process again."""
        if self.process is not None:
            self.process.stop()
            self.process.start()

    def apply(self, message: Polled) -> None:
        """A poll finished: record it."""
        self.board.apply(message.poll, message.at, message.retry_at)

    def views(self) -> list[RowView]:
        """Every row as of now."""
        return self.board.views(self.monotonic())

    def series(self) -> dict[str, list[tuple[float, float]]]:
        """Every row's recent (seconds ago, latency) points."""
        now = self.monotonic()
        return {key: self.board.series(key, now) for key in self.board.keys()}

    def render(self, table: HealthTable | None, problems: Static | None, latency: LatencyPane | None) -> list[RowView]:
        """Bring the panes on screen (None: hidden, skipped) up to date; return the rows as of now."""
        views = self.views()
        if table is not None:
            table.show(views)
            table.call_after_refresh(self._count_hidden, table, views)  # once the pane has its new height
        if problems is not None:
            text = problems_text(views)
            if text != self._problems:  # an update repaints and re-lays out even when equal
                self._problems = text
                problems.update(text)
                problems.display = bool(text)
        if latency is not None:
            latency.show(views, self.series())
        return views

    @staticmethod
    def _count_hidden(table: HealthTable, views: list[RowView]) -> None:
        """'+N more ↓' under the health pane when its rows run out, with the worst among the hidden ones."""
        hidden = table.hidden()
        text = more_below(sorted(views, key=rank, reverse=True)[len(views) - hidden:] if hidden else [])
        if table.parent is not None and table.parent.border_subtitle != text:  # each assignment repaints
            table.parent.border_subtitle = text

    def status_changed(self, message: Polled) -> bool:
        """True when `message` changes the status of a row (to be shown at once, not at the next tick)."""
        return any(self.board.status(r.key) != r.status for r in message.poll.readings)

    def close(self) -> None:
        """Stop the probe process."""
        if self.process is not None:
            self.process.stop()
