"""Chunk analysis done once at ingest: what the extractive answerer would otherwise redo per question.

For every sentence of a chunk (as ``split_passages`` finds them: ``sentence_spans`` of the chunk
text, at least ``MIN_SENTENCE_CHARS`` long) the analysis holds its offsets in the chunk, its answer
candidates (``SpanFinder``) and its embedding (the store's embedder). It travels as one compact
JSON string in the chunk's own Chroma metadata (key ``analysis``), so it is written, replaced and
deleted with its chunk, on an embedded store or a Chroma server alike. The string carries the
analyser's version (this code's ``ANALYSIS_VERSION``, a fingerprint of qa/language/spans.py, the embedding
model, the spaCy pipeline): the answerer ignores an analysis of another version and analyses that
chunk itself, as before. Sentence offsets need no version: a sentence the answerer splits
differently is simply not found among the stored ones.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import json
import logging
import multiprocessing
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from qa.index.embedding import Embedder
from qa.index.pooling import embed_sentences, pooled, sentences_of
from qa.language.answer_types import AnswerType
from qa.language.labels import Label, Role
from qa.language.spans import SPACY_PACKAGE, Candidate, SpanFinder
from qa.text import sentence_spans

logger = logging.getLogger(__name__)

ANALYSIS_VERSION = 1  # bump whenever what is stored, or how it is computed, changes
MIN_SENTENCE_CHARS = 12  # the answerer's (qa.extractive.splitting) shortest sentence
VECTOR_DTYPE = np.float32  # float16 halves the size but moves cosines by ~1e-4 (see the README)
VECTOR_BYTES = np.dtype(VECTOR_DTYPE).itemsize
PARSE_BATCH = 64  # sentences per spaCy batch at ingest, taken by one parser at a time


@lru_cache(maxsize=1)
def _candidates_code() -> str:
    """A fingerprint of the code that turns a parse into candidates (qa/language/spans.py, comments aside):
    a change there makes every stored analysis stale, with nobody having to remember a constant."""
    import qa.language.spans

    tree = ast.parse(Path(qa.language.spans.__file__).read_text(encoding="utf-8"))
    return hashlib.sha256(ast.dump(tree).encode()).hexdigest()[:12]


@lru_cache(maxsize=1)
def _spacy_version() -> str:
    try:
        return metadata.version(SPACY_PACKAGE)
    except metadata.PackageNotFoundError:
        return "missing"


def analysis_version(embedder_name: str) -> str:
    """The version an analysis made with this embedding model (and this code and spaCy) carries."""
    dtype = np.dtype(VECTOR_DTYPE).name
    spacy = f"{SPACY_PACKAGE}=={_spacy_version()}"
    return f"{ANALYSIS_VERSION}|{_candidates_code()}|{dtype}|{embedder_name}|{spacy}"


@dataclass(frozen=True)
class SentenceAnalysis:
    """One sentence of a chunk: offsets in the chunk text, its candidates and its embedding."""

    index: int  # of the sentence among all of the chunk's sentence spans (short ones included)
    start: int
    end: int
    candidates: tuple[Candidate, ...]
    vector: tuple[float, ...]


def encode(version: str, text: str, sentences: Sequence[SentenceAnalysis]) -> str:
    """The compact JSON form: candidates as lists (their text only when it is not the sentence's
    own slice), every vector in one base64 matrix."""
    rows: list[list[Any]] = []
    for s in sentences:
        sentence = text[s.start : s.end]
        cands: list[list[Any]] = []
        for c in s.candidates:
            row: list[Any] = [
                c.start,
                c.end,
                c.label.value,
                c.answer_type.value,
                int(c.specific),
                c.role.value,
                c.verb,
            ]
            if sentence[c.start : c.end] != c.text:
                row.append(c.text)
            cands.append(row)
        rows.append([s.index, s.start, s.end, cands])
    matrix = np.asarray([s.vector for s in sentences], dtype=VECTOR_DTYPE)
    vectors = base64.b64encode(matrix.tobytes()).decode("ascii")
    return json.dumps(
        {"v": version, "n": len(text), "s": rows, "x": vectors}, ensure_ascii=False, separators=(",", ":")
    )


T = TypeVar("T")
Key = tuple[str, int, int]  # (chunk_id, start, end) of a sentence in its chunk


class _Decoded:
    """One chunk's analysis, read: its rows parsed, its vectors and candidates made when asked."""

    def __init__(self, text: str, rows: list[list[Any]], vectors: str) -> None:
        self.text, self.rows, self._vectors = text, rows, vectors
        self._matrix: np.ndarray | None = None

    @property
    def matrix(self) -> np.ndarray:
        if self._matrix is None:
            raw = base64.b64decode(self._vectors)
            self._matrix = np.frombuffer(raw, dtype=VECTOR_DTYPE).reshape(len(self.rows), -1)
        return self._matrix

    @classmethod
    def read(cls, raw: str, text: str, version: str) -> _Decoded | None:
        if not raw:
            return None
        try:
            data = json.loads(raw)
            if data.get("v") != version or data.get("n") != len(text):
                return None
            rows, vectors = data["s"], data["x"]
            # Each row's vector is in the matrix: 4 base64 characters per 3 bytes.
            per_row = (len(vectors) // 4 * 3 - vectors[-2:].count("=")) / max(len(rows), 1)
            if not all(isinstance(r, list) and len(r) == 4 for r in rows) or per_row % VECTOR_BYTES:
                return None
            return cls(text, rows, vectors)
        except (ValueError, KeyError, TypeError, AttributeError):
            return None

    def vector(self, row: int) -> list[float]:
        vector: list[float] = self.matrix[row].astype(np.float64).tolist()
        return vector  # the embedder's own floats (float32 values), as Python floats

    def candidates(self, row: int) -> list[Candidate]:
        _, start, end, cands = self.rows[row]
        sentence = self.text[start:end]
        return [
            Candidate(
                c[0],
                c[1],
                c[7] if len(c) > 7 else sentence[c[0] : c[1]],
                AnswerType(c[3]),
                Label(c[2]),
                bool(c[4]),
                Role(c[5]),
                c[6],
            )
            for c in cands
        ]


class StoredAnalyses:
    """The stored analyses of a question's passages (Passages), by (chunk_id, start, end) of each
    sentence in its chunk. Only what the answerer asks for is decoded: it reads the vectors of
    up to 16 sentences and the candidates of 8, of the ~50 its passages hold."""

    def __init__(self, passages: Sequence[Any] = (), version: str = "") -> None:
        self._rows: dict[Key, tuple[_Decoded, int]] = {}
        for passage in passages:
            decoded = _Decoded.read(passage.analysis, passage.text, version)
            if decoded is not None:
                for row, (_, start, end, _) in enumerate(decoded.rows):
                    self._rows[(passage.chunk_id, start, end)] = (decoded, row)

    def __len__(self) -> int:
        return len(self._rows)

    def vector(self, key: Key) -> list[float] | None:
        """The sentence's embedding, or None when it has no (readable) stored analysis."""
        return self._read(key, _Decoded.vector)

    def candidates(self, key: Key) -> list[Candidate] | None:
        """The sentence's span-finder candidates, or None when it has no (readable) stored analysis."""
        return self._read(key, _Decoded.candidates)

    def _read(self, key: Key, read: Callable[[_Decoded, int], T]) -> T | None:
        found = self._rows.get(key)
        if found is None:
            return None
        try:
            return read(*found)
        except (ValueError, TypeError, IndexError):  # not base64, not a whole matrix, a malformed row
            return None


def decode(raw: str, text: str, version: str) -> list[SentenceAnalysis] | None:
    """Every sentence of an encoded analysis of ``text``; None when absent, of another version or
    unreadable (the answerer then analyses the chunk itself)."""
    decoded = _Decoded.read(raw, text, version)
    if decoded is None:
        return None
    try:
        return [
            SentenceAnalysis(index, start, end, tuple(decoded.candidates(row)), tuple(decoded.vector(row)))
            for row, (index, start, end, _) in enumerate(decoded.rows)
        ]
    except (ValueError, TypeError, IndexError):
        return None


class _Parses:
    """Candidates of many sentences, parsed a batch at a time by whichever parsers call ``parse``.

    spaCy holds one core while the model (which releases the GIL) embeds on the other; when the
    model is done this process parses too. The other parser is a helper process when there is one
    (``Analyser(parse_process=True)``), else a thread (spaCy releases the GIL only in parts: two
    threads parse 1.3x faster than one, two processes 2x). A sentence's parse does not depend on
    its batch or its parser (the helper is a fork of this process, pipeline included), so the
    candidates are those of one thread parsing everything.
    """

    def __init__(self, spans: SpanFinder, sentences: list[str], batch: int = PARSE_BATCH) -> None:
        self._spans = spans
        self._sentences = sentences
        self._starts = iter(range(0, len(sentences), batch))
        self._batch = batch
        self._lock = threading.Lock()
        self.found: dict[str, list[Candidate]] = {}
        self.helper_failed = False

    def parse(self, helper: Executor | None = None) -> None:
        """Parse batches until none is left, here or (each batch sent and waited for) in ``helper``.
        A helper that fails leaves its batch, and the rest, to this process."""
        while True:
            with self._lock:
                first = next(self._starts, None)
            if first is None:
                return
            part = self._sentences[first : first + self._batch]
            parsed = None
            if helper is not None:
                try:
                    parsed = helper.submit(_parse_in_helper, part).result()
                except Exception:  # the helper died or cannot take work: parse here
                    logger.warning("the spaCy helper process failed; parsing in this one", exc_info=True)
                    helper, self.helper_failed = None, True
            if parsed is None:
                parsed = self._spans.candidates_batch(part)
            with self._lock:
                self.found.update(zip(part, parsed, strict=True))


_HELPER_SPANS: SpanFinder | None = None  # in a helper process: the SpanFinder it was forked with


def _adopt(spans: SpanFinder) -> None:
    global _HELPER_SPANS
    _HELPER_SPANS = spans


def _parse_in_helper(sentences: list[str]) -> list[list[Candidate]]:
    if _HELPER_SPANS is None:
        raise RuntimeError("not a spaCy helper process")
    return _HELPER_SPANS.candidates_batch(sentences)


class Analyser:
    """Analyses chunk texts in batches: spaCy's ``nlp.pipe`` and the embedder over all sentences.

    With ``parse_process`` a helper process parses beside this one: forked once spaCy is loaded
    (``warm_up`` or the first batch), so it shares the loaded pipeline, and stopped by ``close``
    (or at exit). Meant for a batch ingest such as ``qa ingest``, not for a server's process.
    """

    def __init__(self, embedder: Embedder, spans: SpanFinder, parse_process: bool = False) -> None:
        self.embedder = embedder
        self.spans = spans
        self.parse_process = parse_process
        self._helper: ProcessPoolExecutor | None = None

    @property
    def version(self) -> str:
        return analysis_version(self.embedder.name)

    def warm_up(self) -> None:
        """Load spaCy (and fork the helper process, with ``parse_process``) now rather than in the
        first ingest."""
        self.spans.warm_up()
        self._started_helper()

    def close(self) -> None:
        """Stop the helper process, if any (a later batch forks another)."""
        helper, self._helper = self._helper, None
        if helper is not None:
            helper.shutdown(cancel_futures=True)

    def _started_helper(self) -> ProcessPoolExecutor | None:
        if not self.parse_process:
            return None
        if self._helper is None:
            self.spans.warm_up()  # the fork inherits the loaded pipeline
            try:
                fork = multiprocessing.get_context("fork")  # ValueError where there is no fork
                self._helper = ProcessPoolExecutor(
                    1, mp_context=fork, initializer=_adopt, initargs=(self.spans,)
                )
                self._helper.submit(int).result()  # fork now, before this process starts more threads
            except Exception:
                logger.warning("no spaCy helper process; parsing in threads", exc_info=True)
                self.close()
                self.parse_process = False
        return self._helper

    def analyse(self, texts: Sequence[str]) -> list[str]:
        """The encoded analysis of each chunk text, in order."""
        return self.analyse_pooled(texts)[0]

    def analyse_pooled(self, texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """The encoded analysis of each chunk text and its vector pooled from its sentences'
        vectors (``qa.index.pooling``): the model runs once per sentence for both."""
        found = [
            [
                (index, span.start, span.end)
                for index, span in enumerate(sentence_spans(text))
                if len(span.text) >= MIN_SENTENCE_CHARS
            ]
            for text in texts
        ]
        sentences = [
            text[start:end] for text, spans in zip(texts, found, strict=True) for _, start, end in spans
        ]
        unique = list(dict.fromkeys(sentences))  # overlapping chunks repeat a sentence
        parses = _Parses(self.spans, unique)
        helper = self._started_helper()
        with ThreadPoolExecutor(1, thread_name_prefix="analysis-spacy") as pool:
            helping: Future[None] = pool.submit(parses.parse, helper)
            vectors = embed_sentences(self.embedder, [p for text in texts for p in sentences_of(text)])
            parses.parse()  # the model is done: parse beside the other thread
            helping.result()
        if parses.helper_failed:
            self.close()  # the next batch forks a new helper
        candidates = parses.found
        version = self.version
        encoded = []
        for text, spans in zip(texts, found, strict=True):
            rows = [
                SentenceAnalysis(
                    index, start, end, tuple(candidates[text[start:end]]), tuple(vectors[text[start:end]])
                )
                for index, start, end in spans
            ]
            encoded.append(encode(version, text, rows))
        dimension = len(next(iter(vectors.values()))) if vectors else 0
        return encoded, pooled(texts, vectors, dimension)
