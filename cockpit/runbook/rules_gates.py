"""Rules for `gate = [...]` on a phase or a step (go / no-go, issue 17).

A gate names the checks that must pass before a deploy or a command runs. A name that is
not a step, or a step without an automated check, could never be green: the gate would
refuse forever (or, worse, read as green if unknown ids were skipped), so both are errors
at load time. The shape (an array of strings) is schema.py's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cockpit.runbook.schema import Path, format_path

Problem = tuple[Path, str]


def _gates(data: dict[str, Any]) -> Iterator[tuple[Path, list[str]]]:
    """(path of the `gate` key, its ids) for every phase and step that declares one."""
    for i, phase in enumerate(data["phases"]):
        if "gate" in phase:
            yield ("phases", i, "gate"), phase["gate"]
        for j, step in enumerate(phase["steps"]):
            if "gate" in step:
                yield ("phases", i, "steps", j, "gate"), step["gate"]


def check_gates(data: dict[str, Any]) -> list[Problem]:
    """Each id of each gate must be a step of the runbook with an automated check."""
    steps = {step["id"]: step for phase in data["phases"] for step in phase["steps"]}
    problems: list[Problem] = []
    for path, ids in _gates(data):
        for k, ident in enumerate(ids):
            where = path + (k,)
            step = steps.get(ident)
            if step is None:
                problems.append((where, f"{format_path(where)}: {ident!r} is not a step of this runbook (a gate names check steps)"))
            elif step.get("check") is None:
                problems.append((where, f"{format_path(where)}: {ident!r} has no automated check (a gate names steps with a check = {{...}})"))
    return problems
