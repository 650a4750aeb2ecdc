"""What one large upload does to the rest of a server: `/healthz` latency while a 1 MB document
(bench/hostile.py's one-sentence.txt) is uploaded, prepared in the ingest worker process
(QA_INGEST_WORKER=true) and in the serving process (false), one after the other in the same run.

    python bench/upload_stall.py                    # both ways, ~4-6 min on 2 cores
    python bench/upload_stall.py --modes worker     # one way

Each way starts its own `qa serve` on loopback over a fresh copy of ``corpus/``, probes /healthz
every 50 ms from a process of its own while the upload runs, and prints the upload's time, the
probes' p50/p95/p99/max and how many took over 50 ms, then the resident memory of the server
and of its worker after the upload. Nothing else loads the server: the figures are the upload's.
"""

from __future__ import annotations

import argparse
import multiprocessing
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from hostile import hostile_documents  # noqa: E402
from load_test import SLOW_HEALTH_SECONDS, memory_mb, percentile, start_server, stop_server  # noqa: E402

MODES = {"worker": "true", "in-process": "false"}
PROBE_SECONDS = 0.05


def probe(url: str, stop: Any, results: Any) -> None:
    """GET /healthz every 50 ms until ``stop`` is set; puts each latency on ``results``."""
    with httpx.Client(base_url=url, timeout=30) as client:
        while not stop.is_set():
            started = time.monotonic()
            client.get("/healthz")
            results.put((started, time.monotonic() - started))
            time.sleep(PROBE_SECONDS)
    results.put(None)


def measure(mode: str, corpus: Path, document: str) -> dict[str, Any]:
    key = secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory(prefix="qa-upload-stall-") as tmp:
        proc, url = start_server(
            Path(tmp) / "data", corpus, key, Path(tmp) / "serve.log", QA_INGEST_WORKER=MODES[mode]
        )
        try:
            context = multiprocessing.get_context("spawn")
            stop, results = context.Event(), context.Queue()
            prober = context.Process(target=probe, args=(url, stop, results), daemon=True)
            prober.start()
            time.sleep(2)  # a few probes before the upload
            body = {"doc_id": "large", "title": "One long sentence", "text": document}
            started = time.monotonic()
            response = httpx.post(f"{url}/v1/documents", json=body, headers={"X-Admin-Key": key}, timeout=900)
            took = time.monotonic() - started
            memory = memory_mb(proc.pid)
            stop.set()
            probes = list(iter(results.get, None))
            prober.join(10)
        finally:
            stop_server(proc)
    latencies = [took for _, took in probes]
    slow = [(round(at - started, 1), round(took * 1000)) for at, took in probes if took > SLOW_HEALTH_SECONDS]
    return {
        "mode": mode,
        "slow": slow,  # (seconds since the upload began, ms) of each probe over 50 ms
        "status": response.status_code,
        "chunks": response.json().get("chunks"),
        "upload_s": round(took, 1),
        "probes": len(latencies),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
        "over_50_ms": sum(1 for s in latencies if s > SLOW_HEALTH_SECONDS),
        "memory_mb": memory,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modes", default="worker,in-process", help="worker, in-process or both")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    args = parser.parse_args(argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not modes or set(modes) - set(MODES):
        parser.error(f"--modes takes {', '.join(MODES)}")
    document = hostile_documents()["one-sentence.txt"]
    rows = [measure(mode, args.corpus, document) for mode in modes]
    print(
        f"{'upload prepared':<16}{'status':>7}{'chunks':>8}{'upload s':>10}{'probes':>8}{'p50 ms':>9}"
        f"{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'>50 ms':>8}"
    )
    for row in rows:
        print(
            f"{row['mode']:<16}{row['status']:>7}{row['chunks']:>8}{row['upload_s']:>10}{row['probes']:>8}"
            f"{row['p50_ms']:>9}{row['p95_ms']:>9}{row['p99_ms']:>9}{row['max_ms']:>9}{row['over_50_ms']:>8}"
        )
    for row in rows:
        slow = ", ".join(f"{ms} at {at}" for at, ms in row["slow"])
        print(f"{row['mode']}: probes over 50 ms (ms at seconds into the upload): {slow or 'none'}")
    for row in rows:
        memory = ", ".join(f"{name} {mb:.0f}" for name, mb in row["memory_mb"].items())
        print(f"{row['mode']}: resident memory after the upload (MB): {memory}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
