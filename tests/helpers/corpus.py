"""The project's corpus as test data, and settings that ignore the environment."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from qa.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
CORPUS_DIR = ROOT / "corpus"
CORPUS_DOCS = 19
SEED = "openai-for-singapore"
# Three articles of corpus/ (the seed among them): enough for a store with a real server behind it.
SMALL_CORPUS = (
    "openai-for-singapore.md",
    "auralis-singapore-health-ai.md",
    "sorell-tokyo-ai-drug-discovery-lab.txt",
)


def copy_corpus(folder: Path, names: tuple[str, ...] = SMALL_CORPUS) -> Path:
    """``folder`` holding copies of the named files of corpus/ (created if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(CORPUS_DIR / name, folder / name)
    return folder


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings with a private data dir, ignoring any .env file. Uploads are prepared in this
    process unless asked otherwise: apps in tests get injected services, whose (fake) models a
    worker process would not have."""
    overrides.setdefault("ingest_worker", False)
    return Settings(data_dir=data_dir, _env_file=None, **overrides)


def alias_bomb(levels: int = 9) -> str:
    """A kilobyte of front matter whose nested YAML aliases would expand to 10**levels values."""
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, levels)]
    return "---\n" + "\n".join(lines) + "\n---\nBody.\n"
