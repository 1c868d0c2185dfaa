"""How long `cockpit demo` takes until every pane is live, and whether quitting leaves anything.

Runs `cockpit demo` in a detached tmux session (its own tmux server socket) at 160x48,
reads the screen every 0.2 s and records when each pane first shows live data:
  health     the redis, database and api rows `healthy`
  latency    a p99 figure beside the redis sparkline
  logs       the Redis tab `● live` with events
  alarms     `avnz-api-5xx-errors` read as OK
  services   `avnz-api:24` with its running count
then presses q and times the exit, and checks that none of the demo's ports still
listen and none of its directories is left. The issue's target: every pane live within
20 s on a fresh machine.

Run from the repository root: `.venv/bin/python -m bench.demo_startup [--runs N]`.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import REPO, RESULTS, run, write_json

TARGET_SECONDS = 20.0
TIMEOUT = 120.0
PANES = {
    "health": re.compile(r"redis\s+healthy.*\n(?:.*\n)*?.*database\s+healthy.*\n(?:.*\n)*?.*api\s+healthy"),
    "latency": re.compile(r"redis\s+[▁▂▃▄▅▆▇█]+\s+[\d.]+ ms p99"),
    "logs": re.compile(r"● live · polled \d+ s ago · [\d,]+ events"),
    "alarms": re.compile(r"OK\s+avnz-api-5xx-errors"),
    "services": re.compile(r"avnz-api\s+avnz-api:24\b"),
}
PORTS = re.compile(r"up on (?:http://)?127\.0\.0\.1:(\d+)")
DIRS = re.compile(r"files in (.+?) \(removed")


def one_run(tmp: Path, size: tuple[int, int]) -> dict:
    socket_path = tmp / "tmux.sock"
    command = f"cd {shlex.quote(str(tmp))} && {shlex.quote(str(REPO / '.venv/bin/cockpit'))} demo; sleep 60"
    tmux = ["tmux", "-S", str(socket_path)]
    began = time.monotonic()
    run([*tmux, "new-session", "-d", "-x", str(size[0]), "-y", str(size[1]), command])
    seen: dict[str, float] = {}
    ready_at = None
    try:
        while len(seen) < len(PANES) and time.monotonic() - began < TIMEOUT:
            screen = run([*tmux, "capture-pane", "-p"], timeout=10)
            now = time.monotonic() - began
            if ready_at is None and ("ready: opening the cockpit" in screen or "DEMO" in screen):
                ready_at = now
            for pane, pattern in PANES.items():
                if pane not in seen and pattern.search(screen):
                    seen[pane] = round(now, 2)
            time.sleep(0.2)
        quit_began = time.monotonic()
        run([*tmux, "send-keys", "q"])
        text = ""  # the lines printed before and after the TUI: back on the normal screen after it quits
        while "removed /tmp/cockpit-demo-" not in text and time.monotonic() - quit_began < 60:
            time.sleep(0.1)
            text = run([*tmux, "capture-pane", "-p", "-J", "-S", "-500"], timeout=10)
        quit_seconds = round(time.monotonic() - quit_began, 2)
        ports = [int(p) for p in PORTS.findall(text)]
        dirs = DIRS.search(text).group(1).split(", ") if DIRS.search(text) else []
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
    time.sleep(0.5)
    left = [f"port {p}" for p in ports if _listening(p)] + [d for d in dirs if os.path.exists(d)]
    return {"size": f"{size[0]}x{size[1]}", "stack_ready_s": ready_at, "pane_live_s": seen,
            "all_live_s": max(seen.values()) if len(seen) == len(PANES) else None,
            "quit_to_clean_s": quit_seconds, "checked": {"ports": ports, "dirs": dirs}, "left_behind": left}


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.3):
            return True
    except OSError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS / "demo-startup.json")
    args = parser.parse_args()
    runs = []
    for i in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
            result = one_run(Path(tmp), (160, 48))
        print(f"run {i + 1}: stack ready {result['stack_ready_s']} s, all panes live {result['all_live_s']} s "
              f"{result['pane_live_s']}, quit → clean {result['quit_to_clean_s']} s, left behind: {result['left_behind'] or 'nothing'} "
              f"(of {len(result['checked']['ports'])} ports, {len(result['checked']['dirs'])} directories)")
        runs.append(result)
    write_json(args.out, {"target_seconds": TARGET_SECONDS, "runs": runs})


if __name__ == "__main__":
    main()
