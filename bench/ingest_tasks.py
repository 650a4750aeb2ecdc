"""Ingest benchmarks, each run in a fresh process by run.py (so peak memory is its own).

ingest_ours        our pipeline (load, clean, chunk, embed, analyse, write, BM25) on N articles
                   (``analyse: false``: without the analysis at ingest)
raw_encode         the same model's encode of exactly our chunks, nothing else: the ceiling
ingest_langchain   RecursiveCharacterTextSplitter(1000, 200) + HuggingFaceEmbeddings (same model
                   folder) + langchain_chroma.Chroma.from_documents on the same files
build_store        a store for the query benchmarks, from vectors already computed (or stand-ins)
updates            re-ingest unchanged, one file changed, one file deleted with --prune, one delete
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from common import LookupEmbedder, StandInEmbedder, StandInSpans, peak_rss_mb, stopwatch


def fresh_data_dir(data_dir: str | Path, models_dir: str | Path) -> None:
    """An empty data folder whose ``models/`` is the run's shared model cache (one ONNX export)."""
    shutil.rmtree(data_dir, ignore_errors=True)
    Path(data_dir).mkdir(parents=True)
    Path(models_dir).mkdir(parents=True, exist_ok=True)
    (Path(data_dir) / "models").symlink_to(Path(models_dir).resolve(), target_is_directory=True)


def prepare_model(p: dict[str, Any]) -> dict[str, Any]:
    """Export (onnx-int8) or load the model once, so no measured step pays for it."""
    from qa.service import build_embedder

    fresh_data_dir(p["data_dir"], p["models_dir"])
    with stopwatch() as took:
        build_embedder(settings_for(p["data_dir"], p["backend"])).embed(["warm up"])
    shutil.rmtree(p["data_dir"], ignore_errors=True)
    return {"seconds": round(took["seconds"], 1)}


def settings_for(data_dir: str | Path, backend: str, analyse: bool = True) -> Any:
    from qa.settings import Settings

    return Settings(
        data_dir=Path(data_dir), embedding_backend=backend, analyse_at_ingest=analyse, _env_file=None
    )


def _loaded_store(data_dir: str, backend: str, analyse: bool = True) -> tuple[Any, Any, Any, float]:
    """(settings, store, lexical index, seconds to load the models and open the store)."""
    from qa.language.analysis import Analyser
    from qa.service import build_store

    settings = settings_for(data_dir, backend, analyse)
    store, lexical = build_store(settings, parse_process=True)  # as `qa ingest` does
    with stopwatch() as took:
        store.embedder.embed(["warm up"])
        if isinstance(store.analyser, Analyser):
            store.analyser.warm_up()  # spaCy (and its worker process) loaded before the clock starts
        store.open()
    return settings, store, lexical, took["seconds"]


def ingest_ours(p: dict[str, Any], profiler: Any = None) -> dict[str, Any]:
    from ingest.pipeline import ingest_paths

    fresh_data_dir(p["data_dir"], p["models_dir"])
    settings, store, lexical, load_seconds = _loaded_store(
        p["data_dir"], p["backend"], p.get("analyse", True)
    )
    if profiler:
        profiler.start()
    with stopwatch() as took:
        report = ingest_paths(
            [Path(p["corpus"])],
            store,
            lexical,
            chunk_size=settings.chunk_size,
            overlap=settings.chunk_overlap,
            batch_chunks=settings.ingest_batch_chunks,  # as `qa ingest` does
        )
    if profiler:
        profiler.stop()
    assert not report.failures, report.failures
    return {
        "articles": len(report.new),
        "chunks": report.chunks_written,
        "seconds": round(took["seconds"], 2),
        "chunks_per_s": round(report.chunks_written / took["seconds"], 1),
        "model_load_seconds": round(load_seconds, 2),
        "peak_rss_mb": round(peak_rss_mb()),
        "embedder": store.embedder.name,
    }


def our_chunk_texts(corpus: Path, settings: Any) -> list[str]:
    from ingest.loading import load_articles
    from qa.index.chunking import chunk_article

    articles = load_articles([corpus]).articles
    return [c.text for a in articles for c in chunk_article(a, settings.chunk_size, settings.chunk_overlap)]


def raw_encode(p: dict[str, Any]) -> dict[str, Any]:
    from qa.service import build_embedder

    settings = settings_for(p["data_dir"], p["backend"])
    texts = our_chunk_texts(Path(p["corpus"]), settings)
    embedder = build_embedder(settings)
    embedder.embed(["warm up"])
    with stopwatch() as took:
        embedder.embed(texts)  # one call: the model sees every chunk at once, sorted by length
    return {
        "chunks": len(texts),
        "seconds": round(took["seconds"], 2),
        "chunks_per_s": round(len(texts) / took["seconds"], 1),
        "peak_rss_mb": round(peak_rss_mb()),
        "embedder": embedder.name,
    }


def ingest_langchain(p: dict[str, Any]) -> dict[str, Any]:
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from qa.index.embedding import force_offline, packaged_model_path

    force_offline()
    shutil.rmtree(p["persist_dir"], ignore_errors=True)
    with stopwatch() as loading:
        embeddings = HuggingFaceEmbeddings(
            model_name=str(packaged_model_path()), model_kwargs={"device": "cpu"}
        )
        embeddings.embed_query("warm up")
    with stopwatch() as took:
        # What a plain LangChain script does: read each file as text (TextLoader), split, embed, store.
        docs = [
            Document(page_content=path.read_text(encoding="utf-8"), metadata={"source": str(path)})
            for path in sorted(Path(p["corpus"]).glob("*.md"))
        ]
        chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(docs)
        Chroma.from_documents(
            chunks,
            embeddings,
            collection_name="bench",
            persist_directory=p["persist_dir"],
            client_settings=ChromaSettings(anonymized_telemetry=False, is_persistent=True),
        )
    return {
        "articles": len(docs),
        "chunks": len(chunks),
        "seconds": round(took["seconds"], 2),
        "chunks_per_s": round(len(chunks) / took["seconds"], 1),
        "model_load_seconds": round(loading["seconds"], 2),
        "peak_rss_mb": round(peak_rss_mb()),
    }


def stored_vectors(data_dir: str, backend: str) -> dict[str, list[float]]:
    """Chunk text -> vector for every chunk in a store (page by page)."""
    _, store, _, _ = _loaded_store(data_dir, backend)
    chunks, _ = store._collections()  # the bench reads raw vectors; the store API has no need to
    known: dict[str, list[float]] = {}
    offset = 0
    while True:
        got = chunks.get(include=["documents", "embeddings"], limit=1000, offset=offset)
        if not len(got["ids"]):
            return known
        known.update(zip(got["documents"], (list(map(float, e)) for e in got["embeddings"]), strict=True))
        offset += len(got["ids"])


def build_store(p: dict[str, Any]) -> dict[str, Any]:
    """Ingest ``corpus`` into ``data_dir`` with reused vectors (``known_from``) or stand-ins."""
    from ingest.pipeline import ingest_paths
    from qa.service import build_embedder
    from qa.service import build_store as build_qa_store

    fresh_data_dir(p["data_dir"], p["models_dir"])
    settings = settings_for(p["data_dir"], p["backend"])
    real = build_embedder(settings)
    if p.get("stand_in"):
        embedder: Any = StandInEmbedder(real.name, real.dimension)
    else:
        embedder = LookupEmbedder(
            real, stored_vectors(p["known_from"], p["backend"]) if p.get("known_from") else {}
        )
    store, lexical = build_qa_store(settings, embedder)
    if p.get("stand_in_parse"):
        from qa.language.analysis import Analyser

        store.analyser = Analyser(embedder, StandInSpans())  # type: ignore[arg-type]
    with stopwatch() as took:
        report = ingest_paths(
            [Path(p["corpus"])],
            store,
            lexical,
            chunk_size=settings.chunk_size,
            overlap=settings.chunk_overlap,
            batch_chunks=1024,
        )
    return {
        "articles": len(report.new),
        "chunks": report.chunks_written,
        "seconds": round(took["seconds"], 2),
        "embedded_by_model": getattr(embedder, "embedded", 0),
        "stand_in_vectors": bool(p.get("stand_in")),
        "stand_in_parse": bool(p.get("stand_in_parse")),
    }


def updates(p: dict[str, Any]) -> dict[str, Any]:
    """Re-ingest timings on a copy of the ingest benchmark's store and corpus."""
    from ingest.pipeline import ingest_paths, remove_document

    settings, store, lexical, _ = _loaded_store(p["data_dir"], p["backend"])
    corpus = Path(p["corpus"])
    files = sorted(corpus.glob("*.md"))

    def run(prune: bool = False) -> tuple[float, Any]:
        with stopwatch() as took:
            report = ingest_paths(
                [corpus],
                store,
                lexical,
                chunk_size=settings.chunk_size,
                overlap=settings.chunk_overlap,
                prune=prune,
            )
        return round(took["seconds"], 2), report

    unchanged_s, report = run()
    assert report.chunks_written == 0 and not report.new and not report.changed, report
    changed = files[len(files) // 2]
    text = changed.read_text(encoding="utf-8")
    changed.write_text(text + "\nThe company later confirmed the figures in a filing.\n", encoding="utf-8")
    changed_s, report = run()
    assert len(report.changed) == 1, report
    files[-1].unlink()
    pruned_s, report = run(prune=True)
    assert len(report.pruned) == 1, report
    victim = files[0].stem  # the generator's doc_id is the file name
    with stopwatch() as took:
        remove_document(victim, store, lexical)  # what DELETE /v1/documents/{id} does
    docs, chunks = store.counts()
    return {
        "documents": docs,
        "chunks": chunks,
        "unchanged_seconds": unchanged_s,
        "one_changed_seconds": changed_s,
        "one_deleted_prune_seconds": pruned_s,
        "delete_one_seconds": round(took["seconds"], 2),
    }
