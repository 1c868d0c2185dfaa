"""HTTP: the API's /health document and the dashboard pages, over long-lived clients."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from cockpit.core.redact import mask_url
from cockpit.core.text import one_line
from cockpit.probes.errors import BAD_JSON, HTTP_5XX, HTTP_STATUS, ProbeError, classify, endpoint

MAX_REDIRECTS = 5
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
        """healthy, degraded or down, from the overall status and the components."""
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


def new_client(connect_timeout: float, read_timeout: float) -> httpx.AsyncClient:
    """A keep-alive client; every phase of a request has a timeout."""
    timeout = httpx.Timeout(connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout)
    return httpx.AsyncClient(timeout=timeout, follow_redirects=False, headers={"User-Agent": "cockpit-probe"})


def _component(name: str, value: object) -> Component:
    if isinstance(value, dict):
        healthy = value.get("healthy")
        if not isinstance(healthy, bool):
            status = str(value.get("status", "")).lower()
            healthy = True if status in HEALTHY_WORDS else (False if status else None)
        detail = value.get("error") or value.get("message") or ""
        return Component(name, healthy, one_line(str(detail), 120))
    if isinstance(value, bool):
        return Component(name, value)
    return Component(name, None, one_line(str(value), 120))


def parse_health(body: bytes, latency_ms: float, status_code: int) -> HealthSample:
    """The overall status and every component of a /health body; ProbeError when not JSON."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProbeError(BAD_JSON, f"malformed JSON from /health: {one_line(str(exc), 80)}") from None
    if not isinstance(document, dict):
        raise ProbeError(BAD_JSON, "malformed JSON from /health: not an object")
    components = document.get("components") or {}
    parsed = tuple(_component(str(k), v) for k, v in components.items()) if isinstance(components, dict) else ()
    return HealthSample(latency_ms, status_code, one_line(str(document.get("status", "")), 40), parsed)


class HealthProbe:
    """GETs the API's health URL and parses it."""

    def __init__(self, url: str, client: httpx.AsyncClient) -> None:
        self.url = url
        self.where = endpoint(url)
        self.path = urlsplit(url).path or "/"
        self.client = client

    async def sample(self) -> HealthSample:
        """One GET; raise ProbeError on transport failure, 5xx, other non-2xx or bad JSON."""
        try:
            started = time.perf_counter()
            response = await self.client.get(self.url)
            latency_ms = (time.perf_counter() - started) * 1000
        except Exception as exc:
            raise classify(exc, self.where) from None
        if response.status_code >= 500:
            raise ProbeError(HTTP_5XX, f"HTTP {response.status_code} from {self.path}")
        if not 200 <= response.status_code < 300:
            raise ProbeError(HTTP_STATUS, f"HTTP {response.status_code} from {self.path}")
        return parse_health(response.content, latency_ms, response.status_code)


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
            while True:
                async with self.client.stream("GET", url) as response:
                    if ttfb_ms is None:
                        ttfb_ms = (time.perf_counter() - started) * 1000
                    await response.aread()
                location = response.headers.get("location", "")
                if not response.is_redirect or not location or redirects >= MAX_REDIRECTS:
                    break
                url, redirects = urljoin(url, location), redirects + 1
        except Exception as exc:
            raise classify(exc, self.where) from None
        total_ms = (time.perf_counter() - started) * 1000
        shown = mask_url(url) if redirects else ""
        return PageSample(self.path, response.status_code, redirects, shown, ttfb_ms, total_ms)
