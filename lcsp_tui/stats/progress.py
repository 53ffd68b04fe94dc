"""Progress over the whole region: done / total over the items that apply, overdue, missed.

Counted per step, role, unit and municipality (and step × municipality). An item is counted
once per subject for the region, its steps, roles and municipalities; for units it is
counted at every unit whose worklist holds the subject (a step-1 patient is on the list of
its boende-, hemsjukvårds- and biståndsenhet), so unit figures can add up to more than the
region's. Subjects on no unit's worklist are counted under the unit ``None``.

One SQL statement per lane groups the subjects by (unit, municipality, signature, done
mask); the per-item work happens once per distinct group, not once per subject.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from lcsp_tui.domain.regiondata import RegionData
from lcsp_tui.stats.lanes import Lane, LaneRules, Signature, Source, lanes

NO_UNIT = None  # the unit key of subjects that are on no unit's worklist


@dataclass
class Tally:
    done: int = 0
    total: int = 0
    overdue: int = 0  # open items whose step is past its due time
    missed: int = 0  # open Prator-action items after Prator became read-only

    @property
    def open(self) -> int:
        return self.total - self.done

    @property
    def percent(self) -> float:
        return 100.0 * self.done / self.total if self.total else 100.0

    def add(self, other: Tally, n: int = 1) -> None:
        self.done += other.done * n
        self.total += other.total * n
        self.overdue += other.overdue * n
        self.missed += other.missed * n

    def as_json(self) -> dict[str, object]:
        return {
            "done": self.done,
            "total": self.total,
            "open": self.open,
            "overdue": self.overdue,
            "missed": self.missed,
            "percent": round(self.percent, 1),
        }


@dataclass
class Progress:
    total: Tally = field(default_factory=Tally)
    by_step: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_role: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_municipality: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_step_municipality: dict[str, dict[str, Tally]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(Tally))
    )
    by_unit: dict[str | None, Tally] = field(default_factory=lambda: defaultdict(Tally))


@dataclass(frozen=True)
class _Contribution:
    """What one subject with a given signature and done mask adds to each figure."""

    all: Tally
    steps: dict[str, Tally]
    roles: dict[str, Tally]


def _contribution(lr: LaneRules, sig: Signature, mask: int) -> _Contribution:
    key = (sig, mask)
    found = lr.memo.get(key)
    if found is None:
        found = lr.memo[key] = _work_out(lr, sig, mask)
    return found  # type: ignore[no-any-return]


def _work_out(lr: LaneRules, sig: Signature, mask: int) -> _Contribution:
    total = Tally()
    steps: dict[str, Tally] = defaultdict(Tally)
    roles: dict[str, Tally] = defaultdict(Tally)
    for f in lr.applicable(sig):
        done = bool(mask & f.bit)
        one = Tally(
            done=int(done),
            total=1,
            overdue=int(not done and f.overdue),
            missed=int(not done and f.missed),
        )
        total.add(one)
        steps[f.item.step].add(one)
        for r in f.roles:
            roles[r].add(one)
    return _Contribution(total, dict(steps), dict(roles))


def source_keys(
    conn: sqlite3.Connection, region: RegionData, source: Source, source_lanes: Sequence[Lane]
) -> Counter[tuple[object, ...]]:
    """How many subjects share each (municipality, units of every lane…, signature…, mask).

    Subjects with the same key count the same, so they are counted in C and worked out once
    per key.
    """
    cols = [
        source.municipality,
        *(u for lane in source_lanes for u in lane.units),
        *source.signature,
        source.mask_sql(region),
    ]
    cutoff = region.timeline.milestones.discharge_ready_cutoff.isoformat()
    return Counter(conn.execute(source.rows_sql(cols), {"cutoff": cutoff}))


def compute_progress(conn: sqlite3.Connection, region: RegionData, now: dt.datetime) -> Progress:
    """Progress for every step, role, unit and municipality (see the module's doc)."""
    all_lanes = lanes(region)
    rules_of = {lane.id: LaneRules(lane, region, now) for lane in all_lanes}
    # How many subjects per (lane, municipality | unit, signature, mask): ints only here.
    per_muni: Counter[tuple[str, object, Signature, int]] = Counter()
    per_unit: Counter[tuple[str, object, Signature, int]] = Counter()
    for source in {id(lane.source): lane.source for lane in all_lanes}.values():
        mine = [lane for lane in all_lanes if lane.source is source]
        nsig = len(source.signature)
        spans = []
        at = 1
        for lane in mine:
            spans.append((lane.id, at, at + len(lane.units), lane.needs_unit))
            at += len(lane.units)
        for key, n in source_keys(conn, region, source, mine).items():
            muni, sig, mask = key[0], key[-1 - nsig : -1], key[-1]
            for lane_id, lo, hi, needs_unit in spans:
                if hi - lo == 1:
                    unit = key[lo]
                    if unit is None and needs_unit:
                        continue  # on no worklist of this lane
                    per_unit[(lane_id, unit, sig, mask)] += n
                else:
                    units = key[lo:hi]
                    placed = {u for u in units if u is not None}
                    if not placed and needs_unit:
                        continue
                    for u in placed or (NO_UNIT,):
                        per_unit[(lane_id, u, sig, mask)] += n
                per_muni[(lane_id, muni, sig, mask)] += n
    out = Progress()
    for (lane_id, muni, sig, mask), n in per_muni.items():
        c = _contribution(rules_of[lane_id], sig, mask)
        out.total.add(c.all, n)
        out.by_municipality[str(muni)].add(c.all, n)
        for step, t in c.steps.items():
            out.by_step[step].add(t, n)
            out.by_step_municipality[step][str(muni)].add(t, n)
        for role, t in c.roles.items():
            out.by_role[role].add(t, n)
    for (lane_id, unit, sig, mask), n in per_unit.items():
        out.by_unit[unit].add(_contribution(rules_of[lane_id], sig, mask).all, n)  # type: ignore[index]
    return out
