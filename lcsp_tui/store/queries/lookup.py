"""The support desk's lookup: patients by lookup key, and where their subjects stand.

A fixed number of indexed queries however many patients match. Rows never carry a
personnummer or a first name beyond its initial.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import NamedTuple

from lcsp_tui.store.keys import rows as _rows

_UNIT_FIELDS = (
    "housing_unit",
    "home_health_unit",
    "assistance_unit",
    "health_centre",
    "psych_outpatient_unit",
)


class FoundPatient(NamedTuple):
    patient_id: str  # for the audit trail only; never shown
    initial: str
    last_name: str
    municipality: str
    protected: bool
    units: tuple[str, ...]  # the patient's own units


class FoundSubject(NamedTuple):
    subject: str
    patient_id: str
    kind: str  # admission | sip
    unit: str  # the ward, or the SIP's responsible unit
    care_form: str | None
    coordinator_org: str | None
    record_status: str  # the export's status: pagaende | utskriven | avslutad
    cutover: str  # the read model's status words


class FoundMessage(NamedTuple):
    message_id: str
    admission_id: str
    type: str
    unit: str
    sent: str


class LookupQueries:
    _conn: sqlite3.Connection

    def patients_by_key(self, key: str) -> list[FoundPatient]:
        return [
            FoundPatient(
                str(r[0]),
                str(r[1])[:1],
                str(r[2]),
                str(r[3]),
                bool(r[4]),
                tuple(sorted({str(u) for u in r[5:] if u})),
            )
            for r in self._conn.execute(
                "SELECT patient_id, first_name, last_name, municipality, protected_identity, "
                f"{', '.join(_UNIT_FIELDS)} FROM patients WHERE lookup_key = ? "
                "ORDER BY last_name, patient_id",
                (key,),
            )
        ]

    def subjects_of(self, patient_ids: Sequence[str]) -> list[FoundSubject]:
        """Every admission and SIP of the patients, oldest first."""
        rows = _rows(
            self._conn,
            "SELECT s.subject, s.patient_id, s.kind, s.holder_unit, s.care_form, "
            "s.coordinator_org, coalesce(a.status, x.status), s.status, "
            "coalesce(a.admitted, x.started) AS since FROM rm_subject s "
            "LEFT JOIN admissions a ON a.admission_id = s.subject "
            "LEFT JOIN sips x ON x.sip_id = s.subject "
            "WHERE s.patient_id IN ({marks}) AND s.kind <> 'patient'",
            patient_ids,
        )
        rows.sort(key=lambda r: (r["since"], r["subject"]))
        return [FoundSubject(*tuple(r)[:8]) for r in rows]

    def unacknowledged_of(self, admission_ids: Sequence[str]) -> list[FoundMessage]:
        rows = _rows(
            self._conn,
            "SELECT message_id, admission_id, type, recipient_unit, sent FROM rm_message "
            "WHERE admission_id IN ({marks}) AND acked = 0",
            admission_ids,
        )
        rows.sort(key=lambda r: (r["sent"], r["message_id"]))
        return [FoundMessage(*tuple(r)) for r in rows]

    def protected_flags(self, key: str) -> list[bool]:
        """Protected identity, for each patient with the lookup key."""
        return [
            bool(r[0])
            for r in self._conn.execute(
                "SELECT protected_identity FROM patients WHERE lookup_key = ?", (key,)
            )
        ]
