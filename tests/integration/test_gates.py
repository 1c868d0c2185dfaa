"""Gates (go / no-go), end to end: `cockpit run` and the engine against real HTTP (the local stand-in API and
dashboard, FakeGitHub, FakeSlack) and a real SQLite journal. Staging's verification is recorded the way an
operator records it, by `cockpit check --env staging` against the stand-in API; the bundled runbook's gates are
used as shipped (only its GitHub poll is made fast)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import Any

import pytest

from cockpit.cli import main
from cockpit.engine.commands import AskActionPlan
from cockpit.engine.events import ActionPreview, Answer, EngineEvent
from cockpit.engine.local import LocalEngine
from cockpit.journal import Journal, default_who
from cockpit.journal.progress import ACTION, CHECK, OVERRIDE, TICK
from cockpit.journal.session import RunSession
from cockpit.runbook import load_runbook
from cockpit.runbook.model import GithubSettings, Runbook
from cockpit.stack.fake_github import FakeGitHub
from cockpit.stack.fake_slack import WEBHOOK_PATH, FakeSlack

TOKEN = "ghp_SECRETgates0123456789abcdefABCDEF"
STAGING_CHECKS = ("b-health-status", "b-redis-healthy", "b-page-vendor-companies", "b-page-vendor-products",
                  "b-page-momentum-churn", "b-page-momentum-save-flows", "b-page-momentum-triggers")


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


class Setup:
    """The bundled runbook with a fast GitHub poll, a journal file of this test's own, and the CLI pointed at both."""

    def __init__(self, state, runbook: Runbook) -> None:
        self.state = state
        self.runbook = runbook

    def events(self, env: str) -> list[Any]:
        if not self.state.exists():
            return []
        journal = Journal(self.state, read_only=True)
        try:
            return RunSession(journal, self.runbook.id, self.runbook.version, env, "reader").events_after(0)
        finally:
            journal.close()

    def kinds(self, env: str, step: str) -> list[tuple[str, Any]]:
        """(kind, payload) of `step`'s events in `env`'s run, in order."""
        return [(e.kind, e.payload) for e in self.events(env) if e.step_id == step]


@pytest.fixture
def setup(monkeypatch, tmp_path, github, slack, fake_api):
    monkeypatch.setenv("GH_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_REPOSITORY", "avnz/payments")
    monkeypatch.setenv("GITHUB_API_URL", github.url)
    monkeypatch.setenv("SLACK_WEBHOOK_DEPLOYMENTS", slack.webhook_url())
    monkeypatch.setenv("COCKPIT_API_URL", fake_api.url)
    monkeypatch.setenv("COCKPIT_APP_URL", fake_api.url)
    runbook = replace(load_runbook(), github=replace(GithubSettings(), poll_seconds=0.02))
    # The gate is under test, not the rollout after the run (test_deploy_rollout.py): without ECS it is not followed.
    runbook = replace(runbook, environments={name: replace(env, ecs_cluster="") for name, env in runbook.environments.items()})
    monkeypatch.setattr("cockpit.commands.context.load_runbook", lambda path: runbook)
    return Setup(tmp_path / "journal.sqlite3", runbook)


def cli(capsys, setup: Setup, *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--state", str(setup.state)])
    out, err = capsys.readouterr()
    return code, out, err


def run_production(capsys, setup: Setup, step: str, *flags: str) -> tuple[int, str, str]:
    return cli(capsys, setup, "run", step, "--env", "production", *flags)


def check_staging(capsys, setup: Setup) -> tuple[int, dict]:
    """Phase B's verification, run for real against the stand-in API, journaled in the staging run."""
    code, out, _ = cli(capsys, setup, "check", "--env", "staging", "--json", "--only", *STAGING_CHECKS)
    return code, json.loads(out)


def assert_no_secret(setup: Setup, *texts: str) -> None:
    blobs = [t.encode() for t in texts] + [p.read_bytes() for p in setup.state.parent.glob(setup.state.name + "*")]
    for blob in blobs:
        for secret in (TOKEN, WEBHOOK_PATH):
            assert secret.encode() not in blob


def test_production_deploy_is_refused_naming_the_staging_checks_never_run(capsys, setup, github):
    code, out, err = run_production(capsys, setup, "c-deploy-api", "--confirm", "production")
    assert code == 1, out + err
    last = out.rstrip().splitlines()[-1]
    assert last.startswith("refused: the gate of c-deploy-api is not green: b-health-status never checked in staging")
    assert last.endswith("; to run anyway, give a reason (--override REASON)")
    for check in STAGING_CHECKS:
        assert f"{check} never checked in staging (no staging run in the journal)" in last
    assert github.recorded == []  # not a dispatch, not even a read
    assert setup.kinds("production", "c-deploy-api") == []
    assert_no_secret(setup, out, err)


def test_after_staging_verification_passes_the_production_deploy_goes_ahead(capsys, setup, github):
    code, report = check_staging(capsys, setup)
    assert code == 0 and [c["status"] for c in report["checks"]] == ["pass"] * 7, report
    code, out, err = run_production(capsys, setup, "c-deploy-api", "--confirm", "production")
    assert code == 0, out + err
    assert "  gate green:" in out
    for check in STAGING_CHECKS:
        assert f"  {check} passed in staging at " in out  # with its age
    assert " s ago)" in out
    (post,) = github.posts()
    assert post.body["inputs"] == {"environment": "production"}
    kinds = [k for k, _ in setup.kinds("production", "c-deploy-api")]
    assert kinds == [ACTION, ACTION, TICK]  # intent, outcome, tick: no override
    assert_no_secret(setup, out, err)


def test_a_failed_staging_check_is_named_with_its_evidence_until_it_passes_again(capsys, setup, github, fake_api):
    fake_api.pages["/momentum/churn"] = "error500"
    code, report = check_staging(capsys, setup)
    (failed,) = [c for c in report["checks"] if c["status"] != "pass"]
    assert code == 1 and failed["id"] == "b-page-momentum-churn"
    code, out, err = run_production(capsys, setup, "c-deploy-api", "--confirm", "production")
    assert code == 1, out + err
    (recorded,) = [e for e in setup.events("staging") if e.kind == CHECK and e.step_id == "b-page-momentum-churn"]
    last = out.rstrip().splitlines()[-1]
    assert last == (f"refused: the gate of c-deploy-api is not green: b-page-momentum-churn failed in staging at {recorded.at}: "
                    f"{failed['evidence']}; to run anyway, give a reason (--override REASON)")
    assert github.recorded == []
    fake_api.pages["/momentum/churn"] = "ok"  # fixed, checked again: the last result is the one that counts
    assert check_staging(capsys, setup)[0] == 0
    code, out, err = run_production(capsys, setup, "c-deploy-api", "--confirm", "production")
    assert code == 0, out + err
    assert len(github.posts()) == 1


def test_an_override_is_journaled_before_the_intent_and_dispatches_once(capsys, setup, github):
    reason = "staging verified by hand: INC-4242"
    code, out, err = run_production(capsys, setup, "c-deploy-api", "--confirm", "production", "--override", reason)
    assert code == 0, out + err
    assert f"gate not green, overridden by {default_who()}: {reason}" in out
    assert len(github.posts()) == 1
    (override, _), (intent, first), (outcome, _), (tick, _) = setup.kinds("production", "c-deploy-api")
    assert (override, intent, outcome, tick) == (OVERRIDE, ACTION, ACTION, TICK) and first["phase"] == "intent"
    payload = setup.kinds("production", "c-deploy-api")[0][1]
    assert payload["reason"] == reason and payload["who"] == default_who()
    assert payload["gate"] == [f"{c} never checked in staging (no staging run in the journal)" for c in STAGING_CHECKS]


def test_a_blank_override_is_no_override(capsys, setup, github):
    code, out, err = run_production(capsys, setup, "c-deploy-api", "--confirm", "production", "--override", "  \t ")
    assert code == 1, out + err
    assert out.rstrip().splitlines()[-1].startswith("refused: the gate of c-deploy-api is not green: ")
    assert github.recorded == [] and setup.kinds("production", "c-deploy-api") == []


def test_the_dashboard_deploy_waits_for_a_live_api_health_check(capsys, setup, github, fake_api):
    assert check_staging(capsys, setup)[0] == 0
    fake_api.health_mode = "degraded"
    code, out, err = run_production(capsys, setup, "c-deploy-dashboard", "--confirm", "production")
    assert code == 1, out + err
    last = out.rstrip().splitlines()[-1]
    assert last.startswith("refused: the gate of c-deploy-dashboard is not green: c-api-health failed just now: ")
    assert "redis" in last and "staging" not in last  # Phase B's staging checks are green; only the live check is named
    assert github.recorded == []
    (check,) = [p for k, p in setup.kinds("production", "c-api-health") if k == CHECK]  # journaled as any check...
    assert check["status"] == "fail" and [k for k, _ in setup.kinds("production", "c-api-health")] == [CHECK]  # ...no tick
    fake_api.health_mode = "healthy"
    code, out, err = run_production(capsys, setup, "c-deploy-dashboard", "--confirm", "production")
    assert code == 0, out + err
    assert "  c-api-health passed just now: " in out
    (post,) = github.posts()
    assert post.path.endswith("/deploy-admin-dashboard.yml/dispatches")


def test_a_slack_only_step_is_never_gated_and_its_message_says_the_gate_as_it_is(capsys, setup, slack):
    code, out, err = run_production(capsys, setup, "c-notify-stakeholders", "--confirm", "production")
    assert code == 0, out + err
    assert "refused" not in out and "gate green" not in out and "NOT green" not in out  # no gate printed: not held
    (received,) = slack.received
    text = received.json()["text"]
    assert "Staging verification: 0 of 7 gate checks passed; not green: b-health-status never checked in staging" in text
    assert OVERRIDE not in [k for k, _ in setup.kinds("production", "c-notify-stakeholders")]
    assert_no_secret(setup, out, err)


def test_the_stakeholders_message_carries_the_staging_verification_once_it_passed(capsys, setup, slack):
    code, _ = check_staging(capsys, setup)
    assert code == 0
    code, out, err = run_production(capsys, setup, "c-notify-stakeholders", "--confirm", "production")
    assert code == 0, out + err
    text = slack.received[0].json()["text"]
    assert "Staging verification: 7 of 7 gate checks passed." in text or text.endswith("Staging verification: 7 of 7 gate checks passed")
    assert "Phase 1-4 Deployment v1.0 starting" in text


def test_dry_run_and_json_show_the_gate(capsys, setup, github):
    code, out, err = run_production(capsys, setup, "c-deploy-api", "--dry-run")
    assert code == 1, out + err
    assert "Gate: NOT green (7 of 7 checks): refused unless --override REASON is given" in out
    assert "  NO  b-health-status never checked in staging" in out
    assert out.rstrip().endswith("Dry run: nothing sent. It would be refused: the gate of c-deploy-api is not green")
    code, out, err = run_production(capsys, setup, "c-deploy-api", "--dry-run", "--override", "by hand")
    assert code == 0 and out.rstrip().endswith("Dry run: nothing sent.")
    assert check_staging(capsys, setup)[0] == 0
    code, out, err = run_production(capsys, setup, "c-deploy-api", "--dry-run", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["gate"]["green"] is True and doc["gate"]["failing"] == []
    assert [c["check"] for c in doc["gate"]["checks"]] == list(STAGING_CHECKS) and all(c["ok"] for c in doc["gate"]["checks"])
    code, out, err = run_production(capsys, setup, "c-deploy-api", "--confirm", "production", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["result"]["gate"]["green"] is True and doc["gate"] == doc["result"]["gate"]
    assert github.recorded != [] and len(github.posts()) == 1


async def until(predicate, timeout: float = 20.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


async def test_a_read_only_engine_previews_the_gate_live_and_writes_nothing(setup, fake_api, github):
    fake_api.health_mode = "degraded"
    Journal(setup.state).close()
    journal = Journal(setup.state, read_only=True)
    session = RunSession(journal, setup.runbook.id, setup.runbook.version, "production", "wall@screen")
    batches: list[list[EngineEvent]] = []
    local = LocalEngine(setup.runbook, setup.runbook.environments["production"], session, read_only=True, live=False, flush_seconds=0.02)
    local.start(batches.append)
    answers = lambda: {e.request: e for b in batches for e in b if isinstance(e, Answer)}  # noqa: E731
    try:
        local.send(AskActionPlan(1, "c-deploy-dashboard"))
        local.send(AskActionPlan(2, "c-notify-stakeholders"))
        await until(lambda: len(answers()) == 2)
    finally:
        await local.stop()
        journal.close()
    preview = answers()[1].value
    assert isinstance(preview, ActionPreview) and len(preview.gate) == 8
    assert preview.gate[:7] == tuple(f"{c} never checked in staging (no staging run in the journal)" for c in STAGING_CHECKS)
    assert preview.gate[7].startswith("c-api-health failed just now: ")
    assert answers()[2].value.gate == ()  # Slack only: never gated
    assert fake_api.hits["/health"] >= 1  # the live check ran...
    assert setup.events("production") == [] and github.recorded == []  # ...and nothing was written or sent
