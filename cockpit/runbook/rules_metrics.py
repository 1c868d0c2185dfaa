"""Rules for the metrics pane: `[metrics]`, `[[dashboards]]` and the environments' `metrics` values.

A dashboard line that cannot be read (a statistic CloudWatch refuses, a `{key}` no environment
declares, a pool of a service that does not exist) would only show up on release day as an empty
chart; it is caught when the runbook is loaded instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cockpit.runbook.dashboards import STATISTICS, placeholders
from cockpit.runbook.interpolate import InterpolationError, interpolate
from cockpit.runbook.schema import Path, format_path

Problem = tuple[Path, str]

_PERCENTILE = re.compile(r"p(\d+(?:\.\d+)?)")
_PLAIN_ID = re.compile(r"[A-Za-z0-9_-]+")


def statistic_problem(text: str) -> str:
    """Why `text` is not a statistic GetMetricData takes ('' when it is): one of STATISTICS, or p50, p99, p99.9..."""
    if text in STATISTICS:
        return ""
    match = _PERCENTILE.fullmatch(text)
    if match and 0 < float(match[1]) <= 100:
        return ""
    return f"unknown statistic {text!r} (one of: {', '.join(STATISTICS)}, or a percentile p1..p100 such as p99 or p99.9)"


def _settings(data: dict[str, Any]) -> list[Problem]:
    settings = data.get("metrics", {})
    problems: list[Problem] = [(("metrics", k), f"metrics.{k}: must be greater than 0, got {v}") for k, v in settings.items() if v <= 0]
    window = settings.get("window_minutes", 60)
    if settings.get("recent_minutes", 5) > window:
        problems.append((("metrics", "recent_minutes"), f"metrics.recent_minutes: must not exceed window_minutes ({window})"))
    interval = settings.get("interval_seconds", 60.0)
    if settings.get("stale_after_seconds", 180.0) <= interval:
        problems.append((("metrics", "stale_after_seconds"),
                         f"metrics.stale_after_seconds: must exceed interval_seconds ({interval:g}), or every read is stale"))
    return problems


def _environment_values(data: dict[str, Any], environ: Mapping[str, str]) -> list[Problem]:
    problems: list[Problem] = []
    for name, env in data["environments"].items():
        for key, text in env.get("metrics", {}).items():
            try:
                interpolate(text, environ)
            except InterpolationError as exc:
                path = ("environments", name, "metrics", key)
                problems.append((path, f"{format_path(path)}: {exc}"))
    return problems


def _line(path: Path, spec: dict[str, Any], services: set[str], keys: set[str]) -> list[Problem]:
    """The problems of one `[[dashboards.metrics]]` table."""
    where = format_path(path)
    problems: list[Problem] = []
    for field in ("statistic", "per_statistic"):
        why = statistic_problem(spec[field]) if field in spec else ""
        if why:
            problems.append((path + (field,), f"{where}.{field}: {why}"))
    if spec.get("per") and spec.get("pool_of"):
        problems.append((path + ("pool_of",), f"{where}: per and pool_of cannot both be set (a line is a ratio or a pool share)"))
    pool = spec.get("pool_of")
    if pool and pool not in services:
        known = ", ".join(sorted(services)) or "none"
        problems.append((path + ("pool_of",), f"{where}.pool_of: service {pool!r} is in no environment's ecs_services (known: {known})"))
    for name, value in spec.get("dimensions", {}).items():
        for key in placeholders(value):
            if key not in keys:
                declared = ", ".join(sorted(keys)) or "none"
                problems.append((path + ("dimensions", name),
                                 f"{where}.dimensions.{name}: {{{key}}} is in no environment's metrics table (declared: {declared})"))
    if not _PLAIN_ID.fullmatch(spec["id"]):
        problems.append((path + ("id",), f"{where}.id: {spec['id']!r} may hold only letters, digits, '-' and '_'"))
    return problems


def check_metrics(data: dict[str, Any], environ: Mapping[str, str]) -> list[Problem]:
    """Every problem of `[metrics]`, the dashboards and the environments' metric values (shape already valid)."""
    services = {s for env in data["environments"].values() for s in env.get("ecs_services", [])}
    keys = {k for env in data["environments"].values() for k in env.get("metrics", {})}
    problems = _settings(data) + _environment_values(data, environ)
    seen_boards: dict[str, Path] = {}
    seen_lines: dict[str, Path] = {}
    for i, board in enumerate(data.get("dashboards", [])):
        path: Path = ("dashboards", i)
        first = seen_boards.setdefault(board["id"], path + ("id",))
        if first != path + ("id",):
            problems.append((path + ("id",), f"{format_path(path)}.id: duplicate dashboard id {board['id']!r} (first at {format_path(first)})"))
        for j, spec in enumerate(board["metrics"]):
            line: Path = path + ("metrics", j)
            first = seen_lines.setdefault(spec["id"], line + ("id",))
            if first != line + ("id",):
                problems.append((line + ("id",),
                                 f"{format_path(line)}.id: duplicate metric id {spec['id']!r} (first at {format_path(first)})"))
            problems += _line(line, spec, services, keys)
    return problems
