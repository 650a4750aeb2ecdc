"""Real servers on loopback for tests: `qa serve` as a process, `chroma run`, a static site."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO

import httpx

BIN = Path(sys.executable).parent  # the virtualenv's commands: qa, chroma


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
        assert time.monotonic() < deadline, (
            f"qa serve did not become ready:\n{log.read_text(errors='replace')}"
        )
        time.sleep(0.25)


class QAServe:
    """A `qa serve` process on a free loopback port, its output in ``log``."""

    def __init__(self, data_dir: Path, log: Path, cwd: Path | None = None, **settings: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = serve_env(data_dir, self.port, **settings)
        with log.open("wb") as out:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(
                [str(BIN / "qa"), "serve"], env=env, cwd=cwd or data_dir.parent, stdout=out, stderr=out
            )

    def wait_until_ready(self, seconds: float = 120) -> None:
        wait_until_ready(self.proc, self.base, self.log, seconds)

    def stop(self) -> int:
        """SIGTERM (a kill after 30 s); the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def qa_serve(data_dir: Path, log: Path, cwd: Path | None = None, **settings: str) -> Iterator[QAServe]:
    """`qa serve` over ``data_dir`` (the test store: torch backend) with ``QA_*`` ``settings``,
    started but not yet ready; stopped on leaving. ``cwd`` (default: data_dir's parent) keeps
    the project's .env file out."""
    server = QAServe(data_dir, log, cwd, **settings)
    try:
        yield server
    finally:
        server.stop()


class ChromaServer:
    """``chroma run`` on a loopback port, which can be stopped, paused (signals) and started again.

    Its output goes to ``log`` when given (and is shown when it fails to start).
    """

    def __init__(self, path: Path, port: int | None = None, log: Path | None = None) -> None:
        self.path, self.port, self.log = path, port or free_port(), log
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self._out: IO[bytes] | None = None

    def start(self) -> None:
        command = [str(BIN / "chroma"), "run", "--path", str(self.path), "--host", "127.0.0.1"]
        if self.log is not None and self._out is None:
            self._out = self.log.open("ab")
        out = self._out if self._out is not None else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [*command, "--port", str(self.port)], stdout=out, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while True:
            assert self.proc.poll() is None, f"chroma run exited: {self._log_text()}"
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"chroma run did not start: {self._log_text()}"
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)  # a paused server cannot terminate
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def close(self) -> None:
        """Stop the server and close its log."""
        self.stop()
        if self._out is not None:
            self._out.close()
            self._out = None

    def signal(self, number: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(number)

    def _log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log is not None else "(no log kept)"


def serve_directory(directory: Path) -> tuple[ThreadingHTTPServer, str]:
    """A static site serving ``directory`` from a thread; returns the server and its base URL."""
    handler = partial(SimpleHTTPRequestHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@contextmanager
def ready_qa_serve(data_dir: Path, folder: Path, **settings: str) -> Iterator[str]:
    """A ready `qa serve` over ``data_dir`` (log in ``folder/serve.log``); yields its base URL."""
    with qa_serve(data_dir, folder / "serve.log", folder, **settings) as server:
        server.wait_until_ready()
        yield server.base
