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


_PATIENT_COLS = "patient_id, first_name, last_name, municipality, protected_identity, " + ", ".join(
    _UNIT_FIELDS
)
_CHUNK = 500  # ids per "IN (…)", well under SQLite's variable limit


def _rows_in(view: View, sql: str, ids: list[str]) -> list[tuple[object, ...]]:
    """``sql`` has one ``{marks}`` for an IN list; run it in chunks of ``ids``."""
    out: list[tuple[object, ...]] = []
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
        out += view.conn.execute(sql.format(marks=",".join("?" * len(chunk))), chunk).fetchall()
    return out


def _cutover(adm: tuple[object, ...], cutoff: str, done: set[str]) -> str:
    _, _, _, _, status, discharge_ready = adm
    if status != "pagaende":
        return "utskriven"
    if discharge_ready is not None and str(discharge_ready) <= cutoff:
        return "avslutas i Prator (utskrivningsklar senast brytdatum)"
    if {"s6.avsluta_prator", "s6.avsluta_lcsp"} <= done:
        return "avslutad i Prator och LCSP"
    if "s2.inskrivningsmeddelande" in done:
        return "startad i LCSP"
    return "ska flyttas till LCSP"


def _sip_status(status: object, decision: object, done: set[str]) -> str:
    if status != "pagaende":
        return "avslutad"
    if decision == "ej_aktuell":
        return "ej aktuell – ska avslutas i Prator"
    if "s7.avsluta_prator" in done:
        return "flyttad till LCSP"
    return "aktuell – ska flyttas" if decision == "aktuell" else "ej beslutad"


def _protected(birth_year: int) -> dict[str, object]:
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


def lookup(view: View, query: LookupQuery) -> list[dict[str, object]]:
    """Every patient matching the query, in a stable order (never narrowed to one).

    A fixed number of indexed queries however many patients match: the patients, then
    their admissions, SIPs, unacknowledged messages, done items and unit names in batches.
    """
    patients = view.conn.execute(
        f"SELECT {_PATIENT_COLS} FROM patients WHERE lookup_key = ? ORDER BY last_name, patient_id",
        (query.key,),
    ).fetchall()
    ids = [str(p[0]) for p in patients if not p[4]]
    adms: dict[str, list[tuple[object, ...]]] = {pid: [] for pid in ids}
    sips: dict[str, list[tuple[object, ...]]] = {pid: [] for pid in ids}
    msgs: dict[str, list[tuple[object, ...]]] = {}
    done: dict[str, set[str]] = {}
    adm_ids: list[str] = []
    if ids:
        for a in _rows_in(
            view,
            "SELECT admission_id, patient_id, care_form, ward, status, discharge_ready "
            "FROM admissions WHERE patient_id IN ({marks}) ORDER BY admitted, admission_id",
            ids,
        ):
            adms[str(a[1])].append(a)
        for sp in _rows_in(
            view,
            "SELECT s.sip_id, s.patient_id, s.coordinator_org, s.responsible_unit, s.status, "
            "d.decision FROM sips s LEFT JOIN decisions d ON d.sip_id = s.sip_id "
            "WHERE s.patient_id IN ({marks}) ORDER BY s.started, s.sip_id",
            ids,
        ):
            sips[str(sp[1])].append(sp)
        adm_ids = [str(a[0]) for rows in adms.values() for a in rows]
        for m in _rows_in(
            view,
            "SELECT message_id, admission_id, type, recipient_unit, sent FROM messages "
            "WHERE admission_id IN ({marks}) AND acknowledged IS NULL AND acked_seq IS NULL "
            "ORDER BY sent, message_id",
            adm_ids,
        ):
            if m[0] not in view.pending_acks:
                msgs.setdefault(str(m[1]), []).append(m)
        subjects = adm_ids + [str(sp[0]) for rows in sips.values() for sp in rows]
        for subject, item in _rows_in(
            view,
            "SELECT subject, item FROM items WHERE subject IN ({marks}) AND done = 1",
            subjects,
        ):
            done.setdefault(str(subject), set()).add(str(item))
    pending_adms = set(adm_ids)  # local ticks count for admissions (as on the screens)
    for (subject, item), is_done in view.pending_items.items():
        if is_done and subject in pending_adms:
            done.setdefault(subject, set()).add(item)
    unit_ids = {str(p[5 + i]) for p in patients if not p[4] for i in range(len(_UNIT_FIELDS))}
    unit_ids |= {str(a[3]) for rows in adms.values() for a in rows}
    unit_ids |= {str(m[3]) for rows in msgs.values() for m in rows}
    unit_ids.discard("None")
    names = dict(
        _rows_in(
            view, "SELECT unit_id, name FROM units WHERE unit_id IN ({marks})", sorted(unit_ids)
        )
    )

    def name(unit: object) -> str:
        return str(names.get(unit, unit))

    cutoff = view.region.timeline.milestones.discharge_ready_cutoff.isoformat()
    matches: list[dict[str, object]] = []
    for p in patients:
        if p[4]:
            matches.append(_protected(query.birth_year))
            continue
        pid = str(p[0])
        own = sorted({str(u) for u in p[5:] if u})
        unacked = [
            {
                "message_id": m[0],
                "admission": m[1],
                "type": m[2],
                "unit": m[3],
                "unit_name": name(m[3]),
                "sent": m[4],
            }
            for a in adms[pid]
            for m in msgs.get(str(a[0]), ())
        ]
        matches.append(
            {
                "name": f"{str(p[1])[:1]}. {p[2]}",
                "birth_year": query.birth_year,
                "municipality": p[3],
                "units": [{"id": u, "name": name(u)} for u in own],
                "admissions": [
                    {
                        "id": a[0],
                        "care_form": a[2],
                        "ward": a[3],
                        "ward_name": name(a[3]),
                        "status": a[4],
                        "cutover": _cutover(a, cutoff, done.get(str(a[0]), set())),
                    }
                    for a in adms[pid]
                ],
                "sips": [
                    {
                        "id": sp[0],
                        "coordinator": sp[2],
                        "responsible_unit": sp[3],
                        "status": sp[4],
                        "cutover": _sip_status(sp[4], sp[5], done.get(str(sp[0]), set())),
                    }
                    for sp in sips[pid]
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
