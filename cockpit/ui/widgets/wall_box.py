"""The boxes of the wall view: a titled block of one-line rows, fitted to its width, repainted only when it changed.

Every row is cut to the box's width with an ellipsis (never wrapped: a status text read from across a
room must stay on its line), and figures carry their age; a stale one is dimmed, never hidden.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from cockpit.ui.widgets.fold import block

STALE_STYLE = "dim"


def age_words(seconds: float | None) -> str:
    """`47 s old`, `12 min old`, `3 h old`; `never read` when there is no figure yet."""
    if seconds is None:
        return "never read"
    seconds = max(0.0, seconds)
    if seconds < 120:
        return f"{seconds:.0f} s old"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min old"
    return f"{seconds / 3600:.0f} h old"


def age_text(seconds: float | None, stale: bool) -> Text:
    """The age of a figure: plain while fresh, `STALE` and dimmed past its source's interval."""
    if stale:
        return Text(f"STALE {age_words(seconds)}", style="bold")
    return Text(age_words(seconds), style="")


def dimmed(line: Text) -> Text:
    """`line` dimmed (a stale figure: still there to read, visibly not current)."""
    out = line.copy()
    out.stylize(STALE_STYLE)
    return out


def one_row(parts: Sequence[Text], width: int, tail: Text | None = None) -> Text:
    """`parts` joined on one row of `width` cells, cut with an ellipsis; `tail` (an age) kept whole at the end
    when there is room for it, the parts being cut first."""
    line = Text()
    for part in parts:
        line.append_text(part)
    if tail is not None and tail.cell_len + 10 <= width:
        room = width - tail.cell_len - 2
        if line.cell_len > room:
            line.truncate(room, overflow="ellipsis")
        line.append(" " * (width - line.cell_len - tail.cell_len))
        line.append_text(tail)
    line.truncate(max(1, width), overflow="ellipsis")
    return line


class WallBox(Static):
    """A titled box whose rows come from `rows(width)`; `redraw()` after the data changed."""

    def __init__(self, title: str, **kwargs) -> None:
        super().__init__("", classes="wall-box", **kwargs)
        self.border_title = title
        self._text: Text | None = None

    def rows(self, width: int) -> list[Text]:
        """The box's rows, each fitted to `width` cells."""
        raise NotImplementedError

    def redraw(self) -> None:
        """Paint the rows at the box's width (only when the text changed: an update lays the screen out again)."""
        width = self.size.width or 60
        text = block(self.rows(width))
        text.rstrip()
        if text != self._text:
            self._text = text
            self.update(text)

    def on_resize(self) -> None:
        """Refit the rows to the new width."""
        self.redraw()
