"""Checks across rows and files: duplicate ids, a kommun for municipal units, and every
reference (to a row of this import or to a record the ledger already has) with its unit type.

Each check works on an ``ExportFile``'s columns, which hold a value for every row of the
right width, valid or not: None where a cell was empty, an ``Invalid`` where its value was
wrong (already reported). A rejected row still counts as the record it meant to be, so one
mistake does not cause a pile of others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lcsp_tui.domain.models import (
    REGIONAL_UNIT_TYPES,
    Admission,
    CareForm,
    Message,
    Patient,
    Record,
    Sip,
    Unit,
    UnitType,
)
from lcsp_tui.importer.errors import FileErrors, show
from lcsp_tui.importer.kinds import MANY, Known, KnownMany
from lcsp_tui.importer.values import Invalid
from lcsp_tui.prator_format import FileSpec

# References: (record field, column, kind referred to, allowed unit types or None for any).
REFS: dict[type[Record], tuple[tuple[str, str, str, frozenset[str] | None], ...]] = {
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
        ("ward", "avdelning", "unit", None),  # its type follows vardform: WARD_TYPE
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
UNKNOWN = {  # "unknown <kind>" in Swedish, for a reference to a record that does not exist
    "unit": "okänd enhet",
    "patient": "okänd patient",
    "admission": "okänt vårdtillfälle",
    "sip": "okänd SIP",
    "message": "okänt meddelande",
}
WARD_TYPE = {
    CareForm.SOMATIK: UnitType.SLUTENVARD_SOMATIK,
    CareForm.PSYKIATRI: UnitType.SLUTENVARD_PSYKIATRI,
}


@dataclass
class ExportFile:
    """One file that could be read: its rows' values by record field, and their lines."""

    spec: FileSpec
    errors: FileErrors
    lines: list[int]  # the line each row starts on
    values: dict[str, list[Any]]  # record field -> the value in each row

    def column_index(self, column: str) -> int:
        return next(i for i, (name, _) in enumerate(self.spec.columns) if name == column)


def _valid(value: Any) -> Any:
    """The value, or None for one that was wrong."""
    return None if type(value) is Invalid else value


def check_duplicates(f: ExportFile) -> set[str]:
    """Report every id seen before in the file; returns the file's ids."""
    id_column, id_field = f.spec.columns[0]
    ids = [key for key in f.values[id_field] if type(key) is str]  # None if empty, or Invalid
    unique = set(ids)
    if len(unique) < len(ids):
        first: dict[str, int] = {}
        for line, key in zip(f.lines, f.values[id_field], strict=True):
            if type(key) is not str:
                continue
            if key in first:
                what = f"id {show(key)} förekommer flera gånger (första gången på rad {first[key]})"
                f.errors.add(line, 0, id_column, what)
            else:
                first[key] = line
    return unique


def check_personnummer_duplicates(patients: ExportFile) -> None:
    """One person, one patient: a personnummer given to a second patient_id is reported on
    the later row, naming the first row and its patient_id (never the number). Rows with
    the same patient_id were reported as a duplicate id already."""
    index = patients.column_index("personnummer")
    first: dict[str, tuple[int, Any]] = {}  # personnummer -> (line, patient_id)
    for line, number, key in zip(
        patients.lines,
        patients.values["personnummer"],
        patients.values["patient_id"],
        strict=True,
    ):
        if type(number) is not str:  # empty or wrong: reported already
            continue
        if number not in first:
            first[number] = line, key
            continue
        first_line, first_key = first[number]
        if key == first_key:
            continue
        who = f"patient_id {show(first_key)} " if type(first_key) is str else ""
        what = f"samma personnummer som {who}på rad {first_line} (en person, en patient)"
        patients.errors.add(line, index, "personnummer", what)


def check_unit_kommun(units: ExportFile) -> None:
    """Municipal unit types need a kommun; regional ones may leave it empty."""
    index = units.column_index("kommun")
    types, municipalities = units.values["type"], units.values["municipality"]
    for line, typ, municipality in zip(units.lines, types, municipalities, strict=True):
        # An Invalid kommun was reported already; None: it was empty.
        if municipality is None and _valid(typ) is not None and typ not in REGIONAL_UNIT_TYPES:
            units.errors.add(line, index, "kommun", f"krävs för typ {typ}")


class _Lookup:
    """Whether an id exists (in this import, or in the ledger) and, for a unit, its type."""

    def __init__(
        self,
        files: dict[type[Record], ExportFile],
        ids: dict[str, set[str]],
        unreadable: set[str],
        known: Known,
    ) -> None:
        self.unit_types: dict[str, Any] = {}
        if Unit in files:
            units = files[Unit].values
            for key, typ in zip(units["unit_id"], units["type"], strict=True):
                if type(key) is str:
                    self.unit_types[key] = _valid(typ)
        self.ids = ids
        self.unreadable = unreadable
        self.known = known
        self.asked: dict[tuple[str, str], dict[str, Any] | None] = {}

    def prefetch(self, kind: str, keys: set[str], known_many: KnownMany) -> None:
        """Ask the ledger about every id of ``keys`` this import does not hold, a few
        thousand per question (not one question per id)."""
        here = self.ids.get(kind, set())
        if kind == "unit":
            here = here | self.unit_types.keys()
        wanted = sorted(k for k in keys - here if (kind, k) not in self.asked)
        for start in range(0, len(wanted), MANY):
            chunk = wanted[start : start + MANY]
            found = known_many(kind, chunk)
            for key in chunk:
                self.asked[kind, key] = found.get(key)

    def __call__(self, kind: str, key: str) -> tuple[bool, str | None]:
        """(exists, unit type); the type is None when it cannot be told."""
        if kind == "unit" and key in self.unit_types:
            return True, self.unit_types[key]
        if key in self.ids.get(kind, ()):
            return True, None
        if (kind, key) not in self.asked:
            self.asked[kind, key] = self.known(kind, key)
        payload = self.asked[kind, key]
        if payload is None:
            # Its file was given but could not be read: no pile-up of errors.
            return kind in self.unreadable, None
        return True, payload.get("type") if kind == "unit" else None


def check_references(
    files: dict[type[Record], ExportFile],
    ids: dict[str, set[str]],
    unreadable: set[str],
    known: Known,
    known_many: KnownMany | None = None,
) -> None:
    """Every id a row points at exists, here or in the ledger, and units have the right type.

    ``ids`` holds each read file's ids by kind; ``unreadable`` the kinds whose file could not
    be read. Each distinct id (for a ward: id and vardform) is looked up once; with
    ``known_many`` the ids the ledger is asked about are asked in bulk, first.
    """
    lookup = _Lookup(files, ids, unreadable, known)
    if known_many is not None:
        wanted: dict[str, set[str]] = {}
        for cls, f in files.items():
            for fld, _, kind, _ in REFS[cls]:
                wanted.setdefault(kind, set()).update(
                    v for v in set(f.values[fld]) if type(v) is str
                )
        for kind, asked in wanted.items():
            lookup.prefetch(kind, asked, known_many)
    for cls, f in files.items():
        for fld, column, kind, allowed in REFS[cls]:
            # A row's key: the id (str; None where empty, an Invalid where wrong); for a ward also the
            # row's vardform (None where that was wrong), which its unit type must follow.
            keys: list[Any] = f.values[fld]
            is_ward = fld == "ward"
            if is_ward:
                keys = list(zip(keys, map(_valid, f.values["care_form"]), strict=True))
            problems: dict[Any, str] = {}
            for k in set(keys):
                key, form = k if is_ward else (k, None)
                if type(key) is not str:  # empty, or wrong (reported already)
                    continue
                exists, typ = lookup(kind, key)
                need, note = allowed, ""
                if form is not None:
                    need, note = frozenset({WARD_TYPE[form]}), f" för vardform {form}"
                if not exists:
                    problems[k] = f"{UNKNOWN[kind]} {show(key)}"
                elif need is not None and typ is not None and typ not in need:
                    expected = " eller ".join(sorted(need))
                    problems[k] = f"enheten {show(key)} har typ {typ}, ska vara {expected}{note}"
            if problems:
                index = f.column_index(column)
                for line, k in zip(f.lines, keys, strict=True):
                    what = problems.get(k)
                    if what is not None:
                        f.errors.add(line, index, column, what)
