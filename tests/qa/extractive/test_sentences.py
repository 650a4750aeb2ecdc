"""Evidence sentences and the lexical features the sentence model scores."""

from __future__ import annotations

import pytest

from qa.extractive.sentences import add_lexical_features, refers_back
from qa.extractive.splitting import Sentence, split_passages
from qa.language.questions import analyse
from tests.helpers.extractive import passage

RELEASE = (
    "Acme Opens Lab in Lyon\n"
    "LYON, 3 March 2025 — Acme Robotics today opened a research lab in Lyon.\n"
    "Jobs and investment\n"
    "The lab will create up to 400 engineering jobs by 2028. "
    "Acme is investing €75 million in the site. "
    "The first robots will ship on 14 September 2026.\n"
    "“We are proud of Lyon,” she said.\n"
    "— Jane Tan, Chief Executive of Acme\n"
    "Weather was fine."
)


def featured(question: str, *texts: str, verbs: tuple[str, ...] = ()) -> dict[str, Sentence]:
    """The sentences of ``texts`` (one passage each, best first) by their text, with features."""
    sentences = split_passages([passage(t, f"doc{i}") for i, t in enumerate(texts)])
    add_lexical_features(analyse(question), sentences, list(verbs))
    return {s.text: s for s in sentences}


def assert_defines_only(question: str, defining: str, other: str) -> None:
    """``defining`` defines what ``question`` asks about and ``other``, the line after it, does not
    (one line each: an attribution line "— Name, Title" ends at its line's end)."""
    found = featured(question, f"{defining}\n{other}")
    assert found[defining].features["defines"] == 1.0
    assert found[other].features["defines"] == 0.0


def test_sentences_keep_their_document_offsets_and_each_position_once() -> None:
    first = passage(RELEASE, "acme", offset=100)
    overlapping = passage(RELEASE[40:], "acme", offset=140)  # the next chunk overlaps the first
    sentences = split_passages([first, overlapping])
    document = " " * 100 + RELEASE
    assert all(document[s.start : s.end] == s.text for s in sentences)
    assert all(s.passage.text[s.local_start : s.local_start + len(s.text)] == s.text for s in sentences)
    assert len({(s.passage.doc_id, s.start) for s in sentences}) == len(sentences)
    assert all(len(s.text) >= 12 for s in sentences)  # "Weather was" stubs and the like are dropped
    assert {s.rank for s in sentences} == {0, 1}


def test_coverage_is_the_share_of_the_questions_rare_words_a_sentence_holds() -> None:
    found = featured("How many jobs will the lab create?", RELEASE)
    jobs = found["The lab will create up to 400 engineering jobs by 2028."].features
    assert jobs["coverage"] == pytest.approx(1.0) and jobs["coverage_gap"] == 0.0
    money = found["Acme is investing €75 million in the site."].features
    # "lab" is only in its title: a word the title holds counts about a third for each sentence.
    assert 0.0 < money["coverage"] < 0.2
    assert money["coverage_gap"] == pytest.approx(money["coverage"] - 1.0)
    without_title = featured("How many jobs will the lab create?", RELEASE.replace("Lab", "Site", 1))
    assert without_title["Acme is investing €75 million in the site."].features["coverage"] == 0.0


def test_content_coverage_is_of_the_terms_outside_names_or_of_all_when_every_term_is_a_name() -> None:
    found = featured("How many jobs will Acme Robotics create in Lyon?", RELEASE)
    jobs = found["The lab will create up to 400 engineering jobs by 2028."].features
    assert jobs["content_coverage"] == pytest.approx(1.0)  # "jobs", "create": not names
    titled = featured("Who is the Chief Executive of Acme?", RELEASE)
    line = titled["— Jane Tan, Chief Executive of Acme"].features
    # "Chief Executive" and "Acme" are both names: what is asked about them is all of them.
    assert line["coverage"] > 0.5
    assert line["content_coverage"] == pytest.approx(line["coverage"])


def test_a_word_in_every_sentence_weighs_less_than_a_rare_one() -> None:
    texts = "Acme News\n\nThe lab opened in Lyon. The lab has a garden. The lab recruited 40 robot engineers."
    found = featured("How many robot engineers did the lab recruit?", texts)
    lab_only = found["The lab opened in Lyon."].features["coverage"]
    rare = found["The lab recruited 40 robot engineers."].features["coverage"]
    assert lab_only < 0.1 and rare == pytest.approx(1.0)


def test_names_say_whether_the_passage_carries_the_questions_names() -> None:
    other = "Globex News\n\nGlobex will create 900 jobs at its new plant in Porto."
    found = featured("How many jobs will Acme Robotics create in Lyon?", RELEASE, other)
    acme = found["The lab will create up to 400 engineering jobs by 2028."].features
    globex = found["Globex will create 900 jobs at its new plant in Porto."].features
    assert acme["names"] == acme["least_name"] == 1.0
    assert globex["least_name"] == 0.0 and globex["names"] < 0.5
    unnamed = featured("How many jobs will the lab create?", other)
    assert unnamed["Globex will create 900 jobs at its new plant in Porto."].features["names"] == 1.0


@pytest.mark.parametrize(
    ("question", "typed", "untyped"),
    [
        (
            "How many jobs will the lab create?",
            "The lab will create up to 400 engineering jobs by 2028.",
            "“We are proud of Lyon,” she said.",
        ),
        (
            "How much is Acme investing?",
            "Acme is investing €75 million in the site.",
            "The lab will create up to 400 engineering jobs by 2028.",
        ),
        (
            "When will the first robots ship?",
            "The first robots will ship on 14 September 2026.",
            "Acme is investing €75 million in the site.",
        ),
        (
            "Who leads Acme?",  # a name the question does not use
            "LYON, 3 March 2025 — Acme Robotics today opened a research lab in Lyon.",
            "Acme is investing €75 million in the site.",
        ),
    ],
)
def test_typed_says_whether_a_sentence_holds_something_of_the_asked_type(
    question: str, typed: str, untyped: str
) -> None:
    found = featured(question, RELEASE)
    assert (found[typed].features["typed"], found[untyped].features["typed"]) == (1.0, 0.0)


def test_an_open_question_has_no_typed_sentence() -> None:
    found = featured("Why did Acme choose Lyon?", RELEASE)
    assert all(s.features["typed"] == 0.0 and s.features["open"] == 1.0 for s in found.values())


@pytest.mark.parametrize(
    ("text", "date"),
    [
        (
            "The robots will ship in September 2026. Sales open soon.",
            "The robots will ship in September 2026.",
        ),
        ("Sales open in Q1 2027. The robots are blue.", "Sales open in Q1 2027."),
        (
            "The plant opens in the first half of 2026. It is large.",
            "The plant opens in the first half of 2026.",
        ),
        ("The deal was announced on Tuesday. It is large.", "The deal was announced on Tuesday."),
    ],
)
def test_a_month_a_quarter_a_year_or_a_weekday_is_a_date(text: str, date: str) -> None:
    found = featured("When will the robots ship?", "Acme News\n\n" + text)
    other = next(s for s in found if s != date and s != "Acme News")
    assert (found[date].features["typed"], found[other].features["typed"]) == (1.0, 0.0)


def test_a_count_or_an_amount_is_no_year() -> None:
    found = featured(
        "When will the plant open?", "Acme News\n\nAcme hired 2,019 people. It spent 2019.5 million."
    )
    assert all(s.features["typed"] == 0.0 for s in found.values())


def test_headings_datelines_attributions_and_places_in_the_document() -> None:
    found = featured("What did Jane Tan say about Lyon?", RELEASE)
    heading = found["Jobs and investment"].features
    dateline = found["LYON, 3 March 2025 — Acme Robotics today opened a research lab in Lyon."].features
    quote = found["“We are proud of Lyon,” she said."].features
    attribution = found["— Jane Tan, Chief Executive of Acme"].features
    plain = found["Acme is investing €75 million in the site."].features
    assert (heading["heading"], heading["short"]) == (1.0, 1.0)
    assert (dateline["dateline"], dateline["lead"], dateline["heading"]) == (1.0, 1.0, 0.0)
    assert attribution["attribution"] == 1.0 and quote["attribution"] == 0.0
    assert attribution["heading"] == 0.0  # no closing mark, but no heading either
    assert quote["quote_asked"] == 1.0 and plain["quote_asked"] == 0.0
    for flag in ("heading", "short", "dateline", "attribution", "headline"):
        assert plain[flag] == 0.0
    headline = featured("What did Acme open?", RELEASE)["Acme Opens Lab in Lyon"].features
    assert headline["headline"] == 1.0


def test_quote_asked_only_when_the_question_asks_what_was_said() -> None:
    found = featured("Why did Acme choose Lyon?", RELEASE)
    assert found["“We are proud of Lyon,” she said."].features["quote_asked"] == 0.0


def test_speaker_asked_marks_the_quotation_of_the_person_the_question_names() -> None:
    other = (
        "Globex News\n\n"
        "“We will hire locally. Training starts in May,” said Omar Diaz, the founder of Globex.\n"
        "“Prices will fall soon,” said Rita Holm, an analyst."
    )
    found = featured("What did Omar Diaz say about hiring?", other, RELEASE)
    assert found["“We will hire locally."].features["speaker_asked"] == 1.0  # names nobody itself
    assert (
        found["Training starts in May,” said Omar Diaz, the founder of Globex."].features["speaker_asked"]
        == 1.0
    )
    assert found["“Prices will fall soon,” said Rita Holm, an analyst."].features["speaker_asked"] == 0.0
    assert found["“We are proud of Lyon,” she said."].features["speaker_asked"] == 0.0
    tan = featured("What did Jane Tan say about Lyon?", RELEASE)
    assert tan["“We are proud of Lyon,” she said."].features["speaker_asked"] == 1.0  # "— Jane Tan" after it
    assert tan["— Jane Tan, Chief Executive of Acme"].features["speaker_asked"] == 1.0
    assert tan["Acme is investing €75 million in the site."].features["speaker_asked"] == 0.0
    unasked = featured("Who is Omar Diaz?", other)
    assert all(s.features["speaker_asked"] == 0.0 for s in unasked.values())


def test_verbs_is_the_share_of_the_questions_verbs_a_sentence_uses() -> None:
    found = featured("How many jobs will the lab create?", RELEASE, verbs=("create",))
    assert found["The lab will create up to 400 engineering jobs by 2028."].features["verbs"] == 1.0
    assert found["Acme is investing €75 million in the site."].features["verbs"] == 0.0
    # A question without content verbs leaves every sentence at 1.
    assert all(s.features["verbs"] == 1.0 for s in featured("Where is the lab?", RELEASE).values())


def test_won_and_lost_are_one_verb_seen_from_both_sides() -> None:
    text = "Open Final\n\nSerena Williams lost to Bianca Andreescu in the final on Saturday."
    found = featured("Who won the final?", text, verbs=("won",))
    assert (
        found["Serena Williams lost to Bianca Andreescu in the final on Saturday."].features["verbs"] == 1.0
    )


def test_every_sentence_has_every_feature_the_sentence_model_reads() -> None:
    from qa.extractive.model import MODELS

    for s in featured("How many jobs will the lab create?", RELEASE).values():
        assert set(MODELS["sentence"]) <= set(s.features)
        assert s.features["cosine"] == 0.0  # filled in by the answerer, only for sentences it embeds


def test_a_sentence_naming_what_the_question_asks_about_has_the_subject() -> None:
    hub = "The hub will create about 900 jobs over three years."
    found = featured(
        "How many jobs will the lab create?",
        RELEASE,
        "Beta Labs opened a hub in Lyon. " + hub,
        verbs=("create",),
    )
    assert found["The lab will create up to 400 engineering jobs by 2028."].features["subject"] == 1.0
    # "Labs" in a company's name is elsewhere in the passage: the sentence's own words decide.
    assert found[hub].features["subject"] == 0.0
    # No subject to look for (the wh-word is the subject): every sentence has it.
    assert all(s.features["subject"] == 1.0 for s in featured("Who founded Acme?", RELEASE).values())


def test_a_sentence_that_refers_back_is_covered_with_the_one_before() -> None:
    text = "Acme signed a partnership with the Harbour Authority. This deal will fund 12 new cranes by 2027."
    found = featured("How many cranes will Acme's partnership fund?", text)
    refers_back = found["This deal will fund 12 new cranes by 2027."].features
    # "Acme" and "partnership" are in the sentence before, which "This deal" continues.
    assert refers_back["context_coverage"] > refers_back["coverage"] + 0.3
    opening = found["Acme signed a partnership with the Harbour Authority."].features
    assert opening["context_coverage"] == opening["coverage"]  # refers to nothing before it
    plain = featured("How many cranes will Acme fund?", text.replace("This deal", "The port"))
    port = plain["The port will fund 12 new cranes by 2027."].features
    assert port["context_coverage"] == port["coverage"]  # no referring word: its own words only


QUOTATIONS = [
    # the attribution on a line of its own after the closing mark; the sentence asked about last
    "“We chose the harbour for its people. The cranes will double our capacity.”\n"
    "— Mara Quist, Chief Executive of Acme",
    # "..., said Name" after the closing mark; the sentence asked about first
    '"The cranes will double our capacity. We chose the harbour for its people," said Mara Quist.',
    # "Name said: ..." before the opening mark; the sentence asked about in the middle
    "Mara Quist said: “We chose the harbour for its people. The cranes will double our "
    "capacity. We start in May.”",
    # a quotation on its own after one that names its speaker goes on with that speaker
    '"We chose the harbour for its people," Mara Quist said. "The cranes will double our capacity."',
]


@pytest.mark.parametrize("quotation", QUOTATIONS)
def test_a_quotations_sentences_are_covered_with_who_said_it(quotation: str) -> None:
    found = featured("What did Mara Quist say about the cranes?", "Acme buys cranes.\n" + quotation)
    said = next(s for text, s in found.items() if "cranes will double" in text).features
    # Her name is only in the attribution; the sentence about the cranes is hers.
    assert said["context_coverage"] > said["coverage"] + 0.3
    outside = found["Acme buys cranes."].features
    assert outside["context_coverage"] == outside["coverage"]


@pytest.mark.parametrize("quotation", QUOTATIONS)
def test_every_sentence_of_a_quotation_is_a_quote_when_the_question_asks_who_said_it(quotation: str) -> None:
    found = featured("Who said the cranes will double capacity?", "Acme buys cranes.\n" + quotation)
    said = next(s for text, s in found.items() if "cranes will double" in text).features
    assert said["quote_asked"] == 1.0  # with or without a quote mark of its own
    assert found["Acme buys cranes."].features["quote_asked"] == 0.0


def test_a_sentence_after_an_unclosed_quote_mark_is_no_quote() -> None:
    text = "“We chose the harbour. The cranes will double our capacity. Mara Quist runs Acme."
    found = featured("Who said the cranes will double capacity?", text)
    assert found["The cranes will double our capacity."].features["quote_asked"] == 0.0


def test_a_quotation_after_other_text_does_not_take_an_earlier_speaker() -> None:
    text = '"We chose the harbour," Mara Quist said. The port is busy. "The cranes will double our capacity."'
    found = featured("What did Mara Quist say about the cranes?", text)
    cranes = found['"The cranes will double our capacity."'].features
    assert cranes["context_coverage"] == cranes["coverage"]


def test_an_unclosed_quote_mark_gives_no_speaker() -> None:
    text = "“We chose the harbour. The cranes will double our capacity. Mara Quist runs Acme."
    found = featured("What did Mara Quist say about the cranes?", text)
    cranes = found["The cranes will double our capacity."].features
    assert cranes["context_coverage"] == cranes["coverage"]


@pytest.mark.parametrize(
    ("question", "defining", "other"),
    [
        (
            "What does HPA stand for?",
            "Acme signed with the Harbour Ports Authority (HPA) on Monday.",
            "The HPA will fund 12 cranes.",
        ),
        (
            "What is the EGF?",
            "The Export Growth Fund (EGF) pays half of a first trade mission.",
            "Firms apply to the EGF online.",
        ),
        (
            "What does the acronym QRT mean?",
            "Its Quick Response Team (QRT) answers within an hour.",
            "The QRT has 12 members.",
        ),
        # however the question asks for the long form, and with the long form in brackets
        (
            "What is NPA short for?",
            "LYON, 3 March 2025 — The Nordic Ports Alliance (NPA) met in Lyon.",
            "The NPA has 14 members.",
        ),
        (
            "What does the acronym RGS stand for?",
            "Acme joined the RGS (Regional Growth Scheme) in May.",
            "The RGS pays for training.",
        ),
    ],
)
def test_a_sentence_spelling_out_an_acronym_defines_it(question: str, defining: str, other: str) -> None:
    assert_defines_only(question, defining, other)


@pytest.mark.parametrize(
    ("question", "defining", "other"),
    [
        (
            "What is Philbert Gomez's position?",
            "— Mr. Philbert Gomez, Senior Vice President and Head of the Digital Industry in Singapore",
            "Philbert Gomez welcomed the decision.",
        ),
        (
            "Who is Farah Iskandar?",
            "Farah Iskandar, Chief Executive Officer of Meridian Cognition, will give the opening address.",
            "The address by Farah Iskandar opens the summit.",
        ),
        (
            "What is Chng Kai Fong's title?",
            "— Mr. Chng Kai Fong, Permanent Secretary (Digital Development and Information)",
            "Chng Kai Fong, OpenAI and the ministry met on Monday.",
        ),
    ],
)
def test_a_title_after_a_persons_name_defines_them(question: str, defining: str, other: str) -> None:
    assert_defines_only(question, defining, other)


@pytest.mark.parametrize(
    ("question", "text", "referring"),
    [
        (
            "What will the Frontline Engineers do?",
            "The lab makes the city a hub for Frontline Engineers. These engineers will work with businesses.",
            "These engineers will work with businesses.",
        ),
        (
            "What will the Clinical AI Fellowship offer?",
            "Auralis will run a Clinical AI Fellowship each year. It will offer six months of training.",
            "It will offer six months of training.",
        ),
        (
            "What does the Enterprise AI Adoption Grant cover?",
            "IEA opened the Enterprise AI Adoption Grant today. This grant covers half of a first project.",
            "This grant covers half of a first project.",
        ),
    ],
)
def test_a_sentence_referring_back_is_about_what_the_sentence_before_named(
    question: str, text: str, referring: str
) -> None:
    found = featured(question, text)
    assert found[referring].features["subject"] == 1.0


@pytest.mark.parametrize(
    ("question", "defining", "other"),
    [
        (
            "Who are the Frontline Engineers?",
            "Frontline Engineers are engineers who work directly with businesses.",
            "A training program for Frontline Engineers will be launched next year.",
        ),
        (
            "What is the Applied Health AI Lab?",
            "The Applied Health AI Lab is a research centre at Biopolis.",
            "Doctors visiting the Applied Health AI Lab are shown its first tools.",
        ),
        (
            "What is the Clinical AI Fellowship?",
            "The Clinical AI Fellowship is a six-month programme for doctors and nurses.",
            "Nurses joining the Clinical AI Fellowship were chosen in March.",
        ),
        # with a word saying what X is: "The X initiative is ..."
        (
            "What is Harbour Connect?",
            "The Harbour Connect initiative is a plan to link the city's ferry piers.",
            "Funding for the Harbour Connect initiative is expected next year from the port.",
        ),
        (
            "What is Lumo Sync?",
            "Lumo Sync subscriptions are monthly plans that keep notes on every device.",
            "Users of Lumo Sync subscriptions were told about the outage on Monday.",
        ),
        (
            "What is Lumen Arts?",
            "The Lumen Arts programme will be a grant scheme for small museums.",
            "Museums applying to the Lumen Arts programme will be told in May.",
        ),
    ],
)
def test_x_is_defines_x_only_as_the_sentences_subject(question: str, defining: str, other: str) -> None:
    assert_defines_only(question, defining, other)


@pytest.mark.parametrize(
    ("sentence", "back"),
    [
        ("With funding of over 300 million Singapore dollars, it focuses on three main areas.", True),
        ("Before Halden, she spent ten years at a chip designer in Austin.", True),
        ("Recently named a Distinguished Educator Fellow, she will lead the programme.", True),
        ("These engineers will work directly with businesses.", True),
        ("With funding of S$80 million, the lab focuses on three areas.", False),
        ("In Lyon, Halvard Mobility employs 60 people.", False),
    ],
)
def test_a_sentence_refers_back_by_its_pronoun_subject_even_after_an_opening_phrase(
    sentence: str, back: bool
) -> None:
    assert refers_back(sentence) is back


def test_context_coverage_reads_the_sentence_before_a_pronoun_subject_after_an_opening_phrase() -> None:
    text = (
        "The Harbour Fund is part of a wider plan. "
        "With funding of 300 million dollars, it focuses on three areas."
    )
    found = featured("How much funding does the Harbour Fund have?", text)
    funding = found["With funding of 300 million dollars, it focuses on three areas."].features
    assert funding["context_coverage"] > funding["coverage"]
