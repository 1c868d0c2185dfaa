"""Latency verdicts: cockpit's own stalls make a check inconclusive, never a false fail (no timing here).

The lag source is injected: a fake clock and a fake sleep for the ticker, and stalls
given as data to the pure verdict.
"""

from __future__ import annotations

import asyncio

import pytest

from cockpit.checks.lag import LoopLag, Stall
from cockpit.checks.result import FAIL, INCONCLUSIVE, PASS
from cockpit.checks.verdict import Timed, judge, lag_budget_ms, overs_needed


def burst(latencies_ms: list[float], gap: float = 0.001) -> list[Timed]:
    """Samples back to back from t=0 (seconds), each as long as its latency."""
    out, t = [], 0.0
    for ms in latencies_ms:
        out.append(Timed(t, t + ms / 1000, ms))
        t += ms / 1000 + gap
    return out


def verdict(samples, stalls=(), limit=10.0, target=200, **kw):
    return judge(samples, list(stalls), limit, target=target, what="PINGs", action="Check Redis instance", **kw)


# -- the ticker: how late each wake-up was, from an injected clock ----------------------------


class FakeTime:
    """A clock that a fake sleep moves forward: by the period, plus whatever lag is queued."""

    def __init__(self, lags_s: list[float]) -> None:
        self.now = 100.0
        self.lags = list(lags_s)

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds + (self.lags.pop(0) if self.lags else 0.0)


def test_the_ticker_books_late_wake_ups_as_stalls():
    fake = FakeTime([0.0, 0.0005, 0.012, 0.0, 0.003])
    lag = LoopLag(0.002, clock=fake.clock, sleep=fake.sleep)
    asyncio.run(lag.tick(count=5))
    assert lag.ticks == 5
    assert lag.max_ms == pytest.approx(12.0)
    # 0.5 ms late is the timer's granularity, not a stall; 12 ms and 3 ms are
    assert [round(s.ms, 3) for s in lag.stalls] == [12.0, 3.0]
    first = lag.stalls[0]
    assert first.due == pytest.approx(100.0 + 0.002 * 3 + 0.0005) and first.woke == pytest.approx(first.due + 0.012)


def test_a_stall_overlaps_the_samples_it_touched():
    stall = Stall(1.000, 1.010)
    assert stall.overlaps(1.005, 1.006) and stall.overlaps(0.990, 1.001) and stall.overlaps(1.009, 1.020)
    assert not stall.overlaps(0.9, 1.0) and not stall.overlaps(1.010, 1.1)


# -- the verdict -------------------------------------------------------------------------------


def test_a_fast_backend_passes_and_says_how_many_samples_and_which_percentile():
    v = verdict(burst([0.2] * 199 + [3.0]), lag_max_ms=0.8)
    assert v.status == PASS and v.p99_ms == pytest.approx(0.2)
    assert v.text == "p99 0.20 ms over 200 PINGs < 10 ms limit · cockpit's loop lag ≤ 0.8 ms"


def test_a_slow_backend_fails_when_cockpit_did_not_stall():
    v = verdict(burst([20.0] * 200), lag_max_ms=0.9)
    assert v.status == FAIL
    assert v.text.startswith("p99 20.00 ms over 200 PINGs > 10 ms limit: Check Redis instance")


def test_a_p99_over_the_limit_that_cockpits_stalls_explain_is_inconclusive():
    samples = burst([0.2] * 197 + [15.0, 14.0, 16.0])
    # the loop was late by ~15 ms exactly while the three slow samples ran
    stalls = [Stall(s.start + 0.0001, s.end) for s in samples[-3:]]
    v = verdict(samples, stalls, lag_max_ms=15.9)
    assert v.status == INCONCLUSIVE and v.p99_ms == pytest.approx(14.0)  # nearest rank: the 198th of 200
    assert "stalled up to 15.9 ms (budget 2 ms, a tenth of the limit) during 3 of them" in v.text
    assert "the other 197: p99 0.20 ms" in v.text and "run the check again" in v.text


def test_stalls_elsewhere_do_not_excuse_slow_samples():
    samples = burst([0.2] * 190 + [25.0] * 10, gap=0.05)
    stalls = [Stall(samples[5].start, samples[5].end + 0.02)]  # 20 ms, during one fast sample and the gap after it
    v = verdict(samples, stalls)
    assert v.status == FAIL
    assert "during 1 of them, and the other 199 are over the limit too (p99 25.00 ms)" in v.text


def test_a_slow_backend_still_fails_when_cockpit_stalled_too():
    samples = burst([20.0] * 200)
    stalls = [Stall(s.start, s.end) for s in samples[::10]]  # a stall in every tenth sample
    v = verdict(samples, stalls)
    assert v.status == FAIL and "the other 180 are over the limit too" in v.text


def test_stalls_within_the_budget_are_ignored():
    samples = burst([11.0] * 200)
    stalls = [Stall(s.start, s.start + 0.0015) for s in samples]  # 1.5 ms: under the 2 ms budget
    assert verdict(samples, stalls).status == FAIL


def test_everything_disturbed_is_inconclusive():
    samples = burst([12.0] * 100)
    stalls = [Stall(samples[0].start, samples[-1].end)]
    v = verdict(samples, stalls, target=100)
    assert v.status == INCONCLUSIVE and "during 100 of them: cockpit was too busy" in v.text


def test_too_few_samples_with_one_slow_one_are_inconclusive_not_a_p99_fail():
    samples = burst([100.0] * 39 + [700.0])
    v = judge(samples, [], 500, target=100, what="requests to /health", cut=" (all that fit in 7.5 s)")
    assert v.status == INCONCLUSIVE
    assert v.text.startswith("p99 700.00 ms over 40 requests to /health (all that fit in 7.5 s) > 500 ms limit, but only 1 of them")


def test_too_few_samples_many_of_them_slow_are_a_fail():
    samples = burst([20.0] * 70)
    v = verdict(samples, target=200, cut=" (all that fit in 1.5 s)")
    assert v.status == FAIL and "over 70 PINGs (all that fit in 1.5 s) > 10 ms limit" in v.text


def test_budget_and_needed_counts():
    assert lag_budget_ms(10) == 2.0 and lag_budget_ms(500) == 50.0 and lag_budget_ms(1000) == 100.0
    assert overs_needed(200) == 3 and overs_needed(100) == 2 and overs_needed(20) == 1
