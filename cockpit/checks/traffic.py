"""The API p99 threshold judged on real traffic: the load balancer's own p99 over the last few minutes.

A threshold with `traffic = "api-p99"` names a dashboard metric with a percentile statistic (the
ALB's TargetResponseTime p99, scaled to ms). It is read as ONE period covering the whole recent
window (`[metrics] recent_minutes`): a true p99 over every request of those minutes, not the worst
of the minutes' p99s; with it, in the same GetMetricData call, `RequestCount` Sum of the same
namespace and dimensions over the same period (how many requests that p99 is about).

What it says (`judge_traffic`, pure): p99 <= limit passes; over fails; no requests in the window
is INCONCLUSIVE ("no traffic": no requests is not a fast API); a metric not configured, or
CloudWatch unreadable, is inconclusive naming why. cockpit's own probe of /health goes beside it
in every case, but never decides: it times cockpit's requests, not what users get.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from cockpit.checks.result import CheckResult, failed, inconclusive, passed
from cockpit.monitor.aws import aws_target
from cockpit.monitor.loop import DaemonThreadExecutor
from cockpit.probes.aws.clients import AwsTarget, make_client
from cockpit.probes.aws.errors import classify_aws
from cockpit.probes.aws.metrics import Datapoints, MetricQuery, read_metrics, window
from cockpit.runbook.dashboards import MetricSpec
from cockpit.runbook.metric_values import resolve
from cockpit.runbook.model import Environment, Runbook, Threshold

COUNT_METRIC = "RequestCount"  # the load balancer's request count, published with the same dimensions
# boto3 blocks: each AWS read of a check runs in a daemon thread of its own, abandoned at its timeout
# (never joined at exit, never queued behind another read).
AWS_THREADS = DaemonThreadExecutor()


@dataclass(frozen=True)
class Traffic:
    """The load balancer's figure over the window: `p99_ms` (None: no datapoint), `requests` (None: no datapoint)."""

    p99_ms: float | None
    requests: float | None
    minutes: int
    statistic: str = "p99"
    note: str = ""  # CloudWatch's status and messages when a result was not Complete


def dashboard_metric(runbook: Runbook, metric_id: str) -> MetricSpec | None:
    """The dashboard metric `metric_id` of the runbook's `[[dashboards]]`, or None."""
    for board in runbook.dashboards:
        for metric in board.metrics:
            if metric.id == metric_id:
                return metric
    return None


def traffic_queries(spec: MetricSpec, env: Environment) -> tuple[list[MetricQuery], str]:
    """([percentile query, request count query], '') or ([], why not: 'not configured: set COCKPIT_...')."""
    dimensions = []
    for name, value in spec.dimensions:
        resolved, why = resolve(value, env)
        if why:
            return [], why
        dimensions.append((name, resolved))
    dims = tuple(dimensions)
    return [MetricQuery(spec.namespace, spec.metric, dims, spec.statistic), MetricQuery(spec.namespace, COUNT_METRIC, dims, "Sum")], ""


def _figure(points: Datapoints) -> float | None:
    # One period covers the window, so there is one datapoint at most; should CloudWatch cut it in
    # two, the larger is kept: a p99 is never understated.
    return max((v for _, v in points.points), default=None)


def read_traffic(target: AwsTarget, queries: list[MetricQuery], spec: MetricSpec, now: datetime, minutes: int) -> Traffic:
    """The window's figure, in one GetMetricData call. Blocking (run it in a thread); raises AwsProblem."""
    start, end = window(now, minutes)
    p99, count = read_metrics(make_client("cloudwatch", target), queries, start, end, period=minutes * 60)
    notes = [f"{d.status}{': ' + d.message if d.message else ''}" for d in (p99, count) if d.status != "Complete"]
    value = _figure(p99)
    return Traffic(None if value is None else value * spec.scale, _figure(count), minutes, spec.statistic, "; ".join(notes))


async def recent_traffic(runbook: Runbook, env: Environment, threshold: Threshold, seconds: float) -> tuple[Traffic | None, str]:
    """The load balancer's figure over the recent window, read in an executor thread within `seconds`, or (None, why not)."""
    spec = dashboard_metric(runbook, threshold.traffic)
    if spec is None:
        return None, f"not configured: the runbook's dashboards have no metric {threshold.traffic!r}"
    queries, why = traffic_queries(spec, env)
    if why:
        return None, why
    minutes = runbook.metrics.recent_minutes
    call = partial(read_traffic, aws_target(runbook, env), queries, spec, datetime.now(UTC), minutes)
    try:
        return await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(AWS_THREADS, call), seconds), ""
    except TimeoutError:
        return None, f"CloudWatch did not answer within {seconds:g} s"
    except Exception as exc:  # AwsProblem, or botocore while building the client
        return None, f"CloudWatch not readable: {classify_aws(exc, 'metrics').reason}"


def _ms(value: float, limit: float) -> str:
    """A latency in ms, with enough digits that a figure over the limit never prints as the limit."""
    text = f"{value:.0f}" if value >= 10 else f"{value:.2f}"
    return f"{value:.2f}" if float(text) == limit and value != limit else text


def _requests(count: float) -> str:
    return f"{count:,.0f} request{'' if count == 1 else 's'}"


def judge_traffic(traffic: Traffic | None, why: str, limit_ms: float, action: str, probe: str) -> CheckResult:
    """The verdict on the load balancer's figure (`why` when there is none), cockpit's `probe` text beside it."""
    beside = f" · cockpit's probe: {probe}"
    if traffic is None:
        return inconclusive(f"load balancer p99 unknown: {why}{beside}")
    minutes, stat = traffic.minutes, traffic.statistic
    note = f" ({traffic.note})" if traffic.note else ""
    if traffic.p99_ms is None:
        if traffic.requests:
            return inconclusive(f"load balancer {stat} unknown: CloudWatch has no {stat} for the {_requests(traffic.requests)} of the last {minutes} min{note}{beside}")
        return inconclusive(f"no traffic: the load balancer saw no requests in the last {minutes} min{note}{beside}")
    head = f"load balancer {stat} {_ms(traffic.p99_ms, limit_ms)} ms over the last {minutes} min"
    count = f"({_requests(traffic.requests)})" if traffic.requests is not None else "(request count not reported)"
    if traffic.p99_ms <= limit_ms:
        below = "<" if traffic.p99_ms < limit_ms else "≤"
        return passed(f"{head} {count} {below} {limit_ms:g} ms{note}{beside}", traffic.p99_ms)
    return failed(f"{head} {count} > {limit_ms:g} ms limit: {action or 'over the limit'}{note}{beside}", traffic.p99_ms)
