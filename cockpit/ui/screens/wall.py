"""The wall view (`cockpit --wall`): where the release stands, laid out to be read from across a room.

Drawn from the same engine events as the cockpit screen: the header and verdict line, phase progress
against the plan, the last verdict of every check, health with sparklines, every alarm and every service
on a line of its own, the last few actions, and the age of every figure. It is read-only through and
through: it has no key that ticks, notes, runs or rolls back, and it sends the engine nothing.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Static

from cockpit.core.text import one_line
from cockpit.engine.events import (
    ActionEnded,
    ActionProgress,
    AlarmsFailed,
    AlarmsRead,
    Answer,
    CheckDone,
    DeployRollout,
    EngineProblem,
    HealthRead,
    IdentityRead,
    JournalFollowing,
    JournalRead,
    JournalUnreadable,
    JournalWritten,
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
from cockpit.journal import Event, StepState, fold
from cockpit.journal.progress import run_counts
from cockpit.monitor.rollout import ERROR, WARNING
from cockpit.monitor.verdict import Problem, Verdict
from cockpit.report import build_report
from cockpit.report.model import Report
from cockpit.ui.bridge import EngineBatch, deliver
from cockpit.ui.screens.trouble import TroubleScreen
from cockpit.ui.screens.wall_detail import WallDetail, detail_text
from cockpit.ui.widgets.fold import fit
from cockpit.ui.widgets.header import CockpitHeader
from cockpit.ui.widgets.verdict_bar import VerdictBar
from cockpit.ui.widgets.wall_live import WallAlarms, WallHealth, WallServices
from cockpit.ui.widgets.wall_run import WallActions, WallChecks, WallPhases, full_check_lines

if TYPE_CHECKING:
    from cockpit.ui.app import CockpitApp

STARTING = Verdict((Problem(WARNING, "engine starting", "engine"),))  # until its first verdict: not known is not fine


def banner_text(env_name: str, label: str, production: bool) -> Text:
    """The line under the header: a production run says so in words and reverse video (no colour needed)."""
    if production:
        return Text(f" ■■■ PRODUCTION ■■■  {label} · wall view, read-only ■■■ PRODUCTION ■■■ ", style="bold reverse")
    return Text(f" {env_name.upper()} · {label} · wall view, read-only ", style="bold")


class WallScreen(Screen[None]):
    """Everything the war room reads about the release; nothing on it changes anything."""

    BINDINGS = [Binding("d", "detail", "Full text"),  # the lines the boxes cut, whole (read-only too)
                Binding("exclamation_mark", "trouble", "Trouble")]  # cockpit demo only: its stand-in stack, not the run

    app: CockpitApp

    def __init__(self) -> None:
        super().__init__()
        self.states: dict[str, StepState] = {}
        self.events: list[Event] = []
        self.last_event_id = 0
        self.run_id: int | None = None
        self.health: HealthRead | None = None
        self.verdict: Verdict | None = None
        self.engine_down = ""
        self.report: Report | None = None  # of the committed events, built when they change
        self._report_due = False
        self._building = False

    def compose(self) -> ComposeResult:
        app, runbook, env = self.app, self.app.runbook, self.app.env
        cw = runbook.cloudwatch
        one_call = cw.connect_timeout_seconds + cw.read_timeout_seconds  # as the engine's verdict judges staleness
        yield CockpitHeader(runbook, env, True, demo=app.demo is not None)
        banner = Static(banner_text(env.name, env.label, env.production), id="wall-banner")
        banner.set_class(env.production, "-production")
        yield banner
        yield VerdictBar(id="wall-verdict")
        with Horizontal(id="wall-body"):
            with Vertical(id="wall-left"):
                yield WallPhases(id="wall-phases")
                yield WallChecks(id="wall-checks")
                yield WallActions(id="wall-actions")
            with Vertical(id="wall-right"):
                yield WallHealth(live=app.live, id="wall-health")
                yield WallAlarms(runbook, live=app.live, answered=(cw.alarms_interval_seconds, one_call), id="wall-alarms")
                yield WallServices(runbook, env, live=app.live, answered=(runbook.ecs.interval_seconds, 2 * one_call),
                                   id="wall-services")

    def on_mount(self) -> None:
        """The run as the journal has it, then the clock that ages every figure."""
        self.set_class(self.app.env.production, "-production")
        self.run_id = self.app.run_id
        self.absorb(self.app.initial_events)
        self.redraw_run()
        self._paint_verdict()
        self._tick()
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        """Once a second: the clock, and every age and elapsed time as of now."""
        self.query_one(CockpitHeader).show_time(self.app.clock())
        self.redraw_run(changed=False)
        self.render_health()
        self.render_live()

    # -- the engine's events -------------------------------------------------------------
    def on_engine_batch(self, message: EngineBatch) -> None:
        """A batch from the engine: every event to the box that draws it."""
        for event in message.events:
            deliver(self, event)

    def show_health(self, event: HealthRead) -> None:
        """A health snapshot."""
        self.health = event
        self.render_health()

    def render_health(self) -> None:
        """The health box, as of now."""
        self.query_one(WallHealth).show(self.health, self.app.monotonic())

    def show_alarms(self, event: AlarmsRead | AlarmsFailed) -> None:
        """Alarm states (or the failure to read them)."""
        self.query_one(WallAlarms).apply(event, self.app.monotonic())
        self.render_live()

    def show_services(self, event: ServicesRead | ServicesFailed | DeployRollout | RollbackElsewhere) -> None:
        """Services read (or not), or the rollout a deploy step caused."""
        self.query_one(WallServices).apply(event, self.app.monotonic())
        self.render_live()

    def render_live(self) -> None:
        """The alarms and services boxes, as of now (their ages move)."""
        now, wall = self.app.monotonic(), self.app.clock()
        self.query_one(WallAlarms).show(now, wall)
        self.query_one(WallServices).show(now, wall)

    def show_verdict(self, event: VerdictChanged) -> None:
        """The one verdict, as the cockpit screen shows it."""
        self.verdict = event.verdict
        self.engine_down = ""
        self._paint_verdict()

    def engine_problem(self, event: EngineProblem) -> None:
        """The engine died or a source crashed: the verdict says ENGINE DOWN (every age keeps growing)."""
        if event.down:
            self.engine_down = event.text
            self._paint_verdict()
        self.notify(event.text, title="engine", severity="error", timeout=20, markup=False)

    def _paint_verdict(self) -> None:
        verdict = self.verdict or (STARTING if self.app.live else Verdict(watching=False))
        if self.engine_down:  # nothing on the wall is current: never "all up"
            verdict = Verdict((Problem(ERROR, "ENGINE DOWN", "engine"), *verdict.problems), verdict.watching, verdict.sources)
        self.query_one(VerdictBar).show(verdict)
        self.query_one(CockpitHeader).show_worst(verdict.worst == ERROR)

    def show_identity(self, event: IdentityRead) -> None:
        """Who cockpit reads as, in the header."""
        self.query_one(CockpitHeader).show_identity(event)

    # -- the journal ------------------------------------------------------------------------
    def absorb(self, events: tuple[Event, ...] | list[Event]) -> bool:
        """Fold new committed events; True when there were any."""
        fresh = sorted((e for e in events if e.id > self.last_event_id), key=lambda e: e.id)
        if not fresh:
            return False
        self.states = fold(fresh, self.states)
        self.events.extend(fresh)
        self.last_event_id, self.run_id = fresh[-1].id, fresh[-1].run_id
        return True

    def journal_read(self, event: JournalRead) -> None:
        """Events another cockpit committed: the run's boxes again."""
        if self.absorb(event.events):
            self.run_changed()

    def journal_written(self, event: JournalWritten) -> None:
        """A write committed (never this cockpit's: it writes nothing; the engine's own, such as an alarm's change)."""
        if self.absorb([event.event] if event.event else []):
            self.run_changed()

    def journal_unreadable(self, event: JournalUnreadable) -> None:
        """The journal cannot be read: said in the phases box's title (the engine retries)."""
        self.query_one(WallPhases).border_subtitle = fit(f"journal unreadable: {one_line(event.reason, 300)}", 80)

    def journal_following(self, event: JournalFollowing) -> None:
        """A shared journal read by polling (no LISTEN/NOTIFY, or its connection down): said in the phases box's title."""
        box = self.query_one(WallPhases)
        if event.polling:
            box.border_subtitle = fit(one_line(event.text, 300), 80)
        elif str(box.border_subtitle).startswith("shared journal:"):
            box.border_subtitle = ""

    def redraw_run(self, changed: bool = True) -> None:
        """Phases, checks, actions and the header's progress, from the release report of the committed events.
        `changed`: the events changed, so the report is built again (at once: used at mount); else the boxes only
        age what they show (the clock's tick)."""
        app = self.app
        now = app.clock()
        if changed or self.report is None:
            self.report = build_report(app.runbook, app.env, None, self.events, now)
            self._show_progress()
        for box in (self.query_one(WallPhases), self.query_one(WallChecks), self.query_one(WallActions)):
            box.show(self.report, now)

    def _show_progress(self) -> None:
        done, total = run_counts(self.app.runbook.phases, self.app.env.name, self.states)
        self.query_one(CockpitHeader).show_progress(self.run_id, done, total)

    def run_changed(self) -> None:
        """New committed events: the report is built again in a thread (a long run's takes a good part of a second:
        never in the event loop), one build at a time, the last one with every event absorbed by then."""
        self._show_progress()
        self._report_due = True
        if not self._building:
            self._building = True
            self.run_worker(self._build_report(), group="wall-report", exit_on_error=False)

    async def _build_report(self) -> None:
        app = self.app
        try:
            while self._report_due:
                self._report_due = False
                events, now = list(self.events), app.clock()
                self.report = await asyncio.to_thread(build_report, app.runbook, app.env, None, events, now)
                self.redraw_run(changed=False)
        finally:
            self._building = False

    # -- what the wall does not draw ----------------------------------------------------------
    def check_done(self, event: CheckDone) -> None:
        """A check finished: its result arrives as a journal event (drawn from there)."""

    def show_log(self, event: TailEvents | TailStatus | PatternOutcome) -> None:
        """Log lines are not on the wall (too fast to read from across a room)."""

    def answered(self, event: Answer) -> None:
        """Answers go to whoever asked (the wall asks nothing)."""
        self.app.answered(event)

    def rollback_event(self, event: RolloutProgress | RollbackEnded | RollbacksActive) -> None:
        """A rollback's progress: its intent and outcome are journal events (the actions box)."""

    def action_event(self, event: ActionProgress | ActionEnded) -> None:
        """An action's progress: its intent and outcome are journal events (the actions box)."""

    def show_metrics(self, event: MetricsRead | MetricsFailed) -> None:
        """Metrics charts are not on the wall."""

    # -- keys -----------------------------------------------------------------------------------
    def action_detail(self) -> None:
        """d: every alarm, service and check line whole (the boxes cut long reasons with an ellipsis)."""
        now = self.app.clock()
        checks = full_check_lines(self.report, now) if self.report is not None else [Text("reading the journal…", style="dim")]
        text = detail_text([("Alarms", self.query_one(WallAlarms).full_lines(now)),
                            ("Services", self.query_one(WallServices).full_lines()),
                            ("Checks", checks)])
        verdict = self.query_one("#wall-verdict")
        self.app.push_screen(WallDetail(text, top=verdict.region.bottom))  # the header and the verdict stay in sight

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.app.demo is not None if action == "trouble" else True

    def action_trouble(self) -> None:
        """The demo's trouble keys (`cockpit demo --wall`): they act on the demo's own stand-in servers, never on the run."""
        if self.app.demo is not None:
            self.app.push_screen(TroubleScreen(self.app.demo))

    def action_refuse_read_only(self, action: str, key: bool = False) -> None:
        """Space, n and enter (the app's fallbacks for tick, note and check): the wall changes nothing, and says so."""
        self.notify("wall view: read-only, nothing here changes anything (open cockpit without --wall to act)",
                    severity="warning", timeout=5, markup=False)

    def action_no_actions(self) -> None:
        """x (the app's fallback for running a step's actions): refused as every other change is."""
        self.action_refuse_read_only("run_actions", True)
