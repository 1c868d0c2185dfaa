"""Durable state: an append-only SQLite journal of runs and their events."""

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
