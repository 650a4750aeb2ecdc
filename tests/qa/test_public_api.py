"""``qa``'s public names: each one is the object its module defines, and ``import qa`` loads none of them."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import qa
from tests.helpers.corpus import ROOT


def test_every_public_name_has_a_home_and_only_those_are_public() -> None:
    assert sorted(qa.__all__) == sorted(qa._EXPORTS)
    assert len(set(qa.__all__)) == len(qa.__all__)


@pytest.mark.parametrize("name", qa.__all__)
def test_a_public_name_is_the_object_of_its_module(name: str) -> None:
    assert getattr(qa, name) is getattr(importlib.import_module(qa._EXPORTS[name]), name)
    assert name in dir(qa)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'build_services'"):
        _ = qa.build_services  # type: ignore[attr-defined]


def test_the_errors_keep_their_hierarchy() -> None:
    assert issubclass(qa.ConversationTooLarge, qa.InvalidRequest)
    assert issubclass(qa.StoreUnavailable, qa.StoreError)
    assert all(issubclass(getattr(qa, name), qa.QAError) for name in qa._ERRORS)


def test_importing_qa_loads_none_of_its_modules() -> None:
    code = "import sys, qa\nprint(' '.join(sorted(m for m in sys.modules if m.startswith('qa.'))))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []
