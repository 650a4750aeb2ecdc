"""Benchmarks: ingest, query and updates, side by side with the plain LangChain pipeline.

    python bench/run.py                 # 1,000 articles; queries at 1k and 10k chunks (~15 min)
    python bench/run.py --quick         # 100 articles; queries at 1k chunks (~3 min)
    python bench/run.py --stand-in-sizes 100000   # also 100k chunks with stand-in vectors (~10 min more)
    python bench/run.py --skip ingest-baselines,updates --stand-in-sizes 100000   # queries only
    python bench/run.py --passages /work/shared/devsets/rgb/corpus   # also real text at each size
    python bench/run.py --articles 50 --sizes "" --stand-in-sizes 100000 --passages DIR \
        --skip ingest-baselines,updates,langchain,generated   # 100k chunks of real text, stand-in vectors
    qa bench ...                        # the same command

Each measurement runs in a fresh process (its peak memory is its own); the figures are
printed as a table and written to OUT/results.json. Needs the bench extras for the LangChain
baseline and --profile (pip install -e ".[bench]"); without them those rows are skipped.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import BENCH, ROOT, machine, stopwatch
from make_corpus import write_corpus
from replicate import write_replicated
from report import print_report, targets

TASK_TIMEOUT = 1800  # seconds: no single step of a run may hang it
SECONDS_PER_CHUNK = 0.03  # a generous bound for building or copying a large store (0.004-0.006 measured)


def run_task(name: str, params: dict[str, Any], work: Path, timeout: float = TASK_TIMEOUT) -> dict[str, Any]:
    """Run one task of ingest_tasks / query_tasks in a fresh Python process; return its result."""
    result = work / f"{name}-{time.monotonic_ns()}.json"
    command = [sys.executable, str(BENCH / "run.py"), "--task", name, "--params", json.dumps(params)]
    done = subprocess.run(
        [*command, "--result", str(result)], timeout=timeout, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench task {name} failed:\n{done.stderr[-4000:]}")
    loaded: dict[str, Any] = json.loads(result.read_text())
    return loaded


def worker(name: str, params: dict[str, Any], result: Path) -> None:
    """Worker mode (--task): run one task here and write its result."""
    import ingest_tasks
    import query_tasks

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    task = getattr(ingest_tasks, name, None) or getattr(query_tasks, name)
    profile_to = params.pop("profile_to", None)
    if profile_to:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.002)
        output = task(params, profiler)
        text = profiler.output_text(unicode=False, color=False, show_all=False)
        Path(profile_to).write_text(text, encoding="utf-8")
        output["profile"] = profile_to
    else:
        output = task(params)
    result.write_text(json.dumps(output), encoding="utf-8")


def has(*modules: str) -> bool:
    return all(importlib.util.find_spec(m) is not None for m in modules)


def main() -> None:
    args = parse_args()
    if args.task:
        worker(args.task, json.loads(args.params), Path(args.result))
        return
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="qa-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "command": " ".join(sys.argv),
        "machine": machine(),
        "backend": args.backend,
        "articles": args.articles,
        "passages": args.passages,
        "notes": [],
    }
    try:
        with stopwatch() as total:
            run_all(args, work, out, results)
        results["total_seconds"] = round(total["seconds"], 1)
    finally:
        results["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        if not args.keep and not args.work:
            shutil.rmtree(work, ignore_errors=True)
    results["targets"] = targets(results)
    (out / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print_report(results)
    print(f"\nwrote {out / 'results.json'}")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run_all(args: argparse.Namespace, work: Path, out: Path, results: dict[str, Any]) -> None:
    langchain = has("langchain_chroma", "langchain_huggingface") and "langchain" not in args.skip
    if not langchain:
        results["notes"].append("LangChain baseline skipped (pip install -e '.[bench]' for it)")
    profile = args.profile and has("pyinstrument")
    corpus = write_corpus(work / f"corpus-{args.articles}", args.articles, args.seed)
    common = {"backend": args.backend, "models_dir": str(work / "models")}
    ours_dir = str(work / "ingest-ours")
    log(f"model: load or export once ({args.backend})")
    results["model_prepare_seconds"] = run_task(
        "prepare_model", {**common, "data_dir": str(work / "prepare")}, work
    )["seconds"]

    log(f"ingest: ours, {args.articles} articles ({args.backend})")
    ingest: dict[str, Any] = {}
    params = {**common, "corpus": str(corpus), "data_dir": ours_dir}
    if profile:
        params["profile_to"] = str(out / "profile-ingest.txt")
    ingest["ours"] = run_task("ingest_ours", params, work)
    baselines = "ingest-baselines" not in args.skip
    if baselines:
        log("ingest: ours without the analysis at ingest")
        plain_dir = str(work / "ingest-plain")
        params = {**common, "corpus": str(corpus), "data_dir": plain_dir, "analyse": False}
        ingest["ours_plain"] = run_task("ingest_ours", params, work)
        shutil.rmtree(plain_dir, ignore_errors=True)
        log("ingest: raw encode of the same chunks")
        ingest["raw_encode"] = run_task(
            "raw_encode", {**common, "corpus": str(corpus), "data_dir": ours_dir}, work
        )
    if baselines and args.also_torch and args.backend != "torch":
        log("ingest: ours with the torch backend")
        torch_dir = str(work / "ingest-torch")
        params = {**common, "backend": "torch", "corpus": str(corpus), "data_dir": torch_dir}
        ingest["ours_torch"] = run_task("ingest_ours", params, work)
        shutil.rmtree(torch_dir, ignore_errors=True)
    if langchain and baselines:
        log("ingest: LangChain pipeline")
        params = {"corpus": str(corpus), "persist_dir": str(work / "ingest-langchain")}
        ingest["langchain"] = run_task("ingest_langchain", params, work)
        shutil.rmtree(work / "ingest-langchain", ignore_errors=True)
    results["ingest"] = ingest

    if "updates" not in args.skip:
        results["updates"] = run_updates(args, work, corpus, ours_dir)

    per_article = ingest["ours"]["chunks"] / max(ingest["ours"]["articles"], 1)
    sizes = [(s, False) for s in args.sizes] + [(s, True) for s in args.stand_in_sizes]
    results["query"] = {}
    profiled = max((s for s, _ in sizes), default=0) if profile else None
    for size, stand_in in sizes:
        vectors = " (stand-in vectors)" if stand_in else ""
        if "generated" not in args.skip:
            articles = max(1, math.ceil(size / per_article))
            label = f"{size // 1000}k{vectors}"
            log(f"query store {label}: {articles} articles")
            size_corpus = write_corpus(work / f"corpus-{articles}", articles, args.seed)
            build = {**common, "corpus": str(size_corpus), "stand_in": stand_in}
            build["stand_in_parse"] = stand_in and args.stand_in_parse
            if not stand_in:
                build["known_from"] = ours_dir
            profile_to = out / "profile-query.txt" if size == profiled else None
            results["query"][label] = query_store(args, work, label, size, build, profile_to)
            if stand_in:
                results["notes"].append(_stand_in_note(label, results["query"][label]["store"]))
        if args.passages:
            real_label = f"{size // 1000}k real text{vectors}"
            log(f"query store {real_label}: {args.passages} replicated with changed names")
            real = write_replicated(work / f"real-{size}", Path(args.passages), size, args.seed)
            build = {**common, "corpus": str(real.folder), "stand_in": stand_in}
            build["stand_in_parse"] = stand_in and args.stand_in_parse
            results["query"][real_label] = query_store(args, work, real_label, size, build, None)
            results["notes"].append(
                f"{real_label}: the passages of {args.passages} ({real.documents} documents, up to copy "
                f"{real.copies}; every copy after the first with its names changed), questions from the "
                f"set beside them ({real.questions} answerable); "
                + ("see the stand-in note" if stand_in else "embedded by the model")
            )
            if stand_in:
                results["notes"].append(_stand_in_note(real_label, results["query"][real_label]["store"]))


def _stand_in_note(label: str, store: dict[str, Any]) -> str:
    per_million = 1_000_000 / max(store["chunks"] / store["seconds"], 1e-9) / 60
    return (
        f"{label}: chunk and sentence vectors from a deterministic stand-in embedder (hash-seeded "
        "random unit vectors), in our store and in LangChain's copy of it; questions are embedded by "
        "the real models, so latency and memory are real but dense ranking is not (the quality "
        f"columns mean little). Built in {store['seconds']:.0f} s: 1M chunks would take about "
        f"{per_million:.0f} min at that rate"
        + (
            "; answer candidates by pattern, not spaCy (--stand-in-parse): the answers are not ours"
            if store.get("stand_in_parse")
            else ""
        )
    )


def query_store(
    args: argparse.Namespace,
    work: Path,
    label: str,
    size: int,
    build: dict[str, Any],
    profile_to: Path | None,
) -> dict[str, Any]:
    """Build the store of ``build['corpus']`` and time the questions on it: one row of the table."""
    tag = "".join(c if c.isalnum() else "-" for c in label)  # "10k-real-text": its own files
    data_dir = str(work / f"store-{tag}")
    large = max(TASK_TIMEOUT, size * SECONDS_PER_CHUNK)  # 1M chunks: hours on 2 cores
    row: dict[str, Any] = {
        "store": run_task("build_store", {**build, "data_dir": data_dir}, work, timeout=large)
    }
    common = {"backend": build["backend"], "models_dir": build["models_dir"]}
    bounds = {"requests": args.requests, "seconds": args.seconds, "corpus": build["corpus"]}
    query = {**common, **bounds, "data_dir": data_dir}
    if "server" not in args.skip:
        log(f"query {label}: /v1/ask over HTTP")
        from query_tasks import query_server

        row["http"] = query_server(query, work / f"serve-{tag}.log")
    log(f"query {label}: library call")
    row["library"] = run_task("query_library", query, work)
    if profile_to:  # a run of its own: the profiler slows Python code down
        log(f"query {label}: library call, profiled")
        profiled_run = {**query, "profile_to": str(profile_to)}
        row["library"]["profile"] = run_task("query_library", profiled_run, work)["profile"]
    if has("langchain_chroma", "langchain_huggingface") and "langchain" not in args.skip:
        log(f"query {label}: LangChain similarity_search")
        row["langchain"] = run_task(
            "query_langchain", {**query, "persist_dir": str(work / f"lc-{tag}")}, work, timeout=large
        )
        shutil.rmtree(work / f"lc-{tag}", ignore_errors=True)
    shutil.rmtree(data_dir, ignore_errors=True)
    return row


def run_updates(args: argparse.Namespace, work: Path, corpus: Path, ours_dir: str) -> dict[str, Any]:
    """Re-ingest, change and delete on copies of the ingest store and corpus."""
    log("updates: unchanged, one changed, one deleted (--prune), one deleted (API)")
    copy_corpus, copy_data = work / "updates-corpus", work / "updates-data"
    for source, target in ((corpus, copy_corpus), (Path(ours_dir), copy_data)):
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target, symlinks=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(QA_DATA_DIR=str(copy_data), QA_EMBEDDING_BACKEND=args.backend)
    qa = Path(sys.executable).with_name("qa")
    with stopwatch() as cold:  # what a user waits for: a new process, imports, store, hashes
        done = subprocess.run([str(qa), "ingest", str(copy_corpus)], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"qa ingest failed: {done.stderr[-2000:]}")
    params = {"backend": args.backend, "corpus": str(copy_corpus), "data_dir": str(copy_data)}
    result = run_task("updates", params, work)
    result["cli_unchanged_seconds"] = round(cold["seconds"], 2)
    shutil.rmtree(copy_corpus, ignore_errors=True)
    shutil.rmtree(copy_data, ignore_errors=True)
    return result


def parse_args() -> argparse.Namespace:
    from qa.settings import Settings

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=1000, help="articles to ingest (default 1000)")
    parser.add_argument(
        "--sizes", default="1000,10000", help="store sizes in chunks for the query benchmarks"
    )
    parser.add_argument(
        "--stand-in-sizes", default="", help="more sizes, with stand-in vectors (e.g. 100000)"
    )
    parser.add_argument(
        "--stand-in-parse",
        action="store_true",
        help="at stand-in sizes, candidates by pattern instead of spaCy in the stored analyses "
        "(bench/common.py StandInSpans): a 1M store builds in about an hour instead of ~5 h",
    )
    parser.add_argument("--requests", type=int, default=200, help="questions timed per measurement")
    parser.add_argument("--seconds", type=float, default=60, help="time limit per query measurement")
    parser.add_argument("--backend", default=Settings.model_fields["embedding_backend"].default)
    parser.add_argument("--also-torch", action="store_true", help="also ingest with the torch backend")
    parser.add_argument(
        "--skip",
        default="",
        help="comma-separated: langchain, server, updates, ingest-baselines (raw encode and LangChain "
        "ingest; our ingest still runs, the query stores reuse its vectors), generated (no query "
        "stores of generated articles: with --passages, only the real text)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="pyinstrument profiles of ingest and of queries at the largest size",
    )
    parser.add_argument("--quick", action="store_true", help="100 articles, 1k chunks, 50 questions")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--passages",
        default="",
        help="real passages (e.g. /work/shared/devsets/rgb/corpus): also time the questions at each size "
        "(stand-in sizes too) on them, replicated with changed names (read at run time, never copied "
        "into the project)",
    )
    parser.add_argument("--out", default=str(ROOT / "test-output" / "bench"))
    parser.add_argument("--work", default="", help="work folder (default: a temporary one, removed)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary work folder")
    parser.add_argument("--task", help=argparse.SUPPRESS)
    parser.add_argument("--params", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:  # smaller defaults; options given explicitly still win
        for name, value in (("articles", 100), ("sizes", "1000"), ("requests", 50), ("seconds", 20)):
            if getattr(args, name) == parser.get_default(name):
                setattr(args, name, value)
    args.sizes = [int(s) for s in str(args.sizes).split(",") if s]
    args.stand_in_sizes = [int(s) for s in str(args.stand_in_sizes).split(",") if s]
    args.skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    if args.passages:  # before a long run, not after its ingest
        from replicate import PassagesError, read_passages

        try:
            read_passages(Path(args.passages))
        except PassagesError as exc:
            parser.error(str(exc))
    return args


if __name__ == "__main__":
    main()
