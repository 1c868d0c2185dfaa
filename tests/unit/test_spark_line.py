"""A latency row keeps its limit on its own line: the sparkline narrows in a narrow pane instead."""

from __future__ import annotations

from cockpit.monitor.board import RowView
from cockpit.runbook.model import Threshold
from cockpit.ui.widgets.latency_pane import SPARK_WIDTH, spark_line

API_LIMIT = Threshold("api-p99", "API p99 latency", "api_p99", 500.0)


def view(**changes) -> RowView:
    fields = dict(key="api", label="api", status="healthy", last_ms=4.66, p50_ms=4.0, p99_ms=16.4, samples=30,
                  age_s=1.0, stale=False, reason="", detail="", limit=API_LIMIT, retry_in_s=None)
    return RowView(**{**fields, **changes})


def test_a_wide_row_has_the_full_sparkline_and_the_limit():
    line = spark_line(view(), [5.0] * 40, room=100)
    assert line.plain.endswith("< 500") and line.plain.count("▅") + line.plain.count("█") == SPARK_WIDTH


def test_a_narrow_row_narrows_the_sparkline_so_the_limit_still_fits():
    for stale in (False, True):
        line = spark_line(view(stale=stale), [5.0] * 40, room=66)
        assert len(line.plain) <= 66 and " < 500" in line.plain, line.plain


def test_a_down_row_shows_no_figure_as_current():
    line = spark_line(view(status="down", last_ms=None), [5.0] * 40, room=66)
    assert line.plain.endswith("DOWN") and "ms" not in line.plain and "500" not in line.plain


def test_the_relation_to_the_limit_is_never_a_lie():
    over_once = spark_line(view(p99_ms=1200.0, over_limit=1), [5.0] * 40, room=100)
    assert "> 500" in over_once.plain and "OVER" not in over_once.plain  # the window's p99 is over; not now
    over_now = spark_line(view(p99_ms=1200.0, over_limit=3), [5.0] * 40, room=100)
    assert "OVER 500" in over_now.plain


def test_a_p99_over_the_limit_from_earlier_says_its_window_and_when_it_was_last_over():
    # 'api  4.06 ms  p99 1.2 s > 500' beside a healthy status read as a contradiction: the p99 is the 5-minute
    # window's, from samples over the limit a while ago, and the line now says so.
    earlier = spark_line(view(p99_ms=1200.0, over_limit=0, over_age_s=92.0, window_s=300.0), [5.0] * 40, room=100)
    assert earlier.plain.endswith("p99    1.2 s > 500 in 5m · last over 92s ago"), earlier.plain
    assert "OVER" not in earlier.plain
    for room, note in ((75, " in 5m, 92s ago"), (66, " 92s ago")):  # as much as fits, down to the age alone
        narrow = spark_line(view(p99_ms=1200.0, over_limit=0, over_age_s=92.0, window_s=300.0), [5.0] * 40, room=room)
        assert narrow.plain.endswith(f"p99    1.2 s > 500{note}") and len(narrow.plain) <= room, narrow.plain
    now = spark_line(view(p99_ms=1200.0, over_limit=3, over_age_s=2.0, window_s=300.0), [5.0] * 40, room=100)
    assert now.plain.endswith("p99    1.2 s OVER 500"), now.plain


def test_the_sparkline_never_goes_below_six_cells():
    line = spark_line(view(), [5.0] * 40, room=20)
    assert line.plain.count("█") == 6
