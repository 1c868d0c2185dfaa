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

The app is every process of it: the UI process (`cockpit`, Textual, draws only) and every
process below it, found through /proc/PID/task/*/children: the engine process (`python -P
-c "from cockpit.engine.process import serve; serve(FD)"`), which runs the log followers,
pollers, journal writer and verdict. CPU and RSS are summed over all of them and reported
for the UI and the engine apart too; a run where no engine process is found is an error.

1. memory: once the endpoint has served 100,000 distinct events (and that pass has landed),
   RSS of the UI process and of the engine process; also at start, every 5 s of the window,
   after it, at the end (after the keypresses) and, with `--events N`, once the endpoint has
   served N distinct events (the long run: `--events 1000000 --keys 84`, 504 keypresses);
2. throughput and CPU over `--seconds`, `--warmup` s after start: the "N events" counters of
   both tabs read off the screen (`]` switches tab) as each next changes (a pass landed),
   with the endpoint's count of distinct events served to that filter at that moment (they
   must be equal), both per second; how many seconds of generated events the slower tab has
   not been served yet (bounded when the followers keep up); utime+stime from /proc of the
   UI process and of the engine process (all threads), and of each of their threads (named
   with `py-spy dump`); the age of the newest log line on screen, read every second of the
   window (the screen is left alone, follow on: target never older than 2 poll intervals);
3. keypress latency while ingesting, `--key-pause` s apart: `]` (the status line names the
   other filter), `s` (the "Search: log lines" modal opens), `escape` (it closes: Textual
   waits ESCDELAY, 100 ms, to tell a lone escape from a sequence), and `]` `s` sent together;
   each timed from `tmux send-keys` until `tmux capture-pane -p` (polled every `--poll-ms`)
   shows the change (p50, p99 nearest rank, max). tmux's own cost is measured first: one
   capture-pane, and a key echoed by `cat` in a pane;
4. where the CPU goes: `py-spy record --nonblocking` for `--profile-seconds` of the UI process
   and of the engine process at the same time, each summarised per thread and as own and
   inclusive samples per function, idle waits left out.

At the end the tmux server is killed (the app gets SIGHUP, as when an SSH session drops) and
every process of the app must be gone within idle_cpu.EXIT_GRACE s; how long each took and the
ones that did not go (then killed) are in the results (`after_sighup`). Everything started (endpoint, tmux server, UI and
engine process) is stopped on the way out, also on errors.

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

from bench.common import REPO, RESULTS, run, smoke_json, write_json
from bench.idle_cpu import Tmux, cockpit_pid, cpu_seconds, descendants, end_session, rss_kib
from cockpit.core.latency import percentile
from cockpit.runbook import bundled_path, load_runbook

TARGET_EVENTS_PER_SECOND = 10_000
TARGET_CPU_PERCENT = 20.0  # of one core, the whole app (UI process + engine process), issue 16
TARGET_KEY_MS = 100.0  # p99 (issue 16)
TARGET_KEY_P50_MS = 50.0
TARGET_FETCHED_PER_SHOWN = 1.2
TARGET_AGE_INTERVALS = 2.0  # the newest line on screen, in poll intervals, while following
TARGET_RSS_MB = 150.0  # the whole app, with 100,000 events received
TARGET_RSS_GROWTH = 0.10  # after --events (1,000,000) and the keypresses, over the 100,000 figure
MEMORY_EVENTS = 100_000
RSS_EVERY = 5.0  # s between RSS readings in the window
KEY_KINDS = ("next_tab", "search_open", "search_close_escape", "tab_then_search_open")
AGE_EVERY = 1.0  # s between readings of the newest line's age in the window
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
    """CPU seconds of each thread of `pid` (empty when it is gone)."""
    found = {}
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            found[int(task.name)] = cpu_seconds(task / "stat")
        except OSError:
            pass  # ended meanwhile
    return found


def process_cpu(pid: int) -> float | None:
    try:
        return cpu_seconds(Path(f"/proc/{pid}/stat"))
    except OSError:
        return None


def cpu_snapshot(pid: int) -> dict:
    """CPU seconds of the UI process `pid` and of every process below it (the engine), each with its threads."""
    return {"time": time.monotonic(), "ui": process_cpu(pid), "ui_threads": thread_cpu(pid),
            "engines": {e: process_cpu(e) for e in descendants(pid)},
            "engine_threads": {e: thread_cpu(e) for e in descendants(pid)}}


def memory(pid: int) -> dict:
    """VmRSS in MB (10^6 bytes, as the target is written) of the UI process, of the processes below it, and of both."""
    ui, below = rss_kib(pid) * 1024 / 1e6, sum(rss_kib(e) for e in descendants(pid)) * 1024 / 1e6
    return {"ui_rss_mb": round(ui, 1), "engine_rss_mb": round(below, 1), "app_rss_mb": round(ui + below, 1),
            "processes": 1 + len(descendants(pid))}


def thread_names(pid: int) -> dict[int, str]:
    """{tid: Python thread name} from `py-spy dump` (empty when py-spy is missing or fails)."""
    try:
        out = subprocess.run([REPO / ".venv" / "bin" / "py-spy", "dump", "--pid", str(pid)], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return {}
    return {int(tid, 0): name for tid, name in re.findall(r'^Thread (\S+) \([^)]*\): "([^"]*)"', out, re.M)}


def end_processes(pids: list[int]) -> None:
    """SIGTERM, then SIGKILL, each of `pids` that still runs cockpit (a reused PID is left alone)."""
    for pid in reversed(pids):  # the engine process first
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


def close_search(tmux: Tmux, poll: float) -> None:
    """Make sure the search modal is closed (a late `s` may open it after its key was counted lost): `escape`
    until it is gone, up to 3 times SCREEN_TIMEOUT; RuntimeError after that."""
    for _ in range(3):
        if SEARCH_TITLE not in tmux.capture():
            return
        tmux.keys("Escape")
        try:
            wait_screen(tmux, lambda s: SEARCH_TITLE not in s, SCREEN_TIMEOUT, poll)
            return
        except RuntimeError:
            continue
    raise RuntimeError(f"the search modal does not close:\n{tmux.capture()}")


def keypresses(tmux: Tmux, count: int, poll: float, pause: float) -> dict:
    """`]` (the other tab's status shows) and `s` / `escape` (the search modal opens / closes), `count` times
    each, `pause` s apart (a person's pace: each key lands on a settled screen); and `]` `s` typed
    together (the search modal, timed from the pair: `s` queued behind the tab switch). `sent`:
    keys sent in all (6 a round)."""
    sent = 0
    tab: list[float | None] = []
    search: list[float | None] = []
    close: list[float | None] = []
    after_tab: list[float | None] = []
    for _ in range(count):
        time.sleep(pause)
        close_search(tmux, poll)  # a round starts on the logs pane, whatever the last one left (not timed)
        shown = tab_status(tmux.capture())
        tab.append(key_latency(tmux, "]", lambda s, was=shown: (t := tab_status(s)) is not None and t[0] != was[0], poll))
        time.sleep(pause)
        search.append(key_latency(tmux, "s", lambda s: SEARCH_TITLE in s, poll))
        sent += 2
        time.sleep(pause)
        if SEARCH_TITLE in tmux.capture():
            close.append(key_latency(tmux, "Escape", lambda s: SEARCH_TITLE not in s, poll))
            sent += 1
        time.sleep(pause)
        after_tab.append(key_latency(tmux, ("]", "s"), lambda s: SEARCH_TITLE in s, poll))
        sent += 2
        time.sleep(pause)
        if SEARCH_TITLE in tmux.capture():
            key_latency(tmux, "Escape", lambda s: SEARCH_TITLE not in s, poll)
            sent += 1
    close_search(tmux, poll)
    return {"next_tab": ms_summary(tab), "search_open": ms_summary(search), "search_close_escape": ms_summary(close),
            "tab_then_search_open": ms_summary(after_tab), "sent": sent}


def ms_summary(values: list[float | None]) -> dict:
    """n, p50, p99 (nearest rank: the max below 100 samples) and max in ms of the keys that showed;
    `lost`: how many did not within SCREEN_TIMEOUT."""
    shown = [v for v in values if v is not None]
    if not shown:
        return {"n": 0, "lost": len(values), "p50_ms": None, "p99_ms": None, "max_ms": None, "samples_ms": []}
    return {"n": len(shown), "lost": len(values) - len(shown), "p50_ms": round(percentile(shown, 0.5), 1),
            "p99_ms": round(percentile(shown, 0.99), 1), "max_ms": round(max(shown), 1),
            "samples_ms": [None if v is None else round(v, 1) for v in values]}


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
def profile(pids: dict[str, int], seconds: float, out: Path, names: dict[str, dict[int, str]]) -> dict:
    """`py-spy record --nonblocking` of each of `pids` ({"ui": pid, "engine": pid}) for the same `seconds`, at
    the same time; each summarised: samples per thread, top own and inclusive functions."""
    running = {}
    for role, pid in pids.items():
        raw = out.with_name(f"{out.name}-{role}.txt")
        running[role] = (raw, subprocess.Popen([REPO / ".venv" / "bin" / "py-spy", "record", "--pid", str(pid), "--duration", str(int(seconds)),
                                                "--rate", "100", "--nonblocking", "--threads", "--format", "raw", "-o", raw],
                                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    found = {}
    for role, (raw, process) in running.items():
        try:
            process.wait(seconds + 60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        found[role] = summarise_profile(raw, seconds, names.get(role, {}))
    return found


def summarise_profile(raw: Path, seconds: float, names: dict[int, str]) -> dict:
    """One py-spy raw file: busy samples per thread, top own and inclusive functions (idle waits left out)."""
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
            "busy_percent_of_one_core": round(total / seconds, 1),  # 100 samples/s: a thread busy all along = 100
            "threads_percent_of_busy": share(per_thread, 12), "own_percent_of_busy": share(own, 25),
            "inclusive_percent_of_busy": share(inclusive, 60)}


# -- one run -----------------------------------------------------------------------------------
def wait_for_served(endpoint: Endpoint, events: int, timeout: float, while_waiting=None) -> dict:
    """The endpoint's stats once it has served `events` distinct events; `while_waiting()` is called every 5 s meanwhile."""
    deadline = time.monotonic() + timeout
    last = time.monotonic()
    while True:
        stats = endpoint.stats()
        if sum(stats["unique_served"].values()) >= events:
            return stats
        if time.monotonic() > deadline:
            raise RuntimeError(f"the endpoint served {sum(stats['unique_served'].values())} events in {timeout:g} s, not {events}")
        if while_waiting is not None and time.monotonic() - last >= RSS_EVERY:
            last = time.monotonic()
            while_waiting()
        time.sleep(0.2)


def stuck(tmux: Tmux, pid: int, error: RuntimeError) -> RuntimeError:
    """`error` (a screen that did not change) with what the processes were doing then and the screen 10 s later."""
    dumps = []
    for each in [pid, *descendants(pid)]:
        try:
            out = subprocess.run([REPO / ".venv" / "bin" / "py-spy", "dump", "--native", "--locals", "--pid", str(each)], capture_output=True,
                                 text=True, timeout=30)
            dumps.append(f"py-spy dump {each}:\n{out.stdout or out.stderr}")
            wchan = {t.name: (t / "wchan").read_text() for t in Path(f"/proc/{each}/task").iterdir()}
            dumps.append(f"wchan per thread of {each}: {wchan}")
        except (OSError, subprocess.SubprocessError) as exc:
            dumps.append(f"py-spy dump {each}: {exc}")
    time.sleep(10)
    history = run([*tmux.base, "capture-pane", "-p", "-S", "-200", "-t", tmux.session], timeout=10)
    return RuntimeError("\n".join([str(error), *dumps, f"the screen 10 s later:\n{tmux.capture()}", f"the pane's history:\n{history}"]))


def app_pids(pid: int) -> dict[str, int]:
    """{"ui": pid, "engine": the process below it} (RuntimeError when there is no engine process, or several)."""
    below = descendants(pid)
    if len(below) != 1:
        raise RuntimeError(f"expected one engine process below the UI (pid {pid}), found {below}")
    return {"ui": pid, "engine": below[0]}


def measure(rate: float, size: tuple[int, int], tmp: Path, args: argparse.Namespace) -> dict:
    """One cockpit at `size` against a fresh endpoint at `rate`: memory, throughput and CPU, keys, profile."""
    width, height = size
    tag = f"{rate:g}-{width}x{height}"
    m: dict = {"rate": rate, "size": size, "loadavg": {"at_start": os.getloadavg()}}
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
        try:
            both_tabs(tmux, endpoint, poll)  # `]` works: the keys reach the logs pane
        except RuntimeError as exc:
            raise stuck(tmux, pid, exc) from None
        pids = m["pids"] = app_pids(pid)  # the engine process is up by now
        started_pids.append(pids["engine"])
        m["at_start"] = {**memory(pid), "endpoint_served": sum(endpoint.stats()["unique_served"].values()),
                         "seconds_after_start": round(time.monotonic() - started, 1)}

        # 1. memory once 100,000 events are in
        served = wait_for_served(endpoint, args.memory_events if rate else 0, args.warmup + 120)
        time.sleep(args.interval + 1)  # the pass that served them reaches the screen
        m["at_100k"] = {**memory(pid), "endpoint_served": sum(served["unique_served"].values()),
                        "screen_received": sum(t["events"] for t in both_tabs(tmux, endpoint, poll).values()),
                        "seconds_after_start": round(time.monotonic() - started, 1)}
        time.sleep(max(0.0, args.warmup - (time.monotonic() - started)))

        # 2. throughput, CPU and freshness, the screen left alone
        m["tabs_before"] = both_tabs(tmux, endpoint, poll, wait=2 * args.interval + 3)
        m["stats_before"], m["cpu_before"] = endpoint.stats(), cpu_snapshot(pid)
        m["loadavg"]["window_start"] = os.getloadavg()
        rss_series, behind, ages = [], [], []  # memory levels off? the followers keep up? the screen is current?
        last_rss = time.monotonic()
        while (elapsed := time.monotonic() - m["cpu_before"]["time"]) < args.seconds:
            time.sleep(min(AGE_EVERY, args.seconds - elapsed))
            ages.append(newest_line_age(tmux.capture(), time.time()))
            if time.monotonic() - last_rss >= RSS_EVERY:
                last_rss = time.monotonic()
                rss_series.append([round(time.monotonic() - started, 1), memory(pid)["app_rss_mb"]])
                behind.append(max(endpoint.stats()["seconds_behind"].values(), default=0.0))
        m["cpu_after"], m["stats_after"] = cpu_snapshot(pid), endpoint.stats()
        m["loadavg"]["window_end"] = os.getloadavg()
        m["rss_series"], m["behind"], m["ages"] = rss_series, behind, ages
        m["after_window"] = {**memory(pid), "seconds_after_start": round(time.monotonic() - started, 1)}
        m["tabs_after"] = both_tabs(tmux, endpoint, poll, wait=2 * args.interval + 3)
        names = m["names"] = {role: thread_names(p) for role, p in pids.items()}

        # 3. keys, 4. profile, memory at the end; a phase that fails is recorded (m["errors"]) and the rest still runs,
        # so that a long run's figures so far are written
        m["errors"], m["keys"], m["profile"], m["at_end"] = [], None, None, None

        def phase(name: str, measure_it) -> None:
            try:
                m[name] = measure_it()
            except RuntimeError as exc:
                m["errors"].append(f"{name}: {str(exc)[:2000]}")
                print(f"  {name} failed: {str(exc)[:2000]}", flush=True)

        phase("keys", lambda: keypresses(tmux, args.keys, poll, args.key_pause))
        m["loadavg"]["after_keys"] = os.getloadavg()
        if args.profile_seconds > 0:
            phase("profile", lambda: profile(pids, args.profile_seconds, (args.profile_dir or tmp) / f"py-spy-{tag}", names))
        phase("at_end", lambda: end_reading(tmux, endpoint, pid, started, poll))
        if args.events:  # the long run: RSS once the endpoint has served that many, with the keys above behind it
            series: list[list[float]] = []

            def long_run() -> dict:
                wait_for_served(endpoint, args.events, args.events / max(rate, 1) * 3 + 120,
                                lambda: series.append([round(time.monotonic() - started, 1), memory(pid)["app_rss_mb"]]))
                time.sleep(args.interval + 1)
                return {**end_reading(tmux, endpoint, pid, started, poll), "app_rss_mb_while_waiting": series}

            phase("at_events", long_run)
        m["final_screen"] = tmux.capture()
        m["engine_pid_at_end"] = descendants(pid)
        m["loadavg"]["at_end"] = os.getloadavg()
        m["after_sighup"] = end_session(tmux, pid)
    return summarise(m)


def end_reading(tmux: Tmux, endpoint: Endpoint, pid: int, started: float, poll: float) -> dict:
    """Memory now, with what the screen and the endpoint count (two `]`)."""
    mem = memory(pid)  # first: a screen that cannot be read does not lose it
    close_search(tmux, poll)
    end_tabs, end_stats = both_tabs(tmux, endpoint, poll), endpoint.stats()
    received_total = sum(t["events"] for t in end_tabs.values())
    generating = end_stats["time"] - (end_stats["started_at"] or end_stats["time"])
    return {**mem, "screen_received": received_total, "endpoint_served": sum(end_stats["unique_served"].values()),
            "events_per_second_received_whole_run": round(received_total / generating, 1) if generating else 0.0,
            "events_per_second_generated_whole_run": round(end_stats["generated"] / generating, 1) if generating else 0.0,
            "generated": end_stats["generated"], "generating_seconds": round(generating, 1),
            "seconds_after_start": round(time.monotonic() - started, 1)}


def thread_percents(before: dict[int, float], after: dict[int, float], names: dict[int, str], main: int, percent) -> dict[str, float]:
    """{thread name: % of one core} over the window (threads of one process)."""
    threads: dict[str, float] = {}
    for tid, seconds in after.items():
        used = seconds - before.get(tid, 0.0)
        name = "MainThread" if tid == main else names.get(tid, str(tid))
        if used > 0:
            threads[name] = round(threads.get(name, 0.0) + percent(used), 2)
    return dict(sorted(threads.items(), key=lambda kv: -kv[1]))


def summarise(m: dict) -> dict:
    cpu_before, cpu_after, stats_before, stats_after = m["cpu_before"], m["cpu_after"], m["stats_before"], m["stats_after"]
    tabs_before, tabs_after, pids = m["tabs_before"], m["tabs_after"], m["pids"]
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
    ui = cpu_after["ui"] - cpu_before["ui"]
    # an engine that appeared in the window counts from 0; one that died in it has lost its CPU (flagged)
    engine = sum((cpu_after["engines"][e] or 0.0) - (cpu_before["engines"].get(e) or 0.0) for e in cpu_after["engines"])
    engine_pid = pids["engine"]
    requests_before = stats_before["requests"].get("Logs_20140328.FilterLogEvents", 0)
    ages = [a for a in m["ages"] if a is not None]
    return {
        "rate": m["rate"],
        "size": f"{m['size'][0]}x{m['size'][1]}",
        "seconds": round(wall, 2),
        "loadavg": m["loadavg"],  # 1, 5, 15 min: other sessions on this machine skew every figure
        "pids": pids,
        "engine_restarted": set(cpu_before["engines"]) != set(cpu_after["engines"]) or m["engine_pid_at_end"] != [engine_pid],
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
        "followers_seconds_behind_in_window": m["behind"],
        "tab_readings": {"before": tabs_before, "after": tabs_after},
        # the newest log line on screen, read every AGE_EVERY s of the window (screen left alone, follow on)
        "newest_line_age_seconds_in_window": {"n": len(ages), "unread": len(m["ages"]) - len(ages),
                                              "p50": percentile(ages, 0.5), "max": max(ages, default=None), "samples": m["ages"]},
        "newest_line_age_seconds_after_tab_switch": next(iter(t["newest_line_age_on_switch"] for t in tabs_after.values() if "newest_line_age_on_switch" in t)),
        "cpu_percent_app": percent(ui + engine),  # every process of the app: the target's figure
        "cpu_percent_ui_process": percent(ui),  # all its threads
        "cpu_percent_main_thread": thread_percents(cpu_before["ui_threads"], cpu_after["ui_threads"], {}, pids["ui"], percent).get("MainThread", 0.0),
        "cpu_percent_engine_process": percent(engine),
        "cpu_percent_threads_ui": thread_percents(cpu_before["ui_threads"], cpu_after["ui_threads"], m["names"]["ui"], pids["ui"], percent),
        "cpu_percent_threads_engine": thread_percents(cpu_before["engine_threads"].get(engine_pid, {}), cpu_after["engine_threads"].get(engine_pid, {}),
                                                      m["names"]["engine"], engine_pid, percent),
        "keys": m["keys"],
        "memory_at_start": m["at_start"],
        "memory_at_100k": m["at_100k"],
        "app_rss_mb_in_window": m["rss_series"],  # [seconds after start, MB]
        "memory_after_window": m["after_window"],  # before the keypresses
        "memory_at_end": m["at_end"],  # after the keypresses and the profile
        "memory_at_events": m.get("at_events"),  # --events: once the endpoint had served that many
        "after_sighup": m["after_sighup"],  # s each process took to go after the terminal went; the ones killed
        "profile": m["profile"],
        "errors": m["errors"],  # phases after the window that failed (their figures are missing)
        "final_header": " ".join(m["final_screen"].splitlines()[0].split()) if m["final_screen"] else "",
    }


def verdicts(result: dict, interval: float) -> dict[str, bool | None]:
    """Each target of issue 16, met or not (None: this run cannot say), for one run.

    Throughput is met when at least 10,000 distinct events/s were generated, the tabs' counters
    equal what the endpoint served them, and the followers never fell more than MAX_BEHIND s
    behind generation in the window (the counters themselves move a pass at a time, so a rate
    read off them over 30 s is only good to a few %).
    """
    keys = [result["keys"]["next_tab"], result["keys"]["search_open"]] if result["keys"] else []
    generated = result["events_per_second_generated"]
    loaded = generated >= TARGET_EVENTS_PER_SECOND * KEEP_UP
    kept_up = (not any(result["received_behind_served_at_end"].values())
               and max(result["followers_seconds_behind_in_window"], default=0.0) <= MAX_BEHIND)
    ages = result["newest_line_age_seconds_in_window"]
    at_events = result["memory_at_events"]
    return {
        "events_per_second": kept_up if loaded else None,
        "cpu": result["cpu_percent_app"] <= TARGET_CPU_PERCENT if loaded else None,
        "fetched_per_shown": result["fetched_per_shown"] <= TARGET_FETCHED_PER_SHOWN if loaded else None,
        "keypress": None if not keys else all(k["n"] and not k["lost"] and k["p50_ms"] <= TARGET_KEY_P50_MS and k["p99_ms"] <= TARGET_KEY_MS
                                              for k in keys),
        "newest_line_age": None if not ages["n"] else (not ages["unread"] and ages["max"] <= TARGET_AGE_INTERVALS * interval),
        "memory": None if result["memory_at_100k"]["endpoint_served"] < MEMORY_EVENTS else
        result["memory_at_100k"]["app_rss_mb"] <= TARGET_RSS_MB,
        "memory_long_run": None if at_events is None else
        at_events["app_rss_mb"] <= result["memory_at_100k"]["app_rss_mb"] * (1 + TARGET_RSS_GROWTH),
        "exit_on_sighup": not result["after_sighup"]["left_behind"],
    }


def report(result: dict, interval: float) -> str:
    r, k = result, result["keys"] or {"sent": 0, **{name: ms_summary([]) for name in KEY_KINDS}}
    met = {name: "n/a" if ok is None else "met" if ok else "NOT met" for name, ok in verdicts(result, interval).items()}
    ages, m100 = r["newest_line_age_seconds_in_window"], r["memory_at_100k"]
    lines = [
        f"\n{r['rate']:g} events/s at {r['size']} over {r['seconds']:g} s (load average {r['loadavg']['window_start'][0]:.1f} → "
        f"{r['loadavg']['window_end'][0]:.1f}; pids UI {r['pids']['ui']}, engine {r['pids']['engine']}"
        + (", ENGINE RESTARTED" if r["engine_restarted"] else "") + "):",
        f"  received {r['events_per_second_received']['total']:,.0f}/s on screen, served {r['events_per_second_served']['total']:,.0f}/s distinct "
        f"({r['events_per_second_served_with_rereads']:,.0f}/s with re-reads, {r['requests_per_second']} requests/s, "
        f"{r['megabytes_per_second_served']} MB/s) — target >= {TARGET_EVENTS_PER_SECOND:,}/s: {met['events_per_second']}",
        f"  fetched/shown {r['fetched_per_shown']} (ingestion delay {r['ingestion_delay_ms']} ms) — target <= {TARGET_FETCHED_PER_SHOWN}: "
        f"{met['fetched_per_shown']}; never served (lost): {r['missed_by_endpoint']}",
        f"  followers behind generation in the window (s): {r['followers_seconds_behind_in_window']}",
        f"  newest line on screen in the window: p50 {ages['p50']} s, max {ages['max']} s old ({ages['n']} readings, {ages['unread']} unread) "
        f"— target <= {TARGET_AGE_INTERVALS:g} x {interval:g} s: {met['newest_line_age']}; {r['newest_line_age_seconds_after_tab_switch']} s "
        f"right after a tab switch; screen behind the endpoint at the end by {r['received_behind_served_at_end']} events",
        f"  CPU app {r['cpu_percent_app']}% of one core (UI process {r['cpu_percent_ui_process']}%: main thread "
        f"{r['cpu_percent_main_thread']}%; engine process {r['cpu_percent_engine_process']}%) — target <= {TARGET_CPU_PERCENT:g}%: {met['cpu']}",
        f"  UI threads: {', '.join(f'{n} {p}%' for n, p in r['cpu_percent_threads_ui'].items() if p >= 0.5)}",
        f"  engine threads: {', '.join(f'{n} {p}%' for n, p in r['cpu_percent_threads_engine'].items() if p >= 0.5)}",
        f"  keys ({k['sent']} sent): " + "; ".join(
            f"{label} p50 {k[name]['p50_ms']} p99 {k[name]['p99_ms']} max {k[name]['max_ms']} ms (n {k[name]['n']})"
            + (f" ({k[name]['lost']} lost)" if k[name]["lost"] else "")
            for label, name in zip(("]", "s", "escape", "] s"), KEY_KINDS, strict=True))
        + f" — target p50 <= {TARGET_KEY_P50_MS:g}, p99 <= {TARGET_KEY_MS:g} ms: {met['keypress']}",
        f"  RSS at {m100['screen_received']:,} events: UI {m100['ui_rss_mb']} + engine {m100['engine_rss_mb']} = {m100['app_rss_mb']} MB "
        f"— target <= {TARGET_RSS_MB:g} MB: {met['memory']}; at start {r['memory_at_start']['app_rss_mb']} MB; "
        f"after the window {r['memory_after_window']['app_rss_mb']} MB",
    ]
    if r["memory_at_end"]:
        lines += [f"  after the keys ({r['memory_at_end']['screen_received']:,} events) {r['memory_at_end']['app_rss_mb']} MB",
                  f"  whole run: the tabs show {r['memory_at_end']['screen_received']:,} events, the endpoint served them "
                  f"{r['memory_at_end']['endpoint_served']:,} (the rest: a pass in flight) of {r['memory_at_end']['generated']:,} generated "
                  f"(both filters match ~1.1x: some lines name Redis and /momentum)"]
    if r["memory_at_events"]:
        e = r["memory_at_events"]
        lines.append(f"  long run: RSS at {e['endpoint_served']:,} events served ({e['screen_received']:,} on screen) and {k['sent']} keys: "
                     f"UI {e['ui_rss_mb']} + engine {e['engine_rss_mb']} = {e['app_rss_mb']} MB — target <= "
                     f"{m100['app_rss_mb'] * (1 + TARGET_RSS_GROWTH):.1f} MB (+{TARGET_RSS_GROWTH:.0%}): {met['memory_long_run']}")
    lines.append(f"  after SIGHUP: gone after {r['after_sighup']['gone_after_s']} s; left behind (killed): "
                 f"{r['after_sighup']['left_behind'] or 'none'} — {met['exit_on_sighup']}")
    lines += [f"  FAILED: {error[:300]}" for error in r["errors"]]
    for role, prof in (r["profile"] or {}).items():
        if "own_percent_of_busy" in prof:
            lines.append(f"  py-spy {role} ({prof['busy_percent_of_one_core']}% of a core busy), own % of busy samples: "
                         + ", ".join(f"{n} {p}" for n, p in prof["own_percent_of_busy"][:8]))
    return "\n".join(lines)


def smoke_problems(result: dict, interval: float) -> list[str]:
    """What makes a run unmeasured (not slow): no events on screen, counters not matching the endpoint, no CPU figure.

    The screen may trail the endpoint by the passes still on their way (a loaded machine: the endpoint served the next
    pass while the UI drew the last): up to two passes of everything generated is lag, not a broken bench. More than
    that, or a screen ahead of what was served, is."""
    problems = list(result["errors"])
    if not (result["memory_at_end"] or {}).get("screen_received"):
        problems.append("no events reached the screen")
    in_flight = 2 * result["rate"] * interval
    if any(not 0 <= behind <= in_flight for behind in result["received_behind_served_at_end"].values()):
        problems.append(f"the screen's counters differ from what the endpoint served: {result['received_behind_served_at_end']}")
    if result["cpu_percent_app"] <= 0:
        problems.append("no CPU time read from /proc")
    if not result["keys"] or not result["keys"]["next_tab"]["n"]:
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
    parser.add_argument("--events", type=int, default=0,
                        help="the long run: after the keys, RSS once the endpoint has served this many distinct events "
                             "(1000000; with --keys 84: 504 keypresses); 0 for none (0)")
    parser.add_argument("--cockpit-env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for cockpit, e.g. MALLOC_ARENA_MAX=2 (repeatable; for experiments)")
    parser.add_argument("--keys", type=int, default=20, help="rounds of keypresses, 6 keys a round: ], s, escape, ] s, escape (20)")
    parser.add_argument("--key-pause", type=float, default=0.3, help="seconds between keypresses (0.3)")
    parser.add_argument("--poll-ms", type=float, default=5.0, help="capture-pane polling while waiting for a key (5)")
    parser.add_argument("--profile-seconds", type=float, default=10.0, help="py-spy record of both processes after the keys, 0 for none (10)")
    parser.add_argument("--profile-dir", type=Path, default=None, help="keep py-spy's raw files here (default: a temporary directory)")
    parser.add_argument("--delay", type=float, nargs=2, default=(0.2, 3.0), metavar=("MIN", "MAX"),
                        help="the fake endpoint's ingestion delay per event, uniform, s (0.2 3)")
    parser.add_argument("--json", type=Path, default=RESULTS / "latest-logs.json", help="where the results go")
    parser.add_argument("--smoke", action="store_true",
                        help="a few seconds end to end (500 events/s, 80x24, 1 key each, no profile): exits 1 when it cannot measure; "
                             "no target is judged")
    args = parser.parse_args(argv)
    if args.smoke:
        args.rate, args.sizes, args.seconds, args.warmup, args.keys, args.profile_seconds = [500.0], ["80x24"], 3.0, 2.0, 1, 0.0
        args.memory_events, args.key_pause, args.events = 200, 0.1, 1000  # --events too: its path runs
        if args.json == RESULTS / "latest-logs.json":
            args.json = smoke_json("logs_throughput")  # a scratch file, never bench/results/
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
                for prof in (result["profile"] or {}).values():
                    args.profile_dir or prof.pop("raw", None)
                results.append(result)
                print(report(result, args.interval), flush=True)
                if args.smoke:
                    problems = smoke_problems(result, args.interval)
                    if problems:
                        print("smoke: cannot measure: " + "; ".join(problems), file=sys.stderr, flush=True)
                        return 1
                    print("smoke: ok (measured; timings not judged)", flush=True)
    write_json(args.json, {
        "benchmark": "logs_throughput", "settings": {**vars(args), "json": str(args.json), "profile_dir": str(args.profile_dir)},
        "versions": versions(),
        "targets": {"events_per_second": TARGET_EVENTS_PER_SECOND, "cpu_percent_of_one_core": TARGET_CPU_PERCENT,
                    "fetched_per_shown": TARGET_FETCHED_PER_SHOWN, "keypress_p50_ms": TARGET_KEY_P50_MS, "keypress_p99_ms": TARGET_KEY_MS,
                    "newest_line_age_seconds": TARGET_AGE_INTERVALS * args.interval, "app_rss_mb_at_100k_events": TARGET_RSS_MB,
                    "app_rss_growth_at_events": TARGET_RSS_GROWTH},
        "tmux_baseline": baseline, "results": [{**r, "targets_met": verdicts(r, args.interval)} for r in results],
    })
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
