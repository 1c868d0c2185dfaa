"""The metrics pane's source: every `[metrics] interval_seconds`, one batched GetMetricData read of every
dashboard line (an executor thread: boto3 blocks), turned into MetricsRead in the loop.

A failure is a MetricsFailed with its retry delay (throttling said), backing off as the other AWS
reads do (engine/schedule.py); the last views stay for the verdict and the screen, aging. The pool
share of a line needs the API's running tasks: the latest ECS read gives them, and a new ECS read
re-derives the last datapoints at once rather than at the next read.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from cockpit.engine.events import MetricsFailed, MetricsRead, ServicesRead
from cockpit.engine.schedule import Every
from cockpit.monitor.metric_views import MetricView
from cockpit.monitor.metrics import derive_views, plan_reads
from cockpit.monitor.verdict import MetricsSeen
from cockpit.probes.aws.clients import LazyClient
from cockpit.probes.aws.errors import THROTTLED, classify_aws
from cockpit.probes.aws.metrics import Datapoints, read_metrics, window
from cockpit.runbook import Environment, Runbook

Blocking = Callable[..., Awaitable[Any]]


def running_counts(read: ServicesRead | None) -> Mapping[str, int] | None:
    """Each described service's running tasks (None: ECS not read yet); a service ECS does not know is left out."""
    if read is None:
        return None
    return {s.name: s.running for s in read.services if not s.missing}


class MetricsSource:
    """Reads the runbook's dashboards in `env` on a schedule; `report` gets each MetricsRead or MetricsFailed (in the loop).

    `services()` is the latest ServicesRead (None: not read yet); `wall` the wall clock (epoch seconds: the window's
    minutes and `read_at`), `monotonic` the clock the verdict ages reads by.
    """

    def __init__(self, runbook: Runbook, env: Environment, client: LazyClient, blocking: Blocking,
                 report: Callable[[MetricsRead | MetricsFailed], None], services: Callable[[], ServicesRead | None], *,
                 wall: Callable[[], float] = time.time, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.env = env
        self.settings = runbook.metrics
        self.plan = plan_reads(runbook.dashboards, env)
        self.client = client
        self.blocking = blocking
        self.report = report
        self.services = services
        self.wall = wall
        self.monotonic = monotonic
        self.every = Every(self.settings.interval_seconds, runbook.cloudwatch.max_backoff_seconds)
        self.views: tuple[MetricView, ...] = ()
        self.read_at: float | None = None  # monotonic: when the views were read
        self.failure = ""
        self._last: tuple[Sequence[Datapoints], float, float] | None = None  # datapoints, window start, wall-clock read time
        self._running: Mapping[str, int] | None = None

    def _read(self, now: float) -> tuple[list[Datapoints], float]:
        """In a thread: the window ending with the minute of `now`, and every query's datapoints in it."""
        start, end = window(datetime.fromtimestamp(now, UTC), self.settings.window_minutes)
        data = read_metrics(self.client.get(), self.plan.queries, start, end) if self.plan.queries else []
        return data, start.timestamp()

    async def once(self) -> float:
        """One read, reported; the delay until the next."""
        now = self.wall()
        try:
            data, start = await self.blocking(self._read, now)
        except Exception as exc:  # AwsProblem, or boto3's own while building the client
            problem = classify_aws(exc, "metrics")
            delay = self.every.next_delay(True, problem.transient)
            self.failure = problem.reason
            self.report(MetricsFailed(problem.reason, problem.kind == THROTTLED, delay))
            return delay
        self._last, self.failure, self.read_at = (data, start, now), "", self.monotonic()
        self._derive()
        return self.every.next_delay(False)

    def services_read(self) -> None:
        """ECS was read: when a pool's running tasks changed, the last datapoints are derived again (no new read)."""
        if self._last is not None and any(line.spec.pool_of for line in self.plan.lines):
            if running_counts(self.services()) != self._running:
                self._derive()

    def _derive(self) -> None:
        assert self._last is not None
        data, start, read_at = self._last
        self._running = running_counts(self.services())
        self.views = derive_views(self.plan, data, start, self.settings.window_minutes, self.env, self._running, read_at)
        self.report(MetricsRead(self.views, read_at))

    def seen(self) -> MetricsSeen:
        """What the verdict judges: the last views, when they were read, and the failure since."""
        return MetricsSeen(self.views, self.read_at, self.settings.stale_after_seconds, self.failure)

    async def run(self) -> None:
        """Read until cancelled."""
        await self.every.run(self.once)
