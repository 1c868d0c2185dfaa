"""The journal on PostgreSQL: what only a shared, server-side journal has (the common suite is tests/unit/test_journal.py).

A real PostgreSQL 15 (tests/conftest.py): a fresh database per test, or a cluster of the test's own to freeze.
"""

from __future__ import annotations

import os
import signal

import psycopg
import pytest

from cockpit.journal import Journal, JournalError, fold, pg_store
from cockpit.journal.opening import describe, open_store
from cockpit.journal.pg_store import PgJournal
from cockpit.journal.session import RunSession
from cockpit.stack.postgres_cluster import PASSWORD
from tests.conftest import WHO, StepClock

KEY = ("rb", "1.0", "staging")


def operator(url: str, who: str, **kw) -> RunSession:
    return RunSession(PgJournal(url, clock=StepClock(), read_only=kw.pop("read_only", False)), *KEY, who, **kw)


def raw(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True, connect_timeout=5)


def superuser(cluster) -> psycopg.Connection:
    """The cluster's superuser over its Unix socket (role cockpit may not create roles)."""
    return psycopg.connect(host=str(cluster.socket_dir), port=cluster.port, user="postgres", dbname="postgres",
                           autocommit=True, connect_timeout=5)


def test_two_operators_see_each_other_at_once(pg_database):
    alice, bob = operator(pg_database, "alice@laptop"), operator(pg_database, "bob@bastion")
    first = alice.record("s1", "tick")
    assert [(e.id, e.who) for e in bob.events_after(0)] == [(first.id, "alice@laptop")]
    second = bob.record("s1", "note", {"text": "seen"})
    assert second.run_id == first.run_id  # bob joined alice's run, not a run of his own
    assert [(e.step_id, e.kind, e.who) for e in alice.events_after(first.id)] == [("s1", "note", "bob@bastion")]
    third = alice.record("s1", "untick")
    assert [e.id for e in bob.events_after(0)] == [first.id, second.id, third.id]  # the server's order, for both
    assert fold(bob.events_after(0))["s1"].by == "alice@laptop"


def test_both_stores_return_identical_events(pg_database, state_file):
    def walk(location) -> list:
        s = RunSession(open_store(location, clock=StepClock()), *KEY, WHO)
        s.record("s1", "tick")
        s.record("s1", "note", {"text": "a note", "n": [1, 2.5, None]})
        s.record("s2", "check", {"status": "pass"})
        return [s.journal.runs(), s.events_after(0), s.journal.event_counts()]

    assert walk(pg_database) == walk(state_file)


def test_events_are_append_only_in_the_server(pg_database):
    operator(pg_database, WHO).record("s1", "tick")
    with raw(pg_database) as conn:  # even the owner of the tables, by hand
        for statement in ("DELETE FROM cockpit.events", "UPDATE cockpit.events SET kind = 'untick'", "TRUNCATE cockpit.events"):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                conn.execute(statement)
        assert conn.execute("SELECT kind FROM cockpit.events").fetchall() == [("tick",)]


def test_read_only_is_enforced_by_the_server(pg_database):
    operator(pg_database, WHO).record("s1", "tick")
    view = PgJournal(pg_database, read_only=True)
    view.read_only = False  # a forged journal: cockpit's own check is gone, the server's is not
    with pytest.raises(JournalError, match="read-only transaction"):
        view.append(None, KEY, "mallory@nowhere", "s1", "untick")
    with pytest.raises(JournalError, match="read-only transaction"):
        view.start_run(*KEY, "mallory@nowhere")
    with raw(pg_database) as conn:
        assert conn.execute("SELECT count(*) FROM cockpit.events").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM cockpit.runs").fetchone() == (1,)


def test_read_only_on_a_fresh_database_creates_nothing_and_sees_the_journal_appear(pg_database):
    watcher = operator(pg_database, WHO, read_only=True)
    assert watcher.run is None and watcher.events_after(0) == []
    with raw(pg_database) as conn:
        assert conn.execute("SELECT to_regnamespace('cockpit')").fetchone() == (None,)
    operator(pg_database, "alice@laptop").record("s1", "tick")
    assert [e.who for e in watcher.events_after(0)] == ["alice@laptop"]


def test_newer_schema_is_refused(pg_database):
    PgJournal(pg_database).close()
    with raw(pg_database) as conn:
        conn.execute("UPDATE cockpit.meta SET value = '99' WHERE key = 'schema_version'")
    for read_only in (False, True):
        with pytest.raises(JournalError, match=r"newer cockpit \(journal schema 99, this one reads 2\)"):
            PgJournal(pg_database, read_only=read_only)


def test_a_schema_named_cockpit_that_is_not_ours_is_refused(pg_database):
    with raw(pg_database) as conn:
        conn.execute("CREATE SCHEMA cockpit; CREATE TABLE cockpit.events (x int)")
    with pytest.raises(JournalError, match="not a cockpit journal"):
        PgJournal(pg_database)
    with raw(pg_database) as conn:
        assert conn.execute("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'cockpit'").fetchone() == (1,)


def test_wrong_password_is_one_masked_line(pg_database, postgres):
    url = postgres.url_with(password="Wr0ng-p@ss", database=pg_database.rsplit("/", 1)[1])
    with pytest.raises(JournalError) as caught:
        PgJournal(url)
    message = str(caught.value)
    assert "\n" not in message and "Wr0ng" not in message and PASSWORD not in message
    assert message.startswith(f"shared journal postgresql://cockpit:***@127.0.0.1:{postgres.port}/")
    assert "password authentication failed" in message


def test_describe_masks_the_password(pg_database, state_file):
    assert "***" in describe(pg_database) and "p%40ss" not in describe(pg_database)
    assert describe(state_file) == str(state_file)


def test_a_role_that_may_only_read_is_told_to_open_read_only(pg_database, postgres):
    operator(pg_database, WHO).record("s1", "tick")
    with superuser(postgres) as conn:
        conn.execute("DROP ROLE IF EXISTS wall_screen")
        conn.execute("CREATE ROLE wall_screen LOGIN PASSWORD 'wall'")
    with raw(pg_database) as conn:
        conn.execute("GRANT USAGE ON SCHEMA cockpit TO wall_screen")
        conn.execute("GRANT SELECT ON ALL TABLES IN SCHEMA cockpit TO wall_screen")
    url = postgres.url_with(user="wall_screen", password="wall", database=pg_database.rsplit("/", 1)[1])
    try:
        with pytest.raises(JournalError, match="cannot be written .*open it with --read-only"):
            PgJournal(url)
        assert [e.step_id for e in operator(url, "wall@tv", read_only=True).events_after(0)] == ["s1"]
    finally:
        with raw(pg_database) as conn:
            conn.execute("REVOKE ALL ON ALL TABLES IN SCHEMA cockpit FROM wall_screen")
            conn.execute("REVOKE USAGE ON SCHEMA cockpit FROM wall_screen")
        with superuser(postgres) as conn:
            conn.execute("DROP ROLE wall_screen")


def test_a_stuck_server_is_a_clear_error_and_a_restarted_one_is_used_again(postgres_fault, monkeypatch):
    monkeypatch.setattr(pg_store, "CALL_TIMEOUT_SECONDS", 0.5)  # the watchdog, not the test, decides it is stuck
    s = operator(postgres_fault.url, WHO)
    s.record("s1", "tick")
    backend = s.journal._conn.info.backend_pid  # postgres children leave the postmaster's process group: stop ours
    os.kill(backend, signal.SIGSTOP)  # the kernel still ACKs: only a client-side deadline ends the wait
    try:
        with pytest.raises(JournalError, match="no answer within 0.5 s"):
            s.events_after(0)
    finally:
        os.kill(backend, signal.SIGCONT)
    assert [e.step_id for e in s.events_after(0)] == ["s1"]  # a new connection, checked again
    postgres_fault.restart()
    with pytest.raises(JournalError, match="shared journal postgresql://cockpit:\\*\\*\\*@"):
        s.record("s2", "tick")  # the old connection died with the server: said in one line, nothing written
    s.record("s2", "tick")
    assert [e.step_id for e in s.events_after(0)] == ["s1", "s2"]


def test_a_frozen_postmaster_is_a_connect_timeout(postgres_fault, monkeypatch):
    monkeypatch.setattr(pg_store, "CONNECT_TIMEOUT_SECONDS", 2)  # libpq's smallest
    postgres_fault.freeze()
    try:
        with pytest.raises(JournalError, match="shared journal postgresql://cockpit:\\*\\*\\*@.*timeout"):
            PgJournal(postgres_fault.url)
    finally:
        postgres_fault.thaw()


def test_an_unreachable_server_is_one_line(postgres_fault):
    url = postgres_fault.url
    postgres_fault.stop()
    with pytest.raises(JournalError) as caught:
        PgJournal(url)
    assert "\n" not in str(caught.value) and "***" in str(caught.value) and "p%40ss" not in str(caught.value)


def test_the_sqlite_journal_is_still_what_a_path_opens(state_file):
    journal = open_store(state_file)
    assert isinstance(journal, Journal) and journal.path == state_file


@pytest.mark.parametrize("url, secret", [
    ("postgresql://u:p%zzs3cret@127.0.0.1:1/db", "s3cret"),  # libpq quotes the bad %-escape: the password itself
    ("postgresql://u:se cr3t@127.0.0.1:1/db", "cr3t"),  # a space: no URL parser masks it
    ("postgres://u:s3cr@t@127.0.0.1:1/db", "s3cr"),  # an unencoded '@' inside the password
    ("postgresql://u:s3cret@[::1:1/db", "s3cret"),  # libpq quotes the whole URL
])
def test_a_url_that_does_not_parse_never_shows_its_password(url, secret):
    with pytest.raises(JournalError) as caught:
        PgJournal(url)
    message = str(caught.value)
    assert secret not in message and "\n" not in message and message.startswith("shared journal postgres")
    assert secret not in describe(url) and "***" in describe(url)


def test_appends_take_turns_so_ids_are_in_commit_order(pg_database):
    """A sequence hands out ids at INSERT: without one writer at a time, a reader could see id 6 before id 5 is
    committed and, reading after 6, never see 5. While another writer holds the append lock, an append waits."""
    from concurrent.futures import ThreadPoolExecutor

    from cockpit.journal.pg_schema import LOCK_APP, LOCK_APPEND

    s = operator(pg_database, "alice@laptop")
    s.record("s1", "tick")
    with raw(pg_database) as other, ThreadPoolExecutor(1) as pool:
        with other.transaction():
            other.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_APP, LOCK_APPEND))
            pending = pool.submit(s.record, "s2", "tick")
            waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            for _ in range(1000):
                if other.execute(waiting).fetchone() == (1,):
                    break
                other.execute("SELECT pg_sleep(0.01)")
            assert other.execute(waiting).fetchone() == (1,) and not pending.done()
        assert pending.result(timeout=30).step_id == "s2"  # the lock went with the other's COMMIT
    assert [e.step_id for e in s.events_after(0)] == ["s1", "s2"]


def test_a_second_operator_role_needs_only_select_and_insert(pg_database, postgres):
    """What the README promises: after the owner created the schema, USAGE + SELECT, INSERT are enough to drive."""
    operator(pg_database, "alice@laptop").record("s1", "tick")
    with superuser(postgres) as conn:
        conn.execute("DROP ROLE IF EXISTS second_operator")
        conn.execute("CREATE ROLE second_operator LOGIN PASSWORD 'op2'")
    with raw(pg_database) as conn:
        conn.execute("GRANT USAGE ON SCHEMA cockpit TO second_operator")
        conn.execute("GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA cockpit TO second_operator")
    url = postgres.url_with(user="second_operator", password="op2", database=pg_database.rsplit("/", 1)[1])
    try:
        bob = operator(url, "bob@bastion")
        bob.record("s2", "tick")
        bob.journal.close()
        assert [(e.step_id, e.who) for e in operator(pg_database, "alice@laptop").events_after(0)] == [
            ("s1", "alice@laptop"), ("s2", "bob@bastion")
        ]
    finally:
        with raw(pg_database) as conn:
            conn.execute("REVOKE ALL ON ALL TABLES IN SCHEMA cockpit FROM second_operator")
            conn.execute("REVOKE USAGE ON SCHEMA cockpit FROM second_operator")
        with superuser(postgres) as conn:
            conn.execute("DROP ROLE second_operator")
