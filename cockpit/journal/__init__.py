"""Durable state: an append-only journal of runs and their events (SQLite; PostgreSQL through `opening`).

`cockpit.journal.opening` picks the store a --state value names; it is not imported here, so that what
reads journal events (the report) never loads a database client.
"""

from cockpit.journal.progress import Note, StepState, fold
from cockpit.journal.store import Event, Journal, JournalError, Run, default_state_path, default_who

__all__ = [
    "Event",
    "Journal",
    "JournalError",
    "Note",
    "Run",
    "StepState",
    "default_state_path",
    "default_who",
    "fold",
]
