"""The real-text option of the benchmark: passages replicated with their names changed (bench/replicate.py)."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

from ingest.loading import load_articles
from qa.index.chunking import chunk_article
from tests.helpers.corpus import ROOT

sys.path.insert(0, str(ROOT / "bench"))

import make_corpus
import replicate
import run

# Synthetic passages (made up here): names mid-sentence, a sentence-start name, dates, numbers.
PASSAGES = {
    "p0": "The jury gave the Orvane Prize to Lisa Brandt in Kelmor on 3 March 2021. Brandt thanked them.",
    "p1": "Officials in Kelmor said the Dasto Group would open a plant. Dasto declined to comment.",
    "p2": "Prices rose 12 per cent in 2021, the statistics office said.",
}
NAMES = ("Orvane", "Lisa", "Brandt", "Kelmor", "Dasto", "Group")


def write_passages(folder: Path, bodies: dict[str, str] = PASSAGES) -> Path:
    folder.mkdir(parents=True)
    for doc_id, body in bodies.items():
        front = f'---\ndoc_id: "{doc_id}"\ntitle: "About {doc_id}"\nsource: "Test"\ndate: ""\nurl: ""\n---\n'
        (folder / f"{doc_id}.md").write_text(f"{front}\n{body}\n", encoding="utf-8")
    return folder


def loaded(folder: Path) -> dict[str, str]:
    result = load_articles([folder])
    assert result.failures == []
    return {a.doc_id: a.text for a in result.articles}


def snapshot(folder: Path) -> dict[str, str]:
    """Every file and folder under ``folder``, with a hash of each file's bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        for p in sorted(folder.rglob("*"))
    }


def test_copies_change_every_name_consistently_and_keep_the_rest(tmp_path: Path) -> None:
    passages = write_passages(tmp_path / "set" / "corpus")
    done = replicate.write_replicated(tmp_path / "out", passages, chunks=9, seed=7)
    texts = loaded(done.folder)
    assert sorted(texts) == [
        "p0",
        "p0-copy1",
        "p0-copy2",
        "p1",
        "p1-copy1",
        "p1-copy2",
        "p2",
        "p2-copy1",
        "p2-copy2",
    ]
    assert texts["p0"] == PASSAGES["p0"]  # the first copy as it is: a question set keeps its gold passages
    copy = texts["p0-copy1"]
    assert not any(name in copy for name in NAMES)
    assert copy.startswith("The jury gave the ") and "3 March 2021" in copy  # only names change
    # "Brandt" twice, "Kelmor" in two passages: one made-up name each throughout a copy.
    new_brandt = copy.split(" thanked")[0].split(". ")[-1]
    assert copy.count(new_brandt) == 2
    new_kelmor = copy.split(" on 3 March")[0].split(" in ")[-1]
    assert new_kelmor in texts["p1-copy1"]
    assert new_kelmor not in texts["p1-copy2"]  # copies differ from each other
    # A line without a name is varied through its numbers, or ingest would drop it as a repeated tagline.
    assert texts["p2-copy1"] != texts["p2"] != texts["p2-copy2"]
    assert "per cent in" in texts["p2-copy2"]


def test_the_requested_size_in_chunks_is_reached_and_no_more(tmp_path: Path) -> None:
    long = " ".join(
        f"Sentence {i} of the Vantor report was written in Kelmor by its staff." for i in range(40)
    )
    passages = write_passages(tmp_path / "corpus", {**PASSAGES, "p3": long})
    done = replicate.write_replicated(tmp_path / "out", passages, chunks=20)
    articles = load_articles([done.folder]).articles
    counts = [len(chunk_article(a)) for a in articles]
    assert counts[-1] > 1  # the long passage makes several chunks
    assert done.documents == len(articles) and done.chunks == sum(counts) >= 20
    written = sorted(articles, key=lambda a: (a.doc_id.partition("-copy")[2].zfill(3), a.doc_id))
    assert done.chunks - len(chunk_article(written[-1])) < 20  # the last document was needed


def test_the_same_seed_gives_the_same_files_and_another_seed_other_names(tmp_path: Path) -> None:
    passages = write_passages(tmp_path / "corpus")
    first = replicate.write_replicated(tmp_path / "a", passages, chunks=6, seed=3).folder
    again = replicate.write_replicated(tmp_path / "b", passages, chunks=6, seed=3).folder
    other = replicate.write_replicated(tmp_path / "c", passages, chunks=6, seed=4).folder
    assert snapshot(first) == snapshot(again)
    assert (first / "p0-copy1.md").read_text() != (other / "p0-copy1.md").read_text()
    assert (first / "p0.md").read_text() == (other / "p0.md").read_text()


def test_the_source_folder_is_left_untouched(tmp_path: Path) -> None:
    passages = write_passages(tmp_path / "set" / "corpus")
    (tmp_path / "set" / "tests.jsonl").write_text('{"id": "q"}\n', encoding="utf-8")
    before = snapshot(tmp_path / "set")
    replicate.write_replicated(tmp_path / "out", passages, chunks=10)
    assert snapshot(tmp_path / "set") == before
    with pytest.raises(replicate.PassagesError, match="outside the passages folder"):
        replicate.write_replicated(passages / "copies", passages, chunks=10)
    assert snapshot(tmp_path / "set") == before


def test_answerable_questions_with_a_written_gold_passage_are_kept(tmp_path: Path) -> None:
    passages = write_passages(tmp_path / "set" / "corpus")
    rows = [
        {"id": "q1", "question": "Who won the Orvane Prize?", "answers": ["Lisa Brandt"], "doc_ids": ["p0"]},
        {"id": "q2", "question": "Unanswerable?", "answers": [], "doc_ids": []},
        {"id": "q3", "question": "What rose?", "answers": ["Prices"], "doc_ids": ["p2"]},
    ]
    lines = "".join(json.dumps(row) + "\n" for row in rows)
    (tmp_path / "set" / replicate.PASSAGE_QUESTIONS).write_text(lines, encoding="utf-8")
    done = replicate.write_replicated(tmp_path / "out", passages, chunks=2)  # p0 and p1 only
    kept = [json.loads(line) for line in (done.folder / make_corpus.QUESTIONS).read_text().splitlines()]
    assert [q["id"] for q in kept] == ["q1"] and done.questions == 1


def test_a_missing_or_empty_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(replicate.PassagesError, match="does not exist"):
        replicate.write_replicated(tmp_path / "out", tmp_path / "nowhere", chunks=5)
    (tmp_path / "empty").mkdir()
    with pytest.raises(replicate.PassagesError, match=r"no \.md passages"):
        replicate.write_replicated(tmp_path / "out", tmp_path / "empty", chunks=5)
    blank = write_passages(tmp_path / "blank", {"p0": "   "})
    with pytest.raises(replicate.PassagesError, match="has text ingest would keep"):
        replicate.write_replicated(tmp_path / "out", blank, chunks=5)


def test_the_commands_reject_a_bad_passages_folder_before_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "nowhere")
    monkeypatch.setattr(sys, "argv", ["make_corpus.py", str(tmp_path / "out"), "--passages", missing])
    with pytest.raises(SystemExit):
        make_corpus.main()
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    monkeypatch.setattr(sys, "argv", ["run.py", "--passages", missing])
    with pytest.raises(SystemExit):
        run.parse_args()
    assert "does not exist" in capsys.readouterr().err


def test_make_corpus_writes_the_replicated_passages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    passages = write_passages(tmp_path / "corpus")
    out = tmp_path / "out"
    sys_argv = ["make_corpus.py", str(out), "--passages", str(passages), "--chunks", "4"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "argv", sys_argv)
        make_corpus.main()
    assert "wrote 4 documents" in capsys.readouterr().out
    assert sorted(loaded(out)) == ["p0", "p0-copy1", "p1", "p2"]
