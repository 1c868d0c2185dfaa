"""One log tab's follower thread: passes every interval, backoff, pattern changes.

Reports go to a callback (the UI posts them as messages): TailEvents with new events,
TailStatus with what the tab is doing (loading, following, throttled, failing), and
PatternOutcome when a new filter pattern was accepted or rejected by AWS. A rejected
pattern leaves the previous one streaming.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from cockpit.core.backoff import backoff_delay
from cockpit.core.ratelimit import RequestBudget
from cockpit.monitor.repeater import Repeater
from cockpit.probes.aws.clients import LazyClient
from cockpit.probes.aws.errors import INVALID, THROTTLED, AwsProblem, classify_aws
from cockpit.probes.aws.logs import LogEvent, LogFollower
from cockpit.runbook.model import CloudWatchSettings, LogQuery

LOADING, FOLLOWING, THROTTLED_STATE, FAILING = "loading", "following", "throttled", "failing"


@dataclass(frozen=True)
class TailEvents:
    """New events of tab `query_id` for pattern `generation`, in timestamp order."""

    query_id: str
    generation: int
    events: tuple[LogEvent, ...]
    trimmed: int = 0


@dataclass(frozen=True)
class TailStatus:
    """What tab `query_id` is doing; `retry_in` seconds while throttled or failing."""

    query_id: str
    state: str
    text: str = ""
    retry_in: float | None = None


@dataclass(frozen=True)
class PatternOutcome:
    """A new filter pattern was accepted (error '') or rejected (the old one streams on)."""

    query_id: str
    pattern: str
    generation: int
    error: str = ""


def wall_ms() -> int:
    """Now, in ms since the epoch (what CloudWatch timestamps use)."""
    return int(time.time() * 1000)


class LogTail:
    """Follows `query` on a shared `client` and `budget`, reporting to `report` (any thread)."""

    def __init__(
        self,
        query: LogQuery,
        client: LazyClient,
        budget: RequestBudget,
        settings: CloudWatchSettings,
        report: Callable[[object], None],
        *,
        now_ms: Callable[[], int] = wall_ms,
        page_limit: int | None = None,
    ) -> None:
        self.query = query
        self.client = client
        self.budget = budget
        self.settings = settings
        self.report = report
        self.now_ms = now_ms
        self.page_limit = page_limit
        self.pattern = query.filter_pattern
        self.generation = 0
        self._requested: str | None = None
        self._lock = threading.Lock()
        self.thread = Repeater(f"logs-{query.id}", self._run)

    def start(self) -> None:
        """Start following."""
        self.thread.start()

    def stop(self) -> None:
        """Stop at the next page or wait."""
        self.thread.stop()

    def request_pattern(self, pattern: str) -> None:
        """Switch to `pattern` once AWS accepts it (PatternOutcome says how it went)."""
        with self._lock:
            self._requested = pattern
        self.thread.wake()

    def _take_request(self) -> str | None:
        with self._lock:
            pattern, self._requested = self._requested, None
            return pattern

    def _follower(self, pattern: str) -> LogFollower:
        s = self.settings
        return LogFollower(
            self.client.get(), self.query.log_group, pattern,
            window_ms=int(self.query.window_minutes * 60_000), overlap_ms=int(s.overlap_seconds * 1000),
            budget=self.budget, now_ms=self.now_ms, keep=s.buffer_lines, page_limit=self.page_limit,
        )

    def _loading(self, follower: LogFollower) -> Callable[[int], None]:
        def on_page(pages: int) -> None:
            if follower.cursor is None and pages > 1:  # a long first window: show progress
                self.report(TailStatus(self.query.id, LOADING, f"loading the last {self.query.window_minutes} min: page {pages}"))
        return on_page

    def _switch(self, pattern: str, stop: threading.Event) -> LogFollower | None:
        """Try `pattern` with a first pass; the new follower, or None when AWS rejected it."""
        candidate = self._follower(pattern)
        self.report(TailStatus(self.query.id, LOADING, f"applying filter {pattern!r}"))
        try:
            first = candidate.next_pass(stop, self._loading(candidate))
        except AwsProblem as problem:
            if problem.kind != INVALID:
                with self._lock:  # not the pattern's fault: try it again after the backoff
                    self._requested = self._requested if self._requested is not None else pattern
                raise
            self.report(PatternOutcome(self.query.id, pattern, self.generation, problem.reason))
            return None
        if first is None:
            return None
        self.generation += 1
        self.pattern = pattern
        self.report(PatternOutcome(self.query.id, pattern, self.generation))
        self.report(TailEvents(self.query.id, self.generation, first.events, first.trimmed))
        return candidate

    def _run(self, stop: threading.Event) -> None:
        s = self.settings
        follower: LogFollower | None = None
        failures = 0
        while not stop.is_set():
            ok = False
            try:
                requested = self._take_request()
                if requested is not None:
                    follower = self._switch(requested, stop) or follower
                    passed = None
                elif follower is None:
                    self.report(TailStatus(self.query.id, LOADING, f"loading the last {self.query.window_minutes} min"))
                    follower = self._follower(self.pattern)
                    passed = follower.next_pass(stop, self._loading(follower))
                else:  # (the window again, when the first pass failed part-way)
                    passed = follower.next_pass(stop, self._loading(follower))
                if passed is not None and (passed.events or passed.trimmed):
                    self.report(TailEvents(self.query.id, self.generation, passed.events, passed.trimmed))
                failures, ok, delay = 0, True, s.logs_interval_seconds
                if follower is not None:
                    self.report(TailStatus(self.query.id, FOLLOWING))
            except Exception as exc:  # AwsProblem, or anything boto3 raised while building the client
                problem = classify_aws(exc, self.query.log_group)
                failures += 1
                if problem.transient:
                    delay = backoff_delay(failures, s.logs_interval_seconds, s.max_backoff_seconds)
                else:  # someone has to fix something: look again now and then
                    delay = s.max_backoff_seconds
                state = THROTTLED_STATE if problem.kind == THROTTLED else FAILING
                self.report(TailStatus(self.query.id, state, problem.reason, delay))
            # After a failure the backoff holds, pending pattern or not; after a success a
            # pending pattern (or a first one AWS rejected) goes next, without waiting.
            busy = self._requested is not None or follower is None
            if not self.thread.sleep(0 if ok and busy else delay):
                return
