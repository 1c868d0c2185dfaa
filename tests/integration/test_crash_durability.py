"""A real cockpit in a pseudo-terminal, killed right after ticks: nothing committed is lost.

The child is the installed entry point (`python -m cockpit`), driven by keystrokes
written to the pty, exactly as an operator on a bastion would over SSH.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import signal
import sqlite3
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest

DOWN = b"\x1b[B"


class PtyCockpit:
    """`cockpit` running in a pty of 80x24, its output drained by a thread; `args` after --state STATE."""

    def __init__(self, state: Path | str, *args: str) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cockpit", "--state", str(state), *args],
            stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
        )
        os.close(slave)
        self.master = master
        self.output = bytearray()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.output += chunk

    def wait_for_screen(self, text: bytes, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            assert self.proc.poll() is None, f"cockpit exited: {bytes(self.output[-2000:])!r}"
            assert time.monotonic() < deadline, f"no {text!r} on screen: {bytes(self.output[-2000:])!r}"
            time.sleep(0.05)

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        os.close(self.master)


def committed(state: Path) -> list[tuple[str, str]]:
    if not state.exists():
        return []
    conn = sqlite3.connect(f"{state.as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT step_id, kind FROM events ORDER BY id").fetchall()
    except sqlite3.OperationalError:  # schema not created yet
        return []
    finally:
        conn.close()


def wait_committed(state: Path, count: int, timeout: float = 10.0) -> list[tuple[str, str]]:
    deadline = time.monotonic() + timeout
    while len(rows := committed(state)) < count:
        assert time.monotonic() < deadline, f"only {rows} committed"
        time.sleep(0.02)
    return rows


def status(state: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "cockpit", "status", "--json", "--state", str(state)],
        capture_output=True, text=True, check=True,
    ).stdout
    return json.loads(out)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGHUP], ids=["SIGKILL", "SIGHUP"])
def test_every_committed_tick_survives_the_kill(tmp_path, sig):
    state = tmp_path / "journal.sqlite3"
    cockpit = PtyCockpit(state)
    try:
        cockpit.wait_for_screen(b"STAGING")
        cockpit.type(b" ")
        wait_committed(state, 1)
        cockpit.type(DOWN + b" ")
        wait_committed(state, 2)
        cockpit.type(b"n")
        time.sleep(0.5)
        cockpit.type(b"looked at redis\r")
        wait_committed(state, 3)
        cockpit.type(DOWN + b" ")  # a last tick, killed at once: it may or may not be on disk
        os.kill(cockpit.proc.pid, sig)
        cockpit.proc.wait(10)
    finally:
        cockpit.close()

    rows = committed(state)
    assert rows[:3] == [("pre-typescript", "tick"), ("pre-e2e-created", "tick"), ("pre-e2e-created", "note")]
    assert len(rows) in (3, 4)
    conn = sqlite3.connect(state)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()

    report = status(state)
    done = {s["id"] for s in report["steps"] if s["status"] == "done"}
    expected = {"pre-typescript", "pre-e2e-created"} | ({"pre-code-review"} if len(rows) == 4 else set())
    assert done == expected
    notes = {s["id"]: s["notes"] for s in report["steps"] if s["notes"]}
    assert [n["text"] for n in notes["pre-e2e-created"]] == ["looked at redis"]
    assert all(s["by"] for s in report["steps"] if s["status"] == "done")

    again = PtyCockpit(state)  # and the restarted cockpit resumes the same run
    try:
        again.wait_for_screen(b"run #1")
    finally:
        again.close()
