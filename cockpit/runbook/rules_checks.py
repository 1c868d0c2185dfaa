"""Rules of the checks judged on AWS: `rds_health` check specs and a threshold's `traffic` link.

They run on shape-valid data (see schema.py), and report (path, message) like rules.py.
"""

from __future__ import annotations

import re
from typing import Any

from cockpit.runbook.schema import Path, format_path

Problem = tuple[Path, str]
_PERCENTILE = re.compile(r"p(\d+(?:\.\d+)?)")
RDS_ONLY = ("instance", "pool_of")


def is_percentile(statistic: str) -> bool:
    """True for a CloudWatch percentile statistic: `p` and a number 0..100 (p50, p99, p99.9)."""
    match = _PERCENTILE.fullmatch(statistic)
    return match is not None and float(match.group(1)) <= 100


def _rds_checks(data: dict[str, Any]) -> list[Problem]:
    services = {s for env in data["environments"].values() for s in env.get("ecs_services", [])}
    problems: list[Problem] = []
    for i, phase in enumerate(data["phases"]):
        for j, step in enumerate(phase["steps"]):
            check, path = step.get("check"), ("phases", i, "steps", j, "check")
            if check is None:
                continue
            if check["type"] != "rds_health":
                problems += [(path + (key,), f"{format_path(path)}: {key} is only for type 'rds_health'") for key in RDS_ONLY if key in check]
                continue
            for key, what in (("instance", "a DB instance id, or {db_instance}"), ("pool_of", "the ECS service whose tasks hold the pool")):
                if not check.get(key):
                    problems.append((path, f"{format_path(path)}: type 'rds_health' needs {key} ({what})"))
            pool_of = check.get("pool_of")
            if pool_of and pool_of not in services:
                known = ", ".join(sorted(services)) or "none"
                problems.append((path + ("pool_of",), f"{format_path(path)}.pool_of: service {pool_of!r} is in no environment's ecs_services (known: {known})"))
    return problems


def _dashboard_metrics(data: dict[str, Any]) -> dict[str, str]:
    """Metric id → statistic of the runbook's `[[dashboards]]` (shape-valid: see schema.py)."""
    return {str(metric["id"]): str(metric["statistic"]) for board in data.get("dashboards", []) for metric in board.get("metrics", [])}


def _traffic_links(data: dict[str, Any]) -> list[Problem]:
    """`traffic` is for api_p99 thresholds and names a dashboard metric with a percentile statistic."""
    metrics = _dashboard_metrics(data)
    problems: list[Problem] = []
    for i, threshold in enumerate(data.get("thresholds", [])):
        traffic, path = threshold.get("traffic"), ("thresholds", i, "traffic")
        if not traffic:
            continue
        if threshold["metric"] != "api_p99":
            problems.append((path, f"{format_path(path)}: only an 'api_p99' threshold is judged on traffic (this one is {threshold['metric']!r})"))
        elif traffic not in metrics:
            known = ", ".join(sorted(k for k, stat in metrics.items() if is_percentile(stat))) or "none"
            problems.append((path, f"{format_path(path)}: no dashboard metric {traffic!r} (percentile metrics: {known})"))
        elif not is_percentile(metrics[traffic]):
            problems.append((path, f"{format_path(path)}: dashboard metric {traffic!r} has statistic {metrics[traffic]!r}, not a percentile (p99)"))
    return problems


def check_aws_checks(data: dict[str, Any]) -> list[Problem]:
    """Every problem of the rds_health checks and the thresholds' traffic links."""
    return _rds_checks(data) + _traffic_links(data)
