"""Following one CloudWatch Logs query: the runbook's window first, then every new event.

`filter_log_events` over the whole group (so streams created later are included), every
page followed until there is no nextToken (an empty page with a token means "still
scanning", not "done"). After a complete pass the next one starts `overlap` before the
time this one started, so events CloudWatch ingests late are read again rather than
missed; events already seen are dropped by (stream, eventId), remembering only the ids
the next pass can return (bounded memory). Messages are cleaned and redacted here,
once, before anything can show them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cockpit.core.logline import clean_message, sanitize_stream_name
from cockpit.core.ratelimit import RequestBudget
from cockpit.probes.aws.errors import AwsProblem, classify_aws

MAX_PAGES_PER_PASS = 10_000  # a guard against a service that never stops returning tokens


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One log event, safe to display: `message` and `stream` are already cleaned."""

    timestamp: int  # ms since the epoch, as written by the producer
    stream: str
    message: str
    event_id: str


@dataclass(frozen=True)
class Pass:
    """What one pass over the query found: new events in timestamp order, and how it went."""

    events: tuple[LogEvent, ...]
    pages: int
    trimmed: int = 0  # events of this pass beyond `keep`, never shown (the buffer would drop them)


class SeenIds:
    """(stream, eventId) of events whose timestamp is at or after a horizon."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, str], int] = {}

    def __len__(self) -> int:
        return len(self._ids)

    def add_if_new(self, key: tuple[str, str], timestamp: int) -> bool:
        """Remember `key`; False when it was already there."""
        if key in self._ids:
            return False
        self._ids[key] = timestamp
        return True

    def forget_before(self, horizon: int) -> None:
        """Drop ids of events older than `horizon` (no later pass can return them)."""
        self._ids = {k: ts for k, ts in self._ids.items() if ts >= horizon}


class LogFollower:
    """One query (`group`, `pattern`) on one client; `next_pass()` is called from a thread.

    `now_ms` is wall-clock time in ms (event timestamps are wall-clock). `keep` bounds a
    single pass: only its newest `keep` events are returned (the tab could not hold more).
    """

    def __init__(
        self,
        client: Any,
        group: str,
        pattern: str,
        *,
        window_ms: int,
        overlap_ms: int,
        budget: RequestBudget,
        now_ms: Callable[[], int],
        keep: int = 20_000,
        page_limit: int | None = None,
    ) -> None:
        self.client = client
        self.group = group
        self.pattern = pattern
        self.window_ms = window_ms
        self.overlap_ms = overlap_ms
        self.budget = budget
        self.now_ms = now_ms
        self.keep = keep
        self.page_limit = page_limit
        self.cursor: int | None = None  # startTime of the next pass; None: the window
        self.seen = SeenIds()

    def _request(self, start: int, token: str | None) -> dict[str, Any]:
        args: dict[str, Any] = {"logGroupName": self.group, "startTime": start}
        if self.pattern:
            args["filterPattern"] = self.pattern
        if token:
            args["nextToken"] = token
        if self.page_limit:
            args["limit"] = self.page_limit
        try:
            return self.client.filter_log_events(**args)
        except Exception as exc:  # boto3 raises many types: one typed problem for the tab
            raise classify_aws(exc, f"{self.group}") from exc

    def _fresh(self, page: dict[str, Any]) -> list[LogEvent]:
        fresh = []
        for raw in page.get("events", ()):
            stream, event_id = str(raw.get("logStreamName", "")), str(raw.get("eventId", ""))
            timestamp = int(raw.get("timestamp", 0) or 0)
            if self.seen.add_if_new((stream, event_id), timestamp):
                message = raw.get("message", "")
                fresh.append(LogEvent(timestamp, sanitize_stream_name(stream), clean_message(str(message)), event_id))
        return fresh

    def next_pass(self, stop: threading.Event, on_page: Callable[[int], None] | None = None) -> Pass | None:
        """Read every page from the cursor on; None when `stop` was set before the pass ended.

        Raises AwsProblem. A pass that fails leaves the cursor where it was (the next
        one reads the same range again; the seen ids keep it from showing twice).
        """
        started = self.now_ms()
        start = self.cursor if self.cursor is not None else max(0, started - self.window_ms)
        found: list[LogEvent] = []
        trimmed = 0
        token: str | None = None
        pages = 0
        while pages < MAX_PAGES_PER_PASS:
            if not self.budget.take(stop):
                return None
            page = self._request(start, token)
            pages += 1
            found.extend(self._fresh(page))
            if len(found) > 2 * self.keep:  # a huge window: keep only what the tab could show
                found.sort(key=_order)
                trimmed += len(found) - self.keep
                del found[: len(found) - self.keep]
            if on_page is not None:
                on_page(pages)
            next_token = page.get("nextToken")
            if not next_token or next_token == token or stop.is_set():
                break
            token = next_token
        if stop.is_set():
            return None
        found.sort(key=_order)
        if len(found) > self.keep:
            trimmed += len(found) - self.keep
            del found[: len(found) - self.keep]
        # The next pass starts `overlap` before this one started (not at the newest event:
        # a quiet filter would rescan since its last match, and an event stamped in the
        # future would hide everything before it).
        self.cursor = max(start, started - self.overlap_ms)
        self.seen.forget_before(self.cursor)
        return Pass(tuple(found), pages, trimmed)


def _order(event: LogEvent) -> tuple[int, str, str]:
    return (event.timestamp, event.stream, event.event_id)


__all__ = ["AwsProblem", "LogEvent", "LogFollower", "Pass", "SeenIds"]
