"""The last user message of a conversation made a standalone question (its limits are checked
in ``qa.conversation.messages``, the answering is ``qa.conversation.followup``).

A chat turn such as "And where will it be based?" means nothing to retrieval on its own. The
rewrite is offline and rule-based:

1. A user message is a *follow-up* when it starts with a connective ("and", "but", "also", ...),
   refers back with a pronoun ("it", "they", "its", "he", ...), or is short and names nothing.
   Anything else (e.g. "Who chairs the city council?") starts a new topic and is kept as asked.
2. "What about Acme Labs?" (or "And Acme Labs?") re-asks the previous question about the
   new name: "How many jobs will the lab create?" becomes "How many jobs will Acme Labs create?".
3. Otherwise "it/they/its/their" is replaced by the previous question's subject (its first name
   phrase, else its definite noun phrase: "the lab"): "Where will the lab be based?". The salient
   terms of the previous question, of the previous answer (unless it abstained) and of earlier
   context that the follow-up lacks are the *context*, a separate field: they help retrieval find
   the article, and are no part of the question (which stays readable English).

A follow-up that names nothing new is marked (``Standalone.follow_up``): it is answered first
from the conversation's documents (``qa.conversation.followup``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from qa.conversation.messages import Message, validate_conversation
from qa.errors import InvalidRequest
from qa.language.evidence import ABSTAIN_TEXT
from qa.language.lexicon import AUXILIARIES, NOT_NAMES, QUESTION_WORDS
from qa.service import MAX_QUESTION_CHARS
from qa.text import STOPWORDS, Span, word_spans

MAX_CARRIED_TERMS = 12
# What pronoun substitution may insert: a subject of a few words, put in a few times. Without a
# bound, "it it" follow-ups double the question at every turn (the next subject is taken from
# the grown text), a denial of service from a body of a few hundred bytes.
MAX_SUBJECT_WORDS = 6
MAX_SUBJECT_CHARS = 80
MAX_REPLACEMENTS = 3

_CONNECTIVE = re.compile(
    r"^(?:(?:and|but|also|so|then|plus|ok|okay|now|what about|how about)\b[\s,]*)+", re.IGNORECASE
)
_WHAT_ABOUT = re.compile(r"^(?:what|how)\s+about\s+(?P<topic>.+)$", re.IGNORECASE | re.DOTALL)
_REFERRING = frozenset(
    ["it", "its", "they", "them", "their", "theirs", "he", "him", "his", "she", "her", "hers"]
)
_REPLACEABLE = {"it": "", "they": "", "them": "", "its": "'s", "their": "'s"}  # pronoun -> suffix
_DETERMINERS = frozenset(["the", "this", "that", "these", "those"])
# Imperative first words, capitalised but no name: "Tell me about Acme".
_IMPERATIVES = frozenset(["tell", "show", "give", "list", "name", "explain", "describe"])
_JOINERS = frozenset(["of", "for", "and", "de", "&"])
_PRONOUN = re.compile(r"\b(?:it|they|them|its|their)\b", re.IGNORECASE)
_SHORT = 3  # a question with at most this many content words and no name is a follow-up


@dataclass(frozen=True)
class Standalone:
    """A user question made standalone: the resolved question and the terms carried into it."""

    question: str
    subject: str = ""  # what "it" refers to in the next follow-up
    carried: tuple[str, ...] = ()
    follow_up: bool = False  # leans on the conversation and names nothing new
    previous: Standalone | None = None  # the standalone question before this one

    @property
    def context(self) -> str:
        """The carried terms as one string: retrieval context, not part of the question."""
        return " ".join(self.carried)


def standalone_question(messages: Sequence[Message]) -> Standalone:
    """The last user message as a question retrieval can answer without the conversation.

    Raises what ``validate_conversation`` raises, and InvalidRequest when the resolved question
    is over the question limit.
    """
    validate_conversation(messages)
    current: Standalone | None = None
    answer = ""
    last = messages[-1]
    for message in messages:
        if message.role == "assistant":
            answer = message.content
            continue
        question = " ".join(message.content.split())
        if current:
            current = replace(rewrite_follow_up(question, current, answer), previous=_forget(current))
        else:
            current = resolve_new(question)
        if len(current.question) > MAX_QUESTION_CHARS:
            if message is last:
                raise InvalidRequest(
                    f"the conversation resolves to a question of {len(current.question):,} characters, over "
                    f"the {MAX_QUESTION_CHARS:,}-character limit: ask a shorter question or start a new "
                    "conversation"
                )
            # An earlier question is only context: keep its start, so no turn builds on more.
            current = replace(current, question=current.question[:MAX_QUESTION_CHARS])
        answer = ""
    assert current is not None  # validate_conversation: the last message is the user's
    return current


def _forget(standalone: Standalone) -> Standalone:
    """``standalone`` without its own history (a conversation keeps only one turn back)."""
    return replace(standalone, previous=None)


def resolve_new(question: str) -> Standalone:
    """A question that starts a topic: kept as asked, its subject remembered."""
    return Standalone(question, subject_of(question))


def rewrite_follow_up(question: str, previous: Standalone, answer: str = "") -> Standalone:
    """``question`` made standalone from the previous (standalone) question and its answer."""
    if not is_follow_up(question):
        return resolve_new(question)
    stripped = _strip_connective(question)
    topic = _new_topic(question, stripped)
    if topic and _names(topic) and previous.subject and previous.subject in previous.question:
        # "What about Acme Labs?": the same question about another subject, no carried terms,
        # asked over every document.
        return Standalone(previous.question.replace(previous.subject, topic, 1), _bounded(topic))
    if not word_spans(stripped):  # "And?": the previous question again
        stripped = previous.question
    resolved = _capitalise(_replace_pronouns(stripped, previous.subject))
    present = {t.lower() for t in salient_terms(resolved)}
    carried: list[str] = []
    sources = [salient_terms(previous.question)]
    if answer and not _is_abstention(answer):
        sources.append(salient_terms(answer))
    sources.append(list(previous.carried))
    for term in (t for source in sources for t in source):
        if term.lower() not in present and len(carried) < MAX_CARRIED_TERMS:
            carried.append(term)
            present.add(term.lower())
    known = {t.lower() for t in salient_terms(" ".join([previous.question, previous.context, answer]))}
    new_names = [n for n in _names(stripped) if any(t.lower() not in known for t in salient_terms(n))]
    return Standalone(
        resolved, subject_of(resolved) or previous.subject, tuple(carried), follow_up=not new_names
    )


def is_follow_up(question: str) -> bool:
    """True when the question leans on the conversation (connective, pronoun, or short and nameless)."""
    if _CONNECTIVE.match(question.strip()):
        return True
    tokens = [w.text.lower() for w in word_spans(question)]
    if any(t in _REFERRING for t in tokens):
        return True
    content = [t for t in tokens if t not in STOPWORDS and t not in QUESTION_WORDS]
    return len(content) <= _SHORT and not _names(question)


def salient_terms(text: str) -> list[str]:
    """Content words of ``text`` in order, once each: no stopwords, question words or pronouns."""
    seen: set[str] = set()
    terms: list[str] = []
    for span in word_spans(text):
        word = span.text.strip(".,'’")
        low = word.lower().removesuffix("'s").removesuffix("’s")
        if not low or low in STOPWORDS or low in QUESTION_WORDS or low in _REFERRING or low in seen:
            continue
        if len(low) == 1 and not low.isdigit():
            continue
        seen.add(low)
        terms.append(word.removesuffix("'s").removesuffix("’s"))
    return terms


def subject_of(question: str) -> str:
    """What the question is about, for "it" in the next turn: the phrase right after its
    auxiliary ("will the lab create" -> "the lab", "will Acme Robotics create"), else its
    first name phrase, else its first definite noun phrase, else ""."""
    spans = word_spans(question)
    after_aux = {i + 1 for i, s in enumerate(spans) if s.text.lower() in AUXILIARIES}
    phrases = _definite_phrases(question)
    names = _name_phrases(question)
    ranked = [p for p in phrases if p[0] in after_aux] + [n for n in names if n[0] in after_aux]
    ranked += names + phrases
    return _bounded(ranked[0][1]) if ranked else ""


def _bounded(subject: str) -> str:
    """The subject cut to its first few words and characters (see MAX_SUBJECT_WORDS)."""
    spans = word_spans(subject)
    if len(spans) > MAX_SUBJECT_WORDS:
        subject = subject[: spans[MAX_SUBJECT_WORDS - 1].end]
    if len(subject) > MAX_SUBJECT_CHARS:
        cut = subject.rfind(" ", 0, MAX_SUBJECT_CHARS + 1)
        subject = subject[: cut if cut > 0 else MAX_SUBJECT_CHARS]
    return subject


def _names(text: str) -> list[str]:
    """Capitalised phrases and numbers: "Acme for Schools", "2022" (not "What", not "CEO")."""
    return [name for _, name in _name_phrases(text)]


def _name_phrases(text: str) -> list[tuple[int, str]]:
    """(index of the first word, phrase) of each name in ``text``."""
    spans = word_spans(text)
    found: list[tuple[int, str]] = []
    run: list[int] = []  # word indices of the current phrase
    joiner = False
    for index, span in enumerate(spans):
        if _is_name_word(span.text, index, spans):
            run.append(index)
            joiner = False
        elif run and span.text.lower() in _JOINERS and not joiner:
            joiner = True  # "Acme for Schools": keep going if a name follows
        else:
            if run:
                found.append((run[0], text[spans[run[0]].start : spans[run[-1]].end]))
            run, joiner = [], False
    if run:
        found.append((run[0], text[spans[run[0]].start : spans[run[-1]].end]))
    return found


def _is_name_word(word: str, index: int, spans: list[Span]) -> bool:
    low = word.lower()
    if any(c.isdigit() for c in word):
        return True
    if not word[0].isupper() or low in _REFERRING or low in NOT_NAMES:
        return False
    if index == 0:  # the first word is capitalised anyway: a name only if it looks like one
        following = spans[1].text if len(spans) > 1 else ""
        return any(c.isupper() for c in word[1:]) or (following[:1].isupper() and low not in _IMPERATIVES)
    return True


def _definite_phrases(question: str) -> list[tuple[int, str]]:
    """(index of the determiner, phrase) of each "the <noun run>". After an auxiliary the run
    loses its last word when that is the inverted question's main verb: in "will the lab create
    over 200 jobs" the run "lab create" ends at a non-auxiliary, so it is "the lab"; in "will the
    research lab be based" it ends at "be" and stays whole."""
    spans = word_spans(question)
    lows = [s.text.lower() for s in spans]
    found: list[tuple[int, str]] = []
    for i, low in enumerate(lows):
        if low not in _DETERMINERS:
            continue
        j = i + 1
        while j < len(lows) and lows[j] not in STOPWORDS and lows[j] not in QUESTION_WORDS:
            j += 1
        run = spans[i + 1 : j]
        after_aux = i > 0 and lows[i - 1] in AUXILIARIES
        if after_aux and len(run) > 1 and (j == len(lows) or lows[j] not in AUXILIARIES):
            run = run[:-1]
        if run:
            found.append((i, f"{low} {question[run[0].start : run[-1].end]}"))
    return found


def _replace_pronouns(question: str, subject: str) -> str:
    if not subject:
        return question

    def swap(match: re.Match[str]) -> str:
        return subject + _REPLACEABLE[match.group().lower()]

    return _PRONOUN.sub(swap, question, count=MAX_REPLACEMENTS)


def _strip_connective(question: str) -> str:
    """The question without a leading "And", "But also", ... (but keeping "what about X")."""
    if _WHAT_ABOUT.match(question.strip()):
        return question.strip()
    return _CONNECTIVE.sub("", question.strip()).strip()


def _new_topic(question: str, stripped: str) -> str:
    """X in "What about X?" / "And X?" (a bare noun phrase, no question word), else ""."""
    match = _WHAT_ABOUT.match(stripped)
    if match:
        return match.group("topic").strip(" ?.!")
    tokens = [w.text.lower() for w in word_spans(stripped)]
    bare = tokens and not any(t in QUESTION_WORDS or t in AUXILIARIES for t in tokens)
    if bare and stripped != question.strip():
        return stripped.strip(" ?.!")
    return ""


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _is_abstention(answer: str) -> bool:
    return answer.strip().lower().startswith(ABSTAIN_TEXT.lower().rstrip("."))
