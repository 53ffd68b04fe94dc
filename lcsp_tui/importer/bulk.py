"""A bulk load creates about a million objects and frees none of them; the cyclic garbage
collector would scan them again and again (measured: a third of a 100k-patient import).
``gc_paused`` switches it off for the duration and restores the previous state."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


BATCH = 5000
"""Events per ledger push when an import (or the demo) is written: made, pushed and folded
a batch at a time, so what is held in memory is one batch, not the export."""
