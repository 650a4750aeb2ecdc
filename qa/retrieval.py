"""Hybrid retrieval: dense search in Chroma and BM25, fused by reciprocal rank fusion."""

from __future__ import annotations

from dataclasses import dataclass, field

from qa.embedding import Embedder
from qa.lexical import LexicalIndex
from qa.questions import analyse
from qa.rerank import rerank
from qa.store import ChromaStore, Filters
from qa.types import Passage


@dataclass
class Retrieval:
    """What retrieval found, with the question's embedding for reuse by the answerer."""

    passages: list[Passage]
    query_embedding: list[float] = field(default_factory=list)


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

    def retrieve(self, question: str, k: int, filters: Filters | None = None) -> Retrieval:
        """The ``k`` best passages for ``question``, best first."""
        self.lexical.ensure_current(self.store)
        depth = max(self.depth, k)
        embedding = self.embedder.embed([question])[0]
        dense = self.store.search(embedding, depth, filters)
        lexical = self.lexical.search(question, depth, filters)
        by_id = {p.chunk_id: p for p in dense}
        missing = [cid for cid, _ in lexical if cid not in by_id]
        for passage in self.store.get_chunks(missing):
            by_id[passage.chunk_id] = passage
        for rank, (chunk_id, _) in enumerate(lexical, 1):
            if chunk_id in by_id:
                by_id[chunk_id].lexical_rank = rank
        for passage in by_id.values():
            passage.score = sum(
                1.0 / (self.rrf_k + r) for r in (passage.dense_rank, passage.lexical_rank) if r
            )
        fused = sorted(by_id.values(), key=lambda p: (-p.score, p.chunk_id))
        if self.rerank_depth:
            pool = max(self.rerank_depth, k)
            fused = rerank(analyse(question), fused[:pool]) + fused[pool:]
        return Retrieval(passages=fused[:k], query_embedding=embedding)
