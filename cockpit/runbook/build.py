"""Turn validated runbook data into the immutable model."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cockpit.runbook import model as m
from cockpit.runbook.dashboards import Dashboard, MetricSpec, MetricsSettings
from cockpit.runbook.interpolate import interpolate


def _environment(name: str, raw: dict[str, Any], environ: Mapping[str, str]) -> m.Environment:
    values: dict[str, Any] = {}
    sources: dict[str, tuple[str, ...]] = {}
    defaulted = []
    metric_values = []
    for key, text in raw.get("metrics", {}).items():  # recorded as "metrics.KEY", so a missing value names its variable
        value, sources[f"metrics.{key}"] = interpolate(text, environ)
        metric_values.append((key, value))
        if value and sources[f"metrics.{key}"] and not any(environ.get(n) for n in sources[f"metrics.{key}"]):
            defaulted.append(f"metrics.{key}")
    for key, value in raw.items():
        if key == "metrics":
            continue
        if isinstance(value, str):
            values[key], sources[key] = interpolate(value, environ)
            if values[key] and sources[key] and not any(environ.get(n) for n in sources[key]):
                defaulted.append(key)  # ${VAR:-default} with VAR unset: the runbook's guess
        elif isinstance(value, list):
            expanded = [interpolate(v, environ) for v in value]
            values[key] = tuple(v for v, _ in expanded if v)
            sources[key] = tuple(n for _, names in expanded for n in names)
        else:
            values[key] = value
    values.setdefault("label", name.capitalize())
    values.setdefault("production", name == "production")
    return m.Environment(name=name, sources=sources, defaulted=tuple(defaulted), metric_values=tuple(metric_values), **values)


def _action(raw: dict[str, Any]) -> m.Action:
    """An action as written: its `${VAR}` references are resolved when it runs, not here."""
    fields = dict(raw)
    for key in ("inputs", "env"):
        if key in fields:
            fields[key] = tuple(fields[key].items())
    if "timeout_seconds" in fields:
        fields["timeout_seconds"] = float(fields["timeout_seconds"])
    return m.Action(**fields)


def _step(raw: dict[str, Any]) -> m.Step:
    fields = dict(raw)
    check = fields.pop("check", None)
    if check is not None:
        check = m.CheckSpec(**{**check, "names": tuple(check.get("names", ()))})
    actions = tuple(_action(a) for a in fields.pop("actions", ()))
    return m.Step(check=check, actions=actions, gate=tuple(fields.pop("gate", ())), **fields)  # approval: a plain string


def _phase(raw: dict[str, Any]) -> m.Phase:
    fields = dict(raw)
    steps = tuple(_step(s) for s in fields.pop("steps"))
    return m.Phase(steps=steps, environments=tuple(fields.pop("environments", ())), gate=tuple(fields.pop("gate", ())), **fields)


def _env_var(raw: dict[str, Any]) -> m.EnvVar:
    services = raw.get("services")
    return m.EnvVar(**{**raw, "services": None if services is None else tuple(services)})


def _each(cls: type, items: list[dict[str, Any]]) -> tuple:
    return tuple(cls(**item) for item in items)


def _probes(raw: dict[str, Any]) -> m.ProbeSettings:
    fields = {k: float(v) for k, v in raw.items() if k != "intervals"}
    return m.ProbeSettings(**fields, intervals={k: float(v) for k, v in raw.get("intervals", {}).items()})


def _cloudwatch(raw: dict[str, Any]) -> m.CloudWatchSettings:
    fields: dict[str, Any] = {k: int(v) if k == "buffer_lines" else float(v) for k, v in raw.items()}  # the key decides the type
    return m.CloudWatchSettings(**fields)


def _floats(raw: dict[str, Any], *names: str) -> dict[str, Any]:
    """`raw` with the numbers under `names` as floats (TOML writes `5` as an integer)."""
    return {k: float(v) if k in names else v for k, v in raw.items()}


def _metric(raw: dict[str, Any]) -> MetricSpec:
    fields = _floats(raw, "scale", "threshold")
    return MetricSpec(**{**fields, "dimensions": tuple(raw.get("dimensions", {}).items())})


def _dashboard(raw: dict[str, Any]) -> Dashboard:
    return Dashboard(raw["id"], raw["title"], tuple(_metric(r) for r in raw["metrics"]))


def _metrics(raw: dict[str, Any]) -> MetricsSettings:
    fields: dict[str, Any] = {k: int(v) if k.endswith("_minutes") else float(v) for k, v in raw.items()}  # the key decides the type
    return MetricsSettings(**fields)


def build_runbook(data: dict[str, Any], environ: Mapping[str, str], source: Path | None) -> m.Runbook:
    """The model for shape- and rule-valid `data`."""
    meta = data["runbook"]
    flags = data.get("feature_flags", {})
    health = data.get("health", {})
    return m.Runbook(
        **meta,
        source=source,
        environments={n: _environment(n, e, environ) for n, e in data["environments"].items()},
        phases=tuple(_phase(p) for p in data["phases"]),
        required_env=tuple(_env_var(v) for v in data.get("required_env", [])),
        pages=_each(m.Page, data.get("pages", [])),
        health_path=health.get("path", "/health"),
        health_components=tuple(health.get("components", ())),
        probes=_probes(data.get("probes", {})),
        cloudwatch=_cloudwatch(data.get("cloudwatch", {})),
        ecs=m.EcsSettings(**{k: float(v) for k, v in data.get("ecs", {}).items()}),
        github=m.GithubSettings(**_floats(data.get("github", {}), "poll_seconds")),
        actions=m.ActionSettings(**_floats(data.get("actions", {}), "command_timeout_seconds", "stop_grace_seconds")),
        approval=m.ApprovalSettings(**_floats(data.get("approval", {}), "expires_minutes")),
        thresholds=_each(m.Threshold, data.get("thresholds", [])),
        metrics=_metrics(data.get("metrics", {})),
        dashboards=tuple(_dashboard(d) for d in data.get("dashboards", [])),
        alarms=_each(m.Alarm, data.get("alarms", [])),
        log_queries=_each(m.LogQuery, data.get("log_queries", [])),
        rollback_targets=_each(m.RollbackTarget, data.get("rollback", {}).get("targets", [])),
        feature_flags=_each(m.FeatureFlag, flags.get("flags", [])),
        feature_flags_note=flags.get("note", ""),
        feature_flags_code=flags.get("code", ""),
        contacts=_each(m.Contact, data.get("contacts", [])),
        appendix=_each(m.Section, data.get("appendix", [])),
    )
