"""How a shared journal is followed (JournalFollowing): polling is said on the cockpit (a warning, and in the help)
and on the wall (the phases box's title); back to live, the wall's title is cleared and the cockpit says so."""

from __future__ import annotations

import io

from rich.console import Console

from cockpit.engine.events import JournalFollowing
from cockpit.ui.widgets.wall_run import WallPhases
from tests.conftest import make_app, settle
from tests.ui.wall_data import journal_run, wall_app

POLLING = JournalFollowing("polling", "shared journal: polling every 1 s (no LISTEN/NOTIFY): no echo within 3 s")
LIVE = JournalFollowing("listening", "shared journal: live (LISTEN/NOTIFY)")


def notifications(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


def help_text(app) -> str:
    console = Console(width=300, record=True, file=io.StringIO())
    console.print(app.screen._body)
    return console.export_text()


async def test_the_cockpit_warns_of_polling_and_the_help_says_how_the_journal_is_followed(state_file):
    app = make_app(state_file, fake=True)
    async with app.run_test(size=(160, 48)) as pilot:
        app.engine.replay([POLLING])
        await settle(pilot)
        assert notifications(app) == [POLLING.text]
        await pilot.press("question_mark")
        await pilot.pause()
        assert POLLING.text in help_text(app)
        await pilot.press("escape")
        await pilot.pause()
        app.engine.replay([LIVE])
        await settle(pilot)
        assert notifications(app)[-1] == LIVE.text  # back to live after polling: said too
        await pilot.press("question_mark")
        await pilot.pause()
        assert LIVE.text in help_text(app) and "polling" not in help_text(app)


async def test_a_live_doorbell_from_the_start_is_no_news(state_file):
    app = make_app(state_file, fake=True)
    async with app.run_test(size=(160, 48)) as pilot:
        app.engine.replay([LIVE])
        await settle(pilot)
        assert notifications(app) == []


async def test_the_wall_says_polling_in_the_phases_title_until_live_again(state_file):
    journal_run(state_file)
    app = wall_app(state_file)
    async with app.run_test(size=(200, 50)) as pilot:
        app.engine.replay([POLLING])
        await pilot.pause()
        phases = app.screen.query_one(WallPhases)
        assert str(phases.border_subtitle).startswith("shared journal: polling every 1 s (no LISTEN/NOTIFY)")
        app.engine.replay([LIVE])
        await pilot.pause()
        assert str(phases.border_subtitle) == ""
