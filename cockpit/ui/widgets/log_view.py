"""The lines of one log tab: plain text (never markup), search matches highlighted.

Built on Textual's `Log`, which renders only the visible lines and appends in bulk
(`write_lines`): a RichLog's per-line `write` costs ten times as much.
"""

from __future__ import annotations

import re

from rich.cells import cell_len, get_character_cell_size
from rich.highlighter import Highlighter
from rich.text import Text
from textual import events
from textual.message import Message
from textual.widgets import Log

from cockpit.monitor.log_buffer import STREAM_WIDTH

_PREFIX = 13 + STREAM_WIDTH  # "HH:MM:SS.mmm " + stream + " "
WRAP_INDENT = 4
"""Spaces before each continuation piece of a wrapped line."""


def wrap_cells(line: str, width: int, indent: int = WRAP_INDENT) -> list[str]:
    """`line` cut into pieces of at most `width` terminal cells; continuation pieces are indented.

    Lossless: the first piece plus every other piece without its `indent` spaces is `line`,
    character for character (a space at a cut is kept, at the end of one piece or the start
    of the next). Widths are counted in cells as the terminal draws them: a wide (CJK)
    character takes two and moves whole to the next piece rather than straddle a cut; a
    zero-width one stays with the character it marks. A view narrower than `indent` + 11
    cells gets the line whole (it scrolls sideways instead).
    """
    if width <= indent + 10 or cell_len(line) <= width:
        return [line]
    pad, rest = " " * indent, width - indent
    if line.isascii() and line.isprintable():  # one cell per character
        return [line[:width]] + [pad + line[i : i + rest] for i in range(width, len(line), rest)]
    pieces: list[str] = []
    start, used, room = 0, 0, width
    for index, char in enumerate(line):
        cells = get_character_cell_size(char)
        if used + cells > room and index > start:
            pieces.append(line[start:index])
            start, used, room = index, 0, rest
        used += cells
    pieces.append(line[start:])
    return [pieces[0]] + [pad + piece for piece in pieces[1:]]


class LineHighlighter(Highlighter):
    """Dims the time and stream of a line and marks every match of the search term."""

    def __init__(self) -> None:
        self.pattern: re.Pattern[str] | None = None

    def search(self, term: str) -> None:
        """Highlight `term` (plain text, case-insensitive); '' for none."""
        self.pattern = re.compile(re.escape(term), re.IGNORECASE) if term else None

    def highlight(self, text: Text) -> None:
        """Style `text` in place."""
        plain = text.plain
        if len(plain) > _PREFIX and plain[12] == " " and plain[2] == ":":  # a first piece, not a wrapped one
            text.stylize("dim", 0, _PREFIX)
        if self.pattern is not None:
            for match in self.pattern.finditer(plain):
                text.stylize("bold reverse", match.start(), match.end())


class LogView(Log, can_focus=True):
    """A Log whose lines are our formatted events; `search()` highlights a term.

    Scrolling back (up, page up, home, the mouse wheel) posts `ScrolledBack`: the tab stops
    following, so the lines being read stay put and new ones are counted instead.
    """

    class ScrolledBack(Message):
        """The operator scrolled `view` back to read."""

        def __init__(self, view: LogView) -> None:
            super().__init__()
            self.view = view

        @property
        def control(self) -> LogView:
            return self.view

    highlighter: LineHighlighter  # set in __init__ over Log's own

    def __init__(self, max_lines: int, *, id: str | None = None) -> None:
        super().__init__(highlight=True, max_lines=max_lines, auto_scroll=True, id=id)
        self.highlighter = LineHighlighter()
        self._match_key: tuple | None = None
        self._matches: list[int] = []

    # -- the widest line, measured cheaply ----------------------------------------------------
    # Textual's Log measures every written line in a thread worker (`@work(thread=True)` per
    # write, each line through a regex and `cell_len`): at 10,000 lines/s a quarter of the UI
    # process's busy time (bench/README.md). Our lines arrive cleaned (printable: no control
    # character, no tab), so the regex has nothing to do, and an ASCII line is measured by `len`.
    @classmethod
    def _process_line(cls, line: str) -> str:
        return line if line.isprintable() else super()._process_line(line)

    def _update_size(self, updates: int, lines: list[str]) -> None:  # type: ignore[override]  # not a worker: µs a batch
        if not lines:
            return
        joined = "".join(lines)
        if joined.isascii() and joined.isprintable():  # one cell a character
            widest = max(map(len, lines))
        elif joined.isprintable():  # cleaned lines, some wider than ASCII (`isascii` is O(1))
            widest = max(len(line) if line.isascii() else cell_len(line) for line in lines)
        else:
            process = self._process_line
            widest = max(cell_len(process(line)) for line in lines)
        self._update_maximum_width(updates, widest)

    def search(self, term: str) -> None:
        """Highlight `term` everywhere (re-renders the visible lines)."""
        self.highlighter.search(term)
        self._render_line_cache.clear()
        self.refresh()

    def matching_lines(self) -> list[int]:
        """Indexes of the lines containing the search term (cached until the lines change)."""
        pattern = self.highlighter.pattern
        if pattern is None:
            return []
        lines = self.lines
        key = (pattern.pattern, len(lines), lines[0] if lines else None, lines[-1] if lines else None)
        if key != self._match_key:
            self._match_key = key
            self._matches = [i for i, line in enumerate(lines) if pattern.search(line)]
        return self._matches

    def jump(self, forward: bool) -> int | None:
        """Scroll to the next (or previous) matching line after (before) the view; its index or None."""
        matches = self.matching_lines()
        if not matches:
            return None
        top = int(self.scroll_offset.y)
        middle = top + self.size.height // 2
        if forward:
            target = next((m for m in matches if m > middle), matches[0])
        else:
            target = next((m for m in reversed(matches) if m < middle), matches[-1])
        self.scroll_to(y=max(0, target - self.size.height // 2), animate=False)
        return target

    # -- scrolling back: the operator is reading -----------------------------------------
    def action_scroll_up(self) -> None:
        super().action_scroll_up()
        self._reading()

    def action_page_up(self) -> None:
        super().action_page_up()
        self._reading()

    def action_scroll_home(self) -> None:
        super().action_scroll_home()
        self._reading()

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        # Textual runs Widget._on_mouse_scroll_up itself (the scroll); this only adds the pause.
        if not (event.ctrl or event.shift):
            self._reading()

    def _reading(self) -> None:
        if self.max_scroll_y > 0:  # nothing to read back when everything is on screen
            self.post_message(self.ScrolledBack(self))

    def follow_end(self) -> None:
        """Show the newest line (unless the scrollbar is held by the mouse)."""
        if not self.is_vertical_scrollbar_grabbed:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
