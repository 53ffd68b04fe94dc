"""Records -> upsert events for what is new or changed compared with the ledger.

A re-import of the same files therefore changes nothing; the demo generator shares
``diff_events`` for records it builds itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from itertools import compress
from pathlib import Path
from typing import Any

from lcsp_tui.domain.models import RECORD_KINDS, Event, Record
from lcsp_tui.domain.regiondata import RegionData
from lcsp_tui.importer.bulk import gc_paused
from lcsp_tui.importer.checks import ExportFile
from lcsp_tui.importer.kinds import KIND_OF, MANY, Known, KnownMany, many_of
from lcsp_tui.importer.records import _records, read_files
from lcsp_tui.prator_format import FILE_FOR_RECORD, FILES

Counts = dict[str, dict[str, int]]  # export file name -> {"new", "changed", "unchanged"}


@dataclass
class ImportPlan:
    events: list[Event]
    counts: Counts
    records: list[Record] = field(default_factory=list)


@dataclass
class FileChanges:
    """One export file's rows that are new or changed, as the payloads of their events."""

    event_kind: str
    fields: list[str]  # the record's fields, in the model's order (``model_dump``'s)
    columns: list[list[Any]]  # each field's JSON-ready value in every row of the file
    changed: bytearray  # 1 for a row that is new or changed
    count: int  # rows that are new or changed

    def payloads(self) -> Iterator[dict[str, Any]]:
        """Each new or changed row as ``record.model_dump(mode="json")`` would give it."""
        fields = self.fields
        for row in compress(zip(*self.columns, strict=True), self.changed):
            yield dict(zip(fields, row, strict=True))


@dataclass
class StagedImport:
    """A checked export and its diff against the ledger, ready to be written: ``counts`` per
    export file given, and the new and changed rows of each file in dependency order. It
    holds the export's checked values (one list per column) and a flag per row, never a
    model or a payload per record: the events are made a batch at a time, as they are
    written (``payloads``)."""

    counts: Counts
    files: list[FileChanges]

    def __len__(self) -> int:
        return sum(f.count for f in self.files)

    def payloads(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(event kind, payload) of every upsert, in dependency order."""
        for f in self.files:
            kind = f.event_kind
            for payload in f.payloads():
                yield kind, payload

    def payloads_of(self, event_kind: str) -> Iterator[dict[str, Any]]:
        for f in self.files:
            if f.event_kind == event_kind:
                yield from f.payloads()


def record_id(record: Record) -> str:
    """A record's export id (``enhet_id``, ``patient_id``, …): what ``known`` is asked for."""
    return str(getattr(record, FILE_FOR_RECORD[type(record)].columns[0][1]))


def diff_events(
    records: Iterable[Record], known: Known, known_many: KnownMany | None = None
) -> ImportPlan:
    """Upsert events for the records that are new or differ from ``known``, in dependency
    order (units, patients, admissions, SIPs, messages); ``counts`` per export file name
    for the files that have records among ``records``.

    Each event is what ``record_event(record)`` makes; the record is dumped once, for both
    the comparison and the payload. The ledger is asked about the records ``MANY`` at a
    time (``known_many``; without it, ``known`` record by record).
    """
    with gc_paused():
        return _diff_events(records, known_many or many_of(known))


def _diff_events(records: Iterable[Record], known_many: KnownMany) -> ImportPlan:
    by_class: dict[type[Record], list[Record]] = {cls: [] for cls in KIND_OF}
    for rec in records:
        by_class[type(rec)].append(rec)
    counts: Counts = {}
    events: list[Event] = []
    for cls, recs in by_class.items():
        if not recs:
            continue
        kind, event_kind, spec = KIND_OF[cls], RECORD_KINDS[cls], FILE_FOR_RECORD[cls]
        id_field = spec.columns[0][1]
        count = counts[spec.name] = {"new": 0, "changed": 0, "unchanged": 0}
        for start in range(0, len(recs), MANY):
            payloads = [rec.model_dump(mode="json") for rec in recs[start : start + MANY]]
            found = known_many(kind, [p[id_field] for p in payloads])
            for payload in payloads:
                previous = found.get(payload[id_field])
                if previous is None:
                    count["new"] += 1
                elif previous != payload:
                    count["changed"] += 1
                else:
                    count["unchanged"] += 1
                    continue
                # Dumped from a validated record: nothing to validate again.
                events.append(Event.model_construct(kind=event_kind, payload=payload))
    ordered = [rec for recs in by_class.values() for rec in recs]
    return ImportPlan(events, counts, ordered)


_PLAIN = (str, bool, type(None))


def _json_value(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.date):  # a datetime too: "YYYY-MM-DDTHH:MM:SS", as pydantic's
        return value.isoformat()
    return value


def _json_ready(values: list[Any]) -> list[Any]:
    """A column's checked values as ``model_dump(mode="json")`` gives them: each distinct
    value converted once (enumerations, dates and times repeat)."""
    converted = {v: _json_value(v) for v in set(values) if type(v) not in _PLAIN}
    if not converted:
        return values
    return [converted.get(v, v) for v in values]


def _changes(
    cls: type[Record], f: ExportFile, known_many: KnownMany
) -> tuple[FileChanges, dict[str, int]]:
    kind = KIND_OF[cls]
    fields = list(cls.model_fields)
    columns = [_json_ready(f.values[name]) for name in fields]
    ids: list[str] = columns[0]
    changed = bytearray(b"\x01") * len(ids)
    count = {"new": 0, "changed": 0, "unchanged": 0}
    for start in range(0, len(ids), MANY):
        found = known_many(kind, ids[start : start + MANY])
        for i in range(start, min(start + MANY, len(ids))) if found else ():
            previous = found.get(ids[i])
            if previous is None:
                continue
            if previous == dict(zip(fields, (c[i] for c in columns), strict=True)):
                changed[i] = 0
                count["unchanged"] += 1
            else:
                count["changed"] += 1
    count["new"] = len(ids) - count["changed"] - count["unchanged"]
    changes = FileChanges(
        RECORD_KINDS[cls], fields, columns, changed, len(ids) - count["unchanged"]
    )
    return changes, count


def _stage(
    paths: Sequence[Path],
    region: RegionData,
    known: Known,
    reference_date: dt.date,
    known_many: KnownMany | None,
) -> tuple[dict[type[Record], ExportFile], StagedImport]:
    many = known_many or many_of(known)
    files = read_files(paths, region, known, reference_date, many)
    counts: Counts = {}
    changes = []
    with gc_paused():
        for cls, f in files.items():
            file_changes, counts[f.spec.name] = _changes(cls, f, many)
            changes.append(file_changes)
    given = {Path(p).name.lower() for p in paths}
    zero = {"new": 0, "changed": 0, "unchanged": 0}
    counts = {n: counts.get(n, dict(zero)) for n in FILES if n in counts or n in given}
    return files, StagedImport(counts, changes)


def stage_import(
    paths: Sequence[Path],
    region: RegionData,
    known: Known,
    reference_date: dt.date,
    known_many: KnownMany | None = None,
) -> StagedImport:
    """Read, check and diff an export (``lcsp import``): ImportFailed with every error, or
    what it would write, a batch at a time. ``counts`` has an entry for every export file
    given (zeros for a file without rows). The ledger is asked about the export's records
    ``MANY`` at a time (``known_many``; without it, ``known`` record by record)."""
    return _stage(paths, region, known, reference_date, known_many)[1]


def plan_import(
    paths: Sequence[Path],
    region: RegionData,
    known: Known,
    reference_date: dt.date,
    known_many: KnownMany | None = None,
) -> ImportPlan:
    """``stage_import`` with every event and record made at once (tests, tools). ``counts``
    has an entry for every export file given (zeros for a file without rows)."""
    files, staged = _stage(paths, region, known, reference_date, known_many)
    with gc_paused():
        events = [Event.model_construct(kind=k, payload=p) for k, p in staged.payloads()]
        records = [record for cls, f in files.items() for record in _records(cls, f)]
    return ImportPlan(events, staged.counts, records)
