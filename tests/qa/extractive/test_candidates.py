"""Candidates of a factoid: the rules that filter them, their features and the votes of other sentences."""

from __future__ import annotations

import pytest

from qa.extractive.candidates import Choice, add_votes, choices_in
from qa.extractive.model import MODELS
from qa.extractive.question_words import QuestionWords
from qa.extractive.sentences import add_lexical_features
from qa.extractive.splitting import Sentence, split_passages
from qa.language.answer_types import AnswerType
from qa.language.labels import Label, Role
from qa.language.questions import analyse
from tests.helpers.extractive import Entity, FakeSpanFinder, passage

T = AnswerType


def choices(question: str, text: str, entities: list[Entity], verbs: tuple[str, ...] = ()) -> list[Choice]:
    """Every choice of every sentence of ``text`` (one passage) for ``question``."""
    q = analyse(question)
    sentences = split_passages([passage(text)])
    add_lexical_features(q, sentences, list(verbs))
    qw = QuestionWords.of(q, list(verbs))
    tagger = FakeSpanFinder(entities)
    return [c for s in sentences for c in choices_in(q, qw, s, tagger.candidates(s.text))]


def texts(found: list[Choice]) -> list[str]:
    return [c.candidate.text for c in found]


ACQUIRED = "Deal News\n\nNorthgate Holdings acquired Acme Robotics in 2021 for €40 million."
DEAL = [
    Entity("Northgate Holdings", T.ORGANISATION, role=Role.AGENT, verb="acquired"),
    Entity("Acme Robotics", T.ORGANISATION, role=Role.PATIENT, verb="acquired"),
    Entity("2021", T.DATE),
    Entity("€40 million", T.MONEY),
]


def test_never_the_name_the_question_itself_gives() -> None:
    assert texts(choices("Which company acquired Acme Robotics?", ACQUIRED, DEAL, ("acquired",))) == [
        "Northgate Holdings"
    ]
    assert texts(choices("Which company did Northgate Holdings acquire?", ACQUIRED, DEAL, ("acquire",))) == [
        "Acme Robotics"
    ]


@pytest.mark.parametrize("legal_form", ["Inc", "Ltd", "plc", "GmbH"])
def test_the_questions_name_with_a_legal_form_is_still_the_questions_name(legal_form: str) -> None:
    text = f"Deal News\n\nThe app was made by Acme Robotics {legal_form}, which was acquired by Northgate in 2021."
    entities = [
        Entity(f"Acme Robotics {legal_form}", T.ORGANISATION, role=Role.PATIENT, verb="acquired"),
        Entity("Northgate", T.ORGANISATION, role=Role.AGENT, verb="acquired"),
    ]
    assert texts(choices("Who acquired Acme Robotics?", text, entities, ("acquired",))) == ["Northgate"]


def test_only_candidates_of_a_type_that_can_answer() -> None:
    assert texts(choices("When did Northgate acquire Acme?", ACQUIRED, DEAL)) == ["2021"]
    assert texts(choices("How much did Northgate pay for Acme?", ACQUIRED, DEAL)) == ["€40 million"]
    # A noun phrase answers only a question of no entity type.
    nps = [Entity("the deal", T.OTHER, label=Label.NP)]
    assert texts(choices("When did Northgate acquire Acme?", ACQUIRED + " It was the deal.", nps)) == []


@pytest.mark.parametrize(
    ("question", "text", "title", "name"),
    [
        (
            "Who said the harbour needs new cranes?",
            "“The harbour needs new cranes,” said Mara Quist, Chief Ferry Officer at Acme.",
            "Chief Ferry Officer",
            "Mara Quist",
        ),
        (
            "Who spoke for the ministry?",
            "Tom Lindqvist, Harbour Secretary of the ministry, spoke for it.",
            "Harbour Secretary",
            "Tom Lindqvist",
        ),
        (
            "Which company hired Ana Ruiz?",
            "Globex hired Ana Ruiz as Regional Fleet Director in May.",
            "Regional Fleet Director",
            "Globex",
        ),
    ],
)
def test_a_proper_noun_phrase_ending_in_a_job_title_names_no_one(
    question: str, text: str, title: str, name: str
) -> None:
    # The tagger misses the title and the noun phrase finder guesses it is a name.
    named = T.ORGANISATION if name == "Globex" else T.PERSON
    entities = [Entity(name, named), Entity(title, T.OTHER, label=Label.PROPN)]
    assert texts(choices(question, "News\n\n" + text, entities)) == [name]
    # A guessed name ending in anything else is still a candidate.
    other = [Entity(name, named), Entity("Nordvik Trust", T.OTHER, label=Label.PROPN)]
    assert "Nordvik Trust" in texts(
        choices(question, "News\n\n" + text + " So did the Nordvik Trust.", other)
    )


DATELINE = "Acme News\n\nLYON, 3 March 2025 — Acme will ship its first robots in September 2026."
DATED = [Entity("LYON", T.PLACE), Entity("3 March 2025", T.DATE), Entity("September 2026", T.DATE)]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("When will Acme ship its first robots?", ["September 2026"]),
        ("When did Acme announce its robots?", ["3 March 2025", "September 2026"]),
        ("When was the Acme robot news released?", ["3 March 2025", "September 2026"]),
        ("Where will Acme ship its first robots?", []),
        ("Where did Acme announce its robots?", ["LYON"]),
    ],
)
def test_a_datelines_city_and_date_answer_only_when_and_where_it_was_announced(
    question: str, expected: list[str]
) -> None:
    assert sorted(texts(choices(question, DATELINE, DATED))) == expected


@pytest.mark.parametrize(
    ("question", "text", "venue"),
    [
        (
            "Where was the OpenAI for Singapore initiative announced?",
            "At the ATx summit in Singapore, OpenAI announced the launch of its OpenAI for Singapore initiative.",
            Entity("ATx summit", T.OTHER, label=Label.NP),
        ),
        (
            "Where was the Meridian for Malaysia agreement signed?",
            "The agreement was signed at the Kuala Lumpur Convention Centre on Tuesday.",
            Entity("Kuala Lumpur Convention Centre", T.ORGANISATION, role=Role.SETTING),
        ),
        (
            "Where did Quillsoft unveil the tablet?",
            "Quillsoft unveiled the tablet at its annual developer conference.",
            Entity("annual developer conference", T.OTHER, label=Label.NP),
        ),
    ],
)
def test_a_venue_answers_where_whatever_the_tagger_called_it(question: str, text: str, venue: Entity) -> None:
    found = {c.candidate.text: c for c in choices(question, f"News\n\n{text}", [venue])}
    assert found[venue.text].features["compat"] == 1.0


def test_a_venue_does_not_answer_which_kind_of_place() -> None:
    text = "News\n\nNorthwind's R&D centre opens in Ancoats, a district of Manchester, in May."
    centre = Entity("R&D centre", T.OTHER, label=Label.NP)
    district = Entity("Ancoats", T.PLACE)
    found = texts(
        choices("In which Manchester district is the new robotics centre?", text, [centre, district])
    )
    assert found == ["Ancoats"]


def test_the_asked_noun_phrase_is_a_candidate_of_a_which_question() -> None:
    text = "Lyon Lab\n\nThe lab stands in the Part-Dieu district of Lyon, near the station."
    found = choices("In which district of Lyon is the lab?", text, [Entity("Lyon", T.PLACE)])
    heads = [c for c in found if c.candidate.label is Label.HEAD]
    assert texts(heads) == ["Part-Dieu district of Lyon"]
    assert heads[0].candidate.answer_type is T.PLACE and heads[0].features["has_head"] == 1.0
    assert "Lyon" not in texts(found)  # the question names it


@pytest.mark.parametrize(
    ("question", "text", "name"),
    [
        (
            "Which event will Aldermoor host?",
            "News\n\nAldermoor University to Host Global Robotics Summit in Perth",
            "Host Global Robotics Summit",
        ),
        (
            "Which award did Mara Quist win?",
            "News\n\nMara Quist Wins Harbour Science Prize",
            "Wins Harbour Science Prize",
        ),
        (
            "Which startup will Acme acquire?",
            "News\n\nAcme to Acquire Brightlake Analytics for $20 million",
            "Acquire Brightlake Analytics",
        ),
    ],
)
def test_the_questions_verb_in_a_title_case_headline_is_cut_from_the_front_of_a_name(
    question: str, text: str, name: str
) -> None:
    found = texts(choices(question, text, [Entity(name, T.ORGANISATION)]))
    assert name.split(" ", 1)[1] in found
    assert name not in found


def test_an_owner_the_question_names_is_cut_from_the_answer() -> None:
    text = "Health Partnership\n\nAuralis will work with Singapore's Ministry of Health on clinical AI."
    found = choices(
        "Which ministry in Singapore is Auralis working with?",
        text,
        [Entity("Singapore's Ministry of Health", T.ORGANISATION)],
    )
    assert set(texts(found)) == {"Ministry of Health"}  # the entity, and the asked noun's phrase
    assert all(c.sentence.text[c.candidate.start : c.candidate.end] == "Ministry of Health" for c in found)


def test_roles_against_the_one_the_question_asks_for() -> None:
    text = "Final\n\nSimona Halep beat Serena Williams in the final in London."
    entities = [
        Entity("Simona Halep", T.PERSON, role=Role.AGENT, verb="beat"),
        Entity("Serena Williams", T.PERSON, role=Role.PATIENT, verb="beat"),
        Entity("London", T.PLACE, role=Role.SETTING),
    ]
    found = {c.candidate.text: c.features for c in choices("Who beat Serena Williams?", text, entities)}
    assert found["Simona Halep"]["role_own_verb"] == 1.0 and found["Simona Halep"]["role_opposite"] == 0.0
    assert "Serena Williams" not in found
    # "beat" is a way to win: the question's own verb.
    winner = {c.candidate.text: c.features for c in choices("Who won the final in London?", text, entities)}
    assert winner["Simona Halep"]["role_own_verb"] == 1.0
    assert winner["Serena Williams"]["role_opposite"] == 1.0
    assert "London" not in winner  # the question names it
    thanked = "Final\n\nSimona Halep thanked Serena Williams after the final."
    others = [
        Entity("Simona Halep", T.PERSON, role=Role.AGENT, verb="thanked"),
        Entity("Serena Williams", T.PERSON, role=Role.PATIENT, verb="thanked"),
    ]
    other_verb = {c.candidate.text: c.features for c in choices("Who won the final?", thanked, others)}
    assert other_verb["Simona Halep"]["role_match"] == 1.0  # the asked role, of another verb
    assert other_verb["Serena Williams"]["role_other"] == 1.0
    in_london = {c.candidate.text: c.features for c in choices("Who won the final?", text, entities)}
    assert in_london["London"]["setting"] == 1.0  # where it happened is not who did it


def test_lost_to_gives_the_winner_the_doers_role() -> None:
    text = "Final\n\nSerena Williams lost to Bianca Andreescu in the final."
    entities = [
        Entity("Serena Williams", T.PERSON, role=Role.AGENT, verb="lost"),
        Entity("Bianca Andreescu", T.PERSON, role=Role.PATIENT, verb="lost"),
    ]
    found = {c.candidate.text: c.features for c in choices("Who won the final?", text, entities)}
    assert found["Bianca Andreescu"]["role_own_verb"] == 1.0
    assert found["Serena Williams"]["role_opposite"] == 1.0


def test_features_of_a_candidate() -> None:
    text = (
        "Acme News\n\nAcme will create 400 jobs at the Lyon lab, it said on Tuesday, and its rival "
        "Globex, a company based far away in Porto, will create three."
    )
    entities = [
        Entity("400 jobs", T.QUANTITY),
        Entity("three", T.QUANTITY, specific=False),
        Entity("Globex", T.ORGANISATION, label=Label.PROPN),
    ]
    found = {c.candidate.text: c.features for c in choices("How many jobs will Acme create?", text, entities)}
    assert set(found["400 jobs"]) == set(MODELS["candidate"])
    assert (found["400 jobs"]["specific"], found["three"]["specific"]) == (1.0, 0.0)
    assert found["400 jobs"]["compat"] == 1.0 and found["400 jobs"]["votes"] == 0.0
    assert "Globex" not in found  # a name cannot answer "how many"
    who = {c.candidate.text: c.features for c in choices("Which company is based in Porto?", text, entities)}
    assert who["Globex"]["guessed_name"] == 1.0 and who["Globex"]["compat"] >= 0.5


def test_a_number_that_echoes_the_question_and_a_name_it_gives() -> None:
    text = "Acme News\n\nAcme employs 620 engineers in Lyon and will add 80 more engineers in 2026."
    entities = [Entity("620 engineers", T.QUANTITY), Entity("80 more engineers", T.QUANTITY)]
    found = {
        c.candidate.text: c.features
        for c in choices("How many more engineers will Acme add to its 620 engineers?", text, entities)
    }
    assert "620 engineers" not in found or found["620 engineers"]["numeric_echo"] == 1.0
    assert found["80 more engineers"]["numeric_echo"] == 1.0  # shares "engineers" with the question


# -- votes ----------------------------------------------------------------------------------
def choice(
    text: str, doc_id: str, start: int, names: float = 1.0, role: Role = Role.NONE, compat: float = 1.0
) -> Choice:
    from qa.language.spans import Candidate

    p = passage(f"Title\n\n{text} was named.", doc_id)
    sentence = Sentence(p, 0, 0, start, start + 20, f"{text} was named.", features={"names": names})
    cand = Candidate(0, len(text), text, T.PERSON, Label.PERSON, role=role)
    return Choice(sentence, cand, {"compat": compat, "votes": 0.0})


def votes(found: list[Choice]) -> list[float]:
    return [c.features["votes"] for c in found]


def test_every_other_sentence_giving_the_same_answer_is_a_vote() -> None:
    found = [choice("Lena Berg", "a", 0), choice("Lena Berg", "b", 0), choice("Tom Roe", "a", 50)]
    add_votes(found)
    assert votes(found) == [1.0, 1.0, 0.0]


def test_votes_stop_at_three() -> None:
    found = [choice("Lena Berg", f"doc{i}", 0) for i in range(6)]
    add_votes(found)
    assert votes(found) == [3.0] * 6


def test_a_sentence_off_the_questions_names_or_of_a_poor_type_does_not_vote() -> None:
    found = [
        choice("Lena Berg", "a", 0),
        choice("Lena Berg", "b", 0, names=0.3),
        choice("Lena Berg", "c", 0, compat=0.4),
    ]
    add_votes(found)
    assert votes(found)[0] == 0.0


def test_a_sentence_giving_the_opposite_role_does_not_vote() -> None:
    found = [choice("Lena Berg", "a", 0, role=Role.AGENT), choice("Lena Berg", "b", 0, role=Role.PATIENT)]
    add_votes(found, wants=Role.AGENT)
    assert votes(found) == [0.0, 1.0]


def test_a_full_name_collects_the_votes_of_its_short_form_and_accents_do_not_matter() -> None:
    found = [choice("Lena Berg", "a", 0), choice("Berg", "b", 0), choice("Léna Berg", "c", 0)]
    add_votes(found)
    assert votes(found) == [2.0, 0.0, 2.0]


def test_the_same_sentence_twice_is_one_voter() -> None:
    found = [choice("Lena Berg", "a", 0), choice("Lena Berg", "a", 0), choice("Lena Berg", "b", 7)]
    add_votes(found)
    assert votes(found) == [1.0, 1.0, 1.0]


def test_a_candidate_near_the_questions_words_is_closer_than_one_far_away() -> None:
    text = (
        "Acme News\n\nAcme will create 400 jobs in Lyon, while a farm somewhere in the distant hills of "
        "another country altogether keeps 30 goats."
    )
    entities = [Entity("400 jobs", T.QUANTITY), Entity("30 goats", T.QUANTITY)]
    found = {c.candidate.text: c.features for c in choices("How many jobs will Acme create?", text, entities)}
    assert found["400 jobs"]["proximity"] > found["30 goats"]["proximity"]


@pytest.mark.parametrize(
    ("question", "text", "right", "other"),
    [
        # a title in apposition after the name
        (
            "Who is Velmar's chief scientific officer?",
            "News\n\nVelmar was founded by Dr. Ana Roos, its chief executive, and Dr. Sami Hadi, its chief "
            "scientific officer.",
            "Sami Hadi",
            "Ana Roos",
        ),
        # the asked kind of amount right before it, not the other amount of the sentence
        (
            "At what valuation was the round made?",
            "News\n\nTessa raised $45 million in a round made at a valuation of $410 million.",
            "$410 million",
            "$45 million",
        ),
        # what the place will do right after it
        (
            "Which city will host the final?",
            "News\n\nParis will host the opening match and Lyon will host the final.",
            "Lyon",
            "Paris",
        ),
    ],
)
def test_nearby_is_the_share_of_the_questions_own_words_said_beside_the_candidate(
    question: str, text: str, right: str, other: str
) -> None:
    types = {"Sami Hadi": T.PERSON, "Ana Roos": T.PERSON, "Lyon": T.PLACE, "Paris": T.PLACE}
    entities = [Entity(name, types.get(name, T.MONEY)) for name in (right, other)]
    found = {c.candidate.text: c.features for c in choices(question, text, entities)}
    assert found[right]["nearby"] > found[other]["nearby"]
    assert found[right]["nearby"] > 0.5


def test_a_candidate_from_a_heading_says_so() -> None:
    text = "Northgate Buys Acme Robotics\n\nNorthgate Holdings acquired Acme Robotics in 2021."
    entities = [Entity("Northgate", T.ORGANISATION)]
    found = choices("Which company bought Acme Robotics?", text, entities)
    by_sentence = {c.sentence.text: c.features["in_heading"] for c in found}
    assert by_sentence == {
        "Northgate Buys Acme Robotics": 1.0,
        "Northgate Holdings acquired Acme Robotics in 2021.": 0.0,
    }
