"""`qa ingest --feed/--sitemap`: feeds and sitemaps of a newsroom on loopback (tests/ingest/newsroom.py)
fetched politely into a real Chroma store on tmp_path, page by page, idempotently."""

from __future__ import annotations

import gzip
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from ingest.feeds import feed_links, sitemap_links
from ingest.fetching import Fetched, FetchError, PoliteFetcher, Validators
from ingest.pipeline import ingest_paths
from ingest.web import WebIngestReport, WebSources, ingest_web, url_doc_id
from qa.index.lexical import LexicalIndex
from qa.index.store import ChromaStore
from tests.helpers.fakes import FakeEmbedder
from tests.helpers.newsroom import LAB, Newsroom, newsroom, rss
from tests.helpers.servers import serve_env

AGENT = "announcements-qa-test/1.0 (feed ingest)"
MAX_BYTES = 1_000_000


@pytest.fixture
def site() -> Iterator[Newsroom]:
    with newsroom() as running:
        yield running


@dataclass
class Run:
    """A store on tmp_path and a way to ingest feeds into it, as `qa ingest --feed` does."""

    store: ChromaStore
    lexical: LexicalIndex
    state: Path
    sleeps: list[float]

    def __call__(
        self, feeds: Sequence[str] = (), sitemaps: Sequence[str] = (), max_pages: int = 500
    ) -> WebIngestReport:
        with PoliteFetcher(
            AGENT, timeout=1.0, max_bytes=MAX_BYTES, delay=0.0, sleep=self.sleeps.append
        ) as fetcher:
            return ingest_web(
                WebSources(feeds, sitemaps, max_pages), fetcher, self.store, self.lexical, self.state
            )


@pytest.fixture
def run(tmp_path: Path) -> Run:
    store = ChromaStore(FakeEmbedder(), tmp_path / "data")
    return Run(store, LexicalIndex(tmp_path / "data" / "lexical"), tmp_path / "data" / "feeds.json", [])


def reasons(report: WebIngestReport) -> dict[str, str]:
    return {f.path: f.reason for f in report.failures}


def test_a_feed_ingests_its_pages_and_reports_each_failure(site: Newsroom, run: Run) -> None:
    report = run([site.url("/feed.xml")])
    lab, ceo = url_doc_id(site.url("/news/lab.html")), url_doc_id(site.url("/news/ceo.html"))
    assert report.links == 8 and sorted(report.new) == sorted([lab, ceo])
    failed = reasons(report)
    assert failed[site.url("/news/missing.html")] == "HTTP 404"
    assert failed[site.url("/news/slow.html")].startswith("no response within 1 s (QA_FEED_TIMEOUT_SECONDS)")
    assert "over the 1,000,000-byte limit (QA_FEED_MAX_BYTES)" in failed[site.url("/news/huge.html")]
    assert "over the 1,000,000-byte limit" in failed[site.url("/news/endless.html")]
    assert failed[site.url("/files/report.pdf")] == "not an HTML page (content type application/pdf)"
    assert failed[site.url("/private/memo.html")].startswith(f"disallowed by {site.base}/robots.txt")
    assert len(failed) == 6
    doc = run.store.get_document(lab)
    assert doc.url == site.url("/news/lab.html") and doc.path == "web:" + doc.url
    assert doc.title == "Norland Robotics opens a research lab in Tromsø"  # the feed's, without the site tail
    assert doc.date == "2026-01-15" and doc.source == f"127.0.0.1:{site.port}"
    assert "85 engineering jobs" in doc.text
    assert "Subscribe" not in doc.text and "Home" not in doc.text  # page furniture is gone
    assert "/private/memo.html" not in site.paths()  # robots.txt obeyed: never requested
    assert site.paths().count("/robots.txt") == 1
    assert {agent for _, agent, _ in site.requests} == {AGENT}
    # One request at a time; the server may still hold the slow page the client gave up on.
    assert site.most_in_flight <= 2


def test_a_second_run_downloads_nothing_new_and_a_changed_page_replaces_its_chunks(
    site: Newsroom, run: Run
) -> None:
    feed = site.url("/good.xml")
    lab = url_doc_id(site.url("/news/lab.html"))
    first = run([feed])
    assert len(first.new) == 2 and first.chunks_written > 0
    site.requests.clear()
    again = run([feed])
    assert (again.new, again.changed, again.chunks_written) == ([], [], 0)
    assert again.not_modified == 2 and len(again.unchanged) == 2
    assert all(etag for path, _, etag in site.requests if path.startswith("/news/"))  # conditional requests
    site.put("/news/lab.html", LAB.replace("85 engineering jobs", "120 engineering jobs"))
    changed = run([feed])
    assert changed.changed == [lab] and changed.not_modified == 1
    texts = [c.text for c in run.store.iter_chunks() if c.doc_id == lab]
    assert any("120 engineering jobs" in t for t in texts) and not any("85 engineering" in t for t in texts)
    assert run.lexical.search("120", 5)  # the lexical index follows the store


def test_without_etags_an_unchanged_page_is_fetched_but_not_re_embedded(site: Newsroom, run: Run) -> None:
    site.etags = False
    run([site.url("/good.xml")])
    again = run([site.url("/good.xml")])
    assert again.not_modified == 0 and len(again.unchanged) == 2 and again.chunks_written == 0


def test_a_reset_store_gets_every_page_again(site: Newsroom, run: Run) -> None:
    run([site.url("/good.xml")])
    run.store.reset()
    again = run([site.url("/good.xml")])  # remembered ETags must not hide pages the store lost
    assert len(again.new) == 2 and again.not_modified == 0


def test_a_sitemap_index_atom_and_json_feeds(site: Newsroom, run: Run) -> None:
    report = run([site.url("/atom.xml"), site.url("/feed.json")], [site.url("/sitemap_index.xml")])
    assert report.links == 2 and len(report.new) == 2 and report.failures == []  # one nested sitemap 404s
    assert run.store.get_document(url_doc_id(site.url("/news/ceo.html"))).title == "CEO"  # the first mention


def test_a_broken_feed_is_reported_and_the_others_still_ingested(site: Newsroom, run: Run) -> None:
    site.put("/broken.xml", "this is no feed", "text/plain")
    report = run([site.url("/broken.xml"), site.url("/sitemap-news.xml"), site.url("/good.xml")])
    assert reasons(report)[site.url("/broken.xml")] == "not an RSS, Atom or JSON feed"
    assert reasons(report)[site.url("/sitemap-news.xml")] == "this is a sitemap, not a feed: use --sitemap"
    assert len(report.new) == 2


def test_max_pages_leaves_the_rest_for_a_later_run(site: Newsroom, run: Run) -> None:
    report = run([site.url("/good.xml")], max_pages=1)
    assert report.links == 2 and report.over_limit == 1 and len(report.new) == 1


def test_a_corpus_prune_leaves_web_pages_alone(site: Newsroom, run: Run, tmp_path: Path) -> None:
    run([site.url("/good.xml")])
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "note.md").write_text("# Note\n\nA short corpus note about nothing in particular.\n")
    report = ingest_paths([corpus], run.store, run.lexical, prune=True)
    assert report.pruned == [] and run.store.counts()[0] == 3


# -- the fetcher's manners ----------------------------------------------------------------------


def test_the_pause_between_requests_to_a_host_and_its_crawl_delay(site: Newsroom) -> None:
    site.put("/robots.txt", "User-agent: *\nCrawl-delay: 2\n", "text/plain")
    now = [100.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    with PoliteFetcher(AGENT, delay=0.5, clock=lambda: now[0], sleep=sleep) as fetcher:
        fetcher.fetch(site.url("/news/lab.html"))
        fetcher.fetch(site.url("/news/ceo.html"))
    assert sleeps == [2.0, 2.0]  # robots.txt, page, page: its Crawl-delay is longer than the pause
    sleeps.clear()
    site.put("/robots.txt", "User-agent: *\nDisallow:\n", "text/plain")
    with PoliteFetcher(AGENT, delay=0.5, clock=lambda: now[0], sleep=sleep) as fetcher:
        fetcher.fetch(site.url("/news/lab.html"))
        now[0] += 0.2  # some time passes between the two pages
        fetcher.fetch(site.url("/news/ceo.html"))
    assert [round(s, 3) for s in sleeps] == [0.5, 0.3]


def test_robots_txt_that_fails_allows_nothing_and_a_missing_one_everything(site: Newsroom) -> None:
    del site.pages["/robots.txt"]
    with PoliteFetcher(AGENT, delay=0) as fetcher:
        assert fetcher.fetch(site.url("/private/memo.html")).status == 200
    with PoliteFetcher(AGENT, delay=0) as fetcher, pytest.raises(FetchError, match="disallowed by"):
        fetcher.fetch("http://127.0.0.1:1/news.html")  # nothing listens there: robots.txt unreachable
    with PoliteFetcher(AGENT, delay=0) as fetcher, pytest.raises(FetchError, match="not an http"):
        fetcher.fetch("file:///etc/passwd")


def test_a_conditional_request_gets_304(site: Newsroom) -> None:
    with PoliteFetcher(AGENT, delay=0) as fetcher:
        first = fetcher.fetch(site.url("/news/lab.html"))
        assert first.validators.etag
        assert fetcher.fetch(site.url("/news/lab.html"), first.validators).status == 304
        assert fetcher.fetch(site.url("/news/lab.html"), Validators(etag='"old"')).status == 200


# -- link discovery ------------------------------------------------------------------------------


def fetched(body: bytes, url: str = "https://news.example/feed") -> Fetched:
    return Fetched(url, 200, body, "application/xml", Validators())


def test_feed_links_are_absolute_unique_and_http_only() -> None:
    body = rss(
        [("A", "/a"), ("A again", "https://news.example/a#top"), ("Mail", "mailto:x@y.z"), ("B", "b.html")]
    )
    links = feed_links(fetched(body.encode()))
    assert [link.url for link in links] == ["https://news.example/a", "https://news.example/b.html"]
    assert links[0].title == "A" and links[0].date == "2026-01-15"


def test_a_gzipped_sitemap_is_read_and_a_gzip_bomb_refused() -> None:
    xml = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://n.example/x</loc></url></urlset>'
    assert [link.url for link in sitemap_links(fetched(gzip.compress(xml)), fetched)] == [
        "https://n.example/x"
    ]
    bomb = gzip.compress(b"<urlset>" + b" " * 200_000_000 + b"</urlset>")
    with pytest.raises(FetchError, match="decompresses to over"):
        sitemap_links(fetched(bomb), fetched)


def test_xml_entities_are_not_expanded() -> None:
    xml = (
        b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&e;</loc></url></urlset>'
    )
    assert sitemap_links(fetched(xml), fetched) == []


def test_doc_ids_come_from_urls() -> None:
    assert url_doc_id("https://News.Example/2026/lab/") == "news.example/2026/lab"
    assert url_doc_id("https://news.example/?p=12") == "news.example?p=12"
    long = url_doc_id("https://news.example/" + "a" * 300)
    assert len(long) == 200 and long != url_doc_id("https://news.example/" + "a" * 301)


# -- the command, with the real model ------------------------------------------------------------


@pytest.mark.slow
def test_qa_ingest_feed_then_ask(site: Newsroom, tmp_path: Path) -> None:
    env = serve_env(
        tmp_path / "data",
        8000,
        QA_FEED_DELAY_SECONDS="0",
        QA_FEED_USER_AGENT=AGENT,
        QA_FEED_TIMEOUT_SECONDS="1",
        QA_FEED_MAX_BYTES=str(MAX_BYTES),
    )
    qa = str(Path(sys.executable).parent / "qa")
    first = subprocess.run(
        [qa, "ingest", "--feed", site.url("/good.xml")], env=env, capture_output=True, text=True
    )
    assert first.returncode == 0, first.stderr
    assert "2 links: 2 new, 0 changed, 0 unchanged (0 not modified), 0 failed" in first.stdout
    again = subprocess.run(
        [qa, "ingest", "--feed", site.url("/feed.xml")], env=env, capture_output=True, text=True
    )
    assert again.returncode == 2  # some URLs failed: reported, the rest kept
    assert "8 links: 0 new, 0 changed, 2 unchanged (2 not modified), 6 failed" in again.stdout
    assert f"skipped {site.url('/news/missing.html')}: HTTP 404" in " ".join(again.stderr.split())
    answer = subprocess.run(
        [qa, "ask", "How many jobs will the Norland lab in Tromsø create?"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert answer.returncode == 0 and "85" in answer.stdout and site.url("/news/lab.html") in answer.stdout
    mixed = subprocess.run(
        [qa, "ingest", "corpus", "--feed", site.url("/good.xml")], env=env, capture_output=True, text=True
    )
    assert mixed.returncode == 1 and "run files, --prune and --reset separately" in mixed.stderr
