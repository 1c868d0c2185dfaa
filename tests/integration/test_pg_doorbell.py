"""The shared journal's doorbell (LISTEN/NOTIFY) and its fallback, against a real PostgreSQL (tests/conftest.py).

The follower under test is the engine's JournalWriter on a PostgreSQL journal, with polling made
so slow (an hour) that an event reaching it can only have come by the doorbell, or by the
catch-up read after the doorbell (re)connects. Every wait is on a condition.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import psycopg
import pytest

from cockpit.engine.events import JournalFollowing, JournalRead
from cockpit.engine.journal import JournalWriter
from cockpit.journal import pg_schema
from cockpit.journal.pg_doorbell import Doorbell
from cockpit.journal.pg_store import PgJournal
from cockpit.journal.session import RunSession
from tests.conftest import StepClock

KEY = ("rb", "1.0", "staging")
HOUR = 3600.0


class CountingSession(RunSession):
    """A run session that counts its reads (to show a notification for another run causes none)."""

    reads = 0

    def events_after(self, after_id: int = 0):
        self.reads += 1
        return super().events_after(after_id)


class DeafJournal(PgJournal):
    """A journal whose doorbell listens where nobody rings: what a transaction-pooling pgbouncer does to LISTEN."""

    def doorbell(self, on_ring, on_mode):
        return Doorbell(self.url, on_ring, on_mode, listen_channel="nobody_rings_here", notify_channel=self.channel,
                        self_test_seconds=0.5)


def writer_session(url: str, who: str = "bob@bastion", env: str = "staging") -> RunSession:
    return RunSession(PgJournal(url, clock=StepClock()), KEY[0], KEY[1], env, who)


class Follower:
    """A JournalWriter following `session` in the test's loop, and every event it emitted."""

    def __init__(self, session: RunSession, poll_seconds: float = HOUR) -> None:
        self.session = session
        self.emitted: list = []
        self.writer = JournalWriter(session, self.emitted.append, lambda events: None, poll_seconds, safety_net_seconds=HOUR)
        self.task: asyncio.Task | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self.writer.run())

    async def stop(self) -> None:
        assert self.task is not None
        self.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await self.task
        self.writer.close()
        self.session.journal.close()

    def modes(self) -> list[str]:
        return [e.mode for e in self.emitted if isinstance(e, JournalFollowing)]

    def read_ids(self) -> set[int]:
        return {event.id for e in self.emitted if isinstance(e, JournalRead) for event in e.events}


async def until(condition: Callable[[], bool], what: str, within: float = 20.0) -> None:
    """Wait for `condition` (checked every 20 ms); fail saying `what` did not happen."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"{what}: not within {within:g} s")
        await asyncio.sleep(0.02)


async def record(session: RunSession, step_id: str, kind: str = "tick"):
    return await asyncio.to_thread(session.record, step_id, kind)


async def test_another_writers_event_arrives_by_the_doorbell(pg_database):
    bob = writer_session(pg_database)
    await record(bob, "s1")  # the run exists before the follower opens it
    follower = Follower(CountingSession(PgJournal(pg_database, clock=StepClock(), read_only=True), *KEY, "wall@tv"))
    follower.start()
    try:
        await until(lambda: pg_schema.LISTENING in follower.modes(), "the doorbell listening")
        event = await record(bob, "s2")
        await until(lambda: event.id in follower.read_ids(), "bob's tick read by the follower (polling is hourly)")
        assert follower.modes() == [pg_schema.LISTENING]
        text = next(e.text for e in follower.emitted if isinstance(e, JournalFollowing))
        assert text == "shared journal: live (LISTEN/NOTIFY)"
    finally:
        await follower.stop()
        bob.journal.close()


async def test_a_notification_for_another_run_reads_nothing(pg_database):
    bob, carol = writer_session(pg_database), writer_session(pg_database, "carol@laptop", env="production")
    await record(bob, "s1")
    session = CountingSession(PgJournal(pg_database, clock=StepClock(), read_only=True), *KEY, "wall@tv")
    follower = Follower(session)
    follower.start()
    try:
        await until(lambda: pg_schema.LISTENING in follower.modes(), "the doorbell listening")
        warm = await record(bob, "s2")
        await until(lambda: warm.id in follower.read_ids(), "the first tick read")
        reads = session.reads
        other = await record(carol, "s1")  # production's run: another run id in the notification
        ours = await record(bob, "s3")
        await until(lambda: ours.id in follower.read_ids(), "bob's second tick read")
        assert session.reads == reads + 1  # only our run's notification caused a read
        assert other.run_id != ours.run_id and other.id not in follower.read_ids()
    finally:
        await follower.stop()
        bob.journal.close()
        carol.journal.close()


def superuser(postgres) -> psycopg.Connection:
    return psycopg.connect(host=str(postgres.socket_dir), port=postgres.port, user="postgres", dbname="postgres",
                           autocommit=True, connect_timeout=5)


async def test_a_notification_missed_while_the_doorbell_was_cut_is_caught_up_on_reconnect(pg_database, postgres):
    database = pg_database.rsplit("/", 1)[1].split("?")[0]
    bob = writer_session(pg_database)
    await record(bob, "s1")
    follower = Follower(RunSession(PgJournal(pg_database, clock=StepClock(), read_only=True), *KEY, "wall@tv"))
    follower.start()
    admin = superuser(postgres)
    try:
        await until(lambda: pg_schema.LISTENING in follower.modes(), "the doorbell listening")
        # No new connection to the database for now (bob's and the follower's journal stay connected): the doorbell
        # cannot come back before bob's tick is committed, so that tick's notification reaches nobody.
        admin.execute(f"ALTER DATABASE {database} WITH ALLOW_CONNECTIONS false")
        cut = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                            " WHERE datname = %s AND application_name = 'cockpit doorbell'", (database,)).fetchall()
        assert cut == [(True,)]
        await until(lambda: pg_schema.RECONNECTING in follower.modes(), "the doorbell's loss noticed")
        missed = await record(bob, "s2")
        assert missed.id not in follower.read_ids()  # polling is hourly: nothing reads it yet
        admin.execute(f"ALTER DATABASE {database} WITH ALLOW_CONNECTIONS true")
        await until(lambda: missed.id in follower.read_ids(), "the missed tick caught up after the doorbell reconnected")
        assert follower.modes() == [pg_schema.LISTENING, pg_schema.RECONNECTING, pg_schema.LISTENING]
        reconnecting = [e.text for e in follower.emitted if isinstance(e, JournalFollowing)][1]
        assert reconnecting.startswith("shared journal: polling every 3600 s while its LISTEN connection is down: ")
    finally:
        admin.execute(f"ALTER DATABASE {database} WITH ALLOW_CONNECTIONS true")
        admin.close()
        await follower.stop()
        bob.journal.close()


async def test_no_echo_of_its_own_notify_falls_back_to_polling_and_says_so(pg_database):
    bob = writer_session(pg_database)
    await record(bob, "s1")
    follower = Follower(RunSession(DeafJournal(pg_database, clock=StepClock(), read_only=True), *KEY, "wall@tv"),
                        poll_seconds=0.2)
    follower.start()
    try:
        await until(lambda: pg_schema.POLLING in follower.modes(), "the fallback chosen")
        [said] = [e for e in follower.emitted if isinstance(e, JournalFollowing)]
        assert said.polling
        assert said.text.startswith("shared journal: polling every 0.2 s (no LISTEN/NOTIFY): ")
        assert said.text.endswith("a notification to itself did not come back within 0.5 s (a transaction-pooling pgbouncer?)")
        event = await record(bob, "s2")
        await until(lambda: event.id in follower.read_ids(), "bob's tick read by polling")
    finally:
        await follower.stop()
        bob.journal.close()


def test_an_append_rings_with_its_run_and_event_id(pg_database):
    listener = psycopg.connect(pg_database, autocommit=True, connect_timeout=5)
    listener.execute(f"LISTEN {pg_schema.CHANNEL}")
    bob = writer_session(pg_database)
    try:
        event = bob.record("s1", "tick")
        payloads = [n.payload for n in listener.notifies(timeout=10, stop_after=1)]
        assert payloads == [f"{event.run_id}:{event.id}"]
    finally:
        bob.journal.close()
        listener.close()



@pytest.fixture
def pgbouncer(postgres):
    """A real pgbouncer in transaction pooling in front of the shared test cluster."""
    from tests.servers import unavailable
    from tests.servers.pgbouncer import PgBouncer

    try:
        bouncer = PgBouncer(postgres.port).start()
    except (RuntimeError, OSError) as error:
        unavailable(f"pgbouncer could not start: {error}")
    try:
        yield bouncer
    finally:
        bouncer.stop()


async def test_behind_a_transaction_pooling_pgbouncer_the_follower_polls_and_says_so(pg_database, pgbouncer):
    """A real pgbouncer: the self-test's NOTIFY, sent from a connection of its own, never reaches the LISTEN."""
    database = pg_database.rsplit("/", 1)[1].split("?")[0]
    bob = writer_session(pg_database)  # directly to the server
    await record(bob, "s1")
    pooled = PgJournal(pgbouncer.url(database), clock=StepClock(), read_only=True)
    follower = Follower(RunSession(pooled, *KEY, "wall@tv"), poll_seconds=0.2)
    follower.start()
    try:
        await until(lambda: follower.modes() != [], "the doorbell's self-test over")
        assert follower.modes() == [pg_schema.POLLING]
        event = await record(bob, "s2")
        await until(lambda: event.id in follower.read_ids(), "bob's tick read through the pooler, by polling")
    finally:
        await follower.stop()
        bob.journal.close()


def test_the_journal_reads_and_writes_through_a_transaction_pooling_pgbouncer(pg_database, pgbouncer):
    """Through transaction pooling each transaction may run on any server session (pgbouncer 1.18): a read-only view's
    session-wide READ ONLY would refuse the writer's INSERTs, and the statements psycopg prepares after a few runs of
    the same query (a follower's polls) would be missing or already there. Neither may happen."""
    database = pg_database.rsplit("/", 1)[1].split("?")[0]
    bob = RunSession(PgJournal(pgbouncer.url(database), clock=StepClock()), *KEY, "bob@bastion")
    wall = RunSession(PgJournal(pgbouncer.url(database), clock=StepClock(), read_only=True), *KEY, "wall@tv")
    try:
        written = [bob.record("s1", "tick" if i % 2 == 0 else "untick") for i in range(12)]
        for _ in range(12):  # a follower's polls
            read = wall.events_after(0)
        assert [e.id for e in read] == [e.id for e in written]
    finally:
        bob.journal.close()
        wall.journal.close()
