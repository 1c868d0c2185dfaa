"""Probe overhead: cockpit's latencies against native tools and bare client loops, one run, same servers.

Starts its own redis-server, PostgreSQL 15 cluster and fake API, then measures, one after
the other on those servers:

1. native tools: `redis-benchmark -c 1 -t ping`, `pgbench -c 1` on `SELECT 1`, one `curl`
   process fetching /health many times over one kept-alive connection (TTFB);
2. bare client loops: redis.asyncio PING, psycopg async autocommit `SELECT 1`, httpx GET,
   back to back, and again paced like the TUI's pollers (one call every `--pace` s: a
   loopback round trip after an idle gap costs more than one in a hot loop);
3. cockpit's probes called in a loop (RedisProbe, PostgresProbe, HealthProbe);
4. the p50 the running TUI reports (the engine's latest `HealthRead`, as the health pane
   draws it), headless at 160x48 with every poller at `--pace` s: once idle, once while a
   pilot presses keys and forces repaints non-stop. The app is built as `cockpit` builds it
   (cockpit/ui/launch.py): the UI in this process, the engine in a process of its own
   (`EngineProcess`), so the pollers time their round trips away from the UI's work, as
   they do for users. (A `LocalEngine` would run them in this process's loop, beside the
   forced repaints: not what users run.)

The fake API must send with TCP_NODELAY, as real API servers do (cockpit/stack/http_app.py
does): with Nagle on, its separate header and body writes meet the client's delayed ACK
and every kept-alive GET takes ~44 ms, which curl's time to first byte does not show.

Run from the repository root: `.venv/bin/python -m bench.probe_latency [--help]`; `--smoke`
checks in a few seconds that every step still runs (a handful of samples, 3 s of TUI each,
JSON to a scratch file).

Everything it reads from inside the app (not the screen, not a probe) goes through
`headless_cockpit`: repoint that one function when the UI or the monitor move.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import itertools
import os
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import httpx
import psycopg
import redis.asyncio as aioredis
from textual import events

from bench.common import RESULTS, SMOKE_HELP, run, servers, smoke_json, summary, write_json
from cockpit.probes.http import HealthProbe, new_client
from cockpit.probes.pool_params import libpq_url
from cockpit.probes.postgres import PostgresProbe
from cockpit.probes.redis import RedisProbe
from cockpit.stack.postgres_cluster import PG_BIN

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
WARMUP = 50  # samples thrown away before each loop: connection set-up, first-call caches
LOOP_TIMEOUT = 120.0  # seconds for one whole loop of samples
TUI_GRACE = 60.0  # seconds a TUI phase may overrun (start-up, teardown) before it is abandoned
ENGINE_UP_SECONDS = 20.0  # at most, waited for the board's first sample of every metric before a TUI phase's window
TARGET_DELTA_MS = 0.3  # reported p50 minus bare-loop p50, Redis and PostgreSQL (the target)
KEY_RATE = 30  # keys a second while the UI is busy: a held-down arrow key repeats about this fast
UI_KEYS = ("down", "down", "down", "up", "tab", "d", "tab", "down", "shift+tab", "up", "d", "tab", "tab", "tab", "tab")
METRICS = (("redis", "redis", "Redis PING"), ("postgres", "database", "PostgreSQL SELECT 1"), ("http", "api", "HTTP GET /health"))


# -- 1. native tools --------------------------------------------------------------------

def redis_benchmark(port: int, n: int) -> dict:
    """p50 of PING_INLINE and PING_MBULK from `redis-benchmark --csv` (one client)."""
    out = run(["redis-benchmark", "-h", "127.0.0.1", "-p", port, "-c", 1, "-n", n, "-t", "ping", "--csv"], timeout=LOOP_TIMEOUT)
    rows = {row["test"]: row for row in csv.DictReader(io.StringIO(out))}
    return {test: {"n": n, "p50_ms": float(rows[test]["p50_latency_ms"]), "p99_ms": float(rows[test]["p99_latency_ms"])}
            for test in ("PING_INLINE", "PING_MBULK")}


def pgbench(cluster, n: int, work: Path) -> dict:
    """Per-transaction latencies of `pgbench -c 1 -M extended` running `SELECT 1` n times (from its `-l` log)."""
    script = work / "select1.sql"
    script.write_text("SELECT 1;\n")
    argv = [PG_BIN / "pgbench", "-h", "127.0.0.1", "-p", cluster.port, "-U", cluster.user, "-c", 1, "-j", 1, "-n",
            "-t", n + WARMUP, "-M", "extended", "-f", script, "-l", "--log-prefix", work / "pgbench", cluster.database]
    run(argv, timeout=LOOP_TIMEOUT, cwd=work, env={"PATH": "/usr/bin:/bin", "PGPASSWORD": cluster.password})
    (log,) = work.glob("pgbench.*")
    latencies_us = [int(line.split()[2]) for line in log.read_text().splitlines()]  # client xact latency_us ...
    return summary([us / 1000 for us in latencies_us[WARMUP:]])


def curl_ttfb(url: str, n: int) -> dict:
    """Time to first byte of n GETs of `url` by one curl process, which keeps the connection alive."""
    argv = ["curl", "-s", "--max-time", LOOP_TIMEOUT, "-w", "%{time_starttransfer} %{num_connects}\n"]
    for _ in range(n + WARMUP):
        argv += ["-o", "/dev/null", url]
    lines = [line.split() for line in run(argv, timeout=LOOP_TIMEOUT + 10).splitlines()]
    result = summary([float(ttfb) * 1000 for ttfb, _ in lines[WARMUP:]])
    result["connections"] = sum(int(new) for _, new in lines)  # 1 when every request reused the first connection
    return result


# -- 2. bare client loops and 3. cockpit's probes ---------------------------------------

async def timed_loop(call, n: int, pace: float = 0.0) -> dict:
    """p50/p99 of n awaited `call()`s (`pace` s apart), timed around the await only, after WARMUP untimed ones."""
    latencies = []
    async with asyncio.timeout(LOOP_TIMEOUT + (n + WARMUP) * pace):
        for i in range(n + WARMUP):
            if pace:
                await asyncio.sleep(pace)
            started = time.perf_counter()
            await call()
            if i >= WARMUP:
                latencies.append((time.perf_counter() - started) * 1000)
    return summary(latencies)


async def probe_loop(sample, n: int) -> dict:
    """p50/p99 of the `latency_ms` that n calls of a cockpit probe's `sample()` report."""
    latencies = []
    async with asyncio.timeout(LOOP_TIMEOUT):
        for i in range(n + WARMUP):
            latency_ms = (await sample()).latency_ms
            if i >= WARMUP:
                latencies.append(latency_ms)
    return summary(latencies)


async def bare_loops(redis_url: str, prisma_url: str, health_url: str, counts: dict, pace: float = 0.0) -> dict:
    """{metric: summary} of plain client loops on long-lived clients (psycopg with its defaults)."""
    bare = {}
    client = aioredis.Redis.from_url(redis_url, socket_connect_timeout=3, socket_timeout=5, single_connection_client=True)
    try:
        bare["redis"] = await timed_loop(client.ping, counts["redis"], pace)
    finally:
        await client.aclose()
    conn = await psycopg.AsyncConnection.connect(libpq_url(prisma_url), autocommit=True, connect_timeout=3)
    try:
        bare["postgres"] = await timed_loop(lambda: conn.execute("SELECT 1"), counts["postgres"], pace)
    finally:
        await conn.close()
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0, connect=3.0)) as http:
        bare["http"] = await timed_loop(lambda: http.get(health_url), counts["http"], pace)
    return bare


async def probe_loops(redis_url: str, prisma_url: str, health_url: str, counts: dict) -> dict:
    """{metric: summary} of the latencies cockpit's own probes report, called back to back."""
    probe = {}
    redis_probe, pg_probe, http_client = RedisProbe(redis_url), PostgresProbe(prisma_url), new_client(3, 5)
    try:
        probe["redis"] = await probe_loop(redis_probe.sample, counts["redis"])
        probe["postgres"] = await probe_loop(pg_probe.sample, counts["postgres"])
        probe["http"] = await probe_loop(HealthProbe(health_url, http_client).sample, counts["http"])
    finally:
        await redis_probe.close()
        await pg_probe.close()
        await http_client.aclose()
    return probe


# -- 4. what the running TUI reports -----------------------------------------------------

@asynccontextmanager
async def headless_cockpit(urls: dict, pace: float, state: Path) -> AsyncIterator[tuple[object, Callable[[], dict], Callable[[], float]]]:
    """The app's internals, all here: a CockpitApp, a reader of the health rows it was sent, and the engine's CPU.

    The app is built from the bundled runbook as `cockpit` builds it (cockpit/ui/launch.py: the
    run opened in the journal, then an `EngineProcess` behind the app), pointed at `urls`
    (redis_url, database_url, api_url, app_url), every poller at `pace` s (pages every 1 s),
    journaling into `state`. The reader returns {metric: {n, p50_ms, p99_ms, status}} from the
    latest `HealthRead` the engine sent (`app.cockpit.health.views`, what the health pane draws);
    the third callable, the engine process's CPU seconds so far. Imported here so that the rest
    of the bench (native tools, bare loops, probes) still runs when these internals move.
    """
    from cockpit.engine.process import EngineProcess, EngineSpec
    from cockpit.journal import Journal
    from cockpit.journal.session import RunSession
    from cockpit.runbook import load_runbook
    from cockpit.runbook.model import ProbeSettings
    from cockpit.ui.app import CockpitApp

    bundled = load_runbook(environ={})
    env = replace(bundled.environments["staging"], **urls)
    probes = ProbeSettings(interval_seconds=pace, connect_timeout_seconds=3, read_timeout_seconds=5,
                           max_backoff_seconds=1, intervals={"pages": 1.0})
    runbook = replace(bundled, probes=probes, environments={**bundled.environments, "staging": env})
    journal = Journal(state)
    try:
        session = RunSession(journal, runbook.id, runbook.version, env.name, "bench@localhost", new_run=True)
        initial, run_id = session.events_after(0), session.run.id if session.run else None
    finally:
        journal.close()  # from here on the journal is the engine's
    engine = EngineProcess(EngineSpec(runbook, env, str(state), "bench@localhost", environ={}))
    app = CockpitApp(runbook, env, engine, initial_events=initial, run_id=run_id, journal_path=str(state))
    engine_cpu = {"seconds": 0.0}  # the last reading: the engine is gone by the time its figure is asked for at the end

    def board() -> dict:
        health = app.cockpit.health
        views = {view.key: view for view in health.views} if health is not None else {}
        found = {}
        for metric, key, _ in METRICS:
            v = views.get(key)
            found[metric] = ({"n": 0, "p50_ms": None, "p99_ms": None, "status": "no HealthRead yet"} if v is None else
                             {"n": v.samples, "p50_ms": v.p50_ms, "p99_ms": v.p99_ms, "status": v.status})
        return found

    def cpu() -> float:
        if engine.pid is not None:
            try:
                fields = Path(f"/proc/{engine.pid}/stat").read_text().rsplit(")", 1)[1].split()
                engine_cpu["seconds"] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
            except OSError:
                pass  # ended meanwhile
        return engine_cpu["seconds"]

    yield app, board, cpu


async def reported(urls: dict, pace: float, seconds: float, busy: bool, state: Path) -> dict:
    """The health rows' p50 per metric after `seconds` of the whole app polling every `pace` s (pages every 1 s).

    Busy: keys arrive at up to KEY_RATE a second (posted as the driver posts
    them: `pilot.press` waits for the app to look idle, which it never does here) and a full
    re-layout and repaint is forced 60 times a second. `app_cpu_percent` is the CPU time of
    this process (the UI) and of the engine process over the wall time of the phase (100 =
    one core); `ui_cpu_percent` and `engine_cpu_percent` each.
    """
    presses, keys = 0, itertools.cycle(UI_KEYS)
    async with (headless_cockpit(urls, pace, state) as (app, board, engine_cpu), asyncio.timeout(seconds + TUI_GRACE + ENGINE_UP_SECONDS),
                app.run_test(size=(160, 48)) as pilot):
        repaint = app.set_interval(1 / 60, lambda: app.screen.refresh(layout=True), pause=not busy)
        # The window starts once the board shows every metric: on a loaded machine the engine process can take
        # seconds to start, and a window spent waiting for it measures nothing (the smoke then found no samples).
        up_by = time.monotonic() + ENGINE_UP_SECONDS
        while time.monotonic() < up_by and not all(reading["n"] for reading in board().values()):
            await pilot.pause(0.1)
        started, cpu_started, engine_started = time.monotonic(), time.process_time(), engine_cpu()
        while time.monotonic() < started + seconds:
            if busy:
                key = next(keys)
                app.post_message(events.Key(key, key if len(key) == 1 else None))
                presses += 1
                await asyncio.sleep(1 / KEY_RATE)
            else:
                await pilot.pause(0.25)
        wall = time.monotonic() - started
        ui_cpu, engine = (time.process_time() - cpu_started) / wall, (engine_cpu() - engine_started) / wall
        result = board()
        repaint.stop()
        await pilot.pause(0.5)  # let queued keys drain: one handled during teardown raises NoMatches
    return {**result, "seconds": seconds, "key_presses_per_s": presses / seconds, "app_cpu_percent": 100 * (ui_cpu + engine),
            "ui_cpu_percent": 100 * ui_cpu, "engine_cpu_percent": 100 * engine}


# -- the tables --------------------------------------------------------------------------

COLUMNS = ("native", "bare", "bare_paced", "probe", "reported_idle", "reported_busy")


def _row(cells: list[str]) -> str:
    return "  ".join(f"{c:>13}" if i else f"{c:<20}" for i, c in enumerate(cells))


def _delta(metric: str, value: float | None, base: float | None) -> str:
    if value is None or base is None:
        return "-"
    verdict = "" if metric == "http" else (" ok" if value - base <= TARGET_DELTA_MS else " MISS")
    return f"{value - base:+.3f}{verdict}"


def _ratio(value: float | None, base: float | None) -> str:
    """value/base, or "-" when either is missing or base is 0 (redis-benchmark's csv rounds a fast p50 to 0.000)."""
    return "-" if value is None or not base else f"{value / base:.2f}x"


def tables(results: dict) -> str:
    """p50s side by side, then ratios and reported minus bare against the 0.3 ms target."""
    lines = ["p50 in ms", _row(["metric", *COLUMNS])]
    derived = [_row(["metric", "probe/native", "probe/bare", "idle-bare", "busy-bare", "idle-paced", "busy-paced"])]
    for metric, _, label in METRICS:
        p = {column: results[column][metric]["p50_ms"] for column in COLUMNS}
        lines.append(_row([label, *("-" if v is None else f"{v:.3f}" for v in p.values())]))
        derived.append(_row([
            label, _ratio(p["probe"], p["native"]), _ratio(p["probe"], p["bare"]),
            *(_delta(metric, p[rep], p[base]) for base in ("bare", "bare_paced") for rep in ("reported_idle", "reported_busy")),
        ]))
    notes = [
        "native: redis-benchmark PING_MBULK (the form redis-py sends), pgbench -M extended, curl time_starttransfer (TTFB only)",
        f"bare_paced and reported: one call every {results['pace_s']:g} s; target: reported - bare <= {TARGET_DELTA_MS} ms (Redis, PostgreSQL)",
        *(f"{phase}: app CPU {results[phase]['app_cpu_percent']:.0f}% of a core (UI {results[phase]['ui_cpu_percent']:.0f}%, "
          f"engine {results[phase]['engine_cpu_percent']:.0f}%), {results[phase]['key_presses_per_s']:.1f} key presses/s"
          for phase in ("reported_idle", "reported_busy")),
    ]
    return "\n".join(lines + [""] + derived + [""] + notes)


async def measure(args: argparse.Namespace, tmp: Path) -> dict:
    """Every measurement, in order, on one set of servers."""
    with servers(tmp) as (redis, cluster, api):
        health = f"{api.url}/health"
        counts = {"redis": args.samples, "postgres": args.samples, "http": args.http_samples}
        print("native tools ...", flush=True)
        bench = redis_benchmark(redis.port, args.samples)
        native = {"redis": bench["PING_MBULK"], "redis_inline": bench["PING_INLINE"],
                  "postgres": pgbench(cluster, args.samples, tmp), "http": curl_ttfb(health, args.http_samples)}
        print("bare client loops and cockpit probes ...", flush=True)
        bare = await bare_loops(redis.url, cluster.prisma_url, health, counts)
        probe = await probe_loops(redis.url, cluster.prisma_url, health, counts)
        paced = dict.fromkeys(counts, args.paced_samples)
        print(f"bare loops paced at {args.pace:g} s, {args.paced_samples} samples each ...", flush=True)
        bare_paced = await bare_loops(redis.url, cluster.prisma_url, health, paced, args.pace)
        print(f"the TUI, idle then busy, {args.tui_seconds:g} s each ...", flush=True)
        urls = {"redis_url": redis.url, "database_url": cluster.prisma_url, "api_url": api.url, "app_url": api.url}
        idle = await reported(urls, args.pace, args.tui_seconds, False, tmp / "idle.sqlite3")
        busy = await reported(urls, args.pace, args.tui_seconds, True, tmp / "busy.sqlite3")
    return {"pace_s": args.pace, "native": native, "bare": bare, "bare_paced": bare_paced, "probe": probe,
            "reported_idle": idle, "reported_busy": busy}


def smoke_problems(results: dict) -> list[str]:
    """What a smoke run found broken: a TUI phase whose board reported no sample of a metric (numbers are not judged)."""
    return [f"{phase}: the board has no {metric} samples" for phase in ("reported_idle", "reported_busy")
            for metric, _, _ in METRICS if not results[phase][metric]["n"] or results[phase][metric]["p50_ms"] is None]


def main(argv: list[str] | None = None) -> int:
    global WARMUP  # --smoke throws fewer samples away
    parser = argparse.ArgumentParser(prog="python -m bench.probe_latency", description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=2000, help="Redis and PostgreSQL samples, native/bare/probe (2000)")
    parser.add_argument("--http-samples", type=int, default=500, help="HTTP samples, native/bare/probe (500)")
    parser.add_argument("--pace", type=float, default=0.05, help="seconds between paced calls and between TUI polls (0.05)")
    parser.add_argument("--paced-samples", type=int, default=200, help="samples per paced bare loop (200)")
    parser.add_argument("--tui-seconds", type=float, default=15.0, help="how long the TUI runs, idle and busy each (15)")
    parser.add_argument("--json", type=Path, default=None, help="where the results go (bench/results/latest.json)")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = parser.parse_args(argv)
    if args.smoke:
        WARMUP = 5
        args.samples, args.http_samples, args.paced_samples, args.tui_seconds = 20, 10, 5, 3.0
    args.json = args.json or (smoke_json("probe_latency") if args.smoke else RESULTS / "latest.json")
    with tempfile.TemporaryDirectory(prefix="cockpit-bench-") as tmp:
        results = asyncio.run(measure(args, Path(tmp)))
    print(tables(results))
    settings = {**vars(args), "json": str(args.json)}
    write_json(args.json, {"benchmark": "probe_latency", "settings": settings, "target_delta_ms": TARGET_DELTA_MS, **results})
    if args.smoke and (problems := smoke_problems(results)):
        print("smoke: " + "; ".join(problems))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
