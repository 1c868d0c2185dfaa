"""Pure parts of the CloudWatch panes: the request budget, the buffer, line formats, error kinds."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError, NoRegionError, ReadTimeoutError

from cockpit.core.ratelimit import RequestBudget
from cockpit.monitor.log_buffer import LineFormat, LogBuffer, short_stream
from cockpit.probes.aws import errors as e
from cockpit.probes.aws.logs import LogEvent


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_budget_allows_a_burst_then_paces():
    clock = FakeClock()
    budget = RequestBudget(5, clock=clock)
    assert [budget.try_take() for _ in range(5)] == [0.0] * 5
    assert budget.try_take() == pytest.approx(0.2)
    clock.now += 0.2
    assert budget.try_take() == 0.0
    assert budget.try_take() == pytest.approx(0.2)
    clock.now += 10  # a long idle time never banks more than the burst
    assert sum(budget.try_take() == 0.0 for _ in range(8)) == 5


def test_budget_take_gives_up_when_stopped():
    budget = RequestBudget(0.01, burst=1)
    assert budget.take()
    stop = threading.Event()
    stop.set()
    assert budget.take(stop) is False


def event(ts: int, message: str = "m", stream: str = "ecs/avnz-api/0123456789abcdef") -> LogEvent:
    return LogEvent(ts, stream, message, str(ts))


def test_buffer_keeps_the_newest_and_counts_drops():
    buffer = LogBuffer(3)
    buffer.add([event(1), event(2)])
    buffer.add([event(3), event(4)], trimmed=5)
    assert [ev.timestamp for ev in buffer.events] == [2, 3, 4]
    assert (buffer.received, buffer.dropped, buffer.unshown) == (9, 6, 3)
    assert [ev.timestamp for ev in buffer.take_unshown()] == [2, 3, 4]
    buffer.add([event(5)])
    assert [ev.timestamp for ev in buffer.take_unshown()] == [5] and buffer.unshown == 0


def test_line_format_utc_and_local(monkeypatch):
    ts = int(datetime(2026, 11, 27, 14, 40, 0, 123000, tzinfo=UTC).timestamp() * 1000)
    assert LineFormat(utc=True).line(event(ts, "Redis ok")) == "14:40:00.123 0123456789ab Redis ok"
    monkeypatch.setenv("TZ", "Pacific/Auckland")  # UTC+13 in November
    time.tzset()
    try:
        assert LineFormat(utc=False).line(event(ts, "Redis ok")) == "03:40:00.123 0123456789ab Redis ok"
    finally:
        monkeypatch.setenv("TZ", "UTC")
        time.tzset()
    assert short_stream("plain-stream") == "plain-stream"


def client_error(code: str, message: str = "m", status: int = 400) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, "FilterLogEvents")


@pytest.mark.parametrize(
    ("exc", "kind", "transient"),
    [
        (client_error("ThrottlingException", "Rate exceeded"), e.THROTTLED, True),
        (client_error("LimitExceededException"), e.THROTTLED, True),
        (client_error("AccessDeniedException", status=400), e.DENIED, False),
        (client_error("ExpiredTokenException"), e.EXPIRED, False),
        (client_error("ResourceNotFoundException"), e.NOT_FOUND, False),
        (client_error("InvalidParameterException", "Invalid filter pattern"), e.INVALID, False),
        (client_error("InternalFailure", status=500), e.OTHER, True),
        (NoRegionError(), e.NO_REGION, False),
        (NoCredentialsError(), e.NO_CREDENTIALS, False),
        (EndpointConnectionError(endpoint_url="https://logs.eu-west-1.amazonaws.com/"), e.NETWORK, True),
        (ReadTimeoutError(endpoint_url="https://logs.eu-west-1.amazonaws.com/"), e.TIMEOUT, True),
    ],
)
def test_aws_errors_are_classified(exc, kind, transient):
    problem = e.classify_aws(exc, "/ecs/avnz-api")
    assert (problem.kind, problem.transient) == (kind, transient)
    assert problem.reason.startswith("/ecs/avnz-api: ") and "\n" not in problem.reason


def test_aws_error_messages_are_one_clean_line():
    problem = e.classify_aws(client_error("AccessDeniedException", "denied \x1b[2J for\nhttps://u:secret@x.amazonaws.com"), "g")
    assert "\x1b" not in problem.reason and "\n" not in problem.reason and "secret" not in problem.reason
