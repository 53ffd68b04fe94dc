"""Numbers and names as people read them, in Swedish: ``1 913``, ``1 träff``, Avd 2 before Avd 11.

One place for these, so the CLI, the report and the screens write them alike.
"""

from __future__ import annotations

import re

NBSP = "\u00a0"  # keeps ``1 913`` on one line


def num(n: int | None) -> str:
    """``12 345`` (Swedish thousands separator, a no-break space); ``–`` for none."""
    return "–" if n is None else f"{n:,}".replace(",", NBSP)


def plural(n: int, one: str, many: str) -> str:
    """``1 träff``, ``2 träffar``, ``1 913 öppna`` — the number and the word that agrees."""
    return f"{num(n)} {one if n == 1 else many}"


_DIGITS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple[object, ...]:
    """Sort key: numbers inside a name by value (``Avd 2`` before ``Avd 11``), case-insensitive."""
    return tuple(int(p) if p.isdigit() else p.casefold() for p in _DIGITS.split(text))


# The SIP coordinator's organisation, as the statistics and the lookup name it.
ORG_LABELS = {
    "kommun": "Kommun",
    "primarvard": "Primärvård",
    "slutenvard": "Slutenvård",
    "total": "Totalt",
}
