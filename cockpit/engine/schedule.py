"""One poll loop for every source of the engine: its interval, its backoff, its wake-up.

`Every.run(once)` calls `once()` until cancelled; `once` does one round (a poll, a log pass,
an AWS read), reports what it found, and returns the seconds until the next round, which
it gets from `next_delay`: the interval after a success, a growing jittered backoff after
consecutive transient failures (core/backoff.py), the longest backoff at once after a
failure someone has to fix. Rounds never overlap. `wake()` cuts the current wait short.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable

from cockpit.core.backoff import backoff_delay


class Every:
    """The schedule of one source."""

    def __init__(self, interval: float, max_backoff: float, rand: Callable[[], float] = random.random) -> None:
        self.interval = interval
        self.max_backoff = max_backoff
        self.rand = rand
        self.failures = 0
        self._wake = asyncio.Event()

    def next_delay(self, failed: bool, transient: bool = True) -> float:
        """Seconds until the next round, after one that succeeded or `failed`."""
        if not failed:
            self.failures = 0
            return self.interval
        self.failures += 1
        return backoff_delay(self.failures, self.interval, self.max_backoff, self.rand) if transient else self.max_backoff

    def wake(self) -> None:
        """Start the next round now (new work is waiting)."""
        self._wake.set()

    async def wait(self, seconds: float) -> None:
        """Sleep `seconds`, or less when woken."""
        if seconds > 0:
            try:
                await asyncio.wait_for(self._wake.wait(), seconds)
            except TimeoutError:
                pass
        self._wake.clear()

    async def run(self, once: Callable[[], Awaitable[float]]) -> None:
        """Round after round, until the task is cancelled."""
        while True:
            await self.wait(await once())
