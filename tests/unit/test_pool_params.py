"""DATABASE_URL pool parameters: checked (Phase A step 2) and stripped before libpq sees them."""

from __future__ import annotations

import pytest

from cockpit.probes.pool_params import libpq_url, pool_params, url_problem

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


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:p@ss@h:5432/db?connection_limit=10&pool_timeout=10",  # libpq would take 'ss@h' for the host
        "postgresql://u:p#ss@h/db?connection_limit=10&pool_timeout=10",  # '#' hides the pool parameters
        "postgresql://u:p/ss@h/db",
        "postgresql://u:12/ss@h/db",  # '12' even reads as a port
        "postgresql://u:p?ss@h/db",
        "postgresql://u:pa%ss@h/db",  # a bare % that libpq would quote back
        "postgresql://[bad",
    ],
)
def test_an_unencoded_password_does_not_parse_and_is_never_quoted(url):
    problem = url_problem(url)
    assert problem.startswith("DATABASE_URL does not parse: percent-encode the user name and password (@ as %40")
    assert "ss" not in problem.replace("password", "")


@pytest.mark.parametrize(
    "url",
    [
        SEED,
        "postgresql://cockpit:p%40ss%3Aw%2Frd%251@127.0.0.1:5433/avnz?connection_limit=10&pool_timeout=20",
        "postgresql://u:p:ss@h/db",  # libpq splits user:password at the first ':' too
        "postgresql://u@h/db?application_name=a@b",
        "postgresql:///avnz",
        "host=db dbname=avnz",
    ],
)
def test_urls_libpq_reads_as_meant_parse(url):
    assert url_problem(url) == ""


def test_a_foreign_scheme_is_named():
    assert url_problem("mysql://u:p@h/db") == "DATABASE_URL must start with postgresql:// or postgres://"
