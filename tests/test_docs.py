"""The README says what the code does: every setting with its real default, the test command CI
runs, and a Layout table that matches the tree."""

from __future__ import annotations

import fnmatch
import os
import re
import shlex

import pytest
from pydantic import SecretStr

from qa.settings import Settings
from tests.helpers.corpus import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    """The README's text under the ``## title`` heading, up to the next one."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.MULTILINE | re.DOTALL)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def table_rows(text: str) -> list[list[str]]:
    """The cells of each body row of the Markdown tables in ``text`` (header and rule left out)."""
    rows = []
    for line in text.splitlines():
        if not line.startswith("|") or set(line) <= set("|-: "):
            continue
        rows.append([cell.strip() for cell in line.strip().strip("|").split(" | ")])
    return [row for row in rows if row[0] not in ("setting", "path")]


def code(cell: str) -> str:
    """The text of a cell that is one `code` span."""
    match = re.fullmatch(r"`([^`]*)`", cell)
    assert match, f"expected one `code` span, got {cell!r}"
    return match.group(1)


# -- settings -----------------------------------------------------------------------------------
def documented_defaults() -> dict[str, str]:
    """QA_ variable -> its default as the README's settings table writes it ("" for "empty")."""
    rows = table_rows(section("Settings"))
    return {code(name): "" if default == "empty" else code(default) for name, default, _ in rows}


def test_the_settings_table_lists_exactly_the_settings() -> None:
    fields = {f"QA_{name.upper()}" for name in Settings.model_fields}
    assert set(documented_defaults()) == fields


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_each_documented_default_is_the_real_default(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Set the variable to what the README says the default is: the setting must come out as
    # its real default, read the way a user's environment is read.
    for variable in [v for v in os.environ if v.startswith("QA_")]:
        monkeypatch.delenv(variable)
    documented = documented_defaults().get(f"QA_{name.upper()}")
    assert documented is not None, f"QA_{name.upper()} is not in the README's settings table"
    monkeypatch.setenv(f"QA_{name.upper()}", documented)
    read = getattr(Settings(_env_file=None), name)  # type: ignore[call-arg]
    default = Settings.model_fields[name].get_default(call_default_factory=True)
    if isinstance(default, SecretStr):
        read, default = read.get_secret_value(), default.get_secret_value()
    assert read == default, f"README says QA_{name.upper()} defaults to {documented!r}; it is {default!r}"


# -- the test command ---------------------------------------------------------------------------
def commands(script: str) -> list[str]:
    """The command lines of a shell script or code block (no comments, blanks or shell setup)."""
    lines = [line.split(" #")[0].strip() for line in script.splitlines()]
    return [line for line in lines if line and not line.startswith(("#", "set ", "cd "))]


def readme_block_after(label: str) -> list[str]:
    match = re.search(rf"\*\*{re.escape(label)}\*\*.*?```bash\n(.*?)```", README, re.DOTALL)
    assert match, f"README has no bash block after **{label}**"
    return commands(match.group(1))


def test_ci_runs_the_readmes_test_command_first() -> None:
    ci = commands((ROOT / ".ci" / "run").read_text(encoding="utf-8"))
    assert readme_block_after("Run the tests") == ["bash scripts/test.sh"]
    assert ci[0] == "bash scripts/test.sh"


def test_the_test_command_sets_up_then_runs_the_fast_and_the_slow_set() -> None:
    script = commands((ROOT / "scripts" / "test.sh").read_text(encoding="utf-8"))
    assert script[0] == "bash scripts/setup.sh --browser"
    pytest_runs = [shlex.split(line) for line in script if line.split()[0] == "run"]
    selections = [run[run.index("-m") + 1] if "-m" in run else "(default)" for run in pytest_runs]
    assert selections == ["(default)", "slow"]
    # The default selection is the fast set, so the two runs together are every test.
    addopts = re.search(r"^addopts = \"(.*)\"$", (ROOT / "pyproject.toml").read_text(), re.MULTILINE)
    assert addopts and "-m 'not slow'" in addopts.group(1)
    assert "--durations=15" in script[next(i for i, line in enumerate(script) if line.startswith("run()"))]


def test_the_main_job_command_exists() -> None:
    assert readme_block_after("Run the main job") == ["bash scripts/serve.sh"]
    assert (ROOT / "scripts" / "serve.sh").is_file()


# -- layout -------------------------------------------------------------------------------------
def ignored(name: str) -> bool:
    patterns = [p.rstrip("/") for p in (ROOT / ".gitignore").read_text().split() if not p.startswith("#")]
    return name.startswith(".") or any(fnmatch.fnmatch(name, pattern) for pattern in patterns)


def test_the_layout_table_matches_the_tree() -> None:
    listed = [code(path) for path, _ in table_rows(section("Layout"))]
    missing = [path for path in listed if not (ROOT / path).exists()]
    assert missing == [], "the Layout table names paths that do not exist"
    folders = sorted(p.name + "/" for p in ROOT.iterdir() if p.is_dir() and not ignored(p.name))
    unlisted = [folder for folder in folders if folder not in listed]
    assert unlisted == [], "top-level folders missing from the README's Layout table"
    # Folders under tests/ other than the packages' mirrors are listed too.
    mirrors = {"tests/qa/", "tests/api/", "tests/ingest/", "tests/bench/"}
    folders = [f"tests/{p.name}/" for p in (ROOT / "tests").iterdir() if p.is_dir() and not ignored(p.name)]
    assert sorted(f for f in folders if f not in mirrors and f not in listed) == []
