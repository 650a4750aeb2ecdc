"""A chunk's vector pooled from its sentences' vectors (fake embedder: the arithmetic, not meaning)."""

from __future__ import annotations

import numpy as np
import pytest

from qa.index.pooling import chunk_vectors, embed_sentences, pooled, sentences_of
from tests.helpers.fakes import FakeEmbedder

FIRST = "Acme Robotics will open a research centre in Lyon."
SECOND = "It opens in May."


def test_a_chunk_vector_is_the_length_weighted_mean_of_its_sentences_at_unit_length() -> None:
    embedder = FakeEmbedder()
    [got] = chunk_vectors([f"{FIRST} {SECOND}"], embedder)
    a, b = (np.asarray(v) for v in embedder.embed([FIRST, SECOND]))
    mean = len(FIRST) * a + len(SECOND) * b
    assert got == pytest.approx(mean / np.linalg.norm(mean), abs=1e-6)
    assert float(np.linalg.norm(got)) == pytest.approx(1.0, abs=1e-6)
    # Weighted by length: the longer sentence pulls harder than an unweighted mean would.
    unweighted = (a + b) / np.linalg.norm(a + b)
    assert float(got @ a) > float(unweighted @ a)


def test_a_one_sentence_chunk_has_that_sentences_vector() -> None:
    embedder = FakeEmbedder()
    [got] = chunk_vectors([FIRST], embedder)
    assert got == pytest.approx(embedder.embed([FIRST])[0], abs=1e-6)


def test_every_distinct_sentence_is_embedded_once_in_one_call() -> None:
    embedder = FakeEmbedder()
    vectors = chunk_vectors([f"{FIRST} {SECOND}", SECOND, f"{SECOND} Short.", "Short."], embedder)
    assert vectors.shape == (4, embedder.dimension) and vectors.dtype == np.float32
    assert embedder.calls == [3]  # FIRST, SECOND, "Short."
    assert embedder.calls == [len(embed_sentences(FakeEmbedder(), [FIRST, SECOND, SECOND, "Short."]))]


def test_short_lines_count_and_blank_text_still_gets_a_vector() -> None:
    assert sentences_of(f"Update.\n{FIRST}") == ["Update.", FIRST]
    assert sentences_of("   ") == ["   "]
    [blank] = chunk_vectors(["   "], FakeEmbedder())
    assert float(np.linalg.norm(blank)) == pytest.approx(1.0, abs=1e-6)


def test_nothing_to_embed_makes_no_call() -> None:
    embedder = FakeEmbedder()
    assert chunk_vectors([], embedder).shape == (0, 0)
    assert pooled([], {}, 16).shape == (0, 16)
    assert embedder.calls == []
