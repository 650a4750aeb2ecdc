"""The `qa` command: ingest summaries, stats, ask (text and JSON), and one-line errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from api.cli import app
from qa import service as service_module
from qa.index.embedding import SentenceTransformerEmbedder
from qa.service import QAService
from qa.settings import Settings, get_settings
from qa.types import Answer
from tests.helpers.corpus import CORPUS_DIR, CORPUS_DOCS

pytestmark = pytest.mark.slow

JOBS_IN_SINGAPORE = "How many jobs will the lab in Singapore create?"
SEED = "openai-for-singapore"

QA = str(Path(sys.executable).parent / "qa")
Invoke = Callable[..., Result]


def flat(text: str) -> str:
    """Rich wraps long lines at the console width; compare text with whitespace collapsed."""
    return " ".join(text.split())


@pytest.fixture
def qa(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> Iterator[Invoke]:
    """Run `qa ...` in-process with QA_* settings, sharing the session's loaded model."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in [k for k in os.environ if k.startswith("QA_")]:
        monkeypatch.delenv(name)
    monkeypatch.setattr(service_module, "build_embedder", lambda settings, threads=0: embedder)
    runner = CliRunner()

    def invoke(*args: str, **env: str) -> Result:
        get_settings.cache_clear()
        with monkeypatch.context() as patch:
            for key, value in env.items():
                patch.setenv(key, value)
            return runner.invoke(app, list(args))

    yield invoke
    get_settings.cache_clear()


@pytest.fixture
def corpus_env(corpus_service: QAService, corpus_settings: Settings) -> dict[str, str]:
    return {"QA_DATA_DIR": str(corpus_settings.data_dir)}


def assert_one_line_error(result: Result, *needles: str) -> str:
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    for needle in needles:
        assert needle in lines[0]
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    return lines[0]


def test_ingest_prints_a_summary_and_skips_unchanged_documents(qa: Invoke, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("openai-for-singapore.md", "tessellate-series-b.md"):
        shutil.copy(CORPUS_DIR / name, corpus / name)
    env = {"QA_DATA_DIR": str(tmp_path / "data")}
    first = qa("ingest", str(corpus), **env)
    assert first.exit_code == 0, first.output
    assert "2 new, 0 changed, 0 unchanged, 0 failed" in first.stdout
    assert "Ingest summary" in first.stdout
    second = qa("ingest", str(corpus), **env)
    assert second.exit_code == 0, second.output
    assert "0 new, 0 changed, 2 unchanged, 0 failed" in second.stdout
    assert "chunks written │ 0 │" in flat(second.stdout)
    # The default folder is QA_CORPUS_DIR.
    third = qa("ingest", QA_CORPUS_DIR=str(corpus), **env)
    assert "0 new, 0 changed, 2 unchanged, 0 failed" in third.stdout


def test_reingesting_the_corpus_changes_nothing(qa: Invoke, corpus_env: dict[str, str]) -> None:
    result = qa("ingest", str(CORPUS_DIR), **corpus_env)
    assert result.exit_code == 0, result.output
    assert f"0 new, 0 changed, {CORPUS_DOCS} unchanged, 0 failed" in result.stdout


def test_ingest_names_a_broken_file_and_exits_non_zero(qa: Invoke, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS_DIR / "tessellate-series-b.md", corpus)
    (corpus / "broken.md").write_text("---\ntitle: [unclosed\n---\nBody.\n", encoding="utf-8")
    result = qa("ingest", str(corpus), QA_DATA_DIR=str(tmp_path / "data"))
    assert result.exit_code not in (0, 1), result.output  # 1 is for errors; some files failed
    assert "broken.md" in result.stderr and "not valid YAML" in flat(result.stderr)
    assert "1 new, 0 changed, 0 unchanged, 1 failed" in result.stdout
    assert "Traceback" not in result.output


def test_stats(qa: Invoke, corpus_env: dict[str, str], corpus_service: QAService) -> None:
    result = qa("stats", **corpus_env)
    assert result.exit_code == 0, result.output
    out = flat(result.stdout)
    docs, chunks = corpus_service.store.counts()
    assert f"documents │ {docs} │" in out and f"chunks │ {chunks} │" in out
    assert "sentence-transformers/all-MiniLM-L6-v2" in out


def test_ask_prints_the_answer_and_its_citations(qa: Invoke, corpus_env: dict[str, str]) -> None:
    result = qa("ask", "How many jobs will the lab in Singapore create?", **corpus_env)
    assert result.exit_code == 0, result.output
    out = flat(result.stdout)
    first_line = result.stdout.splitlines()[0]
    assert "200" in first_line and "confidence" in first_line
    assert "[1] OpenAI and Singapore: A Strategic Partnership in AI (2025-05-21)" in out
    assert "over 200 technical positions" in out
    assert "openai-for-singapore" in out


def test_ask_json_is_an_answer(qa: Invoke, corpus_env: dict[str, str]) -> None:
    result = qa(
        "ask", "How many jobs will the lab in Singapore create?", "--json", "--top-k", "4", **corpus_env
    )
    assert result.exit_code == 0, result.output
    answer = Answer.model_validate(json.loads(result.stdout))
    assert not answer.abstained and "200" in answer.text
    assert answer.citations[0].doc_id == "openai-for-singapore"
    assert len(answer.retrieved_doc_ids) <= 4


def test_ask_errors_are_one_line(qa: Invoke, corpus_env: dict[str, str]) -> None:
    assert_one_line_error(qa("ask", "   ", **corpus_env), "question must not be empty")
    assert_one_line_error(
        qa("ask", "q", "--top-k", "0", **corpus_env), "top_k must be between 1 and 50, got 0"
    )


def test_an_invalid_setting_is_one_line(qa: Invoke) -> None:
    line = assert_one_line_error(qa("stats", QA_CHROMA_URL="localhost:8000"), "QA_CHROMA_URL")
    assert "http://" in line
    assert_one_line_error(qa("ask", "q", QA_TOP_K="many"), "QA_TOP_K")


def test_a_model_mismatch_says_how_to_reindex(qa: Invoke, tmp_path: Path) -> None:
    from qa.index.store import ChromaStore
    from tests.helpers.fakes import FakeEmbedder

    data = tmp_path / "data"
    ChromaStore(FakeEmbedder(), data).counts()  # a store built with another model
    assert_one_line_error(qa("stats", QA_DATA_DIR=str(data)), "qa ingest --reset")


# -- real processes: what a user sees, with no traceback ---------------------------------------


def run_qa(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    return subprocess.run([QA, *args], env={**clean, **env}, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("command", [["stats"], ["ask", "How many jobs?"], ["ingest", str(CORPUS_DIR)]])
def test_an_unreachable_server_is_one_error_line(command: list[str], tmp_path: Path) -> None:
    done = run_qa(*command, QA_CHROMA_URL="http://127.0.0.1:1", QA_DATA_DIR=str(tmp_path))
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert done.stderr.startswith("Error: the Chroma store cannot be reached")
    assert "Traceback" not in done.stderr


def test_an_invalid_setting_in_a_real_process(tmp_path: Path) -> None:
    done = run_qa("serve", QA_CHROMA_URL="localhost:8000", QA_DATA_DIR=str(tmp_path))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "Error: invalid setting QA_CHROMA_URL: Value error, QA_CHROMA_URL must start with http:// or "
        "https://, got 'localhost:8000'"
    ]


def test_serve_with_an_unreachable_store_fails_with_one_line(tmp_path: Path) -> None:
    done = run_qa("serve", QA_CHROMA_URL="http://127.0.0.1:1", QA_DATA_DIR=str(tmp_path), QA_PORT="1")
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("Error: the Chroma store cannot be reached")
    assert "Traceback" not in done.stderr


def test_eval_scores_several_test_sets_and_gates_on_thresholds(
    qa: Invoke, corpus_env: dict[str, str], tmp_path: Path
) -> None:
    jobs = {
        "id": "a1",
        "question": JOBS_IN_SINGAPORE,
        "answers": ["over 200"],
        "doc_ids": [SEED],
        "answerable": True,
    }
    funding = {
        "id": "b1",
        "question": "How much funding is behind OpenAI for Singapore?",
        "answers": ["300 million"],
        "doc_ids": [SEED],
        "answerable": True,
    }
    sets = []
    for name, case in (("a.jsonl", jobs), ("b.jsonl", funding)):
        (tmp_path / name).write_text(json.dumps(case) + "\n", encoding="utf-8")
        sets.append(str(tmp_path / name))
    passed = qa("eval", *sets, "--min-hit-at-k", "0.5", "--max-wrong-answer-rate=1", **corpus_env)
    assert passed.exit_code == 0, passed.output
    assert "Evaluation of 2 questions" in flat(passed.stdout)  # one from each set
    failed = qa("eval", *sets, "--min-hit-at-k", "1.01", **corpus_env)
    assert failed.exit_code == 1 and "below threshold" in failed.stderr and "hit" in failed.stderr
    unknown = qa("eval", *sets, "--most-accurate", "1", **corpus_env)
    assert unknown.exit_code != 0 and "unknown option --most-accurate" in flat(unknown.output)
