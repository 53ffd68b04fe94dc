"""One export file as rows of text: decoding, delimiter, header, physical line numbers.

Files come from Excel in Sweden (SPEC §7): UTF-8 with or without BOM, or Windows-1252;
semicolons, or commas. Headers match case-insensitively, ignoring surrounding spaces.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

from lcsp_tui.importer.errors import FileErrors, show
from lcsp_tui.prator_format import FileSpec

_FIRST_LINE = re.compile(r"[^\r\n]*")


def decode(raw: bytes) -> tuple[str | None, int, str]:
    """(text, 0, '') or (None, line, what is wrong): UTF-8 (BOM optional), else Windows-1252."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, 1, "UTF-16 stöds inte: spara som CSV UTF-8 eller semikolonavgränsad CSV"
    bad = 0
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding), 0, ""
        except UnicodeDecodeError as e:
            bad = e.start
    line = raw.count(b"\n", 0, bad) + 1
    return None, line, f"varken UTF-8- eller Windows-1252-text (byte 0x{raw[bad]:02x})"


def delimiter_of(text: str) -> str:
    """',' when the header line has commas and no semicolons; ';' otherwise."""
    first = _FIRST_LINE.match(text)
    assert first is not None  # the pattern matches any text, even an empty one
    head = first.group()
    return "," if "," in head and ";" not in head else ";"


class CsvRows:
    """The header, then ``(line, row)`` for every row; ``line`` is the physical line the row
    starts on (a quoted value may span lines). ``csv.Error`` propagates; ``line_num`` then
    tells where it happened."""

    def __init__(self, text: str) -> None:
        stream = io.StringIO(text, newline="")
        self._reader = csv.reader(stream, delimiter=delimiter_of(text), skipinitialspace=True)

    @property
    def line_num(self) -> int:
        return self._reader.line_num

    def header(self) -> list[str] | None:
        return next(self._reader, None)

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        reader = self._reader
        end = reader.line_num
        for row in reader:
            yield end + 1, row
            end = reader.line_num


def match_header(header: list[str], spec: FileSpec, errors: FileErrors) -> dict[str, int] | None:
    """Each export column found -> its position in the rows; None after reporting a header
    that is missing, unknown or duplicate columns."""
    expected = [column for column, _ in spec.columns]
    keys = [h.strip().lower() for h in header]
    found: dict[str, int] = {}
    for position, key in enumerate(keys):
        if key in expected and key not in found:
            found[key] = position
    if not found:
        errors.add(1, -1, "-", "ingen rubrikrad (kolumnerna ska vara " + ", ".join(expected) + ")")
        return None
    ok = True
    seen: set[str] = set()
    for position, key in enumerate(keys):
        shown = show(key) if key else f"kolumn {position + 1}"
        if key not in expected:
            errors.add(1, 1000 + position, shown, "okänd kolumn")
            ok = False
        elif key in seen:
            errors.add(1, 1000 + position, shown, "kolumnen finns två gånger")
            ok = False
        seen.add(key)
    for index, column in enumerate(expected):
        if column not in found and column not in spec.optional:
            errors.add(1, index, column, "kolumnen saknas")
            ok = False
    return found if ok else None
