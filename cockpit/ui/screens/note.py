"""Modal: one line of text (a note, an override reason, a filter, a file name). Dismisses with it, or None."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from cockpit.core.text import one_line
from cockpit.journal.step_rules import NOTE_LIMIT  # the same limit as `cockpit note`


class NoteInput(Input):
    """An Input that keeps every line of a multi-line paste, joined with ' / '."""

    def _on_paste(self, event: events.Paste) -> None:
        lines = [line.strip() for line in event.text.splitlines() if line.strip()]
        text = " / ".join(lines)
        if text:
            selection = self.selection
            if selection.is_empty:
                self.insert_text_at_cursor(text)
            else:
                self.replace(text, *selection)
        event.prevent_default()  # Input's own handler would paste the first line again
        event.stop()


class NoteScreen(ModalScreen[str | None]):
    """Ask for one line of text about a step: a note, or the reason for an override."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        step_title: str,
        *,
        heading: str = "Note on",
        explain: str = "",
        placeholder: str = "what happened, what you saw…",
        value: str = "",
        hint: str = "enter saves to the journal · esc cancels",
        allow_empty: bool = False,
    ) -> None:
        super().__init__()
        self.step_title = step_title
        self.heading = heading
        self.explain = explain
        self.placeholder = placeholder
        self.value = value
        self.hint = hint
        self.allow_empty = allow_empty

    def compose(self) -> ComposeResult:
        with Vertical(id="note-dialog"):
            yield Static(Text(f"{self.heading}: {one_line(self.step_title, 70)}", style="bold"))
            if self.explain:
                yield Static(Text(self.explain))
            yield NoteInput(self.value, placeholder=self.placeholder, max_length=NOTE_LIMIT, id="note-input")
            yield Static(Text(self.hint, style="dim"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Return the text; an empty one counts as cancelled unless `allow_empty`."""
        text = event.value.strip()
        self.dismiss(text if text or self.allow_empty else None)

    def action_cancel(self) -> None:
        """Close without a note."""
        self.dismiss(None)
