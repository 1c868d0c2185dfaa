"""What the benchmarks share: the real servers, subprocesses with timeouts, machine info, JSON, runbook copies."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterator, Mapping, Sequence
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
SMOKE_HELP = "a few seconds end to end on the same code path (a check that the bench still works; the numbers mean nothing)"


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


def smoke_json(name: str) -> Path:
    """Where a `--smoke` run writes its JSON: a scratch file, never bench/results/."""
    return Path(tempfile.gettempdir()) / "cockpit-bench-smoke" / f"{name}.json"


def cockpit_executable() -> Path:
    """The `cockpit` script of the Python running the bench (its venv), else the repository's .venv."""
    beside = Path(sys.executable).with_name("cockpit")
    return beside if beside.exists() else REPO / ".venv" / "bin" / "cockpit"


# -- runbook copies with other settings ----------------------------------------------------

_TABLE_HEADER = re.compile(r"^\s*\[(?!\[)\s*(?P<name>[A-Za-z0-9_.-]+)\s*\]\s*(?:#.*)?$")
_ANY_HEADER = re.compile(r"^\s*\[")


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string for what a bench sets
    raise TypeError(f"cannot write {value!r} as a TOML value")


def _header_lines(lines: list[str]) -> list[int]:
    """Indexes of the table headers, skipping lines inside multi-line strings (a step's command may hold a `[`)."""
    headers, in_string = [], False
    for index, line in enumerate(lines):
        if not in_string and _ANY_HEADER.match(line):
            headers.append(index)
        if (line.count('"""') + line.count("'''")) % 2:
            in_string = not in_string
    return headers


def set_toml_values(text: str, table: str, values: Mapping[str, object]) -> str:
    """`text` with `key = value` in the plain table `[table]`: a key's line replaced, a missing key (or table) added.

    Targeted, so comments and layout stay; `edited_runbook` checks the result by parsing it.
    """
    lines = text.splitlines(keepends=True)
    headers = _header_lines(lines)
    start = next((i for i in headers if (m := _TABLE_HEADER.match(lines[i])) and m["name"] == table), None)
    if start is None:
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        lines += ["\n", f"[{table}]\n"]
        start = len(lines) - 1
    end = next((i for i in headers if i > start), len(lines))
    for key, value in values.items():
        assignment = re.compile(rf"^\s*{re.escape(key)}\s*=")
        found = next((i for i in range(start + 1, end) if assignment.match(lines[i])), None)
        if found is None:
            lines.insert(start + 1, f"{key} = {_toml_value(value)}\n")
            end += 1
        else:
            lines[found] = f"{key} = {_toml_value(value)}\n"
    return "".join(lines)


def _nested_set(data: dict, table: str, values: Mapping[str, object]) -> None:
    for part in table.split("."):
        data = data.setdefault(part, {})
    data.update(values)


def edited_runbook(source: Path, target: Path, edits: Mapping[str, Mapping[str, object]]) -> Path:
    """A copy of the runbook `source` at `target` with `{table: {key: value}}` set, checked by parsing both.

    The copy must parse to exactly the original's data plus the edits (nothing else changed,
    nothing lost); otherwise a RuntimeError says which table the runbook no longer has as expected.
    """
    text = source.read_text()
    expected = tomllib.loads(text)
    for table, values in edits.items():
        text = set_toml_values(text, table, values)
        _nested_set(expected, table, values)
    try:
        edited = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuntimeError(f"setting {dict(edits)} in {source} made it invalid TOML ({exc}): has the layout of those tables changed?") from exc
    if edited != expected:
        raise RuntimeError(f"setting {dict(edits)} in {source} changed more than those keys: has the layout of those tables changed?")
    target.write_text(text)
    return target
