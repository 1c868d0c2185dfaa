"""The percentile proxy in front of a real moto server: boto3 puts values and reads p50/p99 next to moto's own Sum."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from cockpit.stack.cloudwatch_percentiles import PercentileProxy, SampleStore, weighted_percentile
from tests.conftest import _started

ONE_TRY = Config(retries={"total_max_attempts": 1})
NS, METRIC = "AWS/ApplicationELB", "TargetResponseTime"
DIMS = [{"Name": "LoadBalancer", "Value": "app/avnz/1"}, {"Name": "TargetGroup", "Value": "targetgroup/api/2"}]


@pytest.fixture
def proxy(aws, monkeypatch):
    """A PercentileProxy in front of the wiped moto server, as AWS_ENDPOINT_URL."""
    server = PercentileProxy(aws.url)
    try:
        _started(server, "the percentile proxy")
        monkeypatch.setenv("AWS_ENDPOINT_URL", server.url)
        yield server
    finally:
        server.stop()


@pytest.fixture
def base():
    """A whole minute 30 minutes ago: the first period of every read here."""
    return datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=30)


def stat(query_id: str, statistic: str, dims=DIMS, metric: str = METRIC, period: int = 60, **extra) -> dict:
    return {"Id": query_id, "MetricStat": {"Metric": {"Namespace": NS, "MetricName": metric, "Dimensions": dims},
                                           "Period": period, "Stat": statistic, **extra}, "ReturnData": True}


def put(cw, at: datetime, **datum) -> None:
    cw.put_metric_data(Namespace=NS, MetricData=[{"MetricName": METRIC, "Dimensions": DIMS, "Timestamp": at, **datum}])


def series(result: dict) -> list[tuple[datetime, float]]:
    return list(zip([t.astimezone(UTC) for t in result["Timestamps"]], result["Values"]))


def test_p50_and_p99_come_from_the_proxy_and_sum_from_moto_in_one_call(proxy, base):
    cw = boto3.client("cloudwatch", config=ONE_TRY)
    for i in range(1, 101):  # minute 0: 1..100 ms as single values
        put(cw, base + timedelta(seconds=i % 60), Value=i / 1000)
    put(cw, base + timedelta(minutes=2, seconds=5), Values=[0.2, 0.9], Counts=[99, 1])  # minute 2: 99 x 200 ms, 1 x 900 ms
    answer = cw.get_metric_data(
        MetricDataQueries=[stat("p50", "p50"), stat("sum", "Sum"), stat("p99", "p99")],
        StartTime=base, EndTime=base + timedelta(minutes=3), ScanBy="TimestampAscending",
    )
    results = answer["MetricDataResults"]
    assert [r["Id"] for r in results] == ["p50", "sum", "p99"]  # the request's order, moto's answer in the middle
    assert series(results[0]) == [(base, 0.05), (base + timedelta(minutes=2), 0.2)]
    assert series(results[2]) == [(base, 0.099), (base + timedelta(minutes=2), 0.2)]  # nearest rank: the 99th of 100
    assert results[0]["Label"] == "TargetResponseTime p50" and results[0]["StatusCode"] == "Complete"
    assert sum(results[1]["Values"]) == pytest.approx(sum(range(1, 101)) / 1000 + 99 * 0.2 + 0.9)  # moto's own Sum, counts counted
    assert proxy.store.samples(("AWS/ApplicationELB", METRIC, tuple(sorted((d["Name"], d["Value"]) for d in DIMS))),
                               base.timestamp(), (base + timedelta(minutes=3)).timestamp())


def test_a_minute_without_samples_has_no_datapoint_and_the_default_order_is_newest_first(proxy, base):
    cw = boto3.client("cloudwatch", config=ONE_TRY)
    put(cw, base, Value=0.1)
    put(cw, base + timedelta(minutes=3), Value=0.3)
    answer = cw.get_metric_data(MetricDataQueries=[stat("p99", "p99")], StartTime=base, EndTime=base + timedelta(minutes=5))
    (result,) = answer["MetricDataResults"]
    assert series(result) == [(base + timedelta(minutes=3), 0.3), (base, 0.1)]  # minutes 1, 2 and 4: gaps, not zeros


def test_percentiles_are_exact_on_known_samples_with_counts_and_one_long_period(proxy, base):
    cw = boto3.client("cloudwatch", config=ONE_TRY)
    put(cw, base + timedelta(minutes=1), Values=[5.0, 1.0, 3.0], Counts=[1, 1000, 1])
    put(cw, base + timedelta(minutes=4), Value=7.0)
    answer = cw.get_metric_data(
        MetricDataQueries=[stat("a", "p99.9", period=300), stat("b", "p99.8", period=300), stat("c", "p100", period=300),
                           stat("d", "p0.05", period=300)],
        StartTime=base, EndTime=base + timedelta(minutes=5),
    )
    # 1003 samples, 1.0 x 1000 then 3.0, 5.0, 7.0: p99.9 is rank ceil(1001.997) = 1002, the 5.0; p99.8 rank 1001, the 3.0
    assert [r["Values"] for r in answer["MetricDataResults"]] == [[5.0], [3.0], [7.0], [1.0]]
    assert [t.astimezone(UTC) for t in answer["MetricDataResults"][0]["Timestamps"]] == [base]


def test_dimension_order_and_unit_select_the_series_statistic_values_are_not_samples(proxy, base):
    cw = boto3.client("cloudwatch", config=ONE_TRY)
    put(cw, base, Value=2.0, Unit="Seconds")
    put(cw, base, Value=900.0, Unit="Milliseconds")
    put(cw, base, StatisticValues={"SampleCount": 10, "Sum": 1000, "Minimum": 50, "Maximum": 500})
    answer = cw.get_metric_data(
        MetricDataQueries=[stat("s", "p99", dims=list(reversed(DIMS)), Unit="Seconds"), stat("all", "p50", dims=list(reversed(DIMS)))],
        StartTime=base, EndTime=base + timedelta(minutes=1),
    )
    assert [r["Values"] for r in answer["MetricDataResults"]] == [[2.0], [2.0]]  # 2.0 and 900.0: nearest rank p50 is 2.0


def test_moto_errors_keep_their_code_and_unrelated_calls_pass_through(proxy, base):
    cw = boto3.client("cloudwatch", config=ONE_TRY)
    with pytest.raises(ClientError) as raised:
        cw.get_metric_data(MetricDataQueries=[stat("p99", "p99")], StartTime=base, EndTime=base - timedelta(minutes=1))
    assert raised.value.response["Error"]["Code"] == "ValidationError"
    assert "EndTime must be greater than StartTime" in raised.value.response["Error"]["Message"]
    cw.put_metric_alarm(AlarmName="a", MetricName=METRIC, Namespace=NS, Statistic="Average", Period=60, EvaluationPeriods=1,
                        Threshold=1.0, ComparisonOperator="GreaterThanThreshold")
    assert [a["AlarmName"] for a in cw.describe_alarms()["MetricAlarms"]] == ["a"]
    logs = boto3.client("logs", config=ONE_TRY)  # another service through the same endpoint: untouched
    logs.create_log_group(logGroupName="/ecs/avnz-api")
    assert [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]] == ["/ecs/avnz-api"]


def test_a_moto_reset_through_the_proxy_forgets_the_samples(proxy, base):
    import urllib.request

    cw = boto3.client("cloudwatch", config=ONE_TRY)
    put(cw, base, Value=1.0)
    with urllib.request.urlopen(urllib.request.Request(f"{proxy.url}/moto-api/reset", method="POST"), timeout=10) as answer:
        assert answer.status == 200
    result = cw.get_metric_data(MetricDataQueries=[stat("p99", "p99")], StartTime=base, EndTime=base + timedelta(minutes=1))
    assert result["MetricDataResults"][0]["Values"] == []


def test_the_store_keeps_three_hours_and_a_bounded_count():
    now = [10_000.0 + 3 * 3600]
    store = SampleStore(max_per_series=3, clock=lambda: now[0])
    body = {"Namespace": "n", "MetricData": [{"MetricName": "m", "Timestamp": 9_000.0, "Value": 1.0}]}
    assert store.put(body) == 1 and store.samples(("n", "m", ()), 0, 1e12) == []  # older than 3 h before now: dropped
    for i in range(5):
        store.put({"Namespace": "n", "MetricData": [{"MetricName": "m", "Timestamp": now[0], "Value": float(i)}]})
    assert [s[1] for s in store.samples(("n", "m", ()), 0, 1e12)] == [2.0, 3.0, 4.0]
    assert weighted_percentile([], 0.99) is None and weighted_percentile([(1.0, 0)], 0.5) is None


def test_periods_start_at_the_requests_start_time_and_a_later_page_repeats_nothing(proxy, base):
    cw = boto3.client("cloudwatch", config=ONE_TRY)
    put(cw, base + timedelta(seconds=40), Value=1.0)
    put(cw, base + timedelta(seconds=100), Value=2.0)
    start = base + timedelta(seconds=30)
    answer = cw.get_metric_data(MetricDataQueries=[stat("p99", "p99")], StartTime=start, EndTime=start + timedelta(minutes=2),
                                ScanBy="TimestampAscending")
    # periods [30 s, 90 s) and [90 s, 150 s) of the minute `base`: not the clock's minutes
    assert series(answer["MetricDataResults"][0]) == [(start, 1.0), (start + timedelta(minutes=1), 2.0)]
    answer = cw.get_metric_data(MetricDataQueries=[stat("p99", "p99")], StartTime=start, EndTime=start + timedelta(minutes=2),
                                ScanBy="TimestampAscending", NextToken="page-2")
    assert answer["MetricDataResults"][0]["Values"] == []  # every datapoint came in the first page


def test_a_chunked_put_is_read_whole(proxy, base):
    import http.client
    import json

    body = json.dumps({"Namespace": NS, "MetricData": [{"MetricName": METRIC, "Dimensions": DIMS, "Timestamp": base.timestamp(), "Value": 4.0}]}).encode()
    conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
    try:
        conn.putrequest("POST", "/")
        for name, value in (("X-Amz-Target", "GraniteServiceVersion20100801.PutMetricData"), ("Content-Type", "application/x-amz-json-1.0"),
                            ("x-amzn-query-mode", "true"), ("Transfer-Encoding", "chunked"),
                            ("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20261207/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=0")):
            conn.putheader(name, value)
        conn.endheaders()
        for piece in (body[:10], body[10:]):
            conn.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        conn.send(b"0\r\n\r\n")
        assert conn.getresponse().status == 200
    finally:
        conn.close()
    cw = boto3.client("cloudwatch", config=ONE_TRY)
    answer = cw.get_metric_data(MetricDataQueries=[stat("p99", "p99"), stat("n", "SampleCount")], StartTime=base, EndTime=base + timedelta(minutes=1))
    assert [r["Values"] for r in answer["MetricDataResults"]] == [[4.0], [1.0]]  # kept here, and moto got it too
