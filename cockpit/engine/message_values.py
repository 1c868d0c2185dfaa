"""The placeholders of a Slack message that only the run knows: `{checks}` and `{gate}`.

A message to #deployments is evidence a release manager forwards; it must say what was
checked and how it came out, never round it up: a check never run is counted as not run,
an inconclusive one is named as such, and only a pass counts as passed.
"""

from __future__ import annotations

from collections.abc import Mapping

from cockpit.journal import StepState
from cockpit.runbook import Environment, Runbook

NAMED = 5  # step ids named per outcome before "and N more"


def checks_summary(runbook: Runbook, env: Environment, states: Mapping[str, StepState]) -> str:
    """This run's automated checks (of the phases it runs, contingency plans aside) in one line:
    '9 of 12 checks passed; failed: a-db-pool; inconclusive: post-api-p99; not run: 1'."""
    steps = [s.id for p, s in runbook.steps() if s.check is not None and p.applies_to(env.name) and not p.contingency]
    if not steps:
        return "no automated checks"
    records = {step: states.get(step, StepState()).check for step in steps}
    passed = [s for s, r in records.items() if r is not None and r.passed]
    failed = [s for s, r in records.items() if r is not None and r.status == "fail"]
    other = [s for s, r in records.items() if r is not None and not r.passed and r.status != "fail"]
    never = [s for s, r in records.items() if r is None]
    parts = [f"{len(passed)} of {len(steps)} checks passed"]
    parts += [f"{word}: {named(ids)}" for word, ids in (("failed", failed), ("inconclusive", other)) if ids]
    if never:
        parts.append(f"not run: {len(never)}")
    return "; ".join(parts)


def named(ids: list[str]) -> str:
    """'a, b, c' or 'a, b, c, d, e and 3 more'."""
    shown = ", ".join(ids[:NAMED])
    return shown if len(ids) <= NAMED else f"{shown} and {len(ids) - NAMED} more"
