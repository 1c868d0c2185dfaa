"""`cockpit run STEP-ID` and the engine's action desk, end to end: real HTTP (FakeGitHub, FakeSlack), real
subprocesses, a real SQLite journal. The runbook's steps get their actions with `dataclasses.replace`."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from cockpit.cli import main
from cockpit.engine.commands import AskActionPlan, AskRunLookup, RunActions, StopAction
from cockpit.engine.events import ActionEnded, ActionPreview, ActionProgress, Answer, EngineEvent
from cockpit.engine.local import LocalEngine
from cockpit.journal import Journal, default_who
from cockpit.journal.progress import ACTION, TICK
from cockpit.journal.session import RunSession
from cockpit.runbook import load_runbook
from cockpit.runbook.model import Action, ActionSettings, GithubSettings, Runbook
from cockpit.stack.fake_github import FakeGitHub
from cockpit.stack.fake_slack import WEBHOOK_PATH, FakeSlack
from tests.conftest import FIXED_NOW

TOKEN = "ghp_SECRETdesk0123456789abcdefABCDEF"
DEPLOY = Action("github_workflow", workflow="deploy-api.yml", inputs=(("environment", "staging"),))
NOTIFY = Action("slack", channel="#engineering", text="{step} in {environment} by {who}: done")


def with_actions(runbook: Runbook, workdir: Path, **steps: tuple[Action, ...]) -> Runbook:
    """`runbook` with actions on the named steps (ids with _ for -), fast polls, `workdir` for commands."""
    wanted = {name.replace("_", "-"): actions for name, actions in steps.items()}
    phases = tuple(replace(p, steps=tuple(replace(s, actions=wanted.get(s.id, s.actions)) for s in p.steps)) for p in runbook.phases)
    return replace(runbook, phases=phases, github=replace(GithubSettings(), poll_seconds=0.02),
                   actions=ActionSettings(workdir=str(workdir), command_timeout_seconds=30, stop_grace_seconds=1))


@pytest.fixture
def github():
    gh = FakeGitHub(token=TOKEN).start()
    gh.advance_per_poll = True
    yield gh
    gh.stop()


@pytest.fixture
def slack():
    fake = FakeSlack().start()
    yield fake
    fake.stop()


@pytest.fixture
def setup(monkeypatch, tmp_path, github, slack):
    """Environment variables for the fakes; `use(**steps)` makes the CLI load a runbook with those actions."""
    monkeypatch.setenv("GH_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_REPOSITORY", "avnz/payments")
    monkeypatch.setenv("GITHUB_API_URL", github.url)
    monkeypatch.setenv("SLACK_WEBHOOK_ENGINEERING", slack.webhook_url())
    monkeypatch.setenv("COCKPIT_APP_URL", "http://app.staging.test")
    workdir = tmp_path / "work"
    workdir.mkdir()

    class Setup:
        state = tmp_path / "journal.sqlite3"
        work = workdir
        runbook: Runbook

        def use(self, **steps: tuple[Action, ...]) -> Runbook:
            self.runbook = with_actions(load_runbook(), workdir, **steps)
            monkeypatch.setattr("cockpit.commands.context.load_runbook", lambda path: self.runbook)
            return self.runbook

    return Setup()


def run(capsys, setup, *argv: str, env: str = "staging") -> tuple[int, str, str]:
    code = main(["run", *argv, "--env", env, "--state", str(setup.state)])
    out, err = capsys.readouterr()
    return code, out, err


def events(setup, env: str = "staging") -> list[Any]:
    if not setup.state.exists():
        return []
    journal = Journal(setup.state, read_only=True)
    try:
        return RunSession(journal, setup.runbook.id, setup.runbook.version, env, "reader").events_after(0)
    finally:
        journal.close()


def actions_of(setup, step: str, env: str = "staging") -> list[dict[str, Any]]:
    return [e.payload for e in events(setup, env) if e.kind == ACTION and e.step_id == step]


def ticks(setup, step: str, env: str = "staging") -> list[dict[str, Any]]:
    return [e.payload for e in events(setup, env) if e.kind == TICK and e.step_id == step]


def assert_no_secret(setup, *texts: str) -> None:
    blobs = [t.encode() for t in texts]
    for path in setup.state.parent.glob(setup.state.name + "*"):
        blobs.append(path.read_bytes())
    for blob in blobs:
        for secret in (TOKEN, WEBHOOK_PATH, WEBHOOK_PATH.rsplit("/", 1)[-1]):
            assert secret.encode() not in blob


def test_a_command_step_passes_and_ticks_with_exit_code_and_tail(capsys, setup):
    setup.use(b_e2e=(Action("command", run="echo base=$PLAYWRIGHT_BASE_URL\npwd\necho done", env=(("PLAYWRIGHT_BASE_URL", "{app_url}"),)),))
    code, out, err = run(capsys, setup, "b-e2e", "--yes")
    assert code == 0, out + err
    assert "[1] base=http://app.staging.test" in out and f"[1] {setup.work}" in out
    assert out.rstrip().splitlines()[-1].startswith("passed: command exit 0")
    intent, outcome = actions_of(setup, "b-e2e")
    assert intent["phase"] == "intent" and intent["kind"] == "command" and intent["environment"] == "staging"
    assert intent["what"]["workdir"] == str(setup.work) and intent["what"]["env"] == {"PLAYWRIGHT_BASE_URL": "http://app.staging.test"}
    assert outcome["phase"] == "outcome" and outcome["ok"] is True and outcome["exit_code"] == 0
    assert outcome["tail"] == ["base=http://app.staging.test", str(setup.work), "done"] and outcome["duration_seconds"] >= 0
    (tick,) = ticks(setup, "b-e2e")
    assert "exit 0" in tick["evidence"]
    assert_no_secret(setup, out, err)


def test_a_failing_command_fails_and_stops_the_next_action(capsys, setup, slack):
    setup.use(b_e2e=(Action("command", run="echo trying\nfalse\necho never"), Action("command", run="touch second"), NOTIFY))
    code, out, err = run(capsys, setup, "b-e2e", "--yes")
    assert code == 1
    assert "failed: command exit 1" in out and "[1] never" not in out
    assert not (setup.work / "second").exists() and slack.received == []
    payloads = actions_of(setup, "b-e2e")
    assert [p["phase"] for p in payloads] == ["intent", "outcome"]
    assert payloads[1]["ok"] is False and payloads[1]["exit_code"] == 1 and payloads[1]["tail"] == ["trying"]
    assert ticks(setup, "b-e2e") == []


def test_a_slack_step_sends_once_and_journals_slacks_answer(capsys, setup, slack):
    setup.use(b_navigation=(NOTIFY,))
    code, out, err = run(capsys, setup, "b-navigation", "--yes", "--json")
    assert code == 0, out + err
    (received,) = slack.received
    assert received.json() == {"text": f"{setup.runbook.step('b-navigation').title} in staging by {default_who()}: done"}
    doc = json.loads(out)
    assert doc["result"]["ok"] is True and doc["sent"] is True
    outcome = actions_of(setup, "b-navigation")[1]
    assert outcome["state"] == "sent" and outcome["status"] == 200 and outcome["response"] == "ok" and outcome["attempts"] == 1
    assert actions_of(setup, "b-navigation")[0]["what"] == {"channel": "#engineering", "text": received.json()["text"], "webhook": "SLACK_WEBHOOK_ENGINEERING"}
    assert_no_secret(setup, out, err)


def test_a_workflow_step_dispatches_once_watches_to_success_and_ticks_with_the_run_url(capsys, setup, github):
    setup.use(b_deploy_staging=(DEPLOY,))
    code, out, err = run(capsys, setup, "b-deploy-staging", "--yes")
    assert code == 0, out + err
    (post,) = github.posts()
    assert post.body["ref"] == "main" and post.body["inputs"] == {"environment": "staging"}
    (run_id,) = github.runs
    html = f"https://github.example/o/r/actions/runs/{run_id}"
    assert f"dispatched: run {run_id} {html}" in out and "in_progress" in out and "rate limit" in out
    outcome = actions_of(setup, "b-deploy-staging")[1]
    assert outcome["ok"] is True and outcome["conclusion"] == "success" and outcome["html_url"] == html and outcome["posts"] == 1
    (tick,) = ticks(setup, "b-deploy-staging")
    assert html in tick["evidence"] and "success" in tick["evidence"]
    assert_no_secret(setup, out, err)


def test_read_only_sends_nothing(capsys, setup, github, slack):
    setup.use(b_deploy_staging=(DEPLOY, NOTIFY))
    Journal(setup.state).close()  # a read-only journal must exist
    code, out, err = run(capsys, setup, "b-deploy-staging", "--yes", "--read-only")
    assert code == 1 and "refused: read-only" in out
    assert github.recorded == [] and slack.received == []


def test_production_needs_confirm_production_and_refuses_yes_alone(capsys, setup, github, slack):
    setup.use(c_notify_stakeholders=(NOTIFY,))
    for flags in ((), ("--yes",), ("--confirm", "staging")):
        code, out, err = run(capsys, setup, "c-notify-stakeholders", *flags, env="production")
        assert code == 1, flags
        assert "--confirm production" in out or "must be the environment's name, production" in out
    assert slack.received == [] and actions_of(setup, "c-notify-stakeholders", "production") == []
    code, out, err = run(capsys, setup, "c-notify-stakeholders", "--confirm", "production", env="production")
    assert code == 0, out + err
    assert len(slack.received) == 1


def test_dry_run_prints_the_plan_and_sends_nothing(capsys, setup, github, slack):
    setup.use(b_deploy_staging=(DEPLOY, Action("command", run="cd apps/admin-dashboard\nnpx playwright test"), NOTIFY))
    code, out, err = run(capsys, setup, "b-deploy-staging", "--dry-run", "--yes")
    assert code == 0, out + err
    for text in (f"POST {github.url}/repos/avnz/payments/actions/workflows/deploy-api.yml/dispatches", "ref main · inputs environment=staging",
                 "token from GH_TOKEN", f"bash in {setup.work}", "| cd apps/admin-dashboard", "| npx playwright test",
                 f"POST {slack.url}/*** (the webhook in SLACK_WEBHOOK_ENGINEERING) for #engineering", "in staging by"):
        assert text in out, text
    assert out.rstrip().endswith("Dry run: nothing sent.")
    assert github.recorded == [] and slack.received == [] and actions_of(setup, "b-deploy-staging") == []
    assert_no_secret(setup, out, err)
    code, out, err = run(capsys, setup, "b-deploy-staging")  # no --yes: the plan and how to confirm, nothing sent
    assert code == 1 and "Nothing sent: review the plan, then run it with --yes" in out
    assert github.recorded == [] and slack.received == []


def test_missing_config_is_one_line_naming_what_to_set(capsys, setup, monkeypatch, github, slack):
    setup.use(b_deploy_staging=(DEPLOY, NOTIFY))
    monkeypatch.delenv("GITHUB_REPOSITORY")
    monkeypatch.delenv("SLACK_WEBHOOK_ENGINEERING")
    code, out, err = run(capsys, setup, "b-deploy-staging", "--yes")
    assert code == 1
    last = out.rstrip().splitlines()[-1]
    assert last.startswith("refused:") and "GITHUB_REPOSITORY" in last and "SLACK_WEBHOOK_ENGINEERING is not set" in last
    assert github.recorded == [] and slack.received == []


def test_bad_input_exits_2(capsys, setup):
    setup.use()
    assert run(capsys, setup, "no-such-step", "--yes")[0] == 2
    code, out, err = run(capsys, setup, "b-navigation", "--yes")
    assert code == 2 and "has no actions" in err
    with pytest.raises(SystemExit) as exited:  # argparse: --yes and --confirm are exclusive
        main(["run", "b-navigation", "--yes", "--confirm", "staging"])
    assert exited.value.code == 2
    assert "not allowed with argument --yes" in capsys.readouterr().err


def test_an_intent_without_outcome_is_unknown_and_not_repeated_until_forced(capsys, setup, github):
    rb = setup.use(b_deploy_staging=(DEPLOY,))
    journal = Journal(setup.state, clock=lambda: FIXED_NOW)  # long ago: not in progress, its cockpit died
    intent = RunSession(journal, rb.id, rb.version, "staging", "died@bastion").record(
        "b-deploy-staging", ACTION, {"phase": "intent", "index": 0, "kind": "github_workflow", "what": {"workflow": "deploy-api.yml"}})
    journal.close()
    code, out, err = run(capsys, setup, "b-deploy-staging", "--yes")
    assert code == 1 and "outcome unknown: action 1 (github_workflow deploy-api.yml) of b-deploy-staging, started by died@bastion" in out
    assert github.posts() == []
    code, out, err = run(capsys, setup, "b-deploy-staging", "--yes", "--force")
    assert code == 0, out + err
    assert len(github.posts()) == 1
    phases = [(p["phase"], p.get("intent")) for p in actions_of(setup, "b-deploy-staging")]
    assert phases[:2] == [("intent", None), ("acknowledged", intent.id)] and [p for p, _ in phases[2:]] == ["intent", "outcome"]


async def test_engine_refuses_a_second_run_and_stops_a_command(setup, tmp_path):
    rb = setup.use(b_e2e=(Action("command", run="echo started; sleep 30"), Action("command", run="touch second")))
    journal = Journal(setup.state)
    session = RunSession(journal, rb.id, rb.version, "staging", "op@bastion")
    batches: list[list[EngineEvent]] = []
    local = LocalEngine(rb, rb.environments["staging"], session, live=False, flush_seconds=0.02)
    local.start(batches.append)
    seen = lambda: [e for b in batches for e in b]  # noqa: E731
    try:
        local.send(RunActions("b-e2e"))
        await until(lambda: any(isinstance(e, ActionProgress) and "started" in e.text for e in seen()))
        local.send(RunActions("b-e2e"))
        await until(lambda: any(isinstance(e, ActionEnded) for e in seen()))
        (refused,) = [e for e in seen() if isinstance(e, ActionEnded)]
        assert "refused: op@bastion is running b-e2e here (action 1/2 (command))" in refused.evidence
        local.send(StopAction("b-e2e"))
        await until(lambda: len([e for e in seen() if isinstance(e, ActionEnded)]) == 2)
        ended = [e for e in seen() if isinstance(e, ActionEnded)][1]
        assert not ended.ok and "(stopped)" in ended.evidence
    finally:
        await local.stop()
        journal.close()
    assert not (setup.work / "second").exists()
    outcome = [p for p in actions_of(setup, "b-e2e") if p["phase"] == "outcome"]
    assert len(outcome) == 1 and outcome[0]["stopped"] is True


async def until(predicate, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


async def test_resume_reports_an_unknown_dispatch_and_finds_its_run_without_dispatching(setup, github):
    rb = setup.use(b_deploy_staging=(DEPLOY,))
    journal = Journal(setup.state, clock=lambda: FIXED_NOW)  # long ago: not in progress, its cockpit died
    session = RunSession(journal, rb.id, rb.version, "staging", "died@bastion")
    session.record("b-deploy-staging", ACTION, {"phase": "intent", "index": 0, "kind": "github_workflow", "what": {"workflow": "deploy-api.yml"}})
    made = github.add_run("deploy-api.yml", "main")  # the dispatch went through before the cockpit died
    batches: list[list[EngineEvent]] = []
    local = LocalEngine(rb, rb.environments["staging"], session, live=False, flush_seconds=0.02, journal_poll_seconds=0.05)
    local.start(batches.append)
    try:
        await until(lambda: any(isinstance(e, ActionEnded) and e.unknown for b in batches for e in b))
        assert local.engine is not None
        found = await local.engine.actions.find_run("b-deploy-staging")
        assert found is not None and found.run_id == made.run_id
    finally:
        await local.stop()
        journal.close()
    assert github.posts() == []


async def test_the_engine_answers_a_plan_and_a_lookup_without_sending(setup, github, slack):
    rb = setup.use(b_deploy_staging=(DEPLOY, NOTIFY))
    journal = Journal(setup.state, clock=lambda: FIXED_NOW)  # long ago: not in progress, its cockpit died
    session = RunSession(journal, rb.id, rb.version, "staging", "died@bastion")
    session.record("b-deploy-staging", ACTION, {"phase": "intent", "index": 0, "kind": "github_workflow", "what": {"workflow": "deploy-api.yml"}})
    made = github.add_run("deploy-api.yml", "main")
    batches: list[list[EngineEvent]] = []
    local = LocalEngine(rb, rb.environments["staging"], session, live=False, flush_seconds=0.02)
    local.start(batches.append)
    answers = lambda: {e.request: e for b in batches for e in b if isinstance(e, Answer)}  # noqa: E731
    try:
        local.send(AskActionPlan(1, "b-deploy-staging"))
        local.send(AskRunLookup(2, "b-deploy-staging"))
        local.send(AskActionPlan(3, "no-such-step"))
        await until(lambda: len(answers()) == 3)
    finally:
        await local.stop()
        journal.close()
    preview = answers()[1].value
    assert isinstance(preview, ActionPreview) and preview.problems == () and preview.environment == "staging"
    assert "deploy-api.yml" in preview.text and "#engineering" in preview.text and "> Deploy to Staging in staging by died@bastion: done" in preview.text
    assert len(preview.unknown) == 1 and "started by died@bastion" in preview.unknown[0]
    assert answers()[2].value == f"GitHub lists run {made.run_id} since the intent: https://github.example/o/r/actions/runs/{made.run_id}"
    assert answers()[3].value.problems == ("no-such-step is not a step of this runbook",)
    assert github.posts() == [] and slack.received == []
    assert TOKEN not in repr(answers()) and slack.webhook_url() not in repr(answers())


def test_run_journals_as_who(capsys, setup, slack):
    setup.use(b_e2e=(Action("command", run="echo done"), NOTIFY))
    code, out, err = run(capsys, setup, "b-e2e", "--yes", "--who", "ci@runner-7")
    assert code == 0, out + err
    assert {e.who for e in events(setup)} == {"ci@runner-7"}
    assert [p["who"] for p in actions_of(setup, "b-e2e") if p["phase"] == "intent"] == ["ci@runner-7", "ci@runner-7"]
    assert [json.loads(r.body)["text"] for r in slack.received] == ["Run E2E Tests Against Staging in staging by ci@runner-7: done"]
