"""The default answerer: extractive, offline, and willing to say the announcements don't say.

Evidence is chosen per sentence by combined signals (question-term coverage weighted toward
names and numbers, cosine similarity, retrieval rank), then the exact answer span is taken
by the question's expected type, preferring candidates near the question's terms and never an
entity the question itself names. Abstention uses combined evidence, not one cosine threshold.
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace

from qa.embedding import Embedder
from qa.evidence import (
    ABSTAIN_TEXT,
    ALIASES,
    COMPATIBLE,
    CONFIDENCE_BIAS,
    CONFIDENCE_WEIGHTS,
    CORRECTION,
    HEAD_TYPED,
    OPPOSITE_VERBS,
    SUPERSEDED,
    Choice,
    Evidence,
    add_votes,
    date_precision,
    lemma,
    name_words,
    names_support,
    same_answer,
    stem,
    text_stems,
    title_names,
    vote_key,
)
from qa.lexical import STOPWORDS
from qa.questions import RUNNER_UP, AnswerType, Question, analyse
from qa.spans import (
    NAMED,
    VERSION_HEADS,
    Candidate,
    SpanFinder,
    dateline_end,
    head_candidates,
    version_candidates,
)
from qa.text import sentence_spans, word_spans, words
from qa.types import Answer, Citation, Passage, RelatedDocument

_OWNER = re.compile(r"([A-Z][\w-]*)['’]s\s+(?=\S)")
_FLIPPED = {"agent": "patient", "patient": "agent"}
_LOCATIVE = re.compile(r"\b(?:in|at)\s+((?:[A-Z][\w'’-]+\s?)+)")
_TIME_WORD = re.compile(
    r"Q[1-4]|H[12]|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
    r"|(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day|Spring|Summer|Autumn|Fall|Winter"
)


def _locatives(question: str) -> list[str]:
    """Capitalised places the question puts its fact in ("in Lagos", "at Konza Technopolis");
    not times ("in Q3", "in May")."""
    found = [m.group(1).strip() for m in _LOCATIVE.finditer(question)]
    return [place for place in found if not _TIME_WORD.fullmatch(place.split()[0])]


def _asked_phrase(q: Question) -> set[str]:
    """Stems of the phrase a which/what question asks about, up to its head ("national programme"
    in "Which national programme ...?"): an answer may repeat them ("National AI Impact Program")."""
    if not q.head:
        return set()
    tokens = [span.text for span in word_spans(q.text)]
    head = stem(q.head)
    for i, token in enumerate(tokens):
        if token.lower() in {"which", "what"}:
            phrase = [stem(t) for t in tokens[i + 1 : i + 6]]
            if head in phrase:
                # Not the names in it: "Which Singapore ministry" is not answered by "Singapore Health".
                asked = tokens[i + 1 : i + 1 + phrase.index(head) + 1]
                return {stem(t) for t in asked if not t[0].isupper()}
    return {head}


def _before_question_words(cand: Candidate, question_words: set[str]) -> Candidate | None:
    """The part of a name before the first word the question uses, when that part is a name.

    Words match whole (or as one verb: "Wins" for "won"), not by stem: "Harrow Street Advisors"
    keeps its last word when the question asks who "advised".
    """
    for span in word_spans(cand.text):
        if lemma(span.text) in question_words and span.text.lower() not in STOPWORDS:
            text = cand.text[: span.start].rstrip(" ,;:-–—")
            text = text.removesuffix("'s").removesuffix("’s")
            if span.start == 0 or not text or not text[0].isupper():
                return None
            return replace(cand, end=cand.start + len(text), text=text)
    return None


# Heads a name usually carries in the text ("the Ancoats district"), unlike "company".
_NAMED_WITH_HEAD = frozenset(
    {"district", "neighbourhood", "neighborhood", "suburb", "borough", "quarter", "park"}
)

YEAR = re.compile(r"\b(?:19|20)\d\d\b")

# "300 million Singapore dollars": a country naming a currency is a unit, not an echo of the question.
CURRENCY_NAME = re.compile(r"\b[A-Z]\w+\s+(?:dollars?|pounds?|francs?|pesos?|rupees?|krona|kronor|yuan)\b")


class ExtractiveAnswerer:
    """Answers from the given passages with a verbatim span and its exact citation."""

    def __init__(
        self,
        embedder: Embedder,
        spans: SpanFinder,
        min_confidence: float = 0.35,
        max_sentences: int = 8,
        cache_size: int = 8192,
    ) -> None:
        self.embedder = embedder
        self.spans = spans
        self.min_confidence = min_confidence
        self.max_sentences = max_sentences
        self._vectors: OrderedDict[str, list[float]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def answer(
        self, question: str, passages: Sequence[Passage], query_embedding: Sequence[float] = ()
    ) -> Answer:
        """Answer ``question`` from ``passages`` (best first); abstain when the evidence is weak."""
        q = analyse(question)
        evidence = self._evidence(q, passages)
        if not evidence:
            return self._abstain(q, passages, 0.0)
        qvec = list(query_embedding) or self.embedder.embed([q.text])[0]
        self._score_sentences(q, evidence, qvec)
        evidence.sort(key=lambda e: -e.score)
        top = evidence[: self.max_sentences]
        choices = self._choices(q, top)
        if not choices:
            return self._abstain(q, passages, 0.0)
        best, note = self._prefer_newer(choices[0], choices)
        if note:  # the superseded answer is no rival of the one that replaced it
            choices = [c for c in choices if c is not choices[0]]
        confidence = self._confidence(q, best, choices)
        if confidence < self.min_confidence:
            # Related documents: the one the (too weak) best answer came from first.
            lead = best.evidence.passage.doc_id
            return self._abstain(q, sorted(passages, key=lambda p: p.doc_id != lead), confidence)
        return self._answer(q, best, confidence, note)

    # -- evidence ------------------------------------------------------------------------
    def _evidence(self, q: Question, passages: Sequence[Passage]) -> list[Evidence]:
        seen: set[tuple[str, int]] = set()
        found: list[Evidence] = []
        for rank, passage in enumerate(passages):
            for span in sentence_spans(passage.text):
                key = (passage.doc_id, passage.start + span.start)
                if key in seen or len(span.text) < 12:
                    continue
                seen.add(key)
                found.append(Evidence(passage, rank, key[1], key[1] + len(span.text), span.text))
        return found

    def _score_sentences(self, q: Question, evidence: list[Evidence], qvec: Sequence[float]) -> None:
        weights = self._term_weights(q, evidence)
        total = sum(weights.values()) or 1.0
        names = name_words(q.names)
        per_passage: dict[str, tuple[set[str], set[str], str]] = {}  # the same for all its sentences
        for ev in evidence:
            stems = text_stems(ev.text)
            if ev.passage.chunk_id not in per_passage:
                title_stems = text_stems(ev.passage.title)
                passage_stems = title_stems | text_stems(ev.passage.text)
                haystack = " ".join(words(ev.passage.title + " " + ev.passage.text))
                per_passage[ev.passage.chunk_id] = (title_stems, passage_stems, haystack)
            title, passage_stems, haystack = per_passage[ev.passage.chunk_id]
            context = stems | passage_stems
            ev.coverage = sum(
                w * (1.0 if t in stems else 0.35 if t in title else 0.0) for t, w in weights.items()
            )
            ev.coverage /= total
            ev.names, ev.least_name = names_support(names, haystack, context)
            ev.score = 0.5 * ev.coverage + 0.15 / (1 + ev.rank) + 0.1 * ev.names  # cosine added below
        # Embedding the sentences is most of a question's time (~2 ms each on 2 cores, 40+ per
        # question) and only the best max_sentences are used: embed the most promising ones
        # first, then at most as many again of those that could still beat the last of them
        # with a perfect cosine (<= 1). Capping that second round is the one approximation: on
        # tests/eval and 138 generated questions it changed no answer and cut p50 by 40-60%.
        evidence_by_bound = sorted(evidence, key=lambda e: -e.score)
        first = evidence_by_bound[: self.max_sentences]
        self._add_cosines(first, qvec)
        floor = sorted((e.score for e in first), reverse=True)[-1]
        rest = [e for e in evidence_by_bound[self.max_sentences :] if e.score + self._COSINE_WEIGHT >= floor]
        self._add_cosines(rest[: self.max_sentences], qvec)

    _COSINE_WEIGHT = 0.35

    def _add_cosines(self, evidence: list[Evidence], qvec: Sequence[float]) -> None:
        """Add the cosine term to each sentence's score (and the headline discount)."""
        for ev, vec in zip(evidence, self._embed([e.text for e in evidence]), strict=True):
            ev.cosine = sum(a * b for a, b in zip(qvec, vec, strict=True))
            ev.score += self._COSINE_WEIGHT * ev.cosine
            if ev.text.strip() == ev.passage.title.strip():
                ev.score *= 0.85  # headlines restate the question more often than they answer it

    @staticmethod
    def _term_weights(q: Question, evidence: list[Evidence]) -> dict[str, float]:
        """Question terms weighted by rarity among the retrieved sentences; names count more."""
        name_stems = {stem(w) for n in q.names for w in words(n)}
        sentences = [text_stems(e.text) for e in evidence]
        weights: dict[str, float] = {}
        for term in q.terms:
            key = stem(term)
            df = sum(1 for s in sentences if key in s)
            idf = math.log((len(sentences) + 1) / (df + 0.5))
            boost = 1.6 if key in name_stems or any(c.isdigit() for c in term) else 1.0
            if q.head and term == q.head and term not in _NAMED_WITH_HEAD:
                boost = 0.3  # "which company": the answer sentence rarely says "company"
            weights[key] = max(weights.get(key, 0.0), boost * max(idf, 0.2))
        return weights

    def _embed(self, texts: list[str]) -> list[list[float]]:
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            vectors = self.embedder.embed(missing)
            with self._lock:
                for text, vec in zip(missing, vectors, strict=True):
                    self._vectors[text] = vec
                    if len(self._vectors) > self._cache_size:
                        self._vectors.popitem(last=False)
        with self._lock:
            return [self._vectors[t] if t in self._vectors else self.embedder.embed([t])[0] for t in texts]

    # -- spans ---------------------------------------------------------------------------
    def _choices(self, q: Question, top: list[Evidence]) -> list[Choice]:
        question_words = {stem(w) for w in words(q.text + " " + q.context)}
        if RUNNER_UP.search(q.text):
            question_words.add("lose")  # "Who was the runner-up?" asks who lost
        question_lemmas = {lemma(w) for w in words(q.text)}
        numbers = {w for n in q.names for w in words(n) if any(c.isdigit() for c in w)}
        # Whole words, not stems: "Quillsoft" does not name "Quill Intelligence".
        name_words = {
            w.removesuffix("'s").removesuffix("’s") for n in q.names for w in words(n) if not w[0].isdigit()
        }
        name_words |= {ALIASES[w] for w in name_words if w in ALIASES}  # "French ..." names France
        head = stem(q.head) if q.head else ""
        opposite_verbs = {OPPOSITE_VERBS[w] for w in question_words if w in OPPOSITE_VERBS}
        asked_phrase = _asked_phrase(q)
        asks_release = bool(
            re.search(r"\b(announce|announced|release|released|published|dated)\b", q.text.lower())
        )
        choices: list[Choice] = []
        verbs = {stem(v) for v in self.spans.verbs(q.text)}
        per_sentence = self.spans.candidates_many([e.text for e in top])
        for ev, candidates in zip(top, per_sentence, strict=True):
            if verbs:
                # "lost to" says who won as well as "beat" does
                said = {stem(w) for w in words(ev.text)}
                said |= {OPPOSITE_VERBS[w] for w in said if w in OPPOSITE_VERBS}
                ev.verbs = len(verbs & said) / len(verbs)
            anchors = self._anchors(ev.text, question_words - {head})
            number_anchors = self._anchors(ev.text, numbers)
            listed_years = len(set(YEAR.findall(ev.text))) > 2  # a table flattened into a sentence
            dateline = dateline_end(ev.text)
            superseded = bool(SUPERSEDED.search(ev.text))
            if q.head and q.answer_type in HEAD_TYPED:
                typed = [replace(c, answer_type=q.answer_type) for c in head_candidates(ev.text, q.head)]
                if q.head in VERSION_HEADS:
                    typed += version_candidates(ev.text)
                candidates = [*typed, *candidates]
            for cand in candidates:
                compat = COMPATIBLE[q.answer_type].get(cand.answer_type, 0.0)
                if cand.label == "PROPN" and q.answer_type in NAMED:
                    # A proper noun the tagger missed ("acquired by Facebook"); it rarely misses places.
                    compat = 0.35 if q.answer_type is AnswerType.PLACE else 0.6
                same_verb = stem(cand.verb) in question_words
                if stem(cand.verb) in opposite_verbs and cand.role in _FLIPPED:
                    # "Williams lost to Andreescu" says who won by the opposite verb.
                    cand, same_verb = replace(cand, role=_FLIPPED[cand.role]), True
                if same_verb and cand.role and cand.role == q.wants and q.answer_type in NAMED and compat:
                    # The doer of the question's own verb is the answer whatever the tagger called it
                    # ("Ashleigh Barty" tagged ORG "beat Pliskova to win"; a team or a country wins;
                    # "developed by Monolith Soft" tagged PERSON for "Which studio developed ...?").
                    compat = 1.0
                if compat == 0.0 or (q.answer_type is not AnswerType.OTHER and cand.label == "NP"):
                    continue
                owner = _OWNER.match(cand.text)
                if owner and stem(owner.group(1)) in question_words:
                    # "Singapore's Ministry of Health" for "Which Singapore ministry ...?"
                    cand = replace(cand, start=cand.start + owner.end(), text=cand.text[owner.end() :])
                cand_words = [stem(w) for w in words(cand.text) if w not in STOPWORDS]
                if not cand_words:
                    continue
                shared = sum(1 for w in cand_words if w in question_words and w not in asked_phrase)
                if shared == len(cand_words) or (cand.label == "HEAD" and shared == len(cand_words) - 1):
                    # never answer with what the question itself names ("Cyberpunk 2077" -> "2077",
                    # "Amazon's AI assistant" -> "AI assistant")
                    continue
                if shared and cand.answer_type in NAMED and cand.label != "HEAD":
                    trimmed = _before_question_words(cand, question_lemmas - name_words - {q.head})
                    if trimmed is not None:  # "Ashleigh Barty Wins Wimbledon" -> "Ashleigh Barty"
                        cand, cand_words, shared = trimmed, [stem(w) for w in words(trimmed.text)], 0
                numeric = any(ch.isdigit() for ch in cand.text)
                # "how many employees" -> "roughly 620 employees": the unit noun is evidence, not an echo.
                overlap = 0.0 if numeric else shared / len(cand_words)
                inside = any(cand.start <= a <= cand.end for a in anchors)
                distance = (
                    0.0
                    if inside
                    else min((abs(a - (cand.start + cand.end) / 2) for a in anchors), default=200.0) / 6.0
                )
                proximity = 1.0 / (1.0 + distance / 4.0)
                score = 1.5 * ev.score + 0.25 * proximity
                closeness = 1.0
                if number_anchors and not numeric:
                    # "2021, Daniil Medvedev; 2020, Dominic Thiem": the name next to the asked year.
                    # Lists mostly put the year first ("2019 - Maria Garcia"): a year before counts double.
                    before = [(cand.start - a) / 6.0 for a in number_anchors if a <= cand.start]
                    after = [(a - cand.end) / 6.0 for a in number_anchors if a >= cand.end]
                    closeness = max(
                        1.0 / (1.0 + min(before, default=99.0) / 2.0),
                        0.5 / (1.0 + min(after, default=99.0) / 2.0),
                    )
                    score += 0.2 * closeness
                if head and head in cand_words and not numeric:
                    # "In which district ...?" is answered by "the Ancoats district" itself.
                    score += 0.4 if q.head in _NAMED_WITH_HEAD else 0.15
                if numeric and shared:
                    score += 0.05
                role_weight = 1.0
                if not q.wants and cand.role == "agent" and same_verb:
                    score += 0.1  # "Who is the director of X?" asks who directed it
                elif q.wants and cand.role == "setting":
                    score -= 0.1  # "Which country won ...?": not the one it was held "in"
                elif q.wants and cand.role:
                    # "Who won ...?": the doer of a verb, most of all of the question's own verb;
                    # the one it was done to ("after defeating Croatia") is the opposite answer.
                    if cand.role == q.wants:
                        score += 0.15 if same_verb else 0.06
                    elif same_verb:
                        role_weight = 0.6
                    else:
                        score -= 0.1
                weight = compat * (1.0 if cand.specific else 0.55) * role_weight
                if cand.label != "HEAD" and any(
                    w in name_words for w in words(CURRENCY_NAME.sub("", cand.text))
                ):
                    weight *= 0.4  # "Who acquired WhatsApp?" is not answered by "WhatsApp Inc"
                # A passage without the question's names ("... in 2019") answers another question.
                weight *= 0.5 + 0.5 * ev.names
                if cand.answer_type is AnswerType.DATE:
                    weight *= date_precision(cand.text)
                if cand.end <= dateline and not asks_release:
                    continue  # the dateline's date and city say when/where it was issued
                if superseded:
                    weight *= 0.5  # a correction quoting the figure it replaces
                if ev.text[cand.end : cand.end + 6] == "-based":
                    weight *= 0.7  # "London-based": where the company is from, not where the news happens
                if listed_years:
                    weight *= 0.4 + 0.6 * closeness  # in a list of years, only the asked year's entry
                score *= weight * (1.0 - 0.6 * overlap)
                choices.append(Choice(ev, cand, score, weight, compat))
        if not choices and q.answer_type is AnswerType.OTHER and top:
            clause = self._clause(top[0].text, question_words)
            choices.append(Choice(top[0], clause, top[0].score * 0.8, 0.5))
        add_votes(choices, q.wants)
        choices.sort(key=lambda c: -c.score)
        return choices

    @staticmethod
    def _anchors(sentence: str, question_words: set[str]) -> list[float]:
        return [
            (w.start + w.end) / 2
            for w in word_spans(sentence)
            if stem(w.text) in question_words and w.text.lower() not in STOPWORDS
        ]

    @staticmethod
    def _clause(sentence: str, question_words: set[str]) -> Candidate:
        """The shortest clause of the sentence that holds most of the question's terms."""
        best: tuple[float, int, int] | None = None
        for match in re.finditer(r"[^,;:—–()]+", sentence):
            text = match.group().strip()
            if len(words(text)) < 3:
                continue
            hits = sum(1 for w in words(text) if stem(w) in question_words)
            key = (hits - 0.01 * len(text), match.start(), match.end())
            if best is None or key[0] > best[0]:
                best = key
        start, end = (best[1], best[2]) if best else (0, len(sentence))
        text = sentence[start:end]
        start += len(text) - len(text.lstrip())
        end = start + len(text.strip())
        return Candidate(start, end, sentence[start:end], AnswerType.OTHER, "CLAUSE", False)

    # -- corrections ---------------------------------------------------------------------
    @staticmethod
    def _prefer_newer(best: Choice, choices: list[Choice]) -> tuple[Choice, str]:
        """When a newer correction or update gives a different answer to the same question, take it.

        Only a document that says it corrects or updates: news about a later year ("Rybakina won
        Wimbledon ... since 2018") is no correction of the 2018 result.
        """
        date = best.evidence.passage.date
        for other in choices[1:6]:
            ev = other.evidence
            if (
                ev.passage.doc_id != best.evidence.passage.doc_id
                and ev.passage.date > date
                and other.score >= best.score - 0.12
                and ev.coverage >= best.evidence.coverage - 0.1
                and other.candidate is not None
                and best.candidate is not None
                and other.candidate.text.lower() != best.candidate.text.lower()
                and title_names(ev.passage.title) & title_names(best.evidence.passage.title)
                and CORRECTION.search(ev.passage.title + " " + ev.passage.text)
            ):
                note = (
                    f"A newer announcement ({ev.passage.date}, “{ev.passage.title}”) "
                    f"gives “{other.candidate.text}” where an earlier one "
                    f"({date or 'undated'}, “{best.evidence.passage.title}”) "
                    f"gave “{best.candidate.text}”; the newer figure is used."
                )
                return Choice(ev, other.candidate, other.score, other.fit, other.type_fit), note
        return best, ""

    # -- confidence and output -------------------------------------------------------------
    @staticmethod
    def features(best: Choice, choices: list[Choice]) -> dict[str, float]:
        """The evidence signals that confidence is computed from."""
        ev = best.evidence
        key = vote_key(best.candidate.text) if best.candidate else ""
        rival = next(
            (c.score for c in choices if c.candidate and not same_answer(key, c.candidate.text)), 0.0
        )
        passage = ev.passage
        return {
            "coverage": ev.coverage,
            "cosine": max(ev.cosine, 0.0),
            "names": ev.names,
            "fit": best.fit,
            "margin": best.score - rival,
            "both_rankings": float(passage.dense_rank is not None and passage.lexical_rank is not None),
            "rank": 1.0 / (1 + ev.rank),
            "verbs": ev.verbs,
        }

    @staticmethod
    def _confidence(q: Question, best: Choice, choices: list[Choice]) -> float:
        """Probability that the answer is right: a logistic model of the evidence signals."""
        features = ExtractiveAnswerer.features(best, choices)
        z = CONFIDENCE_BIAS + sum(CONFIDENCE_WEIGHTS[name] * value for name, value in features.items())
        # A name the question gives ("... in Tokyo") that the evidence lacks is a reason to abstain
        # however well the rest fits: scale down below full support of the name's words.
        # An answer of a neighbouring type ("how much" answered by a head count) is no answer.
        type_fit = 1.0 if q.answer_type is AnswerType.OTHER else min(1.0, best.type_fit / 0.5)
        # "... open an AI hub in Lagos?": a place the question puts its fact in must be in the
        # answer's sentence, the one or two before it or the headline, not anywhere in the article.
        ev = best.evidence
        offset = ev.start - ev.passage.start
        nearby = ev.passage.text[max(0, offset - 300) : offset + len(ev.text)]
        local = text_stems(nearby + " " + ev.passage.title)
        if any(not all(stem(w) in local for w in words(place)) for place in _locatives(q.text)):
            type_fit *= 0.3
        return float(min(1.0, best.evidence.least_name / 0.6) * type_fit / (1.0 + math.exp(-z)))

    def _answer(self, q: Question, best: Choice, confidence: float, note: str) -> Answer:
        ev, cand = best.evidence, best.candidate
        assert cand is not None
        passage = ev.passage
        local = ev.start - passage.start  # the sentence's offset inside the passage
        citation = Citation.in_passage(
            passage,
            local,
            local + len(ev.text),
            (local + cand.start, local + cand.end),
            best.score,
        )
        return Answer(
            text=cand.text,
            abstained=False,
            confidence=round(confidence, 4),
            citations=[citation],
            answer_type=q.answer_type.value,
            note=note,
        )

    @staticmethod
    def _abstain(q: Question, passages: Sequence[Passage], confidence: float) -> Answer:
        related: dict[str, RelatedDocument] = {}
        for p in passages:
            if p.doc_id not in related and len(related) < 3:
                related[p.doc_id] = RelatedDocument(
                    doc_id=p.doc_id, title=p.title, url=p.url, date=p.date, snippet=p.text[:200]
                )
        return Answer(
            text=ABSTAIN_TEXT,
            abstained=True,
            confidence=round(min(max(confidence, 0.0), 1.0), 4),
            related=list(related.values()),
            answer_type=q.answer_type.value,
        )
