"""Rules for steps' `[[phases.steps.actions]]` and the `[github]` / `[actions]` settings.

They run on data whose shape is already valid (schema.py): every key is known, every
value has its type, and each action's kind is one of ACTION_KINDS.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from cockpit.runbook.interpolate import InterpolationError, interpolate
from cockpit.runbook.schema import Path, format_path
from cockpit.runbook.templates import COMMAND_ENV_PLACEHOLDERS, SLACK_TEXT_PLACEHOLDERS, unknown_placeholders

Problem = tuple[Path, str]

# The fields of each kind, the required ones first (`kind` is every kind's).
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "github_workflow": ("workflow", "repository", "ref", "inputs", "service"),
    "command": ("run", "env", "timeout_seconds"),
    "slack": ("channel", "text"),
}
REQUIRED: dict[str, tuple[str, ...]] = {"github_workflow": ("workflow",), "command": ("run",), "slack": ("channel", "text")}


def _each_action(data: dict[str, Any]) -> Iterator[tuple[Path, dict[str, Any], dict[str, Any]]]:
    """(path, step, action) for every action of every step."""
    for i, phase in enumerate(data["phases"]):
        for j, step in enumerate(phase["steps"]):
            for k, action in enumerate(step.get("actions", [])):
                yield ("phases", i, "steps", j, "actions", k), step, action


def _strings(path: Path, value: Any) -> Iterator[tuple[Path, str]]:
    """Every string in `value` (a string or a table of them) with its path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(path + (key,), item)


def _malformed(path: Path, value: Any, environ: Mapping[str, str]) -> list[Problem]:
    problems: list[Problem] = []
    for where, text in _strings(path, value):
        try:
            interpolate(text, environ)
        except InterpolationError as exc:
            problems.append((where, f"{format_path(where)}: {exc}"))
    return problems


def _unknown(where: Path, text: str, known: Mapping[str, str], what: str) -> list[Problem]:
    names = unknown_placeholders(text, known)
    if not names:
        return []
    allowed = ", ".join("{" + name + "}" for name in known)
    bad = ", ".join("{" + name + "}" for name in names)
    return [(where, f"{format_path(where)}: unknown placeholder {bad} ({what} may use {allowed})")]


def _kind_fields(path: Path, action: dict[str, Any]) -> list[Problem]:
    kind = action["kind"]
    fields = KIND_FIELDS[kind]
    problems: list[Problem] = [
        (path + (key,), f"{format_path(path + (key,))}: not a field of a {kind} action (its fields: {', '.join(fields)})")
        for key in action
        if key != "kind" and key not in fields
    ]
    for key in REQUIRED[kind]:
        if not action.get(key, "").strip():
            where = path + (key,) if key in action else path  # an empty value's line, else the action's
            problems.append((where, f"{format_path(path)}: a {kind} action needs {key}"))
    return problems


def _channel(where: Path, channel: str) -> list[Problem]:
    """`#name`: the name also picks the webhook's variable (`#deploy-alerts`: SLACK_WEBHOOK_DEPLOY_ALERTS)."""
    if not channel.strip():
        return []  # a missing channel is reported as such
    if not channel.startswith("#"):
        return [(where, f"{format_path(where)}: {channel!r} must start with '#' (like #deployments)")]
    if not any(ch.isascii() and ch.isalnum() for ch in channel):
        return [(where, f"{format_path(where)}: {channel!r} names no channel (like #deployments)")]
    return []


def _action_values(path: Path, action: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    if action["kind"] == "command":
        for name, value in action.get("env", {}).items():
            problems += _unknown(path + ("env", name), value, COMMAND_ENV_PLACEHOLDERS, "a command's env")
    if action["kind"] == "slack":
        problems += _unknown(path + ("text",), action.get("text", ""), SLACK_TEXT_PLACEHOLDERS, "a slack text")
        problems += _channel(path + ("channel",), action.get("channel", ""))
    timeout = action.get("timeout_seconds")
    if timeout is not None and timeout <= 0:
        problems.append((path + ("timeout_seconds",), f"{format_path(path + ('timeout_seconds',))}: must be greater than 0, got {timeout}"))
    return problems


def _service(data: dict[str, Any], path: Path, action: dict[str, Any]) -> list[Problem]:
    """A workflow's `service` is followed in ECS after the run: in each environment of its phase that lists
    `ecs_services`, it must be one of them (an environment without ECS config is told so when the action runs)."""
    service = action.get("service", "")
    if action["kind"] != "github_workflow" or not service:
        return []
    where = path + ("service",)
    if not service.strip():
        return [(where, f"{format_path(where)}: names no service (leave it out, or name the ECS service the workflow deploys)")]
    phase = data["phases"][path[1]]
    names = phase.get("environments") or list(data["environments"])
    for name in names:
        listed = data["environments"].get(name, {}).get("ecs_services", [])
        if listed and service not in listed:
            return [(where, f"{format_path(where)}: {service!r} is not one of environment {name}'s ecs_services ({', '.join(listed)})")]
    return []


def _step_actions(data: dict[str, Any], environ: Mapping[str, str]) -> list[Problem]:
    problems: list[Problem] = []
    info_steps: set[Path] = set()
    for path, step, action in _each_action(data):
        problems += _service(data, path, action)
        if step["kind"] == "info" and path[:4] not in info_steps:
            info_steps.add(path[:4])
            where = path[:4] + ("actions",)
            problems.append((where, f"{format_path(path[:4])}: an info step takes no actions (make it manual, check or command)"))
        problems += _kind_fields(path, action) + _action_values(path, action) + _malformed(path, action, environ)
    return problems


def _settings(data: dict[str, Any], environ: Mapping[str, str]) -> list[Problem]:
    """`[github]` and `[actions]`: well-formed references, positive poll and timeout, a grace of 0 or more."""
    problems: list[Problem] = []
    for table in ("github", "actions"):
        problems += _malformed((table,), data.get(table, {}), environ)
    for path in (("github", "poll_seconds"), ("actions", "command_timeout_seconds")):
        value = data.get(path[0], {}).get(path[1])
        if value is not None and value <= 0:
            problems.append((path, f"{format_path(path)}: must be greater than 0, got {value}"))
    grace = data.get("actions", {}).get("stop_grace_seconds")
    if grace is not None and grace < 0:
        problems.append((("actions", "stop_grace_seconds"), f"actions.stop_grace_seconds: must be 0 or more, got {grace}"))
    return problems


def check_actions(data: dict[str, Any], environ: Mapping[str, str]) -> list[Problem]:
    """Every problem of the steps' actions and of the `[github]` and `[actions]` settings."""
    return _step_actions(data, environ) + _settings(data, environ)
