"""The verdict line under the header: every problem by name, worst first, at any width.

Names are never cut to look like other names: what does not fit is counted (`+3 more`),
and the words say it all without colour (NO_COLOR, 16-colour terminals).
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Static

from cockpit.monitor.verdict import ERROR, Verdict
from cockpit.ui.widgets.fold import fit

STYLES = {ERROR: "bold white on red"}
WARN_STYLE = "bold black on yellow"
SEPARATOR = " · "


def verdict_text(verdict: Verdict, width: int) -> Text:
    """The line for `verdict` in `width` cells: whole names, then `+N more` for the rest."""
    if not verdict.watching and not verdict.problems:
        return Text("not watching: no live source in this cockpit", style="dim")
    if verdict.all_up:
        return Text("✓ all up: " + ", ".join(verdict.sources) + " answered, nothing wrong", style="bold green")
    problems = verdict.problems
    out = Text()
    for index, problem in enumerate(problems):
        rest = len(problems) - index - 1
        more = f" +{rest} more" if rest else ""
        piece = (SEPARATOR if index else "") + problem.text
        if index and out.cell_len + cell_len(piece) + len(more) > width:
            out.append(f" +{len(problems) - index} more", style="bold")
            break
        if index:
            out.append(SEPARATOR)
        room = width - out.cell_len - len(more)
        text = problem.text if index else fit(problem.text, room)  # the worst is always named, cut if it must
        out.append(text, style=STYLES.get(problem.severity, WARN_STYLE))
    return out


class VerdictBar(Static):
    """One line under the header (the header is docked; this is the first line of the flow)."""

    DEFAULT_CSS = """
    VerdictBar { height: 1; padding: 0 1; text-wrap: nowrap; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.verdict: Verdict | None = None
        self._text: Text | None = None

    def show(self, verdict: Verdict) -> None:
        """Show `verdict` (kept, so a resize redraws it at the new width)."""
        self.verdict = verdict
        self._paint()

    def on_resize(self) -> None:
        """Refit the names to the new width."""
        self._paint()

    def _paint(self) -> None:
        if self.verdict is None:
            return
        text = verdict_text(self.verdict, max(10, self.size.width - 2))
        if text != self._text:
            self._text = text
            self.update(text)
