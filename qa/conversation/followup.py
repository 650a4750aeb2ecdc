"""Answer a conversation's last question: a follow-up from the conversation's documents first.

    standalone = standalone_question(messages)             (qa.conversation.standalone)
    follow-up naming nothing new?  ask it over the conversation's documents
        answered (not abstained)?  that is the answer
    ask it over every document (the request's own filters still apply)
        a follow-up's answer from there must come from a document that names what the
        conversation is about (its names, its subject); else the abstention above stands

The conversation's documents are the ``doc_ids`` of the latest assistant message that carries
them (the widget sends the documents of the citations it showed); without them, the previous
question is asked again (extractive, no model call) and the documents it cites are used.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.conversation.messages import Message, cited_doc_ids
from qa.conversation.standalone import Standalone, standalone_question
from qa.errors import NotFound
from qa.index.store import Filters
from qa.service import QAService
from qa.text import STOPWORDS, words
from qa.types import Answer

MAX_SCOPE_DOCS = 20  # conversation documents a follow-up is asked over first


def ask_in_conversation(
    service: QAService,
    messages: Sequence[Message],
    top_k: int | None = None,
    filters: Filters | None = None,
    answerer: str | None = None,
) -> tuple[Standalone, Answer]:
    """The standalone question and its answer; raises what ``standalone_question`` and
    ``QAService.ask`` raise."""
    standalone = standalone_question(messages)
    scoped = scoped_filters(filters, conversation_documents(service, messages, standalone, filters))
    within: Answer | None = None
    if standalone.follow_up and scoped is not None:
        within = service.ask(standalone.question, top_k, scoped, answerer, context=standalone.context)
        if not within.abstained:
            return standalone, within
    answer = service.ask(standalone.question, top_k, filters, answerer, context=standalone.context)
    if within is not None and (answer.abstained or not names_conversation(service, answer, standalone)):
        return standalone, within  # nothing on the conversation's topic elsewhere either
    return standalone, answer


def names_conversation(service: QAService, answer: Answer, standalone: Standalone) -> bool:
    """Whether the document ``answer`` cites first names what the conversation is about: every
    name it carried ("Lyon") and the words of its subject ("the lab", in any case). A
    follow-up about the lab of an article on Lyon is not answered by an article on London."""
    names = [re.escape(term) for term in standalone.carried if term[:1].isupper()]
    subject = [f"(?i:{re.escape(w)})" for w in words(standalone.subject) if w not in STOPWORDS]
    if not (names or subject) or not answer.citations:
        return True
    try:
        document = service.store.get_document(answer.citations[0].doc_id)
    except NotFound:
        return False
    text = f" {document.title} {document.text} "
    return all(re.search(rf"(?<!\w){pattern}(?!\w)", text) for pattern in names + subject)


def conversation_documents(
    service: QAService, messages: Sequence[Message], standalone: Standalone, filters: Filters | None
) -> list[str]:
    """The documents a follow-up is asked over first (empty for a question that starts a topic)."""
    if not standalone.follow_up:
        return []
    for message in reversed(messages):
        cited = cited_doc_ids(message) if message.role == "assistant" else None
        if cited:
            return list(dict.fromkeys(cited))[:MAX_SCOPE_DOCS]
    previous = standalone.previous
    if previous is None:
        return []
    answer = service.ask(previous.question, None, filters, "extractive", context=previous.context)
    return list(dict.fromkeys(c.doc_id for c in answer.citations))[:MAX_SCOPE_DOCS]


def scoped_filters(filters: Filters | None, doc_ids: list[str]) -> Filters | None:
    """``filters`` narrowed to ``doc_ids`` (None when nothing is left to ask over)."""
    if not doc_ids:
        return None
    if filters is not None and filters.doc_ids is not None:
        doc_ids = [d for d in doc_ids if d in filters.doc_ids]
        if not doc_ids:
            return None
    base = filters.model_dump() if filters is not None else {}
    return Filters(**{**base, "doc_ids": doc_ids})
