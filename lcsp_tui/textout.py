"""Plain-text output of the command line: ``text_table`` lays out a table for a terminal
(the worklist, the audit trail, the import summary and the statistics use it) and
``when_text`` writes a stored time as ``30/9 10:00``.

Here, not in ``lcsp_tui.stats.text`` (which re-exports both), so that a command printing a
table imports neither the statistics package nor the region's data (issue 14).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from lcsp_tui.domain.when import short_time

GAP = "  "  # between columns


def text_table(
    head: Sequence[str], rows: Sequence[Sequence[str]], align: str | None = None
) -> list[str]:
    """The lines of a plain-text table. ``align`` has one letter per column, ``l`` (left) or
    ``r`` (right, for numbers); by default the first column is left-aligned and the others
    right. Every column is as wide as its widest cell, the header's included."""
    n = len(head)
    align = align or "l" + "r" * (n - 1)
    widths = [max(len(str(r[k])) for r in [head, *rows]) for k in range(n)]

    def line(cells: Sequence[str]) -> str:
        out = [
            str(c).rjust(w) if a == "r" else str(c).ljust(w)
            for c, w, a in zip(cells, widths, align, strict=True)
        ]
        return GAP.join(out).rstrip()

    return [line(head), *(line(r) for r in rows)]


def when_text(text: str | None, this_year: int) -> str:
    """An ISO time from the read model as ``30/9 10:00`` (the year only if not this one)."""
    if not text:
        return "–"
    try:
        return short_time(dt.datetime.fromisoformat(text), this_year=this_year)
    except ValueError:
        return text
