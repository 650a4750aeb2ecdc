"""Typed answer candidates from the real English pipeline."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest

from qa.language.analysis import Analyser, _Parses
from qa.language.answer_types import AnswerType
from qa.language.labels import Label, Role
from qa.language.patterns import dateline_end, head_candidates, list_candidates, version_candidates
from qa.language.spans import Candidate, SpanFinder
from qa.text import sentence_spans
from tests.helpers.corpus import CORPUS_DIR
from tests.helpers.extractive import BagOfWordsEmbedder

# Tests taking the ``spans`` fixture load the real English pipeline and carry the slow marker;
# the pattern-only ones run with the fast suite.


@pytest.fixture(scope="module")
def spans() -> SpanFinder:
    """The real English pipeline; only for tests marked slow."""
    return SpanFinder()


@pytest.mark.slow
def test_a_headline_verb_is_cut_from_a_name(spans: SpanFinder) -> None:
    title = "Auralis and Singapore's Ministry of Health Launch Clinical AI Partnership"
    texts = {c.text for c in spans.candidates_many([title])[0] if c.label is Label.ORG}
    assert "Ministry of Health" in texts
    assert not any("Launch" in t for t in texts)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sentence", "acronym"),
    [
        (
            "Singapore, recognized as a global leader in AI, has integrated this technology at the heart "
            "of its economic development, public services, and education plans.",
            "AI",
        ),
        ("Auralis will open its Applied Health AI Lab in Singapore, its first AI lab in Asia.", "AI"),
        ("Quillsoft has fixed a stored cross-site scripting (XSS) vulnerability in Quill Note Web.", "XSS"),
    ],
)
def test_an_acronym_the_tagger_calls_a_place_is_no_place(
    spans: SpanFinder, sentence: str, acronym: str
) -> None:
    found = spans.candidates_many([sentence])[0]
    assert any(c.text == acronym for c in found)
    assert not any(c.text == acronym and c.answer_type is AnswerType.PLACE for c in found)
    assert any(c.answer_type is AnswerType.PLACE for c in found) or acronym == "XSS"  # Singapore, Asia


@pytest.mark.slow
def test_a_places_abbreviation_stays_a_place(spans: SpanFinder) -> None:
    found = spans.candidates_many(["The company will open offices in the US and the UK next year."])[0]
    assert {c.text for c in found if c.answer_type is AnswerType.PLACE} == {"US", "UK"}


@pytest.mark.slow
def test_an_untagged_proper_noun_is_a_candidate_with_its_role(spans: SpanFinder) -> None:
    sentence = "In February 2014, Facebook purchased the messaging service WhatsApp for $19 billion."
    found = {c.text: c for c in spans.candidates_many([sentence])[0] if c.label is Label.PROPN}
    assert "Facebook" in found and found["Facebook"].role is Role.AGENT


@pytest.mark.slow
def test_a_one_word_name_cut_from_a_headline_verb_keeps_no_type(spans: SpanFinder) -> None:
    title = "Argentina Heads to Its Sixth World Cup Final"
    found = [c for c in spans.candidates_many([title])[0] if c.text == "Argentina"]
    assert found and all(c.label is Label.PROPN and c.answer_type is AnswerType.OTHER for c in found)


@pytest.mark.slow
def test_a_match_score_is_cut_from_a_name(spans: SpanFinder) -> None:
    sentence = "France captured its second World Cup title after defeating Croatia 4-2 in the final."
    texts = {c.text for c in spans.candidates_many([sentence])[0]}
    assert "Croatia" in texts
    assert not any("4-2" in t for t in texts)


@pytest.mark.slow
def test_a_place_that_acts_is_no_region_of_the_place_before_it(spans: SpanFinder) -> None:
    sentence = (
        "After 19 days of competition at the 2018 Winter Olympics in PyeongChang, South Korea, "
        "Norway came out on top of the medal table."
    )
    found = {c.text: c for c in spans.candidates_many([sentence])[0] if c.label is Label.GPE}
    assert found["Norway"].role is Role.AGENT
    assert "South Korea, Norway" not in found
    # Where it happened, and what the place is joined to, is the setting.
    assert found["South Korea"].role == found["PyeongChang, South Korea"].role is Role.SETTING


@pytest.mark.slow
def test_a_name_written_about_as_a_person_is_a_person_whatever_its_tag(spans: SpanFinder) -> None:
    sentences = [
        "Corvane Systems today announced the appointment of Lucía Ferrer as Chief Financial Officer.",
        '"It matters," said Professor Elena Voss, Vice-Chancellor of Aldergrove University.',
    ]
    found = [
        {c.text: c.answer_type for c in cands if c.label not in {Label.PROPN, Label.NP}}
        for cands in spans.candidates_many(sentences)
    ]
    assert found[0]["Lucía Ferrer"] is AnswerType.PERSON
    assert found[1]["Elena Voss"] is AnswerType.PERSON
    assert found[0]["Corvane Systems"] is AnswerType.ORGANISATION


def assert_whole(spans: SpanFinder, answer_type: AnswerType, sentences: dict[str, str]) -> None:
    """Each sentence's candidates of ``answer_type`` include the whole answer it maps to."""
    for (sentence, whole), found in zip(
        sentences.items(), spans.candidates_many(list(sentences)), strict=True
    ):
        typed = [c.text for c in found if c.answer_type is answer_type]
        assert whole in typed, (sentence, typed)


@pytest.mark.slow
def test_a_date_cut_by_the_tagger_is_the_whole_date(spans: SpanFinder) -> None:
    # The tagger alone finds "March 4", "2021", "17, 2022" and "May 2024".
    assert_whole(
        spans,
        AnswerType.DATE,
        {
            "BERGEN, NORWAY (March 4, 2019)—The board of Fjordline Shipping today named a chief executive.": "March 4, 2019",
            "Oct 2, 2021 ... The festival opened with a parade.": "Oct 2, 2021",
            "Mar 17, 2022 ...": "Mar 17, 2022",
            "LYON, France (5 May 2024) – Brenna opened a centre.": "5 May 2024",
        },
    )


@pytest.mark.slow
def test_an_amount_in_title_case_keeps_its_scale(spans: SpanFinder) -> None:
    assert_whole(
        spans,
        AnswerType.MONEY,
        {
            "S$80 Million Grant Opens to Small Firms": "S$80 Million",
            "Brightlake Raises $40M Series B To Expand Data Platform": "$40M",
            "Port Authority Wins 2 Billion Euros In New Funding": "2 Billion Euros",
        },
    )


@pytest.mark.slow
def test_months_are_not_taken_for_untagged_names(spans: SpanFinder) -> None:
    found = spans.candidates_many(["Jul 20, 2021 ... Tadej Pogacar won the race."])[0]
    assert not any(c.label is Label.PROPN and c.text == "Jul" for c in found)


@pytest.mark.slow
def test_question_verbs_leave_out_light_ones(spans: SpanFinder) -> None:
    assert spans.verbs("When will Kestrel Labs open an AI hub in Lagos?") == ["open"]
    assert spans.verbs("Where is the Meridian AI Research Centre located?") == []


def test_version_numbers_and_ranges_are_candidates_but_decimals_are_not() -> None:
    sentence = "Versions 3.2.0 through 3.4.1 are affected; 3.4.2 fixes it, and v2.1 of the app scored 3.5."
    assert [c.text for c in version_candidates(sentence)] == ["3.2.0 through 3.4.1", "3.4.2", "v2.1"]


@pytest.mark.slow
def test_names_inside_a_span_run_across_a_flattened_list_are_candidates(spans: SpanFinder) -> None:
    sentence = (
        "Since 1937 · 2020 - DeVonta Smith, University of Alabama · 2019 - Joe Burrow, "
        "Louisiana State University · 2018 - Tua Tagovailoa, University of Alabama"
    )
    found = spans.candidates_many([sentence])[0]
    assert all(sentence[c.start : c.end] == c.text for c in found)
    names = {c.text for c in found if c.label in {Label.PERSON, Label.PROPN}}
    assert {"DeVonta Smith", "Joe Burrow", "Tua Tagovailoa"} <= names


@pytest.mark.parametrize(
    ("sentence", "dateline"),
    [
        ("SINGAPORE, 12 January 2026 — OpenAI opened a lab.", "SINGAPORE, 12 January 2026 — "),
        ("LYON, 3 March 2025 - Acme opened a lab.", "LYON, 3 March 2025 - "),
        ("NEW YORK, May 2 — Acme said it would hire.", "NEW YORK, May 2 — "),
        ("Acme opened a lab in LYON, France, on Monday.", ""),
        ("The lab opened, said CEO Jane Tan — today.", ""),
    ],
)
def test_a_press_releases_dateline_is_found_at_the_start_only(sentence: str, dateline: str) -> None:
    assert sentence[: dateline_end(sentence)] == dateline


@pytest.mark.parametrize(
    ("sentence", "head", "name"),
    [
        (
            "This strategic partnership with the Ministry of Digital Development and Information (MDDI) "
            "aims to support the strategy.",
            "ministry",
            "Ministry of Digital Development and Information",
        ),
        (
            "The grant is run by the Department of Health and Human Services (HHS) in Washington.",
            "department",
            "Department of Health and Human Services",
        ),
        (
            "Funding comes from the Office for Science and Technology Strategy (OSTS) this year.",
            "office",
            "Office for Science and Technology Strategy",
        ),
        (
            "This includes partnerships with the Ministry of Education and GovTech to create tools.",
            "ministry",
            "Ministry of Education",  # no acronym says "and GovTech" is part of the name
        ),
    ],
)
def test_an_acronym_after_a_head_candidate_gives_the_whole_name(sentence: str, head: str, name: str) -> None:
    assert [c.text for c in head_candidates(sentence, head)] == [name]


@pytest.mark.parametrize(
    ("sentence", "head", "names"),
    [
        (
            "It will open in 2026 in the Harbourside business district, with 60 staff.",
            "district",
            ["Harbourside business district"],
        ),
        ("The team moves to the Kowloon East tech hub next year.", "hub", ["Kowloon East tech hub"]),
        ("The Hamburg logistics hub opens in May.", "hub", ["Hamburg logistics hub"]),
        ("Acme opened research labs in Lyon.", "lab", []),  # a verb is no modifier
        ("Staff from Sweden and the new district will join.", "district", []),  # nor a function word
    ],
)
def test_a_name_described_by_a_common_noun_before_the_head_is_a_head_candidate(
    sentence: str, head: str, names: list[str]
) -> None:
    assert [c.text for c in head_candidates(sentence, head)] == names


def test_head_candidates_are_the_asked_nouns_with_their_names() -> None:
    def heads(sentence: str, head: str) -> list[str]:
        found = head_candidates(sentence, head)
        assert all(sentence[c.start : c.end] == c.text and c.label is Label.HEAD for c in found)
        return [c.text for c in found]

    assert heads("OpenAI will run Codex for Teachers hackathons.", "hackathons") == [
        "Codex for Teachers hackathons"
    ]
    assert heads("Engineers at the Applied AI Lab in Singapore.", "lab") == ["Applied AI Lab"]
    assert heads("The lab is big and the labs are new.", "lab") == []  # no name: no answer
    assert heads("It runs a lab.", "at") == []  # too short a head to look for


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("At the ATx summit in Singapore, Acme announced its plan.", "ATx summit"),
        (
            "The results were shown at the Harbour Robotics Conference on Monday.",
            "Harbour Robotics Conference",
        ),
        ("She won the Lyon Open Championships for the third time.", "Lyon Open Championships"),
    ],
)
def test_a_generic_head_finds_its_kinds(sentence: str, kind: str) -> None:
    # "Which event ...?" is answered by a summit, a conference, championships: names rarely say "event".
    assert [c.text for c in head_candidates(sentence, "event")] == [kind]
    assert head_candidates(sentence, "hackathons") == []


class _CountingPipeline:
    """A stand-in for the spaCy pipeline: documents with no entities and no noun chunks (so no
    candidates), counting the sentences it parses."""

    def __init__(self) -> None:
        self.parsed: list[str] = []

    def pipe(self, texts: list[str]) -> list[SimpleNamespace]:
        return [self(text) for text in texts]

    def __call__(self, text: str) -> SimpleNamespace:
        self.parsed.append(text)
        return SimpleNamespace(text=text, ents=[], noun_chunks=[])


def test_a_sentence_without_candidates_is_parsed_once_and_then_read_from_the_cache() -> None:
    finder = SpanFinder(verify=False)
    pipeline = _CountingPipeline()
    finder._nlp = pipeline  # the pipeline is loaded on first use; this one is already there
    sentences = ["Nothing to find here.", "Nor here."]
    assert finder.candidates_many(sentences) == [[], []]
    assert finder.candidates_many([*sentences, sentences[0]]) == [[], [], []]
    assert pipeline.parsed == sentences  # before: every [] was a miss, parsed again each time


def test_a_batch_larger_than_the_cache_is_parsed_once() -> None:
    finder = SpanFinder(verify=False, cache_size=2)
    pipeline = _CountingPipeline()
    finder._nlp = pipeline
    sentences = [f"Sentence number {n}." for n in range(5)]
    assert finder.candidates_many(sentences) == [[]] * 5
    assert pipeline.parsed == sentences


def _entities(sentence: str, *names: str) -> list[Candidate]:
    return [
        Candidate(sentence.index(n), sentence.index(n) + len(n), n, AnswerType.ORGANISATION, Label.ORG, True)
        for n in names
    ]


@pytest.mark.parametrize(
    ("sentence", "head", "names", "expected"),
    [
        # a list of three or more ending in the head noun, without what leads into it
        (
            "The lab will support projects, particularly in the public services, finance, healthcare, "
            "and digital infrastructure sectors.",
            "sectors",
            (),
            ["public services, finance, healthcare, and digital infrastructure sectors"],
        ),
        # named things joined by "and"
        (
            "This includes partnerships with the Ministry of Education and GovTech to build tools.",
            "bodies",
            ("Ministry of Education", "Education", "GovTech"),
            ["Ministry of Education and GovTech"],
        ),
        # named things joined by commas and a last "or"
        (
            "Buyers could be Acme, Globex or Initech, the report said.",
            "companies",
            ("Acme", "Globex", "Initech"),
            ["Acme, Globex or Initech"],
        ),
        # two items only and no names: no list (it could start at a verb: "targets farming")
        ("It targets farming and fishing sectors in Kenya.", "sectors", (), []),
        # names joined by a comma only are two things, not a list
        ("Acme, the buyer, paid Globex.", "companies", ("Acme", "Globex"), []),
    ],
)
def test_list_candidates_answer_a_plural_head_whole(
    sentence: str, head: str, names: tuple[str, ...], expected: list[str]
) -> None:
    found = list_candidates(sentence, head, _entities(sentence, *names))
    assert [c.text for c in found] == expected
    assert all(sentence[c.start : c.end] == c.text for c in found)


@pytest.mark.slow
def test_two_threads_parsing_at_ingest_find_what_one_thread_finds(spans: SpanFinder) -> None:
    texts = [path.read_text(encoding="utf-8") for path in sorted(CORPUS_DIR.glob("*.md"))]
    sentences = list(dict.fromkeys(s.text for t in texts for s in sentence_spans(t) if len(s.text) >= 12))
    assert len(sentences) > 300
    alone = spans.candidates_batch(sentences)
    parses = _Parses(spans, sentences, batch=16)
    with ThreadPoolExecutor(2) as pool:
        for done in [pool.submit(parses.parse) for _ in range(2)]:
            done.result()
    assert [parses.found[s] for s in sentences] == alone


@pytest.mark.slow
def test_a_helper_process_parsing_at_ingest_finds_what_this_process_finds(spans: SpanFinder) -> None:
    texts = [path.read_text(encoding="utf-8") for path in sorted(CORPUS_DIR.glob("*.md"))]
    sentences = list(dict.fromkeys(s.text for t in texts for s in sentence_spans(t) if len(s.text) >= 12))
    alone = spans.candidates_batch(sentences)
    analyser = Analyser(BagOfWordsEmbedder(), spans, parse_process=True)  # type: ignore[arg-type]
    analyser.warm_up()  # forks the helper with the loaded pipeline
    parses = _Parses(spans, sentences, batch=16)
    try:
        parses.parse(analyser._helper)  # every batch in the helper
    finally:
        analyser.close()
    assert not parses.helper_failed
    assert [parses.found[s] for s in sentences] == alone
