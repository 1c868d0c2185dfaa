"""Modal: the keymap and the runbook's contacts."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from cockpit.core.text import one_line
from cockpit.demo.trouble import KEYS, WHAT
from cockpit.runbook import Runbook
from cockpit.ui.screens.trouble import TroubleSource

KEYMAP = (
    ("?", "this help"),
    ("q", "quit (everything shown is already on disk)"),
    ("tab / shift+tab", "next / previous pane"),
    ("up / down, home / end", "move in the checklist"),
    ("space", "tick / untick the selected step (a check step: needs a passing check or an override reason)"),
    ("enter", "run the selected step's automated check; the result is journaled, a pass ticks it"),
    ("x", "run the selected step's actions (deploy workflow, command, Slack): see exactly what they send, type the step to run"),
    ("esc", "stop the actions under way (a command gets SIGTERM, then SIGKILL; a workflow is no longer watched)"),
    ("n", "add a note to the selected step (a multi-line paste keeps every line)"),
    ("d", "step detail fills the pane, arrows scroll it; d again: back to the list"),
    ("m", "metrics: the runbook's dashboards from CloudWatch, with deploys, rollbacks and alarms from the journal as numbered markers"),
    ("R", "roll back an ECS service (or all, in the plan's order): pick the revision, see the diff, type the service name"),
    ("a", "approve another operator's request to run the selected step (the runbook's two-person rule; not your own)"),
    ("r", "the run's release report (timeline, phases against the plan, who, what is open or failed): s saves it as Markdown, "
          "j as JSON, in the current directory"),
    ("ctrl+p", "command palette: every action here by name, with its key (type a few letters: tick, wrap, alarms)"),
)
LOGS_KEYMAP = (  # while the logs pane has the keyboard
    ("/", "edit the tab's CloudWatch filter pattern (AWS checks it; a rejected one keeps the old stream)"),
    ("f", "follow on/off: when off, new events are counted (+N new) and held back; scrolling back pauses too"),
    ("s, then n / N", "search (highlighted in every tab), then next / previous match"),
    ("w", "wrap long lines on/off"),
    ("t", "times in UTC or local time"),
    ("S", "save the tab's buffer (secrets already redacted) to a new file"),
    ("[ / ]", "previous / next log tab"),
)


def help_body(runbook: Runbook, journal_path: str, read_only: bool, demo: TroubleSource | None = None,
              following: str = "") -> Table:
    """The help contents as a Rich table (all cells plain Text); `demo` adds its trouble keys; `following` is how a
    shared journal is followed (JournalFollowing.text)."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    if demo is not None:
        table.add_row(Text("Demo: trouble keys", style="bold underline"), Text("press ! (it shows how each stands now), then its key"))
        for key, name in KEYS.items():
            table.add_row(Text(f"! {key}"), Text(WHAT[name]))
        table.add_row(Text("ctrl+c / q"), Text("quit: every server the demo started stops, its directory is removed"))
        table.add_row(Text(""), Text(""))
    table.add_row(Text("Keys", style="bold underline"), Text(""))
    for key, action in KEYMAP:
        table.add_row(Text(key), Text(action))
    table.add_row(Text(""), Text(""))
    table.add_row(Text("Logs pane", style="bold underline"), Text(""))
    for key, action in LOGS_KEYMAP:
        table.add_row(Text(key), Text(action))
    table.add_row(Text(""), Text(""))
    table.add_row(Text("Contacts", style="bold underline"), Text(""))
    for contact in runbook.contacts:
        table.add_row(Text(one_line(contact.role)), Text(one_line(f"{contact.contact}  (escalation: {contact.escalation})")))
    table.add_row(Text(""), Text(""))
    mode = ("read-only: nothing is written (space, n and enter say so)" if read_only
            else "every tick and note is committed before it is shown")
    table.add_row(Text("Journal"), Text("\n".join(line for line in (journal_path, following, mode) if line)))
    return table


class HelpScreen(ModalScreen[None]):
    """Keymap and contacts; any of esc, q or ? closes it."""

    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def __init__(self, runbook: Runbook, journal_path: str, read_only: bool, demo: TroubleSource | None = None,
                 following: str = "") -> None:
        super().__init__()
        self._body = help_body(runbook, journal_path, read_only, demo, following)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog") as box:
            box.border_title = "Help"
            box.border_subtitle = "esc closes"
            yield Static(self._body)

    def action_close(self) -> None:
        """Back to the cockpit."""
        self.dismiss(None)
