"""A threshold check end to end with an injected clock, burst and lag source: no server, no timing.

The fake burst's samples move a fake clock forward; the fake lag monitor reports the
stalls a test scripts for each burst. So whether cockpit stalled is data, and the
verdicts (pass, fail, inconclusive, measured again) are deterministic.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from cockpit.checks.bursts import Burst
from cockpit.checks.lag import LoopLag
from cockpit.checks.result import FAIL, INCONCLUSIVE, PASS
from cockpit.checks.runner import CheckRunner
from cockpit.commands.check import format_table, report, summary


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FakeBurst(Burst):
    """`target` samples of `ms` each; every sample advances the clock by its latency."""

    what = "PINGs"
    target = 200
    warmup = 5

    def __init__(self, clock: FakeClock, ms: float) -> None:
        self.clock, self.ms, self.closed = clock, ms, False

    async def sample(self) -> float:
        self.clock.now += self.ms / 1000
        return self.ms

    async def server_note(self) -> str:
        return "Redis's own time 0.1 µs per PING over 200 calls (INFO commandstats)"

    async def close(self) -> None:
        self.closed = True


class ScriptedLag(LoopLag):
    """Reports, for the n-th burst, a stall over the whole of it when `stalled[n]`; never ticks."""

    def __init__(self, clock: FakeClock, stalled: list[bool], count: list[int]) -> None:
        super().__init__(clock=clock)
        self.fake_clock, self.stalled, self.count = clock, stalled, count

    async def __aenter__(self) -> ScriptedLag:
        self.started = self.fake_clock.now
        return self

    async def __aexit__(self, *exc: object) -> None:
        n = self.count[0]
        self.count[0] += 1
        if n < len(self.stalled) and self.stalled[n]:
            self.record(self.started, self.fake_clock.now)  # the loop was late for the whole burst


def run_redis_threshold(runbook, ms: float, stalled: list[bool]):
    env = replace(runbook.environments["staging"], redis_url="redis://127.0.0.1:1/0")  # never reached: the burst is fake
    clock, count = FakeClock(), [0]
    runner = CheckRunner(runbook, env, {}, clock=clock, lag_monitor=lambda: ScriptedLag(clock, stalled, count))
    burst = FakeBurst(clock, ms)
    runner._burst = lambda metric: burst  # type: ignore[method-assign]
    step = runbook.step("post-redis-latency")

    async def go():
        try:
            return await runner.run_steps([step])
        finally:
            await runner.aclose()

    result = asyncio.run(go())["post-redis-latency"]
    assert burst.closed
    return result, count[0]


def test_a_clean_fast_burst_passes_once(runbook):
    result, bursts = run_redis_threshold(runbook, 0.2, [])
    assert (result.status, bursts) == (PASS, 1)
    assert result.evidence == (
        "p99 0.20 ms over 200 PINGs < 10 ms limit · cockpit's loop lag ≤ 0.0 ms · "
        "Redis's own time 0.1 µs per PING over 200 calls (INFO commandstats) · 5 warm-up not counted"
    )


def test_a_slow_burst_with_cockpit_stalled_throughout_is_inconclusive_after_three_tries(runbook):
    result, bursts = run_redis_threshold(runbook, 12.0, [True, True, True, True])
    assert (result.status, bursts) == (INCONCLUSIVE, 3)
    assert "cockpit's own event loop stalled up to 2400.0 ms (budget 2 ms, a tenth of the limit) during 200 of them" in result.evidence
    assert result.evidence.endswith("2 earlier bursts set aside: cockpit's own stalls left them inconclusive (p99 12.00, 12.00 ms)")


def test_a_disturbed_burst_is_measured_again_and_the_clean_one_judged(runbook):
    result, bursts = run_redis_threshold(runbook, 12.0, [True, False])
    assert (result.status, bursts) == (FAIL, 2)
    assert result.evidence.startswith("p99 12.00 ms over 200 PINGs > 10 ms limit: Check Redis instance")
    assert result.evidence.endswith("1 earlier burst set aside: cockpit's own stalls left it inconclusive (p99 12.00 ms)")


def test_a_stall_in_a_passing_burst_changes_nothing(runbook):
    result, bursts = run_redis_threshold(runbook, 0.2, [True])
    assert (result.status, bursts) == (PASS, 1)


@pytest.mark.parametrize(
    "statuses, line",
    [
        (["pass", "pass"], "2 checks in staging: all passed"),
        (["pass", "fail"], "2 checks in staging: 1 passed, 1 failed"),
        (["inconclusive", "pass"], "2 checks in staging: 1 passed, 1 inconclusive (not passed: no verdict, the evidence says why)"),
        (["inconclusive", "fail", "fail"], "3 checks in staging: 0 passed, 2 failed, 1 inconclusive (not passed: no verdict, the evidence says why)"),
    ],
)
def test_the_summary_counts_inconclusive_apart_from_failed(runbook, statuses, line):
    rows = [{"id": f"s{i}", "status": s} for i, s in enumerate(statuses)]
    assert summary(rows, runbook.environments["staging"]) == line


def test_the_table_makes_room_for_an_inconclusive_status(runbook):
    from cockpit.checks.result import inconclusive, passed

    steps = [runbook.step("a-redis-ping"), runbook.step("post-redis-latency")]
    rows = report(steps, {"a-redis-ping": passed("PONG in 0.20 ms", 0.2), "post-redis-latency": inconclusive("p99 14 ms …", 14.0)})
    lines = format_table(rows, runbook.environments["staging"]).splitlines()
    assert lines[0].startswith("PASS          a-redis-ping ") and lines[2].startswith("INCONCLUSIVE  post-redis-latency ")
