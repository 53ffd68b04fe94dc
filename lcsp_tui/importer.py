"""Prator export (CSV files, SPEC §7) -> validated records -> upsert events, all or nothing.

``read_records`` reads any subset of the five export files, checks every row and every
reference (to rows of this import or to records the ledger already has) and either returns
all records or raises ``ImportFailed`` listing every error as ``file:line: column: what is
wrong``. Error lines never carry a personnummer, a name or an address: a value is echoed
only when it is an id or date-like text, and never when it looks like a personnummer.

``diff_events`` turns records into upsert events for what is new or changed compared with
``known``, so a re-import changes nothing; the demo generator shares it.

Speed (100k-row files are expected; ~3x plain ``csv.reader`` for ``read_records``): each
file's row loop is generated for its header and compiled (``_compile_rows``, the way
``dataclasses`` writes ``__init__``; only program constants and column positions enter the
source, never text from the file), so a valid row costs a few dictionary look-ups and no
pydantic validation; repeating values (enumerations, municipalities, dates) are converted
once; the personnummer column is checked in bulk (``_suspects12``) with
``personnummer.parse`` deciding every other form and writing every error message. A row
that fails the fast loop is checked again slowly (``_row_errors``) for its messages.
Records and events are built as ``model_construct`` would, without its overhead, after an
import-time check that this gives exactly what pydantic validation gives (``_fast_check``).
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import os
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from operator import attrgetter
from pathlib import Path
from typing import Any

from lcsp_tui.domain.models import (
    RECORD_KINDS,
    REGIONAL_UNIT_TYPES,
    Admission,
    AdmissionStatus,
    CareForm,
    CoordinatorOrg,
    Event,
    Housing,
    Message,
    Patient,
    Record,
    Sip,
    SipStatus,
    Unit,
    UnitType,
)
from lcsp_tui.domain.personnummer import PersonnummerError, looks_like_personnummer, parse
from lcsp_tui.domain.regiondata import RegionData, fold_text
from lcsp_tui.prator_format import FILE_FOR_RECORD, FILES, FileSpec

Known = Callable[[str, str], dict[str, Any] | None]
"""(kind, id) -> the ledger's current record as ``model_dump(mode="json")``, or None."""

KIND_OF: dict[type[Record], str] = {
    Unit: "unit",
    Patient: "patient",
    Admission: "admission",
    Sip: "sip",
    Message: "message",
}
MAX_ERRORS = 200


class ImportFailed(Exception):
    """The import was rejected; ``errors`` holds one line per error, at most MAX_ERRORS of
    them plus a last line saying how many more there were (``total`` counts them all)."""

    def __init__(self, errors: list[str], total: int) -> None:
        super().__init__(f"import rejected: {total} error(s), nothing imported")
        self.errors = errors
        self.total = total


@dataclass
class ImportPlan:
    events: list[Event]
    counts: dict[str, dict[str, int]]
    records: list[Record] = field(default_factory=list)


# --- what each column must hold ------------------------------------------------------------

# (check, required) per export column; columns not listed are optional free text.
_RULES: dict[str, dict[str, tuple[str, bool]]] = {
    "enheter.csv": {
        "enhet_id": ("text", True),
        "namn": ("text", True),
        "typ": ("unit_type", True),
        "kommun": ("municipality", False),  # required for municipal unit types: _check_units
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
_ENUMS: dict[str, type[StrEnum]] = {
    "unit_type": UnitType,
    "housing": Housing,
    "care_form": CareForm,
    "admission_status": AdmissionStatus,
    "coordinator_org": CoordinatorOrg,
    "sip_status": SipStatus,
}
_EMPTY: dict[str, Any] = {"yes_no": False}  # an empty optional value; None unless listed

# References: (record field, column, kind referred to, allowed unit types or None for any).
_REFS: dict[type[Record], tuple[tuple[str, str, str, frozenset[str] | None], ...]] = {
    Unit: (),
    Patient: (
        ("housing_unit", "boende_enhet", "unit", frozenset({UnitType.BOENDEENHET})),
        ("home_health_unit", "hemsjukvardsenhet", "unit", frozenset({UnitType.HEMSJUKVARDSENHET})),
        ("assistance_unit", "bistandsenhet", "unit", frozenset({UnitType.BISTANDSENHET})),
        ("health_centre", "halsocentral", "unit", frozenset({UnitType.HALSOCENTRAL})),
        (
            "psych_outpatient_unit",
            "psykiatrisk_oppenvardsenhet",
            "unit",
            frozenset({UnitType.PSYKIATRISK_OPPENVARD}),
        ),
    ),
    Admission: (
        ("patient_id", "patient_id", "patient", None),
        ("ward", "avdelning", "unit", None),  # its type follows vardform: _WARD_TYPE
    ),
    Sip: (
        ("patient_id", "patient_id", "patient", None),
        ("responsible_unit", "ansvarig_enhet", "unit", None),
    ),
    Message: (
        ("admission_id", "vardtillfalle_id", "admission", None),
        ("recipient_unit", "mottagare_enhet", "unit", None),
    ),
}
_WARD_TYPE = {
    CareForm.SOMATIK: UnitType.SLUTENVARD_SOMATIK,
    CareForm.PSYKIATRI: UnitType.SLUTENVARD_PSYKIATRI,
}


# --- single values ------------------------------------------------------------------------


class _Bad(Exception):
    """A value is invalid; the message is the 'what is wrong' part of the error line."""


_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_TIMESTAMP = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})", re.ASCII)
_DATEISH = re.compile(r"[0-9 :./T-]{1,25}", re.ASCII)
_DOUBLED = str.maketrans("0123456789", "0246813579")  # Luhn: 2*d with its digits summed


def _format_message() -> str:
    """parse()'s own message for text that is not shaped like a personnummer."""
    try:
        parse("x", dt.date(2000, 1, 1))
    except PersonnummerError as e:
        return str(e)
    raise AssertionError("personnummer.parse accepted 'x'")


_PNR_FORMAT_MSG = _format_message()


def _show(value: str) -> str:
    """An id as it may appear in an error line: never anything shaped like a personnummer."""
    if looks_like_personnummer(value):
        return "(hidden: looks like a personnummer)"
    return value if len(value) <= 40 else value[:40] + "…"


def _echo_date(value: str) -> str:
    """``: 'value'`` for date-like text only (a misplaced name or address is never shown)."""
    if _DATEISH.fullmatch(value) and not looks_like_personnummer(value):
        return f": {value!r}"
    return ""


def _parse_date(s: str) -> dt.date:
    m = _DATE.fullmatch(s)
    if m:
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            pass
    raise _Bad(f"not a date (YYYY-MM-DD){_echo_date(s)}")


def _parse_timestamp(s: str) -> dt.datetime:
    m = _TIMESTAMP.fullmatch(s)
    if m:
        try:
            return dt.datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]))
        except ValueError:
            pass
    raise _Bad(f"not a timestamp (YYYY-MM-DD HH:MM){_echo_date(s)}")


def _yes_no(s: str) -> bool:
    v = s.lower()
    if v in ("ja", "nej"):
        return v == "ja"
    raise _Bad("must be ja or nej")


def _enum_check(enum: type[StrEnum]) -> Callable[[str], Any]:
    table = {m.value: m for m in enum}
    msg = "must be one of " + ", ".join(table)

    def check(s: str) -> Any:
        try:
            return table[s.lower()]
        except KeyError:
            raise _Bad(msg) from None

    return check


class _Checks:
    """The value checks of one read: ``value[kind](text)`` returns the value or raises _Bad."""

    def __init__(self, region: RegionData, reference: dt.date) -> None:
        self.reference = reference
        self.reference8 = reference.strftime("%Y%m%d")
        munis = region.municipalities
        self.canonical = {
            fold_text(n): m.name for m in munis.municipality for n in (m.name, *m.aliases)
        }
        self.muni_msg = "unknown municipality (expected one of " + ", ".join(munis.names) + ")"
        self.born_ok: dict[str, bool] = {}
        self.years: dict[str, str] = {}  # "YYMMDD-" or "YYMMDD+" -> YYYY
        self.value: dict[str, Callable[[str], Any]] = {
            "municipality": self.municipality,
            "personnummer": self.personnummer,
            "date": _parse_date,
            "timestamp": _parse_timestamp,
            "yes_no": _yes_no,
        }
        self.value.update((kind, _enum_check(enum)) for kind, enum in _ENUMS.items())

    def municipality(self, s: str) -> str:
        name = self.canonical.get(fold_text(s))
        if name is None:
            raise _Bad(self.muni_msg)
        return name

    def birth_ok(self, d8: str) -> bool:
        """What parse() requires of YYYYMMDD in a 12-digit number (memoised)."""
        ok = self.born_ok.get(d8)
        if ok is None:
            month_day = _MONTH_DAY.get(d8[4:])
            if month_day is not None:  # a valid date in any year
                ok = d8[:4] >= "1800" and d8[:4] + month_day <= self.reference8
            else:  # 29 February, or no date at all
                year, month, day = int(d8[:4]), int(d8[4:6]), int(d8[6:8])
                try:
                    born = dt.date(year, month, day - 60 if day > 60 else day)
                    ok = year >= 1800 and born <= self.reference
                except ValueError:
                    ok = False
            self.born_ok[d8] = ok
        return ok

    def year_of(self, yymmdd: str, sep: str) -> str:
        """The four-digit year parse() gives a 10-digit number (YYMMDD and - or +)."""
        yy, month, day = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
        year = (self.reference.year // 100) * 100 + yy
        try:
            born: dt.date | None = dt.date(year, month, day - 60 if day > 60 else day)
        except ValueError:
            born = None
        if born is None or born > self.reference:
            year -= 100
        if sep == "+":
            year -= 100
        return f"{year:04d}"

    def personnummer(self, s: str) -> str:
        """Normalised 12 digits; the common forms checked here, all others (and every error
        message) by ``personnummer.parse``."""
        if not s.isascii():
            raise _Bad(_PNR_FORMAT_MSG)
        if len(s) == 12 and s.isdigit():
            d = s
        elif len(s) == 13 and s[8] == "-" and s[:8].isdigit() and s[9:].isdigit():
            d = s[:8] + s[9:]
        elif len(s) == 11 and s[6] in "-+" and s[:6].isdigit() and s[7:].isdigit():
            year = self.years.get(s[:7])
            if year is None:
                year = self.years[s[:7]] = self.year_of(s[:6], s[6])
            d = year + s[2:6] + s[7:]
        else:
            d = ""
        if d and d[8:11] != "000" and self.birth_ok(d[:8]):
            tail = d[2:]
            if (sum((tail[0::2].translate(_DOUBLED) + tail[1::2]).encode()) - 480) % 10 == 0:
                return d
        try:
            digits = parse(s, self.reference).digits
        except PersonnummerError as e:
            raise _Bad(str(e)) from None
        if not digits.isascii():
            raise _Bad(_PNR_FORMAT_MSG)
        return digits

    def personnummer_column(self, vals: list[str]) -> tuple[list[Any], dict[str, str]]:
        """(normalised values, {bad value: message}) for non-empty values.

        A column in one form (12 digits, or 8 + '-' + 4) is checked in bulk and only its
        suspects one by one; a column of mixed forms is checked value by value.
        """
        n = len(vals)
        joined = "".join(vals)
        out: list[Any] = vals
        if len(joined) == 12 * n:
            digits = joined
            width = 12
        else:
            digits = joined.replace("-", "")
            width = 13
        if (
            n
            and len(joined) == width * n
            and len(digits) == 12 * n
            and digits.isascii()
            and digits.isdigit()
            # every value has the same width (values are digits and '-': no '\n' in them)
            and "\n".join(vals)[width :: width + 1] == "\n" * (n - 1)
            and (width == 12 or joined[8::13] == "-" * n)
        ):
            if width == 13:
                out = [digits[i : i + 12] for i in range(0, 12 * n, 12)]
            suspects = _suspects12(digits.encode("ascii"), n)
            births = {digits[i : i + 8] for i in range(0, 12 * n, 12)}
            if not all(map(self.birth_ok, births)):
                suspects.update(i for i, v in enumerate(out) if not self.birth_ok(v[:8]))
        else:
            suspects = set(range(n))
        bad: dict[str, str] = {}
        if suspects:
            out = list(out)
            for i in sorted(suspects):
                try:
                    out[i] = self.personnummer(vals[i])
                except _Bad as e:
                    out[i] = None
                    bad[vals[i]] = str(e)
        return out, bad


# "MMDD" of every day valid in every year, and its samordningsnummer form (day + 60).
_MONTH_DAY = {
    f"{d.month:02d}{d.day + plus:02d}": f"{d.month:02d}{d.day:02d}"
    for d in (dt.date(2001, 1, 1) + dt.timedelta(days=i) for i in range(365))
    for plus in (0, 60)
}
_AS_DIGIT = bytes.maketrans(b"0123456789", bytes(range(10)))
_AS_DOUBLED = bytes.maketrans(b"0123456789", bytes((0, 2, 4, 6, 8, 1, 3, 5, 7, 9)))
_IS_ZERO = bytes.maketrans(b"0123456789", b"\x01" + bytes(9))
_NOT_TENS = bytes(0 if v % 10 == 0 else 1 for v in range(256))


def _suspects12(digits: bytes, n: int) -> set[int]:
    """Rows of ``n`` concatenated 12-digit numbers with serial 000 or a failing Luhn check.

    Each digit position of all rows becomes one big integer with a byte per row, so the
    per-row Luhn sums are a few big-integer additions (ten digits sum to at most 90: no
    carry from one row's byte into the next).
    """

    def position(k: int, table: bytes) -> int:
        return int.from_bytes(digits[k::12].translate(table), "big")

    zero = position(8, _IS_ZERO) & position(9, _IS_ZERO) & position(10, _IS_ZERO)
    luhn = sum(position(2 + k, _AS_DOUBLED if k % 2 == 0 else _AS_DIGIT) for k in range(10))
    flags = int.from_bytes(luhn.to_bytes(n, "big").translate(_NOT_TENS), "big") | zero
    marks = flags.to_bytes(n, "big")
    out: set[int] = set()
    i = marks.find(1)
    while i != -1:
        out.add(i)
        i = marks.find(1, i + 1)
    return out


# --- reading files --------------------------------------------------------------------------


@dataclass
class _Column:
    name: str  # export column
    field: str  # record field
    index: int  # position in FileSpec.columns (orders errors within a line)
    position: int | None  # position in the file's rows; None: an absent optional column
    kind: str  # a _Checks.value key, "personnummer", or "text"
    required: bool

    @property
    def empty(self) -> Any:
        return _EMPTY.get(self.kind)


@dataclass
class _File:
    index: int  # position among the paths given (orders errors)
    name: str  # basename as given, for error lines
    spec: FileSpec | None = None
    columns: list[_Column] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)  # rows that passed the row checks
    lines: list[int] = field(default_factory=list)  # the line of each of those records
    rejected: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (line, valid values)
    pns: list[str] = field(default_factory=list)  # personnummer text of each record
    kept: dict[str, list[Any]] = field(default_factory=dict)  # field -> value per record
    ids: set[str] = field(default_factory=set)

    def column(self, fld: str) -> list[Any]:
        """The values of one field over every row: records, then rejected rows."""
        kept = self.kept.get(fld)
        values = list(map(attrgetter(fld), self.records)) if kept is None else list(kept)
        if self.rejected:
            values += [vals.get(fld) for _, vals in self.rejected]
        return values

    def all_lines(self) -> list[int]:
        """The lines of the rows in ``column`` order."""
        return self.lines + [line for line, _ in self.rejected]


class _Errors:
    def __init__(self) -> None:
        self.items: list[tuple[int, int, int, str]] = []

    def add(self, f: _File, line: int, col_index: int, col: str, what: str) -> None:
        self.items.append((f.index, line, col_index, f"{f.name}:{line}: {col}: {what}"))

    def lines(self) -> tuple[list[str], int]:
        self.items.sort(key=lambda e: e[:3])
        out = [e[3] for e in self.items]
        total = len(out)
        if total > MAX_ERRORS:
            out = out[:MAX_ERRORS] + [f"… and {total - MAX_ERRORS} more errors"]
        return out, total


def _decode(raw: bytes) -> tuple[str | None, int, str]:
    """(encoding, 0, '') or (None, line, error): UTF-8 (BOM optional), else Windows-1252."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, 1, "UTF-16 is not supported: save as CSV UTF-8 or semicolon-separated CSV"
    bad = 0
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            raw.decode(encoding)
            return encoding, 0, ""
        except UnicodeDecodeError as e:
            bad = e.start
    line = raw.count(b"\n", 0, bad) + 1
    return None, line, f"not UTF-8 or Windows-1252 text (byte 0x{raw[bad]:02x})"


def _read_file(path: Path, f: _File, checks: _Checks, errors: _Errors) -> bool:
    """Read and check one file into ``f``; False if it could not be read at all."""
    assert f.spec is not None
    try:
        raw = path.read_bytes()
    except OSError as e:
        errors.add(f, 1, -1, "-", f"cannot read file ({e.strerror or type(e).__name__})")
        return False
    encoding, line, problem = _decode(raw)
    if encoding is None:
        errors.add(f, line, -1, "-", problem)
        return False
    head = raw.split(b"\n", 1)[0].split(b"\r", 1)[0]  # ; and , are one byte in both encodings
    delimiter = "," if b"," in head and b";" not in head else ";"
    text = io.TextIOWrapper(io.BytesIO(raw), encoding=encoding, newline="")
    reader = csv.reader(text, delimiter=delimiter, skipinitialspace=True)
    try:
        header = next(reader, None)
        if header is None or not any(h.strip() for h in header):
            errors.add(f, 1, -1, "-", "empty file: no header row")
            return False
        if not _header(header, f, errors):
            return False
        f.kept = {fld: [] for fld in _kept_fields(f.spec.record)}
        read_rows = _compile_rows(f.columns, f.spec.record, checks, f.kept)
        set_aside: list[tuple[int, list[str]]] = []
        read_rows(reader, len(header), f.records, f.lines, set_aside, f.pns)
    except csv.Error as e:
        errors.add(f, reader.line_num, -1, "-", f"malformed CSV ({e})")
        return False
    for line, row in set_aside:
        f.rejected.append((line, _row_errors(line, row, len(header), f, checks, errors)))
    return True


def _header(header: list[str], f: _File, errors: _Errors) -> bool:
    """Map the header onto the file's columns (``f.columns``); False after reporting errors."""
    assert f.spec is not None
    rules = _RULES.get(f.spec.name, {})
    expected = [c for c, _ in f.spec.columns]
    keys = [h.strip().lower() for h in header]
    found = {k: pos for pos, k in reversed(list(enumerate(keys))) if k in expected}
    if not found:
        errors.add(f, 1, -1, "-", "no header row (expected " + ", ".join(expected) + ")")
        return False
    ok = True
    seen: set[str] = set()
    for pos, key in enumerate(keys):
        col = _show(key) if key else f"column {pos + 1}"
        if key not in expected:
            errors.add(f, 1, 1000 + pos, col, "unknown column")
            ok = False
        elif key in seen:
            errors.add(f, 1, 1000 + pos, col, "duplicate column")
            ok = False
        seen.add(key)
    for index, (col, fld) in enumerate(f.spec.columns):
        kind, required = rules.get(col, ("text", False))
        if col not in found and col not in f.spec.optional:
            errors.add(f, 1, index, col, "missing column")
            ok = False
        f.columns.append(_Column(col, fld, index, found.get(col), kind, required))
    return ok


def _blank(row: list[str]) -> bool:
    return not any(v.strip() for v in row)


_UNSEEN = object()  # not yet in a look-up table
_INVALID = object()  # a value that failed its check


def _kept_fields(cls: type[Record]) -> set[str]:
    """Fields the checks across rows and files read: ids, references, and what types them."""
    fields = {FILE_FOR_RECORD[cls].columns[0][1]} | {fld for fld, *_ in _REFS[cls]}
    if cls is Admission:
        fields.add("care_form")
    if cls is Unit:
        fields.add("type")
    return fields


def _compile_rows(
    columns: list[_Column], cls: type[Record], checks: _Checks, kept: dict[str, list[Any]]
) -> Callable[..., None]:
    """The row loop for one file, written out for its header and compiled.

    ``read_rows(reader, width, records, lines, rejected, pns)`` builds a record for every
    row whose values pass (look-up tables fill as values are first seen) and sets every
    other row aside as ``(line, row)`` for ``_row_errors``. Personnummer values are only
    collected here (``pns``) and checked in bulk afterwards; the ``kept`` fields' values are
    collected too (reading them back from 100k records costs more).
    """
    ns: dict[str, Any] = {
        "_UNSEEN": _UNSEEN,
        "_INVALID": _INVALID,
        "_blank": _blank,
        "cls": cls,
        "new": object.__new__,
        "setattr": object.__setattr__,
        # One fields-set shared by the records of a file (pydantic copies it on model_copy;
        # frozen records never add to it): a set per record costs time and GC work.
        "FIELDS": set(cls.model_fields),
        "make": cls.model_validate,
    }
    body: list[str] = []
    passes: list[str] = []
    pn = ""
    for c in columns:
        v = f"v{c.index}"
        if c.position is None:
            ns[f"D{c.index}"] = c.empty
            body.append(f"{v} = D{c.index}")
            continue
        text = f"row[{c.position}].strip()"
        if c.kind == "text" or c.kind == "personnummer":
            body.append(f"{v} = {text}" if c.required else f"{v} = {text} or None")
            if c.required:
                passes.append(v)
            if c.kind == "personnummer":
                pn = v
            continue
        table: dict[str, Any] = {"": _INVALID if c.required else c.empty}
        ns[f"get{c.index}"] = table.get
        ns[f"miss{c.index}"] = _table_filler(table, checks.value[c.kind])
        body.append(f"{v} = get{c.index}({text}, _UNSEEN)")
        body.append(f"if {v} is _UNSEEN: {v} = miss{c.index}({text})")
        passes.append(f"{v} is not _INVALID")
    keep: list[str] = []
    for c in columns:
        if c.field in kept:
            ns[f"keep{c.index}"] = kept[c.field].append
            keep.append(f"keep{c.index}(v{c.index})")
    values = "{" + ", ".join(f"{c.field!r}: v{c.index}" for c in columns) + "}"
    if _FAST_CONSTRUCT and [c.field for c in columns] == list(cls.model_fields):
        build = [
            "o = new(cls)",
            f"setattr(o, '__dict__', {values})",
            "setattr(o, '__pydantic_fields_set__', FIELDS)",
            "setattr(o, '__pydantic_extra__', None)",
            "setattr(o, '__pydantic_private__', None)",
        ]
    else:
        build = [f"o = make({values})"]
    src = "\n".join(
        [
            "def read_rows(reader, width, records, lines, rejected, pns):",
            "    add_record, add_line, add_pn = records.append, lines.append, pns.append",
            "    line_after = reader.line_num",
            "    for row in reader:",
            "        line = line_after + 1",
            "        line_after = reader.line_num",
            "        if len(row) != width or not row[0]:",
            "            if _blank(row):",
            "                continue",
            "            if len(row) != width:",
            "                rejected.append((line, row))",
            "                continue",
            *(f"        {s}" for s in body),
            f"        if {' and '.join(passes) or 'True'}:",
            *(f"            {s}" for s in build),
            "            add_record(o)",
            *(f"            {s}" for s in keep),
            "            add_line(line)",
            f"            add_pn({pn})" if pn else "            pass",
            "        else:",
            "            rejected.append((line, row))",
        ]
    )
    exec(compile(src, f"<importer rows: {cls.__name__}>", "exec"), ns)
    return ns["read_rows"]  # type: ignore[no-any-return]


def _table_filler(table: dict[str, Any], check: Callable[[str], Any]) -> Callable[[str], Any]:
    def miss(text: str) -> Any:
        try:
            value = check(text)
        except _Bad:
            value = _INVALID
        table[text] = value
        return value

    return miss


def _row_errors(
    line: int, row: list[str], width: int, f: _File, checks: _Checks, errors: _Errors
) -> dict[str, Any]:
    """Report what is wrong with a row set aside by the fast loop; its valid values."""
    if len(row) != width:
        hint = " (unbalanced quote?)" if any("\n" in v or "\r" in v for v in row) else ""
        errors.add(f, line, -1, "-", f"expected {width} columns, found {len(row)}{hint}")
        return {}
    values: dict[str, Any] = {}
    for c in f.columns:
        text = row[c.position].strip() if c.position is not None else ""
        if not text:
            if c.required:
                errors.add(f, line, c.index, c.name, "required, but empty")
            else:
                values[c.field] = c.empty
            continue
        try:
            values[c.field] = checks.value[c.kind](text) if c.kind != "text" else text
        except _Bad as e:
            errors.add(f, line, c.index, c.name, str(e))
    return values


# --- checks across rows and files -------------------------------------------------------


def _check_personnummer(f: _File, checks: _Checks, errors: _Errors) -> None:
    """Bulk check of the records' personnummer; normalised values are written back."""
    col = next((c for c in f.columns if c.kind == "personnummer"), None)
    if col is None or not f.pns:
        return
    out, bad = checks.personnummer_column(f.pns)
    if out is not f.pns:
        for rec, new, old in zip(f.records, out, f.pns, strict=True):
            if new is not None and new != old:
                rec.__dict__[col.field] = new  # still ours: not yet returned
    if bad:
        for line, text in zip(f.lines, f.pns, strict=True):
            if text in bad:
                errors.add(f, line, col.index, col.name, bad[text])


def _check_duplicates(f: _File, errors: _Errors) -> None:
    id_col = f.columns[0]
    ids = f.column(id_col.field)
    f.ids = set(ids)
    f.ids.discard(None)
    if len(f.ids) == len(ids) - ids.count(None):
        return
    first: dict[str, int] = {}
    pairs = zip(f.all_lines(), ids, strict=True)
    for line, key in sorted((line, key) for line, key in pairs if key is not None):
        if key in first:
            what = f"duplicate id {_show(key)} (first on line {first[key]})"
            errors.add(f, line, id_col.index, id_col.name, what)
        else:
            first[key] = line


def _check_units(f: _File, errors: _Errors) -> None:
    """Municipal unit types need a kommun; regional ones may leave it empty."""
    col = next(c for c in f.columns if c.name == "kommun")
    rows = [(line, rec.__dict__) for line, rec in zip(f.lines, f.records, strict=True)]
    for line, values in rows + f.rejected:
        typ = values.get("type")
        # An absent key: the kommun was invalid (already reported); None: it was empty.
        if typ is not None and typ not in REGIONAL_UNIT_TYPES and values.get(col.field, "") is None:
            errors.add(f, line, col.index, col.name, f"required for typ {typ}")


def _check_references(
    files: dict[type[Record], _File], unreadable: set[str], known: Known, errors: _Errors
) -> None:
    """Every id a row points at exists, here or in the ledger, and units have the right type."""
    unit_types: dict[str, Any] = {}
    if Unit in files:
        ids, types = files[Unit].column("unit_id"), files[Unit].column("type")
        unit_types = {k: t for k, t in zip(ids, types, strict=True) if k is not None}
    ids_of = {KIND_OF[cls]: f.ids for cls, f in files.items()}
    memo: dict[tuple[str, str], dict[str, Any] | None] = {}

    def lookup(kind: str, key: str) -> tuple[bool, str | None]:
        """(exists, unit type) — the type is None when it cannot be told."""
        if kind == "unit" and key in unit_types:
            return True, unit_types[key]
        if key in ids_of.get(kind, ()):
            return True, None
        if (kind, key) not in memo:
            memo[kind, key] = known(kind, key)
        payload = memo[kind, key]
        if payload is None:
            return kind in unreadable, None  # its file could not be read: no error pile-up
        return True, payload.get("type") if kind == "unit" else None

    for cls, f in files.items():
        col_index = {c.name: c.index for c in f.columns}
        for fld, col, kind, allowed in _REFS[cls]:
            vals = f.column(fld)
            # A ward's type follows the row's vardform: key on (id, vardform).
            keys: list[Any] = vals
            if fld == "ward":
                keys = list(zip(vals, f.column("care_form"), strict=True))
            problems: dict[Any, str] = {}
            for k in set(keys):
                key, form = k if fld == "ward" else (k, None)
                if key is None:
                    continue
                exists, typ = lookup(kind, key)
                need, note = allowed, ""
                if form is not None:
                    need, note = frozenset({_WARD_TYPE[form]}), f" for vardform {form}"
                if not exists:
                    problems[k] = f"unknown {kind} {_show(key)}"
                elif need is not None and typ is not None and typ not in need:
                    expected = ", ".join(sorted(need))
                    problems[k] = f"unit {_show(key)} is {typ}, expected {expected}{note}"
            if problems:
                for line, k in zip(f.all_lines(), keys, strict=True):
                    what = problems.get(k)
                    if what is not None:
                        errors.add(f, line, col_index[col], col, what)


# --- building records without a second validation ----------------------------------------


def _fast_check() -> bool:
    """True if building a record as ``_compile_rows`` does (what ``model_construct`` does,
    without its overhead) gives exactly what ``model_validate`` gives on this pydantic."""
    values = {"unit_id": "E", "name": "N", "type": UnitType.BOENDEENHET, "municipality": "Ånge"}
    shared = set(Unit.model_fields)
    try:
        a = object.__new__(Unit)
        object.__setattr__(a, "__dict__", dict(values))
        object.__setattr__(a, "__pydantic_fields_set__", shared)
        object.__setattr__(a, "__pydantic_extra__", None)
        object.__setattr__(a, "__pydantic_private__", None)
        b = Unit.model_validate(values)
        copied = a.model_copy(update={"name": "M"})
        return (
            a == b
            and hash(a) == hash(b)
            and list(a.model_dump(mode="json").items()) == list(b.model_dump(mode="json").items())
            and a.model_fields_set == b.model_fields_set
            and copied.name == "M"
            and copied.model_fields_set is not shared
            and shared == set(Unit.model_fields)
        )
    except Exception:  # pragma: no cover - depends on the pydantic version
        return False


_FAST_CONSTRUCT = _fast_check()


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while building many objects that all stay alive: each collection
    would walk every row read so far, and an import makes no reference cycles."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --- events without re-validation ---------------------------------------------------------

_PLAIN = {str, bool, int, str | None, bool | None, int | None}
_SPECIAL_FIELDS = {
    cls: tuple(n for n, info in cls.model_fields.items() if info.annotation not in _PLAIN)
    for cls in KIND_OF
}


def _dump(rec: Record) -> dict[str, Any]:
    """``rec.model_dump(mode="json")``, fast for the value types records hold (enumeration,
    date, naive whole-second datetime); anything else goes to pydantic."""
    out = rec.__dict__.copy()
    for name in _SPECIAL_FIELDS[type(rec)]:
        v = out[name]
        if v is None:
            continue
        t = type(v)
        if isinstance(v, StrEnum):
            out[name] = v.value
        elif t is dt.date or (t is dt.datetime and v.tzinfo is None and not v.microsecond):
            out[name] = v.isoformat()
        else:
            return rec.model_dump(mode="json")
    return out


_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}
_EVENT_ID_FACTORY = Event.model_fields["event_id"].default_factory


def _is_uuid4_factory() -> bool:
    try:
        return uuid.UUID(_EVENT_ID_FACTORY()).version == 4  # type: ignore[misc, call-arg]
    except Exception:  # pragma: no cover - only if Event's ids change
        return False


_UUID4_IDS = _is_uuid4_factory()


def _event_ids(n: int) -> list[str]:
    """``n`` new event ids: random version-4 UUIDs as ``str(uuid.uuid4())`` writes them, made
    from one ``os.urandom`` call (or Event's own factory if it makes something else)."""
    if not _UUID4_IDS:  # pragma: no cover - only if Event's ids change
        return [_EVENT_ID_FACTORY() for _ in range(n)]  # type: ignore[misc, call-arg]
    h = os.urandom(16 * n).hex()
    return [
        f"{h[i : i + 8]}-{h[i + 8 : i + 12]}-4{h[i + 13 : i + 16]}-"
        f"{_VARIANT[h[i + 16]]}{h[i + 17 : i + 20]}-{h[i + 20 : i + 32]}"
        for i in range(0, 32 * n, 32)
    ]


_EVENT_TEMPLATE = Event(event_id="", kind="", payload={}).__dict__.copy()
_EVENT_FIELDS = set(Event.model_fields)


def _fast_event(event_id: str, upsert: tuple[str, dict[str, Any]]) -> Event:
    values = _EVENT_TEMPLATE.copy()
    values["event_id"] = event_id
    values["kind"], values["payload"] = upsert
    ev = object.__new__(Event)
    object.__setattr__(ev, "__dict__", values)
    object.__setattr__(ev, "__pydantic_fields_set__", _EVENT_FIELDS)  # shared: see FIELDS
    object.__setattr__(ev, "__pydantic_extra__", None)
    object.__setattr__(ev, "__pydantic_private__", None)
    return ev


def _slow_event(event_id: str, upsert: tuple[str, dict[str, Any]]) -> Event:
    return Event(event_id=event_id, kind=upsert[0], payload=upsert[1])


def _choose_event_maker() -> Callable[[str, tuple[str, dict[str, Any]]], Event]:
    sample = ("x", {"a": "b"})
    try:
        fast, slow = _fast_event("id", sample), _slow_event("id", sample)
        same = fast == slow and fast.model_dump(mode="json") == slow.model_dump(mode="json")
    except Exception:  # pragma: no cover - depends on the pydantic version
        same = False
    return _fast_event if same and _FAST_CONSTRUCT else _slow_event


_make_event = _choose_event_maker()


# --- the API ----------------------------------------------------------------------------------


def read_records(
    paths: Sequence[Path],
    region: RegionData,
    known: Known,
    reference_date: dt.date,
) -> list[Record]:
    """Read and check export files: every record in dependency order, or ImportFailed with
    every error. ``reference_date`` decides the century of 10-digit personnummer."""
    errors = _Errors()
    checks = _Checks(region, reference_date)
    files: dict[type[Record], _File] = {}
    unreadable: set[str] = set()
    with _gc_paused():
        for fi, given in enumerate(paths):
            path = Path(given)
            f = _File(fi, path.name, FILES.get(path.name.lower()))
            if f.spec is None:
                errors.add(f, 1, -1, "-", "unknown file, expected one of " + ", ".join(FILES))
                continue
            kind = KIND_OF[f.spec.record]
            if f.spec.record in files or kind in unreadable:
                errors.add(f, 1, -1, "-", f"{f.spec.name} given more than once")
            elif not path.is_file():
                errors.add(f, 1, -1, "-", "not a file" if path.exists() else "file not found")
                unreadable.add(kind)
            elif _read_file(path, f, checks, errors):
                files[f.spec.record] = f
                _check_personnummer(f, checks, errors)
                _check_duplicates(f, errors)
            else:
                unreadable.add(kind)
        if Unit in files:
            _check_units(files[Unit], errors)
        _check_references(files, unreadable, known, errors)
        if errors.items:
            raise ImportFailed(*errors.lines())
        return [rec for cls in KIND_OF if cls in files for rec in files[cls].records]


def record_id(record: Record) -> str:
    """A record's export id (``enhet_id``, ``patient_id``, …): what ``known`` is asked for."""
    return str(record.__dict__[FILE_FOR_RECORD[type(record)].columns[0][1]])


def diff_events(records: Iterable[Record], known: Known) -> ImportPlan:
    """Upsert events for the records that are new or differ from ``known``, in dependency
    order (units, patients, admissions, SIPs, messages); ``counts`` per export file name
    for the files that have records among ``records``.

    Each event is what ``record_event(record)`` makes (built without re-validating).
    """
    order = {cls: i for i, cls in enumerate(KIND_OF)}
    with _gc_paused():
        recs = sorted(records, key=lambda r: order[type(r)])  # stable: keeps file order
        counts: dict[str, dict[str, int]] = {}
        upserts: list[tuple[str, dict[str, Any]]] = []
        for rec in recs:
            cls = type(rec)
            spec = FILE_FOR_RECORD[cls]
            c = counts.get(spec.name)
            if c is None:
                c = counts[spec.name] = {"new": 0, "changed": 0, "unchanged": 0}
            payload = _dump(rec)
            previous = known(KIND_OF[cls], payload[spec.columns[0][1]])
            if previous is None:
                c["new"] += 1
            elif previous != payload:
                c["changed"] += 1
            else:
                c["unchanged"] += 1
                continue
            upserts.append((RECORD_KINDS[cls], payload))
        events = list(map(_make_event, _event_ids(len(upserts)), upserts))
    return ImportPlan(events, {n: counts[n] for n in FILES if n in counts}, recs)


def plan_import(
    paths: Sequence[Path],
    region: RegionData,
    known: Known,
    reference_date: dt.date,
) -> ImportPlan:
    """``read_records`` + ``diff_events``: the events an import would append. ``counts``
    has an entry for every export file given (zeros for a file without rows)."""
    plan = diff_events(read_records(paths, region, known, reference_date), known)
    given = {Path(p).name.lower() for p in paths}
    zero = {"new": 0, "changed": 0, "unchanged": 0}
    plan.counts = {
        n: plan.counts.get(n, dict(zero)) for n in FILES if n in plan.counts or n in given
    }
    return plan
