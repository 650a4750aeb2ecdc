"""Property-based run of the OpenAPI schema (schemathesis, in-process over ASGI): valid and invalid
requests for every operation, with the admin key so the write routes are exercised too. No
response may be a 5xx, and every response must match the documented status codes, schemas and
content types. Bounded: a fixed number of examples per operation, derandomised."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
)

from api.app import create_app
from ingest.pipeline import ingest_paths
from qa.index.embedding import SentenceTransformerEmbedder
from qa.service import build_service
from tests.helpers.corpus import make_settings

pytestmark = pytest.mark.slow

KEY = "schemathesis-key"
EXAMPLES = 40
OPERATIONS = [
    ("POST", "/v1/ask"),
    ("POST", "/v1/chat"),
    ("GET", "/v1/documents"),
    ("POST", "/v1/documents"),
    ("GET", "/v1/documents/{doc_id}"),
    ("DELETE", "/v1/documents/{doc_id}"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("POST", "/v1/search"),
    ("POST", "/v1/chat/completions"),
    ("GET", "/v1/models"),
]
OPENAI_ROUTES = {"/v1/chat/completions", "/v1/models"}  # errors in OpenAI's shape
NOTHING_INVALID = {
    ("GET", "/v1/models"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/v1/documents/{doc_id}"),
    ("DELETE", "/v1/documents/{doc_id}"),
}
SEMANTIC_CHECKS = {
    ("POST", "/v1/ask"),
    ("POST", "/v1/chat"),
    ("POST", "/v1/documents"),
    # A doc_id with control characters or not in Unicode NFC is a 400 that says so.
    ("GET", "/v1/documents/{doc_id}"),
    ("DELETE", "/v1/documents/{doc_id}"),
    ("POST", "/v1/search"),
    ("POST", "/v1/chat/completions"),
}
CASES: dict[str, int] = {}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, embedder: SentenceTransformerEmbedder) -> Iterator[FastAPI]:
    """The app over a private store of two small articles; writes allowed with KEY."""
    root = tmp_path_factory.mktemp("schemathesis")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "lab.md").write_text(
        "---\ntitle: Sorell opens Tokyo lab\ndate: 2025-02-01\nsource: Sorell\n---\n"
        "Sorell will open an AI drug discovery lab in Tokyo.\n\nThe lab will create 120 jobs.\n",
        encoding="utf-8",
    )
    (corpus / "port.txt").write_text(
        "Port Velmar opens harbour\nThe harbour cost 48 million euros.\n", encoding="utf-8"
    )
    app_settings = make_settings(root / "data", admin_key=KEY, rate_limit_per_minute=0)
    service = build_service(app_settings, embedder)
    ingest_paths([corpus], service.store, service.lexical)
    application = create_app(app_settings, service)
    with TestClient(application):  # runs the lifespan (warm-up) once
        yield application
    print(f"\nschemathesis: {sum(CASES.values())} cases over {len(CASES)} operation/mode pairs: {CASES}")


@pytest.fixture(scope="module")
def api_schema(app: FastAPI) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_the_run_covers_every_operation(api_schema: Any) -> None:
    documented = {
        (method.upper(), path) for path, item in api_schema.raw_schema["paths"].items() for method in item
    }
    assert documented == set(OPERATIONS)


# Invalid requests only where something can be invalid (not: no parameters, any string is a doc_id).
RUNS = [(m, p, GenerationMode.POSITIVE) for m, p in OPERATIONS] + [
    (m, p, GenerationMode.NEGATIVE) for m, p in OPERATIONS if (m, p) not in NOTHING_INVALID
]


@pytest.mark.parametrize(("method", "path", "mode"), RUNS, ids=[f"{m} {p} {g.value}" for m, p, g in RUNS])
def test_no_request_gets_a_server_error(
    api_schema: Any, method: str, path: str, mode: GenerationMode
) -> None:
    operation = api_schema[path][method]
    label = f"{method} {path} {mode.value}"
    # Where validity depends on more than the schema can say, valid-looking data may get a 4xx
    # (then it must be our error shape with a message): the last chat message must be the
    # user's, an upload needs a known file extension and text, 'llm' needs a model server.
    excluded = [positive_data_acceptance] if (method, path) in SEMANTIC_CHECKS else []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        CASES[label] = CASES.get(label, 0) + 1
        response = case.call(headers={"X-Admin-Key": KEY})
        assert response.status_code < 500, (label, response.status_code, response.text[:500])
        if response.status_code >= 400:
            error = response.json()["error"]
            shape = {"code", "message", "type", "param"} if path in OPENAI_ROUTES else {"code", "message"}
            assert set(error) == shape and error["message"], response.text
        skip = list(excluded)
        if response.status_code == 413:  # a body over QA_MAX_BODY_BYTES is rejected too
            skip.append(negative_data_rejection)
        if "text/event-stream" in str(response.headers.get("content-type", "")):
            # The chat route documents its stream as a plain string, so schemathesis cannot check
            # events against it; check the framing here instead (each data line is JSON, ends with done).
            events = [block.split("\n") for block in response.text.strip().split("\n\n")]
            if path in OPENAI_ROUTES:  # data-only chunks, then [DONE]
                assert all(len(e) == 1 and json.loads(e[0][len("data: ") :]) for e in events[:-1])
                assert events[-1] == ["data: [DONE]"]
            else:
                assert all(e[0].startswith("event: ") and json.loads(e[1][len("data: ") :]) for e in events)
                assert events[-1][0] == "event: done"
            skip.append(response_schema_conformance)
        case.validate_response(response, excluded_checks=skip)

    run()
