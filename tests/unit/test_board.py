"""The health board: windows, staleness, thresholds and retry countdowns per row."""

from __future__ import annotations

from dataclasses import replace

from cockpit.monitor.board import JUDGE_SECONDS, HealthBoard
from cockpit.monitor.readings import DOWN, HEALTHY, UNKNOWN, Poll, Reading
from cockpit.runbook.model import ProbeSettings


def board_for(runbook) -> HealthBoard:
    board = HealthBoard(replace(runbook, probes=ProbeSettings(window_minutes=1)))
    board.add_rows("redis", (Reading("redis", "redis", UNKNOWN, reason="not polled yet"),), interval=2.0)
    board.add_rows("pages", (Reading("page:/a", "/a", UNKNOWN),), interval=10.0)
    return board


def redis(latency: float | None, status: str = HEALTHY, reason: str = "") -> Poll:
    return Poll("redis", (Reading("redis", "redis", status, latency, reason=reason),), reason if status == DOWN else "")


def test_rows_keep_their_order_and_start_unknown(runbook):
    board = board_for(runbook)
    assert board.keys() == ["redis", "page:/a"]
    view = board.view("redis", 0.0)
    assert view.status == UNKNOWN and view.samples == 0 and view.age_s is None and not view.stale


def test_percentiles_over_the_window_and_age(runbook):
    board = board_for(runbook)
    for t, ms in enumerate([1.0, 2.0, 3.0, 50.0]):
        board.apply(redis(ms), now=float(t))
    view = board.view("redis", 4.0)
    assert (view.last_ms, view.p50_ms, view.p99_ms, view.samples) == (50.0, 2.0, 50.0, 4)
    assert view.age_s == 1.0 and not view.stale
    assert board.view("redis", 100.0).samples == 0  # a 1-minute window forgets everything


def test_thresholds_apply_to_their_rows(runbook):
    board = board_for(runbook)
    assert board.limit_for("redis").id == "redis-latency"
    assert board.limit_for("page:/a").id == "dashboard-ttfb"
    board.apply(redis(4.0), now=0.0)
    assert not board.view("redis", 0.0).breach
    board.apply(redis(12.0), now=1.0)
    view = board.view("redis", 1.0)
    assert view.p99_ms == 12.0 and not view.breach  # one outlier is not a breach
    board.apply(redis(15.0), now=2.0)
    assert board.view("redis", 2.0).breach  # two samples over 10 ms and p99 over it


def test_a_down_row_marks_its_figures_stale_and_counts_down_to_the_retry(runbook):
    board = board_for(runbook)
    board.apply(redis(1.0), now=0.0)
    board.apply(redis(None, DOWN, "connection refused: 127.0.0.1:6379"), now=2.0, retry_at=10.0)
    view = board.view("redis", 4.0)
    assert view.status == DOWN and view.last_ms is None and not view.current and view.age_s == 4.0
    assert view.retry_in_s == 6.0 and view.reason.startswith("connection refused")
    board.apply(redis(1.5), now=11.0)
    assert board.view("redis", 11.0).retry_in_s is None and not board.view("redis", 11.0).stale


def test_healthy_figures_go_stale_after_two_intervals_and_one_slowest_poll(runbook):
    board = board_for(runbook)  # redis every 2 s; a poll may take connect + read timeouts (3 + 5 s)
    board.apply(redis(1.0), now=0.0)
    assert not board.view("redis", 12.0).stale  # a slow but healthy poll is not stale
    assert board.view("redis", 12.5).stale


def test_a_row_without_latency_goes_stale_with_its_backend(runbook):
    board = board_for(runbook)
    board.add_rows("api", (Reading("api.redis", "api › redis", UNKNOWN),), interval=2.0)
    board.apply(Poll("api", (Reading("api.redis", "api › redis", HEALTHY),)), now=0.0)
    assert board.view("api.redis", 12.0).age_s is None and not board.view("api.redis", 12.0).stale
    assert board.view("api.redis", 12.5).stale  # no latency of its own, but its poll is late


def test_mark_down_reaches_rows_found_at_run_time(runbook):
    board = board_for(runbook)
    board.apply(Poll("api", (Reading("api.kafka", "api › kafka", HEALTHY),)), now=0.0)  # not in the runbook
    board.mark_down("api", "probe process exited (code -9)", 1.0, 6.0)
    assert board.view("api.kafka", 1.0).status == DOWN and board.view("redis", 1.0).status == UNKNOWN


def test_over_clears_within_the_judging_window_after_recovery(runbook):
    board = board_for(runbook)  # 1-minute window; redis polled every 2 s
    for t in range(0, 10, 2):
        board.apply(redis(25.0), now=float(t))
    assert board.view("redis", 8.0).breach
    for t in range(10, 80, 2):
        board.apply(redis(1.0), now=float(t))
        view = board.view("redis", float(t))
        if t > 8 + JUDGE_SECONDS:
            assert not view.breach, t
    board.apply(redis(None, DOWN, "connection refused"), now=80.0)
    assert not board.view("redis", 80.0).breach  # a down row is DOWN, not OVER


def test_a_latency_measured_while_cockpit_stalled_is_neither_shown_nor_kept():
    from cockpit.monitor.board import HealthBoard
    from cockpit.monitor.readings import HEALTHY, Poll, Reading
    from cockpit.runbook import load_runbook

    board = HealthBoard(load_runbook())
    board.add_rows("redis", (Reading("redis", "redis", "unknown"),), 2.0)
    board.apply(Poll("redis", (Reading("redis", "redis", HEALTHY, 0.4),)), 10.0)
    board.apply(Poll("redis", (Reading("redis", "redis", HEALTHY, 40.0, disturbed=True),)), 12.0)
    board.apply(Poll("redis", (Reading("redis", "redis", HEALTHY, 45.0, disturbed=True),)), 14.0)
    view = board.view("redis", 14.0)
    assert view.samples == 1 and view.last_ms == 0.4 and view.p99_ms == 0.4 and not view.breach


def page(ms: float, *, disturbed: bool = False) -> Poll:
    return Poll("pages", (Reading("page:/a", "/a", HEALTHY, ms, detail="HTTP 200", disturbed=disturbed),))


def test_a_row_whose_latencies_are_set_aside_for_long_says_its_latency_is_unmeasured(runbook):
    from cockpit.monitor.verdict import derive

    board = board_for(runbook)  # pages every 10 s: figures older than two intervals and one slowest poll (28 s) are not now
    board.apply(page(3.0), now=0.0)
    for t in (10.0, 20.0, 30.0):
        board.apply(page(1500.0, disturbed=True), now=t)  # cockpit too busy: set aside, not judged
        assert board.view("page:/a", t).unmeasured == (t > 28), t
    view = board.view("page:/a", 30.0)
    assert view.set_aside == 3 and view.age_s == 30.0 and not view.breach and not view.stale
    assert "latency unmeasured for 30s: cockpit too busy to time it (3 readings set aside)" in view.why
    verdict = derive(30.0, board.views(30.0))
    assert not verdict.all_up and "/a latency unmeasured (cockpit too busy)" in [p.text for p in verdict.problems]
    board.apply(page(3.0), now=40.0)  # one kept: measured again
    assert not board.view("page:/a", 40.0).unmeasured and board.view("page:/a", 40.0).set_aside == 0


def test_a_row_never_measured_but_set_aside_is_unmeasured_at_once(runbook):
    board = board_for(runbook)
    board.apply(page(1500.0, disturbed=True), now=0.0)
    view = board.view("page:/a", 0.0)
    assert view.unmeasured and view.last_ms is None and "cockpit too busy to time it" in view.why


def test_a_p99_over_the_limit_from_earlier_samples_says_its_window_and_when_it_was_last_over(runbook):
    # After `! 3` and back: the row healthy (the last minute is fine) beside 'p99 1.2 s > 500' (the 5-minute window
    # still holds the slow samples). The figure must say what it is: the window's, last over how long ago.
    board = HealthBoard(runbook)  # a 5-minute window; redis judged on the last minute
    board.add_rows("redis", (Reading("redis", "redis", UNKNOWN),), interval=2.0)
    for t in range(0, 10, 2):
        board.apply(redis(25.0), now=float(t))
    for t in range(10, 102, 2):
        board.apply(redis(1.0), now=float(t))
    view = board.view("redis", 100.0)
    assert not view.breach and view.p99_ms == 25.0 and view.last_ms == 1.0 and view.age_s == 0.0
    assert view.window_s == 300.0 and view.over_age_s == 92.0  # the newest sample over 10 ms was taken at 8 s
    assert board.view("redis", 400.0).over_age_s is None  # out of the window: nothing over it
