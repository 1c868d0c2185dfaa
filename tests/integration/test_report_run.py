"""The release report of a run scripted for real: ticks and a note through the engine, a check that fails
against a server that is not there, an alarm that goes OK → ALARM in moto (read and journaled by the
engine), a deploy workflow run (the fake GitHub, real HTTP) and a rollback whose rollout moto never
finishes (a timeout, honestly), then `cockpit report` as JSON (compared as structure) and as Markdown
(read as text)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import boto3

from cockpit.cli import main
from cockpit.engine.aws_reads import alarms_reader
from cockpit.engine.commands import Record
from cockpit.engine.local import LocalEngine
from cockpit.journal import Journal
from cockpit.journal.progress import ALARM, CHECK, NOTE, TICK
from cockpit.journal.session import RunSession
from cockpit.probes.aws.clients import AwsTarget, LazyClient
from cockpit.stack import free_port
from cockpit.stack.aws_seed import seed_alarm
from cockpit.stack.ecs_seed import API, seed_ecs
from tests.integration.test_run_actions import DEPLOY, TOKEN, github, setup, slack  # noqa: F401 (fixtures)

ALARM_NAME = "avnz-api-5xx-errors"
SECRET = "Sup3r-S3cret-pw"
NOTE_TEXT = f"pool looks small: DATABASE_URL=postgresql://avnz:{SECRET}@db.internal:5432/avnz\n| and a `pipe` <b>"


async def until(condition, what: str, tries: int = 1000) -> None:
    for _ in range(tries):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def engine_part(runbook, state) -> None:
    """What the operator does in the cockpit (the engine in this process, as the TUI's would): a tick, a note, a
    failing check; and what the engine sees by itself: the alarm's transitions."""
    env = replace(runbook.environments["staging"], redis_url=f"redis://127.0.0.1:{free_port()}/0")  # nobody listens there
    journal = Journal(state)
    session = RunSession(journal, runbook.id, runbook.version, env.name, "alice@bastion")
    local = LocalEngine(runbook, env, session, live=False, environ={})
    local.start(lambda batch: None)
    kinds = lambda: [(e.step_id, e.kind) for e in session.events_after(0)]  # noqa: E731
    try:
        assert local.engine is not None
        local.send(Record("pre-docs", TICK, {}))
        await until(lambda: ("pre-docs", TICK) in kinds(), "the tick")
        local.send(Record("a-db-pool", NOTE, {"text": NOTE_TEXT}))
        await until(lambda: ("a-db-pool", NOTE) in kinds(), "the note")
        results = await local.engine.check_steps(["a-redis-ping"])
        assert not results["a-redis-ping"].passed
        cw = boto3.client("cloudwatch")
        seed_alarm(cw, ALARM_NAME, "OK")
        read = alarms_reader((ALARM_NAME,), LazyClient("cloudwatch", AwsTarget()))
        local.engine.take_alarms(await asyncio.to_thread(read))
        cw.set_alarm_state(AlarmName=ALARM_NAME, StateValue="ALARM", StateReason="Threshold Crossed: 5xx \x1b[31m[7.0]\x1b[0m > 1")
        local.engine.take_alarms(await asyncio.to_thread(read))
        await until(lambda: kinds().count(("alarm:" + ALARM_NAME, ALARM)) == 2, "both alarm states journaled")
        assert ("a-redis-ping", CHECK) in kinds()
    finally:
        await local.stop()
        journal.close()


def report(capsys, state, *argv: str) -> str:
    code = main(["report", "--state", str(state), *argv])
    out, err = capsys.readouterr()
    assert (code, err) == (0, ""), err
    return out


async def test_the_report_of_a_scripted_run(capsys, setup, aws, github):  # noqa: F811
    runbook = setup.use(b_deploy_staging=(DEPLOY,))
    seed_ecs(boto3.client("ecs"), revisions=6, inactive=(2,), dashboard_revisions=1, dashboard_inactive=(), decoy=False)
    await engine_part(runbook, setup.state)
    assert await asyncio.to_thread(main, ["run", "b-deploy-staging", "--yes", "--state", str(setup.state)]) == 0
    assert await asyncio.to_thread(main, ["rollback", "--service", API, "--state", str(setup.state), "--to", "3", "--confirm", API,
                                          "--timeout", "0.3", "--poll", "0.05"]) == 1  # moto never finishes a rollout
    capsys.readouterr()
    (run_id,) = github.runs
    html = f"https://github.example/o/r/actions/runs/{run_id}"

    data = json.loads(report(capsys, setup.state, "--format", "json"))
    assert data["schema"] == "cockpit.report/1" and data["run"]["id"] == 1 and data["environment"]["production"] is False
    assert data["progress"] == {"done": 2, "total": data["progress"]["total"]}
    assert [(t["kind"], t["subject"]) for t in data["timeline"]] == [
        ("tick", "pre-docs"), ("note", "a-db-pool"), ("check", "a-redis-ping"),
        ("alarm", ALARM_NAME), ("alarm", ALARM_NAME),
        ("action", "b-deploy-staging"), ("action", "b-deploy-staging"), ("tick", "b-deploy-staging"),
        ("rollback", API), ("rollback", API), ("rollback", API),
    ]
    times = [t["at"] for t in data["timeline"]]
    assert times == sorted(times)
    assert [(a["step_id"], a["kind"], a["status"], a["link"]) for a in data["actions"]] == [
        ("b-deploy-staging", "github_workflow", "passed", html)]
    assert [(r["service"], r["from_revision"].split(":")[0], r["to_revision"], r["status"], r["ok"]) for r in data["rollbacks"]] == [
        (API, API, f"{API}:3", "timeout", False)]
    assert [(a["name"], a["previous"], a["state"]) for a in data["alarms"]] == [(ALARM_NAME, "", "OK"), (ALARM_NAME, "OK", "ALARM")]
    assert [(i["kind"], i["subject"]) for i in data["failed"]] == [("check", "a-redis-ping"), ("rollback", API)]
    assert [(i["kind"], i["subject"]) for i in data["left_open"] if i["kind"] != "step"] == [("alarm", ALARM_NAME)]
    assert data["status"].endswith(", 1 alarm in ALARM; failed: 1 check, 1 rollback") and data["status"].startswith("open: ")
    people = {p["who"]: p["did"] for p in data["participants"]}
    assert people.pop("alice@bastion") == {"ticks": 1, "notes": 1, "checks": 1, "alarm transitions seen": 2}
    (cli_user,) = people.values()  # `cockpit run` and `cockpit rollback` ran as the user at this terminal
    assert cli_user == {"actions run": 1, "ticks": 1, "rollbacks run": 1}
    phases = {p["id"]: p for p in data["phases"]}
    assert phases["pre"]["status"] == "in progress" and phases["phase-b"]["status"] == "in progress"
    assert phases["phase-a"]["planned_minutes"] == 30 and phases["phase-a"]["actual_seconds"] is not None
    assert phases["post"]["status"] == "not started" and phases["phase-c"]["status"] == "not applicable"

    text = report(capsys, setup.state)
    for section in ("## Failed", "## Left open", "## Phases", "## Timeline", "## Actions", "## Rollbacks", "## Alarm transitions", "## Participants"):
        assert f"\n{section}\n" in text
    failing = next(line for line in text.splitlines() if line.startswith("- check `a-redis-ping` at "))
    assert "FAIL: " in failing and ("refused" in failing or "connect" in failing.lower()), failing
    rollback_row = next(line for line in text.splitlines() if line.startswith(f"| `{API}` |"))
    assert "| **timeout** |" in rollback_row and "not finished" in rollback_row
    assert f"[run]({html})" in text
    # the alarms probe shows the escape character as ␛ (data, visible); the report keeps that and escapes the rest
    assert "| OK | **ALARM** | Threshold Crossed: 5xx ␛\\[31m\\[7.0\\]␛\\[0m \\> 1 |" in text
    assert "DATABASE\\_URL=postgresql\\://avnz:\\*\\*\\*@db.internal:5432/avnz \\| and a \\`pipe\\` \\<b\\>" in text
    for blob in (text, json.dumps(data)):
        assert SECRET not in blob and TOKEN not in blob and "\x1b" not in blob
