"""Following CloudWatch Logs queries against a real moto server (and a fault proxy in front of it)."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import boto3
import pytest
from botocore.stub import Stubber

from cockpit.core.ratelimit import RequestBudget
from cockpit.monitor.log_tail import FAILING, FOLLOWING, THROTTLED_STATE, LogTail, PatternOutcome, TailEvents, TailStatus
from cockpit.probes.aws.clients import AwsTarget, LazyClient, make_client
from cockpit.probes.aws.errors import AwsProblem
from cockpit.probes.aws.logs import LogFollower
from cockpit.runbook.model import CloudWatchSettings, LogQuery

GROUP = "/ecs/avnz-api"
QUERY = LogQuery("redis", "Redis issues", GROUP, "Redis", window_minutes=60)
FAST = CloudWatchSettings(logs_interval_seconds=0.2, requests_per_second=100, overlap_seconds=10, max_backoff_seconds=0.6)


def now_ms() -> int:
    return int(time.time() * 1000)


@pytest.fixture
def logs(aws):
    """A boto3 logs client on the moto server, with the group and two ECS-like streams."""
    client = boto3.client("logs")
    client.create_log_group(logGroupName=GROUP)
    for stream in ("ecs/avnz-api/aaaa1111", "ecs/avnz-api/bbbb2222"):
        client.create_log_stream(logGroupName=GROUP, logStreamName=stream)
    return client


def put(client, stream: str, *events: tuple[int, str]) -> None:
    client.put_log_events(logGroupName=GROUP, logStreamName=f"ecs/avnz-api/{stream}",
                          logEvents=[{"timestamp": ts, "message": msg} for ts, msg in events])


def follower(pattern: str = "Redis", **kw) -> LogFollower:
    args = dict(window_ms=3_600_000, overlap_ms=10_000, budget=RequestBudget(1000), now_ms=now_ms)
    args.update(kw)
    return LogFollower(make_client("logs", AwsTarget()), GROUP, pattern, **args)


STOP = threading.Event()


def test_initial_window_in_timestamp_order_across_streams(logs):
    t = now_ms()
    put(logs, "aaaa1111", (t - 2 * 3_600_000, "Redis too old"), (t - 3000, "Redis a1"), (t - 1000, "Redis a2"))
    put(logs, "bbbb2222", (t - 2000, "Redis b1"), (t - 1500, "nothing to see"))
    found = follower().next_pass(STOP)
    assert [(e.message, e.stream) for e in found.events] == [
        ("Redis a1", "ecs/avnz-api/aaaa1111"), ("Redis b1", "ecs/avnz-api/bbbb2222"), ("Redis a2", "ecs/avnz-api/aaaa1111")]


def test_every_page_is_followed(logs):
    t = now_ms()
    put(logs, "aaaa1111", *[(t - 50_000 + i, f"Redis {i}") for i in range(35)])
    found = follower(page_limit=10).next_pass(STOP)
    assert found.pages == 4
    assert [e.message for e in found.events] == [f"Redis {i}" for i in range(35)]


def test_an_empty_page_with_a_token_means_keep_reading():
    client = make_client("logs", AwsTarget(region="us-east-1"))
    stub = Stubber(client)
    event = {"logStreamName": "s", "timestamp": 5, "message": "Redis late page", "eventId": "1"}
    stub.add_response("filter_log_events", {"events": [], "nextToken": "t1"})
    stub.add_response("filter_log_events", {"events": [], "nextToken": "t2"})
    stub.add_response("filter_log_events", {"events": [event]})
    with stub:
        f = LogFollower(client, GROUP, "Redis", window_ms=60_000, overlap_ms=1000, budget=RequestBudget(1000), now_ms=lambda: 10_000)
        found = f.next_pass(STOP)
    assert (found.pages, [e.message for e in found.events]) == (3, ["Redis late page"])


def test_following_shows_new_events_once_with_overlapping_passes(logs):
    t = now_ms()
    put(logs, "aaaa1111", (t - 500, "Redis before"))
    f = follower(overlap_ms=60_000)  # every pass re-reads the last minute: dedupe must hold
    assert [e.message for e in f.next_pass(STOP).events] == ["Redis before"]
    same_ms = now_ms()
    put(logs, "aaaa1111", *[(same_ms, f"Redis same ms a{i}") for i in range(3)])
    put(logs, "bbbb2222", *[(same_ms, f"Redis same ms b{i}") for i in range(2)])
    second = [e.message for e in f.next_pass(STOP).events]
    assert sorted(second) == sorted([f"Redis same ms a{i}" for i in range(3)] + [f"Redis same ms b{i}" for i in range(2)])
    assert f.next_pass(STOP).events == ()  # nothing new: nothing shown again


def test_streams_created_while_following_are_included(logs):
    f = follower()
    assert f.next_pass(STOP).events == ()
    logs.create_log_stream(logGroupName=GROUP, logStreamName="ecs/avnz-api/cccc3333")
    put(logs, "cccc3333", (now_ms(), "Redis from a new task"))
    assert [(e.stream, e.message) for e in f.next_pass(STOP).events] == [("ecs/avnz-api/cccc3333", "Redis from a new task")]


def test_remembered_ids_stay_bounded_by_the_overlap(logs):
    t = now_ms()
    put(logs, "aaaa1111", *[(t - 30 * 60_000 + i, f"Redis old {i}") for i in range(200)])
    put(logs, "aaaa1111", (t - 1000, "Redis recent"))
    f = follower(overlap_ms=5000)
    assert len(f.next_pass(STOP).events) == 201
    assert len(f.seen) == 1  # only the event the next pass can return again


def test_a_window_larger_than_the_buffer_keeps_the_newest(logs):
    t = now_ms()
    put(logs, "aaaa1111", *[(t - 10_000 + i, f"Redis {i}") for i in range(50)])
    found = follower(keep=20, page_limit=10).next_pass(STOP)
    assert [e.message for e in found.events] == [f"Redis {i}" for i in range(30, 50)]
    assert found.trimmed == 30


def test_hostile_messages_arrive_inert(logs):
    key = "AKIA" + "IOSFODNN7EXAMPLE"
    put(logs, "aaaa1111",
        (now_ms() - 4, "Redis \x1b]0;pwned\x07title \x1b[2J\x1b[Hclear [bold]markup[/bold]"),
        (now_ms() - 3, "Redis bad utf8 \udcff\udcfe end"),
        (now_ms() - 2, "Redis key " + key + " url redis://default:hunter2@cache:6379"),
        (now_ms() - 1, "Redis " + "x" * 65536))
    messages = [e.message for e in follower().next_pass(STOP).events]
    assert all("\x1b" not in m and "\x07" not in m for m in messages)
    assert "[bold]markup[/bold]" in messages[0]
    assert "\ufffd" in messages[1] and not any(0xD800 <= ord(c) <= 0xDFFF for c in messages[1])
    assert key not in messages[2] and "hunter2" not in messages[2]
    assert len(messages[3]) < 16_500 and "cut" in messages[3]


# -- the follower thread ----------------------------------------------------------------
class Reports:
    """Collects a LogTail's reports and waits for one that matches."""

    def __init__(self) -> None:
        self.items: list[object] = []
        self.cond = threading.Condition()

    def __call__(self, report: object) -> None:
        with self.cond:
            self.items.append(report)
            self.cond.notify_all()

    def wait_for(self, match, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                found = next((r for r in self.items if match(r)), None)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                assert left > 0, f"no matching report in {timeout} s; got {self.items[-5:]}"
                self.cond.wait(left)

    def messages(self, generation: int | None = None) -> list[str]:
        with self.cond:
            return [e.message for r in self.items if isinstance(r, TailEvents)
                    and (generation is None or r.generation == generation) for e in r.events]


def start_tail(settings=FAST, query=QUERY, target=AwsTarget()) -> tuple[LogTail, Reports]:  # noqa: B008
    reports = Reports()
    tail = LogTail(query, LazyClient("logs", target), RequestBudget(settings.requests_per_second), settings, reports)
    tail.start()
    return tail, reports


def test_an_event_written_while_following_comes_with_the_next_pass(logs, aws_faults):
    tail, reports = start_tail()
    try:
        reports.wait_for(lambda r: isinstance(r, TailStatus) and r.state == FOLLOWING)
        put(logs, "bbbb2222", (now_ms(), "Redis fresh"))
        requests_then = aws_faults.requests("FilterLogEvents")
        reports.wait_for(lambda r: isinstance(r, TailEvents) and any(e.message == "Redis fresh" for e in r.events))
        # At most the pass under way when it was written, then the next one: two poll intervals.
        assert aws_faults.requests("FilterLogEvents") - requests_then <= 2
        assert reports.messages().count("Redis fresh") == 1
    finally:
        tail.stop()


def test_a_pass_that_fails_part_way_loses_nothing(logs, aws_faults):
    put(logs, "aaaa1111", *[(now_ms() - 20_000 + i, f"Redis {i}") for i in range(25)])
    f = follower(page_limit=10)

    def throttle_the_next_page(pages: int) -> None:
        if pages == 1:
            aws_faults.fail("FilterLogEvents", "ThrottlingException", "Rate exceeded", times=1)

    with pytest.raises(AwsProblem):
        f.next_pass(STOP, throttle_the_next_page)
    assert [e.message for e in f.next_pass(STOP).events] == [f"Redis {i}" for i in range(25)]


def test_our_clock_running_ahead_of_aws_loses_nothing(logs):
    f = follower(now_ms=lambda: now_ms() + 30_000)  # the laptop is 30 s fast; the overlap is 10 s
    assert f.next_pass(STOP).events == ()
    put(logs, "aaaa1111", (now_ms(), "Redis written after the first pass"))
    assert [e.message for _ in range(2) for e in f.next_pass(STOP).events] == ["Redis written after the first pass"]


def test_a_producer_stamping_late_is_followed_from_its_newest_event(logs):
    f = follower()
    put(logs, "aaaa1111", (now_ms() - 20_000, "Redis from a task 20 s behind"))
    assert [e.message for e in f.next_pass(STOP).events] == ["Redis from a task 20 s behind"]
    put(logs, "aaaa1111", (now_ms() - 20_000 + 50, "Redis next line of the same task"))
    assert [e.message for e in f.next_pass(STOP).events] == ["Redis next line of the same task"]


def test_an_event_stamped_in_the_future_does_not_hide_the_present(logs):
    f = follower()
    put(logs, "aaaa1111", (now_ms() + 3_600_000, "Redis from a host an hour ahead"))
    assert [e.message for e in f.next_pass(STOP).events] == ["Redis from a host an hour ahead"]
    put(logs, "bbbb2222", (now_ms(), "Redis on time"))
    assert [e.message for e in f.next_pass(STOP).events] == ["Redis on time"]


def test_a_quiet_filter_rescans_at_most_the_lookback(logs):
    put(logs, "aaaa1111", (now_ms() - 40 * 60_000, "Redis 40 min ago"))
    f = follower(lookback_ms=300_000)
    f.next_pass(STOP)
    assert now_ms() - f.cursor <= 300_000 + 1000


def test_throttling_is_shown_and_survived(logs, aws_faults):
    put(logs, "aaaa1111", (now_ms(), "Redis after the storm"))
    aws_faults.fail("FilterLogEvents", "ThrottlingException", "Rate exceeded", times=3)
    tail, reports = start_tail()
    try:
        throttled = reports.wait_for(lambda r: isinstance(r, TailStatus) and r.state == THROTTLED_STATE)
        assert "ThrottlingException" in throttled.text and throttled.retry_in > 0
        reports.wait_for(lambda r: isinstance(r, TailEvents) and r.events)
        assert reports.messages() == ["Redis after the storm"]
        assert tail.thread.alive
    finally:
        tail.stop()


def test_a_pattern_aws_rejects_is_shown_and_the_old_stream_goes_on(logs, aws_faults):
    put(logs, "aaaa1111", (now_ms() - 10, "Redis one"))
    tail, reports = start_tail(replace(FAST, logs_interval_seconds=30))  # passes only when woken
    try:
        reports.wait_for(lambda r: isinstance(r, TailStatus) and r.state == FOLLOWING)
        aws_faults.fail("FilterLogEvents", "InvalidParameterException", "Invalid filter pattern: { $.x = ", times=1)
        tail.request_pattern("{ $.x = ")
        rejected = reports.wait_for(lambda r: isinstance(r, PatternOutcome))
        assert rejected.error and "Invalid filter pattern" in rejected.error and rejected.generation == 0
        assert tail.pattern == "Redis"
        put(logs, "aaaa1111", (now_ms(), "Redis two"))
        tail.request_pattern("two")  # accepted: a new generation with only its matches
        accepted = reports.wait_for(lambda r: isinstance(r, PatternOutcome) and not r.error)
        assert accepted.generation == 1
        reports.wait_for(lambda r: isinstance(r, TailEvents) and r.generation == 1)
        assert reports.messages(1) == ["Redis two"] and reports.messages(0) == ["Redis one"]
    finally:
        tail.stop()


BACKOFF = CloudWatchSettings(logs_interval_seconds=0.3, requests_per_second=50, overlap_seconds=10, max_backoff_seconds=30)


def test_a_pattern_asked_for_while_throttled_waits_for_the_backoff(logs, aws_faults):
    tail, reports = start_tail(BACKOFF)
    try:
        reports.wait_for(lambda r: isinstance(r, TailStatus) and r.state == FOLLOWING)
        aws_faults.fail("FilterLogEvents", "ThrottlingException", "Rate exceeded", times=None)
        tail.request_pattern("ERROR")
        reports.wait_for(lambda r: isinstance(r, TailStatus) and r.state == THROTTLED_STATE)
        before = aws_faults.requests("FilterLogEvents")
        time.sleep(1.5)  # the backoff is at least 0.6 s and doubles: at most two more tries
        assert aws_faults.requests("FilterLogEvents") - before <= 2
    finally:
        tail.stop()


def test_a_pattern_asked_for_with_no_region_does_not_spin(aws, monkeypatch, tmp_path):
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    tail, reports = start_tail(BACKOFF)
    try:
        reports.wait_for(lambda r: isinstance(r, TailStatus) and r.state == FAILING)
        tail.request_pattern("ERROR")
        time.sleep(0.3)
        seen = len(reports.items)
        time.sleep(1.5)  # max_backoff is 30 s: nothing more is tried or reported
        assert len(reports.items) - seen <= 1
    finally:
        tail.stop()


@pytest.mark.parametrize(
    ("code", "message", "status", "expect"),
    [
        ("AccessDeniedException", "User is not authorized to perform: logs:FilterLogEvents", 400, "not authorized"),
        ("ExpiredTokenException", "The security token included in the request is expired", 400, "aws sso login"),
    ],
)
def test_credential_problems_are_explained_in_the_tab(logs, aws_faults, code, message, status, expect):
    aws_faults.fail("FilterLogEvents", code, message, status=status, times=None)
    tail, reports = start_tail()
    try:
        failing = reports.wait_for(lambda r: isinstance(r, TailStatus) and r.state == FAILING)
        assert code in failing.text and expect in failing.text and "\n" not in failing.text
        assert failing.retry_in == FAST.max_backoff_seconds  # nothing to gain by hammering
    finally:
        tail.stop()


def test_a_missing_log_group_is_explained(aws):
    tail, reports = start_tail()
    try:
        failing = reports.wait_for(lambda r: isinstance(r, TailStatus) and r.state == FAILING)
        assert "ResourceNotFoundException" in failing.text and GROUP in failing.text
    finally:
        tail.stop()


def test_no_region_is_explained(aws, monkeypatch, tmp_path):
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    tail, reports = start_tail()
    try:
        failing = reports.wait_for(lambda r: isinstance(r, TailStatus) and r.state == FAILING)
        assert "no AWS region: set AWS_REGION" in failing.text
    finally:
        tail.stop()
