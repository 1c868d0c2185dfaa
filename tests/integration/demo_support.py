"""What the demo tests share: the demo's ports from its progress lines, and "is anything left?"."""

from __future__ import annotations

import os
import re
import socket
import time
from pathlib import Path

PORT_LINE = re.compile(r"(redis-server|PostgreSQL|moto|API and dashboard stand-in) up on (?:http://)?127\.0\.0\.1:(\d+)")


def ports_in(progress: list[str] | str) -> dict[str, int]:
    """{server: port} from the demo's progress lines."""
    text = progress if isinstance(progress, str) else "\n".join(progress)
    return {name: int(port) for name, port in PORT_LINE.findall(text)}


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.3):
            return True
    except OSError:
        return False


def alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def wait_gone(ports: dict[str, int], dirs: list[str], pids: list[int] = (), timeout: float = 30.0) -> list[str]:
    """What is still there after `timeout` s: listening ports, directories, processes (empty: all gone)."""
    deadline = time.monotonic() + timeout
    while True:
        left = [f"{name} still listening on {port}" for name, port in ports.items() if listening(port)]
        left += [f"{d} still exists" for d in dirs if os.path.exists(d)]
        left += [f"pid {pid} still alive ({_signals(pid)})" for pid in pids if alive(pid)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def _signals(pid: int) -> str:
    """Its signal masks (blocked, ignored, caught), to tell why a signal did nothing."""
    try:
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return "gone"
    return " ".join(line.replace("\t", "") for line in status if line.startswith(("SigBlk", "SigIgn", "SigCgt", "State")))
