"""The support desk's patient lookup (SPEC §5): initial + surname + birth year.

Results never hold a personnummer or a full first name. Patients with protected identity
(skyddad identitet) are not described at all — no name, municipality or units, since a
unit can give away where someone lives: the desk is told to contact the unit instead.

``audited_lookup`` is what the CLI and the support screen call: every lookup, refused or
not, is one ``audit.read`` event (a refused one without what was typed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lcsp_tui.domain.lookup import LookupQuery, LookupRefused, parse_query
from lcsp_tui.view import View

if TYPE_CHECKING:
    from lcsp_tui.workstation import Workstation

PROTECTED_NAME = "Skyddad identitet – kontakta enheten"
_UNIT_FIELDS = (
    "housing_unit",
    "home_health_unit",
    "assistance_unit",
    "health_centre",
    "psych_outpatient_unit",
)


def _cutover(view: View, adm: dict[str, object]) -> str:
    cutoff = view.region.timeline.milestones.discharge_ready_cutoff.isoformat()
    if adm["status"] != "pagaende":
        return "utskriven"
    if adm["discharge_ready"] is not None and str(adm["discharge_ready"]) <= cutoff:
        return "avslutas i Prator (utskrivningsklar senast brytdatum)"
    done = {
        r[0]
        for r in view.conn.execute(
            "SELECT item FROM items WHERE subject = ? AND done = 1", (adm["admission_id"],)
        )
    }
    done |= {i for (s, i), d in view.pending_items.items() if s == adm["admission_id"] and d}
    if {"s6.avsluta_prator", "s6.avsluta_lcsp"} <= done:
        return "avslutad i Prator och LCSP"
    if "s2.inskrivningsmeddelande" in done:
        return "startad i LCSP"
    return "ska flyttas till LCSP"


def _sip_status(view: View, sip: dict[str, object]) -> str:
    if sip["status"] != "pagaende":
        return "avslutad"
    if sip["decision"] == "ej_aktuell":
        return "ej aktuell – ska avslutas i Prator"
    moved = view.conn.execute(
        "SELECT 1 FROM items WHERE subject = ? AND item = 's7.avsluta_prator' AND done = 1",
        (sip["sip_id"],),
    ).fetchone()
    if moved:
        return "flyttad till LCSP"
    return "aktuell – ska flyttas" if sip["decision"] == "aktuell" else "ej beslutad"


def lookup(view: View, query: LookupQuery) -> list[dict[str, object]]:
    """Every patient matching the query, in a stable order (never narrowed to one)."""
    rows = view._query(
        "SELECT * FROM patients WHERE lookup_key = ? ORDER BY last_name, patient_id",
        (query.key,),
    )
    matches: list[dict[str, object]] = []
    for p in rows:
        if p["protected_identity"]:
            matches.append(
                {
                    "name": PROTECTED_NAME,
                    "birth_year": query.birth_year,
                    "municipality": None,
                    "units": [],
                    "admissions": [],
                    "sips": [],
                    "unacknowledged": [],
                    "owing_units": [],
                    "protected": True,
                }
            )
            continue
        unit_ids = sorted({str(p[f]) for f in _UNIT_FIELDS if p[f]})
        units = [{"id": u, "name": view.unit_name(u)} for u in unit_ids]
        adms = view._query(
            "SELECT * FROM admissions WHERE patient_id = ? ORDER BY admitted, admission_id",
            (p["patient_id"],),
        )
        sips = view._query(
            "SELECT s.*, d.decision FROM sips s LEFT JOIN decisions d ON d.sip_id = s.sip_id "
            "WHERE s.patient_id = ? ORDER BY s.started, s.sip_id",
            (p["patient_id"],),
        )
        unacked = []
        for a in adms:
            for m in view._query(
                "SELECT * FROM messages WHERE admission_id = ? AND acknowledged IS NULL "
                "AND acked_seq IS NULL ORDER BY sent, message_id",
                (a["admission_id"],),
            ):
                if m["message_id"] in view.pending_acks:
                    continue
                unacked.append(
                    {
                        "message_id": m["message_id"],
                        "admission": a["admission_id"],
                        "type": m["type"],
                        "unit": m["recipient_unit"],
                        "unit_name": view.unit_name(str(m["recipient_unit"])),
                        "sent": m["sent"],
                    }
                )
        matches.append(
            {
                "name": f"{str(p['first_name'])[:1]}. {p['last_name']}",
                "birth_year": query.birth_year,
                "municipality": p["municipality"],
                "units": units,
                "admissions": [
                    {
                        "id": a["admission_id"],
                        "care_form": a["care_form"],
                        "ward": a["ward"],
                        "ward_name": view.unit_name(str(a["ward"])),
                        "status": a["status"],
                        "cutover": _cutover(view, a),
                    }
                    for a in adms
                ],
                "sips": [
                    {
                        "id": s["sip_id"],
                        "coordinator": s["coordinator_org"],
                        "responsible_unit": s["responsible_unit"],
                        "status": s["status"],
                        "cutover": _sip_status(view, s),
                    }
                    for s in sips
                ],
                "unacknowledged": unacked,
                "owing_units": sorted({str(u["unit"]) for u in unacked}),
            }
        )
    return matches


@dataclass(frozen=True)
class LookupResult:
    matches: list[dict[str, object]]
    patient_ids: list[str]  # for the audit trail only; never shown


def audited_lookup(ws: Workstation, name: str, birth_year: str) -> LookupResult:
    """Parse, look up and audit once. Raises ``LookupRefused`` (audited as refused)."""
    try:
        query = parse_query(name, birth_year)
    except LookupRefused:
        ws.audit_read(None, "sökning", outcome="nekad")  # what was typed is never kept
        raise
    view = ws.view()
    matches = lookup(view, query)
    ids = [
        str(r[0])
        for r in ws.store.conn.execute(
            "SELECT patient_id FROM patients WHERE lookup_key = ? ORDER BY patient_id",
            (query.key,),
        )
    ]
    ws.audit_read(",".join(ids) or None, "sökning", outcome=f"{len(matches)} träffar")
    return LookupResult(matches, ids)
