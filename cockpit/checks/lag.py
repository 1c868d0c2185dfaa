"""How late cockpit's own event loop wakes up while a latency check measures.

A latency is the time between sending a request and the loop noticing the answer. If
the loop is busy (other coroutines, another thread holding the GIL, a garbage
collection, or the operating system giving the CPU to someone else), the answer waits
unnoticed and the backend looks slower than it is: the check would measure cockpit.

`LoopLag` runs a ticker beside the measurement: it sleeps `period` seconds at a time
and records every wake-up that comes later than `floor_ms` as a `Stall` (when it was
due, when it woke). A sample whose interval overlaps a large stall was disturbed by
cockpit itself (see `cockpit.checks.verdict`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

TICK_SECONDS = 0.002  # fine enough to see a stall of a few ms, cheap enough not to be one
# asyncio sleeps through epoll, whose timeout has 1 ms granularity: a wake-up up to ~1 ms
# late is the timer, not a stall. Later than this, the loop was held up.
FLOOR_MS = 1.0


@dataclass(frozen=True)
class Stall:
    """The loop should have woken at `due` but only ran at `woke` (seconds on the monitor's clock)."""

    due: float
    woke: float

    @property
    def ms(self) -> float:
        """How late, in milliseconds."""
        return (self.woke - self.due) * 1000

    def overlaps(self, start: float, end: float) -> bool:
        """True when the stall and the interval [start, end] share some time."""
        return self.due < end and self.woke > start


class LoopLag:
    """Records the stalls of the running event loop while used as `async with`.

    `clock` and `sleep` are injectable so the bookkeeping can be tested without timing.
    """

    def __init__(
        self,
        period: float = TICK_SECONDS,
        *,
        floor_ms: float = FLOOR_MS,
        clock: Callable[[], float] = time.perf_counter,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.period = period
        self.floor_ms = floor_ms
        self.clock = clock
        self._sleep = sleep
        self.stalls: list[Stall] = []
        self.max_ms = 0.0  # the latest wake-up seen, stall or not
        self.ticks = 0
        self._task: asyncio.Task[None] | None = None
        self._due: float | None = None  # when the pending wake-up is due

    def record(self, due: float, woke: float) -> None:
        """Book one wake-up that was due at `due` and happened at `woke`."""
        self.ticks += 1
        late_ms = (woke - due) * 1000
        self.max_ms = max(self.max_ms, late_ms)
        if late_ms > self.floor_ms:
            self.stalls.append(Stall(due, woke))

    async def tick(self, count: int | None = None) -> None:
        """Sleep and book wake-ups until cancelled (or `count` times)."""
        done = 0
        while count is None or done < count:
            due = self._due = self.clock() + self.period
            await self._sleep(self.period)
            self._due = None
            self.record(due, self.clock())
            done += 1

    async def __aenter__(self) -> LoopLag:
        self._task = asyncio.ensure_future(self.tick())
        await asyncio.sleep(0)  # let the ticker take its first timestamp before the measurement starts
        return self

    async def __aexit__(self, *exc: object) -> None:
        due, now = self._due, self.clock()
        if due is not None and now > due:  # a wake-up that is overdue but has not run yet: the measurement waited too
            self.record(due, now)
        task, self._task = self._task, None
        if task is not None:
            task.cancel()  # not awaited: a cancellation of our own caller must not be swallowed here
