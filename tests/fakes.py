"""Test doubles shared by several test modules."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


class FakeEmbedder:
    """Deterministic unit vectors from a hash of the text: for store and ingest logic, not meaning."""

    def __init__(self, name: str = "fake-embedder", dimension: int = 16) -> None:
        self.name = name
        self.dimension = dimension
        self.calls: list[int] = []  # texts per embed() call

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls.append(len(texts))
        vectors = []
        for text in texts:
            digest = hashlib.sha256(text.encode()).digest()
            raw = [digest[i % len(digest)] / 255.0 + 0.01 for i in range(self.dimension)]
            norm = sum(x * x for x in raw) ** 0.5
            vectors.append([x / norm for x in raw])
        return vectors
