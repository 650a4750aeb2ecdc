from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.errors import TestSetError
from qa.evaluation.testset import load_testset

GOOD = {"id": "q1", "question": "How many jobs?", "answers": ["200"], "doc_ids": ["lab"], "answerable": True}
UNANSWERABLE = {"id": "q2", "question": "What salary?", "answers": [], "doc_ids": [], "answerable": False}


def write(tmp_path: Path, *lines: object) -> Path:
    path = tmp_path / "tests.jsonl"
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def test_loads_cases_and_keeps_extra_fields(tmp_path: Path) -> None:
    path = write(tmp_path, {**GOOD, "type": "quantity", "meta": {"source": "x"}}, "", UNANSWERABLE)
    cases, problems = load_testset(path)
    assert problems == []
    assert [c.id for c in cases] == ["q1", "q2"]
    assert cases[0].extra == {"type": "quantity", "meta": {"source": "x"}}
    assert cases[0].type == "quantity"
    assert cases[1].type == ""
    assert cases[1].answerable is False


def test_reads_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_text(json.dumps(GOOD), encoding="utf-8-sig")
    assert load_testset(path)[0][0].id == "q1"


def test_malformed_lines_are_reported_with_line_numbers_and_skipped(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        GOOD,  # 1
        '{"id": "bad json",',  # 2
        [1, 2],  # 3
        {k: v for k, v in GOOD.items() if k != "question"} | {"id": "q3"},  # 4
        GOOD | {"id": "q4", "answers": "200"},  # 5
        GOOD | {"id": "q5", "answerable": "yes"},  # 6
        GOOD | {"id": 7},  # 7
        GOOD | {"id": "q8", "answers": []},  # 8
        UNANSWERABLE | {"id": "q9", "answers": ["x"]},  # 9
        GOOD | {"id": "q10", "answers": ["the"]},  # 10
        UNANSWERABLE,  # 11
    )
    cases, problems = load_testset(path)
    assert [c.id for c in cases] == ["q1", "q2"]
    by_line = {p.line: p.message for p in problems}
    assert sorted(by_line) == [2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert "invalid JSON" in by_line[2]
    assert "JSON object" in by_line[3]
    assert "missing field(s): question" in by_line[4]
    assert by_line[5].startswith("answers:")
    assert by_line[6].startswith("answerable:")
    assert by_line[7].startswith("id:")
    assert "at least one answer" in by_line[8]
    assert "unanswerable question lists answers" in by_line[9]
    assert "empty once normalised" in by_line[10]
    assert str(problems[0]).startswith("line 2: ")


def test_strict_mode_raises_on_the_first_malformed_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD, "not json", UNANSWERABLE)
    with pytest.raises(TestSetError, match=r"tests\.jsonl:2: invalid JSON"):
        load_testset(path, strict=True)


def test_duplicate_id_names_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD, UNANSWERABLE, GOOD | {"question": "Again?"})
    with pytest.raises(TestSetError, match=r"duplicate id 'q1' on lines 1 and 3"):
        load_testset(path)


def test_empty_test_set_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(TestSetError, match="no valid questions"):
        load_testset(write(tmp_path, ""))


def test_only_malformed_lines_is_an_error_that_shows_the_first(tmp_path: Path) -> None:
    with pytest.raises(TestSetError, match=r"2 malformed lines, first line 1: invalid JSON"):
        load_testset(write(tmp_path, "{", "[]"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TestSetError, match="test set not found"):
        load_testset(tmp_path / "nope.jsonl")
