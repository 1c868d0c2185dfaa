"""Following one CloudWatch Logs query: the runbook's window first, then every new event.

`filter_log_events` over the whole group (so streams created later are included), every
page followed until there is no nextToken (an empty page with a token means "still
scanning", not "done"). The next pass starts an overlap before the previous one started
(or before the newest event seen, if older), so events CloudWatch ingests late are read
rather than missed; events already seen are dropped by (stream, eventId), remembering
only the ids a later pass can return (bounded memory). Messages are cleaned and redacted
here, once, before anything can show them. Answers are parsed by orjson, not botocore's
model walk (`fastparse`).

The overlap adapts to the ingestion delay actually observed, so a pass re-reads only
what can still arrive (see `LogFollower` for the argument); `overlap_ms` is its ceiling.

Time comes from AWS where it matters: "now" is the `Date` of AWS's last answer (our
clock may be off), an event stamped after that does not move the cursor (one host with
a clock in the future would hide everything before it), and the cursor never goes back
more than `lookback` before now (a filter that matched an hour ago would rescan that hour
on every pass).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from operator import attrgetter
from typing import Any, NamedTuple

from cockpit.core.logline import clean_message, sanitize_stream_name
from cockpit.core.ratelimit import RequestBudget
from cockpit.probes.aws import fastparse
from cockpit.probes.aws.errors import AwsProblem, classify_aws

MAX_PAGES_PER_PASS = 10_000  # a guard against a service that never stops returning tokens
MIN_OVERLAP_MS = 250  # the overlap never goes below this
OVERLAP_MARGIN_MS = 250  # added to the largest delay observed
DELAY_WINDOW_MS = 60_000  # delays observed this long ago (AWS's clock) no longer count
OFFSET_WINDOW_MS = 30_000  # clock offsets (AWS minus ours) measured this long ago no longer count


class LogEvent(NamedTuple):
    """One log event, safe to display: `message` and `stream` are already cleaned.

    A named tuple, not a dataclass: a flood crosses from the engine to the UI process, and
    unpickling a frozen dataclass (`_dataclass_setstate`, a `fields()` walk per event) was half
    of the UI's CPU at 10,000 events/s (bench/README.md); a tuple loads 2.3x faster.
    """

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

    `now_ms` is our wall clock in ms; AWS's clock is estimated from it and the `Date` of
    AWS's answers. `keep` bounds a single pass: only its newest `keep` events are returned
    (the tab could not hold more).

    **The adaptive overlap.** Pass k starts at AWS time S(k) (estimated low: `Date` is
    floored to the second and read after it was written) and reads every event with
    `timestamp >= cursor`. The next cursor is `anchor - overlap`, anchor = min(S(k), the
    newest event timestamp seen). Take an event e that pass k did not return but pass k+1
    can: it was not readable when pass k started (pass k's range held its timestamp, see
    below), so it became readable after S(k), and its delay d(e) (readable time minus
    timestamp, at least `ingestionTime - timestamp`) is more than S(k) - timestamp(e).
    Hence `timestamp(e) > S(k) - d(e) >= anchor - d(e)`: **pass k+1 returns every event
    whose delay is at most the overlap**, and also any with a delay up to the overlap plus
    the time between two pass starts, depending on when it landed.

    The overlap is therefore `max(delays observed in the last DELAY_WINDOW_MS) +
    OVERLAP_MARGIN_MS`, kept between `min_overlap_ms` and `overlap_ms` (the runbook's
    `overlap_seconds`, now the ceiling). Observed per new event: `ingestionTime -
    timestamp`, and, from the second pass on, its lateness `previous anchor - timestamp`
    (what the overlap had to cover to catch it: this also measures the time between
    ingestion and being searchable, which `ingestionTime` does not show). With no
    observation in the window (a quiet filter, or the first pass) it is the ceiling.
    **Growth**: an event caught with a delay near or above the current overlap (possible:
    see "depending on when it landed") raises the overlap at once to that delay plus the
    margin, and the next cursor moves back accordingly, as far as the remembered ids
    reach (`horizon`, below), so a delay that creeps up is followed without loss. It
    **shrinks** only when the larger delays have been out of the window for 60 s, and
    never below the floor. What it cannot do: catch an event whose delay jumps, from one
    pass to the next, beyond everything observed by more than the margin plus a poll
    interval (nothing with that delay is ever seen, so nothing says to grow), or beyond
    the ceiling (as with the fixed overlap before).

    **Dedupe** stays exact and bounded: ids are remembered for events with a timestamp
    at or after `horizon`, which is non-decreasing and at most `anchor - min(ceiling, 2
    x overlap)`, and no cursor is ever set before it; so an event returned again is
    always recognised, and the ids held are those of about two overlaps plus a pass.
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
        min_overlap_ms: int = MIN_OVERLAP_MS,
        overlap_margin_ms: int = OVERLAP_MARGIN_MS,
        delay_window_ms: int = DELAY_WINDOW_MS,
        fast_parse: bool = True,
    ) -> None:
        self.client = client
        self.group = group
        self.pattern = pattern
        self.window_ms = window_ms
        self.overlap_ms = overlap_ms  # the ceiling of the adaptive overlap
        self.min_overlap_ms = min(min_overlap_ms, overlap_ms)
        self.overlap_margin_ms = overlap_margin_ms
        self.delay_window_ms = delay_window_ms
        self.current_overlap_ms = overlap_ms  # what the next cursor was set with
        self.delays: deque[tuple[int, int]] = deque()  # (AWS time of a pass, largest delay it observed, ms)
        self.anchor: int | None = None  # min(start of the last pass, newest event), AWS time
        self.horizon: int | None = None  # ids of events from here on are remembered; no cursor goes before it
        self.clock_offset_ms: int | None = None  # AWS's clock minus ours, estimated low (the largest lately seen)
        self.offsets: deque[tuple[int, int]] = deque()  # (our time, Date minus our time on receipt), the last OFFSET_WINDOW_MS
        if fast_parse:
            fastparse.install(client)
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

    def _fresh(self, page: dict[str, Any], ids: dict[int, int], remember_from: int, late_from: int | None) -> tuple[list[LogEvent], int]:
        """The events of `page` not seen before, and the largest delay they show (-1: none).

        Delay: `ingestionTime - timestamp`, or `late_from - timestamp` (the previous anchor)
        when larger."""
        fresh = []
        seen = self.seen
        delay = -1
        for raw in page.get("events", ()):
            stream, event_id = str(raw.get("logStreamName", "")), str(raw.get("eventId", ""))
            key = hash((stream, event_id))
            if key in seen or key in ids:
                continue
            timestamp = int(raw.get("timestamp", 0) or 0)
            if timestamp >= remember_from:  # older ones no later pass can return
                ids[key] = timestamp
            ingested = raw.get("ingestionTime")
            if ingested is not None and (d := int(ingested) - timestamp) > delay:
                delay = d
            if late_from is not None and late_from - timestamp > delay:
                delay = late_from - timestamp
            fresh.append(LogEvent(timestamp, sanitize_stream_name(stream), clean_message(str(raw.get("message", ""))), event_id))
        return fresh, delay

    def _aws_now(self) -> int:
        """AWS's clock now, estimated low from ours and the `Date`s of its answers (ours before the first)."""
        return self.now_ms() + (self.clock_offset_ms or 0)

    def next_pass(self, stop: threading.Event, on_page: Callable[[int], None] | None = None) -> Pass | None:
        """Read every page from the cursor on; None when `stop` was set before the pass ended.

        Raises AwsProblem. A pass that fails changes nothing: the next one reads the same
        range again, and shows what this one had read.
        """
        now = self._aws_now()
        start = self.cursor if self.cursor is not None else max(0, self.now_ms() - self.window_ms)
        remember_from = min(start, now - self.lookback_ms) - self.overlap_ms
        late_from = self.anchor if self.cursor is not None else None
        began = self._aws_now() if self.clock_offset_ms is not None else None
        ids: dict[int, int] = {}
        found: list[LogEvent] = []
        trimmed = pages = 0
        delay = -1
        token: str | None = None
        while pages < MAX_PAGES_PER_PASS:
            if not self.budget.take(stop):
                return None
            page = self._request(start, token)
            pages += 1
            fresh, page_delay = self._fresh(page, ids, remember_from, late_from)
            found.extend(fresh)
            delay = max(delay, page_delay)
            if len(found) > 2 * self.keep:  # a huge window: keep only what the tab could show
                found.sort(key=_order)
                trimmed += len(found) - self.keep
                del found[: len(found) - self.keep]
            if on_page is not None:
                on_page(pages)
            self._note_server_time(page)
            if pages == 1 and began is None and self.server_now_ms is not None:  # no clock yet: no later than its first answer
                began = self.server_now_ms
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
        horizon = self._advance(found, began, delay)
        self.seen.merge(ids, horizon)
        return Pass(tuple(found), pages, trimmed)

    def _note_server_time(self, page: dict[str, Any]) -> None:
        date = page.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
        try:
            self.server_now_ms = int(parsedate_to_datetime(date).timestamp() * 1000) if date else None
        except (TypeError, ValueError):
            self.server_now_ms = None
        if self.server_now_ms is not None:
            # Date is floored and was written before we read it, so each sample is low (by up to a second and the
            # trip); the largest of the last OFFSET_WINDOW_MS is still low, and within ~100 ms at a few answers a second.
            # A window, not all time: our clock may be stepped (NTP) and then an old sample would be too high.
            ours = self.now_ms()
            self.offsets.append((ours, self.server_now_ms - ours))
            while self.offsets[0][0] < ours - OFFSET_WINDOW_MS or len(self.offsets) > 512:
                self.offsets.popleft()
            self.clock_offset_ms = max(offset for _, offset in self.offsets)

    def _overlap(self, now: int, delay: int) -> int:
        """The overlap for the next pass, with `delay` (ms, -1: none) observed by this one."""
        if delay >= 0:
            self.delays.append((now, delay))
        while self.delays and self.delays[0][0] < now - self.delay_window_ms:
            self.delays.popleft()
        if not self.delays:
            return self.overlap_ms  # nothing observed lately: no evidence for less than the ceiling
        largest = max(d for _, d in self.delays)
        return max(self.min_overlap_ms, min(self.overlap_ms, largest + self.overlap_margin_ms))

    def _advance(self, found: list[LogEvent], began: int | None, delay: int) -> int:
        """Move the cursor to the overlap before the anchor; not before `horizon` nor the lookback.
        Returns the new `horizon`."""
        now = self._aws_now()
        stamps = [e.timestamp for e in found if e.timestamp <= now]
        if stamps:
            self.newest = max(self.newest or 0, max(stamps))
        began = min(began if began is not None else now, now)
        anchor = min(self.newest if self.newest is not None else began, began)
        self.anchor = anchor
        overlap = self.current_overlap_ms = self._overlap(now, delay)
        floor = now - self.lookback_ms
        if self.horizon is not None:
            floor = max(floor, self.horizon)  # ids before it are forgotten: reading there again would repeat events
        self.cursor = max(anchor - overlap, floor)
        self.horizon = max(min(self.cursor, anchor - min(self.overlap_ms, 2 * overlap)), floor)
        return self.horizon


_order = attrgetter("timestamp", "stream", "event_id")  # timestamp order across streams, ties stable


__all__ = ["AwsProblem", "LogEvent", "LogFollower", "Pass", "SeenIds"]
