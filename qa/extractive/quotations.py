"""Quotations in the evidence: who said each quoted sentence, which words stand inside the marks,
and the run from a quoted sentence to the one naming its speaker ("Who said ...?")."""

from __future__ import annotations

import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace
from typing import NamedTuple

from qa.extractive.splitting import Sentence
from qa.language.answer_types import AnswerType
from qa.language.evidence import text_stems
from qa.language.questions import Question
from qa.language.spans import Candidate
from qa.types import Passage

ATTRIBUTION = re.compile(r"^[—–-]\s*[A-Z]")  # "— Name, Title" after a quotation
ASKS_SAID = re.compile(r"\b(?:say|said|says|describe[sd]?|call(?:ed|s)?|quoted?|according to)\b")
_NAMED = re.compile(r"[A-Z]")
MAX_GAP = 3  # characters between two sentences that follow each other (spaces, a line break)
MAX_QUOTATION_SENTENCES = 8  # an opening quote mark not closed within this many sentences is a stray
MAX_QUOTED = 3  # sentences of a quotation shown with its attribution line


class Speaker(NamedTuple):
    """Who said a quotation: the stems of the words naming them, and the sentence holding those."""

    stems: AbstractSet[str]
    sentence: Sentence | None


def quotation_speakers(sentences: Sequence[Sentence]) -> dict[tuple[str, int], Speaker]:
    """For each sentence of a quotation, who said it: the words after the closing mark ('...,”
    said Name, Title.'), else an attribution line right after it ("— Name, Title"), else the
    words before the opening mark ('Name said: “...'). A quotation's sentences seldom name who
    said them; the speaker is their context. A one-sentence quotation counts when an attribution
    line follows it, or when it names nobody and goes on from the quotation just before it (else
    its speaker is in the sentence already)."""
    ordered = sorted(sentences, key=lambda s: (s.passage.doc_id, s.start))
    found: dict[tuple[str, int], Speaker] = {}
    group: list[Sentence] = []
    depth = 0
    previous: tuple[Sentence, Speaker] | None = None  # the quotation just before and its speaker
    for i, s in enumerate(ordered):
        opens, closes = s.text.count("\u201c"), s.text.count("\u201d")
        straight = s.text.count('"')
        following = ordered[i + 1] if i + 1 < len(ordered) else None
        after_quotation = previous if previous and _next_to(previous[0], s) else None
        previous = None
        if group and not _next_to(group[-1], s):
            group, depth = [], 0  # never closed before a gap in what was retrieved
        if not group:
            if opens > closes or straight % 2:  # opens a quotation this sentence does not close
                group, depth = [s], opens - closes + straight % 2
            elif opens or straight:
                speaker = _speaker([s], following)
                if speaker.sentence is not s and speaker.sentence is not None:
                    found[(s.passage.chunk_id, s.index)] = speaker  # an attribution line follows
                elif speaker.sentence is None and after_quotation is not None:
                    # '"...," Name said. "..."': a quotation on its own goes on with the last speaker
                    speaker = found[(s.passage.chunk_id, s.index)] = after_quotation[1]
                previous = (s, speaker) if speaker.stems else None
            continue
        group.append(s)
        depth += opens - closes - straight % 2
        if depth > 0 and len(group) < MAX_QUOTATION_SENTENCES:
            continue
        if depth <= 0:
            speaker = _speaker(group, following)
            for member in group:
                found[(member.passage.chunk_id, member.index)] = speaker
            previous = (s, speaker) if speaker.stems else None
        group, depth = [], 0
    return found


def _next_to(before: Sentence, after: Sentence) -> bool:
    """Whether ``after`` follows ``before`` in their document (in the same passage or the next)."""
    return before.passage.doc_id == after.passage.doc_id and 0 <= after.start - before.end <= MAX_GAP


def _attribution_after(last: Sentence, following: Sentence | None) -> bool:
    return following is not None and _next_to(last, following) and bool(ATTRIBUTION.match(following.text))


def _speaker(group: list[Sentence], following: Sentence | None) -> Speaker:
    last = group[-1].text
    after = last[max(last.rfind("\u201d"), last.rfind('"')) + 1 :]
    if _NAMED.search(after):
        return Speaker(text_stems(after), group[-1])
    if _attribution_after(group[-1], following):
        assert following is not None
        return Speaker(text_stems(following.text), following)
    first = group[0].text
    marks = [i for i in (first.find("\u201c"), first.find('"')) if i >= 0]
    before = first[: min(marks)] if marks else ""
    return Speaker(text_stems(before), group[0] if _NAMED.search(before) else None)


def asks_who_said(q: Question) -> bool:
    """ "Who said ...?", "Which official described ...?": the answer is a quotation's speaker."""
    named = q.answer_type in (AnswerType.PERSON, AnswerType.ORGANISATION)
    return named and bool(ASKS_SAID.search(q.text.lower()))


def quoted_spans(text: str, starts_inside: bool) -> list[tuple[int, int]]:
    """The character ranges of ``text`` inside quotation marks. A straight mark after a letter or
    punctuation closes, one at the start or after a space opens; ``starts_inside`` when the
    sentence continues a quotation opened before it."""
    spans: list[tuple[int, int]] = []
    opened = 0 if starts_inside else -1
    for i, ch in enumerate(text):
        if ch not in '\u201c\u201d"':
            continue
        after_word = i > 0 and not text[i - 1].isspace() and text[i - 1] not in "(["
        closes = ch == "\u201d" or (ch == '"' and after_word)
        if closes and opened >= 0:
            spans.append((opened, i + 1))
            opened = -1
        elif not closes and opened < 0:
            opened = i
    if opened >= 0:
        spans.append((opened, len(text)))
    return spans


def continues_quotation(sentence: Sentence, speakers: dict[tuple[str, int], Speaker]) -> bool:
    """Whether ``sentence`` goes on with a quotation opened in a sentence before it."""
    if (sentence.passage.chunk_id, sentence.index) not in speakers:
        return False
    first = next((i for i, ch in enumerate(sentence.text) if ch in '\u201c\u201d"'), -1)
    spans = quoted_spans(sentence.text, False)
    return first < 0 or not spans or spans[0][0] != first


def with_speaker(sentence: Sentence, speaker: Speaker | None) -> Sentence | None:
    """The quotation's sentence run on to (or back from) the sentence naming who said it, scored
    as the sentence itself: where a "Who said ...?" answer and its evidence are quoted together.
    None when the sentence names its speaker itself, or no speaker is known."""
    if speaker is None or speaker.sentence is None or speaker.sentence is sentence:
        return None
    first, last = sorted((sentence, speaker.sentence), key=lambda s: s.start)
    passage = _joined(first.passage, last.passage, first.start, last.end)
    if passage is None:
        return None
    text = passage.text[first.start - passage.start : last.end - passage.start]
    return replace(sentence, passage=passage, start=first.start, end=last.end, text=text)


def _joined(one: Passage, other: Passage, start: int, end: int) -> Passage | None:
    """``one`` run on into ``other`` (the passage after it in their document), when nothing of the
    document between them is missing; ``one`` itself when it holds ``start`` to ``end``."""
    if one.start <= start and end <= one.end:
        return one
    if other.doc_id != one.doc_id or other.start > one.end or other.end < end:
        return None
    text = one.text + other.text[one.end - other.start :]
    return one.model_copy(update={"text": text, "end": other.end})


def speaker_runs(
    top: Sequence[Sentence], speakers: dict[tuple[str, int], Speaker]
) -> list[tuple[Sentence, Sentence]]:
    """Each quoted sentence of ``top`` whose speaker is named in another sentence, with the run
    from one to the other."""
    runs = []
    for s in top:
        run = with_speaker(s, speakers.get((s.passage.chunk_id, s.index)))
        if run is not None:
            runs.append((s, run))
    return runs


def inside_quotation(sentence: Sentence, span: Candidate, speakers: dict[tuple[str, int], Speaker]) -> bool:
    """Whether ``span`` of ``sentence`` stands inside quotation marks: what was said, never who said it."""
    quoted = quoted_spans(sentence.text, continues_quotation(sentence, speakers))
    return any(start <= span.start and span.end <= end for start, end in quoted)


def quotation_before(attribution: Sentence, ranked: list[Sentence]) -> tuple[Sentence, ...]:
    """The quotation an attribution line closes: back through the document, sentence by adjacent
    sentence whatever chunk holds it, to the one with its opening mark (at most MAX_QUOTED
    sentences), else the one sentence before it."""
    taken: list[Sentence] = []
    current = attribution
    for _ in range(MAX_QUOTED):
        before = next((s for s in ranked if _next_to(s, current)), None)
        if before is None:
            break
        taken.insert(0, before)
        if "“" in before.text or before.text.startswith('"'):
            return tuple(taken)
        current = before
    return tuple(taken[-1:])
