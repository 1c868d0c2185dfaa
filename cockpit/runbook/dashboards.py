"""The plan's CloudWatch dashboards as data: which metrics, how each is shown, and its threshold.

A runbook declares `[[dashboards]]`, each with `[[dashboards.metrics]]`. A metric's
dimension values may name the environment's `[environments.NAME.metrics]` values as
`{key}` (the load balancer, target group, cache cluster and DB instance differ per
environment); a key with no value leaves that metric "not configured", saying which
variable to set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

STATISTICS = ("Average", "Sum", "Minimum", "Maximum", "SampleCount")  # and percentiles: p50, p99, p99.9
MISSING = ("gap", "zero")  # what a minute without a datapoint means: no data (drawn as a gap), or 0 (CloudWatch's docs say so)


@dataclass(frozen=True)
class MetricSpec:
    """One line of a dashboard: a CloudWatch metric (or a ratio of two, or a share of the pool).

    - `namespace`, `metric`, `dimensions` ((name, value) pairs, values may hold `{key}`), `statistic`
      (Average, Sum, Minimum, Maximum, SampleCount or a percentile like p99) name the data; 1-minute periods.
    - `scale` multiplies each value for display (1000: Seconds shown as ms); `unit` is the displayed unit.
    - `per`: another metric of the same namespace and dimensions, read with `per_statistic`; the line is
      100 x metric / per (a percentage). A minute where `per` has no datapoint (or 0) is a gap.
    - `pool_of`: an ECS service; the line is 100 x value / (the DATABASE_URL's connection_limit x that
      service's running tasks): the share of the pool's capacity in use.
    - `missing`: "gap" (no datapoint is no data: drawn as a gap, explained by `gap_reason`) or "zero"
      (CloudWatch's docs say the metric is not reported when it is 0, e.g. an ELB's 5XX count).
    - `threshold`: the upper limit in displayed units (None: none).
    """

    id: str
    title: str
    namespace: str
    metric: str
    statistic: str
    dimensions: tuple[tuple[str, str], ...] = ()
    unit: str = ""
    scale: float = 1.0
    per: str = ""
    per_statistic: str = "Sum"
    pool_of: str = ""
    missing: str = "gap"
    missing_per: str = "gap"
    gap_reason: str = "no data"
    threshold: float | None = None


@dataclass(frozen=True)
class Dashboard:
    """A group of metrics the plan asks to watch after the deploy (one block of the metrics pane)."""

    id: str
    title: str
    metrics: tuple[MetricSpec, ...]


@dataclass(frozen=True)
class MetricsSettings:
    """How the metrics pane reads CloudWatch (`[metrics]`): one batched GetMetricData per interval."""

    interval_seconds: float = 60.0
    window_minutes: int = 60  # the charts' span
    recent_minutes: int = 5  # the p99 check's window of the load balancer's own p99
    stale_after_seconds: float = 180.0  # a read older than this is stale (dimmed, said)


PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def placeholders(text: str) -> list[str]:
    """The `{key}` names in `text`, in order."""
    return PLACEHOLDER.findall(text)
