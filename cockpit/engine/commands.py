"""What the UI asks of the engine: typed, frozen commands (`Command`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cockpit.rollback.plan import RollbackPlan


@dataclass(frozen=True)
class Record:
    """Journal an event for `step_id` (tick, untick, note); answered by JournalWritten."""

    step_id: str
    kind: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunCheck:
    """Run the automated check of `step_id` once; answered by CheckDone (and journaled)."""

    step_id: str


@dataclass(frozen=True)
class SetFilter:
    """Tab `query_id` should follow `pattern` once AWS accepts it (PatternOutcome says how it went)."""

    query_id: str
    pattern: str


@dataclass(frozen=True)
class RefreshServices:
    """Read the ECS services now (after a rollback, say)."""


@dataclass(frozen=True)
class AskCandidates:
    """What the rollback picker shows for `service` (Candidates); answered by Answer(request)."""

    request: int
    service: str


@dataclass(frozen=True)
class AskTaskDefinition:
    """A task definition (TaskDefinition, flags read); answered by Answer(request)."""

    request: int
    reference: str


@dataclass(frozen=True)
class StartRollback:
    """Roll back `plans` in order, each only if the one before worked (RolloutProgress, RollbackEnded)."""

    plans: tuple[RollbackPlan, ...]


@dataclass(frozen=True)
class StopAfterCurrent:
    """Do not start the next service of the rollback under way (its current watch goes on to its verdict)."""


@dataclass(frozen=True)
class RunActions:
    """Run the actions of `step_id` in order, stopping at the first failure (ActionProgress, ActionEnded).

    `confirmation`: the environment's name, required in production. `force`: run although an earlier run of these
    actions has an unknown outcome (the operator looked it up); the acknowledgement is journaled. `override`: the
    operator's typed reason to run although the step's gate is not green; journaled as an override (empty: the gate
    must be green).
    """

    step_id: str
    confirmation: str = ""
    force: bool = False
    override: str = ""


@dataclass(frozen=True)
class AskActionPlan:
    """What `step_id`'s actions would send now, its gate and any outcome left unknown: answered with an
    `ActionPreview` (Answer). Sends nothing."""

    request: int
    step_id: str


@dataclass(frozen=True)
class AskRunLookup:
    """For a step whose workflow dispatch has an unknown outcome: what GitHub lists since its intent (Answer with a
    one-line text; sends no dispatch)."""

    request: int
    step_id: str


@dataclass(frozen=True)
class Approve:
    """Approve the request waiting on `step_id` (the two-person rule, engine/approvals.py) as this engine's operator:
    answered with one line (Answer: the value when approved, the error when not)."""

    request: int
    step_id: str


@dataclass(frozen=True)
class StopAction:
    """Stop the action of `step_id` under way: a command gets SIGTERM (SIGKILL after the grace); a workflow is no
    longer watched (the run goes on at GitHub); the actions after it are not started."""

    step_id: str


Command = (
    Record | RunCheck | SetFilter | RefreshServices | AskCandidates | AskTaskDefinition | StartRollback | StopAfterCurrent | RunActions | StopAction
    | AskActionPlan | AskRunLookup | Approve
)
