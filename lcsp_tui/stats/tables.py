"""Counted tables: SIPs per coordinator, unacknowledged messages, flagged admissions, SIP
decisions — from the read model's rows (``Queries``), assembled for the dashboard."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

from lcsp_tui.domain.models import CoordinatorOrg
from lcsp_tui.domain.regiondata import RegionData
from lcsp_tui.store.queries.figures import FlaggedCount, SipCount, UnitMessages

ORGS = tuple(o.value for o in CoordinatorOrg)


class UnacknowledgedRow(TypedDict):
    unit: str
    name: str
    unacknowledged: int
    oldest: str
    missed: bool  # Prator is read-only: they can no longer be acknowledged (escalated)


class FlaggedRow(TypedDict):
    unit: str
    name: str
    flagged: int
    not_started: int


class Flagged(TypedDict):
    total: int
    not_started: int
    by_unit: list[FlaggedRow]


class UndecidedRow(TypedDict):
    unit: str
    name: str
    undecided: int
    total: int


class Decisions(TypedDict):
    by_municipality: dict[str, dict[str, int]]  # municipality (and "total") -> key -> n
    by_unit: list[UndecidedRow]


def sip_by_coordinator(region: RegionData, rows: Sequence[SipCount]) -> dict[str, dict[str, int]]:
    """Ongoing SIPs per coordinating organisation × municipality, with row and column totals.

    ``{org: {municipality: n, …, "total": n}, …, "total": {municipality: n, …, "total": n}}``;
    closed SIPs are not counted. Every municipality of the region appears, with 0 if none.
    """
    munis = region.municipalities.names
    table = {org: dict.fromkeys([*munis, "total"], 0) for org in (*ORGS, "total")}
    for r in rows:
        row = table.setdefault(r.org, dict.fromkeys([*munis, "total"], 0))
        for t in (row, table["total"]):
            t[r.municipality] = t.get(r.municipality, 0) + r.n
            t["total"] += r.n
    return table


def unacknowledged_by_unit(
    rows: Sequence[UnitMessages], read_only: bool
) -> list[UnacknowledgedRow]:
    """Unacknowledged Prator messages per unit, worst first (then oldest first sent); once
    Prator is read-only they are missed."""
    return [
        UnacknowledgedRow(
            unit=r.unit,
            name=r.name,
            unacknowledged=r.unacknowledged,
            oldest=r.oldest,
            missed=read_only,
        )
        for r in rows
    ]


def flagged_admissions(rows: Sequence[FlaggedCount]) -> Flagged:
    """Admissions flagged "must move to LCSP" (utskrivningsklar moved past the cut-off).

    Per ward, worst first; ``not_started``: step 2's inskrivningsmeddelande not yet done.
    """
    return {
        "total": sum(r.flagged for r in rows),
        "not_started": sum(r.not_started for r in rows),
        "by_unit": [
            FlaggedRow(unit=r.unit, name=r.name, flagged=r.flagged, not_started=r.not_started)
            for r in rows
        ],
    }


def sip_decisions(
    region: RegionData,
    rows: Sequence[SipCount],
    names: dict[str, tuple[str, str | None]],
) -> Decisions:
    """Ongoing SIPs: decided current, decided not current, or still undecided.

    Per municipality (every one of the region) with a total, and per responsible unit with
    undecided SIPs, worst first.
    """
    munis = region.municipalities.names
    zero = {"undecided": 0, "current": 0, "not_current": 0, "total": 0}
    by_muni = {m: dict(zero) for m in [*munis, "total"]}
    key = {None: "undecided", "aktuell": "current", "ej_aktuell": "not_current"}
    per_unit: dict[str, list[int]] = {}
    for r in rows:
        row = by_muni.setdefault(r.municipality, dict(zero))
        for t in (row, by_muni["total"]):
            t[key.get(r.decision, "undecided")] += r.n
            t["total"] += r.n
        counts = per_unit.setdefault(r.unit, [0, 0])
        counts[0] += r.n if r.decision is None else 0
        counts[1] += r.n
    units = [
        UndecidedRow(unit=u, name=names.get(u, (u, None))[0], undecided=c[0], total=c[1])
        for u, c in per_unit.items()
        if c[0]
    ]
    units.sort(key=lambda r: (-r["undecided"], r["unit"]))
    return {"by_municipality": by_muni, "by_unit": units}
