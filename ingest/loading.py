"""Find corpus files and load them into cleaned `Article`s.

Formats: Markdown (``.md``, ``.markdown``) with optional YAML front matter, plain text
(``.txt``) and HTML (``.html``, ``.htm``; main text extracted with trafilatura, which never
touches the network here). A file that cannot be used becomes an `ArticleError` naming
the file and the reason; the other files still load.

Text decisions (``Article.text`` is what character offsets refer to):

* Markdown is kept as written except that ATX heading markers are removed
  (``## Lab`` becomes ``Lab``), so quotes never carry ``#``.
* Markdown or plain text without any blank line, and text extracted from HTML, get one
  paragraph per line (table rows and list items stay together); text with blank lines
  keeps its paragraphs.
* Everything then goes through `ingest.cleaning.clean_text`; `load_articles` also drops
  lines repeated across the corpus (site taglines and footers).
"""

from __future__ import annotations

import codecs
import errno
import logging
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import yaml

from ingest.cleaning import (
    PARAGRAPH_BREAK,
    clean_text,
    find_repeated_lines,
    lines_to_paragraphs,
    normalize_text,
    remove_lines,
)
from qa.errors import ArticleError
from qa.types import Article

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
SUPPORTED_SUFFIXES = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".html": "html",
    ".htm": "html",
}
_SUPPORTED_LIST = ", ".join(SUPPORTED_SUFFIXES)
_MAX_CONTROL_SHARE = 0.05
_MAX_TITLE_CHARS = 150

_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n(.*?)^(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S | re.M)
_HEADING_RE = re.compile(r"^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_FENCE_RE = re.compile(r"^ {0,3}(```|~~~)")
_PARTIAL_DATE_RE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2]))?$")


@dataclass
class LoadResult:
    """What `load_articles` produced: the articles, and the files it had to skip."""

    articles: list[Article] = field(default_factory=list)
    failures: list[ArticleError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # loaded, but something was dropped (a URL)


# --- discovery ---------------------------------------------------------------------------


def discover_files(paths: Sequence[Path]) -> tuple[list[tuple[Path, Path]], list[ArticleError]]:
    """Expand files and directories into ``(file, corpus_root)`` pairs, in a stable order.

    A directory is walked recursively in name order and is the root of its files; a file
    given directly has its parent as root. Hidden files and directories (``.name``) inside
    a directory are skipped silently. Symbolic links are followed, but a directory is
    scanned once only, so a link loop is reported instead of followed; a file reached twice
    is listed once. Missing paths, broken links and unsupported file types are returned as
    `ArticleError`s.
    """
    found: list[tuple[Path, Path]] = []
    failures: list[ArticleError] = []
    scanned_dirs: set[str] = set()
    listed_files: set[str] = set()

    def add_file(path: Path, root: Path) -> None:
        suffix = path.suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            failures.append(ArticleError(str(path), _unsupported(path)))
            return
        real = os.path.realpath(path)
        if real not in listed_files:
            listed_files.add(real)
            found.append((path, root))

    def walk(directory: Path, root: Path) -> None:
        real = os.path.realpath(directory)
        if real in scanned_dirs:
            what = "symbolic link loop" if directory.is_symlink() else "directory scanned twice"
            failures.append(ArticleError(str(directory), f"{what}: {real} was already scanned; skipped"))
            return
        scanned_dirs.add(real)
        try:
            names = sorted(os.listdir(directory))
        except OSError as exc:
            failures.append(ArticleError(str(directory), f"cannot list directory: {exc.strerror or exc}"))
            return
        for name in names:
            if not name.startswith("."):
                visit(directory / name, root)

    def visit(path: Path, root: Path | None) -> None:
        try:
            mode = path.stat().st_mode  # follows symbolic links
        except OSError as exc:
            failures.append(ArticleError(str(path), _stat_failure(path, exc)))
            return
        if stat.S_ISDIR(mode):
            walk(path, root or path)
        elif stat.S_ISREG(mode):
            add_file(path, root or path.parent)
        else:
            failures.append(ArticleError(str(path), "not a regular file (device, socket or pipe); skipped"))

    for given in paths:
        visit(Path(given), None)
    return found, failures


def _unsupported(path: Path) -> str:
    kind = f"'{path.suffix}'" if path.suffix else "(no extension)"
    return f"unsupported file type {kind}; supported: {_SUPPORTED_LIST}"


def _stat_failure(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop; the link points back to itself"
    if exc.errno == errno.ENOENT:
        return (
            "broken symbolic link (its target does not exist)"
            if path.is_symlink()
            else "no such file or directory"
        )
    return f"cannot read: {exc.strerror or exc}"


# --- one file ------------------------------------------------------------------------------


def load_article(
    path: Path, root: Path, max_bytes: int = DEFAULT_MAX_BYTES, warnings: list[str] | None = None
) -> Article:
    """Load, extract and clean one corpus file.

    Returns the `Article` with its cleaned text, metadata and ``path`` relative to ``root``.
    Raises `ArticleError` (with the path and a reason that says what to fix) for an
    unreadable, oversized, binary or non-UTF-8 file, malformed front matter, an invalid
    field, or a file with no text left after cleaning. A ``url`` that is not http(s)
    (``javascript:``, ``data:``, ...) is dropped, and said so in ``warnings``.
    """
    path = Path(path)
    where = str(path)
    kind = SUPPORTED_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ArticleError(where, _unsupported(path))
    raw = normalize_text(_read_text(path, max_bytes))
    fields: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    if kind == "markdown":
        meta, body = _split_front_matter(raw, where)
        fields, extra = _front_matter_fields(meta, where)
        body, headings = _strip_heading_markers(_paragraph_per_line(body.strip("\n")))
    elif kind == "text":
        body, headings = _paragraph_per_line(raw), []
    else:
        body, fields = _extract_html(raw, where)
        headings = []
    text = clean_text(body)
    if not text:
        reason = "no text left after removing page furniture (sign-up lines, cookie banners, footers)"
        raise ArticleError(where, reason if body.strip() else "no text after the front matter")
    relative = _relative_path(path, root)
    lines = {line.strip() for line in text.split("\n")}
    title = fields.get("title") or next((h for h in headings if h in lines), "") or _first_line(text)
    return Article(
        doc_id=fields.get("doc_id") or str(PurePosixPath(relative).with_suffix("")),
        title=title,
        text=text,
        source=fields.get("source", ""),
        date=fields.get("date", ""),
        url=_web_url(fields.get("url", ""), where, warnings),
        path=relative,
        extra=extra,
    )


def _web_url(url: str, where: str, warnings: list[str] | None) -> str:
    """``url`` when it is an http(s) URL with a host, else "" (noted in ``warnings``): only such
    links reach citations, whoever renders them."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        usable = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:
        usable = False
    if not usable:
        if warnings is not None:
            warnings.append(f"{where}: url {url[:80]!r} dropped: only http(s) links are kept")
        return ""
    return url


_DROP_CONTROLS = {c: None for c in [*range(32), 127] if chr(c) not in "\t\n\r\f\v"}


def article_from_html(html: str, doc_id: str, where: str) -> Article:
    """An HTML page (e.g. fetched from the web) extracted and cleaned like an ``.html`` corpus file.

    Returns the Article with the page's own title, date, url and site name when it states them;
    raises `ArticleError` naming ``where`` when no main text is left.
    """
    body, fields = _extract_html(normalize_text(html), where)
    text = clean_text(body)
    if not text:
        raise ArticleError(where, "no text left after removing page furniture (sign-ups, cookie banners)")
    return Article(
        doc_id=doc_id,
        title=fields.get("title") or _first_line(text),
        text=text,
        source=fields.get("source", ""),
        date=fields.get("date", ""),
        url=fields.get("url", ""),
    )


def _read_text(path: Path, max_bytes: int) -> str:
    where = str(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ArticleError(where, "not a regular file")
        if info.st_size > max_bytes:
            raise ArticleError(where, _too_large(info.st_size, max_bytes))
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise ArticleError(where, f"cannot read file: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:
        raise ArticleError(where, _too_large(len(data), max_bytes))
    if not data:
        raise ArticleError(where, "file is empty")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ArticleError(where, "file is UTF-16 encoded; re-save the file as UTF-8")
    if b"\x00" in data:
        raise ArticleError(where, "binary content (contains NUL bytes); not a text document")
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = bom + exc.start
        raise ArticleError(
            where,
            f"not valid UTF-8 (byte 0x{data[offset]:02x} at offset {offset}); re-save the file as UTF-8",
        ) from exc
    controls = len(text) - len(text.translate(_DROP_CONTROLS))  # in C: a megabyte in milliseconds
    if controls > _MAX_CONTROL_SHARE * len(text):
        raise ArticleError(where, f"binary content ({controls} control characters); not a text document")
    if not text.strip():
        raise ArticleError(where, "file contains only whitespace")
    return text


def _paragraph_per_line(text: str) -> str:
    """Text without any blank line is one paragraph per line (scraped articles are)."""
    return text if PARAGRAPH_BREAK in text else lines_to_paragraphs(text)


def _too_large(size: int, max_bytes: int) -> str:
    return f"file is {size:,} bytes, over the {max_bytes:,}-byte limit; split it or raise max_bytes"


def _relative_path(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def _first_line(text: str) -> str:
    line = next((line.strip() for line in text.split("\n") if line.strip()), "")
    if len(line) <= _MAX_TITLE_CHARS:
        return line
    return line[:_MAX_TITLE_CHARS].rsplit(" ", 1)[0] + "…"


# --- Markdown --------------------------------------------------------------------------------


class _FrontMatterLoader(yaml.SafeLoader):
    """SafeLoader without aliases: front matter never needs them, and a kilobyte of nested
    aliases expands into billions of values (the "billion laughs")."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed", mark)
        return super().compose_node(parent, index)


def _split_front_matter(text: str, where: str) -> tuple[dict[str, Any], str]:
    if not re.match(r"---[ \t]*(\n|\Z)", text):
        return {}, text
    match = _FRONT_MATTER_RE.match(text)
    if match is None:
        raise ArticleError(
            where, "front matter opened by '---' on line 1 is never closed; add a '---' line after it"
        )
    if _looks_too_deep(match.group(1)):
        raise ArticleError(where, _TOO_DEEP)  # refused before the parser recurses through it
    try:
        meta = yaml.load(match.group(1), Loader=_FrontMatterLoader)  # a SafeLoader
    except RecursionError:
        raise ArticleError(where, _TOO_DEEP) from None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 2 if exc.problem_mark else 2  # +1 for the '---' line, +1 1-based
        raise ArticleError(
            where, f"front matter is not valid YAML (line {line}: {exc.problem or exc})"
        ) from exc
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: e.g. date: 2024-13-40
        raise ArticleError(where, f"front matter is not valid YAML ({exc})") from exc
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise ArticleError(
            where, f"front matter must be a mapping of 'field: value' lines, got a {type(meta).__name__}"
        )
    if _depth(meta) > _MAX_FRONT_MATTER_DEPTH:
        raise ArticleError(where, _TOO_DEEP)
    return {str(key): value for key, value in meta.items()}, text[match.end() :]


_MAX_FRONT_MATTER_DEPTH = 20
_TOO_DEEP = (
    f"front matter is nested too deeply (more than {_MAX_FRONT_MATTER_DEPTH} levels); "
    "keep it to 'field: value' lines"
)


def _looks_too_deep(front_matter: str) -> bool:
    """A linear look for nesting the depth limit refuses anyway: brackets opened in a row, or
    indentation of more than two spaces a level. Parsing 2,000 levels recurses through
    PyYAML for about 0.7 s here, holding the interpreter the server answers with."""
    depth = deepest = 0
    for char in front_matter:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth = max(depth - 1, 0)
    indent = max((len(line) - len(line.lstrip(" ")) for line in front_matter.splitlines()), default=0)
    return deepest > _MAX_FRONT_MATTER_DEPTH or indent > 4 * _MAX_FRONT_MATTER_DEPTH


def _depth(value: Any) -> int:
    """How deeply lists and mappings nest in ``value`` (iteratively: no recursion limit to hit)."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, level = todo.pop()
        if isinstance(item, dict | list | tuple | set):
            deepest = max(deepest, level)
            if level > _MAX_FRONT_MATTER_DEPTH:
                return level
            children = item.values() if isinstance(item, dict) else item
            todo.extend((child, level + 1) for child in children)
    return deepest


def _front_matter_fields(meta: dict[str, Any], where: str) -> tuple[dict[str, str], dict[str, Any]]:
    meta = dict(meta)
    fields = {
        name: _string_field(meta.pop(name, None), name, where)
        for name in ("doc_id", "title", "source", "url")
    }
    if any(char in fields["doc_id"] for char in "\n\r\t"):
        raise ArticleError(where, "front matter field 'doc_id' must be one line")
    fields["date"] = _date_field(meta.pop("date", None), where)
    return {k: v for k, v in fields.items() if v}, {k: _json_safe(v) for k, v in meta.items()}


def _string_field(value: Any, name: str, where: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ArticleError(where, f"front matter field '{name}' must be text, got {type(value).__name__}")
    return str(value).strip()


def _date_field(value: Any, where: str) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value).strip()
    if _PARTIAL_DATE_RE.match(text):
        return text
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text).isoformat()
    except ValueError:
        pass
    # Scraped articles often carry human dates ("Jan 22, 2021"): accept the common English forms.
    for form in _HUMAN_DATE_FORMATS:
        try:
            return datetime.strptime(text.replace(".", ""), form).date().isoformat()
        except ValueError:
            continue
    raise ArticleError(
        where, f"front matter field 'date' is not an ISO 8601 date: {value!r}; write it as YYYY-MM-DD"
    )


_HUMAN_DATE_FORMATS = ("%b %d, %Y", "%B %d, %Y", "%d %B %Y", "%d %b %Y", "%b %d %Y", "%B %d %Y", "%Y/%m/%d")


def _json_safe(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _strip_heading_markers(body: str) -> tuple[str, list[str]]:
    """Remove ATX heading markers outside code fences; return the body and the headings."""
    lines = body.split("\n")
    headings: list[str] = []
    fenced = False
    for i, line in enumerate(lines):
        if _FENCE_RE.match(line):
            fenced = not fenced
            continue
        match = None if fenced else _HEADING_RE.match(line)
        if match:
            lines[i] = (match.group(1) or "").strip()
            if lines[i]:
                headings.append(lines[i])
    return "\n".join(lines), headings


# --- HTML --------------------------------------------------------------------------------------


def _extract_html(html: str, where: str) -> tuple[str, dict[str, str]]:
    import trafilatura  # heavy: loaded on first HTML file only

    document = trafilatura.bare_extraction(
        html,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        favor_precision=True,
        with_metadata=True,
    )
    text = normalize_text(getattr(document, "text", None) or "") if document is not None else ""
    if not text.strip():
        raise ArticleError(where, "no main text found in HTML")
    fields = {
        "title": (getattr(document, "title", None) or "").strip(),
        "url": (getattr(document, "url", None) or "").strip(),
        "source": (getattr(document, "sitename", None) or "").strip(),
    }
    try:
        fields["date"] = _date_field(getattr(document, "date", None), where)
    except ArticleError:
        fields["date"] = ""  # a page's guessed date is a hint, not a contract
    return lines_to_paragraphs(text), {k: v for k, v in fields.items() if v}


# --- the corpus --------------------------------------------------------------------------------


def load_articles(
    paths: Sequence[Path], max_bytes: int = DEFAULT_MAX_BYTES, repeated_line_min_docs: int = 3
) -> LoadResult:
    """Discover and load every corpus file under ``paths``.

    Returns a `LoadResult`: the articles in file order, and one `ArticleError` per file that
    was skipped. A doc_id already taken by an earlier file is a failure of the later file,
    naming both. After loading, lines repeated verbatim in ``repeated_line_min_docs`` or
    more articles (site taglines, footers) are removed from all of them.
    """
    files, failures = discover_files(paths)
    articles: list[Article] = []
    owners: dict[str, Path] = {}
    warnings: list[str] = []
    for file, root in files:
        try:
            article = load_article(file, root, max_bytes, warnings)
        except ArticleError as exc:
            failures.append(exc)
            continue
        except Exception as exc:  # a bug or a parser's limit: this file fails, the others go on
            log.debug("loading %s failed", file, exc_info=exc)
            failures.append(
                ArticleError(str(file), f"could not be loaded ({type(exc).__name__}: {exc})"[:300])
            )
            continue
        first = owners.get(article.doc_id)
        if first is not None:
            reason = (
                f"duplicate doc_id '{article.doc_id}' also used by {first}; give one of them its own doc_id"
            )
            failures.append(ArticleError(str(file), reason))
            continue
        owners[article.doc_id] = file
        articles.append(article)
    repeated = find_repeated_lines([a.text for a in articles], repeated_line_min_docs)
    if repeated:
        articles = [a.model_copy(update={"text": remove_lines(a.text, repeated)}) for a in articles]
    return LoadResult(articles=articles, failures=failures, warnings=warnings)
