"""Helpers for tests that run the real `qa serve` as a process."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx


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
