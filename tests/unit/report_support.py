"""A journal written through RunSession with a clock the test moves: the report's raw material."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cockpit.journal import Journal
from cockpit.journal.session import RunSession
from cockpit.runbook import load_runbook

START = datetime(2026, 11, 27, 20, 0, 0, tzinfo=UTC)
RUNBOOK = load_runbook()


class MovingClock:
    """Stands still until the test moves it (`at(minutes)`)."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def at(self, minutes: float) -> None:
        self.now = START + timedelta(minutes=minutes)


class Script:
    """Records events as `who` at the clock's time: `record(minutes, step, kind, payload)`."""

    def __init__(self, path: Path, env: str = "staging", who: str = "alice@bastion") -> None:
        self.clock = MovingClock()
        self.journal = Journal(path, clock=self.clock)
        self.env = env
        self.who = who
        self.session = RunSession(self.journal, RUNBOOK.id, RUNBOOK.version, env, who)

    def record(self, minutes: float, step_id: str, kind: str, payload: dict[str, Any] | None = None, who: str | None = None):
        self.clock.at(minutes)
        self.session.who = who or self.who
        return self.session.record(step_id, kind, payload or {})

    def events(self):
        return self.session.events_after(0)

    def close(self) -> None:
        self.journal.close()
