"""What the UI asks of the engine: typed, frozen commands (`Command`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Record:
    """Journal an event for `step_id` (tick, untick, note); answered by JournalWritten."""

    step_id: str
    kind: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunCheck:
    """Run the automated check of `step_id` once; answered by CheckDone (and journaled)."""

    step_id: str


@dataclass(frozen=True)
class SetFilter:
    """Tab `query_id` should follow `pattern` once AWS accepts it (PatternOutcome says how it went)."""

    query_id: str
    pattern: str


@dataclass(frozen=True)
class RefreshServices:
    """Read the ECS services now (after a rollback, say)."""


Command = Record | RunCheck | SetFilter | RefreshServices
