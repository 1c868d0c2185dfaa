"""Latency windows, percentiles, backoff delays and sparklines (pure helpers)."""

from __future__ import annotations

from cockpit.core.backoff import backoff_delay
from cockpit.core.latency import LatencyWindow, percentile
from cockpit.core.sparkline import BLOCKS, sparkline


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))  # 1..100
    assert percentile(values, 0.50) == 50
    assert percentile(values, 0.99) == 99
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([3, 1, 2], 0.5) == 2  # unsorted input
    assert percentile([], 0.5) is None


def test_window_forgets_old_samples_and_is_bounded():
    window = LatencyWindow(seconds=10, max_samples=5)
    for t in range(5):
        window.add(float(t), float(t + 1))
    assert window.values() == [1.0, 2.0, 3.0, 4.0, 5.0]
    window.add(5.0, 100.0)  # the oldest falls out: at most 5 samples
    assert window.values() == [2.0, 3.0, 4.0, 5.0, 100.0]
    assert window.p99() == 100.0 and window.p50() == 4.0
    assert window.values(now=13.5) == [5.0, 100.0]  # samples older than 10 s are gone


def test_backoff_grows_with_jitter_up_to_the_cap():
    assert backoff_delay(0, 2.0, 30.0) == 2.0  # healthy: the normal interval
    low = [backoff_delay(n, 2.0, 30.0, rand=lambda: 0.0) for n in range(1, 8)]
    high = [backoff_delay(n, 2.0, 30.0, rand=lambda: 1.0) for n in range(1, 8)]
    assert high == [4.0, 8.0, 16.0, 30.0, 30.0, 30.0, 30.0]
    assert low == [2.0, 4.0, 8.0, 15.0, 15.0, 15.0, 15.0]  # never below half, never below the interval
    assert max(backoff_delay(50, 2.0, 30.0) for _ in range(200)) <= 30.0


def test_sparkline_scales_to_the_series_and_pads_left():
    line = sparkline([1.0, 2.0, 4.0], 5)
    assert len(line) == 5 and line.startswith("  ")
    assert line[-1] == BLOCKS[-1] and line[2] == BLOCKS[2]
    assert sparkline([], 3) == "   "
    assert sparkline([0.0, 0.0], 2) == BLOCKS[0] * 2
    assert sparkline(list(range(100)), 10)[-1] == BLOCKS[-1]  # only the last `width` values
