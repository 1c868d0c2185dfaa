"""Send one message to a Slack incoming webhook, and say exactly how far it got.

`POST {"text": ...}` as JSON to the channel's webhook URL. 2xx is `sent`. 429 is waited
out as its `Retry-After` says (an injectable `sleep`) and retried while the total
`deadline` allows: Slack posted nothing, so a retry cannot duplicate. Any other status is
`failed`, with Slack's answer (`invalid_payload`, `channel_not_found`, ...) cleaned and
cut (and any echo of the URL masked). No answer in time, or a connection lost after the request went out, is `unknown`:
Slack may have posted it, so it is never sent again on its own; a connection that could
not be opened is `failed` (nothing was sent).

The webhook URL is a secret (anyone holding it can post): it lives only in `Webhook.url`,
which no repr shows, and is never put in an outcome, an error or a log line; while a
request is in flight, httpx's own "HTTP Request: POST <url>" log record is rewritten.

Library: httpx, not slack-sdk's `WebhookClient`. Measured on this machine (2 cores,
Python 3.11.7, median of 9 fresh interpreters; httpx 0.28.1, slack_sdk 3.48.0):

    import, bare interpreter:        httpx 147 ms, +18.0 MiB RSS   slack_sdk.webhook 105 ms, +15.0 MiB
    import, in the engine process:   httpx   0 ms (already there)  slack_sdk.webhook  25 ms,  +1.6 MiB
    client:                          httpx.AsyncClient() 78 ms once (CA bundle; 0 with the
                                     engine's long-lived client)    WebhookClient() 0.1 ms, but urllib
                                     builds a TLS context per send (40-50 ms)

The costs are close; what it gives decided. `WebhookClient` is synchronous (urllib): each
send holds an executor thread that cannot be cancelled, with a per-socket-operation
timeout only (the async client needs aiohttp, not a dependency). Its
`RateLimitErrorRetryHandler` waits with `time.sleep(int(Retry-After) + random())` in that
thread: not injectable, not bounded by a deadline. Its default `ConnectionErrorRetryHandler`
re-sends after a reset connection, when Slack may already have posted: a duplicate message,
so it would have to be switched off. And it logs the URL (`Sending a request - url: ...`
at DEBUG, `req.full_url` on retries) and keeps it in every `WebhookResponse`. With both
handlers off, what remains is one JSON POST: a few lines of httpx, which is already a
dependency, async, cancellable, and shares the engine's client.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal
from urllib.parse import urlsplit

import httpx
import orjson

from cockpit.core.logline import clean_message

SendState = Literal["sent", "failed", "unknown"]

TIMEOUT = 10.0
"""Seconds of silence in any phase (connect, send, answer) before a request is given up."""
DEADLINE = 60.0
"""Seconds a send may spend in all, waits for rate limits included (plus one request's time)."""
MAX_ATTEMPTS = 5
RESPONSE_CHARS = 300
"""Characters kept of Slack's answer."""

_READ_BYTES = 4096  # Slack's answers are a word; a proxy's error page is not read past this
_DEFAULT_RETRY_AFTER = 1.0
_VARIABLE_PREFIX = "SLACK_WEBHOOK_"


class SlackConfigError(ValueError):
    """A channel without a usable webhook: the message names the variable, never its value."""


@dataclass(frozen=True)
class Webhook:
    """Where a channel's messages go. `url` is the secret: repr shows the channel and variable only."""

    channel: str
    variable: str
    url: str = field(repr=False)


@dataclass(frozen=True)
class SlackOutcome:
    """What became of one message: evidence for the step and the journal (no secret in it).

    `state` is `sent`, `failed` (Slack refused it or it never left) or `unknown` (it went
    out and no answer came: it may have been posted). `status` is Slack's last HTTP status
    (None without an answer), `response` its answer cleaned and cut, `attempts` how many
    requests were made, `detail` one line for a person.
    """

    state: SendState
    channel: str
    status: int | None
    response: str
    attempts: int
    detail: str

    @property
    def sent(self) -> bool:
        return self.state == "sent"


def variable_for(channel: str) -> str:
    """`#engineering` -> `SLACK_WEBHOOK_ENGINEERING`, `deploy-alerts` -> `SLACK_WEBHOOK_DEPLOY_ALERTS`."""
    name = channel.strip().removeprefix("#")
    if not name or not re.search(r"[A-Za-z0-9]", name):
        raise SlackConfigError(f"not a Slack channel name: {clean_message(channel, 80)!r}")
    return _VARIABLE_PREFIX + re.sub(r"[^A-Z0-9]", "_", name.upper())


def webhook_for(channel: str, environ: Mapping[str, str]) -> Webhook:
    """The webhook of `channel` from `environ`; SlackConfigError naming the variable when unset or not a URL."""
    variable = variable_for(channel)
    url = environ.get(variable, "").strip()
    shown = "#" + clean_message(channel.strip().removeprefix("#"), 80)
    if not url:
        raise SlackConfigError(f"{variable} is not set: it holds the Slack webhook URL for {shown}")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise SlackConfigError(f"{variable} does not hold an http(s) URL (the Slack webhook for {shown})")
    return Webhook(shown, variable, url)


async def send_message(
    webhook: Webhook,
    text: str,
    *,
    timeout: float = TIMEOUT,
    deadline: float = DEADLINE,
    client: httpx.AsyncClient | None = None,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> SlackOutcome:
    """Post `text` to `webhook`; never raises for what the network or Slack does.

    `client` is the caller's long-lived httpx client (one is made for this send when None).
    `sleep` and `clock` are injectable so a test can wait out a rate limit without waiting.
    """
    if not text.strip():
        return SlackOutcome("failed", webhook.channel, None, "", 0, "not sent: the message is empty")
    payload = orjson.dumps({"text": text})
    if client is not None:
        return await _send(client, webhook, payload, timeout, deadline, sleep, clock)
    async with httpx.AsyncClient(follow_redirects=False) as own:
        return await _send(own, webhook, payload, timeout, deadline, sleep, clock)


@dataclass(frozen=True)
class _Answer:
    status: int
    body: str
    retry_after: str | None


async def _send(
    client: httpx.AsyncClient, webhook: Webhook, payload: bytes, timeout: float, deadline: float,
    sleep: Callable[[float], Awaitable[object]], clock: Callable[[], float],
) -> SlackOutcome:
    started = clock()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        answer = await _post(client, webhook, payload, timeout)
        if not isinstance(answer, _Answer):
            state, detail = answer
            return SlackOutcome(state, webhook.channel, None, "", attempt, detail)
        response = clean_message(_without_url(answer.body.strip(), webhook.url), RESPONSE_CHARS)
        if 200 <= answer.status < 300:
            return SlackOutcome("sent", webhook.channel, answer.status, response, attempt, f"posted to {webhook.channel}")
        if answer.status != 429:
            return SlackOutcome("failed", webhook.channel, answer.status, response, attempt, f"Slack refused it: HTTP {answer.status} {response or '(no answer text)'}")
        wait = retry_after_seconds(answer.retry_after)
        if attempt == MAX_ATTEMPTS or clock() - started + wait > deadline:
            detail = f"not sent: rate limited by Slack (HTTP 429, wait {wait:g} s) after {attempt} attempt{'s' if attempt > 1 else ''} within the {deadline:g} s deadline"
            return SlackOutcome("failed", webhook.channel, 429, response, attempt, detail)
        await sleep(wait)
    raise AssertionError("unreachable: the last attempt returns")


async def _post(client: httpx.AsyncClient, webhook: Webhook, payload: bytes, timeout: float) -> _Answer | tuple[SendState, str]:
    """One request: Slack's answer, or (state, detail) when there was none."""
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "cockpit"}
    _IN_FLIGHT.add(webhook.url)
    try:
        async with asyncio.timeout(2 * timeout):  # httpx's timeouts are per phase; a trickling answer is bounded here
            async with client.stream("POST", webhook.url, content=payload, headers=headers, timeout=httpx.Timeout(timeout)) as response:
                body = await _read_capped(response)
                return _Answer(response.status_code, body.decode("utf-8", "replace"), response.headers.get("Retry-After"))
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        return "failed", f"not sent: cannot connect to {_host(webhook)} ({_reason(exc, webhook)})"
    except (httpx.UnsupportedProtocol, httpx.InvalidURL):
        return "failed", f"not sent: {webhook.variable} is not a valid http(s) URL"
    except (TimeoutError, httpx.TimeoutException):
        return "unknown", f"no answer from {_host(webhook)} within {timeout:g} s: it may have been posted; not sent again"
    except httpx.HTTPError as exc:
        return "unknown", f"connection to {_host(webhook)} lost before an answer ({_reason(exc, webhook)}): it may have been posted; not sent again"
    finally:
        _IN_FLIGHT.discard(webhook.url)


async def _read_capped(response: httpx.Response) -> bytes:
    body = bytearray()
    async for chunk in response.aiter_raw():
        body += chunk
        if len(body) >= _READ_BYTES:
            break
    return bytes(body[:_READ_BYTES])


def retry_after_seconds(value: str | None, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> float:
    """Seconds a `Retry-After` header asks for: delta-seconds or an HTTP date; 1 s when absent or unreadable."""
    if value is None:
        return _DEFAULT_RETRY_AFTER
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - now()).total_seconds()
        except (TypeError, ValueError):
            return _DEFAULT_RETRY_AFTER
    return max(0.0, seconds) if seconds == seconds else _DEFAULT_RETRY_AFTER  # NaN is unreadable


def _host(webhook: Webhook) -> str:
    return clean_message(urlsplit(webhook.url).hostname or "the webhook host", 100)


def _reason(exc: BaseException, webhook: Webhook) -> str:
    """An exception's text, one line, with every trace of the webhook URL taken out."""
    return clean_message(_without_url(str(exc) or type(exc).__name__, webhook.url), 200)


def _without_url(text: str, url: str) -> str:
    """`text` with the URL (as given and as httpx writes it), its path and last segment replaced by `***`."""
    path = urlsplit(url).path
    try:
        normalized = str(httpx.URL(url))
    except httpx.InvalidURL:
        normalized = url
    for secret in sorted({url, normalized, path, path.rstrip("/").rsplit("/", 1)[-1]}, key=len, reverse=True):
        if len(secret) > 1:
            text = text.replace(secret, "***")
    return text


# -- httpx logs "HTTP Request: POST <url> ..." at INFO: the URL of a send in flight is masked.

_IN_FLIGHT: set[str] = set()


class _MaskWebhooks(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if _IN_FLIGHT:
            message = record.getMessage()
            masked = message
            for url in list(_IN_FLIGHT):
                masked = _without_url(masked, url)
            if masked != message:
                record.msg, record.args = masked, None
        return True


logging.getLogger("httpx").addFilter(_MaskWebhooks())
