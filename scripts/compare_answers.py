"""Compare two `qa eval --out` runs question by question: same outcome, answer, form, confidence
and citations? Prints each difference; exits 1 when there is any.

    python scripts/compare_answers.py RUN_A/results.jsonl RUN_B/results.jsonl
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

FIELDS = ("outcome", "answer", "abstained", "form", "confidence")


def _rows(path: Path) -> dict[str, dict[str, Any]]:
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {row["id"]: row for row in rows}


def _citations(row: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (c.get("chunk_id"), c.get("start"), c.get("end"), c.get("answer_start")) for c in row["citations"]
    ]


def main() -> int:
    a, b = (_rows(Path(p)) for p in sys.argv[1:3])
    differences = 0
    for qid in sorted(a.keys() | b.keys()):
        if qid not in a or qid not in b:
            print(f"{qid}: only in {'first' if qid in a else 'second'} run")
            differences += 1
            continue
        changed = [f for f in FIELDS if a[qid].get(f) != b[qid].get(f)]
        if _citations(a[qid]) != _citations(b[qid]):
            changed.append("citations")
        if changed:
            differences += 1
            print(f"{qid}: {', '.join(f'{f}: {a[qid].get(f)!r} -> {b[qid].get(f)!r}' for f in changed)}")
    same = len(a.keys() & b.keys()) - differences
    print(f"{same} of {len(a.keys() | b.keys())} questions identical ({', '.join(FIELDS)}, citations)")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
