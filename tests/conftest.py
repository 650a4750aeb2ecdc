"""Shared fixtures: no network, offline models, one real embedder and one ingested corpus per session.

Fixtures other test packages rely on (keep their names): ``embedder`` (the real packaged
all-MiniLM-L6-v2, loaded once), ``corpus_service`` (a QAService over ``corpus/`` ingested once
into a temporary store; nothing may write to its store), ``chroma_server`` (a real ``chroma run``
on loopback), ``fake_embedder``, ``settings``, and the browser's (tests/helpers/browser.py).

A test that uses the real model, a Chroma server or the browser through these fixtures must be
marked ``slow``: collection stops with the list of those that are not, and the fast run fails
when one of its tests loaded torch, spaCy, sentence-transformers or ONNX Runtime all the same.
Helpers shared by test modules live in tests/helpers/, never here.
"""

from __future__ import annotations

import ast
import os
import sys
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
from qa.index.embedding import SentenceTransformerEmbedder
from qa.service import QAService, build_service
from qa.settings import Settings
from tests.helpers.corpus import CORPUS_DIR, make_settings
from tests.helpers.fakes import FakeEmbedder
from tests.helpers.network import loopback_only
from tests.helpers.servers import ChromaServer

pytest_plugins = ["tests.helpers.browser"]

# Fixtures that make a test slow, and why.
SLOW_FIXTURES = {
    "embedder": "the real embedding model",
    "chroma_server": "a `chroma run` server",
    "browser": "a browser",
}


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto`` (in addopts): the fast run on two worker processes; a run with slow tests (real
    models, servers, a browser, the load test, each wanting the whole machine) in this one."""
    return min(2, os.cpu_count() or 1) if config.getoption("markexpr") == "not slow" else 0


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """The fast run (the default ``-m 'not slow'``) does not import a test module marked slow as a
    whole: its tests would all be deselected, and its imports (schemathesis, playwright) cost
    seconds."""
    if config.getoption("markexpr") != "not slow" or not collection_path.name.startswith("test_"):
        return None
    if collection_path.suffix != ".py":
        return None
    return wholly_slow(collection_path) or None


def wholly_slow(path: Path) -> bool:
    """True when the module's ``pytestmark`` includes ``pytest.mark.slow``."""
    text = path.read_text(encoding="utf-8")
    if "pytestmark" not in text:
        return False
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "pytestmark" for t in node.targets):
            return "mark.slow" in ast.unparse(node.value)
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Refuse to run a test that needs a slow fixture but is not marked slow."""
    unmarked = []
    for item in items:
        needs = [why for name, why in SLOW_FIXTURES.items() if name in getattr(item, "fixturenames", ())]
        if needs and item.get_closest_marker("slow") is None:
            unmarked.append(f"  {item.nodeid}: uses {', '.join(needs)}")
    if unmarked:
        raise pytest.UsageError(
            "these tests need @pytest.mark.slow (or fakes instead of the real parts):\n" + "\n".join(unmarked)
        )


# Libraries of the real models: the fast run must not load them (checked after every test).
MODEL_LIBRARIES = ("torch", "spacy", "sentence_transformers", "onnxruntime")
_loaded_by: dict[str, str] = {}


def pytest_runtest_logfinish(nodeid: str, location: tuple[str, int | None, str]) -> None:
    for library in MODEL_LIBRARIES:
        if library not in _loaded_by and library in sys.modules:
            _loaded_by[library] = nodeid


def pytest_testnodedown(node: Any, error: object) -> None:
    """(xdist, in the controller) What a worker's tests loaded counts as loaded here."""
    for library, nodeid in getattr(node, "workeroutput", {}).get("model_libraries", {}).items():
        _loaded_by.setdefault(library, nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the fast run when one of its tests loaded a model library (it belongs in the slow set).
    A worker process hands what its tests loaded to the controller, which fails the run."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["model_libraries"] = dict(_loaded_by)
        return
    if session.config.getoption("markexpr") != "not slow" or not _loaded_by:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        for library, nodeid in _loaded_by.items():
            reporter.write_line(f"{nodeid} loaded {library}: mark it slow or give it a fake", red=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


# -- no network -------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def no_analysis_in_fast_tests(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fast tests ingest without the at-ingest analysis: it loads spaCy and the real embedder; and
    their apps prepare uploads with the injected fakes, not in a worker that loads the real models."""
    if request.node.get_closest_marker("slow") is None:
        monkeypatch.setenv("QA_ANALYSE_AT_INGEST", "false")
        monkeypatch.setenv("QA_INGEST_WORKER", "false")


@pytest.fixture(scope="session", autouse=True)
def block_network() -> Iterator[None]:
    """Refuse every outbound connection except loopback and unix sockets, for the whole session."""
    with loopback_only():
        yield


# -- models, settings, servers -------------------------------------------------------------------
@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    """The real packaged all-MiniLM-L6-v2, loaded (and checksum-verified) once per session."""
    model = SentenceTransformerEmbedder()
    model.embed(["load the model now"])
    return model


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


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


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[ChromaServer]:
    """A running ``chroma run`` on loopback over tmp_path/chroma-server (log: tmp_path/chroma.log)."""
    server = ChromaServer(tmp_path / "chroma-server", log=tmp_path / "chroma.log")
    server.start()
    try:
        yield server
    finally:
        server.close()


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
