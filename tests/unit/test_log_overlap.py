"""The adaptive overlap of LogFollower, against a scripted CloudWatch Logs over real HTTP.

AWS's clock is the test's (`ScriptedLogs.clock_ms`, sent as `Date`), and so is ours
(`now_ms`): nothing waits, nothing is timed. Events become readable `delay` after their
timestamp; a pass happens every `PASS_MS` of fake time.
"""

from __future__ import annotations

import random
import threading

import boto3
import pytest
from botocore.config import Config

from cockpit.core.ratelimit import RequestBudget
from cockpit.probes.aws.logs import MIN_OVERLAP_MS, OVERLAP_MARGIN_MS, LogFollower
from tests.servers.scripted_logs import ScriptedLogs

T0 = 1_800_000_000_000  # ms, a round second
PASS_MS = 2_000
CEILING = 10_000
STOP = threading.Event()


@pytest.fixture
def logs():
    server = ScriptedLogs(T0).start()
    try:
        yield server
    finally:
        server.stop()


def make_follower(logs: ScriptedLogs, **kw) -> LogFollower:
    client = boto3.client("logs", endpoint_url=logs.url, region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing", config=Config(retries={"total_max_attempts": 1}))
    args = dict(window_ms=600_000, overlap_ms=CEILING, budget=RequestBudget(10_000), now_ms=lambda: logs.clock_ms)
    args.update(kw)
    return LogFollower(client, "/ecs/avnz-api", "Redis", **args)


def run(logs: ScriptedLogs, f: LogFollower, passes: int, per_pass: int, delays, shown: list[str], streams: int = 3,
        pass_ms: int = PASS_MS) -> None:
    """`passes` passes, `per_pass` events stamped evenly over each pass interval with delays from `delays()`."""
    for _ in range(passes):
        for i in range(per_pass):
            ts = logs.clock_ms + 1 + i * pass_ms // per_pass
            logs.add(ts, delays(), stream=f"ecs/avnz-api/{i % streams}")
        logs.clock_ms += pass_ms
        shown.extend(e.event_id for e in f.next_pass(STOP).events)


def readable_ids(logs: ScriptedLogs) -> set[str]:
    return {e["eventId"] for e in logs.events if e["readable_at"] <= logs.clock_ms}


def test_late_events_are_all_caught_and_none_is_shown_twice(logs):
    rng = random.Random(7)
    f = make_follower(logs)
    shown: list[str] = []
    f.next_pass(STOP)
    run(logs, f, 60, 40, lambda: rng.randint(200, 3000), shown)
    assert len(shown) == len(set(shown))  # none twice
    assert set(shown) == readable_ids(logs)  # none lost, however late within the delays seen
    assert 3000 <= f.current_overlap_ms <= 3000 + OVERLAP_MARGIN_MS + 1  # the overlap followed the delays, not the ceiling


def test_the_overlap_shrinks_to_what_can_still_arrive_and_fetches_little_more_than_it_shows(logs):
    f = make_follower(logs)
    shown: list[str] = []
    assert f.current_overlap_ms == CEILING  # nothing observed yet: the ceiling
    run(logs, f, 40, 50, lambda: 150, shown)
    assert f.current_overlap_ms == 150 + OVERLAP_MARGIN_MS
    served_before, shown_before = logs.served, len(shown)
    run(logs, f, 20, 50, lambda: 150, shown)
    # each pass re-reads the overlap (400 ms) of a 2 s interval: 1.2, plus an event at the edges
    assert (logs.served - served_before) / (len(shown) - shown_before) <= 1 + (f.current_overlap_ms + 100) / PASS_MS
    assert len(shown) == len(set(shown)) and set(shown) == readable_ids(logs)


def test_passes_off_the_second_re_read_no_more_than_the_overlap(logs):
    # AWS's Date is floored to the second: a pass 2.3 s after the last sees a Date up to 999 ms behind AWS's clock.
    # Taken at its word, every pass started up to a second early and re-read that second too (fetched/shown 1.36
    # instead of ~1.2 at 10,000 events/s with a 150 ms delay, bench/README.md). The largest offset seen lately is
    # still a lower bound of AWS's clock (a Date is never later than the answer it came with), and a tight one.
    pass_ms = 2_300
    f = make_follower(logs)
    shown: list[str] = []
    run(logs, f, 40, 50, lambda: 150, shown, pass_ms=pass_ms)
    served_before, shown_before = logs.served, len(shown)
    run(logs, f, 20, 50, lambda: 150, shown, pass_ms=pass_ms)
    assert (logs.served - served_before) / (len(shown) - shown_before) <= 1 + (f.current_overlap_ms + 100) / pass_ms
    assert len(shown) == len(set(shown)) and set(shown) == readable_ids(logs)


def test_a_larger_delay_grows_the_overlap_at_once_and_loses_nothing(logs):
    f = make_follower(logs)
    shown: list[str] = []
    run(logs, f, 35, 20, lambda: 300, shown)
    assert f.current_overlap_ms == 300 + OVERLAP_MARGIN_MS
    # The delays creep up by a second a pass: each is within the overlap plus a pass interval of the last.
    for delay in (1300, 2300, 3300, 4300, 5300):
        run(logs, f, 1, 20, lambda d=delay: d, shown)
        assert f.current_overlap_ms >= min(CEILING, delay - PASS_MS + OVERLAP_MARGIN_MS)
    run(logs, f, 5, 20, lambda: 5300, shown)
    assert f.current_overlap_ms == 5300 + OVERLAP_MARGIN_MS
    assert len(shown) == len(set(shown)) and set(shown) == readable_ids(logs)


def test_one_late_event_with_an_old_timestamp_is_caught_and_raises_the_overlap(logs):
    f = make_follower(logs)
    shown: list[str] = []
    run(logs, f, 35, 20, lambda: 200, shown)
    assert f.current_overlap_ms == 200 + OVERLAP_MARGIN_MS
    # stamped before this pass began, readable 1.9 s later: more than the overlap, within overlap + a pass interval
    late = logs.add(logs.clock_ms - 100, 1_900)
    run(logs, f, 2, 20, lambda: 200, shown)
    assert late in shown
    assert f.current_overlap_ms == 1_900 + OVERLAP_MARGIN_MS
    assert len(shown) == len(set(shown)) and set(shown) == readable_ids(logs)


def test_the_overlap_shrinks_back_after_the_window_never_below_the_floor_nor_above_the_ceiling(logs):
    for i in range(10):  # history: one producer's lines ingested 8 s late, another's 30 s late
        logs.add(T0 - 60_000 + i, 8_000)
        logs.add(T0 - 50_000 + i, 30_000)
    f = make_follower(logs, delay_window_ms=20_000)
    shown = [e.event_id for e in f.next_pass(STOP).events]
    assert f.current_overlap_ms == CEILING  # 30 s observed: capped at the ceiling
    seen = []
    for _ in range(20):
        run(logs, f, 1, 20, lambda: 0, shown)
        seen.append(f.current_overlap_ms)
    assert seen[:9] == [CEILING] * 9  # held while the large delay is in the window (20 s: 10 passes)
    assert seen[-1] == MIN_OVERLAP_MS  # then back to the floor (delays of 0 + margin = the floor)
    assert all(MIN_OVERLAP_MS <= s <= CEILING for s in seen)
    assert len(shown) == len(set(shown)) and set(shown) == readable_ids(logs)


def test_remembered_ids_stay_within_about_two_overlaps(logs):
    f = make_follower(logs)
    shown: list[str] = []
    run(logs, f, 40, 100, lambda: 500, shown)
    per_ms = 100 / PASS_MS
    assert len(f.seen) <= per_ms * (2 * f.current_overlap_ms + PASS_MS) + 100
    assert len(shown) == len(set(shown)) and set(shown) == readable_ids(logs)


def test_a_quiet_filter_uses_the_ceiling(logs):
    f = make_follower(logs)
    f.next_pass(STOP)
    logs.clock_ms += PASS_MS
    f.next_pass(STOP)
    assert f.current_overlap_ms == CEILING
    assert logs.start_times[-1] <= logs.clock_ms - PASS_MS - CEILING + 1000
