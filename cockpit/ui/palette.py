"""The command palette (ctrl+p): cockpit's own actions by name, next to Textual's.

Each entry runs the action its key runs, through `App.run_action`, so the same guards
apply: the screen's `check_action` (a read-only cockpit refuses ticks, notes and checks,
and says so), "tab to the checklist" before a tick or a note, the rollback's own checks.
The log entries act on the logs pane, so they bring it into view first (a key reaches
them only from there); the checklist's do not: ticking a step the operator cannot see
is what "tab to the checklist" is there to prevent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from textual.actions import parse
from textual.command import DiscoveryHit, Hit, Provider
from textual.dom import DOMNode

from cockpit.core.text import one_line
from cockpit.ui.screens.cockpit import PANE_NAMES, CockpitScreen
from cockpit.ui.widgets.logs_pane import LogsPane


@dataclass(frozen=True)
class Entry:
    """One palette entry: `action` (as in BINDINGS) run on `target` ('screen', 'logs' or 'app')."""

    title: str
    key: str
    help: str
    action: str
    target: str = "screen"

    def help_text(self, refused: bool) -> str:
        """The line under the title: key, what it does, and whether this cockpit refuses it."""
        text = f"{self.key} · {self.help}" if self.key else self.help
        return f"{text} (refused here: read-only)" if refused else text


SCREEN_ENTRIES = (
    Entry("Run check", "enter", "run the selected step's automated check; the result is journaled, a pass ticks it", "run_check"),
    Entry("Tick / untick step", "space", "tick or untick the selected step (a check step needs a passing check or a reason)", "toggle_step"),
    Entry("Note on step", "n", "add a note to the selected step (journaled)", "note"),
    Entry("Run actions", "x", "review what the selected step's actions send (deploy, command, Slack), then type the step to run them", "run_actions"),
    Entry("Stop actions", "esc", "stop the step's actions under way (a command gets SIGTERM; a workflow is no longer watched)", "stop_action"),
    Entry("Step detail", "d", "the step detail fills the checklist pane; again: back to the list", "toggle_detail"),
    Entry("Rollback", "R", "roll back an ECS service: pick the revision, see the diff, type the service name", "rollback"),
    Entry("Approve step", "a", "approve another operator's request to run the selected step (two-person rule)", "approve"),
    Entry("Release report", "r", "the run's report: read it, save it as Markdown or JSON in the current directory", "report"),
    Entry("Metrics", "m", "the dashboards' metrics from CloudWatch, with the journal's deploys, rollbacks and alarms as markers", "metrics"),
    Entry("Next pane", "tab", "move to the next pane", "cycle_pane(1)"),
    Entry("Previous pane", "shift+tab", "move to the previous pane", "cycle_pane(-1)"),
    *(Entry(f"Show pane: {name}", "", f"bring the {name} pane into view, with the keyboard on it", f"show_pane({name!r})") for name in PANE_NAMES),
    Entry("Help", "?", "the keymap, the runbook's contacts, where the journal is", "help"),
    Entry("Trouble menu", "!", "the demo's trouble keys: break Redis, PostgreSQL, the API, raise an alarm, flood the logs", "trouble"),
    Entry("Quit", "q", "quit cockpit (everything on screen is already on disk)", "quit", "app"),
)
LOG_ENTRIES = (
    Entry("Logs: edit filter", "/", "edit the tab's CloudWatch filter pattern", "edit_filter", "logs"),
    Entry("Logs: follow on/off", "f", "follow new events, or hold them back (counted as +N new)", "toggle_follow", "logs"),
    Entry("Logs: search", "s", "find text in every tab (highlighted); n / N jump between matches", "search", "logs"),
    Entry("Logs: next match", "n", "scroll to the next line with the search term", "next_match(True)", "logs"),
    Entry("Logs: previous match", "N", "scroll to the previous line with the search term", "next_match(False)", "logs"),
    Entry("Logs: wrap on/off", "w", "wrap long lines (every character kept), or scroll sideways", "toggle_wrap", "logs"),
    Entry("Logs: UTC / local time", "t", "times in UTC or local time", "toggle_utc", "logs"),
    Entry("Logs: save tab", "S", "save the tab's buffer (secrets already redacted) to a new file", "save", "logs"),
    Entry("Logs: next tab", "]", "show the next log tab", "next_tab(1)", "logs"),
    Entry("Logs: previous tab", "[", "show the previous log tab", "next_tab(-1)", "logs"),
)


class CockpitCommands(Provider):
    """Cockpit's actions (on the cockpit screen) and Textual's system commands, minus its own Quit."""

    def entries(self) -> Iterator[tuple[Entry, bool]]:
        """(entry, refused as read-only) for every entry the screen offers now (`check_action` decides)."""
        screen = self.screen
        if not isinstance(screen, CockpitScreen):
            return
        logs = self._logs()
        tabs = logs.tabs if logs is not None else {}
        tab_entries = tuple(Entry(f"Logs: tab {one_line(qid, 40)}", "", f"show the log tab of {one_line(tab.log_query.title, 80)}",
                                  f"show_tab({qid!r})", "logs") for qid, tab in tabs.items())
        read_only = screen.check_action("refuse_read_only", ()) is True
        for entry in SCREEN_ENTRIES + (LOG_ENTRIES + tab_entries if tabs else ()):
            _, name, params = parse(entry.action)
            target = self._target(entry.target)
            refused = read_only and name in screen.READ_ONLY_REFUSED
            if refused or (target is not None and target.check_action(name, params) is not False):
                yield entry, refused

    def _logs(self) -> LogsPane | None:
        found = self.screen.query(LogsPane)
        return found.first() if found else None

    def _target(self, target: str) -> DOMNode | None:
        if target == "app":
            return self.app
        return self._logs() if target == "logs" else self.screen

    def _command(self, entry: Entry, refused: bool) -> Callable[[], Any]:
        async def run() -> None:
            screen = self.screen
            assert isinstance(screen, CockpitScreen)
            if refused:  # the key would reach the screen's refusal too: say why, change nothing
                screen.action_refuse_read_only(parse(entry.action)[1])
                return
            if entry.target == "logs":
                screen.action_show_pane("Logs")
            target = self._target(entry.target)
            if target is not None:
                await self.app.run_action(entry.action, target)

        return run

    def _system(self) -> Iterator[tuple[str, str, Callable[[], Any], bool]]:
        for name, help_text, callback, discover in self.app.get_system_commands(self.screen):
            if name != "Quit" or not isinstance(self.screen, CockpitScreen):  # ours quits the same way, with its help
                yield name, help_text, callback, discover

    async def discover(self) -> AsyncIterator[DiscoveryHit]:
        """Every entry, in the order of the keymap, then Textual's."""
        for entry, refused in self.entries():
            yield DiscoveryHit(entry.title, self._command(entry, refused), help=entry.help_text(refused))
        for name, help_text, callback, discover in sorted(self._system(), key=lambda command: command[0]):
            if discover:
                yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> AsyncIterator[Hit]:
        """The entries whose title matches `query` (fuzzy, as Textual's own)."""
        matcher = self.matcher(query)
        for entry, refused in self.entries():
            if (score := matcher.match(entry.title)) > 0:
                yield Hit(score, matcher.highlight(entry.title), self._command(entry, refused), text=entry.title,
                          help=entry.help_text(refused))
        for name, help_text, callback, _ in self._system():
            if (score := matcher.match(name)) > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
