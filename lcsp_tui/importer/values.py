"""What each export column must hold, and turning a column's text into checked values.

A check takes the stripped, non-empty text of a cell and returns its value, or an
``Invalid`` with the 'what is wrong' part of the error line. Rows are checked a block at a
time, column by column, and each column remembers the outcome for every distinct text, so
a repeating value (enumeration, date, municipality) costs a dictionary look-up per row.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from lcsp_tui.domain.models import (
    AdmissionStatus,
    CareForm,
    CoordinatorOrg,
    Housing,
    SipStatus,
    UnitType,
)
from lcsp_tui.domain.personnummer import PersonnummerError, looks_like_personnummer, parse
from lcsp_tui.domain.regiondata import RegionData, fold_text
from lcsp_tui.domain.words import num
from lcsp_tui.importer.errors import FileErrors, hides_personnummer
from lcsp_tui.prator_format import FileSpec

# (kind of value, required) per export column; columns not listed are optional free text.
# "id": an id, or a reference to one (printable, at most MAX_ID characters).
RULES: dict[str, dict[str, tuple[str, bool]]] = {
    "enheter.csv": {
        "enhet_id": ("id", True),
        "namn": ("text", True),
        "typ": ("unit_type", True),
        "kommun": ("municipality", False),  # required for municipal unit types: checks.py
    },
    "patienter.csv": {
        "patient_id": ("id", True),
        "personnummer": ("personnummer", True),
        "fornamn": ("text", True),
        "efternamn": ("text", True),
        "kommun": ("municipality", True),
        "boendeform": ("housing", True),
        "boende_enhet": ("id", False),
        "hemsjukvardsenhet": ("id", False),
        "bistandsenhet": ("id", False),
        "halsocentral": ("id", False),
        "psykiatrisk_oppenvardsenhet": ("id", False),
        "skyddad_identitet": ("yes_no", False),
    },
    "vardtillfallen.csv": {
        "vardtillfalle_id": ("id", True),
        "patient_id": ("id", True),
        "vardform": ("care_form", True),
        "avdelning": ("id", True),
        "inskriven": ("date", True),
        "utskrivningsklar": ("date", False),
        "status": ("admission_status", True),
    },
    "sip.csv": {
        "sip_id": ("id", True),
        "patient_id": ("id", True),
        "samordningsansvar": ("coordinator_org", True),
        "ansvarig_enhet": ("id", True),
        "kommun": ("municipality", True),
        "startad": ("date", True),
        "senaste_mote": ("date", False),
        "status": ("sip_status", True),
    },
    "meddelanden.csv": {
        "meddelande_id": ("id", True),
        "vardtillfalle_id": ("id", True),
        "typ": ("text", True),
        "mottagare_enhet": ("id", True),
        "skickat": ("timestamp", True),
        "kvitterat": ("timestamp", False),
    },
}
ENUMS: dict[str, type[StrEnum]] = {
    "unit_type": UnitType,
    "housing": Housing,
    "care_form": CareForm,
    "admission_status": AdmissionStatus,
    "coordinator_org": CoordinatorOrg,
    "sip_status": SipStatus,
}
EMPTY: dict[str, Any] = {"yes_no": False}  # the value of an empty optional cell; else None


@dataclass(frozen=True, slots=True)
class Invalid:
    """A check's verdict on text that is not a valid value."""

    message: str


Check = Callable[[str], Any]  # text -> value, or Invalid

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_TIMESTAMP = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})", re.ASCII)
_DATEISH = re.compile(r"[0-9 :./T-]{1,25}", re.ASCII)
_NOT_DIGIT = re.compile(r"\D")
# A timestamp in the export's layout (or with a T) whose time could be one: its digits alone
# have a personnummer's shape, yet it is no personnummer in disguise (a serial is never a
# time of day like 24:00 or 14:05 written with a colon).
_TIMESTAMP_LAYOUT = re.compile(r"\d{4}-\d{2}-\d{2}[ T](?:[01]\d|2[0-4]):[0-5]\d", re.ASCII)


def _echo(text: str) -> str:
    """``: 'text'`` for date-like text only (a misplaced name or address is never shown),
    and never when its digits alone could be a personnummer (``1944-11-21-6015``), unless
    it is laid out as a timestamp."""
    if (
        _DATEISH.fullmatch(text)
        and not looks_like_personnummer(text)
        and (
            not looks_like_personnummer(_NOT_DIGIT.sub("", text))
            or _TIMESTAMP_LAYOUT.fullmatch(text)
        )
    ):
        return f": {text!r}"
    return ""


def check_date(text: str) -> dt.date | Invalid:
    m = _DATE.fullmatch(text)
    if m:
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            pass
    return Invalid(f"inget datum (ÅÅÅÅ-MM-DD){_echo(text)}")


def check_timestamp(text: str) -> dt.datetime | Invalid:
    m = _TIMESTAMP.fullmatch(text)
    if m:
        try:
            return dt.datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]))
        except ValueError:
            pass
    return Invalid(f"ingen tidpunkt (ÅÅÅÅ-MM-DD HH:MM){_echo(text)}")


def check_yes_no(text: str) -> bool | Invalid:
    answer = text.lower()
    if answer in ("ja", "nej"):
        return answer == "ja"
    return Invalid("ska vara ja eller nej")


def enum_check(enum: type[StrEnum]) -> Check:
    """Case-insensitive match on the enumeration's values."""
    members = {m.value: m for m in enum}
    wrong = Invalid("ska vara en av " + ", ".join(members))

    def check(text: str) -> StrEnum | Invalid:
        return members.get(text.lower(), wrong)

    return check


def _personnummer_format_message() -> str:
    """parse()'s own message for text that is not shaped like a personnummer."""
    try:
        parse("x", dt.date(2000, 1, 1))
    except PersonnummerError as e:
        return str(e)
    raise AssertionError("personnummer.parse accepted 'x'")


class ValueChecks:
    """The checks of one import: municipalities come from the region, and the century of a
    10-digit personnummer from ``reference``."""

    def __init__(self, region: RegionData, reference: dt.date) -> None:
        self.reference = reference
        municipalities = region.municipalities
        self.canonical = {
            fold_text(name): m.name
            for m in municipalities.municipality
            for name in (m.name, *m.aliases)
        }
        self.unknown_municipality = Invalid(
            "okänd kommun (ska vara en av " + ", ".join(municipalities.names) + ")"
        )
        self.not_a_personnummer = Invalid(_personnummer_format_message())
        self.by_kind: dict[str, Check] = {
            "municipality": self.municipality,
            "personnummer": self.personnummer,
            "date": check_date,
            "timestamp": check_timestamp,
            "yes_no": check_yes_no,
        }
        self.by_kind.update((kind, enum_check(enum)) for kind, enum in ENUMS.items())

    def municipality(self, text: str) -> str | Invalid:
        """The canonical name (aliases such as Övik allowed, any case)."""
        return self.canonical.get(fold_text(text), self.unknown_municipality)

    def personnummer(self, text: str) -> str | Invalid:
        """Normalised to 12 digits by ``personnummer.parse``, which also words every error.
        ASCII only: parse's ``\\d`` would take other scripts' digits too."""
        if not text.isascii():
            return self.not_a_personnummer
        try:
            return parse(text, self.reference).digits
        except PersonnummerError as e:
            return Invalid(str(e))

    def columns(self, spec: FileSpec, positions: dict[str, int]) -> list[Column]:
        """The columns of ``spec`` with their checks, for a file whose header gave
        ``positions`` (export column -> position in the rows)."""
        rules = RULES[spec.name]
        out = []
        for index, (name, fld) in enumerate(spec.columns):
            kind, required = rules.get(name, ("text", False))
            check = None if kind in ("text", "id") else self.by_kind[kind]
            out.append(
                Column(
                    name,
                    fld,
                    index,
                    positions.get(name),
                    required,
                    EMPTY.get(kind),
                    check,
                    is_id=kind == "id",
                    may_hold_personnummer=kind == "personnummer",
                )
            )
        return out


REQUIRED = Invalid("måste fyllas i")
PERSONNUMMER_ELSEWHERE = Invalid(
    "ser ut som ett personnummer – får bara stå i kolumnen personnummer"
)
MAX_ID = 64  # characters of an id

# Characters no cell may hold: C0 and C1 control characters (NUL, tab, newline, ESC, DEL …),
# the line and paragraph separators, and the bidirectional overrides and isolates, which
# reorder what a terminal shows.
_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_CONTROL_NAMES = {
    "\x00": "NUL",
    "\t": "tabb",
    "\n": "radbrytning",
    "\r": "vagnretur",
    "\x1b": "ESC",
    "\x7f": "DEL",
}
# Ten digits on one line, whatever stands between them: the least any personnummer has.
# A cheap first sieve; only cells that pass it are asked ``hides_personnummer``.
_TEN_DIGITS = re.compile(r"(?<!\d)\d(?:[^\d\n]*+\d){9}")


def _forbidden(char: str) -> Invalid:
    name = _CONTROL_NAMES.get(char) or f"U+{ord(char):04X}"
    return Invalid(f"innehåller ett otillåtet styrtecken ({name})")


def _bad_id(text: str) -> Invalid | None:
    """What is wrong with a (stripped, non-empty) id, or None."""
    if len(text) > MAX_ID:
        return Invalid(f"id:t är för långt ({num(len(text))} tecken, högst {MAX_ID})")
    if not text.isprintable():
        char = next(c for c in text if not c.isprintable())
        return Invalid(f"id:t innehåller ett tecken som inte syns (U+{ord(char):04X})")
    return None


@dataclass
class Column:
    """One column of one file: what it must hold, and the outcome of its check for every
    distinct text seen so far.

    Every cell is screened first, whatever the column: no control character (checked on the
    cell with only its surrounding spaces and tabs trimmed: a newline or a US at its end is
    refused, though ``strip`` would drop it), nothing shaped like a personnummer outside the column
    ``personnummer``, and an id printable and at most ``MAX_ID`` characters. A cell that
    fails is reported with its column, never with its value."""

    name: str  # export column
    field: str  # record field
    index: int  # place in the export format: orders errors within a line
    position: int | None  # place in the file's rows; None: an optional column left out
    required: bool
    empty: Any  # the value of an empty optional cell
    check: Check | None  # None: free text (or an id)
    is_id: bool = False
    may_hold_personnummer: bool = False
    memo: dict[str, Any] = dataclasses.field(default_factory=dict)  # text -> value or Invalid
    seen_invalid: bool = False  # the memo holds an Invalid

    def values(self, lines: list[int], cells: Sequence[str], errors: FileErrors) -> list[Any]:
        """This column's value in some rows (``cells``: its text in each, on ``lines``):
        None where empty (and optional), an Invalid where wrong (each reported)."""
        texts = [cell.strip() for cell in cells]
        screened = self._screen(cells, texts)
        values: list[Any]
        if self.check is None:
            values = [text or None for text in texts]
            missing = self.required and None in values
        else:
            memo = self.memo
            for text in set(texts).difference(memo):
                if not text:
                    outcome = REQUIRED if self.required else self.empty
                else:
                    outcome = self.check(text)
                    # No valid value (a date, a kommun, an enumeration) looks like one.
                    if (
                        type(outcome) is Invalid
                        and not self.may_hold_personnummer
                        and hides_personnummer(text)
                    ):
                        outcome = PERSONNUMMER_ELSEWHERE
                if type(outcome) is Invalid:
                    self.seen_invalid = True
                memo[text] = outcome
            values = [memo[text] for text in texts]
            missing = False
        for i, invalid in screened.items():
            values[i] = invalid
        if missing or screened or self.seen_invalid:
            for line, value in zip(lines, values, strict=True):
                if type(value) is Invalid:
                    errors.add(line, self.index, self.name, value.message)
                elif value is None and missing:
                    errors.add(line, self.index, self.name, REQUIRED.message)
        return values

    def _screen(self, cells: Sequence[str], texts: list[str]) -> dict[int, Invalid]:
        """Cells (by place in the block) that fail the screen, and why. Each test runs on the
        whole block first; only a block that fails it is tested cell by cell."""
        out: dict[int, Invalid] = {}
        if _FORBIDDEN.search("".join(cells)):
            for i, cell in enumerate(cells):
                if m := _FORBIDDEN.search(cell.strip(" \t")):  # spaces and tabs: trimmed
                    out[i] = _forbidden(m.group())
        if self.check is not None:
            return out  # the rest is screened per distinct text, in ``values``
        if not self.may_hold_personnummer and _TEN_DIGITS.search("\n".join(texts)):
            for i, text in enumerate(texts):
                if i not in out and _TEN_DIGITS.search(text) and hides_personnummer(text):
                    out[i] = PERSONNUMMER_ELSEWHERE
        if (
            self.is_id
            and texts
            and (max(map(len, texts)) > MAX_ID or not "".join(texts).isprintable())
        ):
            for i, text in enumerate(texts):
                if i not in out and text and (bad := _bad_id(text)) is not None:
                    out[i] = bad
        return out
