"""`cockpit serve --wall` in a real headless Chromium (tests/servers/chromium.py): the page shows the wall view, a tick
made by an operator appears on it within 2 s, nothing a browser sends changes the journal, and Ctrl-C stops the
server and every session's wall process.

The screenshot of the page is kept in tests/artifacts/ (gitignored; its path is printed).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from cockpit.cli import main
from cockpit.journal.opening import open_store
from cockpit.stack import free_port
from tests.servers.chromium import Chromium

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
ROOT = Path(__file__).resolve().parents[2]
PRE_CHECKLIST = re.compile(r"Pre-Deployment Checklist\s+\S+ (\d+)/8")
REFUSED = "wall view: read-only"


class Served:
    """A running `cockpit serve --wall` on a free loopback port."""

    def __init__(self, state: Path | str, *extra: str) -> None:
        self.port = free_port()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cockpit", "serve", "--wall", "--state", str(state), "--port", str(self.port), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        self.url = f"http://127.0.0.1:{self.port}/"

    async def ready(self) -> str:
        """Its banner line, once it listens."""
        assert self.process.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(self.process.stdout.readline), 30)
        assert line, f"cockpit serve exited: {self.process.wait()} {self.process.stderr.read() if self.process.stderr else ''}"
        return line

    async def script(self) -> str:
        """textual.js as the page loads it."""
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            async with session.get(f"{self.url}static/js/textual.js") as response:
                return await response.text()

    def children(self) -> list[tuple[int, str]]:
        """(pid, command line) of every process the server started (one per browser session)."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            except (OSError, IndexError, ValueError):
                continue  # gone meanwhile
            if ppid == self.process.pid:
                found.append((int(entry.name), cmdline))
        return found

    def stop(self) -> int:
        """Ctrl-C, as an operator stops it; its exit code."""
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=30)


@pytest.fixture
async def journal_with_run(state_file: Path, capsys) -> Path:
    """A journal whose run #1 was started by an operator's note (nothing ticked yet)."""
    assert main(["note", "pre-docs", "release notes drafted", "--state", str(state_file), "--who", "alice@laptop"]) == 0
    capsys.readouterr()
    return state_file


@pytest.fixture
async def served(journal_with_run: Path) -> AsyncIterator[Served]:
    server = Served(journal_with_run)
    try:
        yield server
    finally:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()


def journaled(location: Path) -> list[tuple]:
    """Every run and every event in the journal, as they are."""
    journal = open_store(location, read_only=True)
    try:
        return [(run.id, e.step_id, e.kind, e.who, json.dumps(e.payload, sort_keys=True)) for run in journal.runs()
                for e in journal.events(run.id)]
    finally:
        journal.close()


async def open_wall(browser: Chromium, served: Served, path: str = "") -> str:
    await browser.open_terminal_page(served.url + path, await served.script())
    return await browser.wait_for_text("wall view, read-only", timeout=60)  # a cold start of Chromium and the app


async def test_the_page_shows_the_wall_and_an_operators_tick_within_2_seconds(served: Served, journal_with_run: Path, capsys):
    banner = await served.ready()
    assert f"on http://127.0.0.1:{served.port}/" in banner
    async with Chromium() as browser:
        screen = await open_wall(browser, served)
        screen = await browser.wait_for_text(PRE_CHECKLIST, timeout=30)
        assert PRE_CHECKLIST.search(screen).group(1) == "0"
        code = await asyncio.to_thread(main, ["tick", "pre-docs", "--state", str(journal_with_run), "--who", "bob@bastion"])
        assert code == 0, capsys.readouterr()
        screen = await browser.wait_for_text(re.compile(r"Pre-Deployment Checklist\s+\S+ 1/8"), timeout=2.0)
        shot = await browser.screenshot(ARTIFACTS / "serve-wall.png")
        print(f"screenshot of the served wall: {shot}")
        sessions = served.children()  # while the page is open: once the browser goes, its session's process may too
    assert sessions and all("-m cockpit --wall" in cmdline for _, cmdline in sessions), sessions
    assert served.stop() == 0
    await asyncio.wait_for(asyncio.to_thread(wait_gone, [pid for pid, _ in sessions]), 30)


def wait_gone(pids: list[int]) -> None:
    """Until none of `pids` runs any more (their wall processes quit with the server)."""
    import time

    while any(Path(f"/proc/{pid}").exists() and "Z" not in status(pid) for pid in pids):
        time.sleep(0.05)  # polling a condition


def status(pid: int) -> str:
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split() or ["?"])[0]
    except OSError:
        return "Z"


async def test_nothing_a_browser_sends_changes_the_journal(served: Served, journal_with_run: Path):
    await served.ready()
    before = journaled(journal_with_run)
    forged = "?command=cockpit%20tick%20pre-docs&state=%2Ftmp%2Fother.sqlite3&runbook=%2Fetc%2Fpasswd&read_only=0&fontsize=12"
    async with Chromium() as browser:
        await open_wall(browser, served, forged)
        await browser.press(" ")  # tick
        await browser.wait_for_text(REFUSED, timeout=30)
        await browser.press("nshipped\r")  # note
        await browser.press("\r")  # run a step's check
        await browser.press("Ravnz-api\r")  # rollback
        await browser.press("e")  # switch environment
        await browser.press("\x1b")
        # A forged websocket too: the session's command comes from the server, never from the request.
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            async with session.ws_connect(f"ws://127.0.0.1:{served.port}/ws?command=sh&width=120&height=40") as socket:
                await socket.send_json(["stdin", " nforged\r\rRavnz-api\r"])
                await socket.send_json(["ping", "1"])
                await asyncio.wait_for(wait_pong(socket), 30)
        screen = await browser.wait_for_text("wall view, read-only", timeout=10)
    sessions = served.children()
    assert served.stop() == 0
    assert all("-m cockpit --wall" in cmdline and "tick" not in cmdline for _, cmdline in sessions), sessions
    assert "PRODUCTION" not in screen
    assert journaled(journal_with_run) == before
    assert not Path("/tmp/other.sqlite3").exists()


async def wait_pong(socket: aiohttp.ClientWebSocketResponse) -> None:
    """Until the server answers the ping (it has handled everything sent before it)."""
    async for message in socket:
        if message.type == aiohttp.WSMsgType.TEXT and message.json()[0] == "pong":
            return


async def test_a_shared_journals_password_is_neither_printed_nor_on_a_sessions_command_line(pg_database: str, capsys):
    password = re.search(r"://[^:/]+:([^@]+)@", pg_database).group(1)
    assert main(["note", "pre-docs", "from the bastion", "--state", pg_database]) == 0
    capsys.readouterr()
    server = Served(pg_database)
    try:
        banner = await server.ready()
        assert password not in banner and "***" in banner
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            async with session.ws_connect(f"ws://127.0.0.1:{server.port}/ws?width=100&height=30") as socket:
                first = await asyncio.wait_for(socket.receive(), 60)  # the wall's first bytes: its session runs
                assert first.type == aiohttp.WSMsgType.BINARY
                sessions = server.children()
                assert sessions and all("-m cockpit --wall" in cmdline and password not in cmdline and "postgresql" not in cmdline
                                        for _, cmdline in sessions), sessions
        assert server.stop() == 0
        assert password not in (server.process.stderr.read() if server.process.stderr else "")
    finally:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()


async def test_the_page_asks_nothing_of_another_host(served: Served):
    """textual-serve's page loads a web font from fonts.googleapis.com: the wall's page does not (a war room's TV is
    often on a network without the internet, and nobody outside needs to know it is up)."""
    await served.ready()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        async with session.get(served.url) as response:
            page = await response.text()
    assert response.status == 200 and "textual.js" in page and "css/xterm.css" in page  # the page itself, its own files kept
    elsewhere = [url for url in re.findall(r'(?:href|src)="(https?://[^"]*)"', page) if not url.startswith(served.url)]
    assert elsewhere == [] and "googleapis" not in page, elsewhere
