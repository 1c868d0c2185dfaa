"""The cockpit on terminals with few colours: under NO_COLOR and on 16 colours, an error stays the loudest thing on
screen and a warning looks like a warning.

NO_COLOR: a state keeps its rank as a weight, an error in reverse video, a warning bold and underlined, healthy
plain (no-color.org: bold, underline and reverse are not colour, and stay). Textual turns every colour into its grey
(textual.filter.Monochrome), which ranks the states by how bright their colours are: a warning's yellow fill turns
light grey, the brightest thing on screen, an error's red fill a dark grey hardly lighter than the page, and red
text near-black on dark grey. `StateWeights` runs before Textual's filters, while the colours are still the ones
the widgets and stylesheets named (red an error, yellow or magenta a warning, green healthy: as ANSI colours from a
Rich span, as CSS's RGB from a stylesheet or a Rich Text's own style), and gives those a weight instead:

- an error (red text, a red fill, red reversed): black on white, bold, in reverse video (a terminal that drops
  even the greys still reverses it); red block glyphs (a sparkline's bars over their limit) stay bars: bold white;
- a warning (yellow or magenta): bold, underlined, white on the widget's own background, never a fill;
- healthy (green): plain, the text's light grey.

The stylesheets' `:nocolor` rules see to what they colour with the theme's variables (badges, toasts).

16 colours (Rich picks them for a TERM without `256color` and no COLORTERM=truecolor): Textual paints ANSI colours
in its ANSI theme's RGB (Monokai) and the terminal gets the nearest of its 16, so red came out magenta and yellow
(Monokai's orange) bright red: a warning redder than an error. `SIXTEEN` is an ANSI theme of the 16 colours
themselves, so red, yellow and green arrive as the terminal's own.
"""

from __future__ import annotations

from functools import lru_cache

from rich.color import Color as RichColor
from rich.color import ColorType
from rich.segment import Segment
from rich.style import Style
from rich.terminal_theme import TerminalTheme
from textual.color import Color
from textual.filter import LineFilter

ERROR, WARNING, HEALTHY = "error", "warning", "healthy"
ANSI_STATES = {1: ERROR, 9: ERROR, 3: WARNING, 11: WARNING, 5: WARNING, 13: WARNING, 2: HEALTHY, 10: HEALTHY}
# Textual parses a colour name in CSS, or in a Rich Text's own style (`Text("DOWN", style="bold red")`), as CSS does.
CSS_STATES = {(255, 0, 0): ERROR, (255, 255, 0): WARNING, (255, 0, 255): WARNING, (0, 128, 0): HEALTHY}
WHITE, BLACK = RichColor.from_rgb(255, 255, 255), RichColor.from_rgb(0, 0, 0)
PLAIN = RichColor.from_rgb(224, 224, 224)  # the text's own light grey (CSS green would turn a dim grey)
# Reversed, so the fill is the foreground: white under Textual's greys, the terminal's own text colour under none.
ERROR_STYLE = Style(color=WHITE, bgcolor=BLACK, bold=True, reverse=True)


def state_of(color: RichColor | None) -> str | None:
    """The state a colour named red, yellow, magenta or green stands for (None: not a state's colour)."""
    if color is None:
        return None
    if color.type is ColorType.STANDARD and color.number is not None:
        return ANSI_STATES.get(color.number)
    if color.type is ColorType.TRUECOLOR and color.triplet is not None:
        return CSS_STATES.get((color.triplet.red, color.triplet.green, color.triplet.blue))
    return None


@lru_cache(1024)
def weighted(style: Style, glyphs: bool, background: RichColor) -> tuple[Style, Style | None]:
    """`style` with its state colours turned into weights, and the style for the spaces around its text (None: as
    the text's). Red or yellow text on no fill never showed its colour on its padding, and a warning loses its fill:
    their padding gets no fill and no underline.

    `glyphs`: the text has no letter or digit (a red bar stays a bar); `background`: the widget's (a warning's fill).
    """
    fg, bg = state_of(style.color), state_of(style.bgcolor)
    fill = bg if not style.reverse else fg  # what the eye reads as the cells' fill
    ink = fg if not style.reverse else bg
    if fill == ERROR:
        return style + ERROR_STYLE, None
    if ink == ERROR and not glyphs:
        return style + ERROR_STYLE, style
    if ink == ERROR:  # red bars: a fill would hide their height
        return style + Style(color=WHITE, bold=True), None
    if WARNING in (fill, ink):
        warning = style + Style(color=WHITE, bgcolor=background if fill == WARNING else None, bold=True, underline=True,
                                reverse=False)
        return warning, warning + Style(underline=False) if fill == WARNING else style
    if HEALTHY in (fill, ink):
        return style + Style(color=PLAIN, bgcolor=background if fill == HEALTHY else None, bold=False, reverse=False), None
    return style, None


def is_glyphs(text: str) -> bool:
    """No letter or digit in `text`: bars, marks, spaces."""
    return not any(c.isalnum() for c in text)


class StateWeights(LineFilter):
    """Error, warning and healthy as reverse, bold underlined and plain text (this module's docstring)."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        """Each segment with its state colours turned into weights."""
        rich_background = background.rich_color
        out: list[Segment] = []
        for segment in segments:
            text, style, control = segment
            if style is None or control:
                out.append(segment)
                continue
            new, padding = weighted(style, is_glyphs(text), rich_background)
            core = text.strip(" ")
            if padding is None or core == text or not core:
                out.append(Segment(text, new))
                continue
            lead = len(text) - len(text.lstrip(" "))
            out.extend(Segment(part, part_style) for part, part_style in
                       ((text[:lead], padding), (core, new), (text[lead + len(core):], padding)) if part)
        return out


# The 16 colours as Rich downgrades to them (its STANDARD_PALETTE): each of them maps back to itself.
NORMAL = [(0, 0, 0), (170, 0, 0), (0, 170, 0), (170, 85, 0), (0, 0, 170), (170, 0, 170), (0, 170, 170), (170, 170, 170)]
BRIGHT = [(85, 85, 85), (255, 85, 85), (85, 255, 85), (255, 255, 85), (85, 85, 255), (255, 85, 255), (85, 255, 255),
          (255, 255, 255)]
SIXTEEN = TerminalTheme((0, 0, 0), NORMAL[7], NORMAL, BRIGHT)
