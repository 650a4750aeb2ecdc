"""The widget in a real browser against a real `qa serve` over a store of corpus/.

One server (own origin + one listed CORS origin), two tiny host sites on other loopback ports
(one listed, one not), and Debian's /usr/bin/chromium driven by Playwright. Screenshots of
each state go to test-output/widget/.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.helpers.browser import needs_chromium, open_widget, shot
from tests.helpers.corpus import CORPUS_DIR
from tests.helpers.http import sse_events
from tests.helpers.servers import free_port, serve_directory, wait_until_ready

pytestmark = [pytest.mark.slow, needs_chromium]
JOBS = "How many jobs will the lab in Singapore create?"
OPENAI_TITLE = "OpenAI and Singapore: A Strategic Partnership in AI"
IMG_PAYLOAD = "<img src=x onerror=alert('xss')>"
SCRIPT_PAYLOAD = "<script>alert(1)</script>"
HOSTILE_CSS = """
* { all: unset !important; }
html { font-size: 64px !important; }
body { font: 48px/3 "Comic Sans MS", cursive !important; color: red !important; background: #222 !important; }
div, section, button, input, form, span { display: block !important; width: 600px !important;
  padding: 30px !important; border: 9px dotted orange !important; background: lime !important;
  color: magenta !important; font-size: 40px !important; }
:root { --accent: red; }
"""


@dataclass
class Sites:
    api: str  # the qa server (also serves the demo page)
    listed: str  # a host site in QA_CORS_ORIGINS
    unlisted: str  # a host site that is not


def host_page(api: str, title: str, css: str = "") -> str:
    style = f"<style>{css}</style>" if css else ""
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>{style}</head>"
        f"<body><h1>{title}</h1><p>A page that embeds the widget.</p>"
        f'<script src="{api}/widget.js" data-api="{api}" data-title="Ask our announcements" '
        'data-accent="#0a7d5a" defer></script></body></html>'
    )


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sites]:
    """`qa serve` on a fresh store, plus a listed and an unlisted host site."""
    work = tmp_path_factory.mktemp("widget")
    qa = Path(sys.executable).with_name("qa")
    # Only the settings given here: no inherited QA_* variables, and cwd=work so no .env file.
    env = {key: value for key, value in os.environ.items() if not key.startswith("QA_")}
    env.update(QA_DATA_DIR=str(work / "data"), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    subprocess.run([str(qa), "ingest", str(CORPUS_DIR)], env=env, cwd=work, check=True, capture_output=True)

    api = f"http://127.0.0.1:{free_port()}"
    pages = {"listed": work / "listed", "unlisted": work / "unlisted"}
    servers = {}
    for name, directory in pages.items():
        directory.mkdir()
        (directory / "plain.html").write_text(host_page(api, "A plain host page"))
        (directory / "hostile.html").write_text(host_page(api, "A hostile host page", HOSTILE_CSS))
        servers[name] = serve_directory(directory)
    listed, unlisted = servers["listed"][1], servers["unlisted"][1]

    env["QA_CORS_ORIGINS"] = json.dumps([listed])
    log = work / "serve.log"
    port = api.rsplit(":", 1)[1]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(qa), "serve", "--host", "127.0.0.1", "--port", port],
            env=env,
            cwd=work,
            stdout=out,
            stderr=out,
        )
    try:
        wait_until_ready(process, api, log, seconds=150)
        yield Sites(api, listed, unlisted)
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
        for server, _ in servers.values():
            server.shutdown()


# -- helpers ----------------------------------------------------------------------------------
def ask(page: Page, question: str) -> Locator:
    """Type the question, press Enter, and return its answer once complete (or failed)."""
    count = page.locator(".log > [data-state]").count()
    page.locator("input#q").fill(question)
    page.locator("input#q").press("Enter")
    answer = page.locator(".log > [data-state]").nth(count)
    expect(answer).to_have_attribute("data-state", re.compile("^(done|error)$"), timeout=30_000)
    return answer


LOOK = """() => {
  const root = document.querySelector('[data-qa-widget]').shadowRoot;
  const pick = (sel, props) => {
    const node = root.querySelector(sel);
    const style = getComputedStyle(node);
    const box = node.getBoundingClientRect();
    const out = Object.fromEntries(props.map((p) => [p, style.getPropertyValue(p)]));
    out.box = [box.width, box.height, document.documentElement.clientWidth - box.right,
               document.documentElement.clientHeight - box.bottom].map(Math.round);
    return out;
  };
  const common = ['background-color', 'color', 'font-size', 'font-family', 'font-weight', 'border-radius'];
  return {launcher: pick('.launcher', common), panel: pick('.panel', common), input: pick('input', common),
          title: pick('h2', common)};
}"""


# -- tests --------------------------------------------------------------------------------------
def test_demo_page_answers_streams_cites_follows_up_and_abstains(
    page: Page, sites: Sites, dialogs: list[str]
) -> None:
    page.goto(f"{sites.api}/")
    expect(page.locator(".launcher")).to_be_visible()
    shot(page, "01-demo-closed.png")

    open_widget(page)
    assert page.evaluate("document.querySelector('[data-qa-widget]').shadowRoot.activeElement.id") == "q"
    with page.expect_response(lambda r: r.url.endswith("/v1/chat")) as chat_response:
        answer = ask(page, JOBS)
    response = chat_response.value
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text())
    assert events[0][0] == "citations" and events[-1][0] == "done"
    assert sum(1 for n, _ in events if n == "delta") >= 2  # the answer arrived in pieces
    expect(answer).to_have_attribute("data-state", "done")
    expect(answer.locator(".text")).to_contain_text("over 200")

    answer.locator(".chip").first.click()
    citation = answer.locator(".cite")
    expect(citation).to_be_visible()
    expect(citation.locator(".cite-title")).to_have_text(OPENAI_TITLE)
    expect(citation.locator("mark")).to_contain_text("over 200 technical positions")
    expect(citation.locator("a")).to_have_attribute("href", re.compile(r"^https://example\.com/"))
    shot(page, "02-answer-with-citation.png")

    with page.expect_request(lambda r: r.url.endswith("/v1/chat")) as follow_up_request:
        follow_up = ask(page, "How much funding is behind the initiative?")
    sent = follow_up_request.value.post_data_json["messages"]
    assert sent[1] == {
        "role": "assistant",
        "content": sent[1]["content"],
        "doc_ids": ["openai-for-singapore"],
    }
    expect(follow_up).to_have_attribute("data-state", "done")
    expect(follow_up.locator(".text")).to_contain_text("300 million")
    shot(page, "03-follow-up.png")

    abstention = ask(page, "Who will lead OpenAI's lab in Singapore?")
    expect(abstention).to_have_class(re.compile(r"\babstained\b"))
    expect(abstention.locator(".text")).to_have_text("The announcements don't say.")
    expect(abstention.locator(".related a").first).to_be_visible()
    expect(page.locator(".sr[aria-live=polite]")).to_contain_text("The announcements don't say.")
    shot(page, "04-abstention.png")

    page.keyboard.press("Escape")
    expect(page.locator(".panel")).to_be_hidden()
    assert page.evaluate("document.querySelector('[data-qa-widget]').shadowRoot.activeElement.className") == (
        "launcher"
    )
    page.keyboard.press("Enter")  # keyboard alone: the focused button opens it again
    expect(page.locator(".panel")).to_be_visible()
    assert dialogs == []


def test_document_markup_is_shown_as_text_and_runs_nothing(
    page: Page, sites: Sites, dialogs: list[str]
) -> None:
    page.goto(f"{sites.api}/")
    open_widget(page)
    # The answer's quote is the advisory sentence that quotes both payloads.
    answer = ask(page, "On what date was the proof of concept of the Quill Note Web attack received?")
    expect(answer).to_have_attribute("data-state", "done")
    answer.locator(".chip").first.click()
    quotes = page.locator(".cite blockquote")
    expect(quotes.filter(has_text=IMG_PAYLOAD).first).to_be_visible()
    expect(quotes.filter(has_text=SCRIPT_PAYLOAD).first).to_be_visible()
    shot(page, "05-xss-document-as-text.png")
    counts = page.evaluate(
        "() => { const r = document.querySelector('[data-qa-widget]').shadowRoot;"
        " return [r.querySelectorAll('img').length, r.querySelectorAll('script').length]; }"
    )
    assert counts == [0, 0]
    assert dialogs == []


def test_hostile_api_text_and_urls_stay_inert(page: Page, sites: Sites, dialogs: list[str]) -> None:
    evil = "<img src=x onerror=alert('title')>"
    citation = {
        "doc_id": "evil",
        "title": evil,
        "url": "javascript:alert('url')",
        "date": "2025-01-01",
        "source": "<b>source</b>",
        "chunk_id": "evil:0",
        "quote": "Before <script>alert('q')</script> after.",
        "start": 100,
        "end": 140,
        "answer_start": 107,  # offsets in the document: the quote starts at 100
        "answer_end": 107 + len("<script>alert('q')</script>"),
    }
    text = "<b onmouseover=alert(1)>answer</b>"
    done = {
        "text": text,
        "abstained": False,
        "confidence": 0.9,
        "citations": [citation],
        "related": [],
        "rewritten_question": "q",
    }
    body = "".join(
        f"event: {name}\ndata: {json.dumps(data)}\n\n"
        for name, data in [
            ("citations", {"citations": [citation]}),
            ("delta", {"text": text}),
            ("done", done),
        ]
    )
    page.route("**/v1/chat", lambda route: route.fulfill(body=body, content_type="text/event-stream"))
    page.goto(f"{sites.api}/")
    open_widget(page)
    answer = ask(page, "anything")
    expect(answer.locator(".text")).to_have_text(text)
    answer.locator(".chip").click()
    expect(answer.locator(".cite-title")).to_have_text(evil)
    expect(answer.locator("mark")).to_have_text("<script>alert('q')</script>")
    expect(answer.locator(".cite a")).to_have_count(0)  # a javascript: URL is never a link
    assert (
        page.evaluate(
            "document.querySelector('[data-qa-widget]').shadowRoot.querySelectorAll('img, script, b').length"
        )
        == 0
    )
    assert dialogs == []


def test_server_errors_are_shown_in_the_panel(page: Page, sites: Sites) -> None:
    error = {"error": {"code": "store_unavailable", "message": "the store is down"}}
    page.route("**/v1/chat", lambda route: route.fulfill(status=503, json=error))
    page.goto(f"{sites.api}/")
    open_widget(page)
    answer = ask(page, JOBS)
    expect(answer).to_have_attribute("data-state", "error")
    expect(answer).to_contain_text("unavailable")
    page.unroute("**/v1/chat")
    page.route(
        "**/v1/chat",
        lambda route: route.fulfill(status=413, json={"error": {"code": "x", "message": "too big"}}),
    )
    expect(ask(page, JOBS)).to_contain_text("(HTTP 413): too big")


def test_hostile_page_css_does_not_change_the_widget(page: Page, sites: Sites, dialogs: list[str]) -> None:
    looks = {}
    for name in ("plain", "hostile"):
        page.goto(f"{sites.listed}/{name}.html")
        expect(page.locator(".launcher")).to_be_visible()
        open_widget(page)
        looks[name] = page.evaluate(LOOK)
    assert looks["hostile"] == looks["plain"]
    assert looks["plain"]["launcher"]["background-color"] == "rgb(10, 125, 90)"  # data-accent
    assert looks["plain"]["launcher"]["font-size"] == "15px"

    answer = ask(page, JOBS)  # the listed origin may call the API
    expect(answer).to_have_attribute("data-state", "done")
    expect(answer.locator(".text")).not_to_be_empty()
    shot(page, "06-hostile-css-listed-origin.png")
    assert dialogs == []


def test_an_unlisted_origin_gets_a_clear_error(page: Page, sites: Sites) -> None:
    page.goto(f"{sites.unlisted}/plain.html")
    open_widget(page)
    answer = ask(page, JOBS)
    expect(answer).to_have_attribute("data-state", "error")
    expect(answer).to_contain_text("Could not reach the answer service")
    expect(answer).to_contain_text("not be allowed to use the service")
    expect(page.locator(".sr[aria-live=polite]")).to_contain_text("Could not reach")
    shot(page, "07-unlisted-origin-error.png")


def test_usable_at_360_px(browser: Browser, sites: Sites) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 720}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{sites.api}/")
        open_widget(page)
        for selector in (".panel", "input#q", ".send", ".close"):
            box = page.locator(selector).bounding_box()
            assert box is not None
            assert box["x"] >= 0 and box["x"] + box["width"] <= 360, selector
            assert box["y"] >= 0 and box["y"] + box["height"] <= 720, selector
        answer = ask(page, JOBS)
        expect(answer).to_have_attribute("data-state", "done")
        shot(page, "08-mobile-360px.png")
    finally:
        context.close()
