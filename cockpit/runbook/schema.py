"""The shape of a runbook TOML file, and a walker that reports every mismatch.

The spec is data: a `Table` lists its keys, so unknown keys are caught anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cockpit.runbook.dashboards import MISSING
from cockpit.runbook.model import ACTION_KINDS, APPROVALS, BACKENDS, CHECK_TYPES, METRICS, RISK_LEVELS, STEP_KINDS

Path = tuple[str | int, ...]
_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}


@dataclass(frozen=True)
class Scalar:
    """A string, integer, number or boolean, optionally from a fixed set."""

    type: type
    required: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Array:
    """A list whose items all follow `item`."""

    item: Spec
    required: bool = False


@dataclass(frozen=True)
class Table:
    """A table with a fixed set of keys."""

    fields: dict[str, Spec] = field(default_factory=dict)
    required: bool = False
    retired: dict[str, str] = field(default_factory=dict)  # a key that was once known → what replaced it


@dataclass(frozen=True)
class MapOf:
    """A table whose keys are names chosen by the author (environments)."""

    value: Spec
    required: bool = False


Spec = Scalar | Array | Table | MapOf


def _s(required: bool = False, choices: tuple[str, ...] = ()) -> Scalar:
    return Scalar(str, required, choices)


_STRINGS = Array(_s())
_STRING_TABLE = MapOf(_s())

# Every field any kind takes; which belong to which kind is a rule (rules_actions.py).
ACTION = Table(
    {
        "kind": _s(True, ACTION_KINDS),
        "workflow": _s(),
        "repository": _s(),
        "ref": _s(),
        "inputs": _STRING_TABLE,
        "service": _s(),
        "run": _s(),
        "env": _STRING_TABLE,
        "timeout_seconds": Scalar(float),
        "channel": _s(),
        "text": _s(),
    }
)

STEP = Table(
    {
        "id": _s(True),
        "title": _s(True),
        "kind": _s(True, STEP_KINDS),
        "notes": _s(),
        "command": _s(),
        "expected": _s(),
        "check": Table(
            {
                "type": _s(True, CHECK_TYPES),
                "path": _s(),
                "names": _STRINGS,
                "threshold": _s(),
                "services": Scalar(bool),
                "instance": _s(),
                "pool_of": _s(),
            }
        ),
        "actions": Array(ACTION),
        "gate": _STRINGS,
        "approval": _s(choices=APPROVALS),
    }
)

ENVIRONMENT = Table(
    {
        "label": _s(),
        "production": Scalar(bool),
        "api_url": _s(),
        "app_url": _s(),
        "redis_url": _s(),
        "database_url": _s(),
        "aws_region": _s(),
        "aws_profile": _s(),
        "ecs_cluster": _s(),
        "ecs_services": _STRINGS,
        "log_groups": _STRINGS,
        "aws_account_id": _s(),
        "github_repository": _s(),
        "metrics": _STRING_TABLE,  # the values dashboards name as {key}; ${VAR} interpolated like the fields above
    }
)

# One line of a dashboard (dashboards.MetricSpec); statistics, references and ids are rules (rules_metrics.py).
METRIC = Table(
    {
        "id": _s(True),
        "title": _s(True),
        "namespace": _s(True),
        "metric": _s(True),
        "statistic": _s(True),
        "dimensions": _STRING_TABLE,
        "unit": _s(),
        "scale": Scalar(float),
        "per": _s(),
        "per_statistic": _s(),
        "pool_of": _s(),
        "missing": _s(choices=MISSING),
        "missing_per": _s(choices=MISSING),
        "gap_reason": _s(),
        "threshold": Scalar(float),
    }
)

RUNBOOK = Table(
    {
        "runbook": Table(
            {
                "id": _s(True),
                "name": _s(True),
                "version": _s(True),
                "owner": _s(True),
                "default_env": _s(),
                "status": _s(),
                "created": _s(),
                "updated": _s(),
                "summary": _s(),
            },
            required=True,
        ),
        "environments": MapOf(ENVIRONMENT, required=True),
        "required_env": Array(
            Table({"name": _s(True), "status": _s(), "description": _s(), "example": _s(), "services": _STRINGS})
        ),
        "health": Table({"path": _s(), "components": _STRINGS}),
        "probes": Table(
            {
                "interval_seconds": Scalar(float),
                "window_minutes": Scalar(float),
                "connect_timeout_seconds": Scalar(float),
                "read_timeout_seconds": Scalar(float),
                "max_backoff_seconds": Scalar(float),
                "intervals": Table({name: Scalar(float) for name in BACKENDS}),
            }
        ),
        "cloudwatch": Table(
            {
                "logs_interval_seconds": Scalar(float),
                "alarms_interval_seconds": Scalar(float),
                "requests_per_second": Scalar(float),
                "overlap_seconds": Scalar(float),
                "buffer_lines": Scalar(int),
                "connect_timeout_seconds": Scalar(float),
                "read_timeout_seconds": Scalar(float),
                "max_backoff_seconds": Scalar(float),
            }
        ),
        "ecs": Table(
            {
                "interval_seconds": Scalar(float),
                "rollout_timeout_seconds": Scalar(float),
                "rollout_poll_seconds": Scalar(float),
            }
        ),
        "github": Table({"repository": _s(), "api_url": _s(), "ref": _s(), "poll_seconds": Scalar(float)}),
        "actions": Table({"workdir": _s(), "command_timeout_seconds": Scalar(float), "stop_grace_seconds": Scalar(float)}),
        "approval": Table({"expires_minutes": Scalar(float), "rollbacks": _s(choices=APPROVALS)}),
        "pages": Array(Table({"path": _s(True), "title": _s(True), "expected": _s()})),
        "phases": Array(
            Table(
                {
                    "id": _s(True),
                    "title": _s(True),
                    "duration_minutes": Scalar(int),
                    "risk": _s(choices=RISK_LEVELS),
                    "summary": _s(),
                    "environments": _STRINGS,
                    "contingency": Scalar(bool),
                    "gate": _STRINGS,
                    "steps": Array(STEP, required=True),
                }
            ),
            required=True,
        ),
        "thresholds": Array(
            Table(
                {
                    "id": _s(True),
                    "title": _s(True),
                    "metric": _s(True, METRICS),
                    "limit_ms": Scalar(float, True),
                    "action": _s(),
                    "traffic": _s(),
                }
            )
        ),
        "metrics": Table(
            {
                "interval_seconds": Scalar(float),
                "window_minutes": Scalar(int),
                "recent_minutes": Scalar(int),
                "stale_after_seconds": Scalar(float),
            }
        ),
        "dashboards": Array(Table({"id": _s(True), "title": _s(True), "metrics": Array(METRIC, required=True)})),
        "alarms": Array(Table({"name": _s(True), "description": _s()})),
        "log_queries": Array(
            Table(
                {
                    "id": _s(True),
                    "title": _s(True),
                    "log_group": _s(True),
                    "filter_pattern": _s(True),
                    "window_minutes": Scalar(int),
                    "command": _s(),
                }
            )
        ),
        "rollback": Table({"targets": Array(Table({"service": _s(True), "family": _s(True)}))}),
        "feature_flags": Table(
            {
                "note": _s(),
                "code": _s(),
                "flags": Array(Table({"name": _s(True), "constant": _s(), "description": _s()})),
            }
        ),
        "contacts": Array(Table({"role": _s(True), "contact": _s(True), "escalation": _s()})),
        "appendix": Array(Table({"title": _s(True), "text": _s(), "code": _s()})),
    },
    retired={
        "monitoring": "[monitoring] dashboards = [names] is now [[dashboards]] (id, title), each with [[dashboards.metrics]] "
                      "(id, title, namespace, metric, statistic, dimensions, unit, threshold...): see the README's runbook fields",
    },
)


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _choice_name(path: Path) -> str:
    """What a value from a fixed set is called in a message: a step kind, an action kind, a value."""
    if path[-1:] != ("kind",):
        return "value"
    return "action kind" if path[-3:-2] == ("actions",) else "step kind"


def _scalar_ok(spec: Scalar, value: Any) -> bool:
    if spec.type is bool or isinstance(value, bool):
        return spec.type is bool and isinstance(value, bool)
    if spec.type is float:
        return isinstance(value, (int, float))
    return isinstance(value, spec.type)


def check_shape(spec: Spec, value: Any, path: Path = ()) -> list[tuple[Path, str]]:
    """Every place where `value` does not follow `spec`, as (path, message)."""
    where = format_path(path)
    if isinstance(spec, Scalar):
        if not _scalar_ok(spec, value):
            return [(path, f"{where}: expected {_TYPE_NAMES[spec.type]}, got {_describe(value)}")]
        if spec.choices and value not in spec.choices:
            what = _choice_name(path)
            return [(path, f"{where}: unknown {what} {value!r} (one of: {', '.join(spec.choices)})")]
        return []
    if isinstance(spec, Array):
        if not isinstance(value, list):
            return [(path, f"{where}: expected an array, got {_describe(value)}")]
        return [p for i, item in enumerate(value) for p in check_shape(spec.item, item, path + (i,))]
    if not isinstance(value, dict):
        return [(path, f"{where or 'document'}: expected a table, got {_describe(value)}")]
    if isinstance(spec, MapOf):
        return [p for k, item in value.items() for p in check_shape(spec.value, item, path + (k,))]
    problems = [
        (path + (key,), f"{format_path(path + (key,))}: " + (spec.retired.get(key) or f"unknown key (known here: {', '.join(spec.fields)})"))
        for key in value
        if key not in spec.fields
    ]
    for key, sub in spec.fields.items():
        if key in value:
            problems += check_shape(sub, value[key], path + (key,))
        elif sub.required:
            problems.append((path, f"{format_path(path + (key,))}: missing (required)"))
    return problems


def format_path(path: Path) -> str:
    """`phases[2].steps[0].kind` style text for a key path."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text
