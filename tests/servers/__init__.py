"""Real servers for integration tests: redis-server, a PostgreSQL cluster, a fake API/dashboard.

Everything here is standard library only (pytest only in `unavailable`), so the fixtures import even where the client
libraries (redis, psycopg, httpx) are missing. Each server listens on a free loopback
port, can be stopped and restarted on that same port, and cleans up after itself.
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def in_ci() -> bool:
    """True when the environment says this is a CI run (`CI=true`, as CI services set it)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def unavailable(reason: str):
    """Give up on a server or tool a test needs: a failure in CI, a skip elsewhere (DESIGN, Testing)."""
    import pytest  # here, so the servers also work outside pytest (bench/, a REPL)

    if in_ci():
        pytest.fail(f"{reason} (CI=true: a missing test service is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


def log_tail(path: Path, lines: int = 20) -> str:
    """The last lines of a server log, for error messages; empty when there is no log."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def wait_until_closed(port: int, timeout: float = 5.0) -> None:
    """Wait until nothing accepts connections on 127.0.0.1:port (a stopped server really is gone)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                pass
        except OSError:
            return
        time.sleep(0.02)
