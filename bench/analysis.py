"""Analysis at ingest against analysis per question, side by side in one run (issue 15).

For each test set and its corpus: ingest the corpus into an empty store without the analysis pass
and again with it (chunks/s, store size on disk, bytes of analysis per chunk), then ask the same
questions through two ``QAService``s, one over the analysed store reading the stored analyses and
one over the other store analysing the passages per question as before (each with its own
caches, questions alternating between them): ``ask`` latency p50/p95 and the mean time of each
stage. Last, the text the analysis works on: words per sentence and spaCy entities per 100 words
of each corpus, the generated benchmark corpus (``make_corpus.py``) among them.

    python bench/analysis.py          # RGB dev set, corpus/ and 100 generated articles, 200 questions each
    python bench/analysis.py --questions 50 --sets corpus
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from common import ROOT, QueryStages, latency_summary
from text_stats import print_stats, text_stats

# name: (test set, corpus); "generated" is written at run time by make_corpus.py (--articles).
SETS = {
    "rgb": (Path("/work/shared/devsets/rgb/tests.jsonl"), Path("/work/shared/devsets/rgb/corpus")),
    "corpus": (ROOT / "tests/eval/announcements.jsonl", ROOT / "corpus"),
    "generated": (Path("generated/.questions.jsonl"), Path("generated")),
}
WARM_UP = 10


def _settings(data_dir: Path, analyse: bool) -> Any:
    from qa.settings import Settings

    return Settings(data_dir=data_dir, analyse_at_ingest=analyse, rate_limit_per_minute=0, _env_file=None)


def _disk_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def ingest_once(corpus: Path, data_dir: Path, embedder: Any, analyse: bool) -> dict[str, Any]:
    """Ingest ``corpus`` into an empty store at ``data_dir``, models loaded before the clock starts."""
    from ingest.pipeline import ingest_paths
    from qa.service import build_store

    settings = _settings(data_dir, analyse)
    store, lexical = build_store(settings, embedder)
    if store.analyser is not None:
        store.analyser.spans.warm_up()
    started = time.perf_counter()
    report = ingest_paths(
        [corpus], store, lexical, chunk_size=settings.chunk_size, overlap=settings.chunk_overlap
    )
    seconds = time.perf_counter() - started
    rebuild = time.perf_counter()
    lexical.rebuild(store)  # reads every chunk with its metadata: the analysis too
    rebuild_seconds = time.perf_counter() - rebuild
    sizes = [len(c.metadata.get("analysis", "").encode()) for c in store.iter_chunks()]
    return {
        "documents": len(report.new),
        "chunks": report.chunks_written,
        "seconds": round(seconds, 1),
        "chunks_per_s": round(report.chunks_written / seconds, 1),
        "analysis_bytes_per_chunk": round(statistics.fmean(sizes)) if sizes else 0,
        "store_mb": round(_disk_mb(data_dir), 1),
        "bm25_rebuild_s": round(rebuild_seconds, 2),
    }


def ask_both(stored_dir: Path, plain_dir: Path, embedder: Any, questions: list[str]) -> dict[str, Any]:
    """``QAService.ask`` over the analysed store reading the stored analyses, and over the store
    ingested without them as before, alternating question by question."""
    import qa.extractive.answerer as answerer_module
    from qa.service import build_service

    decode_seconds: list[float] = []
    stored_analyses = getattr(answerer_module, "StoredAnalyses")  # noqa: B009

    def timed_stored_analyses(*args: Any) -> Any:
        started = time.perf_counter()
        try:
            return stored_analyses(*args)
        finally:
            decode_seconds.append(time.perf_counter() - started)

    setattr(answerer_module, "StoredAnalyses", timed_stored_analyses)  # noqa: B010
    modes: dict[str, Any] = {}
    for name, data_dir in (("stored analysis", stored_dir), ("per question (before)", plain_dir)):
        service = build_service(_settings(data_dir, True), embedder)
        service.warm_up()
        stages = QueryStages()
        stages.instrument(service)
        modes[name] = {"service": service, "stages": stages, "seconds": [], "answers": []}
    for i, question in enumerate(questions):
        order = list(modes.items()) if i % 2 == 0 else list(modes.items())[::-1]
        for _, mode in order:
            started = time.perf_counter()
            answer = mode["service"].ask(question)
            seconds = time.perf_counter() - started
            mode["stages"].question_done(seconds)
            if i >= WARM_UP:
                mode["seconds"].append(seconds)
                mode["answers"].append((answer.text, answer.abstained, answer.confidence))
        if i == WARM_UP - 1:
            for mode in modes.values():
                mode["stages"].discard()
            decode_seconds.clear()
    setattr(answerer_module, "StoredAnalyses", stored_analyses)  # noqa: B010
    a, b = (m["answers"] for m in modes.values())
    result: dict[str, Any] = {
        "same_answers": sum(x[:2] == y[:2] for x, y in zip(a, b, strict=True)),
        "same_confidences": sum(x == y for x, y in zip(a, b, strict=True)),
        "questions": len(a),
        "decode_ms_mean": round(statistics.fmean(decode_seconds) * 1000, 3) if decode_seconds else 0.0,
    }
    for name, mode in modes.items():
        result[name] = {"latency": latency_summary(mode["seconds"]), "stages": mode["stages"].summary()}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sets", default="rgb,corpus,generated", help=f"comma-separated, of {', '.join(SETS)}"
    )
    parser.add_argument("--articles", type=int, default=100, help="articles of the generated corpus")
    parser.add_argument(
        "--questions", type=int, default=200, help="timed questions per set (after 10 warm-up)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "test-output/bench/analysis.json")
    args = parser.parse_args()

    from make_corpus import write_corpus

    from qa.language.spans import SpanFinder
    from qa.service import build_embedder

    models = ROOT / "test-output/bench/analysis-models"
    embedder = build_embedder(_settings(models, True))
    embedder.embed(["load the model before timing"])
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="qa-bench-analysis-") as tmp:
        generated = write_corpus(Path(tmp) / "generated", args.articles)
        sets = {**SETS, "generated": (generated / ".questions.jsonl", generated)}
        for name in args.sets.split(","):
            testset, corpus = sets[name]
            rows = [
                json.loads(line) for line in testset.read_text(encoding="utf-8").splitlines() if line.strip()
            ]
            questions = [r["question"] for r in rows][: args.questions + WARM_UP]
            off = ingest_once(corpus, Path(tmp) / f"{name}-off", embedder, analyse=False)
            on = ingest_once(corpus, Path(tmp) / f"{name}-on", embedder, analyse=True)
            results[name] = {"ingest": {"without analysis": off, "with analysis": on}}
            results[name]["ask"] = ask_both(
                Path(tmp) / f"{name}-on", Path(tmp) / f"{name}-off", embedder, questions
            )
            _print_set(name, results[name])
        nlp = SpanFinder().nlp
        stats = {name: text_stats(corpus, nlp) for name, (_, corpus) in sets.items()}
        results["text"] = stats
    print()
    print_stats(stats)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"wrote {args.out}")


def _print_set(name: str, result: dict[str, Any]) -> None:
    print(f"\n== {name} ==")
    print(
        f"{'ingest':24} {'chunks':>7} {'seconds':>8} {'chunks/s':>9} {'analysis B/chunk':>17} {'store MB':>9}"
        f" {'BM25 rebuild s':>15}"
    )
    for mode, r in result["ingest"].items():
        print(
            f"{mode:24} {r['chunks']:>7} {r['seconds']:>8} {r['chunks_per_s']:>9} "
            f"{r['analysis_bytes_per_chunk']:>17} {r['store_mb']:>9} {r['bm25_rebuild_s']:>15}"
        )
    ask = result["ask"]
    modes = [m for m in ask if isinstance(ask[m], dict)]
    print(
        f"\nQAService.ask, {ask['questions']} questions: {ask['same_answers']} the same answer both ways, "
        f"{ask['same_confidences']} with the same confidence too"
    )
    print(f"{'':28}" + "".join(f"{m:>24}" for m in modes))
    for key in ("p50_ms", "p95_ms", "max_ms"):
        print(f"{key:28}" + "".join(f"{ask[m]['latency'][key]:>24}" for m in modes))
    print("mean ms per stage:")
    for stage in QueryStages.STAGES:
        print(f"  {stage:26}" + "".join(f"{ask[m]['stages'][stage]:>24}" for m in modes))
    print(f"  {'(of which parsing stored analyses)':26} {ask['decode_ms_mean']:>21}")


if __name__ == "__main__":
    main()
