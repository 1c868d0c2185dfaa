"""The selected step's action run under its detail: a header (state, elapsed, lines), the output, the verdict.

The output is a `Log` (plain strings, never markup; it draws only the lines in view), bounded to
KEEP_LINES screen lines. Lines are cut to the view's width as they are written (an operator on a
keyboard cannot scroll sideways inside the detail); a batch is appended, never the whole buffer
again; the whole buffer is written only when the selection moves to another step's run. (A
RichLog wraps by itself, but defers its first lines until it has been sized, and a view shown
and hidden with the selection was sometimes never sized: its output never appeared.)
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.cells import cell_len, chop_cells
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Log, Static

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
        self._width = 0  # what the output on show was cut to

    def compose(self) -> ComposeResult:
        yield Static("", id="action-header")
        yield Log(max_lines=KEEP_LINES, auto_scroll=True, id="action-log")
        yield Static("", id="action-verdict")

    def show(self, run: ActionRun | None, now: float) -> None:
        """Show `run` (None: hide); the output is reloaded only when it is another run than the one on show."""
        self.display = run is not None
        if run is not self.run:
            self.run = run
            log = self.query_one(Log)
            log.clear()
            if run is not None and run.lines:
                log.write_lines(self._cut(run.lines))
            log.display = bool(run is not None and run.lines)
        self.refresh_text(now)

    def append(self, run: ActionRun, lines: list[str]) -> None:
        """New output of `run`, if it is the one on show."""
        if run is self.run and lines:
            log = self.query_one(Log)
            log.display = True
            log.write_lines(self._cut(lines))

    def _cut(self, lines: Iterable[str]) -> list[str]:
        """Each line cut into pieces as wide as what is visible of the view (see `visible_width`)."""
        width = self._width = self.visible_width()
        return [piece for line in lines for piece in _pieces(line, width)]

    def visible_width(self) -> int:
        """The detail's width less both scrollbars: the detail's own (it appears once the output makes the detail
        scroll, after the lines were cut) and the log's. A piece wider than that would be clipped: characters lost
        at every cut, a value read as another."""
        log, parent = self.query_one(Log), self.parent
        room = (parent.content_region.width if isinstance(parent, Widget) else 0) or log.region.width
        gutters = log.styles.scrollbar_size_vertical + (parent.styles.scrollbar_size_vertical if isinstance(parent, Widget) else 0)
        return max(20, room - gutters)

    def on_resize(self) -> None:
        """A new width: the output is cut again for it (a narrower detail would clip the old pieces). Only the width:
        the panel grows in height with every batch."""
        if self.visible_width() == self._width:
            return
        if self.run is not None and self.run.lines:
            log = self.query_one(Log)
            log.clear()
            log.write_lines(self._cut(self.run.lines))

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


def _pieces(line: str, width: int) -> list[str]:
    """`line` in pieces of `width` cells. One cell per character (the usual case, ✓ and › included) is sliced:
    rich's `chop_cells` costs ~80 µs a line, 16 ms for a batch of 200, a sixth of the UI's time under a flood."""
    if cell_len(line) == len(line):
        return [line[i:i + width] for i in range(0, max(len(line), 1), width)]
    return chop_cells(line, width)
