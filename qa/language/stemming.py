"""Words reduced to what they mean for matching: the lemma of an irregular form, then the
Snowball (Porter 2) stem, with a few agent nouns brought to their verb ("director" -> "direct"),
"fund" to "invest" (news says either for money put in), and a "-ship" noun to what it is made of
("partnership" -> "partner")."""

from __future__ import annotations

import functools
import threading

import snowballstemmer

IRREGULAR = {
    "led": "lead",
    "paid": "pay",
    "sold": "sell",
    "won": "win",
    "victory": "win",
    "victories": "win",
    "triumph": "win",
    "triumphed": "win",
    "lost": "lose",
    "loses": "lose",
    "losing": "lose",
    "wins": "win",
    "winning": "win",
    "winner": "win",
    "winners": "win",
    "made": "make",
    "ran": "run",
    "held": "hold",
    "began": "begin",
    "built": "build",
    "spent": "spend",
    "took": "take",
    "chose": "choose",
    "grew": "grow",
    "rose": "rise",
    "fell": "fall",
    "left": "leave",
    "met": "meet",
    "became": "become",
    "beat": "win",
    "beats": "win",
    "beaten": "win",
    "beating": "win",
    "defeat": "win",
    "defeated": "win",
    "defeats": "win",
    "defeating": "win",
    "clinched": "win",
    "purchased": "acquire",
    "purchases": "acquire",
    "buys": "acquire",
    "buy": "acquire",
    "bought": "acquire",
    "directed": "direct",
    "helmed": "direct",
}


def lemma(word: str) -> str:
    """The word in lower case, without a possessive, irregular verbs in their base form."""
    word = word.lower().replace("’", "'").removesuffix("'s")
    return IRREGULAR.get(word, word)


# A Snowball stemmer keeps the word it works on in the object: one per thread (questions are
# answered on several threads at once).
_STEMMERS = threading.local()
# Agent nouns and nominalisations a question uses for the verb the text uses ("the director of X"
# is who directed it; "the acquisition of X" is who acquired it). Snowball keeps them apart.
_SAME_AS_VERB = {
    "director": "direct",
    "acquisit": "acquir",
    "acquirer": "acquir",
    "founder": "found",
    # Money put into something: a release says "funding of S$80 million" where the question asks
    # "How much will it invest?", or "invests €75 million" for "How much funding ...?".
    "fund": "invest",
}


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball (Porter 2) stem of the word's lemma; numbers keep their digits ("1,200" -> "1200")."""
    word = lemma(word)
    if any(c.isdigit() for c in word):
        return word.replace(",", "")
    stemmer = getattr(_STEMMERS, "english", None)
    if stemmer is None:
        stemmer = _STEMMERS.english = snowballstemmer.stemmer("english")
    if word.endswith("ship") and len(word) > 8:
        word = word.removesuffix("ship")  # "partnership" is what partners have: "partnering with"
    stemmed = str(stemmer.stemWord(word))
    return _SAME_AS_VERB.get(stemmed, stemmed)
