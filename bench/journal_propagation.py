"""How soon another cockpit sees an operator's tick: one shared run, one cockpit ticking, one following.

Target (issue "The war room"): every cockpit attached to the run sees the others' ticks within 1 s.
The follower is a cockpit engine in a process of its own, as `cockpit` runs it (EngineProcess, its
default 1 s poll); the operator ticking is a RunSession in this process, as `cockpit tick` writes.
Each figure is the time from the tick's COMMIT (its append returned) to the follower's JournalRead
carrying it, received here. Stores: PostgreSQL (LISTEN/NOTIFY: the doorbell rings) and a SQLite file
(read every second). Ticks are spaced 0.2-0.6 s apart at random, so they do not line up with a poll.

Run by hand: `python -m bench.journal_propagation [--ticks 40] [--hogs 2]`; `--smoke`: a few ticks per
store, JSON to a scratch file, exit 1 only if a tick never arrives (not if a figure misses the target).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import RESULTS, SMOKE_HELP, smoke_json, summary, write_json
from cockpit.engine.events import EngineEvent, JournalFollowing, JournalRead
from cockpit.engine.process import EngineProcess, EngineSpec
from cockpit.journal.opening import open_store
from cockpit.journal.session import RunSession
from cockpit.runbook import load_runbook
from cockpit.stack.postgres_cluster import PostgresCluster

ARRIVAL_LIMIT = 10.0  # seconds: a tick not seen by then is a breakage, not a figure
STEPS = ("pre-docs", "pre-env-vars", "pre-db-pool", "pre-redis", "pre-secrets")


async def follow_and_tick(location: str, ticks: int) -> dict:
    """Tick `ticks` times as alice; the figures of bob's engine seeing each (ms)."""
    runbook = load_runbook()
    env = runbook.environments["staging"]
    alice = RunSession(open_store(location), runbook.id, runbook.version, env.name, "alice@bench")
    alice.record("pre-docs", "note", {"text": "the run starts"})  # the run exists before the follower opens it
    seen: dict[int, float] = {}
    modes: list[str] = []
    arrived = asyncio.Event()

    def receive(batch: list[EngineEvent]) -> None:
        now = time.monotonic()
        for event in batch:
            if isinstance(event, JournalRead):
                for e in event.events:
                    seen.setdefault(e.id, now)
                arrived.set()
            elif isinstance(event, JournalFollowing):
                modes.append(event.mode)

    spec = EngineSpec(runbook, env, location, "bob@bench", read_only=True, live=False, journal_poll_seconds=1.0)
    follower = EngineProcess(spec)
    follower.start(receive)
    figures: list[float] = []
    try:
        deadline = time.monotonic() + 60
        while not seen and time.monotonic() < deadline:  # the follower has read the run once: it follows from here
            arrived.clear()
            await asyncio.wait_for(arrived.wait(), 60)
        await asyncio.sleep(2.0)  # its doorbell (if any) has connected and echoed: measure the steady state
        for n in range(ticks):
            await asyncio.sleep(random.uniform(0.2, 0.6))
            event = alice.record(STEPS[n % len(STEPS)], "tick" if n % 2 == 0 else "untick")
            committed = time.monotonic()
            until = committed + ARRIVAL_LIMIT
            while event.id not in seen:
                if time.monotonic() > until:
                    raise RuntimeError(f"tick {event.id} not seen by the follower within {ARRIVAL_LIMIT:g} s")
                arrived.clear()
                if event.id in seen:
                    break
                try:
                    await asyncio.wait_for(arrived.wait(), max(0.01, until - time.monotonic()))
                except TimeoutError:
                    pass
            figures.append((seen[event.id] - committed) * 1000)
    finally:
        await follower.stop()
        alice.journal.close()
    return {"mode": modes[-1] if modes else "polling (a file)", **summary(figures), "max_ms": max(figures),
            "within_1s": sum(f <= 1000 for f in figures), "ms": [round(f, 1) for f in figures]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.journal_propagation", description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=40)
    parser.add_argument("--hogs", type=int, default=0, help="CPU-bound processes beside it (a loaded CI machine)")
    parser.add_argument("--json", type=Path, default=None, help="where the results go (results/journal-propagation.json)")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = parser.parse_args(argv)
    if args.smoke:
        args.ticks = 3
    args.json = args.json or (smoke_json("journal-propagation") if args.smoke else RESULTS / f"journal-propagation-hogs{args.hogs}.json")
    hogs = [subprocess.Popen(["yes"], stdout=subprocess.DEVNULL) for _ in range(args.hogs)]
    results = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cluster = PostgresCluster(Path(tmp) / "postgres")
            try:
                cluster.start()
                stores = {"postgresql": cluster.url, "sqlite": str(Path(tmp) / "journal.sqlite3")}
                for name, location in stores.items():
                    results[name] = asyncio.run(follow_and_tick(location, args.ticks))
                    r = results[name]
                    print(f"{name:<10} {r['mode']:<18} p50 {r['p50_ms']:.0f} ms  p99 {r['p99_ms']:.0f} ms  max {r['max_ms']:.0f} ms"
                          f"  within 1 s: {r['within_1s']}/{r['n']}", flush=True)
            finally:
                cluster.close()
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    write_json(args.json, {"ticks": args.ticks, "hogs": args.hogs, "results": results})
    if args.smoke:
        print("smoke: every tick reached the following cockpit, on both stores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
