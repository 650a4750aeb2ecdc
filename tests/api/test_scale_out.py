"""Scaling out: two `qa serve` replicas, each with its own data dir, against one `chroma run`.

A document uploaded through one replica is answerable through the other on its next question,
a deletion through the other is seen by the first, and each replica's own lexical (BM25) index
follows the store: it holds the new document's rare code name, then stops finding it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingest.pipeline import ingest_paths
from qa.index.embedding import SentenceTransformerEmbedder
from qa.index.lexical import LexicalIndex
from qa.service import build_store
from tests.helpers.corpus import copy_corpus, make_settings
from tests.helpers.servers import ChromaServer, qa_serve

pytestmark = pytest.mark.slow

KEY = "scale-out-key"
DOC_ID = "tromso-cold-storage-depot"
DOCUMENT = {
    "doc_id": DOC_ID,
    "title": "Quillfeather Logistics to open a cold-storage depot in Tromsø",
    "date": "2026-02-10",
    "source": "quillfeather.example",
    "text": (
        "Quillfeather Logistics announced on 10 February 2026 that it will open a cold-storage depot "
        "in Tromsø, Norway.\n\n"
        "The depot will create 140 jobs in warehousing and fleet maintenance. Construction is "
        "code-named Zorbalux and starts in April 2026."
    ),
}
QUESTION = "How many jobs will the Quillfeather depot in Tromsø create?"
CODE_NAME = "Zorbalux"  # in no other document: only BM25 can match it exactly
DEADLINE = 30.0  # seconds a replica may take to reflect a write made through another


def ask(base: str, question: str) -> dict[str, Any]:
    response = httpx.post(f"{base}/v1/ask", json={"question": question}, timeout=30)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def cited(answer: dict[str, Any]) -> set[str]:
    return {c["doc_id"] for c in answer["citations"]}


def poll(base: str, done: Callable[[dict[str, Any]], bool]) -> tuple[float, dict[str, Any]]:
    """Ask QUESTION until ``done(answer)``; (seconds it took, that answer). Fails after DEADLINE."""
    started = time.monotonic()
    while True:
        answer = ask(base, QUESTION)
        elapsed = time.monotonic() - started
        if done(answer):
            return elapsed, answer
        assert elapsed < DEADLINE, f"{base} still answers {answer['text']!r} citing {cited(answer)}"
        time.sleep(0.1)


def code_name_hits(data_dir: Path, revision: str) -> set[str]:
    """Documents whose chunks the replica's own persisted BM25 index finds for CODE_NAME; fails
    unless that index is at the store's ``revision`` (i.e. the replica caught up)."""
    index = LexicalIndex(data_dir / "lexical" / "announcements")
    assert index._load(revision), f"the lexical index in {data_dir} is not at the store's revision"
    return {chunk_id.split(":")[0] for chunk_id, _ in index.search(CODE_NAME, 10)}


def test_a_write_through_one_replica_is_answerable_through_another(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    headers = {"X-Admin-Key": KEY}
    with ExitStack() as stack:
        chroma = ChromaServer(tmp_path / "chroma")
        chroma.start()
        stack.callback(chroma.stop)
        replica_settings = {"QA_CHROMA_URL": chroma.url, "QA_ADMIN_KEY": KEY, "QA_RATE_LIMIT_PER_MINUTE": "0"}
        data_a, data_b = tmp_path / "a" / "data", tmp_path / "b" / "data"
        for folder in (data_a, data_b):
            folder.parent.mkdir()
        a = stack.enter_context(qa_serve(data_a, tmp_path / "a.log", **replica_settings))
        b = stack.enter_context(qa_serve(data_b, tmp_path / "b.log", **replica_settings))
        # While the replicas load their models: a few announcements, ingested from a third process.
        store, lexical = build_store(make_settings(tmp_path / "ingest", chroma_url=chroma.url), embedder)
        ingest_paths([copy_corpus(tmp_path / "corpus")], store, lexical)
        a.wait_until_ready()
        b.wait_until_ready()
        base_a, base_b = a.base, b.base
        assert DOC_ID not in cited(ask(base_b, QUESTION))  # B's index is current before the write

        created = httpx.post(f"{base_a}/v1/documents", json=DOCUMENT, headers=headers, timeout=60)
        assert created.status_code == 201, created.text
        seconds, answer = poll(base_b, lambda answer: DOC_ID in cited(answer))
        print(f"\nupload through A answerable through B after {seconds * 1000:.0f} ms")
        assert not answer["abstained"] and "140" in answer["text"]
        assert answer["citations"][0]["doc_id"] == DOC_ID
        assert "140" in answer["citations"][0]["quote"]
        assert httpx.get(f"{base_b}/v1/documents/{DOC_ID}").json()["title"] == DOCUMENT["title"]
        assert DOC_ID in cited(ask(base_a, QUESTION))
        revision = store.revision()
        assert code_name_hits(data_a, revision) == code_name_hits(data_b, revision) == {DOC_ID}

        deleted = httpx.delete(f"{base_b}/v1/documents/{DOC_ID}", headers=headers, timeout=60)
        assert deleted.status_code == 200, deleted.text
        assert httpx.get(f"{base_a}/v1/documents/{DOC_ID}").status_code == 404
        seconds, answer = poll(base_a, lambda answer: DOC_ID not in cited(answer))
        print(f"delete through B gone from A after {seconds * 1000:.0f} ms")
        assert DOC_ID not in answer["retrieved_doc_ids"]
        revision = store.revision()
        assert code_name_hits(data_a, revision) == code_name_hits(data_b, revision) == set()
