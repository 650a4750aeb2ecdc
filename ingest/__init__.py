"""Corpus ingestion: find, load and clean announcement files (then chunk, embed, store)."""

from ingest.cleaning import clean_text, find_repeated_lines, remove_lines
from ingest.loading import DEFAULT_MAX_BYTES, LoadResult, discover_files, load_article, load_articles

__all__ = [
    "DEFAULT_MAX_BYTES",
    "LoadResult",
    "clean_text",
    "discover_files",
    "find_repeated_lines",
    "load_article",
    "load_articles",
    "remove_lines",
]
