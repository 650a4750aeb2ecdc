"""The question's own words inside a candidate: never an answer by themselves, and cut from a name
they run into ("to Host <Name> Summit" -> "<Name> Summit", "<Name> Wins <Prize>" -> "<Name>")."""

from __future__ import annotations

from dataclasses import replace

from qa.extractive.question_words import QuestionWords
from qa.language.labels import Label
from qa.language.lexicon import LEGAL_FORMS
from qa.language.questions import Question
from qa.language.spans import NAMED, Candidate
from qa.language.stemming import lemma, stem
from qa.text import STOPWORDS, word_spans, words


def without_question_words(
    q: Question, qw: QuestionWords, cand: Candidate
) -> tuple[Candidate, list[str], int] | None:
    """The candidate without the question's words run into it, its word stems and how many of
    them the question uses; None when it is only what the question itself names."""
    cand_words = [stem(w) for w in words(cand.text) if w not in STOPWORDS and w not in LEGAL_FORMS]
    if not cand_words:
        return None
    shared = sum(1 for w in cand_words if w in qw.stems and w not in qw.asked_phrase)
    if shared == len(cand_words) or (cand.label == Label.HEAD and shared == len(cand_words) - 1):
        return None  # never answer with what the question itself names
    if shared:
        trimmed = _after_question_words(cand, qw.lemmas - qw.names - {q.head})
        if trimmed is not None:  # a headline verb before a name: "to Host <Name> Summit" -> "<Name> Summit"
            cand, cand_words = trimmed, [stem(w) for w in words(trimmed.text)]
            shared = sum(1 for w in cand_words if w in qw.stems and w not in qw.asked_phrase)
    if shared and cand.answer_type in NAMED and cand.label != Label.HEAD:
        trimmed = _before_question_words(cand, qw.lemmas - qw.names - {q.head})
        if trimmed is not None:  # a headline verb run into a name: "<Name> Wins <Event>" -> "<Name>"
            cand, cand_words, shared = trimmed, [stem(w) for w in words(trimmed.text)], 0
    return cand, cand_words, shared


def _before_question_words(cand: Candidate, question_words: frozenset[str]) -> Candidate | None:
    """The part of a name before the first word the question uses, when that part is a name.

    Words match whole (or as one verb: "Wins" for "won"), not by stem: "Elm Street Advisors"
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


def _after_question_words(cand: Candidate, question_words: frozenset[str]) -> Candidate | None:
    """The candidate without the question's words it starts with (whole words or one verb)."""
    spans = word_spans(cand.text)
    leading = 0
    while leading < len(spans) - 1 and lemma(spans[leading].text) in question_words:
        leading += 1
    if not leading:
        return None
    cut = spans[leading].start
    return replace(cand, start=cand.start + cut, text=cand.text[cut:])
