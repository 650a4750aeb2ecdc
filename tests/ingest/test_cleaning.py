"""Furniture removal keeps every line of the article and drops sign-up, cookie and share lines."""

from __future__ import annotations

import pytest

from ingest.cleaning import clean_text, find_repeated_lines, lines_to_paragraphs, normalize_text, remove_lines

BODY = [
    "Acme opens a research lab in Lyon",
    "Acme announced on Tuesday that it will open a research laboratory in Lyon, France.",
    "The lab will employ 120 engineers by 2026 and focus on battery chemistry.",
    "A Lab for Battery Research",
    "“We chose Lyon for its universities and its talent.” — Jane Doe, Chief Executive at Acme",
    "The company has 2 million subscribers.",
    "The service is free for schools until 2026.",
]


def paragraphs(text: str) -> list[str]:
    return text.split("\n\n")


def assert_body_kept(cleaned: str, body: list[str] = BODY) -> None:
    for line in body:
        assert line in paragraphs(cleaned), f"article line lost: {line!r}"


@pytest.mark.parametrize(
    "furniture",
    [
        ["Subscribe to our newsletter", "Get the top stories in your inbox every morning.", "No spam, ever."],
        ["We use cookies to improve your experience on our site.", "Accept all", "Manage preferences"],
        ["Share this article", "Share on LinkedIn"],
        ["© 2024 Acme Media. All rights reserved."],
        ["Advertisement"],
        ["Read more", "Related articles"],
        ["Sign up for free", "Unsubscribe at any time."],
    ],
)
def test_english_furniture_is_removed_and_body_kept(furniture: list[str]) -> None:
    for position in (1, 4, len(BODY)):  # after the title, mid-article, at the end
        lines = [*BODY[:position], *furniture, *BODY[position:]]
        cleaned = clean_text("\n\n".join(lines))
        assert_body_kept(cleaned)
        for line in furniture:
            assert line not in cleaned


def test_french_furniture_is_removed() -> None:
    furniture = [
        "Abonnez-vous à notre newsletter",
        "Recevez chaque matin l'essentiel de la tech. C'est gratuit.",
        "Choisissez votre formule",
        "Pas de spam, désinscription en un clic.",
    ]
    footer = [
        "Nous utilisons des cookies pour améliorer votre expérience.",
        "© 2024 Tech Hebdo — Tous droits réservés",
    ]
    lines = [BODY[0], *furniture, *BODY[1:], "Partager sur LinkedIn", *footer]
    cleaned = clean_text("\n".join(lines))
    assert_body_kept(cleaned.replace("\n", "\n\n"))
    for line in [*furniture, *footer, "Partager sur LinkedIn"]:
        assert line not in cleaned


def test_french_block_in_english_article_goes_but_headings_stay() -> None:
    block = [
        "La lettre tech que les décideurs lisent chaque matin",
        "Les 5 infos du jour en 3 minutes. Gratuit.",
        "Choisis ta formule",
        "Gratuit · Pas de spam · Désinscription en 1 clic",
    ]
    lines = [BODY[0], *block, "Acme Expands in Europe", *BODY[1:]]
    cleaned = clean_text("\n".join(lines))
    assert "Acme Expands in Europe" in cleaned
    assert_body_kept(cleaned.replace("\n", "\n\n"))
    for line in block:
        assert line not in cleaned


@pytest.mark.parametrize(
    "sentence",
    [
        "The service is free for schools until 2026.",
        "The company has 2 million subscribers.",
        "Its market share rose to 12% last year.",
        "Teachers can sign up on the ministry's website from 1 September.",
        "Subscribers will receive the update automatically.",
        "Copyright law was not part of the agreement.",
        "Share of revenue",
        "Free AI Courses for Every Teacher",
    ],
)
def test_genuine_sentences_mentioning_keywords_survive(sentence: str) -> None:
    text = "\n\n".join([BODY[0], BODY[1], sentence, BODY[2]])
    assert sentence in paragraphs(clean_text(text))


def test_keyword_sentence_at_the_end_survives() -> None:
    text = "\n\n".join([*BODY[:3], "The company has 2 million subscribers. The service is free for schools."])
    assert clean_text(text).endswith("The service is free for schools.")


def test_foreign_quote_alone_survives() -> None:
    quote = "« C'est un partenariat historique pour notre pays », a déclaré le ministre."
    text = "\n\n".join([*BODY[:3], quote, *BODY[3:]])
    assert quote in paragraphs(clean_text(text))


def test_title_line_survives_next_to_a_signup_block() -> None:
    text = "\n".join(["Free Newsletter Tools for Every School", "Subscribe", "No spam.", *BODY[1:]])
    cleaned = clean_text(text)
    assert cleaned.startswith("Free Newsletter Tools for Every School\n")
    assert "Subscribe" not in cleaned.split("\n")


def test_clean_text_keeps_paragraph_structure() -> None:
    text = "Title\r\n\r\n\r\n\r\nFirst line   \nsecond line\n\n\nLast paragraph.\n"
    assert clean_text(text) == "Title\n\nFirst line\nsecond line\n\nLast paragraph."


def test_normalize_text_removes_control_characters_and_composes() -> None:
    assert normalize_text("Cafe\u0301\x07 ok  \r\n") == "Café ok"


def test_lines_to_paragraphs_keeps_tables_and_lists_together() -> None:
    text = "Intro line.\n| Year | Jobs |\n|---|---|\n| 2025 | 120 |\n- one\n- two\nEnd."
    assert lines_to_paragraphs(text) == (
        "Intro line.\n\n| Year | Jobs |\n|---|---|\n| 2025 | 120 |\n\n- one\n- two\n\nEnd."
    )


def test_find_repeated_lines_needs_min_docs() -> None:
    tagline = "Acme Newsroom — stories from Acme"
    docs = [f"Story {i}\n\nSomething happened on day {i}.\n\n{tagline}" for i in range(3)]
    assert find_repeated_lines(docs, min_docs=3) == {tagline}
    assert find_repeated_lines(docs[:2], min_docs=3) == set()


def test_find_repeated_lines_ignores_long_lines() -> None:
    long_line = " ".join(["word"] * 25)
    assert find_repeated_lines([long_line] * 4) == set()


def test_find_repeated_lines_rejects_min_docs_below_two() -> None:
    with pytest.raises(ValueError, match="min_docs"):
        find_repeated_lines(["a"], min_docs=1)


def test_remove_lines_never_empties_a_document() -> None:
    assert remove_lines("Tagline\n\nBody text.", {"Tagline"}) == "Body text."
    assert remove_lines("Tagline", {"Tagline"}) == "Tagline"


def test_one_keyword_sentence_next_to_a_signup_block_survives() -> None:
    text = "\n\n".join([*BODY[:3], "The company has 2 million subscribers.", "Subscribe to our newsletter"])
    cleaned = clean_text(text)
    assert cleaned.endswith("The company has 2 million subscribers.")
