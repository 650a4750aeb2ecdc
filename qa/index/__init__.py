"""The index: text to vectors (embedding), chunks, and the stores they are searched in (Chroma, BM25)."""
