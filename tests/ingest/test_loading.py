"""Loading corpus files: formats, metadata, defaults, and one clear failure per broken file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingest import loading
from ingest.loading import discover_files, load_article, load_articles
from qa.errors import ArticleError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SEED_CANDIDATES = [
    PROJECT_ROOT / "corpus" / "openai-for-singapore.md",
    PROJECT_ROOT.parent / "shared" / "seeds" / "openai-for-singapore.txt",
]
# The seed's page furniture: a French newsletter block under the title and a site tagline.
SEED_FURNITURE = [
    "Le brief IA que les pros lisent chaque soir",
    "Les 7 actus IA du jour, décryptées en 5 min. Gratuit.",
    "Inclus dès l'inscription : notre sélection des meilleurs guides & comparatifs IA.",
    "Choisis ton rythme",
    "Gratuit · Pas de spam · Désabonnement en 1 clic",
    "Brief IA — L'actualité IA en français",
    "L'essentiel de l'actualité de l'intelligence artificielle, décrypté et expliqué chaque jour.",
]

HTML_PAGE = """<!DOCTYPE html>
<html lang="en"><head><title>Acme opens lab in Lyon | Acme News</title>
<meta property="og:url" content="https://news.example.com/acme-lyon">
<meta name="date" content="2024-05-14">
</head><body>
<header><nav><a href="/">Home</a> <a href="/news">News</a> <a href="/about">About us</a></nav></header>
<div class="cookie-banner">We use cookies to improve your experience. <button>Accept all</button></div>
<main><article>
<h1>Acme opens research lab in Lyon</h1>
<p>Acme announced on Tuesday that it will open a research laboratory in Lyon, France.</p>
<p>The lab will employ 120 engineers by 2026 and focus on battery chemistry.</p>
<h2>Partnership with universities</h2>
<p>“We chose Lyon for its universities and its talent,” said Jane Doe, chief executive of Acme.</p>
<p>The company has 2 million subscribers. The service is free for schools until 2026.</p>
</article></main>
<aside><h3>Related articles</h3><ul><li><a href="/x">Other story</a></li></ul></aside>
<footer><p>© 2024 Acme News. All rights reserved.</p><p>Subscribe to our newsletter</p></footer>
</body></html>
"""


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def paragraphs(text: str) -> list[str]:
    return text.split("\n\n")


# --- Markdown --------------------------------------------------------------------------------


def test_front_matter_fields_and_extra(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.md",
        "---\ndoc_id: acme-lyon\ntitle: Acme in Lyon\nsource: Acme News\ndate: 2024-05-14\n"
        "url: https://example.com/a\ntags: [lab, france]\nupdated: 2024-06-01\n---\n"
        "# Heading\n\nAcme opens a lab.\n",
    )
    article = load_article(path, tmp_path)
    assert article.doc_id == "acme-lyon"
    assert article.title == "Acme in Lyon"
    assert article.source == "Acme News"
    assert article.date == "2024-05-14"  # a YAML date object
    assert article.url == "https://example.com/a"
    assert article.extra == {"tags": ["lab", "france"], "updated": "2024-06-01"}
    assert article.text == "Heading\n\nAcme opens a lab."
    assert article.path == "a.md"


def test_defaults_doc_id_from_path_and_title_from_first_heading(tmp_path: Path) -> None:
    path = write(
        tmp_path / "news" / "2024" / "acme.md", "Intro line.\n\n## Acme Opens a Lab ##\n\nBody text.\n"
    )
    article = load_article(path, tmp_path)
    assert article.doc_id == "news/2024/acme"
    assert article.path == "news/2024/acme.md"
    assert article.title == "Acme Opens a Lab"
    assert article.text == "Intro line.\n\nAcme Opens a Lab\n\nBody text."


def test_title_falls_back_to_first_line(tmp_path: Path) -> None:
    article = load_article(write(tmp_path / "a.md", "First line here\nsecond line\n"), tmp_path)
    assert article.title == "First line here"


def test_heading_markers_inside_code_fences_are_kept(tmp_path: Path) -> None:
    text = "# Title\n\n```\n# a shell comment\n```\n"
    article = load_article(write(tmp_path / "a.md", text), tmp_path)
    assert "# a shell comment" in article.text


def test_iso_date_string_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path / "a.md", "---\ndate: '2024-05-14T09:30:00+08:00'\n---\nBody.\n")
    assert load_article(path, tmp_path).date == "2024-05-14T09:30:00+08:00"


def test_invalid_date_names_the_field(tmp_path: Path) -> None:
    path = write(tmp_path / "a.md", "---\ndate: May 14th\n---\nBody.\n")
    with pytest.raises(ArticleError, match="'date' is not an ISO 8601 date"):
        load_article(path, tmp_path)


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "a.md", "---\ntitle: ok\ntags: [unclosed\n---\nBody.\n")
    with pytest.raises(ArticleError, match=r"not valid YAML \(line \d+") as info:
        load_article(path, tmp_path)
    assert info.value.path == str(path)


def test_unclosed_front_matter_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ArticleError, match="never closed"):
        load_article(write(tmp_path / "a.md", "---\ntitle: x\nBody.\n"), tmp_path)


def test_field_of_the_wrong_type_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ArticleError, match="'title' must be text"):
        load_article(write(tmp_path / "a.md", "---\ntitle: [a, b]\n---\nBody.\n"), tmp_path)


def test_front_matter_without_body_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ArticleError, match="no text after the front matter"):
        load_article(write(tmp_path / "a.md", "---\ntitle: x\n---\n\n"), tmp_path)


def test_utf8_bom_is_stripped(tmp_path: Path) -> None:
    path = write(tmp_path / "a.md", "\ufeff---\ntitle: BOM\n---\nBody.\n".encode())
    article = load_article(path, tmp_path)
    assert (article.title, article.text) == ("BOM", "Body.")


# --- plain text and HTML -------------------------------------------------------------------------


def test_txt_lines_become_paragraphs(tmp_path: Path) -> None:
    path = write(tmp_path / "note.txt", "A Title\r\nFirst paragraph.   \r\nSecond paragraph.\r\n")
    article = load_article(path, tmp_path)
    assert article.title == "A Title"
    assert article.doc_id == "note"
    assert article.text == "A Title\n\nFirst paragraph.\n\nSecond paragraph."


def test_txt_with_blank_lines_keeps_its_paragraphs(tmp_path: Path) -> None:
    path = write(tmp_path / "note.txt", "Title\n\nA wrapped\nparagraph.\n\n\n\nLast.\n")
    assert load_article(path, tmp_path).text == "Title\n\nA wrapped\nparagraph.\n\nLast."


def test_html_main_text_without_furniture(tmp_path: Path) -> None:
    article = load_article(write(tmp_path / "page.html", HTML_PAGE), tmp_path)
    assert article.doc_id == "page"
    assert article.title == "Acme opens research lab in Lyon"
    assert article.date == "2024-05-14"
    assert article.url == "https://news.example.com/acme-lyon"
    for sentence in [
        "Acme announced on Tuesday that it will open a research laboratory in Lyon, France.",
        "The lab will employ 120 engineers by 2026 and focus on battery chemistry.",
        "Partnership with universities",
        "“We chose Lyon for its universities and its talent,” said Jane Doe, chief executive of Acme.",
        "The company has 2 million subscribers. The service is free for schools until 2026.",
    ]:
        assert sentence in paragraphs(article.text)
    for furniture in ["Home", "About us", "cookies", "Accept all", "Related articles", "rights reserved"]:
        assert furniture not in article.text
    assert "Subscribe to our newsletter" not in article.text


def test_html_without_main_text_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ArticleError, match="no main text found in HTML"):
        load_article(
            write(tmp_path / "empty.htm", "<html><body><script>x()</script></body></html>"), tmp_path
        )


# --- broken files --------------------------------------------------------------------------------


def test_broken_files_are_reported_and_good_files_load(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write(corpus / "good.md", "# Good\n\nA good article.\n")
    write(corpus / "sub" / "good.txt", "Another good one\nWith a sentence.\n")
    write(corpus / ".hidden.md", "ignored")
    write(corpus / ".git" / "x.md", "ignored")
    broken = {
        "binary.md": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary content"),
        "latin1.txt": ("Café au lait.\n".encode("latin-1"), "not valid UTF-8 (byte 0xe9 at offset 3)"),
        "utf16.txt": ("Hello".encode("utf-16"), "UTF-16"),
        "controls.txt": (b"\x01\x02\x03\x04 text \x05\x06", "binary content"),
        "empty.md": (b"", "file is empty"),
        "blank.txt": (b"  \n\t\n  ", "only whitespace"),
        "bad-yaml.md": (b"---\ntitle: [x\n---\nBody.\n", "not valid YAML"),
        "list.md": (b"---\n- a\n- b\n---\nBody.\n", "must be a mapping"),
        "notes.pdf": (b"%PDF-1.4", "unsupported file type '.pdf'"),
        "big.md": (b"x" * 2_000, "over the 1,000-byte limit"),
    }
    for name, (content, _) in broken.items():
        write(corpus / name, content)
    (corpus / "sub" / "loop").symlink_to(corpus, target_is_directory=True)
    (corpus / "self").symlink_to(corpus / "self")
    (corpus / "dangling.md").symlink_to(corpus / "missing.md")

    result = load_articles([corpus, tmp_path / "nope"], max_bytes=1_000)

    assert sorted(a.doc_id for a in result.articles) == ["good", "sub/good"]
    reasons = {Path(f.path).name: f.reason for f in result.failures}
    for name, (_, expected) in broken.items():
        assert expected in reasons[name], (name, reasons.get(name))
    assert "symbolic link loop" in reasons["loop"]
    assert "symbolic link loop" in reasons["self"]
    assert "broken symbolic link" in reasons["dangling.md"]
    assert "no such file or directory" in reasons["nope"]
    assert all(str(f).startswith(f.path) for f in result.failures)
    assert len(result.failures) == len(broken) + 4


def test_duplicate_doc_id_names_both_files(tmp_path: Path) -> None:
    first = write(tmp_path / "a.md", "---\ndoc_id: same\n---\nFirst.\n")
    second = write(tmp_path / "b.md", "---\ndoc_id: same\n---\nSecond.\n")
    result = load_articles([tmp_path])
    assert [a.path for a in result.articles] == ["a.md"]
    [failure] = result.failures
    assert failure.path == str(second)
    assert "duplicate doc_id 'same'" in failure.reason and str(first) in failure.reason


def test_discovery_is_sorted_and_roots_are_the_given_paths(tmp_path: Path) -> None:
    for name in ["b.md", "a/z.txt", "a/b.html", "c.markdown"]:
        write(tmp_path / "corpus" / name, "x")
    single = write(tmp_path / "other" / "one.md", "x")
    files, failures = discover_files([tmp_path / "corpus", single])
    assert failures == []
    corpus = tmp_path / "corpus"
    assert files == [
        (corpus / "a" / "b.html", corpus),
        (corpus / "a" / "z.txt", corpus),
        (corpus / "b.md", corpus),
        (corpus / "c.markdown", corpus),
        (single, single.parent),
    ]


def test_same_file_given_twice_is_listed_once(tmp_path: Path) -> None:
    path = write(tmp_path / "a.md", "x")
    files, _ = discover_files([tmp_path, path])
    assert files == [(path, tmp_path)]


def test_unsupported_file_given_directly(tmp_path: Path) -> None:
    _, failures = discover_files([write(tmp_path / "x.docx", "x")])
    assert "unsupported file type '.docx'" in failures[0].reason


def test_taglines_repeated_across_the_corpus_are_removed(tmp_path: Path) -> None:
    tagline = "Acme Newsroom — every story from Acme"
    for i in range(3):
        write(tmp_path / f"{i}.txt", f"Story {i}\nSomething happened on day {i}.\n{tagline}\n")
    result = load_articles([tmp_path])
    assert [a.text for a in result.articles] == [
        f"Story {i}\n\nSomething happened on day {i}." for i in range(3)
    ]


# --- the seed article ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SEED_CANDIDATES, ids=["corpus-md", "shared-seed-txt"])
def test_seed_article_keeps_every_english_paragraph(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"seed article not found at {path}")
    raw = path.read_text(encoding="utf-8")
    if raw.startswith("---\n"):
        raw = raw.split("\n---\n", 1)[1]  # the seed's own lines, after any front matter
    seed_lines = [line.strip() for line in raw.splitlines() if line.strip()]
    article = load_article(path, path.parent)

    assert article.title == seed_lines[0]
    kept = paragraphs(article.text)
    for line in seed_lines:
        if line in SEED_FURNITURE:
            assert line not in article.text
        else:
            assert line in kept, f"seed paragraph lost: {line[:60]!r}"


def test_unreadable_paths_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ArticleError, match="cannot read file"):
        load_article(tmp_path / "missing.md", tmp_path)
    (tmp_path / "folder.md").mkdir()
    with pytest.raises(ArticleError, match="not a regular file"):
        load_article(tmp_path / "folder.md", tmp_path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_named_pipe_is_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.md")
    files, failures = discover_files([tmp_path])
    assert files == []
    assert "not a regular file" in failures[0].reason


@pytest.mark.parametrize(("raw", "iso"), [("Jan 22, 2021", "2021-01-22"), ("21 July 2025", "2025-07-21")])
def test_common_human_dates_are_accepted(tmp_path: Path, raw: str, iso: str) -> None:
    path = write(tmp_path / "a.md", f"---\ndate: '{raw}'\n---\nBody.\n")
    assert load_article(path, tmp_path).date == iso


@pytest.mark.parametrize(
    "front_matter",
    [
        "nested: " + "[" * 2000 + "]" * 2000,  # flow style
        "a:\n" + "".join(" " * (2 * i) + f"k{i}:\n" for i in range(1, 60)),  # block style, indented
    ],
)
def test_deep_front_matter_is_refused_before_it_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, front_matter: str
) -> None:
    def no_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the YAML parser was run")

    monkeypatch.setattr(loading.yaml, "load", no_parse)
    path = tmp_path / "deep.md"
    path.write_text(f"---\n{front_matter}\n---\nBody.\n", encoding="utf-8")
    with pytest.raises(ArticleError, match="nested too deeply"):
        load_article(path, tmp_path)


def test_front_matter_nested_within_the_limit_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "ok.md"
    path.write_text(
        "---\ntags: [[a, b], {c: [d]}]\nextra:\n  owner:\n    team: news\n---\nBody.\n", encoding="utf-8"
    )
    assert load_article(path, tmp_path).extra["tags"] == [["a", "b"], {"c": ["d"]}]
