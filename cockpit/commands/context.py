"""What every verb needs: the runbook, the environment, the journal, as one-line errors."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from pathlib import Path

from cockpit.core.text import strip_control
from cockpit.journal import JournalError, default_state_path, default_who
from cockpit.journal.opening import JournalStore, StateLocation, is_database_url, open_store
from cockpit.runbook import Environment, Runbook, RunbookError, bundled_path, load_runbook


class UsageError(Exception):
    """Bad input from the command line: printed as one line, exit code 2."""


@dataclass(frozen=True)
class Context:
    """The runbook and environment a command works on, and who the journal records as doing it."""

    runbook: Runbook
    env: Environment
    state_path: StateLocation
    who: str = field(default_factory=default_who)


WHO_LIMIT = 120  # characters: room for user@a-long-host.name, not for a paragraph


def valid_who(raw: str | None) -> str:
    """--who as the journal records it (surrounding spaces dropped), or `user@host` when not given.

    One line, no control characters, 1 to WHO_LIMIT characters: anything else is a UsageError, never
    silently cleaned, so what the journal records is exactly what the operator typed.
    """
    if raw is None:
        return default_who()
    who = raw.strip()
    if not who:
        raise UsageError("--who is empty: give a name such as alice@laptop")
    if strip_control(who, keep_newlines=False) != who:  # a newline, tab, escape or invisible character changes it
        raise UsageError("--who must be one line without control characters")
    if len(who) > WHO_LIMIT:
        raise UsageError(f"--who is {len(who)} characters long: at most {WHO_LIMIT}")
    return who


def state_path(explicit: str | None, *, must_exist: bool = False) -> StateLocation:
    """--state, else COCKPIT_STATE, else the user's state directory; a directory gets a file inside.

    A `postgresql://` or `postgres://` URL names a shared journal and is returned as it is.

    Only the default location is created; a named one must be in an existing directory,
    and with `must_exist` (status, runs) the journal itself must exist: a typo is an error.
    """
    raw = explicit or os.environ.get("COCKPIT_STATE") or ""
    if not raw:
        return default_state_path()
    if is_database_url(raw):
        return raw
    path = Path(raw).expanduser()
    if path.is_dir() or raw.endswith(os.sep):
        path = path / "journal.sqlite3"
    if not path.parent.is_dir():
        raise UsageError(f"state directory {path.parent} does not exist")
    if must_exist and not path.exists():
        raise UsageError(f"no journal at {path} (check --state / COCKPIT_STATE)")
    return path


def load(args: argparse.Namespace) -> Context:
    """Load the runbook and pick the environment named by --env (or the runbook's default)."""
    source = Path(args.runbook) if args.runbook else bundled_path()
    try:
        runbook = load_runbook(source)
    except RunbookError as exc:
        more = len(exc.problems) - 1
        hint = f" (and {more} more: cockpit runbook validate {source})" if more else ""
        raise UsageError(f"invalid runbook: {exc.problems[0]}{hint}") from exc
    name = args.env or runbook.default_env
    if name not in runbook.environments:
        known = ", ".join(sorted(runbook.environments))
        raise UsageError(f"unknown environment {name!r} (the runbook defines: {known})")
    location = state_path(args.state, must_exist=args.verb in ("status", "runs"))
    return Context(runbook, runbook.environments[name], location, valid_who(getattr(args, "who", None)))


def open_journal(path: StateLocation, *, read_only: bool) -> JournalStore:
    """Open the journal (a file or a database URL) or raise UsageError with the reason."""
    try:
        return open_store(path, read_only=read_only)
    except JournalError as exc:
        raise UsageError(str(exc)) from exc
