"""awslogs 0.15.0 (`awslogs get GROUP ALL --watch`) against the same fake CloudWatch Logs as the cockpit bench.

Installs PyPI `awslogs==0.15.0` into a venv of its own (`--venv`, default /tmp/awslogs-venv;
kept between runs), then for each `--rate`: a fresh `bench.fake_logs_endpoint` (same
generator, same ingestion delay), `awslogs get /ecs/avnz-api ALL --watch
--aws-endpoint-url URL --color never` with dummy AWS keys and stdout to a file, for
`--seconds`. Every second: lines in the file, the newest line's own timestamp (the
message starts with its ISO time), awslogs' utime+stime and VmRSS from /proc, and the
endpoint's generated count. Reports events delivered per second (over the run and over
its last half), how far behind generation it is (seconds of generated events not
delivered, and the newest line's age), CPU % of one core and peak RSS. Everything started
is stopped on the way out.

Run from the repository root: `.venv/bin/python -m bench.awslogs_compare [--rate 1000 5000 10000] [--seconds 45]`;
`--smoke`: one short run at 200 events/s, exit 1 when nothing could be measured.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.common import RESULTS, write_json
from bench.idle_cpu import cpu_seconds, rss_kib
from bench.logs_throughput import AWS_ENV, Endpoint

VERSION = "0.15.0"
ISO = re.compile(rb"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z")


def ensure_awslogs(venv: Path) -> Path:
    exe = venv / "bin" / "awslogs"
    if exe.exists():
        return exe
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    subprocess.run([venv / "bin" / "pip", "install", "-q", f"awslogs=={VERSION}"], check=True, timeout=600)
    return exe


def newest_age(path: Path, now: float) -> float | None:
    """Age in s of the newest timestamp among the file's last ~64 KB of lines."""
    size = path.stat().st_size
    if not size:
        return None
    with path.open("rb") as f:
        f.seek(max(0, size - 65536))
        stamps = ISO.findall(f.read())
    if not stamps:
        return None
    newest = max(datetime.strptime(s.decode(), "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=UTC).timestamp() for s in stamps)
    return round(now - newest, 2)


def count_lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))


def measure(exe: Path, rate: float, seconds: float, tmp: Path, delay: tuple[float, float]) -> dict:
    endpoint = Endpoint(rate, tmp / f"endpoint-{rate:g}.log", delay)
    out = tmp / f"awslogs-{rate:g}.txt"
    proc = None
    try:
        endpoint.start()
        env = {**os.environ, **AWS_ENV, "AWS_CONFIG_FILE": str(tmp / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "none")}
        argv = [str(exe), "get", "/ecs/avnz-api", "ALL", "--watch", "--aws-endpoint-url", endpoint.url,
                "--aws-region", "us-east-1", "--color", "never"]
        with out.open("wb") as sink:
            proc = subprocess.Popen(argv, stdout=sink, stderr=(tmp / f"awslogs-{rate:g}.err").open("wb"), env=env)
        start = time.monotonic()
        samples = []
        while time.monotonic() - start < seconds and proc.poll() is None:
            time.sleep(1.0)
            stats = endpoint.stats()
            try:
                cpu, rss = cpu_seconds(Path(f"/proc/{proc.pid}/stat")), rss_kib(proc.pid) * 1024 / 1e6
            except (OSError, StopIteration):
                break
            samples.append({"t": round(time.monotonic() - start, 2), "lines": count_lines(out), "generated": stats["generated"],
                            "newest_line_age_s": newest_age(out, time.time()), "cpu_s": cpu, "rss_mb": round(rss, 1),
                            "requests": stats["requests"].get("Logs_20140328.FilterLogEvents", 0), "served": stats["events_served"]})
        exited = proc.poll()
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
        endpoint.stop()
    if len(samples) < 2:
        return {"rate": rate, "error": f"awslogs ran {len(samples)} s (exit {exited}): {(tmp / f'awslogs-{rate:g}.err').read_text()[-300:]}"}
    first, last = samples[0], samples[-1]
    half = samples[len(samples) // 2]
    span, half_span = last["t"] - first["t"], last["t"] - half["t"]
    return {
        "rate": rate, "seconds": last["t"], "exited": exited,
        "lines": last["lines"], "generated": last["generated"],
        "delivered_per_s": round(last["lines"] / last["t"], 1),
        "delivered_per_s_second_half": round((last["lines"] - half["lines"]) / half_span, 1) if half_span else None,
        "behind_s_at_end": round((last["generated"] - last["lines"]) / rate, 1) if rate else 0.0,
        "newest_line_age_s_at_end": last["newest_line_age_s"],
        "cpu_percent": round(100 * (last["cpu_s"] - first["cpu_s"]) / span, 1) if span else None,
        "rss_mb_peak": max(s["rss_mb"] for s in samples),
        "requests_per_s": round((last["requests"] - first["requests"]) / span, 2) if span else None,
        "fetched_per_delivered": round(last["served"] / last["lines"], 2) if last["lines"] else None,
        "samples": samples,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.awslogs_compare", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, nargs="+", default=[1000, 5000, 10_000])
    parser.add_argument("--seconds", type=float, default=45.0)
    parser.add_argument("--delay", type=float, nargs=2, default=(0.2, 3.0), metavar=("MIN", "MAX"))
    parser.add_argument("--venv", type=Path, default=Path("/tmp/awslogs-venv"))
    parser.add_argument("--json", type=Path, default=RESULTS / "latest-awslogs.json")
    parser.add_argument("--smoke", action="store_true", help="one run of 5 s at 200 events/s; exit 1 when nothing was measured")
    args = parser.parse_args(argv)
    if args.smoke:
        args.rate, args.seconds = [200.0], 5.0
        if args.json == RESULTS / "latest-awslogs.json":
            args.json = RESULTS / "smoke-awslogs.json"
    exe = ensure_awslogs(args.venv)
    results = []
    with tempfile.TemporaryDirectory(prefix="awslogs-bench-") as tmp:
        for rate in args.rate:
            print(f"awslogs at {rate:g} events/s for {args.seconds:g} s ...", flush=True)
            r = measure(exe, rate, args.seconds, Path(tmp), tuple(args.delay))
            results.append(r)
            if "error" in r:
                print(f"  {r['error']}", flush=True)
                continue
            print(f"  delivered {r['lines']:,} of {r['generated']:,} generated: {r['delivered_per_s']:,}/s "
                  f"(second half {r['delivered_per_s_second_half']:,}/s); behind {r['behind_s_at_end']} s, newest line "
                  f"{r['newest_line_age_s_at_end']} s old; CPU {r['cpu_percent']}% of one core; RSS peak {r['rss_mb_peak']} MB; "
                  f"{r['requests_per_s']} requests/s, fetched/delivered {r['fetched_per_delivered']}", flush=True)
    write_json(args.json, {"benchmark": "awslogs_compare", "awslogs": VERSION,
                           "settings": {**vars(args), "json": str(args.json), "venv": str(args.venv)}, "results": results})
    if args.smoke and not any("error" not in r and r["samples"] for r in results):
        print("smoke: cannot measure", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
