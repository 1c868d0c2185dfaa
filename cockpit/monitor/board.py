"""The health board: every row's latest reading, its latency window, age and threshold.

Pure bookkeeping on monotonic time; the UI renders `view()`s and never does the maths.
"""

from __future__ import annotations

from dataclasses import dataclass

from cockpit.core.latency import LatencyWindow, percentile
from cockpit.core.text import short_age
from cockpit.monitor.readings import DEGRADED, DOWN, HEALTHY, Poll, Reading
from cockpit.runbook.model import Runbook, Threshold

STALE_INTERVALS = 2  # a backend silent for this many poll intervals (plus one slowest poll) is stale
SERIES_POINTS = 120
# OVER is judged on the recent samples only, so it clears within this long after recovery
# (the p50/p99 figures keep the whole window): at least a minute, and six polls.
JUDGE_SECONDS = 60.0
JUDGE_POLLS = 6


@dataclass(frozen=True)
class RowView:
    """What a row shows now."""

    key: str
    label: str
    status: str
    last_ms: float | None
    p50_ms: float | None
    p99_ms: float | None
    samples: int
    age_s: float | None
    stale: bool
    reason: str
    detail: str
    limit: Threshold | None
    retry_in_s: float | None
    over_limit: int = 0  # samples over the limit in the judging window (JUDGE_SECONDS)
    polled_s: float | None = None  # seconds since its backend's last poll ended (answered or not): how old `status` is
    set_aside: int = 0  # latest readings in a row whose latency was set aside: cockpit too busy to time them
    window_s: float = 300.0  # the window p50 and p99 are over (the runbook's window_minutes)
    over_age_s: float | None = None  # seconds since the newest sample in the window over the limit (None: none is)
    # Its readings were set aside for longer than its figures may be old (as for `stale`): whether it is over its limit
    # now is not known; its figures (if any) are `age_s` old.
    unmeasured: bool = False

    @property
    def current(self) -> bool:
        """The row answered its last poll: its latency figures describe now."""
        return self.status in (HEALTHY, DEGRADED)

    @property
    def breach(self) -> bool:
        """Over the row's threshold now: two or more of the recent samples over it.

        Not one sample alone (a single outlier is not a trend), and not the whole 5-minute
        window: a row recovered a minute ago is no longer OVER, though its p99 remembers.
        """
        return self.limit is not None and self.over_limit >= 2

    @property
    def why(self) -> str:
        """The reason, with the retry countdown while a down row waits for its next try, or why its latency is unknown."""
        if self.retry_in_s is not None and self.status == DOWN:
            return f"{self.reason} · retrying in {self.retry_in_s:.0f} s"
        if self.unmeasured:
            how_long = "" if self.age_s is None else f" for {short_age(self.age_s)}"
            readings = f"{self.set_aside} reading{'s' if self.set_aside != 1 else ''}"
            unmeasured = f"latency unmeasured{how_long}: cockpit too busy to time it ({readings} set aside)"
            return f"{unmeasured} · {self.reason}" if self.reason else unmeasured
        return self.reason


class _Row:
    def __init__(self, reading: Reading, backend: str, window_seconds: float) -> None:
        self.reading = reading
        self.backend = backend
        self.window = LatencyWindow(window_seconds)
        self.measured_at: float | None = None
        self.set_aside = 0  # readings in a row whose latency was disturbed (see Reading.disturbed)


def metric_keys(metric: str, keys: list[str]) -> list[str]:
    """The rows a threshold metric is about."""
    if metric == "api_p99":
        return ["api"]
    if metric == "redis_latency":
        return ["redis"]
    if metric == "database_latency":
        return ["database"]
    if metric == "dashboard_ttfb":
        return [k for k in keys if k.startswith("page:")]
    return []


class HealthBoard:
    """Rows in a stable order (first seen first), fed by polls of each backend."""

    def __init__(self, runbook: Runbook) -> None:
        self.runbook = runbook
        self.window_seconds = runbook.probes.window_minutes * 60
        self._rows: dict[str, _Row] = {}
        self._retry_at: dict[str, float] = {}
        self._intervals: dict[str, float] = {}
        self._polled_at: dict[str, float] = {}
        self.polls: dict[str, int] = {}

    def add_rows(self, backend: str, readings: tuple[Reading, ...], interval: float) -> None:
        """Rows a backend will report on, before its first poll."""
        self._intervals[backend] = interval
        for reading in readings:
            self._rows.setdefault(reading.key, _Row(reading, backend, self.window_seconds))

    def mark_down(self, backend: str, reason: str, now: float, retry_at: float | None = None) -> None:
        """Every row of `backend` the board has (those found at run time too) down, for `reason`."""
        readings = tuple(Reading(key, row.reading.label, DOWN, reason=reason) for key, row in self._rows.items() if row.backend == backend)
        self.apply(Poll(backend, readings, reason), now, retry_at)

    def apply(self, poll: Poll, now: float, retry_at: float | None = None) -> None:
        """Take a poll's readings (a latency goes into the window) and its retry time."""
        self.polls[poll.backend] = self.polls.get(poll.backend, 0) + 1
        self._polled_at[poll.backend] = now
        if retry_at is None:
            self._retry_at.pop(poll.backend, None)
        else:
            self._retry_at[poll.backend] = retry_at
        for reading in poll.readings:
            row = self._rows.get(reading.key)
            if row is None:
                row = self._rows[reading.key] = _Row(reading, poll.backend, self.window_seconds)
            row.reading = reading
            if reading.latency_ms is None:
                row.set_aside = 0  # no latency to time (a row that did not answer)
            elif reading.disturbed:
                row.set_aside += 1
            else:
                row.window.add(now, reading.latency_ms)
                row.measured_at = now
                row.set_aside = 0

    def status(self, key: str) -> str | None:
        """The latest status of row `key` (None: no such row)."""
        row = self._rows.get(key)
        return row.reading.status if row else None

    def keys(self) -> list[str]:
        """Row keys in display order."""
        return list(self._rows)

    def limit_for(self, key: str) -> Threshold | None:
        """The runbook threshold that applies to row `key`, if any."""
        keys = self.keys()
        return next((t for t in self.runbook.thresholds if key in metric_keys(t.metric, keys)), None)

    def series(self, key: str, now: float) -> list[tuple[float, float]]:
        """The latest (seconds before `now`, latency) points of a row, oldest first."""
        row = self._rows.get(key)
        return [(at - now, ms) for at, ms in row.window.samples(now)[-SERIES_POINTS:]] if row else []

    def view(self, key: str, now: float) -> RowView:
        """Row `key` as it should be shown at monotonic time `now`."""
        row = self._rows[key]
        r = row.reading
        values = row.window.values(now)
        age = None if row.measured_at is None else max(0.0, now - row.measured_at)
        interval = self._intervals.get(row.backend, 2.0)
        live = r.status in (HEALTHY, DEGRADED)
        polled_at = self._polled_at.get(row.backend)
        # A healthy poll may take up to the timeouts, and the next starts an interval after it ends.
        too_old = STALE_INTERVALS * interval + self.runbook.probes.slowest_seconds
        stale = live and polled_at is not None and now - polled_at > too_old
        retry_at = self._retry_at.get(row.backend)
        limit = self.limit_for(key)
        samples = row.window.samples(now)
        judged = [ms for at, ms in samples if at >= now - max(JUDGE_SECONDS, JUDGE_POLLS * interval)]
        judged_p99 = percentile(judged, 0.99)
        over_at = max((at for at, ms in samples if ms > limit.limit_ms), default=None) if limit is not None else None
        return RowView(
            key=key,
            label=r.label,
            status=r.status,
            last_ms=(r.latency_ms if r.latency_ms is not None and not r.disturbed else (values[-1] if values else None)) if live else None,
            p50_ms=row.window.p50(),
            p99_ms=row.window.p99(),
            samples=len(values),
            age_s=age,
            stale=stale,
            reason=r.reason,
            detail=r.detail,
            limit=limit,
            retry_in_s=None if retry_at is None else max(0.0, retry_at - now),
            polled_s=None if polled_at is None else max(0.0, now - polled_at),
            set_aside=row.set_aside,
            window_s=self.window_seconds,
            over_age_s=None if over_at is None else max(0.0, now - over_at),
            unmeasured=live and row.set_aside > 0 and (age is None or age > too_old),
            # OVER needs the recent p99 over the limit and two samples over it (one is an outlier)
            over_limit=0 if limit is None or not live or judged_p99 is None or judged_p99 <= limit.limit_ms
            else sum(v > limit.limit_ms for v in judged),
        )

    def views(self, now: float) -> list[RowView]:
        """Every row."""
        return [self.view(key, now) for key in self._rows]
