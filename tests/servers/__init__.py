"""Test-only pieces around the local stack (`cockpit/stack/`): skip-or-fail, the AWS fault proxy, ECS stubs.

The servers themselves live in `cockpit.stack`, shared with `cockpit demo` (one
implementation of the local stack).
"""

from __future__ import annotations

import os


def in_ci() -> bool:
    """True when the environment says this is a CI run (`CI=true`, as CI services set it)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def unavailable(reason: str):
    """Give up on a server or tool a test needs: a failure in CI, a skip elsewhere (DESIGN, Testing)."""
    import pytest  # here, so the servers also work outside pytest (bench/, a REPL)

    if in_ci():
        pytest.fail(f"{reason} (CI=true: a missing test service is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)
