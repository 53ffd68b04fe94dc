"""Records -> upsert events for what is new or changed compared with the ledger.

A re-import of the same files therefore changes nothing; the demo generator shares
``diff_events`` for records it builds itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lcsp_tui.domain.models import RECORD_KINDS, Event, Record
from lcsp_tui.domain.regiondata import RegionData
from lcsp_tui.importer.bulk import gc_paused
from lcsp_tui.importer.kinds import KIND_OF, Known
from lcsp_tui.importer.records import read_records
from lcsp_tui.prator_format import FILE_FOR_RECORD, FILES


@dataclass
class ImportPlan:
    events: list[Event]
    counts: dict[str, dict[str, int]]  # export file name -> {"new", "changed", "unchanged"}
    records: list[Record] = field(default_factory=list)


def record_id(record: Record) -> str:
    """A record's export id (``enhet_id``, ``patient_id``, …): what ``known`` is asked for."""
    return str(getattr(record, FILE_FOR_RECORD[type(record)].columns[0][1]))


def diff_events(records: Iterable[Record], known: Known) -> ImportPlan:
    """Upsert events for the records that are new or differ from ``known``, in dependency
    order (units, patients, admissions, SIPs, messages); ``counts`` per export file name
    for the files that have records among ``records``.

    Each event is what ``record_event(record)`` makes; the record is dumped once, for both
    the comparison and the payload.
    """
    with gc_paused():
        return _diff_events(records, known)


def _diff_events(records: Iterable[Record], known: Known) -> ImportPlan:
    by_class: dict[type[Record], list[Record]] = {cls: [] for cls in KIND_OF}
    for rec in records:
        by_class[type(rec)].append(rec)
    counts: dict[str, dict[str, int]] = {}
    events: list[Event] = []
    for cls, recs in by_class.items():
        if not recs:
            continue
        kind, event_kind, spec = KIND_OF[cls], RECORD_KINDS[cls], FILE_FOR_RECORD[cls]
        id_field = spec.columns[0][1]
        count = counts[spec.name] = {"new": 0, "changed": 0, "unchanged": 0}
        for rec in recs:
            payload = rec.model_dump(mode="json")
            previous = known(kind, payload[id_field])
            if previous is None:
                count["new"] += 1
            elif previous != payload:
                count["changed"] += 1
            else:
                count["unchanged"] += 1
                continue
            events.append(Event(kind=event_kind, payload=payload))
    ordered = [rec for recs in by_class.values() for rec in recs]
    return ImportPlan(events, counts, ordered)


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
