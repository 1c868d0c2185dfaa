"""Log lines an avnz-api task writes, shaped by what the demo's trouble keys have broken.

Plain functions of a `random.Random` and a `Weather` snapshot, so tests can seed them.
Lines look like the API's structured text log: level, request id, what happened, timings.
About a third mention Redis (the token blacklist) and a fifth the momentum features,
so both of the plan's log queries (`Redis`, `momentum`) always have something to show.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

COMPANIES = ("acme-freight", "blue-orchid", "kiwi-labs", "northwind", "tui-travel", "wellington-co")
ROUTES = (("POST", "/v1/payments", 201), ("GET", "/v1/payments/{id}", 200), ("POST", "/v1/refunds", 201),
          ("GET", "/v1/vendors/companies", 200), ("GET", "/v1/vendors/products", 200))
MOMENTUM = (
    "momentum churn score computed company={company} risk={risk:.2f} in {ms}ms",
    "momentum save-flow stage {stage}/7 completed subscription=sub_{hex6}",
    "momentum triggers evaluated: {n} rules, {fired} fired ({ms}ms)",
    "GET /v1/momentum/churn?company={company} 200 {ms}ms",
)


@dataclass(frozen=True)
class Weather:
    """What is broken right now, as the API would notice it."""

    redis_up: bool = True
    redis_address: str = "127.0.0.1:6379"
    database_up: bool = True
    api: str = "normal"  # normal | slow | failing


def _request_id(rng: random.Random) -> str:
    return f"req-{rng.getrandbits(32):08x}"


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        company=rng.choice(COMPANIES), risk=rng.random(), ms=rng.randint(8, 140), stage=rng.randint(1, 7),
        hex6=f"{rng.getrandbits(24):06x}", n=rng.randint(9, 14), fired=rng.randint(0, 3),
    )


def line(rng: random.Random, weather: Weather) -> str:
    """One log line, as of `weather`."""
    rid = _request_id(rng)
    roll = rng.random()
    if not weather.redis_up and roll < 0.45:
        if rng.random() < 0.6:
            return f"ERROR [{rid}] Redis connect ECONNREFUSED {weather.redis_address}: token blacklist unavailable, request rejected (fail closed)"
        return f"WARN Redis reconnecting to {weather.redis_address} (attempt {rng.randint(2, 40)}, next in {rng.choice((1, 2, 4, 8))}s)"
    if not weather.database_up and roll < 0.45:
        return f"ERROR [{rid}] prisma: Can't reach database server (P1001); POST /v1/payments 503 after {rng.randint(3000, 5000)}ms"
    if weather.api == "failing" and roll < 0.5:
        if roll < 0.2:  # the momentum pages fail too: the plan's `momentum` tab shows it
            return f"ERROR [{rid}] GET /v1/momentum/churn?company={rng.choice(COMPANIES)} 500 {rng.randint(20, 90)}ms: momentum churn score failed: pool timeout"
        return f"ERROR [{rid}] POST /v1/payments 500 {rng.randint(20, 90)}ms: Timed out fetching a new connection from the pool (connection_limit=10, pool_timeout=20)"
    if weather.api == "slow" and roll < 0.4:
        method, route, status = rng.choice(ROUTES)
        return f"WARN [{rid}] {method} {route.format(id='pay_' + format(rng.getrandbits(32), '08x'))} {status} {rng.randint(1100, 2600)}ms (slow request > 500ms)"
    if roll < 0.33:
        hit = rng.random() < 0.02
        return f"INFO [{rid}] Redis blacklist check {rng.uniform(0.2, 0.9):.1f}ms hit={'true' if hit else 'false'}" + (" token revoked" if hit else "")
    if roll < 0.53:
        return f"INFO [{rid}] " + _fill(rng.choice(MOMENTUM), rng)
    if roll < 0.55:
        return f"WARN [{rid}] momentum churn model cache miss for company={rng.choice(COMPANIES)}, recomputing"
    method, route, status = rng.choice(ROUTES)
    return f"INFO [{rid}] {method} {route.format(id='pay_' + format(rng.getrandbits(32), '08x'))} {status} {rng.randint(12, 180)}ms"


def flood_line(rng: random.Random) -> str:
    """A line of a retry storm: what a flood of logs looks like on a bad night."""
    return f"WARN [{_request_id(rng)}] Redis blacklist check retry {rng.randint(1, 5)}/5 after timeout ({rng.randint(50, 250)}ms), momentum jobs queued={rng.randint(100, 9000)}"
