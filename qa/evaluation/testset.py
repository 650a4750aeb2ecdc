"""Test sets: JSONL, one question a line, validated line by line.

    {"id": "q1", "question": "...", "answers": ["..."], "doc_ids": ["..."], "answerable": true}

Other fields are kept in ``TestCase.extra``; a string ``type`` field names the answer type the
report groups its chart by. Blank lines are skipped.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, StrictBool, StrictStr, ValidationError

from qa.errors import TestSetError
from qa.evaluation.metrics import normalize_answer

REQUIRED_FIELDS = ("id", "question", "answers", "doc_ids", "answerable")
SPLITS = ("dev", "heldout", "mixed")
HELDOUT_SHARE = 3  # one document group in three is held out
# Passages of one source ("story-p0", "story-p1") are one document group: they are split together.
_PART = re.compile(r"-[a-z]\d+$")


def document_split(doc_id: str) -> str:
    """ "heldout" for one document group in three (by a hash of its id, so stable and blind), else "dev"."""
    group = _PART.sub("", doc_id)
    return "heldout" if int(hashlib.sha256(group.encode()).hexdigest(), 16) % HELDOUT_SHARE == 0 else "dev"


class TestCase(BaseModel):
    """One question of a test set, with its acceptable answers and gold documents."""

    __test__ = False  # not a pytest test class

    id: StrictStr = Field(min_length=1)
    question: StrictStr = Field(min_length=1)
    answers: list[StrictStr]
    doc_ids: list[StrictStr]
    answerable: StrictBool
    extra: dict[str, Any] = Field(default_factory=dict)

    @property
    def type(self) -> str:
        """The answer type given by the test set's ``type`` field, or ""."""
        value = self.extra.get("type")
        return value if isinstance(value, str) else ""

    @property
    def kind(self) -> str:
        """ "open" or "factoid": the test set's ``kind`` field, else "open" for ``type`` "open"."""
        value = self.extra.get("kind")
        if value in ("open", "factoid"):
            return str(value)
        return "open" if self.type == "open" else "factoid"

    @property
    def split(self) -> str:
        """ "dev" or "heldout" when all gold documents are in that split ("mixed" when they are not);
        an unanswerable question is split by its id."""
        splits = {document_split(d) for d in self.doc_ids} or {document_split(self.id)}
        return splits.pop() if len(splits) == 1 else "mixed"


class TestSetProblem(BaseModel):
    """A malformed line that was skipped: its 1-based number and what is wrong with it."""

    __test__ = False

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def load_testset(path: Path, strict: bool = False) -> tuple[list[TestCase], list[TestSetProblem]]:
    """Read a JSONL test set; return its cases and the malformed lines that were skipped.

    Raises TestSetError when the file cannot be read, when two lines share an id (naming both
    line numbers), when no valid question remains, and with ``strict`` on the first malformed line.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise TestSetError(f"test set not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TestSetError(f"cannot read test set {path}: {exc}") from exc
    cases: list[TestCase] = []
    problems: list[TestSetProblem] = []
    first_line_of: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            case = parse_case(line)
        except ValueError as exc:
            if strict:
                raise TestSetError(f"{path}:{number}: {exc}") from None
            problems.append(TestSetProblem(line=number, message=str(exc)))
            continue
        if case.id in first_line_of:
            raise TestSetError(
                f"{path}: duplicate id {case.id!r} on lines {first_line_of[case.id]} and {number}"
            )
        first_line_of[case.id] = number
        cases.append(case)
    if not cases:
        detail = f" ({len(problems)} malformed lines, first {problems[0]})" if problems else ""
        raise TestSetError(f"no valid questions in test set {path}{detail}")
    return cases, problems


def parse_case(line: str) -> TestCase:
    """One test-set line as a TestCase; raises ValueError saying what is wrong with it."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    missing = [name for name in REQUIRED_FIELDS if name not in data]
    if missing:
        raise ValueError(f"missing field(s): {', '.join(missing)}")
    fields = {name: data[name] for name in REQUIRED_FIELDS}
    extra = {name: value for name, value in data.items() if name not in REQUIRED_FIELDS}
    try:
        case = TestCase.model_validate({**fields, "extra": extra})
    except ValidationError as exc:
        raise ValueError("; ".join(_describe(error) for error in exc.errors())) from None
    _check_consistent(case)
    return case


def _describe(error: Any) -> str:
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']} (got {json.dumps(error['input'], ensure_ascii=False)[:60]})"


def _check_consistent(case: TestCase) -> None:
    if case.answerable and not case.answers:
        raise ValueError("an answerable question needs at least one answer in 'answers'")
    if not case.answerable and case.answers:
        raise ValueError(
            "an unanswerable question lists answers: set 'answerable' to true, or move them to another field"
        )
    for answer in case.answers:
        if not normalize_answer(answer):
            raise ValueError(f"answer {answer!r} is empty once normalised (articles and punctuation dropped)")
    if not case.question.strip():
        raise ValueError("question is blank")
