"""Rules for the two-person rule (issue 19): `approval = "second-operator"` on a step, `[approval]`.

An approval on a step without actions would guard nothing (a reader would believe the step is
held when it is not), and an approval that expires at once, or never, is not one: both are
errors at load time. The choice of values is schema.py's.
"""

from __future__ import annotations

from typing import Any

from cockpit.runbook.schema import Path, format_path

Problem = tuple[Path, str]


def check_approval(data: dict[str, Any]) -> list[Problem]:
    """A step's `approval` needs actions to hold; `[approval] expires_minutes` must be greater than 0."""
    problems: list[Problem] = []
    for i, phase in enumerate(data["phases"]):
        for j, step in enumerate(phase["steps"]):
            if "approval" in step and not step.get("actions"):
                where: Path = ("phases", i, "steps", j, "approval")
                problems.append((where, f"{format_path(where)}: step {step['id']!r} has no actions: an approval would hold nothing"))
    expires = data.get("approval", {}).get("expires_minutes")
    if expires is not None and not expires > 0:
        where = ("approval", "expires_minutes")
        problems.append((where, f"{format_path(where)}: must be greater than 0 (minutes an approval counts)"))
    return problems
