"""`cockpit check` run after run against real loopback servers: does the gate pass a healthy system?

Target (issue "The screen never lies"): 20 runs out of 20 pass against healthy servers, also with
two CPU-bound processes beside it on a 2-core machine. The servers are `cockpit demo`'s stack
(redis-server, PostgreSQL, the stand-in API and moto, seeded as the plan's estate); each run is
`cockpit check --json` in a process of its own, journaling into a scratch file. Run by hand:
`python -m bench.check_runs --runs 20 [--hogs 2]`; `--smoke` checks that it still works (one run,
JSON to a scratch file, exit 1 only if the report cannot be read or lacks the threshold checks).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import RESULTS, SMOKE_HELP, smoke_json, write_json
from cockpit.demo.control import DemoControl

THRESHOLDS = ("post-redis-latency", "post-api-p99", "post-dashboard-ttfb")


def one_run(env: dict[str, str]) -> dict:
    """One `cockpit check --json`: its exit code and every check's status and p99."""
    done = subprocess.run([sys.executable, "-m", "cockpit", "check", "--json"], env=env, capture_output=True, text=True, timeout=120)
    try:
        checks = {c["id"]: c for c in json.loads(done.stdout)["checks"]}
    except (ValueError, KeyError, TypeError) as exc:
        raise RuntimeError(f"`cockpit check --json` exited {done.returncode} without a readable report ({exc!r}); "
                           f"stdout: {done.stdout[-500:]!r}; stderr: {done.stderr[-1000:]}") from exc
    return {"exit": done.returncode, "not_passed": {k: c["status"] for k, c in checks.items() if c["status"] != "pass"},
            "p99_ms": {k: checks[k].get("latency_ms") for k in THRESHOLDS if k in checks}}


def smoke_problems(run: dict) -> list[str]:
    """What a smoke run found broken: an exit that is neither pass nor fail, threshold checks gone (a fail is not broken)."""
    problems = [] if run["exit"] in (0, 1) else [f"`cockpit check` exited {run['exit']}"]
    if missing := [k for k in THRESHOLDS if k not in run["p99_ms"]]:
        problems.append(f"no such checks in the report any more: {', '.join(missing)}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.check_runs", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--hogs", type=int, default=0, help="CPU-bound processes (`yes`) running beside it")
    parser.add_argument("--json", type=Path, default=None, help="where the results go (results/check-runs-hogsN.json)")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = parser.parse_args(argv)
    if args.smoke:
        args.runs = 1
    name = f"check-runs-hogs{args.hogs}"
    args.json = args.json or (smoke_json(name) if args.smoke else RESULTS / f"{name}.json")
    control = DemoControl()
    hogs: list[subprocess.Popen] = []
    runs = []
    try:
        ready = control.start(lambda line: None)
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, **ready.environ, "COCKPIT_STATE": str(Path(tmp) / "journal.sqlite3")}
            hogs = [subprocess.Popen(["yes"], stdout=subprocess.DEVNULL) for _ in range(args.hogs)]
            for index in range(args.runs):
                run = one_run(env)
                runs.append(run)
                p99 = " ".join(f"{k} {v:.2f} ms" for k, v in run["p99_ms"].items() if v is not None)
                print(f"run {index + 1}: exit {run['exit']} {run['not_passed'] or 'all passed'} · {p99}", flush=True)
    finally:
        for hog in hogs:
            hog.kill()
        control.stop()
    passed = sum(r["exit"] == 0 for r in runs)
    print(f"{passed} of {len(runs)} passed with {args.hogs} CPU hogs")
    ranges = {k: [min(v), max(v)] for k in THRESHOLDS if (v := [r["p99_ms"][k] for r in runs if r["p99_ms"].get(k) is not None])}
    write_json(args.json, {"runs": runs, "passed": passed, "p99_ms_range": ranges, "hogs": args.hogs})
    if args.smoke:
        problems = [problem for run in runs for problem in smoke_problems(run)]
        print("smoke: " + ("; ".join(problems) if problems else "the report was read (a check that did not pass is a finding, not a breakage)"))
        return 1 if problems else 0
    return 0 if passed == len(runs) else 1


if __name__ == "__main__":
    sys.exit(main())
