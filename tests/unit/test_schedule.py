"""engine/schedule.py: the one poll loop's delays (interval, jittered backoff, max backoff) and its wake-up.

Driven with a fake `rand` and by waiting on conditions; no test measures time.
"""

from __future__ import annotations

import asyncio

import pytest

from cockpit.engine.schedule import Every

GUARD = 10.0  # seconds: only against a hang, never a timing assert


def never() -> float:
    raise AssertionError("no jitter expected here")


def test_the_interval_after_a_success():
    every = Every(2, 30, rand=never)
    assert [every.next_delay(False) for _ in range(3)] == [2, 2, 2]
    assert every.failures == 0


@pytest.mark.parametrize(
    ("draw", "expected"),
    [
        (1.0, [4, 8, 16, 30, 30, 30]),  # the top of each range: doubling from the interval, capped
        (0.0, [2, 4, 8, 15, 15, 15]),  # the bottom: half of it, never below the interval
        (0.5, [3, 6, 12, 22.5, 22.5, 22.5]),
    ],
)
def test_transient_failures_grow_with_jitter_up_to_max_backoff(draw, expected):
    every = Every(2, 30, rand=lambda: draw)
    assert [every.next_delay(True) for _ in expected] == pytest.approx(expected)
    assert every.failures == len(expected)


def test_every_delay_is_drawn_within_its_range():
    draws = iter([0.9, 0.1, 0.7, 0.3, 0.0, 1.0])
    every = Every(1, 10, rand=lambda: next(draws))
    delays = [every.next_delay(True) for _ in range(6)]
    tops = [2, 4, 8, 10, 10, 10]
    assert all(top / 2 <= d <= top for d, top in zip(delays, tops, strict=True))
    assert len(set(delays)) > 1  # jittered: many cockpits do not retry in step


def test_a_failure_someone_has_to_fix_waits_max_backoff_at_once():
    every = Every(2, 30, rand=never)
    assert every.next_delay(True, transient=False) == 30
    assert every.next_delay(True, transient=False) == 30


def test_a_success_starts_the_backoff_over():
    every = Every(2, 30, rand=lambda: 1.0)
    assert [every.next_delay(True) for _ in range(3)] == [4, 8, 16]
    assert every.next_delay(False) == 2
    assert every.next_delay(True) == 4


async def settle() -> None:
    """Let every ready task run."""
    for _ in range(10):
        await asyncio.sleep(0)


async def test_wake_cuts_a_wait_short():
    every = Every(3600, 3600)
    waiting = asyncio.create_task(every.wait(3600))
    await settle()
    assert not waiting.done()
    every.wake()
    await asyncio.wait_for(waiting, GUARD)


async def test_a_wake_before_the_wait_ends_it_at_once_and_is_used_up():
    every = Every(3600, 3600)
    every.wake()
    await asyncio.wait_for(every.wait(3600), GUARD)
    second = asyncio.create_task(every.wait(3600))
    await settle()
    assert not second.done()  # the wake was for the round that followed it, not this one
    second.cancel()
    await asyncio.gather(second, return_exceptions=True)


async def test_run_goes_round_after_round_never_overlapping_and_waits_what_once_asks():
    every = Every(3600, 3600)
    rounds: list[int] = []
    running = 0
    overlapped = False
    idle = asyncio.Event()

    async def once() -> float:
        nonlocal running, overlapped
        running += 1
        overlapped |= running > 1
        await asyncio.sleep(0)  # a round that yields, as a real poll does
        rounds.append(len(rounds) + 1)
        running -= 1
        if len(rounds) >= 3:
            idle.set()
            return 3600  # a long wait: only a wake ends it
        return 0  # more work waiting: the next round at once

    task = asyncio.create_task(every.run(once))
    try:
        await asyncio.wait_for(idle.wait(), GUARD)
        await settle()
        assert rounds == [1, 2, 3]  # waiting the hour the third round asked for
        idle.clear()
        every.wake()
        await asyncio.wait_for(idle.wait(), GUARD)
        assert rounds == [1, 2, 3, 4] and not overlapped
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
