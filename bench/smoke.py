"""Every bench's `--smoke` mode, one after another: does each bench still run? (Not: are the numbers good.)

Each bench runs as `python -m bench.NAME --smoke` in a process of its own, from the
repository root, with a timeout; its JSON goes to a scratch file, never to bench/results/.
One line per bench (`ok`, `FAILED` with the last lines of its output, or `skipped` with the
reason), then exit 1 if any failed. A smoke mode fails only when its bench is broken
(cannot start, cannot read the screen, a parse fails), never because a figure missed a
target. The benches need tmux, redis-server, redis-benchmark, curl, pgrep and PostgreSQL 15;
as root with apt-get, the missing ones are installed first, otherwise the runner says what
is missing and exits 1.

Run from the repository root, after `.ci/run` (or `pip install -e '.[test]'`):
`.venv/bin/python -m bench.smoke [--list] [--only NAME ...]`. Imports nothing from cockpit, so
a cockpit that does not import is reported per bench rather than stopping the runner.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")
TAIL_LINES = 25  # of a failed bench's output
INTERRUPT_GRACE = 20.0  # seconds a timed-out bench gets after SIGINT to stop its servers and tmux


@dataclass(frozen=True)
class Bench:
    """One bench module and how long its smoke run may take, on a loaded 2-core machine."""

    name: str
    timeout: float
    smoke_maybe_missing: bool = False  # owned elsewhere: skip (with a message) while it has no --smoke

    @property
    def argv(self) -> list[str]:
        return [sys.executable, "-m", f"bench.{self.name}", "--smoke"]


BENCHES = (
    Bench("probe_latency", 120),
    Bench("idle_cpu", 120),
    Bench("demo_startup", 150),
    Bench("down_detection", 120),
    Bench("check_runs", 120),
    Bench("logs_throughput", 150),
    Bench("footer_memory", 120),
    Bench("parse_filter_log_events", 120),
    Bench("report_time", 60),
    Bench("journal_propagation", 120),
    Bench("awslogs_compare", 240),  # installs awslogs 0.15.0 into a venv of its own the first time
)

# What the benches run, and the Debian package that brings it.
TOOLS = {"tmux": "tmux", "redis-server": "redis-server", "redis-benchmark": "redis-tools", "curl": "curl", "pgrep": "procps",
         str(PG_BIN / "pgbench"): "postgresql-15"}


def missing_tools() -> dict[str, str]:
    """{tool: package} of every tool the benches need that is not here."""
    return {tool: package for tool, package in TOOLS.items() if shutil.which(tool) is None}


def install(packages: list[str]) -> None:
    """apt-get install, keeping the packages' init scripts from starting system services (as .ci/run does)."""
    print(f"installing {' '.join(packages)} ...", flush=True)
    policy = Path("/usr/sbin/policy-rc.d")
    ours = not policy.exists()
    if ours:
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
    try:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=True, stdout=subprocess.DEVNULL, timeout=300)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages], env=env, check=True,
                       stdout=subprocess.DEVNULL, timeout=600)
    finally:
        if ours:
            policy.unlink(missing_ok=True)


def ensure_tools() -> str | None:
    """None when every tool is here (installed now if root with apt-get), else what is missing and how to get it."""
    missing = missing_tools()
    if missing and os.geteuid() == 0 and shutil.which("apt-get"):
        try:
            install(sorted(set(missing.values())))
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            return f"could not install {', '.join(sorted(set(missing.values())))}: {exc}"
        missing = missing_tools()
    if missing:
        return (f"the benches need {', '.join(missing)}, missing here and not installable (needs root and apt-get); "
                f"Debian: apt-get install {' '.join(sorted(set(missing.values())))}")
    return None


def accepts_smoke(bench: Bench) -> tuple[bool, str]:
    """(does `--help` list --smoke, the output of --help): a module that does not import fails here already."""
    done = subprocess.run([sys.executable, "-m", f"bench.{bench.name}", "--help"], cwd=REPO, capture_output=True, text=True, timeout=60)
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise RuntimeError(f"`--help` exited {done.returncode}:\n{output}")
    return "--smoke" in output, output


def run_bench(bench: Bench) -> tuple[int | None, str]:
    """(exit code, None if it timed out; its output, stdout and stderr together)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(bench.argv, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=bench.timeout)
        return proc.returncode, output
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)  # KeyboardInterrupt in the bench: its `finally`s stop its servers and tmux
        try:
            output, _ = proc.communicate(timeout=INTERRUPT_GRACE)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the bench and whatever it started in its session
            output, _ = proc.communicate()
        return None, output + f"\n(timed out after {bench.timeout:g} s)"


def tail(output: str, lines: int = TAIL_LINES) -> str:
    return "\n".join(f"    {line}" for line in output.rstrip().splitlines()[-lines:])


def smoke(bench: Bench) -> str | None:
    """Run one bench's smoke mode and print its line; return "failed", "skipped" or None (ok)."""
    started = time.monotonic()
    if bench.smoke_maybe_missing:
        try:
            has_smoke, _ = accepts_smoke(bench)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            print(f"FAILED  {bench.name:<16} {time.monotonic() - started:5.1f} s  it does not even start\n{tail(str(exc))}", flush=True)
            return "failed"
        if not has_smoke:
            print(f"skipped {bench.name:<16}          bench.{bench.name} does not accept --smoke yet", flush=True)
            return "skipped"
    code, output = run_bench(bench)
    seconds = time.monotonic() - started
    if code == 0:
        print(f"ok      {bench.name:<16} {seconds:5.1f} s", flush=True)
        return None
    why = "timed out" if code is None else f"exit {code}"
    print(f"FAILED  {bench.name:<16} {seconds:5.1f} s  {why}; last lines:\n{tail(output)}", flush=True)
    return "failed"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.smoke", description=__doc__.split("\n\n")[0])
    parser.add_argument("--list", action="store_true", help="print the benches and their smoke commands, run nothing")
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=[b.name for b in BENCHES], help="run only these")
    args = parser.parse_args(argv)
    benches = [b for b in BENCHES if not args.only or b.name in args.only]
    if args.list:
        for bench in benches:
            note = "  (skipped while it has no --smoke)" if bench.smoke_maybe_missing else ""
            print(f"{bench.name}\t{' '.join(bench.argv)}\ttimeout {bench.timeout:g} s{note}")
        return 0
    if problem := ensure_tools():
        print(f"bench.smoke: {problem}", file=sys.stderr)
        return 1
    started = time.monotonic()
    outcomes = [smoke(bench) for bench in benches]
    failed = outcomes.count("failed")
    print(f"{len(benches) - failed - outcomes.count('skipped')} ok, {failed} failed, {outcomes.count('skipped')} skipped "
          f"in {time.monotonic() - started:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
