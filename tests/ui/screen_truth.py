"""Fixed states of the world for the verdict's screen tests and snapshots: each failure kind fed
to a cockpit the way its watcher would report it (no network), on a frozen monotonic clock."""

from __future__ import annotations

from datetime import UTC, datetime

from cockpit.engine.events import AlarmsRead, ServicesRead
from cockpit.monitor.readings import DOWN, HEALTHY, Poll, Reading
from cockpit.probes.aws.alarms import AlarmState
from cockpit.probes.aws.ecs import service_state, task_definition
from tests.servers.ecs_rollouts import CLUSTER, deployment, service, td_arn
from tests.ui.fake_engine import board_of, replay, world
from tests.ui.live_data import NOW, PAGES

SINCE = datetime(2026, 11, 27, 20, 48, tzinfo=UTC)
ALARMS = ("avnz-api-5xx-errors", "avnz-redis-connection", "avnz-db-pool-exhausted")
FLAGS = ("ENABLE_MOMENTUM_CHURN", "ENABLE_MOMENTUM_SAVE_FLOWS", "ENABLE_MOMENTUM_TRIGGERS")


def _td(family: str, revision: int, tag: str, churn: str) -> tuple[str, object]:
    arn = td_arn(family, revision)
    env = [{"name": "ENABLE_MOMENTUM_CHURN", "value": churn}, {"name": "REDIS_URL", "value": "redis://secret@x:6379"}]
    raw = {"taskDefinitionArn": arn, "family": family, "revision": revision,
           "containerDefinitions": [{"name": family, "image": f"123.dkr.ecr/{family}:{tag}", "environment": env}]}
    return arn, task_definition(raw, FLAGS)


def services_read(failed: bool) -> ServicesRead:
    """Both services; with `failed`, avnz-api:25's rollout FAILED (0/2) while :24 still serves 2/2."""
    (old, old_td), (new, new_td) = _td("avnz-api", 24, "v1.4.24", "true"), _td("avnz-api", 25, "v1.5.0-rc1", "false")
    dash, dash_td = _td("avnz-admin-dashboard", 9, "v2.1.9", "false")
    if failed:
        deployments = [deployment("ecs-svc/25", new, rollout="FAILED", running=0, failed=2,
                                  reason="ECS deployment circuit breaker: tasks failed to start."),
                       deployment("ecs-svc/24", old, status="ACTIVE", rollout="COMPLETED", running=2)]
        api = service("avnz-api", new, deployments, running=2)
    else:
        api = service("avnz-api", old, [deployment("ecs-svc/24", old, rollout="COMPLETED", running=2)], running=2)
    dashboard = service("avnz-admin-dashboard", dash, [deployment("ecs-svc/9", dash, rollout="COMPLETED", running=2)], running=2)
    states = tuple(service_state(raw, CLUSTER) for raw in (api, dashboard))
    return ServicesRead(states, {old: old_td, new: new_td, dash: dash_td})


def alarms_read(firing: str = "") -> AlarmsRead:
    """The plan's three alarms, all OK but `firing`, whose reason is long (it used to wrap over 7 lines)."""
    reason = "Threshold Crossed: 3 out of the last 3 datapoints [4.0 (27/11/26 20:47:00), 5.0, 6.0] were greater than the threshold (1.0)"
    return AlarmsRead(tuple(AlarmState(n, "ALARM" if n == firing else "OK", SINCE, reason if n == firing else "ok") for n in ALARMS))


def health_polls(*, redis_down: bool = False, stale: bool = False, unmeasured: bool = False,
                 recovered: bool = False) -> list[tuple[float, Poll, float | None]]:
    """Every row healthy and recent; or Redis DOWN; or every poll 30 s old (stale); or (`unmeasured`) every page's
    latency of the last 40 s set aside (cockpit too busy to time it), the pages answering all the same; or
    (`recovered`) the pages slow (1.2 s) until 81 s ago, fast since (every 10 s)."""
    at = NOW - 30 if stale else NOW - 1  # stale: two 2 s intervals and a slowest poll (8 s) have passed
    redis = Reading("redis", "redis", DOWN, reason="connection refused: 127.0.0.1:6379") if redis_down else \
        Reading("redis", "redis", HEALTHY, 0.4, detail="7.0.15 master · 3 clients · 1.1M")
    if recovered:
        return [(t, Poll("pages", tuple(Reading(f"page:{p}", p, HEALTHY, 1200.0 if t < NOW - 80 else 20.0, detail="HTTP 200")
                                        for p in PAGES)), None) for t in range(int(NOW) - 121, int(NOW), 10)] + \
            [p for p in health_polls() if p[1].backend != "pages"]
    return [
        (at, Poll("redis", (redis,), redis.reason if redis_down else ""), at + 2 if redis_down else None),
        (at, Poll("database", (Reading("database", "database", HEALTHY, 0.5, detail="PostgreSQL 15.18 · 7/100 connections"),)), None),
        (at, Poll("api", (Reading("api", "api", HEALTHY, 3.0, detail="HTTP 200"), Reading("api.redis", "api › redis", HEALTHY),
                          Reading("api.database", "api › database", HEALTHY))), None),
        *((t, Poll("pages", tuple(Reading(f"page:{p}", p, HEALTHY, 1500.0 if busy else 20.0, detail="HTTP 200", disturbed=busy)
                                  for p in PAGES)), None)
          for t, busy in (((NOW - 50, False), (NOW - 40, True), (NOW - 30, True), (NOW - 20, True), (NOW - 10, True), (at, True))
                          if unmeasured else ((at, False),))),
    ]


async def feed_world(pilot, *, failed_rollout=False, firing="", redis_down=False, stale=False, unmeasured=False, recovered=False,
                     then=None) -> None:
    """Health rows, alarms and services into a cockpit with a fake engine, then one render; `then`: a
    services failure read after them."""
    rows = (("redis", ("redis",), 2.0), ("database", ("database",), 2.0),
            ("api", ("api", "api.redis", "api.database"), 2.0), ("pages", tuple(f"page:{p}" for p in PAGES), 2.0 if stale else 10.0))
    board = board_of(pilot.app.runbook, rows, health_polls(redis_down=redis_down, stale=stale, unmeasured=unmeasured, recovered=recovered))
    await replay(pilot, world(pilot.app, NOW, board, alarms=[alarms_read(firing)], services=[services_read(failed_rollout)] + ([then] if then else [])))
    pilot.app.cockpit.render_live()
    await pilot.pause()
