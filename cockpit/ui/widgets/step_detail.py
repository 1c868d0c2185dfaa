"""The selected step in full: phase, status with who and when, command verbatim, notes."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from cockpit.core.redact import mask_url
from cockpit.core.text import one_line, strip_control
from cockpit.journal import StepState
from cockpit.runbook import Environment, Phase, Step
from cockpit.ui.action_runs import action_line
from cockpit.ui.clock import short_time

KIND_TEXT = {
    "manual": "manual step: do it, then tick it",
    "check": "automated check: enter runs it; a pass ticks the step",
    "command": "command: run it, then tick it",
    "info": "information: nothing to do",
}


# How a journaled check status reads; anything unknown reads as a fail (never as a pass).
_CHECK_LOOK = {
    "pass": ("PASS", "bold green"),
    "fail": ("FAIL", "bold white on red"),
    "inconclusive": ("INCONCLUSIVE (not passed)", "bold black on yellow"),
}


def _phase_facts(phase: Phase) -> str:
    facts = [f"{phase.duration_minutes} min planned" if phase.duration_minutes else "", f"{phase.risk} risk" if phase.risk else ""]
    if phase.contingency:
        facts.append("rollback plan: only if needed")
    return " · ".join(f for f in facts if f)


def _status(step: Step, state: StepState, pending: bool | None, applies: bool, env: Environment) -> Text:
    if not applies:
        return Text(f"not part of a {env.name} run", style="dim")
    if not step.tickable:
        return Text("info")
    if pending is not None:
        return Text("saving to the journal…", style="bold yellow")
    if state.done:
        return Text.assemble(("DONE", "bold green"), f" by {state.by} at {short_time(state.at)}")
    if state.by:
        return Text.assemble(("open", "bold"), f" (unticked by {state.by} at {short_time(state.at)})")
    return Text("open", style="bold")


def _check_lines(step: Step, state: StepState, running: bool) -> Text:
    out = Text()
    if state.done and (state.evidence or state.override):
        label, text = ("Ticked on evidence: ", state.evidence) if state.evidence else ("Ticked by OVERRIDE: ", state.override)
        out.append(label, style="bold" if state.evidence else "bold yellow")
        out.append(f"{mask_url(strip_control(text))}\n")
    if step.check is None:
        return out
    if running:
        out.append("Check: running…\n", style="bold yellow")
    record = state.check
    if record is None:
        out.append("Check: not run yet (enter runs it)\n", style="dim")
        return out
    out.append("Last check: ")
    word, style = _CHECK_LOOK.get(record.status, _CHECK_LOOK["fail"])
    out.append(word, style=style)
    out.append(f" by {record.who} at {short_time(record.at)}\n")
    out.append(f"  {mask_url(strip_control(record.evidence))}\n")
    return out


def describe_step(
    phase: Phase, step: Step, state: StepState, pending: bool | None, env: Environment, running: bool = False
) -> Text:
    """Everything about one step, as safe Text (runbook and journal text is never markup)."""
    out = Text()
    out.append(one_line(phase.title), style="bold")
    facts = _phase_facts(phase)
    if facts:
        out.append(f"  {facts}", style="dim")
    out.append("\n\n")
    out.append(strip_control(step.title), style="bold")
    kind = f"{step.kind}: x runs its actions (below), or do it by hand, then tick it" if step.actions else KIND_TEXT[step.kind]
    out.append(f"\n{step.id} · {kind}\n", style="dim")
    out.append("Status: ")
    out.append_text(_status(step, state, pending, phase.applies_to(env.name), env))
    out.append("\n")
    out.append_text(_check_lines(step, state, running))
    if step.actions:
        out.append("Actions (x: review what they send, then run):\n", style="bold")
        for index, action in enumerate(step.actions):
            out.append(f"  {mask_url(action_line(index, action))}\n")
    if step.expected:
        out.append(f"Expected: {strip_control(step.expected)}\n")
    if step.notes:
        out.append(f"Plan: {strip_control(step.notes)}\n")
    if step.command:
        out.append("\nCommand (verbatim from the plan):\n", style="bold")
        for line in mask_url(strip_control(step.command)).splitlines():
            out.append(f"  {line}\n", style="reverse" if not line.lstrip().startswith("#") else "reverse dim")
    if state.notes:
        out.append("\nNotes:\n", style="bold")
        for note in state.notes:
            out.append(f"  {short_time(note.at)} {note.who}\n", style="dim")
            out.append(f"    {mask_url(strip_control(note.text))}\n")
    if state.history:  # every operator's, in the journal's order: two ticks at once both show, the status says the last
        out.append("\nHistory (newest last):\n", style="bold")
        for entry in state.history:
            out.append(f"  {short_time(entry.at)} {one_line(entry.who, 60)}  ", style="dim")
            out.append(f"{mask_url(one_line(entry.what, 300))}\n")
    return out


class StepDetail(Static):
    """Shows `describe_step` for the selected step."""

    def show(self, phase: Phase, step: Step, state: StepState, pending: bool | None, env: Environment, running: bool = False) -> None:
        """Render the step (`running`: its check is under way)."""
        self.update(describe_step(phase, step, state, pending, env, running))
