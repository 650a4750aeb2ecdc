"""Text normalisation and removal of page furniture from scraped articles.

Furniture (newsletter sign-up blocks, cookie banners, share buttons, copyright footers,
site taglines) is found line by line and removed in *blocks*:

* each short line gets a score: 3 for an unmistakable furniture phrase ("no spam",
  "We use cookies", "All rights reserved", a bare "Subscribe" button), otherwise one point
  per keyword family it mentions (subscribe, sign-up, newsletter, free, spam, daily, ...)
  and one point when it is written in another language than the document;
* a sentence in the document's language scores 0 unless it mentions three keyword
  families ("The company has 2 million subscribers. The service is free." stays):
  precision matters more than recall here;
* runs of consecutive scored lines form a block, and a block is removed when its score
  reaches 3 (a block at the very start or end of the text gets one point more);
* a short sentence with two keyword families ("Get the top stories in your inbox every
  morning.") goes only when it touches a removed block that holds an unmistakable phrase.

A heading next to furniture survives because it scores 0, so it breaks the block. The
first line (usually the title) is only removed for an unmistakable phrase. Corpus-level
repetition (a tagline under every article of a site) is handled by `find_repeated_lines`.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

PARAGRAPH_BREAK = "\n\n"
_SHORT_LINE_WORDS = 20  # longer lines are prose, never keyword-scored
_STRONG_LINE_MAX_WORDS = 40
# Furniture lines are short; a longer line is never scored, so no pattern runs over a megabyte
# in one call (one such call holds Python's GIL, stalling every request of the server, ~60 ms).
_SCORED_LINE_MAX_CHARS = 600
# The dominant language is judged on the text's start: enough words, and a bounded call.
_LANGUAGE_SAMPLE_CHARS = 50_000
_BLOCK_THRESHOLD = 3
_STRONG_SCORE = 3
_SOFT = -1  # removed only next to a block with an unmistakable phrase
_SOFT_LINE_MAX_WORDS = 12
_REPEATED_LINE_MAX_WORDS = 20

# Unmistakable furniture, English and French (matched on the lower-cased line, ’ → ').
_STRONG = [
    r"\b(no|pas de|sans) spam\b",
    r"\b(unsubscribe|cancel|opt out)( at)? any ?time\b",
    r"\b(désabonnement|désinscription|se désabonner|se désinscrire)\b.{0,25}\b(clic|moment)\b",
    r"\b(subscribe|sign up|register) (to|for) (our|the|my) (free )?(weekly |daily )?"
    r"(newsletter|mailing list|digest|briefing)\b",
    r"\b(delivered|straight|direct(ly)?) (to|in) your inbox\b",
    r"\b(we|this (web)?site) uses? cookies\b",
    r"\b(nous utilisons|ce site utilise) des cookies\b",
    r"\b(accept|reject|manage)( all)? cookies\b",
    r"\b(accepter|refuser) (tous )?les cookies\b",
    r"\b(cookie (policy|settings|preferences)|gestion des cookies)\b",
    r"\ball rights reserved\b",
    r"\btous droits réservés\b",
    r"^((copyright\s*)?(©|\(c\))|copyright)\s*\d{4}\b",
    r"^(share|partager|partagez) (this|on|via|cet|cette|sur|l'article)\b",
    r"^(read more|continue reading|related (articles?|posts?|stories|content)|you (may|might) also like"
    r"|recommended for you|more stories|most (read|popular)|see also)\b",
    r"^(lire aussi|à lire aussi|lire la suite|voir aussi|sur le même sujet"
    r"|articles? (similaires|liés|connexes))\b",
    r"\b(follow us on|suivez-nous sur)\b",
    # A line that is nothing but a button or a label.
    r"^(subscribe|sign up|sign in|log in|register|follow|accept( all)?|reject all|manage preferences"
    r"|advertisement|sponsored( content)?|ad|share|tweet|print"
    r"|s'abonner|s'inscrire|abonnez-vous|inscrivez-vous|je m'abonne|je m'inscris|partager"
    r"|accepter( tout)?|tout accepter|refuser( tout)?|tout refuser|publicité|sponsorisé)"
    r"( now| today| here| maintenant| ici)?\s*[.!:]?$",
]
_STRONG_RE = re.compile("|".join(f"(?:{p})" for p in _STRONG))

# Keyword families: each family counts at most once per line.
_WEAK_FAMILIES = [
    r"\b(subscri(be|bed|bes|ber|bers|ption|ptions)|unsubscribe|s'abonner|abonn\w*|désabonn\w*)\b",
    r"\b(sign(ing)?[- ]?up|register|log in|inscri\w*|s'inscrire|désinscri\w*)\b",
    r"\b(newsletters?|mailing list|digest|briefing|brief|lettre d'information)\b",
    r"\b(free|gratuit\w*|offert\w*)\b",
    r"\b(spam|inbox|boîte (mail|de réception))\b",
    r"\b(e-?mail( address)?|adresse (e-?mail|mail|électronique)|courriel)\b",
    r"\b(daily|weekly|every (day|morning|evening|night|week)|chaque (jour|soir|matin|semaine)"
    r"|du jour|quotidien\w*|hebdomadaire)\b",
    r"\bcookies?\b",
    r"\b(share|partag\w*|tweet)\b",
    r"\b(click|clic|cliquez|tap here)\b",
    r"\b(receive|recevez|recevoir|reçois)\b",
    r"\b(privacy policy|terms of (use|service)|politique de confidentialité|mentions légales"
    r"|conditions (générales|d'utilisation))\b",
]
_WEAK_RES = [re.compile(p) for p in _WEAK_FAMILIES]

# Function words that identify a line's language. Words shared by several languages or
# common in English names ("a", "on", "ton" in "a ton of") are left out or tie harmlessly.
_STOPWORD_LISTS = {
    "en": "the and of to in is are was were for with that this by at from its it will be an has have had"
    " we our their which or not but into how what your you about more than also can after over"
    " they them these those been would should",
    "fr": "le la les de des du et est sont un une que qui dans pour pas sur au aux ce ces cette avec ton ta"
    " tes ses son sa notre nos votre vos leur leurs chaque dès en l d qu nous vous il elle ils elles"
    " par plus mais ou où très",
    "de": "der die das und ist sind ein eine nicht mit für auf dem den des von zu im wir sie ihr",
    "es": "el los las y es son una para por con del al se su sus lo como pero muy",
}
_STOPWORDS = {language: frozenset(words.split()) for language, words in _STOPWORD_LISTS.items()}
_WORD_RE = re.compile(r"[^\W\d_]+")
_SENTENCE_END_RE = re.compile(r"[.!?…:;\"'”»)\]]$")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def normalize_text(text: str) -> str:
    """Return ``text`` in NFC with ``\\n`` line ends, no control characters or trailing
    spaces, at most one blank line in a row, and no leading or trailing blank lines."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL_RE.sub("", text)
    lines = [line.rstrip() for line in text.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", PARAGRAPH_BREAK, text).strip("\n")


def lines_to_paragraphs(text: str) -> str:
    """Make each line its own paragraph, keeping runs of table rows or list items together."""
    paragraphs: list[list[str]] = []
    previous_kind = ""
    for line in (line for line in text.split("\n") if line.strip()):
        kind = _line_kind(line)
        if kind and kind == previous_kind:
            paragraphs[-1].append(line)
        else:
            paragraphs.append([line])
        previous_kind = kind
    return PARAGRAPH_BREAK.join("\n".join(lines) for lines in paragraphs)


def _line_kind(line: str) -> str:
    stripped = line.lstrip()
    if stripped.startswith("|"):
        return "table"
    if re.match(r"([-*+•]|\d{1,3}[.)])\s", stripped):
        return "list"
    return ""


def clean_text(text: str) -> str:
    """Return ``text`` normalised and without page furniture, paragraphs joined by a blank line.

    Every line of the article itself is kept verbatim; see the module docstring for how
    furniture is recognised.
    """
    paragraphs = [p.split("\n") for p in normalize_text(text).split(PARAGRAPH_BREAK)]
    lines = [line for paragraph in paragraphs for line in paragraph if line.strip()]
    furniture = _furniture_lines(lines)
    kept: list[str] = []
    position = 0
    for paragraph in paragraphs:
        survivors = []
        for line in paragraph:
            if not line.strip():
                continue
            if position not in furniture:
                survivors.append(line)
            position += 1
        if survivors:
            kept.append("\n".join(survivors))
    return PARAGRAPH_BREAK.join(kept)


def _furniture_lines(lines: Sequence[str]) -> set[int]:
    """Indexes of the lines that belong to a furniture block."""
    language = _dominant_language(lines)
    scores = [_line_score(line, language, first=(i == 0)) for i, line in enumerate(lines)]
    furniture: set[int] = set()
    start = 0
    while start < len(lines):
        if scores[start] <= 0:
            start += 1
            continue
        end = start
        while end < len(lines) and scores[end] > 0:
            end += 1
        block_score = sum(scores[start:end]) + (1 if start == 0 or end == len(lines) else 0)
        if block_score >= _BLOCK_THRESHOLD:
            furniture.update(range(start, end))
            if _STRONG_SCORE in scores[start:end]:
                furniture.update(_soft_neighbours(scores, start, end))
        start = end
    return furniture


def _soft_neighbours(scores: Sequence[int], start: int, end: int) -> range:
    """The run of soft lines just before ``start`` and just after ``end``."""
    while start > 0 and scores[start - 1] == _SOFT:
        start -= 1
    while end < len(scores) and scores[end] == _SOFT:
        end += 1
    return range(start, end)


def _line_score(line: str, language: str | None, *, first: bool) -> int:
    if len(line) > _SCORED_LINE_MAX_CHARS:
        return 0
    folded = line.strip().lower().replace("’", "'").strip("*_#>|-–—·• ")
    words = len(folded.split())
    if words <= _STRONG_LINE_MAX_WORDS and _STRONG_RE.search(folded):
        return _STRONG_SCORE
    if first or words > _SHORT_LINE_WORDS:
        return 0
    hits = sum(1 for pattern in _WEAK_RES if pattern.search(folded))
    foreign = language is not None and _is_foreign(folded, language)
    if not foreign and hits < _STRONG_SCORE and _SENTENCE_END_RE.search(folded):
        # An ordinary sentence that happens to say "free" or "subscribers".
        return _SOFT if hits == 2 and words <= _SOFT_LINE_MAX_WORDS else 0
    if hits >= 2 and words <= 8:
        return _STRONG_SCORE  # a short label made of furniture words: "Free newsletter"
    return hits + (1 if foreign else 0)


def _language_counts(text: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for word in _WORD_RE.findall(text.lower()):
        for language, stopwords in _STOPWORDS.items():
            if word in stopwords:
                counts[language] += 1
    return counts


def _dominant_language(lines: Iterable[str]) -> str | None:
    counts = _language_counts("\n".join(lines)[:_LANGUAGE_SAMPLE_CHARS])
    if not counts:
        return None
    (language, count), *rest = [*counts.most_common(2), ("", 0)]
    return language if count >= 3 and count > rest[0][1] else None


def _is_foreign(line: str, language: str) -> bool:
    counts = _language_counts(line)
    own = counts.pop(language, 0)
    return bool(counts) and max(counts.values()) > own


def find_repeated_lines(texts: Sequence[str], min_docs: int = 3) -> set[str]:
    """Return the short lines (< 20 words, stripped) found verbatim in at least ``min_docs``
    different texts: site taglines and footers repeated under every article.

    Raises ``ValueError`` when ``min_docs`` is below 2 (every line would be "repeated").
    """
    if min_docs < 2:
        raise ValueError(f"min_docs must be at least 2, got {min_docs}")
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(
            {
                line.strip()
                for line in text.split("\n")
                if line.strip() and len(line.split()) < _REPEATED_LINE_MAX_WORDS
            }
        )
    return {line for line, count in counts.items() if count >= min_docs}


def remove_lines(text: str, lines: Iterable[str]) -> str:
    """Return ``text`` without the lines whose stripped form is in ``lines``, paragraphs
    re-joined by a blank line. A text that would be left empty is returned unchanged."""
    unwanted = set(lines)
    paragraphs = []
    for paragraph in text.split(PARAGRAPH_BREAK):
        survivors = [line for line in paragraph.split("\n") if line.strip() and line.strip() not in unwanted]
        if survivors:
            paragraphs.append("\n".join(survivors))
    return PARAGRAPH_BREAK.join(paragraphs) if paragraphs else text
