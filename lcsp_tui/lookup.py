"""The support desk's patient lookup (SPEC §5): initial + surname + birth year.

Results never hold a personnummer or a full first name. Patients with protected identity
(skyddad identitet) are not described at all — no name, municipality or units, since a
unit can give away where someone lives: the desk is told to contact the unit instead.

``audited_lookup`` is what the CLI and the support screen call: every lookup, refused or
not, is one ``audit.read`` event (a refused one without what was typed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NotRequired, TypedDict

from lcsp_tui.domain.lookup import LookupQuery, LookupRefused, parse_query
from lcsp_tui.domain.words import plural
from lcsp_tui.store.queries import Queries

if TYPE_CHECKING:
    from lcsp_tui.workstation import Workstation

PROTECTED_NAME = "Skyddad identitet – kontakta enheten"


class MatchUnit(TypedDict):
    id: str
    name: str


class MatchAdmission(TypedDict):
    id: str
    care_form: str | None
    ward: str
    ward_name: str
    status: str
    cutover: str


class MatchSip(TypedDict):
    id: str
    coordinator: str | None
    responsible_unit: str
    status: str
    cutover: str


class UnackedMessage(TypedDict):
    message_id: str
    admission: str
    type: str
    unit: str
    unit_name: str
    sent: str


class Match(TypedDict):
    """One patient found (``lcsp lookup --json``'s ``matches``)."""

    name: str
    birth_year: int
    municipality: str | None
    units: list[MatchUnit]
    admissions: list[MatchAdmission]
    sips: list[MatchSip]
    unacknowledged: list[UnackedMessage]
    owing_units: list[str]
    protected: NotRequired[bool]  # only on a patient with protected identity: True


def _protected(birth_year: int) -> Match:
    return {
        "name": PROTECTED_NAME,
        "birth_year": birth_year,
        "municipality": None,
        "units": [],
        "admissions": [],
        "sips": [],
        "unacknowledged": [],
        "owing_units": [],
        "protected": True,
    }


def lookup(q: Queries, query: LookupQuery) -> tuple[list[Match], list[str]]:
    """Every patient matching the query, in a stable order (never narrowed to one), and
    the ids of the patients found (for the audit trail only; never shown).

    Three indexed queries by the lookup key however many patients match (see
    ``lcsp_tui.store.queries.lookup``). The status words are the read model's, the same the
    worklists are built from.
    """
    key = query.key
    patients = q.patients_by_key(key)
    if any(not p.protected for p in patients):
        subjects = q.subjects_by_key(key)
        messages = q.unacknowledged_by_key(key)
    else:
        subjects, messages = [], []
    matches: list[Match] = []
    for p in patients:
        if p.protected:
            matches.append(_protected(query.birth_year))
            continue
        mine = [s for s in subjects if s.patient_id == p.patient_id]
        adm_ids = {s.subject for s in mine if s.kind == "admission"}
        unacked: list[UnackedMessage] = [
            {
                "message_id": m.message_id,
                "admission": m.admission_id,
                "type": m.type,
                "unit": m.unit,
                "unit_name": m.unit_name,
                "sent": m.sent,
            }
            for m in messages
            if m.admission_id in adm_ids
        ]
        matches.append(
            {
                "name": f"{p.initial}. {p.last_name}",
                "birth_year": query.birth_year,
                "municipality": p.municipality,
                "units": [{"id": u, "name": name} for u, name in p.units],
                "admissions": [
                    {
                        "id": s.subject,
                        "care_form": s.care_form,
                        "ward": s.unit,
                        "ward_name": s.unit_name,
                        "status": s.record_status,
                        "cutover": s.cutover,
                    }
                    for s in mine
                    if s.kind == "admission"
                ],
                "sips": [
                    {
                        "id": s.subject,
                        "coordinator": s.coordinator_org,
                        "responsible_unit": s.unit,
                        "status": s.record_status,
                        "cutover": s.cutover,
                    }
                    for s in mine
                    if s.kind == "sip"
                ],
                "unacknowledged": unacked,
                "owing_units": sorted({u["unit"] for u in unacked}),
            }
        )
    return matches, sorted(p.patient_id for p in patients)


@dataclass(frozen=True)
class LookupResult:
    matches: list[Match]
    patient_ids: list[str]  # for the audit trail only; never shown


def audited_lookup(ws: Workstation, name: str, birth_year: str) -> LookupResult:
    """Parse, look up and audit once. Raises ``LookupRefused`` (audited as refused)."""
    try:
        query = parse_query(name, birth_year)
    except LookupRefused:
        ws.audit_read(None, "sökning", outcome="nekad")  # what was typed is never kept
        raise
    matches, ids = lookup(ws.q, query)
    ws.audit_read(
        ",".join(ids) or None, "sökning", outcome=plural(len(matches), "träff", "träffar")
    )
    return LookupResult(matches, ids)
