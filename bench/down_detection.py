"""How long the screen takes to say DOWN: a real cockpit in tmux, its Redis killed, the verdict line read.

Target (issue "The screen never lies"): `redis DOWN` on screen within one poll interval plus the
read timeout of the moment Redis goes, every time. The cockpit runs against a local redis-server
and PostgreSQL, 120x40; each run kills redis-server with SIGKILL (or SIGSTOP with --freeze: a
server that accepts but never answers, the timeout's case), then reads the screen every 50 ms
until its verdict line names `redis DOWN`, then brings Redis back and waits for `all up`-free
health again. Run by hand: `python -m bench.down_detection --runs 5 [--freeze]`.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import REPO, RESULTS, servers, write_json

SESSION = "cockpit-down-bench"


def screen() -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", SESSION], capture_output=True, text=True, timeout=5).stdout


def verdict_line() -> str:
    lines = screen().splitlines()
    return lines[1] if len(lines) > 1 else ""


def wait(predicate, timeout: float, what: str) -> float:
    """Seconds until `predicate()` held (polled every 50 ms); raise after `timeout`."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}; screen:\n{screen()}")
        time.sleep(0.05)
    return time.monotonic() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--freeze", action="store_true", help="SIGSTOP Redis instead of killing it (the timeout path)")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp, servers(Path(tmp)) as (redis, cluster, api):
        env = {**os.environ, "REDIS_URL": redis.url, "DATABASE_URL": cluster.url, "COCKPIT_API_URL": api.url,
               "COCKPIT_APP_URL": api.url, "AWS_REGION": "", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
        cockpit = [sys.executable, "-m", "cockpit", "--state", str(Path(tmp) / "journal.sqlite3")]
        subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
        subprocess.run(["tmux", "new-session", "-d", "-s", SESSION, "-x", "120", "-y", "40", "-c", str(REPO),
                        "-e", f"PYTHONPATH={REPO}", *[f"-e{k}={v}" for k, v in env.items() if k.startswith(("REDIS", "DATABASE", "COCKPIT", "AWS"))],
                        " ".join(cockpit)], check=True, timeout=10)
        try:
            wait(lambda: "redis" in screen() and "redis DOWN" not in verdict_line() and "redis unknown" not in verdict_line(), 60, "redis polled")
            for run in range(args.runs):
                pid = redis._proc.pid
                killed = time.monotonic()
                os.kill(pid, signal.SIGSTOP if args.freeze else signal.SIGKILL)
                wait(lambda: "redis DOWN" in verdict_line(), 30, "redis DOWN")
                seconds = time.monotonic() - killed
                results.append(round(seconds, 2))
                print(f"run {run + 1}: redis DOWN on screen {seconds:.2f} s after {'SIGSTOP' if args.freeze else 'SIGKILL'}")
                if args.freeze:
                    os.kill(pid, signal.SIGCONT)
                else:
                    redis._proc.wait(5)
                    redis._proc = None
                    redis.start()
                wait(lambda: "redis DOWN" not in verdict_line(), 60, "redis back")
        finally:
            subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
    write_json(RESULTS / f"down-detection-{'freeze' if args.freeze else 'kill'}.json",
               {"runs_s": results, "interval_s": 2, "read_timeout_s": 5, "freeze": args.freeze})
    return 0


if __name__ == "__main__":
    sys.exit(main())
