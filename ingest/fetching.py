"""Polite HTTP fetching for feeds, sitemaps and article pages.

One request at a time (the caller fetches in order), so one host never gets two at once; a
pause of ``delay`` seconds between two requests to the same host, longer when its robots.txt
asks for a ``Crawl-delay``; a User-Agent naming the project; robots.txt read once per host and
obeyed (RFC 9309: a missing robots.txt allows everything, one that fails with 5xx or cannot be
reached allows nothing); a time limit for the whole response, not only for each read; a size
cap checked against Content-Length and again while the body streams in; conditional requests
(``If-None-Match`` / ``If-Modified-Since``) so an unchanged page costs a 304 and nothing more.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from qa.errors import ArticleError

MAX_REDIRECTS = 5


class FetchError(ArticleError):
    """A URL that could not be fetched (or may not be); carries the URL and the reason."""

    code = "fetch_error"


@dataclass(frozen=True)
class Validators:
    """What the server said identifies this version of a page (for a conditional request)."""

    etag: str = ""
    last_modified: str = ""


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    status: int  # 200, or 304 when the page has not changed since ``validators``
    content: bytes
    content_type: str  # media type only, lower case ("text/html")
    validators: Validators
    encoding: str = ""  # the charset the server declared, if any


class PoliteFetcher:
    """Fetches URLs one at a time under the rules in the module docstring."""

    def __init__(
        self,
        user_agent: str,
        *,
        timeout: float = 20.0,
        max_bytes: int = 5 * 1024 * 1024,
        delay: float = 1.0,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.user_agent = user_agent
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.delay = delay
        self.clock = clock
        self.sleep = sleep
        self._client = httpx.Client(
            headers={"User-Agent": user_agent},
            timeout=httpx.Timeout(timeout),
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            transport=transport,
        )
        self._robots: dict[str, RobotFileParser | None] = {}  # by origin; None: nothing allowed
        self._last_request: dict[str, float] = {}

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> PoliteFetcher:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def fetch(self, url: str, validators: Validators | None = None) -> Fetched:
        """The response to GET ``url`` (status 200, or 304 for an unchanged page); FetchError for a
        URL that is not http(s), disallowed by robots.txt, fails, answers another status, takes
        longer than the timeout in all or is bigger than the size cap."""
        origin = _origin(url)
        if not self.allowed(url):
            raise FetchError(url, f"disallowed by {origin}/robots.txt for {self.user_agent!r}")
        headers = {}
        if validators is not None and validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators is not None and validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        return self._get(url, headers)

    def allowed(self, url: str) -> bool:
        """Whether robots.txt of the URL's host lets our User-Agent fetch it (FetchError when the
        URL is not http(s))."""
        origin = _origin(url)
        if origin not in self._robots:
            self._robots[origin] = self._read_robots(origin)
        rules = self._robots[origin]
        return rules is not None and rules.can_fetch(self.user_agent, url)

    def _read_robots(self, origin: str) -> RobotFileParser | None:
        rules = RobotFileParser(f"{origin}/robots.txt")
        try:
            response = self._get(f"{origin}/robots.txt", {}, robots=True)
        except FetchError as exc:
            if exc.reason.startswith("HTTP 4"):
                rules.parse([])  # no robots.txt: everything is allowed
                return rules
            return None  # unreachable or failing: assume everything is disallowed (RFC 9309)
        rules.parse(response.content.decode("utf-8", errors="replace").splitlines())
        return rules

    def _get(self, url: str, headers: dict[str, str], robots: bool = False) -> Fetched:
        self._wait_turn(_origin(url), robots)
        started = self.clock()
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                if response.status_code == 304:
                    return Fetched(str(response.url), 304, b"", "", _validators(response))
                if response.status_code != 200:
                    raise FetchError(url, f"HTTP {response.status_code}")
                length = response.headers.get("content-length", "")
                if length.isdigit() and int(length) > self.max_bytes:
                    raise FetchError(url, _too_big(int(length), self.max_bytes))
                body = bytearray()
                for piece in response.iter_bytes():
                    body += piece
                    if len(body) > self.max_bytes:
                        raise FetchError(url, _too_big(len(body), self.max_bytes, "at least "))
                    if self.clock() - started > self.timeout:
                        raise FetchError(
                            url, f"took longer than {self.timeout:g} s (QA_FEED_TIMEOUT_SECONDS)"
                        )
                kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
                return Fetched(
                    str(response.url),
                    200,
                    bytes(body),
                    kind,
                    _validators(response),
                    response.charset_encoding or "",
                )
        except httpx.TimeoutException:
            raise FetchError(
                url, f"no response within {self.timeout:g} s (QA_FEED_TIMEOUT_SECONDS)"
            ) from None
        except httpx.TooManyRedirects:
            raise FetchError(url, f"more than {MAX_REDIRECTS} redirects") from None
        except httpx.HTTPError as exc:
            raise FetchError(url, f"request failed: {type(exc).__name__}: {exc}") from None

    @property
    def _timeout_text(self) -> str:
        return f"{self.timeout:g} s (QA_FEED_TIMEOUT_SECONDS)"

    def _wait_turn(self, origin: str, robots: bool) -> None:
        """Sleep until this host's pause since our last request to it has passed."""
        pause = self.delay
        rules = None if robots else self._robots.get(origin)
        crawl_delay = rules.crawl_delay(self.user_agent) if rules is not None else None
        if crawl_delay is not None:
            pause = max(pause, float(crawl_delay))
        last = self._last_request.get(origin)
        if last is not None and pause > 0:
            wait = last + pause - self.clock()
            if wait > 0:
                self.sleep(wait)
        self._last_request[origin] = self.clock()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise FetchError(url, "not an http(s) URL")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def _validators(response: httpx.Response) -> Validators:
    return Validators(response.headers.get("etag", ""), response.headers.get("last-modified", ""))


def _too_big(size: int, limit: int, prefix: str = "") -> str:
    return f"{prefix}{size:,} bytes, over the {limit:,}-byte limit (QA_FEED_MAX_BYTES)"
