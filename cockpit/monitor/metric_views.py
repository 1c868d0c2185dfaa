"""What the metrics pane draws: each dashboard line's points, its threshold and why it has gaps.

Built in the engine from one GetMetricData read (monitor/metrics.py); immutable, so it
crosses the process boundary as is. Times are wall-clock epoch seconds (the journal's
markers are wall-clock too: one time axis).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

Point = tuple[float, float | None]  # (epoch seconds of the minute's start, value; None: a gap)


def clock_minute(at: float) -> str:
    """`15:11`: the minute starting at epoch second `at`, in UTC (the cockpit's clock)."""
    return f"{datetime.fromtimestamp(at, UTC):%H:%M}"


@dataclass(frozen=True)
class MetricView:
    """One dashboard line.

    `points` cover the window minute by minute, None where there is no value (`gap` says why:
    "no requests", "no data"). `latest`/`latest_at`: the newest value and its minute. `problem`:
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
    def breach(self) -> bool:
        """True when the newest value is over the threshold."""
        return self.threshold is not None and self.latest is not None and self.latest > self.threshold
