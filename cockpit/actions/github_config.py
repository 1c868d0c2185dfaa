"""What a `github_workflow` action needs before any request: the workflow's address, the token, the errors.

The token is a `GitHubToken`, whose repr and str never show it and which refuses to be
pickled: it cannot leak into an error, a log line, an engine event or the journal by accident.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from cockpit.core.redact import redact_secrets
from cockpit.core.text import one_line

API_URL = "https://api.github.com"
GH_TIMEOUT = 10.0  # `gh auth token` reads a file or the keyring: seconds at most
MAX_INPUTS = 25  # GitHub's limit for workflow_dispatch inputs
_NAME = re.compile(r"[A-Za-z0-9_.-]+")
_TOKEN_VARIABLES = ("GH_TOKEN", "GITHUB_TOKEN")


class GitHubError(Exception):
    """A one-line reason a GitHub request failed (`status`: the HTTP status, None without one). Never holds the token."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class GitHubConfigError(GitHubError, ValueError):
    """Bad input: repository, workflow, ref, inputs or API URL, or no usable token."""


class GitHubRateLimited(GitHubError):
    """GitHub said to wait: `wait` seconds (from Retry-After, or until x-ratelimit-reset)."""

    def __init__(self, message: str, wait: float, status: int | None = None) -> None:
        super().__init__(message, status)
        self.wait = wait


class GitHubToken:
    """A GitHub token and where it came from (`source`); `reveal()` is the only way to read it."""

    __slots__ = ("_value", "source")

    def __init__(self, value: str, source: str) -> None:
        value = value.strip()
        if not value or any(ch.isspace() or not ch.isprintable() for ch in value):
            raise GitHubConfigError(f"the GitHub token from {source} is empty or malformed")
        self._value = value
        self.source = source

    def reveal(self) -> str:
        """The secret itself: for the Authorization header only."""
        return self._value

    def scrub(self, text: str) -> str:
        """`text` with the token (and anything else secret-looking) masked."""
        return redact_secrets(text.replace(self._value, "***"))

    def __repr__(self) -> str:
        return f"GitHubToken(source={self.source!r}, value='***')"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a GitHubToken is never pickled (it would reach the journal or the UI process)")


def _shown(value: str) -> str:
    """A value for an error message: masked, cut, quoted, control characters escaped (visible, and inert on a terminal)."""
    return repr(redact_secrets(value[:80]))


def gh_host(api_url: str) -> str:
    """The host `gh` knows the API by: github.com for api.github.com, else the Enterprise host."""
    host = urlsplit(api_url).hostname or "github.com"
    return "github.com" if host == "api.github.com" else host


async def resolve_token(api_url: str = API_URL, environ: Mapping[str, str] | None = None, *, gh: str = "gh", timeout: float = GH_TIMEOUT) -> GitHubToken:
    """`GH_TOKEN`, else `GITHUB_TOKEN`, else `gh auth token --hostname HOST` when `gh` is on PATH.

    `gh` runs in an executor thread with a timeout (it must not block the event loop). Raises
    GitHubConfigError with a one-line reason when there is no token.
    """
    env = os.environ if environ is None else environ
    for name in _TOKEN_VARIABLES:
        if env.get(name, "").strip():
            return GitHubToken(env[name], name)
    exe = shutil.which(gh, path=env.get("PATH"))
    if exe is None:
        raise GitHubConfigError("no GitHub token: set GH_TOKEN or GITHUB_TOKEN, or install gh and run `gh auth login`")
    host = gh_host(api_url)
    return await asyncio.to_thread(_gh_auth_token, exe, host, dict(env), timeout)


def _gh_auth_token(exe: str, host: str, env: dict[str, str], timeout: float) -> GitHubToken:
    try:
        done = subprocess.run([exe, "auth", "token", "--hostname", host], capture_output=True, text=True, env=env,
                              stdin=subprocess.DEVNULL, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise GitHubConfigError(f"no GitHub token: `gh auth token` did not answer within {timeout:g} s") from None
    except OSError as exc:
        raise GitHubConfigError(f"no GitHub token: cannot run gh: {one_line(exc.strerror or str(exc), 80)}") from None
    if done.returncode != 0 or not done.stdout.strip():
        # stderr says why ("not logged in to HOST"); masked all the same, and stdout is never shown
        reason = one_line(redact_secrets(done.stderr), 120) or f"exit code {done.returncode}"
        raise GitHubConfigError(f"no GitHub token: `gh auth token --hostname {host}` failed: {reason}")
    return GitHubToken(done.stdout, f"gh auth token ({host})")


@dataclass(frozen=True)
class WorkflowConfig:
    """One workflow to dispatch: checked when built, so bad input fails before any request."""

    repository: str
    """`owner/name`."""
    workflow: str
    """The workflow's file name (`deploy-api.yml`) or numeric id."""
    ref: str
    """The branch or tag the run uses."""
    inputs: Mapping[str, str] = field(default_factory=dict)
    """The workflow_dispatch inputs, strings only (at most 25)."""
    api_url: str = API_URL
    """The REST API's base: `https://api.github.com`, or `https://HOST/api/v3` for GitHub Enterprise Server."""

    def __post_init__(self) -> None:
        owner, slash, name = self.repository.partition("/")
        if not (slash and _NAME.fullmatch(owner) and _NAME.fullmatch(name)):
            raise GitHubConfigError(f"repository must be owner/name, not {_shown(self.repository)}")
        if not _NAME.fullmatch(self.workflow):
            raise GitHubConfigError(f"workflow must be a file name like deploy-api.yml or an id, not {_shown(self.workflow)}")
        if not self.ref or any(ch.isspace() or not ch.isprintable() for ch in self.ref):
            raise GitHubConfigError(f"ref must be a branch or tag name, not {_shown(self.ref)}")
        if not isinstance(self.inputs, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in self.inputs.items()):
            raise GitHubConfigError("workflow inputs must map names to strings")
        if len(self.inputs) > MAX_INPUTS:
            raise GitHubConfigError(f"a workflow takes at most {MAX_INPUTS} inputs, not {len(self.inputs)}")
        parts = urlsplit(self.api_url)
        if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc or parts.query or parts.fragment:
            raise GitHubConfigError(f"GITHUB_API_URL must be an http(s) URL like {API_URL}, not {_shown(self.api_url)}")
        object.__setattr__(self, "api_url", self.api_url.rstrip("/"))
        object.__setattr__(self, "inputs", dict(self.inputs))

    @classmethod
    def from_env(cls, workflow: str, ref: str, inputs: Mapping[str, str] | None = None, *, repository: str | None = None,
                 environ: Mapping[str, str] | None = None) -> WorkflowConfig:
        """The repository from `repository` or `GITHUB_REPOSITORY`, the API from `GITHUB_API_URL` (default api.github.com)."""
        env = os.environ if environ is None else environ
        repo = repository or env.get("GITHUB_REPOSITORY", "")
        if not repo:
            raise GitHubConfigError("no GitHub repository: give owner/name or set GITHUB_REPOSITORY")
        return cls(repo, workflow, ref, dict(inputs or {}), env.get("GITHUB_API_URL") or API_URL)
