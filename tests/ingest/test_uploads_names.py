"""Upload file names (issue 14): one file per doc_id, whatever the ids look like."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ingest.uploads import safe_stem, stored_file_name

ids = st.text(min_size=1, max_size=40) | st.from_regex(r"[a-z/-]{1,12}(-[0-9a-f]{10})?", fullmatch=True)


def test_an_unsafe_id_and_the_safe_id_that_looked_like_its_file_get_two_files() -> None:
    assert stored_file_name("press/release", ".md") != stored_file_name("press-release-402065519f", ".md")


@given(ids, ids)
def test_two_doc_ids_never_share_a_file(first: str, second: str) -> None:
    if first != second:
        assert stored_file_name(first, ".md") != stored_file_name(second, ".md")


@given(ids)
def test_a_stored_name_is_safe_and_a_safe_id_is_kept(doc_id: str) -> None:
    name = stored_file_name(doc_id, ".md")
    assert "/" not in name and not name.startswith(".") and len(name) <= 130
    if safe_stem(doc_id) == doc_id:
        assert name == doc_id + ".md"
