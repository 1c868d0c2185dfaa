"""A request nobody approves, or an approval nobody uses, expires with no new journal event: every attached cockpit says
so when it happens (the step's "waiting for approval" or "approved" line is replaced by "... expired ...: nothing sent"),
on both journals (SQLite, PostgreSQL). Two real in-loop engines, real journals, real bash. The desks' clock is moved on
by the test (nothing sleeps); the desks look at it often (RECHECK_SECONDS)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from cockpit.engine.approvals import REQUEST, USED
from cockpit.engine.engine import Engine
from cockpit.engine.events import ActionEnded, ActionProgress, EngineEvent, RolloutProgress
from cockpit.engine.local import LocalEngine
from cockpit.journal.opening import open_store
from cockpit.journal.progress import ROLLBACK_PREFIX
from cockpit.journal.session import RunSession
from cockpit.journal.store import utc_now
from cockpit.runbook import load_runbook
from cockpit.runbook.model import Action, ApprovalSettings
from tests.integration.test_run_actions import with_actions

ALICE, BOB = "alice@laptop", "bob@bastion"
LATER = timedelta(minutes=16)  # past the runbook's 15 minutes
WAIT = 20.0  # upper bound for a condition; never reached when all is well
ROLLBACK_API = ROLLBACK_PREFIX + "avnz-api"


class Clock:
    """The desks' clock: the real time, moved on by the test."""

    def __init__(self) -> None:
        self.ahead = timedelta()

    def __call__(self) -> datetime:
        return utc_now() + self.ahead


@pytest.fixture
def guarded(tmp_path, monkeypatch):
    """The bundled runbook with `b-e2e` and `pre-docs` touching a file and needing a second operator, rollbacks too."""
    monkeypatch.setattr("cockpit.engine.approval_desk.RECHECK_SECONDS", 0.05)
    work = tmp_path / "work"
    work.mkdir()
    runbook = with_actions(load_runbook(), work, b_e2e=(Action("command", run="touch ran"),),
                           pre_docs=(Action("command", run="touch docs"),))
    phases = tuple(replace(p, steps=tuple(replace(s, approval="second-operator") if s.id in ("b-e2e", "pre-docs") else s
                                          for s in p.steps)) for p in runbook.phases)
    return replace(runbook, phases=phases, approval=ApprovalSettings(rollbacks="second-operator")), work


def session(location: Any, runbook, who: str) -> RunSession:
    return RunSession(open_store(location), runbook.id, runbook.version, "staging", who)


@contextlib.asynccontextmanager
async def cockpits(location: Any, runbook) -> AsyncIterator[tuple[dict[str, list[EngineEvent]], dict[str, Engine], Clock]]:
    """Alice's and Bob's cockpits on one journal: what each was sent, their engines, and their desks' clock."""
    clock = Clock()
    sessions = {who: session(location, runbook, who) for who in (ALICE, BOB)}
    seen_by: dict[str, list[EngineEvent]] = {who: [] for who in sessions}
    engines = {who: LocalEngine(runbook, runbook.environments["staging"], s, live=False, flush_seconds=0.02,
                                journal_poll_seconds=0.05) for who, s in sessions.items()}
    for who, local in engines.items():
        local.start(seen_by[who].extend)
        assert local.engine is not None
        local.engine.actions.approvals.now = clock  # before the engine's first read
    try:
        yield seen_by, {who: local.engine for who, local in engines.items() if local.engine is not None}, clock
    finally:
        for local in engines.values():
            await local.stop()
        for s in sessions.values():
            s.journal.close()


async def until(predicate, timeout: float = WAIT) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


def lines(events: list[EngineEvent], step_id: str) -> list[str]:
    """What a cockpit was told about `step_id`, in order: progress lines and ends (a rollback's: its log lines)."""
    said = []
    for e in events:
        if isinstance(e, ActionProgress | ActionEnded) and e.step_id == step_id:
            said.append(e.text if isinstance(e, ActionProgress) else e.evidence)
        elif isinstance(e, RolloutProgress) and ROLLBACK_PREFIX + e.service == step_id and e.text:
            said.append(e.text)
    return said


def expired(events: list[EngineEvent], step_id: str) -> list[str]:
    return [line for line in lines(events, step_id) if "expired" in line]


def journal_ids(location: Any, runbook) -> list[int]:
    s = session(location, runbook, "reader")
    try:
        return [e.id for e in s.events_after(0)]
    finally:
        s.journal.close()


async def both_see(seen_by: dict[str, list[EngineEvent]], step_id: str, text: str) -> None:
    for who in (ALICE, BOB):
        await until(lambda: any(text in line for line in lines(seen_by[who], step_id)))  # noqa: B023


async def test_a_request_nobody_approves_is_said_expired_on_every_cockpit_when_it_expires(journal_location, guarded):
    runbook, work = guarded
    async with cockpits(journal_location, runbook) as (seen_by, engines, clock):
        refused = await engines[BOB].actions.run_step("b-e2e", "staging")
        assert refused.refused and "waiting for approval" in refused.evidence
        await both_see(seen_by, "b-e2e", f"waiting for approval: {BOB} asked at ")
        (request,) = [e for e in engines[ALICE].actions.approvals.events if e.kind == REQUEST]
        assert expired(seen_by[ALICE], "b-e2e") == [] and expired(seen_by[BOB], "b-e2e") == []
        before = journal_ids(journal_location, runbook)
        clock.ahead = LATER  # nobody approved it
        for who in (ALICE, BOB):
            await until(lambda: bool(expired(seen_by[who], "b-e2e")))  # noqa: B023
            ended = [e for e in seen_by[who] if isinstance(e, ActionEnded) and "expired" in e.evidence]
            assert len(ended) == 1 and not ended[0].ok and not ended[0].unknown
            until_at = (datetime.fromisoformat(request.at.replace("Z", "+00:00")) + timedelta(minutes=15)).strftime("%H:%M UTC")
            assert ended[0].evidence == (f"approval request of {BOB} to run b-e2e expired at {until_at} unapproved: nothing sent; "
                                         "run it again to ask again")
            assert lines(seen_by[who], "b-e2e")[-1] == ended[0].evidence  # the last word on the step
        assert journal_ids(journal_location, runbook) == before  # no journal event made it so
        assert not (work / "ran").exists()

        refused = await engines[BOB].actions.run_step("b-e2e", "staging")  # asking again: a fresh request
        assert refused.refused and "waiting for approval" in refused.evidence
        assert len([e for e in engines[BOB].actions.approvals.events if e.kind == REQUEST]) == 2


async def test_an_approval_nobody_uses_is_said_expired_and_its_request_is_not(journal_location, guarded):
    runbook, work = guarded
    async with cockpits(journal_location, runbook) as (seen_by, engines, clock):
        await engines[BOB].actions.run_step("b-e2e", "staging")
        ok, text = await engines[ALICE].actions.approvals.approve("b-e2e", ALICE)
        assert ok, text
        await both_see(seen_by, "b-e2e", f"approved by {ALICE} at ")
        clock.ahead = LATER  # the request and the approval are both older than 15 minutes now
        for who in (ALICE, BOB):
            await until(lambda: bool(expired(seen_by[who], "b-e2e")))  # noqa: B023
            (line,) = expired(seen_by[who], "b-e2e")
            assert line.startswith(f"approval of {BOB}'s request by {ALICE} expired at ") and line.endswith(
                " unused: nothing sent; run it again to ask again"), line
        refused = await engines[BOB].actions.run_step("b-e2e", "staging")
        assert refused.refused and "waiting for approval" in refused.evidence and not (work / "ran").exists()


async def test_a_used_approval_is_never_said_expired(journal_location, guarded):
    runbook, work = guarded
    async with cockpits(journal_location, runbook) as (seen_by, engines, clock):
        await engines[BOB].actions.run_step("b-e2e", "staging")
        assert (await engines[ALICE].actions.approvals.approve("b-e2e", ALICE))[0]
        ran = await engines[BOB].actions.run_step("b-e2e", "staging")
        assert ran.ok, ran.evidence
        assert (work / "ran").exists()
        await engines[BOB].actions.run_step("pre-docs", "staging")  # another request, left to expire: the desks looked again
        await both_see(seen_by, "pre-docs", f"waiting for approval: {BOB} asked at ")
        for who in (ALICE, BOB):  # the approval's use read by both
            await until(lambda: USED in [e.kind for e in engines[who].actions.approvals.events])  # noqa: B023
        clock.ahead = LATER
        for who in (ALICE, BOB):
            await until(lambda: bool(expired(seen_by[who], "pre-docs")))  # noqa: B023
            assert expired(seen_by[who], "b-e2e") == []
            assert "b-e2e" not in engines[who].actions.approvals.watches  # nothing left to look at for it


async def test_an_approval_that_expired_while_its_gate_was_checked_is_not_used(journal_location, guarded):
    runbook, work = guarded
    async with cockpits(journal_location, runbook) as (seen_by, engines, clock):
        await engines[BOB].actions.run_step("b-e2e", "staging")
        assert (await engines[ALICE].actions.approvals.approve("b-e2e", ALICE))[0]
        desk = engines[BOB].actions.approvals
        await engines[BOB].actions.read_journal()  # Alice's approval, as a run reads it first
        waiting, approval = await desk.gate("b-e2e", BOB, [])
        assert waiting == "" and approval is not None
        clock.ahead = LATER  # the gate's live checks took long
        refusal = await desk.use("b-e2e", approval, BOB)
        assert refusal.startswith(f"refused: the approval of b-e2e by {ALICE} expired at ") and "nothing sent" in refusal, refusal
        assert USED not in [e.kind for e in desk.events]


async def test_a_rollbacks_request_is_said_expired_in_its_log(journal_location, guarded):
    runbook, _ = guarded
    async with cockpits(journal_location, runbook) as (seen_by, engines, clock):
        bob = session(journal_location, runbook, BOB)  # Bob's `cockpit rollback`, refused and waiting
        bob.record(ROLLBACK_API, REQUEST, {"who": BOB, "environment": "staging", "what": [{"service": "avnz-api"}]})
        bob.journal.close()
        await both_see(seen_by, ROLLBACK_API, f"waiting for approval: {BOB} asked at ")
        clock.ahead = LATER
        for who in (ALICE, BOB):
            await until(lambda: bool(expired(seen_by[who], ROLLBACK_API)))  # noqa: B023
            (line,) = expired(seen_by[who], ROLLBACK_API)
            assert line.startswith(f"approval request of {BOB} to run {ROLLBACK_API} expired at ")


async def test_stopping_the_engine_leaves_no_timer(journal_location, guarded):
    runbook, _ = guarded
    async with cockpits(journal_location, runbook) as (seen_by, engines, clock):
        await engines[BOB].actions.run_step("b-e2e", "staging")
        await both_see(seen_by, "b-e2e", "waiting for approval: ")
        desks = [engine.actions.approvals for engine in engines.values()]
        assert all(desk.watches for desk in desks)
    assert all(not desk.watches and not desk.tasks for desk in desks)
