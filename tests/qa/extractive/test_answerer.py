"""The answerer's routing and its Answer, with a fake tagger, a bag-of-words embedder and hand-made
weights: which form a question gets, which text it cites, and what an abstention offers."""

from __future__ import annotations

import pytest

from qa.evaluation.metrics import answer_in_quotes
from qa.extractive import PASSAGE, SPAN, ExtractiveAnswerer
from qa.extractive.answerer import MARGIN_CAP
from qa.language.answer_types import AnswerType
from qa.language.evidence import ABSTAIN_TEXT
from qa.text import sentence_spans
from qa.types import Answer, Passage
from tests.helpers.extractive import ACME as DOC
from tests.helpers.extractive import ACME_ENTITIES as ENTITIES
from tests.helpers.extractive import (
    BagOfWordsEmbedder,
    Entity,
    FakeSpanFinder,
    hand_weights,
    make_answerer,
    model,
    passage,
)

SHOPS = (
    "Acme Lab\n\nAcme opened a lab in Lyon on Monday. The lab will build delivery robots for small shops. "
    "Parcels of up to 20 kg will go by robot. The weather was fine."
)
NEVER = {"span": 0.99, "passage": 0.99, "open": 0.99}


def sentences_of(answer: Answer, document: str) -> None:
    """The answer's citation is an exact slice of ``document`` and holds the answer's span."""
    citation = answer.citations[0]
    assert document[citation.start : citation.end] == citation.quote
    assert citation.answer_start is not None and citation.answer_end is not None
    assert citation.start <= citation.answer_start < citation.answer_end <= citation.end
    assert document[citation.answer_start : citation.answer_end] == answer.text


def test_an_open_question_is_answered_by_its_sentence_verbatim() -> None:
    document = "Earlier text of the page. " * 4 + SHOPS
    offset = document.index(SHOPS)
    answer = make_answerer().answer("What will the lab build?", [passage(SHOPS, offset=offset)])
    assert (answer.form, answer.abstained) == (PASSAGE, False)
    assert answer.text == "The lab will build delivery robots for small shops."
    assert answer.text == answer.citations[0].quote
    assert answer.answer_type == "other"
    sentences_of(answer, document)


def test_an_acronym_is_answered_by_the_long_form_its_sentence_spells_out() -> None:
    text = (
        "Depot Plans\n\nThe weather was fine. The Harbour Transit Authority (HTA) will open a depot "
        "in Lyon. The HTA runs the ferries."
    )
    document = "Intro sentence one. " * 3 + text
    found = passage(text, offset=document.index(text))
    answerer = make_answerer(weights=hand_weights(thresholds={"open": 0.05}))
    answer = answerer.answer("What does HTA stand for?", [found])
    assert (answer.form, answer.abstained) == (SPAN, False)
    assert answer.text == "Harbour Transit Authority"
    assert answer.citations[0].quote == "The Harbour Transit Authority (HTA) will open a depot in Lyon."
    sentences_of(answer, document)
    # The decision to answer is the open question's own: below its threshold, no answer.
    answerer.weights = hand_weights(thresholds={"open": 0.99})
    assert answerer.answer("What does HTA stand for?", [found]).abstained
    # A sentence that only names the acronym answers with itself.
    named = passage("Depot Plans\n\nThe HTA will open a depot in Lyon, the HTA said.")
    answerer.weights = hand_weights(thresholds={"open": 0.05})
    assert answerer.answer("What does HTA stand for?", [named]).form == PASSAGE


def test_a_typed_factoid_with_a_confident_candidate_is_a_span_inside_its_quote() -> None:
    document = "Intro sentence one. " * 5 + DOC
    offset = document.index(DOC)
    answer = make_answerer(ENTITIES).answer(
        "How many jobs will the lab create?", [passage(DOC, offset=offset)]
    )
    assert (answer.form, answer.abstained, answer.answer_type) == (SPAN, False, "quantity")
    assert answer.text == "up to 400 engineering jobs"
    assert answer.citations[0].quote == "The lab will create up to 400 engineering jobs by 2028."
    assert 0.5 <= answer.confidence <= 1.0
    sentences_of(answer, document)


def test_a_date_question_gets_the_date_of_its_sentence() -> None:
    answer = make_answerer(ENTITIES).answer("When will the first robots ship?", [passage(DOC)])
    assert (answer.form, answer.text) == (SPAN, "September 2026")


@pytest.mark.parametrize("question", ["How many jobs will the lab create?", "What will the lab build?"])
def test_below_the_thresholds_it_abstains(question: str) -> None:
    answerer = make_answerer(ENTITIES, hand_weights(thresholds=NEVER))
    answer = answerer.answer(question, [passage(DOC + " " + SHOPS)])
    assert answer.abstained and answer.text == ABSTAIN_TEXT
    assert answer.form == "" and answer.citations == []
    assert answer.confidence < 0.99


def test_min_confidence_overrides_every_fitted_threshold() -> None:
    strict = make_answerer(ENTITIES, min_confidence=1.0)
    lenient = make_answerer(ENTITIES, hand_weights(thresholds=NEVER), min_confidence=0.0)
    question = "How many jobs will the lab create?"
    assert strict.answer(question, [passage(DOC)]).abstained
    assert lenient.answer(question, [passage(DOC)]).text == "up to 400 engineering jobs"


UNSURE = hand_weights(span=model("span", -20.0), passage=model("passage", 5.0))
HIRING = "Acme Hiring\n\nAcme said the lab will create jobs for engineers and technicians in Lyon."


def test_an_uncertain_span_is_answered_by_its_sentence_and_the_next_best_one() -> None:
    answerer = make_answerer(ENTITIES, UNSURE)
    question = "How many jobs will the lab create?"
    docs = [passage(DOC, "acme"), passage(HIRING, "hiring")]
    found = answerer.deliberate(question, docs)
    second = next(s for s in found.sentences if s is not found.choices[0].sentence)
    assert second.passage.doc_id == "hiring"  # the test's premise: the next best is the other article's
    answer = answerer.answer(question, docs)
    assert (answer.form, answer.abstained) == (PASSAGE, False)
    first = "The lab will create up to 400 engineering jobs by 2028."
    assert answer.text == f"{first} {second.text}"
    assert [(c.doc_id, c.quote) for c in answer.citations] == [("acme", first), ("hiring", second.text)]
    for citation, document in zip(answer.citations, (DOC, HIRING), strict=True):
        assert document[citation.start : citation.end] == citation.quote
        assert (citation.answer_start, citation.answer_end) == (citation.start, citation.end)  # all answers
    assert answer_in_quotes(answer.text, answer.citations)


def test_an_uncertain_span_and_its_neighbour_are_one_quote_in_document_order() -> None:
    text = (
        "Acme Lab\n\nThe lab in Lyon will create jobs for engineers over the coming years. "
        "Acme expects up to 400 engineering jobs by 2028."
    )
    answer = make_answerer(ENTITIES, UNSURE).answer("How many jobs will the lab create?", [passage(text)])
    assert answer.form == PASSAGE and len(answer.citations) == 1
    assert answer.text == text.split("\n\n")[1] == answer.citations[0].quote


def test_an_uncertain_span_in_an_unclear_sentence_is_an_abstention() -> None:
    weights = hand_weights(span=model("span", -20.0), passage=model("passage", -20.0))
    answer = make_answerer(ENTITIES, weights).answer("How many jobs will the lab create?", [passage(DOC)])
    assert answer.abstained and answer.form == ""


def test_a_factoid_without_candidates_is_answered_by_its_typed_sentence_or_not_at_all() -> None:
    answerer = make_answerer([])  # the tagger finds nothing
    answer = answerer.answer("How many jobs will the lab create?", [passage(DOC)])
    assert (answer.form, answer.text) == (PASSAGE, "The lab will create up to 400 engineering jobs by 2028.")
    untyped = "Acme Lab\n\nThe lab will create engineering jobs. It opened in Lyon."
    assert answerer.answer("How many jobs will the lab create?", [passage(untyped)]).abstained


def test_an_open_question_is_never_asked_for_candidates() -> None:
    answerer = make_answerer(ENTITIES)
    found = answerer.deliberate("What will the lab build?", [passage(SHOPS)])
    assert found.choices == []
    assert isinstance(answerer.spans, FakeSpanFinder) and answerer.spans.asked == []


def test_only_the_best_sentences_are_searched_for_candidates() -> None:
    answerer = make_answerer(ENTITIES, max_sentences=2)
    answerer.deliberate("How many jobs will the lab create?", [passage(DOC)])
    assert isinstance(answerer.spans, FakeSpanFinder)
    assert [len(batch) for batch in answerer.spans.asked] == [2]
    assert "The lab will create up to 400 engineering jobs by 2028." in answerer.spans.asked[0]


def test_no_passages_is_an_abstention_without_related_documents() -> None:
    answer = make_answerer(ENTITIES).answer("How many jobs will the lab create?", [])
    assert answer.abstained and answer.related == [] and answer.confidence == 0.0


# -- neighbours and quotations ----------------------------------------------------------------
def test_a_neighbour_sentence_above_the_threshold_joins_the_answer_in_document_order() -> None:
    joined = make_answerer(weights=hand_weights(thresholds={"open": 0.3}))
    answer = joined.answer("What will the lab build?", [passage(SHOPS)])
    expected = "Acme opened a lab in Lyon on Monday. The lab will build delivery robots for small shops."
    assert answer.text == expected == answer.citations[0].quote
    alone = make_answerer(weights=hand_weights(thresholds={"open": 0.5}))
    assert alone.answer("What will the lab build?", [passage(SHOPS)]).text == (
        "The lab will build delivery robots for small shops."
    )


def test_a_neighbour_joins_by_the_join_threshold_not_the_open_one() -> None:
    question = "What will the lab build?"
    joined = make_answerer(weights=hand_weights(thresholds={"open": 0.05, "join": 0.01}))
    assert joined.answer(question, [passage(SHOPS)]).text == (
        "Acme opened a lab in Lyon on Monday. The lab will build delivery robots for small shops."
    )
    alone = make_answerer(weights=hand_weights(thresholds={"open": 0.05, "join": 0.99}))
    assert (
        alone.answer(question, [passage(SHOPS)]).text == "The lab will build delivery robots for small shops."
    )


def test_an_open_question_is_answered_by_the_open_models_probability() -> None:
    question = "What will the lab build?"
    answerer = make_answerer(weights=hand_weights(thresholds={"open": 0.5}))
    found = answerer.deliberate(question, [passage(SHOPS)])
    features = answerer.open_features(found)
    best, second = found.sentences[0], found.sentences[1]
    assert features["sentence"] == best.logit
    assert features["margin"] == pytest.approx(min(best.logit - second.logit, 5.0))
    assert features["second_near"] == 1.0  # "Acme opened a lab ..." is the sentence before it
    # The same sentence scores, read by two open models: one trusts a runner-up beside the best
    # sentence, one distrusts it.
    trusting = hand_weights(open_=model("open", -2.0, second_near=4.0), thresholds={"open": 0.5})
    wary = hand_weights(open_=model("open", 2.0, second_near=-4.0), thresholds={"open": 0.5})
    assert not make_answerer(weights=trusting).answer(question, [passage(SHOPS)]).abstained
    assert make_answerer(weights=wary).answer(question, [passage(SHOPS)]).abstained


def test_a_next_sentence_that_refers_back_goes_on_with_the_answer_whatever_the_threshold() -> None:
    strict = make_answerer(weights=hand_weights(thresholds={"open": 0.5}))
    for follow_up in (
        "These robots will carry parcels of up to 20 kg.",
        "They will carry parcels of up to 20 kg.",
        "With batteries for a day, it will carry parcels of up to 20 kg.",
    ):
        text = f"Acme Lab\n\nThe lab will build delivery robots for small shops. {follow_up} The weather was fine."
        answer = strict.answer("What will the lab build?", [passage(text)])
        assert answer.text == f"The lab will build delivery robots for small shops. {follow_up}"
        assert answer.citations[0].quote == answer.text  # one run of neighbours: one citation


def test_a_heading_or_a_sentence_further_away_does_not_join() -> None:
    lenient = make_answerer(weights=hand_weights(thresholds={"open": 0.01}))
    heading = "Acme Lab\n\nA lab to build robots\nThe lab will build delivery robots for small shops."
    assert lenient.answer("What will the lab build?", [passage(heading)]).text == (
        "The lab will build delivery robots for small shops."
    )
    apart = (
        "Acme Lab\n\nAcme opened a lab in Lyon on Monday. It rained all day in the city. "
        "The lab will build delivery robots for small shops."
    )
    strict = make_answerer(weights=hand_weights(thresholds={"open": 0.3}))
    assert strict.answer("What will the lab build?", [passage(apart)]).text == (
        "The lab will build delivery robots for small shops."
    )


def test_an_uncertain_factoid_takes_one_other_sentence_whatever_the_open_threshold() -> None:
    weights = hand_weights(span=model("span", -20.0), passage=model("passage", 5.0), thresholds={"open": 0.0})
    answer = make_answerer(ENTITIES, weights).answer("How many jobs will the lab create?", [passage(DOC)])
    assert answer.form == PASSAGE
    assert len(sentence_spans(answer.text)) == 2  # two sentences, not the article
    assert "The lab will create up to 400 engineering jobs by 2028." in answer.text


QUOTED = (
    "Acme Lab\n\nAcme opened a lab in Lyon on Monday. “It will bring robots to every shop in Lyon.” "
    "— Jane Tan, Chief Executive of Acme\nThe lab has 40 staff."
)
# The attribution line is the best sentence: who said it is what the question names.
SPEAKER = hand_weights(
    sentence=model("sentence", -4.0, coverage=6.0, attribution=2.0, open=1.0), thresholds={"open": 0.5}
)


def test_an_attribution_line_is_answered_with_the_quotation_before_it() -> None:
    answer = make_answerer(weights=SPEAKER).answer("Who is Jane Tan?", [passage(QUOTED)])
    assert answer.form == PASSAGE
    assert answer.text == (
        "“It will bring robots to every shop in Lyon.” — Jane Tan, Chief Executive of Acme"
    )
    assert answer.citations[0].quote == answer.text


def test_a_quotation_of_several_sentences_comes_whole_with_its_attribution() -> None:
    text = (
        "Acme Lab\n\nAcme opened a lab in Lyon on Monday. “The lab is a big step for us. It will bring "
        "robots to every shop in Lyon.” — Jane Tan, Chief Executive of Acme\nThe lab has 40 staff."
    )
    answer = make_answerer(weights=SPEAKER).answer("Who is Jane Tan?", [passage(text)])
    assert answer.text.startswith("“The lab is a big step for us.")


def test_a_quotation_split_between_two_chunks_comes_whole_with_its_attribution() -> None:
    text = (
        "Acme Lab\n\nAcme opened a lab in Lyon on Monday. “The lab is a big step for us. It will bring "
        "robots to every shop in Lyon.” — Jane Tan, Chief Executive of Acme\nThe lab has 40 staff."
    )
    cut = text.index("It will bring")  # the second chunk starts inside the quotation
    chunks = [passage(text[:cut], offset=0), passage(text[cut:], title="Acme Lab", offset=cut)]
    answer = make_answerer(weights=SPEAKER).answer("Who is Jane Tan?", chunks)
    assert answer.text == (
        "“The lab is a big step for us. It will bring robots to every shop in Lyon.” "
        "— Jane Tan, Chief Executive of Acme"
    )
    assert [c.chunk_id for c in answer.citations] == ["acme:0", f"acme:{cut}"]


@pytest.mark.parametrize(
    ("document", "quoted"),
    [
        # an attribution line after a quotation of several sentences
        (
            "Acme Lab\n\nAcme opened a lab in Lyon. “We looked at many cities. Lyon is an ideal partner "
            "for Globex and for us.” — Jane Tan, Chief Executive of Acme\nThe lab has 40 staff.",
            "Lyon is an ideal partner for Globex and for us.” — Jane Tan, Chief Executive of Acme",
        ),
        # "..., said Name" after the last sentence of the quotation
        (
            "Port Deal\n\nThe port signed with Globex. “Lyon is an ideal partner for Globex. We start "
            "in May,” said Jane Tan.\nCranes arrive in June.",
            "“Lyon is an ideal partner for Globex. We start in May,” said Jane Tan.",
        ),
        # "Name said:" before the quotation
        (
            "Grant News\n\nJane Tan said: “We looked at many cities. Lyon is an ideal partner for Globex.” "
            "The grant opens in May.",
            "Jane Tan said: “We looked at many cities. Lyon is an ideal partner for Globex.”",
        ),
    ],
)
def test_who_said_a_quoted_sentence_is_its_speaker_quoted_with_it(document: str, quoted: str) -> None:
    people = [Entity("Jane Tan", AnswerType.PERSON), Entity("Globex", AnswerType.ORGANISATION)]
    answer = make_answerer(people).answer("Who said Lyon is an ideal partner?", [passage(document)])
    # Globex is named inside the quotation (what was said), never who said it.
    assert (answer.form, answer.text) == (SPAN, "Jane Tan")
    assert answer.citations[0].quote == quoted
    sentences_of(answer, document)


# -- abstentions and their related documents ------------------------------------------------
WEATHER = "City Weather\n\nIt rained in Paris on Tuesday and the markets were calm all week long."
RIVAL = "Globex Opens Plant\n\nGlobex will create 900 factory jobs at its new plant in Porto."


def related_ids(question: str, *passages: Passage) -> list[str]:
    answer = make_answerer(ENTITIES, hand_weights(thresholds=NEVER)).answer(question, list(passages))
    assert answer.abstained
    return [r.doc_id for r in answer.related]


def test_an_abstention_offers_only_documents_on_the_questions_topic() -> None:
    docs = (passage(WEATHER, "weather"), passage(RIVAL, "globex"), passage(DOC, "acme"))
    # With names: a document must carry them.
    assert related_ids("How many jobs will Acme Robotics create in Lyon?", *docs) == ["acme"]
    # Without names: a document must hold half the question's (rarity-weighted) words.
    assert set(related_ids("How many engineering jobs will the lab create?", *docs)) == {"acme"}
    assert related_ids("Why did the Wyvern Pro headset launch slip?", *docs) == []


def test_a_best_guess_off_the_questions_topic_is_not_offered() -> None:
    docs = (passage(WEATHER, "weather"), passage(RIVAL, "globex"), passage(DOC, "acme"))
    # "€75 million" is of the asked type, but the Acme release says nothing of the Wyvern Pro.
    assert related_ids("What is the price of the Wyvern Pro headset?", *docs) == []


def test_an_abstention_offers_the_document_of_its_best_guess_first() -> None:
    rival = "Acme Plans\n\nAcme Robotics may hire more staff for the lab one day, its board said."
    ids = related_ids(
        "How many jobs will Acme Robotics create?", passage(rival, "plans"), passage(DOC, "acme")
    )
    assert ids[0] == "acme" and set(ids) == {"acme", "plans"}


def test_related_documents_carry_their_metadata_and_are_not_cited() -> None:
    answer = make_answerer(ENTITIES, hand_weights(thresholds=NEVER)).answer(
        "How many jobs will Acme Robotics create?", [passage(DOC, "acme", date="2025-03-03")]
    )
    (related,) = answer.related
    assert (related.title, related.date, related.url) == (
        "Acme Robotics Opens Lab in Lyon",
        "2025-03-03",
        "https://example.com/acme",
    )
    assert DOC.startswith(related.snippet) and answer.citations == []


# -- corrections --------------------------------------------------------------------------------
OLD = "Acme Lab Update\n\nThe Acme lab in Lyon will create 300 engineering jobs."
NEW = "Acme Lab Update (corrected)\n\nThe Acme lab in Lyon will create 250 engineering jobs."
JOBS = [
    Entity("300 engineering jobs", AnswerType.QUANTITY),
    Entity("250 engineering jobs", AnswerType.QUANTITY),
]
CORRECTED = [passage(OLD, "old", date="2025-01-01"), passage(NEW, "new", date="2025-02-01")]


def test_a_newer_correction_is_the_span_and_says_so() -> None:
    confident = hand_weights(span=model("span", 5.0))
    answer = make_answerer(JOBS, confident).answer(
        "How many jobs will the Acme lab in Lyon create?", CORRECTED
    )
    assert (answer.form, answer.text) == (SPAN, "250 engineering jobs")
    assert answer.citations[0].doc_id == "new" and "newer" in answer.note


def test_a_newer_correction_answered_by_its_sentence_says_so_too() -> None:
    weights = hand_weights(span=model("span", -20.0), passage=model("passage", 5.0))
    answer = make_answerer(JOBS, weights).answer("How many jobs will the Acme lab in Lyon create?", CORRECTED)
    assert answer.form == PASSAGE and answer.citations[0].doc_id == "new"
    assert "newer" in answer.note


def test_the_answer_a_correction_replaced_is_no_rival_to_it() -> None:
    answerer = make_answerer(JOBS)
    found = answerer.deliberate("How many jobs will the Acme lab in Lyon create?", CORRECTED)
    assert found.choices[0].candidate.text == "300 engineering jobs"  # the older release scores best
    best, note, features = answerer.choose(found)
    assert best.candidate.text == "250 engineering jobs" and "newer" in note
    assert features["margin"] == MARGIN_CAP  # no other answer left to doubt it against
    assert answerer.confidence_features(found, best)["margin"] <= 0  # the replaced one would be


# -- embedding economy -------------------------------------------------------------------------
def embedded_by(answerer: ExtractiveAnswerer) -> list[str]:
    assert isinstance(answerer.embedder, BagOfWordsEmbedder)
    return answerer.embedder.embedded


def test_a_given_query_embedding_is_used_and_sentence_vectors_are_cached() -> None:
    answerer = make_answerer(ENTITIES)
    question = "How many jobs will the lab create?"
    qvec = BagOfWordsEmbedder().embed([question])[0]
    first = answerer.answer(question, [passage(DOC)], qvec)
    assert question not in embedded_by(answerer)
    count = len(embedded_by(answerer))
    assert count > 0
    again = answerer.answer(question, [passage(DOC)], qvec)
    assert len(embedded_by(answerer)) == count  # every sentence vector came from the cache
    assert again.text == first.text == "up to 400 engineering jobs"


def test_only_sentences_that_could_reach_the_top_are_embedded() -> None:
    filler = " ".join(f"Unrelated line number {i} talks about the weather today." for i in range(30))
    answerer = make_answerer(ENTITIES, max_sentences=3)
    answerer.answer("How many jobs will the lab create?", [passage(DOC + " " + filler)])
    assert len(embedded_by(answerer)) <= 1 + 2 * 3  # the question, the best three, three more at most
