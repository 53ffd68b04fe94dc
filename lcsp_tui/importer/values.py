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
from lcsp_tui.importer.errors import FileErrors
from lcsp_tui.prator_format import FileSpec

# (kind of value, required) per export column; columns not listed are optional free text.
RULES: dict[str, dict[str, tuple[str, bool]]] = {
    "enheter.csv": {
        "enhet_id": ("text", True),
        "namn": ("text", True),
        "typ": ("unit_type", True),
        "kommun": ("municipality", False),  # required for municipal unit types: checks.py
    },
    "patienter.csv": {
        "patient_id": ("text", True),
        "personnummer": ("personnummer", True),
        "fornamn": ("text", True),
        "efternamn": ("text", True),
        "kommun": ("municipality", True),
        "boendeform": ("housing", True),
        "skyddad_identitet": ("yes_no", False),
    },
    "vardtillfallen.csv": {
        "vardtillfalle_id": ("text", True),
        "patient_id": ("text", True),
        "vardform": ("care_form", True),
        "avdelning": ("text", True),
        "inskriven": ("date", True),
        "utskrivningsklar": ("date", False),
        "status": ("admission_status", True),
    },
    "sip.csv": {
        "sip_id": ("text", True),
        "patient_id": ("text", True),
        "samordningsansvar": ("coordinator_org", True),
        "ansvarig_enhet": ("text", True),
        "kommun": ("municipality", True),
        "startad": ("date", True),
        "senaste_mote": ("date", False),
        "status": ("sip_status", True),
    },
    "meddelanden.csv": {
        "meddelande_id": ("text", True),
        "vardtillfalle_id": ("text", True),
        "typ": ("text", True),
        "mottagare_enhet": ("text", True),
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


def _echo(text: str) -> str:
    """``: 'text'`` for date-like text only (a misplaced name or address is never shown)."""
    if _DATEISH.fullmatch(text) and not looks_like_personnummer(text):
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
            check = None if kind == "text" else self.by_kind[kind]
            out.append(
                Column(name, fld, index, positions.get(name), required, EMPTY.get(kind), check)
            )
        return out


REQUIRED = Invalid("måste fyllas i")


@dataclass
class Column:
    """One column of one file: what it must hold, and the outcome of its check for every
    distinct text seen so far."""

    name: str  # export column
    field: str  # record field
    index: int  # place in the export format: orders errors within a line
    position: int | None  # place in the file's rows; None: an optional column left out
    required: bool
    empty: Any  # the value of an empty optional cell
    check: Check | None  # None: free text
    memo: dict[str, Any] = dataclasses.field(default_factory=dict)  # text -> value or Invalid
    seen_invalid: bool = False  # the memo holds an Invalid

    def values(self, lines: list[int], cells: Sequence[str], errors: FileErrors) -> list[Any]:
        """This column's value in some rows (``cells``: its text in each, on ``lines``):
        None where empty (and optional), an Invalid where wrong (each reported)."""
        texts = [cell.strip() for cell in cells]
        if self.check is None:
            values: list[Any] = [text or None for text in texts]
            if self.required and None in values:
                for line, value in zip(lines, values, strict=True):
                    if value is None:
                        errors.add(line, self.index, self.name, REQUIRED.message)
            return values
        memo = self.memo
        for text in set(texts).difference(memo):
            if text:
                outcome = memo[text] = self.check(text)
            else:
                outcome = memo[text] = REQUIRED if self.required else self.empty
            if type(outcome) is Invalid:
                self.seen_invalid = True
        values = [memo[text] for text in texts]
        if self.seen_invalid:
            for line, value in zip(lines, values, strict=True):
                if type(value) is Invalid:
                    errors.add(line, self.index, self.name, value.message)
        return values
