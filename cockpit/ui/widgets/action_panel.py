"""The selected step's action run under its detail: a header (state, elapsed, lines), the output, the verdict.

The output is a `RichLog` fed `Text` (never markup), wrapped to the pane's width (an operator on a
keyboard cannot scroll sideways inside the detail), bounded to KEEP_LINES screen lines. Each batch
is written as one Text (one render, however many lines it holds), never the whole buffer again;
the whole buffer is written only when the selection moves to another step's run.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import RichLog, Static

from cockpit.ui.action_runs import KEEP_LINES, ActionRun


class ActionPanel(Vertical):
    """Shows one `ActionRun` (hidden when the selected step has none)."""

    DEFAULT_CSS = """
    ActionPanel {
        height: auto;
        display: none;
    }
    ActionPanel > #action-log {
        height: auto;
        max-height: 12;
        background: $surface-darken-1;
    }
    ActionPanel > Static {
        height: auto;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.run: ActionRun | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="action-header")
        yield RichLog(max_lines=KEEP_LINES, min_width=1, wrap=True, markup=False, highlight=False, auto_scroll=True,
                      id="action-log")
        yield Static("", id="action-verdict")

    def show(self, run: ActionRun | None, now: float) -> None:
        """Show `run` (None: hide); the output is reloaded only when it is another run than the one on show."""
        self.display = run is not None
        if run is not self.run:
            self.run = run
            log = self.query_one(RichLog)
            log.clear()
            if run is not None and run.lines:
                log.write(Text("\n".join(run.lines)))
            log.display = bool(run is not None and run.lines)
        self.refresh_text(now)

    def append(self, run: ActionRun, lines: list[str]) -> None:
        """New output of `run`, if it is the one on show."""
        if run is self.run and lines:
            log = self.query_one(RichLog)
            log.display = True
            log.write(Text("\n".join(lines)))

    def refresh_text(self, now: float) -> None:
        """The header (elapsed time moves) and the verdict."""
        if self.run is None:
            return
        header = Text("Run: ", style="bold")
        header.append_text(self.run.header(now))
        self.query_one("#action-header", Static).update(header)
        verdict = self.query_one("#action-verdict", Static)
        text = self.run.verdict()
        verdict.update(text)
        verdict.display = bool(text)
