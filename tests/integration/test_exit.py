"""Exit is certain: a cockpit whose terminal is gone or stuck ends, and leaves no engine behind.

Seen once in the field and reproduced by the benches: after SIGHUP, Textual's shutdown blocked
for ever in LinuxDriver.close → WriterThread.stop → Queue.put while its writer thread could not
write to the terminal. Here nobody reads the pseudo-terminal, so the writer really is stuck.
"""

from __future__ import annotations

import fcntl
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

FIONREAD = termios.FIONREAD


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def start_unread(state: Path) -> tuple[subprocess.Popen, int]:
    """`cockpit` on a big pty nobody reads: its screen output piles up until the writer blocks."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 60, 250, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "cockpit", "--state", str(state)], stdin=slave, stdout=slave, stderr=slave,
                            env={**os.environ, "TERM": "xterm-256color"}, start_new_session=True)
    os.close(slave)
    return proc, master


def unread(master: int) -> int:
    return struct.unpack("i", fcntl.ioctl(master, FIONREAD, b"\0\0\0\0"))[0]


def test_sighup_ends_a_cockpit_whose_terminal_writer_is_stuck_and_its_engine(tmp_path):
    proc, master = start_unread(tmp_path / "journal.sqlite3")
    try:
        wait_until(lambda: children(proc.pid), 30, "the engine process")
        (engine,) = children(proc.pid)
        # The output backs up: the pty holds what nobody read, and it stops growing (the writer is blocked).
        seen = [-1]

        def backed_up() -> bool:
            now = unread(master)
            stuck = now > 0 and now == seen[0]
            seen[0] = now
            time.sleep(0.5)
            return stuck

        wait_until(backed_up, 60, "the terminal output to back up")
        proc.send_signal(signal.SIGHUP)
        code = proc.wait(30)  # bounded: a grace, then a hard exit, whatever Textual's writer does
        assert code == 128 + signal.SIGHUP
        wait_until(lambda: not alive(engine), 15, "the engine to follow the UI")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        os.close(master)


def thread_names(pid: int) -> dict[int, str]:
    """Thread id → name of every thread of `pid`."""
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            out[int(task.name)] = (task / "comm").read_text().strip()
        except OSError:
            continue
    return out


def blocked(pid: int, tid: int) -> bool:
    """True when thread `tid` sleeps on a lock (futex), not on the event loop's selector."""
    try:
        return "futex" in Path(f"/proc/{pid}/task/{tid}/wchan").read_text()
    except OSError:
        return False


def test_sighup_after_the_terminal_closed_ends_the_cockpit_and_its_engine(tmp_path):
    """As when an SSH session drops or tmux's server is killed: the pty goes, Textual's writer thread dies on
    the first failed write, its queue fills, and the main thread blocks in Queue.put (the loop is stuck).
    SIGHUP must still end the process, and its engine."""
    proc, master = start_unread(tmp_path / "journal.sqlite3")
    try:
        wait_until(lambda: children(proc.pid), 30, "the engine process")
        (engine,) = children(proc.pid)
        wait_until(lambda: unread(master) > 0, 30, "the first frame")
        os.close(master)
        master = -1
        wait_until(lambda: "textual-output" not in thread_names(proc.pid).values(), 30, "the writer thread to die")
        wait_until(lambda: blocked(proc.pid, proc.pid), 90, "the main thread to block on the full queue")
        proc.send_signal(signal.SIGHUP)
        code = proc.wait(30)
        assert code == 128 + signal.SIGHUP
        wait_until(lambda: not alive(engine), 15, "the engine to follow the UI")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        if master >= 0:
            os.close(master)


def test_a_killed_ui_leaves_no_engine_behind(tmp_path):
    proc, master = start_unread(tmp_path / "journal.sqlite3")
    try:
        wait_until(lambda: children(proc.pid), 30, "the engine process")
        (engine,) = children(proc.pid)
        proc.kill()  # SIGKILL: no handler runs in the UI
        proc.wait(10)
        wait_until(lambda: not alive(engine), 15, "the engine to see its UI gone and exit")
    finally:
        os.close(master)
