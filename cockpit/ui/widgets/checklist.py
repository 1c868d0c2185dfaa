"""The phase checklist: phase headers with progress and time, steps with status icons."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.binding import Binding
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from cockpit.core.text import one_line
from cockpit.journal import StepState
from cockpit.journal.progress import phase_counts, phase_span
from cockpit.runbook import Environment, Phase, Runbook, Step
from cockpit.ui.clock import minutes, parse_ts

PHASE_PREFIX = "phase:"


def step_icon(step: Step, state: StepState, pending: bool | None, applies: bool) -> Text:
    """The status mark: [x] done, [ ] open, [~] being saved, i info, - not in this environment."""
    if not applies:
        return Text(" - ", style="dim")
    if not step.tickable:
        return Text(" i ", style="italic")
    if pending is not None:
        return Text("[~]", style="bold yellow")
    return Text("[x]", style="bold green") if state.done else Text("[ ]")


def phase_line(phase: Phase, states: dict[str, StepState], env: Environment, now: datetime) -> Text:
    """`Phase A: ...  2/3 · 12m/30m · low risk` (time turns red past the plan)."""
    line = Text(one_line(phase.title), style="bold")
    if not phase.applies_to(env.name):
        line.append(f"  only in {', '.join(phase.environments)}", style="dim italic")
        return line
    done, total = phase_counts(phase.steps, states)
    if total:
        line.append(f"  {done}/{total}", style="bold green" if done == total else "")
    first, last, complete = phase_span(phase.steps, states)
    start, end = parse_ts(first), parse_ts(last) if complete else now
    if start and end:
        spent = (end - start).total_seconds()
        over = bool(phase.duration_minutes and spent > phase.duration_minutes * 60)
        planned = f"/{phase.duration_minutes}m" if phase.duration_minutes else ""
        line.append(f" · {minutes(spent)}{planned}", style="bold red" if over else "")
    elif phase.duration_minutes:
        line.append(f" · {phase.duration_minutes}m planned")
    if phase.risk:
        line.append(f" · {phase.risk} risk", style="bold red" if phase.risk == "high" else "")
    if phase.contingency:
        line.append("  if needed", style="italic")
    return line


class Checklist(OptionList):
    """The runbook's phases and steps; the highlighted option is the selected step.

    enter runs the step's check (the screen's action), instead of OptionList's "select",
    so a mouse click only moves the cursor and never runs anything.
    """

    BINDINGS = [Binding("enter", "screen.run_check", "Run check")]

    def __init__(self, runbook: Runbook, env: Environment, **kwargs) -> None:
        super().__init__(**kwargs)
        self.runbook = runbook
        self.env = env
        self._phase_of = {s.id: p for p, s in runbook.steps()}

    def build(self, states: dict[str, StepState], now: datetime) -> None:
        """Fill the list once; later changes replace single prompts."""
        options: list[Option | None] = []
        for phase in self.runbook.phases:
            if options:
                options.append(None)
            options.append(Option(phase_line(phase, states, self.env, now), id=PHASE_PREFIX + phase.id, disabled=True))
            applies = phase.applies_to(self.env.name)
            for step in phase.steps:
                prompt = self._step_prompt(step, states.get(step.id, StepState()), None, applies)
                options.append(Option(prompt, id=step.id, disabled=not applies))
        self.clear_options()
        self.add_options(options)

    def _step_prompt(self, step: Step, state: StepState, pending: bool | None, applies: bool, run: Text | None = None) -> Text:
        """Icon, then the badges (one word each, so a narrow pane wraps the title, never a badge), then the title.
        `run`: the badge of the step's action run (running, stopping, how it ended), first: it is what happens now."""
        line = step_icon(step, state, pending, applies)
        if run is not None:
            line.append(" ")
            line.append_text(run)
        if state.check is not None:
            passed = state.check.passed
            word = "✓check" if passed else "✗CHECK-FAILED" if state.check.status == "fail" else f"?CHECK-{state.check.status.upper()}"
            line.append(f" {word}", style="green" if passed else "bold red" if state.check.status == "fail" else "bold yellow")
        elif state.done and state.override:
            line.append(" override", style="bold yellow")
        if state.notes:
            line.append(f" ✎{len(state.notes)}", style="italic")
        line.append(" ")
        line.append(one_line(step.title), style="dim" if not applies else "")
        return line

    def on_resize(self) -> None:
        """A shorter list (the detail below grew) keeps the cursor in sight."""
        self.call_after_refresh(self.scroll_to_highlight)

    def update_step(self, step_id: str, state: StepState, pending: bool | None, run: Text | None = None) -> None:
        """Redraw one step's line (`run`: its action run's badge)."""
        phase = self._phase_of[step_id]
        step = self.runbook.step(step_id)
        assert step is not None
        self.replace_option_prompt(step_id, self._step_prompt(step, state, pending, phase.applies_to(self.env.name), run))

    def update_phase(self, phase: Phase, states: dict[str, StepState], now: datetime) -> None:
        """Redraw one phase header."""
        self.replace_option_prompt(PHASE_PREFIX + phase.id, phase_line(phase, states, self.env, now))

    def phase_of(self, step_id: str) -> Phase:
        """The phase that holds `step_id`."""
        return self._phase_of[step_id]

    def selected(self) -> Step | None:
        """The highlighted step, if any."""
        option = self.highlighted_option
        if option is None or option.id is None or option.id.startswith(PHASE_PREFIX):
            return None
        return self.runbook.step(option.id)

    def select_first_open(self, states: dict[str, StepState]) -> None:
        """Put the cursor on the first step of this run that is not done yet."""
        for phase in self.runbook.phases:
            if phase.contingency or not phase.applies_to(self.env.name):
                continue
            for step in phase.steps:
                if step.tickable and not states.get(step.id, StepState()).done:
                    self.highlighted = self.get_option_index(step.id)
                    return
        self.highlighted = next((i for i in range(self.option_count) if not self.get_option_at_index(i).disabled), None)
