"""Hybrid retrieval: dense search in Chroma and BM25, fused by reciprocal rank fusion."""

from __future__ import annotations

from dataclasses import dataclass, field

from qa.index.embedding import Embedder
from qa.index.lexical import LexicalIndex
from qa.index.store import ChromaStore, Filters
from qa.language.questions import Question, analyse, with_context
from qa.retrieval.rerank import rerank
from qa.types import Passage


@dataclass
class Retrieval:
    """What retrieval found, with the question's embedding and analysis for reuse by the answerer."""

    passages: list[Passage]
    query_embedding: list[float] = field(default_factory=list)
    # The question analysed (without the conversation's context, which is no part of what the
    # answer must meet): the answerer takes it rather than analysing the question again.
    analysis: Question | None = None


class HybridRetriever:
    """Dense + lexical candidates, fused by reciprocal rank: score = Σ 1 / (rrf_k + rank)."""

    def __init__(
        self,
        store: ChromaStore,
        embedder: Embedder,
        lexical: LexicalIndex,
        rrf_k: int = 60,
        depth: int = 30,
        rerank_depth: int = 20,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.lexical = lexical
        self.rrf_k = rrf_k
        self.depth = depth  # candidates taken from each ranking before fusion
        self.rerank_depth = rerank_depth  # fused candidates re-ranked by the question's specifics (0: off)

    def retrieve(self, question: str, k: int, filters: Filters | None = None, context: str = "") -> Retrieval:
        """The ``k`` best passages for ``question``, best first; ``context`` (terms carried from
        a conversation) is searched for with the question but constrains nothing.

        Both rankings give ids; fusion works on ids, and only the chunks that can still be among
        the ``k`` (those the re-ranking looks at) are read from the store.
        """
        self.lexical.ensure_current(self.store)
        depth = max(self.depth, k)
        query = f"{question} {context}" if context else question
        embedding = self.embedder.embed([query])[0]
        dense = self.store.nearest(embedding, depth, filters)
        lexical = self.lexical.search(query, depth, filters)
        ranks: dict[str, tuple[int | None, int | None, float | None]] = {
            cid: (rank, None, similarity) for rank, (cid, similarity) in enumerate(dense, 1)
        }
        for rank, (cid, _) in enumerate(lexical, 1):
            dense_rank, _, similarity = ranks.get(cid, (None, None, None))
            ranks[cid] = (dense_rank, rank, similarity)
        score = {
            cid: sum(1.0 / (self.rrf_k + r) for r in (d, lex) if r) for cid, (d, lex, _) in ranks.items()
        }
        order = sorted(ranks, key=lambda cid: (-score[cid], cid))
        pool = max(self.rerank_depth, k) if self.rerank_depth else k
        fused = self._read(order, pool)
        for passage in fused:
            passage.dense_rank, passage.lexical_rank, passage.dense_similarity = ranks[passage.chunk_id]
            passage.score = score[passage.chunk_id]
        analysis = analyse(question)
        if self.rerank_depth:
            fused = rerank(with_context(analysis, context), fused)
        return Retrieval(passages=fused[:k], query_embedding=embedding, analysis=analysis)

    def _read(self, order: list[str], count: int) -> list[Passage]:
        """The first ``count`` chunks of ``order`` that the store still holds (a lexical hit may
        name a chunk deleted a moment ago), in that order."""
        found: list[Passage] = []
        start = 0
        while len(found) < count and start < len(order):
            batch = order[start : start + count - len(found) + 4]
            start += len(batch)
            found += self.store.get_chunks(batch)
        return found[:count]
