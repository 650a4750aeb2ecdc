"""Sentence length and entity density: the generated benchmark corpus beside real text.

The answerer's cost per passage grows with the length of its sentences and the number of names,
dates and amounts in them (spaCy's entities become answer candidates), so a benchmark corpus
should match real text on both. Sentences are split as the answerer splits them (``sentence_spans``,
at least 12 characters); words are ``qa.text.words``; entities are the spaCy pipeline's, over a
fixed sample of sentences. "Fragments" are sentences of under five words (datelines, bylines,
the "Jul 29, 2019 ..." of search snippets); the lengths of the others are shown apart.

    python bench/text_stats.py                                    # 200 generated articles, corpus/
    python bench/text_stats.py /work/shared/devsets/rgb/corpus    # and the RGB passages
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
from pathlib import Path
from typing import Any

from common import ROOT

FRAGMENT_WORDS = 5  # sentences shorter than this are fragments


def text_stats(corpus: Path, nlp: Any, sample: int = 800, seed: int = 3) -> dict[str, float]:
    """Words per sentence and spaCy entities per 100 words over a sample of the corpus's sentences."""
    from ingest.loading import load_articles
    from qa.text import sentence_spans, words

    articles = load_articles([corpus]).articles
    sentences = [s.text for a in articles for s in sentence_spans(a.text) if len(s.text) >= 12]
    chosen = random.Random(seed).sample(sentences, min(sample, len(sentences)))
    lengths = [len(words(s)) for s in chosen]
    full = [n for n in lengths if n >= FRAGMENT_WORDS]
    entities = sum(len(doc.ents) for doc in nlp.pipe(chosen))
    deciles = statistics.quantiles(full, n=10) if len(full) > 1 else [0.0] * 9
    return {
        "articles": len(articles),
        "sentences": len(sentences),
        "words_per_sentence": round(statistics.fmean(lengths), 1),
        "fragments_pct": round(100 * (len(lengths) - len(full)) / max(len(lengths), 1), 1),
        "full_mean_words": round(statistics.fmean(full), 1) if full else 0.0,
        "full_p10_words": deciles[0],
        "full_median_words": statistics.median(full) if full else 0.0,
        "full_p90_words": deciles[-1],
        "entities_per_100_words": round(100 * entities / max(sum(lengths), 1), 1),
    }


COLUMNS = {
    "articles": "articles",
    "sentences": "sentences",
    "words_per_sentence": "words/sent",
    "fragments_pct": "fragments %",
    "full_mean_words": "full: mean",
    "full_p10_words": "p10",
    "full_median_words": "median",
    "full_p90_words": "p90",
    "entities_per_100_words": "entities/100 words",
}


def print_stats(stats: dict[str, dict[str, float]], sample: int = 800) -> None:
    print(f"Sentences and entities ({sample} sampled sentences per corpus; 'full': sentences of 5+ words)")
    widths = {key: max(10, len(title) + 2) for key, title in COLUMNS.items()}
    print(f"{'':34}" + "".join(f"{title:>{widths[key]}}" for key, title in COLUMNS.items()))
    for name, row in stats.items():
        print(f"{name[-34:]:34}" + "".join(f"{row[key]:>{widths[key]}}" for key in COLUMNS))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpora", nargs="*", type=Path, help="more folders of real text to compare")
    parser.add_argument("--articles", type=int, default=200, help="generated articles")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    from make_corpus import write_corpus

    from qa.language.spans import SpanFinder

    nlp = SpanFinder().nlp
    with tempfile.TemporaryDirectory(prefix="qa-text-stats-") as tmp:
        generated = write_corpus(Path(tmp) / "generated", args.articles, args.seed)
        stats = {f"generated ({args.articles} articles)": text_stats(generated, nlp)}
        for corpus in [ROOT / "corpus", *args.corpora]:
            stats[str(corpus)] = text_stats(corpus, nlp)
    print_stats(stats)


if __name__ == "__main__":
    main()
