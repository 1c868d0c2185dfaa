"""`--who`: who the journal records as doing it, on every verb that journals (default user@host); bad input is exit 2."""

from __future__ import annotations

import pytest

from cockpit.cli import build_parser
from cockpit.commands.context import WHO_LIMIT, UsageError, load, valid_who
from cockpit.journal import default_who


def test_who_defaults_to_user_at_host_and_keeps_what_was_typed():
    assert valid_who(None) == default_who()
    assert valid_who("  alice@laptop ") == "alice@laptop"
    assert valid_who("Zoë (release captain)") == "Zoë (release captain)"
    assert valid_who("a" * WHO_LIMIT) == "a" * WHO_LIMIT


@pytest.mark.parametrize("raw, message", [
    ("", "--who is empty"),
    ("   ", "--who is empty"),
    ("alice\nbob", "one line without control characters"),
    ("alice\tbob", "one line without control characters"),
    ("alice\x1b[2Jbob", "one line without control characters"),
    ("alice\u202ebob", "one line without control characters"),
    ("a" * (WHO_LIMIT + 1), f"at most {WHO_LIMIT}"),
])
def test_a_bad_who_is_refused_not_cleaned(raw, message):
    with pytest.raises(UsageError, match=message):
        valid_who(raw)


@pytest.mark.parametrize("argv", [
    ["--who", "alice@tv"],
    ["tick", "pre-docs", "--who", "alice@tv"],
    ["note", "pre-docs", "text", "--who", "alice@tv"],
    ["check", "--who", "alice@tv"],
    ["run", "b-deploy-staging", "--who", "alice@tv"],
    ["rollback", "--service", "api", "--who", "alice@tv"],
    ["--who", "alice@tv", "tick", "pre-docs"],
])
def test_every_verb_that_journals_takes_who(argv, state_file):
    args = build_parser().parse_args([*argv, "--state", str(state_file)])
    assert load(args).who == "alice@tv"


def test_without_who_the_verbs_journal_as_user_at_host(state_file):
    args = build_parser().parse_args(["tick", "pre-docs", "--state", str(state_file)])
    assert load(args).who == default_who()
