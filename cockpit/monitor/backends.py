"""The backends of an environment as pollable sources of readings.

Each backend owns its long-lived client, so one that hangs holds only its own
connection. `poll()` never raises: a failure becomes readings with a reason.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from cockpit.monitor.readings import DEGRADED, DOWN, HEALTHY, NOT_CONFIGURED, UNKNOWN, Poll, Reading
from cockpit.probes.errors import ProbeError, check_url, classify
from cockpit.probes.http import MAX_COMPONENTS, HealthProbe, HealthSample, PageProbe, new_client
from cockpit.probes.postgres import PostgresProbe, PostgresSample
from cockpit.probes.redis import RedisProbe, RedisSample
from cockpit.runbook.model import Environment, ProbeSettings, Runbook

DETAILS_EVERY = 5  # INFO / connection counts every few polls: they are not what is timed
NOT_POLLED = "not polled yet"


class Backend(Protocol):
    """A source of readings polled on its own schedule."""

    name: str
    interval: float

    def rows(self) -> tuple[Reading, ...]:
        """The rows before the first poll."""

    async def poll(self) -> Poll:
        """One round of probing (never raises)."""

    async def close(self) -> None:
        """Release connections."""


class Unconfigured:
    """A backend whose setting is empty or unusable: its rows say what to set. Never polled."""

    interval = float("inf")

    def __init__(self, name: str, how: str, rows: tuple[tuple[str, str], ...] = ()) -> None:
        self.name, self.how = name, how
        self._rows = rows or ((name, name),)

    def rows(self) -> tuple[Reading, ...]:
        return tuple(Reading(key, label, NOT_CONFIGURED, reason=self.how) for key, label in self._rows)

    async def poll(self) -> Poll:
        return Poll(self.name, self.rows())

    async def close(self) -> None:
        """Nothing to release."""


class _StoreBackend:
    """Redis or the database: one timed round trip per poll, details every few polls."""

    name = ""

    def __init__(self, probe: RedisProbe | PostgresProbe, settings: ProbeSettings) -> None:
        self.probe = probe
        self.interval = settings.interval(self.name)
        self._polls = 0
        self._detail = ""

    def rows(self) -> tuple[Reading, ...]:
        return (Reading(self.name, self.name, UNKNOWN, reason=NOT_POLLED),)

    def describe(self, sample) -> str:
        """The detail column from a sample that carries details."""
        raise NotImplementedError

    async def poll(self) -> Poll:
        with_details = self._polls % DETAILS_EVERY == 0 or not self._detail
        self._polls += 1
        try:
            sample = await self.probe.sample(with_details)
        except ProbeError as exc:
            self._detail = ""
            return Poll(self.name, (Reading(self.name, self.name, DOWN, reason=exc.reason),), exc.reason)
        self._detail = self.describe(sample) or self._detail
        return Poll(self.name, (Reading(self.name, self.name, HEALTHY, sample.latency_ms, detail=self._detail),))

    async def close(self) -> None:
        await self.probe.close()


class RedisBackend(_StoreBackend):
    """PING latency and INFO of the environment's Redis."""

    name = "redis"

    def __init__(self, url: str, settings: ProbeSettings) -> None:
        super().__init__(RedisProbe(url, settings.connect_timeout_seconds, settings.read_timeout_seconds), settings)

    def describe(self, sample: RedisSample) -> str:
        i = sample.info
        return f"{i.version} {i.role} · {i.connected_clients} clients · {i.used_memory_human}" if i else ""


class DatabaseBackend(_StoreBackend):
    """`SELECT 1` latency and connection use of the environment's PostgreSQL."""

    name = "database"

    def __init__(self, url: str, settings: ProbeSettings) -> None:
        super().__init__(PostgresProbe(url, settings.connect_timeout_seconds, settings.read_timeout_seconds), settings)

    def describe(self, sample: PostgresSample) -> str:
        s = sample.stats
        return f"PostgreSQL {s.server_version} · {s.connections}/{s.max_connections} connections" if s else ""


class ApiBackend:
    """The API's /health: its own row, and one row per component it reports (at most 50)."""

    name = "api"

    def __init__(self, url: str, expected: tuple[str, ...], settings: ProbeSettings, note: str = "") -> None:
        check_url(url, "the API URL", ("http", "https"))
        self.url, self.settings, self.note = url, settings, note
        self._probe: HealthProbe | None = None  # made at the first poll: a client costs ~40 ms
        self.interval = settings.interval(self.name)
        self.expected = expected
        self._seen: dict[str, None] = dict.fromkeys(expected)  # every component ever shown, in order
        self._warm = False

    @property
    def probe(self) -> HealthProbe:
        """The /health probe and its keep-alive client."""
        if self._probe is None:
            s = self.settings
            self._probe = HealthProbe(self.url, new_client(s.connect_timeout_seconds, s.read_timeout_seconds))
        return self._probe

    def rows(self) -> tuple[Reading, ...]:
        return (Reading("api", "api", UNKNOWN, reason=NOT_POLLED),) + self._components(UNKNOWN, NOT_POLLED)

    def _components(self, status: str, reason: str) -> tuple[Reading, ...]:
        return tuple(Reading(f"api.{n}", f"api › {n}", status, reason=reason) for n in self._seen)

    async def poll(self) -> Poll:
        try:
            if not self._warm:  # the client's first request pays for its setup: not a sample
                await self.probe.sample()
                self._warm = True
            sample = await self.probe.sample()
        except ProbeError as exc:
            api = Reading("api", "api", DOWN, reason=exc.reason + self.note)
            return Poll(self.name, (api,) + self._components(UNKNOWN, "api did not answer"), exc.reason)
        return Poll(self.name, (self._api_row(sample),) + self._component_rows(sample))

    def _api_row(self, sample: HealthSample) -> Reading:
        state = sample.state
        if sample.status_code >= 500:
            reason = f"HTTP {sample.status_code} from /health"
        else:
            reason = "" if state == HEALTHY else f"/health says {sample.overall or 'nothing'}"
        if state in (HEALTHY, DEGRADED):
            return Reading("api", "api", state, sample.latency_ms, reason=reason, detail=f"HTTP {sample.status_code}")
        return Reading("api", "api", DOWN, sample.latency_ms, reason=reason)

    def _component_rows(self, sample: HealthSample) -> tuple[Reading, ...]:
        reported = {c.name: c for c in sample.components}
        for name in reported:
            if len(self._seen) < MAX_COMPONENTS:
                self._seen.setdefault(name)
        rows = []
        for name in self._seen:
            component = reported.get(name)
            if component is None:
                rows.append(Reading(f"api.{name}", f"api › {name}", UNKNOWN, reason="not in /health any more"))
                continue
            status = {True: HEALTHY, False: DOWN, None: UNKNOWN}[component.healthy]
            reason = "" if status == HEALTHY else component.detail or ("reported unhealthy" if status == DOWN else "no healthy flag")
            rows.append(Reading(f"api.{name}", f"api › {name}", status, reason=reason))
        return tuple(rows)

    async def close(self) -> None:
        if self._probe is not None:
            await self._probe.client.aclose()


class PagesBackend:
    """Every dashboard page of the runbook, loaded concurrently."""

    name = "pages"

    def __init__(self, base_url: str, paths: tuple[str, ...], settings: ProbeSettings, note: str = "") -> None:
        check_url(base_url, "the dashboard URL", ("http", "https"))
        self.base_url, self.paths, self.settings, self.note = base_url, paths, settings, note
        self._probes: tuple[PageProbe, ...] = ()  # made at the first poll, with their client
        self.interval = settings.interval(self.name)
        self._warm: set[str] = set()

    @property
    def probes(self) -> tuple[PageProbe, ...]:
        """One probe per page, sharing one keep-alive client."""
        if not self._probes:
            client = new_client(self.settings.connect_timeout_seconds, self.settings.read_timeout_seconds)
            self._probes = tuple(PageProbe(self.base_url, path, client) for path in self.paths)
        return self._probes

    def rows(self) -> tuple[Reading, ...]:
        return tuple(Reading(f"page:{path}", path, UNKNOWN, reason=NOT_POLLED) for path in self.paths)

    async def _one(self, probe: PageProbe) -> Reading:
        key = f"page:{probe.path}"
        try:
            if probe.path not in self._warm:  # as for the API: time a request on a warm client
                await probe.sample()
                self._warm.add(probe.path)
            sample = await probe.sample()
        except ProbeError as exc:
            return Reading(key, probe.path, DOWN, reason=exc.reason + self.note)
        if sample.loads:
            return Reading(key, probe.path, HEALTHY, sample.ttfb_ms, detail=sample.outcome)
        return Reading(key, probe.path, DOWN, sample.ttfb_ms, reason=sample.outcome)

    async def poll(self) -> Poll:
        readings = tuple(await asyncio.gather(*(self._one(p) for p in self.probes)))
        unreachable = [r for r in readings if r.status == DOWN and r.latency_ms is None]
        failure = unreachable[0].reason if unreachable and len(unreachable) == len(readings) else ""
        return Poll(self.name, readings, failure)

    async def close(self) -> None:
        if self._probes:
            await self._probes[0].client.aclose()


def all_down(backend: Backend, reason: str) -> Poll:
    """A failed poll of `backend`: each of its rows down, for `reason`."""
    rows = tuple(Reading(r.key, r.label, DOWN, reason=reason) for r in backend.rows())
    return Poll(backend.name, rows, reason)


def build_backends(runbook: Runbook, env: Environment) -> list[Backend]:
    """Redis, database, API and pages of `env`; unconfigured ones say what to set."""
    settings = runbook.probes
    backends: list[Backend] = []
    makers = (
        ("redis", env.redis_url, lambda: RedisBackend(env.redis_url, settings)),
        ("database", env.database_url, lambda: DatabaseBackend(env.database_url, settings)),
        ("api", env.api_url, lambda: ApiBackend(health_url(runbook, env), runbook.health_components, settings, env.default_note("api_url"))),
    )
    for name, value, make in makers:
        backends.append(_guarded(name, make) if value else Unconfigured(name, env.missing(f"{name}_url")))
    if runbook.pages:
        paths = tuple(p.path for p in runbook.pages)
        rows = tuple((f"page:{path}", path) for path in paths)
        if env.app_url:
            backends.append(_guarded("pages", lambda: PagesBackend(env.app_url, paths, settings, env.default_note("app_url")), rows))
        else:
            backends.append(Unconfigured("pages", env.missing("app_url"), rows))
    return backends


def _guarded(name: str, make, rows: tuple[tuple[str, str], ...] = ()) -> Backend:
    """A backend, or Unconfigured rows saying why its setting cannot be used."""
    try:
        return make()
    except ProbeError as exc:
        return Unconfigured(name, exc.reason, rows)
    except Exception as exc:  # a malformed URL the client library refuses
        return Unconfigured(name, classify(exc, name).reason, rows)


def health_url(runbook: Runbook, env: Environment) -> str:
    """`{api_url}{health path}`."""
    return env.api_url.rstrip("/") + runbook.health_path
