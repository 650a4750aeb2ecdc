"""Keep the cyclic garbage collector off what is loaded once and lives as long as the process."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Exempt everything alive on entry (the loaded models, indexes and modules: ~290,000 objects
    for `qa serve` over corpus/) from the collector until exit. Its full passes visited them all
    while holding the GIL, 100-220 ms each and several a minute under load, and every request
    waited; inside, they visit only what was made since. Garbage is collected first."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
