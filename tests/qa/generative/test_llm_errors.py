"""Model-server errors name the server without credentials or query, and relay little (issue 14)."""

from __future__ import annotations

from typing import Any, cast

import httpx
import openai

from qa.generative.answerer import GenerativeAnswerer, display_url

BASE = "http://qa-user:s3cret-pass@127.0.0.1:8080/v1?api_key=query-secret#frag"


def test_the_displayed_url_drops_user_password_query_and_fragment() -> None:
    assert display_url(BASE) == "http://127.0.0.1:8080/v1"
    assert display_url("https://[::1]:11434/v1") == "https://[::1]:11434/v1"
    assert display_url("http://[bad") == "(the configured QA_LLM_BASE_URL)"


def test_an_upstream_error_is_relayed_without_secrets_and_capped() -> None:
    answerer = GenerativeAnswerer(cast(Any, None), cast(Any, None), BASE, secret="sk-key")
    upstream = f"failed to call {BASE} with sk-key; see https://other:pw2@example.org/x " + "detail " * 300
    response = httpx.Response(500, request=httpx.Request("POST", "http://127.0.0.1:8080/v1/chat/completions"))
    error = answerer._translate(openai.APIStatusError(upstream, response=response, body=None))
    assert error is not None
    message = str(error)
    for secret in ("s3cret-pass", "query-secret", "qa-user", "sk-key", "pw2"):
        assert secret not in message
    assert "the model server at http://127.0.0.1:8080/v1 answered HTTP 500" in message
    assert len(message) < 400
