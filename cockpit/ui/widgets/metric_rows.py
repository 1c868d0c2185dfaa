"""The metrics screen's lines as text: the read's status, and one row per dashboard line.

A row is `title  sparkline  value unit  < / OVER threshold  at HH:MM`: one sparkline cell per
complete minute, newest on the right, a minute without data drawn as GAP (a dot: no requests is
not zero latency, so never a low bar), points over the threshold in the error style; the figure
is the newest complete minute's, the one the verdict judges. A row whose newest minutes are a gap
says why and since when ("no requests since 15:26") instead of a figure that would read as
current; a row with a problem shows the problem instead of figures. Figures are never cut: titles give way first
(with an ellipsis), then the sparkline, and what still does not fit wraps.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from cockpit.core.sparkline import BLOCKS
from cockpit.core.text import one_line
from cockpit.engine.events import MetricsFailed, MetricsRead
from cockpit.monitor.metric_views import MINUTE, MetricView, Point, clock_minute, complete_until
from cockpit.ui.widgets.fold import fit

GAP = "·"  # a minute without data: visibly nothing, never the lowest bar
ERROR, WARN, DIM, SPARK = "bold red", "bold yellow", "dim", "cyan"
TITLE_MAX, TITLE_MIN, SPARK_MIN = 26, 10, 8


def fmt_value(value: float, unit: str) -> str:
    """`312 ms`, `4.21%`, `27.0 conn`: about three significant figures, the unit after."""
    size = abs(value)
    number = f"{value:.0f}" if size >= 100 else f"{value:.1f}" if size >= 10 else f"{value:.2f}"
    if not unit:
        return number
    return f"{number}{unit}" if unit == "%" else f"{number} {unit}"


def fmt_against(value: float, unit: str, threshold: float | None) -> str:
    """fmt_value, with more decimals where its rounding would put the figure on the wrong side of the threshold
    (499.6 ms read as `500 ms  < 500`, 0.004% as `0.00%  OVER 0`)."""
    text = fmt_value(value, unit)
    if threshold is None:
        return text
    for decimals in range(1, 7):
        shown = float(text.removesuffix(unit).strip())
        if (shown > threshold) == (value > threshold) and (shown == threshold) == (value == threshold):
            break
        text = f"{value:.{decimals}f}" + (unit if unit == "%" else f" {unit}" if unit else "")
    return text


def under(value: float, threshold: float) -> str:
    """`< 500`, or `≤ 0` for a value right at its threshold (no breach, but not under it either)."""
    return f"{'≤' if value == threshold else '<'} {threshold:g}"


def ago(seconds: float) -> str:
    """`47 s`, `4 min`, `2 h 05 min`: how long ago, in the coarsest unit that still says it."""
    seconds = max(0.0, seconds)
    if seconds < 120:
        return f"{seconds:.0f} s"
    minutes = int(seconds // 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h {minutes % 60:02d} min"


def spark(points: Sequence[Point], threshold: float | None, width: int) -> Text:
    """The last `width` minutes as cells (padded left): blocks scaled 0..max, GAP where there is no value."""
    tail = list(points)[-width:]
    values = [v for _, v in tail if v is not None]
    top = max(values, default=0.0) or 1.0
    line = Text(" " * (width - len(tail)))
    for _, value in tail:
        if value is None:
            line.append(GAP, style=DIM)
            continue
        block = BLOCKS[min(len(BLOCKS) - 1, max(0, int(value / top * (len(BLOCKS) - 1) + 0.5)))]
        line.append(block, style=ERROR if threshold is not None and value > threshold else SPARK)
    return line


def figures(view: MetricView, stale: bool) -> Text:
    """What a row says after its sparkline: the newest complete minute's figure against the threshold and which minute
    it is, or why there is none (since when, when the newest minutes are a gap after a value)."""
    out = Text()
    if view.problem:
        out.append(one_line(view.problem, 300), style=WARN)
        return out
    value = view.current
    if value is None:  # the last value, if any, is from before the gap: not a current figure
        out.append(one_line(view.gap, 60) or "no data", style=WARN)
        if view.gap_since is not None and view.latest is not None:
            out.append(f" since {clock_minute(view.gap_since)}", style=WARN)
        return out
    out.append(fmt_against(value, view.unit, view.threshold), style=ERROR if view.breach else DIM if stale else "")
    if view.threshold is not None:
        out.append(f"  OVER {view.threshold:g}" if view.breach else f"  {under(value, view.threshold)}", style=ERROR if view.breach else DIM)
    out.append(f"  at {clock_minute(view.points[-1][0])}", style=WARN if stale else DIM)
    return out


def metric_rows(views: Sequence[MetricView], width: int, stale: bool) -> list[Text]:
    """One row per view, columns aligned: titles as wide as the longest (up to TITLE_MAX), the sparkline takes what the
    figures leave of `width` (0: no limit)."""
    figs = [figures(v, stale) for v in views]
    drawn = [f.cell_len for v, f in zip(views, figs) if not v.problem]
    fig_width = max(drawn, default=0)
    title_width = min(TITLE_MAX, max((len(one_line(v.title, 200)) for v in views), default=0))
    if width:
        room = width - fig_width - SPARK_MIN - 4
        title_width = max(TITLE_MIN, min(title_width, room))
    longest = max((len(v.points) for v in views), default=0)  # one cell per minute: no wider than the window
    spark_width = max(SPARK_MIN, min(longest, width - title_width - fig_width - 4) if width else longest)
    rows = []
    for view, fig in zip(views, figs):
        line = Text(f"{fit(one_line(view.title, 200), title_width):<{title_width}}  ")
        if view.problem:
            line.append_text(hanging(fig, title_width + 2, width))
        else:
            line.append_text(spark(view.points, view.threshold, spark_width))
            line.append("  ")
            line.append_text(fig)
        rows.append(line)
    return rows


def hanging(text: Text, indent: int, width: int) -> Text:
    """`text` wrapped to start at column `indent` of a `width`-cell row, every line after the first indented as much."""
    room = width - indent
    if not width or room < 20 or text.cell_len <= room:
        return text
    lines = text.wrap(Console(width=room, legacy_windows=False), room)
    out = Text()
    for number, line in enumerate(lines):
        if number:
            out.append("\n" + " " * indent)
        out.append_text(line)
    return out


def status_line(read: MetricsRead | None, failed: MetricsFailed | None, *, now: float, retry_left: float | None,
                stale_after: float, dashboards: bool, live: bool) -> Text:
    """The line above the rows: how old the read is (STALE past `stale_after`), or why there is none."""
    if not dashboards and (read is None or not read.views):
        return Text("no dashboards in this runbook", style=DIM)
    line = Text()
    if failed is not None:
        why = "CloudWatch throttled the read" if failed.throttled else "CloudWatch read failed"
        line.append(f"{why}: {one_line(failed.reason, 200)}", style=WARN if failed.throttled else ERROR)
        if retry_left is not None:
            line.append(f" · retry in {ago(retry_left)}")
        if read is not None:
            age = now - read.read_at
            stale = age > stale_after
            line.append(f" · last read {ago(age)} ago" + (": STALE" if stale else ""), style=WARN if stale else DIM)
        return line
    if read is None:
        return Text("waiting for the first read" if live else "not connected: this cockpit reads no metrics", style=WARN)
    age = now - read.read_at
    if age > stale_after:
        line.append(f"read {ago(age)} ago: STALE (older than {ago(stale_after)})", style=WARN)
    else:
        line.append(f"read {ago(age)} ago")
    # the newer minutes are not drawn: CloudWatch may still be reporting them
    line.append(f" · complete minutes up to {clock_minute(complete_until(read.read_at) - MINUTE)} UTC", style=DIM)
    return line
