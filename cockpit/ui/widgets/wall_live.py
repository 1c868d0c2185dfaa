"""What the engine reads, on the wall view: health rows with sparklines, every alarm and every service on a line
of its own, each with the age of its figures (dimmed once stale, never hidden).

The alarms and services boxes are the cockpit's own panes (the same state, the same ordering, problems
first, and the same one-line summaries), drawn without folding: a wall shows every row.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Span, Text

from cockpit.core.sparkline import sparkline
from cockpit.core.text import one_line
from cockpit.engine.events import NOT_FOUND, AlarmsFailed, HealthRead, ServicesFailed
from cockpit.monitor.board import RowView
from cockpit.monitor.readings import DEGRADED, DOWN, HEALTHY, NOT_CONFIGURED
from cockpit.monitor.verdict import Answered
from cockpit.runbook import Environment, Runbook
from cockpit.ui.widgets.alarms_pane import STYLES as ALARM_STYLES
from cockpit.ui.widgets.alarms_pane import AlarmsPane
from cockpit.ui.widgets.fold import block, fit
from cockpit.ui.widgets.health_table import fmt_ms, rank
from cockpit.ui.widgets.latency_pane import spark_line
from cockpit.ui.widgets.services_pane import ServicesPane
from cockpit.ui.widgets.wall_box import WallBox, age_text, dimmed, one_row

WIDE_ROW = 70  # cells a row needs for the whole of the latency pane's line (label, sparkline, last, p99 and limit)
NARROW_LABEL, NARROW_SPARK = 18, 8
# Read from across a room and under NO_COLOR (where a red word on black turns dark grey on black): a problem is
# a light word on a filled background, never coloured text alone.
WALL_STATUS = {DOWN: "bold white on red", "over": "bold white on red", DEGRADED: "bold black on yellow", HEALTHY: "bold green",
               NOT_CONFIGURED: "bold black on yellow"}
FULL = 4000  # characters of a line in the wall's detail (whole in practice; a bound all the same)
MIN_WHY = 16  # cells a health row's reason needs to be worth showing
SNAPSHOT_STALE_SECONDS = 6.0  # the engine sends health every 2 s: a snapshot older than three of those is not current
WORD_WIDTH = 9


def loud(line: Text) -> Text:
    """`line` with its red words (DOWN, a p99 over its limit) as light words on red: red text on black is dark grey
    under NO_COLOR. The sparkline's red bars keep their colour (a filled cell would hide the bar's height)."""
    out = line.copy()
    out.spans = [Span(s.start, s.end, WALL_STATUS[DOWN]) if "red" in str(s.style) and any(c.isalnum() for c in line.plain[s.start:s.end])
                 else s for s in line.spans]
    return out


def narrow_spark(view: RowView, series: list[float]) -> Text:
    """`redis  ▁▂▃▂▁▂▃▂ 0.31 ms` for a narrow box (120 columns): the label, a short sparkline and the last figure
    (the status word before it says DOWN or OVER; the p99 and limit need the room of a wide one)."""
    line = Text(f"{fit(one_line(view.label, 200), NARROW_LABEL):<{NARROW_LABEL}} ")
    line.append(sparkline(series, NARROW_SPARK), style="cyan")
    if view.current and view.unmeasured:  # cockpit too busy to time it (the verdict says so): "unmeasured" is too wide
        line.append(f" {'untimed':>8}", style="bold yellow")
    else:
        line.append(f" {fmt_ms(view.last_ms):>8}" if view.current else f" {view.status.upper():>8}", style="dim" if view.stale else "")
    return line


def row_age(view: RowView, ages: dict[str, float | None], behind: float) -> float | None:
    """Seconds since what the row shows was read, as of now (`behind`: the snapshot's own age). A row that shows
    latency figures: the age of its newest sample, the figures' age (its status is at least as fresh; a poll whose
    latency was set aside leaves older figures). Else its backend's last poll (a DOWN row's status is that fresh,
    though its last latency is older); a component of /health (`api.redis`) without either is as old as its
    parent's read."""
    if view.current and view.age_s is not None:
        age: float | None = view.age_s
    else:
        age = view.polled_s if view.polled_s is not None else view.age_s
    if age is None and "." in view.key:
        age = ages.get(view.key.split(".", 1)[0])
    return None if age is None else age + behind


def health_row(view: RowView, series: list[float], age: float | None, stale: bool, width: int) -> Text:
    """`DOWN     database  ▁▂▃  DOWN · connection refused   4 s old`: status, sparkline and figures, why, age."""
    unknown = view.unmeasured and view.status == HEALTHY and not view.breach  # answering, but over its limit or not is not known
    word = "OVER" if view.breach else "UNKNOWN" if unknown else view.status.upper()
    style = WALL_STATUS["over"] if view.breach else WALL_STATUS[DEGRADED] if unknown else WALL_STATUS.get(view.status, "bold black on yellow")
    if age is None and view.retry_in_s is not None:  # never answered: when it is tried again instead of an age
        tail = Text(f"no figure · retry in {view.retry_in_s:.0f} s", style="bold")
    elif age is None:
        tail = Text("no figure yet", style="bold")
    else:
        tail = age_text(age, stale)
    room = width - WORD_WIDTH - tail.cell_len - 2
    spark = loud(spark_line(view, series, room) if room >= WIDE_ROW else narrow_spark(view, series))
    why = view.why if view.status != HEALTHY or view.reason or view.unmeasured else view.detail
    parts = [Text(f"{word:<{WORD_WIDTH}}", style=style), spark]
    if why and room - spark.cell_len >= MIN_WHY:  # a reason cut to a word or two would read as something else: the verdict names it
        parts.append(Text(f" · {one_line(why, 300)}", style="" if view.status in (DOWN, DEGRADED) or view.unmeasured else "dim"))
    line = one_row(parts, width, tail)
    return dimmed(line) if stale else line


class WallHealth(WallBox):
    """Every health row, problems first, with its sparkline and the age of its figures."""

    def __init__(self, *, live: bool, **kwargs) -> None:
        super().__init__("Health", **kwargs)
        self.live = live
        self.health: HealthRead | None = None
        self.now = 0.0

    def show(self, health: HealthRead | None, now: float) -> None:
        """Draw the last health snapshot as of monotonic `now`."""
        self.health, self.now = health, now
        self.redraw()

    def rows(self, width: int) -> list[Text]:
        if self.health is None or not self.health.views:
            return [Text("UNKNOWN  no health read yet" if self.live else "not connected: this cockpit watches nothing", style="bold")]
        behind = max(0.0, self.now - self.health.at)
        series = dict(self.health.series)
        ages = {v.key: v.polled_s if v.polled_s is not None else v.age_s for v in self.health.views}
        views = sorted(self.health.views, key=rank, reverse=True)
        return [health_row(v, [ms for _, ms in series.get(v.key, ())], row_age(v, ages, behind),
                           v.stale or behind > SNAPSHOT_STALE_SECONDS, width) for v in views]


def unread_rows(failure: AlarmsFailed | ServicesFailed | None, width: int) -> list[Text]:
    """The first row of a box whose source failed: `UNREAD` and why (the rows under it are the last read, dimmed once stale)."""
    if failure is None:
        return []
    return [one_row([Text("UNREAD  ", style="bold white on red"), Text(" " + one_line(failure.reason, 300))], width)]


def _paint(pane: AlarmsPane | ServicesPane, rows: list[Text], subtitle: str) -> None:
    """Repaint a pane's body when its text changed (the panes keep what they last showed in `_text`)."""
    pane.border_subtitle = subtitle
    text = block(rows)
    text.rstrip()
    if text != pane._text:
        pane._text = text
        pane.query_one(".wall-body").update(text)  # type: ignore[attr-defined]


class WallAlarms(AlarmsPane):
    """Every alarm of the runbook on one line (problems first): state, name, how long, reason cut with an ellipsis."""

    def __init__(self, runbook: Runbook, *, live: bool, answered: tuple[float, float], id: str) -> None:
        super().__init__(runbook, live=live, id=id)
        self.set_classes("wall-box")
        self.interval, self.grace = answered

    def compose(self):
        from textual.widgets import Static

        yield Static("", classes="wall-body")

    def show(self, now: float, wall: datetime) -> None:
        """Every alarm as of monotonic `now` and wall-clock `wall`."""
        self._shown_at = (now, wall)
        status, _ = self._status(now)
        width = self.scrollable_content_region.width or 80
        if not self.runbook.alarms:
            _paint(self, [Text("The runbook lists no alarms ([[alarms]]).", style="dim")], "")
            return
        age = None if self.read_at is None else now - self.read_at
        stale = Answered(self.read_at, self.interval, "", self.grace).stale(now)
        rows = unread_rows(self.failure, width)
        for parts in self._parts(wall, 600):
            line = one_row(parts, width, age_text(age, stale))
            rows.append(dimmed(line) if stale else line)
        _paint(self, rows, status)

    def _parts(self, wall: datetime, limit: int) -> list[list[Text]]:
        """Each alarm's state, name, time in that state and reason (cut to `limit` characters), problems first."""
        out = []
        for name, alarm, description in self._ordered():
            state = alarm.state if alarm else "UNKNOWN"
            if alarm is None:
                why = description or "not read yet"
            elif alarm.state == NOT_FOUND:
                why = "no such alarm in CloudWatch"
            else:
                why = one_line(alarm.reason, limit)
            since = f" · {self._since_words(alarm, wall)}" if alarm and alarm.since else ""
            out.append([Text(f"{state:<{max(WORD_WIDTH, len(state) + 1)}}", style=ALARM_STYLES.get(state, "bold")),
                        Text(name, style="bold"), Text(since), Text(f" · {why}" if why else "", style="")])
        return out

    def full_lines(self, wall: datetime) -> list[Text]:
        """Every alarm line whole (the wall's detail: a reason the box cut with an ellipsis, read in full)."""
        lines = [Text("UNREAD  ", style="bold white on red") + Text(one_line(self.failure.reason, FULL))] if self.failure else []
        return lines + [Text().join(parts) for parts in self._parts(wall, FULL)]

    @staticmethod
    def _since_words(alarm, wall: datetime) -> str:
        seconds = max(0, int((wall - alarm.since).total_seconds()))
        return f"{seconds // 60} min" if seconds < 7200 else f"{seconds // 3600} h {seconds % 3600 // 60} min"


class WallServices(ServicesPane):
    """Every ECS service on one line (problems first): its state, what serves, what ECS moves to, the age of the read."""

    def __init__(self, runbook: Runbook, env: Environment, *, live: bool, answered: tuple[float, float], id: str) -> None:
        super().__init__("Services", runbook, env, live=live, id=id)
        self.set_classes("wall-box")
        self.interval, self.grace = answered

    def compose(self):
        from textual.widgets import Static

        yield Static("", classes="wall-body")

    def show(self, now: float, wall: datetime) -> None:
        """Every service as of monotonic `now`."""
        self._shown_at = (now, wall)
        status, _ = self._status(now)
        width = self.scrollable_content_region.width or 80
        if not self.env.ecs_cluster or not self.env.ecs_services:
            _paint(self, [Text("no ECS cluster or services in this environment", style="dim")], "")
            return
        age = None if self.read_at is None else now - self.read_at
        stale = Answered(self.read_at, self.interval, "", self.grace).stale(now)
        tail = age_text(age, stale)
        lines, _ = self.lines(max(20, width - tail.cell_len - 2))
        if self.read is None:  # the pane lists bare names before the first read: the wall says it does not know
            lines = [Text(f"{'UNKNOWN':<{WORD_WIDTH}}", style="bold") + line for line in lines]
        rows = unread_rows(self.failure, width)
        for line in lines:
            row = one_row([line], width, tail)
            rows.append(dimmed(row) if stale else row)
        _paint(self, rows, status)

    def full_lines(self) -> list[Text]:
        """Every service line whole (the wall's detail)."""
        lines = [Text("UNREAD  ", style="bold white on red") + Text(one_line(self.failure.reason, FULL))] if self.failure else []
        return lines + self.lines(FULL)[0]
