"""Read a runbook TOML file, validate it completely, and build the model."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cockpit.runbook.build import build_runbook
from cockpit.runbook.locate import KeyLines
from cockpit.runbook.rules import check_rules
from cockpit.runbook.schema import RUNBOOK, check_shape

BUNDLED = "avnz-phase-1-4.toml"


class RunbookError(Exception):
    """A runbook that cannot be used; `problems` holds one `FILE:LINE: message` each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems[0] if problems else "invalid runbook")
        self.problems = problems


def bundled_path() -> Path:
    """The runbook that ships with cockpit (the AVNZ Phase 1-4 plan)."""
    return Path(__file__).parent / "plans" / BUNDLED


def _read(path: Path, label: str) -> tuple[str | None, list[str]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [f"{label}:1: cannot read: {exc.strerror or exc}"]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [f"{label}:{line}: not valid UTF-8 (byte {exc.start})"]


def _parse(text: str, label: str) -> tuple[dict[str, Any] | None, list[str]]:
    try:
        return tomllib.loads(text), []
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line = 1
        if "(at line " in message:
            message, _, where = message.partition(" (at line ")
            line = int(where.split(",")[0])
        elif "(at end of document)" in message:
            message = message.replace(" (at end of document)", "") + " at end of file"
            line = text.count("\n") + 1
        return None, [f"{label}:{line}: TOML syntax: {message}"]


def _analyse(path: Path, environ: Mapping[str, str]) -> tuple[Any, list[str]]:
    label = str(path)
    text, problems = _read(path, label)
    if text is None:
        return None, problems
    data, problems = _parse(text, label)
    if data is None:
        return None, problems
    lines = KeyLines(text)
    found = check_shape(RUNBOOK, data)
    if not found:
        found = check_rules(data, environ)
    if found:
        ordered = sorted(found, key=lambda p: lines.line(p[0]))
        return None, [f"{label}:{lines.line(where)}: {message}" for where, message in ordered]
    return build_runbook(data, environ, path), []


def validate_file(path: Path, environ: Mapping[str, str] | None = None) -> list[str]:
    """Every problem of the runbook at `path` as `FILE:LINE: message` ([] when valid)."""
    return _analyse(path, os.environ if environ is None else environ)[1]


def load_runbook(path: Path | None = None, environ: Mapping[str, str] | None = None):
    """The runbook at `path` (default: the bundled one); raises RunbookError."""
    runbook, problems = _analyse(path or bundled_path(), os.environ if environ is None else environ)
    if problems:
        raise RunbookError(problems)
    return runbook
