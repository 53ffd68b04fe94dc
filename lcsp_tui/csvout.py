"""The one CSV writer of every export (``lcsp audit --csv``/``--out``, ``lcsp stats --csv``,
the audit view's export in the TUI).

For Swedish Excel: semicolons, CRLF line ends, UTF-8 with a BOM (the caller opens the file
or stdout with ``utf-8-sig``; ``to_stdout`` does it for stdout).

Formula injection (OWASP, "CSV Injection"): a cell that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return is run as a formula by Excel and LibreOffice, so it is
written with an apostrophe first (``'=HYPERLINK(…)``), which the spreadsheet shows as text.
A plain number is left as it is — ``-3``, ``+3``, ``-0,5`` (a sign, digits, one decimal
comma or point) — so a negative count stays a number a spreadsheet can sum; a number is
never run as a formula. Everything else (``-3+4``, ``-1e3``, ``-``) gets the apostrophe.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Iterable
from typing import IO, cast

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def safe_cell(value: object) -> str:
    """``value`` as a cell no spreadsheet runs as a formula (``None`` is an empty cell)."""
    text = "" if value is None else str(value)
    if text.startswith(TRIGGERS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def write_rows(out: IO[str], rows: Iterable[Iterable[object]]) -> int:
    """Write ``rows`` (the header is just the first row) to ``out``; the number written."""
    w = csv.writer(out, delimiter=";", lineterminator="\r\n")
    n = 0
    for row in rows:
        w.writerow([safe_cell(v) for v in row])
        n += 1
    return n


def to_stdout(rows: Iterable[Iterable[object]]) -> int:
    """Write ``rows`` to stdout as UTF-8 with a BOM (stdout is reconfigured for it)."""
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(encoding="utf-8-sig", newline="")
    return write_rows(cast(IO[str], sys.stdout), rows)
