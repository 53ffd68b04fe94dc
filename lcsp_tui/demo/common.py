"""Shared constants and helpers: the export moment, per-phase RNGs, allocation, naming."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

# The moment the fictitious export was taken: nothing is sent or acknowledged after it.
EXPORTED_AT = dt.datetime(2025, 9, 29, 18, 0)
DISCHARGE_READY_CUTOFF = dt.date(2025, 9, 29)  # as in data/timeline.toml (checked by tests)


def _ascii_upper(text: str) -> str:
    table = str.maketrans({"å": "a", "ä": "a", "ö": "o", "Å": "A", "Ä": "A", "Ö": "O", "é": "e"})
    return text.translate(table).upper().replace(" ", "-")


def _rng(seed: int, phase: str) -> random.Random:
    return random.Random(f"lcsp-demo/{seed}/{phase}")


def _allocate(total: int, shares: dict[str, float]) -> dict[str, int]:
    """Split ``total`` by ``shares`` exactly (largest remainder), in the dict's order."""
    s = sum(shares.values())
    raw = {k: total * v / s for k, v in shares.items()}
    out = {k: int(v) for k, v in raw.items()}
    rest = total - sum(out.values())
    for k in sorted(raw, key=lambda k: (-(raw[k] - out[k]), list(raw).index(k)))[:rest]:
        out[k] += 1
    return out


def _numbered(names: Sequence[str], count: int) -> list[str]:
    """``count`` distinct names: the list, then the list again with " 2", " 3" … appended."""
    return [
        names[j % len(names)] + ("" if j < len(names) else f" {j // len(names) + 1}")
        for j in range(count)
    ]


def _date_between(rng: random.Random, lo: dt.date, hi: dt.date) -> dt.date:
    return lo + dt.timedelta(days=rng.randint(0, max(0, (hi - lo).days)))
