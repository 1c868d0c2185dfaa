"""A pane whose live data arrives in a later release: it shows what it will watch.

Each pane states plainly that it is not monitoring yet, and lists the targets from the
runbook and environment (URLs masked), including what is not configured and why.
"""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from cockpit.core.redact import mask_url
from cockpit.runbook import Environment, Runbook

NOT_LIVE = "not monitored yet: this pane lists what it will watch\n\n"


def _target(out: Text, label: str, value: str, missing: str) -> None:
    out.append(f"{label:<10} ")
    out.append(mask_url(value) if value else f"not configured ({missing})", style="" if value else "yellow")
    out.append("\n")


def health_text(runbook: Runbook, env: Environment) -> Text:
    """Redis, database, API health and dashboard pages of the environment."""
    out = Text(NOT_LIVE, style="dim")
    _target(out, "redis", env.redis_url, env.missing("redis_url"))
    _target(out, "database", env.database_url, env.missing("database_url"))
    api = env.api_url.rstrip("/") + runbook.health_path if env.api_url else ""
    _target(out, "api", api, env.missing("api_url"))
    for page in runbook.pages:
        _target(out, "page", env.app_url.rstrip("/") + page.path if env.app_url else "", env.missing("app_url"))
    return out


def latency_text(runbook: Runbook, env: Environment) -> Text:
    """The plan's performance thresholds."""
    out = Text(NOT_LIVE, style="dim")
    for t in runbook.thresholds:
        out.append(f"{t.title:<18} < {t.limit_ms:g} ms  ")
        out.append(f"if exceeded: {t.action}\n", style="dim")
    return out


def logs_text(runbook: Runbook, env: Environment) -> Text:
    """The plan's CloudWatch Logs queries."""
    out = Text(NOT_LIVE, style="dim")
    for q in runbook.log_queries:
        out.append(f"{q.title}\n")
        out.append(f"  {q.log_group}  filter {q.filter_pattern!r}  last {q.window_minutes} min\n", style="dim")
    return out


def alarms_text(runbook: Runbook, env: Environment) -> Text:
    """The plan's CloudWatch alarms."""
    out = Text(NOT_LIVE, style="dim")
    for a in runbook.alarms:
        out.append(f"{a.name}\n")
        out.append(f"  {a.description}\n", style="dim")
    return out


def services_text(runbook: Runbook, env: Environment) -> Text:
    """The ECS services, rollback targets and feature flags."""
    out = Text(NOT_LIVE, style="dim")
    out.append(f"cluster   {env.ecs_cluster or 'not configured'}\n")
    for service in env.ecs_services:
        out.append(f"service   {service}\n")
    region = env.aws_region or "from the AWS default chain"
    out.append(f"region    {region}\n", style="dim")
    out.append("flags     " + ", ".join(f.name for f in runbook.feature_flags) + "\n", style="dim")
    return out


class PlannedPane(VerticalScroll, can_focus=True):
    """A titled, focusable, scrollable pane holding static text."""

    def __init__(self, title: str, body: Text, *, id: str) -> None:
        super().__init__(id=id, classes="pane")
        self.border_title = title
        self._body = body

    def compose(self):
        yield Static(self._body)
