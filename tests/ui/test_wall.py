"""The wall view (`cockpit --wall`): every element on screen at the war-room sizes, from the engine's events and
the journal, with the age of every figure; and nothing on it changes anything."""

from __future__ import annotations

import pytest

from cockpit.cli import main
from cockpit.engine.events import AlarmsFailed, EngineProblem, JournalRead, VerdictChanged
from cockpit.journal import Journal
from cockpit.journal.session import RunSession
from cockpit.monitor.verdict import Verdict
from cockpit.runbook import load_runbook
from cockpit.ui.screens.wall import WallScreen
from cockpit.ui.widgets.wall_live import WallAlarms, WallHealth, WallServices
from cockpit.ui.widgets.wall_run import WallActions, WallChecks, WallPhases
from tests.conftest import verdict_line
from tests.ui.fake_engine import replay
from tests.ui.live_data import NOW, feed
from tests.ui.screen_truth import ALARMS, feed_world
from tests.ui.wall_data import SECOND, WALL_NOW, journal_run, wall_app

SIZES = [(200, 50), (120, 40)]
IDS = [f"{w}x{h}" for w, h in SIZES]
SERVICES = ("avnz-api", "avnz-admin-dashboard")


def screen_rows(app) -> list[str]:
    """The terminal's rows as they are painted now."""
    return ["".join(segment.text for segment in strip) for strip in app.screen._compositor.render_strips()]


def box_rows(app, box) -> list[str]:
    """The painted rows inside `box` (its border and padding left out)."""
    region = box.content_region
    strips = app.screen._compositor.render_strips()
    return ["".join(s.text for s in strips[y].crop(region.x, region.right)).rstrip() for y in range(region.y, region.bottom)]


def dimmed(box, needle: str) -> bool:
    """Whether the row of `box` that holds `needle` is dimmed from end to end (Textual paints `dim` as a faded colour)."""
    line = next((line for line in box._text.split("\n") if needle in line.plain), None)
    assert line is not None, f"{needle!r} is not in {box.id}"
    return any(span.start == 0 and span.end >= len(line.plain.rstrip()) and "dim" in str(span.style) for span in line.spans)


def inside_screen(app, box) -> bool:
    """The whole box is on screen (not below its bottom edge)."""
    return box.region.bottom <= app.screen.size.height and box.region.height > 2


@pytest.mark.parametrize("size", SIZES, ids=IDS)
async def test_every_alarm_and_every_service_on_one_line_each(state_file, size):
    journal_run(state_file)
    app = wall_app(state_file)
    async with app.run_test(size=size) as pilot:
        await feed_world(pilot, failed_rollout=True, firing="avnz-api-5xx-errors")
        alarms, services = app.screen.query_one(WallAlarms), app.screen.query_one(WallServices)
        assert inside_screen(app, alarms) and inside_screen(app, services)
        rows = box_rows(app, alarms)
        for name in ALARMS:
            holding = [row for row in rows if name in row]
            assert len(holding) == 1, (name, rows)
            assert holding[0].split()[0] == ("ALARM" if name == "avnz-api-5xx-errors" else "OK")  # its state, on its line
        rows = box_rows(app, services)
        for name in SERVICES:
            holding = [row for row in rows if name in row]
            assert len(holding) == 1, (name, rows)
        assert next(row for row in rows if "avnz-api:25" in row).startswith("FAILED")
        assert len([row for row in rows if row.strip()]) == len(SERVICES)  # no continuation line: nothing wrapped


@pytest.mark.parametrize("size", SIZES, ids=IDS)
async def test_health_rows_with_sparklines_figures_and_ages(state_file, size):
    journal_run(state_file)
    app = wall_app(state_file)
    async with app.run_test(size=size) as pilot:
        await feed(pilot)  # a minute of history: redis healthy, the database DOWN, the API degraded, a page over its limit
        health = app.screen.query_one(WallHealth)
        assert inside_screen(app, health)
        rows = [row for row in box_rows(app, health) if row.strip()]
        assert len(rows) == len(app.screen.health.views)  # every row, one line each
        assert rows[0].startswith("DOWN") and "database" in rows[0]  # problems first
        assert rows[0].endswith(" 2 s old")  # its DOWN is from the poll 2 s ago (its last latency is 31 s old)
        redis = next(row for row in rows if " redis " in row and "›" not in row)
        assert redis.startswith("HEALTHY") and any(c in redis for c in "▁▂▃▄▅▆▇█") and " ms" in redis and redis.endswith("s old")
        churn = next(row for row in rows if "/momentum/churn" in row)
        assert churn.startswith("OVER")


@pytest.mark.parametrize("size", SIZES, ids=IDS)
async def test_a_row_cockpit_was_too_busy_to_time_is_unknown_not_healthy(state_file, size):
    journal_run(state_file)
    app = wall_app(state_file)
    async with app.run_test(size=size) as pilot:
        await feed_world(pilot, unmeasured=True)  # every page load of the last 40 s set aside: cockpit too busy
        rows = [row for row in box_rows(app, app.screen.query_one(WallHealth)) if row.strip()]
        page = next(row for row in rows if "/vendors/companies" in row)
        assert page.startswith("UNKNOWN") and ("unmeasured" in page or "untimed" in page) and "HEALTHY" not in page, page
        if size[0] >= 200:  # room for the reason
            assert "cockpit too busy" in page, page


@pytest.mark.parametrize("size", SIZES, ids=IDS)
async def test_the_age_beside_a_latency_is_the_age_of_its_samples(state_file, size):
    # The wall said 'HEALTHY  /vendors/companies  ███████  1.2 s p99  1.2 s > 1000  5 s old': 5 s was the last poll;
    # the 1.2 s figures were a minute old.
    journal_run(state_file)
    app = wall_app(state_file)
    async with app.run_test(size=size) as pilot:
        await feed_world(pilot, unmeasured=True)  # the pages polled 1 s ago; their last latency kept 50 s ago
        rows = [row for row in box_rows(app, app.screen.query_one(WallHealth)) if row.strip()]
        page = next(row for row in rows if "/vendors/companies" in row)
        assert page.endswith(" 50 s old"), page
        redis = next(row for row in rows if " redis " in row and "›" not in row)
        assert redis.endswith(" 1 s old"), redis


async def test_a_p99_over_the_limit_from_earlier_says_so_beside_a_healthy_status(state_file):
    # It read 'HEALTHY  /vendors/companies  ███████  1.2 s p99  1.2 s > 1000  5 s old' after the API was mended.
    journal_run(state_file)
    app = wall_app(state_file)
    async with app.run_test(size=(200, 50)) as pilot:
        await feed_world(pilot, recovered=True)  # slow until 81 s ago, fast since; polled 1 s ago
        rows = [row for row in box_rows(app, app.screen.query_one(WallHealth)) if row.strip()]
        page = next(row for row in rows if "/vendors/companies" in row)
        assert page.startswith("HEALTHY") and "20.0 ms p99    1.2 s > 1000 in 5m, 81s ago" in page, page  # what fits
        assert page.endswith(" 1 s old"), page


@pytest.mark.parametrize("size", SIZES, ids=IDS)
async def test_long_reasons_and_evidence_are_cut_with_an_ellipsis_never_wrapped(state_file, size):
    journal_run(state_file)
    app = wall_app(state_file)
    async with app.run_test(size=size) as pilot:
        await feed_world(pilot, firing="avnz-api-5xx-errors")
        alarm_row = next(row for row in box_rows(app, app.screen.query_one(WallAlarms)) if "avnz-api-5xx-errors" in row)
        assert "· Thresh" in alarm_row and "…" in alarm_row and alarm_row.endswith("s old")
        assert not any("threshold (1.0)" in row for row in screen_rows(app))  # the cut tail is nowhere, not on a line of its own
        check_row = next(row for row in box_rows(app, app.screen.query_one(WallChecks)) if "a-db-pool" in row)
        assert "…" in check_row and "by second@laptop" in check_row
        assert not any("END-OF-EVIDENCE" in row for row in screen_rows(app))


@pytest.mark.parametrize("size", SIZES, ids=IDS)
async def test_phases_show_progress_and_elapsed_against_the_plan(state_file, size):
    journal_run(state_file)
    app = wall_app(state_file)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        rows = box_rows(app, app.screen.query_one(WallPhases))
        phase_a = next(row for row in rows if "Phase A" in row)
        assert phase_a.startswith("NOW") and "1/3" in phase_a and phase_a.endswith("37m of 30m planned OVER")
        phase_b = next(row for row in rows if "Phase B" in row)
        assert "0/10" in phase_b and phase_b.endswith("32m of 45m planned") and "OVER" not in phase_b
        assert any(row.startswith("NEXT") and "Post-Deployment Verification" in row and "0/9" in row for row in rows)
        assert not any("Phase C" in row for row in rows)  # production's phase is not this staging run's
        assert not any("Rollback" in row for row in rows)  # contingency plans not begun are not progress


async def test_every_check_shows_its_last_verdict_worst_first_with_who_and_age(state_file):
    journal_run(state_file)
    app = wall_app(state_file)
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        rows = [row for row in box_rows(app, app.screen.query_one(WallChecks)) if row.strip()]
        assert rows[0].startswith("FAIL") and "a-db-pool" in rows[0] and rows[0].endswith(f"by {SECOND} · 30 s old")
        assert any(row.startswith("NOT RUN") and "b-health-status" in row for row in rows)
        redis = next(row for row in rows if "a-redis-ping" in row)
        assert redis.startswith("PASS") and redis.endswith("STALE 37 min old")  # a pass 37 minutes ago says little about now
        runbook = load_runbook()
        expected = {s.id for p in runbook.phases if p.applies_to("staging") and not p.contingency for s in p.steps if s.kind == "check"}
        assert {row[8:].split()[0] for row in rows} == expected  # every one of them, once


async def test_an_old_check_is_dimmed_not_hidden(state_file):
    journal_run(state_file)
    app = wall_app(state_file)
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        checks = app.screen.query_one(WallChecks)
        assert any("a-redis-ping" in row for row in box_rows(app, checks))  # on screen
        assert dimmed(checks, "a-redis-ping") and not dimmed(checks, "a-env-vars")


async def test_the_last_actions_say_what_who_and_when_newest_first(state_file):
    journal_run(state_file)
    app = wall_app(state_file)
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        rows = [row for row in box_rows(app, app.screen.query_one(WallActions)) if row.strip()]
        assert rows[0].startswith("FAILED") and "comms-engineering slack #release" in rows[0] and f"by {SECOND}" in rows[0]
        assert rows[0].endswith("21:20:00Z · 20 min old")
        assert rows[1].startswith("PASSED") and "b-deploy-staging" in rows[1] and rows[1].endswith("21:08:00Z · 32 min old")


async def test_figures_carry_their_age_and_turn_stale_dimmed_not_hidden(state_file):
    journal_run(state_file)
    clock = [NOW]
    app = wall_app(state_file, monotonic=lambda: clock[0])
    async with app.run_test(size=(200, 50)) as pilot:
        await feed_world(pilot, firing="avnz-api-5xx-errors")
        screen = app.screen
        alarms, services, health = screen.query_one(WallAlarms), screen.query_one(WallServices), screen.query_one(WallHealth)
        assert all(row.endswith("0 s old") for row in box_rows(app, alarms) if row.strip())
        clock[0] = NOW + 20  # within two intervals of the alarms' read (15 s) and the read's timeouts
        screen.render_live()
        screen.render_health()
        await pilot.pause()
        rows = [row for row in box_rows(app, alarms) if row.strip()]
        assert len(rows) == len(ALARMS) and all(row.endswith("20 s old") and "STALE" not in row for row in rows)
        assert not dimmed(alarms, "avnz-redis-connection")
        assert all("STALE" in row for row in box_rows(app, health) if row.strip())  # the engine's snapshot is 20 s old
        clock[0] = NOW + 47
        screen.render_live()
        await pilot.pause()
        for box, names in ((alarms, ALARMS), (services, SERVICES)):
            rows = [row for row in box_rows(app, box) if row.strip()]
            assert len(rows) == len(names)  # still every one of them
            assert all(row.endswith("STALE 47 s old") for row in rows), rows
            assert all(dimmed(box, name) for name in names)


async def test_a_failed_read_says_unread_first_and_keeps_the_last_read_dimmed_once_stale(state_file):
    journal_run(state_file)
    clock = [NOW]
    app = wall_app(state_file, monotonic=lambda: clock[0])
    async with app.run_test(size=(200, 50)) as pilot:
        await feed_world(pilot, firing="avnz-api-5xx-errors")
        clock[0] = NOW + 60
        await replay(pilot, [AlarmsFailed("ThrottlingException: Rate exceeded " + "x" * 300, True, 8.0)])
        alarms = app.screen.query_one(WallAlarms)
        rows = [row for row in box_rows(app, alarms) if row.strip()]
        assert rows[0].startswith("UNREAD") and "ThrottlingException" in rows[0] and rows[0].endswith("…")
        assert len(rows) == 1 + len(ALARMS)  # the last read is still there, every alarm
        assert all(row.endswith("STALE 60 s old") for row in rows[1:]) and all(dimmed(alarms, name) for name in ALARMS)


async def test_a_production_run_is_unmistakable(state_file):
    journal_run(state_file, env="production")
    app = wall_app(state_file, env="production")
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        rows = screen_rows(app)
        assert app.screen.has_class("-production")  # the red frame round the whole screen
        assert rows[0].startswith("┏") and rows[-1].startswith("┗")
        assert rows[2].count("PRODUCTION") >= 2  # the banner says it in words, in reverse video (NO_COLOR keeps it)
        banner = [s for s in app.screen._compositor.render_strips()[2] if "PRODUCTION" in s.text]
        assert banner and all(s.style.reverse for s in banner)
        assert "PRODUCTION" in rows[1] and "READ-ONLY" in rows[1]


async def test_a_staging_run_says_staging_and_never_production(state_file):
    journal_run(state_file)
    app = wall_app(state_file)
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        rows = screen_rows(app)
        assert not app.screen.has_class("-production")
        assert not any("PRODUCTION" in row for row in rows)
        assert "STAGING" in rows[0] and "READ-ONLY" in rows[0] and "STAGING" in rows[1]


async def test_keys_change_nothing_and_send_the_engine_nothing(state_file):
    journal_run(state_file)
    app = wall_app(state_file)
    before = len(app.initial_events)
    async with app.run_test(size=(200, 50)) as pilot:
        await feed_world(pilot)
        assert isinstance(app.screen, WallScreen) and app.read_only
        await pilot.press("space", "n", "enter", "x", "R", "r", "m", "exclamation_mark", "question_mark", "tab", "e", "f", "slash")
        await pilot.pause()
        assert app.engine.commands == []
        assert app.screen is app.cockpit  # no modal opened (no note, rollback, report, help or trouble screen)
        assert any("wall view: read-only" in str(n.message) for n in app._notifications)
    session = RunSession(Journal(state_file, read_only=True), app.runbook.id, app.runbook.version, "staging", "x")
    assert len(session.events_after(0)) == before


async def test_another_cockpits_tick_and_check_appear(state_file):
    journal_run(state_file)
    app = wall_app(state_file)
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        runbook = load_runbook()
        session = RunSession(Journal(state_file), runbook.id, runbook.version, "staging", SECOND)
        events = (session.record("a-db-pool", "check", {"status": "pass", "evidence": "pool 7/100"}),
                  session.record("a-db-pool", "tick", {"evidence": "pool 7/100"}))
        session.journal.close()
        await replay(pilot, [JournalRead(events)])
        await app.workers.wait_for_complete()  # the report is built in a thread
        await pilot.pause()
        phase_a = next(row for row in box_rows(app, app.screen.query_one(WallPhases)) if "Phase A" in row)
        assert "2/3" in phase_a
        rows = box_rows(app, app.screen.query_one(WallChecks))
        assert not any(row.startswith("FAIL") for row in rows)
        assert any(row.startswith("PASS") and "a-db-pool  pool 7/100" in row for row in rows)


async def test_a_tick_by_another_cockpit_reaches_the_wall_through_the_journal(journal_location):
    """A real engine (in this loop, watching no backend) following the real journal, read-only, as `cockpit --wall`
    runs it: a SQLite file, and a shared journal on a real PostgreSQL."""
    from cockpit.engine.local import LocalEngine
    from cockpit.journal.opening import open_store
    from cockpit.ui.app import CockpitApp

    journal_run(journal_location)
    runbook = load_runbook()
    env = runbook.environments["staging"]
    reader = RunSession(open_store(journal_location, read_only=True), runbook.id, runbook.version, "staging", "wall@tv")
    engine = LocalEngine(runbook, env, reader, read_only=True, live=False, environ={}, journal_poll_seconds=0.1)
    app = CockpitApp(runbook, env, engine, initial_events=reader.events_after(0), run_id=reader.run.id, clock=lambda: WALL_NOW,
                     live=False, monotonic=lambda: NOW, wall=True)

    def phase_a() -> str:
        return next(row for row in box_rows(app, app.screen.query_one(WallPhases)) if "Phase A" in row)

    async with app.run_test(size=(200, 50)) as pilot:
        assert "1/3" in phase_a()
        writer = RunSession(open_store(journal_location), runbook.id, runbook.version, "staging", SECOND)
        writer.record("a-env-vars", "tick", {"evidence": "all set"})
        writer.journal.close()
        for _ in range(200):  # the engine's journal poll (0.1 s) finds it, a thread builds the report: a condition, not a sleep
            if "2/3" in phase_a():
                break
            await pilot.pause(0.05)
        assert "2/3" in phase_a()
        assert app.engine.engine.read_only  # the engine behind the wall refuses writes too
    reader.journal.close()


async def test_an_engine_gone_is_never_all_up(state_file):
    journal_run(state_file)
    app = wall_app(state_file)
    async with app.run_test(size=(200, 50)) as pilot:
        await feed_world(pilot)
        await replay(pilot, [VerdictChanged(Verdict(watching=True, sources=("redis",)))])
        assert verdict_line(app).startswith("✓ all up")
        await replay(pilot, [EngineProblem("the engine process died", down=True)])
        assert verdict_line(app).startswith("ENGINE DOWN")


async def test_a_short_screen_counts_the_checks_it_has_no_room_for(state_file):
    journal_run(state_file)
    app = wall_app(state_file)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        checks = app.screen.query_one(WallChecks)
        rows = [row for row in box_rows(app, checks) if row.strip()]
        assert rows[0].startswith("FAIL")  # the worst stays in sight
        assert rows[-1].startswith("+") and "more" in rows[-1]
        shown = len(rows) - 1
        assert int(rows[-1][1:].split()[0]) + shown == 19  # every check either shown or counted


def test_wall_with_new_run_is_bad_input(capsys):
    assert main(["--wall", "--new-run"]) == 2
    assert "--wall" in capsys.readouterr().err


def test_wall_and_demo_wall_are_on_the_command_line():
    from cockpit.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["--wall"]).wall
    assert parser.parse_args(["demo", "--wall"]).wall
    assert "--wall" in parser.format_help()


def contrast(segment) -> float:
    """The difference in luminance (0-1) between a painted segment's text and its background."""
    style = segment.style
    fg, bg = style.color.get_truecolor(), style.bgcolor.get_truecolor()
    if style.reverse:
        fg, bg = bg, fg
    luminance = lambda c: (0.2126 * c.red + 0.7152 * c.green + 0.0722 * c.blue) / 255  # noqa: E731
    return abs(luminance(fg) - luminance(bg))


async def test_no_color_keeps_every_state_a_word_in_high_contrast(state_file, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    journal_run(state_file, env="production")
    app = wall_app(state_file, env="production")
    async with app.run_test(size=(200, 50)) as pilot:
        await feed(pilot)
        await feed_world(pilot, failed_rollout=True, firing="avnz-api-5xx-errors", redis_down=True)
        strips = app.screen._compositor.render_strips()
        for word in ("PRODUCTION", "DOWN", "ALARM", "FAILED", "FAIL", "OVER", "NOW"):
            found = [s for strip in strips for s in strip if s.text.strip().startswith(word) and s.style and s.style.bgcolor]
            assert found, word
            assert min(contrast(s) for s in found) > 0.4, (word, [(s.text, round(contrast(s), 2)) for s in found])


async def test_d_shows_every_cut_line_whole_and_changes_nothing(state_file):
    """The issue: long reasons truncated with an ellipsis on the wall, the full text in a detail."""
    from cockpit.ui.screens.wall_detail import WallDetail

    journal_run(state_file)
    app = wall_app(state_file)
    async with app.run_test(size=(120, 40)) as pilot:
        await feed_world(pilot, firing="avnz-api-5xx-errors")
        assert not any("threshold (1.0)" in row for row in screen_rows(app))  # cut on the wall
        await pilot.press("d")
        assert isinstance(app.screen, WallDetail)
        text = app.screen.text.plain
        assert "threshold (1.0)" in text and "END-OF-EVIDENCE" in text  # the alarm's reason and a check's evidence, whole
        assert all(name in text for name in (*ALARMS, *SERVICES))
        await pilot.pause()
        rows = screen_rows(app)
        verdict = [row for row in rows if "ALARM avnz-api-5xx-errors" in row and "━" not in row]  # the verdict stays in sight
        assert verdict, "\n".join(rows[:6])
        await pilot.press("escape")
        assert isinstance(app.screen, WallScreen) and app.engine.commands == []  # nothing sent to the engine
