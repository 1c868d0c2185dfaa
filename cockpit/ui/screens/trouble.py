"""Modal (`cockpit demo` only): the trouble keys, with what each does now; pressing one does it.

The action runs in a Textual thread worker (the demo's pipe blocks: stopping PostgreSQL
takes a second, a deployment a few AWS calls), the menu closes at once so the panes can be
watched, and the stack's one-line answer arrives as a notification. This is the demo's own
control, not a source of the run: it stays out of the engine.

Below the keys, what the demo's fakes got (`shown`): the last messages the fake Slack webhook
received (so a newcomer sees what a slack step really sent), the fake GitHub's runs, and the
ECS deployments their deploy runs started. It is the demo's window into its own stack, so it
lives here rather than in a pane of the run. The texts are data: one sanitized line each.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.events import Key
from textual.screen import ModalScreen
from textual.widgets import Static

from cockpit.core.text import one_line
from cockpit.demo.trouble import TroubleAction


class TroubleSource(Protocol):
    """What the menu needs of the demo: its keys now, and a (blocking) way to press one."""

    actions: list[TroubleAction]
    shown: dict  # what the demo's fakes got: {"slack": [{at, channel, text}], "runs": [line], "deploys": [line]}
    on_gone: Callable[[], None] | None  # set by the app: called from a thread if the stack process ends first

    def run(self, key: str) -> str: ...

    def refresh(self) -> list[TroubleAction]: ...


def trouble_table(actions: list[TroubleAction]) -> Table:
    """Key, what it does, and how things are now (plain Text: nothing here is markup)."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_column(style="dim")
    for action in actions:
        style = "" if action.available else "dim strike"
        table.add_row(Text(action.key), Text(action.label, style=style), Text(action.state))
    return table


def fakes_text(shown: dict) -> Text:
    """What the fake Slack webhook received, the fake GitHub's runs and the deploys they made (plain Text)."""
    out = Text()
    slack = shown.get("slack") or []
    out.append("Slack (fake webhook) received", style="bold")
    out.append(f" · last {len(slack)}\n" if slack else ": nothing yet (run comms-engineering, or any slack step)\n", style="dim")
    for message in slack:
        out.append(f"  {one_line(str(message.get('at', '')), 8)} {one_line(str(message.get('channel', '')), 20)} ", style="dim")
        out.append(one_line(str(message.get("text", "")), 300) + "\n")
    for title, key, empty in (("GitHub (fake) runs", "runs", "none yet (run b-deploy-staging)"),
                              ("ECS deployments started by deploy runs", "deploys", "none yet")):
        lines = shown.get(key) or []
        out.append(title, style="bold")
        out.append("\n" if lines else f": {empty}\n", style="dim")
        for line in lines:
            out.append(f"  {one_line(str(line), 200)}\n")
    out.rstrip()
    return out


class TroubleScreen(ModalScreen[None]):
    """The demo's trouble menu; esc or ! closes it."""

    BINDINGS = [Binding("escape,exclamation_mark,q", "close", "Close")]

    def __init__(self, source: TroubleSource) -> None:
        super().__init__()
        self.source = source

    def compose(self) -> ComposeResult:
        with Vertical(id="trouble-dialog") as box:
            box.border_title = "Trouble (demo)"
            box.border_subtitle = "its key does it · esc closes"
            yield Static(trouble_table(self.source.actions), id="trouble-table")
            yield Static(fakes_text(getattr(self.source, "shown", {}) or {}), id="trouble-fakes")

    def on_mount(self) -> None:
        """Show the keys' states now (a deployment may have failed since the last press)."""
        app, source = self.app, self.source

        def refresh() -> None:
            actions = source.refresh()
            try:
                app.call_from_thread(self._show, actions)
            except RuntimeError:
                pass  # the cockpit quit meanwhile

        self.app.run_worker(refresh, name="demo-refresh", thread=True, exit_on_error=False)

    def _show(self, actions: list[TroubleAction]) -> None:
        if self.is_attached:
            self.query_one("#trouble-table", Static).update(trouble_table(actions))
            self.query_one("#trouble-fakes", Static).update(fakes_text(getattr(self.source, "shown", {}) or {}))

    def on_key(self, event: Key) -> None:
        action = next((a for a in self.source.actions if a.key == event.key), None)
        if action is None:
            return
        event.stop()
        if not action.available:
            self.notify(f"{action.label}: not now ({action.state})", timeout=4, markup=False)
            return
        self.app.notify(f"{action.label} ...", title="demo", timeout=3, markup=False)
        app, source = self.app, self.source  # the thread has no Textual context of its own

        def press() -> None:
            message = source.run(action.key)
            try:
                app.call_from_thread(app.notify, message, title="demo", timeout=8, markup=False)
            except RuntimeError:
                pass  # the cockpit quit meanwhile

        app.run_worker(press, name="demo-trouble", thread=True, exit_on_error=False)
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
