"""The shared journal while its server is away: the local spool, its idempotent replay, and the schema version 2
that makes the replay safe (event keys). Against a real PostgreSQL (tests/conftest.py): `postgres_fault` is a
cluster of the test's own, stopped and started again mid-run; `pg_database` a fresh database. Every wait is on
a condition.
"""

from __future__ import annotations

import asyncio
import stat
import threading
import time
import uuid
from collections.abc import Callable

import psycopg
import pytest

from cockpit.engine import journal as engine_journal
from cockpit.engine.commands import Record
from cockpit.engine.events import EngineEvent, JournalWritten, VerdictChanged
from cockpit.engine.local import LocalEngine
from cockpit.journal import JournalError, pg_schema
from cockpit.journal.opening import describe, open_store
from cockpit.journal.pg_store import PgJournal
from cockpit.journal.session import RunSession
from cockpit.journal.spool import Spool, spool_path_for
from cockpit.journal.spooling import SpoolingJournal
from cockpit.journal.store import JournalSpooled
from tests.conftest import StepClock

KEY = ("rb", "1.0", "staging")
WHO = "alice@bastion"


def raw(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True, connect_timeout=5)


def spooling(url: str, spool_file) -> SpoolingJournal:
    return SpoolingJournal(PgJournal(url, clock=StepClock()), Spool(spool_file), clock=StepClock())


def keyed_rows(url: str) -> list[tuple]:
    """(step, kind, at, event key) of every event, in id order: what another cockpit would read."""
    with raw(url) as conn:
        return conn.execute("SELECT step_id, kind, at, event_key FROM cockpit.events ORDER BY id").fetchall()


async def until(condition: Callable[[], bool], what: str, within: float = 30.0) -> None:
    """Wait for `condition` (checked every 20 ms); fail saying `what` did not happen."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"{what}: not within {within:g} s")
        await asyncio.sleep(0.02)


# -- schema version 2: event keys ----------------------------------------------------------------


def test_a_version_1_journal_is_migrated_and_keeps_its_events(pg_database):
    with raw(pg_database) as conn:  # a journal as a version 1 cockpit left it
        conn.execute(pg_schema.CREATE)
        conn.execute(pg_schema.WRITE_META, (pg_schema.APPLICATION, "1"))
        conn.execute("INSERT INTO cockpit.runs (runbook_id, runbook_version, environment, started_at, started_by)"
                     " VALUES ('rb', '1.0', 'staging', '2026-01-01T00:00:00.000Z', 'old@host')")
        for step in ("s1", "s2"):
            conn.execute("INSERT INTO cockpit.events (run_id, at, who, runbook_id, runbook_version, environment, step_id,"
                         " kind, payload) VALUES (1, '2026-01-01T00:00:01.000Z', 'old@host', 'rb', '1.0', 'staging', %s, 'tick', '{}')",
                         (step,))
    old_view = PgJournal(pg_database, read_only=True)  # a read-only view does not migrate (nor need to)
    assert [e.step_id for e in old_view.events(1)] == ["s1", "s2"]
    old_view.close()
    session = RunSession(PgJournal(pg_database, clock=StepClock()), *KEY, WHO)
    with raw(pg_database) as conn:
        assert conn.execute("SELECT value FROM cockpit.meta WHERE key = 'schema_version'").fetchone() == ("2",)
    assert [(e.id, e.step_id) for e in session.events_after(0)] == [(1, "s1"), (2, "s2")]  # kept, same ids
    session.record("s3", "tick")
    assert [(step, key is None) for step, _, _, key in keyed_rows(pg_database)] == [("s1", True), ("s2", True), ("s3", False)]
    session.journal.close()


def test_an_append_of_a_key_already_there_adds_nothing_and_returns_the_first(pg_database):
    journal = PgJournal(pg_database, clock=StepClock())
    key = str(uuid.uuid4())
    first = journal.append(None, KEY, WHO, "s1", "tick", {"n": 1}, event_key=key, made_at="2026-01-01T10:00:00.000Z")
    again = journal.append(None, KEY, WHO, "s1", "tick", {"n": 1}, event_key=key, made_at="2026-01-01T10:00:00.000Z")
    assert again == first and first.at == "2026-01-01T10:00:00.000Z"  # the time it was made, not of the commit
    assert keyed_rows(pg_database) == [("s1", "tick", "2026-01-01T10:00:00.000Z", key)]
    journal.close()


def test_a_key_committed_by_an_append_that_skipped_the_lock_is_the_answer_not_an_error(pg_database):
    """The pre-check runs under the append lock; a writer that did not take it (an older tool, by hand) races it.
    The INSERT then waits on the unique index and, once that row commits, adds nothing and returns it."""
    journal = PgJournal(pg_database, clock=StepClock())
    journal.append(None, KEY, WHO, "s0", "tick")
    key = str(uuid.uuid4())
    with raw(pg_database) as rogue, raw(pg_database) as watcher:
        rogue.execute("BEGIN")
        rogue.execute("INSERT INTO cockpit.events (run_id, at, who, runbook_id, runbook_version, environment, step_id, kind,"
                      " payload, event_key) VALUES (1, '2026-01-01T09:00:00.000Z', 'rogue@host', 'rb', '1.0', 'staging',"
                      " 's1', 'tick', '{}', %s)", (key,))
        result: list = []
        racing = threading.Thread(target=lambda: result.append(journal.append(None, KEY, WHO, "s1", "tick", event_key=key)))
        racing.start()
        deadline = time.monotonic() + 10
        while not watcher.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'cockpit journal'"
                                  " AND wait_event_type = 'Lock'").fetchone()[0]:
            assert time.monotonic() < deadline, "the racing append never waited on the unique index"
            time.sleep(0.02)
        rogue.execute("COMMIT")
        racing.join(10)
    assert result and result[0].who == "rogue@host"  # the row that was there, no unique-violation error
    assert [(step, k) for step, _, _, k in keyed_rows(pg_database)][1:] == [("s1", key)]
    journal.close()


# -- the spool ----------------------------------------------------------------------------------------


def test_a_refusal_is_not_spooled_only_an_unanswered_call_is(pg_database, tmp_path):
    journal = spooling(pg_database, tmp_path / "spool.sqlite3")
    journal.append(None, KEY, WHO, "s1", "tick")
    with raw(pg_database) as conn:  # the server answers, and says no: that is the operator's to see, not to wait for
        conn.execute("REVOKE INSERT ON cockpit.events FROM CURRENT_USER")
    with pytest.raises(JournalError, match="permission denied") as caught:
        journal.append(None, KEY, WHO, "s2", "tick")
    assert not isinstance(caught.value, JournalSpooled) and journal.waiting() == 0 and journal.status() == ""
    assert not (tmp_path / "spool.sqlite3").exists()  # no spool file until something waits
    journal.close()


def test_spooled_events_wait_in_a_private_file_and_replay_once_in_order(postgres_fault, tmp_path):
    spool_file = tmp_path / "spool.sqlite3"
    journal = spooling(postgres_fault.url, spool_file)
    journal.append(None, KEY, WHO, "s0", "tick")
    postgres_fault.stop()
    for step in ("s1", "s2", "s3"):
        with pytest.raises(JournalSpooled) as caught:
            journal.append(None, KEY, WHO, step, "tick", {"step": step})
    assert caught.value.waiting == 3 and journal.status() == "shared journal unreachable · 3 events waiting"
    assert "***" in journal.failure and "p%40ss" not in journal.failure  # the reason, password masked
    assert stat.S_IMODE(spool_file.stat().st_mode) == 0o600
    with pytest.raises(JournalError):  # still away: nothing replayed, nothing lost
        journal.replay()
    assert journal.waiting() == 3
    postgres_fault.start()
    replayed = journal.replay()
    assert [(entry.step_id, event.step_id, event.payload) for entry, event in replayed] == [
        (s, s, {"step": s}) for s in ("s1", "s2", "s3")]
    assert journal.waiting() == 0 and journal.status() == ""
    rows = keyed_rows(postgres_fault.url)
    assert [step for step, *_ in rows] == ["s0", "s1", "s2", "s3"]
    assert [at for _, _, at, _ in rows[1:]] == [entry.made_at for entry, _ in replayed]  # when they were made
    journal.close()


class CrashAfterCommit(Exception):
    """The process died between the replay's COMMIT and the spool's DELETE."""


class CrashingSpool(Spool):
    def remove(self, entry) -> None:
        raise CrashAfterCommit(entry.step_id)


def test_a_replay_cut_between_commit_and_removal_applies_nothing_twice(postgres_fault, tmp_path):
    spool_file = tmp_path / "spool.sqlite3"
    journal = spooling(postgres_fault.url, spool_file)
    journal.append(None, KEY, WHO, "s0", "tick")
    postgres_fault.stop()
    for step in ("s1", "s2"):
        with pytest.raises(JournalSpooled):
            journal.append(None, KEY, WHO, step, "tick")
    journal.close()
    postgres_fault.start()
    crashed = SpoolingJournal(PgJournal(postgres_fault.url), CrashingSpool(spool_file))
    with pytest.raises(CrashAfterCommit, match="s1"):
        crashed.replay()
    crashed.close()
    assert [step for step, *_ in keyed_rows(postgres_fault.url)] == ["s0", "s1"]  # committed, and still in the spool
    restarted = spooling(postgres_fault.url, spool_file)
    assert restarted.waiting() == 2
    assert [event.step_id for _, event in restarted.replay()] == ["s1", "s2"]
    assert [step for step, *_ in keyed_rows(postgres_fault.url)] == ["s0", "s1", "s2"]  # s1 once
    assert restarted.waiting() == 0
    restarted.close()


def test_open_store_spools_a_writable_shared_journal_only(pg_database, tmp_path):
    assert isinstance(open_store(pg_database), PgJournal)  # the headless verbs: no spool
    assert isinstance(open_store(pg_database, read_only=True, spool=True), PgJournal)  # a view writes nothing
    journal = open_store(pg_database, spool=tmp_path / "s.sqlite3")
    assert isinstance(journal, SpoolingJournal) and journal.spool.path == tmp_path / "s.sqlite3"
    journal.close()
    default = spool_path_for(describe(pg_database))
    assert "p%40ss" not in str(default) and default.name.startswith("spool-")  # named for the URL, never its password


# -- the engine: mid-run, the header's line, the replay ------------------------------------------------


async def test_ticks_made_while_the_server_is_down_arrive_once_in_order_when_it_returns(postgres_fault, tmp_path, runbook, monkeypatch):
    monkeypatch.setattr(engine_journal, "RETRY_SECONDS", 0.5)  # the backoff's longest wait: the test waits on conditions
    url = postgres_fault.url
    session = RunSession(spooling(url, tmp_path / "spool.sqlite3"), runbook.id, runbook.version, "staging", WHO)
    seen: list[EngineEvent] = []
    local = LocalEngine(runbook, runbook.environments["staging"], session, live=False, environ={}, journal_poll_seconds=0.2)
    local.start(seen.extend)

    def written(step: str) -> list[JournalWritten]:
        return [e for e in seen if isinstance(e, JournalWritten) and e.step_id == step]

    def verdict_says(text: str) -> bool:
        verdicts = [e.verdict for e in seen if isinstance(e, VerdictChanged)]
        return bool(verdicts) and any(p.text == text for p in verdicts[-1].problems)

    try:
        local.send(Record("pre-docs", "tick"))
        await until(lambda: any(w.event for w in written("pre-docs")), "the first tick committed")
        postgres_fault.stop()
        steps = ["pre-1", "pre-2", "pre-3"]
        for step in steps:  # one at a time, as an operator presses them
            local.send(Record(step, "tick"))
            await until(lambda s=step: bool(written(s)), f"{step} answered")
        assert all(w.spooled and w.event is None and not w.error for s in steps for w in written(s))  # waiting, not NOT SAVED
        await until(lambda: verdict_says("shared journal unreachable · 3 events waiting"), "the header's spool line")
        assert not [e.verdict for e in seen if isinstance(e, VerdictChanged)][-1].all_up
        postgres_fault.start()
        await until(lambda: all(any(w.event for w in written(s)) for s in steps), "the replay answering each waiting tick")
        await until(lambda: not any(p.source == "journal" for p in [e.verdict for e in seen if isinstance(e, VerdictChanged)][-1].problems),
                    "the spool line gone from the verdict")
    finally:
        await local.stop()
        session.journal.close()
    replayed_ids = [w.event.id for s in steps for w in written(s) if w.event]
    assert replayed_ids == sorted(replayed_ids)  # in the order they were made
    other = RunSession(PgJournal(url), runbook.id, runbook.version, "staging", "bob@laptop")  # another cockpit
    assert [(e.step_id, e.kind) for e in other.events_after(0)] == [(s, "tick") for s in ["pre-docs", *steps]]  # once each
    other.journal.close()
    assert Spool(tmp_path / "spool.sqlite3").waiting() == 0


def test_a_waiting_event_the_server_refuses_is_said_and_keeps_its_place(postgres_fault, tmp_path):
    journal = spooling(postgres_fault.url, tmp_path / "spool.sqlite3")
    journal.append(None, KEY, WHO, "s0", "tick")
    postgres_fault.stop()
    with pytest.raises(JournalSpooled):
        journal.append(None, KEY, WHO, "s1", "tick")
    postgres_fault.start()
    with raw(postgres_fault.url) as conn:
        conn.execute("REVOKE INSERT ON cockpit.events FROM CURRENT_USER")
    with pytest.raises(JournalError, match="no INSERT on cockpit.events") as caught:  # the server answers, and says no
        journal.replay()
    assert not isinstance(caught.value, JournalSpooled)
    assert journal.status().startswith("shared journal · 1 event waiting to be replayed: ") and "no INSERT" in journal.status()
    with raw(postgres_fault.url) as conn:
        conn.execute("GRANT INSERT ON cockpit.events TO CURRENT_USER")
    assert [event.step_id for _, event in journal.replay()] == ["s1"] and journal.status() == ""
    journal.close()


class ReadFailsOnce(SpoolingJournal):
    """A spooling journal whose next read fails once (the server went away again right after a replay's COMMIT)."""

    fail_next_read = False

    def events(self, run_id: int, after_id: int = 0):
        if self.fail_next_read:
            self.fail_next_read = False
            raise JournalError("shared journal: gone again")
        return super().events(run_id, after_id)


async def test_a_replay_followed_by_a_failed_read_still_answers_the_waiting_write(postgres_fault, tmp_path):
    journal = ReadFailsOnce(PgJournal(postgres_fault.url, clock=StepClock()), Spool(tmp_path / "spool.sqlite3"))
    session = RunSession(journal, *KEY, WHO)
    emitted: list[EngineEvent] = []
    writer = engine_journal.JournalWriter(session, emitted.append, lambda events: None, 3600.0)
    try:
        await writer.record("s0", "tick")
        postgres_fault.stop()
        assert await writer.record("s1", "tick") is None and writer.spool_status == "shared journal unreachable · 1 event waiting"
        postgres_fault.start()
        journal.fail_next_read = True
        assert not await writer.read()  # the read failed ...
        answers = [e for e in emitted if isinstance(e, JournalWritten) and e.step_id == "s1"]
        assert [(bool(a.spooled), a.event is not None) for a in answers] == [(True, False), (False, True)]  # ... s1 is answered
        assert writer.spool_status == "" and journal.waiting() == 0
    finally:
        writer.close()
        journal.close()


def test_what_coordinates_operators_is_never_spooled_only_records_are(postgres_fault, tmp_path):
    """An action's intent, a rollback's, an override or an approval kept in the spool would be replayed later as
    something nobody did (or saw given): while the server is away they are refused, and nothing of them waits."""
    from cockpit.journal.progress import ACTION, OVERRIDE, ROLLBACK
    from cockpit.journal.store import Claim, JournalUnreachable

    journal = spooling(postgres_fault.url, tmp_path / "spool.sqlite3")
    journal.append(None, KEY, WHO, "s0", "tick")
    postgres_fault.stop()
    for kind in (ACTION, ROLLBACK, OVERRIDE, "approval", "approval-request", "approval-used"):
        with pytest.raises(JournalUnreachable, match=f"a {kind} needs the shared journal: not saved, nothing sent"):
            journal.append(None, KEY, WHO, "b-e2e", kind, {"phase": "intent"})
    with pytest.raises(JournalUnreachable):  # a claim, whatever its kind, is decided by the server
        journal.append(None, KEY, WHO, "b-e2e", "tick", claim=Claim(0, ACTION))
    assert journal.waiting() == 0
    with pytest.raises(JournalSpooled):  # a tick is a record: it waits
        journal.append(None, KEY, WHO, "s1", "tick")
    postgres_fault.start()
    # behind a waiting record, an intent goes to the server directly (not ordered with it): committed, not spooled
    assert journal.append(None, KEY, WHO, "b-e2e", ACTION, {"phase": "intent"}, claim=Claim(1, ACTION)).kind == ACTION
    assert journal.waiting() == 1
    journal.replay()
    assert [(step, kind) for step, kind, *_ in keyed_rows(postgres_fault.url)] == [("s0", "tick"), ("b-e2e", ACTION), ("s1", "tick")]
    journal.close()


async def test_an_action_run_while_the_server_is_away_sends_nothing_and_leaves_no_intent_behind(postgres_fault, tmp_path):
    from cockpit.runbook import load_runbook
    from cockpit.runbook.model import Action
    from tests.integration.test_run_actions import with_actions

    work = tmp_path / "work"
    work.mkdir()
    runbook = with_actions(load_runbook(), work, b_e2e=(Action("command", run="touch ran"),))
    session = RunSession(spooling(postgres_fault.url, tmp_path / "spool.sqlite3"), runbook.id, runbook.version, "staging", WHO)
    session.record("pre-docs", "tick")
    local = LocalEngine(runbook, runbook.environments["staging"], session, live=False, environ={}, journal_poll_seconds=0.2)
    local.start(lambda _events: None)
    try:
        assert local.engine is not None
        postgres_fault.stop()
        result = await local.engine.actions.run_step("b-e2e", "staging")
        postgres_fault.start()
    finally:
        await local.stop()
        session.journal.close()
    assert not result.ok and "the journal did not take its intent: nothing sent" in result.evidence, result.evidence
    assert not (work / "ran").exists()
    assert Spool(tmp_path / "spool.sqlite3").waiting() == 0  # nothing left to be replayed as an intent nobody acted on
    assert [kind for _, kind, *_ in keyed_rows(postgres_fault.url)] == ["tick"]


async def test_an_engine_started_while_the_server_is_away_keeps_the_operators_ticks_for_it(postgres_fault, tmp_path, runbook, monkeypatch):
    """The engine process restarted mid-run (it died) while PostgreSQL is down: it opens all the same on the run the
    cockpit had, says the journal is unreachable, spools the ticks, and replays them into that run once it is back."""
    monkeypatch.setattr(engine_journal, "RETRY_SECONDS", 0.5)
    url = postgres_fault.url
    first = RunSession(PgJournal(url), runbook.id, runbook.version, "staging", WHO)
    first.record("pre-docs", "tick")  # the run the cockpit opened
    run = first.run
    first.journal.close()
    postgres_fault.stop()
    with pytest.raises(JournalError):  # without a spool there is nothing to keep the events in: said at once
        RunSession(open_store(url), runbook.id, runbook.version, "staging", WHO, known_run=run)
    spool_file = tmp_path / "spool.sqlite3"
    session = RunSession(open_store(url, spool=spool_file), runbook.id, runbook.version, "staging", WHO, known_run=run)
    assert session.run == run
    seen: list[EngineEvent] = []
    local = LocalEngine(runbook, runbook.environments["staging"], session, live=False, environ={}, journal_poll_seconds=0.2)
    local.start(seen.extend)

    def written(step: str) -> list[JournalWritten]:
        return [e for e in seen if isinstance(e, JournalWritten) and e.step_id == step]

    try:
        local.send(Record("pre-1", "tick"))
        await until(lambda: bool(written("pre-1")), "pre-1 answered")
        assert written("pre-1")[0].spooled and not written("pre-1")[0].error
        await until(lambda: any(p.text == "shared journal unreachable · 1 event waiting"
                                for e in seen if isinstance(e, VerdictChanged) for p in e.verdict.problems), "the spool line")
        postgres_fault.start()
        await until(lambda: any(w.event for w in written("pre-1")), "the tick replayed")
    finally:
        await local.stop()
        session.journal.close()
    (replayed,) = [w.event for w in written("pre-1") if w.event]
    assert replayed.run_id == run.id
    other = RunSession(PgJournal(url), runbook.id, runbook.version, "staging", "bob@laptop")
    assert [(e.step_id, e.kind) for e in other.events_after(0)] == [("pre-docs", "tick"), ("pre-1", "tick")]
    other.journal.close()
