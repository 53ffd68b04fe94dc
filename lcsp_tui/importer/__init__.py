"""Prator export (CSV files, SPEC §7) -> validated records -> upsert events, all or nothing.

``read_records`` reads any subset of the five export files, checks every row and every
reference (to rows of this import or to records the ledger already has) and either returns
all records or raises ``ImportFailed`` listing every error as ``file:line: column: what is
wrong``. ``diff_events`` turns records into upsert events for what is new or changed
compared with ``known``; ``plan_import`` does both. ``stage_import`` (what ``lcsp import``
runs) reads, checks and diffs like ``plan_import`` but makes no model and no event: the
checked values are held a column at a time, the ledger is asked about many ids per query
(``KnownMany``), and the events are made a batch at a time as they are written.

Before its own check every cell is screened (``values.Column``): no control character,
nothing shaped like a personnummer outside the column ``personnummer``, ids printable and
at most 64 characters. No error line shows such a value; file, header and id names in
error lines are escaped and masked (``errors.show``).

The rooms: ``csvfile`` (bytes -> header and numbered rows), ``values`` (what each column
must hold; cell text -> value), ``checks`` (duplicate ids and personnummer, kommun of
units, references), ``records`` (read_records), ``diff`` (diff_events, plan_import),
``errors`` (the report).
"""

from lcsp_tui.importer.diff import (
    ImportPlan,
    StagedImport,
    diff_events,
    plan_import,
    record_id,
    stage_import,
)
from lcsp_tui.importer.errors import MAX_ERRORS, ImportFailed
from lcsp_tui.importer.kinds import KIND_OF, Known, KnownMany
from lcsp_tui.importer.records import read_records

__all__ = [
    "KIND_OF",
    "MAX_ERRORS",
    "ImportFailed",
    "ImportPlan",
    "Known",
    "KnownMany",
    "StagedImport",
    "diff_events",
    "plan_import",
    "read_records",
    "record_id",
    "stage_import",
]
