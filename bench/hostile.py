"""Hostile documents: a battery for the ingest tests and a benchmark of questions that read them.

`python bench/hostile.py` ingests ``corpus/`` plus the battery into a temporary store (the real
model), then asks questions restricted to each hostile document (so its passages are what the
answerer reads) and ordinary questions over everything, and prints the latency of each and the
worst. Before the fix (issue 14) a 12,000-dot run made such questions take 2.2-2.9 s instead of
0.02 s, and a sentence over 1,000,000 characters made spaCy raise E088 (a 500).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

QUESTIONS = (
    "How many jobs will the lab create?",
    "How much funding is behind the initiative?",
    "Who is the chief executive?",
    "When will it open?",
)


def unicode_sampler(per_category: int = 40) -> str:
    """Up to ``per_category`` code points of every Unicode general category except surrogates
    and most control characters, separated by spaces."""
    seen: dict[str, list[str]] = {}
    for code in range(0x110000):
        char = chr(code)
        category = unicodedata.category(char)
        if category == "Cs" or (category == "Cc" and char not in "\t\x85\x9f"):
            continue  # no surrogates (UTF-8 cannot hold them), no NUL (a binary file is refused)
        bucket = seen.setdefault(category, [])
        if len(bucket) < per_category:
            bucket.append(char)
    return " ".join("".join(chars) for _, chars in sorted(seen.items()))


def hostile_documents() -> dict[str, str]:
    """File name -> text of each hostile document (Markdown unless the name says otherwise)."""
    intro = "Hostile test document. The lab will create 12 jobs with 5 million dollars of funding. "
    return {
        "dots.md": intro + "Wait" + "." * 16_000 + " and more" + "." * 12_000 + "\n",
        "punctuation.md": intro + "!?" * 8_000 + " " + "…" * 10_000 + " " + "-" * 20_000 + " " + ", " * 8_000,
        "digits.md": intro + "1" * 20_000 + " " + "1," * 10_000 + " " + "1." * 10_000 + " dollars\n",
        "spaces.md": intro + "A" + " " * 20_000 + "; B" + "\t" * 5_000 + "C\n",
        "capitals.md": intro + "A" * 20_000 + " " + "Ab" * 10_000 + " " + "Aa " * 5_000 + "\n",
        "brackets.md": intro + "(" * 10_000 + "x" + ")" * 10_000 + " " + "[" * 10_000 + "]" * 10_000 + "\n",
        "one-sentence.txt": "One very long sentence\n" + "word " * 210_000 + "\n",  # over 1 MB, no full stop
        "no-spaces.txt": "One long token\n" + "x" * 1_100_000 + "\n",
        "unicode.md": intro + unicode_sampler() + "\n",
        # Control characters between words (a file made mostly of them is refused as binary),
        # bidi overrides, zero-width spaces and a pile of combining accents.
        "controls.md": intro
        + " a word or two ".join(chr(c) for c in range(1, 32) if c not in (10, 13)) * 4
        + "\u202e" * 1000
        + "\u200b" * 1000
        + "a"
        + "\u0301" * 5000
        + "\n",
    }


def battery_doc_ids() -> list[str]:
    """The doc_ids the battery's files get (front matter for Markdown, the file name otherwise)."""
    return sorted(
        f"hostile-{name.removesuffix('.md')}" if name.endswith(".md") else name.rsplit(".", 1)[0]
        for name in hostile_documents()
    )


def write_battery(folder: Path) -> list[Path]:
    """Write the battery as files under ``folder`` (front matter gives each a doc_id)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in hostile_documents().items():
        path = folder / name
        if name.endswith(".md"):
            doc_id = "hostile-" + name.removesuffix(".md")
            text = f"---\ndoc_id: {doc_id}\ntitle: Hostile {name}\n---\n{text}"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--repeat", type=int, default=3, help="times each question is asked")
    args = parser.parse_args()

    from ingest.pipeline import ingest_paths
    from qa.index.store import Filters
    from qa.service import build_service
    from qa.settings import Settings
    from qa.text import sentence_spans

    for dots in (4_000, 16_000, 64_000):
        started = time.perf_counter()
        sentence_spans("Wait" + "." * dots + " next")
        print(f"sentence_spans on {dots:,} dots: {(time.perf_counter() - started) * 1000:.1f} ms")

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", _env_file=None)  # type: ignore[call-arg]
        service = build_service(settings)
        battery = write_battery(Path(tmp) / "hostile")
        started = time.perf_counter()
        report = ingest_paths([args.corpus, *battery], service.store, service.lexical)
        print(
            f"ingest of corpus + {len(battery)} hostile files: {time.perf_counter() - started:.1f} s, "
            f"{report.chunks_written} chunks, failures: {[str(f) for f in report.failures]}"
        )
        service.warm_up()
        worst = (0.0, "")
        for doc_id in [*battery_doc_ids(), None]:
            filters = Filters(doc_ids=[doc_id]) if doc_id else None
            times = []
            for question in QUESTIONS:
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    service.ask(question, filters=filters)
                    times.append(time.perf_counter() - started)
            label = doc_id or "(whole store)"
            median = sorted(times)[len(times) // 2]
            print(f"{label:28} max {max(times) * 1000:7.1f} ms   median {median * 1000:6.1f} ms")
            worst = max(worst, (max(times), label))
        print(f"worst question latency with hostile documents in the store: {worst[0] * 1000:.1f} ms")
        print(f"  (on {worst[1]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
