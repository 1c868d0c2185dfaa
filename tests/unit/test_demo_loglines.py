"""The demo's log lines follow what its trouble keys broke, and feed both of the plan's log queries."""

from __future__ import annotations

import random

from cockpit.demo.loglines import Weather, flood_line, line


def _lines(weather: Weather, n: int = 2000) -> list[str]:
    rng = random.Random(7)
    return [line(rng, weather) for _ in range(n)]


def test_a_calm_api_feeds_both_queries_and_reports_no_errors():
    lines = _lines(Weather())
    assert sum("Redis" in text for text in lines) > 400  # the `Redis` tab is never empty
    assert sum("momentum" in text for text in lines) > 250  # nor the `momentum` one
    assert not [text for text in lines if text.startswith("ERROR")]


def test_redis_down_shows_as_refused_connections_to_its_address():
    lines = _lines(Weather(redis_up=False, redis_address="127.0.0.1:40123"))
    refused = [text for text in lines if "ECONNREFUSED 127.0.0.1:40123" in text]
    assert len(refused) > 300
    assert all(text.startswith("ERROR") and "Redis" in text for text in refused)


def test_database_down_failing_and_slow_each_have_their_own_lines():
    assert sum("P1001" in text for text in _lines(Weather(database_up=False))) > 500
    failing = _lines(Weather(api="failing"))
    assert sum(" 500 " in text and "pool_timeout" in text for text in failing) > 400
    assert sum(" 500 " in text and "momentum" in text for text in failing) > 250  # seen in the default momentum tab
    slow = [text for text in _lines(Weather(api="slow")) if "slow request" in text]
    assert len(slow) > 400 and all(int(text.split()[-5].rstrip("ms")) > 1000 for text in slow)


def test_a_flood_line_matches_the_redis_query():
    rng = random.Random(1)
    assert all("Redis" in flood_line(rng) for _ in range(100))
