"""A deploy's follow-up into ECS: after the workflow's run succeeded the step waits for the ECS deployment it caused.

Real HTTP to FakeGitHub, a real SQLite journal, the engine's own loop (LocalEngine) and `cockpit run`. ECS is
botocore's Stubber with scripted rollouts (moto never moves a deployment: DESIGN, Testing) or moto itself where
nothing has to move (no new deployment appears). The scripted deployment is created after the dispatch (`t0` in
the future), the service's older one two days before it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from cockpit.cli import main
from cockpit.engine.commands import RunActions, StopAction
from cockpit.engine.events import ActionEnded, ActionProgress, DeployRollout, EngineEvent
from cockpit.engine.local import LocalEngine
from cockpit.journal import Journal
from cockpit.journal.progress import ACTION, TICK
from cockpit.journal.session import RunSession
from cockpit.runbook import load_runbook
from cockpit.runbook.model import Action, EcsSettings, Runbook
from cockpit.stack.ecs_seed import seed_ecs
from cockpit.stack.fake_github import FakeGitHub
from tests.integration.test_run_actions import TOKEN, until, with_actions
from tests.servers.ecs_rollouts import NEW_ID, Rollout, stub_describe_services, stubbed_ecs, td_arn

API_DEPLOY = Action("github_workflow", workflow="deploy-api.yml", inputs=(("environment", "staging"),), service="avnz-api")


@pytest.fixture
def github(monkeypatch):
    gh = FakeGitHub(token=TOKEN).start()
    gh.advance_per_poll = True
    monkeypatch.setenv("GH_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_REPOSITORY", "avnz/payments")
    monkeypatch.setenv("GITHUB_API_URL", gh.url)
    yield gh
    gh.stop()


def runbook_for(tmp_path, timeout: float = 10.0, **steps: tuple[Action, ...]) -> Runbook:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    rb = with_actions(load_runbook(), work, **steps)
    return replace(rb, ecs=EcsSettings(interval_seconds=10, rollout_timeout_seconds=timeout, rollout_poll_seconds=0.02))


def rollout(service: str = "avnz-api") -> Rollout:
    """avnz-api moving from :24 to :25, its new deployment created a minute after now (so after the dispatch)."""
    return Rollout(service, old=td_arn(service, 24), new=td_arn(service, 25), t0=datetime.now(UTC) + timedelta(minutes=1))


class Run:
    """One LocalEngine on a journal in tmp_path; `events()` is everything it emitted."""

    def __init__(self, tmp_path, rb: Runbook, ecs: Any, env: str = "staging") -> None:
        self.rb = rb
        self.journal = Journal(tmp_path / "journal.sqlite3")
        self.session = RunSession(self.journal, rb.id, rb.version, env, "op@bastion")
        self.batches: list[list[EngineEvent]] = []
        environment = rb.environments[env]
        self.local = LocalEngine(rb, environment, self.session, live=False, flush_seconds=0.02, ecs=lambda: ecs)

    def events(self, kind: type | None = None) -> list[Any]:
        return [e for b in self.batches for e in b if kind is None or isinstance(e, kind)]

    async def step(self, step_id: str, stop_when=None) -> ActionEnded:
        self.local.start(self.batches.append)
        try:
            self.local.send(RunActions(step_id))
            if stop_when is not None:
                await until(lambda: any(stop_when(e) for e in self.events()))
                self.local.send(StopAction(step_id))
            await until(lambda: bool(self.events(ActionEnded)))
        finally:
            await self.local.stop()
            self.journal.close()
        (ended,) = self.events(ActionEnded)
        return ended

    def journaled(self, step_id: str, kind: str) -> list[dict[str, Any]]:
        journal = Journal(self.journal.path, read_only=True)
        try:
            found = RunSession(journal, self.rb.id, self.rb.version, "staging", "reader").events_after(0)
            return [e.payload for e in found if e.kind == kind and e.step_id == step_id]
        finally:
            journal.close()


async def test_a_successful_run_waits_for_its_deployment_to_complete_then_passes(tmp_path, github):
    client, stubber = stubbed_ecs()
    move = rollout()
    stub_describe_services(stubber, [move.before(), *move.completes(3)])  # nothing new yet, IN_PROGRESS x2, COMPLETED
    run = Run(tmp_path, runbook_for(tmp_path, b_deploy_staging=(API_DEPLOY,)), client)
    with stubber:
        ended = await run.step("b-deploy-staging")
    stubber.assert_no_pending_responses()
    assert ended.ok and not ended.unknown, ended.evidence
    (run_id,) = github.runs
    assert f"https://github.example/o/r/actions/runs/{run_id}" in ended.evidence
    assert f"avnz-api deployment {NEW_ID} COMPLETED, 2/2 running on avnz-api:25" in ended.evidence
    marks = run.events(DeployRollout)
    assert [(m.deployment_id, m.state) for m in marks] == [("", "UNKNOWN"), (NEW_ID, "IN_PROGRESS"), (NEW_ID, "COMPLETED")]
    assert all(m.step_id == "b-deploy-staging" and m.service == "avnz-api" for m in marks)
    assert "waiting for a new ECS deployment (created since" in marks[0].text and "1/2 running" not in marks[0].text
    lines = [e.text for e in run.events(ActionProgress)]
    assert any(line.startswith(f"rollout of avnz-api: {NEW_ID} IN_PROGRESS") for line in lines), lines
    outcome = run.journaled("b-deploy-staging", ACTION)[-1]
    assert outcome["ok"] is True and outcome["deployment_id"] == NEW_ID and outcome["rollout_state"] == "COMPLETED"
    assert outcome["conclusion"] == "success" and outcome["service"] == "avnz-api"
    (tick,) = run.journaled("b-deploy-staging", TICK)
    assert NEW_ID in tick["evidence"] and "success" in tick["evidence"]


async def test_a_failed_rollout_fails_the_step_with_ecs_events(tmp_path, github):
    client, stubber = stubbed_ecs()
    move = rollout()
    stub_describe_services(stubber, move.fails(3))
    run = Run(tmp_path, runbook_for(tmp_path, b_deploy_staging=(API_DEPLOY,)), client)
    with stubber:
        ended = await run.step("b-deploy-staging")
    assert not ended.ok and not ended.unknown
    assert f"avnz-api deployment {NEW_ID} FAILED: ECS deployment circuit breaker: tasks failed to start." in ended.evidence
    assert f"ECS events: (service avnz-api) (deployment {NEW_ID}) deployment failed: tasks failed to start." in ended.evidence
    assert run.events(DeployRollout)[-1].state == "FAILED"
    outcome = run.journaled("b-deploy-staging", ACTION)[-1]
    assert outcome["ok"] is False and outcome["rollout_state"] == "FAILED" and outcome["deployment_id"] == NEW_ID
    assert "deployment failed" in outcome["rollout_events"][0]
    assert run.journaled("b-deploy-staging", TICK) == []


async def test_the_next_action_waits_for_the_first_deploys_rollout(tmp_path, github):
    """Both services of b-deploy-staging: the dashboard's dispatch goes out only once the API's rollout completed."""
    client, stubber = stubbed_ecs()
    api, dashboard = rollout(), rollout("avnz-admin-dashboard")
    stub_describe_services(stubber, api.completes(2))
    stub_describe_services(stubber, dashboard.completes(2))
    board = replace(API_DEPLOY, workflow="deploy-admin-dashboard.yml", service="avnz-admin-dashboard")
    run = Run(tmp_path, runbook_for(tmp_path, b_deploy_staging=(API_DEPLOY, board)), client)
    with stubber:
        ended = await run.step("b-deploy-staging")
    assert ended.ok, ended.evidence
    assert [m.service for m in run.events(DeployRollout) if m.state == "COMPLETED"] == ["avnz-api", "avnz-admin-dashboard"]
    assert [p.body["inputs"] for p in github.posts()] == [{"environment": "staging"}] * 2


def seeded_moto(aws) -> Any:
    client = boto3.client("ecs")
    seed_ecs(client, revisions=3, inactive=(), dashboard_revisions=2, dashboard_inactive=(), decoy=False)
    return client


async def test_no_new_deployment_within_the_timeout_fails_and_says_since_when(tmp_path, github, aws):
    client = seeded_moto(aws)  # the services' deployments were made before the dispatch
    run = Run(tmp_path, runbook_for(tmp_path, timeout=0.5, b_deploy_staging=(API_DEPLOY,)), client)
    ended = await run.step("b-deploy-staging")
    assert not ended.ok and not ended.unknown
    assert "the run succeeded but no ECS deployment of avnz-api appeared since " in ended.evidence
    assert ended.evidence.rstrip().endswith("UTC (waited 0.5 s)")
    assert run.events(DeployRollout)[-1].state == "UNKNOWN" and "no deployment appeared" in run.events(DeployRollout)[-1].text
    outcome = run.journaled("b-deploy-staging", ACTION)[-1]
    assert outcome["rollout_state"] == "none" and outcome["deployment_id"] == ""


async def test_a_stop_while_following_leaves_the_outcome_unknown(tmp_path, github, aws):
    client = seeded_moto(aws)
    run = Run(tmp_path, runbook_for(tmp_path, timeout=60, b_deploy_staging=(API_DEPLOY,)), client)
    ended = await run.step("b-deploy-staging", stop_when=lambda e: isinstance(e, DeployRollout))
    assert not ended.ok and ended.unknown
    assert "stopped following the rollout of avnz-api" in ended.evidence and "its outcome is unknown" in ended.evidence
    assert run.events(DeployRollout)[-1].state == "UNKNOWN"
    assert run.journaled("b-deploy-staging", ACTION)[-1]["watched"] == "stopped"


async def test_without_ecs_settings_the_evidence_says_the_rollout_was_not_followed(tmp_path, github):
    rb = runbook_for(tmp_path, b_deploy_staging=(API_DEPLOY,))
    rb = replace(rb, environments={**rb.environments, "staging": replace(rb.environments["staging"], ecs_cluster="")})
    client, stubber = stubbed_ecs()  # no response queued: any ECS call would fail the test
    run = Run(tmp_path, rb, client)
    with stubber:
        ended = await run.step("b-deploy-staging")
    assert ended.ok
    assert "rollout of avnz-api not followed: environment staging has no ecs_cluster" in ended.evidence
    assert "COMPLETED" not in ended.evidence and run.events(DeployRollout) == []
    assert run.journaled("b-deploy-staging", ACTION)[-1]["rollout_state"] == "not followed"


def test_cockpit_run_follows_the_rollout_and_prints_it(capsys, monkeypatch, tmp_path, github):
    client, stubber = stubbed_ecs()
    move = rollout()
    stub_describe_services(stubber, move.completes(3))
    rb = runbook_for(tmp_path, b_deploy_staging=(API_DEPLOY,))
    monkeypatch.setattr("cockpit.commands.context.load_runbook", lambda path: rb)
    real = LocalEngine
    monkeypatch.setattr("cockpit.commands.run.LocalEngine", lambda *a, **kw: real(*a, **kw, ecs=lambda: client))
    with stubber:
        code = main(["run", "b-deploy-staging", "--env", "staging", "--yes", "--state", str(tmp_path / "j.sqlite3")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "then wait for avnz-api's new ECS deployment to complete" in out  # the plan says so before anything is sent
    assert f"rollout of avnz-api: {NEW_ID} IN_PROGRESS" in out and f"{NEW_ID} COMPLETED" in out.rstrip().splitlines()[-1]
    assert TOKEN not in out


async def test_ecs_that_cannot_be_reached_leaves_the_outcome_unknown_and_says_why(tmp_path, github):
    from botocore.exceptions import NoRegionError

    class NoRegion:
        def describe_services(self, **_kwargs):
            raise NoRegionError()

    run = Run(tmp_path, runbook_for(tmp_path, b_deploy_staging=(API_DEPLOY,)), NoRegion())
    ended = await run.step("b-deploy-staging")
    assert not ended.ok and ended.unknown
    assert "the run succeeded; the rollout of avnz-api could not be read: services of avnz-payment-cluster: no AWS region" in ended.evidence
    assert "region" in ended.evidence.lower() and "COMPLETED" not in ended.evidence
    assert run.events(DeployRollout)[-1].state == "UNKNOWN" and run.journaled("b-deploy-staging", TICK) == []


async def test_a_throttled_read_is_tried_again_and_access_denied_is_not(tmp_path, github, aws_faults):
    from botocore.config import Config

    seed_ecs(boto3.client("ecs"), revisions=3, inactive=(), dashboard_revisions=2, dashboard_inactive=(), decoy=False)
    client = boto3.client("ecs", config=Config(retries={"total_max_attempts": 1}))  # through the fault proxy, each fault seen once
    aws_faults.fail("DescribeServices", "ThrottlingException", "Rate exceeded", times=2)
    run = Run(tmp_path, runbook_for(tmp_path, timeout=0.5, b_deploy_staging=(API_DEPLOY,)), client)
    ended = await run.step("b-deploy-staging")
    assert "no ECS deployment of avnz-api appeared since" in ended.evidence and not ended.unknown  # read again after the throttle
    aws_faults.fail("DescribeServices", "AccessDeniedException", "not authorized to perform: ecs:DescribeServices")
    run = Run(tmp_path / "again", runbook_for(tmp_path, timeout=30, b_deploy_staging=(API_DEPLOY,)), client)
    ended = await run.step("b-deploy-staging")
    assert ended.unknown and "could not be read" in ended.evidence and "AccessDeniedException" in ended.evidence
