"""Health in the engine: a poller per backend (Redis, database, /health, pages) feeding the board.

A poll never raises: a timeout past `guard_seconds` (a client that ignores its own
timeouts) or a bug in a backend becomes every one of its rows DOWN, with the reason.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace

from cockpit.checks.lag import LoopLag
from cockpit.checks.verdict import lag_budget_ms
from cockpit.engine.events import HealthRead
from cockpit.engine.schedule import Every
from cockpit.monitor.backends import Backend, Unconfigured, all_down, build_backends
from cockpit.monitor.board import HealthBoard, RowView
from cockpit.monitor.readings import Poll, Reading
from cockpit.runbook.model import Environment, Runbook

CLOSE_SECONDS = 0.5  # closing the clients may not hold up a stop longer than this


def disturbed(poll: Poll, stalled_ms: float, limit_ms: Callable[[str], float | None]) -> Poll:
    """`poll` with the latencies that `stalled_ms` of cockpit's own stalls (a log pass holding the GIL, a check, the
    machine's load) could have carried over their row's limit (`limit_ms(key)`, None: none) marked as disturbed.

    The rule of `cockpit check` (`cockpit.checks.verdict`): a stall matters only to a latency over the limit, and
    only when longer than the lag budget (a tenth of the limit, never under 2 ms). A latency under its limit, or on
    a row without one, is kept whatever the stalls: they can only have made it look slower (a 3 ms page load that
    lost 2.5 ms to the loop is still far under 1000 ms). The poll's stalls are summed, so one over the limit is also
    kept when it is over it even less all of them: a 1.5 s page that lost 150 ms is a slow page.
    """
    def taint(r: Reading) -> Reading:
        limit = limit_ms(r.key)
        bad = (r.latency_ms is not None and limit is not None and r.latency_ms > limit
               and stalled_ms > lag_budget_ms(limit) and r.latency_ms - stalled_ms <= limit)
        return replace(r, disturbed=True) if bad else r

    return replace(poll, readings=tuple(taint(r) for r in poll.readings))


async def poll_once(backend: Backend, guard_seconds: float) -> Poll:
    """One poll of `backend`, which never raises."""
    try:
        async with asyncio.timeout(guard_seconds):
            return await backend.poll()
    except Exception as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else f"probe error: {type(exc).__name__}"
        return all_down(backend, reason)


class Health:
    """The board and the pollers of one environment; `changed(status_changed)` after every poll."""

    def __init__(self, runbook: Runbook, env: Environment, *, live: bool, monotonic: Callable[[], float],
                 changed: Callable[[bool], None]) -> None:
        self.board = HealthBoard(runbook)
        self.settings = runbook.probes
        self.monotonic = monotonic
        self.changed = changed
        self.backends: list[Backend] = []
        for backend in build_backends(runbook, env) if live else []:
            self.board.add_rows(backend.name, backend.rows(), backend.interval)  # their rows, before the first poll
            if not isinstance(backend, Unconfigured):
                self.backends.append(backend)

    async def run(self, backend: Backend) -> None:
        """Poll `backend` on its own schedule until cancelled."""
        every = Every(backend.interval, self.settings.max_backoff_seconds)
        guard = 2 * self.settings.slowest_seconds + 1.0

        async def once() -> float:
            async with LoopLag() as lag:  # only during the poll: a ticker all the time would cost idle CPU
                poll = await poll_once(backend, guard)
            poll = disturbed(poll, sum(stall.ms for stall in lag.stalls), self._limit_ms)
            delay = every.next_delay(bool(poll.failure))
            now = self.monotonic()
            status_changed = any(self.board.status(r.key) != r.status for r in poll.readings)
            self.board.apply(poll, now, now + delay if poll.failure else None)
            self.changed(status_changed)
            return delay

        await every.run(once)

    def _limit_ms(self, key: str) -> float | None:
        limit = self.board.limit_for(key)
        return None if limit is None else limit.limit_ms

    def views(self) -> list[RowView]:
        """Every row as of now."""
        return self.board.views(self.monotonic())

    def read(self) -> HealthRead:
        """Every row, and its recent points, as of now."""
        now = self.monotonic()
        series = tuple((key, tuple(self.board.series(key, now))) for key in self.board.keys())
        return HealthRead(tuple(self.board.views(now)), series, now, tuple(self.board.polls.items()))

    async def close(self) -> None:
        """Release the backends' connections (bounded: dead connections do not hold up a stop)."""
        try:
            await asyncio.wait_for(asyncio.gather(*(b.close() for b in self.backends), return_exceptions=True), CLOSE_SECONDS)
        except TimeoutError:
            pass
