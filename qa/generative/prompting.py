"""Prompt templates for the generative answerer, and passages rendered as delimited data.

A template is a text file in ``qa/generative/prompts/`` with a ``[system]`` and a ``[user]`` section and
``{name}`` placeholders (``{{`` / ``}}`` for literal braces). Loading checks that the file has
both sections and exactly the placeholders its caller fills in, so a broken template is a
ConfigError at start-up rather than a KeyError on the first question.

Passages reach the model as ``<passage id="1" title="..." date="...">text</passage>``; any
``<`` or ``>`` in a document (or the question) becomes ``‹`` / ``›`` and ``"`` in an attribute
becomes ``'``, so a document cannot close its delimiter and pose as instructions.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

from qa.errors import ConfigError
from qa.types import Passage

_SECTIONS = ("[system]", "[user]")
_NEUTRAL = str.maketrans({"<": "‹", ">": "›"})
_UNNEUTRAL = str.maketrans({"‹": "<", "›": ">"})


@dataclass(frozen=True)
class PromptTemplate:
    """A system and a user message with named placeholders."""

    name: str
    system: str
    user: str

    @property
    def variables(self) -> set[str]:
        return placeholders(self.system) | placeholders(self.user)

    def messages(self, **values: str) -> list[tuple[str, str]]:
        """(role, content) pairs with the placeholders filled; ConfigError if one is missing."""
        missing = self.variables - values.keys()
        if missing:
            raise ConfigError(f"prompt {self.name!r}: no value for {', '.join(sorted(missing))}")
        return [("system", self.system.format(**values)), ("user", self.user.format(**values))]


def placeholders(text: str) -> set[str]:
    """The ``{name}`` fields of a format string (ConfigError when it is malformed)."""
    try:
        return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
    except ValueError as exc:
        raise ConfigError(f"malformed placeholder in prompt: {exc}") from exc


def parse_prompt(name: str, text: str, required: Sequence[str]) -> PromptTemplate:
    """A template from the text of a prompt file; ConfigError unless it has both sections and
    exactly the ``required`` placeholders."""
    system_at, user_at = (text.find(marker) for marker in _SECTIONS)
    if system_at != 0 or user_at < 0:
        raise ConfigError(f"prompt {name!r} must start with a [system] section followed by a [user] section")
    template = PromptTemplate(
        name,
        system=text[len(_SECTIONS[0]) : user_at].strip(),
        user=text[user_at + len(_SECTIONS[1]) :].strip(),
    )
    found = template.variables
    if found != set(required):
        missing, unknown = set(required) - found, found - set(required)
        problems = [f"missing {{{v}}}" for v in sorted(missing)]
        problems += [f"unknown {{{v}}}" for v in sorted(unknown)]
        raise ConfigError(f"prompt {name!r}: {', '.join(problems)} (required: {', '.join(sorted(required))})")
    return template


def load_prompt(name: str, required: Sequence[str]) -> PromptTemplate:
    """The packaged template ``qa/generative/prompts/{name}.txt``, checked by ``parse_prompt``."""
    try:
        text = resources.files("qa.generative").joinpath("prompts", f"{name}.txt").read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"prompt {name!r} cannot be read: {exc}") from exc
    return parse_prompt(name, text, required)


def neutralise(text: str) -> str:
    """``text`` with ``<`` and ``>`` replaced by look-alikes that cannot open or close a tag."""
    return text.translate(_NEUTRAL)


def restore(text: str) -> str:
    """Undo ``neutralise`` (for comparing what the model quotes with the documents)."""
    return text.translate(_UNNEUTRAL)


def _attribute(value: str) -> str:
    return neutralise(" ".join(value.split())).replace('"', "'")


def format_passages(passages: Sequence[Passage]) -> str:
    """The passages numbered from 1 as ``<passage id=... title=... date=...>`` blocks."""
    blocks = []
    for number, passage in enumerate(passages, 1):
        attributes = f'id="{number}" title="{_attribute(passage.title)}"'
        if passage.date:
            attributes += f' date="{_attribute(passage.date)}"'
        blocks.append(f"<passage {attributes}>\n{neutralise(passage.text.strip())}\n</passage>")
    return "\n".join(blocks)
