"""Snapshots of the wall view at the war room's sizes (200x50, and 120x40 where it must stay sensible), staging and
production. Clocks, identity and journal times are fixed (tests/ui/wall_data.py). Update with `--snapshot-update` and review."""

from __future__ import annotations

from tests.ui.fake_engine import replay, world
from tests.ui.live_data import NOW, health_board
from tests.ui.screen_truth import alarms_read, services_read
from tests.ui.wall_data import journal_run, wall_app


async def trouble(pilot) -> None:
    """A minute of health history (the database DOWN, a page OVER), an alarm firing, a rollout failed."""
    app = pilot.app
    await replay(pilot, world(app, NOW, health_board(app.runbook), alarms=[alarms_read("avnz-api-5xx-errors")],
                              services=[services_read(True)]))


def test_wall_200x50(snap_compare, state_file):
    journal_run(state_file)
    assert snap_compare(wall_app(state_file), terminal_size=(200, 50), run_before=trouble)


def test_wall_120x40(snap_compare, state_file):
    journal_run(state_file)
    assert snap_compare(wall_app(state_file), terminal_size=(120, 40), run_before=trouble)


def test_wall_production_200x50(snap_compare, state_file):
    journal_run(state_file, env="production")
    assert snap_compare(wall_app(state_file, env="production"), terminal_size=(200, 50), run_before=trouble)


def test_wall_no_color_200x50(snap_compare, state_file, monkeypatch):
    """NO_COLOR (issue 19, ui/few_colours.py): the errors black on white, the warnings bold and underlined, healthy plain."""
    monkeypatch.setenv("NO_COLOR", "1")
    journal_run(state_file)
    assert snap_compare(wall_app(state_file), terminal_size=(200, 50), run_before=trouble)
