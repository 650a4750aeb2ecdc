"""The onnx-int8 backend: an offline export of the packaged model, cached, close to the float model."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from qa.errors import ModelError, ModelMismatch
from qa.index import onnx_embedding
from qa.index.embedding import DEFAULT_MODEL_NAME, SentenceTransformerEmbedder, packaged_model_path
from qa.index.onnx_embedding import OnnxInt8Embedder, cached_int8_model, source_key
from qa.index.store import ChromaStore
from qa.service import build_embedder
from tests.helpers.corpus import make_settings

TEXTS = [
    "The lab will create over 200 technical positions.",
    "How many jobs will the lab create?",
    "OpenAI will open its first office in Singapore, with a S$300 million programme.",
    "x" * 3000,  # truncated at the model's 256 tokens, like the torch backend
]


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model cache holding one real export (a few seconds), shared by this module's tests."""
    cache = tmp_path_factory.mktemp("models")
    OnnxInt8Embedder(cache_dir=cache).embed(["export now"])
    return cache


def test_construction_is_light_and_the_name_names_the_backend(tmp_path: Path) -> None:
    model = OnnxInt8Embedder(cache_dir=tmp_path)
    assert model._session is None
    assert not any(tmp_path.iterdir())  # nothing exported before first use
    assert model.name == f"{DEFAULT_MODEL_NAME}#onnx-int8" != SentenceTransformerEmbedder().name
    assert OnnxInt8Embedder("/models/mine", tmp_path).name == "/models/mine#onnx-int8"


def test_the_setting_chooses_the_backend(tmp_path: Path) -> None:
    assert isinstance(build_embedder(make_settings(tmp_path)), OnnxInt8Embedder)  # the default
    torch = build_embedder(make_settings(tmp_path, embedding_backend="torch"))
    assert isinstance(torch, SentenceTransformerEmbedder)
    onnx = build_embedder(make_settings(tmp_path, embedding_backend="onnx-int8"))
    assert isinstance(onnx, OnnxInt8Embedder) and onnx._cache_dir == tmp_path / "models"


@pytest.mark.slow
def test_vectors_are_unit_length_and_close_to_the_float_model(
    models: Path, embedder: SentenceTransformerEmbedder
) -> None:
    onnx = OnnxInt8Embedder(cache_dir=models)
    vectors = onnx.embed(TEXTS)
    assert onnx.dimension == 384 and [len(v) for v in vectors] == [384] * len(TEXTS)
    for vector, reference in zip(vectors, embedder.embed(TEXTS), strict=True):
        assert math.isclose(math.sqrt(sum(x * x for x in vector)), 1.0, abs_tol=1e-4)
        assert cosine(vector, reference) > 0.97
    question, near, far = onnx.embed(
        [
            "How many jobs will the lab create?",
            "The lab will create 200 new positions.",
            "Bananas are yellow.",
        ]
    )
    assert cosine(question, near) > cosine(question, far) + 0.2
    assert onnx.embed([]) == []


@pytest.mark.slow
def test_the_export_is_cached_and_verified(
    models: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_export(folder: Path, target: Path) -> None:
        raise AssertionError("the cached export should have been used")

    monkeypatch.setattr(onnx_embedding, "export_int8", no_export)
    (vector,) = OnnxInt8Embedder(cache_dir=models).embed(["cached"])
    assert len(vector) == 384
    # A damaged file fails its recorded SHA-256 and is exported again, never loaded.
    copy = tmp_path / "models"
    shutil.copytree(models, copy)
    folder = packaged_model_path()
    path = cached_int8_model(folder, copy, packaged=True)
    with path.open("ab") as handle:
        handle.write(b"damage")
    exported: list[Path] = []
    monkeypatch.setattr(onnx_embedding, "export_int8", lambda src, target: exported.append(target))
    cached_int8_model(folder, copy, packaged=True)
    assert len(exported) == 1


def test_a_failed_export_is_a_model_error_that_names_the_way_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(folder: Path, target: Path) -> None:
        raise ModelError("cannot export: install onnx and onnxruntime, or set QA_EMBEDDING_BACKEND=torch")

    monkeypatch.setattr(onnx_embedding, "export_int8", broken)
    with pytest.raises(ModelError, match="QA_EMBEDDING_BACKEND=torch"):
        OnnxInt8Embedder(cache_dir=tmp_path).embed(["x"])
    assert not list(tmp_path.rglob("*.onnx"))  # nothing half-written is left to load


def test_the_cache_key_follows_the_source_model(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"weights")
    before = source_key(folder, packaged=False)
    (folder / "model.safetensors").write_bytes(b"other weights")
    assert source_key(folder, packaged=False) != before


@pytest.mark.slow
def test_a_store_built_with_one_backend_refuses_the_other(
    models: Path, tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    ChromaStore(embedder, tmp_path / "data").counts()
    with pytest.raises(ModelMismatch, match="QA_EMBEDDING_BACKEND") as info:
        ChromaStore(OnnxInt8Embedder(cache_dir=models), tmp_path / "data").counts()
    assert "qa ingest --reset" in str(info.value)


@pytest.mark.slow
def test_short_texts_go_many_to_a_batch_of_the_same_padded_size(
    models: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    onnx = OnnxInt8Embedder(cache_dir=models, batch_size=4)
    onnx.embed(["load the model"])
    real_run, batches = onnx._run, []

    def counting_run(token_ids: list[list[int]]) -> object:
        batches.append(len(token_ids))
        return real_run(token_ids)

    monkeypatch.setattr(onnx, "_run", counting_run)
    short = [f"The plant in town {n} will hire staff." for n in range(40)]
    together = onnx.embed(short)
    assert sum(batches) == 40 and max(batches) > 4  # 4 texts' worth of tokens, many short texts
    batches.clear()
    onnx.embed([" ".join(["word"] * 400)] * 6)  # truncated to the longest length the model reads
    assert batches == [4, 2]
    for text, vector in zip(short[:5], together, strict=False):
        # Inputs are quantised per batch, so a vector moves with its batch about as much as int8
        # moves it from the float model (mean cosine 0.992 on 600 news sentences, at any batch size).
        assert cosine(vector, onnx.embed([text])[0]) > 0.98
