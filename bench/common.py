"""What both benchmarks share: the real servers, subprocesses with timeouts, machine info, JSON."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from cockpit.core.latency import percentile
from cockpit.stack.http_app import FakeApi
from cockpit.stack.postgres_cluster import PG_BIN, PostgresCluster
from cockpit.stack.redis_server import RedisServer

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
PACKAGES = ("textual", "redis", "hiredis", "psycopg", "httpx")


def run(argv: Sequence[object], timeout: float = 60.0, **kwargs) -> str:
    """Run a command to completion (killed after `timeout` s) and return its stdout; raise on failure."""
    argv = [str(a) for a in argv]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {result.returncode}: {result.stderr.strip()[-500:]}")
    return result.stdout


@contextmanager
def servers(tmp: Path) -> Iterator[tuple[RedisServer, PostgresCluster, FakeApi]]:
    """A redis-server, a PostgreSQL 15 cluster and the fake API, all stopped on the way out (even on errors)."""
    with ExitStack() as stack:
        redis = RedisServer(tmp / "redis")
        stack.callback(redis.stop)
        cluster = PostgresCluster(tmp / "postgres")
        stack.callback(cluster.close)
        api = FakeApi()
        stack.callback(api.stop)
        yield redis.start(), cluster.start(), api.start()


def summary(values_ms: Sequence[float]) -> dict:
    """Sample count, p50 and p99 in ms (nearest rank, as the cockpit's board computes them)."""
    return {"n": len(values_ms), "p50_ms": percentile(values_ms, 0.5), "p99_ms": percentile(values_ms, 0.99)}


def machine_info() -> dict:
    """Where the numbers came from: cores, Python, client libraries and server versions."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "redis_server": run(["redis-server", "--version"], timeout=10).strip(),
        "postgres": run([PG_BIN / "postgres", "--version"], timeout=10).strip(),
        "cockpit_git": git_state(),
        "loadavg_at_end": os.getloadavg(),  # other work on the machine skews every figure
    }


def git_state() -> str:
    """The commit measured, plus `+dirty-<hash of the diff>` when cockpit/ has uncommitted changes (they ran too)."""
    try:
        commit = run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], timeout=10).strip()
        diff = run(["git", "-C", REPO, "diff", "HEAD", "--", "cockpit"], timeout=10)
    except (RuntimeError, OSError, subprocess.TimeoutExpired):
        return "unknown"
    return commit + (f"+dirty-{hashlib.sha1(diff.encode()).hexdigest()[:8]}" if diff else "")


def write_json(path: Path, results: dict) -> None:
    """`results` plus a UTC timestamp and the machine info, as indented JSON at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"timestamp": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine_info(), **results}
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"results written to {path}")
