"""The one verdict: every source state that matters, and the words the header shows for it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cockpit.monitor.board import RowView
from cockpit.monitor.readings import DEGRADED, DOWN, HEALTHY, NOT_CONFIGURED, UNKNOWN
from cockpit.monitor.rollout import DEPLOYING, FAILED, FAILING, MISSING, OK, ROLLING_BACK, SCALED_TO_ZERO, SHORT, service_health
from cockpit.monitor.verdict import ERROR, WARNING, AlarmsSeen, Answered, ServicesSeen, derive
from cockpit.probes.aws.alarms import NOT_FOUND, AlarmState
from cockpit.probes.aws.ecs import Deployment, ServiceState
from cockpit.runbook.model import Threshold

NOW = 100.0
TD = "arn:aws:ecs:us-east-1:1:task-definition/avnz-api:{}"
LIMIT = Threshold(id="redis-latency", metric="redis_latency", limit_ms=10.0, title="Redis latency", action="Check Redis instance")


def row(label="redis", status=HEALTHY, *, stale=False, over=0, limit=None) -> RowView:
    return RowView(key=label, label=label, status=status, last_ms=1.0, p50_ms=1.0, p99_ms=20.0 if over else 1.0, samples=5,
                   age_s=1.0, stale=stale, reason="", detail="", limit=limit, retry_in_s=None, over_limit=over)


def alarms(*states: AlarmState | None, at=NOW - 1, failure="") -> AlarmsSeen:
    names = ("avnz-api-5xx-errors", "avnz-redis-connection", "avnz-db-pool-exhausted")
    return AlarmsSeen(tuple(zip(names, states)), Answered(at, 15.0, failure))


def ok_alarms(**kw) -> AlarmsSeen:
    return alarms(*(AlarmState(n, "OK") for n in ("avnz-api-5xx-errors", "avnz-redis-connection", "avnz-db-pool-exhausted")), **kw)


def deployment(rev, status="PRIMARY", rollout="COMPLETED", running=2, desired=2, reason="") -> Deployment:
    return Deployment(id=f"d{rev}", status=status, task_definition=TD.format(rev), rollout=rollout, running=running, desired=desired, reason=reason)


def service(*deployments: Deployment, name="avnz-api", missing=False) -> ServiceState:
    primary = next((d for d in deployments if d.status == "PRIMARY"), None)
    return ServiceState(name, "avnz-payment-cluster", task_definition=primary.task_definition if primary else "",
                        desired=2, running=sum(d.running for d in deployments), deployments=deployments, missing=missing,
                        status="INACTIVE" if missing else "ACTIVE")


def services(*states: ServiceState, at=NOW - 1, failure="") -> ServicesSeen:
    return ServicesSeen(tuple(service_health(s) for s in states), Answered(at, 10.0, failure))


HEALTHY_SERVICE = service(deployment(24))


CASES = [
    # (id, health rows, alarms, services, failed checks, expected problem texts worst first, all up)
    ("all fine", [row(), row("api")], ok_alarms(), services(HEALTHY_SERVICE), [], [], True),
    ("redis down", [row(status=DOWN), row("api")], ok_alarms(), services(HEALTHY_SERVICE), [], ["redis DOWN"], False),
    ("not polled yet", [row(status=UNKNOWN)], ok_alarms(), services(HEALTHY_SERVICE), [], ["redis unknown"], False),
    ("not configured", [row(status=NOT_CONFIGURED)], None, None, [], ["redis not configured"], False),
    ("degraded", [row("api", DEGRADED)], None, None, [], ["api degraded"], False),
    ("over", [row(over=3, limit=LIMIT)], None, None, [], ["redis OVER 10 ms"], False),
    ("one outlier", [row(over=1, limit=LIMIT)], None, None, [], [], True),
    ("stale row", [row(stale=True)], None, None, [], ["redis stale"], False),
    ("alarm", [row()], alarms(AlarmState("avnz-api-5xx-errors", "OK"), AlarmState("avnz-redis-connection", "ALARM"), AlarmState("avnz-db-pool-exhausted", "OK")),
     None, [], ["ALARM avnz-redis-connection"], False),
    ("alarm missing", [row()], alarms(AlarmState("a", "OK"), AlarmState("b", NOT_FOUND), AlarmState("c", "OK")), None, [],
     ["alarm avnz-redis-connection NOT FOUND"], False),
    ("insufficient data", [row()], alarms(AlarmState("a", "OK"), AlarmState("b", "OK"), AlarmState("c", "INSUFFICIENT_DATA")), None, [],
     ["alarm avnz-db-pool-exhausted INSUFFICIENT_DATA"], False),
    ("alarms unread", [row()], ok_alarms(failure="AccessDenied"), None, [], ["ALARMS UNREAD"], False),
    ("alarms never read", [row()], alarms(None, None, None, at=None), None, [], ["alarms not read yet"], False),
    ("alarms stale", [row()], ok_alarms(at=NOW - 31), None, [], ["alarms stale"], False),
    ("alarms fresh enough", [row()], ok_alarms(at=NOW - 29), None, [], [], True),
    ("rollout failed", [row()], None, services(service(deployment(25, rollout="FAILED", running=0), deployment(24, "ACTIVE"))), [],
     ["ROLLOUT FAILED avnz-api:25"], False),
    ("circuit breaker rollback", [row()], None,
     services(service(deployment(24, rollout="IN_PROGRESS", running=1), deployment(25, "ACTIVE", "FAILED", running=0))), [],
     ["ROLLING BACK avnz-api:25 → :24"], False),
    ("deploying", [row()], None, services(service(deployment(25, rollout="IN_PROGRESS", running=1), deployment(24, "ACTIVE"))), [],
     ["deploying avnz-api:25 1/2"], False),
    ("short of tasks", [row()], None, services(service(deployment(24, running=1))), [], ["avnz-api 1/2 running"], False),
    ("service missing", [row()], None, services(service(name="avnz-admin-dashboard", missing=True)), [], ["avnz-admin-dashboard NOT FOUND"], False),
    ("ecs unread", [row()], None, services(HEALTHY_SERVICE, failure="ExpiredToken"), [], ["ECS UNREAD"], False),
    ("ecs stale", [row()], None, services(HEALTHY_SERVICE, at=NOW - 21), [], ["ECS stale"], False),
    ("ecs never read", [row()], None, services(at=None), [], ["ECS not read yet"], False),
    ("check failed", [row()], None, None, [("a-db-pool", "fail")], ["CHECK FAILED a-db-pool"], False),
    ("check inconclusive", [row()], None, None, [("post-redis-latency", "inconclusive")], ["CHECK INCONCLUSIVE post-redis-latency"], False),
    ("worst first", [row(stale=True), row("database", DOWN)],
     alarms(AlarmState("a", "OK"), AlarmState("b", "ALARM"), AlarmState("c", "OK")),
     services(service(deployment(25, rollout="FAILED", running=0), deployment(24, "ACTIVE"))), [],
     ["database DOWN", "ALARM avnz-redis-connection", "ROLLOUT FAILED avnz-api:25", "redis stale"], False),
    # many health failures do not push the other sources' failures out of a narrow line: each source's first, then more
    ("every source's worst first", [row(status=DOWN), row("database", DOWN), row("api", DOWN), row("/vendors", over=3, limit=LIMIT)],
     alarms(AlarmState("a", "OK"), AlarmState("b", "ALARM"), AlarmState("c", "OK")),
     services(service(deployment(25, rollout="FAILED", running=0), deployment(24, "ACTIVE"))), [("a-db-pool", "fail")],
     ["redis DOWN", "ALARM avnz-redis-connection", "ROLLOUT FAILED avnz-api:25", "CHECK FAILED a-db-pool",
      "database DOWN", "api DOWN", "/vendors OVER 10 ms"], False),
]


@pytest.mark.parametrize("health, alarms_seen, services_seen, checks, expected, all_up", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_verdict(health, alarms_seen, services_seen, checks, expected, all_up):
    verdict = derive(NOW, health, alarms_seen, services_seen, checks)
    assert [p.text for p in verdict.problems] == expected
    assert verdict.all_up is all_up


def test_log_tabs_that_cannot_read_are_named():
    verdict = derive(NOW, [row()], log_tabs=[("redis", "following"), ("momentum", "failing"), ("x", "throttled")])
    assert [p.text for p in verdict.problems] == ["LOGS UNREAD momentum", "logs throttled x"] and not verdict.all_up


def test_nothing_watched_is_never_all_up():
    verdict = derive(NOW)
    assert not verdict.watching and not verdict.all_up


def test_severities_rank_failures_over_unknowns():
    verdict = derive(NOW, [row(stale=True), row("database", DOWN)])
    assert [p.severity for p in verdict.problems] == [ERROR, WARNING] and verdict.worst == ERROR


@pytest.mark.parametrize("deployments, state, serving, serving_running", [
    ((deployment(24),), OK, 24, 2),
    ((deployment(25, rollout="FAILED", running=0), deployment(24, "ACTIVE")), FAILED, 24, 2),
    ((deployment(25, rollout="IN_PROGRESS", running=1), deployment(24, "ACTIVE", running=2)), DEPLOYING, 24, 2),
    ((deployment(25, rollout="IN_PROGRESS", running=2), deployment(24, "ACTIVE", running=1)), DEPLOYING, 25, 2),
    ((deployment(24, rollout="IN_PROGRESS", running=1), deployment(25, "ACTIVE", "FAILED", running=0)), ROLLING_BACK, 24, 1),
    ((deployment(25, rollout="FAILED", running=0),), FAILED, None, 0),
    ((deployment(24, running=1),), SHORT, 24, 1),
    # a deployment forward after a failure is not a rollback; a finished one's INACTIVE remains are history
    ((deployment(26, rollout="IN_PROGRESS", running=1), deployment(25, "ACTIVE", "FAILED", running=0), deployment(24, "ACTIVE")), DEPLOYING, 24, 2),
    ((deployment(24), deployment(25, "INACTIVE", "FAILED", running=0)), OK, 24, 2),
    # ECS without rollout states: a PRIMARY beside another live deployment is under way
    ((deployment(25, rollout="", running=0), deployment(24, "ACTIVE", rollout="", running=2)), DEPLOYING, 24, 2),
    ((deployment(25, rollout="IN_PROGRESS", running=0).__class__(**{**deployment(25, rollout="IN_PROGRESS", running=0).__dict__, "failed": 3}),
      deployment(24, "ACTIVE")), FAILING, 24, 2),
    ((deployment(24, running=0, desired=0),), SCALED_TO_ZERO, None, 0),
])
def test_service_health_names_the_revision_that_serves(deployments, state, serving, serving_running):
    health = service_health(service(*deployments))
    assert health.state == state
    assert health.serving == ("" if serving is None else TD.format(serving))
    assert health.serving_running == serving_running


def test_a_missing_service_says_so():
    assert service_health(service(missing=True)).state == MISSING


def test_a_service_without_deployments_serves_its_task_definition():
    state = ServiceState("avnz-api", "c", task_definition=TD.format(24), desired=2, running=2)  # CODE_DEPLOY / EXTERNAL
    health = service_health(state)
    assert health.state == OK and health.serving == TD.format(24) and health.serving_running == 2


def test_headlines_name_the_revisions():
    rolling = service_health(service(deployment(24, rollout="IN_PROGRESS", running=1), deployment(25, "ACTIVE", "FAILED", running=0)))
    assert rolling.headline == "ROLLING BACK avnz-api:25 → :24"
    short = service_health(service(deployment(25, running=1), deployment(24, "ACTIVE", rollout="COMPLETED", running=0)))
    assert short.headline == "avnz-api 1/2 running"


def test_since_is_irrelevant_to_the_verdict():
    stamped = AlarmState("avnz-redis-connection", "ALARM", since=datetime(2026, 12, 1, tzinfo=UTC), reason="x" * 500)
    verdict = derive(NOW, [row()], alarms(AlarmState("a", "OK"), stamped, AlarmState("c", "OK")))
    assert [p.text for p in verdict.problems] == ["ALARM avnz-redis-connection"]


def test_identity_problems_are_on_the_verdict_a_wrong_account_worst():
    """A cockpit pointed at the wrong AWS account shows that account's health: never all up. The identity's problem
    lines (engine/identity.py) come as (wrong, text): a pin mismatch is an error, a failed identity check an unknown."""
    found = derive(0.0, identity=((True, "AWS account 111111111111 is not production's pinned 222222222222"),
                                  (False, "AWS identity check failed: STS GetCallerIdentity: no credentials")))
    assert not found.all_up
    assert [(p.severity, p.text, p.source) for p in found.problems] == [
        (ERROR, "IDENTITY AWS account 111111111111 is not production's pinned 222222222222", "identity"),
        (WARNING, "IDENTITY AWS identity check failed: STS GetCallerIdentity: no credentials", "identity")]
    assert derive(0.0, health=[], identity=()).problems == ()


def test_events_waiting_for_the_shared_journal_are_never_all_up():
    line = "shared journal unreachable · 3 events waiting"
    found = derive(NOW, [row(status=DOWN)], ok_alarms(), journal=line)
    assert not found.all_up and found.problems[0].text == line and found.problems[0].source == "journal"  # named first
    assert found.worst == ERROR and [p.text for p in found.problems][1:] == ["redis DOWN"]
    assert derive(NOW, [row()], ok_alarms()).all_up  # the same world with nothing waiting
