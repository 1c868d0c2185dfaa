"""`--read-only` sends no mutating request, whatever the engine is asked: a recording proxy sits in front of AWS (moto)
and the fakes of GitHub and Slack record every request they get. The engine is sent, as forged commands, everything
that would change a system: every step's actions (confirmed, forced and overridden), and a rollback."""

from __future__ import annotations

import asyncio
from typing import Any

from cockpit.engine.commands import AskActionPlan, RunActions, StartRollback
from cockpit.engine.events import ActionEnded, Answer, EngineEvent, RollbackEnded
from cockpit.engine.local import LocalEngine
from cockpit.journal import Journal
from cockpit.journal.session import RunSession
from cockpit.probes.aws.clients import AwsTarget, make_client
from cockpit.rollback.plan import RollbackPlan
from cockpit.runbook import load_runbook
from cockpit.stack.ecs_seed import API, seed_ecs
from cockpit.stack.fake_github import FakeGitHub
from cockpit.stack.fake_slack import FakeSlack

READ_ONLY_OPERATIONS = ("Describe", "List", "Get", "Filter")  # AWS's reading verbs


async def until(predicate, timeout: float = 30.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)


async def test_read_only_sends_no_mutating_request_even_for_forged_commands(aws_faults, monkeypatch, tmp_path):
    ecs = make_client("ecs", AwsTarget())
    seed = seed_ecs(ecs, revisions=4, inactive=(), dashboard_revisions=2, dashboard_inactive=(), decoy=False)
    github, slack = FakeGitHub(token="ghp_readonly0123456789abcdefABCDEFabcdef").start(), FakeSlack().start()
    for name, value in {"GH_TOKEN": "ghp_readonly0123456789abcdefABCDEFabcdef", "GITHUB_REPOSITORY": "avnz/payments",
                        "GITHUB_API_URL": github.url, "COCKPIT_WORKDIR": str(tmp_path)}.items():
        monkeypatch.setenv(name, value)
    for channel in ("DEPLOYMENTS", "ENGINEERING", "PRODUCT"):
        monkeypatch.setenv(f"SLACK_WEBHOOK_{channel}", slack.webhook_url())
    runbook = load_runbook()
    env = runbook.environments["staging"]
    Journal(tmp_path / "journal.sqlite3").close()
    journal = Journal(tmp_path / "journal.sqlite3", read_only=True)
    session = RunSession(journal, runbook.id, runbook.version, env.name, "watcher@wall")
    actioned = [s.id for p in runbook.phases for s in p.steps if s.actions]
    batches: list[list[EngineEvent]] = []
    seen = lambda: [e for b in batches for e in b]  # noqa: E731
    local = LocalEngine(runbook, env, session, read_only=True, live=True, flush_seconds=0.02)
    local.start(batches.append)
    before = dict(aws_faults.operations())
    try:
        for n, step in enumerate(actioned):
            local.send(AskActionPlan(n + 1, step))
            local.send(RunActions(step, confirmation=env.name, force=True, override="forged"))
        plan = RollbackPlan(env.name, False, seed.cluster, API, seed.services[API], seed.arns[f"{API}:2"])
        local.send(StartRollback((plan,)))
        await until(lambda: {e.step_id for e in seen() if isinstance(e, ActionEnded)} >= set(actioned)
                    and any(isinstance(e, RollbackEnded) for e in seen())
                    and len([e for e in seen() if isinstance(e, Answer)]) == len(actioned)
                    # the live engine's first AWS read may come after every refusal on a loaded machine
                    and aws_faults.operations() != before)
    finally:
        await local.stop()
        journal.close()
        github.stop()
        slack.stop()
    ended: dict[str, Any] = {e.step_id: e for e in seen() if isinstance(e, ActionEnded)}
    assert all(not e.ok and "read-only" in e.evidence for e in ended.values()), ended
    assert [e for e in seen() if isinstance(e, RollbackEnded)][0].ok is False
    assert len(actioned) >= 8  # every step the issue names: deploys, E2E, Slack
    assert [r for r in github.recorded if r.method != "GET"] == []
    assert slack.received == []
    sent = {op: n for op, n in aws_faults.operations().items() if n != before.get(op, 0)}
    assert sent, "the live engine read nothing from AWS: the proxy recorded nothing, the test proves nothing"
    assert [op for op in sent if not op.startswith(READ_ONLY_OPERATIONS)] == [], sent
