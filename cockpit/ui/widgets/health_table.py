"""The health table: one row per monitored thing, cells updated in place."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from cockpit.core.text import one_line
from cockpit.monitor.board import RowView
from cockpit.monitor.readings import DEGRADED, DOWN, HEALTHY, NOT_CONFIGURED

# (key, heading, width). Fixed widths: a column that resizes makes the whole table
# lay out and repaint again, which at one poll a second was most of the app's CPU.
# Only the last column grows, and only when a longer text arrives.
COLUMNS = (
    ("name", "Component", 19),
    ("status", "Status", 8),
    ("last", "Last", 7),
    ("p50", "p50", 7),
    ("p99", "p99", 8),
    ("age", "Age", 9),
    ("why", "Reason / detail", None),
)
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
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.0f}s"
    return f"{seconds / 60:.0f}m" if seconds < 3600 else f"{seconds / 3600:.0f}h"


def row_cells(view: RowView) -> dict[str, Text]:
    """The cells of one row (text from outside is data, never markup)."""
    status = Text(view.status.upper() if view.status == DOWN else view.status, style=STATUS_STYLE.get(view.status, "dim"))
    p99 = Text(fmt_ms(view.p99_ms))
    if view.breach:
        p99 = Text(f"{fmt_ms(view.p99_ms)}!", style="bold red")  # the limit is in the latency pane
    age = Text(fmt_age(view.age_s), style="")
    if view.stale:
        age = Text(f"{fmt_age(view.age_s)} stale", style="bold yellow")
    if view.status == HEALTHY and not view.reason:
        why = Text(one_line(view.detail, 90), style="dim")
    else:
        why = Text(one_line(view.why, 120), style="red" if view.status == DOWN else "yellow")
    return {
        "name": Text(one_line(view.label, 19)),
        "status": status,
        "last": Text(fmt_ms(view.last_ms), style="dim" if view.stale else ""),
        "p50": Text(fmt_ms(view.p50_ms), style="dim" if view.stale else ""),
        "p99": p99,
        "age": age,
        "why": why,
    }


def problems_text(views: list[RowView]) -> Text:
    """One line per distinct problem, with its whole reason (the table may cut it).

    Rows with the same status and reason share a line ("/vendors/companies and 4 more"),
    so five pages behind one DNS failure do not push the rest off an 80x24 screen.
    """
    groups: dict[tuple[str, str], list[str]] = {}
    for view in views:
        if view.status == HEALTHY or not view.reason or view.reason == "not polled yet":
            continue
        groups.setdefault((view.status, view.why), []).append(one_line(view.label, 40))
    out = Text()
    for (status, why), labels in groups.items():
        mark = "✗" if status == DOWN else "!"
        who = labels[0] if len(labels) == 1 else f"{labels[0]} and {len(labels) - 1} more"
        out.append(f"{mark} {who}: ", style=STATUS_STYLE.get(status, "dim").replace(" reverse", ""))
        out.append(one_line(why, 200) + "\n")
    out.rstrip()
    return out


class HealthTable(DataTable):
    """Rows keyed by reading key; `show` changes only the cells whose text changed."""

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self._shown: dict[str, dict[str, Text]] = {}

    def _add_columns(self, views: list[RowView]) -> None:
        status_width = 14 if any(v.status == NOT_CONFIGURED for v in views) else 8
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=status_width if key == "status" else width)

    def show(self, views: list[RowView]) -> int:
        """Bring the table up to date; return how many cells changed."""
        if not self.columns:
            self._add_columns(views)
        changed = 0
        for view in views:
            cells = row_cells(view)
            shown = self._shown.get(view.key)
            if shown is None:
                self.add_row(*(cells[key] for key, _, _ in COLUMNS), key=view.key)
                self._shown[view.key] = cells
                changed += len(cells)
                continue
            for key, text in cells.items():
                if shown[key] != text:
                    wider = key == "why" and text.cell_len > self.columns["why"].content_width
                    self.update_cell(view.key, key, text, update_width=wider)
                    shown[key] = text
                    changed += 1
        return changed
