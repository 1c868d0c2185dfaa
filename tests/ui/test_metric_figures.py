"""A metric row's figure never reads as the other side of its threshold because of rounding."""

from __future__ import annotations

import pytest

from cockpit.ui.widgets.metric_rows import fmt_against, under


@pytest.mark.parametrize(("value", "unit", "threshold", "shown"), [
    (312.4, "ms", 500, "312 ms"),  # far from it: three significant figures
    (499.6, "ms", 500, "499.6 ms"),  # not "500 ms  < 500"
    (500.4, "ms", 500, "500.4 ms"),  # not "500 ms  OVER 500"
    (500.0, "ms", 500, "500 ms"),
    (0.004, "%", 0, "0.004%"),  # one 5xx in 25,000 requests: not "0.00%  OVER 0"
    (0.0, "%", 0, "0.00%"),
    (79.96, "%", 80, "79.96%"),
    (80.04, "%", 80, "80.04%"),
    (12.0, "", None, "12.0"),
])
def test_the_figure_stays_on_its_side_of_the_threshold(value, unit, threshold, shown):
    assert fmt_against(value, unit, threshold) == shown


def test_a_value_at_its_threshold_is_not_written_as_under_it():
    assert under(0.0, 0) == "≤ 0" and under(312.0, 500) == "< 500"
