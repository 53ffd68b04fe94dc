"""The audit trail as systemforvaltning reads it: filters and the export for spot checks.

The trail is the ``audit`` table folded from the ledger (every read of a patient's data,
every change, every import): who (user, role, unit), when (the workstation's clock), which
subject, what, the outcome and, for support's kvittering, the unit it was done for.

Filters: the user; the patient (the patient id itself, its admissions, SIPs and their
messages, lookups whose matches included it, and help requests for its initial + surname
+ birth year); the unit (the unit worked at, or acted for); a time range. The export is
CSV for Swedish Excel (UTF-8 with BOM, semicolons), written 0600.
"""

from __future__ import annotations

import csv
import datetime as dt
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from lcsp_tui.config import ConfigError, parse_today
from lcsp_tui.privacy import refuse_personnummer

KEYS = ("seq", "at", "user", "role", "unit", "kind", "subject", "what", "outcome", "on_behalf_of")
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
_SELECT = (
    "SELECT seq, recorded_at, actor, role, unit, kind, subject, what, outcome, on_behalf_of "
    "FROM audit"
)
_PATIENT_SUBJECTS = """
    subject IN (
        SELECT :patient
        UNION SELECT admission_id FROM admissions WHERE patient_id = :patient
        UNION SELECT sip_id FROM sips WHERE patient_id = :patient
        UNION SELECT message_id FROM messages WHERE admission_id IN
            (SELECT admission_id FROM admissions WHERE patient_id = :patient)
        UNION SELECT request_id FROM help_requests WHERE lookup_key =
            (SELECT lookup_key FROM patients WHERE patient_id = :patient))
    OR (instr(subject, ',') > 0 AND instr(',' || subject || ',', ',' || :patient || ',') > 0)
"""


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
        raise ConfigError("--since/--until: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
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


def _where(f: AuditFilter) -> tuple[str, dict[str, object]]:
    where: list[str] = []
    args: dict[str, object] = {}
    if f.user:
        where.append("actor = :user")
        args["user"] = f.user
    if f.unit:
        where.append("(unit = :unit OR on_behalf_of = :unit)")
        args["unit"] = f.unit
    if f.since:
        where.append("recorded_at >= :since")
        args["since"] = f.since.isoformat(timespec="minutes")
    if f.until:
        where.append("recorded_at < :until")
        args["until"] = f.until.isoformat(timespec="minutes")
    if f.patient:
        where.append(f"({_PATIENT_SUBJECTS})")
        args["patient"] = f.patient
    return (" WHERE " + " AND ".join(where) if where else ""), args


def query(
    conn: sqlite3.Connection,
    f: AuditFilter,
    *,
    limit: int | None = None,
    newest_first: bool = False,
) -> list[dict[str, object]]:
    """The rows matching ``f``, in ledger order (or newest first), at most ``limit``."""
    where, args = _where(f)
    sql = _SELECT + where + (" ORDER BY seq DESC" if newest_first else " ORDER BY seq")
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [dict(zip(KEYS, r, strict=True)) for r in conn.execute(sql, args)]


def count(conn: sqlite3.Connection, f: AuditFilter) -> int:
    where, args = _where(f)
    return int(conn.execute(f"SELECT count(*) FROM audit{where}", args).fetchone()[0])


def write_csv(rows: Iterable[dict[str, object]], out: IO[str]) -> int:
    """Semicolon CSV with a Swedish header; ``out`` is opened with ``utf-8-sig``."""
    w = csv.writer(out, delimiter=";", lineterminator="\r\n")
    w.writerow(CSV_HEADER)
    n = 0
    for r in rows:
        w.writerow(["" if r[k] is None else r[k] for k in KEYS])
        n += 1
    return n
