"""Ingest the articles that newsroom feeds and sitemaps link to, idempotently.

    feeds, sitemaps ─fetch─> article links ─fetch each (politely)─> HTML ─trafilatura─> Article
                                                                      └─> store (changed only)

Each page becomes one document: its doc_id is made from its URL (``example.org/news/lab``),
its ``url`` is the link as the feed gives it, its path ``web:URL`` (so ``qa ingest --prune``
of a corpus folder never removes it). Running the same feeds again is how a bot stays current:

* a page whose server answers a conditional request with 304 (same ETag / Last-Modified as last
  time, remembered in ``state_file``) is not even downloaded again;
* a page downloaded again with the same text is not re-embedded (its content hash is stored);
* a changed page replaces its chunks.

A URL that fails (HTTP error, timeout, too big, not HTML, disallowed by robots.txt, no text)
is reported in ``failures`` and skipped; every other page is still ingested.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ingest.feeds import Link, feed_links, sitemap_links
from ingest.fetching import Fetched, PoliteFetcher, Validators
from ingest.loading import article_from_html
from ingest.pipeline import WEB_PATH_PREFIX, IngestReport, Progress, refresh_lexical, write_changed
from qa.errors import ArticleError
from qa.index.lexical import LexicalIndex
from qa.index.store import ChromaStore
from qa.types import Article

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_MAX_DOC_ID = 200


@dataclass
class WebIngestReport(IngestReport):
    links: int = 0  # article links found in the feeds and sitemaps
    not_modified: int = 0  # pages the server said were unchanged (304): not downloaded
    over_limit: int = 0  # links beyond max_pages, left for a later run


@dataclass
class WebSources:
    feeds: Sequence[str] = ()
    sitemaps: Sequence[str] = ()
    max_pages: int = 500


@dataclass(frozen=True)
class _Page:
    link: Link
    doc_id: str


def ingest_web(
    sources: WebSources,
    fetcher: PoliteFetcher,
    store: ChromaStore,
    lexical: LexicalIndex,
    state_file: Path,
    *,
    chunk_size: int = 900,
    overlap: int = 1,
    batch_chunks: int = 128,
    progress: Progress | None = None,
) -> WebIngestReport:
    """Fetch the pages the feeds and sitemaps link to and bring the store in line with them."""
    started = time.perf_counter()
    report = WebIngestReport()
    links = discover(sources, fetcher, report)
    report.links = len(links)
    report.over_limit = max(0, len(links) - sources.max_pages)
    state = _load_state(state_file)
    stored = store.document_hashes()
    articles: list[Article] = []
    fresh: dict[str, Validators] = {}
    for link in links[: sources.max_pages]:
        page = _Page(link, url_doc_id(link.url))
        known = state.get(link.url) if page.doc_id in stored else None
        try:
            fetched = fetcher.fetch(link.url, known)
            if fetched.status == 304 and known is not None:
                report.unchanged.append(page.doc_id)
                report.not_modified += 1
                fresh[link.url] = known
                continue
            articles.append(page_article(page, fetched))
            fresh[link.url] = fetched.validators
        except ArticleError as exc:
            report.failures.append(exc if exc.path == link.url else ArticleError(link.url, exc.reason))
    write_changed(articles, store, report, chunk_size, overlap, batch_chunks, progress)
    refresh_lexical(store, lexical, report)
    _save_state(state_file, {**state, **fresh})
    report.seconds = time.perf_counter() - started
    return report


def discover(sources: WebSources, fetcher: PoliteFetcher, report: IngestReport) -> list[Link]:
    """The article links of every feed, then every sitemap, each link once; a feed or sitemap
    that fails is reported and skipped."""
    links: list[Link] = []
    for url in sources.feeds:
        try:
            links += feed_links(fetcher.fetch(url))
        except ArticleError as exc:
            report.failures.append(exc)
    for url in sources.sitemaps:
        try:
            links += sitemap_links(fetcher.fetch(url), fetcher.fetch)
        except ArticleError as exc:
            report.failures.append(exc)
    unique = {link.url: link for link in reversed(links)}  # the first mention of a URL wins
    return [unique[url] for url in dict.fromkeys(link.url for link in links)]


def page_article(page: _Page, fetched: Fetched) -> Article:
    """The Article of a fetched page; ArticleError when it is not HTML or has no main text."""
    if fetched.content_type not in HTML_TYPES:
        kind = fetched.content_type or "none given"
        raise ArticleError(page.link.url, f"not an HTML page (content type {kind})")
    html = fetched.content.decode(_codec(fetched.encoding), errors="replace")
    article = article_from_html(html, page.doc_id, page.link.url)
    return article.model_copy(
        update={
            "title": page.link.title or article.title,  # a feed's title has no " | Site name" tail
            "date": article.date or page.link.date,
            "source": article.source or urlsplit(page.link.url).netloc,
            "url": page.link.url,
            "path": WEB_PATH_PREFIX + page.link.url,
        }
    )


def url_doc_id(url: str) -> str:
    """A readable, stable doc_id for a page: host, path and query (``example.org/news/lab``);
    a long one is cut and completed by a hash of the whole URL."""
    parts = urlsplit(url)
    doc_id = (parts.netloc.lower() + parts.path).rstrip("/") + (f"?{parts.query}" if parts.query else "")
    if len(doc_id) > _MAX_DOC_ID:
        digest = hashlib.sha256(url.encode()).hexdigest()[:12]
        doc_id = f"{doc_id[: _MAX_DOC_ID - 13]}-{digest}"
    return doc_id


def _codec(encoding: str) -> str:
    import codecs

    try:
        return codecs.lookup(encoding).name if encoding else "utf-8"
    except LookupError:
        return "utf-8"


def _load_state(path: Path) -> dict[str, Validators]:
    """ETag and Last-Modified per URL from the last run (empty when there was none or it is unreadable)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        url: Validators(str(v.get("etag", "")), str(v.get("last_modified", "")))
        for url, v in data.items()
        if isinstance(v, dict)
    }


def _save_state(path: Path, state: dict[str, Validators]) -> None:
    """Write the state atomically (a run killed while writing keeps the old one)."""
    plain = {url: asdict(v) for url, v in state.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(plain, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(partial, path)
