"""The audit trail as systemforvaltning reads it: filters and the export for spot checks.

The trail is the ``audit`` table folded from the ledger (every read of a patient's data,
every change, every import): who (user, role, unit), when (the workstation's clock), which
subject, what, the outcome and, for support's kvittering, the unit it was done for.

Filters: the user; the patient (the patient id itself, its admissions, SIPs and their
messages, lookups whose matches included it, and help requests for its initial + surname
+ birth year); the unit (the unit worked at, or acted for); a time range. The export is
CSV for Swedish Excel (UTF-8 with BOM, semicolons), written 0600, through the one CSV
writer (``lcsp_tui.csvout``: no cell is run as a formula); its "Vad" column is in words,
as the text view shows it (``what_text``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from lcsp_tui.config import ConfigError, parse_today
from lcsp_tui.csvout import write_rows
from lcsp_tui.privacy import refuse_personnummer
from lcsp_tui.store.queries import AuditRow, Queries
from lcsp_tui.store.queries.audit import row_values

if TYPE_CHECKING:
    from lcsp_tui.domain.regiondata import RegionData

CSV_HEADER = (
    "Löpnummer",
    "Tid",
    "Användare",
    "Roll",
    "Enhet",
    "Händelse",
    "Avser",
    "Vad",
    "Utfall",
    "För enhet",
)


_TICKED = re.compile(r"^(\S+) (klar|ångrad)$")
DECISIONS = {"aktuell": "aktuell", "ej_aktuell": "ej aktuell"}


def item_labels(region: RegionData) -> dict[str, str]:
    """Checklist item id -> its label, for ``what_text``."""
    return {i.id: i.label for i in region.checklists.item}


def what_text(what: str, labels: Mapping[str, str]) -> str:
    """What happened, in words: a checklist item by its label (``labels``: item id ->
    label), a SIP decision without its id (``beslut: ej aktuell``)."""
    ticked = _TICKED.match(what)
    if ticked and ticked.group(1) in labels:
        return f"{ticked.group(2)}: {labels[ticked.group(1)]}"
    if what.startswith("beslut: "):
        decision = what.removeprefix("beslut: ")
        return f"beslut: {DECISIONS.get(decision, decision.replace('_', ' '))}"
    return what


@dataclass(frozen=True)
class AuditFilter:
    user: str | None = None
    patient: str | None = None
    unit: str | None = None
    since: dt.datetime | None = None  # inclusive
    until: dt.datetime | None = None  # exclusive

    @property
    def empty(self) -> bool:
        return not (self.user or self.patient or self.unit or self.since or self.until)

    def describe(self) -> str:
        parts = []
        if self.user:
            parts.append(f"användare {self.user}")
        if self.patient:
            parts.append(f"patient {self.patient}")
        if self.unit:
            parts.append(f"enhet {self.unit}")
        if self.since:
            parts.append(f"från {self.since:%Y-%m-%d %H:%M}")
        if self.until:
            parts.append(f"före {self.until:%Y-%m-%d %H:%M}")
        return ", ".join(parts) or "alla"


def parse_time(text: str, *, end: bool = False) -> dt.datetime:
    """``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM``; as an end, a bare date means the whole day."""
    try:
        when = parse_today(text)
    except ConfigError:  # without echoing what was typed
        raise ConfigError("--since/--until: ange ÅÅÅÅ-MM-DD eller ÅÅÅÅ-MM-DDTHH:MM") from None
    if end and len(text.strip()) == 10:
        when += dt.timedelta(days=1)
    return when


def make_filter(
    user: str | None = None,
    patient: str | None = None,
    unit: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> AuditFilter:
    """A filter from text (blank means no filter); bad times raise ConfigError, and a
    personnummer anywhere is refused (the filter of a read is itself audited)."""
    refuse_personnummer(user, patient, unit, since, until)

    def clean(v: str | None) -> str | None:
        return v.strip() or None if v else None

    s, u = clean(since), clean(until)
    return AuditFilter(
        user=clean(user),
        patient=clean(patient),
        unit=clean(unit),
        since=parse_time(s) if s else None,
        until=parse_time(u, end=True) if u else None,
    )


def query(
    q: Queries, f: AuditFilter, *, limit: int | None = None, newest_first: bool = False
) -> list[AuditRow]:
    """The rows matching ``f``, in ledger order (or newest first), at most ``limit``."""
    return q.audit_rows(
        f.user, f.patient, f.unit, f.since, f.until, limit=limit, newest_first=newest_first
    )


def count(q: Queries, f: AuditFilter) -> int:
    return q.audit_count(f.user, f.patient, f.unit, f.since, f.until)


def csv_rows(rows: Iterable[AuditRow], labels: Mapping[str, str]) -> Iterator[list[object]]:
    """The header, then each row in ``CSV_HEADER`` order with "Vad" in words."""
    yield list(CSV_HEADER)
    what = CSV_HEADER.index("Vad")
    for r in rows:
        values: list[object] = list(row_values(r))
        values[what] = what_text(str(r["what"]), labels) if r["what"] else ""
        yield values


def write_csv(rows: Iterable[AuditRow], out: IO[str], labels: Mapping[str, str]) -> int:
    """Semicolon CSV with a Swedish header (``out`` opened with ``utf-8-sig``); ``labels``:
    checklist item id -> label, for the "Vad" column. The number of rows written."""
    return write_rows(out, csv_rows(rows, labels)) - 1
