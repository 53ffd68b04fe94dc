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


SipRows = list[tuple[str, str, str, str | None, int]]


def sip_rows(conn: sqlite3.Connection) -> SipRows:
    """Ongoing SIPs counted per (organisation, municipality, unit, decision): one pass."""
    return conn.execute(
        "SELECT s.coordinator_org, s.municipality, s.responsible_unit, d.decision, count(*) "
        "FROM sips s LEFT JOIN decisions d ON d.sip_id = s.sip_id WHERE s.status = 'pagaende' "
        "GROUP BY 1, 2, 3, 4"
    ).fetchall()


def sip_by_coordinator(
    conn: sqlite3.Connection, region: RegionData, rows: SipRows | None = None
) -> dict[str, dict[str, int]]:
    """Ongoing SIPs per coordinating organisation × municipality, with row and column totals.

    ``{org: {municipality: n, …, "total": n}, …, "total": {municipality: n, …, "total": n}}``;
    closed SIPs are not counted. Every municipality of the region appears, with 0 if none.
    """
    munis = region.municipalities.names
    table = {org: dict.fromkeys([*munis, "total"], 0) for org in (*ORGS, "total")}
    for org, muni, _unit, _decision, n in sip_rows(conn) if rows is None else rows:
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


def sip_decisions(
    conn: sqlite3.Connection | None,
    region: RegionData,
    rows: SipRows | None = None,
    names: dict[str, tuple[str, str | None]] | None = None,
) -> dict[str, object]:
    """Ongoing SIPs: decided current, decided not current, or still undecided.

    Per municipality (every one of the region) with a total, and per responsible unit with
    undecided SIPs, worst first.
    """
    munis = region.municipalities.names
    zero = {"undecided": 0, "current": 0, "not_current": 0, "total": 0}
    by_muni = {m: dict(zero) for m in [*munis, "total"]}
    key = {None: "undecided", "aktuell": "current", "ej_aktuell": "not_current"}
    per_unit: dict[str, list[int]] = {}
    if rows is None or names is None:
        assert conn is not None
        rows = sip_rows(conn) if rows is None else rows
        names = unit_names(conn) if names is None else names
    for _org, muni, unit, decision, n in rows:
        row = by_muni.setdefault(muni, dict(zero))
        for r in (row, by_muni["total"]):
            r[key.get(decision, "undecided")] += n
            r["total"] += n
        counts = per_unit.setdefault(unit, [0, 0])
        counts[0] += n if decision is None else 0
        counts[1] += n
    units = [
        {"unit": u, "name": names.get(u, (u, None))[0], "undecided": c[0], "total": c[1]}
        for u, c in per_unit.items()
        if c[0]
    ]
    units.sort(key=lambda r: (-r["undecided"], r["unit"]))  # type: ignore[operator]
    return {"by_municipality": by_muni, "by_unit": units}


def unit_names(conn: sqlite3.Connection) -> dict[str, tuple[str, str | None]]:
    """unit id → (name, municipality)."""
    return {u: (n, m) for u, n, m in conn.execute("SELECT unit_id, name, municipality FROM units")}
