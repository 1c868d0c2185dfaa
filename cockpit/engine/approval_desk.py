"""The engine's side of the two-person rule (engine/approvals.py has the rules): the approval events seen, the gate a
step with `approval = "second-operator"` (or, with `[approval] rollbacks = "second-operator"`, a rollback: on the
journal's `rollback:SERVICE`) passes before anything is sent, and approving another operator's request.

A request or an approval a step's line shows is watched until it expires: then every cockpit says it expired (nothing
new is journaled, so nothing else would replace the line). The desk looks at its clock (`now`, the wall clock the
journal's times are on) when the expiry is due and at least every RECHECK_SECONDS, so a clock that jumps (a laptop
resumed from sleep) is seen too; it reads the journal once more before it says the expiry, so an approval or its use
another cockpit journaled just before is not taken for one."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cockpit.engine.approvals import (
    APPROVAL,
    KINDS,
    REQUEST,
    USED,
    approved_text,
    decide_approval,
    expired_text,
    expires_at,
    fresh,
    pending_request,
    until_text,
    usable_approval,
    waiting_text,
)
from cockpit.engine.events import ActionEnded, ActionProgress, Answer, EngineEvent, RolloutProgress
from cockpit.engine.journal import JournalWriter
from cockpit.journal import Event
from cockpit.journal.progress import ROLLBACK_PREFIX
from cockpit.journal.store import Claim, utc_now
from cockpit.runbook import Environment, Runbook

RECHECK_SECONDS = 30.0  # a watched line looks at the clock at least this often (the loop's timers miss a jump of it)
DUE_MARGIN = 0.05  # seconds past the expiry it is looked at: `fresh` still counts the very moment of expiry


@dataclass
class Watch:
    """The request or approval a step's line shows (whose request: `requester`), and the timer to look at it again."""

    event: Event
    requester: str
    timer: asyncio.TimerHandle | None = None


class ApprovalDesk:
    """Approval requests, approvals and their use, as the journal shows them (any cockpit's)."""

    def __init__(self, runbook: Runbook, env: Environment, journal: JournalWriter | None, emit: Callable[[EngineEvent], None],
                 *, read_only: bool) -> None:
        self.runbook, self.env, self.journal, self.emit, self.read_only = runbook, env, journal, emit, read_only
        self.events: list[Event] = []
        self.now: Callable[[], datetime] = utc_now  # the clock an approval's age is read against
        self.watches: dict[str, Watch] = {}  # step id → what its line shows, until that expires or the step moves on
        self.tasks: set[asyncio.Task[None]] = set()  # expiries being said (each reads the journal first)
        self.closed = False

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
        cockpit) and watch it: it stays until the step's next approval event (or run) replaces it, or its expiry is said."""
        new = [e for e in events if e.kind in KINDS]
        self.events += new
        now = self.now()
        for event in new:  # only what still counts: a journal read from the start holds long-expired ones
            self._unwatch(event.step_id)  # the step's newest approval event decides its line (a use: the run's)
            if event.kind == REQUEST and pending_request(self.events, event.step_id, now, self.expires) is event:
                self.say(event.step_id, waiting_text(event, self.expires), event.who)
                self._watch(event, event.who)
            elif event.kind == APPROVAL:
                requester = str(event.payload.get("requested_by", "?"))
                if usable_approval(self.events, event.step_id, requester, now, self.expires) is event:
                    self.say(event.step_id, approved_text(event, requester, self.expires), requester)
                    self._watch(event, requester)

    def say(self, step_id: str, text: str, by: str) -> None:
        """A step's line goes with its action run; a rollback's with its rollout (the rollback screen's log)."""
        if step_id.startswith(ROLLBACK_PREFIX):
            self.emit(RolloutProgress(step_id[len(ROLLBACK_PREFIX):], text, "bold"))
        else:
            self.emit(ActionProgress(step_id, -1, text, by=by))

    def say_over(self, step_id: str, text: str) -> None:
        """The step's line no longer counts: its run record ends with `text` (nothing ran); a rollback's log says it."""
        if step_id.startswith(ROLLBACK_PREFIX):
            self.emit(RolloutProgress(step_id[len(ROLLBACK_PREFIX):], text, "bold"))
        else:
            self.emit(ActionEnded(step_id, False, text, refused=True))

    # -- expiry ------------------------------------------------------------------------------
    def _watch(self, event: Event, requester: str) -> None:
        if not self.closed:
            self.watches[event.step_id] = watch = Watch(event, requester)
            self._arm(watch)

    def _unwatch(self, step_id: str) -> None:
        watch = self.watches.pop(step_id, None)
        if watch is not None and watch.timer is not None:
            watch.timer.cancel()

    def _arm(self, watch: Watch) -> None:
        due = expires_at(watch.event, self.expires)
        left = (due - self.now()).total_seconds() if due is not None else 0.0
        watch.timer = asyncio.get_running_loop().call_later(min(max(left, 0.0) + DUE_MARGIN, RECHECK_SECONDS), self._look, watch)

    def _look(self, watch: Watch) -> None:
        """The timer of `watch`: not yet expired by the clock, look again later; expired, say so (after a journal read)."""
        watch.timer = None
        if self.watches.get(watch.event.step_id) is not watch:
            return
        if fresh(watch.event, self.now(), self.expires):
            self._arm(watch)
            return
        task = asyncio.get_running_loop().create_task(self._expire(watch), name=f"approval expiry {watch.event.step_id}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _expire(self, watch: Watch) -> None:
        if self.journal is not None:
            await self.journal.read()  # an approval or a use journaled just before replaces the watch: no expiry to say
        step_id = watch.event.step_id
        if self.watches.get(step_id) is watch:
            del self.watches[step_id]
            self.say_over(step_id, expired_text(watch.event, watch.requester, self.expires))

    async def close(self) -> None:
        """The engine stops: no timer is left, no expiry said any more."""
        self.closed = True
        for step_id in list(self.watches):
            self._unwatch(step_id)
        for task in self.tasks:
            task.cancel()
        if self.tasks:
            await asyncio.wait(set(self.tasks))

    # -- running -----------------------------------------------------------------------------
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
        if not fresh(approval, self.now(), self.expires):  # it expired since `gate` found it (the gate's checks took long)
            return (f"refused: the approval of {step_id} by {approval.who} expired at {until_text(approval, self.expires)} "
                    "before it was used: nothing sent; run it again to ask again")
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
