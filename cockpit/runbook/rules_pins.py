"""Rules for an environment's identity pins, `aws_account_id` and `github_repository`.

A pin that cannot match anything (a typo'd account, `payments` without its owner) would
refuse every rollback and deploy with a puzzling reason on release day; it is caught when
the runbook is loaded instead. Pins are checked after `${VAR}` interpolation (an empty
value is no pin); a malformed reference is reported by the interpolation rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cockpit.runbook.interpolate import InterpolationError, interpolate
from cockpit.runbook.schema import Path, format_path

Problem = tuple[Path, str]

AWS_ACCOUNT = re.compile(r"\d{12}")
GITHUB_REPOSITORY = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?/[A-Za-z0-9._-]+")
_EXPECTED = {
    "aws_account_id": (AWS_ACCOUNT, "an AWS account id is 12 digits, like 123456789012"),
    "github_repository": (GITHUB_REPOSITORY, "a GitHub repository is owner/name, like avnz/payments"),
}


def check_pins(data: dict[str, Any], environ: Mapping[str, str]) -> list[Problem]:
    """Every environment's pin that, once interpolated, is not a well-formed account id or repository."""
    problems: list[Problem] = []
    for name, env in data["environments"].items():
        for key, (pattern, hint) in _EXPECTED.items():
            raw = env.get(key)
            if raw is None:
                continue
            try:
                value = interpolate(raw, environ)[0].strip()
            except InterpolationError:
                continue  # reported by rules._interpolation
            if value and not pattern.fullmatch(value):
                path = ("environments", name, key)
                problems.append((path, f"{format_path(path)}: {value!r} is not valid: {hint}"))
    return problems
