"""The run a cockpit works on: the latest run of a runbook in an environment, or a new one."""

from __future__ import annotations

from typing import Any

from cockpit.journal.opening import JournalStore
from cockpit.journal.store import Claim, Event, JournalError, JournalUnreachable, Run


class RunSession:
    """Resumes (or starts) a run and records its events.

    Not thread-safe, like the journal: the UI calls it from one worker thread.
    """

    def __init__(
        self,
        journal: JournalStore,
        runbook_id: str,
        runbook_version: str,
        environment: str,
        who: str,
        *,
        new_run: bool = False,
        known_run: Run | None = None,
    ) -> None:
        """`known_run`: the run this session's cockpit already opened (an engine started again mid-run). When a
        spooling journal's server does not answer, the session starts on it (None: the latest run, once the server
        answers) and the operator's records wait in the spool; any other journal that cannot be read raises."""
        self.journal = journal
        self.key = (runbook_id, runbook_version, environment)
        self.who = who
        if new_run:
            if journal.read_only:
                raise JournalError("--new-run writes to the journal: it cannot be used with --read-only")
            self.run: Run | None = journal.start_run(runbook_id, runbook_version, environment, who)
            return
        try:
            self.run = journal.latest_run(runbook_id, environment)
        except JournalUnreachable:
            if getattr(journal, "spool", None) is None:  # no spool to keep the operator's events: say it now
                raise
            self.run = known_run
            return
        self._check_version()

    def _check_version(self) -> None:
        run = self.run
        runbook_id, version, environment = self.key
        if run is not None and run.runbook_version != version:
            way_out = (
                f"open it with version {run.runbook_version} of the runbook"
                if self.journal.read_only
                else "use --new-run to start a fresh run"
            )
            raise JournalError(
                f"the {environment} run #{run.id} of {runbook_id} was made with runbook version "
                f"{run.runbook_version}, this runbook is version {version}: {way_out}"
            )

    def record(self, step_id: str, kind: str, payload: dict[str, Any] | None = None, *, claim: Claim | None = None) -> Event:
        """Commit an event for `step_id`; the first one creates the run. `claim`: see store.Claim."""
        event = self.journal.append(self.run, self.key, self.who, step_id, kind, payload, claim=claim)
        if self.run is None or self.run.id != event.run_id:
            self.run = self.journal.latest_run(self.key[0], self.key[2])
        return event

    def events_after(self, after_id: int = 0) -> list[Event]:
        """Committed events of this run newer than `after_id` (others' too: shared journals)."""
        if self.run is None:
            latest = self.journal.latest_run(self.key[0], self.key[2])
            if latest is None or latest.runbook_version != self.key[1]:
                return []
            self.run = latest
        return self.journal.events(self.run.id, after_id)
