"""The engine's health pollers keep no latency measured while the engine's own loop was stalled."""

from __future__ import annotations

import asyncio
import time

from cockpit.engine.health import Health
from cockpit.monitor.readings import HEALTHY, Poll, Reading
from cockpit.runbook import load_runbook


class Backend:
    """A backend whose poll takes `block` seconds of the loop's time (as a log pass holding the GIL would)."""

    name = "redis"
    interval = 60.0

    def __init__(self, block: float) -> None:
        self.block = block

    def rows(self):
        return (Reading("redis", "redis", "unknown"),)

    async def poll(self) -> Poll:
        await asyncio.sleep(0)
        started = time.perf_counter()
        time.sleep(self.block)  # the loop cannot run meanwhile
        return Poll("redis", (Reading("redis", "redis", HEALTHY, (time.perf_counter() - started) * 1000),))

    async def close(self) -> None:
        pass


async def one_poll(block: float) -> list:
    polled = asyncio.Event()
    health = Health(load_runbook(), load_runbook().environments["staging"], live=False, monotonic=time.monotonic,
                    changed=lambda _changed: polled.set())
    backend = Backend(block)
    health.board.add_rows(backend.name, backend.rows(), backend.interval)
    task = asyncio.create_task(health.run(backend))
    await asyncio.wait_for(polled.wait(), 10)
    task.cancel()
    return health.views()


async def test_a_poll_that_stalled_the_loop_keeps_no_latency():
    (view,) = await one_poll(0.03)
    assert view.status == HEALTHY and view.samples == 0 and view.last_ms is None


async def test_an_undisturbed_poll_keeps_its_latency():
    # The machine itself may stall this process for a moment (a loaded CI box): one clean poll in ten is enough.
    views = []
    for _ in range(10):
        (view,) = await one_poll(0.0)
        views.append(view)
        if view.samples:
            break
    assert views[-1].samples == 1 and views[-1].last_ms is not None


def test_a_long_poll_that_lost_a_little_to_cockpit_keeps_its_latency():
    from cockpit.engine.health import disturbed

    poll = Poll("pages", (Reading("page:/a", "/a", HEALTHY, 1500.0), Reading("page:/b", "/b", HEALTHY, 3.0)))
    marked = disturbed(poll, 20.0)  # 20 ms of stalls: nothing against 1.5 s, everything against 3 ms
    assert [r.disturbed for r in marked.readings] == [False, True]
    assert not any(r.disturbed for r in disturbed(poll, 1.5).readings)  # under the floor: nothing
