"""CloudWatch metrics: every query of a read in one batched GetMetricData call (paged), 1-minute periods by default.

Blocking (boto3): the engine runs it in an executor thread. The window is aligned to the
minute, as CloudWatch aligns periods, so a read a few seconds later asks for the same
minutes. A query's datapoints come back oldest first, as epoch seconds of each period's start.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cockpit.core.logline import clean_message
from cockpit.probes.aws.errors import classify_aws

PERIOD = 60
MAX_QUERIES = 500  # GetMetricData takes at most 500 queries per call
MAX_PAGES = 20  # 100,800 datapoints a page: more pages than this is a bug, not data


@dataclass(frozen=True)
class MetricQuery:
    """One metric to read: namespace, name, dimensions ((name, value) pairs) and statistic (Average, Sum, p99...)."""

    namespace: str
    metric: str
    dimensions: tuple[tuple[str, str], ...]
    statistic: str


@dataclass(frozen=True)
class Datapoints:
    """What GetMetricData returned for one query: (epoch seconds, value) oldest first, and CloudWatch's
    status (Complete, PartialData, InternalError, Forbidden) with its messages, cleaned to one line."""

    points: tuple[tuple[float, float], ...]
    status: str = "Complete"
    message: str = ""


def window(now: datetime, minutes: int) -> tuple[datetime, datetime]:
    """The last `minutes` whole minutes up to and including the current one: [start, end)."""
    end = now.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    return end - timedelta(minutes=minutes), end


def _query(key: str, query: MetricQuery, period: int) -> dict[str, Any]:
    return {
        "Id": key,
        "MetricStat": {
            "Metric": {"Namespace": query.namespace, "MetricName": query.metric,
                       "Dimensions": [{"Name": n, "Value": v} for n, v in query.dimensions]},
            "Period": period,
            "Stat": query.statistic,
        },
        "ReturnData": True,
    }


def read_metrics(
    client: Any, queries: Sequence[MetricQuery], start: datetime, end: datetime, *, period: int = PERIOD
) -> list[Datapoints]:
    """Datapoints of each query (same order) between `start` and `end`; raises AwsProblem (classify_aws).

    `period` (seconds, a multiple of 60) is each datapoint's span: 1 minute for the charts; the whole
    window (`end - start`) for one figure over it, e.g. a true p99 over every request of those minutes.
    """
    found: dict[str, list[tuple[float, float]]] = {f"q{i}": [] for i in range(len(queries))}
    states: dict[str, tuple[str, str]] = {}
    keyed = [(f"q{i}", q) for i, q in enumerate(queries)]
    for first in range(0, len(keyed), MAX_QUERIES):
        batch = [_query(key, q, period) for key, q in keyed[first:first + MAX_QUERIES]]
        token = ""
        for _ in range(MAX_PAGES):
            args: dict[str, Any] = {"MetricDataQueries": batch, "StartTime": start, "EndTime": end, "ScanBy": "TimestampAscending"}
            if token:
                args["NextToken"] = token
            try:
                answer = client.get_metric_data(**args)
            except Exception as exc:
                raise classify_aws(exc, "metrics") from exc
            for result in answer.get("MetricDataResults", []):
                key = str(result.get("Id", ""))
                if key not in found:
                    continue
                for at, value in zip(result.get("Timestamps", []), result.get("Values", [])):
                    if isinstance(at, datetime) and isinstance(value, (int, float)):
                        found[key].append((at.timestamp(), float(value)))
                messages = "; ".join(str(m.get("Value", "")) for m in result.get("Messages", []) if isinstance(m, dict))
                states[key] = (str(result.get("StatusCode", "Complete")), clean_message(messages, 200))
            token = str(answer.get("NextToken") or "")
            if not token:
                break
    return [Datapoints(tuple(sorted(found[key])), *states.get(key, ("Complete", ""))) for key, _ in keyed]
