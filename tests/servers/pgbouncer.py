"""A real pgbouncer (Debian's package) in transaction pooling, in front of a test PostgreSQL cluster.

Transaction pooling is where LISTEN/NOTIFY cannot work: a LISTEN and the NOTIFY meant for it run
on server sessions handed out per transaction. The shared journal's doorbell must find that out
by itself and fall back to polling (cockpit/journal/pg_doorbell.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from cockpit.stack import free_port
from cockpit.stack.postgres_cluster import PASSWORD, ROLE

BINARY = "/usr/sbin/pgbouncer"
START_SECONDS = 10.0


class PgBouncer:
    """`start()` it, use `url(database)`, `stop()` it. Run as the `postgres` user when we are root (pgbouncer refuses root)."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = 0
        self._dir = ""
        self._process: subprocess.Popen | None = None

    def url(self, database: str) -> str:
        """A URL of role cockpit through the pooler (same credentials as the cluster's)."""
        from urllib.parse import quote

        return f"postgresql://{ROLE}:{quote(PASSWORD, safe='')}@127.0.0.1:{self.port}/{database}"

    def start(self) -> PgBouncer:
        """Start it and wait until it answers; RuntimeError (with its output) when it does not."""
        if not Path(BINARY).exists():
            raise RuntimeError(f"{BINARY} is not installed (apt-get install pgbouncer)")
        self.port = free_port()
        self._dir = tempfile.mkdtemp(prefix="pgbouncer-")
        os.chmod(self._dir, 0o755)  # read by the postgres user pgbouncer switches to
        users, ini = Path(self._dir, "users.txt"), Path(self._dir, "pgbouncer.ini")
        users.write_text(f'"{ROLE}" "{PASSWORD}"\n')
        ini.write_text(f"[databases]\n* = host=127.0.0.1 port={self.upstream_port}\n[pgbouncer]\nlisten_addr = 127.0.0.1\n"
                       f"listen_port = {self.port}\nunix_socket_dir =\nauth_type = plain\nauth_file = {users}\npool_mode = transaction\n")
        argv = [BINARY, *(["-u", "postgres"] if os.geteuid() == 0 else []), str(ini)]
        self._process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self._wait_until_up()
        return self

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                psycopg.connect(self.url("postgres"), connect_timeout=2).close()
                return
            except psycopg.Error as exc:
                assert self._process is not None
                if self._process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"pgbouncer did not answer: {exc}") from exc
                time.sleep(0.05)  # a server starting: poll its port, bounded by the deadline

    def stop(self) -> None:
        """Stop it and remove its directory (idempotent)."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
            if self._process.stdout:
                self._process.stdout.close()
            self._process = None
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = ""
