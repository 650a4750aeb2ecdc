"""Shared fixtures: no network, offline models, one real embedder and one ingested corpus per session.

Fixtures other test packages rely on (keep their names): ``embedder`` (the real packaged
all-MiniLM-L6-v2, loaded once) and ``corpus_service`` (a QAService over ``corpus/`` ingested
once into a temporary store). Nothing may write to ``corpus_service``'s store.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Before any test module imports huggingface_hub or transformers: they read these at import.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"

from ingest.pipeline import IngestReport, ingest_paths
from qa.embedding import SentenceTransformerEmbedder
from qa.service import QAService, build_service
from qa.settings import Settings
from tests.fakes import FakeEmbedder

ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = ROOT / "corpus"
CORPUS_DOCS = 19


# -- no network -------------------------------------------------------------------------------
class NetworkBlocked(RuntimeError):
    """A test tried to reach a non-loopback address."""


def is_loopback(address: Any) -> bool:
    """True for unix socket paths, 'localhost', 127.0.0.0/8 and ::1 (also IPv4-mapped)."""
    if isinstance(address, str | bytes | os.PathLike):
        return True  # AF_UNIX path (or abstract socket)
    host = address[0]
    if isinstance(host, bytes):
        host = host.decode()
    host = str(host)
    if host.lower() == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False  # a host name other than localhost would need DNS: refuse it
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def _refuse(address: Any) -> None:
    if not is_loopback(address):
        raise NetworkBlocked(f"tests may only connect to loopback, not {address!r}")


@pytest.fixture(scope="session", autouse=True)
def block_network() -> Iterator[None]:
    """Refuse every outbound connection except loopback and unix sockets, for the whole session."""
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex
    original_create_connection = socket.create_connection

    def connect(self: socket.socket, address: Any) -> None:
        if self.family != getattr(socket, "AF_UNIX", None):
            _refuse(address)
        original_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if self.family != getattr(socket, "AF_UNIX", None):
            _refuse(address)
        return original_connect_ex(self, address)

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        _refuse(address)
        return original_create_connection(address, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", connect)
        patch.setattr(socket.socket, "connect_ex", connect_ex)
        patch.setattr(socket, "create_connection", create_connection)
        yield


# -- models and settings ------------------------------------------------------------------------
@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    """The real packaged all-MiniLM-L6-v2, loaded (and checksum-verified) once per session."""
    model = SentenceTransformerEmbedder()
    model.embed(["load the model now"])
    return model


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings with a private data dir, ignoring any .env file."""
    return Settings(data_dir=data_dir, _env_file=None, **overrides)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings whose store lives in this test's tmp_path."""
    return make_settings(tmp_path / "data")


@pytest.fixture
def service_factory(embedder: SentenceTransformerEmbedder) -> Callable[[Settings], QAService]:
    """Build a QAService for given settings around the shared real embedder."""

    def build(settings: Settings) -> QAService:
        return build_service(settings, embedder)

    return build


@pytest.fixture
def service(settings: Settings, service_factory: Callable[[Settings], QAService]) -> QAService:
    """An empty service (nothing ingested) with the real embedder, in tmp_path."""
    return service_factory(settings)


# -- the ingested corpus, shared ------------------------------------------------------------
@pytest.fixture(scope="session")
def corpus_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("corpus-store"))


@pytest.fixture(scope="session")
def corpus_service_and_report(
    corpus_settings: Settings, embedder: SentenceTransformerEmbedder
) -> tuple[QAService, IngestReport]:
    service = build_service(corpus_settings, embedder)
    report = ingest_paths(
        [CORPUS_DIR],
        service.store,
        service.lexical,
        chunk_size=corpus_settings.chunk_size,
        overlap=corpus_settings.chunk_overlap,
    )
    assert not report.failures, report.failures
    return service, report


@pytest.fixture(scope="session")
def corpus_service(corpus_service_and_report: tuple[QAService, IngestReport]) -> QAService:
    """A QAService over the real corpus/, ingested once per session (read-only for tests)."""
    return corpus_service_and_report[0]


@pytest.fixture(scope="session")
def corpus_report(corpus_service_and_report: tuple[QAService, IngestReport]) -> IngestReport:
    """What the session's one ingest of corpus/ reported."""
    return corpus_service_and_report[1]
