"""The optional generative answerer: any chat-completions server, its citations verified.

    question + passages ─> prompt (qa/generative/prompts/answer.txt) ─> model ─> qa.generative.verification
        ├─ some claims verified: Answer(answerer="llm", citations, dropped_claims)
        └─ none verified:        the extractive answer, fallback="extractive", dropped_claims

The chat model is injected (LangChain's ``BaseChatModel``; ``build_chat_model`` makes a
``ChatOpenAI`` for a base URL). Failures of the model server become ``LLMError`` /
``LLMTimeout`` naming its base URL, never the key; with ``fallback_on_error`` they become the
extractive answer instead, flagged ``fallback="extractive"`` with a note saying why.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr

from qa.errors import ConfigError, LLMError, LLMTimeout
from qa.extractive import ExtractiveAnswerer
from qa.generative.prompting import format_passages, load_prompt, neutralise, restore
from qa.generative.verification import MODEL_ABSTAINED, verify_answer
from qa.language.evidence import ABSTAIN_TEXT
from qa.language.questions import Question
from qa.settings import Settings
from qa.types import Answer, Passage

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

logger = logging.getLogger(__name__)
_HINTS = {
    401: "check QA_LLM_API_KEY",
    403: "check QA_LLM_API_KEY",
    404: "check QA_LLM_MODEL, and that QA_LLM_BASE_URL ends with /v1",
}

Messages = list[tuple[str, str]]


@dataclass(frozen=True)
class _Asked:
    """A question with what retrieval found: what the extractive answerer needs when it answers
    instead of the model."""

    question: str
    passages: Sequence[Passage]
    query_embedding: Sequence[float]
    analysis: Question | None


class GenerativeAnswerer:
    """Answers with a chat model from numbered passages; keeps only what the passages support."""

    def __init__(
        self,
        model: BaseChatModel,
        extractive: ExtractiveAnswerer,
        server: str,
        timeout: float = 30.0,
        fallback_on_error: bool = False,
        secret: str = "",
    ) -> None:
        self.model = model
        self.extractive = extractive
        self.server = display_url(server)  # named in error messages: no credentials, no query
        self._raw_server = server  # only to scrub it from relayed error text
        self.timeout = timeout
        self.fallback_on_error = fallback_on_error
        self._secret = secret  # only to scrub it from error messages
        self.prompt = load_prompt("answer", ["abstain", "passages", "question"])
        self.rewrite_prompt = load_prompt("rewrite", ["conversation", "question"])

    def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        query_embedding: Sequence[float] = (),
        analysis: Question | None = None,
    ) -> Answer:
        """The verified answer; raises LLMError / LLMTimeout unless ``fallback_on_error``.
        ``analysis`` (retrieval's) goes to the extractive answerer when it answers instead."""
        final: Answer | None = None
        for event in self._generate(question, passages, query_embedding, analysis, streaming=False):
            if isinstance(event, Answer):
                final = event
        assert final is not None  # _generate always ends with the answer
        return final

    def stream(
        self,
        question: str,
        passages: Sequence[Passage],
        query_embedding: Sequence[float] = (),
        analysis: Question | None = None,
    ) -> Generator[str | Answer, None, None]:
        """The model's text in pieces as it arrives, then the verified Answer (always last).

        Errors before the first piece are raised by the first ``next()``; later ones by the one
        after the last piece received.
        """
        return self._generate(question, passages, query_embedding, analysis, streaming=True)

    def rewrite(self, conversation: Sequence[tuple[str, str]], fallback: str, max_chars: int = 2000) -> str:
        """The last (role, content) turn as a standalone question written by the model, or
        ``fallback`` when the model's reply is empty, several lines long or too long."""
        lines = [f"{role}: {neutralise(' '.join(content.split()))}" for role, content in conversation[:-1]]
        last = " ".join(conversation[-1][1].split())
        messages = self.rewrite_prompt.messages(conversation="\n".join(lines), question=neutralise(last))
        try:
            reply = self._invoke(messages)
        except LLMError as exc:
            if not self.fallback_on_error:
                raise
            logger.warning("follow-up rewrite failed, using the rule-based one: %s", exc)
            return fallback
        line = next((x.strip().strip("\"“”'") for x in reply.splitlines() if x.strip()), "")
        if not line or len(line) > max_chars or len(reply.strip().splitlines()) > 1:
            return fallback
        return restore(line)

    # -- generation ------------------------------------------------------------------------
    def _generate(
        self,
        question: str,
        passages: Sequence[Passage],
        query_embedding: Sequence[float],
        analysis: Question | None,
        streaming: bool,
    ) -> Generator[str | Answer, None, None]:
        asked = _Asked(question, passages, query_embedding, analysis)
        if not passages:
            yield self._extractive(asked, "No passages matched the question.")
            return
        messages = self.prompt.messages(
            abstain=ABSTAIN_TEXT, passages=format_passages(passages), question=neutralise(question)
        )
        pieces: list[str] = []
        try:
            if streaming:
                for piece in self._stream(messages):
                    pieces.append(piece)
                    yield piece
            else:
                pieces.append(self._invoke(messages))
            if not "".join(pieces).strip():
                raise LLMError(f"the model server at {self.server} returned an empty answer")
        except LLMError as exc:
            if not self.fallback_on_error:
                raise
            logger.warning("model server failed, answering extractively: %s", exc)
            note = f"The model could not answer ({exc}); this is the extractive answer."
            yield self._extractive(asked, note)
            return
        yield self._verified(asked, "".join(pieces))

    def _verified(self, asked: _Asked, text: str) -> Answer:
        checked = verify_answer(text, asked.passages, ABSTAIN_TEXT)
        if checked.kept:
            return Answer(
                text=checked.text,
                abstained=False,
                confidence=round(checked.kept / checked.total, 4),
                citations=checked.citations,
                answerer="llm",
                dropped_claims=checked.dropped,
            )
        if any(d.reason == MODEL_ABSTAINED for d in checked.dropped):
            note = "The model found no answer in the passages; this is the extractive answer."
        else:
            note = "No sentence of the model's answer could be verified; this is the extractive answer."
        answer = self._extractive(asked, note)
        answer.dropped_claims = checked.dropped
        return answer

    def _extractive(self, asked: _Asked, note: str) -> Answer:
        answer = self.extractive.answer(asked.question, asked.passages, asked.query_embedding, asked.analysis)
        answer.fallback = "extractive"
        answer.note = " ".join(n for n in (note, answer.note) if n)
        return answer

    # -- the model server ------------------------------------------------------------------
    def _invoke(self, messages: Messages) -> str:
        try:
            return self.model.invoke(messages).text
        except Exception as exc:
            error = self._translate(exc)
            if error is None:
                raise
            raise error from exc

    def _stream(self, messages: Messages) -> Iterator[str]:
        deadline = time.monotonic() + self.timeout
        try:
            for chunk in self.model.stream(messages):
                if chunk.text:
                    yield chunk.text
                if time.monotonic() > deadline:
                    raise LLMTimeout(self._timeout_message())
        except LLMError:
            raise
        except Exception as exc:
            error = self._translate(exc)
            if error is None:
                raise
            raise error from exc

    def _timeout_message(self) -> str:
        return f"the model server at {self.server} did not answer within {self.timeout:g} s (QA_LLM_TIMEOUT)"

    def _translate(self, exc: Exception) -> LLMError | None:
        """The domain error for a failure of the model server; None for any other exception."""
        import httpx
        import openai

        if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException):
            return LLMTimeout(self._timeout_message())
        if isinstance(exc, openai.APIConnectionError | httpx.TransportError):
            return LLMError(
                f"could not reach the model server at {self.server}: check QA_LLM_BASE_URL "
                "and that the server is running"
            )
        if isinstance(exc, openai.APIStatusError):
            hint = _HINTS.get(exc.status_code, "")
            detail = self._scrub(exc.message)
            return LLMError(
                f"the model server at {self.server} answered HTTP {exc.status_code}: {detail}"
                + (f"; {hint}" if hint else "")
            )
        malformed = (openai.OpenAIError, httpx.HTTPError, ValueError, KeyError, TypeError, IndexError)
        if isinstance(exc, malformed):
            return LLMError(
                f"the model server at {self.server} sent a malformed answer "
                f"({type(exc).__name__}: {self._scrub(str(exc))})"
            )
        return None

    def _scrub(self, text: str, limit: int = 200) -> str:
        """Relayed upstream text: one line, no key, no credentials in URLs, at most ``limit`` chars."""
        text = " ".join(text.split())
        if self._secret:
            text = text.replace(self._secret, "***")
        text = text.replace(self._raw_server, self.server)
        text = _USERINFO.sub("//", text)
        return text if len(text) <= limit else text[: limit - 1] + "…"


_USERINFO = re.compile(r"//[^/\s@]{1,256}@")  # "//user:password@" in any URL


def display_url(url: str) -> str:
    """``url`` without user, password, query or fragment: safe to show in an error message."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(the configured QA_LLM_BASE_URL)"
    if ":" in host:
        host = f"[{host}]"
    return urlunsplit((parts.scheme, host + port, parts.path, "", ""))


def build_chat_model(settings: Settings) -> BaseChatModel:
    """A ``ChatOpenAI`` client for the configured server: no retries, the configured timeout."""
    from langchain_openai import ChatOpenAI  # imports the openai SDK: only when configured

    key = settings.llm_api_key.get_secret_value() or "not-needed"  # local servers take any key
    # ChatOpenAI sends max_completion_tokens; Ollama and older llama.cpp servers read only
    # max_tokens, which some hosted reasoning models refuse: send it to other servers only.
    legacy = {} if "api.openai.com" in settings.llm_base_url else {"max_tokens": settings.llm_max_tokens}
    return ChatOpenAI(
        model=settings.llm_model,
        base_url=settings.llm_base_url,
        api_key=SecretStr(key),
        temperature=settings.llm_temperature,
        timeout=settings.llm_timeout,
        max_retries=0,
        max_tokens=settings.llm_max_tokens,
        use_responses_api=False,  # chat completions: what Ollama, llama.cpp and vLLM serve
        stream_usage=False,
        extra_body=legacy or None,
    )


def build_generative(
    settings: Settings, extractive: ExtractiveAnswerer, model: BaseChatModel | None = None
) -> GenerativeAnswerer | None:
    """The generative answerer when QA_LLM_BASE_URL and QA_LLM_MODEL are set, else None;
    ConfigError when QA_ANSWERER=llm without them."""
    if not settings.llm_configured:
        if settings.answerer == "llm":
            raise ConfigError(
                "QA_ANSWERER=llm needs a model server: set QA_LLM_BASE_URL (e.g. http://127.0.0.1:11434/v1) "
                "and QA_LLM_MODEL (and QA_LLM_API_KEY if the server needs one)"
            )
        return None
    return GenerativeAnswerer(
        model or build_chat_model(settings),
        extractive,
        settings.llm_base_url,
        settings.llm_timeout,
        settings.llm_fallback,
        settings.llm_api_key.get_secret_value(),
    )
