"""Helpers for tests that run the real `qa serve` as a process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_env(data_dir: Path, port: int, **settings: str) -> dict[str, str]:
    """The environment for `qa serve` on ``port`` over the torch-built test store in ``data_dir``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(QA_DATA_DIR=str(data_dir), QA_PORT=str(port), QA_EMBEDDING_BACKEND="torch", **settings)
    return env


def wait_until_ready(proc: subprocess.Popen[bytes], base: str, log: Path, seconds: float = 120) -> None:
    """Poll ``/readyz`` until it answers 200; fail with the server's log if it dies or times out."""
    deadline = time.monotonic() + seconds
    while True:
        assert proc.poll() is None, log.read_text(errors="replace")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "qa serve did not become ready"
        time.sleep(0.25)


@contextmanager
def qa_serve(data_dir: Path, folder: Path, **settings: str) -> Iterator[str]:
    """A real `qa serve` process on a free loopback port over the store in ``data_dir``; yields its
    base URL once it is ready and stops it afterwards (its log is ``folder/serve.log``)."""
    port = free_port()
    log = folder / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "qa"), "serve"],
            env=serve_env(data_dir, port, **settings),
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_ready(proc, base, log)
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=30)
