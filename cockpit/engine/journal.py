"""The journal writer: every read and write of the run's journal, one at a time, in order.

SQLite blocks, so the calls run in one worker thread: a tick and an untick pressed quickly
are committed in the order they were pressed. After each write the writer reads back
every event newer than the last one it has seen, so events another cockpit wrote in
between (a shared journal) are never skipped. The engine folds what it reads into the
run's step states (for the verdict and for ticking a check step on a pass).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from cockpit.core.text import strip_control
from cockpit.engine.events import EngineEvent, JournalRead, JournalUnreadable, JournalWritten
from cockpit.journal import Event, StepState, fold
from cockpit.journal.session import RunSession
from cockpit.journal.store import Run

RETRY_SECONDS = 5.0  # after a failed read


class JournalWriter:
    """Reads and writes `session` in a worker thread; `on_events` gets each new committed batch (in the loop)."""

    def __init__(self, session: RunSession, emit: Callable[[EngineEvent], None], on_events: Callable[[list[Event]], None],
                 poll_seconds: float) -> None:
        self.session = session
        self.emit = emit
        self.on_events = on_events
        self.poll_seconds = poll_seconds
        self.last_event_id = 0
        self.states: dict[str, StepState] = {}
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal")
        self._error = ""

    async def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    def _absorb(self, found: list[Event]) -> None:
        fresh = sorted((e for e in found if e.id > self.last_event_id), key=lambda e: e.id)
        if fresh:
            self.last_event_id = fresh[-1].id
            self.states = fold(fresh, self.states)
            self.on_events(fresh)
            self.emit(JournalRead(tuple(fresh)))

    async def read(self) -> bool:
        """Read what is new; False (and said once) when the journal cannot be read."""
        try:
            found = await self._call(self.session.events_after, self.last_event_id)
        except Exception as exc:  # JournalError or sqlite
            reason = strip_control(str(exc))
            if reason != self._error:
                self._error = reason
                self.emit(JournalUnreadable(reason))
            return False
        self._error = ""
        self._absorb(found)
        return True

    async def read_latest(self, environment: str) -> tuple[Run | None, list[Event]]:
        """The latest run of this runbook in `environment` and all its events (another environment's evidence, for a gate),
        read in the writer's thread like every other call. Raises what the journal raises."""
        def read() -> tuple[Run | None, list[Event]]:
            journal, runbook_id = self.session.journal, self.session.key[0]
            run = journal.latest_run(runbook_id, environment)
            return run, ([] if run is None else journal.events(run.id))

        return await self._call(read)

    async def run(self) -> None:
        """Read every `poll_seconds` until cancelled (slower while the journal cannot be read)."""
        while True:
            await asyncio.sleep(self.poll_seconds if await self.read() else RETRY_SECONDS)

    async def record(self, step_id: str, kind: str, payload: dict[str, Any] | None = None) -> Event | None:
        """Commit an event; JournalWritten says how it went. The event, or None when nothing was saved."""
        def write() -> tuple[Event, list[Event]]:
            event = self.session.record(step_id, kind, payload)
            return event, self.session.events_after(self.last_event_id)

        try:
            event, found = await self._call(write)
        except Exception as exc:  # JournalError or sqlite: the step stays as it was
            self.emit(JournalWritten(step_id, kind, None, strip_control(str(exc))))
            return None
        self._absorb(found)
        self.emit(JournalWritten(step_id, kind, event))
        return event

    def close(self) -> None:
        """Let a write in flight finish (the journal is durable before the process goes)."""
        self._thread.shutdown(wait=True)
