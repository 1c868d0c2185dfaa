"""`{placeholder}` templates in actions: which names a field may use, and how they are filled.

Two kinds of reference live side by side in an action's strings. `${VAR}` comes from the
process environment (see interpolate.py). `{name}` comes from the run: the environment
the run is in, who runs it, what was checked. Only the names listed here exist; the
validator refuses any other, so a typo is caught before release day, not in a message
sent to #deployments. A brace that does not wrap a plain name (`{ "a": 1 }`, a lone `{`)
is text, and `fill` leaves it alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

COMMAND_ENV_PLACEHOLDERS: dict[str, str] = {
    "api_url": "the environment's API base URL (COCKPIT_API_URL or the runbook's default)",
    "app_url": "the environment's dashboard base URL (COCKPIT_APP_URL or the runbook's default)",
    "environment": "the environment's name (staging, production)",
}
"""What a `command` action's `env` values may name."""

SLACK_TEXT_PLACEHOLDERS: dict[str, str] = {
    **COMMAND_ENV_PLACEHOLDERS,
    "runbook": "the runbook's name and version",
    "phase": "the title of the step's phase",
    "step": "the step's title",
    "who": "the operator running the step",
    "checks": "the automated checks of the run so far and how they came out",
    "gate": "the step's gate (its phase's and its own): each check and how it came out, where and when",
}
"""What a `slack` action's `text` may name."""

# `{name}` not preceded by `$` (that is a `${VAR}` reference, resolved from the environment).
_PLACEHOLDER = re.compile(r"(?<!\$)\{([A-Za-z_][A-Za-z0-9_]*)\}")


def placeholders(text: str) -> list[str]:
    """The `{name}` placeholders of `text`, in order."""
    return _PLACEHOLDER.findall(text)


def unknown_placeholders(text: str, known: Mapping[str, str]) -> list[str]:
    """The placeholders of `text` that are not in `known`, each once, in order."""
    return list(dict.fromkeys(name for name in placeholders(text) if name not in known))


def fill(text: str, values: Mapping[str, str]) -> str:
    """`text` with each `{name}` of `values` replaced; any other brace is kept as written."""
    return _PLACEHOLDER.sub(lambda match: values.get(match[1], match[0]), text)
