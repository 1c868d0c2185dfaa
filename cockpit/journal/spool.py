"""The local spool: events made while the shared journal (PostgreSQL) cannot be reached, kept in order until replayed.

A SQLite file of this operator's own (mode 0600: notes may say things not for other users of the machine),
synchronous FULL: an event is on disk before the screen says it waits. Each entry keeps the event's key
(a UUID given when it was made) and the time it was made; the replay commits it to the shared journal with
that key and only then removes it here, so a crash in between replays it again as a no-op (pg_store.append).
The file is made only when the first event is spooled, and found again by the next cockpit on the same URL.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cockpit.journal.store import JournalError, Run, default_state_path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spooled (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_key TEXT NOT NULL UNIQUE,
    made_at TEXT NOT NULL,
    run TEXT,
    runbook_id TEXT NOT NULL,
    runbook_version TEXT NOT NULL,
    environment TEXT NOT NULL,
    who TEXT NOT NULL,
    step_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL
);
"""
_COLUMNS = "seq, event_key, made_at, run, runbook_id, runbook_version, environment, who, step_id, kind, payload"


@dataclass(frozen=True)
class Spooled:
    """One event waiting for the shared journal, as it was made."""

    seq: int
    event_key: str
    made_at: str
    run: Run | None  # the run it was made in (None: the first event, which starts the run)
    key: tuple[str, str, str]  # (runbook id, version, environment)
    who: str
    step_id: str
    kind: str
    payload: dict[str, Any]


def spool_path_for(masked_url: str) -> Path:
    """The spool of a shared journal, next to the default journal: named for its URL with the password masked
    (a changed password still finds it; the file name says nothing of the password)."""
    digest = hashlib.sha256(masked_url.encode()).hexdigest()[:16]
    return default_state_path().parent / f"spool-{digest}.sqlite3"


class Spool:
    """The spool file at `path` (not made until an event is put). Not thread-safe: the journal writer's thread uses it."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None

    def _open(self, *, create: bool) -> sqlite3.Connection | None:
        if self._conn is not None:
            return self._conn
        if not create and not self.path.exists():
            return None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))  # made 0600 before SQLite writes a byte
            os.chmod(self.path, 0o600)  # an older file made under another umask
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA synchronous = FULL")  # its rollback journal takes the file's mode (SQLite copies it)
            conn.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise JournalError(f"the local spool {self.path} cannot be used: {exc}") from exc
        self._conn = conn
        return conn

    def put(self, entry: Spooled) -> int:
        """Keep `entry` (committed to the file before this returns); the number now waiting."""
        conn = self._open(create=True)
        assert conn is not None
        run = None if entry.run is None else json.dumps(entry.run.__dict__)
        try:
            with conn:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute(
                    f"INSERT INTO spooled ({_COLUMNS.removeprefix('seq, ')}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (entry.event_key, entry.made_at, run, *entry.key, entry.who, entry.step_id, entry.kind,
                     json.dumps(entry.payload, sort_keys=True, ensure_ascii=False)),
                )
        except sqlite3.Error as exc:
            raise JournalError(f"the local spool {self.path} cannot be written: {exc}") from exc
        return self.waiting()

    def entries(self) -> list[Spooled]:
        """Every waiting event, oldest first."""
        conn = self._open(create=False)
        if conn is None:
            return []
        rows = conn.execute(f"SELECT {_COLUMNS} FROM spooled ORDER BY seq").fetchall()
        return [Spooled(seq, key, made, None if run is None else Run(**json.loads(run)), (rb, version, env), who, step, kind,
                        json.loads(payload))
                for seq, key, made, run, rb, version, env, who, step, kind, payload in rows]

    def remove(self, entry: Spooled) -> None:
        """Forget `entry`: call only after its event is committed to the shared journal."""
        conn = self._open(create=False)
        if conn is not None:
            with conn:
                conn.execute("DELETE FROM spooled WHERE seq = ?", (entry.seq,))

    def waiting(self) -> int:
        """How many events wait."""
        conn = self._open(create=False)
        return 0 if conn is None else int(conn.execute("SELECT count(*) FROM spooled").fetchone()[0])

    def close(self) -> None:
        """Close the file (idempotent)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
