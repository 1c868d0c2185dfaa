"""The run on the cockpit screen: the journal's committed events drawn as the checklist, ticks,
notes and checks sent to the engine.

Journal state shown here only ever comes from committed events (JournalRead, JournalWritten);
a tick waiting for its commit shows [~] (also while it waits in a shared journal's local spool). A passing check is journaled and ticks its step in
the engine; an inconclusive one never does. A check step can also be ticked by hand, but only
with a passing check on record or a typed override reason, which is journaled. Manual steps
are never ticked by a check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import OptionList

from cockpit.checks.result import INCONCLUSIVE
from cockpit.engine.commands import Record, RunCheck
from cockpit.engine.events import CheckDone, JournalFollowing, JournalRead, JournalUnreadable, JournalWritten
from cockpit.journal import Event, StepState, fold
from cockpit.journal.progress import TICK, UNTICK, run_counts
from cockpit.journal.step_rules import decide_tick, not_passed
from cockpit.runbook import Step
from cockpit.ui.action_runs import ActionRuns
from cockpit.ui.screens.note import NoteScreen
from cockpit.ui.widgets.checklist import Checklist
from cockpit.ui.widgets.header import CockpitHeader
from cockpit.ui.widgets.step_detail import StepDetail

if TYPE_CHECKING:
    from cockpit.ui.app import CockpitApp


class RunScreen(Screen[None]):
    """The journal's side of the cockpit screen (CockpitScreen adds the layout and the keys)."""

    app: CockpitApp

    def __init__(self) -> None:
        super().__init__()
        self.states: dict[str, StepState] = {}
        self.pending: dict[str, tuple[bool, int]] = {}  # step → (target, writes in flight)
        self.last_event_id = 0
        self.events: list[Event] = []  # every committed event absorbed, in commit order (the release report reads them)
        self.run_id: int | None = None
        self.checking: set[str] = set()
        self.runs = ActionRuns()  # each step's action run, from the engine's ActionProgress / ActionEnded
        self._journal_error = ""
        self.journal_mode: JournalFollowing | None = None  # how a shared journal is followed (the help says it)

    def _step_in_view(self) -> Step | None:
        raise NotImplementedError

    # -- committed events -------------------------------------------------------------
    def absorb(self, events: tuple[Event, ...] | list[Event]) -> set[str]:
        """Fold new committed events; return the ids of the steps they touched."""
        fresh = sorted((e for e in events if e.id > self.last_event_id), key=lambda e: e.id)
        if not fresh:
            return set()
        self.states = fold(fresh, self.states)
        self.events.extend(fresh)
        self.last_event_id = fresh[-1].id
        self.run_id = fresh[-1].run_id
        return {e.step_id for e in fresh}

    def journal_read(self, event: JournalRead) -> None:
        """Events from the journal (ours, or another cockpit's on the same file)."""
        self._journal_error = ""
        touched = self.absorb(event.events)
        if touched:  # an idle read repaints nothing
            self.redraw(touched)

    def journal_written(self, event: JournalWritten) -> None:
        """A write finished: show the committed event, or say loudly that nothing was saved. A spooled write stays
        pending ([~]: not in the shared journal yet); the JournalWritten of its replay ends that."""
        if event.spooled:
            self.notify(f"waiting for the shared journal: {event.spooled}", title="journal", severity="warning", timeout=10, markup=False)
            self.redraw({event.step_id})
            return
        if event.kind in (TICK, UNTICK):
            target, count = self.pending.get(event.step_id, (False, 1))
            if count > 1:
                self.pending[event.step_id] = (target, count - 1)
            else:
                self.pending.pop(event.step_id, None)
        if event.error:
            self.notify(f"NOT SAVED: {event.error}", title="journal", severity="error", timeout=15, markup=False)
        touched = self.absorb([event.event] if event.event else [])
        self.redraw(touched | {event.step_id})

    def journal_unreadable(self, event: JournalUnreadable) -> None:
        """Say once that the journal cannot be read (the engine retries)."""
        if event.reason != self._journal_error:
            self._journal_error = event.reason
            self.notify(f"cannot read the journal: {event.reason}", severity="warning", timeout=10, markup=False)

    def journal_following(self, event: JournalFollowing) -> None:
        """A shared journal's doorbell changed: polling is said as a warning, back to live once it was."""
        was, self.journal_mode = self.journal_mode, event
        if event.polling:
            self.notify(event.text, title="journal", severity="warning", timeout=15, markup=False)
        elif was is not None and was.polling:
            self.notify(event.text, title="journal", timeout=5, markup=False)

    # -- drawing ------------------------------------------------------------------------
    def redraw(self, step_ids: set[str]) -> None:
        """The steps `step_ids`, their phases, the header and the detail."""
        checklist = self.query_one(Checklist)
        now = self.app.clock()
        phases = {}
        for step_id in step_ids:
            if self.app.runbook.step(step_id) is None:
                continue  # an event for a step this runbook no longer has
            checklist.update_step(step_id, self.states.get(step_id, StepState()), self.pending_target(step_id), self.runs.badge(step_id))
            phase = checklist.phase_of(step_id)
            phases[phase.id] = phase
        for phase in phases.values():
            checklist.update_phase(phase, self.states, now)
        self.refresh_header()
        self.show_selected()

    def pending_target(self, step_id: str) -> bool | None:
        """The tick state a write in flight will leave `step_id` in (None: nothing in flight)."""
        entry = self.pending.get(step_id)
        return entry[0] if entry else None

    def refresh_header(self) -> None:
        """Run number and steps done."""
        done, total = run_counts(self.app.runbook.phases, self.app.env.name, self.states)
        self.query_one(CockpitHeader).show_progress(self.run_id, done, total)

    def show_selected(self) -> None:
        """The selected step in the detail pane."""
        checklist = self.query_one(Checklist)
        step = checklist.selected()
        if step is not None:
            state = self.states.get(step.id, StepState())
            detail = self.query_one(StepDetail)
            detail.show(checklist.phase_of(step.id), step, state, self.pending_target(step.id), self.app.env, step.id in self.checking)

    @on(OptionList.OptionHighlighted, "#checklist")
    def _on_highlight(self) -> None:
        self.show_selected()

    # -- writes -------------------------------------------------------------------------
    def write(self, step_id: str, kind: str, payload: dict[str, Any] | None = None) -> None:
        """Ask the engine to journal an event (JournalWritten answers)."""
        self.app.send(Record(step_id, kind, payload or {}))

    def write_tick(self, step_id: str, target: bool, payload: dict[str, Any] | None = None) -> None:
        """Journal a tick (or untick); the step shows [~] until it is committed."""
        count = self.pending.get(step_id, (target, 0))[1]
        self.pending[step_id] = (target, count + 1)
        self.write(step_id, TICK if target else UNTICK, payload)

    # -- checks -------------------------------------------------------------------------
    def action_run_check(self) -> None:
        """Run the selected step's automated check once (in the engine)."""
        step = self._step_in_view()
        if step is None:
            return
        if step.check is None:
            self.notify(f"{step.id} has no automated check: do it by hand, then tick it", timeout=4, markup=False)
            return
        if step.id in self.checking:
            self.notify(f"the check of {step.id} is still running", timeout=3, markup=False)
            return
        self.checking.add(step.id)
        self.redraw({step.id})
        self.app.send(RunCheck(step.id))

    def check_done(self, event: CheckDone) -> None:
        """A check finished (the engine journals it, and a pass ticks the step): say how it went."""
        self.checking.discard(event.step_id)
        self.redraw({event.step_id})
        result = event.result
        severity: SeverityLevel
        if result.passed:
            severity, word, timeout = "information", "passed", 6
        elif result.status == INCONCLUSIVE:
            severity, word, timeout = "warning", "INCONCLUSIVE (not passed)", 15
        else:
            severity, word, timeout = "error", "FAILED", 15
        self.notify(f"{event.step_id} {word}: {result.evidence}", title="check", severity=severity, timeout=timeout, markup=False)

    def ask_override(self, step: Step) -> None:
        """A check step without a passing check on record: tick it only after a typed reason (an override)."""
        why = not_passed(self.states.get(step.id, StepState()).check)
        explain = f"This is a check step and {why}. Press esc, then enter to run the check, or type why you tick it anyway (journaled as an override)."

        def save(reason: str | None) -> None:
            phase = self.app.runbook.phase_of(step.id)
            if reason and phase is not None:
                decision = decide_tick(step, phase, self.app.env.name, self.states.get(step.id, StepState()), True, reason)
                if decision.kind:
                    self.write_tick(step.id, True, decision.payload)
                    self.redraw({step.id})

        screen = NoteScreen(step.title, heading="Tick without a passing check", explain=explain, placeholder="reason for the override")
        self.app.push_screen(screen, save)
