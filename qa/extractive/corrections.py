"""A newer announcement that corrects an earlier one wins over it."""

from __future__ import annotations

from qa.extractive.candidates import Choice
from qa.language.evidence import CORRECTION, SUPERSEDED, title_names

CLOSE_LOGIT = 0.75  # a correction's answer must score within this of the best to replace it


def prefer_newer(choices: list[Choice]) -> tuple[Choice, str]:
    """The best choice, or a newer document's answer to the same question when that document says
    it corrects or updates (a later year's news alone is no correction): with a note when its answer
    differs, and cited instead of the earlier one when it gives the same. A correction's sentence
    restating what was wrong ("The earlier release stated ...") neither confirms nor corrects."""
    best = choices[0]
    date = best.sentence.passage.date
    for other in choices[1:6]:
        ev = other.sentence
        if (
            ev.passage.doc_id != best.sentence.passage.doc_id
            and ev.passage.date > date
            and other.logit >= best.logit - CLOSE_LOGIT
            and title_names(ev.passage.title) & title_names(best.sentence.passage.title)
            and CORRECTION.search(ev.passage.title + " " + ev.passage.text)
            and not SUPERSEDED.search(ev.text)
        ):
            if other.candidate.text.lower() == best.candidate.text.lower():
                return other, ""  # the correction confirms the figure: cite it
            note = (
                f"A newer announcement ({ev.passage.date}, “{ev.passage.title}”) "
                f"gives “{other.candidate.text}” where an earlier one "
                f"({date or 'undated'}, “{best.sentence.passage.title}”) "
                f"gave “{best.candidate.text}”; the newer figure is used."
            )
            return other, note
    return best, ""
