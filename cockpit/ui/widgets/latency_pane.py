"""Latency: a sparkline per row with its threshold, and a chart of the selected row."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import OptionList
from textual.widgets.option_list import Option
from textual_plotext import PlotextPlot

from cockpit.core.sparkline import sparkline
from cockpit.core.text import one_line, short_age
from cockpit.journal.markers import Marker
from cockpit.monitor.board import RowView
from cockpit.ui.widgets.health_table import fmt_ms, more_below

SPARK_WIDTH = 20
MIN_SPARK = 6  # a sparkline narrower than this says nothing
STALE = " stale"
CHART_EVERY = 5.0  # seconds between replots of the chart (it is the costliest thing to paint)
LABEL_WIDTH = 18
MARKER_LABEL = 40  # characters of a marker's label written beside its line on the chart
CHART_MIN_ROWS = 6  # a chart shorter than this says nothing: the rows get the room


def earlier(window_s: float, over_age_s: float, spare: int) -> str:
    """What a p99 over the limit is when the row is not over it now: the window's, and when a sample was last over it
    (` in 5m · last over 81s ago`), as long as `spare` cells allow (0: any), down to ` 81s ago`."""
    ago = f"{over_age_s:.0f}s" if over_age_s < 120 else short_age(over_age_s)  # 81s, not 1m
    window = short_age(window_s)
    notes = (f" in {window} · last over {ago} ago", f" in {window}, {ago} ago", f" {ago} ago")
    return next((note for note in notes if spare <= 0 or len(note) <= spare), notes[-1])


def spark_line(view: RowView, series: list[float], room: int = 0) -> Text:
    """`redis  ▁▂▃▂  0.31 ms  p99 0.52 ms < 10 ms` with points over the limit in red; `unmeasured: cockpit too busy`
    in place of the figures when cockpit was too busy to time the row for longer than its figures may be old;
    `p99 1.2 s > 1000 in 5m · last over 41s ago` when the window's p99 is over the limit but the row is not now.

    In a row `room` cells wide (0: no limit) the sparkline narrows (down to 6) rather
    than let the limit wrap onto a line of its own.
    """
    figures = Text()
    line = Text(f"{one_line(view.label, LABEL_WIDTH):<{LABEL_WIDTH}} ")
    if not view.current:  # DOWN or not answering: no figure reads as now
        figures.append(f" {view.status.upper():>8}", style="bold red" if view.status == "down" else "bold yellow")
    elif view.unmeasured:  # its figures are old, and whether it is over its limit now is not known
        figures.append(" unmeasured: cockpit too busy", style="bold yellow")
    else:
        figures.append(f" {fmt_ms(view.last_ms):>8}", style="dim" if view.stale else "")
        figures.append(f" p99 {fmt_ms(view.p99_ms):>8}", style="bold red" if view.breach else "")
        if view.limit is not None:
            over = view.p99_ms is not None and view.p99_ms > view.limit.limit_ms
            # OVER: over the limit now (recent samples); '>': the window's p99 is, from earlier or one outlier: said so,
            # with when a sample was last over it, so that it does not read as now beside a healthy status
            relation = "OVER" if view.breach else ">" if over else "<"
            figures.append(f" {relation} {view.limit.limit_ms:g}", style="bold red" if view.breach else "yellow" if over else "dim")
            if over and not view.breach and view.over_age_s is not None:
                spare = room - len(line) - MIN_SPARK - len(figures) - (len(STALE) if view.stale else 0) if room > 0 else 0
                figures.append(earlier(view.window_s, view.over_age_s, spare), style="yellow")
        if view.stale:
            figures.append(STALE, style="bold yellow")
    width = max(MIN_SPARK, min(SPARK_WIDTH, room - len(line) - len(figures))) if room > 0 else SPARK_WIDTH
    limit = view.limit.limit_ms if view.limit else None
    offset = width - min(len(series), width)
    tail = series[-width:]
    for index, char in enumerate(sparkline(series, width)):
        value = tail[index - offset] if index >= offset else None
        line.append(char, style="bold red" if limit is not None and value is not None and value > limit else "cyan")
    return line + figures


def timed(key: str) -> bool:
    """Rows with a latency of their own (components of /health have none)."""
    return not key.startswith("api.")


class LatencyPane(Vertical, can_focus=False):
    """The rows with latency, and a plotext chart of the highlighted one."""

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id, classes="pane")
        self.border_title = "Latency"
        self._prompts: dict[str, Text] = {}
        self._chart_data: tuple = ()
        self._charted_at = float("-inf")

    def compose(self) -> ComposeResult:
        yield OptionList(id="spark-list")
        yield PlotextPlot(id="latency-chart")

    def selected_key(self) -> str | None:
        """The row whose chart is shown."""
        option = self.query_one(OptionList).highlighted_option
        return option.id if option is not None else None

    def show(self, views: list[RowView], series: dict[str, list[tuple[float, float]]], markers: Sequence[Marker] = (),
             read_at: float | None = None) -> None:
        """Update every sparkline, then the chart of the highlighted row, with the journal's `markers` (epoch seconds)
        in its window as numbered vertical lines; `read_at`: the epoch time the series end at (None: no markers)."""
        options = self.query_one(OptionList)
        for view in views:
            if not timed(view.key):
                continue
            prompt = spark_line(view, [ms for _, ms in series.get(view.key, [])], options.scrollable_content_region.width)
            if view.key not in self._prompts:
                options.add_option(Option(prompt, id=view.key))
                if options.highlighted is None:
                    options.highlighted = 0
            elif prompt != self._prompts[view.key]:
                options.replace_option_prompt(view.key, prompt)
            self._prompts[view.key] = prompt
        rows = options.scrollable_content_region.height
        hidden = max(0, options.option_count - rows) if rows else 0
        chart = self.query_one(PlotextPlot)
        chart.display = self.size.height - 2 - options.option_count >= CHART_MIN_ROWS
        key = self.selected_key()
        by_key = {v.key: v for v in views}
        if hidden:
            self._subtitle(more_below([v for v in views if timed(v.key)][-hidden:]))  # the rows past the bottom
            self._chart_data = ()
        elif key in by_key and chart.display:
            self._chart(by_key[key], series.get(key, []), markers, read_at)
        else:
            self._subtitle("")
            self._chart_data = ()

    def _subtitle(self, text: str) -> None:
        if self.border_subtitle != text:  # each assignment repaints the border
            self.border_subtitle = text

    def _chart(self, view: RowView, points: list[tuple[float, float]], markers: Sequence[Marker], read_at: float | None) -> None:
        limit = view.limit.limit_ms if view.limit else None
        marked: tuple[tuple[float, Marker], ...] = ()
        if points:  # seconds before the newest sample: the chart changes only with a new sample
            newest = points[-1][0]
            points = [(t - newest, ms) for t, ms in points]
            if read_at is not None:  # a marker's place: its time against the newest sample's (read_at + newest)
                spots = ((round(m.at - (read_at + newest), 1), m) for m in markers)
                marked = tuple((x, m) for x, m in spots if points[0][0] <= x <= 0)
        data = (view.key, tuple(points), limit, marked)
        now = time.monotonic()
        same_row = self._chart_data[:1] == data[:1]
        if data == self._chart_data or (same_row and now - self._charted_at < CHART_EVERY):
            return  # nothing new, or replotted a moment ago (the cursor moving replots at once)
        self._chart_data, self._charted_at = data, now
        chart = self.query_one(PlotextPlot)
        plt = chart.plt
        plt.clear_data()
        plt.clear_figure()
        self.border_subtitle = f"{one_line(view.label, 30)}: ms by seconds before the last sample" + (f", limit {limit:g} ms" if limit is not None else "")
        if points:
            xs, values = [round(t, 1) for t, _ in points], [ms for _, ms in points]
            plt.plot(xs, values, color="cyan", marker="braille")
            if limit is not None:
                over = [(x, v) for x, v in zip(xs, values) if v > limit]
                if over:
                    plt.scatter([x for x, _ in over], [v for _, v in over], color="red", marker="x")
                plt.hline(limit, color="red")
            top = max(max(values), limit or 0.0) * 1.1
            plt.ylim(0, top)
            for number, (x, marker) in enumerate(marked, start=1):  # the journal: deploys, rollbacks, alarms
                color = "red" if marker.bad else "yellow"
                plt.vline(x, color=color)
                label = f"{number} {datetime.fromtimestamp(marker.at, UTC):%H:%M:%S} {one_line(marker.label, MARKER_LABEL)}"
                right_half = x > points[0][0] / 2  # written leftwards from its line there, so the plot's edge cuts nothing
                plt.text(label, x, top * (0.95 - 0.08 * ((number - 1) % 8)), color=color, alignment="right" if right_half else "left")
        chart.refresh()
