"""Retrieval: dense and BM25 search fused by reciprocal rank (hybrid), then re-ranked by the question."""
