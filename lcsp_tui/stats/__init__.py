"""Statistics for coordinators (SPEC §6), always computed from the data.

``collect`` gathers every figure of the dashboard from the read model (what the worklists
show, local work included): the SIP table with totals, progress per step, role, unit and
municipality, unacknowledged messages per unit, missed Prator actions, admissions flagged
"must move to LCSP", SIP decisions, and the burndown. Each figure is a grouping of the same
rows its drill-down lists (``Queries.drill``).
``Stats.as_json`` is ``lcsp stats --json``; no export holds a personnummer or a name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TypedDict

from lcsp_tui import timeline as tl
from lcsp_tui.domain.regiondata import STEPS, RegionData
from lcsp_tui.domain.roles import ROLES
from lcsp_tui.domain.words import natural_key
from lcsp_tui.stats.burndown import Burndown, compute_burndown
from lcsp_tui.stats.progress import NO_UNIT, Progress, Tally, compute_progress
from lcsp_tui.stats.tables import (
    ORGS,
    Decisions,
    Flagged,
    UnacknowledgedRow,
    flagged_admissions,
    sip_by_coordinator,
    sip_decisions,
    unacknowledged_by_unit,
)
from lcsp_tui.store.queries import Queries

__all__ = [
    "ORGS",
    "NO_UNIT",
    "Stats",
    "Tally",
    "collect",
    "compute",
    "sip_by_coordinator",
    "unacknowledged_by_unit",
]

NO_UNIT_NAME = "(ingen enhet)"


class MissedRow(TypedDict):
    unit: str | None
    name: str
    missed: int


class Missed(TypedDict):
    read_only: bool
    total: int
    by_step: dict[str, int]
    by_unit: list[MissedRow]


@dataclass(frozen=True)
class UnitRow:
    unit: str | None
    name: str
    municipality: str | None
    tally: Tally


@dataclass
class Stats:
    now: dt.datetime
    region: RegionData
    sip_by_coordinator: dict[str, dict[str, int]]
    unacknowledged: list[UnacknowledgedRow]
    progress: Progress
    flagged: Flagged
    decisions: Decisions
    burndown: Burndown | None
    units: dict[str, tuple[str, str | None]]

    @property
    def read_only(self) -> bool:
        return self.now >= self.region.timeline.milestones.prator_read_only

    def unit_name(self, unit: str | None) -> str:
        if unit is None:
            return NO_UNIT_NAME
        return self.units.get(unit, (unit, None))[0]

    def steps(self) -> list[str]:
        """The steps with work, in the checklist's order."""
        return [s for s in STEPS if s in self.progress.by_step]

    def roles(self) -> list[str]:
        return [r for r in ROLES if r in self.progress.by_role]

    def unit_rows(self) -> list[UnitRow]:
        """Every unit with work, worst first: missed, overdue, open; then by name (Avd 2
        before Avd 11)."""
        rows = [
            UnitRow(u, self.unit_name(u), self.units.get(u, ("", None))[1] if u else None, t)
            for u, t in self.progress.by_unit.items()
        ]
        rows.sort(
            key=lambda r: (-r.tally.missed, -r.tally.overdue, -r.tally.open, natural_key(r.name))
        )
        return rows

    def missed(self) -> Missed:
        p = self.progress
        return {
            "read_only": self.read_only,
            "total": p.total.missed,
            "by_step": {s: p.by_step[s].missed for s in self.steps() if p.by_step[s].missed},
            "by_unit": [
                MissedRow(unit=r.unit, name=r.name, missed=r.tally.missed)
                for r in sorted(
                    self.unit_rows(), key=lambda r: (-r.tally.missed, natural_key(r.name))
                )
                if r.tally.missed
            ],
        }

    def as_json(self) -> dict[str, object]:
        p = self.progress
        munis = self.region.municipalities.names
        out: dict[str, object] = {
            "sip_by_coordinator": self.sip_by_coordinator,
            "unacknowledged_by_unit": self.unacknowledged,
            "timeline": tl.status_json(self.now, self.region.timeline),
            "progress": {
                "total": p.total.as_json(),
                "by_step": {s: p.by_step[s].as_json() for s in self.steps()},
                "by_role": {r: p.by_role[r].as_json() for r in self.roles()},
                "by_municipality": {
                    m: p.by_municipality.get(m, Tally()).as_json()
                    for m in [*munis, *sorted(set(p.by_municipality) - set(munis))]
                },
                "by_step_municipality": {
                    s: {m: p.by_step_municipality[s].get(m, Tally()).as_json() for m in munis}
                    for s in self.steps()
                },
                "by_unit": [
                    {"unit": r.unit, "name": r.name, "municipality": r.municipality}
                    | r.tally.as_json()
                    for r in self.unit_rows()
                ],
            },
            "missed_prator_actions": self.missed(),
            "flagged_admissions": self.flagged,
            "sip_decisions": self.decisions,
        }
        if self.burndown is not None:
            out["burndown"] = self.burndown.as_json()
        return out


def collect(q: Queries, region: RegionData, now: dt.datetime, *, burndown: bool = True) -> Stats:
    """Every figure of the dashboard, from the read model at ``now``."""
    progress = compute_progress(q, now)
    sips = q.sip_counts()
    names = q.unit_names()
    return Stats(
        now=now,
        region=region,
        sip_by_coordinator=sip_by_coordinator(region, sips),
        unacknowledged=unacknowledged_by_unit(
            q.unacknowledged_by_unit(), now >= region.timeline.milestones.prator_read_only
        ),
        progress=progress,
        flagged=flagged_admissions(q.flagged_by_ward()),
        decisions=sip_decisions(region, sips, names),
        burndown=compute_burndown(region, now, progress, q.ticks_by_day()) if burndown else None,
        units=names,
    )


def compute(q: Queries, region: RegionData, now: dt.datetime) -> dict[str, object]:
    """``lcsp stats --json``: every figure."""
    return collect(q, region, now).as_json()
