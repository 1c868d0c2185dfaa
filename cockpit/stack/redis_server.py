"""A real `redis-server` on a free loopback port, with optional auth, that tests may stop and restart.

Credentials, mirroring how a production Redis is set up:
- `password` alone: `requirepass` for the `default` user (`AUTH PASS`, URL `redis://:PASS@...`).
- `user=(name, pass)` alone: an ACL user `user NAME on >PASS ~* &* +@all`, and the `default`
  user is switched off, so a client must name the user (`AUTH NAME PASS`, URL
  `redis://NAME:PASS@...`); a connection without credentials gets `NOAUTH`.
- both: the `default` user takes `password` and the ACL user exists beside it.
- neither: no auth at all.
`url` always carries the credentials of the ACL user when there is one, else of `default`.
"""

from __future__ import annotations

import atexit
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

from cockpit.stack import free_port, log_tail, wait_until_closed

START_TIMEOUT = 10.0
_KEEP = object()


def _config_quote(value: str) -> str:
    """A redis.conf argument in double quotes (sdssplitargs rules), safe for any password."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def _url_part(value: str) -> str:
    """Percent-encode a URL userinfo component (`@ : / %` and friends)."""
    return quote(value, safe="")


class RedisServer:
    """One `redis-server` subprocess with a generated config in `tmp_dir`.

    `start()` waits until it answers; `stop()` is idempotent; `restart()` keeps the port;
    `freeze()`/`thaw()` (SIGSTOP/SIGCONT) make it accept connections but never answer.
    """

    def __init__(self, tmp_dir: Path | str, password: str | None = None, user: tuple[str, str] | None = None) -> None:
        self.tmp_dir = Path(tmp_dir)
        self.password = password
        self.user = user
        self.port = 0
        self.config_path = self.tmp_dir / "redis.conf"
        self.log_path = self.tmp_dir / "redis.log"
        self._proc: subprocess.Popen | None = None
        self._frozen = False
        atexit.register(self.stop)

    # -- addresses ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        """`redis://[USER:PASS@ | :PASS@]127.0.0.1:PORT/0`, credentials percent-encoded."""
        return self.url_with()

    def url_with(self, *, user=_KEEP, password=_KEEP, db: int = 0) -> str:
        """The URL with other credentials, e.g. `url_with(password="wrong")`; `None` drops a part."""
        if user is _KEEP:
            user = self.user[0] if self.user else None
        if password is _KEEP:
            password = self.user[1] if self.user else self.password
        if user is None and password is None:
            auth = ""
        elif password is None:
            auth = f"{_url_part(user)}@"
        else:
            auth = f"{_url_part(user or '')}:{_url_part(password)}@"
        return f"redis://{auth}127.0.0.1:{self.port}/{db}"

    @property
    def running(self) -> bool:
        """True while the subprocess is alive (frozen counts as alive)."""
        return self._proc is not None and self._proc.poll() is None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> RedisServer:
        """Start on a free port (or the port it had before) and wait until it answers PING."""
        if self.running:
            return self
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is not installed (Debian: apt-get install redis-server)")
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        keep_port = self.port != 0
        for _attempt in range(3):
            if not keep_port:
                self.port = free_port()
            self._spawn()
            if self._wait_ready():
                return self
            if keep_port or "Address already in use" not in log_tail(self.log_path, 5):
                break  # another free port only helps when we lost the race for this one
        self.stop()
        raise RuntimeError(f"redis-server did not answer on port {self.port} within {START_TIMEOUT:.0f} s; log tail:\n{log_tail(self.log_path)}")

    def stop(self) -> None:
        """SIGTERM and wait (SIGKILL after 10 s); a no-op when not running."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        if self._frozen:
            proc.send_signal(signal.SIGCONT)
            self._frozen = False
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        wait_until_closed(self.port)

    def restart(self) -> RedisServer:
        """Stop, then start again on the same port (data is not kept: no persistence)."""
        self.stop()
        return self.start()

    def freeze(self) -> None:
        """SIGSTOP: the kernel still accepts connections, but no command gets an answer."""
        if self.running and not self._frozen:
            assert self._proc is not None  # running says so
            self._proc.send_signal(signal.SIGSTOP)
            self._frozen = True

    def thaw(self) -> None:
        """SIGCONT after `freeze()`."""
        if self.running and self._frozen:
            assert self._proc is not None  # running says so
            self._proc.send_signal(signal.SIGCONT)
            self._frozen = False

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- internals ---------------------------------------------------------------------

    def _write_config(self) -> None:
        lines = [
            f"port {self.port}",
            "bind 127.0.0.1",
            'save ""',
            "appendonly no",
            "daemonize no",
            f"dir {_config_quote(str(self.tmp_dir))}",
            f"logfile {_config_quote(str(self.log_path))}",
            f"pidfile {_config_quote(str(self.tmp_dir / 'redis.pid'))}",  # so a sweep can find it (cockpit.demo.sweep)
            "databases 16",
        ]
        if self.password is not None:
            lines.append(f"requirepass {_config_quote(self.password)}")
        elif self.user is not None:
            lines.append("user default off")
        if self.user is not None:
            name, secret = self.user
            lines.append(f"user {_config_quote(name)} on {_config_quote('>' + secret)} ~* &* +@all")
        self.config_path.write_text("\n".join(lines) + "\n")

    def _spawn(self) -> None:
        self._write_config()
        self.log_path.write_text("")  # a fresh log per start: the tail explains *this* start
        self._proc = subprocess.Popen(
            ["redis-server", str(self.config_path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C in the terminal must not reach it before teardown
        )

    def _wait_ready(self) -> bool:
        """True once PING gets any reply (`+PONG`, or `-NOAUTH` when auth is on)."""
        proc = self._proc
        assert proc is not None, "_spawn() started it"
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(64)[:1] in (b"+", b"-"):
                        return True
            except OSError:
                pass
            time.sleep(0.02)
        return False

