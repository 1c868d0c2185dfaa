"""The actions' side of the cockpit screen: `x` opens the plan, `esc` stops a run, the engine's story drawn.

The engine runs every action (engine/actions.py); this screen asks for the plan (the Run actions
modal), sends RunActions with what the operator typed, and draws ActionProgress / ActionEnded into
the checklist row (a badge) and the step detail (ActionPanel). What it shows comes from those events
only: a run is "running" from the moment RunActions is sent until the engine says how it ended, and
an engine that dies under a run leaves it "outcome UNKNOWN", never passed.
"""

from __future__ import annotations

from textual.notifications import SeverityLevel

from cockpit.engine.commands import Approve, RunActions, StopAction
from cockpit.engine.events import ActionEnded, ActionProgress, EngineProblem
from cockpit.runbook import Step
from cockpit.ui.action_runs import PASSED, STOPPING, UNKNOWN
from cockpit.ui.screens.actions import ActionsScreen
from cockpit.ui.screens.live_screen import LiveScreen
from cockpit.ui.widgets.action_panel import ActionPanel
from cockpit.ui.widgets.checklist import Checklist


class ActionScreen(LiveScreen):
    """Runs a step's actions through the engine and shows how they go."""

    # -- keys --------------------------------------------------------------------------
    def action_run_actions(self) -> None:
        """x: the Run actions modal for the selected step (its plan first; read-only shows it without a Run)."""
        step = self._step_in_view()
        if step is None:
            return
        if not step.actions:
            self.action_no_actions()
            return
        run = self.runs.get(step.id)
        if run is not None and run.active and not run.by:  # another operator's: the plan says why it cannot run now
            self.notify(f"the actions of {step.id} are running: esc stops them", timeout=5, markup=False)
            return

        def chosen(command: RunActions | None) -> None:
            if command is not None:
                self.start_run(step, command)

        self.app.push_screen(ActionsScreen(step), chosen)

    async def action_approve(self) -> None:
        """a: approve another operator's request to run the selected step (the two-person rule); the engine decides."""
        step = self._step_in_view()
        if step is None:
            return
        answer = await self.app.ask(lambda request: Approve(request, step.id))
        if answer.error:
            self.notify(f"not approved: {answer.error}", severity="warning", timeout=10, markup=False)
        else:
            self.notify(str(answer.value), title="approved", timeout=10, markup=False)

    def can_approve(self) -> bool:
        """a is offered (footer, palette) while the selected step needs a second operator."""
        found = self.query(Checklist)
        step = found.first().selected() if found else None
        return step is not None and step.approval == "second-operator"

    def can_run(self) -> bool:
        """x is offered (footer, palette) while the selected step has actions."""
        found = self.query(Checklist)  # asked while the screen is still being composed too
        step = found.first().selected() if found else None
        return step is not None and bool(step.actions)

    def action_no_actions(self) -> None:
        """x on a step without actions (the app's fallback binding): say so, instead of nothing happening."""
        step = self._step_in_view()
        if step is not None:
            self.notify(f"{step.id} has no actions: cockpit does not run it (do it by hand, then tick it)", timeout=5, markup=False)

    def start_run(self, step: Step, command: RunActions) -> None:
        """Send RunActions: the step shows "running" until the engine says how it ended."""
        self.runs.start(step.id, self.app.monotonic())
        self.app.send(command)
        self._run_changed(step.id)
        self._follow(step.id, always=True)

    def can_stop(self) -> bool:
        """esc stops a run only while one is under way (otherwise it keeps its usual meaning)."""
        return bool(self.runs.running())

    def action_stop_action(self) -> None:
        """esc: stop the selected step's run (or the only one running); "stopping…" until the engine ends it."""
        running = self.runs.running()
        selected = self.query_one(Checklist).selected()
        if selected is not None and selected.id in running:
            step_id = selected.id
        elif len(running) == 1:
            step_id = running[0]
        else:
            self.notify(f"actions run for {', '.join(sorted(running))}: select the one to stop, then esc", timeout=6, markup=False)
            return
        run = self.runs.get(step_id)
        assert run is not None
        if run.state == STOPPING:
            self.notify(f"{step_id}: already asked to stop; waiting for the engine", timeout=4, markup=False)
            return
        run.state = STOPPING
        self.app.send(StopAction(step_id))
        self._run_changed(step_id)

    # -- the engine's story ------------------------------------------------------------
    def action_event(self, event: ActionProgress | ActionEnded) -> None:
        """New output of a run (appended to the detail when on show), or its end (badge, detail, a notification)."""
        now = self.app.monotonic()
        if isinstance(event, ActionProgress):
            before = self.runs.get(event.step_id)
            run, lines = self.runs.progress(event, now)
            self._follow(event.step_id)
            if run is not before:  # a run this screen had not seen start: its badge and panel
                self._run_changed(event.step_id)
            else:
                panel = self.query_one(ActionPanel)
                panel.append(run, lines)
                panel.refresh_text(now)
            return
        self._follow(event.step_id)
        run = self.runs.ended(event, now)
        self._run_changed(event.step_id)
        severity: SeverityLevel = "information" if run.state == PASSED else "warning" if run.state == UNKNOWN else "error"
        word = {PASSED: "passed", UNKNOWN: "outcome UNKNOWN"}.get(run.state, "FAILED")
        self.notify(f"{event.step_id} {word}: {event.evidence}", title="actions", severity=severity,
                    timeout=8 if run.state == PASSED else 30, markup=False)

    def _follow(self, step_id: str, always: bool = False) -> None:
        """Keep the step detail at its end (the newest output, then the verdict) while it is there already, as a
        log view follows; an operator who scrolled up to read keeps the place. Only for the step on show."""
        selected = self.query_one(Checklist).selected()
        if selected is None or selected.id != step_id:
            return
        scroll = self.query_one("#detail-scroll")
        if always or scroll.scroll_y >= scroll.max_scroll_y - 1:
            self.call_after_refresh(scroll.scroll_end, animate=False)

    def _run_changed(self, step_id: str) -> None:
        self.redraw({step_id})  # the badge, and the detail when selected (show_selected)
        self.refresh_bindings()  # esc stop comes and goes with the runs

    def show_selected(self) -> None:
        """The selected step in the detail, with its run under it."""
        super().show_selected()
        step = self.query_one(Checklist).selected()
        self.refresh_bindings()  # x is offered only on a step with actions
        self.query_one(ActionPanel).show(self.runs.get(step.id) if step is not None else None, self.app.monotonic())

    def tick_actions(self) -> None:
        """Every second: the elapsed time of the run on show."""
        panel = self.query_one(ActionPanel)
        if panel.run is not None and panel.run.active:
            panel.refresh_text(self.app.monotonic())

    def engine_problem(self, event: EngineProblem) -> None:
        """An engine that died under a run leaves its outcome unknown (a restarted one reports its journal's view)."""
        if event.down:
            for step_id in self.runs.running():
                self.runs.ended(ActionEnded(step_id, False, f"the engine died while it ran: {event.text}", unknown=True),
                                self.app.monotonic())
                self._run_changed(step_id)
        super().engine_problem(event)
