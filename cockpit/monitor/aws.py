"""Where an environment's AWS calls go: one AwsTarget for the logs, alarms, ECS panes, checks and verbs."""

from __future__ import annotations

from cockpit.probes.aws.clients import AwsTarget
from cockpit.runbook.model import Environment, Runbook


def aws_target(runbook: Runbook, env: Environment) -> AwsTarget:
    """The environment's region and profile, with the runbook's AWS timeouts ([cloudwatch])."""
    cw = runbook.cloudwatch
    return AwsTarget(env.aws_region, env.aws_profile, cw.connect_timeout_seconds, cw.read_timeout_seconds)
