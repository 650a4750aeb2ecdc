"""The default answerer: extractive, offline, and willing to say the announcements don't say.

A question is routed by what it asks. Every sentence of the retrieved passages is scored by the
fitted sentence model. A typed factoid (how many, how much, when, who, where, which named thing)
is answered by a short span when the fitted models are confident of it ("over 200 technical
positions"), else, when they clearly answer, by the sentence holding its best candidate and the
best other sentence (each run of neighbouring sentences one citation).
Every other question (what is, why, how, what did X say) is answered by the answering sentence,
or two adjacent ones, verbatim. Below the fitted thresholds it abstains and offers the related
articles that are on the question's topic.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

from qa.extractive.candidates import Choice, add_votes, choices_in
from qa.extractive.corrections import prefer_newer
from qa.extractive.model import Weights, load_weights, sigmoid
from qa.extractive.question_words import QuestionWords
from qa.extractive.quotations import (
    Speaker,
    asks_who_said,
    inside_quotation,
    quotation_before,
    quotation_speakers,
    speaker_runs,
)
from qa.extractive.sentences import add_lexical_features, refers_back
from qa.extractive.splitting import Sentence, split_passages
from qa.extractive.wording import place_missing
from qa.index.embedding import Embedder
from qa.language.acronyms import asked_acronym, long_forms
from qa.language.analysis import StoredAnalyses, analysis_version
from qa.language.answer_types import AnswerType
from qa.language.evidence import ABSTAIN_TEXT, same_answer, vote_key
from qa.language.labels import Label
from qa.language.questions import Question, QuestionKind, analyse
from qa.language.spans import Candidate, SpanFinder
from qa.types import Answer, Citation, Passage, RelatedDocument

SPAN, PASSAGE = "span", "passage"
MARGIN_CAP = 5.0  # logits: a margin beyond this says nothing more
SECOND_FLOOR = -10.0  # logits: a second sentence this unlikely is as good as none


@dataclass
class Deliberation:
    """Everything the answerer weighed for one question, best first (what `qa fit` learns from)."""

    question: Question
    sentences: list[Sentence]
    choices: list[Choice] = field(default_factory=list)


@dataclass(frozen=True)
class Decision:
    form: str  # SPAN, PASSAGE or "" (abstain)
    probability: float
    choice: Choice | None = None
    sentences: tuple[Sentence, ...] = ()
    note: str = ""


class ExtractiveAnswerer:
    """Answers from the given passages with verbatim text and its exact citation."""

    def __init__(
        self,
        embedder: Embedder,
        spans: SpanFinder,
        min_confidence: float | None = None,
        max_sentences: int = 8,
        weights: Weights | None = None,
        cache_size: int = 8192,
        use_stored: bool = True,
    ) -> None:
        self.embedder = embedder
        self.spans = spans
        self.min_confidence = min_confidence  # None: the fitted thresholds
        self.max_sentences = max_sentences
        self.weights = weights or load_weights()
        self._vectors: OrderedDict[str, list[float]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        # Use the analyses made at ingest (qa.language.analysis) the passages carry, when of this version.
        self.use_stored = use_stored

    def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        query_embedding: Sequence[float] = (),
        analysis: Question | None = None,
    ) -> Answer:
        """Answer ``question`` from ``passages`` (best first); abstain when the evidence is weak.
        ``analysis`` is ``analyse(question)`` when the caller has it already (retrieval does)."""
        found = self.deliberate(question, passages, query_embedding, analysis)
        return self.respond(found, self.decide(found), passages)

    # -- weighing ------------------------------------------------------------------------
    def deliberate(
        self,
        question: str,
        passages: Sequence[Passage],
        query_embedding: Sequence[float] = (),
        analysis: Question | None = None,
    ) -> Deliberation:
        """Score every sentence, and for a factoid every candidate of the best sentences."""
        q = analysis or analyse(question)
        sentences = split_passages(passages)
        if not sentences:
            return Deliberation(q, [])
        stored = StoredAnalyses(passages, analysis_version(self.embedder.name) if self.use_stored else "")
        verbs = self.spans.verbs(q.text)
        add_lexical_features(q, sentences, verbs)
        qvec = list(query_embedding) or self.embedder.embed([q.text])[0]
        self._score_sentences(sentences, qvec, stored)
        found = Deliberation(q, sorted(sentences, key=lambda s: -s.logit))
        if q.kind is QuestionKind.FACTOID:
            top = found.sentences[: self.max_sentences]
            found.choices = self._choices(q, top, verbs, stored, found.sentences)
        return found

    def _score_sentences(
        self, sentences: list[Sentence], qvec: Sequence[float], stored: StoredAnalyses
    ) -> None:
        """Sentence logits; the cosine only for the sentences that could make the top.

        Embedding a sentence is most of a question's time, so the most promising ones (by every
        other feature) are embedded first, then at most as many again of those a perfect cosine
        could still lift above the last of them.
        """
        model = self.weights["sentence"]
        for s in sentences:
            s.logit = model.logit(s.features)
        lift = max(model.weights["cosine"], 0.0) + max(model.weights["open_cosine"], 0.0)
        ranked = sorted(sentences, key=lambda s: -s.logit)
        first = ranked[: self.max_sentences]
        self._add_cosines(first, qvec, stored)
        floor = min(s.logit for s in first)
        rest = [s for s in ranked[self.max_sentences :] if s.logit + lift >= floor]
        self._add_cosines(rest[: self.max_sentences], qvec, stored)
        embedded = [s for s in sentences if s.features["cosine"] != 0.0]
        best = max((s.features["cosine"] for s in embedded), default=0.0)
        for s in embedded:
            s.features["cosine_gap"] = s.features["cosine"] - best
            s.logit = model.logit(s.features)

    def _add_cosines(self, sentences: list[Sentence], qvec: Sequence[float], stored: StoredAnalyses) -> None:
        model = self.weights["sentence"]
        analysed = [stored.vector(_key(s)) for s in sentences]
        fresh = iter(self._embed([s.text for s, v in zip(sentences, analysed, strict=True) if v is None]))
        vectors = [v if v is not None else next(fresh) for v in analysed]
        for s, vec in zip(sentences, vectors, strict=True):
            s.features["cosine"] = sum(a * b for a, b in zip(qvec, vec, strict=True))
            s.features["open_cosine"] = s.features["open"] * s.features["cosine"]
            s.logit = model.logit(s.features)

    def _choices(
        self,
        q: Question,
        top: list[Sentence],
        verbs: list[str],
        stored: StoredAnalyses,
        all_sentences: list[Sentence],
    ) -> list[Choice]:
        qw = QuestionWords.of(q, verbs)
        found = self._candidates(top, stored)
        choices = [c for s, cands in zip(top, found, strict=True) for c in choices_in(q, qw, s, cands)]
        if asks_who_said(q):
            speakers = quotation_speakers(all_sentences)
            choices += self._speaker_choices(q, qw, top, speakers)
            choices = [c for c in choices if not inside_quotation(c.sentence, c.candidate, speakers)]
        add_votes(choices, q.wants)
        model = self.weights["candidate"]
        for choice in choices:
            choice.logit = model.logit(choice.features)
        return sorted(choices, key=lambda c: -c.logit)

    def _speaker_choices(
        self, q: Question, qw: QuestionWords, top: list[Sentence], speakers: dict[tuple[str, int], Speaker]
    ) -> list[Choice]:
        """For "Who said ...?": the names of who said each quoted top sentence, quoted with it."""
        runs = speaker_runs(top, speakers)
        found = self.spans.candidates_many([run.text for _, run in runs]) if runs else []
        choices = []
        for (s, run), cands in zip(runs, found, strict=True):
            own = (s.start - run.start, s.end - run.start)  # the quoted sentence inside the run
            outside = [c for c in cands if c.end <= own[0] or c.start >= own[1]]
            choices += choices_in(q, qw, run, outside)
        return choices

    def _candidates(self, sentences: list[Sentence], stored: StoredAnalyses) -> list[list[Candidate]]:
        """Each sentence's candidates: stored at ingest, else found now (spaCy, cached by text)."""
        analysed = [stored.candidates(_key(s)) for s in sentences]
        todo = [s.text for s, c in zip(sentences, analysed, strict=True) if c is None]
        fresh = iter(self.spans.candidates_many(todo) if todo else [])
        return [c if c is not None else next(fresh) for c in analysed]

    def _embed(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        fresh = dict(zip(missing, self.embedder.embed(missing), strict=True)) if missing else {}
        with self._lock:
            for text, vec in fresh.items():
                self._vectors[text] = vec
                if len(self._vectors) > self._cache_size:
                    self._vectors.popitem(last=False)
            return [fresh.get(t) or self._vectors[t] for t in texts]

    # -- deciding ------------------------------------------------------------------------
    def threshold(self, name: str) -> float:
        return self.min_confidence if self.min_confidence is not None else self.weights.thresholds[name]

    def decide(self, found: Deliberation) -> Decision:
        """Span, passage or abstention, by the fitted probabilities and thresholds."""
        if not found.sentences:
            return Decision("", 0.0)
        if found.question.kind is QuestionKind.OPEN:
            probability = self.weights["open"].probability(self.open_features(found))
            top = found.sentences[0]
            decision = self._passage(found, top, self.threshold("open"), probability, self.threshold("join"))
            return _spelt_out(found, decision)
        if not found.choices:
            typed = next((s for s in found.sentences if s.features["typed"]), None)
            if typed is None:
                return Decision("", 0.0)
            passage = self.threshold("passage")
            return self._passage(found, typed, passage, sigmoid(typed.logit), passage)
        best, note, features = self.choose(found)
        probability = self.weights["span"].probability(features)
        if probability >= self.threshold("span"):
            return Decision(SPAN, probability, best, (best.sentence,), note)
        # The fact is uncertain, but its sentence, or the best other one, may still clearly answer.
        sentences, passage_features = self.fallback(found, best, features)
        held = self.weights["passage"].probability(passage_features)
        if held >= self.threshold("passage"):
            return Decision(PASSAGE, held, None, sentences, note)
        return Decision("", probability, best)

    @staticmethod
    def fallback(
        found: Deliberation, best: Choice, features: dict[str, float]
    ) -> tuple[tuple[Sentence, ...], dict[str, float]]:
        """A factoid's passage answer when its span is uncertain: the best candidate's sentence and
        the best-scored other sentence that is no heading (a doubted span's answer is often in the
        one the sentence model ranks next), and the passage model's features of the pair."""
        first = best.sentence
        second = next(
            (s for s in found.sentences if s.text != first.text and not s.features["heading"]), None
        )
        if second is None:
            return (first,), {**features, "second": SECOND_FLOOR, "second_typed": 0.0, "second_near": 0.0}
        near = _neighbours(first, second)
        pair = {
            "second": max(second.logit, SECOND_FLOOR),
            "second_typed": second.features["typed"],
            "second_near": float(near),
        }
        ordered = (second, first) if near and second.index < first.index else (first, second)
        return ordered, {**features, **pair}

    def choose(self, found: Deliberation) -> tuple[Choice, str, dict[str, float]]:
        """A factoid's choice (a newer correction's answer wins, see `prefer_newer`), its note and
        its confidence features; an answer the correction replaced is no rival to it."""
        best, note = prefer_newer(found.choices)
        replaced = found.choices[0].candidate.text if best is not found.choices[0] else ""
        return best, note, self.confidence_features(found, best, replaced)

    @staticmethod
    def confidence_features(found: Deliberation, best: Choice, replaced: str = "") -> dict[str, float]:
        key = vote_key(best.candidate.text)
        old = vote_key(replaced) if replaced else None

        def rivals(c: Choice) -> bool:
            text = c.candidate.text
            return (
                c is not best
                and not same_answer(key, text)
                and not (old is not None and same_answer(old, text))
            )

        rival = next((c.logit for c in found.choices if rivals(c)), best.logit - MARGIN_CAP)
        return {
            "candidate": best.logit,
            "margin": min(best.logit - rival, MARGIN_CAP),
            "sentence": best.sentence.logit,
            "compat": best.features["compat"],
            "untyped": float(found.question.answer_type is AnswerType.OTHER),
            **{
                name: best.sentence.features[name]
                for name in ("coverage", "passage_coverage", "cosine", "names")
            },
            "least_name": best.sentence.least_name,
            "place_missing": float(place_missing(found.question, best.sentence)),
        }

    @staticmethod
    def open_features(found: Deliberation) -> dict[str, float]:
        """The open model's features of an open question's best sentence (``found.sentences[0]``)."""
        best = found.sentences[0]
        second = next((s for s in found.sentences[1:] if s.text != best.text), None)
        near = second is not None and _neighbours(best, second)
        return {
            "sentence": best.logit,
            "margin": min(best.logit - second.logit, MARGIN_CAP) if second else MARGIN_CAP,
            "second_near": float(near),
            "cosine": best.features["cosine"],
            "cosine_gap": best.features["cosine_gap"],
            "content_coverage": best.features["content_coverage"],
            "least_name": best.least_name,
        }

    def open_sentences(self, found: Deliberation) -> tuple[Sentence, ...]:
        """What an open question is answered with if it is answered: its best sentence and a
        neighbour that goes on with it."""
        return _with_neighbour(found.sentences[0], found.sentences, self.threshold("join"))

    @staticmethod
    def _passage(
        found: Deliberation, best: Sentence, threshold: float, probability: float, join: float
    ) -> Decision:
        """``best`` as the answer when ``probability`` reaches ``threshold``, with a neighbour whose
        sentence probability reaches ``join``."""
        if probability < threshold:
            return Decision("", probability)
        return Decision(PASSAGE, probability, None, _with_neighbour(best, found.sentences, join))

    # -- the Answer ----------------------------------------------------------------------
    def respond(self, found: Deliberation, decision: Decision, passages: Sequence[Passage]) -> Answer:
        q = found.question
        if not decision.form:
            return _abstain(found, passages, decision)
        if decision.form == SPAN and decision.choice is not None:
            first, cand = decision.sentences[0], decision.choice.candidate
            local = first.local_start
            span = (local + cand.start, local + cand.end)
            whole = (local, local + len(first.text))
            citations = [Citation.in_passage(first.passage, *whole, span, decision.probability)]
            text = cand.text
        else:
            citations = []
            for a, b in runs(decision.sentences):
                whole = (a.local_start, b.local_start + len(b.text))
                citations.append(Citation.in_passage(a.passage, *whole, whole, decision.probability))
            text = passage_text(decision.sentences)
        return Answer(
            text=text,
            abstained=False,
            confidence=round(decision.probability, 4),
            citations=citations,
            answer_type=q.answer_type.value,
            form=decision.form,
            note=decision.note,
        )


def runs(sentences: Sequence[Sentence]) -> list[tuple[Sentence, Sentence]]:
    """The sentences of a passage answer as runs of neighbours in one passage: (first, last) of
    each, in the answer's order. Each run is one citation."""
    found: list[tuple[Sentence, Sentence]] = []
    for s in sentences:
        last = found[-1][1] if found else None
        if last and last.passage.chunk_id == s.passage.chunk_id and last.index + 1 == s.index:
            found[-1] = (found[-1][0], s)
        else:
            found.append((s, s))
    return found


def passage_text(sentences: Sequence[Sentence]) -> str:
    """A passage answer's text: each run of neighbouring sentences verbatim, runs joined by a space."""
    return " ".join(a.passage.text[a.local_start : b.local_start + len(b.text)] for a, b in runs(sentences))


def _key(s: Sentence) -> tuple[str, int, int]:
    return (s.passage.chunk_id, s.local_start, s.local_start + len(s.text))


def _spelt_out(found: Deliberation, decision: Decision) -> Decision:
    """A passage answering "What does ACR stand for?" with a sentence that spells the acronym out
    becomes the long form itself, inside that sentence: the same decision, trimmed to what answers."""
    acronym = asked_acronym(found.question.text) if decision.form == PASSAGE else ""
    for s in decision.sentences if acronym else ():
        forms = long_forms(s.text, acronym)
        if forms:
            spelt = Candidate(
                forms[0].start, forms[0].end, forms[0].text, found.question.answer_type, Label.NP
            )
            return Decision(SPAN, decision.probability, Choice(s, spelt), (s,), decision.note)
    return decision


def _neighbours(a: Sentence, b: Sentence) -> bool:
    """Whether two sentences stand next to each other in one passage."""
    return a.passage.chunk_id == b.passage.chunk_id and abs(a.index - b.index) == 1


def _with_neighbour(best: Sentence, ranked: list[Sentence], threshold: float) -> tuple[Sentence, ...]:
    """``best`` and, when the next-best sentence is its neighbour in the passage and passes the
    threshold too, both in document order (an answer often runs over two sentences). The sentence
    after ``best`` that refers back to it ("These robots ...") goes on with what it says and comes
    whatever its score. A line that only says who spoke ("— Name, Title") comes with the quotation
    before it."""
    if best.features["attribution"]:
        return (*quotation_before(best, ranked), best)
    following = next(
        (s for s in ranked if s.passage.chunk_id == best.passage.chunk_id and s.index == best.index + 1), None
    )
    if following is not None and not following.features["heading"] and refers_back(following.text):
        return (best, following)
    for other in ranked[1:3]:
        if _neighbours(best, other) and not other.features["heading"] and sigmoid(other.logit) >= threshold:
            return (best, other) if best.index < other.index else (other, best)
    return (best,)


def _abstain(found: Deliberation, passages: Sequence[Passage], decision: Decision) -> Answer:
    """The abstention, offering the documents on the question's topic (its best guess's first)."""
    on_topic = [s for s in found.sentences if _on_topic(found.question, s)]
    if decision.choice is not None and _on_topic(found.question, decision.choice.sentence):
        on_topic.insert(0, decision.choice.sentence)  # its best (too weak) guess's document first
    related: dict[str, RelatedDocument] = {}
    by_doc = {p.doc_id: p for p in reversed(passages)}
    for s in on_topic:
        p = by_doc.get(s.passage.doc_id, s.passage)
        if p.doc_id not in related and len(related) < 3:
            related[p.doc_id] = RelatedDocument(
                doc_id=p.doc_id, title=p.title, url=p.url, date=p.date, snippet=p.text[:200]
            )
    return Answer(
        text=ABSTAIN_TEXT,
        abstained=True,
        confidence=round(min(max(decision.probability, 0.0), 1.0), 4),
        related=list(related.values()),
        answer_type=found.question.answer_type.value,
    )


def _on_topic(q: Question, s: Sentence) -> bool:
    """A sentence is on the question's topic when its passage carries every name the question
    gives (each word of it at least), or, for a question without names, when it holds at least
    half of the question's rarity-weighted terms."""
    if q.names:
        return s.features["least_name"] >= 0.8
    return s.features["coverage"] >= 0.5
