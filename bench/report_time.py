"""`cockpit report` on a long release day: how long it takes and how big the report is, by journal size.

Target (issue 18, the release report): a report of a run with 10,000 journaled events (a long night:
every step ticked, noted and checked many times) in under 2 s, Markdown or JSON, so the command is
something one runs at the end of a release without thinking about it. Each size is a fresh SQLite
journal written through the journal's own API (ticks, unticks, notes, checks with evidence, one run,
three operators), then `cockpit report --format md|json --out FILE` in a process of its own, timed from
start to exit (Python's start-up and imports included: that is what the operator waits for).
Run by hand: `python -m bench.report_time [--events 1000 10000 50000] [--runs 3]`; `--smoke`: one small
journal, one run, exit 1 only when the report is not written or not valid JSON.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import RESULTS, SMOKE_HELP, smoke_json, write_json
from cockpit.journal import Journal
from cockpit.journal.session import RunSession
from cockpit.runbook import load_runbook

WHO = ("alice@bastion", "bob@laptop", "carol@war-room")
KINDS = ("check", "note", "tick", "untick")


def write_journal(path: Path, events: int) -> None:
    """`events` events over the bundled runbook's steps, one a second from 20:00 UTC."""
    runbook = load_runbook()
    steps = [s.id for p in runbook.phases for s in p.steps]
    start = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    clock = {"now": start}
    journal = Journal(path, clock=lambda: clock["now"])
    session = RunSession(journal, runbook.id, runbook.version, "staging", WHO[0])
    try:
        for n in range(events):
            clock["now"] = start + timedelta(seconds=n)
            session.who = WHO[n % len(WHO)]
            kind = KINDS[n % len(KINDS)]
            payload = ({"status": "fail" if n % 7 == 0 else "pass", "evidence": f"PONG in 0.{n % 97:02d} ms · redis 7.0.15"}
                       if kind == "check" else {"text": f"note {n}: retried after the pool warmed up"} if kind == "note" else {})
            session.record(steps[n % len(steps)], kind, payload)
    finally:
        journal.close()


def one_report(journal: Path, fmt: str, out: Path) -> dict:
    """`cockpit report` once: seconds from start to exit, exit code, bytes written."""
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "cockpit", "report", "--state", str(journal), "--format", fmt, "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"cockpit report exited {done.returncode}: {done.stderr.strip()[-500:]}")
    return {"seconds": round(seconds, 3), "bytes": out.stat().st_size}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report_time", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[1_000, 10_000, 50_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None, help="where the results go (results/report-time.json)")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = parser.parse_args(argv)
    if args.smoke:
        args.events, args.runs = [200], 1
    args.json = args.json or (smoke_json("report-time") if args.smoke else RESULTS / "report-time.json")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for events in args.events:
            journal = Path(tmp) / f"journal-{events}.sqlite3"
            write_journal(journal, events)
            for fmt in ("md", "json"):
                out = Path(tmp) / f"report-{events}.{fmt}"
                runs = [one_report(journal, fmt, out) for _ in range(args.runs)]
                if fmt == "json":
                    json.loads(out.read_text())  # a report that does not parse is a breakage, not a number
                seconds = [r["seconds"] for r in runs]
                results.append({"events": events, "format": fmt, "seconds": seconds, "bytes": runs[-1]["bytes"]})
                print(f"{events:>7,} events  {fmt:<4}  {min(seconds):.2f}-{max(seconds):.2f} s  {runs[-1]['bytes']:,} bytes", flush=True)
    write_json(args.json, {"results": results, "runs": args.runs})
    if args.smoke:
        print("smoke: the report was written in both formats and the JSON parses")
    return 0


if __name__ == "__main__":
    sys.exit(main())
