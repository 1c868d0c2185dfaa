"""Does the keys bar leak on focus changes? Live key widgets and memory before and after N tabs.

Runs the real `CockpitApp` headless (`run_test`, `live=False`: no backends, no threads
polling, so only the UI moves), presses `tab` and `shift+tab` alternately N times (each
one moves the keyboard to another pane, so the bindings the keys bar shows change), and
reports, after a warm-up and after the N presses (both after `gc.collect()`):
  footer_keys     live `textual.widgets._footer.FooterKey` objects (in the DOM or not)
  widgets         live `textual.widget.Widget` objects of any kind
  in_dom          widgets attached to the screen (what should be alive)
  cpu_ms_per_press  CPU time of this process per press over the N presses (all of it is the UI)
  rss_mb          VmRSS of this process, MB (10^6 bytes)
  traced_mb       tracemalloc's current traced size, MB (only with --tracemalloc: ~3x slower)

Issue 16: "+10 % at most after 1,000,000 events and 500 keypresses". Textual 8.2.8's
`Footer` recomposes on every bindings change and each discarded `FooterKey` stays
referenced from the Footer's watcher list (`data_bind`), so before the fix the counts grow
with every press.

Run from the repository root:
  .venv/bin/python -m bench.footer_memory                  # 500 and 2000 presses at 160x48 and 80x24: ~2 min
  .venv/bin/python -m bench.footer_memory --presses 500 --sizes 80x24
  .venv/bin/python -m bench.footer_memory --smoke          # a few seconds; exits 0 when it ran
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from textual import events
from textual.widget import Widget
from textual.widgets._footer import FooterKey

WARMUP = 20  # presses before the first reading: every pane visited, caches filled


def rss_mb() -> float:
    """VmRSS of this process in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024 / 1e6
    return float("nan")


def reading(app) -> dict:
    """The counts and memory now, after a full collection."""
    gc.collect()
    objects = gc.get_objects()
    return {
        "footer_keys": sum(isinstance(o, FooterKey) for o in objects),
        "widgets": sum(isinstance(o, Widget) for o in objects),
        "in_dom": sum(1 for _ in app.screen.walk_children(with_self=False)),
        "rss_mb": round(rss_mb(), 1),
        "traced_mb": round(tracemalloc.get_traced_memory()[0] / 1e6, 1) if tracemalloc.is_tracing() else None,
    }


async def presses(pilot, count: int) -> None:
    """`tab` and `shift+tab` alternately (two forward, one back: every pane is visited).

    Each key goes to the driver as a terminal would send it; the next one waits until the
    screen has processed everything (`pilot.press` also waits for the CPU to look idle:
    ~0.4 s a key here, which would make 2,000 presses take a quarter of an hour).
    """
    driver = pilot.app._driver
    for i in range(count):
        key = events.Key("shift+tab", None) if i % 3 == 2 else events.Key("tab", "\t")
        key.set_sender(pilot.app)
        driver.send_message(key)
        await pilot._wait_for_screen()


async def measure(size: tuple[int, int], count: int, state_dir: Path) -> dict:
    """One fresh app at `size`: a reading after the warm-up and one after `count` more presses."""
    from tests.conftest import make_app

    state = state_dir / f"{size[0]}x{size[1]}-{count}" / "journal.sqlite3"
    state.parent.mkdir(parents=True)
    app = make_app(state)
    async with app.run_test(size=size) as pilot:
        await presses(pilot, WARMUP)
        await pilot.pause()
        before = reading(app)
        started, cpu = time.perf_counter(), time.process_time()
        await presses(pilot, count)
        await pilot.pause()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        after = reading(app)
    growth = {k: round(after[k] - before[k], 1) for k in before if before[k] is not None}
    return {"size": f"{size[0]}x{size[1]}", "presses": count, "seconds": round(seconds, 1),
            "cpu_ms_per_press": round(cpu * 1000 / count, 1),
            "before": before, "after": after, "growth": growth,
            "rss_kb_per_press": round(growth["rss_mb"] * 1000 / count, 1)}


def show(row: dict) -> None:
    b, a = row["before"], row["after"]
    traced = f" traced {b['traced_mb']} -> {a['traced_mb']} MB" if b["traced_mb"] is not None else ""
    print(f"{row['size']:>7} {row['presses']:>5} presses ({row['seconds']} s, {row['cpu_ms_per_press']} ms CPU/press): "
          f"FooterKey {b['footer_keys']} -> {a['footer_keys']}, widgets {b['widgets']} -> {a['widgets']} "
          f"(in DOM {b['in_dom']} -> {a['in_dom']}), RSS {b['rss_mb']} -> {a['rss_mb']} MB "
          f"({row['rss_kb_per_press']:+} kB/press){traced}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--presses", type=int, nargs="+", default=[500, 2000], help="presses per run (default 500 2000)")
    parser.add_argument("--sizes", nargs="+", default=["160x48", "80x24"], help="terminal sizes (default 160x48 80x24)")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (slower)")
    parser.add_argument("--smoke", action="store_true", help="one short run (30 presses at 80x24): does it still run?")
    parser.add_argument("--json", type=Path, help="write the rows as JSON here")
    args = parser.parse_args(argv)
    if args.smoke:
        args.presses, args.sizes = [30], ["80x24"]
    if args.tracemalloc:
        tracemalloc.start()
    rows = []
    with tempfile.TemporaryDirectory(prefix="footer-memory-") as tmp:
        for size in args.sizes:
            width, height = (int(n) for n in size.split("x"))
            for count in args.presses:
                row = asyncio.run(measure((width, height), count, Path(tmp)))
                show(row)
                rows.append(row)
    if args.json:
        args.json.write_text(json.dumps({"textual": __import__("textual").__version__, "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
