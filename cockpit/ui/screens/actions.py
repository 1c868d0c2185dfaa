"""The Run actions modal (`x`): what a step's actions will send, for review, then the typed confirmation.

The engine answers AskActionPlan with an ActionPreview (engine/actions.py): the plan as a person
reads it (URLs, workflow inputs, the shell lines, the Slack text before it is sent), why it cannot
run, the failing checks of its gate, and outcomes left unknown by an earlier run. This modal shows
it and asks for what the safety rules need typed: the step id (the target; in production
`production/<step>`), a reason to run past a gate that is not green (journaled as an override),
and `force` to run again after an outcome is unknown (after looking it up: AskRunLookup). Run
stays disabled until all of it is typed; it dismisses with the RunActions to send (the cockpit
screen sends it and draws the run). Read-only cockpits see the plan and no Run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from cockpit.core.text import one_line, strip_control
from cockpit.engine.commands import AskActionPlan, AskRunLookup, RunActions
from cockpit.engine.events import ActionPreview
from cockpit.runbook import Step

if TYPE_CHECKING:
    from cockpit.ui.app import CockpitApp

FORCE = "force"


class ActionsScreen(ModalScreen[RunActions | None]):
    """Review a step's actions and run them (see the module docstring)."""

    BINDINGS = [Binding("escape", "close", "Close")]
    app: CockpitApp

    def __init__(self, step: Step) -> None:
        super().__init__()
        self.step = step
        self.preview: ActionPreview | None = None

    # -- layout -----------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        env = self.app.env
        with Vertical(id="actions-dialog") as box:
            box.border_title = f"Run actions · {self.step.id} · {env.name}{' · PRODUCTION' if env.production else ''}"
            if self.app.read_only:
                yield Static(Text("READ-ONLY: nothing will be run (--read-only). This is what the actions would send.",
                                  style="bold white on red"))
            yield Static(Text("asking the engine what these actions would send…", style="dim"), id="ac-status")
            with VerticalScroll(id="ac-scroll"):
                yield Static("", id="ac-plan")
                yield Static("", id="ac-lookup-answer")
            with Vertical(id="ac-form"):
                yield Static("", id="ac-force-label", classes="ac-label")
                yield Input(id="ac-force", placeholder=f"type {FORCE} to run anyway", compact=True)
                yield Static("", id="ac-override-label", classes="ac-label")
                yield Input(id="ac-override", placeholder="why you run it anyway (journaled as an override)", compact=True)
                yield Static("", id="ac-confirm-label", classes="ac-label")
                yield Input(id="ac-confirm", placeholder="type the confirmation", compact=True)
            with Horizontal(id="ac-buttons"):
                yield Button("Look it up", id="ac-lookup", compact=True)
                yield Button("Run", id="ac-run", variant="error", compact=True, disabled=True)
                yield Button("Close", id="ac-close", compact=True)
            yield Static(Text("↑↓ the plan · tab: fields, buttons · enter runs once typed · esc closes", style="dim"),
                         id="ac-keys")

    def on_mount(self) -> None:
        """Ask the engine for the plan; nothing can be typed until it is on screen."""
        for widget in ("#ac-form", "#ac-lookup", "#ac-run", "#ac-lookup-answer"):
            self.query_one(widget).display = False
        self.set_focus(self.query_one("#ac-scroll"))  # at once: the arrows scroll the plan, tab goes on to the fields
        self.run_worker(self._load(), exclusive=True, group="ac-plan")

    async def _load(self) -> None:
        answer = await self.app.ask(lambda request: AskActionPlan(request, self.step.id))
        if answer.error or not isinstance(answer.value, ActionPreview):
            self._status(f"no plan: {answer.error or 'the engine sent no plan'}", "bold red")
            return
        self.show_preview(answer.value)

    # -- the plan ---------------------------------------------------------------------
    def show_preview(self, preview: ActionPreview) -> None:
        """The plan, then what stops it or what must be typed."""
        self.preview = preview
        text = Text()
        lines = strip_control(preview.text).split("\n")
        text.append(lines[0] + "\n", style="bold")
        text.append("\n".join(lines[1:]) + "\n")
        if preview.problems:
            text.append("\nCannot run:\n", style="bold red")
            for problem in preview.problems:
                text.append(f"  {one_line(problem, 400)}\n", style="bold red")
        if preview.unknown:
            text.append("\nAn earlier run's outcome is UNKNOWN (it may have gone out):\n", style="bold yellow")
            for line in preview.unknown:
                text.append(f"  {one_line(line, 400)}\n", style="yellow")
            text.append("  Look it up before running again: a second dispatch is a second deploy.\n", style="yellow")
        if preview.gate:
            text.append("\nGate not green: these checks fail:\n", style="bold red")
            for check in preview.gate:
                text.append(f"  ✗ {one_line(check, 400)}\n", style="bold red")
        self.query_one("#ac-plan", Static).update(text)
        self._form(preview)

    def expected(self) -> str:
        """What the operator types to confirm: the step id (in production `production/<step>`), as for a rollback."""
        env = self.app.env
        return f"{env.name}/{self.step.id}" if env.production else self.step.id

    def _form(self, preview: ActionPreview) -> None:
        runnable = not preview.problems and not self.app.read_only
        self.query_one("#ac-lookup").display = bool(preview.unknown)
        if not runnable:
            why = "cannot run: the problems are under the plan" if preview.problems else "read-only: nothing will be run"
            self._status(why, "bold red")
            self.query_one("#ac-keys", Static).update(Text("↑↓ scroll the plan · esc closes", style="dim"))
            self.set_focus(self.query_one("#ac-close"))
            return
        self.query_one("#ac-form").display = True
        self.query_one("#ac-run").display = True
        for name, shown in (("force", bool(preview.unknown)), ("override", bool(preview.gate))):
            self.query_one(f"#ac-{name}-label").display = shown
            self.query_one(f"#ac-{name}").display = shown
        self.query_one("#ac-force-label", Static).update(
            Text(f"Outcome unknown: look it up, then type {FORCE!r} to run anyway (journaled)", style="bold yellow"))
        self.query_one("#ac-override-label", Static).update(
            Text("Gate not green: type why you run it anyway (journaled as an override)", style="bold red"))
        production = " (production: the environment's name, a slash, the step)" if self.app.env.production else ""
        self.query_one("#ac-confirm-label", Static).update(Text(f"Type {self.expected()!r} to run{production}", style="bold"))
        self._status("review what will be sent, then type the confirmation")
        self._update_run()

    def _status(self, text: str, style: str = "") -> None:
        self.query_one("#ac-status", Static).update(Text(one_line(text, 400), style=style))

    # -- typing -----------------------------------------------------------------------
    def missing(self) -> str:
        """What must still be typed before Run ('' when nothing)."""
        preview = self.preview
        if preview is None or preview.problems or self.app.read_only:
            return "nothing can run"
        if preview.unknown and self.query_one("#ac-force", Input).value.strip() != FORCE:
            return f"type {FORCE!r}: an earlier outcome is unknown"
        if preview.gate and not self.query_one("#ac-override", Input).value.strip():
            return "type a reason to override the gate"
        if self.query_one("#ac-confirm", Input).value.strip() != self.expected():
            return f"type {self.expected()!r} to confirm"
        return ""

    @on(Input.Changed)
    def _update_run(self) -> None:
        self.query_one("#ac-run", Button).disabled = bool(self.missing())

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self._run()

    @on(Button.Pressed, "#ac-run")
    def _run(self) -> None:
        missing = self.missing()
        if missing:
            self._status(f"not yet: {missing}", "bold red")
            return
        assert self.preview is not None
        env = self.app.env
        override = self.query_one("#ac-override", Input).value.strip() if self.preview.gate else ""
        self.dismiss(RunActions(self.step.id, confirmation=env.name if env.production else "",
                                force=bool(self.preview.unknown), override=strip_control(override, keep_newlines=False)))

    @on(Button.Pressed, "#ac-lookup")
    def _lookup(self) -> None:
        self.run_worker(self._ask_lookup(), exclusive=True, group="ac-lookup")

    async def _ask_lookup(self) -> None:
        answer_box = self.query_one("#ac-lookup-answer", Static)
        answer_box.display = True
        answer_box.update(Text("looking it up (nothing is sent but a read)…", style="dim"))
        answer = await self.app.ask(lambda request: AskRunLookup(request, self.step.id))
        if answer.error:
            answer_box.update(Text(f"lookup: {one_line(answer.error, 400)}", style="bold red"))
        else:
            answer_box.update(Text.assemble(("Lookup: ", "bold"), one_line(str(answer.value), 600)))
        self.query_one("#ac-scroll", VerticalScroll).scroll_end(animate=False)

    @on(Button.Pressed, "#ac-close")
    def action_close(self) -> None:
        """Close without running anything."""
        self.dismiss(None)
