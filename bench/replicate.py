"""Real text at any size: given passages replicated, with their names changed in every copy.

The generated corpus (make_corpus.py) is the benchmark's main text; this keeps a check on real
text beside it. The passages (Markdown files with front matter, such as the RGB development
set's ``corpus/``) are read at run time from the folder given and never copied into the project.
The first copy of each passage is written as it is (so a question set beside the passages keeps
its gold documents); every further copy has its names changed: each capitalised word that the
passages use as a name somewhere (after a lower-case word, as in "talks in Lagos") is replaced,
throughout that copy, by a made-up name from a pool generated from ``seed``. Copies therefore
differ from each other for BM25, the vectors and the ingest's repeated-line cleaning, and a run
is reproducible. A short line that has no name is still varied through its numbers, since a
line found verbatim in three documents is removed at ingest as a site tagline.

    python bench/make_corpus.py OUT --passages /work/shared/devsets/rgb/corpus --chunks 10000 --stats
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from make_corpus import QUESTIONS

PASSAGE_QUESTIONS = "tests.jsonl"  # the question set looked for beside the passages folder
SHORT_LINE_WORDS = 20  # as the ingest's repeated-line cleaning: shorter lines must differ per copy

_SYLLABLES = (
    "al ar ba bel cor dan dor el en fal fen gal hal har is kel kes lan lor mar mer nor nov "
    "or pel quil ran rav sel sor tal tes thal ul val vel ven wyn xan yor zel"
).split()
_WORD = re.compile(r"\b[A-Z][A-Za-z]+\b")
# A run of capitalised words right after a lower-case word or a comma: a name in running text.
_NAME_RUN = re.compile(r"\b[a-z]+,? ([A-Z][A-Za-z]+(?: [A-Z][A-Za-z]+)*)")
_NUMBER = re.compile(r"\d+")
# Capitalised words that are not names even mid-sentence (title-case headlines, dates).
_NOT_NAMES = frozenset(
    """A An And Are As At Be But By For From How If In Into Is It Its Of On Or Our Than That The
    Their There These They This To Was We Were What When Where Which Who Why Will With You Your
    I Me My He She His Her Not No New More Most Best Top Now Read Here Official Update Updated
    January February March April May June July August September October November December
    Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Monday Tuesday Wednesday Thursday Friday
    Saturday Sunday After Before During Since""".split()
)


class PassagesError(ValueError):
    """The passages folder cannot be replicated (missing, empty, unreadable): says what to fix."""


@dataclass(frozen=True)
class Passage:
    """One source passage: its metadata, cleaned text and chunk count as ingest would make them."""

    doc_id: str
    title: str
    source: str
    date: str
    url: str
    text: str
    chunks: int


@dataclass(frozen=True)
class Replicated:
    """What ``write_replicated`` wrote."""

    folder: Path
    documents: int
    chunks: int  # as the ingest's chunker counts them on the source passages
    copies: int  # the largest copy number written (0: the passages as they are)
    questions: int


def read_passages(folder: Path) -> list[Passage]:
    """Every Markdown passage in ``folder``, loaded and chunked as ingest would, in name order.

    A passage ingest would skip (no text left after cleaning, bad front matter) is skipped."""
    from ingest.loading import ArticleError, load_article
    from qa.index.chunking import chunk_article
    from qa.settings import Settings

    if not folder.is_dir():
        raise PassagesError(f"passages folder {folder} does not exist; give a folder of .md passages")
    files = sorted(folder.glob("*.md"))
    if not files:
        raise PassagesError(f"no .md passages in {folder}; give a folder of Markdown passages")
    defaults = Settings.model_fields
    size, overlap = defaults["chunk_size"].default, defaults["chunk_overlap"].default
    passages = []
    for file in files:
        try:
            article = load_article(file, folder)
        except ArticleError:
            continue
        chunks = len(chunk_article(article, size, overlap))
        passages.append(
            Passage(
                article.doc_id, article.title, article.source, article.date, article.url, article.text, chunks
            )
        )
    if not passages:
        raise PassagesError(f"none of the {len(files)} .md files in {folder} has text ingest would keep")
    return passages


def name_words(texts: list[str]) -> frozenset[str]:
    """The capitalised words used as names somewhere in ``texts`` (see the module docstring)."""
    found = {
        word
        for text in texts
        for run in _NAME_RUN.findall(text)
        for word in run.split()
        if word not in _NOT_NAMES
    }
    return frozenset(found)


def name_pool(seed: int, size: int = 4000) -> list[str]:
    """``size`` distinct made-up names, the same for a seed."""
    rng = random.Random(f"names:{seed}")
    pool: dict[str, None] = {}
    while len(pool) < size:
        pool["".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 2, 3)))).capitalize()] = None
    return list(pool)


def renamer(names: frozenset[str], pool: list[str], seed: int, copy: int) -> Callable[[str], str]:
    """A function that changes ``names`` in a text as copy ``copy`` does: each name always to the
    same made-up one within the copy (an all-capitals name stays in capitals), its numbers too."""
    chosen: dict[str, str] = {}

    def rename(match: re.Match[str]) -> str:
        word = match.group()
        if word not in names:
            return word
        if word not in chosen:
            chosen[word] = random.Random(f"{seed}:{copy}:{word}").choice(pool)
        return chosen[word].upper() if word.isupper() else chosen[word]

    def renumber(match: re.Match[str]) -> str:
        digits = match.group()
        rng = random.Random(f"{seed}:{copy}:{digits}")
        low = 10 ** (len(digits) - 1) if len(digits) > 1 else 0
        return str(rng.randint(low, 10 ** len(digits) - 1))

    def apply(text: str) -> str:
        lines = []
        for line in text.split("\n"):
            changed = _WORD.sub(rename, line)
            if changed == line and len(line.split()) < SHORT_LINE_WORDS:
                changed = _NUMBER.sub(renumber, line)
            lines.append(changed)
        return "\n".join(lines)

    return apply


def _document(passage: Passage, copy: int, rename: Callable[[str], str] | None) -> tuple[str, str]:
    """(doc_id, Markdown text) of copy ``copy`` of ``passage``."""
    doc_id = passage.doc_id if copy == 0 else f"{passage.doc_id}-copy{copy}"
    front: dict[str, Any] = {
        "doc_id": doc_id,
        "title": rename(passage.title) if rename else passage.title,
        "source": passage.source,
        "date": passage.date,
        "url": passage.url,
        "sample": True,
    }
    lines = ["---", *(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in front.items()), "---"]
    body = rename(passage.text) if rename else passage.text
    return doc_id, "\n".join(lines) + "\n\n" + body + "\n"


def _questions(passages: Path, doc_ids: set[str]) -> list[dict[str, Any]]:
    """The answerable questions of the set beside ``passages`` whose first gold passage is written."""
    path = passages.parent / PASSAGE_QUESTIONS
    if not path.is_file():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    keep = ("id", "question", "answers", "doc_ids")
    return [
        {key: row[key] for key in keep}
        for row in rows
        if row.get("answers") and row.get("doc_ids") and row["doc_ids"][0] in doc_ids
    ]


def write_replicated(out: Path, passages: Path, chunks: int, seed: int = 7) -> Replicated:
    """Write copies of the passages in ``passages`` into ``out`` until they hold at least ``chunks``
    chunks (passage by passage, copy after copy), and ``.questions.jsonl`` from the question set
    beside the passages folder, if it has one. Never writes into ``passages``."""
    if chunks < 1:
        raise PassagesError(f"chunks must be at least 1, got {chunks}")
    if out.resolve() == passages.resolve() or passages.resolve() in out.resolve().parents:
        raise PassagesError(f"write the copies outside the passages folder {passages}, not into {out}")
    source = read_passages(passages)
    names = name_words([p.title for p in source] + [p.text for p in source])
    pool = name_pool(seed)
    out.mkdir(parents=True, exist_ok=True)
    written: set[str] = set()
    total, copy, rename = 0, 0, None
    while total < chunks:
        for passage in source:
            doc_id, text = _document(passage, copy, rename)
            path = out / f"{doc_id}.md"
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
            written.add(doc_id)
            total += passage.chunks
            if total >= chunks:
                break
        else:
            copy += 1
            rename = renamer(names, pool, seed, copy)
    questions = _questions(passages, written)
    lines = "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions)
    (out / QUESTIONS).write_text(lines, encoding="utf-8")
    return Replicated(out, len(written), total, copy, len(questions))
