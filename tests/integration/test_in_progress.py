"""Another operator's action or rollback in progress, read from the journal (SQLite and PostgreSQL): shown with who and
since when, and the same action refused naming them. Real bash, a real moto ECS; no test sleeps (a command blocks on a
FIFO the test opens)."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import boto3
import pytest

from cockpit.cli import main
from cockpit.engine.events import ActionEnded, ActionProgress, EngineEvent
from cockpit.engine.local import LocalEngine
from cockpit.journal.opening import open_store
from cockpit.journal.progress import ACTION, ROLLBACK, ROLLBACK_PREFIX
from cockpit.journal.session import RunSession
from cockpit.runbook import load_runbook
from cockpit.runbook.model import Action
from cockpit.stack.ecs_seed import API, seed_ecs
from tests.conftest import FIXED_NOW
from tests.integration.test_run_actions import with_actions

ALICE, BOB = "alice@laptop", "bob@bastion"
WAIT = 20.0  # upper bound for a condition; never reached when all is well


def session(location: Any, runbook, who: str, *, clock=None) -> RunSession:
    store = open_store(location, clock=clock) if clock is not None else open_store(location)
    return RunSession(store, runbook.id, runbook.version, "staging", who)


def intent(location: Any, runbook, who: str, step_id: str, *, clock=None) -> None:
    """An intent journaled by `who`'s cockpit, its outcome not (yet)."""
    s = session(location, runbook, who, clock=clock)
    s.record(step_id, ACTION, {"phase": "intent", "index": 0, "kind": "command", "what": {"run": "touch ran"}, "who": who})
    s.journal.close()


def run_as(capsys, location: Any, who: str, *argv: str) -> tuple[int, str]:
    code = main(["run", *argv, "--env", "staging", "--state", str(location), "--who", who])
    out, err = capsys.readouterr()
    return code, out + err


@pytest.fixture
def touching(tmp_path, monkeypatch):
    """The bundled runbook with `b-e2e` touching `ran` in a work directory, loaded by the CLI too."""
    work = tmp_path / "work"
    work.mkdir()
    runbook = with_actions(load_runbook(), work, b_e2e=(Action("command", run="touch ran"),))
    monkeypatch.setattr("cockpit.commands.context.load_runbook", lambda path: runbook)
    return runbook, work


def test_run_is_refused_naming_who_while_another_operators_intent_is_open(capsys, journal_location, touching):
    runbook, work = touching
    intent(journal_location, runbook, ALICE, "b-e2e")
    code, out = run_as(capsys, journal_location, BOB, "b-e2e", "--yes")
    assert code == 1 and "refused: b-e2e is already being done by alice@laptop since " in out and " UTC: wait for its outcome" in out
    code, out = run_as(capsys, journal_location, BOB, "b-e2e", "--yes", "--force")  # in progress is not unknown: no force
    assert code == 1 and "already being done by alice@laptop" in out
    assert not (work / "ran").exists()


def test_ones_own_open_intent_is_an_unknown_outcome_not_in_progress(capsys, journal_location, touching):
    runbook, work = touching
    intent(journal_location, runbook, ALICE, "b-e2e")
    code, out = run_as(capsys, journal_location, ALICE, "b-e2e", "--yes")  # alice's cockpit died: she may force it
    assert code == 1 and "outcome unknown: action 1 (command touch ran) of b-e2e, started by alice@laptop" in out
    assert "already being done" not in out and not (work / "ran").exists()


def test_a_stale_intent_of_another_operator_is_unknown_and_can_be_forced(capsys, journal_location, touching):
    runbook, work = touching
    intent(journal_location, runbook, ALICE, "b-e2e", clock=lambda: FIXED_NOW)  # far older than the command's timeout
    code, out = run_as(capsys, journal_location, BOB, "b-e2e", "--yes")
    assert code == 1 and "outcome unknown" in out and "started by alice@laptop" in out and "already being done" not in out
    code, out = run_as(capsys, journal_location, BOB, "b-e2e", "--yes", "--force")
    assert code == 0, out
    assert (work / "ran").exists()


async def until(predicate, timeout: float = WAIT) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


async def test_a_second_cockpit_sees_the_run_in_progress_with_who_then_its_end(journal_location, tmp_path):
    fifo = tmp_path / "go"
    os.mkfifo(fifo)
    work = tmp_path / "work"
    work.mkdir()
    runbook = with_actions(load_runbook(), work, b_e2e=(Action("command", run=f'echo started; read -r word < "{fifo}"; echo "got $word"'),))
    env = runbook.environments["staging"]
    alice, bob = session(journal_location, runbook, ALICE), session(journal_location, runbook, BOB)
    seen_by: dict[str, list[EngineEvent]] = {ALICE: [], BOB: []}
    engines = {who: LocalEngine(runbook, env, s, live=False, flush_seconds=0.02, journal_poll_seconds=0.05)
               for who, s in ((ALICE, alice), (BOB, bob))}
    for who, local in engines.items():
        local.start(seen_by[who].extend)
    try:
        a, b = engines[ALICE].engine, engines[BOB].engine
        assert a is not None and b is not None
        running = asyncio.ensure_future(a.actions.run_step("b-e2e", "staging"))
        await until(lambda: any(isinstance(e, ActionProgress) and e.by == ALICE for e in seen_by[BOB]))
        (shown,) = [e for e in seen_by[BOB] if isinstance(e, ActionProgress)]
        assert shown.step_id == "b-e2e" and "in progress: already being done by alice@laptop since " in shown.text
        assert not any(isinstance(e, ActionEnded) for e in seen_by[BOB])  # not "outcome unknown" while it runs
        refused = await b.actions.run_step("b-e2e", "staging", force=True)
        assert refused.refused and "b-e2e is already being done by alice@laptop since" in refused.evidence
        preview = await b.actions.preview("b-e2e")
        assert preview.problems[0].startswith("b-e2e is already being done by alice@laptop since") and preview.unknown == ()
        await asyncio.to_thread(fifo.write_text, "go\n")
        assert (await running).ok
        theirs = lambda: [e for e in seen_by[BOB] if isinstance(e, ActionEnded) and e.evidence.startswith("by alice@laptop: ")]  # noqa: E731
        await until(lambda: bool(theirs()))
        (ended,) = theirs()
        assert ended.ok and not ended.unknown and "exit 0" in ended.evidence
        assert b.actions.busy_elsewhere("b-e2e") is None
        assert not any(isinstance(e, ActionProgress) and e.by for e in seen_by[ALICE])  # her own run is not "elsewhere"
    finally:
        for local in engines.values():
            await local.stop()
        alice.journal.close()
        bob.journal.close()


# -- rollbacks ---------------------------------------------------------------------------------

@pytest.fixture
def ecs(aws):
    return boto3.client("ecs")


def test_a_rollback_of_a_service_another_operator_is_rolling_back_is_refused_naming_who(capsys, ecs, tmp_path):
    seed = seed_ecs(ecs, revisions=4, inactive=(), dashboard_revisions=1, dashboard_inactive=(), decoy=False)
    state = tmp_path / "journal.sqlite3"
    runbook = load_runbook()
    s = session(state, runbook, ALICE)
    s.record(ROLLBACK_PREFIX + API, ROLLBACK, {"phase": "intent", "service": API, "from": seed.arn(API, 4), "to": seed.arn(API, 2)})
    s.journal.close()
    code = main(["rollback", "--env", "staging", "--service", API, "--state", str(state), "--to", "3", "--confirm", API,
                 "--no-wait", "--who", BOB])
    out = capsys.readouterr().out
    assert code == 1 and f"refused: a rollback of {API} is already being done by alice@laptop since " in out
    running = ecs.describe_services(cluster="avnz-payment-cluster", services=[API])["services"][0]["taskDefinition"]
    assert running == seed.arn(API, 4)  # nothing sent
    s = session(state, runbook, ALICE)
    s.record(ROLLBACK_PREFIX + API, ROLLBACK, {"phase": "outcome", "service": API, "status": "completed"})
    s.journal.close()
    code = main(["rollback", "--env", "staging", "--service", API, "--state", str(state), "--to", "3", "--confirm", API,
                 "--no-wait", "--who", BOB])
    assert code == 0, capsys.readouterr().out

