"""Live monitoring on the cockpit screen: pollers feed the board, the board feeds the panes.

The pollers run on the probe loop (a thread of its own, see monitor/loop.py) and post
a Polled message per poll. Polls only update the board; the panes are redrawn from it
once a second (and only the cells that changed), so a burst of polls never turns into
a burst of repaints.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Sequence

from rich.text import Text
from textual.widget import Widget
from textual.widgets import Static

from cockpit.monitor.backends import Backend, Unconfigured
from cockpit.monitor.board import HealthBoard, RowView
from cockpit.monitor.loop import ProbeLoop
from cockpit.monitor.poller import Poller
from cockpit.monitor.readings import DOWN, Poll
from cockpit.runbook import Runbook
from cockpit.ui.messages import Polled
from cockpit.ui.widgets.header import CockpitHeader
from cockpit.ui.widgets.health_table import HealthTable, problems_text
from cockpit.ui.widgets.latency_pane import LatencyPane

CLOSE_SECONDS = 3.0


class LiveMonitor:
    """Owns the board and one poller per backend for `node` (the cockpit screen)."""

    def __init__(
        self,
        node: Widget,
        runbook: Runbook,
        backends: Sequence[Backend],
        probe_loop: ProbeLoop,
        monotonic: Callable[[], float],
    ) -> None:
        self.node = node
        self.board = HealthBoard(runbook)
        self.backends = list(backends)
        self.probe_loop = probe_loop
        self.monotonic = monotonic
        settings = runbook.probes
        self.pollers = [
            Poller(b, self._report, max_backoff=settings.max_backoff_seconds, guard_seconds=2 * settings.slowest_seconds + 1.0, monotonic=monotonic)
            for b in self.backends
        ]
        for backend in self.backends:
            self.board.add_rows(backend.name, backend.rows(), backend.interval)
        self._tasks: list[concurrent.futures.Future] = []
        self._problems: Text | None = None

    def _report(self, poll: Poll, at: float, retry_at: float | None) -> None:
        self.node.post_message(Polled(poll, at, retry_at))  # thread-safe in Textual

    def start(self) -> None:
        """Start every poller (a backend that is not configured is never polled)."""
        for poller in self.pollers:
            if not isinstance(poller.backend, Unconfigured):
                self._tasks.append(self.probe_loop.submit(poller.run()))

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

    @staticmethod
    def alerts(views: list[RowView]) -> tuple[list[str], list[str]]:
        """(rows that are down, rows over their threshold)."""
        return [v.label for v in views if v.status == DOWN], [v.label for v in views if v.breach]

    def render(
        self, table: HealthTable | None, problems: Static | None, latency: LatencyPane | None, header: CockpitHeader
    ) -> None:
        """Bring the panes on screen (None: hidden, skipped) and the header's alerts up to date."""
        views = self.views()
        if table is not None:
            table.show(views)
        if problems is not None:
            text = problems_text(views)
            if text != self._problems:  # an update repaints and re-lays out even when equal
                self._problems = text
                problems.update(text)
                problems.display = bool(text)
        if latency is not None:
            latency.show(views, self.series())
        down, over = self.alerts(views)
        header.show_alerts(down, over, watched=any(v.samples for v in views))

    async def close(self) -> None:
        """Stop polling and close every client (on the probe loop, where they live)."""
        for task in self._tasks:
            task.cancel()

        async def close_all() -> None:
            await asyncio.gather(*(b.close() for b in self.backends), return_exceptions=True)

        try:
            await asyncio.wait_for(self.probe_loop.run(close_all()), CLOSE_SECONDS)
        except Exception:
            pass  # a dead connection may not close cleanly; the process is leaving anyway
