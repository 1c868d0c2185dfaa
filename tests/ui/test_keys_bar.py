"""The keys bar: the keys the Footer showed, in the same situations, and no widgets left behind.

Textual 8.2.8's Footer kept every `FooterKey` it had ever composed alive (issue 16; the
numbers are in bench/README.md, `bench/footer_memory.py`). These tests count objects,
never time.
"""

from __future__ import annotations

import gc

from textual.widget import Widget

from cockpit.ui.widgets.keys_bar import KeysBar
from tests.conftest import make_app
from tests.ui.test_palette import FakeDemo

FOCUS_CHANGES = 40


def live_widgets() -> int:
    gc.collect()
    return sum(isinstance(o, Widget) for o in gc.get_objects())


def shown(app) -> list[str]:
    return [key.description for key in app.screen.query_one(KeysBar).keys]


def footer_would_show(app) -> list[str]:
    """What Textual's Footer composes from the same bindings (one key per action, `show` only)."""
    seen: dict[str, str] = {}
    for _, binding, _, _ in app.screen.active_bindings.values():
        if binding.show:
            seen.setdefault(binding.action, binding.description)
    return list(seen.values())


async def test_focus_changes_leave_no_widgets_behind(state_file):
    app = make_app(state_file)
    async with app.run_test(size=(80, 24)) as pilot:  # one pane at a time: the keys change with it
        await pilot.press("tab", "tab", "tab", "shift+tab", "shift+tab", "shift+tab")
        await pilot.pause()
        before = live_widgets()
        seen = set()
        for i in range(FOCUS_CHANGES):
            await pilot.press("shift+tab" if i % 3 == 2 else "tab")
            seen.add(tuple(footer_would_show(app)))
        await pilot.pause()
        growth = live_widgets() - before
        assert len(seen) > 1  # the keys to show did change (the logs pane has keys of its own)
        # Textual's Footer left ~15 FooterKey widgets alive per focus change (~600 here).
        assert growth <= 5, f"{growth} more live widgets after {FOCUS_CHANGES} focus changes"
        assert not app.screen.query_one(KeysBar).children


async def test_the_bar_shows_what_the_footer_showed(state_file):
    app = make_app(state_file)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert shown(app) == footer_would_show(app)
        assert {"Run check", "Tick", "Note", "Rollback", "Help", "Quit"} <= set(shown(app))
        assert "Trouble" not in shown(app)  # only cockpit demo has trouble to make
        assert app.screen.query_one(KeysBar).palette.description == "palette"
        for _ in range(3):  # the logs pane: its keys join the bar
            await pilot.press("tab")
        await pilot.pause()
        assert shown(app) == footer_would_show(app)
        assert {"Filter", "Follow", "Search", "Wrap"} <= set(shown(app))


async def test_read_only_hides_the_refused_keys(tmp_path):
    app = make_app(tmp_path / "ro.sqlite3", read_only=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert shown(app) == footer_would_show(app)
        assert not {"Run check", "Tick", "Note"} & set(shown(app))
        assert "Rollback" in shown(app)  # its modal says why not


async def test_the_demo_offers_trouble(state_file):
    app = make_app(state_file, demo=FakeDemo())
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert "Trouble" in shown(app)
        assert "Trouble" in app.screen.query_one(KeysBar).render().plain


async def test_a_click_on_a_pair_presses_its_key(state_file):
    app = make_app(state_file)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        bar = app.screen.query_one(KeysBar)
        text = bar.render().plain
        await pilot.click(KeysBar, offset=(text.index("Help") + 1, 0))
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
