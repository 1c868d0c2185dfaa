"""Following CloudWatch Logs queries against a real moto server (and a fault proxy in front of it)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import replace

import boto3
import pytest
from botocore.stub import Stubber

from cockpit.core.ratelimit import RequestBudget
from cockpit.engine.events import FAILING, FOLLOWING, LOADING, THROTTLED_STATE, PatternOutcome, TailEvents, TailStatus
from cockpit.engine.tails import Tail
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


# -- the engine's Tail: one round per once(), its passes in executor threads -------------------
class Reports:
    """Collects a Tail's reports (from the loop or an executor thread) and waits for one that matches.

    `hook(report)`, when set, runs in the reporting thread before the report is kept.
    """

    def __init__(self) -> None:
        self.items: list[object] = []
        self.lock = threading.Lock()
        self.loop = asyncio.get_running_loop()
        self.changed = asyncio.Event()
        self.hook: Callable[[object], None] | None = None

    def __call__(self, report: object) -> None:
        if self.hook is not None:
            self.hook(report)
        with self.lock:
            self.items.append(report)
        self.loop.call_soon_threadsafe(self.changed.set)

    def since(self, start: int = 0) -> list[object]:
        with self.lock:
            return self.items[start:]

    async def wait_for(self, match, timeout: float = 10.0):
        """The first report that matches, once there is one (the timeout only guards against a hang)."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    self.changed.clear()
                    found = next((r for r in self.since() if match(r)), None)
                    if found is not None:
                        return found
                    await self.changed.wait()
        except TimeoutError:
            raise AssertionError(f"no matching report in {timeout} s; got {self.since()[-5:]}") from None

    def statuses(self, start: int = 0, state: str | None = None) -> list[TailStatus]:
        return [r for r in self.since(start) if isinstance(r, TailStatus) and (state is None or r.state == state)]

    def messages(self, generation: int | None = None, start: int = 0) -> list[str]:
        return [e.message for r in self.since(start) if isinstance(r, TailEvents)
                and (generation is None or r.generation == generation) for e in r.events]


def in_a_thread(fn, *args):
    """The Tail's `blocking`: `fn(*args)` in the loop's default executor (as the engine does in its own)."""
    return asyncio.get_running_loop().run_in_executor(None, fn, *args)


def make_tail(settings=FAST, query=QUERY, target=AwsTarget(), **kw) -> tuple[Tail, Reports]:  # noqa: B008
    reports = Reports()
    tail = Tail(query, LazyClient("logs", target), RequestBudget(settings.requests_per_second), settings, reports, in_a_thread,
                threading.Event(), **kw)
    tail.every.rand = lambda: 1.0  # the top of each jitter range: the backoff is known in advance
    return tail, reports


@contextlib.asynccontextmanager
async def running(tail: Tail):
    """`tail.run()` as a task for the block's body; stopped and cancelled after it."""
    task = asyncio.create_task(tail.run())
    try:
        yield task
    finally:
        tail.stop.set()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def is_status(state: str):
    return lambda r: isinstance(r, TailStatus) and r.state == state


async def test_the_first_round_loads_the_window_then_follows(logs):
    t = now_ms()
    put(logs, "aaaa1111", (t - 2 * 3_600_000, "Redis too old"), (t - 2000, "Redis a1"), (t - 500, "nothing to see"))
    put(logs, "bbbb2222", (t - 1000, "Redis b1"))
    tail, reports = make_tail()
    assert await tail.once() == FAST.logs_interval_seconds
    loading, events, following = reports.since()
    assert loading == TailStatus("redis", LOADING, "loading the last 60 min")
    assert isinstance(events, TailEvents) and events.generation == 0 and [e.message for e in events.events] == ["Redis a1", "Redis b1"]
    assert following == TailStatus("redis", FOLLOWING)
    assert await tail.once() == FAST.logs_interval_seconds
    assert reports.since(3) == [TailStatus("redis", FOLLOWING)]  # nothing new: no TailEvents at all


async def test_a_long_first_window_shows_its_pages_and_arrives_whole(logs, aws_faults):
    put(logs, "aaaa1111", *[(now_ms() - 20_000 + i, f"Redis {i}") for i in range(25)])
    tail, reports = make_tail(page_limit=10)
    await tail.once()
    assert [s.text for s in reports.statuses(state=LOADING)] == [
        "loading the last 60 min", "loading the last 60 min: page 2", "loading the last 60 min: page 3"]  # from the pass's thread
    assert reports.messages() == [f"Redis {i}" for i in range(25)]
    assert aws_faults.requests("FilterLogEvents") == 3
    assert reports.since()[-1] == TailStatus("redis", FOLLOWING)


async def test_a_first_window_that_fails_part_way_is_read_again_whole(logs, aws_faults):
    put(logs, "aaaa1111", *[(now_ms() - 20_000 + i, f"Redis {i}") for i in range(25)])
    tail, reports = make_tail(page_limit=10)

    def throttle_the_next_page(report: object) -> None:
        if report == TailStatus("redis", LOADING, "loading the last 60 min: page 2"):
            aws_faults.fail("FilterLogEvents", "ThrottlingException", "Rate exceeded", times=1)

    reports.hook = throttle_the_next_page
    await tail.once()
    assert reports.messages() == [] and reports.since()[-1].state == THROTTLED_STATE
    reports.hook = None
    await tail.once()
    assert reports.messages() == [f"Redis {i}" for i in range(25)]
    assert reports.since()[-1] == TailStatus("redis", FOLLOWING)


async def test_an_event_written_while_following_comes_with_the_next_pass(logs, aws_faults):
    tail, reports = make_tail()
    async with running(tail):
        await reports.wait_for(is_status(FOLLOWING))
        put(logs, "bbbb2222", (now_ms(), "Redis fresh"))
        requests_then = aws_faults.requests("FilterLogEvents")
        await reports.wait_for(lambda r: isinstance(r, TailEvents) and any(e.message == "Redis fresh" for e in r.events))
        # At most the pass under way when it was written, then the next one: two poll intervals.
        assert aws_faults.requests("FilterLogEvents") - requests_then <= 2
        assert reports.messages().count("Redis fresh") == 1


async def test_throttling_is_shown_backs_off_and_is_survived(logs, aws_faults):
    put(logs, "aaaa1111", (now_ms(), "Redis after the storm"))
    aws_faults.fail("FilterLogEvents", "ThrottlingException", "Rate exceeded", times=3)
    tail, reports = make_tail()
    delays = [await tail.once() for _ in range(3)]
    throttled = reports.statuses(state=THROTTLED_STATE)
    # interval 0.2 s doubling, at the top of its jitter, capped at max_backoff 0.6 s
    assert delays == pytest.approx([0.4, 0.6, 0.6]) and [s.retry_in for s in throttled] == delays
    assert all("ThrottlingException" in s.text for s in throttled) and reports.messages() == []
    assert await tail.once() == FAST.logs_interval_seconds  # one success: the interval again
    assert reports.messages() == ["Redis after the storm"] and reports.since()[-1] == TailStatus("redis", FOLLOWING)
    assert aws_faults.requests("FilterLogEvents") == 4  # one request a round: no retries hidden in boto3


async def test_the_run_loop_follows_on_through_throttling(logs, aws_faults):
    put(logs, "aaaa1111", (now_ms(), "Redis after the storm"))
    aws_faults.fail("FilterLogEvents", "ThrottlingException", "Rate exceeded", times=2)
    tail, reports = make_tail()
    async with running(tail) as task:
        await reports.wait_for(lambda r: isinstance(r, TailEvents) and r.events)
        assert len(reports.statuses(state=THROTTLED_STATE)) == 2 and reports.messages() == ["Redis after the storm"]
        await reports.wait_for(is_status(FOLLOWING))
        assert not task.done()


async def test_a_pattern_aws_rejects_is_shown_and_the_old_stream_goes_on(logs, aws_faults):
    put(logs, "aaaa1111", (now_ms() - 10, "Redis one"))
    tail, reports = make_tail()
    await tail.once()
    aws_faults.fail("FilterLogEvents", "InvalidParameterException", "Invalid filter pattern: { $.x = ", times=1)
    tail.request_pattern("{ $.x = ")
    start = len(reports.since())
    assert await tail.once() == FAST.logs_interval_seconds  # the old pattern goes on at its pace
    applying, rejected, following = reports.since(start)
    assert applying == TailStatus("redis", LOADING, "applying filter '{ $.x = '")
    assert isinstance(rejected, PatternOutcome) and "Invalid filter pattern" in rejected.error and rejected.generation == 0
    assert following == TailStatus("redis", FOLLOWING) and tail.pattern == "Redis"
    put(logs, "aaaa1111", (now_ms(), "Redis two"))
    tail.request_pattern("two")  # accepted: a new generation with only its matches
    await tail.once()
    accepted = next(r for r in reports.since(start) if isinstance(r, PatternOutcome) and not r.error)
    assert (accepted.pattern, accepted.generation, tail.pattern, tail.generation) == ("two", 1, "two", 1)
    assert reports.messages(1) == ["Redis two"] and reports.messages(0) == ["Redis one"]


async def test_a_pattern_asked_for_is_tried_at_once_not_after_the_interval(logs):
    put(logs, "aaaa1111", (now_ms() - 10, "Redis one"), (now_ms() - 5, "Redis two"))
    tail, reports = make_tail(replace(FAST, logs_interval_seconds=3600))  # rounds only when woken
    async with running(tail):
        await reports.wait_for(is_status(FOLLOWING))
        tail.request_pattern("two")
        accepted = await reports.wait_for(lambda r: isinstance(r, PatternOutcome))
        assert (accepted.error, accepted.generation) == ("", 1)
        await reports.wait_for(lambda r: isinstance(r, TailEvents) and r.generation == 1)
        assert reports.messages(1) == ["Redis two"]


BACKOFF = CloudWatchSettings(logs_interval_seconds=0.3, requests_per_second=50, overlap_seconds=10, max_backoff_seconds=30)


async def test_a_pattern_asked_for_while_throttled_waits_for_the_backoff(logs, aws_faults):
    tail, reports = make_tail(BACKOFF)
    await tail.once()
    aws_faults.fail("FilterLogEvents", "ThrottlingException", "Rate exceeded", times=None)
    tail.request_pattern("ERROR")
    before = aws_faults.requests("FilterLogEvents")
    delays = [await tail.once() for _ in range(3)]
    assert delays == pytest.approx([0.6, 1.2, 2.4])  # the backoff holds, growing, pending pattern or not (never 0)
    assert aws_faults.requests("FilterLogEvents") - before == 3 and tail.requested == "ERROR"  # kept for after it
    assert [s.retry_in for s in reports.statuses(state=THROTTLED_STATE)] == delays
    aws_faults.clear()
    assert await tail.once() == BACKOFF.logs_interval_seconds
    assert [(r.pattern, r.generation, r.error) for r in reports.since() if isinstance(r, PatternOutcome)] == [("ERROR", 1, "")]


def no_region(monkeypatch, tmp_path) -> None:
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))


async def test_a_pattern_asked_for_with_no_region_does_not_spin(aws, monkeypatch, tmp_path):
    no_region(monkeypatch, tmp_path)
    tail, reports = make_tail(BACKOFF)
    assert await tail.once() == BACKOFF.max_backoff_seconds
    tail.request_pattern("ERROR")
    start = len(reports.since())
    assert await tail.once() == BACKOFF.max_backoff_seconds  # no retry before max_backoff, request or not
    applying, failing = reports.since(start)  # the round says what it tries, then that it failed: nothing else
    assert applying.state == LOADING and "applying filter 'ERROR'" in applying.text
    assert failing.state == FAILING and failing.retry_in == BACKOFF.max_backoff_seconds
    assert tail.requested == "ERROR" and tail.pattern != "ERROR"  # not dropped: tried again once AWS can be reached


@pytest.mark.parametrize(
    ("code", "message", "status", "expect"),
    [
        ("AccessDeniedException", "User is not authorized to perform: logs:FilterLogEvents", 400, "not authorized"),
        ("ExpiredTokenException", "The security token included in the request is expired", 400, "aws sso login"),
    ],
)
async def test_credential_problems_are_explained_in_the_tab(logs, aws_faults, code, message, status, expect):
    aws_faults.fail("FilterLogEvents", code, message, status=status, times=None)
    tail, reports = make_tail()
    delays = [await tail.once() for _ in range(2)]
    failing = reports.statuses(state=FAILING)
    assert len(failing) == 2 and all(code in f.text and expect in f.text and "\n" not in f.text for f in failing)
    assert delays == [FAST.max_backoff_seconds] * 2  # nothing to gain by hammering: max_backoff at once
    assert [f.retry_in for f in failing] == delays


async def test_a_missing_log_group_is_explained(aws):
    tail, reports = make_tail()
    await tail.once()
    failing = reports.since()[-1]
    assert failing.state == FAILING and "ResourceNotFoundException" in failing.text and GROUP in failing.text


async def test_no_region_is_explained(aws, monkeypatch, tmp_path):
    no_region(monkeypatch, tmp_path)
    tail, reports = make_tail()
    await tail.once()
    failing = reports.since()[-1]
    assert failing.state == FAILING and "no AWS region: set AWS_REGION" in failing.text
