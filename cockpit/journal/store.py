"""The journal: runs and append-only events in SQLite (WAL, synchronous FULL).

Every method that writes returns only after COMMIT, so a caller that shows the
returned event shows something that survives a crash or a dropped connection.
"""

from __future__ import annotations

import getpass
import json
import socket
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs

SCHEMA_VERSION = 1
APPLICATION_ID = 0x436B7074  # "Ckpt": marks a SQLite file as a cockpit journal
BUSY_TIMEOUT_MS = 3000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    runbook_id TEXT NOT NULL,
    runbook_version TEXT NOT NULL,
    environment TEXT NOT NULL,
    started_at TEXT NOT NULL,
    started_by TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    at TEXT NOT NULL,
    who TEXT NOT NULL,
    runbook_id TEXT NOT NULL,
    runbook_version TEXT NOT NULL,
    environment TEXT NOT NULL,
    step_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_run ON events(run_id, id);
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
"""


class JournalError(Exception):
    """The journal cannot be used; the message is one line for the operator."""


class JournalUnreachable(JournalError):
    """The shared journal's server did not answer (refused, cut off, timed out): nothing was written by this call,
    or it was and its answer was lost; a write may be spooled and replayed (its event key makes that safe)."""


class JournalConflict(JournalError):
    """A Claim lost: another operator's event of the claimed kind on the step came first; nothing was written."""

    def __init__(self, rival: Event) -> None:
        super().__init__(f"{rival.step_id}: {rival.who} journaled {rival.kind} at {rival.at} first: nothing written")
        self.rival = rival


class JournalSpooled(JournalError):
    """Not an error of the operator's: the event is saved in the local spool and waits for the shared journal."""

    def __init__(self, message: str, event_key: str, waiting: int) -> None:
        super().__init__(message)
        self.event_key = event_key
        self.waiting = waiting


@dataclass(frozen=True)
class Run:
    """One walk through a runbook in one environment."""

    id: int
    runbook_id: str
    runbook_version: str
    environment: str
    started_at: str
    started_by: str


@dataclass(frozen=True)
class Event:
    """One committed journal entry (tick, untick, note, and later checks and actions)."""

    id: int
    run_id: int
    at: str
    who: str
    runbook_id: str
    runbook_version: str
    environment: str
    step_id: str
    kind: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Claim:
    """What makes an append a claim on its step (starting an action or a rollback): it is committed only while no
    event of `kind` on the same step by another operator came after `after_id` (the last event the claimant had
    read when it decided); JournalConflict otherwise. The check and the insert are one transaction, and writers
    take turns (SQLite's BEGIN IMMEDIATE, PostgreSQL's append lock), so of two operators deciding at once exactly
    one wins, and the other is told who did."""

    after_id: int
    kind: str


CLAIM_RIVAL = ("SELECT {columns} FROM {events} WHERE run_id = {p} AND step_id = {p} AND kind = {p} AND who <> {p}"
               " AND id > {p} ORDER BY id LIMIT 1")


def check_claim(conn: Any, sql: str, run_id: int, step_id: str, who: str, claim: Claim | None) -> None:
    """In an append's transaction (either store's connection; `sql` is CLAIM_RIVAL in its dialect): JournalConflict
    when `claim` is lost, i.e. another operator's event of its kind on `step_id` came after its `after_id`."""
    if claim is None:
        return
    rival = conn.execute(sql, (run_id, step_id, claim.kind, who, claim.after_id)).fetchone()
    if rival is not None:
        raise JournalConflict(Event(*rival[:-1], payload=json.loads(rival[-1])))  # type: ignore[misc]  # a row is Event's fields, payload (JSON) last


_CLAIM_RIVAL = CLAIM_RIVAL.format(columns="*", events="events", p="?")


def _inserted_id(cursor: sqlite3.Cursor) -> int:
    """The row id the cursor's INSERT made (sqlite3 types it Optional: None before any INSERT)."""
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def default_state_path() -> Path:
    """Where the journal lives when neither --state nor COCKPIT_STATE says."""
    return Path(platformdirs.user_state_dir("cockpit")) / "journal.sqlite3"


def default_who() -> str:
    """`user@host` of the person at this terminal."""
    try:
        user = getpass.getuser()
    except Exception:  # no passwd entry and no LOGNAME: still record something true
        user = "uid-unknown"
    return f"{user}@{socket.gethostname()}"


def utc_now() -> datetime:
    """The current time in UTC (the default clock)."""
    return datetime.now(UTC)


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _explain(path: Path, exc: sqlite3.Error) -> JournalError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return JournalError(f"state file {path} is locked by another process ({text}); nothing was written")
    if "not a database" in text or "malformed" in text:
        return JournalError(f"state file {path} is not a cockpit journal ({text})")
    return JournalError(f"state file {path}: {text}")


class Journal:
    """A journal file. Not thread-safe: use it from one thread at a time."""

    def __init__(self, path: Path, *, read_only: bool = False, clock: Callable[[], datetime] = utc_now,
                 create_dirs: bool = True) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self.clock = clock
        self.create_dirs = create_dirs  # False: the directory must exist (the engine opens what `cockpit` made)
        self._conn: sqlite3.Connection | None = None
        self._connect()

    # -- opening ---------------------------------------------------------------
    def _connect(self) -> None:
        """Open the file; a read-only journal of a missing file stays closed (empty)."""
        if self.read_only:
            if not self.path.exists():
                return
            uri = self.path.absolute().as_uri() + "?mode=ro"
            try:
                self._conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
                self._check_identity(create=False)
            except (sqlite3.Error, JournalError) as exc:
                self.close()
                if isinstance(exc, JournalError):
                    raise
                if "unable to open" not in str(exc):
                    raise _explain(self.path, exc) from exc
                # No writer is active (it would have made the -shm file) and we may not create
                # it: read the file as it stands.
                uri += "&immutable=1"
                self._conn = self._guard(lambda: sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False))
                self._guard(lambda: self._check_identity(create=False))
            return
        if not self.create_dirs and not self.path.parent.is_dir():
            raise JournalError(f"the state directory {self.path.parent} is gone")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise JournalError(f"cannot create the state directory {self.path.parent}: {exc.strerror or exc}") from exc
        if self.path.exists() and not self.path.is_file():
            raise JournalError(f"state path {self.path} is not a file")
        self._conn = self._guard(lambda: sqlite3.connect(self.path, isolation_level=None, check_same_thread=False))
        self._guard(self._prepare)

    def _guard(self, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except sqlite3.Error as exc:
            raise _explain(self.path, exc) from exc

    def _prepare(self) -> None:
        conn = self._conn
        assert conn is not None
        self._check_identity(create=True)
        if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
            raise JournalError(f"state file {self.path}: cannot switch to WAL mode")
        conn.execute("PRAGMA synchronous = FULL")
        try:  # user_version is rewritten so that a file we may read but not write fails here, not at the first tick
            conn.executescript(f"BEGIN IMMEDIATE; {_SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")
        except sqlite3.OperationalError as exc:
            if "readonly" in str(exc) or "read-only" in str(exc):
                raise JournalError(f"state file {self.path} cannot be written ({exc}): open it with --read-only") from exc
            raise

    def _check_identity(self, *, create: bool) -> None:
        conn = self._conn
        assert conn is not None
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if app_id == 0 and tables == 0 and create:
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            return
        if app_id == 0 and tables == 0:
            raise JournalError(f"state file {self.path} is empty or not a database: not a cockpit journal")
        if app_id != APPLICATION_ID:
            raise JournalError(f"state file {self.path} is not a cockpit journal (another program's SQLite file)")
        if version > SCHEMA_VERSION:
            raise JournalError(
                f"state file {self.path} was written by a newer cockpit (journal schema {version}, this one reads {SCHEMA_VERSION})"
            )

    def close(self) -> None:
        """Close the file (idempotent)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- reading ---------------------------------------------------------------
    def _rows(self, sql: str, args: tuple = ()) -> list[tuple]:
        if self._conn is None:
            if not self.read_only:
                raise JournalError(f"state file {self.path} is closed")
            self._connect()  # a read-only view waits for the file to appear
            if self._conn is None:
                return []
        conn = self._conn
        return self._guard(lambda: conn.execute(sql, args).fetchall())

    def runs(self) -> list[Run]:
        """Every run, oldest first."""
        return [Run(*row) for row in self._rows("SELECT * FROM runs ORDER BY id")]

    def event_counts(self) -> dict[int, tuple[int, str]]:
        """Run id → (number of events, time of the last one)."""
        rows = self._rows("SELECT run_id, count(*), max(at) FROM events GROUP BY run_id")
        return {run_id: (count, last) for run_id, count, last in rows}

    def latest_run(self, runbook_id: str, environment: str) -> Run | None:
        """The run that reopening `runbook_id` in `environment` resumes."""
        rows = self._rows(
            "SELECT * FROM runs WHERE runbook_id = ? AND environment = ? ORDER BY id DESC LIMIT 1",
            (runbook_id, environment),
        )
        return Run(*rows[0]) if rows else None

    def events(self, run_id: int, after_id: int = 0) -> list[Event]:
        """The events of a run with id greater than `after_id`, in commit order."""
        rows = self._rows("SELECT * FROM events WHERE run_id = ? AND id > ? ORDER BY id", (run_id, after_id))
        # A row is the events table's columns in Event's field order, payload (JSON) last; mypy cannot
        # know *row[:-1] stops short of payload.
        return [Event(*row[:-1], payload=json.loads(row[-1])) for row in rows]  # type: ignore[misc]

    # -- writing ---------------------------------------------------------------
    def _writable(self) -> sqlite3.Connection:
        if self.read_only:
            raise JournalError("read-only: the journal is not written")
        if self._conn is None:
            raise JournalError(f"state file {self.path} is closed")
        return self._conn

    def _transaction(self, work: Callable[[sqlite3.Connection], Any]) -> Any:
        conn = self._writable()

        def run() -> Any:
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = work(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result

        return self._guard(run)

    def start_run(self, runbook_id: str, runbook_version: str, environment: str, who: str) -> Run:
        """Begin a fresh run (committed before it returns)."""
        return self._transaction(lambda conn: self._insert_run(conn, runbook_id, runbook_version, environment, who))

    def _insert_run(self, conn: sqlite3.Connection, runbook_id: str, version: str, env: str, who: str) -> Run:
        started = _timestamp(self.clock())
        cursor = conn.execute(
            "INSERT INTO runs (runbook_id, runbook_version, environment, started_at, started_by) VALUES (?, ?, ?, ?, ?)",
            (runbook_id, version, env, started, who),
        )
        return Run(_inserted_id(cursor), runbook_id, version, env, started, who)

    def append(
        self,
        run: Run | None,
        key: tuple[str, str, str],
        who: str,
        step_id: str,
        kind: str,
        payload: dict[str, Any] | None = None,
        *,
        claim: Claim | None = None,
    ) -> Event:
        """Commit one event and return it; `key` is (runbook id, version, environment).

        With `run` None the run is the latest for `key`, created in the same
        transaction if there is none yet (the first tick starts the run). With `claim`, JournalConflict
        when another operator's event came first (see Claim).
        """
        runbook_id, version, env = key
        body = json.dumps(payload or {}, sort_keys=True, ensure_ascii=False)

        def work(conn: sqlite3.Connection) -> Event:
            target = run
            if target is None:
                row = conn.execute(
                    "SELECT * FROM runs WHERE runbook_id = ? AND environment = ? ORDER BY id DESC LIMIT 1",
                    (runbook_id, env),
                ).fetchone()
                target = Run(*row) if row else self._insert_run(conn, runbook_id, version, env, who)
            check_claim(conn, _CLAIM_RIVAL, target.id, step_id, who, claim)
            at = _timestamp(self.clock())
            cursor = conn.execute(
                "INSERT INTO events (run_id, at, who, runbook_id, runbook_version, environment, step_id, kind, payload)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (target.id, at, who, runbook_id, version, env, step_id, kind, body),
            )
            return Event(_inserted_id(cursor), target.id, at, who, runbook_id, version, env, step_id, kind, json.loads(body))

        return self._transaction(work)
