"""Which journal a --state / COCKPIT_STATE value names: a SQLite file, or a PostgreSQL database by URL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from cockpit.journal.masking import mask_password
from cockpit.journal.store import Claim, Event, Journal, Run, utc_now

StateLocation = Path | str
"""A journal file, or a `postgresql://` / `postgres://` URL (a str: a Path would fold its `//`)."""


def is_database_url(location: object) -> bool:
    """True when a --state / COCKPIT_STATE value names a PostgreSQL journal."""
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


class JournalStore(Protocol):
    """What every journal offers (SQLite `Journal`, PostgreSQL `PgJournal`): same calls, same Event values."""

    read_only: bool

    def runs(self) -> list[Run]: ...
    def event_counts(self) -> dict[int, tuple[int, str]]: ...
    def latest_run(self, runbook_id: str, environment: str) -> Run | None: ...
    def events(self, run_id: int, after_id: int = 0) -> list[Event]: ...
    def start_run(self, runbook_id: str, runbook_version: str, environment: str, who: str) -> Run: ...
    def append(self, run: Run | None, key: tuple[str, str, str], who: str, step_id: str, kind: str,
               payload: dict[str, Any] | None = None, *, claim: Claim | None = None) -> Event: ...
    def close(self) -> None: ...


def open_store(location: StateLocation, *, read_only: bool = False, clock: Callable[[], datetime] = utc_now,
               create_dirs: bool = True, spool: Path | bool = False) -> JournalStore:
    """The journal at `location`; JournalError (one line, no password) when it cannot be used.

    `create_dirs` is the SQLite journal's (a database URL has no directory to create). `spool` is a shared
    journal's: True (its spool next to the default journal, spool.spool_path_for) or a spool file: appends made
    while the server cannot be reached wait there and are replayed (spooling.py); such a journal opens even while its
    server does not answer (a refusal still raises). A read-only view has none.
    """
    if is_database_url(location):
        from cockpit.journal.pg_store import PgJournal  # psycopg loads only for a shared journal

        if read_only or spool is False:
            return PgJournal(str(location), read_only=read_only, clock=clock)
        # With a spool, a server that does not answer now is not the end: the events wait, and it is asked again.
        shared = PgJournal(str(location), read_only=read_only, clock=clock, lazy=True)
        from cockpit.journal.spool import Spool, spool_path_for
        from cockpit.journal.spooling import SpoolingJournal

        path = spool_path_for(describe(location)) if spool is True else Path(spool)
        return SpoolingJournal(shared, Spool(path), clock=clock)
    return Journal(Path(location), read_only=read_only, clock=clock, create_dirs=create_dirs)


def describe(location: StateLocation) -> str:
    """`location` for a screen or a message: a URL's password masked."""
    return mask_password(str(location))[0] if is_database_url(location) else str(location)
