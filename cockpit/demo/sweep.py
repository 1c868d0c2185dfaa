"""What the cockpit does when the demo's stack process died without cleaning up (SIGKILL, OOM).

The stack process stops its servers itself on every ending it can see. Killed outright, it
cannot: its redis-server and PostgreSQL run in their own sessions and would outlive it
(moto's host exits when its stdin pipe closes, the API and the log writer are threads of
the dead process). The cockpit knows the stack's directories from its ready message; the
servers' pid files there say what to stop. A pid is signalled only if /proc shows the
server it claims to be, started on that directory: a recycled pid is never touched.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

# pid file name → (what it is, its process name, the signal that stops it cleanly)
PID_FILES = {"redis.pid": ("redis-server", b"redis-server", signal.SIGTERM),
             "postmaster.pid": ("PostgreSQL", b"postgres", signal.SIGINT)}  # SIGINT: PostgreSQL's fast shutdown
GRACE = 10.0


def sweep(dirs: list[str]) -> list[str]:
    """Stop the servers left in `dirs` and remove the directories; what was done, one entry each."""
    done = []
    for directory in dirs:
        for name, (what, comm, signum) in PID_FILES.items():
            for pid_file in Path(directory).rglob(name):
                pid = _server_pid(pid_file, comm)
                if pid is not None:
                    done.append(f"{what} (pid {pid}) {_stop(pid, signum)}")
    for directory in dirs:
        if os.path.exists(directory):
            shutil.rmtree(directory, ignore_errors=True)
            done.append(f"removed {directory}" if not os.path.exists(directory) else f"could not remove {directory}")
    return done


def _server_pid(pid_file: Path, comm: bytes) -> int | None:
    """The pid in `pid_file` if that process is still `comm`, running from the file's directory tree."""
    try:
        pid = int(pid_file.read_text().split("\n", 1)[0])
        name = Path(f"/proc/{pid}/comm").read_bytes().strip()
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    if not name.startswith(comm):
        return None
    # PostgreSQL's command line names its data directory; redis-server's names its config file.
    return pid if str(pid_file.parent).encode() in command or comm == b"redis-server" and _same_config(pid, pid_file) else None


def _same_config(pid: int, pid_file: Path) -> bool:
    """redis-server rewrites its title; its working directory is the one holding its pid file (`dir` in redis.conf)."""
    try:
        return Path(os.readlink(f"/proc/{pid}/cwd")) == pid_file.parent
    except OSError:
        return False


def _stop(pid: int, signum: int) -> str:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        return "was already gone"
    deadline = time.monotonic() + GRACE
    while time.monotonic() < deadline:
        if not alive(pid):
            return "stopped"
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return "stopped"
    return f"killed (no exit within {GRACE:.0f} s)"


def alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
