"""`${VAR}` and `${VAR:-default}` interpolation of runbook values."""

from __future__ import annotations

import re
from collections.abc import Mapping

_REFERENCE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")


class InterpolationError(ValueError):
    """A `${` that is not a well-formed reference."""


def interpolate(value: str, environ: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    """Expand references in `value`; return the text and the variable names it used.

    `${VAR}` is empty when VAR is unset; `${VAR:-default}` uses the default when VAR
    is unset or empty (as in the shell).
    """
    names: list[str] = []

    def expand(match: re.Match[str]) -> str:
        names.append(match["name"])
        found = environ.get(match["name"], "")
        if not found and match["default"] is not None:
            return match["default"]
        return found

    leftover = _REFERENCE.sub("", value)
    if "${" in leftover:
        bad = leftover[leftover.index("${") :].split()[0]
        raise InterpolationError(f"malformed reference {bad!r}: use ${{VAR}} or ${{VAR:-default}}")
    return _REFERENCE.sub(expand, value), tuple(names)
