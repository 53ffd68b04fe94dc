"""``read_records``: export files -> checked records, or ImportFailed with every error."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lcsp_tui.domain.models import Patient, Record, Unit
from lcsp_tui.domain.regiondata import RegionData
from lcsp_tui.errors import os_error_text
from lcsp_tui.importer.bulk import gc_paused
from lcsp_tui.importer.checks import (
    ExportFile,
    check_duplicates,
    check_personnummer_duplicates,
    check_references,
    check_unit_kommun,
)
from lcsp_tui.importer.csvfile import CsvRows, decode, match_header
from lcsp_tui.importer.errors import ErrorLog, FileErrors, escaped, show_file
from lcsp_tui.importer.kinds import KIND_OF, Known, KnownMany
from lcsp_tui.importer.values import Column, ValueChecks
from lcsp_tui.prator_format import FILES, FileSpec


def read_records(
    paths: Sequence[Path],
    region: RegionData,
    known: Known,
    reference_date: dt.date,
    known_many: KnownMany | None = None,
) -> list[Record]:
    """Read and check export files: every record in dependency order, or ImportFailed with
    every error. ``reference_date`` decides the century of 10-digit personnummer."""
    with gc_paused():
        files = _read_files(paths, region, known, reference_date, known_many)
        return [record for cls, f in files.items() for record in _records(cls, f)]


def read_files(
    paths: Sequence[Path],
    region: RegionData,
    known: Known,
    reference_date: dt.date,
    known_many: KnownMany | None = None,
) -> dict[type[Record], ExportFile]:
    """``read_records`` without the records: every file's checked values by record field (in
    dependency order), or ImportFailed with every error. The checks are the boundary: a value
    that passed them is what the record's field holds, and no model is built to say so again."""
    with gc_paused():
        return _read_files(paths, region, known, reference_date, known_many)


def _read_files(
    paths: Sequence[Path],
    region: RegionData,
    known: Known,
    reference_date: dt.date,
    known_many: KnownMany | None,
) -> dict[type[Record], ExportFile]:
    log = ErrorLog()
    checks = ValueChecks(region, reference_date)
    files: dict[type[Record], ExportFile] = {}
    ids: dict[str, set[str]] = {}  # kind -> the ids of its file
    unreadable: set[str] = set()  # kinds whose file was given but could not be read
    for file_index, given in enumerate(paths):
        path = Path(given)
        errors = log.for_file(file_index, show_file(path.name))
        spec = FILES.get(path.name.lower())
        if spec is None:
            errors.add(1, -1, "-", "okänd fil, ska vara en av " + ", ".join(FILES))
            continue
        kind = KIND_OF[spec.record]
        if spec.record in files or kind in unreadable:
            errors.add(1, -1, "-", f"{spec.name} är angiven mer än en gång")
            continue
        f = _read_file(path, spec, checks, errors)
        if f is None:
            unreadable.add(kind)
            continue
        files[spec.record] = f
        ids[kind] = check_duplicates(f)
    if Unit in files:
        check_unit_kommun(files[Unit])
    if Patient in files:
        check_personnummer_duplicates(files[Patient])
    check_references(files, ids, unreadable, known, known_many)
    if log:
        raise log.failure()
    for cls, f in files.items():  # a field no export column fills (Patient.born) keeps its default
        for name, info in cls.model_fields.items():
            if name not in f.values:
                f.values[name] = [info.default] * len(f.lines)
    return {cls: files[cls] for cls in KIND_OF if cls in files}


def _records(cls: type[Record], f: ExportFile) -> list[Record]:
    """The records of a file whose every value passed its checks."""
    fields = list(f.values)
    rows = zip(*f.values.values(), strict=True)
    return [cls.model_validate(dict(zip(fields, row, strict=True))) for row in rows]


def _read_file(
    path: Path, spec: FileSpec, checks: ValueChecks, errors: FileErrors
) -> ExportFile | None:
    """The file's values, every error in them reported; None (after reporting why) if it
    could not be read at all."""
    try:
        if not path.is_file():  # a name too long raises, not False
            errors.add(1, -1, "-", "är ingen fil" if path.exists() else "filen finns inte")
            return None
        raw = path.read_bytes()
    except OSError as e:
        errors.add(1, -1, "-", f"filen går inte att läsa ({os_error_text(e)})")
        return None
    text, line, problem = decode(raw)
    if text is None:
        errors.add(line, -1, "-", problem)
        return None
    csv_rows = CsvRows(text)
    before_rows = errors.mark()
    try:
        header = csv_rows.header()
        if header is None or not any(h.strip() for h in header):
            errors.add(1, -1, "-", "tom fil: ingen rubrikrad")
            return None
        positions = match_header(header, spec, errors)
        if positions is None:
            return None
        width = len(header)
        table = _Table(checks.columns(spec, positions), errors)
        lines: list[int] = []
        rows: list[list[str]] = []  # a block of non-blank rows of the right width
        for line, row in csv_rows:
            if len(row) != width or not row[0]:  # cheap test first: most rows are fine
                if not any(v.strip() for v in row):
                    continue  # a blank line, or only delimiters
                if len(row) != width:
                    hint = (
                        " (ett citattecken som inte stängs?)"
                        if any("\n" in v or "\r" in v for v in row)
                        else ""
                    )
                    errors.add(
                        line, -1, "-", f"{width} kolumner väntades, raden har {len(row)}{hint}"
                    )
                    continue
            lines.append(line)
            rows.append(row)
            if len(rows) == BLOCK:
                table.add(lines, rows)
                lines, rows = [], []
        table.add(lines, rows)
    except csv.Error as e:
        # The file cannot be read: only that is reported, not the rows checked so far.
        errors.forget_since(before_rows)
        errors.add(csv_rows.line_num, -1, "-", f"felaktig CSV ({escaped(csv_error_text(e))})")
        return None
    return ExportFile(spec, errors, table.lines, table.values)


def csv_error_text(e: csv.Error) -> str:
    """The csv module's complaint in Swedish, for the ones an export can cause."""
    text = str(e)
    if m := re.fullmatch(r"field larger than field limit \((\d+)\)", text):
        return f"ett fält är längre än gränsen på {m[1]} tecken"
    if "new-line character seen in unquoted field" in text:
        return "radbrytning i ett fält utan citattecken"
    if text.startswith("line contains NUL"):
        return "raden innehåller ett NUL-tecken"
    return text


BLOCK = 1000  # rows checked together; short-lived rows keep the garbage collector's work small


class _Table:
    """A file's values, by record field, gathered a block of rows at a time."""

    def __init__(self, columns: list[Column], errors: FileErrors) -> None:
        self.columns = columns
        self.errors = errors
        self.lines: list[int] = []
        self.values: dict[str, list[Any]] = {c.field: [] for c in columns}

    def add(self, lines: list[int], rows: list[list[str]]) -> None:
        self.lines += lines
        cells = list(zip(*rows, strict=True))  # cells[position][row]
        for c in self.columns:
            if c.position is None:  # an optional column left out
                self.values[c.field] += [c.empty] * len(rows)
            elif rows:
                self.values[c.field] += c.values(lines, cells[c.position], self.errors)
