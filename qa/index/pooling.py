"""A chunk's vector pooled from its sentences' vectors, so ingest runs the model once per sentence.

The answerer needs a vector for every sentence (stored at ingest, see qa.language.analysis);
embedding each chunk as well would run the model over the same words twice. A chunk's vector is
instead the mean of its sentences' vectors, each weighted by its length in characters, scaled
back to unit length: mean pooling over the chunk's tokens, without the attention across sentence
boundaries. That also covers the whole chunk where the model reads at most 256 tokens of one text.
Questions are embedded as themselves, as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from qa.index.embedding import Embedder
from qa.text import sentence_spans

RECIPE = "sentence-mean/v1"  # part of a document's content hash: a change re-embeds stored documents


def sentences_of(text: str) -> list[str]:
    """The sentences a chunk's vector is pooled from: all of them, short ones included."""
    pieces = [s.text for s in sentence_spans(text) if s.text.strip()]
    return pieces or [text]


def embed_sentences(embedder: Embedder, sentences: Sequence[str]) -> dict[str, list[float]]:
    """Sentence -> vector, each distinct sentence embedded once, all in one call (so that the
    embedder can batch sentences of like length together)."""
    unique = list(dict.fromkeys(sentences))  # overlapping chunks repeat a sentence
    return dict(zip(unique, embedder.embed(unique), strict=True))


def pooled(texts: Sequence[str], vectors: Mapping[str, Sequence[float]], dimension: int) -> np.ndarray:
    """Each text's unit vector from ``vectors`` of its sentences (which must all be there)."""
    rows = np.zeros((len(texts), dimension), dtype=np.float32)
    for row, text in enumerate(texts):
        pieces = sentences_of(text)
        weights = np.asarray([len(p) for p in pieces], dtype=np.float32)
        matrix = np.asarray([vectors[p] for p in pieces], dtype=np.float32)
        mean = weights @ matrix
        norm = float(np.linalg.norm(mean))
        rows[row] = mean / norm if norm > 0 else matrix[0]
    return rows


def chunk_vectors(texts: Sequence[str], embedder: Embedder) -> np.ndarray:
    """The pooled vector of each chunk text, in order (a float32 array, one row per text)."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    vectors = embed_sentences(embedder, [p for text in texts for p in sentences_of(text)])
    return pooled(texts, vectors, len(next(iter(vectors.values()))))
