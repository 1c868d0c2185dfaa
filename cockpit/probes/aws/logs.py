"""Following one CloudWatch Logs query: the runbook's window first, then every new event.

`filter_log_events` over the whole group (so streams created later are included), every
page followed until there is no nextToken (an empty page with a token means "still
scanning", not "done"). The next pass starts `overlap` before the newest event seen, so
events CloudWatch ingests late are read again rather than missed; events already seen
are dropped by (stream, eventId), remembering only the ids a later pass can return
(bounded memory). Messages are cleaned and redacted here, once, before anything can
show them.

Time comes from AWS where it matters: "now" is the `Date` of AWS's last answer (our
clock may be off), an event stamped after that does not move the cursor (one host with
a clock in the future would hide everything before it), and the cursor never goes back
more than `lookback` before now (a filter that matched an hour ago would rescan that hour
on every pass).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from operator import attrgetter
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
    """hash((stream, eventId)) → timestamp of events a later pass may return again.

    An int per event instead of a tuple of two strings: at 10,000 events/s and a 10 s
    overlap that is 100,000 entries a tab, and a 64-bit hash will not collide among them.
    """

    def __init__(self) -> None:
        self._ids: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, key: object) -> bool:
        return key in self._ids

    def merge(self, ids: dict[int, int], horizon: int) -> None:
        """Add `ids`, then drop every id older than `horizon` (no later pass starts before it)."""
        self._ids.update(ids)
        self._ids = {k: ts for k, ts in self._ids.items() if ts >= horizon}


class LogFollower:
    """One query (`group`, `pattern`) on one client; `next_pass()` is called from a thread.

    `now_ms` is our wall clock in ms, used until AWS has answered once. `keep` bounds a
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
        lookback_ms: int = 300_000,
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
        self.lookback_ms = max(lookback_ms, overlap_ms)
        self.cursor: int | None = None  # startTime of the next pass; None: the window
        self.newest: int | None = None  # the newest event timestamp seen (not after AWS's now)
        self.server_now_ms: int | None = None  # AWS's clock, from its last answer
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

    def _fresh(self, page: dict[str, Any], ids: dict[int, int], remember_from: int) -> list[LogEvent]:
        fresh = []
        seen = self.seen
        for raw in page.get("events", ()):
            stream, event_id = str(raw.get("logStreamName", "")), str(raw.get("eventId", ""))
            key = hash((stream, event_id))
            if key in seen or key in ids:
                continue
            timestamp = int(raw.get("timestamp", 0) or 0)
            if timestamp >= remember_from:  # older ones no later pass can return
                ids[key] = timestamp
            fresh.append(LogEvent(timestamp, sanitize_stream_name(stream), clean_message(str(raw.get("message", ""))), event_id))
        return fresh

    def next_pass(self, stop: threading.Event, on_page: Callable[[int], None] | None = None) -> Pass | None:
        """Read every page from the cursor on; None when `stop` was set before the pass ended.

        Raises AwsProblem. A pass that fails changes nothing: the next one reads the same
        range again, and shows what this one had read.
        """
        now = self.server_now_ms if self.server_now_ms is not None else self.now_ms()
        start = self.cursor if self.cursor is not None else max(0, self.now_ms() - self.window_ms)
        remember_from = min(start, now - self.lookback_ms) - self.overlap_ms
        ids: dict[int, int] = {}
        found: list[LogEvent] = []
        trimmed = pages = 0
        token: str | None = None
        while pages < MAX_PAGES_PER_PASS:
            if not self.budget.take(stop):
                return None
            page = self._request(start, token)
            pages += 1
            found.extend(self._fresh(page, ids, remember_from))
            if len(found) > 2 * self.keep:  # a huge window: keep only what the tab could show
                found.sort(key=_order)
                trimmed += len(found) - self.keep
                del found[: len(found) - self.keep]
            if on_page is not None:
                on_page(pages)
            self._note_server_time(page)
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
        self._advance(found)
        self.seen.merge(ids, self.cursor)
        return Pass(tuple(found), pages, trimmed)

    def _note_server_time(self, page: dict[str, Any]) -> None:
        date = page.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
        try:
            self.server_now_ms = int(parsedate_to_datetime(date).timestamp() * 1000) if date else None
        except (TypeError, ValueError):
            self.server_now_ms = None

    def _advance(self, found: list[LogEvent]) -> None:
        """Move the cursor to `overlap` before the newest event seen (bounded, never backwards)."""
        now = self.server_now_ms if self.server_now_ms is not None else self.now_ms()
        stamps = [e.timestamp for e in found if e.timestamp <= now]
        if stamps:
            self.newest = max(self.newest or 0, max(stamps))
        anchor = min(self.newest if self.newest is not None else now, now)
        self.cursor = max(anchor - self.overlap_ms, now - self.lookback_ms, self.cursor or 0)


_order = attrgetter("timestamp", "stream", "event_id")  # timestamp order across streams, ties stable


__all__ = ["AwsProblem", "LogEvent", "LogFollower", "Pass", "SeenIds"]
