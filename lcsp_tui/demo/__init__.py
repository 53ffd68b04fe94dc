"""A deterministic, fictitious Region Västernorrland for demos, rehearsals and benchmarks.

``generate(size, seed)`` returns the records a Prator export would hold — units, patients,
admissions (vårdtillfällen), SIPs and messages, in that dependency order — so the CLI can
turn them into events through the importer's ``diff_events`` and ``write_export`` can write
them as an export. Everything is fictitious: names are drawn from common Swedish names,
personnummer are made up (valid date, serial and check digit), phone numbers come from the
range the Swedish PTS reserves for fiction (070-174 06 05 … 070-174 06 99).

Determinism: the output depends only on ``size`` and ``seed``. Every phase draws from its
own ``random.Random`` seeded with a string (seeded through SHA-512, not ``hash()``), and no
wall clock is read. Records are built with ``model_construct`` (no validation, for speed);
the tests validate every record of every size.

Sizes: ``small`` (three municipalities, ~40 patients: for fast tests), ``region`` (the seed's
scale: 8,000 patients and exactly the 2,244 ongoing SIPs of the April table) and ``large``
(100,000 patients, everything else ×12: for performance work).
"""

from __future__ import annotations

from lcsp_tui.demo.admissions import _admissions
from lcsp_tui.demo.common import DISCHARGE_READY_CUTOFF, EXPORTED_AT
from lcsp_tui.demo.geography import (
    CODES,
    HOSPITALS,
    LOCALITIES,
    POSTCODES,
    PSYCH_HOSPITAL,
    PSYCH_OUTPATIENT,
    SOMATIC_HOSPITAL,
)
from lcsp_tui.demo.messages import _messages
from lcsp_tui.demo.patients import _patients
from lcsp_tui.demo.progress import PROGRESS_EVERY, Progress
from lcsp_tui.demo.seed_table import (
    APRIL_COLUMN_TOTALS,
    APRIL_ROW_TOTALS,
    APRIL_SIP_TABLE,
    APRIL_TOTAL,
    SMALL_SIP_TABLE,
)
from lcsp_tui.demo.sips import _sips
from lcsp_tui.demo.sizes import SIZES, _size
from lcsp_tui.demo.units import _units
from lcsp_tui.domain.models import Record
from lcsp_tui.domain.regiondata import load_region

__all__ = [
    "APRIL_COLUMN_TOTALS",
    "APRIL_ROW_TOTALS",
    "APRIL_SIP_TABLE",
    "APRIL_TOTAL",
    "CODES",
    "DISCHARGE_READY_CUTOFF",
    "EXPORTED_AT",
    "HOSPITALS",
    "LOCALITIES",
    "POSTCODES",
    "PROGRESS_EVERY",
    "PSYCH_HOSPITAL",
    "PSYCH_OUTPATIENT",
    "SIZES",
    "SMALL_SIP_TABLE",
    "SOMATIC_HOSPITAL",
    "Progress",
    "generate",
]


def generate(size: str = "region", seed: int = 1, progress: Progress | None = None) -> list[Record]:
    """The fictitious region's records, in dependency order (units, patients, admissions,
    SIPs, messages). Same ``size`` and ``seed`` → the same records.

    ``progress(phase, done, total)`` is called at the start of each phase (units, patients,
    admissions, sips, messages), every 1,000 records and at its end.
    """
    spec = _size(size)
    known = load_region().municipalities.names
    unknown = [m for m in spec.municipalities if m not in known]
    if unknown:  # the demo's tables must follow data/municipalities.toml
        raise ValueError(f"municipalities not in the region data: {unknown}")
    units, by_m, wards = _units(spec, seed)
    if progress:
        progress("units", len(units), len(units))
    patients = _patients(spec, seed, by_m, progress)
    admissions = _admissions(spec, seed, patients, wards, progress)
    sips = _sips(spec, seed, patients, admissions, by_m, wards, progress)
    messages = _messages(seed, patients, admissions, progress)
    records: list[Record] = []
    records += units
    records += patients
    records += admissions
    records += sips
    records += messages
    return records
