"""A poller: one backend, polled in a loop, never overlapping, backing off on failure."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable

from cockpit.core.backoff import backoff_delay
from cockpit.monitor.backends import Backend, all_down
from cockpit.monitor.readings import Poll

# (poll, monotonic time it finished, retry time while failing or None)
Report = Callable[[Poll, float, "float | None"], None]


class Poller:
    """Polls `backend` until cancelled and reports every poll through `report`.

    The next poll starts only after the previous one has finished and the delay has
    passed, so polls never overlap; after a failure the delay grows (with jitter) up to
    `max_backoff`. `guard_seconds` caps a poll whose client ignores its own timeouts.
    """

    def __init__(
        self,
        backend: Backend,
        report: Report,
        *,
        max_backoff: float,
        guard_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.backend = backend
        self.report = report
        self.max_backoff = max_backoff
        self.guard_seconds = guard_seconds
        self.monotonic = monotonic
        self.rand = rand
        self.failures = 0

    async def poll_once(self) -> Poll:
        """One poll, which never raises (a bug in a backend becomes a failed poll)."""
        try:
            async with asyncio.timeout(self.guard_seconds):
                return await self.backend.poll()
        except Exception as exc:
            reason = "timed out" if isinstance(exc, TimeoutError) else f"probe error: {type(exc).__name__}"
            return all_down(self.backend, reason)

    async def run(self) -> None:
        """Poll forever (until the task is cancelled)."""
        while True:
            poll = await self.poll_once()
            self.failures = self.failures + 1 if poll.failure else 0
            delay = backoff_delay(self.failures, self.backend.interval, self.max_backoff, self.rand)
            now = self.monotonic()
            self.report(poll, now, now + delay if poll.failure else None)
            await asyncio.sleep(delay)
