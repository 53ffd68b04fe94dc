"""How an import reports what is wrong: ``file:line: column: what is wrong``, all or nothing.

Error lines never carry a personnummer, a name or an address: ids, header names and file
names pass through ``show`` (or ``show_file``), and value checks echo only date-like text
(see ``values``). Nothing shown ever holds a control character: a newline or ESC in a file
name, a header or an id is shown as its escape (``\\n``, ``\\x1b``), so it can neither split
an error line nor colour the terminal.
"""

from __future__ import annotations

import unicodedata

from lcsp_tui.domain.personnummer import looks_like_personnummer
from lcsp_tui.domain.words import num

MAX_ERRORS = 200
SHOWN = 40  # characters of an id or a header name an error line shows
SHOWN_FILE = 80  # characters of a file name
HIDDEN = "(dolt, ser ut som ett personnummer)"  # no colon: the line stays file:line: column: what
HIDDEN_FILE = "(filnamnet dolt, ser ut som ett personnummer)"


class ImportFailed(Exception):
    """The import was rejected; ``errors`` holds one line per error, at most MAX_ERRORS of
    them plus a last line saying how many more there were (``total`` counts them all)."""

    def __init__(self, errors: list[str], total: int) -> None:
        super().__init__(f"importen avvisades: {num(total)} fel, inget har importerats")
        self.errors = errors
        self.total = total


def escaped(text: str) -> str:
    """``text`` with every invisible or line-breaking character (control and format
    characters, line and paragraph separators) written as its escape: ``\\n``, ``\\x1b``,
    ``\\u202e``."""
    if text.isprintable():
        return text
    return "".join(
        c if c.isprintable() or unicodedata.category(c) == "Zs" else repr(c)[1:-1] for c in text
    )


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def hides_personnummer(text: str) -> bool:
    """Shaped like a personnummer, also once invisible characters strewn inside are gone."""
    if looks_like_personnummer(text):
        return True
    return not text.isprintable() and looks_like_personnummer(
        "".join(c for c in text if c.isprintable())
    )


def show(value: str) -> str:
    """An id or a header name as it may appear in an error line: never anything shaped like
    a personnummer, escaped, and cut to ``SHOWN`` characters."""
    if hides_personnummer(value):
        return HIDDEN
    return _cut(escaped(value), SHOWN)


def show_file(name: str) -> str:
    """A file name as it starts an error line: like ``show``, cut to ``SHOWN_FILE``."""
    if hides_personnummer(name):
        return HIDDEN_FILE
    return _cut(escaped(name), SHOWN_FILE)


class ErrorLog:
    """Every error of one import, reported in file order, then line, then column."""

    def __init__(self) -> None:
        self._items: list[tuple[int, int, int, str]] = []

    def for_file(self, file_index: int, file_name: str) -> FileErrors:
        return FileErrors(self, file_index, file_name)

    def add(self, file_index: int, line: int, column_index: int, text: str) -> None:
        self._items.append((file_index, line, column_index, text))

    def __len__(self) -> int:
        return len(self._items)

    def truncate(self, size: int) -> None:
        """Forget the errors added since the log had ``size`` of them."""
        del self._items[size:]

    def failure(self) -> ImportFailed:
        items = sorted(self._items, key=lambda e: e[:3])
        lines = [e[3] for e in items]
        total = len(lines)
        if total > MAX_ERRORS:
            lines = lines[:MAX_ERRORS] + [f"… och {num(total - MAX_ERRORS)} fel till"]
        return ImportFailed(lines, total)


class FileErrors:
    """The errors of one of the files given (``file_index`` is its place among them)."""

    def __init__(self, log: ErrorLog, file_index: int, file_name: str) -> None:
        self.log = log
        self.file_index = file_index
        self.file_name = file_name

    def add(self, line: int, column_index: int, column: str, what: str) -> None:
        """``column_index`` orders errors within a line: -1 for the whole line, the column's
        place in the export format for a value, 1000 + position for a header cell."""
        text = f"{self.file_name}:{line}: {column}: {what}"
        self.log.add(self.file_index, line, column_index, text)

    def mark(self) -> int:
        return len(self.log)

    def forget_since(self, mark: int) -> None:
        """Drop the errors added after ``mark`` (files are read one at a time)."""
        self.log.truncate(mark)
