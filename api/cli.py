"""The ``qa`` command: thin wrappers that parse arguments, call the library and print."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from qa.errors import ArticleError, QAError
from qa.extractive.model import WEIGHTS_FILE
from qa.settings import Settings, get_settings
from qa.types import Answer, Passage

if TYPE_CHECKING:
    from fastapi import FastAPI

    from qa.evaluation.fitting import Retrieve
    from qa.evaluation.testset import TestCase
    from qa.language.questions import Question
    from qa.service import QAService

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Question answering over announcements.")
console = Console()
err = Console(stderr=True)
T = TypeVar("T")


def _fail(message: str) -> NoReturn:
    """Print one line 'Error: ...' and exit with status 1."""
    err.print(f"[red]Error:[/red] {escape(' '.join(message.split()))}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


def _run(func: Callable[[], T]) -> T:
    """Run a command body; a QAError becomes one line 'Error: ...' and exit status 1."""
    try:
        return func()
    except QAError as exc:
        _fail(str(exc))


def _settings(**overrides: object) -> Settings:
    """The settings from the environment (and command-line ``overrides``); an invalid value is an
    'Error: ...' line."""
    try:
        return Settings(**overrides) if overrides else get_settings()  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = [
            f"QA_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in exc.errors(include_url=False)
        ]
        _fail("invalid setting " + "; ".join(problems))


@app.command()
def ingest(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders (default: QA_CORPUS_DIR).")
    ] = None,
    prune: Annotated[bool, typer.Option(help="Delete stored documents whose files are gone.")] = False,
    reset: Annotated[bool, typer.Option(help="Empty the store first and re-index everything.")] = False,
    feed: Annotated[
        list[str] | None, typer.Option("--feed", help="Ingest the articles of an RSS/Atom/JSON feed URL.")
    ] = None,
    sitemap: Annotated[
        list[str] | None, typer.Option("--sitemap", help="Ingest the pages of a sitemap (or index) URL.")
    ] = None,
) -> None:
    """Load, clean, chunk, embed and store articles; unchanged ones are skipped."""
    from ingest.pipeline import ingest_paths
    from ingest.uploads import write_lock
    from qa.language.analysis import Analyser
    from qa.service import build_store

    settings = _settings()
    targets = paths or [settings.corpus_dir]
    if feed or sitemap:
        if paths or prune or reset:
            _fail("--feed/--sitemap ingest web pages only: run files, --prune and --reset separately")
        _run(lambda: ingest_web_command(settings, feed or [], sitemap or []))
        return

    def body() -> int:
        # A batch ingest: spaCy parses in a helper process too (not in a server's process).
        store, lexical = build_store(settings, parse_process=True)
        with (
            Progress(
                TextColumn("embedding"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err,
                transient=True,
                disable=not err.is_terminal,  # no stray blank line in logs and pipes
            ) as bar,
            write_lock(settings.data_dir),
        ):  # not beside an upload from a server on this data dir
            task = bar.add_task("embed", total=None)
            try:
                report = ingest_paths(
                    targets,
                    store,
                    lexical,
                    chunk_size=settings.chunk_size,
                    overlap=settings.chunk_overlap,
                    prune=prune,
                    reset=reset,
                    batch_chunks=settings.ingest_batch_chunks,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
            finally:
                if isinstance(store.analyser, Analyser):
                    store.analyser.close()
        print_skipped(report.failures)
        for warning in report.warnings:
            err.print(f"[yellow]note[/yellow] {escape(warning)}", highlight=False)
        docs, chunks = store.counts()
        table = Table(title="Ingest summary", show_header=False)
        for label, value in [
            ("new", len(report.new)),
            ("changed", len(report.changed)),
            ("unchanged", len(report.unchanged)),
            ("pruned", len(report.pruned)),
            ("re-analysed", len(report.reanalysed)),
            ("failed", len(report.failures)),
            ("chunks written", report.chunks_written),
            ("documents in store", docs),
            ("chunks in store", chunks),
            ("seconds", f"{report.seconds:.2f}"),
        ]:
            table.add_row(label, str(value))
        console.print(table)
        console.print(
            f"{len(report.new)} new, {len(report.changed)} changed, {len(report.unchanged)} unchanged, "
            f"{len(report.failures)} failed"
        )
        return len(report.failures)

    failed = _run(body)
    if failed:
        raise typer.Exit(2)


def ingest_web_command(settings: Settings, feeds: list[str], sitemaps: list[str]) -> None:
    """`qa ingest --feed/--sitemap`: fetch, report each URL that failed, print the summary."""
    from ingest.fetching import PoliteFetcher
    from ingest.web import WebSources, ingest_web
    from qa.service import build_store

    store, lexical = build_store(settings)
    with PoliteFetcher(
        settings.feed_user_agent,
        timeout=settings.feed_timeout_seconds,
        max_bytes=settings.feed_max_bytes,
        delay=settings.feed_delay_seconds,
    ) as fetcher:
        report = ingest_web(
            WebSources(feeds, sitemaps, settings.feed_max_pages),
            fetcher,
            store,
            lexical,
            settings.data_dir / "feeds" / f"{settings.collection}.json",
            chunk_size=settings.chunk_size,
            overlap=settings.chunk_overlap,
            batch_chunks=settings.ingest_batch_chunks,
        )
    print_skipped(report.failures)
    docs, chunks = store.counts()
    later = f", {report.over_limit} over QA_FEED_MAX_PAGES left for the next run" if report.over_limit else ""
    console.print(
        f"{report.links} links: {len(report.new)} new, {len(report.changed)} changed, "
        f"{len(report.unchanged)} unchanged ({report.not_modified} not modified), "
        f"{len(report.failures)} failed{later}"
    )
    console.print(f"{report.chunks_written} chunks written; {docs} documents, {chunks} chunks in store")
    if report.failures:
        raise typer.Exit(2)


def print_skipped(failures: Sequence[ArticleError]) -> None:
    """One 'skipped PATH-OR-URL: reason' line per failure, on stderr."""
    for failure in failures:
        err.print(
            f"[yellow]skipped[/yellow] {escape(failure.path)}: {escape(failure.reason)}", highlight=False
        )


@app.command()
def stats() -> None:
    """Documents, chunks, model and store location."""
    from qa.service import build_store

    settings = _settings()

    def body() -> None:
        store, _ = build_store(settings)
        docs, chunks = store.counts()
        table = Table(show_header=False)
        table.add_row("documents", str(docs))
        table.add_row("chunks", str(chunks))
        table.add_row("embedding model", store.embedder.name)
        table.add_row("store", store.location)
        console.print(table)

    _run(body)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question.")],
    top_k: Annotated[int | None, typer.Option("--top-k", help="Passages to retrieve.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the Answer JSON.")] = False,
) -> None:
    """Answer a question from the stored announcements, with citations."""
    from qa.service import build_service

    settings = _settings()
    answer = _run(lambda: build_service(settings).ask(question, top_k))
    if as_json:
        sys.stdout.write(answer.model_dump_json(indent=2) + "\n")
        return
    print_answer(answer)


def print_answer(answer: Answer) -> None:
    """The answer, then numbered citations with the answer span marked."""
    style = "yellow" if answer.abstained else "bold green"
    console.print(f"[{style}]{escape(answer.text)}[/{style}]  (confidence {answer.confidence:.2f})")
    if answer.note:
        console.print(f"[dim]{escape(answer.note)}[/dim]")
    for n, cite in enumerate(answer.citations, 1):
        quote = escape(cite.quote)
        if cite.answer_start is not None and cite.answer_end is not None:
            a, b = cite.answer_start - cite.start, cite.answer_end - cite.start
            marked = f"[bold underline]{escape(cite.quote[a:b])}[/]"
            quote = f"{escape(cite.quote[:a])}{marked}{escape(cite.quote[b:])}"
        console.print(f"[{n}] {escape(cite.title)} ({cite.date or 'undated'}) {escape(cite.url)}")
        if answer.form == "passage":  # the answer is the quote itself: shown once, above
            console.print(f"    [dim]{cite.doc_id} {cite.start}–{cite.end}[/dim]")
        else:
            console.print(f"    “{quote}”  [dim]{cite.doc_id} {cite.start}–{cite.end}[/dim]")
    for related in answer.related:
        console.print(f"related: {escape(related.title)} ({related.date or 'undated'}) {escape(related.url)}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (QA_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (QA_PORT).")] = None,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            "--forwarded-allow-ips",
            help="Reverse proxies (comma-separated addresses or networks) whose X-Forwarded-For names "
            "the client (QA_FORWARDED_ALLOW_IPS); '*' is refused.",
        ),
    ] = None,
) -> None:
    """Serve the HTTP API, the widget and the demo page."""
    import uvicorn

    from api.app import create_app
    from qa.service import build_service

    overrides = {} if forwarded_allow_ips is None else {"forwarded_allow_ips": forwarded_allow_ips}
    settings = _settings(**overrides)
    bind_host, bind_port = host or settings.host, port or settings.port

    def build() -> FastAPI:
        # Warm up here, not only in the lifespan: a store or model problem is then one
        # 'Error: ...' line and exit status 1 instead of a traceback from the server.
        service = build_service(settings)
        service.warm_up()
        return create_app(settings, service=service)

    application = _run(build)
    # Hand Python's GIL over every 1 ms instead of 5: the event loop (health checks, streams,
    # refusals) waits less behind the answer threads, at a small cost to their throughput.
    sys.setswitchinterval(0.001)
    # Our own loggers (api, qa, ingest) at QA_LOG_LEVEL, one line each: a failed request's
    # traceback appears only at debug.
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
    for name in ("api", "qa", "ingest"):
        logging.getLogger(name).addHandler(handler)
        logging.getLogger(name).setLevel(settings.log_level.upper())
        logging.getLogger(name).propagate = False
    console.print(f"Serving on http://{bind_host}:{bind_port}/  (API docs at /docs)")
    uvicorn.run(
        application,
        host=bind_host,
        port=bind_port,
        log_level=settings.log_level,
        # The app reads X-Forwarded-For itself, from QA_FORWARDED_ALLOW_IPS only (uvicorn's own
        # default would believe any client on 127.0.0.1).
        proxy_headers=False,
        # On SIGTERM, questions in flight may take as long as they are allowed to.
        timeout_graceful_shutdown=int(settings.request_timeout_seconds) + 5,
    )


@app.command("mcp")
def mcp_command(
    transport: Annotated[
        str, typer.Option(help="stdio (an MCP client starts `qa mcp`) or streamable-http (a server).")
    ] = "stdio",
    host: Annotated[str | None, typer.Option(help="streamable-http: bind address (QA_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="streamable-http: port (QA_PORT).")] = None,
) -> None:
    """Serve the announcements over the Model Context Protocol (tools ask, search; documents)."""
    from api.heap import frozen_heap
    from api.mcp_server import AnnouncementsMCP
    from qa.service import build_service

    if transport not in ("stdio", "streamable-http"):
        _fail(f"--transport must be stdio or streamable-http, got {transport!r}")
    settings = _settings()

    def build() -> AnnouncementsMCP:
        service = build_service(settings)
        service.warm_up()  # a store or model problem is one 'Error: ...' line, before the protocol starts
        return AnnouncementsMCP(service)

    server = _run(build)
    with frozen_heap():  # see api.heap
        if transport == "stdio":
            server.run("stdio")  # stdout carries the protocol: everything else goes to stderr
        else:
            bind_host, bind_port = host or settings.host, port or settings.port
            err.print(f"MCP (streamable HTTP) on http://{bind_host}:{bind_port}/mcp")
            server.run("streamable-http", host=bind_host, port=bind_port)


@app.command("eval", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def evaluate_command(
    ctx: typer.Context,
    testsets: Annotated[list[Path], typer.Argument(help="JSONL test set(s) about the same corpus.")],
    corpus: Annotated[
        Path | None, typer.Option(help="Ingest this corpus into a fresh temporary store first.")
    ] = None,
    top_k: Annotated[int | None, typer.Option("--top-k", help="Passages to retrieve per question.")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write summary.json, results.jsonl, report.html, ragas.jsonl.")
    ] = None,
    baseline: Annotated[Path | None, typer.Option(help="A previous --out folder to compare with.")] = None,
    strict: Annotated[bool, typer.Option(help="Fail on the first malformed test-set line.")] = False,
    split: Annotated[
        str, typer.Option(help="Questions to score: all, dev or heldout (split by document).")
    ] = "all",
) -> None:
    """Score the answerer on a test set. Add --min-METRIC X / --max-METRIC X to gate on quality."""
    import tempfile

    from api.heap import frozen_heap
    from ingest.pipeline import ingest_paths
    from qa.evaluation import (
        check_thresholds,
        compare_runs,
        evaluate,
        load_testset,
        print_comparison,
        print_summary,
        write_report,
    )
    from qa.service import build_service

    # Past the test sets, --min-METRIC X / --max-METRIC X land in the list of test sets too.
    cut = next((i for i, t in enumerate(testsets) if str(t).startswith("--")), len(testsets))
    limits = [str(t) for t in testsets[cut:]] + list(ctx.args)
    testsets = testsets[:cut]
    minimums, maximums = _parse_limits(limits)
    settings = _settings()

    def body() -> list[str]:
        if not testsets:
            _fail("give at least one JSONL test set before the thresholds")
        cases = []
        for testset in testsets:
            found, problems = load_testset(testset, strict=strict)
            cases += found
            for problem in problems:
                err.print(f"[yellow]skipped[/yellow] {testset}: {escape(str(problem))}", highlight=False)
        cases = _in_split(cases, split)
        with tempfile.TemporaryDirectory(prefix="qa-eval-") as tmp:
            run_settings = (
                settings.model_copy(update={"data_dir": Path(tmp), "chroma_url": ""}) if corpus else settings
            )
            service = build_service(run_settings)
            if corpus:
                report = ingest_paths(
                    [corpus],
                    service.store,
                    service.lexical,
                    chunk_size=settings.chunk_size,
                    overlap=settings.chunk_overlap,
                    batch_chunks=settings.ingest_batch_chunks,
                )
                err.print(f"ingested {len(report.new)} documents from {corpus} into a temporary store")
            service.warm_up()
            with frozen_heap():  # no collector passes over the models inside the timed questions
                run = evaluate(cases, lambda q, k: service.ask_with_passages(q, k), top_k or settings.top_k)
        print_summary(run, console)
        if baseline is not None:
            print_comparison(compare_runs(run, baseline), console)
        if out is not None:
            for path in write_report(run, out):
                console.print(f"wrote {path}")
        return check_thresholds(run.summary, minimums, maximums)

    failures = _run(body)
    if failures:
        for failure in failures:
            err.print(f"[red]below threshold:[/red] {failure}")
        raise typer.Exit(1)


def _in_split(cases: list[TestCase], split: str) -> list[TestCase]:
    if split not in ("all", "dev", "heldout"):
        raise typer.BadParameter(f"--split must be all, dev or heldout, got {split!r}")
    chosen = [case for case in cases if split == "all" or case.split == split]
    if not chosen:
        _fail(f"no questions of the test set are in the {split} split")
    return chosen


@app.command("fit")
def fit_command(
    sets: Annotated[
        list[str],
        typer.Argument(help="TESTSET[,TESTSET...]=CORPUS: test sets with the corpus they are about."),
    ],
    out: Annotated[Path, typer.Option(help="Where to write the weights.")] = WEIGHTS_FILE,
    top_k: Annotated[int | None, typer.Option("--top-k", help="Passages to retrieve per question.")] = None,
) -> None:
    """Fit the answerer's weights and thresholds on the dev split of the test sets (never held-out)."""
    import tempfile

    from ingest.pipeline import ingest_paths
    from qa.evaluation import load_testset
    from qa.evaluation.fitting import collect, fit_weights
    from qa.service import build_service

    settings = _settings()

    def body() -> None:
        samples = []
        answerer = None
        for pair in sets:
            testset, _, corpus = pair.partition("=")
            if not corpus:
                raise typer.BadParameter(f"expected TESTSET=CORPUS, got {pair!r}")
            # TESTSET may list several files (a,b,c) about the same corpus: it is ingested once.
            cases = [
                case
                for path in testset.split(",")
                for case in load_testset(Path(path))[0]
                if case.split == "dev"
            ]
            with tempfile.TemporaryDirectory(prefix="qa-fit-") as tmp:
                service = build_service(settings.model_copy(update={"data_dir": Path(tmp), "chroma_url": ""}))
                ingest_paths(
                    [Path(corpus)],
                    service.store,
                    service.lexical,
                    chunk_size=settings.chunk_size,
                    overlap=settings.chunk_overlap,
                    batch_chunks=settings.ingest_batch_chunks,
                )
                samples += collect(cases, _retriever(service, top_k or settings.top_k))
                answerer = answerer or service.answerer
                err.print(f"{testset}: {len(cases)} dev questions")
        assert answerer is not None
        answerer.spans.grow_cache(200_000)
        weights = fit_weights(samples, answerer, {"sets": sets, "split": "dev"})
        out.write_text(weights.to_json() + "\n", encoding="utf-8")
        console.print(weights.to_json())
        console.print(f"wrote {out}")

    _run(body)


def _retriever(service: QAService, k: int) -> Retrieve:
    def retrieve(question: str) -> tuple[list[Passage], list[float], Question | None]:
        found = service.retriever.retrieve(question, k, None)
        return found.passages, list(found.query_embedding), found.analysis

    return retrieve


def _parse_limits(args: list[str]) -> tuple[dict[str, float], dict[str, float]]:
    """--min-f1 0.8 --max-latency-p95-ms 200 -> ({'f1': 0.8}, {'latency-p95-ms': 200})."""
    minimums: dict[str, float] = {}
    maximums: dict[str, float] = {}
    while args:
        flag = args.pop(0)
        name, _, value = flag.partition("=")
        if not value:
            value = args.pop(0) if args else ""
        target = minimums if name.startswith("--min-") else maximums if name.startswith("--max-") else None
        if target is None:
            raise typer.BadParameter(
                f"unknown option {flag}; thresholds are --min-METRIC X or --max-METRIC X"
            )
        try:
            target[name[6:]] = float(value)
        except ValueError:
            raise typer.BadParameter(f"{name} needs a number, got {value!r}") from None
    return minimums, maximums


@app.command(
    "bench",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []},
    add_help_option=False,
)
def bench_command(ctx: typer.Context) -> None:
    """Run the benchmarks (bench/run.py in a source checkout); `qa bench --help` lists the options."""
    import runpy

    script = Path(__file__).resolve().parents[1] / "bench" / "run.py"
    if not script.is_file():
        _fail(f"qa bench needs the source checkout's bench/ folder ({script} is missing)")
    sys.argv = [str(script), *ctx.args]
    sys.path.insert(0, str(script.parent))
    runpy.run_path(str(script), run_name="__main__")


def main() -> None:
    app()
