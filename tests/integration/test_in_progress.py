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



# -- two operators deciding at once: the claim ---------------------------------------------------


def test_a_claim_is_lost_to_another_operators_event_after_what_the_claimant_read(journal_location, runbook):
    from cockpit.journal.store import Claim, JournalConflict

    alice, bob = session(journal_location, runbook, ALICE), session(journal_location, runbook, BOB)
    try:
        first = alice.record("b-e2e", ACTION, {"phase": "intent"}, claim=Claim(0, ACTION))
        with pytest.raises(JournalConflict) as lost:  # bob decided on a journal read before alice's intent
            bob.record("b-e2e", ACTION, {"phase": "intent"}, claim=Claim(0, ACTION))
        assert lost.value.rival.id == first.id and lost.value.rival.who == ALICE and "alice@laptop journaled action" in str(lost.value)
        assert [e.who for e in bob.events_after(0)] == [ALICE]  # nothing of bob's written
        alice.record("b-e2e", ACTION, {"phase": "outcome"}, claim=Claim(0, ACTION))  # one's own events never conflict
        bob.record("b-e2e", "note", {"text": "on it"}, claim=Claim(0, "rollback"))  # nor another kind's
        bob.record("pre-docs", ACTION, {"phase": "intent"}, claim=Claim(0, ACTION))  # nor another step's
        last = bob.events_after(0)[-1].id
        assert bob.record("b-e2e", ACTION, {"phase": "intent"}, claim=Claim(last, ACTION)).who == BOB  # read it all: his
    finally:
        alice.journal.close()
        bob.journal.close()


async def test_two_operators_starting_one_step_at_once_run_it_once_and_the_second_is_told_who(journal_location, tmp_path):
    """Both cockpits read the journal and decide before either journals its intent (held at `prepare` until both got
    there): without a claim both would run the command; with it one runs, the other is refused naming the first."""
    work = tmp_path / "work"
    work.mkdir()
    runbook = with_actions(load_runbook(), work, b_e2e=(Action("command", run="echo ran >> ran"),))
    env = runbook.environments["staging"]
    alice, bob = session(journal_location, runbook, ALICE), session(journal_location, runbook, BOB)
    engines = {who: LocalEngine(runbook, env, s, live=False, flush_seconds=0.02, journal_poll_seconds=0.05)
               for who, s in ((ALICE, alice), (BOB, bob))}
    for local in engines.values():
        local.start(lambda _events: None)
    try:
        a, b = engines[ALICE].engine, engines[BOB].engine
        assert a is not None and b is not None
        arrived: list[str] = []
        both = asyncio.Event()
        for who, desk in ((ALICE, a.actions), (BOB, b.actions)):
            real = desk.prepare

            async def held(step_id, timeout=None, real=real, who=who):
                arrived.append(who)
                if len(arrived) == 2:
                    both.set()
                await both.wait()  # both decided on what they read: neither intent is journaled yet
                return await real(step_id, timeout)

            desk.prepare = held  # type: ignore[method-assign]
        results = await asyncio.gather(a.actions.run_step("b-e2e", "staging"), b.actions.run_step("b-e2e", "staging"))
    finally:
        for local in engines.values():
            await local.stop()
        alice.journal.close()
        bob.journal.close()
    assert sorted(arrived) == [ALICE, BOB]
    ran = [r for r in results if r.ok]
    refused = [r for r in results if not r.ok]
    assert len(ran) == 1 and len(refused) == 1, [r.evidence for r in results]
    winner = ALICE if results[0].ok else BOB
    said = refused[0].evidence  # the winner still running, or already done by the time the loser says it
    assert refused[0].refused and (f"b-e2e is already being done by {winner} since " in said
                                   or f"b-e2e was started first by {winner} at " in said), said
    assert (work / "ran").read_text() == "ran\n"  # sent once


async def test_two_operators_rolling_back_one_service_at_once_send_one_update(ecs, tmp_path):
    """Both engines read the journal and pass the busy check before either journals its intent (held at the identity
    check until both got there): one rollback is sent, the other is refused naming who was first."""
    from cockpit.engine.events import RollbackEnded
    from cockpit.rollback.plan import RollbackPlan

    seed = seed_ecs(ecs, revisions=4, inactive=(), dashboard_revisions=1, dashboard_inactive=(), decoy=False)
    runbook = load_runbook()
    env = runbook.environments["staging"]
    state = tmp_path / "journal.sqlite3"
    alice, bob = session(state, runbook, ALICE), session(state, runbook, BOB)
    seen: dict[str, list[EngineEvent]] = {ALICE: [], BOB: []}
    engines = {who: LocalEngine(runbook, env, s, live=False, flush_seconds=0.02, journal_poll_seconds=0.05, environ=dict(os.environ))
               for who, s in ((ALICE, alice), (BOB, bob))}
    for who, local in engines.items():
        local.start(seen[who].extend)
    arrived: list[str] = []
    both = asyncio.Event()
    try:
        desks = {who: local.engine.rollbacks for who, local in engines.items() if local.engine is not None}
        for who, desk in desks.items():
            real = desk.identity.refuse_rollback

            async def held(real=real, who=who):
                arrived.append(who)
                if len(arrived) == 2:
                    both.set()
                await both.wait()  # both passed the busy check on what they read: neither intent journaled yet
                return await real()

            desk.identity.refuse_rollback = held  # type: ignore[method-assign]
        plan = RollbackPlan(env.name, False, seed.cluster, API, seed.services[API], seed.arn(API, 2))
        await asyncio.gather(*(desk.run((plan,), wait=False) for desk in desks.values()))
        await until(lambda: all(any(isinstance(e, RollbackEnded) for e in seen[who]) for who in desks))  # sent in batches
        ended = {who: [e for e in seen[who] if isinstance(e, RollbackEnded)] for who in desks}
    finally:
        for local in engines.values():
            await local.stop()
        alice.journal.close()
        bob.journal.close()
    assert sorted(arrived) == [ALICE, BOB]
    (a_end,), (b_end,) = ended[ALICE], ended[BOB]
    assert [a_end.ok, b_end.ok].count(True) == 1, (a_end, b_end)
    loser, winner = (b_end, ALICE) if a_end.ok else (a_end, BOB)
    assert (f"already being done by {winner}" in loser.verdict or f"was started first by {winner}" in loser.verdict
            or "changed since the plan was made" in loser.verdict), loser.verdict  # the service re-read already shows the winner's
    assert "nothing sent" in loser.verdict or "changed since the plan was made" in loser.verdict
    reader = session(state, runbook, "reader@wall")
    intents = [e for e in reader.events_after(0) if e.kind == ROLLBACK and e.payload.get("phase") == "intent"]
    reader.journal.close()
    assert [e.who for e in intents] == [winner]  # one intent, one update sent


async def test_a_rollback_intent_journaled_by_another_operator_after_the_busy_check_refuses_it_naming_who(ecs, tmp_path):
    from cockpit.engine.events import RollbackEnded
    from cockpit.rollback.plan import RollbackPlan

    seed = seed_ecs(ecs, revisions=4, inactive=(), dashboard_revisions=1, dashboard_inactive=(), decoy=False)
    runbook = load_runbook()
    env = runbook.environments["staging"]
    state = tmp_path / "journal.sqlite3"
    alice = session(state, runbook, ALICE)
    seen: list[EngineEvent] = []
    local = LocalEngine(runbook, env, alice, live=False, flush_seconds=0.02, journal_poll_seconds=60, environ=dict(os.environ))
    local.start(seen.extend)
    try:
        assert local.engine is not None
        desk = local.engine.rollbacks
        real = desk.identity.refuse_rollback

        async def bob_meanwhile():  # after alice's busy check, before her intent: bob's cockpit journals his
            s = session(state, runbook, BOB)
            s.record(ROLLBACK_PREFIX + API, ROLLBACK, {"phase": "intent", "service": API, "from": seed.arn(API, 4), "to": seed.arn(API, 3)})
            s.journal.close()
            return await real()

        desk.identity.refuse_rollback = bob_meanwhile  # type: ignore[method-assign]
        plan = RollbackPlan(env.name, False, seed.cluster, API, seed.services[API], seed.arn(API, 2))
        await desk.run((plan,), wait=False)
        await until(lambda: any(isinstance(e, RollbackEnded) for e in seen))
    finally:
        await local.stop()
        alice.journal.close()
    (ended,) = [e for e in seen if isinstance(e, RollbackEnded)]
    assert not ended.ok and f"(refused): a rollback of {API} is already being done by bob@bastion since " in ended.verdict
    assert "nothing sent" in ended.verdict
    running = ecs.describe_services(cluster=seed.cluster, services=[API])["services"][0]["taskDefinition"]
    assert running == seed.services[API]  # alice's update never went out


async def test_another_operators_rollback_is_told_to_every_screen_with_who_then_its_end(journal_location, runbook):
    from cockpit.engine.events import RollbackElsewhere

    alice = session(journal_location, runbook, ALICE)
    seen: list[EngineEvent] = []
    local = LocalEngine(runbook, runbook.environments["staging"], alice, live=False, flush_seconds=0.02, journal_poll_seconds=0.05)
    local.start(seen.extend)
    told = lambda: [e for e in seen if isinstance(e, RollbackElsewhere)]  # noqa: E731
    try:
        bob = session(journal_location, runbook, BOB)
        bob.record(ROLLBACK_PREFIX + API, ROLLBACK, {"phase": "intent", "service": API, "from": "a:4", "to": "a:3"})
        await until(lambda: bool(told()))
        (shown,) = told()
        assert shown.service == API and shown.who == BOB and shown.since.endswith(" UTC")
        bob.record(ROLLBACK_PREFIX + API, ROLLBACK, {"phase": "outcome", "service": API, "status": "completed"})
        await until(lambda: len(told()) == 2)
        assert told()[-1] == RollbackElsewhere(API)  # no longer under way
        bob.journal.close()
    finally:
        await local.stop()
        alice.journal.close()
