"""The support desk's lookup: patients by lookup key, and where their subjects stand.

Three indexed queries however many patients match, each with one fixed text (prepared once
per connection) and the key as its only parameter: the patients with their own units'
names; their admissions and SIPs with the read model's status words and the unit's name;
their admissions' unacknowledged messages with the recipient's name. Each starts at the
key's index and goes by the patient's (``CROSS JOIN`` and ``+s.kind`` keep SQLite's planner,
which has no statistics here, from walking ``rm_subject``'s kind index: every admission).
Patients with protected identity are found (to say so) but nothing of theirs is joined.
Rows never carry a personnummer or a first name beyond its initial.
"""

from __future__ import annotations

import sqlite3
from typing import NamedTuple

_UNIT_FIELDS = (
    "housing_unit",
    "home_health_unit",
    "assistance_unit",
    "health_centre",
    "psych_outpatient_unit",
)

_PATIENTS = (
    "SELECT p.patient_id, substr(p.first_name, 1, 1), p.last_name, p.municipality, "
    "p.protected_identity, "
    + ", ".join(f"p.{f}, u{i}.name" for i, f in enumerate(_UNIT_FIELDS))
    + " FROM patients p "
    + " ".join(
        f"LEFT JOIN units u{i} ON u{i}.unit_id = p.{f} AND NOT p.protected_identity"
        for i, f in enumerate(_UNIT_FIELDS)
    )
    + " WHERE p.lookup_key = ? ORDER BY p.last_name, p.patient_id"
)

# ``since``: the admission's or SIP's start, the order the desk reads them in
_SUBJECTS = (
    "SELECT s.subject, s.patient_id, s.kind, s.holder_unit, coalesce(u.name, s.holder_unit), "
    "s.care_form, s.coordinator_org, coalesce(a.status, x.status), s.status "
    "FROM patients p CROSS JOIN rm_subject s ON s.patient_id = p.patient_id "
    "LEFT JOIN admissions a ON a.admission_id = s.subject "
    "LEFT JOIN sips x ON x.sip_id = s.subject "
    "LEFT JOIN units u ON u.unit_id = s.holder_unit "
    "WHERE p.lookup_key = ? AND NOT p.protected_identity AND s.kind <> 'patient' "
    "ORDER BY coalesce(a.admitted, x.started), s.subject"
)

_UNACKNOWLEDGED = (
    "SELECT m.message_id, m.admission_id, m.type, m.recipient_unit, "
    "coalesce(u.name, m.recipient_unit), m.sent "
    "FROM patients p CROSS JOIN rm_subject s ON s.patient_id = p.patient_id "
    "AND +s.kind = 'admission' CROSS JOIN rm_message m ON m.admission_id = s.subject "
    "LEFT JOIN units u ON u.unit_id = m.recipient_unit "
    "WHERE p.lookup_key = ? AND NOT p.protected_identity AND m.acked = 0 "
    "ORDER BY m.sent, m.message_id"
)


class FoundPatient(NamedTuple):
    patient_id: str  # for the audit trail only; never shown
    initial: str
    last_name: str
    municipality: str
    protected: bool
    units: tuple[tuple[str, str], ...]  # the patient's own units: (id, name), by id


class FoundSubject(NamedTuple):
    subject: str
    patient_id: str
    kind: str  # admission | sip
    unit: str  # the ward, or the SIP's responsible unit
    unit_name: str  # its name (the id when the unit is unknown)
    care_form: str | None
    coordinator_org: str | None
    record_status: str  # the export's status: pagaende | utskriven | avslutad
    cutover: str  # the read model's status words


class FoundMessage(NamedTuple):
    message_id: str
    admission_id: str
    type: str
    unit: str
    unit_name: str
    sent: str


def _units(r: tuple[object, ...]) -> tuple[tuple[str, str], ...]:
    """The (id, name) pairs of a patient row's unit columns, distinct, by id."""
    named = {str(r[i]): str(r[i + 1] or r[i]) for i in range(5, len(r), 2) if r[i]}
    return tuple(sorted(named.items()))


class LookupQueries:
    _conn: sqlite3.Connection

    def patients_by_key(self, key: str) -> list[FoundPatient]:
        """The patients with the lookup key, by surname; a protected one without units."""
        return [
            FoundPatient(r[0], r[1], r[2], r[3], bool(r[4]), () if r[4] else _units(r))
            for r in self._conn.execute(_PATIENTS, (key,))
        ]

    def subjects_by_key(self, key: str) -> list[FoundSubject]:
        """Every admission and SIP of the key's patients without protected identity, oldest
        first."""
        return [FoundSubject(*r) for r in self._conn.execute(_SUBJECTS, (key,))]

    def unacknowledged_by_key(self, key: str) -> list[FoundMessage]:
        """The unacknowledged messages of those patients' admissions, oldest first."""
        return [FoundMessage(*r) for r in self._conn.execute(_UNACKNOWLEDGED, (key,))]

    def protected_flags(self, key: str) -> list[bool]:
        """Protected identity, for each patient with the lookup key."""
        return [
            bool(r[0])
            for r in self._conn.execute(
                "SELECT protected_identity FROM patients WHERE lookup_key = ?", (key,)
            )
        ]
