"""Words brought to a common form for matching a question against the text."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from qa.language.stemming import stem


def test_an_agent_noun_meets_its_verb() -> None:
    assert stem("director") == stem("directed") and stem("acquirer") == stem("acquired")


@pytest.mark.parametrize(
    ("asked", "said"),
    [
        ("invest", "With funding of over 300 million dollars, the programme ..."),
        ("investing", "The centre is funded by a €75 million grant."),
        ("funding", "Acme invests US$60 million in the hub."),
        ("investment", "The fund will back 40 start-ups."),
    ],
)
def test_investing_and_funding_are_one_fact(asked: str, said: str) -> None:
    assert stem(asked) in {stem(w) for w in said.split()}


def test_stemming_is_safe_on_many_threads_at_once() -> None:
    # The Snowball stemmer keeps its word in the object: shared by threads, one thread's word
    # was cut short under another's (IndexError, a 500 under concurrent questions).
    vocabulary = ["rationalisations", "organizational", "hopefulness", "effectiveness", "sensibilities"]
    uncached = stem.__wrapped__  # type: ignore[attr-defined]
    expected = [uncached(w) for w in vocabulary]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(uncached, vocabulary * 4000))
    assert results == expected * 4000


@pytest.mark.parametrize(
    ("noun", "verb"),
    [
        ("partnership", "partnering"),
        ("sponsorship", "sponsored"),
        ("ownership", "owners"),
        ("leadership", "leader"),
    ],
)
def test_a_ship_noun_meets_what_it_is_made_of(noun: str, verb: str) -> None:
    assert stem(noun) == stem(verb)


def test_short_words_ending_in_ship_keep_it() -> None:
    assert stem("flagship") != stem("flag")
    assert stem("ship") == "ship"
