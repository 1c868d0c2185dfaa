"""The logs and alarms panes driven by reports (what the follower threads post), through the keys."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from rich.cells import cell_len
from rich.text import Text
from textual.events import Key

from cockpit.engine.commands import SetFilter
from cockpit.engine.events import FOLLOWING, AlarmsFailed, AlarmsRead, PatternOutcome, TailEvents, TailStatus
from cockpit.probes.aws.alarms import NOT_FOUND, AlarmState
from cockpit.probes.aws.logs import LogEvent
from cockpit.runbook import load_runbook
from cockpit.ui.screens.cockpit import PANES
from cockpit.ui.screens.note import NoteScreen
from cockpit.ui.widgets.alarms_pane import AlarmsPane
from cockpit.ui.widgets.header import CockpitHeader
from cockpit.ui.widgets.logs_pane import LogsPane
from tests.conftest import FIXED_NOW, make_app, settle, verdict_line

T0 = int(FIXED_NOW.timestamp() * 1000)
STREAM = "ecs/avnz-api/3f2a9c1e5b7d4e0f"


def events(*messages: str, start: int = 0) -> tuple[LogEvent, ...]:
    return tuple(LogEvent(T0 + (start + i) * 1000, STREAM, m, str(start + i)) for i, m in enumerate(messages))


async def to_logs(pilot) -> LogsPane:
    for _ in range(3):  # checklist → health → latency → logs
        await pilot.press("tab")
    pane = pilot.app.screen.query_one(LogsPane)
    assert pilot.app.focused is pane.current().view
    return pane


async def report(pilot, item) -> None:
    """`item` as the engine's source would report it: a fake engine replays it; a real one takes it (alarms are
    journaled) and sends its batch at once."""
    engine = pilot.app.engine
    if hasattr(engine, "replay"):
        engine.replay([item])
    else:
        if isinstance(item, (AlarmsRead, AlarmsFailed)):
            engine.engine.take_alarms(item)
        else:
            engine.engine.emit(item)
        engine.engine.flush_now()
    await pilot.pause()


def requested(app) -> list[tuple[str, str]]:
    """The filter patterns the screen asked the (fake) engine for."""
    return [(c.query_id, c.pattern) for c in app.engine.commands if isinstance(c, SetFilter)]


def status(pane: LogsPane) -> str:
    pane.show_status(pane.app.monotonic())
    return str(pane.current().query_one(".log-status").render())


async def test_events_stream_in_and_follow_off_holds_them(state_file):
    app = make_app(state_file)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await to_logs(pilot)
        await report(pilot, TailEvents("redis", 0, events("Redis pool ok", "Redis reconnect")))
        view = pane.current().view
        assert list(view.lines) == ["21:00:00.000 3f2a9c1e5b7d Redis pool ok", "21:00:01.000 3f2a9c1e5b7d Redis reconnect"]
        await pilot.press("f")
        await report(pilot, TailEvents("redis", 0, events("Redis later", start=2)))
        assert len(view.lines) == 2 and "+1 new (f: follow)" in status(pane) and "paused" in status(pane)
        await pilot.press("f")
        assert view.lines[-1].endswith("Redis later") and "+1 new" not in status(pane)
        await report(pilot, TailEvents("momentum", 0, events("momentum save flow failed")))
        assert len(view.lines) == 3  # the other tab's event went to the other tab
        await pilot.press("right_square_bracket")
        assert pane.current().log_query.id == "momentum" and list(pane.current().view.lines)[0].endswith("momentum save flow failed")
        assert pane.current().view in pane.current().query("*")  # DOM queries (select-all uses them) still work on a tab


async def test_markup_and_escapes_in_messages_stay_literal(state_file):
    app = make_app(state_file)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await to_logs(pilot)
        await report(pilot, TailEvents("redis", 0, events("Redis [bold red]not bold[/] [link=x]y[/link]")))
        assert pane.current().view.lines[0].endswith("Redis [bold red]not bold[/] [link=x]y[/link]")
        rendered = "".join(seg.text for seg in pane.current().view.render_line(0))
        assert "[bold red]not bold[/]" in rendered


async def test_a_new_filter_pattern_is_asked_for_and_a_rejected_one_is_shown(state_file):
    app = make_app(state_file, fake=True)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await to_logs(pilot)
        await report(pilot, TailEvents("redis", 0, events("Redis one")))
        await pilot.press("slash")
        assert isinstance(app.screen, NoteScreen) and app.screen.query_one("#note-input").value == "Redis"
        app.screen.query_one("#note-input").value = "{ $.level"
        await pilot.press("enter")
        await pilot.pause()
        assert requested(app) == [("redis", "{ $.level")]
        assert "applying '{ $.level'" in status(pane)
        await report(pilot, PatternOutcome("redis", "{ $.level", 0, "/ecs/avnz-api: InvalidParameterException: Invalid filter pattern"))
        text = status(pane)
        assert "rejected, still showing 'Redis'" in text and "Invalid filter pattern" in text
        assert list(pane.current().view.lines)[0].endswith("Redis one")  # the old stream stays
        await report(pilot, PatternOutcome("redis", "ERROR", 1))
        await report(pilot, TailEvents("redis", 0, events("Redis stale, from the old pattern", start=5)))
        await report(pilot, TailEvents("redis", 1, events("ERROR new", start=6)))
        assert [line.split(" ", 2)[2] for line in pane.current().view.lines] == ["ERROR new"]
        assert "filter 'ERROR'" in status(pane) and "rejected" not in status(pane)


async def test_search_highlights_and_jumps(state_file):
    app = make_app(state_file)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await to_logs(pilot)
        await report(pilot, TailEvents("redis", 0, events(*[f"line {i}" for i in range(200)], "needle here")))
        view = pane.current().view
        await pilot.press("s")
        app.screen.query_one("#note-input").value = "NEEDLE"
        await pilot.press("enter")
        await pilot.pause()
        assert view.matching_lines() == [200]
        assert view.scroll_offset.y <= 200 < view.scroll_offset.y + view.size.height
        assert not pane.current().follow  # jumping back pauses follow
        strip = view.render_line(200 - int(view.scroll_offset.y))
        assert any(seg.text.lower() == "needle" and seg.style and seg.style.reverse for seg in strip)
        assert "search 'NEEDLE': 1" in pane.border_subtitle


async def test_wrap_and_time_zone_reformat_from_the_events(state_file):
    app = make_app(state_file)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await to_logs(pilot)
        await report(pilot, TailEvents("redis", 0, events("Redis " + "x" * 500)))
        view = pane.current().view
        assert len(view.lines) == 1
        await pilot.press("w")
        assert len(view.lines) > 3 and all(len(line) <= view.size.width for line in view.lines)
        await pilot.press("w")
        assert len(view.lines) == 1
        await pilot.press("t")
        assert "local time" in pane.border_subtitle
        assert view.lines[0].startswith("21:00:00.000")  # TZ=UTC in the tests: the same digits


async def save_as(pilot, name: str) -> None:
    await pilot.press("S")
    pilot.app.screen.query_one("#note-input").value = name
    await pilot.press("enter")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_save_writes_the_buffer_and_never_overwrites(state_file, tmp_path):
    app = make_app(state_file)
    async with app.run_test(size=(120, 40)) as pilot:
        await to_logs(pilot)
        await report(pilot, TailEvents("redis", 0, events("Redis one", "Redis two")))
        target = tmp_path / "saved.log"
        await save_as(pilot, str(target))
        first = target.read_text()
        await report(pilot, TailEvents("redis", 0, events("Redis three", start=2)))
        await save_as(pilot, str(target))
        assert target.read_text() == first  # the second save did not overwrite it
        assert any("not saved" in str(n.message) and "exists" in str(n.message) for n in app._notifications)
        lines = first.splitlines()
        assert lines[0].startswith("# /ecs/avnz-api filter 'Redis', saved ")
        assert lines[2:] == ["21:00:00.000 3f2a9c1e5b7d Redis one", "21:00:01.000 3f2a9c1e5b7d Redis two"]
        await save_as(pilot, "~nosuchuser-cockpit/saved.log")  # a typo in a path is a message, not a crash
        assert app.is_running and any("not saved" in str(n.message) and "nosuchuser" in str(n.message) for n in app._notifications)


async def test_search_terms_and_tab_names_are_never_markup(state_file):
    runbook = load_runbook()
    queries = tuple(replace(q, id=new) for q, new in zip(runbook.log_queries, ("5xx", "b-red")))
    app = make_app(state_file, runbook=replace(runbook, log_queries=queries))
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await to_logs(pilot)
        await report(pilot, TailEvents("5xx", 0, events("GET [/api] [red]x")))
        for term in ("[/api]", "[/]", "[red]x"):
            await pilot.press("s")
            app.screen.query_one("#note-input").value = term
            await pilot.press("enter")
            await pilot.pause()
            assert app.is_running and f"search {term!r}" in Text.from_markup(str(pane.border_subtitle)).plain


async def test_a_search_without_matches_leaves_follow_on(state_file):
    app = make_app(state_file)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await to_logs(pilot)
        await report(pilot, TailEvents("redis", 0, events("Redis one")))
        await pilot.press("s")
        app.screen.query_one("#note-input").value = "nowhere"
        await pilot.press("enter")
        await pilot.pause()
        assert pane.current().follow and any("no line matches 'nowhere'" in str(n.message) for n in app._notifications)


async def test_going_back_to_the_current_pattern_cancels_a_pending_one(state_file):
    app = make_app(state_file, fake=True)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await to_logs(pilot)
        for value in ("ERROR", "Redis"):
            await pilot.press("slash")
            app.screen.query_one("#note-input").value = value
            await pilot.press("enter")
            await pilot.pause()
        assert requested(app) == [("redis", "ERROR"), ("redis", "Redis")]
        await report(pilot, PatternOutcome("redis", "ERROR", 1))  # the older request's answer
        assert "applying 'Redis'" in status(pane)


async def test_wrapped_the_whole_buffer_stays_reachable(state_file):
    runbook = load_runbook()
    runbook = replace(runbook, cloudwatch=replace(runbook.cloudwatch, buffer_lines=100))
    app = make_app(state_file, runbook=runbook)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await to_logs(pilot)
        await report(pilot, TailEvents("redis", 0, events(*[f"Redis {i} " + "x" * 300 for i in range(100)])))
        await pilot.press("w")
        assert "Redis 0 " in pane.current().view.lines[0]


async def test_a_full_buffer_drops_the_oldest_and_says_so(state_file):
    runbook = load_runbook()
    runbook = replace(runbook, cloudwatch=replace(runbook.cloudwatch, buffer_lines=3))
    app = make_app(state_file, runbook=runbook)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await to_logs(pilot)
        await report(pilot, TailEvents("redis", 0, events(*[f"Redis {i}" for i in range(5)]), trimmed=2))
        assert [line.split(" ", 2)[2] for line in pane.current().view.lines] == ["Redis 2", "Redis 3", "Redis 4"]
        assert "7 events" in status(pane) and "4 dropped (buffer 3)" in status(pane)


async def test_throttling_shows_a_countdown(state_file):
    app = make_app(state_file, monotonic=lambda: 1000.0)  # a frozen clock: the countdown is exact
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await to_logs(pilot)
        await report(pilot, TailStatus("redis", "throttled", "/ecs/avnz-api: ThrottlingException: Rate exceeded", 8.0))
        assert "throttled, retrying in 8 s" in status(pane) and "Rate exceeded" in status(pane)
        await report(pilot, TailStatus("redis", FOLLOWING))
        assert "● live · polled" in status(pane) and "throttled" not in status(pane)


SINCE = datetime(2026, 11, 27, 20, 48, tzinfo=UTC)


async def test_alarm_state_changes_turn_the_header_red_and_are_journaled(state_file):
    app = make_app(state_file)
    async with app.run_test(size=(160, 48)) as pilot:
        ok = AlarmState("avnz-api-5xx-errors", "OK", SINCE, "Threshold Crossed: no datapoints")
        fire = AlarmState("avnz-api-5xx-errors", "ALARM", SINCE, "Threshold Crossed: 1 datapoint [5.0] > 1.0")
        missing = AlarmState("avnz-db-pool-exhausted", NOT_FOUND)
        redis = AlarmState("avnz-redis-connection", "OK", SINCE, "ok")
        await report(pilot, AlarmsRead((ok, redis, missing)))
        header = app.screen.query_one(CockpitHeader)
        assert not header.has_class("-alarm")
        await report(pilot, AlarmsRead((fire, redis, missing)))
        assert header.has_class("-alarm") and "ALARM avnz-api-5xx-errors" in verdict_line(app)
        body = str(app.screen.query_one(AlarmsPane).body(app.monotonic(), FIXED_NOW))
        assert "ALARM     avnz-api-5xx-errors 12m\n" in body and "since 20:48 UTC (12 min)" in body
        assert body.index("avnz-api-5xx-errors") < body.index("avnz-redis-connection")  # problems first
        assert "no such alarm in CloudWatch" in body and "1 datapoint [5.0]" in body
        assert any("avnz-api-5xx-errors: ALARM (was OK)" in str(n.message) for n in app._notifications)
        await settle(pilot)
    events_ = [e for e in app.session.events_after(0) if e.kind == "alarm"]
    assert [(e.step_id, e.payload["state"], e.payload["previous"]) for e in events_] == [
        ("alarm:avnz-api-5xx-errors", "OK", ""), ("alarm:avnz-redis-connection", "OK", ""),
        ("alarm:avnz-db-pool-exhausted", NOT_FOUND, ""), ("alarm:avnz-api-5xx-errors", "ALARM", "OK")]
    # A restart sees the same states: nothing is journaled again.
    again = make_app(state_file)
    async with again.run_test(size=(160, 48)) as pilot:
        await settle(pilot)  # its journal read comes first: what it has is not journaled again
        await report(pilot, AlarmsRead((fire, redis, missing)))
        await settle(pilot)
    assert len([e for e in again.session.events_after(0) if e.kind == "alarm"]) == 4


async def test_alarm_read_failures_are_shown(state_file):
    app = make_app(state_file, monotonic=lambda: 1000.0)  # a frozen clock: the countdown is exact
    async with app.run_test(size=(160, 48)) as pilot:
        await report(pilot, AlarmsFailed("alarms: Throttling: Rate exceeded", True, 30.0))
        body = str(app.screen.query_one(AlarmsPane).body(app.monotonic(), FIXED_NOW))
        assert "throttled, retrying in 30 s" in body and "Rate exceeded" in body
        assert "ALARMS UNREAD" in verdict_line(app)


async def test_a_full_buffer_still_shows_the_newest_lines(state_file):
    # Textual's Log, at max_lines, neither scrolls nor repaints after write_lines: the screen froze.
    runbook = load_runbook()
    runbook = replace(runbook, cloudwatch=replace(runbook.cloudwatch, buffer_lines=50))
    app = make_app(state_file, runbook=runbook)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await to_logs(pilot)
        view = pane.current().view
        await report(pilot, TailEvents("redis", 0, events(*[f"Redis {i}" for i in range(60)])))
        repaints = []
        real_refresh = view.refresh
        view.refresh = lambda *a, **k: (repaints.append(a), real_refresh(*a, **k))[1]  # type: ignore[method-assign]
        for batch in range(3):
            before = len(repaints)
            await report(pilot, TailEvents("redis", 0, events(*[f"Redis late {batch}"], start=100 + batch)))
            await pilot.pause()
            assert any(not args for args in repaints[before:]), "no full repaint after writing to a full Log"
            bottom = view.size.height - 1 - (1 if view.show_horizontal_scrollbar else 0)
            assert f"Redis late {batch}" in "".join(seg.text for seg in view.render_line(bottom))


def bottom_line(view) -> str:
    """The text on the view's last visible row."""
    bottom = view.size.height - 1 - (1 if view.show_horizontal_scrollbar else 0)
    return "".join(seg.text for seg in view.render_line(bottom))


async def test_after_a_new_filter_the_view_still_follows_the_newest_lines(state_file):
    """Seen in the demo: the view cleared for the new pattern stayed at the top of the new stream while '● following'."""
    app = make_app(state_file)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await to_logs(pilot)
        view = pane.current().view
        await report(pilot, TailEvents("redis", 0, events(*[f"Redis {i}" for i in range(200)])))
        await pilot.pause()
        assert bottom_line(view).rstrip().endswith("Redis 199")
        await report(pilot, PatternOutcome("redis", "", 1))  # accepted: the view is cleared for the new stream
        await report(pilot, TailEvents("redis", 1, events(*[f"any {i}" for i in range(300)])))
        await pilot.pause()
        assert "any 299" in bottom_line(view)
        await report(pilot, TailEvents("redis", 1, events("any newest", start=300)))
        await pilot.pause()
        assert "any newest" in bottom_line(view)


async def test_after_the_terminal_shrinks_the_view_still_follows_the_newest_lines(state_file):
    """Seen in the demo: after a resize the last line scrolled out of sight and stayed there while '● following'."""
    app = make_app(state_file)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await to_logs(pilot)
        view = pane.current().view
        await report(pilot, TailEvents("redis", 0, events(*[f"Redis {i}" for i in range(200)])))
        await pilot.pause()
        await pilot.resize_terminal(120, 30)
        await pilot.pause()
        await report(pilot, TailEvents("redis", 0, events("Redis after the resize", start=200)))
        await pilot.pause()
        assert "Redis after the resize" in bottom_line(view)
        await pilot.resize_terminal(100, 24)
        await pilot.pause()
        await report(pilot, TailEvents("redis", 0, events("Redis after the second resize", start=201)))
        await pilot.pause()
        assert "Redis after the second resize" in bottom_line(view)


async def test_scrolling_back_to_read_pauses_and_f_follows_again(state_file):
    """While following, new lines would yank the view to the end: scrolling back pauses it, as f does."""
    app = make_app(state_file)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await to_logs(pilot)
        view = pane.current().view
        await report(pilot, TailEvents("redis", 0, events(*[f"Redis {i}" for i in range(200)])))
        await pilot.press("pageup")
        await pilot.pause()
        assert not pane.current().follow and "paused" in status(pane)
        reading = bottom_line(view)
        await report(pilot, TailEvents("redis", 0, events("Redis newer", start=200)))
        assert bottom_line(view) == reading and "+1 new" in status(pane)
        await pilot.press("f")
        await pilot.pause()
        assert "Redis newer" in bottom_line(view) and "paused" not in status(pane)


async def test_scrolling_up_with_everything_on_screen_keeps_following(state_file):
    app = make_app(state_file)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await to_logs(pilot)
        await report(pilot, TailEvents("redis", 0, events("Redis one", "Redis two")))
        await pilot.press("up", "home")
        await pilot.pause()
        assert pane.current().follow


async def test_the_mouse_wheel_scrolls_back_one_step_and_pauses(state_file):
    app = make_app(state_file)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await to_logs(pilot)
        view = pane.current().view
        await report(pilot, TailEvents("redis", 0, events(*[f"Redis {i}" for i in range(200)])))
        await pilot.pause()
        end = view.scroll_y
        from textual.events import MouseScrollUp

        view.post_message(MouseScrollUp(view, 0, 0, 0, 0, 0, False, False, False))
        await pilot.pause()
        assert not pane.current().follow and 0 < end - view.scroll_y <= 3  # one wheel step, not two


# --- wrap is lossless; no-wrap never cuts a line clean ---------------------------------

def on_screen(view) -> list[str]:
    """The rows of `view` as the terminal shows them: only the cells inside its scrollbars."""
    region = view.scrollable_content_region
    strips = view.app.screen._compositor.render_strips()
    rows = [strips[y].crop(region.x, region.right) for y in range(region.y, region.bottom)]
    return ["".join(segment.text for segment in row) for row in rows]


def unwrapped(pieces: list[str], indent: int = 4) -> str:
    """Wrapped pieces joined back: the first as it is, the others without their indent."""
    assert all(piece.startswith(" " * indent) for piece in pieces[1:])
    return pieces[0] + "".join(piece[indent:] for piece in pieces[1:])


async def test_wrap_loses_no_character_at_any_wrap_point(state_file):
    """Seen: 'company=a' / 'me-freight' (the c of acme gone at a wrap point, hidden under the scrollbar)."""
    message = "Redis " + " ".join(f"company=acme-freight{i} 結算=完了" for i in range(6))
    app = make_app(state_file)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await to_logs(pilot)
        await report(pilot, TailEvents("redis", 0, events(message)))
        await pilot.press("w")
        await pilot.pause()
        view = pane.current().view
        line = pane.current().fmt.line(pane.current().buffer.events[0])
        pieces = list(view.lines)
        assert len(pieces) > 2 and unwrapped(pieces) == line
        width = view.scrollable_content_region.width
        rows = on_screen(view)
        for piece, row in zip(pieces, rows):  # every cell of every piece is on screen, none under the scrollbar
            assert row == piece + " " * (width - cell_len(piece))
        assert view.max_scroll_x == 0  # nothing to scroll to sideways


async def test_without_wrap_a_long_line_scrolls_sideways_to_its_end(state_file):
    """No wrap: the end of a line wider than the view is never cut off clean: right scrolls to it."""
    app = make_app(state_file)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await to_logs(pilot)
        await report(pilot, TailEvents("redis", 0, events("Redis " + "x" * 150 + " THE-END")))
        view = pane.current().view
        await pilot.app.workers.wait_for_complete()  # Log measures line widths in a thread
        await pilot.pause()
        assert view.show_horizontal_scrollbar and view.max_scroll_x > 0
        assert "THE-END" not in on_screen(view)[0]
        for _ in range(10):  # page right (ctrl+pagedown) to the end of the line
            if view.scroll_x >= view.max_scroll_x:
                break
            await pilot.press("ctrl+pagedown")
            await pilot.pause()
        assert on_screen(view)[0].rstrip().endswith("x THE-END")


async def test_tab_moves_the_keyboard_at_once_so_keys_typed_ahead_follow_it(state_file):
    # A fast typist (or tmux send-keys) queues `tab tab tab ]` before the first is handled. The screen handles
    # `tab` (a priority binding, run by the app's task) and the `]` after it (forwarded to the screen's task);
    # with Widget.focus(), which moves the focus only when the app gets to a callback queued behind the keys,
    # the `]` could be handled while the latency pane still had the keyboard, and was lost (1 start in 3-5 of
    # bench.logs_throughput). The focus must have moved when the `tab` has been handled.
    app = make_app(state_file)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        for _ in range(3):
            screen.action_cycle_pane(1)  # what `tab` runs
        pane = screen.query_one(LogsPane)
        assert app.focused is pane.current().view  # now, not after the next message
        for key, character in [("tab", "\t")] * len(PANES) + [("right_square_bracket", "]")]:
            app.post_message(Key(key, character))  # once round every pane, as the driver posts keys: no wait between
        await settle(pilot)
        assert pane.current().log_query.id == "momentum"
        assert app.focused is pane.current().view
