"""Idle CPU of the whole cockpit app in a real terminal, every poller at 1 s.

Starts its own redis-server, PostgreSQL 15 cluster and fake API, writes a copy of the
bundled runbook with `[probes] interval_seconds = 1` and `[probes.intervals] pages = 1`,
and runs `cockpit` in a detached tmux session (its own tmux server socket) at 160x48 and
at 80x24 (there `tab` first brings the Health pane on screen). After a warm-up it reads
utime+stime from /proc/PID/stat of every process of the app (the UI process and everything
below it: the engine process, `python -P -c "...serve(FD)"`, which runs every poller) over
the measuring window: the percentage of one core the app used, all processes and threads
together, with the UI and the engine also apart, plus their VmRSS. No engine process found
is an error (the figure would be the UI's alone). The Health pane is
captured before and after, so the figure is of a live app with every row `healthy`.

Run from the repository root: `.venv/bin/python -m bench.idle_cpu [--help]`; `--smoke`
checks in a few seconds that it still works (both sizes, a 1 s window, JSON to a scratch file).
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import REPO, RESULTS, SMOKE_HELP, cockpit_executable, edited_runbook, run, servers, smoke_json, write_json
from cockpit.runbook import RunbookError, bundled_path, load_runbook

TARGET_PERCENT = 1.5  # of one core, every poller at 1 s (the target)
SIZES = ((160, 48), (80, 24))
START_TIMEOUT = 15.0
# seconds the app has to exit after its terminal goes (SIGHUP) before the bench kills it: the UI's own hard
# exit comes 5 s after the signal, the engine's 3 s after the UI's end of the socket closes (their worst case)
EXIT_GRACE = 9.0
LIVE_TIMEOUT = 30.0  # seconds after the warm-up for every live row to say healthy
# The Status column as the Health pane words it: OVER is a row over its latency limit, DOWN is upper case.
HEALTHY, STATUSES = "healthy", ("healthy", "OVER", "degraded", "DOWN", "unknown", "not configured")
ANSWERING = {HEALTHY, "OVER", "degraded"}  # polled and answering: live enough for --smoke (on a loaded machine p99 may be OVER)
EVERY_POLLER_AT_1S = {"probes": {"interval_seconds": 1}, "probes.intervals": {"pages": 1}}
LIVE_ROWS = ("redis", "database", "api", "api › redis", "api › database")
ROW = re.compile(  # a Health table row as on screen: component, status, then last, p50 and p99 when they fit
    r"(?:^|[│ ])\s*(?P<row>" + "|".join(sorted(map(re.escape, LIVE_ROWS), key=len, reverse=True)) + r")\s{2,}"
    r"(?P<status>" + "|".join(STATUSES) + r")\b(?:\s+(?:—|[\d.]+ m?s)\s+(?P<p50>—|[\d.]+ m?s)\s+(?P<p99>—|[\d.]+ m?s))?"
)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def runbook_copy(tmp: Path, environ: dict[str, str]) -> Path:
    """The bundled runbook with every poller at 1 s, checked by loading it back."""
    path = edited_runbook(bundled_path(), tmp / "runbook-1s.toml", EVERY_POLLER_AT_1S)
    try:
        settings = load_runbook(path, environ).probes
    except RunbookError as exc:
        raise RuntimeError(f"the bundled runbook with {EVERY_POLLER_AT_1S} no longer loads: {exc}") from exc
    if settings.interval_seconds != 1 or settings.interval("pages") != 1:
        raise RuntimeError(f"the runbook copy does not poll every 1 s ({EVERY_POLLER_AT_1S} no longer sets that?): {settings}")
    return path


class Tmux:
    """A private tmux server (its own socket) holding one detached session; `kill()` ends both."""

    def __init__(self, name: str) -> None:
        self.base = ["tmux", "-L", name]
        self.session = name

    def start(self, command: str, width: int, height: int) -> None:
        """Run `command` in a new session of the given size; the pane stays after it exits (for its last words)."""
        run([*self.base, "new-session", "-d", "-s", self.session, "-x", width, "-y", height, command,
             ";", "set-option", "-t", self.session, "remain-on-exit", "on"], timeout=10)

    def keys(self, *keys: str) -> None:
        run([*self.base, "send-keys", "-t", self.session, *keys], timeout=10)

    def capture(self) -> str:
        return run([*self.base, "capture-pane", "-p", "-t", self.session], timeout=10)

    def kill(self) -> None:
        subprocess.run([*self.base, "kill-server"], capture_output=True, timeout=10)


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def end_session(tmux: Tmux, pid: int | None) -> dict:
    """Kill the tmux server (the app gets SIGHUP, as when an SSH session drops) and make sure the app is gone.

    {"gone_after_s": {"ui PID": s, "engine PID": s}, "left_behind": [...]}: how long each process
    of the app took to go by itself, and the ones still alive EXIT_GRACE s later, which are then
    SIGKILLed with a line saying so (issue 16: a cockpit stuck in Textual's shutdown after SIGHUP).
    """
    stragglers = {pid: f"ui {pid}", **{d: f"engine {d}" for d in descendants(pid)}} if pid is not None and _alive(pid) else {}
    gone: dict[str, float] = {}
    started = time.monotonic()
    tmux.kill()
    while any(map(_alive, stragglers)) and time.monotonic() - started < EXIT_GRACE:
        gone.update({name: round(time.monotonic() - started, 2) for p, name in stragglers.items() if name not in gone and not _alive(p)})
        time.sleep(0.05)
    gone.update({name: round(time.monotonic() - started, 2) for p, name in stragglers.items() if name not in gone and not _alive(p)})
    left = [name for p, name in stragglers.items() if _alive(p)]
    if left:
        print(f"cockpit: {', '.join(left)} still alive {EXIT_GRACE:g} s after its terminal closed: killed with SIGKILL", flush=True)
        for straggler in filter(_alive, stragglers):
            os.kill(straggler, signal.SIGKILL)
    return {"gone_after_s": gone, "left_behind": left}


def cockpit_pid(state: Path, timeout: float = START_TIMEOUT) -> int:
    """The PID of the Python process running `cockpit ... --state STATE` (not a shell around it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = subprocess.run(["pgrep", "-f", "--", f"--state {state}"], capture_output=True, text=True, timeout=10).stdout
        for pid in map(int, found.split()):
            try:
                argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()
            except OSError:
                continue  # gone already
            if "python" in Path(argv0).name:
                return pid
        time.sleep(0.1)
    raise RuntimeError(f"no cockpit process for --state {state} after {timeout:g} s")


def cpu_seconds(stat_path: Path) -> float:
    """utime + stime from a /proc stat file, in seconds (a process's covers all its threads)."""
    fields = stat_path.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # fields 14 and 15 of proc(5)


def children(pid: int) -> list[int]:
    """Direct children of `pid` (of the UI process: the engine process)."""
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            path = task / "children"
            if path.exists():
                found += [int(c) for c in path.read_text().split()]
    except OSError:
        pass  # `pid` ended meanwhile
    return found


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, children first (of the UI process: the engine and whatever it starts)."""
    found, todo = [], children(pid)
    while todo:
        child = todo.pop(0)
        found.append(child)
        todo += children(child)
    return found


def cpu_split(pid: int) -> tuple[float, float, float]:
    """(whole app: the UI process and every process below it, the UI's main thread, the processes below) CPU seconds."""
    below = 0.0
    for child in descendants(pid):
        try:
            below += cpu_seconds(Path(f"/proc/{child}/stat"))
        except OSError:
            pass  # ended meanwhile
    own = cpu_seconds(Path(f"/proc/{pid}/stat"))
    return own + below, cpu_seconds(Path(f"/proc/{pid}/task/{pid}/stat")), below


def rss_kib(pid: int) -> int:
    """VmRSS of one process in KiB (0 when it is gone)."""
    try:
        return next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return 0


def rss_mib(pid: int) -> float:
    """Resident set size in MiB (VmRSS) of the UI process and every process below it."""
    return sum(rss_kib(p) for p in [pid, *descendants(pid)]) / 1024


def health_rows(screen: str) -> dict[str, dict]:
    """{row: {status, p50, p99}} of the live rows (redis, database, api and its components) on screen."""
    rows = {}
    for line in screen.splitlines():
        match = ROW.search(line)
        if match:
            rows[match["row"]] = {"status": match["status"], "p50": match["p50"], "p99": match["p99"]}
    return rows


def all_healthy(rows: dict[str, dict], accept: set[str] = frozenset({HEALTHY})) -> bool:
    return set(rows) == set(LIVE_ROWS) and all(row["status"] in accept for row in rows.values())


def wait_for_first_frame(tmux: Tmux, what: str) -> None:
    """Return once the header (it names the environment) is drawn, so that a key sent next is not lost."""
    deadline = time.monotonic() + START_TIMEOUT
    while "STAGING" not in (screen := tmux.capture()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"no cockpit header at {what} after {START_TIMEOUT:g} s; screen:\n{screen}")
        time.sleep(0.1)


def wait_until_live(tmux: Tmux, what: str, accept: set[str]) -> str:
    """The screen once every live row's status is in `accept` (read every 0.25 s); RuntimeError with the screen after LIVE_TIMEOUT."""
    deadline = time.monotonic() + LIVE_TIMEOUT
    while not all_healthy(health_rows(screen := tmux.capture()), accept):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the app is not live at {what} after {LIVE_TIMEOUT:g} s (rows read: {health_rows(screen)}); screen:\n{screen}")
        time.sleep(0.25)
    return screen


def measure(size: tuple[int, int], command_env: dict[str, str], runbook: Path, tmp: Path, args: argparse.Namespace) -> dict:
    """Warm up, then CPU and RSS of the app over `args.seconds` at `size`, with the Health pane as shown."""
    width, height = size
    state = tmp / f"journal-{width}x{height}.sqlite3"
    cockpit = cockpit_executable()
    assignments = " ".join(f"{name}={shlex.quote(value)}" for name, value in command_env.items())
    command = f"cd {shlex.quote(str(REPO))} && exec env {assignments} {cockpit} --runbook {runbook} --state {state}"
    tmux = Tmux(f"cockpit-bench-{os.getpid()}-{width}x{height}")
    pid = None
    try:
        tmux.start(command, width, height)
        pid = cockpit_pid(state)
        wait_for_first_frame(tmux, f"{width}x{height}")
        if width < 120 or height < 32:
            tmux.keys("Tab")  # compact layout: one pane at a time; show Health
        time.sleep(args.warmup)
        # answering is live enough to measure idle CPU: on a loaded machine a p99 over its limit (OVER) is a
        # figure, not a broken bench; whether every row was healthy is in the JSON (healthy_after) and the exit code
        wait_until_live(tmux, f"{width}x{height}", ANSWERING)
        engines = descendants(pid)
        if not engines:
            raise RuntimeError(f"no engine process below the cockpit (pid {pid}): the figure would be the UI's alone")
        load_before = os.getloadavg()
        (cpu_start, main_start, probes_start), wall_start = cpu_split(pid), time.monotonic()
        time.sleep(args.seconds)
        (cpu_end, main_end, probes_end), wall = cpu_split(pid), time.monotonic() - wall_start
        cpu, main_thread, probes = cpu_end - cpu_start, main_end - main_start, probes_end - probes_start
        screen, rss, ui_rss = tmux.capture(), rss_mib(pid), rss_kib(pid) / 1024
        engines_after = descendants(pid)
    finally:
        ended = end_session(tmux, pid)
    return {
        "size": f"{width}x{height}",
        "seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 3),
        "cpu_percent_of_one_core": round(100 * cpu / wall, 3),
        "cpu_percent_main_thread": round(100 * main_thread / wall, 3),  # the UI's event loop
        "cpu_percent_ui_process": round(100 * (cpu - probes) / wall, 3),  # all its threads
        "cpu_percent_engine_process": round(100 * probes / wall, 3),  # every poller, the journal, the verdict
        "rss_mib": round(rss, 1),  # every process of the app
        "rss_mib_ui_process": round(ui_rss, 1),
        "rss_mib_engine_process": round(rss - ui_rss, 1),
        "pids": {"ui": pid, "engine": engines},
        "loadavg_before_and_after": [load_before, os.getloadavg()],  # other work on the machine skews the figure
        "engine_restarted": engines != engines_after,  # the window's figure would miss a dead engine's CPU
        "healthy_after": all_healthy(health_rows(screen)),
        "header": " ".join(screen.splitlines()[0].split()),  # alerts such as OVER LIMIT show here
        "health_rows": health_rows(screen),
        "screen_if_rows_unread": None if set(health_rows(screen)) == set(LIVE_ROWS) else screen,
        "exited_on_sighup": not ended["left_behind"],
        "after_sighup": ended,  # seconds each process took to go; the ones the bench killed
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.idle_cpu", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="measuring window per terminal size (30)")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds before measuring (10)")
    parser.add_argument("--json", type=Path, default=None, help="where the results go (results/latest-idle-cpu.json)")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = parser.parse_args(argv)
    if args.smoke:
        args.seconds, args.warmup = 1.0, 0.0
    args.json = args.json or (smoke_json("idle_cpu") if args.smoke else RESULTS / "latest-idle-cpu.json")
    results = []
    with tempfile.TemporaryDirectory(prefix="cockpit-bench-") as tmp_name:
        tmp = Path(tmp_name)
        with servers(tmp) as (redis, cluster, api):
            command_env = {"REDIS_URL": redis.url, "DATABASE_URL": cluster.prisma_url, "COCKPIT_API_URL": api.url,
                           "COCKPIT_APP_URL": api.url, "INTEGRATION_ENCRYPTION_KEY": "x"}
            runbook = runbook_copy(tmp, command_env)
            for size in SIZES:
                print(f"{size[0]}x{size[1]}: warm-up {args.warmup:g} s, measuring {args.seconds:g} s ...", flush=True)
                results.append(measure(size, command_env, runbook, tmp, args))
    for result in results:
        verdict = "met" if result["cpu_percent_of_one_core"] <= TARGET_PERCENT else "NOT met"
        print(f"\n{result['size']}: {result['cpu_percent_of_one_core']:.2f}% of one core over {result['seconds']:g} s "
              f"(target <= {TARGET_PERCENT}%: {verdict}; UI process {result['cpu_percent_ui_process']:.2f}% of which main thread "
              f"{result['cpu_percent_main_thread']:.2f}%, engine process {result['cpu_percent_engine_process']:.2f}%), RSS {result['rss_mib']} MiB "
              f"(UI {result['rss_mib_ui_process']}, engine {result['rss_mib_engine_process']})"
              + (" ENGINE RESTARTED in the window" if result["engine_restarted"] else ""))
        print(f"  header: {result['header']}")
        print("\n".join(f"  {name:<16} {row['status']:<9} p50 {row['p50'] or '?':<8} p99 {row['p99'] or '?'}" for name, row in result["health_rows"].items()))
    write_json(args.json, {"benchmark": "idle_cpu", "settings": {**vars(args), "json": str(args.json)},
                           "target_percent": TARGET_PERCENT, "results": results})
    if args.smoke:  # broken is a screen it cannot read; a row not healthy at the end is a figure, not a breakage
        unread = [r["size"] for r in results if set(r["health_rows"]) != set(LIVE_ROWS)]
        if unread:
            print(f"smoke: the Health rows could not be read off the screen at the end at {', '.join(unread)}; screen:")
            print("\n".join(r["screen_if_rows_unread"] for r in results if r["size"] in unread))
        return 1 if unread else 0
    return 0 if all(r["healthy_after"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
