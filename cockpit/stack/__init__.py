"""The local stack: real servers on loopback ports, shared by `cockpit demo` and the test suite.

One implementation (issue 6): `redis-server` (`redis_server.py`), a PostgreSQL cluster
(`postgres_cluster.py`), moto for CloudWatch Logs, CloudWatch and ECS (`moto_server.py`,
`moto_host.py`), a stand-in for the API and dashboard (`http_app.py`), the data put
into moto (`aws_seed.py`, `ecs_seed.py`), and fakes of GitHub's REST API and of a Slack
incoming webhook (`fake_github.py`, `fake_slack.py`: the demo's deploys and messages go there). The tests' fixtures start these same classes.
Nothing here imports Textual; moto is imported only inside the moto host process.
Each server listens on a free loopback port, can be stopped and restarted on that same
port, and cleans up after itself (the HTTP ones through `loopback.py`).
"""

from __future__ import annotations

import socket
import time
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


def error_line(error: BaseException) -> str:
    """An error in one line: its first line, and when that only announces more ("... failed (1):",
    "... log tail:") the last line too, which is where a command or a server log says why."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    if lines[0].endswith(":") and len(lines) > 1:
        return f"{lines[0]} … {lines[-1]}"
    return lines[0]
