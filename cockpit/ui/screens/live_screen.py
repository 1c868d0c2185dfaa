"""The live panes of the cockpit screen, drawn from the engine's events.

Health arrives as snapshots (every 2 s, and at once when a row changes status); alarms,
services and log lines as they are read; the verdict whenever it changes. The panes' ages
and countdowns are redrawn on the screen's clock (`render_live`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.notifications import SeverityLevel
from textual.widget import Widget
from textual.widgets import Static

from cockpit.engine.commands import SetFilter
from cockpit.engine.events import (
    ActionEnded,
    ActionProgress,
    AlarmsFailed,
    AlarmsRead,
    Answer,
    DeployRollout,
    EngineProblem,
    HealthRead,
    IdentityRead,
    MetricsFailed,
    MetricsRead,
    PatternOutcome,
    RollbackElsewhere,
    RollbackEnded,
    RollbacksActive,
    RolloutProgress,
    ServicesFailed,
    ServicesRead,
    TailEvents,
    TailStatus,
    VerdictChanged,
)
from cockpit.journal import Event
from cockpit.monitor.board import RowView
from cockpit.monitor.rollout import ERROR, WARNING
from cockpit.monitor.verdict import Problem, Verdict
from cockpit.ui.bridge import EngineBatch, deliver
from cockpit.ui.screens.run_screen import RunScreen
from cockpit.ui.widgets.alarms_pane import AlarmsPane
from cockpit.ui.widgets.header import CockpitHeader
from cockpit.ui.widgets.health_table import HealthTable, more_below, problems_text, rank
from cockpit.ui.widgets.latency_pane import LatencyPane
from cockpit.ui.widgets.logs_pane import LogsPane
from cockpit.ui.widgets.services_pane import FlagsPane, ServicesPane
from cockpit.ui.widgets.verdict_bar import VerdictBar

if TYPE_CHECKING:
    from cockpit.ui.screens.metrics import MetricsScreen

STARTING = Verdict((Problem(WARNING, "engine starting", "engine"),))  # until its first verdict: not known is not fine


class LiveScreen(RunScreen):
    """The engine's side of the cockpit screen."""

    def __init__(self) -> None:
        super().__init__()
        self.health: HealthRead | None = None
        self.verdict: Verdict | None = None
        self.engine_down = ""
        self.rollbacks_active: set[str] = set()
        self._problems: Text | None = None
        self.identity_problems: tuple[str, ...] = ()

    def on_engine_batch(self, message: EngineBatch) -> None:
        """A batch from the engine: every event to the pane that draws it."""
        for event in message.events:
            deliver(self, event)

    def action_event(self, event: ActionProgress | ActionEnded) -> None:
        """A step's action run (ActionScreen draws it)."""
        raise NotImplementedError

    def _on_screen(self, pane_id: str) -> bool:
        pane = self.query_one(f"#{pane_id}")
        return bool(self.query_one("#body").display and pane.display and pane.parent is not None and pane.parent.display)

    # -- health -------------------------------------------------------------------------
    def show_health(self, event: HealthRead) -> None:
        """A health snapshot: the health and latency panes that are on screen."""
        self.health = event
        self.render_health()

    def render_health(self) -> None:
        """Draw the last health snapshot on the panes on screen."""
        if self.health is None:
            return
        views = list(self.health.views)
        if self._on_screen("health-pane"):
            table = self.query_one(HealthTable)
            table.show(views)
            table.call_after_refresh(self._count_hidden, table, views)  # once the pane has its new height
            problems = self.query_one("#health-problems", Static)
            text = problems_text(views)
            if text != self._problems:  # an update repaints and re-lays out even when equal
                self._problems = text
                problems.update(text)
                problems.display = bool(text)
        if self._on_screen("latency-pane"):
            # the read's wall time: the engine's monotonic clock is the machine's, as the app's is
            read_at = self.app.clock().timestamp() - max(0.0, self.app.monotonic() - self.health.at)
            self.query_one(LatencyPane).show(views, {key: list(points) for key, points in self.health.series},
                                             self.app.metrics.markers(), read_at)

    @staticmethod
    def _count_hidden(table: HealthTable, views: list[RowView]) -> None:
        """'+N more ↓' under the health pane when its rows run out, with the worst among the hidden ones."""
        hidden = table.hidden()
        text = more_below(sorted(views, key=rank, reverse=True)[len(views) - hidden:] if hidden else [])
        pane = table.parent
        if isinstance(pane, Widget) and pane.border_subtitle != text:  # each assignment repaints
            pane.border_subtitle = text

    # -- CloudWatch and ECS ---------------------------------------------------------------
    def show_log(self, event: TailEvents | TailStatus | PatternOutcome) -> None:
        """New lines, a status or a filter's outcome of a log tab."""
        self.query_one(LogsPane).apply(event, self.app.monotonic())

    def on_logs_pane_pattern_requested(self, message: LogsPane.PatternRequested) -> None:
        """Pass a new filter pattern to the engine's follower of that tab."""
        self.app.send(SetFilter(message.query_id, message.pattern))

    def show_alarms(self, event: AlarmsRead | AlarmsFailed) -> None:
        """Alarm states: show them, and flash what changed (the engine journals it)."""
        pane = self.query_one(AlarmsPane)
        now = self.app.monotonic()
        for alarm, before in pane.apply(event, now):
            if before is not None or alarm.firing:
                severity: SeverityLevel = "error" if alarm.firing else "information"
                was = f" (was {before.state})" if before is not None else ""
                self.notify(f"{alarm.name}: {alarm.state}{was}", title="alarm", severity=severity, timeout=10, markup=False)
        pane.show(now, self.app.clock())

    def show_services(self, event: ServicesRead | ServicesFailed | DeployRollout | RollbackElsewhere) -> None:
        """Services read (or not), or the rollout a deploy step caused (marked on its service's row)."""
        now = self.app.monotonic()
        for cls in (ServicesPane, FlagsPane):
            self.query_one(cls).apply(event, now)
        self.render_ecs(now)

    def render_ecs(self, now: float) -> None:
        """The services and flags panes on screen, as of now."""
        for pane_id, cls in (("services-pane", ServicesPane), ("flags-pane", FlagsPane)):
            if self._on_screen(pane_id):
                self.query_one(cls).show(now, self.app.clock())

    def render_live(self) -> None:
        """Ages, countdowns and status lines of the panes on screen, as of now (health is drawn as its snapshots
        arrive, every 2 s: drawing it here as well doubled the idle CPU of the UI)."""
        now = self.app.monotonic()
        if self._on_screen("logs-pane"):
            self.query_one(LogsPane).show_status(now)
        if self._on_screen("alarms-pane"):
            self.query_one(AlarmsPane).show(now, self.app.clock())
        self.render_ecs(now)

    # -- metrics and the journal's markers (the metrics screen draws them) ---------------------
    def show_metrics(self, event: MetricsRead | MetricsFailed) -> None:
        """A metrics read (or its failure): kept by the app, drawn by the metrics screen if it is open."""
        self.app.metrics.apply(event, self.app.monotonic())
        self.metrics_changed()

    def absorb(self, events: tuple[Event, ...] | list[Event]) -> set[str]:
        """Committed events: the run's state, and the deploys, rollbacks and alarms that mark the charts."""
        if self.app.metrics.take_journal(events):
            self.metrics_changed()
        return super().absorb(events)

    def metrics_changed(self) -> None:
        """Redraw the metrics screen, when it is open."""
        for screen in self._metrics_screens():
            screen.show()

    def _metrics_screens(self) -> list[MetricsScreen]:
        from cockpit.ui.screens.metrics import MetricsScreen

        return [screen for screen in self.app.screen_stack if isinstance(screen, MetricsScreen)]

    # -- the verdict and the engine itself -------------------------------------------------
    def show_verdict(self, event: VerdictChanged) -> None:
        """The one verdict, in the line under the header (and the header red while anything is wrong)."""
        self.verdict = event.verdict
        self.engine_down = ""
        self._paint_verdict()

    def shown_verdict(self) -> Verdict:
        """The verdict as the line shows it: 'engine starting' before the first, ENGINE DOWN first while it is down."""
        verdict = self.verdict or (STARTING if self.app.live else Verdict(watching=False))
        if self.engine_down:  # nothing the panes show is current: never "all up"
            verdict = Verdict((Problem(ERROR, "ENGINE DOWN", "engine"), *verdict.problems), verdict.watching, verdict.sources)
        return verdict

    def _paint_verdict(self) -> None:
        verdict = self.shown_verdict()
        self.query_one(VerdictBar).show(verdict)
        self.query_one(CockpitHeader).show_worst(verdict.worst == ERROR)
        for screen in self._metrics_screens():  # the same line over the charts: nothing wrong is hidden behind them
            screen.show_verdict(verdict)

    def engine_problem(self, event: EngineProblem) -> None:
        """The engine died (and is being restarted) or one of its sources crashed: say so, loudly."""
        if event.down:
            self.engine_down = event.text
            self._paint_verdict()
            if self.pending:  # sent, never confirmed: the journal (read again by the next engine) says what was saved
                steps = set(self.pending)
                self.pending.clear()
                self.redraw(steps)
                self.notify(f"the engine died with writes unconfirmed for {', '.join(sorted(steps))}: the checklist shows "
                            "what the journal has once it is back; tick again if a step is not ticked", title="journal",
                            severity="warning", timeout=30, markup=False)
        self.notify(event.text, title="engine", severity="error", timeout=20, markup=False)

    def show_identity(self, event: IdentityRead) -> None:
        """Who cockpit acts as, in the header; a new problem (a failed check, a pin not matched) is notified in full."""
        self.query_one(CockpitHeader).show_identity(event)
        if event.problems and event.problems != self.identity_problems:
            self.notify("\n".join(event.problems), title="identity", severity="error", timeout=30, markup=False)
        self.identity_problems = event.problems

    # -- requests and rollbacks ---------------------------------------------------------------
    def answered(self, event: Answer) -> None:
        """An answer to a request (the rollback modal's reads)."""
        self.app.answered(event)

    def rollback_event(self, event: RolloutProgress | RollbackEnded | RollbacksActive) -> None:
        """A rollback under way: to the modal when it is open; its end is notified either way."""
        from cockpit.ui.screens.rollback import RollbackScreen

        if isinstance(event, RollbacksActive):
            self.rollbacks_active = set(event.services)
            return
        modal = next((s for s in self.app.screen_stack if isinstance(s, RollbackScreen)), None)
        if modal is not None and modal.is_attached:
            modal.progress(event) if isinstance(event, RolloutProgress) else modal.ended(event)
        if isinstance(event, RollbackEnded):
            self.notify(f"{event.service}: {event.verdict}", title="rollback", severity="information" if event.ok else "error",
                        timeout=20, markup=False)
