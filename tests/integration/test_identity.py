"""Who cockpit acts as (STS GetCallerIdentity from moto, the resolved GitHub repository) and the identity guard:
a pinned account or repository that does not match, or a failed identity check, refuses `cockpit rollback` and the
workflow dispatch of `cockpit run` with one line, before anything is journaled or sent (the fault proxy counts every
AWS request, FakeGitHub every POST). moto's STS answers account 123456789012."""

from __future__ import annotations

from dataclasses import replace

import boto3
import pytest

from cockpit.cli import main
from cockpit.engine.commands import AskActionPlan
from cockpit.engine.events import ActionPreview, Answer, EngineEvent, IdentityRead, VerdictChanged
from cockpit.engine.local import LocalEngine
from cockpit.monitor.verdict import ERROR, WARNING
from cockpit.rollback.plan import same
from cockpit.runbook import load_runbook
from cockpit.runbook.model import Runbook
from cockpit.stack.ecs_seed import API, seed_ecs
from tests.integration.test_rollback_command import rollback_payloads, running
from tests.integration.test_run_actions import DEPLOY, actions_of, github, run, setup, slack, until  # noqa: F401

MOTO_ACCOUNT = "123456789012"
OTHER = "222222222222"


def pinned(runbook: Runbook, env: str = "staging", **pins: str) -> Runbook:
    """`runbook` with `env` pinning aws_account_id / github_repository."""
    environment = replace(runbook.environments[env], **pins)
    return replace(runbook, environments={**runbook.environments, env: environment})


def use_runbook(monkeypatch, runbook: Runbook) -> None:
    monkeypatch.setattr("cockpit.commands.context.load_runbook", lambda path: runbook)


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def engine_with(runbook: Runbook, env: str = "staging", environ=None, monotonic=None):
    batches: list[list[EngineEvent]] = []
    options = {"monotonic": monotonic} if monotonic is not None else {}
    local = LocalEngine(runbook, runbook.environments[env], None, live=False, flush_seconds=0.02,
                        environ=environ if environ is not None else {"GITHUB_REPOSITORY": "avnz/payments"}, **options)
    local.start(batches.append)
    return local, lambda: [e for b in batches for e in b]


# -- the identity read ----------------------------------------------------------------------


async def test_the_identity_is_moto_s_account_and_the_resolved_repository(aws):
    local, seen = await engine_with(load_runbook())
    try:
        checked = await local.engine.identity.read()
        await until(lambda: any(isinstance(e, IdentityRead) for e in seen()))
    finally:
        await local.stop()
    (event,) = [e for e in seen() if isinstance(e, IdentityRead)]
    assert event == checked.event
    assert event.aws_account == MOTO_ACCOUNT and event.aws_arn.startswith("arn:aws:") and MOTO_ACCOUNT in event.aws_arn
    assert event.github_repository == "avnz/payments" and event.problems == () and event.aws_configured


async def test_pins_that_do_not_match_are_one_line_problems(aws):
    runbook = pinned(load_runbook(), "production", aws_account_id=OTHER, github_repository="avnz/other")
    local, _ = await engine_with(runbook, "production")
    try:
        event = (await local.engine.identity.read()).event
    finally:
        await local.stop()
    assert event.aws_account == MOTO_ACCOUNT
    assert event.problems == (f"AWS account {MOTO_ACCOUNT} is not production's pinned {OTHER}",
                              "GitHub repository avnz/payments is not production's pinned avnz/other")


async def test_a_wrong_account_is_on_the_verdict_and_a_failed_check_is_not_known(aws, monkeypatch):
    runbook = pinned(load_runbook(), "production", aws_account_id=OTHER)
    for unreachable in (False, True):
        if unreachable:
            monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")  # nothing listens on discard
        local, seen = await engine_with(runbook, "production")
        try:
            await local.engine.identity.read()
            await until(lambda seen=seen: identity_problems(seen()) != [])
        finally:
            await local.stop()
        if unreachable:
            ((severity, text),) = identity_problems(seen())
            assert severity == WARNING and text.startswith("IDENTITY AWS identity check failed"), text
        else:
            assert identity_problems(seen()) == [(ERROR, f"IDENTITY AWS account {MOTO_ACCOUNT} is not production's pinned {OTHER}")]


def identity_problems(events) -> list[tuple[int, str]]:
    """The identity's problems on the last verdict sent ([] before one has any)."""
    verdicts = [e.verdict for e in events if isinstance(e, VerdictChanged)]
    return [(p.severity, p.text) for p in verdicts[-1].problems if p.source == "identity"] if verdicts else []


async def test_matching_pins_are_no_problem_and_repositories_compare_without_case(aws):
    runbook = pinned(load_runbook(), aws_account_id=MOTO_ACCOUNT, github_repository="AVNZ/Payments")
    local, _ = await engine_with(runbook)
    try:
        assert (await local.engine.identity.read()).event.problems == ()
    finally:
        await local.stop()


async def test_an_unreachable_sts_is_a_failed_check_saying_why(aws, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")  # nothing listens on discard; ECS still reaches moto
    local, _ = await engine_with(load_runbook())
    try:
        checked = await local.engine.identity.read()
    finally:
        await local.stop()
    (problem,) = checked.event.problems
    assert problem.startswith("AWS identity check failed: STS GetCallerIdentity: ") and "127.0.0.1:9" in problem
    assert checked.failed and checked.event.aws_account == "" and checked.aws_problems == (problem,)


async def test_no_credentials_is_a_failed_check_saying_what_to_set(aws, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    local, _ = await engine_with(load_runbook())
    try:
        (problem,) = (await local.engine.identity.read()).event.problems
    finally:
        await local.stop()
    assert problem == ("AWS identity check failed: STS GetCallerIdentity: no AWS credentials: set a profile (AWS_PROFILE) or "
                       "keys; the default chain found none")


def no_aws(runbook: Runbook, env: str = "staging") -> Runbook:
    environment = replace(runbook.environments[env], aws_region="", aws_profile="", ecs_cluster="", ecs_services=(), log_groups=())
    return replace(runbook, environments={**runbook.environments, env: environment}, alarms=(), log_queries=(), rollback_targets=())


async def test_an_environment_without_aws_is_said_and_not_read(aws_faults):
    local, _ = await engine_with(no_aws(load_runbook()))
    try:
        event = (await local.engine.identity.read()).event
    finally:
        await local.stop()
    assert event == IdentityRead(github_repository="avnz/payments", aws_configured=False)
    assert aws_faults.requests("GetCallerIdentity") == 0


async def test_a_guard_reads_again_only_when_the_last_read_is_stale_or_failed(aws_faults):
    clock = Clock()
    runbook = pinned(load_runbook(), aws_account_id=MOTO_ACCOUNT)
    local, seen = await engine_with(runbook, monotonic=clock)
    identity = local.engine.identity
    try:
        assert await identity.refuse_rollback() == "" and aws_faults.requests("GetCallerIdentity") == 1
        clock.now += 59
        assert await identity.refuse_deploy(["avnz/payments"]) == "" and aws_faults.requests("GetCallerIdentity") == 1
        clock.now += 2  # 61 s after the read: stale
        aws_faults.fail("GetCallerIdentity", "ExpiredToken", "The security token included in the request is expired")
        refused = await identity.refuse_rollback()
        assert aws_faults.requests("GetCallerIdentity") == 2
        assert refused.startswith("refused: AWS identity check failed: STS GetCallerIdentity: AWS credentials expired")
        assert refused.endswith(": no rollback started") and "\n" not in refused
        assert await identity.refuse_rollback() == ""  # a failure is never reused: read again at once, and it works
        assert aws_faults.requests("GetCallerIdentity") == 3
        await until(lambda: len([e for e in seen() if isinstance(e, IdentityRead)]) == 3)
    finally:
        await local.stop()


# -- `cockpit rollback` ---------------------------------------------------------------------


@pytest.fixture
def seeded(aws_faults):
    return seed_ecs(boto3.client("ecs"), revisions=6, inactive=(2,), dashboard_revisions=1, dashboard_inactive=(), decoy=False)


def rollback(capsys, state) -> tuple[int, str]:
    code = main(["rollback", "--env", "staging", "--service", API, "--state", str(state), "--to", "3", "--confirm", API, "--no-wait"])
    out, err = capsys.readouterr()
    return code, out + err


def test_a_pinned_account_that_does_not_match_refuses_the_rollback(capsys, monkeypatch, aws_faults, seeded, tmp_path):
    use_runbook(monkeypatch, pinned(load_runbook(), aws_account_id=OTHER))
    state = tmp_path / "journal.sqlite3"
    code, out = rollback(capsys, state)
    assert code == 1
    assert out.rstrip().splitlines()[-1] == f"refused: AWS account {MOTO_ACCOUNT} is not staging's pinned {OTHER}: no rollback started"
    assert aws_faults.requests("UpdateService") == 0 and same(running(boto3.client("ecs")), seeded.arn(API, 6))
    assert rollback_payloads(state) == []


def test_an_unreachable_sts_refuses_the_rollback(capsys, monkeypatch, aws_faults, seeded, tmp_path):
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")
    state = tmp_path / "journal.sqlite3"
    code, out = rollback(capsys, state)
    assert code == 1
    last = out.rstrip().splitlines()[-1]
    assert last.startswith("refused: AWS identity check failed: STS GetCallerIdentity: ") and last.endswith(": no rollback started")
    assert "Traceback" not in out
    assert aws_faults.requests("UpdateService") == 0 and rollback_payloads(state) == []


def test_sts_denied_refuses_the_rollback(capsys, aws_faults, seeded, tmp_path):
    aws_faults.fail("GetCallerIdentity", "InvalidClientTokenId", "The security token included in the request is invalid.")
    state = tmp_path / "journal.sqlite3"
    code, out = rollback(capsys, state)
    assert code == 1 and "refused: AWS identity check failed: STS GetCallerIdentity: InvalidClientTokenId" in out
    assert aws_faults.requests("UpdateService") == 0 and rollback_payloads(state) == []


def test_a_matching_pin_lets_the_rollback_through(capsys, monkeypatch, aws_faults, seeded, tmp_path):
    use_runbook(monkeypatch, pinned(load_runbook(), aws_account_id=MOTO_ACCOUNT))
    state = tmp_path / "journal.sqlite3"
    code, out = rollback(capsys, state)
    assert code == 0, out
    assert aws_faults.requests("GetCallerIdentity") == 1 and aws_faults.requests("UpdateService") == 1
    assert same(running(boto3.client("ecs")), seeded.arn(API, 3))
    assert [p["phase"] for p in rollback_payloads(state)] == ["intent", "started", "outcome"]


# -- `cockpit run` of a deploy ------------------------------------------------------------------


def pin_setup(setup, **pins: str) -> None:  # noqa: F811  (the fixture, by its name)
    setup.runbook = pinned(setup.runbook, **pins)


def test_a_pinned_account_that_does_not_match_refuses_the_deploy(capsys, aws_faults, setup, github):  # noqa: F811
    setup.use(b_deploy_staging=(DEPLOY,))
    pin_setup(setup, aws_account_id=OTHER)
    code, out, err = run(capsys, setup, "b-deploy-staging", "--yes")
    assert code == 1
    assert out.rstrip().splitlines()[-1] == f"refused: AWS account {MOTO_ACCOUNT} is not staging's pinned {OTHER}: nothing sent"
    assert github.posts() == [] and actions_of(setup, "b-deploy-staging") == []


def test_a_pinned_repository_that_does_not_match_refuses_the_deploy_without_reading_aws(capsys, aws_faults, setup, github):  # noqa: F811
    setup.use(b_deploy_staging=(DEPLOY,))
    pin_setup(setup, github_repository="avnz/other")
    code, out, err = run(capsys, setup, "b-deploy-staging", "--yes")
    assert code == 1
    assert out.rstrip().splitlines()[-1] == "refused: GitHub repository avnz/payments is not staging's pinned avnz/other: nothing sent"
    assert github.posts() == [] and actions_of(setup, "b-deploy-staging") == []
    assert aws_faults.requests("GetCallerIdentity") == 0  # no account pinned: nothing to check in AWS


def test_a_failed_identity_check_refuses_a_deploy_of_an_environment_that_pins_its_account(capsys, monkeypatch, aws, setup, github):  # noqa: F811
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")
    setup.use(b_deploy_staging=(DEPLOY,))
    pin_setup(setup, aws_account_id=MOTO_ACCOUNT)
    code, out, err = run(capsys, setup, "b-deploy-staging", "--yes")
    assert code == 1
    last = out.rstrip().splitlines()[-1]
    assert last.startswith("refused: AWS identity check failed: STS GetCallerIdentity: ") and last.endswith(": nothing sent")
    assert github.posts() == [] and actions_of(setup, "b-deploy-staging") == []


def test_matching_pins_let_the_deploy_through(capsys, aws_faults, setup, github):  # noqa: F811
    setup.use(b_deploy_staging=(DEPLOY,))
    pin_setup(setup, aws_account_id=MOTO_ACCOUNT, github_repository="avnz/payments")
    code, out, err = run(capsys, setup, "b-deploy-staging", "--yes")
    assert code == 0, out + err
    assert len(github.posts()) == 1 and aws_faults.requests("GetCallerIdentity") == 1
    assert [p["phase"] for p in actions_of(setup, "b-deploy-staging")] == ["intent", "outcome"]


def test_without_aws_a_deploy_is_not_refused_on_aws_grounds(capsys, monkeypatch, setup, github):  # noqa: F811
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # were STS asked, it would fail
    setup.use(b_deploy_staging=(DEPLOY,))
    setup.runbook = no_aws(setup.runbook)
    code, out, err = run(capsys, setup, "b-deploy-staging", "--yes")
    assert code == 0, out + err
    assert len(github.posts()) == 1


def test_a_slack_step_never_asks_for_the_identity(capsys, aws_faults, setup, slack):  # noqa: F811
    from tests.integration.test_run_actions import NOTIFY

    setup.use(b_navigation=(NOTIFY,))
    pin_setup(setup, aws_account_id=OTHER, github_repository="avnz/other")  # pins guard deploys and rollbacks only
    code, out, err = run(capsys, setup, "b-navigation", "--yes")
    assert code == 0, out + err
    assert len(slack.received) == 1 and aws_faults.requests("GetCallerIdentity") == 0


async def test_the_action_preview_names_the_identity_refusal(aws):
    runbook = pinned(load_runbook(), aws_account_id=OTHER)
    runbook = replace(runbook, phases=tuple(replace(p, steps=tuple(replace(s, actions=(DEPLOY,)) if s.id == "b-deploy-staging" else s
                                                                     for s in p.steps)) for p in runbook.phases))
    local, seen = await engine_with(runbook, environ={"GITHUB_REPOSITORY": "avnz/payments", "GH_TOKEN": "ghp_x"})
    try:
        local.send(AskActionPlan(7, "b-deploy-staging"))
        await until(lambda: any(isinstance(e, Answer) for e in seen()))
    finally:
        await local.stop()
    (answer,) = [e for e in seen() if isinstance(e, Answer)]
    assert isinstance(answer.value, ActionPreview)
    assert answer.value.problems == (f"AWS account {MOTO_ACCOUNT} is not staging's pinned {OTHER}",)




def test_a_dry_run_says_the_deploy_would_be_refused_by_the_pin(capsys, aws_faults, setup, github):  # noqa: F811
    setup.use(b_deploy_staging=(DEPLOY,))
    pin_setup(setup, aws_account_id=OTHER)
    code, out, err = run(capsys, setup, "b-deploy-staging", "--dry-run")
    assert code == 1
    assert out.rstrip().splitlines()[-1] == (f"Dry run: nothing sent. It would be refused: AWS account {MOTO_ACCOUNT} is not "
                                             f"staging's pinned {OTHER}")
    assert github.recorded == [] and actions_of(setup, "b-deploy-staging") == []
