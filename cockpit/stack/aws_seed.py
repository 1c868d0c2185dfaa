"""Put data into moto through boto3 clients: log groups with streams and events, alarms in a state.

Timestamps are milliseconds on the *real* clock: moto drops log events older than 14 days
or more than 2 hours ahead of it (see cockpit/stack/moto_server.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence

Event = str | tuple[int, str]  # a message (stamped by seed_logs), or (timestamp_ms, message)
PUT_BATCH = 10_000  # PutLogEvents takes at most 10,000 events per call


def now_ms() -> int:
    """The real clock in epoch milliseconds, as CloudWatch Logs stamps events."""
    return int(time.time() * 1000)


def seed_logs(
    client,
    group: str,
    streams: Mapping[str, Sequence[Event]] | Iterable[str],
    *,
    start_ms: int | None = None,
    step_ms: int = 1000,
) -> int:
    """Create `group` (if missing) and its streams, and put their events; returns `start_ms`.

    `streams` maps a stream name to its events, or is just stream names (empty streams).
    A plain message is stamped `start_ms + i * step_ms` (i: its index in its stream);
    `start_ms` defaults to one minute ago. Each stream's events are put in time order.
    """
    start_ms = now_ms() - 60_000 if start_ms is None else start_ms
    if not isinstance(streams, Mapping):
        streams = {name: () for name in streams}
    try:
        client.create_log_group(logGroupName=group)
    except client.exceptions.ResourceAlreadyExistsException:
        pass
    for stream, events in streams.items():
        client.create_log_stream(logGroupName=group, logStreamName=stream)
        stamped = sorted(
            (event if isinstance(event, tuple) else (start_ms + i * step_ms, event)) for i, event in enumerate(events)
        )
        for first in range(0, len(stamped), PUT_BATCH):
            batch = [{"timestamp": ts, "message": message} for ts, message in stamped[first : first + PUT_BATCH]]
            response = client.put_log_events(logGroupName=group, logStreamName=stream, logEvents=batch)
            if response.get("rejectedLogEventsInfo"):
                raise ValueError(f"moto rejected events of {group}/{stream}: {response['rejectedLogEventsInfo']}")
    return start_ms


def seed_alarm(
    client,
    name: str,
    state: str = "OK",
    reason: str = "Threshold Crossed: seeded by a test",
    *,
    namespace: str = "AWS/ECS",
    metric: str = "CPUUtilization",
    dimensions: Mapping[str, str] | None = None,
    threshold: float = 80.0,
) -> None:
    """A metric alarm `name` in `state` (OK | ALARM | INSUFFICIENT_DATA) with `reason`.

    moto creates alarms in OK (AWS: INSUFFICIENT_DATA), so the state is always set explicitly.
    """
    client.put_metric_alarm(
        AlarmName=name,
        Namespace=namespace,
        MetricName=metric,
        Dimensions=[{"Name": k, "Value": v} for k, v in (dimensions or {}).items()],
        Statistic="Average",
        Period=60,
        EvaluationPeriods=1,
        Threshold=threshold,
        ComparisonOperator="GreaterThanThreshold",
    )
    client.set_alarm_state(AlarmName=name, StateValue=state, StateReason=reason)
