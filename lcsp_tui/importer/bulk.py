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
