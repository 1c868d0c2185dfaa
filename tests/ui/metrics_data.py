"""Fixed metrics for the metrics screen's tests and snapshots: the bundled plan's four dashboards,
as the engine would send them 47 s after a read, on the frozen clock (tests/conftest.py FIXED_NOW)."""

from __future__ import annotations

import math
from datetime import datetime

from cockpit.engine.events import MetricsFailed, MetricsRead
from cockpit.journal import Journal
from cockpit.journal.session import RunSession
from cockpit.monitor.metric_views import MetricView
from tests.conftest import FIXED_NOW, WHO

NOW = FIXED_NOW.timestamp()  # 21:00:00 UTC
READ_AT = NOW - 47
LAST_MINUTE = NOW - 240  # the newest complete minute at that read (ended 2 min or more before it): 20:56
MINUTES = 30


def minutes(values) -> tuple[tuple[float, float | None], ...]:
    """`values` (oldest first) as points, the last at LAST_MINUTE."""
    values = list(values)
    return tuple((LAST_MINUTE - 60 * (len(values) - 1 - i), v) for i, v in enumerate(values))


def wave(i: int, base: float, swing: float) -> float:
    return round(base + swing * (1 + math.sin(i / 3)) / 2, 1)


def views() -> tuple[MetricView, ...]:
    """Every kind of line: fine, a gap inside, a breach now, no requests now, and two that cannot be drawn."""
    p50 = [None if 10 <= i < 13 else wave(i, 40, 30) for i in range(MINUTES)]
    p99 = [wave(i, 180, 120) if i < MINUTES - 4 else 540 + 60 * (i - MINUTES + 4) for i in range(MINUTES)]
    errors = [0.2 if i % 7 else 1.6 for i in range(MINUTES - 3)] + [None, None, None]
    connections = [wave(i, 30, 12) for i in range(MINUTES)]
    cpu = [wave(i, 8, 6) for i in range(MINUTES)]
    return (
        MetricView("api-p50", "api", "p50 TargetResponseTime", "ms", None, minutes(p50), "no requests", p50[-1], LAST_MINUTE),
        MetricView("api-p99", "api", "p99 TargetResponseTime", "ms", 500.0, minutes(p99), "no requests", p99[-1], LAST_MINUTE),
        MetricView("errors-5xx", "errors", "5XX share of requests", "%", 1.0, minutes(errors), "no requests", 0.2, LAST_MINUTE - 180),
        MetricView("redis-conn", "redis", "CurrConnections avnz-redis", "conn", None, minutes(connections), "no data",
                   connections[-1], LAST_MINUTE),
        MetricView("redis-cpu", "redis", "EngineCPUUtilization", "%", 80.0, minutes(cpu), "no data", cpu[-1], LAST_MINUTE),
        MetricView("db-pool", "database", "Pool in use (DatabaseConnections)", "%", 80.0, (), "no data",
                   problem="pool capacity unknown: DATABASE_URL has no connection_limit"),
        MetricView("db-conn", "database", "DatabaseConnections", "conn", None, (), "no data",
                   problem="not configured: set COCKPIT_DB_INSTANCE"),
    )


def read(at: float = READ_AT) -> MetricsRead:
    """The read the screen shows."""
    return MetricsRead(views(), at)


FAILED = MetricsFailed("ThrottlingException: Rate exceeded", True, 30.0)

DEPLOY_AT = "2026-11-27T20:51:30Z"  # 8.5 minutes before the last minute: inside the window
ALARM_AT = "2026-11-27T20:56:10Z"


def journal_with_markers(state_file) -> None:
    """A run whose journal holds a deploy of the API (intent, then the service seen live) and an alarm going off."""
    from cockpit.runbook import load_runbook

    runbook = load_runbook()
    times = iter(["2026-11-27T20:40:00Z", DEPLOY_AT, "2026-11-27T20:54:00Z", ALARM_AT])  # the run's start, then each event

    def clock():
        return datetime.fromisoformat(next(times).replace("Z", "+00:00"))

    session = RunSession(Journal(state_file, clock=clock), runbook.id, runbook.version, "staging", WHO)
    what = {"workflow": "deploy-api.yml", "repository": "avnz/platform", "ref": "main", "inputs": {"environment": "staging"}}
    session.record("b-deploy-staging", "action", {"phase": "intent", "index": 0, "kind": "github_workflow", "what": what,
                                                  "environment": "staging", "who": WHO})
    session.record("service:avnz-api", "service", {"task_definition": "arn:aws:ecs:eu-west-2:1:task-definition/avnz-api:25"})
    session.record("alarm:avnz-api-5xx-errors", "alarm", {"state": "ALARM", "previous": "OK", "reason": "Threshold Crossed"})
    session.journal.close()
