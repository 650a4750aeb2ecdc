"""English analysis: what a question asks, answer candidates in a sentence (spaCy), the evidence
words that tie them together, and the per-sentence analysis stored with each chunk at ingest."""
