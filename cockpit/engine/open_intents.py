"""Action intents without an outcome, as the journal shows them: another operator's in progress, or unknown.

Every committed ACTION event passes through `seen`: an intent stays open until its outcome (or an acknowledgement)
is journaled. Another operator's open intent is shown as in progress on the step ("in progress: already being done
by WHO since HH:MM"), and its end when its outcome comes; one that outlives its action's limit, or one of this
operator's own (the cockpit that died), is reported once as "outcome unknown" (engine/in_progress.py has the rules).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Container
from datetime import datetime

from cockpit.core.text import one_line
from cockpit.engine.events import ActionEnded, ActionProgress, EngineEvent
from cockpit.engine.in_progress import Elsewhere, action_limit, age_seconds, elsewhere, target_of, unknown_text
from cockpit.journal import Event
from cockpit.journal.progress import ACTION
from cockpit.journal.store import utc_now
from cockpit.runbook import Runbook


class OpenIntents:
    """The open intents of one environment's run; `running` holds the steps whose actions run here (never reported)."""

    def __init__(self, runbook: Runbook, emit: Callable[[EngineEvent], None], who: Callable[[], str],
                 running: Container[str]) -> None:
        self.runbook, self.emit, self.who, self.running = runbook, emit, who, running
        self.open_intents: dict[int, Event] = {}  # intent event id → the intent, while no outcome is journaled
        self.reported: set[int] = set()
        self.shown_elsewhere: dict[int, Elsewhere] = {}  # another operator's intents shown as in progress, by intent id
        self.now: Callable[[], datetime] = utc_now  # the clock an intent's age is read against

    def seen(self, events: list[Event]) -> None:
        """Pair committed intents with their outcomes; show another operator's open intent as in progress (and its end
        when its outcome comes); report each other intent left without one (once)."""
        for event in events:
            if event.kind != ACTION:
                continue
            phase = event.payload.get("phase")
            if phase == "intent":
                self.open_intents[event.id] = event
            elif phase in ("outcome", "acknowledged"):
                closed = int(event.payload.get("intent", 0) or 0)
                self.open_intents.pop(closed, None)
                shown = self.shown_elsewhere.pop(closed, None)
                if shown is not None and phase == "outcome" and event.step_id not in self.running:
                    self.emit(ActionEnded(event.step_id, bool(event.payload.get("ok")) and not event.payload.get("unknown"),
                                          f"by {shown.who}: {one_line(str(event.payload.get('evidence', '')), 1000)}",
                                          unknown=bool(event.payload.get("unknown"))))
        self._report_open()

    def _report_open(self) -> None:
        for intent in list(self.open_intents.values()):
            if intent.id in self.reported or intent.step_id in self.running:
                continue
            busy = self._elsewhere(intent)
            if busy is not None:
                if intent.id not in self.shown_elsewhere:
                    self.shown_elsewhere[intent.id] = busy
                    self.emit(self.busy_progress(busy))
                    stale_in = busy.limit_seconds - age_seconds(intent, self.now()) + 1
                    asyncio.get_running_loop().call_later(max(stale_in, 0.0), self._report_open)  # then: unknown
                continue
            self.shown_elsewhere.pop(intent.id, None)
            self.reported.add(intent.id)
            self.emit(ActionEnded(intent.step_id, False, unknown_text(intent), unknown=True))

    def _elsewhere(self, intent: Event) -> Elsewhere | None:
        limit = action_limit(self.runbook, intent.step_id, int(intent.payload.get("index", 0) or 0))
        return elsewhere(intent, self.who(), limit, self.now())

    def busy_progress(self, busy: Elsewhere) -> ActionProgress:
        p = busy.intent.payload
        return ActionProgress(busy.intent.step_id, -1, f"in progress: {busy.text()} (action {int(p.get('index', 0) or 0) + 1}, "
                                                       f"{p.get('kind', '?')} {target_of(busy.intent)})", by=busy.who)

    def busy_elsewhere(self, step_id: str) -> Elsewhere | None:
        """Another operator's action of `step_id` in progress (as the journal read so far shows), if any."""
        found = (self._elsewhere(e) for e in self.open_intents.values() if e.step_id == step_id)
        return next((busy for busy in found if busy is not None), None)

    def unknown(self, step_id: str) -> list[Event]:
        """The intents of `step_id` whose outcome was never journaled (another operator's still in progress excluded)."""
        return [e for e in self.open_intents.values() if e.step_id == step_id and self._elsewhere(e) is None]
