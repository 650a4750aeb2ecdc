"""The packaged embedding model: verified checksums, offline loading, unit vectors of 384 dimensions."""

from __future__ import annotations

import math
import os
import shutil
from pathlib import Path

import pytest

from qa.errors import ChecksumError, ModelError
from qa.index import embedding
from qa.index.embedding import (
    DEFAULT_MODEL_NAME,
    DEFAULT_MODEL_PACKAGE,
    DEFAULT_MODEL_SHA256,
    SentenceTransformerEmbedder,
    packaged_model_path,
    verify_files,
)


def mirror(source: Path, target: Path, tamper: str = "", drop: str = "") -> Path:
    """``target`` with every file of ``source`` linked, except ``tamper`` (a modified copy) and ``drop``."""
    for path in source.rglob("*"):
        if not path.is_file():
            continue
        relative = path.relative_to(source).as_posix()
        dest = target / relative
        dest.parent.mkdir(parents=True, exist_ok=True)
        if relative == drop:
            continue
        if relative == tamper:
            shutil.copyfile(path, dest)
            with dest.open("ab") as handle:
                handle.write(b" ")
        else:
            dest.symlink_to(path)
    return target


def test_the_packaged_files_match_their_pinned_hashes() -> None:
    verify_files(packaged_model_path(), DEFAULT_MODEL_SHA256, DEFAULT_MODEL_PACKAGE)


@pytest.mark.parametrize("tamper", ["config.json", "1_Pooling/config.json", "vocab.txt"])
def test_a_tampered_file_fails_with_a_message_that_says_reinstall(tmp_path: Path, tamper: str) -> None:
    folder = mirror(packaged_model_path(), tmp_path / "model", tamper=tamper)
    with pytest.raises(
        ChecksumError, match=f"failed its checksum: reinstall {DEFAULT_MODEL_PACKAGE}"
    ) as info:
        verify_files(folder, DEFAULT_MODEL_SHA256, DEFAULT_MODEL_PACKAGE)
    assert tamper in str(info.value)


def test_a_missing_file_fails_with_a_message_that_says_reinstall(tmp_path: Path) -> None:
    folder = mirror(packaged_model_path(), tmp_path / "model", drop="modules.json")
    with pytest.raises(ChecksumError, match=f"modules.json is missing: reinstall {DEFAULT_MODEL_PACKAGE}"):
        verify_files(folder, DEFAULT_MODEL_SHA256, DEFAULT_MODEL_PACKAGE)


def test_the_embedder_verifies_before_loading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = mirror(packaged_model_path(), tmp_path / "model", tamper="tokenizer.json")
    monkeypatch.setattr(embedding, "packaged_model_path", lambda: folder)
    model = SentenceTransformerEmbedder()
    with pytest.raises(ChecksumError, match="reinstall"):
        model.embed(["anything"])


def test_a_missing_model_folder_is_a_model_error() -> None:
    # A hub name is not a folder: it fails at once instead of reaching for the network.
    with pytest.raises(ModelError, match="does not exist"):
        SentenceTransformerEmbedder("sentence-transformers/all-MiniLM-L6-v2").embed(["x"])


def test_construction_is_light() -> None:
    model = SentenceTransformerEmbedder()
    assert model._model is None  # nothing loads before first use
    assert model.name == DEFAULT_MODEL_NAME
    assert SentenceTransformerEmbedder("/models/mine").name == "/models/mine"


@pytest.mark.slow
def test_loads_offline_with_384_dimensions(embedder: SentenceTransformerEmbedder) -> None:
    # The network guard is active: loading the model made no outbound connection.
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert embedder.dimension == 384
    assert embedder.name == DEFAULT_MODEL_NAME


@pytest.mark.slow
def test_vectors_are_unit_length_and_deterministic(embedder: SentenceTransformerEmbedder) -> None:
    texts = ["The lab will create over 200 technical positions.", "S$300 million", "x" * 5000, " "]
    vectors = embedder.embed(texts)
    assert len(vectors) == len(texts)
    for vector in vectors:
        assert len(vector) == 384
        assert math.isclose(math.sqrt(sum(x * x for x in vector)), 1.0, abs_tol=1e-4)
    assert embedder.embed(texts[:1])[0] == pytest.approx(vectors[0], abs=1e-5)
    assert embedder.embed([]) == []


@pytest.mark.slow
def test_similar_texts_are_closer_than_unrelated_ones(embedder: SentenceTransformerEmbedder) -> None:
    question, near, far = embedder.embed(
        [
            "How many jobs will the lab create?",
            "The lab will create 200 new positions.",
            "Bananas are yellow.",
        ]
    )

    def cosine(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True))

    assert cosine(question, near) > cosine(question, far) + 0.2


@pytest.mark.slow
def test_a_local_model_folder_can_be_configured(embedder: SentenceTransformerEmbedder) -> None:
    path = str(packaged_model_path())
    local = SentenceTransformerEmbedder(path, batch_size=4)
    assert local.name == path
    (vector,) = local.embed(["same model, other path"])
    assert vector == pytest.approx(embedder.embed(["same model, other path"])[0], abs=1e-5)
