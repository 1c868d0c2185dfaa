"""HTTP: the API's /health document and the dashboard pages, over long-lived clients."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from cockpit.core.redact import mask_url, redact_secrets
from cockpit.core.text import one_line
from cockpit.probes.errors import BAD_JSON, HTTP_5XX, HTTP_STATUS, ProbeError, classify, endpoint

MAX_REDIRECTS = 5
MAX_BODY = 1 << 20  # /health answers are small; more than 1 MiB is not a health document
MAX_COMPONENTS = 50
HEALTHY_WORDS = ("healthy", "ok", "up", "pass", "green")
DEGRADED_WORDS = ("degraded", "warn", "warning", "partial", "yellow")


@dataclass(frozen=True)
class Component:
    """One entry under `components` of /health: healthy is None when it does not say."""

    name: str
    healthy: bool | None
    detail: str = ""


@dataclass(frozen=True)
class HealthSample:
    """A parsed /health answer."""

    latency_ms: float
    status_code: int
    overall: str
    components: tuple[Component, ...]

    @property
    def state(self) -> str:
        """healthy, degraded or down, from the HTTP status, the overall status and the components."""
        if self.status_code >= 500:
            return "down"
        word = self.overall.lower()
        if word in HEALTHY_WORDS:
            state = "healthy"
        elif word in DEGRADED_WORDS:
            state = "degraded"
        else:
            state = "down"
        if state == "healthy" and any(c.healthy is False for c in self.components):
            state = "degraded"
        return state


@dataclass(frozen=True)
class PageSample:
    """One dashboard page: final status, redirects followed, time to first byte."""

    path: str
    status_code: int
    redirects: int
    location: str
    ttfb_ms: float
    total_ms: float

    @property
    def loads(self) -> bool:
        """A 2xx in the end."""
        return 200 <= self.status_code < 300

    @property
    def outcome(self) -> str:
        """`HTTP 200`, or `HTTP 200 after 1 redirect(s) to https://…/login`."""
        hops = f" after {self.redirects} redirect(s) to {self.location}" if self.redirects else ""
        return f"HTTP {self.status_code}{hops}"


def new_client(connect_timeout: float, read_timeout: float) -> httpx.AsyncClient:
    """A keep-alive client; every phase of a request has a timeout."""
    timeout = httpx.Timeout(connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout)
    return httpx.AsyncClient(timeout=timeout, follow_redirects=False, headers={"User-Agent": "cockpit-probe"})


def _deadline(client: httpx.AsyncClient) -> float:
    """The longest one request may take in all: a server that drips a byte per read
    timeout would otherwise keep a probe waiting forever."""
    return (client.timeout.connect or 0) + (client.timeout.read or 0)


def _component(name: str, value: object) -> Component:
    name = one_line(name, 40) or "?"  # names come from the server: data, never escapes
    if isinstance(value, dict):
        healthy = value.get("healthy")
        if not isinstance(healthy, bool):
            status = str(value.get("status", "")).lower()
            healthy = True if status in HEALTHY_WORDS else (False if status else None)
        detail = value.get("error") or value.get("message") or ""
        return Component(name, healthy, one_line(redact_secrets(str(detail)), 120))
    if isinstance(value, bool):
        return Component(name, value)
    return Component(name, None, one_line(redact_secrets(str(value)), 120))


def parse_health(body: bytes, latency_ms: float, status_code: int) -> HealthSample:
    """The overall status and the components (at most MAX_COMPONENTS) of a /health body."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ProbeError(BAD_JSON, f"malformed JSON from /health: {one_line(str(exc), 80)}") from None
    if not isinstance(document, dict):
        raise ProbeError(BAD_JSON, "malformed JSON from /health: not an object")
    components = document.get("components") or {}
    items = list(components.items())[:MAX_COMPONENTS] if isinstance(components, dict) else []
    parsed = tuple(_component(str(k), v) for k, v in items)
    return HealthSample(latency_ms, status_code, one_line(str(document.get("status", "")), 40), parsed)


async def _read_capped(response: httpx.Response) -> bytes:
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > MAX_BODY:
            raise ProbeError(BAD_JSON, f"/health answer over {MAX_BODY >> 20} MiB: not a health document")
    return bytes(body)


class HealthProbe:
    """GETs the API's health URL and parses it."""

    def __init__(self, url: str, client: httpx.AsyncClient) -> None:
        self.url = url
        self.where = endpoint(url)
        self.path = urlsplit(url).path or "/"
        self.client = client

    async def sample(self) -> HealthSample:
        """One GET. A 5xx with a JSON body is a (down) sample: its components say what failed.

        Raises ProbeError on transport failure, a non-2xx without a health document,
        or a body that is not one.
        """
        try:
            async with asyncio.timeout(_deadline(self.client)):
                started = time.perf_counter()
                async with self.client.stream("GET", self.url) as response:
                    body = await _read_capped(response)
                latency_ms = (time.perf_counter() - started) * 1000
        except ProbeError:
            raise
        except Exception as exc:
            raise classify(exc, self.where) from None
        code = response.status_code
        if code >= 500:  # a 503 that lists its components says which one failed
            try:
                sample = parse_health(body, latency_ms, code)
            except ProbeError:
                sample = None
            if sample is None or not (sample.components or sample.overall):
                raise ProbeError(HTTP_5XX, f"HTTP {code} from {self.path}")
            return sample
        if not 200 <= code < 300:
            raise ProbeError(HTTP_STATUS, f"HTTP {code} from {self.path}")
        return parse_health(body, latency_ms, code)


class PageProbe:
    """Loads one dashboard page, following redirects by hand to count them."""

    def __init__(self, base_url: str, path: str, client: httpx.AsyncClient) -> None:
        self.path = path
        self.url = base_url.rstrip("/") + path
        self.where = endpoint(self.url)
        self.client = client

    async def sample(self) -> PageSample:
        """Status, redirects and time to first byte (of the first response)."""
        url, redirects, ttfb_ms = self.url, 0, None
        started = time.perf_counter()
        try:
            async with asyncio.timeout(_deadline(self.client) * (MAX_REDIRECTS + 1)):
                while True:
                    async with self.client.stream("GET", url) as response:
                        if ttfb_ms is None:
                            ttfb_ms = (time.perf_counter() - started) * 1000
                        await _drain(response)
                    location = response.headers.get("location", "")
                    if not response.is_redirect or not location or redirects >= MAX_REDIRECTS:
                        break
                    url, redirects = urljoin(url, location), redirects + 1
        except Exception as exc:
            raise classify(exc, self.where) from None
        total_ms = (time.perf_counter() - started) * 1000
        shown = one_line(mask_url(url), 120) if redirects else ""
        return PageSample(self.path, response.status_code, redirects, shown, ttfb_ms, total_ms)


async def _drain(response: httpx.Response) -> None:
    """Read the page (so the connection is reused), but no more than MAX_BODY of it."""
    read = 0
    async for chunk in response.aiter_bytes():
        read += len(chunk)
        if read > MAX_BODY:
            return  # closing the stream drops this connection: fine for a huge page
