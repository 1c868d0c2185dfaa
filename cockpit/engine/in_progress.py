"""Actions and rollbacks under way in another operator's cockpit, as the journal shows them (pure: no I/O).

An intent journaled by another `who` whose outcome is not (yet) journaled is in progress
elsewhere: every cockpit shows it as "in progress by WHO since HH:MM", and starting the same
step's actions (or a rollback of the same service) is refused naming who. An intent cannot
be in progress forever: once older than the longest the action may take plus a margin, its
cockpit most likely died in between, and it is an "outcome unknown" as before (a person looks
it up; nothing is repeated blindly). The same `who` is never "another operator": an intent of
one's own left open is the cockpit that died, reported as unknown at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from cockpit.core.text import one_line
from cockpit.journal import Event
from cockpit.runbook import Runbook

STALE_MARGIN_SECONDS = 120.0  # beyond the action's own limit: a clock a little off, a journal write a little late
SLACK_SECONDS = 60.0  # one webhook POST with its timeout and retries, generously
WORKFLOW_SECONDS = 3600.0  # a workflow watch has no timeout of its own: an hour, then its outcome is unknown


@dataclass(frozen=True)
class Elsewhere:
    """An intent of another operator still without an outcome: who, since when (the intent's `at`), what."""

    intent: Event
    limit_seconds: float  # after this long (margin included) it is stale: outcome unknown

    @property
    def who(self) -> str:
        """Who journaled the intent."""
        return self.intent.who

    def text(self) -> str:
        """`already being done by WHO since HH:MM UTC`."""
        return f"already being done by {self.intent.who} since {since_text(self.intent.at)}"


def parse_at(at: str) -> datetime:
    """A journal timestamp (`2026-12-07T13:55:10.123Z`) as an aware datetime."""
    return datetime.fromisoformat(at.replace("Z", "+00:00"))


def since_text(at: str) -> str:
    """`HH:MM UTC` of a journal timestamp (the journal's own clock; `?` when it cannot be read)."""
    try:
        return parse_at(at).astimezone(UTC).strftime("%H:%M UTC")
    except ValueError:
        return "?"


def action_limit(runbook: Runbook, step_id: str, index: int) -> float:
    """The longest action `index` of `step_id` may take (seconds, the stale margin included)."""
    step = runbook.step(step_id)
    action = step.actions[index] if step is not None and 0 <= index < len(step.actions) else None
    if action is None or action.kind == "command":
        own = action.timeout_seconds if action is not None and action.timeout_seconds is not None else None
        seconds = own if own is not None else runbook.actions.command_timeout_seconds
    elif action.kind == "slack":
        seconds = SLACK_SECONDS
    else:
        seconds = WORKFLOW_SECONDS + (runbook.ecs.rollout_timeout_seconds if action.service else 0.0)
    return seconds + STALE_MARGIN_SECONDS


def rollback_limit(runbook: Runbook) -> float:
    """The longest a rollback's rollout is followed (seconds, the stale margin included)."""
    return runbook.ecs.rollout_timeout_seconds + STALE_MARGIN_SECONDS


def age_seconds(intent: Event, now: datetime) -> float:
    """How long ago `intent` was journaled (an unreadable timestamp counts as very old: stale, never blocking)."""
    try:
        return (now - parse_at(intent.at)).total_seconds()
    except ValueError:
        return float("inf")


def elsewhere(intent: Event, me: str, limit_seconds: float, now: datetime) -> Elsewhere | None:
    """`intent` as another operator's work in progress; None when it is `me`'s or stale (an unknown outcome)."""
    if intent.who == me or age_seconds(intent, now) > limit_seconds:
        return None
    return Elsewhere(intent, limit_seconds)


def target_of(intent: Event) -> str:
    """What an action intent aims at, in a few words: the workflow, the channel, or the command's start."""
    what = intent.payload["what"] if isinstance(intent.payload.get("what"), dict) else {}
    return str(what.get("workflow") or what.get("channel") or one_line(str(what.get("run", "")), 60))


def unknown_text(intent: Event) -> str:
    """`outcome unknown: action 1 (command) of STEP, started by WHO at AT, has no outcome in the journal`."""
    p = intent.payload
    target = target_of(intent)
    return (f"outcome unknown: action {int(p.get('index', 0)) + 1} ({p.get('kind', '?')} {target}) of {intent.step_id}, "
            f"started by {intent.who} at {intent.at}, has no outcome in the journal")
