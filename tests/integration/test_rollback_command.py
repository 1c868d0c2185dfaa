"""`cockpit rollback` end to end against moto: plan and diff, guards, exit codes, journal.

The command reads AWS from the environment the `aws` fixture sets. moto's rollouts never
complete, so the watched runs either time out (honestly) or follow a scripted rollout
(tests/servers/ecs_stub_extra.py) with the health re-check against real servers.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from cockpit.cli import main
from cockpit.journal import Journal
from cockpit.journal.progress import ROLLBACK, ROLLBACK_PREFIX, SERVICE, SERVICE_PREFIX
from cockpit.journal.session import RunSession
from cockpit.rollback.plan import same
from cockpit.runbook import load_runbook
from cockpit.stack.ecs_seed import API, DASHBOARD, NODE_ENV, seed_ecs
from tests.servers.ecs_rollouts import Rollout
from tests.servers.ecs_stub_extra import ScriptedRollout

REVISIONS = 6  # STRIPE_LEGACY_KEY gone from 4, command, memory and REDIS_TOKEN_BLACKLIST from 5 (api_changes)
RUNBOOK = load_runbook()


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def ecs(aws):
    return boto3.client("ecs")


@pytest.fixture
def seed(ecs):
    return seed_ecs(ecs, revisions=REVISIONS, inactive=(2,), dashboard_revisions=1, dashboard_inactive=(), decoy=False)


@pytest.fixture
def state(tmp_path):
    return tmp_path / "journal.sqlite3"


def running(ecs, service: str = API) -> str:
    return ecs.describe_services(cluster="avnz-payment-cluster", services=[service])["services"][0]["taskDefinition"]


def events(state, env: str = "staging") -> list[Any]:
    if not state.exists():
        return []
    journal = Journal(state, read_only=True)
    try:
        return RunSession(journal, RUNBOOK.id, RUNBOOK.version, env, "reader").events_after(0)
    finally:
        journal.close()


def rollback_payloads(state, env: str = "staging", service: str = API) -> list[dict[str, Any]]:
    return [e.payload for e in events(state, env) if e.kind == ROLLBACK and e.step_id == ROLLBACK_PREFIX + service]


def assert_nothing_shown(seed, *texts: str, allow: tuple[str, ...] = ()) -> None:
    blob = "\n".join(texts)
    for value in seed.never_shown:
        if value not in allow:
            assert value not in blob, f"{value!r} was shown"


def rollback(capsys, state, *extra: str, env: str = "staging", service: str = API) -> tuple[int, str, str]:
    return run(capsys, "rollback", "--env", env, "--service", service, "--state", str(state), *extra)


# -- what the picker reads ---------------------------------------------------------------


def test_candidates_newest_first_with_status_and_what_runs(aws):
    """155 revisions (5 INACTIVE), the service on 151: the picker's list and preselection, from moto."""
    from cockpit.probes.aws.clients import AwsTarget, make_client
    from cockpit.rollback.candidates import load_candidates

    client = make_client("ecs", AwsTarget())
    seed = seed_ecs(client, services={API: 151, DASHBOARD: None})
    found = load_candidates(client, RUNBOOK, RUNBOOK.environments["staging"], API)
    assert [r.revision for r in found.revisions] == list(range(155, 0, -1))  # moto lists oldest first: the order is ours
    assert [(r.revision, r.arn, r.status) for r in found.revisions] == seed.listing(API)
    assert {r.revision for r in found.revisions if r.status == "INACTIVE"} == {3, 17, 42, 99, 150}
    assert found.family == API and found.current == seed.arn(API, 151)
    assert found.choice is not None and found.choice.guess and found.choice.arn == seed.arn(API, 149)  # 150 is INACTIVE
    seen = load_candidates(client, RUNBOOK, RUNBOOK.environments["staging"], API, [seed.arn(API, 140), seed.arn(API, 151)])
    assert seen.choice is not None and seen.choice.arn == seed.arn(API, 140) and not seen.choice.guess


# -- the plan and the diff ------------------------------------------------------------------


def test_dry_run_prints_plan_and_diff_and_changes_nothing(capsys, ecs, seed, state):
    code, out, err = rollback(capsys, state, "--to", "3", "--dry-run")
    assert code == 0, out + err
    assert "Rollback plan:" in out
    assert "environment  staging" in out and "service      avnz-api" in out
    assert f"from         {seed.arn(API, 6)}" in out and f"to           {seed.arn(API, 3)}" in out
    assert "ecs update-service --cluster avnz-payment-cluster --service avnz-api --task-definition avnz-api:3" in out
    assert "Changes from avnz-api:6 to avnz-api:3:" in out
    for line in ("api image", "v1.4.6", "v1.4.3", "task memory: 2048 → 1024", "api memory: 2048 → 1024",
                 "api command: node --enable-source-maps dist/main.js → node dist/main.js",
                 "api env: − REDIS_TOKEN_BLACKLIST", "api secret: + STRIPE_LEGACY_KEY"):
        assert line in out
    assert out.rstrip().endswith("Dry run: nothing changed.")
    assert same(running(ecs), seed.arn(API, 6))
    assert rollback_payloads(state) == []
    assert_nothing_shown(seed, out, err)


def test_default_target_without_a_record_is_a_marked_guess(capsys, ecs, seed, state):
    code, out, _ = rollback(capsys, state, "--dry-run")
    assert code == 0
    assert f"to           {seed.arn(API, 5)}" in out
    assert "why          no record of what ran before" in out and "guess" in out


def test_default_target_is_what_the_journal_saw_run_before(capsys, ecs, seed, state):
    """Not N-1: the journal saw 3 fully rolled out before 6."""
    journal = Journal(state)
    session = RunSession(journal, RUNBOOK.id, RUNBOOK.version, "staging", "poller@bastion")
    for revision in (1, 3, 6):
        session.record(SERVICE_PREFIX + API, SERVICE, {"task_definition": seed.arn(API, revision)})
    journal.close()
    code, out, _ = rollback(capsys, state, "--dry-run")
    assert code == 0
    assert f"to           {seed.arn(API, 3)}" in out
    assert "why          ran before the current deployment (recorded in the journal)" in out


def test_read_only_plans_from_the_journal_too(capsys, ecs, seed, state):
    """--read-only reads the journal: its plan is the one a writable cockpit would carry out."""
    journal = Journal(state)
    session = RunSession(journal, RUNBOOK.id, RUNBOOK.version, "staging", "poller@bastion")
    for revision in (1, 3, 6):
        session.record(SERVICE_PREFIX + API, SERVICE, {"task_definition": seed.arn(API, revision)})
    journal.close()
    before = events(state)
    code, out, _ = rollback(capsys, state, "--dry-run", "--read-only")
    assert code == 0
    assert f"to           {seed.arn(API, 3)}" in out and "(recorded in the journal)" in out
    assert events(state) == before


def test_unknown_revision_is_bad_input(capsys, ecs, seed, state):
    code, out, err = rollback(capsys, state, "--to", "99", "--confirm", "avnz-api")
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("cockpit: --to 99: no revision 99 of avnz-api (newest: 6)")
    assert same(running(ecs), seed.arn(API, 6)) and rollback_payloads(state) == []


def test_unknown_service_is_bad_input(capsys, ecs, seed, state):
    code, out, err = rollback(capsys, state, "--confirm", "avnz-billing", service="avnz-billing")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("cockpit: --service avnz-billing: not a service of staging")


def test_unknown_environment_is_bad_input(capsys, ecs, seed, state):
    code, _, err = rollback(capsys, state, env="qa")
    assert code == 2 and err.count("\n") == 1 and "unknown environment 'qa'" in err


@pytest.mark.parametrize("timeout", ["0", "-5"])
def test_nonpositive_timeout_is_bad_input(capsys, ecs, seed, state, timeout):
    code, _, err = rollback(capsys, state, "--timeout", timeout, "--confirm", "avnz-api")
    assert code == 2 and err.count("\n") == 1
    assert same(running(ecs), seed.arn(API, 6))


def test_service_of_the_runbook_missing_in_the_cluster(capsys, aws, state):
    client = boto3.client("ecs")
    seed_ecs(client, revisions=3, dashboard_revisions=1, dashboard_inactive=(), decoy=False, services={API: 3})
    code, out, _ = rollback(capsys, state, "--confirm", DASHBOARD, service=DASHBOARD)
    assert code == 1
    assert "service avnz-admin-dashboard not found in cluster avnz-payment-cluster" in out
    assert rollback_payloads(state, service=DASHBOARD) == []


# -- the guards -----------------------------------------------------------------------------


@pytest.mark.parametrize("confirm", [None, "avnz-admin-dashboard", "staging/avnz-api", "avnz"])
def test_without_the_right_confirmation_nothing_changes(capsys, ecs, seed, state, confirm):
    code, out, err = rollback(capsys, state, "--to", "3", *(("--confirm", confirm) if confirm is not None else ()))
    assert code == 1
    assert "refused: the confirmation must be exactly 'avnz-api'" in out
    assert "Rollback plan:" in out  # what it would have done is shown
    assert same(running(ecs), seed.arn(API, 6))
    assert rollback_payloads(state) == []
    assert_nothing_shown(seed, out, err)


@pytest.mark.parametrize("where", ["verb", "global"])
def test_read_only_refuses_and_journals_nothing(capsys, ecs, seed, state, where):
    RunSession(Journal(state), RUNBOOK.id, RUNBOOK.version, "staging", "op").record("a-redis-ping", "note", {"text": "x"})
    before = events(state)
    argv = ["rollback", "--env", "staging", "--service", API, "--state", str(state), "--to", "3", "--confirm", "avnz-api"]
    argv = [*argv, "--read-only"] if where == "verb" else ["--read-only", *argv]
    code, out, err = run(capsys, *argv)
    assert code == 1
    assert "read-only" in out + err
    assert same(running(ecs), seed.arn(API, 6))
    assert events(state) == before


def test_read_only_without_a_journal_creates_none(capsys, ecs, seed, state):
    code, out, err = rollback(capsys, state, "--to", "3", "--confirm", "avnz-api", "--read-only")
    assert code == 1 and "read-only" in out + err
    assert not state.exists()
    assert same(running(ecs), seed.arn(API, 6))


def test_already_on_the_target_is_refused(capsys, ecs, seed, state):
    code, out, _ = rollback(capsys, state, "--to", "6", "--confirm", "avnz-api")
    assert code == 1 and "refused: avnz-api already runs avnz-api:6" in out
    assert rollback_payloads(state) == []


# -- running it -----------------------------------------------------------------------------


def test_confirmed_no_wait_rolls_back_and_journals_before_and_after(capsys, ecs, seed, state):
    code, out, err = rollback(capsys, state, "--to", "3", "--confirm", "avnz-api", "--no-wait")
    assert code == 0, out + err
    assert "rollback started, not watched" in out
    assert same(running(ecs), seed.arn(API, 3))
    payloads = rollback_payloads(state)
    assert [p["phase"] for p in payloads] == ["intent", "started", "outcome"]
    assert all(p["from"] == seed.arn(API, 6) and p["to"] == seed.arn(API, 3) and p["environment"] == "staging" for p in payloads)
    assert payloads[-1]["status"] == "started"
    rows = [e for e in events(state) if e.kind == ROLLBACK]
    assert [e.id for e in rows] == sorted(e.id for e in rows)
    assert_nothing_shown(seed, out, err, repr(payloads))


def test_confirmation_with_surrounding_spaces_is_accepted(capsys, ecs, seed, state):
    code, _, _ = rollback(capsys, state, "--to", "3", "--confirm", " avnz-api ", "--no-wait")
    assert code == 0 and same(running(ecs), seed.arn(API, 3))


def test_production_needs_production_slash_service(capsys, ecs, seed, state):
    code, out, _ = rollback(capsys, state, "--to", "3", "--confirm", "avnz-api", "--no-wait", env="production")
    assert code == 1 and "refused: the confirmation must be exactly 'production/avnz-api'" in out
    assert "environment  production (PRODUCTION)" in out
    assert same(running(ecs), seed.arn(API, 6)) and rollback_payloads(state, "production") == []
    code, out, err = rollback(capsys, state, "--to", "3", "--confirm", "production/avnz-api", "--no-wait", env="production")
    assert code == 0, out + err
    assert same(running(ecs), seed.arn(API, 3))
    assert [p["phase"] for p in rollback_payloads(state, "production")] == ["intent", "started", "outcome"]
    assert_nothing_shown(seed, out, err, allow=(NODE_ENV,))  # NODE_ENV's value is the environment's name


def test_watched_rollout_that_never_completes_times_out_with_exit_1(capsys, ecs, seed, state):
    """moto keeps the rollout IN_PROGRESS: a timeout, journaled, never called a success."""
    code, out, err = rollback(capsys, state, "--to", "3", "--confirm", "avnz-api", "--timeout", "0.2", "--poll", "0.05")
    assert code == 1
    assert "NOT rolled back (timeout)" in out
    assert "no deployment of the target seen" in out  # moto starts none (cockpit/stack/ecs_seed.py)
    payloads = rollback_payloads(state)
    assert [p["phase"] for p in payloads] == ["intent", "started", "outcome"] and payloads[-1]["status"] == "timeout"


def test_update_service_refused_by_aws_is_exit_1_and_journaled(capsys, aws_faults, state):
    seed = seed_ecs(boto3.client("ecs"), revisions=REVISIONS, inactive=(2,), dashboard_revisions=1, dashboard_inactive=(), decoy=False)
    aws_faults.fail("UpdateService", "AccessDeniedException", "User: arn:aws:iam::123456789012:user/op is not authorized to perform: ecs:UpdateService")
    code, out, err = rollback(capsys, state, "--to", "3", "--confirm", "avnz-api", "--no-wait")
    assert code == 1
    assert "NOT rolled back (error)" in out and "AccessDeniedException" in out
    assert aws_faults.requests("UpdateService") == 1
    payloads = rollback_payloads(state)
    assert [(p["phase"], p.get("status")) for p in payloads] == [("intent", None), ("outcome", "error")]
    assert same(running(boto3.client("ecs")), seed.arn(API, 6))


def test_ecs_unreachable_is_exit_1_one_line(capsys, aws, state, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens on discard
    code, out, err = rollback(capsys, state, "--to", "3", "--confirm", "avnz-api")
    assert code == 1
    assert out.startswith("cockpit: ") and out.count("\n") == 1
    assert "Traceback" not in out + err
    assert rollback_payloads(state) == []


# -- a scripted rollout, then the health re-check against real servers ---------------------


@pytest.fixture
def healthy_env(monkeypatch, fake_api, redis_server):
    monkeypatch.setenv("COCKPIT_API_URL", fake_api.url)
    monkeypatch.setenv("COCKPIT_APP_URL", fake_api.url)
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    return fake_api


def scripted(monkeypatch, ecs, seed, script_for) -> ScriptedRollout:
    rollout = Rollout(API, old=seed.arn(API, 6), new=seed.arn(API, 3), step=1)
    client = ScriptedRollout(ecs, script_for(rollout))
    monkeypatch.setattr("cockpit.commands.rollback.ecs_client", lambda ctx: client)
    return client


def test_completed_rollout_and_healthy_is_exit_0(capsys, monkeypatch, ecs, seed, state, healthy_env):
    client = scripted(monkeypatch, ecs, seed, lambda r: r.completes(3))
    code, out, err = rollback(capsys, state, "--to", "3", "--confirm", "avnz-api", "--poll", "0.01")
    assert code == 0, out + err
    assert "rolled back and healthy" in out
    assert "rollout COMPLETED" in out and "deployment completed" in out  # progress lines and ECS's events
    assert client.calls.index("update_service") < client.calls.index("describe_services", client.calls.index("update_service"))
    payloads = rollback_payloads(state)
    assert [p["phase"] for p in payloads] == ["intent", "started", "outcome"]
    assert payloads[-1]["status"] == "completed" and payloads[-1]["healthy"] is True
    assert_nothing_shown(seed, out, err, repr(payloads))


def test_completed_rollout_but_unhealthy_is_exit_1(capsys, monkeypatch, ecs, seed, state, healthy_env):
    healthy_env.health_mode = "error503"
    scripted(monkeypatch, ecs, seed, lambda r: r.completes(2))
    code, out, _ = rollback(capsys, state, "--to", "3", "--confirm", "avnz-api", "--poll", "0.01")
    assert code == 1
    assert "rolled back and NOT healthy" in out and "health checks failed" in out
    assert rollback_payloads(state)[-1]["healthy"] is False


def test_circuit_breaker_rollback_is_exit_1(capsys, monkeypatch, ecs, seed, state, healthy_env):
    scripted(monkeypatch, ecs, seed, lambda r: r.rolls_back(4))
    code, out, _ = rollback(capsys, state, "--to", "3", "--confirm", "avnz-api", "--poll", "0.01")
    assert code == 1
    assert "NOT rolled back (rolled back by ECS)" in out
    assert "healthy" not in out.splitlines()[-1]
    assert rollback_payloads(state)[-1]["status"] == "rolled back by ECS"


def test_failed_rollout_is_exit_1(capsys, monkeypatch, ecs, seed, state):
    scripted(monkeypatch, ecs, seed, lambda r: r.fails(2))
    code, out, _ = rollback(capsys, state, "--to", "3", "--confirm", "avnz-api", "--poll", "0.01")
    assert code == 1 and "NOT rolled back (failed)" in out
    assert rollback_payloads(state)[-1]["status"] == "failed"

