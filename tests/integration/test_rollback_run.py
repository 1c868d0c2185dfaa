"""RollbackRun (cockpit/rollback/execute.py): journaled intent and outcome around update_service,
and the rollout watch, with scripted rollouts (botocore Stubber, tests/servers/ecs_rollouts.py)
and against moto (cockpit/stack/ecs_seed.py) with the AWS fault proxy in front.

Time is a fake clock that only moves when the watch waits, so a 600 s rollout takes no time.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from cockpit.journal import Journal
from cockpit.journal.progress import ROLLBACK, ROLLBACK_PREFIX
from cockpit.journal.session import RunSession
from cockpit.probes.aws.clients import AwsTarget, make_client
from cockpit.rollback.execute import COMPLETED, ECS_ROLLED_BACK, ERROR, FAILED, STARTED, TIMEOUT, Progress, RollbackRun
from cockpit.rollback.plan import RollbackPlan, same
from cockpit.stack.ecs_seed import API, seed_ecs
from tests.servers.ecs_rollouts import (
    CIRCUIT_BREAKER_REASON,
    CLUSTER,
    NEW_ID,
    ROLLBACK_ID,
    Rollout,
    deployment,
    describe_services_response,
    service,
    stub_describe_services,
    stub_recheck,
    stub_update_service,
    stubbed_ecs,
    td_arn,
)

OLD = td_arn(API, 155)  # what runs: the bad release
NEW = td_arn(API, 150)  # what the rollback goes back to


class FakeClock:
    """Seconds that pass only when the watch waits (see FakeStop)."""

    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


class FakeStop:
    """A stand-in for the watch's threading.Event: `wait` moves the clock instead of sleeping."""

    def __init__(self, clock: FakeClock, *, stop_after: int | None = None) -> None:
        self.clock = clock
        self.waits: list[float] = []
        self.stop_after = stop_after

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        self.clock.now += seconds
        return self.stop_after is not None and len(self.waits) >= self.stop_after

    def set(self) -> None:
        self.stop_after = 0

    def is_set(self) -> bool:
        return self.stop_after is not None and len(self.waits) >= self.stop_after


class Trail:
    """The journal as a list, with the ECS calls made interleaved: ('journal', phase) / ('call', Operation)."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str, str, dict[str, Any]]] = []
        self.order: list[tuple[str, str]] = []

    def record(self, step_id: str, kind: str, payload: dict[str, Any]) -> None:
        self.entries.append((step_id, kind, payload["phase"], payload))
        self.order.append(("journal", payload["phase"]))

    def watch_calls(self, client) -> None:
        def seen(model, **_kwargs):
            self.order.append(("call", model.name))

        client.meta.events.register("before-parameter-build.ecs", seen)

    @property
    def phases(self) -> list[str]:
        return [phase for _s, _k, phase, _p in self.entries]

    @property
    def outcome(self) -> dict[str, Any]:
        (last,) = [p for _s, _k, phase, p in self.entries if phase == "outcome"]
        return last


def plan(production: bool = False) -> RollbackPlan:
    return RollbackPlan("production" if production else "staging", production, CLUSTER, API, OLD, NEW)


@pytest.fixture
def rollout() -> Rollout:
    return Rollout(API, old=OLD, new=NEW)


@pytest.fixture
def stubbed():
    client, stubber = stubbed_ecs()
    with stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def make_run(client, trail: Trail, *, timeout: float = 600.0, poll: float = 5.0, stop_after: int | None = None, progress=None):
    clock = FakeClock()
    stop = FakeStop(clock, stop_after=stop_after)
    run = RollbackRun(client, plan(), trail.record, timeout=timeout, poll=poll, clock=clock, stop=stop,
                      progress=progress)  # type: ignore[arg-type]
    return run, stop


class Verify:
    """A health re-check that says `healthy` and counts its calls."""

    def __init__(self, healthy: bool = True, text: str = "3 health checks passed") -> None:
        self.healthy, self.text, self.calls = healthy, text, 0

    def __call__(self) -> tuple[bool, str]:
        self.calls += 1
        return self.healthy, self.text


# -- a rollout that completes --------------------------------------------------------------


def test_completed_rollout_then_healthy(stubbed, rollout):
    client, stubber = stubbed
    trail = Trail()
    trail.watch_calls(client)
    stub_update_service(stubber, rollout)
    stub_describe_services(stubber, rollout.completes(3))
    seen: list[Progress] = []
    run, stop = make_run(client, trail, progress=seen.append)
    verify = Verify()

    outcome = run.run(verify=verify)

    assert outcome.status == COMPLETED and outcome.ok and outcome.healthy is True
    assert outcome.deployment == NEW_ID
    assert outcome.verdict == "rolled back and healthy: 3 health checks passed"
    assert verify.calls == 1
    # intent before the call, started after it, then the watch, then the outcome
    # (the first DescribeServices re-checks the service is still on `from`, before the intent)
    assert trail.order == [("call", "DescribeServices"), ("journal", "intent"), ("call", "UpdateService"), ("journal", "started"),
                           ("call", "DescribeServices"), ("call", "DescribeServices"), ("call", "DescribeServices"),
                           ("journal", "outcome")]
    assert {(s, k) for s, k, _ph, _p in trail.entries} == {(ROLLBACK_PREFIX + API, ROLLBACK)}
    started = trail.entries[1][3]
    assert started["deployment"] == NEW_ID and started["from"] == OLD and started["to"] == NEW
    assert trail.outcome["status"] == COMPLETED and trail.outcome["healthy"] is True
    assert trail.outcome["health"] == "3 health checks passed"
    # progress: one per poll, the events newer than the update (oldest first), elapsed on the watch's clock
    assert [p.rollout for p in seen] == ["IN_PROGRESS", "IN_PROGRESS", "COMPLETED"]
    assert [p.running for p in seen] == [0, 1, 2] and {p.desired for p in seen} == {2}
    assert [p.elapsed for p in seen] == [0.0, 5.0, 10.0] and stop.waits == [5.0, 5.0]
    assert [e.id for e in seen[0].events] == ["ev-start-1"]  # after the update, before the first poll: shown too
    assert [e.id for e in seen[1].events] == ["ev-start-2"]
    assert [e.id for e in seen[2].events] == ["ev-done-3", "ev-steady-3"]


def test_completed_rollout_but_not_healthy(stubbed, rollout):
    client, stubber = stubbed
    trail = Trail()
    stub_update_service(stubber, rollout)
    stub_describe_services(stubber, rollout.completes(2))
    run, _ = make_run(client, trail)
    outcome = run.run(verify=Verify(False, "1 of 3 health checks failed: api-health: HTTP 503"))
    assert outcome.status == COMPLETED and not outcome.ok and outcome.healthy is False
    assert outcome.verdict == "rolled back and NOT healthy: 1 of 3 health checks failed: api-health: HTTP 503"
    assert trail.phases == ["intent", "started", "outcome"]
    assert trail.outcome["healthy"] is False


def test_completed_without_verify_says_so(stubbed, rollout):
    client, stubber = stubbed
    trail = Trail()
    stub_update_service(stubber, rollout)
    stub_describe_services(stubber, [rollout.completed(1)])
    run, _ = make_run(client, trail)
    outcome = run.run()
    assert outcome.status == COMPLETED and outcome.healthy is None and outcome.ok
    assert outcome.verdict.startswith("rolled back (") and "2/2 running on avnz-api:150" in outcome.verdict


def test_a_health_check_that_crashes_is_not_healthy_and_the_outcome_is_journaled(stubbed, rollout):
    """The rollout completed: whatever the re-check does, the journal gets the outcome."""
    client, stubber = stubbed
    trail = Trail()
    stub_update_service(stubber, rollout)
    stub_describe_services(stubber, [rollout.completed(1)])
    run, _ = make_run(client, trail)

    def crash() -> tuple[bool, str]:
        raise RuntimeError("event loop is closed")

    outcome = run.run(verify=crash)
    assert trail.phases == ["intent", "started", "outcome"]
    assert outcome.status == COMPLETED and outcome.healthy is False and not outcome.ok
    assert "event loop is closed" in outcome.health


@pytest.mark.parametrize("interruption", [KeyboardInterrupt(), RuntimeError("App is not running")])
def test_an_interrupted_watch_still_journals_an_outcome(stubbed, rollout, interruption):
    """Ctrl+C in `cockpit rollback`, or the TUI gone under the watch: ECS carries on, the journal says so."""
    client, stubber = stubbed
    trail = Trail()
    stub_update_service(stubber, rollout)
    stub_describe_services(stubber, rollout.stalls(1))

    def progress(_p: Progress) -> None:
        raise interruption

    run, _ = make_run(client, trail, progress=progress)
    with pytest.raises(type(interruption)):
        run.run(verify=Verify())
    assert trail.phases == ["intent", "started", "outcome"]
    assert trail.outcome["status"] == STARTED and "interrupted" in trail.outcome["reason"]
    assert trail.outcome["deployment"] == NEW_ID


# -- rollouts that do not complete -----------------------------------------------------------


def test_failed_rollout(stubbed, rollout):
    client, stubber = stubbed
    trail = Trail()
    stub_update_service(stubber, rollout)
    stub_describe_services(stubber, rollout.fails(3))
    verify = Verify()
    run, _ = make_run(client, trail)
    outcome = run.run(verify=verify)
    assert outcome.status == FAILED and not outcome.ok
    assert outcome.reason == CIRCUIT_BREAKER_REASON
    assert outcome.verdict == f"NOT rolled back (failed): {CIRCUIT_BREAKER_REASON}"
    assert verify.calls == 0
    assert trail.phases == ["intent", "started", "outcome"] and trail.outcome["status"] == FAILED


@pytest.mark.parametrize("steps", [2, 4])
def test_circuit_breaker_rollback_is_a_failure(stubbed, rollout, steps):
    """ECS put a new PRIMARY on the OLD task definition: never reported as success."""
    client, stubber = stubbed
    trail = Trail()
    stub_update_service(stubber, rollout)
    responses = rollout.rolls_back(steps)
    stub_describe_services(stubber, responses[:-1])  # the watch stops at ROLLBACK IN_PROGRESS
    verify = Verify()
    run, _ = make_run(client, trail)
    outcome = run.run(verify=verify)
    assert outcome.status == ECS_ROLLED_BACK == "rolled back by ECS"
    assert not outcome.ok and verify.calls == 0
    assert outcome.verdict.startswith("NOT rolled back (rolled back by ECS)")
    assert ROLLBACK_ID in outcome.reason and "avnz-api:155" in outcome.reason and CIRCUIT_BREAKER_REASON in outcome.reason
    assert trail.outcome["status"] == ECS_ROLLED_BACK


def test_circuit_breaker_rollback_seen_only_once_it_completed(stubbed, rollout):
    """The poll missed the rolling-back state: the ROLLBACK deployment COMPLETED on the old definition."""
    client, stubber = stubbed
    trail = Trail()
    stub_update_service(stubber, rollout)
    stub_describe_services(stubber, [rollout.in_progress(1), rollout.rolled_back(3)])
    run, _ = make_run(client, trail)
    outcome = run.run(verify=Verify())
    assert outcome.status == ECS_ROLLED_BACK and not outcome.ok
    assert "COMPLETED" not in outcome.verdict or outcome.verdict.startswith("NOT rolled back")


def test_circuit_breaker_rollback_when_update_service_did_not_report_the_deployment(stubbed, rollout):
    """No PRIMARY on the target in update_service's answer: our deployment is still found by its task definition."""
    client, stubber = stubbed
    trail = Trail()
    stub_recheck(stubber, rollout)
    stubber.add_response("update_service", {"service": rollout.before()["services"][0] | {"taskDefinition": NEW}},
                         {"cluster": CLUSTER, "service": API, "taskDefinition": NEW})
    stub_describe_services(stubber, [rollout.in_progress(1), rollout.rolling_back(2)])
    run, _ = make_run(client, trail)
    outcome = run.run(verify=Verify())
    assert trail.entries[1][3]["deployment"] == ""
    assert outcome.status == ECS_ROLLED_BACK and not outcome.ok


def test_circuit_breaker_back_to_the_same_task_definition_is_a_failure(stubbed):
    """Rolling back to the draining revision, whose deployment ECS then rolls back to as the last COMPLETED one:
    the new PRIMARY is on our very task definition, but it is not our deployment."""
    client, stubber = stubbed
    trail = Trail()
    bad, draining = td_arn(API, 155), td_arn(API, 150)
    before = [deployment("ecs-svc/BAD", bad, rollout="IN_PROGRESS", failed=3), deployment("ecs-svc/D1", draining, status="ACTIVE",
                                                                                         rollout="COMPLETED", running=2)]
    ours = deployment(NEW_ID, draining, rollout="IN_PROGRESS")
    stub_describe_services(stubber, [describe_services_response(service(API, bad, before))])  # the re-check
    stubber.add_response("update_service", {"service": service(API, draining, [ours, *before])},
                         {"cluster": CLUSTER, "service": API, "taskDefinition": draining})
    back = deployment(ROLLBACK_ID, draining, rollout="IN_PROGRESS")
    failed = deployment(NEW_ID, draining, status="ACTIVE", rollout="FAILED", reason=CIRCUIT_BREAKER_REASON, failed=4)
    stub_describe_services(stubber, [describe_services_response(service(API, draining, [ours, *before])),
                                     describe_services_response(service(API, draining, [back, failed, before[1]]))])
    run = RollbackRun(client, RollbackPlan("staging", False, CLUSTER, API, bad, draining), trail.record, timeout=30, poll=10,
                      clock=(clock := FakeClock()), stop=FakeStop(clock))  # type: ignore[arg-type]
    verify = Verify()
    outcome = run.run(verify=verify)
    assert trail.entries[1][3]["deployment"] == NEW_ID
    assert outcome.status == ECS_ROLLED_BACK and not outcome.ok and verify.calls == 0
    assert ROLLBACK_ID in outcome.reason


def test_timeout(stubbed, rollout):
    client, stubber = stubbed
    trail = Trail()
    stub_update_service(stubber, rollout)
    stub_describe_services(stubber, rollout.stalls(4))  # t = 0, 10, 20, 30
    verify = Verify()
    run, stop = make_run(client, trail, timeout=30, poll=10)
    outcome = run.run(verify=verify)
    assert outcome.status == TIMEOUT and not outcome.ok and verify.calls == 0
    assert outcome.reason == "not finished after 30 s (rollout IN_PROGRESS, 0/2 running)"
    assert stop.waits == [10, 10, 10]
    assert trail.phases == ["intent", "started", "outcome"] and trail.outcome["status"] == TIMEOUT


def test_timeout_with_a_real_event_and_clock(stubbed, rollout):
    """The defaults (monotonic clock, threading.Event) with a tiny poll: no fake needed, still fast."""
    client, stubber = stubbed
    trail = Trail()
    stub_update_service(stubber, rollout)
    for _ in range(100):  # more than 0.1 s of 0.01 s polls can use
        stubber.add_response("describe_services", rollout.in_progress(1))
    run = RollbackRun(client, plan(), trail.record, timeout=0.1, poll=0.01)
    outcome = run.run()
    assert outcome.status == TIMEOUT and trail.outcome["status"] == TIMEOUT
    stubber._queue.clear()  # noqa: SLF001 - the watch gave up before using them all, as it should


def test_transient_describe_errors_are_retried(stubbed, rollout):
    client, stubber = stubbed
    trail = Trail()
    stub_update_service(stubber, rollout)
    stubber.add_client_error("describe_services", "ThrottlingException", "Rate exceeded", http_status_code=400)
    stub_describe_services(stubber, [rollout.in_progress(1)])
    stubber.add_client_error("describe_services", "ServerException", "Service unavailable", http_status_code=500)
    stubber.add_client_error("describe_services", "ThrottlingException", "Rate exceeded", http_status_code=400)
    stub_describe_services(stubber, [rollout.completed(2)])
    seen: list[Progress] = []
    run, stop = make_run(client, trail, progress=seen.append)
    outcome = run.run(verify=Verify())
    assert outcome.status == COMPLETED and outcome.ok
    assert len(seen) == 2 and len(stop.waits) == 4


def test_a_lasting_describe_error_is_lost_sight_not_success(stubbed, rollout):
    client, stubber = stubbed
    trail = Trail()
    stub_update_service(stubber, rollout)
    stub_describe_services(stubber, [rollout.in_progress(1)])
    stubber.add_client_error("describe_services", "AccessDeniedException", "not allowed: ecs:DescribeServices", http_status_code=400)
    run, _ = make_run(client, trail)
    outcome = run.run(verify=Verify())
    assert outcome.status == ERROR and not outcome.ok
    assert outcome.reason.startswith("lost sight of the rollout") and "AccessDeniedException" in outcome.reason
    assert trail.outcome["status"] == ERROR


def test_throttled_past_the_timeout_gives_up(stubbed, rollout):
    client, stubber = stubbed
    trail = Trail()
    stub_update_service(stubber, rollout)
    for _ in range(4):  # t = 0, 10, 20, 30
        stubber.add_client_error("describe_services", "ThrottlingException", "Rate exceeded", http_status_code=400)
    run, _ = make_run(client, trail, timeout=30, poll=10)
    outcome = run.run()
    assert outcome.status == ERROR and "Rate exceeded" in outcome.reason and not outcome.ok


def test_update_service_failure_is_journaled_after_the_intent(stubbed, rollout):
    client, stubber = stubbed
    trail = Trail()
    trail.watch_calls(client)
    stub_recheck(stubber, rollout)
    stubber.add_client_error("update_service", "AccessDeniedException", "not authorized to perform ecs:UpdateService",
                             http_status_code=400, expected_params={"cluster": CLUSTER, "service": API, "taskDefinition": NEW})
    run, _ = make_run(client, trail)
    outcome = run.run(verify=Verify())
    assert outcome.status == ERROR and not outcome.ok and "ecs:UpdateService" in outcome.reason
    assert trail.order == [("call", "DescribeServices"), ("journal", "intent"), ("call", "UpdateService"), ("journal", "outcome")]
    assert trail.outcome["status"] == ERROR


def test_no_wait_starts_and_does_not_watch(stubbed, rollout):
    client, stubber = stubbed
    trail = Trail()
    stub_update_service(stubber, rollout)
    run, _ = make_run(client, trail)
    outcome = run.run(wait=False, verify=Verify())
    assert outcome.status == STARTED and outcome.ok and outcome.deployment == NEW_ID
    assert outcome.verdict == f"rollback started, not watched: deployment {NEW_ID} under way"
    assert trail.phases == ["intent", "started", "outcome"] and trail.outcome["status"] == STARTED


def test_stop_ends_the_watch_without_claiming_success(stubbed, rollout):
    client, stubber = stubbed
    trail = Trail()
    stub_update_service(stubber, rollout)
    stub_describe_services(stubber, rollout.stalls(2))
    verify = Verify()
    run, _ = make_run(client, trail, stop_after=2)
    outcome = run.run(verify=verify)
    assert outcome.status == STARTED and "stopped watching" in outcome.reason and verify.calls == 0
    assert outcome.healthy is None
    assert trail.outcome["status"] == STARTED


def test_the_journal_refusing_the_intent_means_no_update(stubbed, rollout):
    """Intent first: when it cannot be written, ECS is not touched."""
    client, stubber = stubbed
    stub_recheck(stubber, rollout)
    calls: list[str] = []
    client.meta.events.register("before-parameter-build.ecs", lambda model, **_: calls.append(model.name))

    def broken(*_args):
        raise OSError("disk full")

    run = RollbackRun(client, plan(), broken)
    with pytest.raises(OSError):
        run.run()
    assert calls == ["DescribeServices"]  # the re-check only: no UpdateService


# -- against moto, through the fault proxy -----------------------------------------------


def session_for(tmp_path) -> RunSession:
    return RunSession(Journal(tmp_path / "journal.sqlite3"), "avnz-phase-1-4", "1.0", "staging", "operator@bastion")


def moto_setup(aws_faults, tmp_path):
    ecs = make_client("ecs", AwsTarget())
    seed = seed_ecs(ecs, revisions=6, inactive=(2,), dashboard_revisions=2, dashboard_inactive=(), decoy=False,
                    services={API: 6})
    session = session_for(tmp_path)
    return ecs, seed, session


def rollback_events(session: RunSession) -> list[dict[str, Any]]:
    return [e.payload for e in session.events_after(0) if e.kind == ROLLBACK and e.step_id == ROLLBACK_PREFIX + API]


def test_moto_update_service_failing_is_journaled_intent_then_error(aws_faults, tmp_path):
    ecs, seed, session = moto_setup(aws_faults, tmp_path)
    target = seed.arn(API, 4)
    calls_at_journal: list[tuple[str, int]] = []

    def record(step_id, kind, payload):
        calls_at_journal.append((payload["phase"], aws_faults.requests("UpdateService")))
        return session.record(step_id, kind, payload)

    aws_faults.fail("UpdateService", "AccessDeniedException", "User is not authorized to perform: ecs:UpdateService")
    run = RollbackRun(ecs, RollbackPlan("staging", False, seed.cluster, API, seed.services[API], target), record)
    outcome = run.run(verify=Verify())
    assert outcome.status == ERROR and "AccessDeniedException" in outcome.reason
    assert calls_at_journal == [("intent", 0), ("outcome", 1)]  # the intent was on disk before the request
    assert [(p["phase"], p.get("status")) for p in rollback_events(session)] == [("intent", None), ("outcome", ERROR)]
    on = ecs.describe_services(cluster=seed.cluster, services=[API])["services"][0]["taskDefinition"]
    assert same(on, seed.services[API])  # nothing changed
    session.journal.close()


def test_moto_no_wait_moves_the_service_and_journals_three_phases(aws_faults, tmp_path):
    ecs, seed, session = moto_setup(aws_faults, tmp_path)
    target = seed.arn(API, 4)
    calls_at_journal: list[tuple[str, int]] = []

    def record(step_id, kind, payload):
        calls_at_journal.append((payload["phase"], aws_faults.requests("UpdateService")))
        return session.record(step_id, kind, payload)

    run = RollbackRun(ecs, RollbackPlan("staging", False, seed.cluster, API, seed.services[API], target), record)
    outcome = run.run(wait=False)
    assert outcome.status == STARTED and outcome.ok
    assert calls_at_journal == [("intent", 0), ("started", 1), ("outcome", 1)]
    assert aws_faults.request_bodies("UpdateService")[0]["taskDefinition"] == target
    on = ecs.describe_services(cluster=seed.cluster, services=[API])["services"][0]["taskDefinition"]
    assert same(on, target)
    payloads = rollback_events(session)
    assert [p["phase"] for p in payloads] == ["intent", "started", "outcome"]
    blob = repr(payloads)
    for value in seed.never_shown:
        assert value not in blob
    session.journal.close()


def test_moto_rollout_never_completes_is_a_timeout_not_success(aws_faults, tmp_path):
    """moto leaves the rollout IN_PROGRESS on the old definition: the watch times out honestly."""
    ecs, seed, session = moto_setup(aws_faults, tmp_path)
    run = RollbackRun(ecs, RollbackPlan("staging", False, seed.cluster, API, seed.services[API], seed.arn(API, 4)),
                      session.record, timeout=0.15, poll=0.03)
    verify = Verify()
    outcome = run.run(verify=verify)
    assert outcome.status == TIMEOUT and not outcome.ok and verify.calls == 0
    assert aws_faults.requests("DescribeServices") >= 2
    assert [p["phase"] for p in rollback_events(session)][-1] == "outcome"
    session.journal.close()


def test_moto_describe_throttled_then_fine(aws_faults, tmp_path):
    ecs, seed, session = moto_setup(aws_faults, tmp_path)
    aws_faults.fail("DescribeServices", "ThrottlingException", "Rate exceeded", times=2)
    stop = threading.Event()
    seen: list[Progress] = []

    def progress(p: Progress) -> None:
        seen.append(p)
        stop.set()  # one successful look is enough: then stop watching

    run = RollbackRun(ecs, RollbackPlan("staging", False, seed.cluster, API, seed.services[API], seed.arn(API, 4)),
                      session.record, timeout=5, poll=0.01, progress=progress, stop=stop)
    outcome = run.run()
    assert aws_faults.requests("DescribeServices") == 4 and len(seen) == 1  # the re-check, two throttled, one seen
    assert outcome.status == STARTED and "stopped watching" in outcome.reason
    session.journal.close()
