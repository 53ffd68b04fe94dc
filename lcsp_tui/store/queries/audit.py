"""The audit trail as folded from the ledger: filtered rows and counts."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import TypedDict

_SELECT = (
    "SELECT seq, recorded_at, actor, role, unit, kind, subject, what, outcome, on_behalf_of "
    "FROM audit"
)
# The patient itself, its admissions, SIPs and their messages, help requests for its lookup
# key, and lookups whose matches included it (a comma-separated subject).
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


class AuditRow(TypedDict):
    seq: int
    at: str | None
    user: str | None
    role: str | None
    unit: str | None
    kind: str
    subject: str | None
    what: str | None
    outcome: str | None
    on_behalf_of: str | None


KEYS = tuple(AuditRow.__annotations__)

AuditValues = tuple[
    int,
    str | None,
    str | None,
    str | None,
    str | None,
    str,
    str | None,
    str | None,
    str | None,
    str | None,
]


def row_values(r: AuditRow) -> AuditValues:
    """The row's values in ``KEYS`` order."""
    return (
        r["seq"],
        r["at"],
        r["user"],
        r["role"],
        r["unit"],
        r["kind"],
        r["subject"],
        r["what"],
        r["outcome"],
        r["on_behalf_of"],
    )


def _where(
    user: str | None,
    patient: str | None,
    unit: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
) -> tuple[str, dict[str, object]]:
    where: list[str] = []
    args: dict[str, object] = {}
    if user:
        where.append("actor = :user")
        args["user"] = user
    if unit:
        where.append("(unit = :unit OR on_behalf_of = :unit)")
        args["unit"] = unit
    if since:
        where.append("recorded_at >= :since")
        args["since"] = since.isoformat(timespec="minutes")
    if until:
        where.append("recorded_at < :until")
        args["until"] = until.isoformat(timespec="minutes")
    if patient:
        where.append(f"({_PATIENT_SUBJECTS})")
        args["patient"] = patient
    return (" WHERE " + " AND ".join(where) if where else ""), args


class AuditQueries:
    _conn: sqlite3.Connection

    def audit_rows(
        self,
        user: str | None = None,
        patient: str | None = None,
        unit: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        *,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[AuditRow]:
        """The rows matching the filter, in ledger order (or newest first), at most
        ``limit``."""
        where, args = _where(user, patient, unit, since, until)
        sql = _SELECT + where + (" ORDER BY seq DESC" if newest_first else " ORDER BY seq")
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [
            AuditRow(
                seq=r[0],
                at=r[1],
                user=r[2],
                role=r[3],
                unit=r[4],
                kind=r[5],
                subject=r[6],
                what=r[7],
                outcome=r[8],
                on_behalf_of=r[9],
            )
            for r in self._conn.execute(sql, args)
        ]

    def audit_count(
        self,
        user: str | None = None,
        patient: str | None = None,
        unit: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> int:
        where, args = _where(user, patient, unit, since, until)
        return int(self._conn.execute(f"SELECT count(*) FROM audit{where}", args).fetchone()[0])
