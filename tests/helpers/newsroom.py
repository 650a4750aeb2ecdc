"""A small newsroom on loopback for the feed tests: feeds, sitemaps, pages, and the trouble a
real site has (a 404, a slow page, a huge page, an endless one, a PDF, robots.txt rules).

Pages carry an ETag and answer a matching ``If-None-Match`` with 304, unless ``etags`` is off.
Every request is recorded (path, User-Agent, If-None-Match), and so is the most requests the
server ever had in flight at once.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SLOW_SECONDS = 3.0


def page(title: str, *paragraphs: str, date: str = "2026-01-15") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html><head><title>{title} | Norland Newsroom</title>"
        f'<meta property="article:published_time" content="{date}"></head><body>'
        f"<nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        f"<article><h1>{title}</h1>{body}</article>"
        "<footer>Subscribe to our newsletter. © Norland</footer></body></html>"
    )


LAB = page(
    "Norland Robotics opens a research lab in Tromsø",
    "Norland Robotics announced on 15 January 2026 that it will open a marine robotics research lab in "
    "Tromsø, Norway.",
    "The lab will create 85 engineering jobs over three years and is led by Dr. Ingrid Solberg, who "
    "previously ran the company's underwater drone programme.",
    "Construction starts in March 2026 and the lab is expected to open in the autumn.",
)
CEO = page(
    "Norland Robotics names Mateo Ruiz chief executive",
    "Norland Robotics has appointed Mateo Ruiz as chief executive officer, effective 1 February 2026.",
    "Ruiz joins from a logistics automation firm, where he led its European operations for six years, "
    "and succeeds the company's founder, who becomes chair of the board.",
)


def rss(items: list[tuple[str, str]]) -> str:
    entries = "".join(
        f"<item><title>{title}</title><link>{link}</link><pubDate>Thu, 15 Jan 2026 09:00:00 GMT</pubDate></item>"
        for title, link in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Norland</title>{entries}</channel></rss>'


@dataclass
class Newsroom:
    """The site's content (path -> (content type, body)); tests change it between runs."""

    port: int = 0
    pages: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # path, User-Agent, If-None-Match
    etags: bool = True
    in_flight: int = 0
    most_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def put(self, path: str, body: str | bytes, content_type: str = "text/html; charset=utf-8") -> None:
        self.pages[path] = (content_type, body.encode() if isinstance(body, str) else body)

    def paths(self) -> list[str]:
        return [path for path, _, _ in self.requests]


def default_site(site: Newsroom) -> None:
    """The feeds, sitemaps and pages the tests start from."""
    site.put("/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
    site.put("/news/lab.html", LAB)
    site.put("/news/ceo.html", CEO)
    site.put("/private/memo.html", page("Internal memo", "Not for crawlers."))
    site.put("/files/report.pdf", b"%PDF-1.7 binary report", "application/pdf")
    site.put("/news/huge.html", page("Huge", "word " * 400_000))
    good = [
        ("Norland Robotics opens a research lab in Tromsø", "/news/lab.html"),
        ("New CEO", "/news/ceo.html"),
    ]
    site.put("/good.xml", rss(good), "application/rss+xml")
    trouble = [
        ("Missing", "/news/missing.html"),
        ("Slow", "/news/slow.html"),
        ("Huge", "/news/huge.html"),
        ("Endless", "/news/endless.html"),
        ("Report", "/files/report.pdf"),
        ("Memo", "/private/memo.html"),
    ]
    site.put("/feed.xml", rss(good + trouble), "application/rss+xml")
    site.put(
        "/atom.xml",
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Norland</title>'
        '<entry><title>Lab</title><link rel="alternate" href="/news/lab.html"/><updated>2026-01-15T09:00:00Z</updated>'
        "<id>lab</id></entry></feed>",
        "application/atom+xml",
    )
    site.put(
        "/feed.json",
        '{"version": "https://jsonfeed.org/version/1.1", "title": "Norland", '
        '"items": [{"id": "1", "url": "/news/ceo.html", "title": "CEO", "date_published": "2026-02-01T08:00:00Z"}]}',
        "application/feed+json",
    )
    site.put(
        "/sitemap_index.xml",
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{site.url('/sitemap-news.xml')}</loc></sitemap>"
        f"<sitemap><loc>{site.url('/sitemap-gone.xml')}</loc></sitemap></sitemapindex>",
        "application/xml",
    )
    site.put(
        "/sitemap-news.xml",
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{site.url('/news/lab.html')}</loc><lastmod>2026-01-15</lastmod></url>"
        f"<url><loc>{site.url('/news/ceo.html')}</loc></url></urlset>",
        "application/xml",
    )


class _Handler(BaseHTTPRequestHandler):
    site: Newsroom

    def do_GET(self) -> None:
        site = self.site
        if self.path == "/news/slow.html":
            # Before counting in flight: the client gives up long before this handler wakes.
            time.sleep(SLOW_SECONDS)
        with site.lock:
            site.requests.append(
                (self.path, self.headers.get("User-Agent", ""), self.headers.get("If-None-Match", ""))
            )
            site.in_flight += 1
            site.most_in_flight = max(site.most_in_flight, site.in_flight)
        self._counted = True
        try:
            self._answer()
        finally:
            self._answered()

    def end_headers(self) -> None:
        # A request is in flight until its response starts: the client waits for that, while
        # the rest of a body it stopped reading (size cap) may still be pushed out afterwards.
        super().end_headers()
        self._answered()

    def _answered(self) -> None:
        if getattr(self, "_counted", False):
            self._counted = False
            with self.site.lock:
                self.site.in_flight -= 1

    def _answer(self) -> None:
        if self.path == "/news/endless.html":  # no Content-Length: only counting can stop it
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            try:
                for _ in range(400):
                    self.wfile.write(b"<p>" + b"more " * 2000 + b"</p>")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client stopped reading at its size cap, as it should
            return
        found = self.site.pages.get(self.path)
        if found is None:
            self.send_error(404)
            return
        content_type, body = found
        etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
        if self.site.etags and self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if self.site.etags:
            self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that stops reading early (404 body, size cap) is expected here


@contextmanager
def newsroom() -> Iterator[Newsroom]:
    """A running newsroom on a free loopback port with `default_site`'s content."""
    site = Newsroom()
    handler = type("Handler", (_Handler,), {"site": site})
    server = _QuietServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    site.port = server.server_address[1]
    default_site(site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
