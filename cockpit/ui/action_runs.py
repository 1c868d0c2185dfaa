"""What the UI knows about each step's actions: running, stopping, or how they ended (no Textual here).

The engine says a run's story in events only (ActionProgress, ActionEnded); the screen keeps one
`ActionRun` per step from them, so the checklist row, the step detail and the stop key read the
same truth. The output is bounded (KEEP_LINES per step): a long run costs the UI a fixed amount
of memory, and each batch only appends its new lines.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from rich.text import Text

from cockpit.core.text import one_line, strip_control
from cockpit.engine.events import ActionEnded, ActionProgress
from cockpit.runbook.model import Action
from cockpit.ui.clock import minutes

KEEP_LINES = 500  # output lines kept per step (the journal keeps the tail too)
RUNNING, STOPPING, PASSED, FAILED, UNKNOWN = "running", "stopping", "passed", "failed", "unknown"
REFUSED = "refused"  # nothing was sent: a guard said no (not a failed run)


@dataclass
class ActionRun:
    """One step's latest run as this screen saw it. `started` is monotonic (None: it started before this screen,
    e.g. an outcome left unknown by a cockpit that died)."""

    step_id: str
    started: float | None
    state: str = RUNNING
    lines: deque[str] = field(default_factory=lambda: deque(maxlen=KEEP_LINES))
    count: int = 0
    ended: float | None = None
    evidence: str = ""
    by: str = ""  # another operator's run, seen in the shared journal: who (it cannot be stopped here)

    @property
    def active(self) -> bool:
        """Still under way in the engine (running, or asked to stop and not yet ended)."""
        return self.state in (RUNNING, STOPPING)

    def add(self, event: ActionProgress) -> list[str]:
        """Take the event's lines (sanitized again: outside text is data); return the new ones as stored."""
        prefix = "» " if event.index < 0 else f"[{event.index + 1}] "
        new = [prefix + strip_control(line, keep_newlines=False) for line in event.text.split("\n")]
        self.lines.extend(new)
        self.count += len(new)
        return new

    def end(self, event: ActionEnded, now: float) -> None:
        """The engine's verdict: passed, FAILED, outcome UNKNOWN (never a pass), or REFUSED (nothing sent)."""
        self.state = (PASSED if event.ok and not event.unknown else UNKNOWN if event.unknown
                      else REFUSED if event.refused else FAILED)
        self.evidence = event.evidence
        self.ended = now

    def header(self, now: float) -> Text:
        """`running 1m · 42 lines · esc stops`, or how it ended, with its elapsed time."""
        line = Text()
        word, style = LOOK[self.state]
        if self.by and self.active:
            word = f"▶ IN PROGRESS by {one_line(self.by, 80)}"
        line.append(word, style=style)
        if self.started is not None:
            line.append(f" · {elapsed((self.ended or now) - self.started)}")
        line.append(f" · {self.count} line{'s' if self.count != 1 else ''}", style="dim")
        if self.state == RUNNING and not self.by:
            line.append(" · esc stops", style="dim")
        return line

    def verdict(self) -> Text:
        """The evidence after the end, in the style of its outcome (empty while under way)."""
        if self.active:
            return Text()
        word, style = LOOK[self.state]
        return Text.assemble((word, style), ": ", one_line(self.evidence, 2000))


LOOK = {
    RUNNING: ("▶ RUNNING", "bold cyan"),
    STOPPING: ("■ STOPPING…", "bold yellow"),
    PASSED: ("✓ PASSED", "bold green"),
    FAILED: ("✗ FAILED", "bold white on red"),
    UNKNOWN: ("? outcome UNKNOWN", "bold black on yellow"),
    REFUSED: ("⊘ REFUSED, nothing sent", "bold yellow"),
}
BADGE = {  # one word on the checklist row (a narrow pane wraps the title, never a badge)
    RUNNING: ("▶running", "bold cyan"),
    STOPPING: ("■stopping", "bold yellow"),
    PASSED: ("✓ran", "green"),
    FAILED: ("✗RUN-FAILED", "bold red"),
    UNKNOWN: ("?UNKNOWN", "bold yellow"),
    REFUSED: ("⊘refused", "bold yellow"),
}


def elapsed(seconds: float) -> str:
    """`42s`, `3m 05s`: a run's time at a glance."""
    if seconds < 60:
        return f"{max(0, int(seconds))}s"
    return f"{minutes(seconds)} {int(seconds) % 60:02d}s"


def action_line(index: int, action: Action) -> str:
    """One line per action of the runbook: its kind and its target."""
    if action.kind == "github_workflow":
        inputs = ", ".join(f"{k}={v}" for k, v in action.inputs)
        target = action.workflow + (f" ({inputs})" if inputs else "")
    elif action.kind == "slack":
        target = f"message to {action.channel}"
    elif action.kind == "command":
        lines = [line.strip() for line in action.run.splitlines() if line.strip()]
        target = " ; ".join(lines)
    else:
        target = ""
    return one_line(f"{index + 1}. {action.kind}: {target}", 120)


class ActionRuns:
    """Every step's latest run, by step id."""

    def __init__(self) -> None:
        self.by_step: dict[str, ActionRun] = {}

    def get(self, step_id: str) -> ActionRun | None:
        return self.by_step.get(step_id)

    def start(self, step_id: str, now: float) -> ActionRun:
        """RunActions was sent: a fresh run (the old output goes)."""
        run = self.by_step[step_id] = ActionRun(step_id, now)
        return run

    def progress(self, event: ActionProgress, now: float) -> tuple[ActionRun, list[str]]:
        """New lines of `event.step_id` (a run this screen did not start, e.g. after a restart, is taken up)."""
        run = self.by_step.get(event.step_id)
        if run is None or not run.active or run.by != event.by:
            run = self.start(event.step_id, now)
            run.started = None  # it began before this screen knew
            run.by = event.by
        return run, run.add(event)

    def ended(self, event: ActionEnded, now: float) -> ActionRun:
        run = self.by_step.get(event.step_id)
        if run is None or not run.active:
            run = self.by_step[event.step_id] = ActionRun(event.step_id, None)
        run.end(event, now)
        return run

    def running(self) -> list[str]:
        """The steps whose actions are under way here (another operator's, seen in the journal, are not stopped here)."""
        return [step_id for step_id, run in self.by_step.items() if run.active and not run.by]

    def badge(self, step_id: str) -> Text | None:
        """The row's mark for the step's run, if it has one."""
        run = self.by_step.get(step_id)
        if run is None:
            return None
        word, style = BADGE[run.state]
        if run.by and run.active:  # who, on the row itself: another operator is doing it
            word = "▶" + one_line(run.by.split("@", 1)[0], 16)
        return Text(word, style=style)
