"""Bounded load test on loopback: concurrent clients on /v1/ask and /v1/chat while documents are
ingested through the API, with /healthz probed throughout.

    python bench/load_test.py                          # 32 clients, 60 s, own server over corpus/
    python bench/load_test.py --clients 8 --seconds 10 --corpus DIR --json out.json
    python bench/load_test.py --url http://127.0.0.1:8000 --admin-key KEY

Without ``--url`` it ingests ``--corpus`` into a fresh data folder (or ``--data-dir``), starts
``qa serve`` on a free loopback port with the rate limit off (every client here is 127.0.0.1)
and an admin key, and stops it with SIGTERM at the end. The ingest runs through
``POST /v1/documents`` (clean, chunk, embed, write, new revision, lexical rebuild) in the same
process as the answers, which is how an embedded store takes writes while serving.

Bounded: at most ``--max-requests`` questions and ``--seconds`` of load (then in-flight requests
finish); only loopback addresses are accepted. Prints requests, errors, throughput and latency
percentiles per route; exits 1 on any error or any failed health probe.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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
from urllib.parse import urlparse

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


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    questions_sent: int = 0
    documents_written: int = 0
    began: float = field(default_factory=time.monotonic)
    slowest: list[tuple[float, float, str]] = field(default_factory=list)  # (seconds, began at, route)

    def record(self, route: str, seconds: float, error: str | None) -> None:
        self.latencies[route].append(seconds)
        self.slowest = sorted([*self.slowest, (seconds, time.monotonic() - seconds - self.began, route)])[-5:]
        if error is not None:
            self.errors[route].append(error)


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


async def ask_loop(client: httpx.AsyncClient, stats: Stats, deadline: float, limit: int, seed: int) -> None:
    rng = random.Random(seed)
    questions = load_questions()
    while time.monotonic() < deadline and stats.questions_sent < limit:
        stats.questions_sent += 1
        question = rng.choice(questions)
        body: dict[str, Any]
        if rng.random() < 0.5:
            route, body = "/v1/ask", {"question": question}
        else:
            messages = [{"role": "user", "content": question}]
            if rng.random() < 0.5:
                messages += [{"role": "assistant", "content": "(earlier answer)"}]
                messages += [{"role": "user", "content": rng.choice(FOLLOW_UPS)}]
            route, body = "/v1/chat", {"messages": messages, "stream": rng.random() < 0.3}
        started = time.monotonic()
        error = None
        try:
            response = await client.post(route, json=body)
            if response.status_code != 200:
                error = f"{response.status_code}: {response.text[:200]}"
            elif body.get("stream") and "event: done" not in response.text:
                error = "stream ended without a done event"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        stats.record(route, time.monotonic() - started, error)


async def ingest_loop(client: httpx.AsyncClient, stats: Stats, deadline: float, key: str) -> None:
    n = 0
    while time.monotonic() < deadline:
        started = time.monotonic()
        error = None
        try:
            response = await client.post(
                "/v1/documents", json=generated_article(n), headers={"X-Admin-Key": key}
            )
            if response.status_code not in (200, 201):
                error = f"{response.status_code}: {response.text[:200]}"
            else:
                stats.documents_written += 1
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        stats.record("POST /v1/documents", time.monotonic() - started, error)
        n += 1


async def health_loop(client: httpx.AsyncClient, stats: Stats, deadline: float) -> None:
    while time.monotonic() < deadline:
        started = time.monotonic()
        error = None
        try:
            response = await client.get("/healthz", timeout=5)
            if response.status_code != 200:
                error = f"{response.status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        stats.record("/healthz", time.monotonic() - started, error)
        await asyncio.sleep(0.25)


async def run_load(url: str, clients: int, seconds: float, limit: int, admin_key: str) -> Stats:
    stats = Stats()
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients + 4, max_keepalive_connections=clients + 4)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        tasks = [ask_loop(client, stats, deadline, limit, seed) for seed in range(clients)]
        tasks.append(health_loop(client, stats, deadline))
        if admin_key:
            tasks.append(ingest_loop(client, stats, deadline, admin_key))
        await asyncio.gather(*tasks)
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
            "first_errors": stats.errors.get(route, [])[:3],
        }
    questions = [v for r in ("/v1/ask", "/v1/chat") for v in stats.latencies.get(r, [])]
    return {
        "clients": clients,
        "seconds": round(seconds, 1),
        "questions": len(questions),
        "questions_per_second": round(len(questions) / seconds, 2) if seconds else 0.0,
        "questions_p50_ms": round(percentile(questions, 0.50) * 1000, 1),
        "questions_p95_ms": round(percentile(questions, 0.95) * 1000, 1),
        "documents_ingested": stats.documents_written,
        "errors": sum(len(v) for v in stats.errors.values()),
        "routes": routes,
        "slowest": [
            {"route": route, "ms": round(took * 1000, 1), "began_at_s": round(at, 1)}
            for took, at, route in reversed(stats.slowest)
        ],
    }


def print_report(result: dict[str, Any]) -> None:
    print(
        f"{result['clients']} clients, {result['seconds']} s: {result['questions']} questions "
        f"({result['questions_per_second']}/s), p50 {result['questions_p50_ms']} ms, "
        f"p95 {result['questions_p95_ms']} ms; {result['documents_ingested']} documents ingested meanwhile; "
        f"{result['errors']} errors"
    )
    print(
        f"{'route':<22}{'requests':>9}{'errors':>8}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}"
    )
    for route, row in result["routes"].items():
        print(
            f"{route:<22}{row['requests']:>9}{row['errors']:>8}{row['p50_ms']:>10}{row['p95_ms']:>10}"
            f"{row['p99_ms']:>10}{row['max_ms']:>10}"
        )
        for error in row["first_errors"]:
            print(f"    {error}")
    slowest = ", ".join(f"{s['route']} {s['ms']:.0f} ms at {s['began_at_s']} s" for s in result["slowest"])
    print(f"slowest: {slowest}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    data_dir: Path, corpus: Path | None, admin_key: str, log: Path
) -> tuple[subprocess.Popen[bytes], str]:
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
            stats = asyncio.run(run_load(url, args.clients, args.seconds, args.max_requests, key))
            result = report(stats, time.monotonic() - started, args.clients)
        finally:
            if proc is not None:
                result_code = stop_server(proc)
                if result_code not in (0, -signal.SIGTERM):
                    print(f"qa serve exited with {result_code}", file=sys.stderr)
    print_report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
