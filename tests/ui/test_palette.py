"""The command palette (ctrl+p) offers cockpit's actions and runs them as their keys do; a
read-only cockpit says why it refuses a key (or an entry) instead of doing nothing."""

from __future__ import annotations

from textual.command import CommandList, CommandPalette

from cockpit.ui.screens.cockpit import CockpitScreen
from cockpit.ui.screens.help import HelpScreen
from cockpit.ui.screens.trouble import TroubleScreen
from cockpit.ui.widgets.checklist import Checklist
from cockpit.ui.widgets.logs_pane import LogsPane
from tests.conftest import make_app
from tests.ui.test_checklist import journal_events, prompt, settle


async def open_palette(pilot, query: str = "") -> CommandList:
    """ctrl+p, type `query`, and wait for the list of hits."""
    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, CommandPalette))
    if query:
        await pilot.press(*query)
    commands = pilot.app.screen.query_one(CommandList)
    await wait_for(pilot, lambda: commands.option_count > 0)
    return commands


async def wait_for(pilot, condition, attempts: int = 200) -> None:
    """Pause until `condition()` holds (the palette gathers its hits in a worker)."""
    for _ in range(attempts):
        if condition():
            return
        await pilot.pause(0.02)
    assert condition()


def titles(commands: CommandList) -> list[str]:
    return [str(commands.get_option_at_index(i).hit.text) for i in range(commands.option_count)]


async def choose(pilot, commands: CommandList, title: str) -> None:
    """Highlight the entry called `title` and press enter on it."""
    await wait_for(pilot, lambda: title in titles(commands))
    await pilot.app.workers.wait_for_complete()  # every hit gathered: the list is not rebuilt under us
    await pilot.pause()
    commands.highlighted = titles(commands).index(title)
    await pilot.press("enter")
    await wait_for(pilot, lambda: not isinstance(pilot.app.screen, CommandPalette))
    await pilot.pause()


def notifications(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_the_palette_lists_cockpit_actions_with_help(state_file):
    app = make_app(state_file)
    async with app.run_test(size=(160, 48)) as pilot:
        commands = await open_palette(pilot)
        await wait_for(pilot, lambda: "Quit" in titles(commands))
        listed = titles(commands)
        for title in ("Run check", "Tick / untick step", "Note on step", "Rollback", "Next pane", "Previous pane",
                      "Show pane: Checklist", "Show pane: Health", "Show pane: Latency", "Show pane: Logs",
                      "Show pane: Alarms", "Show pane: Services", "Show pane: Flags", "Logs: next tab",
                      "Logs: tab redis", "Logs: save tab", "Logs: follow on/off", "Logs: wrap on/off", "Help", "Quit"):
            assert title in listed, title
        assert listed.count("Quit") == 1  # ours (q), not Textual's as well
        assert "Trouble menu" not in listed  # only cockpit demo has trouble to make
        tick = commands.get_option_at_index(listed.index("Tick / untick step")).hit
        assert tick.help.startswith("space · tick or untick the selected step")


async def test_help_from_the_palette_opens_the_help(state_file):
    app = make_app(state_file)
    async with app.run_test(size=(120, 40)) as pilot:
        commands = await open_palette(pilot, "help")
        await choose(pilot, commands, "Help")
        assert isinstance(app.screen, HelpScreen)


async def test_tick_from_the_palette_ticks_the_selected_step_in_the_journal(state_file):
    app = make_app(state_file)
    async with app.run_test(size=(160, 48)) as pilot:
        assert app.screen.query_one(Checklist).selected().id == "pre-typescript"
        commands = await open_palette(pilot, "tick")
        await choose(pilot, commands, "Tick / untick step")
        await settle(pilot)
        assert prompt(app, "pre-typescript").startswith("[x]")
    assert [(e.step_id, e.kind) for e in journal_events(state_file)] == [("pre-typescript", "tick")]


async def test_palette_entries_keep_the_keys_guards(state_file):
    """Away from the checklist, a tick from the palette is refused as the space key's is."""
    app = make_app(state_file)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("tab")  # the health pane
        commands = await open_palette(pilot, "tick")
        await choose(pilot, commands, "Tick / untick step")
        await settle(pilot)
        assert any("tab to the checklist" in n for n in notifications(app))
        assert prompt(app, "pre-typescript").startswith("[ ]")
    assert not journal_events(state_file)


async def test_palette_moves_between_panes_and_drives_the_logs(state_file):
    app = make_app(state_file)
    async with app.run_test(size=(80, 24)) as pilot:  # compact: one pane at a time
        screen = app.screen
        assert isinstance(screen, CockpitScreen)
        commands = await open_palette(pilot, "alarms")
        await choose(pilot, commands, "Show pane: Alarms")
        assert screen.active_pane == 4 and screen.query_one("#alarms-pane").display
        commands = await open_palette(pilot, "wrap")
        await choose(pilot, commands, "Logs: wrap on/off")  # brings the logs into view, then wraps
        logs = screen.query_one(LogsPane)
        assert screen.active_pane == 3 and logs.display and all(tab.wrap for tab in logs.tabs.values())
        commands = await open_palette(pilot, "tab momentum")
        await choose(pilot, commands, "Logs: tab momentum")
        await pilot.pause()
        assert logs.current().log_query.id == "momentum" and app.focused is logs.current().view


class FakeDemo:
    """Enough of the demo's TroubleSource for the trouble menu."""

    def __init__(self) -> None:
        self.actions: list = []
        self.on_gone = None

    def run(self, key: str) -> str:
        return "done"

    def refresh(self) -> list:
        return self.actions


async def test_in_the_demo_the_palette_offers_the_trouble_menu(state_file):
    app = make_app(state_file, demo=FakeDemo())
    async with app.run_test(size=(160, 48)) as pilot:
        commands = await open_palette(pilot, "trouble")
        await choose(pilot, commands, "Trouble menu")
        assert isinstance(app.screen, TroubleScreen)


# --- read-only: a refused key says why -----------------------------------------------------

def footer_keys(app) -> set[str]:
    return {binding.action for _, binding, _, _ in app.screen.active_bindings.values() if binding.show}


async def test_read_only_keys_say_why_and_stay_out_of_the_footer(tmp_path):
    state_file = tmp_path / "ro.sqlite3"
    app = make_app(state_file, read_only=True)
    async with app.run_test(size=(160, 48)) as pilot:
        assert not {"toggle_step", "note", "screen.run_check"} & footer_keys(app)
        for key, what in (("space", "tick steps"), ("n", "add notes"), ("enter", "run checks")):
            app.clear_notifications()
            await pilot.press(key)
            await pilot.pause()
            assert notifications(app) == [f"read-only: this cockpit cannot {what} (started with --read-only)"], key
            assert app.screen.query_one(Checklist).selected().id == "pre-typescript"
        assert isinstance(app.screen, CockpitScreen)  # no note dialog opened
        assert prompt(app, "pre-typescript").startswith("[ ]")
        app.clear_notifications()
        commands = await open_palette(pilot, "tick")
        await wait_for(pilot, lambda: "Tick / untick step" in titles(commands))
        hit = commands.get_option_at_index(titles(commands).index("Tick / untick step")).hit
        assert hit.help.endswith("(refused here: read-only)")
        await choose(pilot, commands, "Tick / untick step")
        await settle(pilot)
        assert notifications(app) == ["read-only: this cockpit cannot tick steps (started with --read-only)"]
        assert prompt(app, "pre-typescript").startswith("[ ]")
    assert not state_file.exists()


async def test_the_keys_work_as_before_when_not_read_only(state_file):
    app = make_app(state_file)
    async with app.run_test(size=(160, 48)) as pilot:
        assert {"toggle_step", "note", "screen.run_check"} <= footer_keys(app)
        await pilot.press("n")
        await pilot.pause()
        assert not isinstance(app.screen, CockpitScreen)  # the note dialog
        assert not any("read-only" in n for n in notifications(app))
