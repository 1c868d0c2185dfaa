"""The demo's trouble menu shows what its fakes got: the Slack webhook's messages (as data), the runs, the deploys."""

from __future__ import annotations

from cockpit.ui.screens.trouble import TroubleScreen, fakes_text
from tests.conftest import make_app
from tests.ui.test_palette import FakeDemo

SHOWN = {
    "slack": [{"at": "03:30:02", "channel": "#engineering", "text": "Heads-up: [bold]AVNZ[/bold] \x1b[31mto staging\x1b]0;pwned\x07"}],
    "runs": ["run 9002 deploy-admin-dashboard.yml staging in_progress", "run 9001 deploy-api.yml staging completed/success"],
    "deploys": ["03:29:51 run 9001 deployed avnz-api:25 (sha-0002329)"],
}


class ShowingDemo(FakeDemo):
    def __init__(self) -> None:
        super().__init__()
        self.shown = SHOWN


async def test_the_trouble_menu_shows_what_the_fakes_got(state_file):
    app = make_app(state_file, demo=ShowingDemo())
    async with app.run_test(size=(120, 40)) as pilot:
        app.push_screen(TroubleScreen(app.demo))
        await pilot.pause()
        text = str(app.screen.query_one("#trouble-fakes").render())
    assert "Slack (fake webhook) received · last 1" in text
    assert "03:30:02 #engineering Heads-up: [bold]AVNZ[/bold] to staging" in text  # markup shown as text, escapes gone
    assert "\x1b" not in text and "\x07" not in text  # no colour, no title set
    assert "run 9001 deploy-api.yml staging completed/success" in text and "deployed avnz-api:25" in text


def test_nothing_received_yet_says_how_to_get_something():
    text = fakes_text({}).plain
    assert "Slack (fake webhook) received: nothing yet (run comms-engineering, or any slack step)" in text
    assert "GitHub (fake) runs: none yet (run b-deploy-staging)" in text
