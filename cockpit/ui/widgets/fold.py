"""Fitting lines to a pane: cut only with an ellipsis, and count what does not fit.

Every list pane sorts its problems first; when its rows run out, the last row says how
many lines are hidden and the worst state among them, so nothing is out of sight unsaid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.widget import Widget


def detailed(pane: Widget) -> bool:
    """Show details under the summary lines: when the pane has the focus or the screen to itself."""
    return pane.has_focus or pane.has_focus_within or pane.screen.has_class("-compact")


def fit(text: str, width: int) -> str:
    """`text` if it fits in `width` cells, else cut with an ellipsis (never silently)."""
    if cell_len(text) <= width:
        return text
    out = ""
    for char in text:
        if cell_len(out + char) > max(0, width - 1):
            break
        out += char
    return out + "…"


def fold(lines: Sequence[Text], rows: int, states: Sequence[str], rank: Mapping[str, int]) -> list[Text]:
    """`lines` (state `states[i]` each, worst first) in `rows` rows: all of them, or as many as fit
    with a last row `+N more (worst: STATE)`."""
    if rows <= 0 or len(lines) <= rows:
        return list(lines)
    shown = max(0, rows - 1)
    hidden = states[shown:]
    worst = max(hidden, key=lambda s: rank.get(s, 0)) if hidden else ""
    more = Text(f"+{len(lines) - shown} more", style="bold")
    if worst:
        more.append(f" (worst: {worst})", style="bold red" if rank.get(worst, 0) >= 2 else "bold yellow" if rank.get(worst, 0) else "dim")
    return list(lines[:shown]) + [more]
