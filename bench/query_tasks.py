"""Query benchmarks: the library call, `/v1/ask` over HTTP on loopback, LangChain's similarity_search.

Every loop is bounded by a request count and a time limit, asks one question at a time and
cycles through the generated corpus's questions (each names its article's organisation).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common import (
    QueryStages,
    bounded,
    free_port,
    latency_summary,
    load_questions,
    peak_rss_mb,
    process_memory_mb,
    stopwatch,
)
from ingest_tasks import settings_for

WARM_UP = 10  # questions asked before timing starts (caches, lazy imports, allocator)


def _quality(hits: int, contains: int, asked: int) -> dict[str, float]:
    """Sanity figures: the gold article among the retrieved ones, the gold answer in the answer."""
    return {"gold_doc_retrieved": round(hits / asked, 3), "answer_contains_gold": round(contains / asked, 3)}


def _contains(answer: str, golds: list[str]) -> bool:
    text = answer.lower().replace(",", "")
    return any(g.lower().replace(",", "") in text for g in golds)


def query_library(p: dict[str, Any], profiler: Any = None) -> dict[str, Any]:
    from qa.service import build_service

    service = build_service(settings_for(p["data_dir"], p["backend"]))
    stages = QueryStages()
    stages.instrument(service)  # a few timer calls per stage: microseconds in a question of tens of ms
    service.warm_up()
    questions = load_questions(Path(p["corpus"]))
    for row in questions[-WARM_UP:]:
        service.ask(row["question"])
    stages.discard()
    seconds, hits, contains = [], 0, 0
    if profiler:
        profiler.start()
    for row in bounded(questions, p["requests"], p["seconds"]):
        with stopwatch() as took:
            answer = service.ask(row["question"])
        seconds.append(took["seconds"])
        stages.question_done(took["seconds"])
        hits += row["doc_ids"][0] in answer.retrieved_doc_ids
        contains += not answer.abstained and _contains(answer.text, row["answers"])
    if profiler:
        profiler.stop()
    return {
        **latency_summary(seconds),
        **_quality(hits, contains, len(seconds)),
        "peak_rss_mb": round(peak_rss_mb()),
        "stages_ms": stages.summary(),
    }


def query_langchain(p: dict[str, Any]) -> dict[str, Any]:
    """similarity_search (k=6) on a LangChain Chroma holding the same chunks and vectors as ours."""
    from chromadb.config import Settings as ChromaSettings
    from ingest_tasks import _loaded_store
    from langchain_chroma import Chroma
    from langchain_huggingface import HuggingFaceEmbeddings

    from qa.index.embedding import force_offline, packaged_model_path

    force_offline()
    shutil.rmtree(p["persist_dir"], ignore_errors=True)
    embeddings = HuggingFaceEmbeddings(model_name=str(packaged_model_path()), model_kwargs={"device": "cpu"})
    db = Chroma(
        collection_name="bench",
        embedding_function=embeddings,
        persist_directory=p["persist_dir"],
        client_settings=ChromaSettings(anonymized_telemetry=False, is_persistent=True),
        collection_configuration={"hnsw": {"space": "cosine"}},
    )
    _, store, _, _ = _loaded_store(p["data_dir"], p["backend"])
    chunks, _ = store._collections()
    offset = 0
    with stopwatch() as loading:  # bulk copy: no second embedding run of the whole store
        while True:
            got = chunks.get(include=["documents", "embeddings", "metadatas"], limit=2000, offset=offset)
            if not len(got["ids"]):
                break
            db._collection.add(
                ids=got["ids"],
                embeddings=got["embeddings"],
                documents=got["documents"],
                metadatas=got["metadatas"],
            )
            offset += len(got["ids"])
    questions = load_questions(Path(p["corpus"]))
    for row in questions[-WARM_UP:]:
        db.similarity_search(row["question"], k=6)
    seconds, hits = [], 0
    for row in bounded(questions, p["requests"], p["seconds"]):
        with stopwatch() as took:
            found = db.similarity_search(row["question"], k=6)
        seconds.append(took["seconds"])
        hits += any(d.metadata.get("doc_id") == row["doc_ids"][0] for d in found)
    return {
        **latency_summary(seconds),
        "gold_doc_retrieved": round(hits / max(len(seconds), 1), 3),
        "chunks": offset,
        "bulk_load_seconds": round(loading["seconds"], 1),
        "peak_rss_mb": round(peak_rss_mb()),
    }


def query_server(p: dict[str, Any], log: Path) -> dict[str, Any]:
    """Start `qa serve` on the store, ask over loopback one question at a time, read its memory."""
    import httpx

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(
        QA_DATA_DIR=str(p["data_dir"]),
        QA_EMBEDDING_BACKEND=p["backend"],
        QA_PORT=str(port),
        QA_HOST="127.0.0.1",
        QA_RATE_LIMIT_PER_MINUTE="0",  # one client on loopback: the limit would only throttle the benchmark
    )
    qa = Path(sys.executable).with_name("qa")
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        server = subprocess.Popen([str(qa), "serve"], env=env, cwd=log.parent, stdout=out, stderr=out)
    try:
        with stopwatch() as startup:
            _wait_ready(base, server, log)
        questions = load_questions(Path(p["corpus"]))
        seconds, hits, contains, errors = [], 0, 0, 0
        with httpx.Client(base_url=base, timeout=60) as client:
            for row in questions[-WARM_UP:]:
                client.post("/v1/ask", json={"question": row["question"]})
            for row in bounded(questions, p["requests"], p["seconds"]):
                started = time.perf_counter()
                response = client.post("/v1/ask", json={"question": row["question"]})
                seconds.append(time.perf_counter() - started)
                if response.status_code != 200:
                    errors += 1
                    continue
                answer = response.json()
                hits += row["doc_ids"][0] in {c["doc_id"] for c in answer["citations"]}
                contains += not answer["abstained"] and _contains(answer["text"], row["answers"])
        memory = process_memory_mb(server.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    return {
        **latency_summary(seconds),
        "gold_doc_cited": round(hits / max(len(seconds), 1), 3),
        "answer_contains_gold": round(contains / max(len(seconds), 1), 3),
        "errors": errors,
        "startup_seconds": round(startup["seconds"], 1),
        "server_rss_mb": memory["rss_mb"],
        "server_peak_rss_mb": memory["peak_rss_mb"],
    }


def _wait_ready(base: str, server: subprocess.Popen[bytes], log: Path, timeout: float = 300) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"qa serve exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"qa serve was not ready within {timeout:.0f} s; see {log}")
        time.sleep(0.25)
