"""`cockpit demo` in a real terminal (a pty): it opens the cockpit on its stack, and however it
ends (q, Ctrl-C, SIGTERM, SIGHUP, SIGKILL) no process, port or directory it made is left."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest

from tests.integration.demo_support import alive, ports_in, wait_gone
from tests.servers import unavailable

FILES_LINE = re.compile(r"files in (.+?) \(removed when the demo ends\)")


class Terminal:
    """`cockpit demo` on a 120x40 pty; `text` is everything it wrote, escape sequences and all."""

    def __init__(self, tmp: Path) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40", "HOME": str(tmp)}
        for name in ("COCKPIT_STATE", "REDIS_URL", "DATABASE_URL", "AWS_ENDPOINT_URL"):
            env.pop(name, None)
        self.proc = subprocess.Popen([sys.executable, "-m", "cockpit", "demo"], stdin=slave, stdout=slave, stderr=slave,
                                     cwd=tmp, env=env, start_new_session=True)
        os.close(slave)
        self.master = master
        self.chunks: list[bytes] = []
        threading.Thread(target=self._drain, daemon=True).start()

    @property
    def text(self) -> str:
        return b"".join(self.chunks).decode(errors="replace")

    def _drain(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self.chunks.append(data)

    def wait_for(self, needle: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while needle not in self.text:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                return needle in self.text
            time.sleep(0.1)
        return True

    def children(self) -> list[int]:
        """Direct children of the cockpit: the demo's stack process and the engine process."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == self.proc.pid:
                found.append(int(stat.parent.name))
        return found

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        os.close(self.master)


ENDINGS = {
    "q": lambda term: os.write(term.master, b"q"),
    "ctrl+c": lambda term: os.write(term.master, b"\x03"),
    "SIGTERM": lambda term: term.proc.send_signal(signal.SIGTERM),
    "SIGHUP": lambda term: term.proc.send_signal(signal.SIGHUP),
    "SIGKILL": lambda term: term.proc.kill(),
}

EXIT_CODES = {"q": 0, "ctrl+c": 130, "SIGTERM": 128 + signal.SIGTERM, "SIGHUP": 128 + signal.SIGHUP, "SIGKILL": -signal.SIGKILL}


@pytest.mark.parametrize("ending", list(ENDINGS))
def test_the_demo_opens_the_cockpit_and_leaves_nothing_behind(tmp_path, ending):
    term = Terminal(tmp_path)
    try:
        if not term.wait_for("ready: opening the cockpit", timeout=120):
            unavailable(f"cockpit demo did not get ready:\n{term.text[-2000:]}")
        ports = ports_in(term.text)
        dirs = FILES_LINE.search(term.text).group(1).split(", ")
        assert set(ports) == {"redis-server", "PostgreSQL", "moto", "CloudWatch percentile proxy", "API and dashboard stand-in", "GitHub (fake)", "Slack webhooks (fake)"}, term.text
        assert "run a step's actions from another shell: . " in term.text and "/demo.env && cockpit run b-deploy-staging --yes" in term.text
        assert term.wait_for("DEMO", timeout=30), term.text[-2000:]  # the TUI is up, badge and all
        assert term.wait_for("avnz-payment-cluster", timeout=30)  # the services pane read ECS (moto)
        children = term.children()
        assert len(children) >= 2  # the stack process and the engine process
        ENDINGS[ending](term)
        code = term.proc.wait(timeout=60)
        assert code == EXIT_CODES[ending], term.text[-1500:]
        assert wait_gone(ports, dirs, children, timeout=45) == []
        if ending not in ("SIGKILL",):
            assert term.wait_for("removed /tmp/cockpit-demo-", timeout=5), term.text[-1500:]
            assert not [pid for pid in children if alive(pid)]
    finally:
        term.close()
