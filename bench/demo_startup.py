"""How long `cockpit demo` takes until every pane is live, and whether quitting leaves anything.

Runs `cockpit demo` in a detached tmux session (its own tmux server socket) at 160x48,
reads the screen every 0.2 s and records when each pane first shows live data:
  health     the redis, database and api rows `healthy`
  latency    a p99 figure beside the redis sparkline
  logs       the Redis tab `● live` with events
  alarms     `avnz-api-5xx-errors` read as OK
  services   `avnz-api:24` with its version and running count
then presses q and times the exit, and checks that none of the demo's ports still
listen and none of its directories is left. The issue's target: every pane live within
20 s on a fresh machine.

Run from the repository root: `.venv/bin/python -m bench.demo_startup [--runs N]`; `--smoke`
checks that it still works: one run, given up after 60 s, JSON to a scratch file, exit 1
if a pane was never seen live or the quit could not be read (never for a time).
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

from bench.common import RESULTS, SMOKE_HELP, cockpit_executable, run, smoke_json, write_json

TARGET_SECONDS = 20.0
TIMEOUT = 120.0
SMOKE_TIMEOUT = 60.0
PANES = {
    "health": re.compile(r"redis\s+healthy.*\n(?:.*\n)*?.*database\s+healthy.*\n(?:.*\n)*?.*api\s+healthy"),
    "latency": re.compile(r"redis\s+[▁▂▃▄▅▆▇█]+\s+[\d.]+ ms p99"),
    "logs": re.compile(r"● live · polled \d+ s ago · [\d,]+ events"),
    "alarms": re.compile(r"OK\s+avnz-api-5xx-errors"),
    "services": re.compile(r"avnz-api:24 v[\d.]+ \d+/\d+"),  # revision, image version, running/desired
}
PORTS = re.compile(r"up on (?:http://)?127\.0\.0\.1:(\d+)")
DIRS = re.compile(r"files in (.+?) \(removed")


def one_run(tmp: Path, size: tuple[int, int], timeout: float = TIMEOUT) -> dict:
    socket_path = tmp / "tmux.sock"
    command = f"cd {shlex.quote(str(tmp))} && {shlex.quote(str(cockpit_executable()))} demo; sleep 60"
    tmux = ["tmux", "-S", str(socket_path)]
    began = time.monotonic()
    run([*tmux, "new-session", "-d", "-x", str(size[0]), "-y", str(size[1]), command])
    seen: dict[str, float] = {}
    ready_at, screen = None, ""
    try:
        while len(seen) < len(PANES) and time.monotonic() - began < timeout:
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
        quit_seconds = round(time.monotonic() - quit_began, 2) if "removed /tmp/cockpit-demo-" in text else None
        ports = [int(p) for p in PORTS.findall(text)]
        dirs = DIRS.search(text).group(1).split(", ") if DIRS.search(text) else []
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
    time.sleep(0.5)
    left = [f"port {p}" for p in ports if _listening(p)] + [d for d in dirs if os.path.exists(d)]
    return {"size": f"{size[0]}x{size[1]}", "stack_ready_s": ready_at, "pane_live_s": seen,
            "all_live_s": max(seen.values()) if len(seen) == len(PANES) else None,
            "quit_to_clean_s": quit_seconds, "checked": {"ports": ports, "dirs": dirs}, "left_behind": left,
            "last_screen_if_not_all_live": None if len(seen) == len(PANES) else screen}


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.3):
            return True
    except OSError:
        return False


def smoke_problems(result: dict) -> list[str]:
    """What a smoke run found broken: panes never seen live, a quit whose output could not be read."""
    problems = []
    if missing := [pane for pane in PANES if pane not in result["pane_live_s"]]:
        problems.append(f"never seen live within {SMOKE_TIMEOUT:g} s: {', '.join(missing)}; last screen:\n{result['last_screen_if_not_all_live']}")
    if result["quit_to_clean_s"] is None:
        problems.append("after q the demo never printed that it removed its directory")
    elif not (result["checked"]["ports"] and result["checked"]["dirs"]):
        problems.append(f"could not read the demo's ports and directories from its output: {result['checked']}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.demo_startup", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None, help="where the results go (results/demo-startup.json)")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = parser.parse_args(argv)
    if args.smoke:
        args.runs = 1
    args.out = args.out or (smoke_json("demo_startup") if args.smoke else RESULTS / "demo-startup.json")
    runs = []
    for i in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
            result = one_run(Path(tmp), (160, 48), SMOKE_TIMEOUT if args.smoke else TIMEOUT)
        print(f"run {i + 1}: stack ready {result['stack_ready_s']} s, all panes live {result['all_live_s']} s "
              f"{result['pane_live_s']}, quit → clean {result['quit_to_clean_s']} s, left behind: {result['left_behind'] or 'nothing'} "
              f"(of {len(result['checked']['ports'])} ports, {len(result['checked']['dirs'])} directories)")
        runs.append(result)
    write_json(args.out, {"target_seconds": TARGET_SECONDS, "runs": runs})
    if args.smoke and (problems := smoke_problems(runs[0])):
        print("smoke: " + "\n".join(problems))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
