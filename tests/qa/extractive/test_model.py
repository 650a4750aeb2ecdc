"""The fitted scoring's file: models over named features, checked against the code on load."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from qa.errors import ModelError
from qa.extractive.model import MODELS, THRESHOLDS, WEIGHTS_FILE, LinearModel, load_weights, sigmoid
from tests.helpers.extractive import hand_weights


def weights_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(hand_weights().to_json())
    return data


def write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def refused(path: Path) -> str:
    with pytest.raises(ModelError) as caught:
        load_weights(path)
    message = str(caught.value)
    assert str(path) in message and "qa fit" in message  # says which file and how to fix it
    return message


def test_the_shipped_weights_name_exactly_the_codes_features() -> None:
    weights = load_weights(WEIGHTS_FILE)
    for name, features in MODELS.items():
        assert tuple(weights[name].weights) == features
    assert set(weights.thresholds) == set(THRESHOLDS)
    assert all(0.0 <= t <= 1.0 for t in weights.thresholds.values())


def test_weights_round_trip_through_their_file(tmp_path: Path) -> None:
    original = hand_weights(thresholds={"span": 0.35})
    loaded = load_weights(write(tmp_path / "w.json", json.loads(original.to_json())))
    assert loaded.models == original.models and loaded.thresholds == original.thresholds


def test_a_model_missing_a_feature_is_refused(tmp_path: Path) -> None:
    data = weights_data()
    del data["models"]["sentence"]["weights"]["coverage"]
    message = refused(write(tmp_path / "w.json", data))
    assert "sentence" in message and "coverage" in message


def test_a_model_with_an_unknown_feature_is_refused(tmp_path: Path) -> None:
    data = weights_data()
    data["models"]["candidate"]["weights"]["shoe_size"] = 1.0
    message = refused(write(tmp_path / "w.json", data))
    assert "candidate" in message and "shoe_size" in message


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d["models"].pop("span"),
        lambda d: d["thresholds"].pop("open"),
        lambda d: d["models"]["passage"].pop("bias"),
        lambda d: d["models"]["passage"].__setitem__("bias", "high"),
        lambda d: d["thresholds"].__setitem__("span", None),
    ],
    ids=["model-missing", "threshold-missing", "bias-missing", "bias-not-a-number", "threshold-null"],
)
def test_an_incomplete_file_is_refused(tmp_path: Path, damage: Any) -> None:
    data = weights_data()
    damage(data)
    refused(write(tmp_path / "w.json", data))


def test_a_missing_or_unreadable_file_is_refused(tmp_path: Path) -> None:
    refused(tmp_path / "absent.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"models": {', encoding="utf-8")
    refused(broken)
    not_an_object = tmp_path / "list.json"
    not_an_object.write_text("[1, 2]", encoding="utf-8")
    refused(not_an_object)


def test_a_linear_model_scores_by_name_and_its_probability_is_a_sigmoid() -> None:
    model = LinearModel(-1.0, {"a": 2.0, "b": -0.5})
    assert model.logit({"a": 1.0, "b": 2.0, "ignored": 9.0}) == pytest.approx(0.0)
    assert model.probability({"a": 1.0, "b": 2.0}) == pytest.approx(0.5)
    with pytest.raises(KeyError):
        model.logit({"a": 1.0})  # a feature the code forgot to compute is an error, not a zero
    assert sigmoid(-1000.0) == 0.0 and sigmoid(1000.0) == 1.0
    assert sigmoid(2.0) == pytest.approx(1 / (1 + math.exp(-2.0)))


def test_with_model_replaces_one_model_only() -> None:
    weights = hand_weights()
    new = LinearModel(1.0, dict.fromkeys(MODELS["span"], 0.0))
    changed = weights.with_model("span", new)
    assert changed["span"] is new and changed["sentence"] is weights["sentence"]
    assert weights["span"] is not new
