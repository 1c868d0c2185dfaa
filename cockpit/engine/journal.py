"""The journal writer: every read and write of the run's journal, one at a time, in order.

SQLite blocks, so the calls run in one worker thread: a tick and an untick pressed quickly
are committed in the order they were pressed. After each write the writer reads back
every event newer than the last one it has seen, so events another cockpit wrote in
between (a shared journal) are never skipped. The engine folds what it reads into the
run's step states (for the verdict and for ticking a check step on a pass).

Between writes the writer follows the journal: a file is read every `poll_seconds`; a shared
journal (PostgreSQL) has a doorbell (journal/pg_doorbell.py), a LISTEN that rings when another
cockpit commits an event of this run, so it is read at once, and every `safety_net_seconds`
all the same. Where LISTEN cannot work, or while its connection is down, it is read every
`poll_seconds` again, and JournalFollowing says so. A read always starts from the last event
id seen: a notification missed loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from cockpit.core.text import strip_control
from cockpit.engine.events import EngineEvent, JournalFollowing, JournalRead, JournalUnreadable, JournalWritten
from cockpit.journal import Event, StepState, fold
from cockpit.journal.pg_schema import LISTENING, POLLING
from cockpit.journal.session import RunSession
from cockpit.journal.store import Run

RETRY_SECONDS = 5.0  # after a failed read
SAFETY_NET_SECONDS = 5.0  # a shared journal whose doorbell works is read this often all the same


class JournalWriter:
    """Reads and writes `session` in a worker thread; `on_events` gets each new committed batch (in the loop)."""

    def __init__(self, session: RunSession, emit: Callable[[EngineEvent], None], on_events: Callable[[list[Event]], None],
                 poll_seconds: float, safety_net_seconds: float = SAFETY_NET_SECONDS) -> None:
        self.session = session
        self.emit = emit
        self.on_events = on_events
        self.poll_seconds = poll_seconds
        self.safety_net_seconds = safety_net_seconds
        self.following = ""  # the doorbell's mode (pg_schema.LISTENING, ...); "" before it says, or without one
        self._rung: asyncio.Event | None = None  # set by the doorbell: read now
        self._bell: Any = None  # the shared journal's Doorbell while run() runs
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
        """Follow the journal until cancelled (see the module docstring; slower while it cannot be read)."""
        rung = self._rung = asyncio.Event()
        self._bell = self._ring_doorbell()
        try:
            while True:
                rung.clear()  # before the read: a ring during it means another read
                wait = self._interval() if await self.read() else RETRY_SECONDS
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(rung.wait(), wait)
        finally:
            self._stop_doorbell()

    def _interval(self) -> float:
        return self.safety_net_seconds if self.following == LISTENING else self.poll_seconds

    def _ring_doorbell(self) -> Any:
        """Start the shared journal's doorbell (None for a file: it is polled). Its callbacks come from its thread."""
        make = getattr(self.session.journal, "doorbell", None)  # PgJournal.doorbell; duck-typed: no psycopg import here
        if make is None:
            return None
        loop = asyncio.get_running_loop()

        def later(fn: Callable[..., None], *args: Any) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: the engine is gone, nobody to tell
                loop.call_soon_threadsafe(fn, *args)

        bell = make(lambda run_id, event_id: later(self._ring, run_id, event_id), lambda mode, why: later(self._mode, mode, why))
        bell.start()
        return bell

    def _ring(self, run_id: int | None, event_id: int) -> None:
        """A notification (in the loop): read now, unless it is another run's or an event already read."""
        run = self.session.run
        if run_id is not None and ((run is not None and run_id != run.id) or event_id <= self.last_event_id):
            return
        if self._rung is not None:
            self._rung.set()

    def _mode(self, mode: str, why: str) -> None:
        if mode == self.following:
            return
        self.following = mode
        every = f"polling every {self.poll_seconds:g} s"
        text = {LISTENING: "shared journal: live (LISTEN/NOTIFY)",
                POLLING: f"shared journal: {every} (no LISTEN/NOTIFY): {why}"}.get(
                    mode, f"shared journal: {every} while its LISTEN connection is down: {why}")
        self.emit(JournalFollowing(mode, strip_control(text)))

    def _stop_doorbell(self) -> None:
        if self._bell is not None:
            self._bell.stop()
            self._bell = None

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
        """Let a write in flight finish (the journal is durable before the process goes); the doorbell stops."""
        self._stop_doorbell()
        self._thread.shutdown(wait=True)
