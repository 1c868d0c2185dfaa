"""A real PostgreSQL 15 cluster on a free loopback port, that tests may stop and restart.

initdb refuses to run as root, so as root every server-side command runs as the `postgres`
user (`runuser -u postgres --`), in a directory that user owns. pytest's tmp dirs are 0700
under /tmp/pytest-of-root, which `postgres` cannot traverse, so the cluster always lives in
its own `tempfile.mkdtemp(prefix="cockpit-pg-")` (mode 0755; this also keeps the Unix socket
path well under its 107-byte limit). `close()` removes it and leaves a copy of the server
log in `tmp_dir`.

The cluster: superuser `postgres` (trust over the Unix socket only), role `cockpit` with a
password full of URL-special characters (scram-sha-256 over TCP), database `avnz` owned by
it. initdb runs once per test session: later clusters copy that first, provisioned data
directory (a cold copy of a cleanly stopped cluster): copy + start ~0.35-0.5 s, against
~0.75-1.5 s for initdb + start + provisioning (measured 2026-11 on these machines).
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

from cockpit.stack import free_port, log_tail, wait_until_closed


def find_pg_bin() -> Path:
    """Where initdb and pg_ctl are: $COCKPIT_PG_BIN, else Debian's 15, else its newest, else PATH's.

    The tests are measured with 15 (DESIGN); `cockpit demo` takes whatever is installed.
    """
    if os.environ.get("COCKPIT_PG_BIN"):
        return Path(os.environ["COCKPIT_PG_BIN"])
    debian = Path("/usr/lib/postgresql")
    preferred = debian / "15" / "bin"
    if (preferred / "initdb").exists():
        return preferred
    versions = sorted((d for d in debian.glob("*/bin") if (d / "initdb").exists()), key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0)
    if versions:
        return versions[-1]
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else preferred


PG_BIN = find_pg_bin()
ROLE = "cockpit"
PASSWORD = "p@ss:w/rd%1"  # '@', ':', '/' and '%' all need percent-encoding in a URL
DATABASE = "avnz"
PRISMA_PARAMS = "connection_limit=10&pool_timeout=20"  # as in the deployment plan's DATABASE_URL
START_TIMEOUT = 30

_template: PostgresCluster | None = None  # the first provisioned cluster's data, cleanly stopped


def _as_root() -> bool:
    return os.geteuid() == 0


class PostgresCluster:
    """One PostgreSQL cluster (data directory + postmaster) for tests.

    `start()` creates it on first use (initdb, or a copy of the session's template),
    `stop()` is `pg_ctl stop -m fast` and idempotent, `restart()` keeps port and data,
    `freeze()`/`thaw()` SIGSTOP/SIGCONT every server process (connections hang),
    `close()` stops and deletes it.
    """

    def __init__(self, tmp_dir: Path | str, *, use_template: bool = True) -> None:
        self.tmp_dir = Path(tmp_dir)
        self.use_template = use_template
        self.port = 0
        self.password = PASSWORD
        self.user = ROLE
        self.database = DATABASE
        self.base: Path | None = None  # the 0755 mkdtemp dir holding data/, sock/, server.log
        self._pid: int | None = None
        self._frozen = False
        self._copied = False  # True when the data came from the template (already provisioned)
        atexit.register(self.close)

    # -- addresses ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        """`postgresql://cockpit:<percent-encoded password>@127.0.0.1:PORT/avnz` (libpq accepts it)."""
        return self.url_with()

    @property
    def prisma_url(self) -> str:
        """`url` plus the Prisma-style pool parameters libpq rejects (`connection_limit`, `pool_timeout`)."""
        return f"{self.url}?{PRISMA_PARAMS}"

    def url_with(self, *, user: str = ROLE, password: str | None = PASSWORD, database: str = DATABASE) -> str:
        """The URL with other credentials or database, e.g. `url_with(password="wrong")`."""
        auth = quote(user, safe="") + (f":{quote(password, safe='')}" if password is not None else "")
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{quote(database, safe='')}"

    @property
    def data_dir(self) -> Path:
        return self._require_base() / "data"

    @property
    def socket_dir(self) -> Path:
        return self._require_base() / "sock"

    @property
    def log_path(self) -> Path:
        return self._require_base() / "server.log"

    @property
    def running(self) -> bool:
        """True while the postmaster process exists (frozen counts as running)."""
        if self._pid is None:
            return False
        try:
            os.kill(self._pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> PostgresCluster:
        """Create the cluster on first use, start it (same port as before, if any), wait until ready."""
        if self.running:
            return self
        if not (PG_BIN / "initdb").exists():
            raise RuntimeError(f"PostgreSQL is not installed: no {PG_BIN / 'initdb'} (Debian: apt-get install postgresql; or set COCKPIT_PG_BIN)")
        fresh = self.base is None
        if fresh:
            self._create()
        keep_port = self.port != 0
        for _attempt in range(3):
            if not keep_port:
                self.port = free_port()
            if self._pg_ctl_start():
                break
            if keep_port or "already in use" not in log_tail(self.log_path, 10):
                raise RuntimeError(f"PostgreSQL did not start on port {self.port}; log tail:\n{log_tail(self.log_path)}")
        else:
            raise RuntimeError(f"PostgreSQL found no free port; log tail:\n{log_tail(self.log_path)}")
        if fresh and not self._copied:
            self._provision()
        return self

    def stop(self) -> None:
        """`pg_ctl stop -m fast`; a no-op when not running.

        A postmaster whose start we never saw finish (pg_ctl timed out, or a signal cut
        `start()` short) is found by its pid file, so it is stopped too, not orphaned.
        """
        if self._pid is None:
            self._pid = self._postmaster_on_disk()
        if not self.running:
            self._pid = None
            return
        self.thaw()
        result = self._run([PG_BIN / "pg_ctl", "-D", self.data_dir, "-m", "fast", "-w", "-t", "30", "stop"], check=False)
        if result.returncode != 0 and self.running:
            assert self._pid is not None  # running says so
            os.killpg(self._pid, signal.SIGKILL)  # a test must never leave a server behind
        self._pid = None
        wait_until_closed(self.port)

    def restart(self) -> PostgresCluster:
        """Stop, then start on the same port with the same data."""
        self.stop()
        return self.start()

    def freeze(self) -> None:
        """SIGSTOP the postmaster's process group: TCP connects succeed, nothing ever answers."""
        if self.running and not self._frozen:
            assert self._pid is not None  # running says so
            os.killpg(self._pid, signal.SIGSTOP)
            self._frozen = True

    def thaw(self) -> None:
        """SIGCONT after `freeze()`."""
        if self._frozen and self.running:
            assert self._pid is not None  # running says so
            os.killpg(self._pid, signal.SIGCONT)
        self._frozen = False

    def close(self) -> None:
        """Stop, keep a copy of the server log in `tmp_dir`, delete the cluster. Idempotent."""
        if self.base is None:
            return
        self.stop()
        if self is _template:
            return  # the session's template outlives every test; removed at exit
        try:
            self.tmp_dir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.log_path, self.tmp_dir / "postgres-server.log")
        except OSError:
            pass
        shutil.rmtree(self.base, ignore_errors=True)
        self.base = None

    def __enter__(self) -> PostgresCluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------------

    def _require_base(self) -> Path:
        if self.base is None:
            raise RuntimeError("the cluster has not been created yet: call start()")
        return self.base

    def _create(self) -> None:
        """mkdtemp + initdb (or a copy of the template's data directory)."""
        self.base = Path(tempfile.mkdtemp(prefix="cockpit-pg-"))
        self.base.chmod(0o755)
        (self.base / "sock").mkdir()
        if _as_root():
            shutil.chown(self.base, "postgres", "postgres")
            shutil.chown(self.base / "sock", "postgres", "postgres")
        template = _template_cluster() if self.use_template else None
        if template is not None and template is not self:
            # `cp -a` keeps owner and the 0700 mode postgres insists on.
            self._run(["cp", "-a", template.data_dir, self.data_dir])
            self._copied = True
            return
        self._run([
            PG_BIN / "initdb", "-D", self.data_dir, "-U", "postgres", "--auth-host=scram-sha-256",
            "--auth-local=trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions",
        ])

    def _postmaster_on_disk(self) -> int | None:
        """The pid in our data directory's postmaster.pid, if that process is a postgres started on it."""
        if self.base is None:
            return None
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            return None  # no pid file, or a stale one whose process is gone
        return pid if str(self.data_dir).encode() in command else None  # never a recycled pid

    def _pg_ctl_start(self) -> bool:
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 "
            "-c max_connections=30 -c fsync=off"
        )
        result = self._run(
            [PG_BIN / "pg_ctl", "-D", self.data_dir, "-l", self.log_path, "-w", "-t", str(START_TIMEOUT), "-o", options, "start"],
            check=False,
        )
        if result.returncode != 0:
            return False
        self._pid = int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        return True

    def _provision(self) -> None:
        """Role `cockpit` and database `avnz`, as superuser over the Unix socket (trust)."""
        sql = (
            f"CREATE ROLE {ROLE} LOGIN PASSWORD '{PASSWORD}';\n"
            f"CREATE DATABASE {DATABASE} OWNER {ROLE};\n"
        )
        self._run(
            [PG_BIN / "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.socket_dir, "-p", str(self.port), "-U", "postgres", "-d", "postgres"],
            input=sql,
        )

    def _run(self, argv: list, *, check: bool = True, input: str | None = None) -> subprocess.CompletedProcess:
        """Run a PostgreSQL command, as the `postgres` user when we are root, from the cluster dir."""
        argv = [str(a) for a in argv]
        if _as_root():
            argv = ["runuser", "-u", "postgres", "--", *argv]
        env = {**os.environ, "LC_ALL": "C", "PGTZ": "UTC"}
        for name in ("PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD", "PGSERVICE", "PGOPTIONS"):
            env.pop(name, None)
        try:
            result = subprocess.run(
                argv, cwd=self.base, env=env, input=input, capture_output=True, text=True, timeout=60, start_new_session=True
            )
        except subprocess.TimeoutExpired as error:
            raise RuntimeError(f"{' '.join(argv)} did not finish within 60 s") from error
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
        return result


def _template_cluster() -> PostgresCluster | None:
    """The session's first provisioned cluster, stopped, for others to copy (built on demand)."""
    global _template
    if _template is None:
        cluster = PostgresCluster(tempfile.gettempdir(), use_template=False)
        _template = cluster
        try:
            cluster.start()
            cluster.stop()
        except BaseException:
            _template = None
            _remove_base(cluster)
            raise
        atexit.register(_remove_base, cluster)
    return _template


def _remove_base(cluster: PostgresCluster) -> None:
    if cluster.base is not None:
        shutil.rmtree(cluster.base, ignore_errors=True)
