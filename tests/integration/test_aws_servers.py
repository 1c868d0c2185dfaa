"""The AWS fixtures work: boto3 reaches moto through `aws`, and `aws_faults` raises real AWS errors."""

from __future__ import annotations

import json
import os
import time
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ReadTimeoutError

from cockpit.stack.aws_seed import now_ms, seed_alarm, seed_logs
from tests.servers.aws_proxy import AwsFaultProxy, error_response, operation_name

ONE_TRY = Config(retries={"total_max_attempts": 1})  # every fault reaches the test, no backoff sleeps


def logs_client(config: Config = ONE_TRY):
    return boto3.client("logs", config=config)


def messages(response) -> list[str]:
    return [event["message"] for event in response["events"]]


# -- moto through `aws` ------------------------------------------------------------------


def test_env_points_boto3_at_moto(aws):
    client = logs_client()
    assert client.meta.endpoint_url == aws.url
    assert client.meta.region_name == "us-east-1"
    assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"
    assert os.environ["AWS_DEFAULT_REGION"] == os.environ["AWS_REGION"] == "us-east-1"
    assert aws.command()[1:3] == ["-m", "cockpit.stack.moto_host"] and "--simulate-ecs" not in aws.command()


def test_logs_put_and_filter(aws):
    client = logs_client()
    start = seed_logs(client, "/ecs/api", {"api/web/1": ["GET /health 200", "ERROR db timeout"], "api/web/2": ["ERROR redis down"]})

    everything = client.filter_log_events(logGroupName="/ecs/api", startTime=start)
    errors = client.filter_log_events(logGroupName="/ecs/api", filterPattern="ERROR")
    phrase = client.filter_log_events(logGroupName="/ecs/api", filterPattern='"db timeout"')

    assert sorted(messages(everything)) == ["ERROR db timeout", "ERROR redis down", "GET /health 200"]
    assert {e["logStreamName"] for e in everything["events"]} == {"api/web/1", "api/web/2"}
    assert sorted(messages(errors)) == ["ERROR db timeout", "ERROR redis down"]
    assert messages(phrase) == ["ERROR db timeout"]
    assert "nextToken" not in everything


def test_moto_filter_log_events_quirks(aws):
    """What moto 5.2.5 does differently from AWS; tests of the log tail must not rely on more."""
    client = logs_client()
    start = now_ms() - 10_000
    seed_logs(client, "g", {"b": [(start + 2, "b2")], "a": [(start + 1, "a1"), (start + 3, "a3")]})

    by_stream = client.filter_log_events(logGroupName="g")
    interleaved = client.filter_log_events(logGroupName="g", interleaved=True)
    unsupported = client.filter_log_events(logGroupName="g", filterPattern="?a1 ?b2")
    prefix = client.filter_log_events(logGroupName="g", logStreamNamePrefix="a")
    page1 = client.filter_log_events(logGroupName="g", interleaved=True, limit=2)
    page2 = client.filter_log_events(logGroupName="g", interleaved=True, limit=2, nextToken=page1["nextToken"])
    bad_token = client.filter_log_events(logGroupName="g", nextToken="g@nope@0")

    assert messages(by_stream) == ["b2", "a1", "a3"]  # stream by stream, streams in creation order
    assert messages(interleaved) == ["a1", "b2", "a3"]  # what AWS always does
    assert len(messages(unsupported)) == 3  # anything but plain terms/one phrase matches all
    assert len(messages(prefix)) == 3  # logStreamNamePrefix ignored
    assert messages(page1) == ["a1", "b2"] and page1["nextToken"].startswith("g@")
    assert messages(page2) == ["a3"] and "nextToken" not in page2
    assert bad_token["events"] == []  # AWS also answers an unknown token with nothing
    ids = [int(e["eventId"]) for e in interleaved["events"]]
    assert sorted(ids) == sorted(set(ids))  # small counters, unique over the server's life


def test_moto_rejects_missing_group_and_old_events(aws):
    client = logs_client()
    with pytest.raises(ClientError) as missing:
        client.filter_log_events(logGroupName="/nope")
    seed_logs(client, "g", ["s"])
    old = client.put_log_events(logGroupName="g", logStreamName="s", logEvents=[{"timestamp": now_ms() - 15 * 86_400_000, "message": "old"}])

    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert old["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 0}


def test_reset_wipes_state(aws):
    client = logs_client()
    seed_logs(client, "leftover", ["s"])
    assert [g["logGroupName"] for g in client.describe_log_groups()["logGroups"]] == ["leftover"]

    aws.reset()

    assert client.describe_log_groups()["logGroups"] == []


def test_each_test_starts_empty(aws):
    """Runs after the tests above, which left log groups behind in the shared server."""
    assert logs_client().describe_log_groups()["logGroups"] == []
    assert boto3.client("cloudwatch").describe_alarms()["MetricAlarms"] == []


def test_alarms_in_moto(aws):
    cloudwatch = boto3.client("cloudwatch", config=ONE_TRY)
    seed_alarm(cloudwatch, "api-5xx", "ALARM", "Threshold Crossed: 12 datapoints")
    seed_alarm(cloudwatch, "api-cpu")

    named = cloudwatch.describe_alarms(AlarmNames=["api-5xx", "no-such-alarm"])["MetricAlarms"]
    firing = cloudwatch.describe_alarms(StateValue="ALARM")["MetricAlarms"]

    assert [(a["AlarmName"], a["StateValue"], a["StateReason"]) for a in named] == [("api-5xx", "ALARM", "Threshold Crossed: 12 datapoints")]
    assert [a["AlarmName"] for a in firing] == ["api-5xx"]


def test_ecs_in_moto(aws):
    ecs = boto3.client("ecs", config=ONE_TRY)
    ecs.create_cluster(clusterName="c")
    ecs.register_task_definition(family="api", containerDefinitions=[{"name": "api", "image": "api:1", "memory": 512}])
    ecs.create_service(cluster="c", serviceName="api", taskDefinition="api", desiredCount=2)

    service = ecs.describe_services(cluster="c", services=["api", "gone"])

    assert [(s["serviceName"], s["desiredCount"]) for s in service["services"]] == [("api", 2)]
    assert [f["reason"] for f in service["failures"]] == ["MISSING"]


# -- the proxy forwards ------------------------------------------------------------------


def test_proxy_forwards_unchanged(aws_faults, aws):
    client = logs_client()
    direct = boto3.client("logs", endpoint_url=aws.url, config=ONE_TRY)
    assert client.meta.endpoint_url == aws_faults.url
    seed_logs(client, "g", {"s": ["hello", "world"]})

    via_proxy = client.filter_log_events(logGroupName="g")
    straight = direct.filter_log_events(logGroupName="g")
    with pytest.raises(ClientError) as missing:
        client.describe_log_streams(logGroupName="/nope")

    assert via_proxy["events"] == straight["events"] and messages(via_proxy) == ["hello", "world"]
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"  # moto's own error passes through
    with urllib.request.urlopen(f"{aws_faults.url}/moto-api/data.json", timeout=5) as proxied, urllib.request.urlopen(f"{aws.url}/moto-api/data.json", timeout=5) as plain:
        assert json.loads(proxied.read()) == json.loads(plain.read())


# -- faults ------------------------------------------------------------------------------

FAULTS = [
    ("logs", "FilterLogEvents", "ThrottlingException", "Rate exceeded", 400),
    ("logs", "FilterLogEvents", "AccessDeniedException", "User: arn:aws:sts::1:assumed-role/ops is not authorized to perform: logs:FilterLogEvents", 400),
    ("logs", "FilterLogEvents", "ExpiredTokenException", "The security token included in the request is expired", 400),
    ("logs", "FilterLogEvents", "InvalidParameterException", "Invalid filter pattern", 400),
    ("logs", "FilterLogEvents", "ServiceUnavailableException", "The service is unavailable", 503),
    ("cloudwatch", "DescribeAlarms", "Throttling", "Rate exceeded", 400),
    ("ecs", "DescribeServices", "ThrottlingException", "Rate exceeded", 400),
]


def call(service: str, client):
    if service == "logs":
        return client.filter_log_events(logGroupName="g")
    if service == "ecs":
        return client.describe_services(cluster="c", services=["api"])
    return client.describe_alarms(AlarmNames=["a"])


@pytest.mark.parametrize(("service", "operation", "code", "message", "status"), FAULTS, ids=[f"{f[0]}-{f[2]}" for f in FAULTS])
def test_fault_raised_by_boto3_then_passes(aws_faults, service, operation, code, message, status):
    seed_logs(logs_client(), "g", ["s"])
    boto3.client("ecs").create_cluster(clusterName="c")
    client = boto3.client(service, config=ONE_TRY)
    aws_faults.fail(operation, code, message, status=status, times=2)

    errors = []
    for _ in range(2):
        with pytest.raises(ClientError) as caught:
            call(service, client)
        errors.append(caught.value.response)
    call(service, client)  # disarmed after two

    for error in errors:
        assert (error["Error"]["Code"], error["Error"]["Message"]) == (code, message)
        assert error["ResponseMetadata"]["HTTPStatusCode"] == status
    assert aws_faults.requests(operation) == 3


def test_fault_until_clear(aws_faults):
    seed_logs(logs_client(), "g", ["s"])
    client = logs_client()
    aws_faults.fail("FilterLogEvents", "AccessDeniedException", "denied", times=None)

    for _ in range(3):
        with pytest.raises(ClientError):
            client.filter_log_events(logGroupName="g")
    aws_faults.clear()

    assert client.filter_log_events(logGroupName="g")["events"] == []


def test_faults_queue_in_order_and_other_operations_pass(aws_faults):
    client = logs_client()
    aws_faults.fail("DescribeLogGroups", "ThrottlingException", "slow down")
    aws_faults.fail("DescribeLogGroups", "ExpiredTokenException", "expired")

    codes = []
    for _ in range(2):
        with pytest.raises(ClientError) as caught:
            client.describe_log_groups()
        codes.append(caught.value.response["Error"]["Code"])
    client.create_log_group(logGroupName="g")  # another operation: untouched

    assert codes == ["ThrottlingException", "ExpiredTokenException"]
    assert [g["logGroupName"] for g in client.describe_log_groups()["logGroups"]] == ["g"]


def test_botocore_retries_throttling_by_default(aws_faults):
    """Standard retry mode: a throttled call succeeds on its own, after a backoff of up to 1 s."""
    seed_logs(logs_client(), "g", ["s"])
    aws_faults.fail("FilterLogEvents", "ThrottlingException", "Rate exceeded", times=1)

    boto3.client("logs").filter_log_events(logGroupName="g")

    assert aws_faults.requests("FilterLogEvents") == 2


def test_delay_past_read_timeout(aws_faults):
    seed_logs(logs_client(), "g", ["s"])
    client = logs_client(Config(read_timeout=0.2, connect_timeout=1, retries={"total_max_attempts": 1}))
    aws_faults.delay("PutLogEvents", 0.8)

    started = time.monotonic()
    with pytest.raises(ReadTimeoutError):
        client.put_log_events(logGroupName="g", logStreamName="s", logEvents=[{"timestamp": now_ms(), "message": "late"}])
    waited = time.monotonic() - started

    assert waited < 0.7
    # A delayed request reached moto: the event was stored though the client never heard.
    assert messages(client.filter_log_events(logGroupName="g")) == ["late"]


def test_delay_then_fault_and_counts(aws_faults):
    client = logs_client()
    aws_faults.delay("DescribeLogGroups", 0.3)
    aws_faults.fail("DescribeLogGroups", "ThrottlingException", "Rate exceeded")

    started = time.monotonic()
    with pytest.raises(ClientError):
        client.describe_log_groups(logGroupNamePrefix="/ecs/")
    waited = time.monotonic() - started
    client.describe_log_groups()

    assert waited >= 0.3
    assert aws_faults.requests("DescribeLogGroups") == 2
    assert aws_faults.requests("FilterLogEvents") == 0
    assert aws_faults.requests() == 2
    assert aws_faults.request_bodies("DescribeLogGroups") == [{"logGroupNamePrefix": "/ecs/"}, {}]


# -- protocols no boto3 client of ours uses (yet) -----------------------------------------


def test_operation_names_of_every_protocol():
    assert operation_name({"X-Amz-Target": "Logs_20140328.FilterLogEvents"}, "/", b"") == "FilterLogEvents"
    assert operation_name({"X-Amz-Target": "GraniteServiceVersion20100801.DescribeAlarms"}, "/", b"{}") == "DescribeAlarms"
    assert operation_name({}, "/service/GraniteServiceVersion20100801/operation/DescribeAlarms", b"") == "DescribeAlarms"
    form = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    assert operation_name(form, "/", b"Action=DescribeAlarms&Version=2010-08-01") == "DescribeAlarms"
    assert operation_name({}, "/moto-api/reset?x=1", b"") == "/moto-api/reset"


@pytest.mark.parametrize(
    ("protocol", "headers", "path", "body"),
    [
        ("smithy-rpc-v2-cbor", {}, "/service/GraniteServiceVersion20100801/operation/DescribeAlarms", b""),
        ("query", {"Content-Type": "application/x-www-form-urlencoded"}, "/", b"Action=DescribeAlarms&Version=2010-08-01"),
    ],
)
def test_error_bodies_of_other_protocols_parse_in_botocore(protocol, headers, path, body):
    from botocore.awsrequest import HTTPHeaders
    from botocore.parsers import create_parser

    status, _reason, response_headers, payload = error_response(headers, path, body, "Throttling", "Rate <exceeded>", 400)
    http_headers = HTTPHeaders()
    for name, value in response_headers:
        http_headers[name] = value

    parsed = create_parser(protocol).parse({"status_code": status, "headers": http_headers, "body": payload}, None)

    assert (parsed["Error"]["Code"], parsed["Error"]["Message"]) == ("Throttling", "Rate <exceeded>")


def test_proxy_stop_is_idempotent_and_restarts_on_its_port(aws):
    proxy = AwsFaultProxy(aws.url).start()
    port = proxy.port
    proxy.stop()
    proxy.stop()
    proxy.start()
    try:
        assert proxy.port == port
        with urllib.request.urlopen(f"{proxy.url}/moto-api/data.json", timeout=5) as response:
            assert response.status == 200
    finally:
        proxy.stop()
