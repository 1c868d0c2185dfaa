"""Log tabs in the engine: one follower per `[[log_queries]]` tab, each on its own schedule.

A pass (`LogFollower.next_pass`, blocking boto3) runs in an executor thread; the loop only
decides what comes next. Reports: TailEvents with new events, TailStatus with what the tab
is doing (loading, following, throttled, failing), PatternOutcome when a new filter pattern
was accepted or rejected by AWS. A rejected pattern leaves the previous one streaming.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from cockpit.core.ratelimit import RequestBudget
from cockpit.engine.events import FAILING, FOLLOWING, LOADING, THROTTLED_STATE, EngineEvent, PatternOutcome, TailEvents, TailStatus
from cockpit.engine.schedule import Every
from cockpit.probes.aws.clients import LazyClient
from cockpit.probes.aws.errors import INVALID, THROTTLED, AwsProblem, classify_aws
from cockpit.probes.aws.logs import LogFollower, Pass
from cockpit.runbook.model import CloudWatchSettings, LogQuery

Blocking = Callable[..., Awaitable[Any]]  # run a blocking call in an executor thread


def wall_ms() -> int:
    """Now, in ms since the epoch (what CloudWatch timestamps use)."""
    return int(time.time() * 1000)


class Tail:
    """Follows `query` on a shared `client` and `budget`; `emit` may be called from any thread."""

    def __init__(self, query: LogQuery, client: LazyClient, budget: RequestBudget, settings: CloudWatchSettings,
                 emit: Callable[[EngineEvent], None], blocking: Blocking, stop: threading.Event, *,
                 now_ms: Callable[[], int] = wall_ms, page_limit: int | None = None) -> None:
        self.query = query
        self.client = client
        self.budget = budget
        self.settings = settings
        self.emit = emit
        self.blocking = blocking
        self.stop = stop
        self.now_ms = now_ms
        self.page_limit = page_limit
        self.pattern = query.filter_pattern
        self.generation = 0
        self.follower: LogFollower | None = None
        self.requested: str | None = None
        self.every = Every(settings.logs_interval_seconds, settings.max_backoff_seconds)

    def request_pattern(self, pattern: str) -> None:
        """Switch to `pattern` once AWS accepts it."""
        self.requested = pattern
        self.every.wake()

    def _follower(self, pattern: str) -> LogFollower:
        s = self.settings
        return LogFollower(
            self.client.get(), self.query.log_group, pattern,
            window_ms=int(self.query.window_minutes * 60_000), overlap_ms=int(s.overlap_seconds * 1000),
            budget=self.budget, now_ms=self.now_ms, keep=s.buffer_lines, page_limit=self.page_limit,
        )

    def _status(self, state: str, text: str = "", retry_in: float | None = None) -> None:
        self.emit(TailStatus(self.query.id, state, text, retry_in, time.monotonic()))

    async def _pass(self, follower: LogFollower) -> Pass | None:
        def on_page(pages: int) -> None:  # in the executor thread
            if follower.cursor is None and pages > 1:  # a long first window: show progress
                self._status(LOADING, f"loading the last {self.query.window_minutes} min: page {pages}")
        return await self.blocking(follower.next_pass, self.stop, on_page)

    async def _switch(self, pattern: str) -> LogFollower | None:
        """Try `pattern` with a first pass; the new follower, or None when AWS rejected it."""
        self._status(LOADING, f"applying filter {pattern!r}")
        try:
            candidate = await self.blocking(self._follower, pattern)
            first = await self._pass(candidate)
        except Exception as exc:
            if not isinstance(exc, AwsProblem) or exc.kind != INVALID:  # not the pattern's fault: try it again after the backoff
                self.requested = self.requested if self.requested is not None else pattern
                raise
            self.emit(PatternOutcome(self.query.id, pattern, self.generation, exc.reason))
            return None
        if first is None:
            return None
        self.generation += 1
        self.pattern = pattern
        self.emit(PatternOutcome(self.query.id, pattern, self.generation))
        self.emit(TailEvents(self.query.id, self.generation, first.events, first.trimmed))
        return candidate

    async def once(self) -> float:
        """One round: a pattern switch, the first window, or the next pass; the delay until the next."""
        try:
            requested, self.requested = self.requested, None
            passed = None
            if requested is not None:
                self.follower = await self._switch(requested) or self.follower
            elif self.follower is None:
                self._status(LOADING, f"loading the last {self.query.window_minutes} min")
                self.follower = await self.blocking(self._follower, self.pattern)
                passed = await self._pass(self.follower)
            else:  # (the window again, when the first pass failed part-way)
                passed = await self._pass(self.follower)
            if passed is not None and (passed.events or passed.trimmed):
                self.emit(TailEvents(self.query.id, self.generation, passed.events, passed.trimmed))
            delay = self.every.next_delay(False)
            if self.follower is not None:
                self._status(FOLLOWING)
            # After a success a pending pattern (or a first one AWS rejected) goes next, without waiting.
            return 0 if self.requested is not None or self.follower is None else delay
        except Exception as exc:  # AwsProblem, or anything boto3 raised while building the client
            problem = classify_aws(exc, self.query.log_group)
            delay = self.every.next_delay(True, problem.transient)  # someone has to fix it: max backoff
            self._status(THROTTLED_STATE if problem.kind == THROTTLED else FAILING, problem.reason, delay)
            return delay

    async def run(self) -> None:
        """Follow until cancelled."""
        await self.every.run(self.once)
