"""How long the screen takes to say DOWN: a real cockpit in tmux, its Redis killed, the verdict line read.

Target (issue "The screen never lies"): `redis DOWN` on screen within one poll interval plus the
read timeout of the moment Redis goes, every time. The cockpit runs against a local redis-server
and PostgreSQL, 120x40, in a tmux server of its own; each run kills redis-server with SIGKILL (or
SIGSTOP with --freeze: a server that accepts but never answers, the timeout's case), then reads
the screen every 50 ms until its verdict line names `redis DOWN`, then brings Redis back and
waits until the verdict no longer names it. Run by hand: `python -m bench.down_detection --runs 5
[--freeze]`; `--smoke` checks that it still works (one SIGKILL run, JSON to a scratch file,
exit 1 only if a screen it waits for never comes).
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
import tempfile
import time
from pathlib import Path

from bench.common import REPO, RESULTS, SMOKE_HELP, servers, smoke_json, write_json
from bench.idle_cpu import Tmux, cockpit_pid, end_session
from cockpit.stack.redis_server import RedisServer

WAIT_TIMEOUT = 30.0  # for `redis DOWN` after the signal: four times the target, so a timeout means broken


def kill_redis(redis: RedisServer) -> None:
    """SIGKILL the stack's redis-server and reap it, so that `redis.start()` starts it again on the same port.

    The one place that reaches into cockpit's stack: RedisServer has no public "die now".
    """
    proc = redis._proc
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(5)
    redis._proc = None


def verdict_line(screen: str) -> str:
    lines = screen.splitlines()
    return lines[1] if len(lines) > 1 else ""


def wait(tmux: Tmux, predicate, timeout: float, what: str) -> float:
    """Seconds until `predicate(screen)` held (screen read every 50 ms); raise after `timeout`."""
    start = time.monotonic()
    while not predicate(screen := tmux.capture()):
        if time.monotonic() - start > timeout:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}; screen:\n{screen}")
        time.sleep(0.05)
    return time.monotonic() - start


def polled(screen: str) -> bool:
    return "redis" in screen and not any(f"redis {word}" in verdict_line(screen) for word in ("DOWN", "unknown"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.down_detection", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--freeze", action="store_true", help="SIGSTOP Redis instead of killing it (the timeout path)")
    parser.add_argument("--json", type=Path, default=None, help="where the results go (results/down-detection-kill.json or -freeze.json)")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = parser.parse_args(argv)
    if args.smoke:
        args.runs = 1
    name = f"down-detection-{'freeze' if args.freeze else 'kill'}"
    args.json = args.json or (smoke_json(name) if args.smoke else RESULTS / f"{name}.json")
    results = []
    with tempfile.TemporaryDirectory(prefix="cockpit-bench-") as tmp, servers(Path(tmp)) as (redis, cluster, api):
        env = {"REDIS_URL": redis.url, "DATABASE_URL": cluster.url, "COCKPIT_API_URL": api.url, "COCKPIT_APP_URL": api.url,
               "AWS_REGION": "", "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "PYTHONPATH": str(REPO)}
        assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        state = Path(tmp) / "journal.sqlite3"
        tmux = Tmux(f"cockpit-down-bench-{os.getpid()}")
        pid = None
        try:
            tmux.start(f"cd {shlex.quote(str(REPO))} && exec env {assignments} {shlex.quote(sys.executable)} -m cockpit --state {state}", 120, 40)
            pid = cockpit_pid(state)
            wait(tmux, polled, 60, "redis polled")
            for run in range(args.runs):
                killed = time.monotonic()
                if args.freeze:
                    redis.freeze()
                else:
                    kill_redis(redis)
                wait(tmux, lambda screen: "redis DOWN" in verdict_line(screen), WAIT_TIMEOUT, "redis DOWN")
                seconds = time.monotonic() - killed
                results.append(round(seconds, 2))
                print(f"run {run + 1}: redis DOWN on screen {seconds:.2f} s after {'SIGSTOP' if args.freeze else 'SIGKILL'}", flush=True)
                if args.freeze:
                    redis.thaw()
                else:
                    redis.start()
                wait(tmux, lambda screen: "redis DOWN" not in verdict_line(screen), 60, "redis back")
        finally:
            ended = end_session(tmux, pid)
    write_json(args.json, {"runs_s": results, "interval_s": 2, "read_timeout_s": 5, "freeze": args.freeze,
                           "exited_on_sighup": not ended["left_behind"], "after_sighup": ended})
    return 0


if __name__ == "__main__":
    sys.exit(main())
