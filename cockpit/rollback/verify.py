"""The health verdict after a rollback: the runbook's health, Redis and page checks, once."""

from __future__ import annotations

from collections.abc import Mapping

from cockpit.checks.runner import CheckRunner, check_of, checked_steps
from cockpit.core.redact import redact_secrets
from cockpit.core.text import one_line
from cockpit.runbook import Environment, Runbook

HEALTH_TYPES = ("health", "redis_ping", "page")


def health_steps(runbook: Runbook, env: Environment) -> list:
    """The steps whose checks say whether the service is healthy (one per distinct check)."""
    seen, steps = set(), []
    for step in checked_steps(runbook, env.name):
        if check_of(step).type in HEALTH_TYPES and step.check not in seen:
            seen.add(step.check)
            steps.append(step)
    return steps


async def check_health(runbook: Runbook, env: Environment, environ: Mapping[str, str]) -> tuple[bool, str]:
    """(all passed, a one-line summary naming what failed), on the running loop (the engine's, in-process for
    `cockpit rollback`)."""
    steps = health_steps(runbook, env)
    if not steps:
        return True, "the runbook has no health checks"
    runner = CheckRunner(runbook, env, environ)
    try:
        results = await runner.run_steps(steps)
    finally:
        await runner.aclose()
    failed = [f"{step.id}: {one_line(redact_secrets(results[step.id].evidence), 120)}" for step in steps if not results[step.id].passed]
    if failed:
        return False, f"{len(failed)} of {len(steps)} health checks failed: " + "; ".join(failed)
    return True, f"{len(steps)} health checks passed"
