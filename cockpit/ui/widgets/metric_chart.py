"""The chart of one dashboard line on a clock-time axis, with the journal's markers on it.

The series is drawn in segments, so a minute without data stays a gap; the threshold is a
horizontal line; each marker inside the window is a vertical line with its number, and the
legend under the chart lists them (`1 14:02 deploy started: ...`, bad ones in the error style).
One PlotextPlot, replotted (clear, plot, refresh) only when what it shows changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static
from textual_plotext import PlotextPlot

from cockpit.core.text import one_line
from cockpit.journal.markers import Marker
from cockpit.monitor.metric_views import MetricView
from cockpit.ui.widgets.metric_rows import ERROR

PLOT_MIN_ROWS = 9  # a plot shorter than this says nothing (and reads wrong): the rows keep the room
LEGEND_MIN_ROWS = 2  # a plot is drawn only with room for this much of its legend under it
MINUTE = 60.0
TICK_STEPS = (5, 10, 15, 30, 60, 120)  # minutes between x labels


def hhmm(at: float) -> str:
    """`14:02`, UTC (the header's first clock)."""
    return f"{datetime.fromtimestamp(at, UTC):%H:%M}"


@dataclass(frozen=True)
class ChartData:
    """What one chart draws: series segments ((x, y) runs without gaps), the threshold, the markers inside the window."""

    title: str
    segments: tuple[tuple[tuple[float, float], ...], ...]
    threshold: float | None
    start: float
    end: float
    markers: tuple[tuple[int, Marker], ...]  # (number in the legend, marker)


def chart_data(view: MetricView, markers: Sequence[Marker], end: float) -> ChartData:
    """The chart of `view` from its first minute to `end` (the read's time), with the markers between (numbered from 1)."""
    segments: list[tuple[tuple[float, float], ...]] = []
    run: list[tuple[float, float]] = []
    for at, value in view.points:
        if value is None:
            if run:
                segments.append(tuple(run))
            run = []
        else:
            run.append((at, value))
    if run:
        segments.append(tuple(run))
    start = view.points[0][0] if view.points else end - MINUTE
    end = max(end, view.points[-1][0] + MINUTE) if view.points else end
    inside = [m for m in markers if start <= m.at <= end]
    unit = f" ({one_line(view.unit, 20)})" if view.unit else ""
    limit = f", threshold {view.threshold:g}" if view.threshold is not None else ""
    return ChartData(one_line(view.title, 80) + unit + limit, tuple(segments), view.threshold, start, end,
                     tuple(enumerate(inside, start=1)))


def ticks(start: float, end: float, room: int) -> list[float]:
    """Whole minutes between `start` and `end`, spaced so `room` columns hold their HH:MM labels."""
    span_minutes = max(1.0, (end - start) / MINUTE)
    wanted = max(2, room // 10)
    step = next((s for s in TICK_STEPS if span_minutes / s <= wanted), TICK_STEPS[-1]) * MINUTE
    first = (start // step + 1) * step
    return [first + i * step for i in range(int((end - first) // step) + 1)]


def legend(data: ChartData, room: int) -> Text:
    """One line per marker on the chart, newest last; when more than `room` lines, the newest, and how many earlier."""
    shown = list(data.markers)
    out = Text()
    if len(shown) > room:
        hidden = len(shown) - max(0, room - 1)
        which = "1" if hidden == 1 else f"1-{hidden}"
        out.append(f"+{hidden} earlier marker{'s' if hidden > 1 else ''} ({which}) on the chart\n", style="dim")
        shown = shown[hidden:]
    for number, marker in shown:
        out.append(f"{number} {hhmm(marker.at)} ", style="bold")
        out.append(marker.label + "\n", style=ERROR if marker.bad else "")
    out.rstrip()
    return out


class MetricChart(Vertical, can_focus=False):
    """A PlotextPlot of the highlighted row and its markers' legend; hidden when the rows leave it no room."""

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id)
        self.data: ChartData | None = None
        self._legend_room = 0

    def compose(self) -> ComposeResult:
        yield PlotextPlot(id="metric-plot")
        yield Static("", id="metric-legend")

    def on_resize(self) -> None:
        """Show the chart only when it has the rows for it; replot for the new size."""
        self._fit()

    def show(self, data: ChartData | None) -> None:
        """Draw `data` (None: nothing to chart); replots only when it changed."""
        if data == self.data:
            return
        self.data = data
        self._fit(replot=True)

    def _fit(self, replot: bool = True) -> None:
        """The plot where it has PLOT_MIN_ROWS, the legend under it with what is left (alone when the plot has no room)."""
        height = self.size.height
        markers = len(self.data.markers) if self.data else 0
        plot, legend_box = self.query_one(PlotextPlot), self.query_one("#metric-legend", Static)
        plot.display = self.data is not None and height - min(markers, LEGEND_MIN_ROWS) >= PLOT_MIN_ROWS
        rows = min(markers, height - PLOT_MIN_ROWS if plot.display else height)
        legend_box.display = rows > 0
        legend_box.styles.height = max(rows, 0)
        if self.data is not None and rows > 0:
            legend_box.update(legend(self.data, rows))
        if replot and plot.display and self.data is not None:
            self._plot(plot, self.data)

    def _plot(self, chart: PlotextPlot, data: ChartData) -> None:
        plt = chart.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(data.title)
        values = [y for segment in data.segments for _, y in segment]
        for segment in data.segments:
            xs, ys = [x for x, _ in segment], [y for _, y in segment]
            if len(segment) == 1:  # a lone minute between gaps: a point, not joined to anything
                plt.scatter(xs, ys, color="cyan", marker="dot")
            else:
                plt.plot(xs, ys, color="cyan", marker="braille")
            if data.threshold is not None:
                over = [(x, y) for x, y in segment if y > data.threshold]
                if over:
                    plt.scatter([x for x, _ in over], [y for _, y in over], color="red", marker="x")
        top = max([*values, data.threshold or 0.0, 0.0]) * 1.15 or 1.0
        if data.threshold is not None:
            plt.hline(data.threshold, color="red")
        for number, marker in data.markers:
            plt.vline(marker.at, color="red" if marker.bad else "yellow")
            plt.text(str(number), marker.at, top, color="red" if marker.bad else "yellow")
        plt.xlim(data.start, data.end)
        plt.ylim(0, top * 1.05)
        spots = ticks(data.start, data.end, max(20, chart.size.width - 10))
        plt.xticks(spots, [hhmm(x) for x in spots])
        chart.refresh()
