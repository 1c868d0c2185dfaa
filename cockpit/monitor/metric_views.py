"""What the metrics pane draws: each dashboard line's points, its threshold and why it has gaps.

Built in the engine from one GetMetricData read (monitor/metrics.py); immutable, so it
crosses the process boundary as is. Times are wall-clock epoch seconds (the journal's
markers are wall-clock too: one time axis).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

Point = tuple[float, float | None]  # (epoch seconds of the minute's start, value; None: a gap)
MINUTE = 60.0  # one point's span (CloudWatch's 1-minute period)
REPORT_DELAY = 120.0  # seconds after a minute ends within which CloudWatch may still report (or add to) it


def complete_until(read_at: float) -> float:
    """The epoch second (a minute's start) where the complete minutes at `read_at` end: a minute is complete when it
    ended REPORT_DELAY or more before the read. Every read at the same time draws and judges the same minutes."""
    return ((read_at - REPORT_DELAY) // MINUTE) * MINUTE


def clock_minute(at: float) -> str:
    """`15:11`: the minute starting at epoch second `at`, in UTC (the cockpit's clock)."""
    return f"{datetime.fromtimestamp(at, UTC):%H:%M}"


@dataclass(frozen=True)
class MetricView:
    """One dashboard line.

    `points` cover the window's complete minutes, minute by minute, None where there is no value (`gap` says why:
    "no requests", "no data"); the newest point is the minute judged (`current`). `latest`/`latest_at`: the newest
    value and its minute (before `gap_since` when the newest minutes are a gap). `problem`:
    why the line cannot be drawn at all ("not configured: set COCKPIT_LOAD_BALANCER", "pool capacity
    unknown: DATABASE_URL has no connection_limit"); then `points` is empty. `note`: what CloudWatch said of a query
    it answered only in part or with messages ("CloudWatch: PartialData: ..."): the points are drawn, but not all known.
    """

    id: str
    dashboard: str
    title: str
    unit: str
    threshold: float | None
    points: tuple[Point, ...]
    gap: str = "no data"
    latest: float | None = None
    latest_at: float | None = None
    problem: str = ""
    note: str = ""

    @property
    def current(self) -> float | None:
        """The value of the newest complete minute (None: it is a gap, or nothing was drawn)."""
        return self.points[-1][1] if self.points else None

    @property
    def breach(self) -> bool:
        """True when the newest complete minute is over the threshold (a value before a gap is no current figure)."""
        return self.threshold is not None and self.current is not None and self.current > self.threshold

    @property
    def gap_since(self) -> float | None:
        """When the newest minutes are a gap: the start of its first minute (the one after the last value, else the
        window's first); None when the newest minute has a value or nothing was drawn."""
        if not self.points or self.points[-1][1] is not None:
            return None
        return self.points[0][0] if self.latest_at is None else self.latest_at + MINUTE

    @property
    def stale_breach(self) -> bool:
        """The newest minutes are a gap and the last value before them was over the threshold."""
        return (self.gap_since is not None and self.threshold is not None and self.latest is not None
                and self.latest > self.threshold)
