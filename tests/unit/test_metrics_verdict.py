"""The metrics pane on the one verdict: a line over its threshold is a problem naming it; lines that cannot be
judged, CloudWatch unread or a read gone stale are not known; gaps and lines not configured are no problem."""

from __future__ import annotations

from datetime import UTC, datetime

from cockpit.monitor.metric_views import MetricView
from cockpit.monitor.verdict import ERROR, WARNING, MetricsSeen, derive, figure

NOW = 1000.0
MINUTE = 1_800_000_000.0


def view(id="api-p99", title="API p99", unit="ms", threshold=500.0, values=(120.0,), **fields) -> MetricView:
    points = tuple((MINUTE + 60 * i, v) for i, v in enumerate(values))
    newest = next(((at, v) for at, v in reversed(points) if v is not None), (None, None))
    return MetricView(id, "API response times", title, unit, threshold, points, latest=newest[1], latest_at=newest[0], **fields)


def seen(*views: MetricView, at: float | None = NOW - 10, failure: str = "") -> MetricsSeen:
    return MetricsSeen(views, at, 180.0, failure)


def texts(metrics: MetricsSeen) -> list[tuple[int, str]]:
    return [(p.severity, p.text) for p in derive(NOW, metrics=metrics).problems]


def test_lines_under_their_thresholds_read_lately_are_all_up():
    verdict = derive(NOW, metrics=seen(view(), view("pool", "DB pool usage", "%", 80.0, (40.0, 75.0))))
    assert verdict.all_up and verdict.sources == ("metrics",)


def test_a_line_over_its_threshold_is_an_error_naming_it():
    assert texts(seen(view(values=(120.0, 612.3)))) == [(ERROR, "METRIC API p99 612 ms > 500 ms at 08:01")]
    assert texts(seen(view("rate", "API 5xx rate", "%", 0.0, (0.0, 2.5)))) == [(ERROR, "METRIC API 5xx rate 2.5% > 0% at 08:01")]
    assert texts(seen(view(values=(500.2,)))) == [(ERROR, "METRIC API p99 500.2 ms > 500 ms at 08:00")]  # never "500 > 500"


def test_a_breach_says_which_minute_it_is_about():
    assert MINUTE % 3600 == 0 and f"{datetime.fromtimestamp(MINUTE, UTC):%H:%M}" == "08:00"
    assert texts(seen(view(values=(120.0, 612.3)))) == [(ERROR, "METRIC API p99 612 ms > 500 ms at 08:01")]


def test_only_the_newest_value_counts_and_gaps_are_no_problem():
    assert texts(seen(view(values=(900.0, 120.0, None, None)))) == []  # over, then back under, then no requests
    assert texts(seen(view(values=(None, None)))) == []


def test_a_breach_before_the_newest_gap_is_not_current_and_keeps_its_minute():
    """With no requests since, the 5xx rate is unknown, not the 100% of the last minute that had some: never an error
    as if current, and never without its age: not known, naming since when and the last breach's minute."""
    rate = view("rate", "API 5xx rate", "%", 0.0, (0.0, 100.0, None, None), gap="no requests")
    assert texts(seen(rate)) == [(WARNING, "METRIC API 5xx rate unknown: no requests since 08:02, last 100% > 0% at 08:01")]
    assert texts(seen(view(values=(120.0, 900.0, None)))) == [(WARNING, "METRIC API p99 unknown: no data since 08:02, last 900 ms > 500 ms at 08:01")]


def test_a_line_not_configured_is_not_watched_but_one_that_cannot_be_judged_is_not_known():
    not_configured = view(values=(), problem="not configured: set COCKPIT_LOAD_BALANCER")
    pool = view("pool", "DB pool usage", "%", 80.0, (), problem="pool capacity unknown: ECS not read yet")
    assert texts(seen(not_configured)) == []
    assert texts(seen(not_configured, pool)) == [(WARNING, "METRIC DB pool usage unknown")]
    assert not derive(NOW, metrics=seen(pool)).all_up


def test_a_line_cloudwatch_answered_in_part_is_not_known():
    partial = view(values=(100.0,), note="CloudWatch: PartialData: more data available")
    assert texts(seen(partial)) == [(WARNING, "METRIC API p99 incomplete")]


def test_metrics_unread_stale_or_not_read_yet_are_never_all_up():
    assert texts(seen(view(), failure="metrics: ThrottlingException: Rate exceeded")) == [(WARNING, "METRICS UNREAD")]
    assert texts(seen(view(), at=NOW - 181)) == [(WARNING, "metrics stale")]
    assert texts(seen(at=None)) == [(WARNING, "metrics not read yet")]
    assert derive(NOW, metrics=seen(view(), at=NOW - 180)).all_up  # at the limit, not past it


def test_a_breach_read_before_a_failure_stays_on_the_verdict():
    assert texts(seen(view(values=(700.0,)), failure="metrics: timeout")) == [(ERROR, "METRIC API p99 700 ms > 500 ms at 08:00"), (WARNING, "METRICS UNREAD")]


def test_figures_keep_three_significant_digits_without_an_exponent():
    assert [figure(v) for v in (612.3, 1234.5, 12.5, 12.0, 0.42, 0.0, 100.0, 99.96)] == ["612", "1234", "12.5", "12", "0.42", "0", "100", "100"]
