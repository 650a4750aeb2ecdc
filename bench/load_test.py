"""Bounded load test on loopback: concurrent clients on /v1/ask and /v1/chat while documents are
ingested through the API, with /healthz probed throughout.

    python bench/load_test.py                          # 32 clients, 60 s, own server over corpus/
    python bench/load_test.py --clients 8 --seconds 10 --corpus DIR --json out.json
    python bench/load_test.py --url http://127.0.0.1:8000 --admin-key KEY

Without ``--url`` it ingests ``--corpus`` into a fresh data folder (or ``--data-dir``), starts
``qa serve`` on a free loopback port with the rate limit off (every client here is 127.0.0.1)
and an admin key, and stops it with SIGTERM at the end. The ingest runs through
``POST /v1/documents``: loaded and checked by the server, chunked, embedded and analysed in its
ingest worker process (QA_INGEST_WORKER), then written by the server, the one process that
writes an embedded store (new revision, lexical rebuild) while it answers.

With ``--hostile`` (a share of 0-1, default 0.2) that share of each client's requests are
hostile: the doubling "it it" conversation, an over-long question, a body over the limit,
invalid and deeply nested JSON, wrong admin keys, spoofed X-Forwarded-For, an llm request, bad
doc_ids and URLs, front matter nested 2,000 deep, and questions restricted to the hostile
documents of bench/hostile.py, which the ingest loop uploads first. Each hostile request has the
statuses it may get (its intended 4xx); 429 and 503 with Retry-After are refusals, which a client
honours by waiting. Anything else is an error.

At the end every document the run uploaded is fetched back: a missing one is an error (lost).

Bounded: at most ``--max-requests`` questions and ``--seconds`` of load (then in-flight requests
finish); only loopback addresses are accepted. Prints requests, errors (each with when it
began), refusals, throughput and latency percentiles per route, when /healthz took over 50 ms
and when each upload ran, and the resident memory of the server and its children (the ingest
worker) at the end; with ``--json`` the server's log is kept beside it (``NAME.serve.log``).
Exits 1 on any error, lost document or failed health probe.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

import httpx

ROOT = Path(__file__).resolve().parents[1]
QA = Path(sys.executable).parent / "qa"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
FALLBACK_QUESTIONS = [
    "How many jobs will the lab create?",
    "Where will the lab be based?",
    "Who announced the partnership?",
    "When was the initiative announced?",
]
FOLLOW_UPS = ["And where will it be based?", "Who said that?", "When will it open?"]


sys.path.insert(0, str(ROOT / "bench"))
from hostile import hostile_documents  # noqa: E402

SLOW_HEALTH_SECONDS = 0.05  # the target for /healthz p99
REFUSALS = (429, 503)  # with Retry-After: the server protecting itself, not failing


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    refused: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    intended_4xx: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    written: set[str] = field(default_factory=set)  # doc_ids the server said it stored
    hostile_ids: list[str] = field(default_factory=list)  # hostile documents stored so far
    lost: list[str] = field(default_factory=list)
    questions_sent: int = 0
    documents_written: int = 0
    began: float = field(default_factory=time.monotonic)
    slowest: list[tuple[float, float, str]] = field(default_factory=list)  # (seconds, began at, route)
    timeline: dict[str, list[tuple[float, float]]] = field(default_factory=lambda: defaultdict(list))

    def record(self, route: str, seconds: float, error: str | None) -> None:
        self.latencies[route].append(seconds)
        began_at = time.monotonic() - seconds - self.began
        self.slowest = sorted([*self.slowest, (seconds, began_at, route)])[-5:]
        self.timeline[route].append((began_at, seconds))  # (began at, seconds taken)
        if error is not None:  # when it began, to find it in the server's log
            self.errors[route].append(f"{error} (began at {began_at:.1f} s)")


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def load_questions() -> list[str]:
    path = ROOT / "tests" / "eval" / "announcements.jsonl"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        questions = [json.loads(line)["question"] for line in lines if line.strip()]
    except (OSError, ValueError, KeyError):
        questions = []
    return questions or FALLBACK_QUESTIONS


def generated_article(n: int) -> dict[str, str]:
    """A made-up announcement, different every time (so every upload embeds and writes)."""
    rng = random.Random(n)
    town = rng.choice(["Velmar", "Orrin", "Kessa", "Taloma", "Brisk"])
    thing = rng.choice(["a tidal harbour", "a battery plant", "a data centre", "a rail depot"])
    jobs, cost = rng.randint(20, 900), rng.randint(5, 400)
    text = (
        f"{town} will open {thing} in {2026 + n % 3}, the council said on Monday.\n\n"
        f"The project, number {n} this year, costs {cost} million euros and will create {jobs} jobs.\n\n"
        f"Officials expect the first phase to finish within {rng.randint(6, 30)} months."
    )
    return {"doc_id": f"load-test-{n}", "title": f"{town} announces {thing} ({n})", "text": text}


@dataclass
class Call:
    """One request: its label in the report, how to send it, and the statuses it may get."""

    label: str
    method: str
    url: str
    options: dict[str, Any]
    allowed: frozenset[int] = frozenset({200})


def normal_call(rng: random.Random, questions: list[str]) -> Call:
    question = rng.choice(questions)
    if rng.random() < 0.5:
        return Call("/v1/ask", "POST", "/v1/ask", {"json": {"question": question}})
    messages = [{"role": "user", "content": question}]
    if rng.random() < 0.5:
        messages += [{"role": "assistant", "content": "(earlier answer)"}]
        messages += [{"role": "user", "content": rng.choice(FOLLOW_UPS)}]
    return Call(
        "/v1/chat", "POST", "/v1/chat", {"json": {"messages": messages, "stream": rng.random() < 0.3}}
    )


def hostile_call(rng: random.Random, stats: Stats, key: str) -> Call:
    """One of the audit's hostile requests, with the statuses it is meant to get."""
    bad = frozenset({400, 413, 422})
    admin = {"X-Admin-Key": key}
    kind = rng.randrange(11)
    if kind == 0:  # "it it" follow-ups: doubled the question at every message before the fix
        messages = [{"role": "user", "content": " ".join(["Acme"] * 100)}]
        messages += [{"role": "user", "content": "it it"} for _ in range(19)]
        return Call("hostile chat", "POST", "/v1/chat", {"json": {"messages": messages}}, bad | {200})
    if kind == 1:
        return Call("hostile ask", "POST", "/v1/ask", {"json": {"question": "why " * 800}}, bad)
    if kind == 2:
        return Call("hostile ask", "POST", "/v1/ask", {"json": {"question": "x" * 300_000}}, bad)
    if kind == 3:
        headers = {"Content-Type": "application/json"}
        return Call(
            "hostile ask", "POST", "/v1/ask", {"content": b'{"question": "\xff', "headers": headers}, bad
        )
    if kind == 4:
        nested = '{"question": "a", "filters": ' + "[" * 10_000 + "]" * 10_000 + "}"
        headers = {"Content-Type": "application/json"}
        return Call("hostile ask", "POST", "/v1/ask", {"content": nested.encode(), "headers": headers}, bad)
    if kind == 5:
        wrong = {"X-Admin-Key": f"guess-{rng.random()}"}
        return Call("hostile admin", "DELETE", "/v1/documents/x", {"headers": wrong}, frozenset({401}))
    if kind == 6:  # a spoofed address is an ordinary question from this client
        spoofed = {"X-Forwarded-For": f"203.0.113.{rng.randrange(256)}"}
        return Call("/v1/ask", "POST", "/v1/ask", {"json": {"question": "Who?"}, "headers": spoofed})
    if kind == 7:
        body = {"question": "How many jobs?", "answerer": "llm", "top_k": 50}
        return Call("hostile ask", "POST", "/v1/ask", {"json": body}, bad)
    if kind == 8:
        doc = rng.choice([{"doc_id": "a\u0000b"}, {"url": "javascript:alert(1)"}, {"doc_id": "cafe\u0301"}])
        body = {"title": "Hostile", "text": "Some text.", **doc}
        return Call("hostile upload", "POST", "/v1/documents", {"json": body, "headers": admin}, bad)
    if kind == 9:
        deep = "---\nnested: " + "[" * 2000 + "]" * 2000 + "\n---\nBody.\n"
        files = {"file": ("deep.md", deep.encode())}
        return Call("hostile upload", "POST", "/v1/documents", {"files": files, "headers": admin}, bad)
    doc_ids = stats.hostile_ids or ["hostile-dots"]
    body = {"question": rng.choice(FALLBACK_QUESTIONS), "filters": {"doc_ids": [rng.choice(doc_ids)]}}
    return Call("ask hostile doc", "POST", "/v1/ask", {"json": body})


async def send(client: httpx.AsyncClient, stats: Stats, call: Call) -> float:
    """Send ``call`` and record it; returns the seconds the server asked to wait (refusals)."""
    started = time.monotonic()
    error, wait = None, 0.0
    try:
        response = await client.request(call.method, call.url, **call.options)
        status = response.status_code
        if status in REFUSALS and "retry-after" in response.headers:
            stats.refused[call.label] += 1
            wait = float(response.headers["retry-after"])
        elif status not in call.allowed:
            error = f"{status}: {response.text[:200]}"
        elif status >= 400:
            stats.intended_4xx[call.label] += 1
        elif call.options.get("json", {}).get("stream") and "event: done" not in response.text:
            error = "stream ended without a done event"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"
    stats.record(call.label, time.monotonic() - started, error)
    return wait


async def ask_loop(
    client: httpx.AsyncClient, stats: Stats, deadline: float, limit: int, seed: int, hostile: float, key: str
) -> None:
    rng = random.Random(seed)
    questions = load_questions()
    while time.monotonic() < deadline and stats.questions_sent < limit:
        stats.questions_sent += 1
        call = hostile_call(rng, stats, key) if rng.random() < hostile else normal_call(rng, questions)
        wait = await send(client, stats, call)
        if wait:
            await asyncio.sleep(min(wait, max(0.0, deadline - time.monotonic())))


async def ingest_loop(
    client: httpx.AsyncClient, stats: Stats, deadline: float, key: str, hostile: bool
) -> None:
    """Upload the hostile battery first (with ``hostile``), then generated articles until the end.
    A refusal (429/503 + Retry-After: e.g. this address locked out by the wrong admin keys the
    hostile clients send) is waited out and the same document sent again."""
    battery = list(hostile_documents().items()) if hostile else []
    n = 0
    article: dict[str, str] | None = None
    while time.monotonic() < deadline:
        if article is None:
            if battery:
                name, text = battery.pop(0)
                doc_id = "hostile-" + name.rsplit(".", 1)[0]
                article = {"doc_id": doc_id, "title": f"Hostile {name}", "text": text}
            else:
                article = generated_article(n)
                n += 1
        started = time.monotonic()
        error, wait = None, 0.0
        try:
            response = await client.post(
                "/v1/documents", params={"replace": "true"}, json=article, headers={"X-Admin-Key": key}
            )
            if response.status_code in REFUSALS and "retry-after" in response.headers:
                stats.refused["POST /v1/documents"] += 1
                wait = float(response.headers["retry-after"])
            elif response.status_code not in (200, 201):
                error = f"{response.status_code}: {response.text[:200]}"
            else:
                stats.documents_written += 1
                stats.written.add(response.json()["doc_id"])
                if article["doc_id"].startswith("hostile-"):
                    stats.hostile_ids.append(article["doc_id"])
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        stats.record("POST /v1/documents", time.monotonic() - started, error)
        if wait:
            await asyncio.sleep(min(wait, max(0.0, deadline - time.monotonic())))
        else:
            article = None


async def check_kept(client: httpx.AsyncClient, stats: Stats) -> None:
    """Every document the run stored is still there."""
    for doc_id in sorted(stats.written):
        response = await client.get(f"/v1/documents/{quote(doc_id, safe='')}")
        if response.status_code != 200:
            stats.lost.append(f"{doc_id}: {response.status_code}")


def health_probe(url: str, seconds: float, results: Any) -> None:
    """GET /healthz every 0.25 s for ``seconds``; puts (seconds, error) pairs on ``results``.
    Runs in a process of its own, so the figure is the server's responsiveness, not this
    process's Python busy with 32 clients."""
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=url, timeout=5) as client:
        while time.monotonic() < deadline:
            started = time.monotonic()
            error = None
            try:
                response = client.get("/healthz")
                if response.status_code != 200:
                    error = f"{response.status_code}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            results.put((time.monotonic() - started, error))
            time.sleep(0.25)
    results.put(None)


async def probe_health(url: str, stats: Stats, seconds: float) -> None:
    """Run `health_probe` in a child process and record what it measured."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=health_probe, args=(url, seconds, results), daemon=True)
    process.start()
    while (item := await asyncio.to_thread(results.get)) is not None:
        stats.record("/healthz", *item)
    await asyncio.to_thread(process.join, 10)


async def run_load(
    url: str, clients: int, seconds: float, limit: int, admin_key: str, hostile: float = 0.0
) -> Stats:
    stats = Stats()
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients + 4, max_keepalive_connections=clients + 4)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        tasks = [
            ask_loop(client, stats, deadline, limit, seed, hostile, admin_key) for seed in range(clients)
        ]
        tasks.append(probe_health(url, stats, seconds))
        if admin_key:
            tasks.append(ingest_loop(client, stats, deadline, admin_key, hostile > 0))
        await asyncio.gather(*tasks)
        await check_kept(client, stats)
    return stats


def report(stats: Stats, seconds: float, clients: int) -> dict[str, Any]:
    routes = {}
    for route, values in sorted(stats.latencies.items()):
        routes[route] = {
            "requests": len(values),
            "errors": len(stats.errors.get(route, [])),
            "p50_ms": round(percentile(values, 0.50) * 1000, 1),
            "p95_ms": round(percentile(values, 0.95) * 1000, 1),
            "p99_ms": round(percentile(values, 0.99) * 1000, 1),
            "max_ms": round(max(values) * 1000, 1),
            "refused": stats.refused.get(route, 0),
            "intended_4xx": stats.intended_4xx.get(route, 0),
            "first_errors": stats.errors.get(route, [])[:3],
        }
    questions = [v for r in ("/v1/ask", "/v1/chat") for v in stats.latencies.get(r, [])]  # the ordinary ones
    return {
        "clients": clients,
        "seconds": round(seconds, 1),
        "questions": len(questions),
        "questions_per_second": round(len(questions) / seconds, 2) if seconds else 0.0,
        "questions_p50_ms": round(percentile(questions, 0.50) * 1000, 1),
        "questions_p95_ms": round(percentile(questions, 0.95) * 1000, 1),
        "documents_ingested": stats.documents_written,
        "documents_lost": stats.lost,
        "refused": sum(stats.refused.values()),
        "intended_4xx": sum(stats.intended_4xx.values()),
        "errors": sum(len(v) for v in stats.errors.values()) + len(stats.lost),
        "routes": routes,
        # When /healthz was slow and when each upload ran, to tell what it waited behind.
        "slow_health": [
            {"began_at_s": round(at, 1), "ms": round(took * 1000)}
            for at, took in stats.timeline.get("/healthz", [])
            if took > SLOW_HEALTH_SECONDS
        ],
        "uploads": [
            {"began_at_s": round(at, 1), "ended_at_s": round(at + took, 1)}
            for at, took in stats.timeline.get("POST /v1/documents", [])
        ],
        "slowest": [
            {"route": route, "ms": round(took * 1000, 1), "began_at_s": round(at, 1)}
            for took, at, route in reversed(stats.slowest)
        ],
    }


def print_report(result: dict[str, Any]) -> None:
    print(
        f"{result['clients']} clients, {result['seconds']} s: {result['questions']} questions "
        f"({result['questions_per_second']}/s), p50 {result['questions_p50_ms']} ms, "
        f"p95 {result['questions_p95_ms']} ms; {result['documents_ingested']} documents ingested meanwhile, "
        f"{len(result['documents_lost'])} lost; {result['intended_4xx']} intended 4xx, "
        f"{result['refused']} refused (429/503 + Retry-After), {result['errors']} errors"
    )
    print(
        f"{'route':<22}{'requests':>9}{'errors':>8}{'4xx':>7}{'refused':>9}{'p50 ms':>10}{'p95 ms':>10}"
        f"{'p99 ms':>10}{'max ms':>10}"
    )
    for route, row in result["routes"].items():
        print(
            f"{route:<22}{row['requests']:>9}{row['errors']:>8}{row['intended_4xx']:>7}{row['refused']:>9}"
            f"{row['p50_ms']:>10}{row['p95_ms']:>10}{row['p99_ms']:>10}{row['max_ms']:>10}"
        )
        for error in row["first_errors"]:
            print(f"    {error}")
    slowest = ", ".join(f"{s['route']} {s['ms']:.0f} ms at {s['began_at_s']} s" for s in result["slowest"])
    print(f"slowest: {slowest}")
    slow = ", ".join(f"{h['ms']} ms at {h['began_at_s']} s" for h in result["slow_health"])
    print(f"/healthz over {SLOW_HEALTH_SECONDS * 1000:.0f} ms: {slow or 'none'}")
    uploads = ", ".join(f"{u['began_at_s']}-{u['ended_at_s']} s" for u in result["uploads"][:20])
    print(f"uploads (first 20): {uploads or 'none'}")
    if result.get("memory_mb"):
        memory = ", ".join(f"{name} {mb:.0f}" for name, mb in result["memory_mb"].items())
        print(f"resident memory at the end (MB): {memory}; total {sum(result['memory_mb'].values()):.0f}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    data_dir: Path, corpus: Path | None, admin_key: str, log: Path, **settings: str
) -> tuple[subprocess.Popen[bytes], str]:
    """`qa serve` on a free loopback port over ``data_dir`` (``corpus`` ingested first), with the
    admin key, no rate limit and any other ``QA_*`` ``settings``; returns it and its URL once ready."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    port = free_port()
    env.update(
        QA_DATA_DIR=str(data_dir),
        QA_PORT=str(port),
        QA_HOST="127.0.0.1",
        QA_ADMIN_KEY=admin_key,
        QA_RATE_LIMIT_PER_MINUTE="0",  # every client of this test is 127.0.0.1
        QA_LOG_LEVEL="warning",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        **settings,
    )
    if corpus is not None:
        done = subprocess.run([str(QA), "ingest", str(corpus)], env=env, capture_output=True, text=True)
        if done.returncode not in (0, 2):  # 2: some files skipped, the rest ingested
            raise SystemExit(f"qa ingest failed:\n{done.stderr}")
    with log.open("wb") as out:
        proc = subprocess.Popen([str(QA), "serve"], env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"qa serve exited:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise SystemExit("qa serve did not become ready in 180 s")
        time.sleep(0.25)


def memory_mb(pid: int) -> dict[str, float]:
    """Resident memory (MB) of the process ``pid`` and of each of its children (the ingest
    worker, multiprocessing's resource tracker), by name; empty where /proc cannot tell."""

    def rss(proc_dir: Path) -> float:
        for line in (proc_dir / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
        return 0.0

    found: dict[str, float] = {}
    try:
        found["qa serve"] = rss(Path(f"/proc/{pid}"))
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found[f"child {entry.name}: {(entry / 'comm').read_text().strip()}"] = rss(entry)
            except (OSError, ValueError, IndexError):
                continue
    except OSError:
        return {}
    return found


def stop_server(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=90)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running server (loopback only); default: start one")
    parser.add_argument("--admin-key", default="", help="with --url: enables the concurrent ingest")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--max-requests", type=int, default=20_000, help="cap on questions sent")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus", help="ingested before the run")
    parser.add_argument(
        "--data-dir", type=Path, help="data folder for the started server (default: temporary)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--hostile", type=float, default=0.2, help="share of each client's requests that are hostile (0-1)"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 256 or not 0 < args.seconds <= 600:
        parser.error("--clients must be 1-256 and --seconds 0-600")

    proc = None
    with tempfile.TemporaryDirectory(prefix="qa-load-") as tmp:
        if args.url:
            if urlparse(args.url).hostname not in LOOPBACK:
                parser.error("--url must be a loopback address (127.0.0.1, localhost, ::1)")
            url, key = args.url.rstrip("/"), args.admin_key
        else:
            key = secrets.token_urlsafe(24)
            proc, url = start_server(
                args.data_dir or Path(tmp) / "data", args.corpus, key, Path(tmp) / "serve.log"
            )
        try:
            started = time.monotonic()
            stats = asyncio.run(
                run_load(url, args.clients, args.seconds, args.max_requests, key, args.hostile)
            )
            result = report(stats, time.monotonic() - started, args.clients)
            if proc is not None:
                result["memory_mb"] = memory_mb(proc.pid)
        finally:
            if proc is not None:
                result_code = stop_server(proc)
                if result_code not in (0, -signal.SIGTERM):
                    print(f"qa serve exited with {result_code}", file=sys.stderr)
                log = (Path(tmp) / "serve.log").read_text(errors="replace")
                if args.json:  # the server's warnings and errors, to match with the report's errors
                    args.json.with_suffix(".serve.log").write_text(log, encoding="utf-8")
    print_report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
