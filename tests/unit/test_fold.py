"""Fitting text to a pane: an ellipsis where a value is cut, and a count of what is out of sight."""

from __future__ import annotations

from rich.text import Text

from cockpit.monitor.board import RowView
from cockpit.ui.widgets.fold import fit, fold
from cockpit.ui.widgets.health_table import MIN_WHY, row_cells

RANK = {"ALARM": 3, "OK": 0}


def test_fit_cuts_only_with_an_ellipsis():
    assert fit("7.0.15 master", 13) == "7.0.15 master"
    assert fit("7.0.15 master", 6) == "7.0.1…"  # never "7.0.1" alone: that reads as another version
    assert fit("日本語テキスト", 7) == "日本語…"  # cells, not characters


def test_fold_counts_what_does_not_fit_and_names_the_worst():
    lines = [Text(s) for s in ("ALARM a", "OK b", "OK c")]
    assert [t.plain for t in fold(lines, 3, ["ALARM", "OK", "OK"], RANK)] == ["ALARM a", "OK b", "OK c"]
    folded = [t.plain for t in fold(lines, 2, ["OK", "ALARM", "OK"], RANK)]
    assert folded == ["ALARM a", "+2 more (worst: ALARM)"]


def row(**changes) -> RowView:
    fields = dict(key="redis", label="redis", status="healthy", last_ms=0.4, p50_ms=0.4, p99_ms=0.9, samples=9, age_s=1.0,
                  stale=False, reason="", detail="7.0.15 master · 3 clients · 1.21M", limit=None, retry_in_s=None)
    return RowView(**{**fields, **changes})


def test_a_health_reason_is_cut_with_an_ellipsis_or_left_out():
    assert row_cells(row(), 40)["why"].plain == "7.0.15 master · 3 clients · 1.21M"
    assert row_cells(row(), MIN_WHY)["why"].plain.endswith("…")
    assert row_cells(row(), MIN_WHY - 1)["why"].plain == ""  # too narrow to say anything true


def test_a_down_row_shows_no_latency_as_current():
    cells = row_cells(row(status="down", last_ms=None, reason="connection refused"), 40)
    assert [cells[k].plain for k in ("status", "last", "p50", "p99")] == ["DOWN", "—", "—", "—"]


def test_a_row_over_its_limit_says_over():
    from cockpit.runbook.model import Threshold

    limit = Threshold("redis-latency", "Redis latency", "redis_latency", 10.0)
    assert row_cells(row(limit=limit, p99_ms=25.0, over_limit=3), 40)["status"].plain == "OVER"
    assert row_cells(row(limit=limit, p99_ms=25.0, over_limit=1), 40)["status"].plain == "healthy"


def test_the_hidden_worst_is_red_only_for_what_the_verdict_calls_a_failure():
    from cockpit.ui.widgets.services_pane import RANK as SERVICES

    lines = [Text("a"), Text("b"), Text("c")]
    short = fold(lines, 2, ["OK", "SHORT", "OK"], SERVICES)[-1]
    failed = fold(lines, 2, ["OK", "FAILED", "OK"], SERVICES)[-1]
    assert "yellow" in str(short.spans[-1].style) and "red" in str(failed.spans[-1].style)
