"""Retrieval filters (source, documents, date range) and their Chroma form."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel

from qa.errors import InvalidRequest


class Filters(BaseModel):
    """Restrict retrieval to some documents. Dates are ISO 8601 (``YYYY-MM-DD``), inclusive."""

    source: str | None = None
    doc_ids: list[str] | None = None
    date_from: str | None = None
    date_to: str | None = None


def date_ordinal(value: str) -> int:
    """Day number of an ISO date (0 when empty), stored so Chroma can filter date ranges."""
    if not value:
        return 0
    try:
        return date.fromisoformat(value[:10]).toordinal()
    except ValueError as exc:
        raise InvalidRequest(f"dates must be ISO 8601 (YYYY-MM-DD), got {value!r}") from exc


def date_range(filters: Filters) -> tuple[int, int] | None:
    """Inclusive (first, last) day numbers of the filters' dates; None when neither is set.

    Undated documents (day 0) fall outside every range, open-ended or not.
    """
    if not (filters.date_from or filters.date_to):
        return None
    first = date_ordinal(filters.date_from) if filters.date_from else 1
    last = date_ordinal(filters.date_to) if filters.date_to else date.max.toordinal()
    return first, last


def where_clause(filters: Filters | None) -> dict[str, Any] | None:
    """The Chroma ``where`` filter equivalent to ``filters`` (None when unrestricted)."""
    if filters is None:
        return None
    terms: list[dict[str, Any]] = []
    if filters.source:
        terms.append({"source": filters.source})
    if filters.doc_ids:
        terms.append({"doc_id": {"$in": list(filters.doc_ids)}})
    days = date_range(filters)
    if days is not None:
        terms.append({"date_ts": {"$gte": days[0]}})
        terms.append({"date_ts": {"$lte": days[1]}})
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else {"$and": terms}
