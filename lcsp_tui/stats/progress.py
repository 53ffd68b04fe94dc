"""Progress over the whole region: done / total over the items that apply, overdue, missed.

Counted per step, role, unit and municipality (and step × municipality) from the read
model's item rows (``Queries.item_counts``, ``Queries.unit_counts``): an item is counted once
per subject for the region, its steps, roles and municipalities; for units it is counted at
every unit whose worklist holds the subject (a step-1 patient is on the list of its boende-,
hemsjukvårds- and biståndsenhet), so unit figures can add up to more than the region's.
Subjects on no unit's worklist are counted under the unit ``None``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from lcsp_tui.store.queries import Queries
from lcsp_tui.store.readmodel import ROLE_BITS

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


def compute_progress(q: Queries, now: dt.datetime) -> Progress:
    """Progress for every step, role, unit and municipality (see the module's doc)."""
    out = Progress()
    for c in q.item_counts(now):
        # rows counted as overdue or missed are open ones: the whole group
        t = Tally(c.done, c.total, c.total if c.overdue else 0, c.total if c.missed else 0)
        for tally in (
            out.total,
            out.by_municipality[c.municipality],
            out.by_step[c.step],
            out.by_step_municipality[c.step][c.municipality],
        ):
            tally.add(t)
        for role, bit in ROLE_BITS.items():
            if c.roles & bit:
                out.by_role[role].add(t)
    for u in q.unit_counts(now):
        out.by_unit[u.unit or NO_UNIT].add(Tally(u.done, u.total, u.overdue, u.missed))
    return out
