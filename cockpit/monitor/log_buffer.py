"""A log tab's events, bounded, and how each becomes one display line.

The buffer keeps the newest `cap` events and counts what it dropped; while follow is
off it also counts the events not yet written to the screen. Lines are formatted on
the way to the screen (time in UTC or local, a short stream name, the cleaned message),
so switching the time zone or wrapping re-formats from the events, never from text.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable, Sequence

from cockpit.probes.aws.logs import LogEvent

STREAM_WIDTH = 12


def short_stream(stream: str) -> str:
    """The part of a stream name that tells tasks apart (ECS: the task id after the last '/')."""
    tail = stream.rsplit("/", 1)[-1] or stream
    tail = tail.rsplit("]", 1)[-1] or tail  # Lambda: 2026/11/28/[$LATEST]3f2a9c…
    return tail[:STREAM_WIDTH]


class LineFormat:
    """Formats events as `HH:MM:SS.mmm stream message` (UTC, or local time)."""

    def __init__(self, utc: bool = True) -> None:
        self.utc = utc
        self._second = -1
        self._hms = ""
        self._streams: dict[str, str] = {}

    def set_utc(self, utc: bool) -> None:
        """Times in UTC (True) or local time from now on."""
        self.utc, self._second = utc, -1

    def _stamp(self, timestamp: int) -> str:
        second, ms = divmod(timestamp, 1000)
        if second != self._second:  # most events share their second with the one before
            self._second = second
            self._hms = time.strftime("%H:%M:%S", time.gmtime(second) if self.utc else time.localtime(second))
        return f"{self._hms}.{ms:03d}"

    def _stream(self, stream: str) -> str:
        short = self._streams.get(stream)
        if short is None:
            if len(self._streams) > 4096:
                self._streams.clear()
            short = self._streams[stream] = f"{short_stream(stream):<{STREAM_WIDTH}}"
        return short

    def line(self, event: LogEvent) -> str:
        """One event as one line."""
        return f"{self._stamp(event.timestamp)} {self._stream(event.stream)} {event.message}"

    def lines(self, events: Iterable[LogEvent]) -> list[str]:
        """Several events, in order."""
        return [self.line(event) for event in events]


class LogBuffer:
    """The newest `cap` events of a tab, with counts of what was received, dropped and unshown."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.events: deque[LogEvent] = deque(maxlen=cap)
        self.received = 0
        self.dropped = 0
        self.unshown = 0

    def add(self, events: Sequence[LogEvent], trimmed: int = 0) -> None:
        """Append events in order; `trimmed` more were never delivered (a pass beyond the cap)."""
        overflow = max(0, len(self.events) + len(events) - self.cap)
        self.events.extend(events)
        self.received += len(events) + trimmed
        self.dropped += overflow + trimmed
        self.unshown = min(len(self.events), self.unshown + len(events))

    def take_unshown(self) -> list[LogEvent]:
        """The newest events not yet on screen (and from now on, they are)."""
        count, self.unshown = self.unshown, 0
        if not count:
            return []
        return list(self.events)[-count:]

    def mark_shown(self) -> None:
        """Everything in the buffer is on screen."""
        self.unshown = 0

    def clear(self) -> None:
        """Forget every event and count (a new filter pattern starts a new stream)."""
        self.events.clear()
        self.received = self.dropped = self.unshown = 0
