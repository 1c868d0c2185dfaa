"""What a threshold check measures, per metric: a warmed connection, then a burst of samples.

Each burst says what its samples are ("PINGs"), how many it takes (`target`), how many
warm-up samples come first and are not counted (they pay for connecting, TLS and the
client's first-use costs), and, where the backend has one, the server's own figure for
the same work, so an operator can tell a slow server from a slow network or client.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

import httpx

from cockpit.probes.errors import ProbeError
from cockpit.probes.http import HealthProbe, PageProbe
from cockpit.probes.postgres import PostgresProbe
from cockpit.probes.redis import RedisProbe

STORE_SAMPLES = 200  # Redis PINGs / PostgreSQL SELECT 1: cheap, so twice the 100 a p99 needs at least
API_SAMPLES = 100
PAGE_ROUNDS = 4  # every dashboard page this many times: 20 loads for the plan's five pages
STORE_WARMUP = 5
SERVER_TIME_RUNS = 3


class Burst:
    """The interface: `warm()`, `before()`, `sample()` in ms, `server_note()`, `close()`."""

    what = "samples"
    target = API_SAMPLES
    warmup = 1

    async def warm(self) -> None:
        """The warm-up samples (not counted)."""
        for _ in range(self.warmup):
            await self.sample()

    async def before(self) -> None:
        """Read the server's counters before the counted samples (when it has any)."""

    async def sample(self) -> float:
        """One sample, in milliseconds; raises ProbeError."""
        raise NotImplementedError

    async def server_note(self) -> str:
        """The server's own figure for the burst ('' when it has none or will not say)."""
        return ""

    async def close(self) -> None:
        """Close what the burst opened."""


class RedisBurst(Burst):
    """PINGs over one connection; the server's figure is `INFO commandstats` for ping."""

    what = "PINGs"
    target = STORE_SAMPLES
    warmup = STORE_WARMUP

    def __init__(self, probe: RedisProbe) -> None:
        self.probe = probe
        self._base: tuple[int, int] | None = None

    async def before(self) -> None:
        try:
            self._base = await self.probe.command_stats("ping")
        except ProbeError:
            self._base = None  # the burst itself will say what is wrong

    async def sample(self) -> float:
        return (await self.probe.sample()).latency_ms

    async def server_note(self) -> str:
        try:
            after = await self.probe.command_stats("ping")
        except ProbeError:
            return "Redis's own time: not readable (INFO commandstats)"
        if self._base is None or after is None or after[0] <= self._base[0]:
            return "Redis's own time: not reported (INFO commandstats)"
        calls, usec = after[0] - self._base[0], after[1] - self._base[1]
        return f"Redis's own time {usec / calls:.1f} µs per PING over {calls} calls (INFO commandstats)"

    async def close(self) -> None:
        await self.probe.close()


class PostgresBurst(Burst):
    """`SELECT 1` over one connection; the server's figure is EXPLAIN ANALYZE of the same query."""

    what = "SELECT 1"
    target = STORE_SAMPLES
    warmup = STORE_WARMUP

    def __init__(self, probe: PostgresProbe) -> None:
        self.probe = probe

    async def sample(self) -> float:
        return (await self.probe.sample()).latency_ms

    async def server_note(self) -> str:
        try:
            times = [await self.probe.server_time_ms() for _ in range(SERVER_TIME_RUNS)]
        except ProbeError:
            return "PostgreSQL's own time: not readable (EXPLAIN ANALYZE)"
        return f"PostgreSQL's own time {statistics.median(times):.3f} ms per SELECT 1 (EXPLAIN ANALYZE: planning + execution)"

    async def close(self) -> None:
        await self.probe.close()


class HealthBurst(Burst):
    """GET /health over the shared keep-alive client."""

    what = "requests to /health"
    target = API_SAMPLES
    warmup = 1

    def __init__(self, url: str, client: httpx.AsyncClient) -> None:
        self.probe = HealthProbe(url, client)

    async def sample(self) -> float:
        return (await self.probe.sample()).latency_ms


class PagesBurst(Burst):
    """Every dashboard page in turn, `PAGE_ROUNDS` times: time to first byte."""

    what = "page loads (TTFB)"
    warmup = 1  # one load warms the keep-alive connection; a page's own first load is what users see too

    def __init__(self, base_url: str, paths: Sequence[str], client: httpx.AsyncClient) -> None:
        self.probes = [PageProbe(base_url, path, client) for path in paths]
        self.target = PAGE_ROUNDS * len(self.probes)
        self._next = 0

    async def sample(self) -> float:
        probe = self.probes[self._next % len(self.probes)]
        self._next += 1
        return (await probe.sample()).ttfb_ms

    async def warm(self) -> None:
        await self.probes[0].sample()
