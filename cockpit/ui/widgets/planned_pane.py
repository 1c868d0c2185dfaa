"""A pane whose live data arrives in a later release: it shows what it will watch.

Each pane states plainly that it is not monitoring yet, and lists the targets from the
runbook and environment (URLs masked), including what is not configured and why.
"""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from cockpit.runbook import Environment, Runbook

NOT_LIVE = "not monitored yet: this pane lists what it will watch\n\n"


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
