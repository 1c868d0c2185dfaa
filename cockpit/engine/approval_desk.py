"""The engine's side of the two-person rule (engine/approvals.py has the rules): the approval events seen, the gate a
step with `approval = "second-operator"` (or, with `[approval] rollbacks = "second-operator"`, a rollback: on the
journal's `rollback:SERVICE`) passes before anything is sent, and approving another operator's request."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from cockpit.engine.approvals import (
    APPROVAL,
    KINDS,
    REQUEST,
    USED,
    approved_text,
    decide_approval,
    pending_request,
    until_text,
    usable_approval,
    waiting_text,
)
from cockpit.engine.events import ActionProgress, Answer, EngineEvent, RolloutProgress
from cockpit.engine.journal import JournalWriter
from cockpit.journal import Event
from cockpit.journal.progress import ROLLBACK_PREFIX
from cockpit.journal.store import Claim, utc_now
from cockpit.runbook import Environment, Runbook


class ApprovalDesk:
    """Approval requests, approvals and their use, as the journal shows them (any cockpit's)."""

    def __init__(self, runbook: Runbook, env: Environment, journal: JournalWriter | None, emit: Callable[[EngineEvent], None],
                 *, read_only: bool) -> None:
        self.runbook, self.env, self.journal, self.emit, self.read_only = runbook, env, journal, emit, read_only
        self.events: list[Event] = []
        self.now: Callable[[], datetime] = utc_now  # the clock an approval's age is read against

    @property
    def expires(self) -> float:
        """Minutes a request or an approval counts."""
        return self.runbook.approval.expires_minutes

    def needs(self, step_id: str) -> bool:
        """True when `step_id` (a step, or `rollback:SERVICE`) waits for a second operator."""
        if step_id.startswith(ROLLBACK_PREFIX):
            return self.runbook.approval.rollbacks == "second-operator"
        step = self.runbook.step(step_id)
        return step is not None and step.approval == "second-operator"

    def seen(self, events: list[Event]) -> None:
        """Keep the approval events; say each request and approval that still counts on the step (every attached
        cockpit). What it says stays until the step's next run or approval event replaces it: an expiry is not said."""
        fresh = [e for e in events if e.kind in KINDS]
        self.events += fresh
        now = self.now()
        for event in fresh:  # only what still counts: a journal read from the start holds long-expired ones
            if event.kind == REQUEST and pending_request(self.events, event.step_id, now, self.expires) is event:
                self.say(event.step_id, waiting_text(event, self.expires), event.who)
            elif event.kind == APPROVAL:
                requester = str(event.payload.get("requested_by", "?"))
                if usable_approval(self.events, event.step_id, requester, now, self.expires) is event:
                    self.say(event.step_id, approved_text(event, requester, self.expires), requester)

    def say(self, step_id: str, text: str, by: str) -> None:
        """A step's line goes with its action run; a rollback's with its rollout (the rollback screen's log)."""
        if step_id.startswith(ROLLBACK_PREFIX):
            self.emit(RolloutProgress(step_id[len(ROLLBACK_PREFIX):], text, "bold"))
        else:
            self.emit(ActionProgress(step_id, -1, text, by=by))

    async def gate(self, step_id: str, who: str, what: list[dict[str, Any]]) -> tuple[str, Event | None]:
        """('', None) when `step_id` needs no approval; ('', the approval to `use`) when a fresh one is there; otherwise
        (why not, None), a request journaled when none of `who`'s waits. Sends nothing, uses nothing."""
        if not self.needs(step_id):
            return "", None
        assert self.journal is not None
        approval = usable_approval(self.events, step_id, who, self.now(), self.expires)
        if approval is not None:
            return "", approval
        waiting = pending_request(self.events, step_id, self.now(), self.expires)
        if waiting is None or waiting.who != who:  # one request of one's own waits at a time
            waiting = await self.journal.record(step_id, REQUEST, {"who": who, "environment": self.env.name, "what": what})
            if waiting is None:
                return "refused: the journal did not take the approval request: nothing sent", None
        return (f"waiting for approval: {step_id} needs a second operator (approval = \"second-operator\"); nothing sent. "
                f"Another operator approves with `cockpit approve {step_id}` before {until_text(waiting, self.expires)}; "
                "then run it again"), None

    async def use(self, step_id: str, approval: Event | None, who: str, claim: Claim | None = None) -> str:
        """Journal that `approval` lets this run through (once): '' when taken (or none needed), else why not.
        `claim`: the run's claim on the step (store.Claim), lost when another operator started it first."""
        if approval is None:
            return ""
        assert self.journal is not None
        used = await self.journal.record(step_id, USED, {"approval": approval.id, "approved_by": approval.who, "who": who},
                                         claim=claim)
        return "" if used is not None else "refused: the journal did not take the approval's use: nothing sent"

    async def approve(self, step_id: str, who: str) -> tuple[bool, str]:
        """Approve the request waiting on `step_id` as `who`: (True, what was journaled) or (False, why not)."""
        if not self.needs(step_id):
            return False, f"{step_id} needs no approval (no approval = \"second-operator\" in the runbook for it)"
        if self.read_only or self.journal is None:
            return False, "read-only: nothing is approved" if self.read_only else "no journal to record it in"
        await self.journal.read()
        decision = decide_approval(self.events, step_id, who, self.now(), self.expires)
        if not decision.ok or decision.request is None:
            return False, decision.why
        request = decision.request
        event = await self.journal.record(step_id, APPROVAL, {"request": request.id, "requested_by": request.who, "who": who,
                                                               "environment": self.env.name})
        if event is None:
            return False, "the journal did not take the approval"
        return True, f"approved {step_id} for {request.who} ({self.env.name}): the approval counts until {until_text(event, self.expires)}, once"

    async def answer(self, request: int, step_id: str, who: str) -> None:
        """Approve (the Approve command): the Answer's value says what was journaled, its error why not."""
        try:
            ok, text = await self.approve(step_id, who)
        except Exception as exc:  # the screen waits on this answer: it must come
            ok, text = False, f"{type(exc).__name__}: {exc}"
        self.emit(Answer(request, text) if ok else Answer(request, error=text))
