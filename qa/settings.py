"""One typed settings object, read from ``QA_*`` environment variables (and ``.env``)."""

from __future__ import annotations

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
    max_body_bytes: int = Field(
        262_144, ge=1024, description="Largest request body; bigger ones get 413 (uploads: max_upload_bytes)."
    )
    max_upload_bytes: int = Field(
        5_242_880, ge=1024, description="Largest document accepted by POST /v1/documents."
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
        "extractive", description="Default answerer: extractive (offline) or llm (OpenAI-compatible server)."
    )
    allow_answerer_override: bool = Field(
        True, description="Let a request choose its answerer with the 'answerer' field."
    )
    llm_base_url: str = Field(
        "",
        description="Base URL of an OpenAI-compatible chat-completions server, e.g. http://127.0.0.1:11434/v1.",
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

    @field_validator("chroma_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError(f"QA_CHROMA_URL must start with http:// or https://, got {value!r}")
        return value.rstrip("/")

    @field_validator("llm_base_url")
    @classmethod
    def _check_llm_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError(f"QA_LLM_BASE_URL must start with http:// or https://, got {value!r}")
        return value.rstrip("/")

    @property
    def llm_configured(self) -> bool:
        """True when a model server and a model name are set (the llm answerer can be built)."""
        return bool(self.llm_base_url and self.llm_model)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
