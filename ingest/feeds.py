"""Article links from newsroom feeds and sitemaps.

* Feeds: RSS 0.9x/1.0/2.0 and Atom through ``feedparser`` (given the bytes we fetched, so it
  never fetches anything itself); JSON Feed 1.x is plain JSON (``items[].url``).
* Sitemaps: ``<urlset>`` and ``<sitemapindex>`` (followed, at most three levels), plain or
  gzipped, parsed with lxml with entities and network access off.

Every link is resolved against the document's URL; only http(s) links count, each once.
"""

from __future__ import annotations

import gzip
import io
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag, urljoin

from ingest.fetching import Fetched, FetchError

SITEMAP_DEPTH = 3
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class Link:
    """An article link with what the feed says about it (the page itself may say more)."""

    url: str
    title: str = ""
    date: str = ""  # ISO 8601 date, when given


def feed_links(fetched: Fetched) -> list[Link]:
    """The article links of an RSS, Atom or JSON feed; FetchError when it is none of these."""
    text = fetched.content.lstrip()
    if text.startswith(b"{"):
        return _json_feed_links(fetched)
    if _sitemap_root(fetched.content) is not None:
        raise FetchError(fetched.url, "this is a sitemap, not a feed: use --sitemap")
    import feedparser  # only when a feed is read

    parsed = feedparser.parse(
        io.BytesIO(fetched.content),
        response_headers={
            "content-location": fetched.url,
            "content-type": fetched.content_type or "text/xml",
        },
    )
    if not parsed.get("version"):
        raise FetchError(fetched.url, "not an RSS, Atom or JSON feed")
    links = []
    for entry in parsed.entries:
        href = entry.get("link") or next(
            (link.get("href") for link in entry.get("links", []) if link.get("rel") == "alternate"), ""
        )
        date = entry.get("published_parsed") or entry.get("updated_parsed")
        links.append(
            Link(
                _absolute(fetched.url, href),
                " ".join(str(entry.get("title", "")).split()),
                f"{date.tm_year:04d}-{date.tm_mon:02d}-{date.tm_mday:02d}" if date else "",
            )
        )
    return _unique(links)


def sitemap_links(
    fetched: Fetched, fetch: Callable[[str], Fetched], depth: int = SITEMAP_DEPTH
) -> list[Link]:
    """The page links of a sitemap, following a sitemap index's sitemaps with ``fetch`` (at most
    ``depth`` levels); FetchError when the document is no sitemap. A nested sitemap that fails
    is skipped with the others kept, unless every one failed."""
    root = _sitemap_root(_gunzipped(fetched))
    if root is None:
        raise FetchError(fetched.url, "not a sitemap (<urlset> or <sitemapindex>)")
    kind = _local(root)
    entries = [_entry(fetched.url, element) for element in root if _local(element) in ("url", "sitemap")]
    found = [link for link in entries if link.url]
    if kind == "urlset":
        return _unique(found)
    if depth <= 1:
        raise FetchError(fetched.url, f"sitemap indexes nested deeper than {SITEMAP_DEPTH} levels")
    links: list[Link] = []
    failures: list[FetchError] = []
    for nested in found:
        try:
            links += sitemap_links(fetch(nested.url), fetch, depth - 1)
        except FetchError as exc:
            failures.append(exc)
    if failures and len(failures) == len(found):
        raise failures[0]
    return _unique(links)


def _json_feed_links(fetched: Fetched) -> list[Link]:
    try:
        feed: Any = json.loads(fetched.content)
    except (ValueError, RecursionError):
        raise FetchError(fetched.url, "not valid JSON: no JSON Feed") from None
    items = feed.get("items") if isinstance(feed, dict) else None
    if not isinstance(items, list) or "jsonfeed.org" not in str(feed.get("version", "")):
        raise FetchError(fetched.url, "not a JSON Feed (no 'version' from jsonfeed.org and 'items' list)")
    links = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("url"), str):
            date = str(item.get("date_published") or item.get("date_modified") or "")[:10]
            links.append(Link(_absolute(fetched.url, item["url"]), str(item.get("title", "")), date))
    return _unique(links)


def _sitemap_root(content: bytes) -> Any:
    """The root element when ``content`` is a sitemap (urlset or sitemapindex), else None."""
    from lxml import etree  # trafilatura's dependency; loaded only for sitemaps

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError:
        return None
    if root is None or not isinstance(root.tag, str):
        return None
    return root if _local(root) in ("urlset", "sitemapindex") else None


def _local(element: Any) -> str:
    """The element's tag without its namespace ("" for comments and processing instructions)."""
    return element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""


def _entry(base: str, element: Any) -> Link:
    fields = {_local(child): (child.text or "").strip() for child in element}
    return Link(_absolute(base, fields.get("loc", "")), date=fields.get("lastmod", "")[:10])


def _gunzipped(fetched: Fetched) -> bytes:
    """The content, decompressed when it is gzip (sitemap.xml.gz), within the size it came with
    times a bound, so a small bomb cannot fill memory."""
    if not fetched.content.startswith(_GZIP_MAGIC):
        return fetched.content
    limit = max(len(fetched.content) * 50, 10 * 1024 * 1024)
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(fetched.content, limit)
    except (zlib.error, gzip.BadGzipFile):
        raise FetchError(fetched.url, "a broken gzip file") from None
    if inflater.unconsumed_tail:
        raise FetchError(fetched.url, f"decompresses to over {limit:,} bytes")
    return data


def _absolute(base: str, href: str) -> str:
    """``href`` resolved against ``base``, without its fragment; empty unless it is http(s)."""
    url = urldefrag(urljoin(base, href.strip()))[0] if href else ""
    return url if url.startswith(("http://", "https://")) else ""


def _unique(links: list[Link]) -> list[Link]:
    seen: set[str] = set()
    unique = []
    for link in links:
        if link.url and link.url not in seen:
            seen.add(link.url)
            unique.append(link)
    return unique
