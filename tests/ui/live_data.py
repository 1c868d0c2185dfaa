"""Fixed live data for snapshots: polls fed straight into the board at fixed times."""

from __future__ import annotations

import math
from datetime import UTC

from cockpit.monitor.readings import DEGRADED, DOWN, HEALTHY, Poll, Reading

NOW = 1000.0  # the frozen monotonic clock of snapshot apps
PAGES = ("/vendors/companies", "/vendors/products", "/momentum/churn", "/momentum/save-flows", "/momentum/triggers")


def wave(i: int, base: float, swing: float) -> float:
    return round(base + swing * (1 + math.sin(i / 3)) / 2, 3)


def polls() -> list[tuple[float, Poll, float | None]]:
    """(at, poll, retry_at): a minute of history ending at NOW."""
    out = []
    for i in range(60):
        at = NOW - 60 + i
        out.append((at, Poll("redis", (Reading("redis", "redis", HEALTHY, wave(i, 0.18, 0.3), detail="7.0.15 master · 12 clients · 1.21M"),)), None))
        api_ms = wave(i, 40, 60)
        out.append((at, Poll("api", (
            Reading("api", "api", DEGRADED, api_ms, reason="/health says degraded"),
            Reading("api.redis", "api › redis", HEALTHY),
            Reading("api.database", "api › database", DOWN, reason="pool exhausted"),
        )), None))
        if i % 10 == 0:
            pages = tuple(
                Reading(f"page:{p}", p, HEALTHY, (1150.0 + i if p == "/momentum/churn" else wave(i, 90, 40)), detail="HTTP 200")
                for p in PAGES
            )
            out.append((at, Poll("pages", pages), None))
        if i < 30:
            out.append((at, Poll("database", (Reading("database", "database", HEALTHY, wave(i, 0.3, 0.2), detail="PostgreSQL 15.18 · 7/100 connections"),)), None))
    down = Reading("database", "database", DOWN, reason="connection refused: db.internal:5432")
    out.append((NOW - 2, Poll("database", (down,), down.reason), NOW + 6))
    return out


ROWS = (("redis", ("redis",), 2.0), ("database", ("database",), 2.0),
        ("api", ("api", "api.redis", "api.database"), 2.0), ("pages", tuple(f"page:{p}" for p in PAGES), 10.0))


def health_board(runbook):
    """The board a real engine would hold after `polls()`."""
    from tests.ui.fake_engine import board_of

    return board_of(runbook, ROWS, polls())


async def feed(pilot) -> None:
    """Rows as the real backends would declare them, then the history, replayed as the engine would send them."""
    from tests.ui.fake_engine import replay, world

    await replay(pilot, world(pilot.app, NOW, health_board(pilot.app.runbook)))


STREAMS = ("ecs/avnz-api/3f2a9c1e5b7d4e0f9a8b", "ecs/avnz-api/8b1d77aa90c24f11c0de")
T0 = 1_795_813_200_000  # 2026-11-27 21:00:00 UTC (the snapshot wall clock), in ms
RAW_LINES = (
    "INFO [req-8f3a] Redis pool ready (size=10, idle=10)",
    "INFO [req-8f3b] GET /api/v1/payments/4812 200 12ms Redis blacklist hit=false",
    "WARN [req-8f3c] Redis ECONNRESET, reconnecting (attempt 1)",
    "ERROR [req-8f3d] \x1b]0;pwned\x07Redis \x1b[2J\x1b[Hauth failed for redis://default:hunter2@cache.internal:6379",
    "INFO [req-8f3e] [bold]Redis[/bold] token blacklist size 1204, key AKIAIOSFODNN7EXAMPLE",
    "INFO [req-8f3f] Redis latency p99 3.2ms",
)


def log_events(query_id: str, count: int):
    """`count` events of a tab, cleaned by the real cleaner (hostile ones included)."""
    from cockpit.core.logline import clean_message
    from cockpit.probes.aws.logs import LogEvent

    words = {"redis": "Redis", "momentum": "momentum"}
    return tuple(
        LogEvent(T0 - (count - i) * 1500, STREAMS[i % 2], clean_message(RAW_LINES[i % len(RAW_LINES)].replace("Redis", words[query_id])), f"{query_id}{i}")
        for i in range(count)
    )


async def feed_cloudwatch(pilot) -> None:
    """Both log tabs (one following, one throttled) and the three alarms (one firing, one missing)."""
    from datetime import datetime

    from cockpit.engine.events import FOLLOWING, THROTTLED_STATE, AlarmsRead, TailEvents, TailStatus
    from cockpit.probes.aws.alarms import NOT_FOUND, AlarmState
    from cockpit.ui.widgets.logs_pane import LogsPane
    from tests.ui.fake_engine import replay, world

    app = pilot.app
    screen = app.cockpit
    pane = screen.query_one(LogsPane)
    pane.apply(TailStatus("redis", FOLLOWING), NOW - 1)
    pane.apply(TailEvents("redis", 0, log_events("redis", 40)), NOW - 1)
    pane.apply(TailEvents("momentum", 0, log_events("momentum", 6)), NOW - 30)
    pane.apply(TailStatus("momentum", THROTTLED_STATE, "/ecs/avnz-api: ThrottlingException: Rate exceeded", 8.0), NOW)
    since = datetime(2026, 11, 27, 20, 48, tzinfo=UTC)
    alarms = AlarmsRead((
        AlarmState("avnz-api-5xx-errors", "ALARM", since, "Threshold Crossed: 1 datapoint [7.0] was greater than the threshold (1.0)."),
        AlarmState("avnz-redis-connection", "OK", since.replace(hour=19), "Threshold Crossed: no datapoints were greater than the threshold (1.0)."),
        AlarmState("avnz-db-pool-exhausted", NOT_FOUND),
    ))
    board = health_board(app.runbook) if screen.health is not None and screen.health.views else None  # the health fed before, if it was
    events = world(app, NOW, board, alarms=[alarms], tabs={"redis": FOLLOWING, "momentum": THROTTLED_STATE})
    await replay(pilot, events)
    screen.render_live()
    await pilot.pause()
