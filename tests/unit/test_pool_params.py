"""DATABASE_URL pool parameters: checked (Phase A step 2) and stripped before libpq sees them."""

from __future__ import annotations

import pytest

from cockpit.probes.pool_params import libpq_url, pool_params

SEED = "postgresql://user:pass@host:5432/db?connection_limit=10&pool_timeout=20"


def test_the_seed_url_passes():
    params = pool_params(SEED)
    assert params.ok and params.evidence() == "connection_limit=10 pool_timeout=20"


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("", "connection_limit missing"),
        ("?connection_limit=10", "pool_timeout missing"),
        ("?connection_limit=ten&pool_timeout=20", "connection_limit='ten' is not a whole number"),
        ("?connection_limit=0&pool_timeout=20", "connection_limit=0 outside 1..500"),
        ("?connection_limit=10&pool_timeout=0", "pool_timeout=0 outside 1..300"),
        ("?connection_limit=10&pool_timeout=-5", "pool_timeout='-5' is not a whole number"),
        ("?connection_limit=%C2%B2&pool_timeout=20", "connection_limit='²' is not a whole number"),
    ],
)
def test_missing_or_insane_parameters_are_named(query, problem):
    params = pool_params("postgresql://u:p@h/db" + query)
    assert not params.ok and problem in params.problems


def test_stripping_keeps_the_password_exactly_as_written():
    url = "postgresql://cockpit:p%40ss%3Aw%2Frd@127.0.0.1:5433/avnz?sslmode=disable&connection_limit=10&pool_timeout=20&schema=public"
    assert libpq_url(url) == "postgresql://cockpit:p%40ss%3Aw%2Frd@127.0.0.1:5433/avnz?sslmode=disable"
    assert libpq_url("host=db dbname=avnz") == "host=db dbname=avnz"  # keyword DSNs pass through


def test_stripping_leaves_other_parameters_byte_for_byte():
    url = "postgresql://u:p@h/db?options=-c%20statement_timeout%3D5000&connection_limit=5&application_name=a+b"
    assert libpq_url(url) == "postgresql://u:p@h/db?options=-c%20statement_timeout%3D5000&application_name=a+b"


def test_evidence_never_holds_the_url():
    assert "pass" not in pool_params(SEED).evidence() and "host" not in pool_params(SEED).evidence()
