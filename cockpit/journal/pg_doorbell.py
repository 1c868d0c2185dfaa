"""The shared journal's doorbell: LISTEN on a connection of its own, so other cockpits' events arrive at once.

The events table is the truth; a notification only says "read now". Every append NOTIFYs
`pg_schema.CHANNEL` with "RUN_ID:EVENT_ID" in its own transaction (PgJournal.append), and the
doorbell hands each one to `on_ring`. After every (re)connect it rings once by itself: the
follower reads from the last event id it has seen, so a notification missed while the
connection was down loses nothing.

LISTEN does not work everywhere: behind a transaction-pooling pgbouncer the LISTEN and the
NOTIFY land on server connections that know nothing of each other. So after connecting the
doorbell NOTIFYs itself (from a second connection, as another cockpit would) and waits for the echo; when none comes within SELF_TEST_SECONDS it
says POLLING through `on_mode` and stops (the follower then reads every second).

psycopg's sync API in a daemon thread of its own: the wait (`notifies(timeout=...)`) never
blocks the engine's loop, and the callbacks are called from that thread.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable

import psycopg

from cockpit.core.redact import mask_url
from cockpit.core.text import one_line
from cockpit.journal import pg_schema as schema
from cockpit.journal.pg_schema import LISTENING, POLLING, RECONNECTING

CONNECT_TIMEOUT_SECONDS = 5
SELF_TEST_SECONDS = 3.0  # a NOTIFY to oneself comes back in milliseconds; pgbouncer never sends it
WAIT_SECONDS = 1.0  # how often the thread looks at its stop flag between notifications
RETRY_SECONDS = 2.0  # after the connection failed or broke

OnRing = Callable[[int | None, int], None]
"""(run id, event id) of a notification; (None, 0) when unknown (a reconnect, a payload not ours): read anyway."""
OnMode = Callable[[str, str], None]
"""(LISTENING | POLLING | RECONNECTING, why: one line, no password)."""

log = logging.getLogger("cockpit.journal")


class NoEcho(Exception):
    """The self-test NOTIFY never came back: LISTEN cannot work through this connection."""


class Doorbell:
    """LISTEN on `listen_channel` of the database at `url` until stopped; see the module docstring.

    `notify_channel` is where appends ring (and so where the self-test rings): the same channel
    unless a test parts them to play a pgbouncer that loses every notification.
    """

    def __init__(self, url: str, on_ring: OnRing, on_mode: OnMode, *, listen_channel: str = schema.CHANNEL,
                 notify_channel: str = schema.CHANNEL, self_test_seconds: float = SELF_TEST_SECONDS,
                 explain: Callable[[psycopg.Error], str] = lambda exc: one_line(mask_url(str(exc)), 300)) -> None:
        self.url = url
        self.explain = explain  # an error as one line without the password (PgJournal's, which knows it)
        self.on_ring = on_ring
        self.on_mode = on_mode
        self.listen_channel = listen_channel
        self.notify_channel = notify_channel
        self.self_test_seconds = self_test_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="journal doorbell", daemon=True)

    def start(self) -> None:
        """Connect and listen in the doorbell's own thread."""
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to end (within WAIT_SECONDS); never waits for it."""
        self._stop.set()

    # -- the thread ---------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with self._connect() as conn:
                    self._listen(conn)
                    self.on_ring(None, 0)  # catch up: whatever was committed while nobody listened
                    self._say(LISTENING, "")
                    self._serve(conn)
            except NoEcho as exc:
                self._say(POLLING, str(exc))
                return
            except psycopg.Error as exc:
                if self._stop.is_set():
                    return
                self._say(RECONNECTING, self.explain(exc))
                self._stop.wait(RETRY_SECONDS)

    def _connect(self) -> psycopg.Connection:
        # keepalives: a server gone silent (a cut network) is noticed even while no notification comes
        return psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS,
                               application_name="cockpit doorbell", keepalives=1, keepalives_idle=10,
                               keepalives_interval=5, keepalives_count=3)

    def _listen(self, conn: psycopg.Connection) -> None:
        """LISTEN, then NOTIFY oneself and wait for the echo (NoEcho when it never comes)."""
        conn.execute(f'LISTEN "{self.listen_channel}"')
        token = f"self-test:{uuid.uuid4().hex}"
        # From a connection of its own, as another cockpit's append: through a pooler, a NOTIFY sent on the
        # listening connection may run on the very server session that listens and echo to itself, a false "works".
        with self._connect() as other:
            other.execute(schema.NOTIFY, (self.notify_channel, token))
        for note in conn.notifies(timeout=self.self_test_seconds):
            if note.payload == token:
                return
            self._ring(note.payload)  # another cockpit's event, during the test: still an event
        raise NoEcho(f"a notification to itself did not come back within {self.self_test_seconds:g} s"
                     " (a transaction-pooling pgbouncer?)")

    def _serve(self, conn: psycopg.Connection) -> None:
        while not self._stop.is_set():
            for note in conn.notifies(timeout=WAIT_SECONDS):
                self._ring(note.payload)

    def _ring(self, payload: str) -> None:
        run_id, _, event_id = payload.partition(":")
        if run_id.isdigit() and event_id.isdigit():
            self.on_ring(int(run_id), int(event_id))
        elif not payload.startswith("self-test:"):
            self.on_ring(None, 0)  # not a payload this cockpit writes: a read costs little, a missed event much

    def _say(self, mode: str, why: str) -> None:
        if mode == LISTENING:
            log.info("shared journal: listening for other cockpits' events (LISTEN/NOTIFY)")
        else:
            log.warning("shared journal: %s, reading every second: %s", mode, why)
        self.on_mode(mode, why)
