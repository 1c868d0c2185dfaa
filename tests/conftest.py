"""Shared fixtures: a fixed clock and timezone, journals in tmp dirs, app factories."""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from cockpit.journal import Journal
from cockpit.journal.session import RunSession
from cockpit.runbook import load_runbook

os.environ["TZ"] = "UTC"  # screens show local time next to UTC: make it deterministic
time.tzset()
for name in ("REDIS_URL", "DATABASE_URL", "COCKPIT_API_URL", "COCKPIT_APP_URL", "COCKPIT_STATE", "AWS_REGION", "AWS_PROFILE"):
    os.environ.pop(name, None)

FIXED_NOW = datetime(2026, 11, 27, 21, 0, 0, tzinfo=timezone.utc)
WHO = "operator@bastion"


class StepClock:
    """A clock that advances one second per call, from FIXED_NOW: deterministic timestamps."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> datetime:
        self.calls += 1
        return FIXED_NOW + timedelta(seconds=self.calls)


@pytest.fixture
def state_file(tmp_path: Path) -> Path:
    """A journal path in a fresh directory."""
    (tmp_path / "state").mkdir()
    return tmp_path / "state" / "journal.sqlite3"


@pytest.fixture
def runbook():
    """The bundled runbook."""
    return load_runbook()


def make_app(state_file: Path, *, env: str = "staging", read_only: bool = False, new_run: bool = False, poll: float = 0.2):
    """A CockpitApp on the bundled runbook with a fixed clock and identity."""
    from cockpit.ui.app import CockpitApp

    runbook = load_runbook()
    journal = Journal(state_file, read_only=read_only, clock=StepClock())
    session = RunSession(journal, runbook.id, runbook.version, env, WHO, new_run=new_run)
    return CockpitApp(
        runbook,
        runbook.environments[env],
        session,
        read_only=read_only,
        initial_events=session.events_after(0),
        clock=lambda: FIXED_NOW,
        journal_poll_seconds=poll,
    )
