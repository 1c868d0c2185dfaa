"""Errors from the local stack in one line: the line that says why, not the preface."""

from cockpit.stack import error_line


def test_a_single_line_is_kept():
    assert error_line(RuntimeError("redis-server is not installed (Debian: apt-get install redis-server)")) == (
        "redis-server is not installed (Debian: apt-get install redis-server)")


def test_a_preface_ending_in_a_colon_gets_the_last_line_after_it():
    error = RuntimeError("runuser -u postgres -- initdb -D /tmp/x failed (1):\n\ninitdb: error: directory exists\n  \n")
    assert error_line(error) == "runuser -u postgres -- initdb -D /tmp/x failed (1): … initdb: error: directory exists"


def test_a_first_line_that_says_why_is_enough():
    error = RuntimeError("PostgreSQL did not start on port 5999 (timeout)\nLOG: starting\nLOG: ready")
    assert error_line(error) == "PostgreSQL did not start on port 5999 (timeout)"


def test_an_empty_message_gives_the_error_type():
    assert error_line(TimeoutError()) == "TimeoutError"
