"""Progress over the whole region: done / total over the items that apply, overdue, missed.

Counted per step, role, unit and municipality (and step × municipality). An item is counted
once per subject for the region, its steps, roles and municipalities; for units it is
counted at every unit whose worklist holds the subject (a step-1 patient is on the list of
its boende-, hemsjukvårds- and biståndsenhet), so unit figures can add up to more than the
region's. Subjects on no unit's worklist are counted under the unit ``None``.

One SQL statement per source returns each subject's municipality, units, signature and done
mask; equal rows are counted in C, and each distinct one is worked out with bit operations
on the sets of items that apply, are overdue or missed (``LaneRules.bits``).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from lcsp_tui.domain.regiondata import RegionData
from lcsp_tui.stats.lanes import Lane, LaneRules, Source, lanes

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


def _bump(t: Tally, mask: int, area: int, overdue: int, missed: int, n: int) -> None:
    """Add ``n`` subjects whose items ``area`` apply and ``mask`` are done (bit sets)."""
    left = area & ~mask
    t.done += (mask & area).bit_count() * n
    t.total += area.bit_count() * n
    t.overdue += (left & overdue).bit_count() * n
    t.missed += (left & missed).bit_count() * n


def source_keys(
    conn: sqlite3.Connection, region: RegionData, source: Source, source_lanes: Sequence[Lane]
) -> Counter[tuple[object, ...]]:
    """How many subjects share each (municipality, extra…, units of every lane…, signature…,
    mask).

    Subjects with the same key count the same, so they are counted in C and worked out once
    per key.
    """
    cols = [
        source.municipality,
        *source.extra,
        *(u for lane in source_lanes for u in lane.units),
        *source.signature,
        source.mask_sql(region, exact=has_undone(conn)),
    ]
    cutoff = region.timeline.milestones.discharge_ready_cutoff.isoformat()
    return Counter(conn.execute(source.rows_sql(cols), {"cutoff": cutoff}))


def has_undone(conn: sqlite3.Connection) -> bool:
    """Are there items ticked and then undone (rare)? Then masks must read ``done``."""
    return conn.execute("SELECT 1 FROM items WHERE done = 0 LIMIT 1").fetchone() is not None


def sources_of(region: RegionData) -> dict[str, tuple[Source, list[Lane]]]:
    """Each source (by kind) with its lanes."""
    out: dict[str, tuple[Source, list[Lane]]] = {}
    for lane in lanes(region):
        out.setdefault(lane.source.kind, (lane.source, []))[1].append(lane)
    return out


def count_source(
    conn: sqlite3.Connection, region: RegionData, kind: str
) -> Counter[tuple[object, ...]]:
    """``source_keys`` for one kind of subject (patient | admission | sip)."""
    source, mine = sources_of(region)[kind]
    return source_keys(conn, region, source, mine)


def compute_progress(
    conn: sqlite3.Connection | None,
    region: RegionData,
    now: dt.datetime,
    counted: dict[str, Counter[tuple[object, ...]]] | None = None,
) -> Progress:
    """Progress for every step, role, unit and municipality (see the module's doc).

    ``counted``: the sources' keys already counted (``count_source``), e.g. in parallel.
    """
    out = Progress()
    for kind, (source, mine) in sources_of(region).items():
        if counted is not None:
            keys = counted[kind]
        else:
            assert conn is not None
            keys = source_keys(conn, region, source, mine)
        tail_at = -1 - len(source.signature)  # key[tail_at:] = (signature…, mask)
        # Per lane: subjects per (municipality, tail) and per (unit, tail). Hot loop: one
        # pass over the distinct keys, tuples and ints only.
        spans = []
        at = 1 + len(source.extra)
        for lane in mine:
            spans.append(
                (at, at + len(lane.units), lane.needs_unit, Counter[object](), Counter[object]())
            )
            at += len(lane.units)
        for key, n in keys.items():
            muni, tail = key[0], key[tail_at:]
            for lo, hi, needs_unit, per_muni, per_unit in spans:
                if hi - lo == 1:
                    unit = key[lo]
                    if unit is None and needs_unit:
                        continue  # on no worklist of this lane
                    per_unit[(unit, tail)] += n
                else:
                    placed = {u for u in key[lo:hi] if u is not None}
                    if not placed and needs_unit:
                        continue
                    for u in placed or (NO_UNIT,):
                        per_unit[(u, tail)] += n
                per_muni[(muni, tail)] += n
        for lane, (_lo, _hi, _n, per_muni, per_unit) in zip(mine, spans, strict=True):
            lr = LaneRules(lane, region, now)
            for (muni, tail), n in per_muni.items():
                b, mask = lr.bits(tail[:-1]), tail[-1]
                _bump(out.total, mask, b.applies, b.overdue, b.missed, n)
                _bump(out.by_municipality[str(muni)], mask, b.applies, b.overdue, b.missed, n)
                for step, area in b.steps:
                    _bump(out.by_step[step], mask, area, b.overdue, b.missed, n)
                    cell = out.by_step_municipality[step][str(muni)]
                    _bump(cell, mask, area, b.overdue, b.missed, n)
                for role, area in b.roles:
                    _bump(out.by_role[role], mask, area, b.overdue, b.missed, n)
            for (unit, tail), n in per_unit.items():
                b, mask = lr.bits(tail[:-1]), tail[-1]
                _bump(out.by_unit[unit], mask, b.applies, b.overdue, b.missed, n)  # type: ignore[index]
    return out
