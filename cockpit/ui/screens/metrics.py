"""The metrics screen (`m`): the runbook's dashboards from CloudWatch, with the journal's markers on one time axis.

Top to bottom: the cockpit's verdict line (what is wrong stays in view over the charts), how old
the read is (or why there is none), one row per dashboard line grouped
under its dashboard's title, and where the rows leave room, the chart of the highlighted row
with the deploys, rollbacks and alarm transitions of the journal as numbered vertical lines.
It draws from the app's MetricsFeed (the latest read is there before the screen opens) and
changes nothing: a read-only cockpit shows it the same. esc, m or q close it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from cockpit.core.text import one_line
from cockpit.monitor.metric_views import MetricView
from cockpit.monitor.verdict import Verdict
from cockpit.runbook.dashboards import Dashboard, MetricsSettings
from cockpit.ui.widgets.keys_bar import KeysBar
from cockpit.ui.widgets.metric_chart import MetricChart, chart_data
from cockpit.ui.widgets.metric_rows import metric_rows, status_line
from cockpit.ui.widgets.verdict_bar import VerdictBar

if TYPE_CHECKING:
    from cockpit.ui.app import CockpitApp

HEADING = "dashboard:"  # option ids of the dashboards' titles (not selectable)


class MetricsScreen(Screen[None]):
    """The dashboards' lines, their read's age, and the chart of the highlighted line with its markers."""

    BINDINGS = [Binding("escape,m,q", "close", "Close")]

    app: CockpitApp

    def __init__(self, verdict: Callable[[], Verdict] | None = None) -> None:
        """`verdict`: the verdict the cockpit screen shows now (it then sends each new one to `show_verdict`)."""
        super().__init__()
        self.verdict = verdict
        self.settings = MetricsSettings()  # read from the runbook once mounted
        self.dashboards: tuple[Dashboard, ...] = ()
        self._layout: tuple = ()
        self._prompts: dict[str, Text] = {}

    def compose(self) -> ComposeResult:
        title = Text.assemble((f"Metrics · {one_line(self.app.env.name, 40)}", "bold"), ("   up/down: the line charted", "dim"))
        yield Static(title, id="metrics-title")
        yield VerdictBar(id="metrics-verdict")
        yield Static("", id="metrics-status")
        yield OptionList(id="metric-rows")
        yield MetricChart(id="metric-chart")
        yield KeysBar()

    def on_mount(self) -> None:
        """Draw what the app already has; redraw the ages every second."""
        self.settings, self.dashboards = self.app.runbook.metrics, self.app.runbook.dashboards
        if self.verdict is not None:
            self.show_verdict(self.verdict())
        self.show()
        self.query_one(OptionList).focus()
        self.set_interval(1.0, self.show)

    def on_resize(self, event: events.Resize) -> None:
        """Rows are fitted to the width: draw them again."""
        self.call_after_refresh(self.show)

    def show_verdict(self, verdict: Verdict) -> None:
        """The cockpit's verdict, as its own line shows it."""
        if self.is_attached:
            self.query_one(VerdictBar).show(verdict)

    def action_close(self) -> None:
        """Back to the cockpit."""
        self.dismiss(None)

    # -- drawing -----------------------------------------------------------------------
    def titles(self) -> dict[str, str]:
        """Dashboard id → its title (a dashboard the runbook does not name is titled by its id)."""
        return {d.id: d.title for d in self.dashboards}

    def views(self) -> list[MetricView]:
        """The lines of the latest read, dashboard by dashboard (in the runbook's order, then the read's)."""
        feed = self.app.metrics
        views = list(feed.read.views) if feed.read is not None else []
        order = {d.id: i for i, d in enumerate(self.dashboards)}
        return sorted(views, key=lambda v: order.get(v.dashboard, len(order)))  # stable: the read's order within one

    def show(self) -> None:
        """Status, rows and chart as of now."""
        if not self.is_attached:
            return
        feed, now = self.app.metrics, self.app.clock().timestamp()
        stale = feed.read is not None and now - feed.read.read_at > self.settings.stale_after_seconds
        status = status_line(feed.read, feed.failed, now=now, retry_left=feed.retry_left(self.app.monotonic()),
                             stale_after=self.settings.stale_after_seconds, dashboards=bool(self.dashboards), live=self.app.live)
        self.query_one("#metrics-status", Static).update(status)
        views = self.views()
        self._rows(views, stale)
        self._chart(views)

    def _rows(self, views: list[MetricView], stale: bool) -> None:
        options = self.query_one(OptionList)
        titles = self.titles()
        layout = tuple((v.dashboard, v.id) for v in views)
        prompts = dict(zip((v.id for v in views), metric_rows(views, options.scrollable_content_region.width, stale)))
        if layout != self._layout:
            chosen = options.highlighted_option.id if options.highlighted_option is not None else None
            options.clear_options()
            dashboard = None
            for view in views:
                if view.dashboard != dashboard:
                    dashboard = view.dashboard
                    title = one_line(titles.get(dashboard, dashboard), 120)
                    options.add_option(Option(Text(title, style="bold underline"), id=f"{HEADING}{dashboard}", disabled=True))
                options.add_option(Option(prompts[view.id], id=view.id))
            self._layout, self._prompts = layout, prompts
            ids = [v.id for v in views]
            target = chosen if chosen in ids else (ids[0] if ids else None)
            if target is not None:
                options.highlighted = options.get_option_index(target)
            return
        for key, prompt in prompts.items():
            if prompt != self._prompts.get(key):
                options.replace_option_prompt(key, prompt)
        self._prompts = prompts

    def _chart(self, views: list[MetricView]) -> None:
        option = self.query_one(OptionList).highlighted_option
        by_id = {v.id: v for v in views}
        view = by_id.get(option.id) if option is not None and option.id is not None else None
        read = self.app.metrics.read
        data = None
        if view is not None and read is not None and not view.problem and view.points:
            data = chart_data(view, self.app.metrics.markers(), read.read_at)
        self.query_one(MetricChart).show(data)

    @on(OptionList.OptionHighlighted, "#metric-rows")
    def _highlighted(self) -> None:
        self._chart(self.views())
