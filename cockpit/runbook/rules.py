"""Checks that span the document: unique ids, references, check specs, interpolation.

They run on data whose shape is already valid (see schema.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cockpit.runbook.interpolate import InterpolationError, interpolate
from cockpit.runbook.rules_actions import check_actions
from cockpit.runbook.rules_approval import check_approval
from cockpit.runbook.rules_checks import check_aws_checks
from cockpit.runbook.rules_gates import check_gates
from cockpit.runbook.rules_metrics import check_metrics
from cockpit.runbook.rules_pins import check_pins
from cockpit.runbook.schema import Path, format_path

Problem = tuple[Path, str]

# Which extra field each check type needs.
_CHECK_NEEDS = {"page": "path", "env_vars": "names", "threshold": "threshold"}


def _duplicates(items: list[tuple[Path, str]], what: str) -> list[Problem]:
    seen: dict[str, Path] = {}
    problems: list[Problem] = []
    for path, ident in items:
        if ident in seen:
            problems.append((path, f"duplicate {what} {ident!r} (first at {format_path(seen[ident])})"))
        else:
            seen[ident] = path
    return problems


def _environment_refs(data: dict[str, Any]) -> list[Problem]:
    envs = set(data["environments"])
    problems: list[Problem] = []
    default = data["runbook"].get("default_env")
    if default is not None and default not in envs:
        problems.append((("runbook", "default_env"), f"runbook.default_env: undefined environment {default!r}"))
    for i, phase in enumerate(data["phases"]):
        for j, name in enumerate(phase.get("environments", [])):
            if name not in envs:
                path = ("phases", i, "environments", j)
                problems.append((path, f"{format_path(path[:3])}: undefined environment {name!r} (defined: {', '.join(sorted(envs))})"))
    return problems


def _step_checks(data: dict[str, Any]) -> list[Problem]:
    thresholds = {t["id"] for t in data.get("thresholds", [])}
    problems: list[Problem] = []
    for i, phase in enumerate(data["phases"]):
        for j, step in enumerate(phase["steps"]):
            path = ("phases", i, "steps", j)
            check = step.get("check")
            if step["kind"] == "check" and check is None:
                problems.append((path + ("kind",), f"{format_path(path)}: kind 'check' needs a check = {{ type = ... }}"))
            if check is None:
                continue
            if step["kind"] != "check":
                problems.append((path + ("check",), f"{format_path(path)}: only kind 'check' steps take a check"))
            need = _CHECK_NEEDS.get(check["type"])
            if need and not check.get(need):
                problems.append((path + ("check",), f"{format_path(path)}.check: type {check['type']!r} needs {need}"))
            if check["type"] == "threshold" and check.get("threshold") and check["threshold"] not in thresholds:
                problems.append((path + ("check", "threshold"), f"{format_path(path)}.check: undefined threshold {check['threshold']!r}"))
    return problems


def _rollback_refs(data: dict[str, Any]) -> list[Problem]:
    services = {s for env in data["environments"].values() for s in env.get("ecs_services", [])}
    problems: list[Problem] = []
    for i, target in enumerate(data.get("rollback", {}).get("targets", [])):
        if target["service"] not in services:
            path = ("rollback", "targets", i, "service")
            problems.append((path, f"{format_path(path)}: service {target['service']!r} is in no environment's ecs_services"))
    return problems


def _env_var_services(data: dict[str, Any]) -> list[Problem]:
    """`[[required_env]] services` may only name ECS services of some environment."""
    services = {s for env in data["environments"].values() for s in env.get("ecs_services", [])}
    known = ", ".join(sorted(services)) or "none"
    problems: list[Problem] = []
    for i, var in enumerate(data.get("required_env", [])):
        for j, name in enumerate(var.get("services", [])):
            if name not in services:
                path = ("required_env", i, "services", j)
                problems.append((path, f"{format_path(path[:3])}: service {name!r} is in no environment's ecs_services (known: {known})"))
    return problems


def _interpolation(data: dict[str, Any], environ: Mapping[str, str]) -> list[Problem]:
    problems: list[Problem] = []
    for name, env in data["environments"].items():
        for key, value in env.items():
            for k, text in enumerate(value if isinstance(value, list) else [value]):  # `metrics` (a table): rules_metrics.py
                if not isinstance(text, str):
                    continue
                try:
                    interpolate(text, environ)
                except InterpolationError as exc:
                    path = ("environments", name, key) + ((k,) if isinstance(value, list) else ())
                    problems.append((path, f"{format_path(path)}: {exc}"))
    return problems


def _probe_settings(data: dict[str, Any]) -> list[Problem]:
    """Intervals, timeouts, budgets and sizes of [probes], [cloudwatch] and [ecs] must be positive."""
    probes = data.get("probes", {})
    numbers: list[tuple[Path, Any]] = [(("probes", key), value) for key, value in probes.items() if key != "intervals"]
    numbers += [(("probes", "intervals", key), value) for key, value in probes.get("intervals", {}).items()]
    numbers += [(("cloudwatch", key), value) for key, value in data.get("cloudwatch", {}).items()]
    numbers += [(("ecs", key), value) for key, value in data.get("ecs", {}).items()]
    return [(path, f"{format_path(path)}: must be greater than 0, got {value}") for path, value in numbers if value <= 0]


_PLAIN_ID = re.compile(r"[A-Za-z0-9_-]+")


def _log_query_ids(data: dict[str, Any]) -> list[Problem]:
    """Log query ids name the logs pane's tabs and widgets: plain names only."""
    problems: list[Problem] = []
    for i, query in enumerate(data.get("log_queries", [])):
        if not _PLAIN_ID.fullmatch(query["id"]):
            path = ("log_queries", i, "id")
            problems.append((path, f"{format_path(path)}: {query['id']!r} may hold only letters, digits, '-' and '_'"))
    return problems


def check_rules(data: dict[str, Any], environ: Mapping[str, str]) -> list[Problem]:
    """Every cross-reference problem of shape-valid runbook data."""
    phases = data["phases"]
    steps: list[tuple[Path, str]] = [(("phases", i, "steps", j, "id"), s["id"]) for i, p in enumerate(phases) for j, s in enumerate(p["steps"])]
    problems = _duplicates(steps, "step id")
    problems += _duplicates([(("phases", i, "id"), p["id"]) for i, p in enumerate(phases)], "phase id")
    for table, what in (("thresholds", "threshold id"), ("log_queries", "log query id")):
        problems += _duplicates([((table, i, "id"), t["id"]) for i, t in enumerate(data.get(table, []))], what)
    problems += _environment_refs(data) + _step_checks(data) + _rollback_refs(data) + _env_var_services(data)
    problems += _interpolation(data, environ) + _probe_settings(data) + _log_query_ids(data)
    problems += check_aws_checks(data) + check_approval(data)
    return problems + check_actions(data, environ) + check_gates(data) + check_pins(data, environ) + check_metrics(data, environ)
