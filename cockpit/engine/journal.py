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

A shared journal opened with a spool (journal/spooling.py) keeps an operator's events while its server cannot be
reached; the writer replays them, oldest first, before every write and every read, retrying with backoff, and
each replayed event is answered by the JournalWritten its write was waiting for. `spool_status` is the line the
verdict shows while events wait or the server is away.
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
from cockpit.journal.spool import Spooled
from cockpit.journal.store import Claim, JournalConflict, JournalSpooled, Run

RETRY_SECONDS = 5.0  # after a failed read: the longest wait of the backoff
FIRST_RETRY_SECONDS = 0.5  # the first wait after a failed read or replay, doubled each time up to RETRY_SECONDS
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
        self._failures = 0  # failed reads or replays in a row (the backoff)
        self.spool_status = ""  # the spool's line (spooling.SpoolingJournal.status): '' while nothing waits
        self.lost_to: Event | None = None  # the other operator's event that the last write's claim lost to

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
        """Replay what waits in the spool, then read what is new; False (and said once) when the journal cannot be read."""
        def read() -> tuple[list[tuple[Spooled, Event]], list[Event] | Exception, str]:
            replayed = self._replay()
            try:
                found: list[Event] | Exception = self.session.events_after(self.last_event_id)
            except Exception as exc:  # JournalError or sqlite: what the replay committed is answered all the same
                found = exc
            return replayed, found, self._status()

        replayed, found, self.spool_status = await self._call(read)
        self._answer(replayed, [] if isinstance(found, Exception) else found)
        if isinstance(found, Exception):
            reason = strip_control(str(found))
            if reason != self._error:
                self._error = reason
                self.emit(JournalUnreadable(reason))
            return False
        self._error = ""
        return not self.spool_status

    # -- the spool (a shared journal's; nothing for a file) -----------------------------
    def _replay(self) -> list[tuple[Spooled, Event]]:
        """In the thread: commit what waits in the spool; [] when nothing does or the server is still away."""
        journal = self.session.journal
        replay = getattr(journal, "replay", None)  # SpoolingJournal.replay; duck-typed like the doorbell
        try:
            if replay is None or not journal.waiting():  # type: ignore[attr-defined]
                return []
            done: list[tuple[Spooled, Event]] = replay()
        except Exception:  # said by spool_status (and by the read or write that follows)
            return []
        return done

    def _status(self) -> str:
        """In the thread: the spool's line as of the last call to the server ('' for a file, or nothing waiting)."""
        status = getattr(self.session.journal, "status", None)
        try:
            return strip_control(status()) if status is not None else ""
        except Exception as exc:  # the spool file itself cannot be read: never "nothing waits"
            return strip_control(f"local spool unreadable: {exc}")

    def _answer(self, replayed: list[tuple[Spooled, Event]], found: list[Event]) -> None:
        """In the loop: what was read, and each replayed event answers the write that was waiting for it."""
        self._absorb(found + [event for _, event in replayed])
        for entry, event in replayed:
            self.emit(JournalWritten(entry.step_id, entry.kind, event))

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
                if await self.read():
                    self._failures, wait = 0, self._interval()
                else:  # unreadable, or events still wait in the spool: again soon, then less often
                    wait = min(RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** self._failures)
                    self._failures += 1
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
        if mode == LISTENING and self.spool_status and self._rung is not None:
            self._rung.set()  # the server answers again: replay now, not at the next backoff
        every = f"polling every {self.poll_seconds:g} s"
        text = {LISTENING: "shared journal: live (LISTEN/NOTIFY)",
                POLLING: f"shared journal: {every} (no LISTEN/NOTIFY): {why}"}.get(
                    mode, f"shared journal: {every} while its LISTEN connection is down: {why}")
        self.emit(JournalFollowing(mode, strip_control(text)))

    def _stop_doorbell(self) -> None:
        if self._bell is not None:
            self._bell.stop()
            self._bell = None

    async def record(self, step_id: str, kind: str, payload: dict[str, Any] | None = None, *,
                     claim: Claim | None = None) -> Event | None:
        """Commit an event; JournalWritten says how it went. The event, or None when nothing was saved.

        `claim` (store.Claim): committed only if no other operator's event of its kind on the step came after its
        `after_id`; when one did, nothing is saved and that event is read (the caller can name who was first)."""
        def write() -> tuple[list[tuple[Spooled, Event]], Event | Exception, list[Event], str]:
            replayed = self._replay()  # what waits goes first: the shared journal gets events in the order they were made
            found: list[Event] = []
            try:
                event: Event | Exception = self.session.record(step_id, kind, payload, claim=claim)
            except Exception as exc:  # JournalSpooled, JournalError or sqlite: the replayed events are answered all the same
                event = exc
            if not isinstance(event, Exception) or isinstance(event, JournalConflict):
                with contextlib.suppress(Exception):  # committed all the same: the next read finds what this one missed
                    found = self.session.events_after(self.last_event_id)
            return replayed, event, found, self._status()

        replayed, event, found, self.spool_status = await self._call(write)
        self._answer(replayed, found)
        self.lost_to = event.rival if isinstance(event, JournalConflict) else None
        if isinstance(event, JournalSpooled):  # saved here, waiting for the server: not committed, not lost
            self.emit(JournalWritten(step_id, kind, None, spooled=strip_control(str(event))))
            return None
        if isinstance(event, Exception):  # the step stays as it was
            self.emit(JournalWritten(step_id, kind, None, strip_control(str(event))))
            return None
        self.emit(JournalWritten(step_id, kind, event))
        return event

    def close(self) -> None:
        """Let a write in flight finish (the journal is durable before the process goes); the doorbell stops."""
        self._stop_doorbell()
        self._thread.shutdown(wait=True)
