"""Fakes for unit tests of the extractive answerer: a span finder with fixed entities, a
bag-of-words embedder, hand-made weights and passages. Logic only, no model."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from qa.extractive import ExtractiveAnswerer, Weights
from qa.extractive.model import MODELS, THRESHOLDS, LinearModel
from qa.index.lexical import STOPWORDS
from qa.language.answer_types import AnswerType
from qa.language.labels import Label, Role
from qa.language.spans import Candidate
from qa.text import words
from qa.types import Passage

_LABELS = {
    AnswerType.QUANTITY: Label.CARDINAL,
    AnswerType.MONEY: Label.MONEY,
    AnswerType.DATE: Label.DATE,
    AnswerType.PERSON: Label.PERSON,
    AnswerType.ORGANISATION: Label.ORG,
    AnswerType.PLACE: Label.GPE,
    AnswerType.OTHER: Label.PRODUCT,
}
DEFAULT_VERBS = frozenset(
    "create created invest invested lead led acquire acquired open opened ship won beat said say "
    "announce announced hire hired support fund build".split()
)


@dataclass(frozen=True)
class Entity:
    """What the fake tagger finds wherever ``text`` occurs in a sentence."""

    text: str
    answer_type: AnswerType
    role: Role = Role.NONE
    verb: str = ""
    specific: bool = True
    label: Label | None = None


class FakeSpanFinder:
    """The SpanFinder interface over fixed entities: every occurrence of an entity's text in a
    sentence is a candidate with that entity's type and role."""

    def __init__(self, entities: Iterable[Entity] = (), verbs: Iterable[str] = DEFAULT_VERBS) -> None:
        self.entities = list(entities)
        self.verb_words = frozenset(verbs)
        self.asked: list[list[str]] = []  # the sentences of each candidates_many call
        self.cache_size = 0
        self.warmed = False

    def verbs(self, text: str) -> list[str]:
        return [w for w in words(text) if w in self.verb_words]

    def candidates_many(self, sentences: list[str]) -> list[list[Candidate]]:
        self.asked.append(list(sentences))
        return [self.candidates(s) for s in sentences]

    def candidates(self, sentence: str) -> list[Candidate]:
        found = []
        for e in self.entities:
            start = sentence.find(e.text)
            while start >= 0:
                label = e.label or _LABELS[e.answer_type]
                end = start + len(e.text)
                found.append(Candidate(start, end, e.text, e.answer_type, label, e.specific, e.role, e.verb))
                start = sentence.find(e.text, end)
        return found

    def warm_up(self) -> None:
        self.warmed = True

    def grow_cache(self, size: int) -> None:
        self.cache_size = max(self.cache_size, size)


class BagOfWordsEmbedder:
    """Content words hashed into ``dimension`` buckets, normalised: texts sharing words are similar."""

    def __init__(self, dimension: int = 384) -> None:
        self.name = "bag-of-words"
        self.dimension = dimension
        self.embedded: list[str] = []

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.embedded.extend(texts)
        vectors = []
        for text in texts:
            vec = [0.0] * self.dimension
            for word in words(text.lower()):
                if word not in STOPWORDS:
                    vec[zlib.crc32(word.encode()) % self.dimension] += 1.0
            norm = sum(x * x for x in vec) ** 0.5 or 1.0
            vectors.append([x / norm for x in vec])
        return vectors


def model(name: str, bias: float = 0.0, **weights: float) -> LinearModel:
    """A model of MODELS[name] with the given weights and zero for every other feature; a feature
    the code no longer has is an error here, so a renamed feature fails the tests that use it."""
    unknown = set(weights) - set(MODELS[name])
    if unknown:
        raise KeyError(f"model {name!r} has no features {sorted(unknown)}")
    return LinearModel(bias, {f: weights.get(f, 0.0) for f in MODELS[name]})


# A sentence that holds the question's words and a thing of the asked type scores high; headings,
# datelines and short lines low.
SENTENCE = {"bias": -4.0, "coverage": 6.0, "typed": 1.5, "cosine": 1.0, "open": 1.0, "heading": -2.0}
SENTENCE_WEIGHTS = {k: v for k, v in SENTENCE.items() if k != "bias"}
CANDIDATE = {"compat": 3.0, "specific": 1.0, "proximity": 1.0, "sentence": 0.5, "votes": 0.5}


def hand_weights(
    *,
    sentence: LinearModel | None = None,
    candidate: LinearModel | None = None,
    span: LinearModel | None = None,
    passage: LinearModel | None = None,
    open_: LinearModel | None = None,
    thresholds: Mapping[str, float] | None = None,
) -> Weights:
    """Weights that decide as a reader would on clear cases (defaults), each part replaceable."""
    models = {
        "sentence": sentence or model("sentence", SENTENCE["bias"], **SENTENCE_WEIGHTS),
        "candidate": candidate or model("candidate", -3.0, **CANDIDATE),
        # Confident when the best candidate is good and clearly ahead of any different answer.
        "span": span or model("span", -3.0, candidate=0.5, margin=0.5),
        "passage": passage or model("passage", -2.0, sentence=0.5),
        # An open question is as likely answered as its best sentence is to hold the answer.
        "open": open_ or model("open", 0.0, sentence=1.0),
    }
    chosen = {**dict.fromkeys(THRESHOLDS, 0.5), **(thresholds or {})}
    if thresholds and "open" in thresholds and "join" not in thresholds:
        chosen["join"] = thresholds["open"]  # a neighbour joins an open answer on the same terms
    return Weights(models, chosen)


def make_answerer(
    entities: Iterable[Entity] = (), weights: Weights | None = None, **kwargs: object
) -> ExtractiveAnswerer:
    return ExtractiveAnswerer(
        BagOfWordsEmbedder(),  # type: ignore[arg-type]
        FakeSpanFinder(entities),  # type: ignore[arg-type]
        weights=weights or hand_weights(),
        **kwargs,  # type: ignore[arg-type]
    )


def passage(
    text: str, doc_id: str = "acme", *, title: str = "", date: str = "2025-03-03", offset: int = 0
) -> Passage:
    """A passage of ``text`` starting ``offset`` characters into its document."""
    return Passage(
        chunk_id=f"{doc_id}:{offset}",
        doc_id=doc_id,
        title=title or text.split("\n")[0],
        text=text,
        start=offset,
        end=offset + len(text),
        date=date,
        url=f"https://example.com/{doc_id}",
        dense_rank=1,
        lexical_rank=1,
    )


# A press release every test of the answerer can ask about, and what a tagger finds in it.
ACME = (
    "Acme Robotics Opens Lab in Lyon\n\n"
    "LYON, 3 March 2025 — Acme Robotics today opened a research lab in the Part-Dieu district of Lyon. "
    "The lab will create up to 400 engineering jobs by 2028. "
    "Acme is investing €75 million in the site over five years. "
    "The lab will be led by Dr. Lena Berg, Acme's chief technology officer. "
    "The company was acquired by Northgate Holdings in 2021. "
    "The first robots built at the lab will ship in September 2026."
)
ACME_ENTITIES = [
    Entity("up to 400 engineering jobs", AnswerType.QUANTITY),
    Entity("€75 million", AnswerType.MONEY),
    Entity("five years", AnswerType.DATE, specific=False),
    Entity("3 March 2025", AnswerType.DATE),
    Entity("September 2026", AnswerType.DATE),
    Entity("2028", AnswerType.DATE),
    Entity("2021", AnswerType.DATE),
    Entity("Lena Berg", AnswerType.PERSON),
    Entity("Acme Robotics", AnswerType.ORGANISATION),
    Entity("Northgate Holdings", AnswerType.ORGANISATION, role=Role.AGENT, verb="acquired"),
    Entity("Lyon", AnswerType.PLACE),
]
