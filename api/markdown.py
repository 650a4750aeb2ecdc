"""An Answer as one Markdown message: the answer, then its sources as numbered references.

For clients that show a single text (OpenAI-compatible chat front-ends, MCP assistants)::

    OpenAI will create over 200 technical positions [1]

    Sources:
    1. [Acme opens its robotics lab](https://example.org/lab), 2025-03-04: “... over 400 ...”

An abstention is the abstention text followed by "Related articles:", numbered the same way.
Titles and quotes are document text, so Markdown and HTML in them are escaped; only http(s)
URLs become links (a ``javascript:`` URL in a document's front matter never becomes clickable).
"""

from __future__ import annotations

import re
from urllib.parse import quote

from qa.types import Answer

_MARKER = re.compile(r"\[\d+(?:\s*,\s*\d+)*\]")
_SPECIAL = re.compile(r"([\\`*_\[\]<>])")
_MAX_QUOTE_CHARS = 400
_SECTIONS = re.compile(r"\n\n(?:Sources|Related articles):\n")


def answer_markdown(answer: Answer) -> str:
    """The answer text with citation markers, a note if any, then the numbered sources (or related
    articles, when it abstained)."""
    text = answer.text.strip()
    if answer.citations and not answer.abstained and not _MARKER.search(text):
        text += " " + "".join(f"[{n}]" for n in range(1, len(answer.citations) + 1))
    parts = [text]
    if answer.note:
        parts.append(f"_{escape(answer.note)}_")
    if answer.abstained and answer.related:
        lines = [f"{n}. {reference(r.title, r.url, r.date)}" for n, r in enumerate(answer.related, 1)]
        parts.append("Related articles:\n" + "\n".join(lines))
    elif answer.citations:
        lines = [
            f"{n}. {reference(c.title, c.url, c.date)}: “{escape(one_line(c.quote, _MAX_QUOTE_CHARS))}”"
            for n, c in enumerate(answer.citations, 1)
        ]
        parts.append("Sources:\n" + "\n".join(lines))
    return "\n\n".join(parts)


def answer_text(markdown: str) -> str:
    """The answer of a message `answer_markdown` wrote, without its sources and markers (what a
    chat front-end sends back as the assistant's turn); other text is returned stripped."""
    return _MARKER.sub("", _SECTIONS.split(markdown, maxsplit=1)[0]).strip()


def reference(title: str, url: str, date: str) -> str:
    """``[title](url), date``: the title linked when the URL is http(s), the date when known."""
    label = escape(one_line(title, 200)) or "untitled"
    linked = f"[{label}](<{safe_url(url)}>)" if url.startswith(("http://", "https://")) else label
    return f"{linked}, {date}" if date else linked


def escape(text: str) -> str:
    """``text`` with Markdown's and HTML's active characters backslash-escaped."""
    return _SPECIAL.sub(r"\\\1", text)


def one_line(text: str, limit: int) -> str:
    """``text`` on one line, whitespace collapsed, cut at ``limit`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def safe_url(url: str) -> str:
    """The URL with spaces, angle brackets and control characters percent-encoded."""
    return quote(url, safe="".join(chr(c) for c in range(33, 127) if chr(c) not in "<>\\"))
