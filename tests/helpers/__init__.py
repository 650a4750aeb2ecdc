"""What tests share: the corpus and settings (``corpus``), fakes (``fakes``), servers on loopback
(``servers``, ``llm_server``), HTTP response helpers (``http``) and the browser (``browser``).

A test module imports from here and never from another test module or a conftest.py; fixtures
that several packages use live in tests/conftest.py (the browser's in ``browser``, loaded there
as a plugin).
"""
