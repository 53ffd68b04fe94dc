"""Statistics for coordinators (SPEC §6), always computed from the data."""

from __future__ import annotations

import sqlite3

from lcsp_tui.domain.models import CoordinatorOrg
from lcsp_tui.domain.regiondata import RegionData

ORGS = tuple(o.value for o in CoordinatorOrg)


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
    """Unacknowledged Prator messages per unit, worst first."""
    return [
        {"unit": u, "name": name, "unacknowledged": n}
        for u, name, n in conn.execute(
            "SELECT m.recipient_unit, coalesce(u.name, m.recipient_unit), count(*) AS n "
            "FROM messages m LEFT JOIN units u ON u.unit_id = m.recipient_unit "
            "WHERE m.acknowledged IS NULL AND m.acked_seq IS NULL "
            "GROUP BY m.recipient_unit ORDER BY n DESC, m.recipient_unit"
        )
    ]


def csv_rows(stats: dict[str, object], region: RegionData) -> list[list[str]]:
    """The SIP table as rows for a spreadsheet (Swedish headings)."""
    munis = region.municipalities.names
    sip = stats["sip_by_coordinator"]
    assert isinstance(sip, dict)
    labels = {
        "kommun": "Kommun",
        "primarvard": "Primärvård",
        "slutenvard": "Slutenvård",
        "total": "Totalt",
    }
    rows = [["Samordningsansvar", *munis, "Totalt"]]
    for org in (*ORGS, "total"):
        rows.append([labels[org], *(str(sip[org][m]) for m in munis), str(sip[org]["total"])])
    rows.append([])
    rows.append(["Enhet", "Namn", "Okvitterade meddelanden"])
    for r in stats["unacknowledged_by_unit"]:  # type: ignore[union-attr]
        rows.append([str(r["unit"]), str(r["name"]), str(r["unacknowledged"])])
    return rows


def compute(conn: sqlite3.Connection, region: RegionData) -> dict[str, object]:
    return {
        "sip_by_coordinator": sip_by_coordinator(conn, region),
        "unacknowledged_by_unit": unacknowledged_by_unit(conn),
    }
