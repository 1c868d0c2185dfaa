"""FilterLogEvents parsed by orjson (cockpit.probes.aws.fastparse) gives what botocore gives,
against moto's server and the bench's fake endpoint, and errors classify exactly as before."""

from __future__ import annotations

import threading
import time
from http.server import ThreadingHTTPServer

import boto3
import pytest
from botocore.config import Config

from bench.fake_logs_endpoint import EventLog, Handler
from cockpit.core.ratelimit import RequestBudget
from cockpit.probes.aws import fastparse
from cockpit.probes.aws.errors import DENIED, THROTTLED, classify_aws
from cockpit.probes.aws.logs import LogFollower
from tests.servers.scripted_logs import ScriptedLogs

GROUP = "/ecs/avnz-api"
ONE_TRY = Config(retries={"total_max_attempts": 1})


def client_pair(**kw):
    """(stock, fast): two clients to the same endpoint, the second with the orjson parser."""
    stock = boto3.client("logs", config=ONE_TRY, **kw)
    fast = boto3.client("logs", config=ONE_TRY, **kw)
    assert fastparse.install(fast)
    return stock, fast


def same_answer(stock, fast, ignore=("ResponseMetadata",), **args) -> dict:
    a, b = stock.filter_log_events(**args), fast.filter_log_events(**args)
    assert {k: v for k, v in a.items() if k not in ignore} == {k: v for k, v in b.items() if k not in ignore}
    assert a["ResponseMetadata"]["HTTPStatusCode"] == b["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert b["ResponseMetadata"]["HTTPHeaders"]["date"]  # the follower's clock still comes through
    return b


def test_moto_answers_parse_the_same(aws):
    logs = boto3.client("logs")
    logs.create_log_group(logGroupName=GROUP)
    now = int(time.time() * 1000)
    for stream in ("ecs/avnz-api/aaaa", "ecs/avnz-api/bbbb"):
        logs.create_log_stream(logGroupName=GROUP, logStreamName=stream)
        logs.put_log_events(logGroupName=GROUP, logStreamName=stream, logEvents=[
            {"timestamp": now - 1000 + i, "message": f"Redis \x1b[31m{i} ü \u202e [bold]x[/bold] \"q\" \\"} for i in range(30)])
    stock, fast = client_pair()
    first = same_answer(stock, fast, logGroupName=GROUP, startTime=now - 60_000, limit=25)
    assert len(first["events"]) == 25 and first["nextToken"]
    assert {"logStreamName", "timestamp", "message", "ingestionTime", "eventId"} <= set(first["events"][0])
    rest = same_answer(stock, fast, logGroupName=GROUP, startTime=now - 60_000, limit=25, nextToken=first["nextToken"])
    assert len(rest["events"]) == 25
    same_answer(stock, fast, logGroupName=GROUP, startTime=now - 60_000, filterPattern="Redis")


@pytest.fixture
def bench_endpoint():
    log = EventLog(rate=1000, streams=8, keep_seconds=3600, hostile=0.2)
    past = int(time.time() * 1000) - 60_000
    for i in range(6):
        log.batches.append(log._batch(500, past + i * 100, past + i * 100 + 100))
    log.started.set()
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Bound", (Handler,), {"log": log}))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_bench_endpoint_answers_parse_the_same(bench_endpoint):
    stock, fast = client_pair(endpoint_url=bench_endpoint, region_name="us-east-1",
                              aws_access_key_id="testing", aws_secret_access_key="testing")
    # (the fake's nextToken carries the time of the first page: it differs between two calls)
    answer = same_answer(stock, fast, ("ResponseMetadata", "nextToken"), logGroupName=GROUP, startTime=0, limit=1000)
    assert len(answer["events"]) == 1000 and answer["nextToken"]
    assert any("\x1b" in e["message"] for e in answer["events"])  # hostile lines came through as botocore has them
    same_answer(stock, fast, logGroupName=GROUP, startTime=0, filterPattern="momentum")


@pytest.fixture
def scripted():
    server = ScriptedLogs(int(time.time() * 1000)).start()
    try:
        yield server
    finally:
        server.stop()


def scripted_pair(server: ScriptedLogs):
    return client_pair(endpoint_url=server.url, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.mark.parametrize("body", [b'{"events": [', b"<html>Service Unavailable</html>", b"[1, 2]", b"", b'"text"'])
def test_a_malformed_body_is_left_to_botocore(scripted, body):
    scripted.raw = (200, body)
    stock, fast = scripted_pair(scripted)
    outcomes = []
    for client in (stock, fast):
        try:
            answer = client.filter_log_events(logGroupName=GROUP, startTime=0)
            outcomes.append(("ok", {k: v for k, v in answer.items() if k != "ResponseMetadata"}))
        except Exception as exc:  # whatever botocore does with it, the fast client must do the same
            problem = classify_aws(exc, GROUP)
            outcomes.append((problem.kind, problem.reason))
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("code, status, kind", [
    ("ThrottlingException", 400, THROTTLED), ("AccessDeniedException", 400, DENIED), ("ServiceUnavailableException", 503, None)])
def test_errors_classify_as_before(scripted, code, status, kind):
    scripted.raw = (status, f'{{"__type": "{code}", "message": "no: redis://u:hunter2@h"}}'.encode())
    stock, fast = scripted_pair(scripted)
    problems = []
    for client in (stock, fast):
        with pytest.raises(Exception) as caught:
            client.filter_log_events(logGroupName=GROUP, startTime=0)
        problems.append(classify_aws(caught.value, GROUP))
    assert (problems[0].kind, problems[0].reason) == (problems[1].kind, problems[1].reason)
    assert kind is None or problems[1].kind == kind
    assert code in problems[1].reason and "hunter2" not in problems[1].reason


def test_the_follower_installs_the_fast_parser_once_and_reads_through_it(scripted):
    client = boto3.client("logs", config=ONE_TRY, endpoint_url=scripted.url, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    scripted.add(scripted.clock_ms - 500, 100, "Redis one")
    args = dict(window_ms=60_000, overlap_ms=10_000, budget=RequestBudget(100), now_ms=lambda: scripted.clock_ms)
    first, second = LogFollower(client, GROUP, "Redis", **args), LogFollower(client, GROUP, "Redis", **args)
    assert fastparse.install(client)  # again: registered once (unique_id), still one answer per event
    assert [e.message for e in first.next_pass(threading.Event()).events] == ["Redis one"]
    assert [e.message for e in second.next_pass(threading.Event()).events] == ["Redis one"]
