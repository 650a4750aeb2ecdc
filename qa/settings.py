"""One typed settings object, read from ``QA_*`` environment variables (and ``.env``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
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
    embedding_batch_size: int = Field(32, ge=1, le=1024, description="Chunks per embedding batch.")
    verify_model_checksums: bool = Field(
        True, description="Check SHA-256 of the packaged model files on load."
    )
    chunk_size: int = Field(
        900, ge=200, le=4000, description="Target chunk size in characters (sentence-aligned)."
    )
    chunk_overlap: int = Field(1, ge=0, le=5, description="Sentences repeated between neighbouring chunks.")
    top_k: int = Field(6, ge=1, le=50, description="Passages retrieved per question.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant.")
    min_confidence: float = Field(
        0.4, ge=0.0, le=1.0, description="Answers below this confidence abstain instead."
    )
    host: str = Field("127.0.0.1", description="qa serve: bind address.")
    port: int = Field(8000, ge=1, le=65535, description="qa serve: port.")
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins (besides the server's own) allowed to call the API."
    )
    admin_key: str = Field("", description="Key for write routes (X-Admin-Key); empty = writes disabled.")
    corpus_dir: Path = Field(Path("corpus"), description="Corpus folder ingested by `qa serve --ingest`.")
    log_level: Literal["debug", "info", "warning", "error"] = Field("info", description="Log level.")

    @field_validator("chroma_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError(f"QA_CHROMA_URL must start with http:// or https://, got {value!r}")
        return value.rstrip("/")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
