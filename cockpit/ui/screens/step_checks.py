"""Automated checks on the cockpit screen: `enter` runs one, results go to the journal.

A passing check ticks its check step, with the evidence in the tick. An inconclusive
one (cockpit was too busy to measure) never does: it reads as not passed. A check step
can also be ticked by hand, but only with a passing check on record or a typed override
reason, which is journaled. Manual steps are never ticked by a check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cockpit.checks.result import INCONCLUSIVE, CheckResult
from cockpit.checks.runner import CheckRunner
from cockpit.journal import StepState
from cockpit.journal.progress import CHECK
from cockpit.ui.messages import CheckDone
from cockpit.ui.screens.note import NoteScreen

if TYPE_CHECKING:
    from cockpit.runbook import Step


class StepCheckActions:
    """Mixed into CockpitScreen (uses its journal writes, states and selected step)."""

    checking: set[str]
    states: dict[str, StepState]

    def action_run_check(self: Any) -> None:
        """Run the selected step's automated check once."""
        step = self._step_in_view()
        if step is None:
            return
        if step.check is None:
            self.notify(f"{step.id} has no automated check: do it by hand, then tick it", timeout=4, markup=False)
            return
        if step.id in self.checking:
            self.notify(f"the check of {step.id} is still running", timeout=3, markup=False)
            return
        self.checking.add(step.id)
        self._redraw({step.id})
        app = self.app

        async def check() -> CheckResult:  # on the probe loop, like the pollers
            runner = CheckRunner(app.runbook, app.env, app.environ)
            try:
                return await runner.run(step.check)
            finally:
                await runner.aclose()

        async def run() -> None:
            self.post_message(CheckDone(step.id, await app.probe_loop.run(check())))

        self.run_worker(run(), group=f"check-{step.id}", exit_on_error=False)

    def on_check_done(self: Any, message: CheckDone) -> None:
        """Journal the result; a pass ticks the check step (with its evidence)."""
        self.checking.discard(message.step_id)
        result = message.result
        self._write(message.step_id, CHECK, result.to_payload())
        state = self.states.get(message.step_id, StepState())
        done = state.done if self._pending(message.step_id) is None else self._pending(message.step_id)
        if result.passed and not done:
            self._write_tick(message.step_id, True, {"evidence": result.evidence})
        self._redraw({message.step_id})
        if result.passed:
            severity, word, timeout = "information", "passed", 6
        elif result.status == INCONCLUSIVE:
            severity, word, timeout = "warning", "INCONCLUSIVE (not passed)", 15
        else:
            severity, word, timeout = "error", "FAILED", 15
        self.notify(f"{message.step_id} {word}: {result.evidence}", title="check", severity=severity, timeout=timeout, markup=False)

    def tick_check_step(self: Any, step: Step) -> None:
        """Tick a check step: with the passing check's evidence, or after an override reason."""
        record = self.states.get(step.id, StepState()).check
        if record is not None and record.passed:
            self._write_tick(step.id, True, {"evidence": record.evidence})
            self._redraw({step.id})
            return
        if record is None:
            why = "it has not been checked"
        elif record.status == INCONCLUSIVE:
            why = "its last check was inconclusive (cockpit was too busy to measure)"
        else:
            why = "its last check failed"
        explain = f"This is a check step and {why}. Press esc, then enter to run the check, or type why you tick it anyway (journaled as an override)."

        def save(reason: str | None) -> None:
            if reason:
                self._write_tick(step.id, True, {"override": reason})
                self._redraw({step.id})

        screen = NoteScreen(step.title, heading="Tick without a passing check", explain=explain, placeholder="reason for the override")
        self.app.push_screen(screen, save)
