"""Pollers: one per backend, never overlapping, backing off on failure.

A poll runs as an async worker in the backend's own group; the next one is scheduled
with `set_timer` only after it finishes, so a slow backend delays nobody but itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from textual.timer import Timer
from textual.widget import Widget

from cockpit.core.backoff import backoff_delay
from cockpit.monitor.backends import Backend
from cockpit.monitor.readings import DOWN, Poll, Reading
from cockpit.ui.messages import Polled


class Poller:
    """Polls `backend` on behalf of `node`, posting a Polled message after each poll."""

    def __init__(
        self,
        node: Widget,
        backend: Backend,
        *,
        max_backoff: float,
        guard_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.node = node
        self.backend = backend
        self.max_backoff = max_backoff
        self.guard_seconds = guard_seconds
        self.monotonic = monotonic
        self.failures = 0
        self._timer: Timer | None = None
        self._stopped = False

    def start(self) -> None:
        """Poll now, then on schedule."""
        self._launch()

    def stop(self) -> None:
        """No further polls."""
        self._stopped = True
        if self._timer is not None:
            self._timer.stop()

    def _launch(self) -> None:
        if not self._stopped:
            self.node.run_worker(self._poll_once(), group=f"poll-{self.backend.name}", exit_on_error=False)

    async def _poll_once(self) -> None:
        try:
            async with asyncio.timeout(self.guard_seconds):  # a backend's own timeouts come first
                poll = await self.backend.poll()
        except Exception as exc:  # never let one backend's bug stop its polling
            reason = "timed out" if isinstance(exc, TimeoutError) else f"probe error: {type(exc).__name__}"
            poll = Poll(self.backend.name, tuple(Reading(r.key, r.label, DOWN, reason=reason) for r in self.backend.rows()), reason)
        self.failures = self.failures + 1 if poll.failure else 0
        delay = backoff_delay(self.failures, self.backend.interval, self.max_backoff)
        now = self.monotonic()
        if self._stopped:
            return
        self.node.post_message(Polled(poll, now, now + delay if poll.failure else None))
        self._timer = self.node.set_timer(delay, self._launch)
