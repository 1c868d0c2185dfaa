"""What the demo tests share: a started stack, its ports from its progress lines, and "is anything left?"."""

from __future__ import annotations

import os
import re
import socket
import time
from pathlib import Path

from cockpit.demo.control import DemoControl, DemoError, Ready
from cockpit.demo.sweep import alive
from tests.servers import unavailable

__all__ = ["alive", "listening", "ports_in", "start_demo", "wait_gone"]

PORT_LINE = re.compile(r"(redis-server|PostgreSQL|moto|CloudWatch percentile proxy|API and dashboard stand-in|GitHub \(fake\)|Slack webhooks \(fake\)) up on "
                       r"(?:http://)?127\.0\.0\.1:(\d+)")


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


def start_demo() -> tuple[DemoControl, Ready, list[str]]:
    """A demo stack process, ready (or the test is skipped locally / failed in CI); stop it with `.stop()`."""
    control = DemoControl()
    progress: list[str] = []
    try:
        ready = control.start(progress.append)
    except DemoError as error:
        control.stop()
        unavailable(f"the demo stack could not start: {error}; progress: {progress}")
    return control, ready, progress


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
