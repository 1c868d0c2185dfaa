"""The live panes on the cockpit screen: polls in, the health and latency panes and the verdict out."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from cockpit.monitor.verdict import ERROR
from cockpit.ui.live import LiveMonitor
from cockpit.ui.messages import Polled, ProbeExited
from cockpit.ui.verdict_view import gather
from cockpit.ui.widgets.alarms_pane import AlarmsPane
from cockpit.ui.widgets.header import CockpitHeader
from cockpit.ui.widgets.health_table import HealthTable
from cockpit.ui.widgets.latency_pane import LatencyPane
from cockpit.ui.widgets.logs_pane import LogsPane
from cockpit.ui.widgets.services_pane import ServicesPane
from cockpit.ui.widgets.verdict_bar import VerdictBar


class LivePanes:
    """Mixed into CockpitScreen (uses its layout, states and the other panes' mixins)."""

    live: LiveMonitor | None = None

    def _on_screen(self: Any, pane_id: str) -> bool:
        pane = self.query_one(f"#{pane_id}")
        return bool(self.query_one("#body").display and pane.display and pane.parent.display)

    def _render_live(self: Any) -> None:
        if self.live is None:
            return
        self.render_cloudwatch(self.app.monotonic())
        self.render_ecs(self.app.monotonic())
        health = self._on_screen("health-pane")
        table = self.query_one(HealthTable) if health else None
        problems = self.query_one("#health-problems", Static) if health else None
        latency = self.query_one(LatencyPane) if self._on_screen("latency-pane") else None
        self.show_verdict(self.live.render(table, problems, latency))

    def show_verdict(self: Any, views: list | None = None) -> None:
        """The one verdict, in the line under the header (and the header red while anything is wrong)."""
        if self.live is None:
            return
        app = self.app
        verdict = gather(app.monotonic(), live=app.live, runbook=app.runbook, env=app.env,
                         views=self.live.views() if views is None else views, alarms=self.query_one(AlarmsPane),
                         services=self.query_one(ServicesPane), logs=self.query_one(LogsPane), states=self.states)
        self.query_one(VerdictBar).show(verdict)
        self.query_one(CockpitHeader).show_worst(verdict.worst == ERROR)

    def on_polled(self: Any, message: Polled) -> None:
        """A backend was polled: the board takes it; a row that changed status is shown at once,
        the rest at the next clock tick."""
        if self.live is not None:
            changed = self.live.status_changed(message)
            self.live.apply(message)
            if changed:
                self._render_live()

    def on_probe_exited(self: Any, message: ProbeExited) -> None:
        """The pollers died: show it on every row, and start them again."""
        if self.live is not None and self.is_mounted:
            self.live.probe_exited(message.reason)
            self._render_live()
