"""Which revision to roll back to, and exactly what the rollback will do.

The last stable revision is what ran before the current deployment, not simply N-1:
a deployment still serving (a non-primary ACTIVE one, unless its rollout FAILED: what a
circuit breaker is rolling back from never ran stably) ran before; failing that, the
journal's record of what this service ran; only failing both, the newest active revision
older than the current one, marked as a guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cockpit.probes.aws.ecs import ServiceState, revision_of, short_name


@dataclass(frozen=True)
class Revision:
    """A revision of the family as the picker lists it."""

    revision: int
    arn: str
    status: str  # ACTIVE | INACTIVE


@dataclass(frozen=True)
class Choice:
    """The preselected revision and why it was chosen (`guess`: no record of what ran before)."""

    arn: str
    why: str
    guess: bool = False


def current_arn(service: ServiceState) -> str:
    """The task definition the service is on: the service's own (ECS keeps it equal to the PRIMARY
    deployment's; moto updates only this one), else the PRIMARY deployment's."""
    primary = service.primary
    return service.task_definition or (primary.task_definition if primary is not None else "")


def same(a: str, b: str) -> bool:
    """True when two references (ARN or family:revision) name the same revision."""
    return short_name(a) == short_name(b)


def last_stable(service: ServiceState, revisions: Sequence[Revision], journal_history: Sequence[str] = ()) -> Choice | None:
    """The revision that ran before the current deployment (see the module docstring).

    `journal_history` is the task definitions the journal saw this service run, oldest first.
    """
    current = current_arn(service)
    inactive = {short_name(r.arn) for r in revisions if r.status != "ACTIVE"}  # ECS refuses to deploy those

    def usable(arn: str) -> bool:
        return not same(arn, current) and short_name(arn) not in inactive

    for deployment in service.deployments:  # one that finished rolling out, or is still serving
        stable = deployment.rollout == "COMPLETED" or (deployment.rollout != "FAILED" and deployment.running > 0)
        if deployment.status == "ACTIVE" and stable and usable(deployment.task_definition):
            return Choice(deployment.task_definition, f"ran before the current deployment (still serving: {deployment.running} running)")
    for seen in reversed(journal_history):
        if usable(seen):
            return Choice(seen, "ran before the current deployment (recorded in the journal)")
    now = revision_of(current)
    older = [r for r in revisions if r.status == "ACTIVE" and now is not None and r.revision < now]
    if older:
        return Choice(older[0].arn, "no record of what ran before: the newest older active revision (a guess, check it)", guess=True)
    return None


@dataclass(frozen=True)
class RollbackPlan:
    """Exactly what a rollback of one service will do."""

    environment: str
    production: bool
    cluster: str
    service: str
    from_arn: str
    to_arn: str
    to_inactive: bool = False  # the target is deregistered: ECS would refuse it

    @property
    def confirmation(self) -> str:
        """What the operator must type: the service name (in production, `production/<service>`)."""
        return f"{self.environment}/{self.service}" if self.production else self.service

    def lines(self) -> list[str]:
        """The plan, one fact per line, for the modal, the dry run and the journal."""
        return [
            f"environment  {self.environment}{' (PRODUCTION)' if self.production else ''}",
            f"cluster      {self.cluster}",
            f"service      {self.service}",
            f"from         {self.from_arn}",
            f"to           {self.to_arn}",
            f"call         ecs update-service --cluster {self.cluster} --service {self.service} --task-definition {short_name(self.to_arn)}",
        ]

    def payload(self) -> dict[str, str]:
        """The plan as a journal payload."""
        return {"environment": self.environment, "cluster": self.cluster, "service": self.service, "from": self.from_arn, "to": self.to_arn}
