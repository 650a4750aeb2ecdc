"""CORS per route, with real preflight requests against the app: a page on a listed origin may
send ``Authorization`` (and an SDK's own headers) to the OpenAI-compatible routes, never to the
admin routes or any other, and an unlisted origin gets nothing."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from qa.service import QAService
from tests.helpers.corpus import make_settings
from tests.helpers.fakes import FakeService

LISTED = "https://chat.example.org"
ADMIN_KEY = "cors-admin-key"
SDK_HEADERS = "authorization, content-type, x-stainless-lang, x-stainless-retry-count"


def app_client(tmp_path: Path, origins: list[str]) -> TestClient:
    settings = make_settings(tmp_path / "data", cors_origins=origins, admin_key=ADMIN_KEY)
    return TestClient(create_app(settings, cast(QAService, FakeService())))


def preflight(
    client: TestClient, path: str, method: str, headers: str, origin: str = LISTED
) -> httpx.Response:
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
    )


@pytest.mark.parametrize(("path", "method"), [("/v1/chat/completions", "POST"), ("/v1/models", "GET")])
def test_openai_routes_let_a_listed_page_send_its_key_and_sdk_headers(
    tmp_path: Path, path: str, method: str
) -> None:
    with app_client(tmp_path, [LISTED]) as client:
        response = preflight(client, path, method, SDK_HEADERS)
        assert response.status_code == 200, response.text
        headers = response.headers
        assert headers["access-control-allow-origin"] == LISTED
        allowed = {h.strip() for h in headers["access-control-allow-headers"].lower().split(",")}
        assert {"authorization", "x-stainless-lang"} <= allowed


def test_the_actual_openai_request_with_a_key_is_readable_by_the_page(tmp_path: Path) -> None:
    body = {"model": "announcements-qa", "messages": [{"role": "user", "content": "Who opened the lab?"}]}
    with app_client(tmp_path, [LISTED]) as client:
        response = client.post(
            "/v1/chat/completions", json=body, headers={"Origin": LISTED, "Authorization": "Bearer sk-any"}
        )
        assert response.status_code == 200, response.text
        assert response.headers["access-control-allow-origin"] == LISTED
        models = client.get("/v1/models", headers={"Origin": LISTED, "Authorization": "Bearer sk-any"})
        assert models.headers["access-control-allow-origin"] == LISTED


@pytest.mark.parametrize(
    ("path", "method", "headers"),
    [
        ("/v1/documents", "POST", "authorization, content-type"),  # the admin key as a bearer token
        ("/v1/documents", "POST", "x-admin-key, content-type"),
        ("/v1/documents/some-doc", "DELETE", "authorization"),
        ("/v1/documents", "GET", "authorization"),
        ("/v1/ask", "POST", "authorization, content-type"),  # not an OpenAI route either
        ("/v1/chat", "POST", "authorization"),
        ("/v1/chat/completions/", "POST", "authorization"),  # only the exact paths
    ],
)
def test_no_other_route_lets_a_page_send_a_key(tmp_path: Path, path: str, method: str, headers: str) -> None:
    with app_client(tmp_path, [LISTED]) as client:
        response = preflight(client, path, method, headers)
        assert response.status_code == 400  # the browser stops here
        allowed = response.headers.get("access-control-allow-headers", "").lower()
        assert "authorization" not in allowed and "x-admin-key" not in allowed


def test_other_routes_still_take_json_from_a_listed_page(tmp_path: Path) -> None:
    with app_client(tmp_path, [LISTED]) as client:
        response = preflight(client, "/v1/ask", "POST", "content-type")
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == LISTED


def test_an_unlisted_origin_gets_nothing_even_on_openai_routes(tmp_path: Path) -> None:
    with app_client(tmp_path, [LISTED]) as client:
        response = preflight(client, "/v1/chat/completions", "POST", SDK_HEADERS, "https://evil.example")
        assert response.status_code == 400
        assert "access-control-allow-origin" not in response.headers
    with app_client(tmp_path, []) as client:  # no origins listed: no CORS at all
        response = preflight(client, "/v1/models", "GET", "authorization")
        assert "access-control-allow-origin" not in response.headers
