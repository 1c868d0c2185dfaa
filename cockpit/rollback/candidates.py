"""Everything the picker shows for one service: its state, its family's revisions, the preselection."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cockpit.monitor.rollout import DEPLOYING, FAILING, OK, ROLLING_BACK, ServiceHealth, service_health
from cockpit.probes.aws.ecs import ServiceState, describe_services, list_revisions, short_name
from cockpit.rollback.plan import Choice, Revision, current_arn, last_stable, same
from cockpit.runbook import Environment, Runbook


@dataclass(frozen=True)
class Candidates:
    """A service, its revisions newest first, what runs now and what to roll back to."""

    state: ServiceState
    family: str
    revisions: tuple[Revision, ...]
    current: str
    choice: Choice | None

    def inactive(self, arn: str) -> bool:
        """True when `arn` is a deregistered revision of the family."""
        return any(r.status != "ACTIVE" and same(r.arn, arn) for r in self.revisions)

    @property
    def health(self) -> ServiceHealth:
        """Which revision serves and whether the current rollout is sound (as the panes say)."""
        return service_health(self.state)

    def revision(self, number: int) -> Revision | None:
        """The revision `number` of the family, or None."""
        return next((r for r in self.revisions if r.revision == number), None)


def revision_mark(found: Candidates, r: Revision) -> str:
    """What a revision is to the service now, as the panes say it: ' ◀ running 2/2', ' ◀ serving 2/2',
    ' ◀ rollout FAILED 0/2', ' ◀ deploying 1/2', ' ◀ stable' (what a rollback would go back to)."""
    h = found.health
    stable = ", stable" if found.choice is not None and same(r.arn, found.choice.arn) else ""
    marks = []
    if h.failed and same(r.arn, h.failed):
        marks.append("rollout FAILED")
    elif same(r.arn, h.target) and h.state != OK:
        marks.append({ROLLING_BACK: "rolling back to", DEPLOYING: "deploying", FAILING: "tasks failing"}.get(h.state, h.state))
    if h.serving and same(r.arn, h.serving):
        marks.append(f"running {h.serving_running}/{h.desired}" if h.state == OK else f"serving {h.serving_running}/{h.desired}")
    elif same(r.arn, h.target) and h.state != OK:
        marks.append(f"{h.target_running}/{h.desired}")
    if not marks:
        return " ◀ stable" if stable else ""
    return " ◀ " + " · ".join(marks) + stable


def family_of(runbook: Runbook, service: str, current: str) -> str:
    """The task-definition family of `service`: the runbook's rollback target, else the running one's."""
    target = next((t for t in runbook.rollback_targets if t.service == service), None)
    return target.family if target is not None else short_name(current).rsplit(":", 1)[0]


def load_candidates(client: Any, runbook: Runbook, env: Environment, service: str, seen: Sequence[str] = ()) -> Candidates:
    """Read ECS (describe_services, every page of list_task_definitions). Raises AwsProblem; blocking.

    `seen` is what the journal saw `service` run, oldest first (the engine's `service_history`).
    """
    state = describe_services(client, env.ecs_cluster, [service])[0]
    current = current_arn(state)
    family = family_of(runbook, service, current)
    revisions = tuple(Revision(n, arn, status) for n, arn, status in list_revisions(client, family))
    current = next((r.arn for r in revisions if same(r.arn, current)), current)  # 'family:rev' → its ARN
    return Candidates(state, family, revisions, current, last_stable(state, revisions, seen))
