"""Shared by the GitHub action tests: the token, a fixed clock, an injected sleep, a client factory."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from cockpit.actions.github import GitHubToken, GitHubWorkflows, WorkflowConfig

TOKEN = "ghp_SECRETtoken0123456789abcdefABCDEF"
NOW = datetime(2026, 12, 7, 9, 30, 0, tzinfo=UTC)


class Sleeps:
    """An injected sleep: records each wait and returns at once (after letting other tasks run)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)


def workflows(api_url: str, sleeps: Sleeps, token: str = TOKEN, **kwargs: object) -> GitHubWorkflows:
    """A client for avnz/payments deploy-api.yml on main (environment=staging) at `api_url`, on the fixed clock NOW."""
    config = WorkflowConfig("avnz/payments", "deploy-api.yml", "main", {"environment": "staging"}, api_url)
    return GitHubWorkflows(config, GitHubToken(token, "GH_TOKEN"), sleep=sleeps, now=lambda: NOW, **kwargs)  # type: ignore[arg-type]
