"""Write routes over a real store: upload (JSON or file), replace, delete, with the real model
where the uploaded document is then asked about (slow); what an upload may not do (leave the
uploads folder, overwrite silently, exceed the limits) over a fake embedder (fast)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ingest.pipeline import ingest_paths
from qa.index.embedding import SentenceTransformerEmbedder
from qa.service import QAService, build_service
from qa.settings import Settings
from tests.helpers.corpus import alias_bomb, make_settings
from tests.helpers.fakes import FakeEmbedder
from tests.helpers.http import error_of

KEY = "test-admin-key"
AUTH = {"X-Admin-Key": KEY}
HARBOUR = (
    "Port Velmar opened its new tidal harbour on Monday.\n\n"
    "The harbour cost 48 million euros and will handle 300 ships a year.\n\n"
    "Mayor Ines Carvalho said the harbour would bring 150 jobs to the town."
)


@pytest.fixture(scope="module")
def writable(
    tmp_path_factory: pytest.TempPathFactory, embedder: SentenceTransformerEmbedder
) -> tuple[Settings, QAService]:
    settings = make_settings(
        tmp_path_factory.mktemp("admin") / "data",
        admin_key=KEY,
        rate_limit_per_minute=0,
        max_upload_bytes=20_000,
    )
    return settings, build_service(settings, embedder)


@pytest.fixture(scope="module")
def client(writable: tuple[Settings, QAService]) -> Iterator[TestClient]:
    settings, service = writable
    with TestClient(create_app(settings, service)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def fake_writable(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, QAService]:
    """Like ``writable``, with a fake embedder: for what needs no answers."""
    settings = make_settings(
        tmp_path_factory.mktemp("admin-fake") / "data",
        admin_key=KEY,
        rate_limit_per_minute=0,
        max_upload_bytes=20_000,
        analyse_at_ingest=False,  # the analysis would load spaCy
    )
    return settings, build_service(settings, FakeEmbedder())


@pytest.fixture(scope="module")
def uploads_client(fake_writable: tuple[Settings, QAService]) -> TestClient:
    """The app over ``fake_writable``, without its lifespan (that would load the models)."""
    return TestClient(create_app(*fake_writable))


def uploads(settings: Settings) -> Path:
    return settings.data_dir / "uploads"


@pytest.mark.slow
def test_a_json_document_is_ingested_answerable_and_kept_as_a_file(
    client: TestClient, writable: tuple[Settings, QAService]
) -> None:
    settings, _ = writable
    body = {
        "title": "Port Velmar opens tidal harbour",
        "text": HARBOUR,
        "date": "2025-03-03",
        "source": "Velmar",
    }
    response = client.post("/v1/documents", json=body, headers=AUTH)
    assert response.status_code == 201, response.text
    written = response.json()
    assert written["doc_id"] == "port-velmar-opens-tidal-harbour"
    assert written["status"] == "created" and written["chunks"] >= 1
    assert written["date"] == "2025-03-03" and written["source"] == "Velmar"
    doc = client.get(f"/v1/documents/{written['doc_id']}").json()
    assert "48 million euros" in doc["text"]
    answer = client.post("/v1/ask", json={"question": "How much did the Port Velmar harbour cost?"}).json()
    assert answer["abstained"] is False and "48 million" in answer["text"]
    assert answer["citations"][0]["doc_id"] == written["doc_id"]
    assert (uploads(settings) / "port-velmar-opens-tidal-harbour.md").is_file()
    # The same document again is a conflict, not a silent overwrite; replace=true is explicit.
    message = error_of(client.post("/v1/documents", json=body, headers=AUTH), 409, "duplicate_document")[
        "message"
    ]
    assert "port-velmar-opens-tidal-harbour" in message and "replace=true" in message
    again = client.post("/v1/documents?replace=true", json=body, headers=AUTH)
    assert again.status_code == 200 and again.json()["status"] == "unchanged"
    changed = {**body, "text": HARBOUR.replace("48 million", "52 million")}
    replaced = client.post("/v1/documents?replace=true", json=changed, headers=AUTH)
    assert replaced.json()["status"] == "replaced"
    answer = client.post("/v1/ask", json={"question": "How much did the Port Velmar harbour cost?"}).json()
    assert "52 million" in answer["text"]


def test_a_file_upload_keeps_its_front_matter_and_cannot_leave_the_uploads_folder(
    uploads_client: TestClient, fake_writable: tuple[Settings, QAService], tmp_path: Path
) -> None:
    client, (settings, _) = uploads_client, fake_writable
    text = "---\ndoc_id: lumen-grant\ntitle: Lumen wins grant\n---\nLumen Labs won a grant of 2 million dollars.\n"
    name = "../../../../" + str(tmp_path / "escaped.md")
    response = client.post(
        "/v1/documents", files={"file": (name, text.encode(), "text/markdown")}, headers=AUTH
    )
    assert response.status_code == 201, response.text
    assert response.json()["doc_id"] == "lumen-grant" and response.json()["title"] == "Lumen wins grant"
    assert not (tmp_path / "escaped.md").exists()
    stored = sorted(p.name for p in uploads(settings).iterdir() if p.is_file())
    assert "lumen-grant.md" in stored
    assert not any(settings.data_dir.parent.glob("escaped*"))
    # A doc_id with slashes or dots gets a safe file name of its own.
    odd = "---\ndoc_id: ../etc/passwd\ntitle: Odd\n---\nAn odd identifier, stored safely.\n"
    response = client.post("/v1/documents", files={"file": ("x.md", odd.encode())}, headers=AUTH)
    assert response.status_code == 201 and response.json()["doc_id"] == "../etc/passwd"
    assert all(p.resolve().parent == uploads(settings).resolve() for p in uploads(settings).iterdir())
    # The client resolves the dots before sending: the request reaches no route at all.
    dotted = client.get("/v1/documents/../etc/passwd")
    assert dotted.request.url.path == "/v1/etc/passwd"
    error_of(dotted, 404)
    assert client.get("/v1/documents/..%2Fetc%2Fpasswd").json()["title"] == "Odd"


@pytest.mark.parametrize(
    ("name", "data", "status", "needle"),
    [
        ("empty.md", b"", 400, "file is empty"),
        ("blank.txt", b"  \n\t\n", 400, "only whitespace"),
        ("binary.md", bytes(range(256)) * 4, 400, "binary content"),
        ("latin1.txt", "Café déjà vu".encode("latin-1"), 400, "UTF-8"),
        ("utf16.md", "hello".encode("utf-16"), 400, "UTF-16"),
        ("front.md", b"---\ntitle: [unclosed\n---\nBody.\n", 400, "front matter"),
        ("open.md", b"---\ntitle: never closed\nBody.\n", 400, "never closed"),
        ("date.md", b"---\ndate: someday\n---\nBody text.\n", 400, "YYYY-MM-DD"),
        ("tool.exe", b"MZ\x90\x00", 400, "unsupported file type '.exe'"),
        ("noext", b"text", 400, "(no extension)"),
        ("....md", b"text", 400, "no usable characters"),
        ("big.txt", b"word " * 5000, 413, "QA_MAX_UPLOAD_BYTES"),
        ("page.html", b"<html><body> </body></html>", 400, "no main text"),
        ("bomb.md", alias_bomb().encode(), 400, "aliases (*name) are not allowed"),
    ],
)
def test_unusable_uploads_are_4xx_that_say_what_to_fix(
    uploads_client: TestClient, name: str, data: bytes, status: int, needle: str
) -> None:
    client = uploads_client
    response = client.post("/v1/documents", files={"file": (name, data)}, headers=AUTH)
    message = error_of(response, status)["message"]
    assert needle in message
    assert "/tmp" not in message and ".staging" not in message  # no server paths in errors


def test_an_upload_cannot_take_a_corpus_documents_id_silently(
    uploads_client: TestClient, tmp_path: Path
) -> None:
    client = uploads_client
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "tide-report.md").write_text("# Tide report\n\nThe tide rose 3 metres.\n", encoding="utf-8")
    service: QAService = client.app.state.service  # type: ignore[attr-defined]
    ingest_paths([corpus], service.store, service.lexical)
    body = {"doc_id": "tide-report", "title": "Other", "text": "Something else."}
    message = error_of(client.post("/v1/documents", json=body, headers=AUTH), 409, "duplicate_document")[
        "message"
    ]
    assert "from the corpus file tide-report.md" in message
    # Pruning the corpus leaves uploaded documents alone (they are not the corpus's files).
    report = ingest_paths([corpus], service.store, service.lexical, prune=True)
    assert report.pruned == []
    assert client.get("/v1/documents/lumen-grant").status_code == 200


@pytest.mark.slow
def test_delete_removes_the_document_its_chunks_and_its_file(
    client: TestClient, writable: tuple[Settings, QAService]
) -> None:
    settings, service = writable
    body = {"doc_id": "to-delete", "title": "Short lived", "text": "The Orrin bridge will close in May."}
    assert client.post("/v1/documents", json=body, headers=AUTH).status_code == 201
    assert (uploads(settings) / "to-delete.md").exists()
    response = client.delete("/v1/documents/to-delete", headers={"Authorization": f"Bearer {KEY}"})
    assert response.status_code == 200 and response.json() == {"doc_id": "to-delete", "deleted": True}
    assert not (uploads(settings) / "to-delete.md").exists()
    error_of(client.get("/v1/documents/to-delete"), 404, "not_found")
    assert service.store.get_chunks(["to-delete:0"]) == []
    answer = client.post("/v1/ask", json={"question": "When will the Orrin bridge close?"}).json()
    assert all(c["doc_id"] != "to-delete" for c in answer["citations"])
    assert (
        "to-delete"
        in error_of(client.delete("/v1/documents/to-delete", headers=AUTH), 404, "not_found")["message"]
    )


@pytest.mark.parametrize(
    ("body", "needle", "status"),
    [
        # 422: the request's shape (schema); 400: a well-formed document the loader refuses.
        ({"text": "No title."}, "'title' is required", 422),
        ({"title": "", "text": "x"}, "title", 422),
        ({"title": "   ", "text": "x"}, "title", 422),
        ({"title": "Two\nlines", "text": "x"}, "title", 422),
        ({"title": "T", "text": ""}, "text", 422),
        ({"title": "T", "text": "x", "doc_id": "a\nb"}, "doc_id", 422),
        ({"title": "T", "text": "x", "date": "soon"}, "YYYY-MM-DD", 400),
        ({"title": "T", "text": "x", "colour": "red"}, "unknown field 'colour'", 422),
        ({"title": ["T"], "text": "x"}, "title", 422),
        ({"title": "T", "text": "  \n\t "}, "no text", 400),
    ],
)
def test_invalid_json_documents_are_rejected_with_what_to_fix(
    uploads_client: TestClient, body: dict[str, Any], needle: str, status: int
) -> None:
    client = uploads_client
    response = client.post("/v1/documents", json=body, headers=AUTH)
    assert needle in error_of(response, status, "invalid_request")["message"]
