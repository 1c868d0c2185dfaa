"""One row's latest news: a status, a latency, and why it is not healthy."""

from __future__ import annotations

from dataclasses import dataclass

HEALTHY = "healthy"
DEGRADED = "degraded"
DOWN = "down"
UNKNOWN = "unknown"
NOT_CONFIGURED = "not configured"


@dataclass(frozen=True)
class Reading:
    """The latest state of one monitored row (redis, database, api, a component, a page).

    `latency_ms` is None when nothing was measured; `reason` says why a row is not
    healthy; `detail` carries facts worth seeing when it is (version, connections).
    `disturbed`: cockpit's own event loop stalled while this was measured, long enough to
    have carried the latency over its row's limit (see `cockpit.engine.health.disturbed`):
    it says more about cockpit than about the backend, so it is not shown, kept or judged.
    """

    key: str
    label: str
    status: str
    latency_ms: float | None = None
    reason: str = ""
    detail: str = ""
    disturbed: bool = False


@dataclass(frozen=True)
class Poll:
    """What one poll of a backend found. `failure` set: it could not be reached (back off)."""

    backend: str
    readings: tuple[Reading, ...]
    failure: str = ""
