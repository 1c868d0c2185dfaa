"""The wall view's detail (`d`): every line the wall's boxes cut with an ellipsis, whole.

The wall keeps each alarm, service and check on one line, so a long reason or evidence is cut; this
screen shows them in full (wrapped here: it is read up close, not across the room). It changes
nothing, like the wall itself; `d`, `esc` or `q` closes it.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def detail_text(sections: Sequence[tuple[str, Sequence[Text]]]) -> Text:
    """Titled sections of whole lines, a blank line between them."""
    out = Text()
    for title, lines in sections:
        out.append(f"{title}\n", style="bold underline")
        for line in lines or [Text("none", style="dim")]:
            out.append_text(line)
            out.append("\n")
        out.append("\n")
    out.rstrip()
    return out


class WallDetail(ModalScreen[None]):
    """The whole text of the wall's alarms, services and checks."""

    BINDINGS = [Binding("escape,d,q", "dismiss", "Close")]

    def __init__(self, text: Text, top: int = 0) -> None:
        super().__init__()
        self.text = text
        self.top = top  # the rows above it (the wall's header, banner and verdict) stay uncovered: no problem hidden

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="wall-detail"):
            yield Static(self.text, id="wall-detail-text")

    def on_mount(self) -> None:
        self.query_one("#wall-detail").styles.margin = (self.top, 0, 0, 0)

    def action_dismiss(self, result: None = None) -> None:  # type: ignore[override]
        """Back to the wall."""
        self.dismiss(None)
