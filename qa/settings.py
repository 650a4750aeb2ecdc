"""One typed settings object, read from ``QA_*`` environment variables (and ``.env``)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every field is documented in the README's settings table."""

    model_config = SettingsConfigDict(env_prefix="QA_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        Path("data"), description="Where the embedded Chroma store and the lexical index live."
    )
    chroma_url: str = Field(
        "", description="URL of a Chroma server (chroma run); empty = embedded store in data_dir."
    )
    collection: str = Field("announcements", description="Chroma collection name prefix.")
    embedding_model: str = Field(
        "", description="Path of a sentence-transformers model; empty = the packaged all-MiniLM-L6-v2."
    )
    embedding_batch_size: int = Field(
        4, ge=1, le=1024, description="Texts per model call (small batches are fastest on a 2-core CPU)."
    )
    embedding_backend: Literal["torch", "onnx-int8"] = Field(
        "onnx-int8",
        description="torch: the model as shipped; onnx-int8: its int8 ONNX export (made once, offline, "
        "cached in data_dir/models), about twice as fast on CPU.",
    )
    verify_model_checksums: bool = Field(
        True, description="Check SHA-256 of the packaged model files on load."
    )
    analyse_at_ingest: bool = Field(
        True,
        description="Store each chunk's sentences, answer candidates and sentence vectors at ingest, so "
        "a question parses and embeds only itself.",
    )
    ingest_batch_chunks: int = Field(
        256,
        ge=1,
        le=4096,
        description="Chunks `qa ingest` analyses and writes in one step: bigger steps keep both cores "
        "busy and make fewer Chroma calls; a run stopped half-way redoes at most one step.",
    )
    chunk_size: int = Field(
        900, ge=200, le=4000, description="Target chunk size in characters (sentence-aligned)."
    )
    chunk_overlap: int = Field(1, ge=0, le=5, description="Sentences repeated between neighbouring chunks.")
    top_k: int = Field(6, ge=1, le=50, description="Passages retrieved per question.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant.")
    rerank_depth: int = Field(
        20,
        ge=0,
        le=200,
        description="Fused candidates re-ranked by the question's names and rare terms (0: off).",
    )
    min_confidence: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="Answers below this probability abstain; empty = the thresholds fitted by `qa fit`.",
    )
    host: str = Field("127.0.0.1", description="qa serve: bind address.")
    port: int = Field(8000, ge=1, le=65535, description="qa serve: port.")
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins (besides the server's own) allowed to call the API."
    )
    admin_key: SecretStr = Field(
        SecretStr(""), description="Key for write routes (X-Admin-Key); empty = writes disabled."
    )
    rate_limit_per_minute: int = Field(
        120, ge=0, description="Questions (/v1/ask, /v1/chat) per client per minute; 0 = no limit."
    )
    forwarded_allow_ips: str = Field(
        "",
        description="Comma-separated addresses or networks of reverse proxies whose X-Forwarded-For "
        "names the client; empty = none (the peer address is the client). '*' is refused.",
    )
    max_body_bytes: int = Field(
        262_144, ge=1024, description="Largest request body; bigger ones get 413 (uploads: max_upload_bytes)."
    )
    max_upload_bytes: int = Field(
        5_242_880, ge=1024, description="Largest document accepted by POST /v1/documents."
    )
    max_questions_in_flight: int = Field(
        64,
        ge=1,
        le=10_000,
        description="Questions this process takes on at once (answered or waiting for an answer thread); "
        "more get 503 with Retry-After.",
    )
    ingest_worker: bool = Field(
        True,
        description="Prepare uploads (load, chunk, embed, analyse) in a worker process started on the "
        "first upload, so they never stall questions; costs a second copy of the models in memory.",
    )
    answer_threads: int = Field(
        2,
        ge=1,
        le=64,
        description="Worker threads answering questions at once (the rest wait): more only contend for "
        "the cores and the GIL, which delays every other request.",
    )
    request_timeout_seconds: float = Field(
        60.0, gt=0, description="A question not answered within this many seconds gets 504."
    )
    store_timeout_seconds: float = Field(
        30.0, gt=0, description="Timeout of each call to a Chroma server (QA_CHROMA_URL)."
    )
    corpus_dir: Path = Field(Path("corpus"), description="Corpus folder ingested by `qa serve --ingest`.")
    log_level: Literal["debug", "info", "warning", "error"] = Field("info", description="Log level.")
    answerer: Literal["extractive", "llm"] = Field(
        "extractive", description="Default answerer: extractive (offline) or llm (a chat-completions server)."
    )
    allow_answerer_override: bool | None = Field(
        None,
        description="Let a request choose its answerer with the 'answerer' field; unset = yes unless an "
        "llm is configured (a request could otherwise switch anyone to the paid model).",
    )
    llm_max_top_k: int = Field(
        8, ge=1, le=50, description="Most passages a request may send to the llm answerer (its cost)."
    )
    llm_base_url: str = Field(
        "",
        description="Base URL of a chat-completions server, e.g. http://127.0.0.1:11434/v1.",
    )
    llm_model: str = Field("", description="Model name sent to the model server.")
    llm_api_key: SecretStr = Field(
        SecretStr(""), description="API key for the model server (never logged or returned)."
    )
    llm_temperature: float = Field(0.0, ge=0.0, le=2.0, description="Sampling temperature.")
    llm_timeout: float = Field(
        30.0, gt=0.0, le=600.0, description="Seconds to wait for the model server (connect, each read)."
    )
    llm_max_tokens: int = Field(512, ge=16, le=32768, description="Most tokens the model may generate.")
    llm_fallback: bool = Field(
        False, description="On a model server failure answer extractively instead of 502/504."
    )
    llm_rewrite: bool = Field(
        True, description="Rewrite chat follow-ups with the model when the llm answerer is used."
    )

    feed_user_agent: str = Field(
        "announcements-qa/0.1 (news feed ingest; qa ingest --feed)",
        description="qa ingest --feed/--sitemap: the User-Agent of every request (and for robots.txt).",
    )
    feed_timeout_seconds: float = Field(
        20.0, gt=0, le=600, description="qa ingest --feed/--sitemap: seconds one page may take in all."
    )
    feed_max_bytes: int = Field(
        5_242_880, ge=1024, description="qa ingest --feed/--sitemap: largest page, feed or sitemap fetched."
    )
    feed_delay_seconds: float = Field(
        1.0, ge=0, le=60, description="qa ingest --feed/--sitemap: pause between two requests to one host."
    )
    feed_max_pages: int = Field(
        500, ge=1, description="qa ingest --feed/--sitemap: most article links taken from one run."
    )

    @field_validator("min_confidence", "allow_answerer_override", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("chroma_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError(f"QA_CHROMA_URL must start with http:// or https://, got {value!r}")
        return value.rstrip("/")

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _check_proxies(cls, value: str) -> str:
        parts = [p.strip() for p in value.split(",") if p.strip()]
        if "*" in parts:
            raise ValueError(
                "QA_FORWARDED_ALLOW_IPS='*' would let every client pick its own address (and rate-limit "
                "bucket) with X-Forwarded-For: list your reverse proxies' addresses instead"
            )
        for part in parts:
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError(
                    f"QA_FORWARDED_ALLOW_IPS: {part!r} is not an IP address or network "
                    "(e.g. 10.0.0.5, 10.0.0.0/8)"
                ) from None
        return ",".join(parts)

    @field_validator("llm_base_url")
    @classmethod
    def _check_llm_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError(f"QA_LLM_BASE_URL must start with http:// or https://, got {value!r}")
        return value.rstrip("/")

    @property
    def answerer_override_allowed(self) -> bool:
        """QA_ALLOW_ANSWERER_OVERRIDE, or when unset: allowed unless an llm is configured."""
        if self.allow_answerer_override is None:
            return not self.llm_configured
        return self.allow_answerer_override

    @property
    def llm_configured(self) -> bool:
        """True when a model server and a model name are set (the llm answerer can be built)."""
        return bool(self.llm_base_url and self.llm_model)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
