"""Fixed live data for snapshots: polls fed straight into the board at fixed times."""

from __future__ import annotations

import math

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


async def feed(pilot) -> None:
    """Rows as the real backends would declare them, then the history, then one render."""
    screen = pilot.app.screen
    board = screen.live.board
    board.add_rows("redis", (Reading("redis", "redis", "unknown"),), 2.0)
    board.add_rows("database", (Reading("database", "database", "unknown"),), 2.0)
    board.add_rows("api", tuple(Reading(k, label, "unknown") for k, label in (("api", "api"), ("api.redis", "api › redis"), ("api.database", "api › database"))), 2.0)
    board.add_rows("pages", tuple(Reading(f"page:{p}", p, "unknown") for p in PAGES), 10.0)
    for at, poll, retry_at in polls():
        board.apply(poll, at, retry_at)
    screen._render_live()
    await pilot.pause()
