"""Swedish personnummer and samordningsnummer.

Accepted forms: 12 digits (``YYYYMMDDNNNC``, an optional ``-`` before the last four), or
10 digits with ``-`` or ``+`` before the last four (``YYMMDD-NNNC``; ``+`` means the
person is 100 years or older). A samordningsnummer adds 60 to the day. Checked: the date,
the serial (000 is never issued) and the Luhn check digit over the last ten digits.

We do not use python-stdnum here: its ``se.personnummer`` rejects samordningsnummer,
accepts serial 000 and takes the century from the wall clock, which would make an import
depend on the day it ran. The century of a 10-digit form is resolved against an explicit
reference date instead.
"""

from __future__ import annotations

import datetime as dt
import re

_TWELVE = re.compile(r"^(\d{8})-?(\d{4})$")
_TEN = re.compile(r"^(\d{6})([-+])(\d{4})$")
# Anything shaped like a whole identity number in free text: six or eight date digits (a space,
# a dot or a dash allowed between their pairs), then at most one separator of any kind — ``-``, ``+``,
# ``/``, ``:``, ``T`` … — or spaces, then the last four. Month and day must be a date's
# (a samordningsnummer's day is 61–91).
_IN_TEXT = re.compile(
    r"(?<!\d)(?:\d{2}[ .-]?)?\d{2}[ .-]?(?P<month>\d{2})[ .-]?(?P<day>\d{2})"
    r"[ \t]*(?:[^\d\s][ \t]*)?\d{4}(?!\d)"
)


class PersonnummerError(ValueError):
    """The text is not a valid personnummer or samordningsnummer."""


class Personnummer:
    """A validated identity number, normalised to 12 digits. Immutable, compared and hashed
    by its digits (a plain class: ``dataclasses`` costs a command's start-up, issue 14)."""

    __slots__ = ("digits",)
    digits: str  # YYYYMMDDNNNC

    def __init__(self, digits: str) -> None:
        object.__setattr__(self, "digits", digits)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Personnummer is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Personnummer is immutable: cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Personnummer):
            return self.digits == other.digits
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.digits,))

    def __repr__(self) -> str:
        return f"Personnummer(digits={self.digits!r})"

    @property
    def is_samordningsnummer(self) -> bool:
        return int(self.digits[6:8]) > 60

    @property
    def birth_date(self) -> dt.date:
        day = int(self.digits[6:8])
        if day > 60:
            day -= 60
        return dt.date(int(self.digits[0:4]), int(self.digits[4:6]), day)

    @property
    def birth_year(self) -> int:
        return int(self.digits[0:4])

    def __str__(self) -> str:
        return f"{self.digits[:8]}-{self.digits[8:]}"


_DOUBLED = {str(d): (2 * d) // 10 + (2 * d) % 10 for d in range(10)}


def luhn_ok(ten: str) -> bool:
    """Luhn check over ten digits (the 10-digit form without separator)."""
    doubled = sum(_DOUBLED[c] for c in ten[0::2])
    return (doubled + sum(int(c) for c in ten[1::2])) % 10 == 0


def _check_date(year: int, month: int, day: int) -> None:
    if day > 60:
        day -= 60
    try:
        dt.date(year, month, day)
    except ValueError:
        raise PersonnummerError("ogiltigt datum") from None


def parse(text: str, reference: dt.date) -> Personnummer:
    """Validate ``text`` and return it normalised to 12 digits.

    ``reference`` decides the century of a 10-digit form: the latest birth date on or
    before ``reference`` (``-``), or one hundred years earlier (``+``).
    """
    s = text.strip().replace(" ", "")
    m12 = _TWELVE.match(s)
    if m12:
        digits = m12.group(1) + m12.group(2)
        year, month, day = int(digits[0:4]), int(digits[4:6]), int(digits[6:8])
        if year < 1800:
            raise PersonnummerError("ogiltigt datum")
    else:
        m10 = _TEN.match(s)
        if not m10:
            raise PersonnummerError(
                "ska vara 12 siffror (ÅÅÅÅMMDDNNNN) eller 10 siffror med - eller + (ÅÅMMDD-NNNN)"
            )
        yymmdd, sep, tail = m10.groups()
        yy, month, day = int(yymmdd[0:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
        year = (reference.year // 100) * 100 + yy
        real_day = day - 60 if day > 60 else day
        try:
            born = dt.date(year, month, real_day)
        except ValueError:
            # 29 Feb in a non-leap candidate century: try the previous century.
            born = None
        if born is None or born > reference:
            year -= 100
        if sep == "+":
            year -= 100
        digits = f"{year:04d}{yymmdd[2:]}{tail}"
    _check_date(year, month, day)
    if digits[8:11] == "000":
        raise PersonnummerError("ogiltigt serienummer (000)")
    if not luhn_ok(digits[2:]):
        raise PersonnummerError("fel kontrollsiffra")
    pnr = Personnummer(digits)
    if pnr.birth_date > reference:
        raise PersonnummerError("födelsedatum i framtiden")
    return pnr


def personnummer_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` holds something shaped like a whole identity number, whatever single
    separator (or none, or spaces) stands between the date and the last four."""
    out = []
    for m in _IN_TEXT.finditer(text):
        month, day = int(m["month"]), int(m["day"])
        if 1 <= month <= 12 and (1 <= day <= 31 or 61 <= day <= 91):
            out.append(m.span())
    return out


def looks_like_personnummer(text: str) -> bool:
    """True when ``text`` contains something shaped like a whole identity number (also when
    spaces or dots are strewn inside it)."""
    return bool(personnummer_spans(text)) or bool(personnummer_spans(re.sub(r"[\s.]", "", text)))


def mask(digits: str) -> str:
    """Display form that hides the last four digits: ``19450312-****``."""
    if len(digits) == 12 and digits.isdigit():
        return f"{digits[:8]}-****"
    return "****"


def with_check_digit(nine: str) -> str:
    """Append the Luhn check digit to nine digits (YYMMDDNNN); used by the demo."""
    for c in "0123456789":
        if luhn_ok(nine + c):
            return nine + c
    raise AssertionError("unreachable")
