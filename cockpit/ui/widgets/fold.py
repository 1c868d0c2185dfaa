"""Fitting lines to a pane: cut only with an ellipsis, and count what does not fit.

Every list pane sorts its problems first; when its rows run out, the last row says how
many lines are hidden and the worst state among them, so nothing is out of sight unsaid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.text import Text
from textual.css.scalar import Unit
from textual.widget import Widget


def detailed(pane: Widget) -> bool:
    """Show details under the summary lines: when the pane has the focus or the screen to itself."""
    return pane.has_focus or pane.has_focus_within or pane.screen.has_class("-compact")


def fit(text: str, width: int) -> str:
    """`text` if it fits in `width` cells, else cut with an ellipsis (never silently)."""
    line = Text(text)
    line.truncate(max(1, width), overflow="ellipsis")
    return line.plain


def block(lines: Sequence[Text]) -> Text:
    """The lines as one Text, each ending in a newline."""
    out = Text()
    for line in lines:
        out.append_text(line)
        out.append("\n")
    return out


def rows_for(pane: Widget) -> int:
    """The rows a pane's lines may take: its own content height when it has the screen (compact) or a
    fixed size; else all that its max-height allows of its parent (a `height: auto` pane is only as
    tall as what it last showed, so its current height would keep a new line out for good)."""
    region = pane.scrollable_content_region.height
    cap, parent = pane.styles.max_height, pane.parent
    if pane.screen.has_class("-compact") or cap is None or not isinstance(parent, Widget) or not parent.size.height:
        return region
    limit = parent.size.height * cap.value / 100 if cap.unit == Unit.PERCENT else cap.value
    border = pane.outer_size.height - region if pane.outer_size.height else 2
    return max(region, int(limit) - border)


def fold(lines: Sequence[Text], rows: int, states: Sequence[str], rank: Mapping[str, int]) -> list[Text]:
    """`lines` (state `states[i]` each, worst first) in `rows` rows: all of them, or as many as fit
    with a last row `+N more (worst: STATE)`. Ranks: 3 a failure (red, as the verdict's errors),
    1-2 a warning or not known (yellow), 0 fine."""
    if rows <= 0 or len(lines) <= rows:
        return list(lines)
    shown = max(0, rows - 1)
    hidden = states[shown:]
    worst = max(hidden, key=lambda s: rank.get(s, 0)) if hidden else ""
    more = Text(f"+{len(lines) - shown} more", style="bold")
    if worst:
        more.append(f" (worst: {worst})", style="bold red" if rank.get(worst, 0) >= 3 else "bold yellow" if rank.get(worst, 0) else "dim")
    return list(lines[:shown]) + [more]


class Refits:
    """Mixed into a pane whose lines are fitted to its size and whose details show while it has the
    focus: it draws again, from what it last showed, on focus, blur and resize. The pane's `show(now,
    wall)` keeps `_shown_at` and compares against `_text`."""

    _shown_at: tuple | None = None
    _text: Text | None = None

    def on_focus(self) -> None:
        self._repaint()

    def on_blur(self) -> None:
        self._repaint()

    def on_resize(self) -> None:
        self._repaint()

    def _repaint(self) -> None:
        if self._shown_at is not None:
            self._text = None
            self.show(*self._shown_at)  # type: ignore[attr-defined]
