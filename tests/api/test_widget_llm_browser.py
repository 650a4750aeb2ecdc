"""The widget with the llm answerer, in Debian's chromium: the model's text streams in, then the
verified answer replaces it, with its citations and the removed claims struck through.

The API runs in-process (uvicorn in a thread) over the session's store of corpus/, talking to the
scripted OpenAI-compatible server (tests/helpers/llm_server.py); the page embedding the widget is served
from another loopback origin listed in QA_CORS_ORIGINS.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Page, expect
from pydantic import SecretStr

from api.app import create_app
from qa.generative.answerer import build_generative
from qa.service import QAService
from qa.settings import Settings
from tests.helpers.browser import needs_chromium, open_widget, shot
from tests.helpers.llm_server import Reply, ScriptedLLM, scripted_llm_server
from tests.helpers.servers import free_port, serve_directory

pytestmark = [pytest.mark.slow, needs_chromium]
JOBS = "How many jobs will the lab in Singapore create?"


def lab_answer(body: dict[str, Any]) -> Reply:
    user = body["messages"][-1]["content"]
    blocks = re.findall(r'<passage id="(\d+)"[^>]*>(.*?)</passage>', user, re.DOTALL)
    n = next(number for number, text in blocks if "200 technical positions" in text)
    return Reply(
        f"The lab plans to create over 200 technical positions [{n}]. It will be funded with S$500 million [{n}].",
        stall_after=4,
        delay_after=0.8,  # long enough to see the unverified text on the page
    )


@pytest.fixture(scope="module")
def llm() -> Iterator[ScriptedLLM]:
    with scripted_llm_server() as server:
        yield server


@pytest.fixture(scope="module")
def host_page(
    tmp_path_factory: pytest.TempPathFactory,
    corpus_settings: Settings,
    corpus_service: QAService,
    llm: ScriptedLLM,
) -> Iterator[str]:
    """The URL of a page on another origin that embeds the widget with data-answerer="llm"."""
    pages = tmp_path_factory.mktemp("llm-widget")
    site, origin = serve_directory(pages)
    api = f"http://127.0.0.1:{free_port()}"
    (pages / "index.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>LLM widget</title></head><body>"
        f'<script src="{api}/widget.js" data-api="{api}" data-answerer="llm" defer></script></body></html>'
    )
    settings = corpus_settings.model_copy(
        update={
            "llm_base_url": llm.url,
            "llm_model": "scripted",
            "llm_api_key": SecretStr("sk-widget-test"),
            "cors_origins": [origin],
            "allow_answerer_override": True,  # the page asks for the llm answerer
        }
    )
    service = dataclasses.replace(
        corpus_service, generative=build_generative(settings, corpus_service.answerer)
    )
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, service), host="127.0.0.1", port=int(api.rsplit(":", 1)[1]))
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.started, "the API did not start"
    try:
        yield f"{origin}/index.html"
    finally:
        server.should_exit = True
        thread.join(10)
        site.shutdown()


def test_the_widget_streams_the_model_then_shows_only_what_was_verified(
    page: Page, host_page: str, llm: ScriptedLLM
) -> None:
    llm.queue(lab_answer)
    page.goto(host_page)
    open_widget(page)
    page.locator("input#q").fill(JOBS)
    page.locator("input#q").press("Enter")
    streaming = page.locator(".log > [data-state=streaming]")
    expect(streaming.locator(".text")).to_contain_text("The lab plans", timeout=15_000)  # unverified pieces
    shot(page, "llm-01-streaming.png")

    done = page.locator(".log > [data-state=done]").last
    expect(done).to_be_visible(timeout=15_000)
    expect(done.locator(".text")).to_have_text("The lab plans to create over 200 technical positions [1].")
    expect(done.locator(".chip")).to_have_count(1)
    expect(done.locator("s")).to_have_text(re.compile(r"^It will be funded with S\$500 million \[\d+\]\.$"))
    expect(done).to_contain_text("Removed, not supported by the sources:")
    expect(done).to_contain_text("is not in passage")
    done.locator(".chip").click()
    expect(done.locator(".cite blockquote")).to_contain_text("over 200 technical positions")
    shot(page, "llm-02-verified.png")
    assert llm.requests[0].body["stream"] is True
