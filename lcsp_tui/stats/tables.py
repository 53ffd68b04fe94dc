"""Counted tables: SIPs per coordinator, unacknowledged messages, flagged admissions, SIP
decisions. Each is one or two grouped SQL statements over the confirmed state."""

from __future__ import annotations

import sqlite3

from lcsp_tui.domain.models import CoordinatorOrg
from lcsp_tui.domain.regiondata import RegionData

ORGS = tuple(o.value for o in CoordinatorOrg)
UNACKED = "m.acknowledged IS NULL AND m.acked_seq IS NULL"
# rules.moved_past_cutoff in SQL: ongoing, the date was on or before the cut-off, now later.
FLAGGED = (
    "a.status = 'pagaende' AND a.earliest_discharge_ready IS NOT NULL "
    "AND a.earliest_discharge_ready <= :cutoff "
    "AND (a.discharge_ready IS NULL OR a.discharge_ready > :cutoff)"
)
STARTED = (
    "EXISTS (SELECT 1 FROM items i WHERE i.subject = a.admission_id "
    "AND i.item = 's2.inskrivningsmeddelande' AND i.done = 1)"
)


def sip_by_coordinator(conn: sqlite3.Connection, region: RegionData) -> dict[str, dict[str, int]]:
    """Ongoing SIPs per coordinating organisation × municipality, with row and column totals.

    ``{org: {municipality: n, …, "total": n}, …, "total": {municipality: n, …, "total": n}}``;
    closed SIPs are not counted. Every municipality of the region appears, with 0 if none.
    """
    munis = region.municipalities.names
    table = {org: dict.fromkeys([*munis, "total"], 0) for org in (*ORGS, "total")}
    for org, muni, n in conn.execute(
        "SELECT coordinator_org, municipality, count(*) FROM sips WHERE status = 'pagaende' "
        "GROUP BY coordinator_org, municipality"
    ):
        row = table.setdefault(org, dict.fromkeys([*munis, "total"], 0))
        for r in (row, table["total"]):
            r[muni] = r.get(muni, 0) + n
            r["total"] += n
    return table


def unacknowledged_by_unit(conn: sqlite3.Connection) -> list[dict[str, object]]:
    """Unacknowledged Prator messages per unit, worst first (then oldest first sent)."""
    return [
        {"unit": u, "name": name, "unacknowledged": n, "oldest": oldest}
        for u, name, n, oldest in conn.execute(
            "SELECT m.recipient_unit, coalesce(u.name, m.recipient_unit), count(*) AS n, "
            "min(m.sent) FROM messages m LEFT JOIN units u ON u.unit_id = m.recipient_unit "
            f"WHERE {UNACKED} GROUP BY m.recipient_unit ORDER BY n DESC, min(m.sent), "
            "m.recipient_unit"
        )
    ]


def flagged_admissions(conn: sqlite3.Connection, region: RegionData) -> dict[str, object]:
    """Admissions flagged "must move to LCSP" (utskrivningsklar moved past the cut-off).

    Per ward, worst first; ``not_started``: step 2's inskrivningsmeddelande not yet done.
    """
    cutoff = region.timeline.milestones.discharge_ready_cutoff.isoformat()
    rows = conn.execute(
        "SELECT a.ward, coalesce(u.name, a.ward), count(*) AS n, "
        f"sum(NOT {STARTED}) FROM admissions a LEFT JOIN units u ON u.unit_id = a.ward "
        f"WHERE {FLAGGED} GROUP BY a.ward ORDER BY n DESC, a.ward",
        {"cutoff": cutoff},
    ).fetchall()
    return {
        "total": sum(r[2] for r in rows),
        "not_started": sum(r[3] for r in rows),
        "by_unit": [
            {"unit": u, "name": name, "flagged": n, "not_started": ns} for u, name, n, ns in rows
        ],
    }


def sip_decisions(conn: sqlite3.Connection, region: RegionData) -> dict[str, object]:
    """Ongoing SIPs: decided current, decided not current, or still undecided.

    Per municipality (every one of the region) with a total, and per responsible unit with
    undecided SIPs, worst first.
    """
    munis = region.municipalities.names
    zero = {"undecided": 0, "current": 0, "not_current": 0, "total": 0}
    by_muni = {m: dict(zero) for m in [*munis, "total"]}
    key = {None: "undecided", "aktuell": "current", "ej_aktuell": "not_current"}
    for muni, decision, n in conn.execute(
        "SELECT s.municipality, d.decision, count(*) FROM sips s "
        "LEFT JOIN decisions d ON d.sip_id = s.sip_id WHERE s.status = 'pagaende' "
        "GROUP BY s.municipality, d.decision"
    ):
        row = by_muni.setdefault(muni, dict(zero))
        for r in (row, by_muni["total"]):
            r[key.get(decision, "undecided")] += n
            r["total"] += n
    units = [
        {"unit": u, "name": name, "undecided": n, "total": t}
        for u, name, n, t in conn.execute(
            "SELECT s.responsible_unit, coalesce(u.name, s.responsible_unit), "
            "sum(d.decision IS NULL) AS n, count(*) FROM sips s "
            "LEFT JOIN decisions d ON d.sip_id = s.sip_id "
            "LEFT JOIN units u ON u.unit_id = s.responsible_unit "
            "WHERE s.status = 'pagaende' GROUP BY s.responsible_unit "
            "HAVING n > 0 ORDER BY n DESC, s.responsible_unit"
        )
    ]
    return {"by_municipality": by_muni, "by_unit": units}


def unit_names(conn: sqlite3.Connection) -> dict[str, tuple[str, str | None]]:
    """unit id → (name, municipality)."""
    return {u: (n, m) for u, n, m in conn.execute("SELECT unit_id, name, municipality FROM units")}
