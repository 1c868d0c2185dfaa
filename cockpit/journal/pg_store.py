"""The journal on PostgreSQL: the same runs and append-only events as the SQLite journal, shared by a team.

Same API and semantics as `cockpit.journal.store.Journal`: every write returns only after COMMIT,
timestamps come from the clock as ISO-8601 UTC strings (both stores return identical Event
values), ids come from the server and their order is the commit order. psycopg's sync API: the
journal is used from one worker thread.

Every call has a deadline: connect_timeout for connecting, statement_timeout for a server that
is busy, and a watchdog that shuts the socket down when a server that is frozen or cut off by
the network never answers (its kernel may still ACK, so TCP timeouts alone would wait forever).
A read-only journal is read-only in the server: its transactions are READ ONLY.

Nothing is set for the session, everything per transaction (SET LOCAL, SET TRANSACTION), and no
statement is prepared: behind a transaction-pooling pgbouncer each transaction may run on any
server session, so a session's setting would reach another client (a read-only view's READ ONLY
refusing a writer's INSERT) and a prepared statement would be missing or already there.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import psycopg

from cockpit.core.redact import mask_url
from cockpit.core.text import one_line
from cockpit.journal import pg_schema as schema
from cockpit.journal.masking import mask_password
from cockpit.journal.pg_doorbell import Doorbell, OnMode, OnRing
from cockpit.journal.store import CLAIM_RIVAL, Claim, Event, JournalError, JournalUnreachable, Run, _timestamp, check_claim, utc_now

CONNECT_TIMEOUT_SECONDS = 5
STATEMENT_TIMEOUT_MS = 5000
CALL_TIMEOUT_SECONDS = 10.0  # the watchdog: longer than statement_timeout, so a busy server answers with its own error

_RUN_COLUMNS = "id, runbook_id, runbook_version, environment, started_at, started_by"
_EVENT_COLUMNS = "id, run_id, at, who, runbook_id, runbook_version, environment, step_id, kind, payload"
_CLAIM_RIVAL = CLAIM_RIVAL.format(columns=_EVENT_COLUMNS, events="cockpit.events", p="%s")
_LATEST_RUN = f"SELECT {_RUN_COLUMNS} FROM cockpit.runs WHERE runbook_id = %s AND environment = %s ORDER BY id DESC LIMIT 1"


class PgJournal:
    """A journal in a PostgreSQL database (schema `cockpit`). Not thread-safe: one thread at a time."""

    def __init__(self, url: str, *, read_only: bool = False, clock: Callable[[], datetime] = utc_now, lazy: bool = False) -> None:
        self.url = url
        shown, self._secrets = mask_password(url)
        self.where = f"shared journal {shown}"  # for messages and screens: never the password
        self.read_only = read_only
        self._server_read_only = read_only  # what every transaction tells the server (a forged read_only=False stays refused)
        self.clock = clock
        self.channel = schema.CHANNEL  # where appends ring the doorbell (a test may part it from the listener's)
        self._conn: psycopg.Connection | None = None
        self._ready = False  # the schema exists and is ours (a read-only view of a fresh database waits for it)
        self._closed = False
        try:
            self._connection()
        except JournalUnreachable:
            if not lazy:
                raise
            # `lazy` (a spooling journal's): the server is away now; every call connects again, and says so until it answers

    # -- opening ---------------------------------------------------------------
    def _connection(self) -> psycopg.Connection:
        """The open connection; a new one (checked again) after the last one broke."""
        if self._closed:
            raise JournalError(f"{self.where} is closed")
        if self._conn is not None and not self._conn.closed and not self._conn.broken:
            return self._conn
        self._drop()
        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS,
                                   application_name="cockpit journal", prepare_threshold=None)
        except psycopg.Error as exc:
            raise self._explain(exc, unreachable=_no_answer(exc)) from exc
        self._conn = conn
        try:
            self._call(self._check_identity)
        except JournalError:
            self._drop()  # refused (newer schema, not ours, not writable): nothing stays open
            raise
        return conn

    def _check_identity(self, conn: psycopg.Connection) -> None:
        """Ours and not newer than this cockpit, or created now; a read-only view may find nothing yet."""
        self._ready = False
        with conn.transaction():
            if not self.read_only:
                conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (schema.LOCK_APP, schema.LOCK_SCHEMA))
            version = self._found_version(conn)
            if version is None and self.read_only:
                return
            if version is None or version < schema.SCHEMA_VERSION:
                if self.read_only:  # an older schema reads the same (version 1 is the first)
                    self._ready = True
                    return
                conn.execute(schema.CREATE)
                conn.execute(schema.MIGRATE)
                conn.execute(schema.WRITE_META, (schema.APPLICATION, str(schema.SCHEMA_VERSION)))
        if not self.read_only and not self._may_write(conn):
            raise JournalError(f"{self.where} cannot be written (no INSERT on cockpit.events for this role): open it with --read-only")
        self._ready = True

    def _found_version(self, conn: psycopg.Connection) -> int | None:
        """The schema version in the database; None when there is no journal there yet."""
        has_schema, has_meta = conn.execute(schema.IDENTITY).fetchone() or (False, False)
        if not has_meta:
            stray = has_schema and conn.execute("SELECT to_regclass('cockpit.events') IS NOT NULL").fetchone() == (True,)
            if stray:
                raise JournalError(f"{self.where}: the schema cockpit holds tables that are not a cockpit journal")
            return None
        meta: dict[str, str] = dict(conn.execute(schema.META).fetchall())
        if meta.get("application") != schema.APPLICATION or not str(meta.get("schema_version", "")).isdigit():
            raise JournalError(f"{self.where}: the schema cockpit is not a cockpit journal (another program's tables)")
        version = int(meta["schema_version"])
        if version > schema.SCHEMA_VERSION:
            raise JournalError(
                f"{self.where} was written by a newer cockpit (journal schema {version}, this one reads {schema.SCHEMA_VERSION})"
            )
        return version

    @staticmethod
    def _may_write(conn: psycopg.Connection) -> bool:
        row = conn.execute("SELECT has_table_privilege('cockpit.events', 'INSERT') AND has_table_privilege('cockpit.runs', 'INSERT')").fetchone()
        return bool(row and row[0])

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._closed = True
        self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def doorbell(self, on_ring: OnRing, on_mode: OnMode) -> Doorbell:
        """A doorbell (not started) on this journal's database: its LISTEN rings for every append (pg_doorbell.py)."""
        return Doorbell(self.url, on_ring, on_mode, listen_channel=self.channel, notify_channel=self.channel,
                        explain=lambda exc: str(self._explain(exc)))

    # -- every call: a deadline, and one line for the operator ----------------------
    def _call(self, work: Callable[[psycopg.Connection], Any]) -> Any:
        conn = self._conn
        assert conn is not None
        fired = threading.Event()
        watchdog = threading.Timer(CALL_TIMEOUT_SECONDS, _cut, args=(conn, fired))
        watchdog.daemon = True
        watchdog.start()
        try:
            return self._scoped(conn, work)
        except psycopg.Error as exc:
            if fired.is_set():
                self._drop()
                raise JournalUnreachable(f"{self.where}: no answer within {CALL_TIMEOUT_SECONDS:g} s (the server is stuck or unreachable)") from exc
            lost = conn.broken or conn.closed
            if lost:
                self._drop()  # the next call connects again
            raise self._explain(exc, unreachable=lost or _no_answer(exc)) from exc
        finally:
            watchdog.cancel()

    def _scoped(self, conn: psycopg.Connection, work: Callable[[psycopg.Connection], Any]) -> Any:
        """`work` in a transaction of its own with the journal's settings (see the module docstring: never the session's)."""
        with conn.transaction():
            conn.execute(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}")
            if self._server_read_only:  # enforced by the server: even a forged write fails there
                conn.execute("SET TRANSACTION READ ONLY")
            return work(conn)

    def _explain(self, exc: psycopg.Error, *, unreachable: bool = False) -> JournalError:
        detail = mask_url(str(exc))
        for secret in self._secrets:  # libpq quotes the token it could not parse: that may be the password itself
            detail = detail.replace(secret, "***")
        kind = JournalUnreachable if unreachable else JournalError
        return kind(one_line(f"{self.where}: {detail}", 400))

    # -- reading ---------------------------------------------------------------
    def _rows(self, sql: str, args: tuple = ()) -> list[tuple]:
        self._connection()
        if not self._ready:
            self._call(self._check_identity)  # a read-only view waits for the journal to appear
            if not self._ready:
                return []
        return self._call(lambda c: c.execute(sql, args).fetchall())

    def runs(self) -> list[Run]:
        """Every run, oldest first."""
        return [Run(*row) for row in self._rows(f"SELECT {_RUN_COLUMNS} FROM cockpit.runs ORDER BY id")]

    def event_counts(self) -> dict[int, tuple[int, str]]:
        """Run id → (number of events, time of the last one)."""
        rows = self._rows("SELECT run_id, count(*), max(at) FROM cockpit.events GROUP BY run_id")
        return {run_id: (count, last) for run_id, count, last in rows}

    def latest_run(self, runbook_id: str, environment: str) -> Run | None:
        """The run that reopening `runbook_id` in `environment` resumes."""
        rows = self._rows(_LATEST_RUN, (runbook_id, environment))
        return Run(*rows[0]) if rows else None

    def events(self, run_id: int, after_id: int = 0) -> list[Event]:
        """The events of a run with id greater than `after_id`, in commit order."""
        rows = self._rows(f"SELECT {_EVENT_COLUMNS} FROM cockpit.events WHERE run_id = %s AND id > %s ORDER BY id", (run_id, after_id))
        return [Event(*row[:-1], payload=json.loads(row[-1])) for row in rows]  # type: ignore[misc]  # as store.events

    # -- writing ---------------------------------------------------------------
    def _transaction(self, work: Callable[[psycopg.Connection], Any]) -> Any:
        if self.read_only:
            raise JournalError("read-only: the journal is not written")
        self._connection()

        def run(conn: psycopg.Connection) -> Any:
            with conn.transaction():
                # One writer at a time: a sequence hands out ids at INSERT, not at COMMIT, so without this
                # a reader could see id 6 committed before id 5 and, reading "after 6", never see 5.
                conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (schema.LOCK_APP, schema.LOCK_APPEND))
                return work(conn)

        return self._call(run)

    def start_run(self, runbook_id: str, runbook_version: str, environment: str, who: str) -> Run:
        """Begin a fresh run (committed before it returns)."""
        return self._transaction(lambda conn: self._insert_run(conn, runbook_id, runbook_version, environment, who))

    def _insert_run(self, conn: psycopg.Connection, runbook_id: str, version: str, env: str, who: str) -> Run:
        started = _timestamp(self.clock())
        row = conn.execute(
            "INSERT INTO cockpit.runs (runbook_id, runbook_version, environment, started_at, started_by)"
            " VALUES (%s, %s, %s, %s, %s) RETURNING id",
            (runbook_id, version, env, started, who),
        ).fetchone()
        assert row is not None
        return Run(row[0], runbook_id, version, env, started, who)

    def append(
        self,
        run: Run | None,
        key: tuple[str, str, str],
        who: str,
        step_id: str,
        kind: str,
        payload: dict[str, Any] | None = None,
        *,
        event_key: str | None = None,
        made_at: str | None = None,
        claim: Claim | None = None,
    ) -> Event:
        """Commit one event and return it; `key` is (runbook id, version, environment).

        With `run` None the run is the latest for `key`, created in the same
        transaction if there is none yet (the first tick starts the run).
        `event_key` (a UUID the cockpit gave the event when it was made; a fresh one when None) makes the append
        idempotent: when an event with that key is already there, nothing is added and that event is returned. `made_at`: the event's time
        when it was made earlier (a spooled event's replay); else now. With `claim`, JournalConflict when another
        operator's event came first (store.Claim; the append lock makes the check and the insert one step).
        """
        runbook_id, version, env = key
        body = json.dumps(payload or {}, sort_keys=True, ensure_ascii=False)
        given = event_key is not None
        event_key = event_key or str(uuid.uuid4())  # every event has one from now on (version 1's keep NULL)

        def work(conn: psycopg.Connection) -> Event:
            if given:
                found = conn.execute(f"SELECT {_EVENT_COLUMNS} FROM cockpit.events WHERE event_key = %s", (event_key,)).fetchone()
                if found is not None:  # committed before (its answer lost, or replayed twice): not again
                    return Event(*found[:-1], payload=json.loads(found[-1]))  # type: ignore[misc]  # as events()
            target = run
            if target is None:
                row = conn.execute(_LATEST_RUN, (runbook_id, env)).fetchone()
                target = Run(*row) if row else self._insert_run(conn, runbook_id, version, env, who)
            check_claim(conn, _CLAIM_RIVAL, target.id, step_id, who, claim)
            at = made_at or _timestamp(self.clock())
            # The append lock (see _transaction) makes the SELECT above final; ON CONFLICT is the backstop should an
            # append ever run without it: the event there is the answer, never a unique-violation error.
            inserted = conn.execute(
                "INSERT INTO cockpit.events (run_id, at, who, runbook_id, runbook_version, environment, step_id, kind, payload, event_key)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (event_key) DO NOTHING RETURNING id",
                (target.id, at, who, runbook_id, version, env, step_id, kind, body, event_key),
            ).fetchone()
            if inserted is None:
                found = conn.execute(f"SELECT {_EVENT_COLUMNS} FROM cockpit.events WHERE event_key = %s", (event_key,)).fetchone()
                assert found is not None  # the conflict was with this very row
                return Event(*found[:-1], payload=json.loads(found[-1]))  # type: ignore[misc]  # as events()
            conn.execute(schema.NOTIFY, (self.channel, f"{target.id}:{inserted[0]}"))  # sent at COMMIT: only the doorbell
            return Event(inserted[0], target.id, at, who, runbook_id, version, env, step_id, kind, json.loads(body))

        return self._transaction(work)


def _no_answer(exc: psycopg.Error) -> bool:
    """True when `exc` says the server did not answer or went away (no SQLSTATE: refused, DNS, timeout; class 08:
    connection exception; class 57: shut down, starting up, statement timeout), not that it refused the work
    (bad password, no such database, no privilege, a constraint): only the first is worth spooling for."""
    state = exc.sqlstate
    return state is None or state.startswith(("08", "57"))


def _cut(conn: psycopg.Connection, fired: threading.Event) -> None:
    """The watchdog's deed: shut the socket down, so the call waiting on it fails now."""
    fired.set()
    try:
        fd = conn.pgconn.socket
        with socket.socket(fileno=os.dup(fd)) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    except (OSError, psycopg.Error):
        pass  # already closed: the call has its answer
