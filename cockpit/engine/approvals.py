"""The two-person rule (issue 19): a step with `approval = "second-operator"` runs only with another operator's approval.

The design is the simpler honest one: running such a step without a fresh approval journals an
`approval-request` (who asks, the environment, exactly what the actions would send; nothing is
sent) and is refused as "waiting for approval". Another operator, a different `who`, approves
it (`cockpit approve STEP-ID`): an `approval` event naming the request. The requester then runs
the step again and it goes through: an `approval-used` event names the approval before the
first intent, so one approval lets one run through. A request or an approval older than
`[approval] expires_minutes` counts for nothing (the requester asks again); when one that a
cockpit shows expires, the cockpit says so then (`expired_text`), with no event of its own.
Everything is read from the journal (pure functions of its events), so every attached cockpit
sees the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cockpit.engine.in_progress import parse_at, since_text
from cockpit.journal import Event

REQUEST = "approval-request"  # on the step: payload who, environment, what (each action's journal-safe `what`)
APPROVAL = "approval"  # on the step: payload request (its event id), requested_by, who
USED = "approval-used"  # on the step: payload approval (its event id), who; journaled before the run's first intent
KINDS = (REQUEST, APPROVAL, USED)


@dataclass(frozen=True)
class Decision:
    """What `decide_approval` found: `ok` to approve `request` (else `why` not)."""

    ok: bool
    why: str = ""
    request: Event | None = None


def fresh(event: Event, now: datetime, expires_minutes: float) -> bool:
    """True while `event` is younger than `expires_minutes` (an unreadable time is never fresh)."""
    try:
        return now - parse_at(event.at) <= timedelta(minutes=expires_minutes)
    except ValueError:
        return False


def expires_at(event: Event, expires_minutes: float) -> datetime | None:
    """When `event` stops counting (None when its time cannot be read: it never counted)."""
    try:
        return parse_at(event.at) + timedelta(minutes=expires_minutes)
    except ValueError:
        return None


def until_text(event: Event, expires_minutes: float) -> str:
    """`HH:MM UTC`: when `event` stops counting."""
    at = expires_at(event, expires_minutes)
    return at.strftime("%H:%M UTC") if at is not None else "?"


def _of(events: Iterable[Event], step_id: str, kind: str) -> list[Event]:
    return [e for e in events if e.step_id == step_id and e.kind == kind]


def pending_request(events: list[Event], step_id: str, now: datetime, expires_minutes: float) -> Event | None:
    """The newest fresh request of `step_id` nobody has approved yet, if any."""
    approved = {int(e.payload.get("request", 0) or 0) for e in _of(events, step_id, APPROVAL)}
    waiting = [r for r in _of(events, step_id, REQUEST) if r.id not in approved and fresh(r, now, expires_minutes)]
    return waiting[-1] if waiting else None


def usable_approval(events: list[Event], step_id: str, requester: str, now: datetime, expires_minutes: float) -> Event | None:
    """A fresh, unused approval of a request `requester` made for `step_id`, given by someone else, if any."""
    requests = {r.id: r for r in _of(events, step_id, REQUEST)}
    used = {int(e.payload.get("approval", 0) or 0) for e in _of(events, step_id, USED)}
    for approval in reversed(_of(events, step_id, APPROVAL)):
        request = requests.get(int(approval.payload.get("request", 0) or 0))
        if (request is not None and request.who == requester and approval.who != requester and approval.id not in used
                and fresh(approval, now, expires_minutes)):
            return approval
    return None


def decide_approval(events: list[Event], step_id: str, who: str, now: datetime, expires_minutes: float) -> Decision:
    """May `who` approve `step_id`'s request now? Only another operator's fresh, not yet approved request."""
    request = pending_request(events, step_id, now, expires_minutes)
    if request is None:
        return Decision(False, f"no request of {step_id} waits for approval (none made, already approved, or older than "
                               f"{expires_minutes:g} min)")
    if request.who == who:
        return Decision(False, f"{who} asked for it: a second operator (a different --who) must approve {step_id}", request)
    return Decision(True, request=request)


def waiting_text(request: Event, expires_minutes: float) -> str:
    """The line every cockpit shows for a request: who asks, since when, how to approve, until when."""
    return (f"waiting for approval: {request.who} asked at {since_text(request.at)} to run {request.step_id} "
            f"({request.payload.get('environment', '?')}); another operator approves with `cockpit approve {request.step_id}` "
            f"before {until_text(request, expires_minutes)}")


def approved_text(approval: Event, requester: str, expires_minutes: float) -> str:
    """The line every cockpit shows once approved."""
    return (f"approved by {approval.who} at {since_text(approval.at)}: {requester} runs {approval.step_id} again to send it "
            f"(the approval counts until {until_text(approval, expires_minutes)}, once)")


def expired_text(event: Event, requester: str, expires_minutes: float) -> str:
    """The line every cockpit shows once the request or approval it showed (`event`) expired unapproved or unused."""
    at = until_text(event, expires_minutes)
    if event.kind == REQUEST:
        return (f"approval request of {event.who} to run {event.step_id} expired at {at} unapproved: nothing sent; "
                "run it again to ask again")
    return f"approval of {requester}'s request by {event.who} expired at {at} unused: nothing sent; run it again to ask again"
