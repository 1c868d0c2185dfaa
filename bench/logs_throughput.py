"""Sustained ingest-and-render throughput of the logs pane, in a real terminal, against a fake CloudWatch Logs.

Starts `bench/fake_logs_endpoint.py` in a process of its own (its CPU is not the cockpit's)
generating `--rate` events a second (about half match each of the bundled runbook's two log
tabs, `Redis` and `momentum`; a few % are hostile, so sanitizing and redaction do work, and
every pass re-reads the overlap, so dedupe does too). Writes a copy of the bundled runbook
with `[cloudwatch] logs_interval_seconds`, `requests_per_second`, `buffer_lines` (and
`overlap_seconds` when asked) from the flags, and runs `cockpit` in a detached tmux session
(its own tmux server socket) with `AWS_ENDPOINT_URL` pointing at the fake, no Redis or
database, and the API and dashboard on a refused port (cheap health probes). `tab` three
times puts the keyboard on the logs pane (at 80x24 it is then the pane on screen). Then,
for each rate and terminal size, with a fresh endpoint and cockpit:

1. memory: once the endpoint has served 100,000 distinct events (and that pass has landed),
   RSS of the cockpit process and of its probe process; also at start, every 5 s of the
   window, after it, and at the end (after the keypresses);
2. throughput and CPU over `--seconds`, `--warmup` s after start: the "N events" counters of
   both tabs read off the screen (`]` switches tab) as each next changes (a pass landed),
   with the endpoint's count of distinct events served to that filter at that moment (they
   must be equal), both per second; how many seconds of generated events the slower tab has
   not been served yet (bounded when the followers keep up); utime+stime from /proc of the
   cockpit process (all threads), of each of its threads (named with `py-spy dump`) and of
   the probe process; the age of the newest log line on screen;
3. keypress latency while ingesting, `--key-pause` s apart: `]` (the status line names the
   other filter), `s` (the "Search: log lines" modal opens), `escape` (it closes: Textual
   waits ESCDELAY, 100 ms, to tell a lone escape from a sequence), and `]` `s` sent together;
   each timed from `tmux send-keys` until `tmux capture-pane -p` (polled every `--poll-ms`)
   shows the change. tmux's own cost is measured first: one capture-pane, and a key echoed
   by `cat` in a pane;
4. where the CPU goes: `py-spy record --nonblocking` for `--profile-seconds`, summarised
   per thread and as own and inclusive samples per function, idle waits left out.

Everything started (endpoint, tmux server, cockpit and its probe process) is stopped on the
way out, also on errors.

Run from the repository root: `.venv/bin/python -m bench.logs_throughput [--help]`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from contextlib import ExitStack
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from bench.common import REPO, RESULTS, run, write_json
from bench.idle_cpu import Tmux, children, cockpit_pid, cpu_seconds
from cockpit.core.latency import percentile
from cockpit.runbook import bundled_path, load_runbook

TARGET_EVENTS_PER_SECOND = 10_000
TARGET_CPU_PERCENT = 25.0  # of one core, the whole app (cockpit process + probe process)
TARGET_KEY_MS = 100.0
TARGET_RSS_MB = 150.0  # the whole app, with 100,000 events received
MEMORY_EVENTS = 100_000
RSS_EVERY = 5.0  # s between RSS readings in the window
KEEP_UP = 0.97  # generated / target: a run offering less says nothing about the target (see verdicts)
MAX_BEHIND = 10.0  # s: followers further behind generation than this are not keeping up
SIZES = ((160, 48), (80, 24))
START_TIMEOUT = 20.0
SCREEN_TIMEOUT = 5.0  # for one keypress to show
EVENTS = re.compile(r"· ([\d,]+) events")
FILTER = re.compile(r"· filter '([^']*)'")
SEARCH_TITLE = "Search: log lines"
LINE_TIME = re.compile(r"│ (\d\d):(\d\d):(\d\d)\.(\d{3}) [0-9a-f]{12} ")  # a log line: time, short stream
PROFILE_IDLE = ("Condition.wait", "Event.wait", "select (selectors.py", "_recv (multiprocessing",
                "_worker (concurrent/futures/thread.py", "SocketIO.readinto", "time.sleep", "sleep (")
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
}
VERSIONS = ("textual", "rich", "boto3", "botocore", "py-spy")


# -- the fake endpoint ------------------------------------------------------------------------
class Endpoint:
    """bench.fake_logs_endpoint in a child process; `stop()` ends it."""

    def __init__(self, rate: float, log: Path, delay: tuple[float, float] = (0.2, 3.0)) -> None:
        self.rate = rate
        self.delay = delay
        self.log = log
        self.process: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> Endpoint:
        argv = [sys.executable, "-m", "bench.fake_logs_endpoint", "--rate", str(self.rate), "--delay", *map(str, self.delay)]
        self.process = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=self.log.open("w"), text=True)
        line = self.process.stdout.readline()  # "listening on HOST:PORT", or "" when it died
        match = re.match(r"listening on ([\d.]+):(\d+)", line)
        if not match:
            raise RuntimeError(f"the fake endpoint did not start: {line!r}; stderr: {self.log.read_text()[-500:]}")
        self.url = f"http://{match[1]}:{match[2]}"
        return self

    def stats(self) -> dict:
        with urllib.request.urlopen(self.url + "/stats", timeout=5) as response:
            return json.load(response)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process.stdout.close()


# -- the runbook and the command -----------------------------------------------------------
def runbook_copy(tmp: Path, args: argparse.Namespace, environ: dict[str, str]) -> Path:
    """The bundled runbook with the `[cloudwatch]` settings of the flags, checked by loading it back."""
    text = bundled_path().read_text()
    wanted = {"logs_interval_seconds": args.interval, "requests_per_second": args.rps, "buffer_lines": args.buffer}
    if args.overlap is not None:
        wanted["overlap_seconds"] = args.overlap
    for name, value in wanted.items():
        text, count = re.subn(rf"(?m)^{name} = [\d.]+$", f"{name} = {value:g}", text)
        if count != 1:
            raise RuntimeError(f"the bundled runbook changed shape: {count} '{name} =' lines")
    path = tmp / "runbook-logs.toml"
    path.write_text(text)
    cw = load_runbook(path, environ).cloudwatch
    if (cw.logs_interval_seconds, cw.requests_per_second, cw.buffer_lines) != (args.interval, args.rps, args.buffer):
        raise RuntimeError(f"the runbook copy does not say what was asked: {cw}")
    return path


def command_env(endpoint: Endpoint, tmp: Path, extra: list[str]) -> dict[str, str]:
    """AWS through the fake endpoint, dummy keys and no config files; API and dashboard refused at once;
    `extra` NAME=VALUE pairs on top (--cockpit-env, for experiments)."""
    return {**dict(pair.split("=", 1) for pair in extra), **AWS_ENV, "AWS_ENDPOINT_URL": endpoint.url, "AWS_CONFIG_FILE": str(tmp / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "no-aws-credentials"),
            "COCKPIT_API_URL": "http://127.0.0.1:9", "COCKPIT_APP_URL": "http://127.0.0.1:9"}


def cockpit_command(environ: dict[str, str], runbook: Path, state: Path) -> str:
    """The shell command tmux runs: `env -u` the backends' URLs away, stderr left to the terminal."""
    assignments = " ".join(f"{name}={shlex.quote(value)}" for name, value in environ.items())
    unset = " ".join(f"-u {name}" for name in ("REDIS_URL", "DATABASE_URL", "AWS_PROFILE"))
    cockpit = REPO / ".venv" / "bin" / "cockpit"
    return f"cd {shlex.quote(str(REPO))} && exec env {unset} {assignments} {cockpit} --runbook {runbook} --state {state}"


# -- reading the screen ------------------------------------------------------------------------
def tab_status(screen: str) -> tuple[str, int] | None:
    """(filter, received events) of the log tab on show, or None when its status is not on screen."""
    events, pattern = EVENTS.search(screen), FILTER.search(screen)
    if events is None or pattern is None:
        return None
    return pattern[1], int(events[1].replace(",", ""))


def newest_line_age(screen: str, now: float) -> float | None:
    """Seconds between `now` and the time of the newest log line on screen (UTC, times of day only)."""
    stamps = []
    for line in screen.splitlines():
        match = LINE_TIME.search(line)
        if match:
            h, m, s, ms = map(int, match.groups())
            stamps.append(h * 3600 + m * 60 + s + ms / 1000)
    if not stamps:
        return None
    day = datetime.fromtimestamp(now, UTC)
    of_day = day.hour * 3600 + day.minute * 60 + day.second + day.microsecond / 1e6
    return round((of_day - max(stamps)) % 86400, 3)


def wait_screen(tmux: Tmux, done, timeout: float, poll: float) -> tuple[float, str]:
    """Poll `capture-pane` until `done(screen)`; (seconds it took, the screen). Raises after `timeout`."""
    start = time.perf_counter()
    while True:
        screen = tmux.capture()
        if done(screen):
            return time.perf_counter() - start, screen
        if time.perf_counter() - start > timeout:
            raise RuntimeError(f"the screen did not change within {timeout:g} s; it shows:\n{screen}")
        time.sleep(poll)


def next_count(tmux: Tmux, endpoint: Endpoint, wait: float, poll: float) -> tuple[str, dict]:
    """The tab on show: (filter, {events it received, served: what the endpoint had served it, at}).

    With `wait`, read as its count next changes (a pass just landed: readings taken so are
    comparable; the counter moves a pass at a time), or after `wait` s when it does not."""
    shown = tab_status(tmux.capture())
    if shown is None:
        raise RuntimeError(f"no log tab status on screen:\n{tmux.capture()}")
    if wait:
        try:
            _, screen = wait_screen(tmux, lambda s: (t := tab_status(s)) is not None and t != shown, wait, poll)
            shown = tab_status(screen)
        except RuntimeError:
            pass  # nothing arriving (--rate 0): the count as it is
    at = time.time()
    served = endpoint.stats()["unique_served"].get(shown[0], 0)
    return shown[0], {"events": shown[1], "served": served, "at": at}


def both_tabs(tmux: Tmux, endpoint: Endpoint, poll: float, wait: float = 0.0) -> dict[str, dict]:
    """{filter: {events, served, at}} of both tabs: the one on show, then `]` and the other (which stays on show)."""
    first, reading = next_count(tmux, endpoint, wait, poll)
    tmux.keys("]")
    _, screen = wait_screen(tmux, lambda s: (t := tab_status(s)) is not None and t[0] != first, SCREEN_TIMEOUT, poll)
    age_on_switch = newest_line_age(screen, time.time())  # a tab switch repaints the lines
    second, other = next_count(tmux, endpoint, wait, poll)
    return {first: reading, second: {**other, "newest_line_age_on_switch": age_on_switch}}


# -- /proc ------------------------------------------------------------------------------------------
def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of each thread of `pid`."""
    found = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found[int(task.name)] = cpu_seconds(task / "stat")
        except OSError:
            pass  # ended meanwhile
    return found


def cpu_snapshot(pid: int) -> dict:
    kids = children(pid)
    return {"time": time.monotonic(), "process": cpu_seconds(Path(f"/proc/{pid}/stat")), "threads": thread_cpu(pid),
            "child": sum(cpu_seconds(Path(f"/proc/{c}/stat")) for c in kids)}


def rss_mb(pid: int) -> float:
    """VmRSS of `pid` in MB (10^6 bytes, as the target is written)."""
    line = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1]) * 1024 / 1e6


def memory(pid: int) -> dict:
    kids = children(pid)
    parent, child = rss_mb(pid), sum(rss_mb(c) for c in kids)
    return {"cockpit_rss_mb": round(parent, 1), "probe_process_rss_mb": round(child, 1), "app_rss_mb": round(parent + child, 1)}


def thread_names(pid: int) -> dict[int, str]:
    """{tid: Python thread name} from `py-spy dump` (empty when py-spy is missing or fails)."""
    try:
        out = subprocess.run([REPO / ".venv" / "bin" / "py-spy", "dump", "--pid", str(pid)], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return {}
    return {int(tid, 0): name for tid, name in re.findall(r'^Thread (\S+) \([^)]*\): "([^"]*)"', out, re.M)}


def end_processes(pids: list[int]) -> None:
    """SIGTERM, then SIGKILL, each of `pids` that still runs cockpit (a reused PID is left alone)."""
    for pid in reversed(pids):  # the probe process first
        try:
            if b"cockpit" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                continue
            os.kill(pid, signal.SIGTERM)
        except (OSError, ProcessLookupError):
            continue
        deadline = time.monotonic() + 3
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# -- keypresses --------------------------------------------------------------------------------
def key_latency(tmux: Tmux, key: str | tuple[str, ...], done, poll: float) -> float | None:
    """ms from sending `key` (or keys, in one go) until `done(screen)`; None when the screen did not change within SCREEN_TIMEOUT."""
    start = time.perf_counter()
    tmux.keys(*(key if isinstance(key, tuple) else (key,)))
    try:
        wait_screen(tmux, done, SCREEN_TIMEOUT, poll)
    except RuntimeError:
        return None
    return (time.perf_counter() - start) * 1000


def keypresses(tmux: Tmux, count: int, poll: float, pause: float) -> dict:
    """`]` (the other tab's status shows) and `s` / `escape` (the search modal opens / closes), `count` times
    each, `pause` s apart (a person's pace: each key lands on a settled screen); and `]` `s` typed
    together (the search modal, timed from the pair: `s` queued behind the tab switch)."""
    tab: list[float | None] = []
    search: list[float | None] = []
    close: list[float | None] = []
    after_tab: list[float | None] = []
    for _ in range(count):
        time.sleep(pause)
        shown = tab_status(tmux.capture())
        tab.append(key_latency(tmux, "]", lambda s, was=shown: (t := tab_status(s)) is not None and t[0] != was[0], poll))
        time.sleep(pause)
        search.append(key_latency(tmux, "s", lambda s: SEARCH_TITLE in s, poll))
        time.sleep(pause)
        if SEARCH_TITLE in tmux.capture():
            close.append(key_latency(tmux, "Escape", lambda s: SEARCH_TITLE not in s, poll))
        time.sleep(pause)
        after_tab.append(key_latency(tmux, ("]", "s"), lambda s: SEARCH_TITLE in s, poll))
        time.sleep(pause)
        if SEARCH_TITLE in tmux.capture():
            key_latency(tmux, "Escape", lambda s: SEARCH_TITLE not in s, poll)
    return {"next_tab": ms_summary(tab), "search_open": ms_summary(search), "search_close_escape": ms_summary(close),
            "tab_then_search_open": ms_summary(after_tab)}


def ms_summary(values: list[float | None]) -> dict:
    """n, p50 and max in ms of the keys that showed; `lost`: how many did not within SCREEN_TIMEOUT."""
    shown = [v for v in values if v is not None]
    if not shown:
        return {"n": 0, "lost": len(values), "p50_ms": None, "max_ms": None, "samples_ms": []}
    return {"n": len(shown), "lost": len(values) - len(shown), "p50_ms": round(percentile(shown, 0.5), 1),
            "max_ms": round(max(shown), 1), "samples_ms": [None if v is None else round(v, 1) for v in values]}


def tmux_baseline(name: str, count: int, poll: float) -> dict:
    """What tmux alone costs: one capture-pane, and a key echoed by `cat` in a pane (send-keys until it shows)."""
    tmux = Tmux(name)
    try:
        tmux.start("exec cat", 160, 48)
        time.sleep(0.3)
        captures, echoes = [], []
        for _ in range(count):
            start = time.perf_counter()
            tmux.capture()
            captures.append((time.perf_counter() - start) * 1000)
        for i in range(count):
            mark = f"k{i}x"
            echoes.append(key_latency(tmux, mark, lambda s, m=mark: m in s, poll))
            time.sleep(0.05)
    finally:
        tmux.kill()
    return {"capture_pane": ms_summary(captures), "echo_through_cat": ms_summary(echoes)}


# -- py-spy ------------------------------------------------------------------------------------------
def profile(pid: int, seconds: float, out: Path, names: dict[int, str]) -> dict:
    """`py-spy record --nonblocking` for `seconds`, summarised: samples per thread, top own and inclusive functions."""
    raw = out.with_suffix(".txt")
    subprocess.run([REPO / ".venv" / "bin" / "py-spy", "record", "--pid", str(pid), "--duration", str(int(seconds)),
                    "--rate", "100", "--nonblocking", "--threads", "--format", "raw", "-o", raw],
                   capture_output=True, timeout=seconds + 60)
    if not raw.exists():
        return {"error": "py-spy recorded nothing"}
    own, inclusive, per_thread = Counter(), Counter(), Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if not frames or any(idle in frames[-1] for idle in PROFILE_IDLE):
            continue  # a thread waiting, not working
        n = int(count)
        total += n
        thread = re.match(r"thread \((\d+)\)(?:: (.*))?", frames[0])
        per_thread[(thread[2] or names.get(int(thread[1]), thread[1])) if thread else frames[0]] += n
        funcs = [re.sub(r" \([^()]*:\d+\)$", "", f) for f in frames[1:]]
        own[funcs[-1] if funcs else "?"] += n
        for func in set(funcs):
            inclusive[func] += n

    def share(counter: Counter, top: int) -> list[list]:
        return [[name, round(100 * n / total, 1)] for name, n in counter.most_common(top)]

    return {"seconds": seconds, "busy_samples": total, "raw": str(raw),
            "threads_percent_of_busy": share(per_thread, 12), "own_percent_of_busy": share(own, 25),
            "inclusive_percent_of_busy": share(inclusive, 60)}


# -- one run -----------------------------------------------------------------------------------
def wait_for_served(endpoint: Endpoint, events: int, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        stats = endpoint.stats()
        if sum(stats["unique_served"].values()) >= events:
            return stats
        if time.monotonic() > deadline:
            raise RuntimeError(f"the endpoint served {sum(stats['unique_served'].values())} events in {timeout:g} s, not {events}")
        time.sleep(0.2)


def measure(rate: float, size: tuple[int, int], tmp: Path, args: argparse.Namespace) -> dict:
    """One cockpit at `size` against a fresh endpoint at `rate`: memory, throughput and CPU, keys, profile."""
    width, height = size
    tag = f"{rate:g}-{width}x{height}"
    with ExitStack() as stack:
        endpoint = Endpoint(rate, tmp / f"endpoint-{tag}.log", tuple(args.delay))
        stack.callback(endpoint.stop)
        endpoint.start()
        environ = command_env(endpoint, tmp, args.cockpit_env)
        runbook = runbook_copy(tmp, args, environ)
        state = tmp / f"journal-{tag}.sqlite3"
        started_pids: list[int] = []
        stack.callback(end_processes, started_pids)  # after tmux is gone: whatever outlived it
        tmux = Tmux(f"cockpit-logs-bench-{os.getpid()}-{tag}")
        stack.callback(tmux.kill)
        tmux.start(cockpit_command(environ, runbook, state), width, height)
        pid = cockpit_pid(state, START_TIMEOUT)
        started_pids.append(pid)
        started = time.monotonic()
        poll = args.poll_ms / 1000
        wait_screen(tmux, lambda s: "AVNZ" in s, START_TIMEOUT, 0.1)  # the first frame
        time.sleep(1.0)
        tmux.keys("Tab", "Tab", "Tab")  # checklist → health → latency → logs (80x24: only it on screen)
        wait_screen(tmux, lambda s: tab_status(s) is not None, SCREEN_TIMEOUT, poll)
        both_tabs(tmux, endpoint, poll)  # `]` works: the keys reach the logs pane
        started_pids.extend(children(pid))  # the probe process is up by now
        at_start = {**memory(pid), "endpoint_served": sum(endpoint.stats()["unique_served"].values()),
                    "seconds_after_start": round(time.monotonic() - started, 1)}

        # 1. memory once 100,000 events are in
        served = wait_for_served(endpoint, args.memory_events if rate else 0, args.warmup + 120)
        time.sleep(args.interval + 1)  # the pass that served them reaches the screen
        at_100k = {**memory(pid), "endpoint_served": sum(served["unique_served"].values()),
                   "screen_received": sum(t["events"] for t in both_tabs(tmux, endpoint, poll).values()),
                   "seconds_after_start": round(time.monotonic() - started, 1)}
        time.sleep(max(0.0, args.warmup - (time.monotonic() - started)))

        # 2. throughput and CPU
        tabs_before = both_tabs(tmux, endpoint, poll, wait=2 * args.interval + 3)
        stats_before, cpu_before = endpoint.stats(), cpu_snapshot(pid)
        rss_series, behind = [], []  # does memory level off with the buffers full? do the followers keep up?
        while (elapsed := time.monotonic() - cpu_before["time"]) < args.seconds:
            time.sleep(min(RSS_EVERY, args.seconds - elapsed))
            rss_series.append([round(time.monotonic() - started, 1), memory(pid)["app_rss_mb"]])
            behind.append(max(endpoint.stats()["seconds_behind"].values(), default=0.0))
        cpu_after, stats_after = cpu_snapshot(pid), endpoint.stats()
        after_window = {**memory(pid), "seconds_after_start": round(time.monotonic() - started, 1)}
        screen = tmux.capture()
        age = newest_line_age(screen, time.time())
        tabs_after = both_tabs(tmux, endpoint, poll, wait=2 * args.interval + 3)
        names = thread_names(pid)

        # 3. keys, 4. profile, memory at the end
        keys = keypresses(tmux, args.keys, poll, args.key_pause)
        profiled = profile(pid, args.profile_seconds, tmp / f"py-spy-{tag}", names) if args.profile_seconds > 0 else None
        end_tabs, end_stats = both_tabs(tmux, endpoint, poll), endpoint.stats()
        received_total = sum(t["events"] for t in end_tabs.values())
        generating = end_stats["time"] - (end_stats["started_at"] or end_stats["time"])
        at_end = {**memory(pid), "screen_received": received_total, "endpoint_served": sum(end_stats["unique_served"].values()),
                  "events_per_second_received_whole_run": round(received_total / generating, 1) if generating else 0.0,
                  "events_per_second_generated_whole_run": round(end_stats["generated"] / generating, 1) if generating else 0.0,
                  "generated": end_stats["generated"], "generating_seconds": round(generating, 1),
                  "seconds_after_start": round(time.monotonic() - started, 1)}
        final_screen = tmux.capture()
    return summarise(rate, size, tabs_before, tabs_after, stats_before, stats_after, cpu_before, cpu_after, names,
                     age, keys, at_start, at_100k, rss_series, behind, after_window, at_end, profiled, final_screen, pid)


def summarise(rate, size, tabs_before, tabs_after, stats_before, stats_after, cpu_before, cpu_after, names,
              age, keys, at_start, at_100k, rss_series, behind, after_window, at_end, profiled, final_screen, pid) -> dict:
    wall = cpu_after["time"] - cpu_before["time"]
    endpoint_wall = stats_after["time"] - stats_before["time"]

    def percent(seconds: float) -> float:
        return round(100 * seconds / wall, 2)

    received, served = {}, {}
    for pattern, after in tabs_after.items():  # each tab over its own readings' interval
        before = tabs_before[pattern]
        span = after["at"] - before["at"]
        received[pattern] = round((after["events"] - before["events"]) / span, 1)
        served[pattern] = round((after["served"] - before["served"]) / span, 1)
    threads = {}
    for tid, seconds in cpu_after["threads"].items():
        used = seconds - cpu_before["threads"].get(tid, 0.0)
        name = "MainThread" if tid == pid else names.get(tid, str(tid))
        if used > 0:
            threads[name] = round(threads.get(name, 0.0) + percent(used), 2)
    parent = cpu_after["process"] - cpu_before["process"]
    child = cpu_after["child"] - cpu_before["child"]
    requests_before = stats_before["requests"].get("Logs_20140328.FilterLogEvents", 0)
    return {
        "rate": rate,
        "size": f"{size[0]}x{size[1]}",
        "seconds": round(wall, 2),
        "events_per_second_received": {"total": round(sum(received.values()), 1), **received},  # the tabs' "N events"
        "events_per_second_served": {"total": round(sum(served.values()), 1), **served},  # distinct, by the endpoint
        "events_per_second_generated": round((stats_after["generated"] - stats_before["generated"]) / endpoint_wall, 1),
        "events_per_second_served_with_rereads": round((stats_after["events_served"] - stats_before["events_served"]) / endpoint_wall, 1),
        # events fetched (re-reads included) per distinct event served, over the window: the overlap's cost
        "fetched_per_shown": round((stats_after["events_served"] - stats_before["events_served"])
                                   / max(1, sum(stats_after["unique_served"].values()) - sum(stats_before["unique_served"].values())), 3),
        # matching events the endpoint dropped (after --keep-seconds) without ever serving them: lost
        "missed_by_endpoint": stats_after.get("missed", {}),
        "ingestion_delay_ms": stats_after.get("delay_ms"),
        "requests_per_second": round((stats_after["requests"].get("Logs_20140328.FilterLogEvents", 0) - requests_before) / endpoint_wall, 2),
        "megabytes_per_second_served": round((stats_after["bytes_served"] - stats_before["bytes_served"]) / endpoint_wall / 1e6, 2),
        "received_behind_served_at_end": {p: t["served"] - t["events"] for p, t in tabs_after.items()},
        # seconds of generated events not yet served to the slower tab, every RSS_EVERY s in the window:
        # bounded (about the poll interval plus a pass) when the followers keep up, growing when not
        "followers_seconds_behind_in_window": behind,
        "tab_readings": {"before": tabs_before, "after": tabs_after},
        "newest_line_age_seconds_at_end": age,  # on a screen left alone for the window
        "newest_line_age_seconds_after_tab_switch": next(iter(t["newest_line_age_on_switch"] for t in tabs_after.values() if "newest_line_age_on_switch" in t)),
        "cpu_percent_app": percent(parent + child),  # cockpit and its probe process: the target's figure
        "cpu_percent_cockpit_process": percent(parent),  # all its threads
        "cpu_percent_main_thread": threads.get("MainThread", 0.0),  # the UI's event loop
        "cpu_percent_probe_process": percent(child),
        "cpu_percent_threads": dict(sorted(threads.items(), key=lambda kv: -kv[1])),
        "keys": keys,
        "memory_at_start": at_start,
        "memory_at_100k": at_100k,
        "app_rss_mb_in_window": rss_series,  # [seconds after start, MB]
        "memory_after_window": after_window,  # before the keypresses
        "memory_at_end": at_end,  # after the keypresses and the profile
        "profile": profiled,
        "final_header": " ".join(final_screen.splitlines()[0].split()) if final_screen else "",
    }


def verdicts(result: dict) -> dict[str, bool | None]:
    """Each target of the issue, met or not (None: this run cannot say), for one run.

    Throughput is met when at least 10,000 distinct events/s were generated, the tabs' counters
    equal what the endpoint served them, and the followers never fell more than MAX_BEHIND s
    behind generation in the window (the counters themselves move a pass at a time, so a rate
    read off them over 30 s is only good to a few %).
    """
    keys = [result["keys"]["next_tab"], result["keys"]["search_open"]]
    generated = result["events_per_second_generated"]
    kept_up = (not any(result["received_behind_served_at_end"].values())
               and max(result["followers_seconds_behind_in_window"], default=0.0) <= MAX_BEHIND)
    return {
        "events_per_second": None if generated < TARGET_EVENTS_PER_SECOND * KEEP_UP else kept_up,
        "cpu": None if generated < TARGET_EVENTS_PER_SECOND * KEEP_UP else result["cpu_percent_app"] <= TARGET_CPU_PERCENT,
        "keypress": all(k["n"] and not k["lost"] and k["max_ms"] <= TARGET_KEY_MS for k in keys),
        "memory": None if result["memory_at_100k"]["endpoint_served"] < MEMORY_EVENTS else
        result["memory_at_100k"]["app_rss_mb"] <= TARGET_RSS_MB,
    }


def report(result: dict) -> str:
    r, k = result, result["keys"]
    met = {name: "n/a" if ok is None else "met" if ok else "NOT met" for name, ok in verdicts(result).items()}
    lines = [
        f"\n{r['rate']:g} events/s at {r['size']} over {r['seconds']:g} s:",
        f"  received {r['events_per_second_received']['total']:,.0f}/s on screen, served {r['events_per_second_served']['total']:,.0f}/s distinct "
        f"({r['events_per_second_served_with_rereads']:,.0f}/s with re-reads, {r['requests_per_second']} requests/s, "
        f"{r['megabytes_per_second_served']} MB/s) — target >= {TARGET_EVENTS_PER_SECOND:,}/s: {met['events_per_second']}",
        f"  fetched/shown {r['fetched_per_shown']} (ingestion delay {r['ingestion_delay_ms']} ms); never served (lost): {r['missed_by_endpoint']}",
        f"  followers behind generation in the window (s): {r['followers_seconds_behind_in_window']}\n"
        f"  newest line on screen {r['newest_line_age_seconds_at_end']} s old after the window, "
        f"{r['newest_line_age_seconds_after_tab_switch']} s right after a tab switch; screen behind the endpoint at the end by {r['received_behind_served_at_end']} events",
        f"  CPU app {r['cpu_percent_app']}% of one core (cockpit {r['cpu_percent_cockpit_process']}%: main thread "
        f"{r['cpu_percent_main_thread']}%; probe process {r['cpu_percent_probe_process']}%) — target <= {TARGET_CPU_PERCENT:g}%: {met['cpu']}",
        f"  threads: {', '.join(f'{n} {p}%' for n, p in r['cpu_percent_threads'].items() if p >= 0.5)}",
        "  keys: " + "; ".join(f"{label} p50 {k[name]['p50_ms']} max {k[name]['max_ms']} ms" + (f" ({k[name]['lost']} lost)" if k[name]["lost"] else "")
                               for label, name in (("]", "next_tab"), ("s", "search_open"), ("escape", "search_close_escape"),
                                                   ("] s", "tab_then_search_open")))
        + f" — target <= {TARGET_KEY_MS:g} ms: {met['keypress']}",
        f"  RSS at {r['memory_at_100k']['screen_received']:,} events: cockpit {r['memory_at_100k']['cockpit_rss_mb']} + probe process "
        f"{r['memory_at_100k']['probe_process_rss_mb']} = {r['memory_at_100k']['app_rss_mb']} MB — target <= {TARGET_RSS_MB:g} MB: {met['memory']}; "
        f"after the window {r['memory_after_window']['app_rss_mb']} MB; after the keys ({r['memory_at_end']['screen_received']:,} events) "
        f"{r['memory_at_end']['app_rss_mb']} MB; at start {r['memory_at_start']['app_rss_mb']} MB",
        f"  whole run: the tabs show {r['memory_at_end']['screen_received']:,} events, the endpoint served them "
        f"{r['memory_at_end']['endpoint_served']:,} (the rest: a pass in flight) of {r['memory_at_end']['generated']:,} generated "
        f"(both filters match ~1.1x: some lines name Redis and /momentum)",
    ]
    if r["profile"] and "own_percent_of_busy" in r["profile"]:
        lines.append("  py-spy, own % of busy samples: " + ", ".join(f"{n} {p}" for n, p in r["profile"]["own_percent_of_busy"][:8]))
    return "\n".join(lines)


def smoke_problems(result: dict) -> list[str]:
    """What makes a run unmeasured (not slow): no events on screen, counters not matching the endpoint, no CPU figure."""
    problems = []
    if not result["memory_at_end"]["screen_received"]:
        problems.append("no events reached the screen")
    if any(result["received_behind_served_at_end"].values()):
        problems.append(f"the screen's counters differ from what the endpoint served: {result['received_behind_served_at_end']}")
    if result["cpu_percent_app"] <= 0:
        problems.append("no CPU time read from /proc")
    if not result["keys"]["next_tab"]["n"]:
        problems.append("no keypress reached the screen")
    return problems


def versions() -> dict:
    found = {}
    for name in VERSIONS:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    found["tmux"] = run(["tmux", "-V"], timeout=10).strip()
    return found


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds the ExitStacks: what was started is stopped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.logs_throughput", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, nargs="+", default=[10_000, 20_000], help="events a second, one run each (10000 20000)")
    parser.add_argument("--sizes", nargs="+", default=[f"{w}x{h}" for w, h in SIZES], help="terminal sizes (160x48 80x24)")
    parser.add_argument("--seconds", type=float, default=30.0, help="measuring window (30)")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds from start before measuring (10)")
    parser.add_argument("--interval", type=float, default=2.0, help="[cloudwatch] logs_interval_seconds (2)")
    parser.add_argument("--rps", type=float, default=50.0, help="[cloudwatch] requests_per_second (50: ~1 MB pages, both tabs, the 10 s overlap re-read)")
    parser.add_argument("--buffer", type=int, default=20_000, help="[cloudwatch] buffer_lines (20000)")
    parser.add_argument("--overlap", type=float, default=None, help="[cloudwatch] overlap_seconds (default: the runbook's, 10)")
    parser.add_argument("--memory-events", type=int, default=MEMORY_EVENTS, help="distinct events served before the first RSS reading (100000)")
    parser.add_argument("--cockpit-env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for cockpit, e.g. MALLOC_ARENA_MAX=2 (repeatable; for experiments)")
    parser.add_argument("--keys", type=int, default=20, help="keypresses of each kind (20)")
    parser.add_argument("--key-pause", type=float, default=0.3, help="seconds between keypresses (0.3)")
    parser.add_argument("--poll-ms", type=float, default=5.0, help="capture-pane polling while waiting for a key (5)")
    parser.add_argument("--profile-seconds", type=float, default=10.0, help="py-spy record after the window, 0 for none (10)")
    parser.add_argument("--delay", type=float, nargs=2, default=(0.2, 3.0), metavar=("MIN", "MAX"),
                        help="the fake endpoint's ingestion delay per event, uniform, s (0.2 3)")
    parser.add_argument("--json", type=Path, default=RESULTS / "latest-logs.json", help="where the results go")
    parser.add_argument("--smoke", action="store_true",
                        help="a few seconds end to end (500 events/s, 80x24, 1 key each, no profile): exits 1 when it cannot measure; "
                             "no target is judged")
    args = parser.parse_args(argv)
    if args.smoke:
        args.rate, args.sizes, args.seconds, args.warmup, args.keys, args.profile_seconds = [500.0], ["80x24"], 3.0, 2.0, 1, 0.0
        args.memory_events, args.key_pause = 200, 0.1
        if args.json == RESULTS / "latest-logs.json":
            args.json = RESULTS / "smoke-logs.json"
    sizes = [tuple(int(n) for n in size.split("x")) for size in args.sizes]
    for signum in (signal.SIGTERM, signal.SIGHUP):  # `kill`, a closed terminal: clean up like Ctrl-C does
        signal.signal(signum, _exit_on_signal)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started in the background (SIGINT ignored)
    results = []
    with tempfile.TemporaryDirectory(prefix="cockpit-logs-bench-") as tmp_name:
        tmp = Path(tmp_name)
        baseline = tmux_baseline(f"cockpit-logs-bench-{os.getpid()}-baseline", args.keys, args.poll_ms / 1000)
        print(f"tmux alone: capture-pane p50 {baseline['capture_pane']['p50_ms']} ms, key echoed by cat p50 "
              f"{baseline['echo_through_cat']['p50_ms']} max {baseline['echo_through_cat']['max_ms']} ms", flush=True)
        for rate in args.rate:
            for size in sizes:
                print(f"{rate:g} events/s at {size[0]}x{size[1]}: warm-up {args.warmup:g} s, measuring {args.seconds:g} s, "
                      f"{args.keys} x 3 keys, py-spy {args.profile_seconds:g} s ...", flush=True)
                result = measure(rate, size, tmp, args)
                result["profile"] and result["profile"].pop("raw", None)
                results.append(result)
                print(report(result), flush=True)
                if args.smoke:
                    problems = smoke_problems(result)
                    if problems:
                        print("smoke: cannot measure: " + "; ".join(problems), file=sys.stderr, flush=True)
                        return 1
                    print("smoke: ok (measured; timings not judged)", flush=True)
    write_json(args.json, {
        "benchmark": "logs_throughput", "settings": {**vars(args), "json": str(args.json)}, "versions": versions(),
        "targets": {"events_per_second": TARGET_EVENTS_PER_SECOND, "cpu_percent_of_one_core": TARGET_CPU_PERCENT,
                    "keypress_ms": TARGET_KEY_MS, "app_rss_mb_at_100k_events": TARGET_RSS_MB},
        "tmux_baseline": baseline, "results": [{**r, "targets_met": verdicts(r)} for r in results],
    })
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
