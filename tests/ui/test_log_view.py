"""The log view measures its lines itself (no thread worker per write): the horizontal extent is the widest line in cells."""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import App, ComposeResult

from cockpit.core.logline import clean_message
from cockpit.ui.widgets.log_view import LogView


class ViewApp(App[None]):
    def compose(self) -> ComposeResult:
        yield LogView(100, id="view")


async def written(lines: list[str]) -> tuple[int, int]:
    """The view's virtual width right after writing `lines`, and how many workers the write started."""
    app = ViewApp()
    async with app.run_test(size=(40, 10)) as pilot:
        view = app.query_one(LogView)
        view.write_lines(lines)
        measured = view.virtual_size.width, len(app.workers)  # at once, in the writing call
        await pilot.pause()
        assert view.virtual_size.width == measured[0]
        return measured


async def test_ascii_lines_are_measured_by_length_without_a_worker():
    width, workers = await written(["short", "x" * 173, "medium line"])
    assert width == 173
    assert workers == 0


async def test_wide_characters_count_two_cells():
    line = "支付 " * 30  # 90 characters, 150 cells
    width, _ = await written(["ascii " * 5, line])
    assert width == cell_len(line) == 150


async def test_a_raw_tab_or_control_is_measured_as_drawn():
    # Lines reach the view cleaned; one that was not still gets Log's own treatment (tab expanded, control replaced).
    width, _ = await written(["a\tb", "ok"])
    assert width == len("a\tb".expandtabs())
    assert clean_message("a\tb").isprintable()  # what the engine sends has neither
