"""The health table: one row per monitored thing, cells updated in place."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from cockpit.core.text import one_line, short_age
from cockpit.monitor.board import RowView
from cockpit.monitor.readings import DEGRADED, DOWN, HEALTHY, NOT_CONFIGURED
from cockpit.ui.widgets.fold import fit

# (key, heading, width). Fixed widths: a column that resizes makes the whole table
# lay out and repaint again, which at one poll a second was most of the app's CPU.
# The last column gets what the others leave, and its text is cut there with an ellipsis.
# No cell padding: each width holds its own trailing space, so that at 120 columns the
# figures fit the health pane and only the reason is cut (with an ellipsis), or left out.
COLUMNS = (
    ("name", "Component", 20),
    ("status", "Status", 9),
    ("last", "Last", 8),
    ("p50", "p50", 8),
    ("p99", "p99", 8),
    ("age", "Age", 10),
    ("why", "Reason / detail", None),
)
UNMEASURED = "unmeasured"  # a healthy row whose latency cockpit was too busy to time (RowView.unmeasured)
MIN_WHY = 12  # narrower than this, the reason column stays empty (the problems under the table say it)
STATUS_STYLE = {HEALTHY: "bold green", DEGRADED: "bold yellow", DOWN: "bold red reverse", NOT_CONFIGURED: "yellow"}


def fmt_ms(value: float | None) -> str:
    """A latency in a short, steady width: 0.31 ms, 42.5 ms, 612 ms, 1.2 s."""
    if value is None:
        return "—"
    if value < 10:
        return f"{value:.2f} ms"
    if value < 100:
        return f"{value:.1f} ms"
    if value < 1000:
        return f"{value:.0f} ms"
    return f"{value / 1000:.1f} s"


def fmt_age(seconds: float | None) -> str:
    """0s, 45s, 3m, 2h."""
    return "—" if seconds is None else short_age(seconds)


def rank(view: RowView) -> int:
    """Problems first: DOWN, then OVER or degraded, then unknown or stale, then healthy."""
    if view.status == DOWN:
        return 3
    if view.breach or view.status == DEGRADED:
        return 2
    return 0 if view.status == HEALTHY and not view.stale and not view.unmeasured else 1


HIDDEN_WORDS = {3: "DOWN among them", 2: "OVER or degraded among them", 1: "unknown or stale among them", 0: "all healthy"}


def more_below(hidden: list[RowView]) -> str:
    """'+N more ↓ · DOWN among them': what a pane says of the rows it has no room for ('' when none)."""
    if not hidden:
        return ""
    return f"+{len(hidden)} more ↓ · {HIDDEN_WORDS[max(rank(v) for v in hidden)]}"


def row_cells(view: RowView, why_width: int = 90) -> dict[str, Text]:
    """The cells of one row (text from outside is data, never markup). A row that is not answering
    shows no latency as current: its window figures would read as now. A healthy row whose latency
    cockpit was too busy to time is `unknown`: whether it is over its limit is not known."""
    status = Text(view.status.upper() if view.status == DOWN else view.status, style=STATUS_STYLE.get(view.status, "dim"))
    p99 = Text(fmt_ms(view.p99_ms) if view.current else "—")
    old = view.stale or view.unmeasured  # figures that are not about now
    if view.breach:  # over its limit now (the limit is in the latency pane)
        status = Text("OVER", style="bold red reverse")
        p99.stylize("bold red")
    elif view.unmeasured and view.status == HEALTHY:
        status = Text("unknown", style="bold yellow")  # "unmeasured" is one cell too wide; the reason says it
    elif view.current and view.limit is not None and view.p99_ms is not None and view.p99_ms > view.limit.limit_ms:
        p99.stylize("yellow")  # the window's p99 is over, from earlier samples or one outlier (the latency pane says which)
    age = Text(fmt_age(view.age_s), style="bold yellow" if view.unmeasured else "")
    if view.stale:
        age = Text(f"{fmt_age(view.age_s)} stale", style="bold yellow")
    if why_width < MIN_WHY:
        why = Text("")
    elif view.status == HEALTHY and not view.reason and not view.unmeasured:
        why = Text(fit(one_line(view.detail, 300), why_width), style="dim")
    else:
        why = Text(fit(one_line(view.why, 300), why_width), style="red" if view.status == DOWN else "yellow")
    return {
        "name": Text(fit(one_line(view.label, 200), 19)),
        "status": status,
        "last": Text(fmt_ms(view.last_ms), style="dim" if old else ""),
        "p50": Text(fmt_ms(view.p50_ms) if view.current else "—", style="dim" if old else ""),
        "p99": p99,
        "age": age,
        "why": why,
    }


def problems_text(views: list[RowView]) -> Text:
    """One line per distinct problem, with its whole reason (the table may cut it).

    Rows with the same status and reason share a line ("/vendors/companies and 4 more"),
    so five pages behind one DNS failure do not push the rest off an 80x24 screen. A row whose
    latency is unmeasured is listed too, with why.
    """
    groups: dict[tuple[str, str], list[str]] = {}
    for view in views:
        if view.unmeasured and view.status == HEALTHY:
            status = UNMEASURED
        elif view.status == HEALTHY or not view.reason or view.reason == "not polled yet":
            continue
        else:
            status = view.status
        groups.setdefault((status, view.why), []).append(one_line(view.label, 40))
    out = Text()
    for (status, why), labels in groups.items():
        mark = "✗" if status == DOWN else "!"
        who = labels[0] if len(labels) == 1 else f"{labels[0]} and {len(labels) - 1} more"
        style = "bold yellow" if status == UNMEASURED else STATUS_STYLE.get(status, "dim").replace(" reverse", "")
        out.append(f"{mark} {who}: ", style=style)
        out.append(one_line(why, 200) + "\n")
    out.rstrip()
    return out


class HealthTable(DataTable):
    """Rows keyed by reading key; `show` changes only the cells whose text changed."""

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, cell_padding=0, **kwargs)
        self._shown: dict[str, dict[str, Text]] = {}

    def _add_columns(self, views: list[RowView]) -> None:
        status_width = 15 if any(v.status == NOT_CONFIGURED for v in views) else 9
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=status_width if key == "status" else (width or self._why_width()))

    def _why_width(self) -> int:
        """What the fixed columns leave of the table's width."""
        fixed = sum(c.width for key, c in self.columns.items() if key != "why") if self.columns else sum(w or 0 for _, _, w in COLUMNS)
        return max(1, self.scrollable_content_region.width - fixed - 1)

    def show(self, views: list[RowView]) -> int:
        """Bring the table up to date, problems first; return how many cells changed."""
        if not self.columns:
            self._add_columns(views)
        why_width = self._why_width()
        why = self.columns[ColumnKey("why")]
        if why.width != why_width:  # resized: the reasons are refitted
            why.width = why_width
            why.auto_width = False
            why.label = Text(fit("Reason / detail", why_width) if why_width >= MIN_WHY else "")
            self._shown.clear()
            self._require_update_dimensions = True
        changed = 0
        order = [v.key for v in sorted(views, key=rank, reverse=True)]
        for view in views:
            cells = row_cells(view, why_width)
            shown = self._shown.get(view.key)
            if view.key not in self.rows:
                self.add_row(*(cells[key] for key, _, _ in COLUMNS), key=view.key)
                self._shown[view.key] = cells
                changed += len(cells)
                continue
            shown = shown or {}
            for key, text in cells.items():
                if shown.get(key) != text:
                    self.update_cell(view.key, key, text)
                    shown[key] = text
                    changed += 1
            self._shown[view.key] = shown
        if order != [row.key.value for row in self.ordered_rows]:
            position = {id(self._shown[key]["name"]): index for index, key in enumerate(order)}  # the cells themselves
            self.sort("name", key=lambda name: position.get(id(name), len(position)))
        return changed

    def hidden(self) -> int:
        """Rows the pane has no room for: what its height leaves under the problems and the column labels."""
        pane = self.parent
        if not isinstance(pane, Widget) or not pane.scrollable_content_region.height:
            return 0
        others = sum(w.outer_size.height for w in pane.children if w is not self and w.display)
        return max(0, self.row_count - max(0, pane.scrollable_content_region.height - others - 1))
