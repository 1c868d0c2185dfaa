"""`cockpit tick` and `cockpit note` on both journals (SQLite and a shared PostgreSQL): the TUI's rules, the exit
codes (0 journaled, 1 refused, 2 bad input), --who in the event, `cockpit status` and a running cockpit's engine
seeing what was journaled headless."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from cockpit.cli import main
from cockpit.engine.events import JournalRead
from cockpit.engine.process import EngineProcess, EngineSpec
from cockpit.journal.opening import StateLocation, open_store
from cockpit.journal.progress import CHECK, NOTE, TICK, UNTICK, run_counts
from cockpit.journal.session import RunSession
from cockpit.runbook import load_runbook

RUNBOOK = load_runbook()


def run(capsys, location: StateLocation, *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--state", str(location)])
    out, err = capsys.readouterr()
    return code, out, err


def journaled(location: StateLocation) -> list[tuple[str, str, str, dict]]:
    """Every committed event of every run: (step, kind, who, payload)."""
    journal = open_store(location, read_only=True)
    try:
        return [(e.step_id, e.kind, e.who, e.payload) for r in journal.runs() for e in journal.events(r.id)]
    finally:
        journal.close()


def record_check(location: StateLocation, step_id: str, status: str, evidence: str) -> None:
    """A check result journaled as the engine journals one (by another operator)."""
    journal = open_store(location)
    try:
        RunSession(journal, RUNBOOK.id, RUNBOOK.version, "staging", "carol@bastion").record(
            step_id, CHECK, {"status": status, "evidence": evidence, "latency_ms": 0.4})
    finally:
        journal.close()


def one_line(text: str) -> str:
    assert text.count("\n") == 1, text
    return text.strip()


def test_tick_untick_and_note_are_journaled_with_who_and_shown_by_status(capsys, journal_location):
    code, out, err = run(capsys, journal_location, "tick", "pre-docs", "--who", "alice@laptop")
    assert (code, err) == (0, "")
    assert one_line(out).startswith("ticked pre-docs · by alice@laptop · run #1 · 20")
    code, out, err = run(capsys, journal_location, "note", "pre-docs", "docs\x1b[31m reviewed\nby Bob", "--who", "bob@home")
    assert (code, err) == (0, "") and one_line(out).startswith("noted on pre-docs · by bob@home · run #1 · ")
    code, out, _ = run(capsys, journal_location, "status", "--json")
    docs = {s["id"]: s for s in json.loads(out)["steps"]}["pre-docs"]
    assert (docs["status"], docs["by"]) == ("done", "alice@laptop")
    assert [(n["who"], n["text"]) for n in docs["notes"]] == [("bob@home", "docs reviewed by Bob")]
    code, out, err = run(capsys, journal_location, "tick", "pre-docs", "--untick", "--who", "bob@home")
    assert (code, err) == (0, "") and one_line(out).startswith("unticked pre-docs · by bob@home · run #1 · ")
    code, out, _ = run(capsys, journal_location, "status", "--json")
    assert {s["id"]: s for s in json.loads(out)["steps"]}["pre-docs"]["status"] != "done"
    assert journaled(journal_location) == [
        ("pre-docs", TICK, "alice@laptop", {}),
        ("pre-docs", NOTE, "bob@home", {"text": "docs reviewed by Bob"}),
        ("pre-docs", UNTICK, "bob@home", {}),
    ]


def test_a_check_step_needs_a_passing_check_or_an_override(capsys, journal_location):
    code, out, err = run(capsys, journal_location, "tick", "a-redis-ping")
    assert (code, out) == (1, "")
    assert one_line(err) == ("cockpit: refused: a-redis-ping is a check step and it has not been checked: run `cockpit check "
                             "--only a-redis-ping`, or tick it anyway with --override REASON: nothing journaled")
    record_check(journal_location, "a-redis-ping", "fail", "connection refused")
    code, out, err = run(capsys, journal_location, "tick", "a-redis-ping")
    assert (code, out) == (1, "") and "a-redis-ping is a check step and its last check failed" in one_line(err)
    record_check(journal_location, "a-redis-ping", "inconclusive", "event loop lagged 900 ms")
    code, _, err = run(capsys, journal_location, "tick", "a-redis-ping")
    assert code == 1 and "its last check was inconclusive" in err
    code, out, err = run(capsys, journal_location, "tick", "a-redis-ping", "--override", "pinged it by hand", "--who", "alice@laptop")
    assert (code, err) == (0, "")
    assert one_line(out).startswith("ticked a-redis-ping by OVERRIDE (pinged it by hand) · by alice@laptop · run #1 · ")
    record_check(journal_location, "b-redis-healthy", "pass", "redis: healthy")
    code, out, err = run(capsys, journal_location, "tick", "b-redis-healthy")
    assert (code, err) == (0, "") and "ticked b-redis-healthy on the evidence of its passing check (redis: healthy)" in out
    ticks = [(step, payload) for step, kind, _, payload in journaled(journal_location) if kind == TICK]
    assert ticks == [("a-redis-ping", {"override": "pinged it by hand"}), ("b-redis-healthy", {"evidence": "redis: healthy"})]
    code, out, _ = run(capsys, journal_location, "status", "--json")
    steps = {s["id"]: s for s in json.loads(out)["steps"]}
    assert steps["a-redis-ping"]["status"] == steps["b-redis-healthy"]["status"] == "done"


def test_refusals_are_exit_1_and_journal_nothing(capsys, journal_location):
    record_check(journal_location, "a-redis-ping", "pass", "PONG")
    before = journaled(journal_location)
    for argv, why in (
        (["tick", "rb-redis-fallback"], "info steps are read, not ticked"),
        (["tick", "rb-redis-fallback", "--untick"], "info steps are read, not ticked"),
        (["tick", "c-notify-stakeholders"], "c-notify-stakeholders is in phase phase-c, which runs only in production, not in staging"),
        (["note", "c-notify-stakeholders", "hello"], "which runs only in production"),
        (["tick", "a-redis-ping", "--read-only"], "--read-only changes nothing"),
        (["note", "pre-docs", "hello", "--read-only"], "--read-only changes nothing"),
    ):
        code, out, err = run(capsys, journal_location, *argv)
        assert (code, out) == (1, ""), argv
        assert one_line(err).startswith("cockpit: refused: ") and why in err and err.strip().endswith("nothing journaled"), argv
    assert journaled(journal_location) == before
    code, out, err = run(capsys, journal_location, "tick", "c-notify-stakeholders", "--env", "production")
    assert (code, err) == (0, "") and out.startswith("ticked c-notify-stakeholders · by ")


def test_bad_input_is_exit_2_in_one_line_and_journals_nothing(capsys, journal_location):
    record_check(journal_location, "a-redis-ping", "pass", "PONG")
    before = journaled(journal_location)
    for argv, message in (
        (["tick", "no-such-step"], "cockpit: no step 'no-such-step' in avnz-phase-1-4"),
        (["note", "no-such-step", "hello"], "cockpit: no step 'no-such-step'"),
        (["tick", "no-such\x1b[2J-step", "--read-only"], "cockpit: no step 'no-such-step'"),  # bad input before a refusal
        (["tick", "pre-docs", "--who", "alice\nbob"], "--who must be one line without control characters"),
        (["tick", "pre-docs", "--who", ""], "--who is empty"),
        (["note", "pre-docs", " \n\x07 "], "the note is empty"),
        (["note", "pre-docs", "x" * 2001], "the note is 2001 characters long: at most 2000"),
        (["tick", "a-redis-ping", "--override", " "], "--override needs a reason"),
        (["tick", "pre-docs", "--untick", "--override", "why"], "an untick needs none"),
        (["tick", "pre-docs", "--env", "moon"], "unknown environment 'moon'"),
    ):
        code, out, err = run(capsys, journal_location, *argv)
        assert (code, out) == (2, ""), argv
        assert one_line(err).startswith("cockpit: ") and message in err, (argv, err)
        assert "\x1b" not in err
    assert journaled(journal_location) == before


def test_a_run_of_another_runbook_version_is_exit_2(capsys, state_file):
    journal = open_store(state_file)
    try:
        RunSession(journal, RUNBOOK.id, "0.9", "staging", "alice@laptop").record("pre-docs", TICK)
    finally:
        journal.close()
    code, out, err = run(capsys, state_file, "tick", "pre-typescript")
    assert (code, out) == (2, "") and "was made with runbook version 0.9" in one_line(err)


def test_read_only_never_creates_a_journal(capsys, tmp_path: Path):
    location = tmp_path / "journal.sqlite3"
    code, _, _ = run(capsys, location, "tick", "pre-docs", "--read-only")
    assert code == 1 and not location.exists()


async def test_a_running_cockpit_sees_a_tick_and_a_note_made_headless(journal_location):
    """The engine behind a TUI follows the journal: what a teammate journals from a shell arrives, with who did it."""
    events: list = []
    engine = EngineProcess(EngineSpec(RUNBOOK, RUNBOOK.environments["staging"], str(journal_location), "alice@laptop",
                                      live=False, journal_poll_seconds=0.1))
    engine.start(events.extend)

    def seen() -> list[tuple[str, str, str]]:
        return [(e.step_id, e.kind, e.who) for batch in events if isinstance(batch, JournalRead) for e in batch.events]

    try:
        code = await asyncio.to_thread(main, ["tick", "pre-typescript", "--who", "bob@home", "--state", str(journal_location)])
        assert code == 0
        code = await asyncio.to_thread(main, ["note", "pre-typescript", "tsc clean", "--who", "bob@home", "--state", str(journal_location)])
        assert code == 0
        async with asyncio.timeout(30):
            while len(seen()) < 2:
                await asyncio.sleep(0.02)
        assert seen() == [("pre-typescript", TICK, "bob@home"), ("pre-typescript", NOTE, "bob@home")]
    finally:
        await engine.stop()


def test_the_tui_journals_as_who_and_shows_a_headless_tick(journal_location):
    """The real `cockpit --who alice@tv` in a pty: its space is journaled as alice@tv, and a tick made from a shell
    by bob@home reaches its header."""
    from tests.integration.test_crash_durability import PtyCockpit

    _, total = run_counts(RUNBOOK.phases, "staging", {})
    cockpit = PtyCockpit(journal_location, "--who", "alice@tv")
    try:
        cockpit.wait_for_screen(b"STAGING")
        cockpit.type(b" ")  # the first step, pre-typescript (manual)
        cockpit.wait_for_screen(f"run #1 \u00b7 1/{total}".encode(), timeout=30)
        assert main(["tick", "pre-docs", "--who", "bob@home", "--state", str(journal_location)]) == 0
        cockpit.wait_for_screen(f"run #1 \u00b7 2/{total}".encode(), timeout=30)
    finally:
        cockpit.close()
    assert [(step, kind, who) for step, kind, who, _ in journaled(journal_location)] == [
        ("pre-typescript", TICK, "alice@tv"), ("pre-docs", TICK, "bob@home")]


def test_check_journals_its_results_as_who(capsys, journal_location, redis_server, monkeypatch):
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    code, _, err = run(capsys, journal_location, "check", "--only", "a-redis-ping", "--who", "ci@runner-7")
    assert (code, err) == (0, ""), err
    assert [(step, kind, who) for step, kind, who, _ in journaled(journal_location)] == [("a-redis-ping", CHECK, "ci@runner-7")]
    code, out, err = run(capsys, journal_location, "tick", "a-redis-ping", "--who", "ci@runner-7")
    assert (code, err) == (0, "") and "on the evidence of its passing check (PONG in " in out
