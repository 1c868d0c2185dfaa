"""Few colours (cockpit/ui/few_colours.py, issue 19): under NO_COLOR an error is the loudest thing on screen (black on
white, reversed), a warning bold and underlined without a fill, healthy plain, and no text is dark on dark grey; on a
16-colour terminal red, yellow and green arrive as the terminal's own red, yellow and green."""

from __future__ import annotations

import pytest
from rich.color import Color as RichColor
from rich.color import ColorSystem
from rich.segment import Segment
from rich.style import Style
from textual.color import Color

from cockpit.ui.few_colours import SIXTEEN, StateWeights
from tests.conftest import make_app
from tests.ui.fake_engine import replay, world
from tests.ui.live_data import NOW, feed, health_board
from tests.ui.screen_truth import alarms_read, feed_world, services_read
from tests.ui.wall_data import journal_run, wall_app

WHITE, BLACK = (255, 255, 255), (0, 0, 0)
ERRORS = ("DOWN", "ALARM", "FAILED", "FAIL", "OVER", "redis DOWN", "ROLLOUT FAILED", "✗ ")
WARNINGS = ("DEGRADED", "NOW", "degraded", "! ")


def luminance(rgb) -> float:
    red, green, blue = rgb
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


def painted(app) -> list[dict]:
    """Every painted segment with a letter or digit: its text, the colours the eye sees (reverse undone), bold, underline."""
    out = []
    for row, strip in enumerate(app.screen._compositor.render_strips()):
        for segment in strip:
            style = segment.style
            if not style or not any(c.isalnum() for c in segment.text):
                continue
            ink, fill = tuple(style.color.get_truecolor()), tuple(style.bgcolor.get_truecolor())
            if style.reverse:
                ink, fill = fill, ink
            out.append({"row": row, "text": segment.text.strip(), "ink": ink, "fill": fill, "bold": bool(style.bold),
                        "underline": bool(style.underline), "contrast": abs(luminance(ink) - luminance(fill))})
    return out


def words(cells: list[dict], word: str) -> list[dict]:
    return [c for c in cells if c["text"].startswith(word)]


def assert_errors_loudest(cells: list[dict], errors) -> None:
    """Each error word black on white and bold: no fill on screen is lighter, no text contrasts more."""
    for word in errors:
        found = words(cells, word)
        assert found, word
        for cell in found:
            assert (cell["ink"], cell["fill"], cell["bold"]) == (BLACK, WHITE, True), (word, cell)


def assert_warnings_bold_underlined(cells: list[dict], warnings) -> None:
    """Each warning word bold, underlined, white on a dark fill (never a light one: that is an error's)."""
    for word in warnings:
        found = words(cells, word)
        assert found, word
        for cell in found:
            assert cell["bold"] and cell["underline"] and cell["ink"] == WHITE, (word, cell)
            assert luminance(cell["fill"]) < 0.25, (word, cell)


def assert_nothing_dark_on_dark(cells: list[dict]) -> None:
    """No text near-black on dark grey (the report: 237 on 234). Unfocused pane titles (Textual's) are the faintest."""
    faint = [c for c in cells if c["contrast"] < 0.2]
    assert not faint, faint[:5]


# The filter itself.

def weigh(text: str, style: str) -> list[tuple[str, Style]]:
    return [(s.text, s.style) for s in StateWeights().apply([Segment(text, Style.parse(style))], Color(18, 18, 18))]


def test_an_error_fill_or_red_word_is_reversed_black_on_white():
    for style in ("bold white on red", "bold red reverse", "bold red", "red", "bold bright_red"):
        [(text, weighted)] = weigh("DOWN", style)
        assert weighted.reverse and weighted.bold, style
        assert weighted.color.get_truecolor() == WHITE and weighted.bgcolor.get_truecolor() == BLACK  # reversed: white fill


def test_css_colour_names_count_as_much_as_ansi_ones():
    """Textual reads a name in CSS, or in a Rich Text's own style (`Text("DOWN", style="bold red")`), as CSS's RGB."""
    segments = [Segment("DOWN", Style(color=RichColor.from_rgb(255, 255, 255), bgcolor=RichColor.from_rgb(255, 0, 0))),
                Segment("degraded", Style(color=RichColor.from_rgb(255, 255, 0), bold=True)),
                Segment("all up", Style(color=RichColor.from_rgb(0, 128, 0), bold=True)),
                Segment("text", Style(color=RichColor.from_rgb(254, 0, 0)))]  # a colour no name gives: not a state
    down, degraded, up, other = StateWeights().apply(segments, Color(18, 18, 18))
    assert down.style.reverse and down.style.color.get_truecolor() == WHITE
    assert degraded.style.underline and not up.style.bold and other.style == segments[3].style


def test_red_text_keeps_its_padding_unfilled_and_red_bars_stay_bars():
    parts = weigh("    DOWN ", "bold red")
    assert [text for text, _ in parts] == ["    ", "DOWN", " "]
    assert not parts[0][1].reverse and parts[1][1].reverse and not parts[2][1].reverse
    assert weigh("DOWN     ", "bold white on red")[0][0] == "DOWN     "  # a badge's own fill covers its padding
    [(_, bars)] = weigh("▁▇█", "red")
    assert not bars.reverse and bars.bold and bars.color.get_truecolor() == WHITE  # a fill would hide the bars' height


def test_a_warning_is_bold_and_underlined_on_the_widget_background_and_healthy_is_plain():
    for style in ("bold black on yellow", "bold yellow", "yellow", "bold magenta"):
        weighted = weigh("DEGRADED", style)[0][1]
        assert weighted.bold and weighted.underline and not weighted.reverse, style
        assert weighted.color.get_truecolor() == WHITE
        assert weighted.bgcolor is None or weighted.bgcolor.get_truecolor() == (18, 18, 18)
    badge = weigh("NOW  ", "bold black on yellow")  # its fill is gone: its padding is not underlined either
    assert [text for text, _ in badge] == ["NOW", "  "] and badge[0][1].underline and not badge[1][1].underline
    assert badge[1][1].bgcolor.get_truecolor() == (18, 18, 18)
    healthy = weigh("HEALTHY", "bold green")[0][1]
    assert not healthy.bold and not healthy.underline and not healthy.reverse
    assert weigh("▁▂", "cyan")[0][1] == Style.parse("cyan")  # not a state's colour: left to Textual


def test_sixteen_gives_each_ansi_colour_back_to_the_terminal():
    for number in range(16):
        rgb = RichColor.from_ansi(number).get_truecolor(SIXTEEN)
        assert RichColor.from_rgb(*rgb).downgrade(ColorSystem.STANDARD).number == number


# On screen.

async def test_no_color_wall_an_error_is_the_loudest_thing(state_file, monkeypatch):
    """The user test: `redis DOWN`, `ALARM ...`, `ROLLOUT FAILED ...`, the DOWN/FAILED badges were the faintest
    things on the wall (light grey on a barely darker fill), the warning the brightest (dark on light grey)."""
    monkeypatch.setenv("NO_COLOR", "1")
    journal_run(state_file)
    app = wall_app(state_file)
    async with app.run_test(size=(200, 50)) as pilot:
        await feed(pilot)  # the database DOWN, the API degraded, a page over its limit
        await feed_world(pilot, failed_rollout=True, firing="avnz-api-5xx-errors", redis_down=True)
        cells = painted(app)
        assert_errors_loudest(cells, ("redis DOWN", "ALARM", "ROLLOUT FAILED", "DOWN", "FAILED", "FAIL", "OVER"))
        assert_warnings_bold_underlined(cells, ("NOW",))
        assert all(not c["bold"] for c in words(cells, "HEALTHY") + words(cells, "OK ")), "healthy is plain"
        assert max(luminance(c["fill"]) for c in cells if not c["text"].startswith(ERRORS)) <= luminance(WHITE)
        title = words(cells, "AVNZ")[0]  # the header's alarm state (red in colour): black on white
        assert (title["ink"], title["fill"]) == (BLACK, WHITE)
        assert_nothing_dark_on_dark(cells)


async def test_no_color_all_up_is_plain(state_file, monkeypatch):
    """`✓ all up` (a Rich Text's own style, read as CSS green) is plain text, legible, not bold."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(state_file, monotonic=lambda: NOW, fake=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await feed_world(pilot)
        [up] = words(painted(app), "✓ all up")
        assert not up["bold"] and up["contrast"] > 0.5, up


async def test_no_color_wall_degraded_is_a_warning_not_a_fill(state_file, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    journal_run(state_file)
    app = wall_app(state_file)
    async with app.run_test(size=(200, 50)) as pilot:
        await feed(pilot)
        cells = painted(app)
        assert_warnings_bold_underlined(cells, ("DEGRADED",))
        assert_errors_loudest(cells, ("DOWN",))


async def test_no_color_cockpit_health_table_and_verdict(state_file, monkeypatch):
    """The cockpit's own view: the Health table's `DOWN` of `api › database` and its reason were near-black on dark grey
    (237 on 234) while `healthy` was bold light grey."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(state_file, monotonic=lambda: NOW, fake=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await replay(pilot, world(app, NOW, health_board(app.runbook), alarms=[alarms_read("avnz-api-5xx-errors")],
                                  services=[services_read(True)]))
        cells = painted(app)
        assert_errors_loudest(cells, ("database DOWN", "ALARM avnz-api-5xx-errors", "ROLLOUT FAILED", "✗ database"))
        reason = [c for c in cells if c["text"].startswith("pool exhausted") and c["row"] > 5]
        assert reason and all((c["ink"], c["fill"]) == (BLACK, WHITE) for c in reason), reason  # api › database's reason
        table_down = [c for c in words(cells, "DOWN") if c["row"] > 5]
        assert table_down and all(c["contrast"] > 0.6 and c["bold"] for c in table_down), table_down
        assert_warnings_bold_underlined(cells, ("api degraded", "degraded", "! api"))
        healthy = words(cells, "healthy")
        assert healthy and all(not c["bold"] and c["contrast"] > 0.5 for c in healthy), healthy
        assert_nothing_dark_on_dark(cells)


@pytest.mark.parametrize("no_color", [False, True], ids=["colour", "no-color"])
async def test_sixteen_colours_red_is_the_terminals_red(state_file, monkeypatch, no_color):
    """TERM=xterm without COLORTERM: Rich picks 16 colours. Monokai's red came out magenta and its yellow (an orange)
    bright red: a warning redder than an error. Under NO_COLOR the greys stay Textual's (no colour to keep)."""
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.delenv("COLORTERM", raising=False)
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    journal_run(state_file)
    app = wall_app(state_file)
    async with app.run_test(size=(200, 50)) as pilot:
        await feed(pilot)
        assert app.console.color_system == "standard"
        assert (app.ansi_theme is SIXTEEN) is not no_color
        if no_color:
            return
        cells = painted(app)

        def standard(rgb) -> int:
            return RichColor.from_rgb(*rgb).downgrade(ColorSystem.STANDARD).number

        assert {standard(c["fill"]) for c in words(cells, "DOWN")} == {1}  # red
        assert {standard(c["fill"]) for c in words(cells, "DEGRADED")} == {3}  # yellow
        assert {standard(c["ink"]) for c in words(cells, "HEALTHY")} == {2}  # green


async def test_a_truecolor_terminal_keeps_textuals_ansi_theme(state_file):
    journal_run(state_file)
    app = wall_app(state_file)
    async with app.run_test(size=(120, 40)):
        assert app.console.color_system == "truecolor" and app.ansi_theme is not SIXTEEN
