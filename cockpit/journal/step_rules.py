"""What an operator may journal on a step: the one set of rules behind the TUI's space and n and the headless
`cockpit tick` / `cockpit note` (pure: no I/O).

A check step is ticked on the evidence of its last check when that check passed; otherwise only with a reason,
journaled in the tick as an override. Info steps are read, not ticked. A step of a phase that does not run in the
environment is neither ticked nor annotated (the TUI greys it out). Unticking is always allowed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cockpit.core.text import one_line
from cockpit.journal.progress import TICK, UNTICK, CheckRecord, StepState
from cockpit.runbook import Phase, Step

NOTE_LIMIT = 2000  # characters of a note (the TUI's input stops there; the command line refuses more)
REASON_LIMIT = 1000  # characters of an override reason kept in the journal
INCONCLUSIVE_STATUS = "inconclusive"  # cockpit.checks.result.INCONCLUSIVE, as journaled (checks sit above the journal)


@dataclass(frozen=True)
class TickDecision:
    """What to journal for a tick or an untick, or why nothing.

    `kind` is TICK or UNTICK with its `payload` when allowed, '' when refused; `refused` says why in one line;
    `needs_reason` marks the one refusal a typed reason lifts (a check step without a passing check).
    """

    kind: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    refused: str = ""
    needs_reason: bool = False


def not_passed(record: CheckRecord | None) -> str:
    """Why a check step's record does not let it be ticked on evidence ('' when its last check passed)."""
    if record is None:
        return "it has not been checked"
    if record.passed:
        return ""
    if record.status == INCONCLUSIVE_STATUS:
        return "its last check was inconclusive (cockpit was too busy to measure)"
    return "its last check failed"


def not_applicable(step: Step, phase: Phase, environment: str) -> str:
    """Why `step` takes no ticks or notes in `environment` ('' when its phase runs there)."""
    if phase.applies_to(environment):
        return ""
    return f"{step.id} is in phase {phase.id}, which runs only in {', '.join(phase.environments)}, not in {environment}"


def decide_tick(step: Step, phase: Phase, environment: str, state: StepState, target: bool, override: str = "") -> TickDecision:
    """Tick (`target` true) or untick `step`, given what the journal says about it (`state`) and an override reason
    ('' when none was given; journaled as one clean line)."""
    why = not_applicable(step, phase, environment)
    if why:
        return TickDecision(refused=why)
    if not step.tickable:
        return TickDecision(refused="info steps are read, not ticked")
    if not target:
        return TickDecision(UNTICK)
    if step.check is None:
        return TickDecision(TICK)
    why = not_passed(state.check)
    if not why:
        assert state.check is not None
        return TickDecision(TICK, {"evidence": state.check.evidence})
    reason = one_line(override, REASON_LIMIT)
    if reason:
        return TickDecision(TICK, {"override": reason})
    return TickDecision(refused=f"{step.id} is a check step and {why}", needs_reason=True)
