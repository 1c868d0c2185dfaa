"""A shared journal that keeps working while its server cannot be reached: appends go to the local spool, in order,
and are replayed, idempotently, when the server answers again.

The rules: an append that fails because the server did not answer (JournalUnreachable: refused, cut off,
timed out), never one it refused (a constraint, a privilege), is spooled under the key it was given when it was
made, and JournalSpooled says so. While anything waits, every new append is spooled behind it (the shared journal
gets the events in the order they were made). `replay()` commits the waiting events oldest first and removes
each from the spool only after its COMMIT; a crash in between replays it again, and the key makes that a no-op.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from cockpit.journal.pg_store import PgJournal
from cockpit.journal.progress import SPOOLED_KINDS
from cockpit.journal.spool import Spool, Spooled
from cockpit.journal.store import Claim, Event, JournalError, JournalSpooled, JournalUnreachable, Run, _timestamp, utc_now


class SpoolingJournal:
    """`shared` (a writable PgJournal) with `spool` behind it. Not thread-safe, like the journals it joins."""

    def __init__(self, shared: PgJournal, spool: Spool, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.shared = shared
        self.spool = spool
        self.clock = clock
        self.read_only = shared.read_only
        self.where = shared.where
        self.reachable = True  # as of the last call that went to the server
        self.failure = ""  # why it was not, in one line (no password: PgJournal's messages mask it)
        self.refused = ""  # why the server refused the oldest waiting event (not a network matter): it blocks the rest

    # -- reads go to the server (and say whether it answered) ----------------------------
    def _reach(self, work: Callable[[], Any]) -> Any:
        try:
            found = work()
        except JournalUnreachable as exc:
            self.reachable, self.failure = False, str(exc)
            raise
        except JournalError:
            self.reachable, self.failure = True, ""  # it answered, and said no: reachable (the caller says the refusal)
            raise
        self.reachable, self.failure = True, ""
        return found

    def runs(self) -> list[Run]:
        """Every run, oldest first (the server's)."""
        return self._reach(self.shared.runs)

    def event_counts(self) -> dict[int, tuple[int, str]]:
        """Run id → (number of events, time of the last one) on the server."""
        return self._reach(self.shared.event_counts)

    def latest_run(self, runbook_id: str, environment: str) -> Run | None:
        """The run that reopening `runbook_id` in `environment` resumes."""
        return self._reach(lambda: self.shared.latest_run(runbook_id, environment))

    def events(self, run_id: int, after_id: int = 0) -> list[Event]:
        """Committed events of the shared journal (spooled ones are not: they are not committed there yet)."""
        return self._reach(lambda: self.shared.events(run_id, after_id))

    def start_run(self, runbook_id: str, runbook_version: str, environment: str, who: str) -> Run:
        """Begin a fresh run: on the server only (a run is not spooled)."""
        return self._reach(lambda: self.shared.start_run(runbook_id, runbook_version, environment, who))

    def doorbell(self, on_ring: Any, on_mode: Any) -> Any:
        """The shared journal's doorbell (see PgJournal.doorbell)."""
        return self.shared.doorbell(on_ring, on_mode)

    def waiting(self) -> int:
        """How many events wait in the spool."""
        return self.spool.waiting()

    # -- writes -------------------------------------------------------------------------
    def append(self, run: Run | None, key: tuple[str, str, str], who: str, step_id: str, kind: str,
               payload: dict[str, Any] | None = None, *, claim: Claim | None = None) -> Event:
        """Commit one event to the shared journal; JournalSpooled when it was kept in the spool instead.

        Only an operator's records are spooled (SPOOLED_KINDS: ticks, notes, check results, what the watchers saw).
        What coordinates operators (an action's or a rollback's intent, an override, an approval, any claim) is
        decided by the server or not at all: spooled, it would be replayed later as an intent nobody acted on, or an
        approval nobody saw given. Those raise JournalUnreachable while the server cannot be reached, and go to it
        directly while older records wait in the spool (they are not ordered with them)."""
        made = Spooled(0, str(uuid.uuid4()), _timestamp(self.clock()), run, key, who, step_id, kind, dict(payload or {}))
        spoolable = kind in SPOOLED_KINDS and claim is None
        if self.spool.waiting() == 0 or not spoolable:
            try:
                return self._reach(lambda: self.shared.append(run, key, who, step_id, kind, made.payload,
                                                             event_key=made.event_key, made_at=made.made_at, claim=claim))
            except JournalUnreachable as exc:
                if not spoolable:
                    raise JournalUnreachable(f"{exc}; a {kind} needs the shared journal: not saved, nothing sent") from exc
                # spooled under the same key: had it committed before the answer was lost, the replay adds nothing
        waiting = self.spool.put(made)
        raise JournalSpooled(f"{step_id} {kind} saved locally: {self.status()}", made.event_key, waiting)

    def replay(self) -> list[tuple[Spooled, Event]]:
        """Commit the waiting events, oldest first; each with the event it became. Stops at the first that fails
        (JournalUnreachable, or any other JournalError: the rest keep waiting behind it, in order), and raises that
        when nothing at all was replayed."""
        done: list[tuple[Spooled, Event]] = []
        for entry in self.spool.entries():
            try:
                event = self._reach(lambda e=entry: self.shared.append(e.run, e.key, e.who, e.step_id, e.kind, e.payload,  # type: ignore[misc]
                                                                       event_key=e.event_key, made_at=e.made_at))
            except Exception as exc:
                if not isinstance(exc, JournalUnreachable):
                    self.refused = str(exc)
                if done:
                    return done
                raise
            self.spool.remove(entry)  # only now: a crash before this line replays it again, as a no-op
            self.refused = ""
            done.append((entry, event))
        return done

    def status(self) -> str:
        """One line for the header: '' when the server answers and nothing waits."""
        waiting = self.spool.waiting()
        noun = "event" if waiting == 1 else "events"
        if not self.reachable:
            return f"shared journal unreachable · {waiting} {noun} waiting"
        if waiting:
            why = f": {self.refused}" if self.refused else ""
            return f"shared journal · {waiting} {noun} waiting to be replayed{why}"
        return ""

    def close(self) -> None:
        """Close the server connection and the spool file."""
        self.shared.close()
        self.spool.close()
