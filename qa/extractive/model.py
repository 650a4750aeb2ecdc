"""The answerer's fitted scoring: linear models over named features, and the decision thresholds.

Weights are data (``weights.json`` beside this module), written by ``qa fit`` from a training
split and checked on load: every model must name exactly the features the code computes, so a
renamed or new feature cannot be silently scored with a stale weight.

    {"version": 1, "fitted_on": {...},
     "models": {"sentence": {"bias": b, "weights": {"coverage": w, ...}}, "candidate": ..., ...},
     "thresholds": {"span": t, "passage": t, "open": t, "join": t}}
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from qa.errors import ModelError

WEIGHTS_FILE = Path(__file__).with_name("weights.json")

# The features each model reads, in a fixed order (fitting writes columns in this order).
SENTENCE_FEATURES = (
    "coverage",  # share of the question's terms (rarity-weighted) the sentence holds
    "coverage_gap",  # its coverage minus the best sentence's
    "passage_coverage",  # share of the question's terms its passage (with the title) holds
    "context_coverage",  # coverage, with the sentence before when this one refers back to it ("This ...")
    "content_coverage",  # share of the question's terms outside its names (what is asked about them)
    "cosine",  # embedding similarity of question and sentence
    "cosine_gap",  # its cosine minus the best embedded sentence's
    "names",  # support of the question's names in the passage (weighted mean)
    "least_name",  # support of the least supported name
    "rank",  # 1 / (1 + rank of its passage)
    "both_rankings",  # its passage was found by both dense and lexical search
    "headline",  # the sentence is the document's title
    "lead",  # among the first sentences of its document
    "verbs",  # share of the question's verbs (or their opposites) the sentence uses
    "subject",  # share of what the question asks about (its words before the verb) the sentence names
    "typed",  # the sentence holds something of the asked type (a number, an amount, a date, a name)
    "short",  # fewer than six words
    "heading",  # no closing punctuation: a section heading or a caption
    "dateline",  # opens with a press release's dateline ("LONDON, 2 May 2025 — ...")
    "attribution",  # names who said the quote before it ("— Name, Title")
    "quote_asked",  # a quotation, and the question asks what someone said
    "speaker_asked",  # part of a quotation by someone the question names ("What did Name say?")
    "defines",  # "What is X?" / "Who are X?": the sentence says what X is ("X is ...", "X, a ...")
    "explains",  # "Why ...?": the sentence gives a reason or purpose ("because", "to help", "aims to")
    "open",  # the question is open (the sentence itself is the answer)
    # An open question's answer restates less of it than a factoid's sentence does: the same
    # signals, weighed apart for open questions.
    "open_cosine",
    "open_content_coverage",
    "open_lead",
)
CANDIDATE_FEATURES = (
    "sentence",  # the sentence model's logit
    "in_heading",  # its sentence is a heading (title case: capitals that are no names)
    "compat",  # how well the candidate's type answers the asked type
    "guessed_name",  # a proper noun the entity tagger missed
    "specific",  # not a vague span ("three", "the coming years")
    "proximity",  # nearness to the question's words in the sentence
    "nearby",  # share of the question's words outside its names within a few words of it
    "closeness",  # nearness to the question's numbers ("the 2019 winner")
    "has_head",  # carries the asked noun ("the Old Town district" for "which district")
    "numeric_echo",  # a number that shares words with the question ("620 employees")
    "role_own_verb",  # doer (or undergoer, as asked) of the question's own verb
    "role_match",  # in the asked role of another verb
    "role_opposite",  # in the opposite role of the question's own verb
    "role_other",  # in the opposite role of another verb
    "setting",  # where it happened ("in X") when a doer is asked
    "agent_own_verb",  # doer of the question's verb when no role is asked
    "echoes_name",  # contains a name the question gives
    "date_precision",  # full date 1.0 ... bare year 0.7 (dates only)
    "superseded",  # its sentence says a figure was corrected
    "located",  # "X-based": where a company is from
    "listed_far",  # in a flattened list of years, far from the asked one
    "overlap",  # share of its words the question already uses
    "votes",  # other sentences giving the same answer (up to 3)
)
CONFIDENCE_FEATURES = (
    "candidate",  # the candidate model's logit of the best answer
    "margin",  # its logit minus the best different answer's
    "sentence",  # the sentence model's logit of its sentence
    "compat",  # how well its type answers the asked type
    "untyped",  # the question asks for a thing of no entity type ("which sectors")
    "coverage",  # of the answer's sentence (as in the sentence model)
    "passage_coverage",
    "cosine",
    "names",
    "least_name",  # support of the question's least supported name in its passage
    "place_missing",  # a place the question puts its fact in is missing near the answer
)
# A factoid's passage answer is the best candidate's sentence and the best other one.
PASSAGE_FEATURES = (
    *CONFIDENCE_FEATURES,
    "second",  # the sentence model's logit of the other sentence (floored)
    "second_typed",  # the other sentence holds something of the asked type
    "second_near",  # the other sentence is the first one's neighbour in its passage
)
# An open question's answer is its best sentence (with a neighbour that goes on with it).
OPEN_FEATURES = (
    "sentence",  # the sentence model's logit of the best sentence
    "margin",  # its logit minus the next-best sentence's
    "second_near",  # the next-best sentence is its neighbour in its passage
    "cosine",  # embedding similarity of question and best sentence
    "cosine_gap",  # its cosine minus the best embedded sentence's (another sentence is nearer)
    "content_coverage",  # share of the question's terms outside its names the best sentence holds
    "least_name",  # support of the question's least supported name in its passage
)
MODELS: dict[str, tuple[str, ...]] = {
    "sentence": SENTENCE_FEATURES,
    "candidate": CANDIDATE_FEATURES,
    "span": CONFIDENCE_FEATURES,  # is the best candidate the right answer?
    "passage": PASSAGE_FEATURES,  # does its sentence or the best other one hold the right answer?
    "open": OPEN_FEATURES,  # does an open question's best sentence answer it?
}
THRESHOLDS = ("span", "passage", "open", "join")  # join: a neighbour goes on with an open answer


@dataclass(frozen=True)
class LinearModel:
    """A logistic model: ``logit = bias + sum(weight * feature)``."""

    bias: float
    weights: Mapping[str, float]

    def logit(self, features: Mapping[str, float]) -> float:
        return self.bias + sum(w * features[name] for name, w in self.weights.items())

    def probability(self, features: Mapping[str, float]) -> float:
        return sigmoid(self.logit(features))


@dataclass(frozen=True)
class Weights:
    """Every model of the answerer (keys of MODELS) and the thresholds its decisions apply."""

    models: Mapping[str, LinearModel]
    thresholds: Mapping[str, float]
    fitted_on: Mapping[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> LinearModel:
        return self.models[name]

    def with_model(self, name: str, model: LinearModel) -> Weights:
        return replace(self, models={**self.models, name: model})

    def to_json(self) -> str:
        models = {
            name: {"bias": round(m.bias, 4), "weights": {k: round(v, 4) for k, v in m.weights.items()}}
            for name, m in self.models.items()
        }
        return json.dumps(
            {
                "version": 1,
                "fitted_on": dict(self.fitted_on),
                "models": models,
                "thresholds": {k: round(v, 4) for k, v in self.thresholds.items()},
            },
            indent=2,
        )


def sigmoid(z: float) -> float:
    if z < -60:
        return 0.0
    return 1.0 / (1.0 + math.exp(-z))


def load_weights(path: Path = WEIGHTS_FILE) -> Weights:
    """The weights in ``path``; ModelError when missing, malformed or naming other features."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        models = {name: _model(name, data["models"][name]) for name in MODELS}
        thresholds = {name: float(data["thresholds"][name]) for name in THRESHOLDS}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(
            f"the answerer's weights in {path} cannot be read ({exc}): refit them with `qa fit`"
        ) from exc
    return Weights(models, thresholds, data.get("fitted_on", {}))


def _model(name: str, data: Mapping[str, Any]) -> LinearModel:
    weights = {str(k): float(v) for k, v in data["weights"].items()}
    expected = set(MODELS[name])
    if set(weights) != expected:
        missing, unknown = sorted(expected - set(weights)), sorted(set(weights) - expected)
        raise ValueError(f"model {name!r} has features missing {missing} and unknown {unknown}")
    return LinearModel(float(data["bias"]), {k: weights[k] for k in MODELS[name]})
