"""GitHub Actions: dispatch a workflow exactly once, find its run, watch the run until it completes.

    config = WorkflowConfig.from_env("deploy-api.yml", ref="main", inputs={"environment": "staging"})
    token = await resolve_token(config.api_url)
    async with GitHubWorkflows(config, token) as gh:
        outcome = await gh.dispatch()       # one POST; two only when a server rejects return_run_details (422)
        run = outcome.run or await gh.find_run(outcome.requested_at)   # outcome "accepted"/"unknown": look, never resend
        async for snap in gh.watch(run.run_id, interval=5):            # an async iterator of RunSnapshot, one per poll
            ...                                                         # the last one has snap.completed

A dispatch is never repeated automatically: a second POST is a second deploy. A timeout, a cut
connection or a 5xx after the request went out is the outcome "unknown" (find the run); only
a refused connection (nothing sent) raises. Polls are conditional (If-None-Match; a 304 keeps
the last state and costs no rate limit), honour Retry-After and an exhausted primary limit
(wait until x-ratelimit-reset), and report the limit left in every snapshot.

Library: plain httpx (already a dependency), not githubkit. Measured on this machine (2 cores), a
fresh `python -c` each (import plus building one client; RSS from /proc/self/status), medians:

                                   load ~2 (5 runs)     load ~4 (7 runs)
    bare interpreter               0 ms, 10.7 MiB       0 ms, 10.7 MiB
    httpx 0.28.1                 227 ms, 31.7 MiB     305 ms, 31.8 MiB
    githubkit 0.16.1             429 ms, 49.8 MiB     666 ms, 49.9 MiB
    githubkit + actions models   427 ms, 52.7 MiB     884 ms, 52.6 MiB

githubkit would add 200-580 ms of start-up and ~18-21 MiB to the engine process for five
endpoints, and fits badly where it matters: its typed dispatch body has no `return_run_details`
(a raw request anyway; the 200 model `WorkflowDispatchResponse` exists); its default auto-retry
re-sends a POST up to 3 times on a 5xx (a duplicate deploy) and sleeps on rate limits on its own
clock; its hishel HTTP cache answers 304s itself; and a fresh `pip install githubkit` resolved
hishel 2.0.0, which its pin (<=2.0.0) allows and with which `import githubkit` fails (`cannot
import name 'CachePolicy'`). ETags and raw headers it does expose (`Response.headers`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import quote, urlencode, urlsplit

import httpx

from cockpit.actions.github_config import GitHubConfigError, GitHubError, GitHubRateLimited, GitHubToken, WorkflowConfig, resolve_token
from cockpit.actions.github_runs import RunRef, RunSnapshot, newest_run, run_ref_from_details, snapshot_of
from cockpit.core.backoff import backoff_delay
from cockpit.core.text import one_line

__all__ = [
    "Dispatched", "GitHubConfigError", "GitHubError", "GitHubRateLimited", "GitHubToken", "GitHubWorkflows",
    "RunRef", "RunSnapshot", "WorkflowConfig", "resolve_token",
]

API_VERSION = "2022-11-28"
DETAILS_FIELD = "return_run_details"
CLOCK_SKEW = timedelta(minutes=2)  # our clock may run ahead of GitHub's: list runs created a little before the request
DEFAULT_WAIT = 60.0  # GitHub: rate limited without Retry-After or reset, wait at least a minute
_HINTS = {401: "bad or expired token", 403: "forbidden (a missing scope or no access to the repository)",
          404: "not found (repository, workflow or run, or the token cannot see it)"}

Sleep = Callable[[float], Awaitable[None]]
DispatchState = Literal["started", "accepted", "unknown"]


@dataclass(frozen=True)
class Dispatched:
    """What one dispatch came to: evidence for the journal (never holds the token).

    `state`: "started" (the run is known: `run`), "accepted" (GitHub took it, the run is not
    listed yet: call `find_run(requested_at)`), "unknown" (the request went out and no answer
    came back: it may have been accepted; find the run, never send it again).
    """

    state: DispatchState
    run: RunRef | None
    requested_at: datetime
    posts: int
    detail: str


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _describe(exc: httpx.HTTPError, token: GitHubToken) -> str:
    text = token.scrub(str(exc))
    return one_line(f"{type(exc).__name__}: {text}" if text else type(exc).__name__, 160)


class GitHubWorkflows:
    """Dispatch and watch one workflow (`config`) with `token`, over `client` (a long-lived httpx client; one of its own when None).

    `sleep` and `now` are injectable so polling, listing retries and rate-limit waits are
    tested without waiting. `find_attempts` x `find_interval`: how long a run is looked for.
    """

    def __init__(self, config: WorkflowConfig, token: GitHubToken, *, client: httpx.AsyncClient | None = None, timeout: float = 10.0,
                 sleep: Sleep = asyncio.sleep, now: Callable[[], datetime] = _utc_now, find_attempts: int = 6,
                 find_interval: float = 5.0, clock_skew: timedelta = CLOCK_SKEW, max_waits: int = 5) -> None:
        self.config = config
        self._token = token
        self._own_client = client is None
        self._client = client if client is not None else httpx.AsyncClient(follow_redirects=False)
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 5.0))
        self._sleep = sleep
        self._now = now
        self._find_attempts = max(1, find_attempts)
        self._find_interval = find_interval
        self._skew = clock_skew
        self._max_waits = max_waits
        self._cache: dict[str, tuple[str, Any]] = {}  # URL -> (ETag, the JSON it named)
        self._login: str | None = None
        self._login_known = False
        self.rate_remaining: int | None = None
        """x-ratelimit-remaining of the last answer (None before one carried it)."""
        self.rate_reset: int | None = None
        """x-ratelimit-reset of the last answer: epoch seconds."""

    async def __aenter__(self) -> GitHubWorkflows:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the client when it is this object's own."""
        if self._own_client:
            await self._client.aclose()

    # -- dispatch ----------------------------------------------------------------------

    async def dispatch(self) -> Dispatched:
        """POST the dispatch once (with `return_run_details`), and find the run when the answer has no details.

        Raises GitHubError when GitHub refused it (nothing started: 401/403/404, a 422 other
        than for the details field, a rate limit) or the connection was refused (nothing sent).
        """
        requested_at = self._now()
        path = self._workflow_path("dispatches")
        body: dict[str, Any] = {"ref": self.config.ref, "inputs": dict(self.config.inputs), DETAILS_FIELD: True}
        resp, lost = await self._post_once(path, body)
        posts = 1
        if resp is not None and resp.status_code == 422 and DETAILS_FIELD in resp.text:
            del body[DETAILS_FIELD]  # an older server (Enterprise) names the field it does not know: the one resend allowed
            resp, lost = await self._post_once(path, body)
            posts = 2
        if resp is None:
            return Dispatched("unknown", None, requested_at, posts, f"unknown: the dispatch may have been accepted — find the run ({lost})")
        status = resp.status_code
        if status == 200 and (run := run_ref_from_details(resp)) is not None:
            return Dispatched("started", run, requested_at, posts, f"started run {run.run_id}")
        if status in (200, 204):
            return await self._accepted(requested_at, posts)
        if status >= 500:
            return Dispatched("unknown", None, requested_at, posts,
                              f"unknown: GitHub answered {status}; the dispatch may have been accepted — find the run")
        wait = self._rate_limit_wait(resp)
        if wait is not None:
            raise GitHubRateLimited(f"GitHub rate limit: the dispatch was refused, nothing started; try again in {wait:.0f} s", wait, status)
        raise self._failure(resp, f"POST {path}")

    async def _post_once(self, path: str, body: dict[str, Any]) -> tuple[httpx.Response | None, str]:
        """(the answer, "") or (None, what happened) when the request went out and no answer came back."""
        try:
            return await self._send("POST", self._url(path), json=body), ""
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise GitHubError(f"dispatch not sent, nothing started: cannot reach {urlsplit(self.config.api_url).netloc}: "
                              f"{_describe(exc, self._token)}") from exc
        except httpx.HTTPError as exc:
            return None, _describe(exc, self._token)

    async def _accepted(self, requested_at: datetime, posts: int) -> Dispatched:
        try:
            run = await self.find_run(requested_at)
        except GitHubError as exc:
            return Dispatched("accepted", None, requested_at, posts, f"accepted, but finding its run failed: {exc}")
        if run is None:
            return Dispatched("accepted", None, requested_at, posts, "accepted, but its run is not listed yet — find the run")
        return Dispatched("started", run, requested_at, posts, f"accepted without run details; found run {run.run_id}")

    # -- finding a run -----------------------------------------------------------------

    async def find_run(self, since: datetime, *, attempts: int | None = None) -> RunRef | None:
        """The newest workflow_dispatch run of this workflow by the token's actor created since `since` (minus the clock skew).

        Lists up to `attempts` times (default `find_attempts`), `find_interval` apart, until
        one appears; None when none did. Sends no dispatch: safe after an "unknown" outcome.
        """
        created = (since - self._skew).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        query = {"event": "workflow_dispatch", "created": f">={created}", "per_page": "30"}
        login = await self.actor()
        if login:
            query["actor"] = login
        path = f"{self._workflow_path('runs')}?{urlencode(query)}"
        for attempt in range(attempts or self._find_attempts):
            if attempt:
                await self._sleep(self._find_interval)
            run = newest_run(await self._get_patiently(path), self.config.ref)
            if run is not None:
                return run
        return None

    async def actor(self) -> str | None:
        """The token's login (GET /user, asked once); None when the token cannot ask (a GitHub App's token): runs are then listed by anyone."""
        if not self._login_known:
            try:
                data = await self._get_patiently("/user")
            except GitHubError as exc:
                if exc.status not in (403, 404):
                    raise
                data = {}
            login = data.get("login") if isinstance(data, dict) else None
            self._login = login if isinstance(login, str) and login else None
            self._login_known = True
        return self._login

    # -- watching a run ----------------------------------------------------------------

    async def observe(self, run_id: int) -> RunSnapshot:
        """One observation of the run and its jobs (conditional GETs)."""
        base = f"/repos/{self._repo()}/actions/runs/{int(run_id)}"
        run = await self._get_json(base, conditional=True)
        jobs = await self._get_json(f"{base}/jobs?per_page=100", conditional=True)
        return snapshot_of(run_id, run, jobs, self._now(), self.rate_remaining, self.rate_reset)

    async def watch(self, run_id: int, *, interval: float = 5.0, max_failures: int = 10) -> AsyncIterator[RunSnapshot]:
        """Yield a RunSnapshot per poll, `interval` seconds apart (5-10 s suits GitHub), until the run has completed.

        A rate limit yields the last state with `problem` set, then waits as told. A network
        error or 5xx yields the same and retries with backoff; more than `max_failures` in a
        row, or a 401/403/404, raises GitHubError.
        """
        last: RunSnapshot | None = None
        failures = 0
        while True:
            try:
                snap = await self.observe(run_id)
            except GitHubRateLimited as exc:
                yield self._troubled(last, run_id, str(exc))
                await self._sleep(exc.wait)
                continue
            except GitHubError as exc:
                if exc.status is not None and exc.status < 500:
                    raise
                failures += 1
                if failures > max_failures:
                    raise
                yield self._troubled(last, run_id, str(exc))
                await self._sleep(backoff_delay(failures, interval, cap=max(interval, 60.0)))
                continue
            failures = 0
            last = snap
            yield snap
            if snap.completed:
                return
            await self._sleep(interval)

    def _troubled(self, last: RunSnapshot | None, run_id: int, problem: str) -> RunSnapshot:
        if last is None:
            last = RunSnapshot(run_id, "unknown", None, (), 0.0, "", self.rate_remaining, self.rate_reset)
        return replace(last, problem=problem, rate_limit_remaining=self.rate_remaining, rate_limit_reset=self.rate_reset)

    # -- HTTP --------------------------------------------------------------------------

    def _repo(self) -> str:
        owner, _, name = self.config.repository.partition("/")
        return f"{quote(owner, safe='')}/{quote(name, safe='')}"

    def _workflow_path(self, tail: str) -> str:
        return f"/repos/{self._repo()}/actions/workflows/{quote(self.config.workflow, safe='')}/{tail}"

    def _url(self, path: str) -> str:
        return self.config.api_url + path

    async def _send(self, method: str, url: str, *, json: Any = None, etag: str | None = None) -> httpx.Response:
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION, "User-Agent": "cockpit",
                   "Authorization": f"Bearer {self._token.reveal()}"}
        if etag:
            headers["If-None-Match"] = etag
        # never follow a redirect, whatever a shared client is set to: a followed 307 re-sends the dispatch
        resp = await self._client.request(method, url, json=json, headers=headers, timeout=self._timeout, follow_redirects=False)
        self._note_rate(resp)
        return resp

    def _note_rate(self, resp: httpx.Response) -> None:
        for header, attr in (("x-ratelimit-remaining", "rate_remaining"), ("x-ratelimit-reset", "rate_reset")):
            value = resp.headers.get(header, "")
            if value.isdigit():
                setattr(self, attr, int(value))

    def _rate_limit_wait(self, resp: httpx.Response) -> float | None:
        """Seconds GitHub asks to wait before the next request, or None when `resp` is not a rate limit."""
        if resp.status_code not in (403, 429):
            return None
        retry_after = resp.headers.get("retry-after", "").strip()
        if retry_after:
            try:
                return max(0.0, float(retry_after))
            except ValueError:
                return DEFAULT_WAIT  # an HTTP-date: GitHub sends seconds, so this is not GitHub; wait the documented minute
        if resp.headers.get("x-ratelimit-remaining") == "0":
            reset = resp.headers.get("x-ratelimit-reset", "")
            return max(1.0, int(reset) - self._now().timestamp() + 1) if reset.isdigit() else DEFAULT_WAIT
        if resp.status_code == 429 or "rate limit" in resp.text.lower():
            return DEFAULT_WAIT
        return None

    def _failure(self, resp: httpx.Response, what: str) -> GitHubError:
        try:
            data = resp.json()
            message = str(data.get("message", "")) if isinstance(data, dict) else ""
        except ValueError:
            message = ""
        hint = _HINTS.get(resp.status_code, "")
        text = " — ".join(part for part in (hint, message) if part)
        return GitHubError(one_line(self._token.scrub(f"GitHub {resp.status_code} on {what}" + (f": {text}" if text else "")), 240),
                           resp.status_code)

    async def _get_json(self, path: str, *, conditional: bool = False) -> Any:
        """GET `path`'s JSON; with `conditional`, send the last ETag and take a 304 as the last answer. Raises GitHubError."""
        url = self._url(path)
        cached = self._cache.get(url) if conditional else None
        try:
            resp = await self._send("GET", url, etag=cached[0] if cached else None)
        except httpx.HTTPError as exc:
            raise GitHubError(f"GitHub unreachable on GET {path.partition('?')[0]}: {_describe(exc, self._token)}") from exc
        if resp.status_code == 304 and cached is not None:
            return cached[1]
        wait = self._rate_limit_wait(resp)
        if wait is not None:
            raise GitHubRateLimited(f"GitHub rate limit: waiting {wait:.0f} s", wait, resp.status_code)
        if resp.status_code != 200:
            raise self._failure(resp, f"GET {path.partition('?')[0]}")
        try:
            data = resp.json()
        except ValueError:
            raise GitHubError(f"GitHub sent malformed JSON on GET {path.partition('?')[0]}", resp.status_code) from None
        etag = resp.headers.get("etag")
        if conditional and etag:
            self._cache[url] = (etag, data)
        return data

    async def _get_patiently(self, path: str) -> Any:
        """`_get_json`, waiting out up to `max_waits` rate limits."""
        for _ in range(self._max_waits):
            try:
                return await self._get_json(path)
            except GitHubRateLimited as exc:
                await self._sleep(exc.wait)
        return await self._get_json(path)
