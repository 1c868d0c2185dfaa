"""The cockpit screen: header, checklist with step detail, the other panes, footer.

At 120x39 and above every pane is on screen; below, one pane at a time and `tab`
cycles through them. Journal state shown here only ever comes from committed events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from cockpit.core.text import strip_control
from cockpit.journal import StepState
from cockpit.journal.progress import NOTE
from cockpit.journal.step_rules import decide_tick
from cockpit.runbook import Step
from cockpit.ui.screens.action_screen import ActionScreen
from cockpit.ui.screens.help import HelpScreen
from cockpit.ui.screens.metrics import MetricsScreen
from cockpit.ui.screens.note import NoteScreen
from cockpit.ui.screens.rollback import RollbackScreen
from cockpit.ui.screens.trouble import TroubleScreen
from cockpit.ui.widgets.action_panel import ActionPanel
from cockpit.ui.widgets.alarms_pane import AlarmsPane
from cockpit.ui.widgets.checklist import Checklist
from cockpit.ui.widgets.header import CockpitHeader
from cockpit.ui.widgets.health_table import HealthTable
from cockpit.ui.widgets.keys_bar import KeysBar
from cockpit.ui.widgets.latency_pane import LatencyPane
from cockpit.ui.widgets.logs_pane import LogsPane
from cockpit.ui.widgets.services_pane import FlagsPane, ServicesPane
from cockpit.ui.widgets.step_detail import StepDetail
from cockpit.ui.widgets.verdict_bar import VerdictBar

if TYPE_CHECKING:
    from cockpit.ui.app import CockpitApp

PANES = ("checklist-pane", "health-pane", "latency-pane", "logs-pane", "alarms-pane", "services-pane", "flags-pane")
PANE_NAMES = ("Checklist", "Health", "Latency", "Logs", "Alarms", "Services", "Flags")
WIDE = (120, 39)  # every pane at once from this size up (every row of each on screen: see cockpit.tcss)
MINIMUM = (60, 15)  # below this, only a message
# The live panes' ages and countdowns are redrawn every LIVE_EVERY clock ticks (seconds): a frame of
# the health table and sparklines costs the UI thread 10-20 ms, and every figure shows its age anyway.
LIVE_EVERY = 2


class CockpitScreen(ActionScreen):
    """Everything an operator looks at during the release."""

    BINDINGS = [
        Binding("space", "toggle_step", "Tick"),
        Binding("n", "note", "Note"),
        Binding("x", "run_actions", "Run"),
        Binding("a", "approve", "Approve"),  # only on a step with approval = "second-operator" (check_action)
        Binding("escape", "stop_action", "Stop"),  # only while an action runs (check_action): else esc keeps its meaning
        Binding("d", "toggle_detail", "Detail"),
        Binding("R", "rollback", "Rollback"),
        Binding("r", "report", "Report"),
        Binding("tab", "cycle_pane(1)", "Next pane", priority=True),
        Binding("shift+tab", "cycle_pane(-1)", "Prev pane", show=False, priority=True),
        Binding("question_mark", "help", "Help"),
        Binding("m", "metrics", "Metrics"),  # after ?: at 80 columns the keys bar still shows ? Help
        Binding("exclamation_mark", "trouble", "Trouble"),
    ]

    app: CockpitApp

    def __init__(self) -> None:
        super().__init__()
        self.active_pane = 0
        self._minute = ""
        self._ticks = 0

    # -- layout ------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        app, runbook, env = self.app, self.app.runbook, self.app.env
        yield CockpitHeader(runbook, env, app.read_only, demo=app.demo is not None)
        yield VerdictBar(id="verdict")
        yield Static("", id="pane-bar")
        with Vertical(id="body"):
            with Horizontal(id="top"):
                with Vertical(id="checklist-pane", classes="pane") as left:
                    left.border_title = "Checklist"
                    yield Checklist(runbook, env, id="checklist")
                    with VerticalScroll(id="detail-scroll"):
                        yield StepDetail(id="detail")
                        yield ActionPanel(id="action-panel")
                with Vertical(id="right"):
                    with Vertical(id="health-pane", classes="pane") as health:
                        health.border_title = "Health"
                        yield Static("", id="health-problems")  # above the table: never scrolled away
                        yield HealthTable(id="health-table")
                    yield LatencyPane(id="latency-pane")
            # Log lines are long: the logs pane takes most of the width under the rest.
            with Horizontal(id="bottom"):
                yield LogsPane(runbook, live=app.live, id="logs-pane")
                with Vertical(id="side"):
                    yield AlarmsPane(runbook, live=app.live, id="alarms-pane")
                    yield ServicesPane("Services", runbook, env, live=app.live, id="services-pane")
                    yield FlagsPane("Feature flags", runbook, env, live=app.live, id="flags-pane")
        yield Static("", id="too-small")
        yield KeysBar()

    def on_mount(self) -> None:
        """Show the run as the journal has it, cursor on the first open step."""
        self.run_id = self.app.run_id
        self.absorb(self.app.initial_events)
        checklist = self.query_one(Checklist)
        checklist.build(self.states, self.app.clock())
        checklist.select_first_open(self.states)
        checklist.focus()
        self.refresh_header()
        self._paint_verdict()
        self._tick_clock()
        self.set_interval(1.0, self._tick_clock)
        self._apply_layout()

    def on_resize(self, event: events.Resize) -> None:
        """Switch between wide, compact and too-small layouts."""
        self._apply_layout()

    def _apply_layout(self) -> None:
        width, height = self.size
        too_small = width < MINIMUM[0] or height < MINIMUM[1]
        compact = width < WIDE[0] or height < WIDE[1]
        message = f"Terminal too small ({width}x{height}): cockpit needs at least {MINIMUM[0]}x{MINIMUM[1]}. Nothing is lost."
        self.query_one("#too-small", Static).update(Text(message, style="bold"))
        self.query_one("#too-small").display = too_small
        self.query_one("#body").display = not too_small
        self.set_class(compact, "-compact")
        active = PANES[self.active_pane]
        for pane in PANES:
            self.query_one(f"#{pane}").display = not compact or pane == active
        top = active in ("checklist-pane", "health-pane", "latency-pane")
        self.query_one("#top").display = not compact or top
        self.query_one("#right").display = not compact or active in ("health-pane", "latency-pane")
        self.query_one("#bottom").display = not compact or not top
        self.query_one("#side").display = not compact or active in ("alarms-pane", "services-pane", "flags-pane")
        bar = Text()
        for index, name in enumerate(PANE_NAMES):
            bar.append(f" {name} ", style="reverse bold" if index == self.active_pane else "dim")
        bar.append("  tab: next pane", style="dim")
        self.query_one("#pane-bar", Static).update(bar)
        self.query_one("#pane-bar").display = compact and not too_small

    def action_cycle_pane(self, step: int) -> None:
        """Move to the next (or previous) pane; in compact mode it fills the screen."""
        self.active_pane = (self.active_pane + step) % len(PANES)
        self._apply_layout()
        self.call_after_refresh(self.render_health)  # a pane that comes into view shows the last snapshot, once laid out
        # At once, not Widget.focus() (a callback behind the keys already queued): a key typed right after `tab`
        # goes to the pane `tab` moved to.
        self.set_focus(self._focus_target(PANES[self.active_pane]))

    def _focus_target(self, pane_id: str) -> Widget:
        if pane_id == "logs-pane":
            tab = self.query_one(LogsPane).current()
            if tab is not None:
                return tab.view
        targets: dict[str, type[Widget] | str] = {"checklist-pane": Checklist, "health-pane": HealthTable, "latency-pane": "#spark-list"}
        return self.query_one(targets.get(pane_id, f"#{pane_id}"))

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """A click into a pane makes it the active one."""
        for node in event.widget.ancestors_with_self:
            if node.id in PANES:
                self.active_pane = PANES.index(node.id)
                return

    def _tick_clock(self) -> None:
        now = self.app.clock()
        self.query_one(CockpitHeader).show_time(now)
        minute = now.strftime("%Y%m%d%H%M")
        if minute != self._minute:  # elapsed-vs-planned moves once a minute
            self._minute = minute
            checklist = self.query_one(Checklist)
            for phase in self.app.runbook.phases:
                checklist.update_phase(phase, self.states, now)
        self.tick_actions()
        self._ticks += 1
        # Not live (tests feeding fixed data), nothing changes between ticks: drawing again only when a
        # tick happens to fall inside a test made the same screen differ on a loaded machine.
        if self._ticks % LIVE_EVERY == 1 and (self.app.live or self._ticks == 1):
            self.render_live()

    # -- actions -------------------------------------------------------------------
    READ_ONLY_REFUSED = {"toggle_step": "tick steps", "note": "add notes", "run_check": "run checks", "approve": "approve"}
    """Actions a read-only cockpit refuses, and what to call them when it says so."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A read-only cockpit offers no ticks, notes or checks: hidden from the footer, and their
        keys fall through to the app's `refuse_read_only` bindings, which say why (R stays: its modal says why not)."""
        if action == "trouble":
            return self.app.demo is not None  # only `cockpit demo` has trouble to make
        if action == "stop_action":
            return self.can_stop()
        if action == "run_actions":  # offered on a step that has actions; elsewhere x falls through to the app's "no actions"
            return self.can_run()
        if action == "approve":  # offered on a step that needs a second operator, never read-only (the app's a says why)
            return self.can_approve() and not self.app.read_only
        if action == "refuse_read_only":
            return self.app.read_only
        return not (action in self.READ_ONLY_REFUSED and self.app.read_only)

    def action_refuse_read_only(self, action: str, key: bool = False) -> None:
        """Say why a read-only cockpit does not do `action` (pressed as a key, or chosen in the palette)."""
        from textual.actions import SkipAction

        if key and action == "run_check" and not isinstance(self.focused, Checklist):
            raise SkipAction()  # enter elsewhere is not "run check": let it through
        self.notify(f"read-only: this cockpit cannot {self.READ_ONLY_REFUSED[action]} (started with --read-only)",
                    severity="warning", timeout=5, markup=False)

    def action_show_pane(self, name: str) -> None:
        """Bring the pane called `name` (PANE_NAMES) into view, with the keyboard on it."""
        self.action_cycle_pane(PANE_NAMES.index(name) - self.active_pane)

    def _step_in_view(self) -> Step | None:
        """The selected step, only while the checklist is the active pane (no blind ticks)."""
        if not self.query_one("#body").display:
            return None  # terminal too small: nothing is on screen to act on
        if PANES[self.active_pane] != "checklist-pane":
            self.notify("tab to the checklist to tick or annotate a step", timeout=3, markup=False)
            return None
        return self.query_one(Checklist).selected()

    def action_toggle_step(self) -> None:
        """Tick or untick the selected step (shown once committed)."""
        step = self._step_in_view()
        if step is None:
            return
        state = self.states.get(step.id, StepState())
        current = self.pending_target(step.id)
        target = not (state.done if current is None else current)
        phase = self.app.runbook.phase_of(step.id)
        assert phase is not None  # the checklist shows the runbook's steps
        decision = decide_tick(step, phase, self.app.env.name, state, target)  # the rules `cockpit tick` follows too
        if decision.needs_reason:
            self.ask_override(step)  # a check step without a passing check: ticked only with a reason
            return
        if decision.refused:
            self.notify(decision.refused, timeout=3, markup=False)
            return
        self.write_tick(step.id, target, decision.payload)
        self.redraw({step.id})

    def action_note(self) -> None:
        """Ask for a note on the selected step and journal it."""
        step = self._step_in_view()
        if step is None:
            return

        def save(text: str | None) -> None:
            if text:
                self.write(step.id, NOTE, {"text": strip_control(text, keep_newlines=False)})

        self.app.push_screen(NoteScreen(step.title), save)

    def action_toggle_detail(self) -> None:
        """Give the step detail the whole checklist pane (arrows scroll it), or give it back."""
        pane = self.query_one("#checklist-pane")
        if PANES[self.active_pane] != "checklist-pane" or not self.query_one("#body").display:
            return
        pane.toggle_class("-detail")
        target = "#detail-scroll" if pane.has_class("-detail") else "#checklist"
        self.query_one(target).focus()

    def action_help(self) -> None:
        """Keymap and contacts."""
        following = self.journal_mode.text if self.journal_mode else ""
        self.app.push_screen(HelpScreen(self.app.runbook, self.app.journal_path, self.app.read_only, self.app.demo, following))

    def action_metrics(self) -> None:
        """The dashboards' metrics with the journal's markers (m): changes nothing, so read-only too."""
        self.app.push_screen(MetricsScreen(self.shown_verdict))

    def action_trouble(self) -> None:
        """The demo's trouble keys (cockpit demo only)."""
        if self.app.demo is not None:
            self.app.push_screen(TroubleScreen(self.app.demo))

    def action_report(self) -> None:
        """The release report of the run (r), from the committed events on hand; it changes nothing (read-only too)."""
        from cockpit.report import build_report
        from cockpit.ui.screens.report import ReportScreen

        report = build_report(self.app.runbook, self.app.env, None, self.events, self.app.clock())
        self.app.push_screen(ReportScreen(report))

    def action_rollback(self) -> None:
        """The guarded rollback (R)."""
        env = self.app.env
        if not (env.ecs_cluster and env.ecs_services):
            self.notify(f"{env.name} has no ECS cluster or services in the runbook: nothing to roll back", timeout=5, markup=False)
            return
        if self.rollbacks_active:
            active = ", ".join(sorted(self.rollbacks_active))
            self.notify(f"a rollback of {active} is still being watched: wait for its verdict", timeout=6, markup=False)
            return
        self.app.push_screen(RollbackScreen(lambda: self.rollbacks_active))
