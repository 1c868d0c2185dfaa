"""What an ECS service is really doing: which revision serves, and whether its rollout is sound.

`describe_services` says the service's task definition is the PRIMARY deployment's, even
when that deployment FAILED with no task running and the old revision still serves every
request. The services pane, the flags pane, the rollback picker and the verdict all ask
this one pure function, so they agree on what runs and whether it is healthy.
"""

from __future__ import annotations

from dataclasses import dataclass

from cockpit.probes.aws.ecs import Deployment, ServiceState, short_name

OK = "ok"
DEPLOYING = "deploying"
DEGRADED = "degraded"
FAILED = "failed"  # the PRIMARY deployment's rollout FAILED
ROLLING_BACK = "rolling back"  # ECS's circuit breaker is rolling back a failed deployment
MISSING = "missing"

ERROR, WARNING, FINE = 2, 1, 0
SEVERITY = {FAILED: ERROR, ROLLING_BACK: ERROR, MISSING: ERROR, DEGRADED: WARNING, DEPLOYING: WARNING, OK: FINE}


@dataclass(frozen=True)
class ServiceHealth:
    """One service as the operator needs it: what serves, what ECS is moving to, and the verdict.

    `serving` is the task definition (ARN or family:revision) of the deployment with the most
    running tasks ("" when none runs); `target` the PRIMARY deployment's; `failed` the one whose
    rollout FAILED, if any.
    """

    name: str
    state: str
    serving: str = ""
    serving_running: int = 0
    target: str = ""
    target_running: int = 0
    desired: int = 0
    failed: str = ""
    reason: str = ""

    @property
    def severity(self) -> int:
        """ERROR, WARNING or FINE."""
        return SEVERITY[self.state]

    @property
    def headline(self) -> str:
        """The verdict's words for this service ('' when it is fine)."""
        if self.state == FAILED:
            return f"ROLLOUT FAILED {short_name(self.failed)}"
        if self.state == ROLLING_BACK:
            return f"ROLLING BACK {short_name(self.failed)}"
        if self.state == MISSING:
            return f"{self.name} NOT FOUND"
        if self.state == DEGRADED:
            return f"{self.name} {self.serving_running}/{self.desired} running"
        if self.state == DEPLOYING:
            return f"deploying {short_name(self.target)} {self.target_running}/{self.desired}"
        return ""


def _serving(state: ServiceState) -> Deployment | None:
    """The deployment with the most running tasks (the PRIMARY on a tie); None when nothing runs."""
    ranked = sorted(state.deployments, key=lambda d: (d.running, d.status == "PRIMARY"), reverse=True)
    return ranked[0] if ranked and ranked[0].running > 0 else None


def service_health(state: ServiceState) -> ServiceHealth:
    """The verdict on one service as ECS describes it now."""
    if state.missing:
        return ServiceHealth(state.name, MISSING, reason=f"status {state.status or 'unknown'} in {state.cluster}")
    primary = state.primary
    serving = _serving(state)
    base = dict(
        name=state.name,
        serving=serving.task_definition if serving else "",
        serving_running=serving.running if serving else 0,
        target=primary.task_definition if primary else state.task_definition,
        target_running=primary.running if primary else state.running,
        desired=primary.desired if primary else state.desired,
    )
    failed = next((d for d in state.deployments if d.rollout == "FAILED"), None)
    if failed is not None:
        kind = FAILED if failed is primary else ROLLING_BACK
        return ServiceHealth(state=kind, failed=failed.task_definition, reason=failed.reason, **base)
    if primary is not None and primary.rollout == "IN_PROGRESS":
        return ServiceHealth(state=DEPLOYING, **base)
    if base["target_running"] < base["desired"]:
        return ServiceHealth(state=DEGRADED, reason=f"{base['target_running']} of {base['desired']} tasks running", **base)
    return ServiceHealth(state=OK, **base)
