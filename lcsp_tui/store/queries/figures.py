"""The figures of the dashboard and the subjects behind each one (the drill-down).

A figure and its drill-down are the same query: ``_scope`` says which item rows a
``Selector`` covers, the figures group those rows, and the drill-down groups them by
subject. "Open", "overdue" and "missed" are defined once, below, as comparisons with now.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import Counter
from typing import TYPE_CHECKING, NamedTuple

from lcsp_tui.rows import DrillRow, Selector
from lcsp_tui.store.keys import COUNTED, ROLE_BITS, UNIT_ROLES, instant, reached

if TYPE_CHECKING:  # the region's data is loaded only when a query needs it
    from lcsp_tui.domain.regiondata import RegionData

# Open, and its instant has come: overdue, or missed (a Prator action once read-only).
OVERDUE = f"(i.done = 0 AND {reached('i.overdue_from')})"
MISSED = f"(i.done = 0 AND {reached('i.locked_from')})"


class ItemCount(NamedTuple):
    """Item rows that share these facts: how many, and how many of them are done."""

    municipality: str
    step: str
    roles: int  # bit set (readmodel.ROLE_BITS)
    overdue: bool
    missed: bool
    done: int
    total: int


class UnitCount(NamedTuple):
    unit: str  # '' = no unit
    done: int
    total: int
    overdue: int
    missed: int


class SipCount(NamedTuple):
    org: str
    municipality: str
    unit: str
    decision: str | None
    n: int


class UnitMessages(NamedTuple):
    unit: str
    name: str
    unacknowledged: int
    oldest: str


class FlaggedCount(NamedTuple):
    unit: str
    name: str
    flagged: int
    not_started: int


def _scope(sel: Selector) -> tuple[str, list[str], dict[str, object]]:
    """FROM, WHERE and arguments of the item rows a progress selector covers."""
    frm = "rm_item i JOIN rm_subject s ON s.subject = i.subject"
    where = [COUNTED]
    args: dict[str, object] = {}
    if sel.unit is not None:
        frm += (
            f" JOIN ({UNIT_ROLES.format(where='WHERE unit = :unit')}) l "
            "ON l.subject = i.subject AND (i.roles & l.rb) <> 0"
        )
        args["unit"] = sel.unit
    if sel.step is not None:
        where.append("i.step = :step")
        args["step"] = sel.step
    if sel.role is not None:
        where.append("(i.roles & :role_bit) <> 0")
        args["role_bit"] = ROLE_BITS[sel.role]
    if sel.municipality is not None:
        where.append("s.municipality = :mu")
        args["mu"] = sel.municipality
    return frm, where, args


class FigureQueries:
    _conn: sqlite3.Connection
    region: RegionData

    def item_counts(self, now: dt.datetime) -> list[ItemCount]:
        """Every counted item row, grouped by what the figures count them by (from the
        kept counts: the same rows ``drill`` lists)."""
        return [
            ItemCount(r[0], r[1], r[2], bool(r[3]), bool(r[4]), r[5], r[6])
            for r in self._conn.execute(
                f"SELECT municipality, step, roles, {OVERDUE}, {MISSED}, sum(i.done * n), "
                "sum(n) FROM rm_count i GROUP BY 1, 2, 3, 4, 5",
                {"now": instant(now)},
            )
        ]

    def unit_counts(self, now: dt.datetime) -> list[UnitCount]:
        """Per unit ('' = none), the items on its lists (a shared item once)."""
        return [
            UnitCount(*r)
            for r in self._conn.execute(
                f"SELECT unit, sum(i.done * n), sum(n), sum({OVERDUE} * n), sum({MISSED} * n) "
                "FROM rm_unit_count i GROUP BY unit",
                {"now": instant(now)},
            )
        ]

    def sip_counts(self) -> list[SipCount]:
        """Ongoing SIPs per (organisation, municipality, unit, decision)."""
        return [
            SipCount(*r)
            for r in self._conn.execute(
                "SELECT coordinator_org, municipality, holder_unit, decision, count(*) "
                "FROM rm_subject WHERE kind = 'sip' AND in_scope = 1 GROUP BY 1, 2, 3, 4"
            )
        ]

    def unacknowledged_by_unit(self) -> list[UnitMessages]:
        """Unacknowledged Prator messages per unit, worst first (then oldest first sent)."""
        return [
            UnitMessages(*r)
            for r in self._conn.execute(
                "SELECT m.recipient_unit, coalesce(u.name, m.recipient_unit), count(*) AS n, "
                "min(m.sent) FROM rm_message m LEFT JOIN units u ON u.unit_id = m.recipient_unit "
                "WHERE m.acked = 0 GROUP BY m.recipient_unit ORDER BY n DESC, min(m.sent), "
                "m.recipient_unit"
            )
        ]

    def flagged_by_ward(self) -> list[FlaggedCount]:
        """Admissions flagged "must move to LCSP", per ward, worst first."""
        return [
            FlaggedCount(*r)
            for r in self._conn.execute(
                "SELECT s.holder_unit, coalesce(u.name, s.holder_unit), count(*) AS n, "
                "sum(s.started = 0) FROM rm_subject s LEFT JOIN units u ON u.unit_id = "
                "s.holder_unit WHERE s.kind = 'admission' AND s.flagged = 1 "
                "GROUP BY s.holder_unit ORDER BY n DESC, s.holder_unit"
            )
        ]

    def ticks_by_day(self) -> Counter[str]:
        """Counted items done, per day (YYYY-MM-DD, '' if unknown) of their latest tick."""
        return Counter(
            {
                str(day): int(n)
                for day, n in self._conn.execute(
                    "SELECT day, sum(n) FROM rm_count WHERE done = 1 GROUP BY day"
                )
            }
        )

    # ------------------------------------------------------------ drill-down

    def drill(self, sel: Selector, now: dt.datetime) -> list[DrillRow]:
        """The subjects behind the figure ``sel`` names, worst first."""
        if sel.figure == "progress":
            rows = self._drill_progress(sel, now)
        else:
            rows = self._drill_table(sel)
        return sorted(rows, key=lambda r: (-r.missed, -r.overdue, -r.open, r.subject))

    def _drill_progress(self, sel: Selector, now: dt.datetime) -> list[DrillRow]:
        frm, where, args = _scope(sel)
        wanted = {
            "all": "1",
            "open": "sum(i.done) < count(*)",
            "overdue": f"sum({OVERDUE}) > 0",
            "missed": f"sum({MISSED}) > 0",
            "done": "sum(i.done) > 0",
        }[sel.only]
        out = []
        for r in self._conn.execute(
            f"SELECT i.subject, s.kind, s.care_form, s.municipality, sum(i.done), count(*), "
            f"sum({OVERDUE}), sum({MISSED}), s.title_hidden, "
            "(SELECT group_concat(unit) FROM (SELECT DISTINCT unit FROM rm_list x "
            "WHERE x.subject = i.subject AND x.unit <> '' ORDER BY unit)) "
            f"FROM {frm} WHERE {' AND '.join(where)} GROUP BY i.subject HAVING {wanted}",
            args | {"now": instant(now)},
        ):
            units = tuple(str(r[9]).split(",")) if r[9] else ()
            unit = sel.unit if sel.unit else (units[0] if units else None)
            out.append(DrillRow(r[0], r[1], r[8], unit, r[3], r[4], r[5], r[6], r[7], units=units))
        return out

    def _drill_table(self, sel: Selector) -> list[DrillRow]:
        args: dict[str, object] = {"unit": sel.unit, "mu": sel.municipality, "org": sel.org}
        # The title as anyone outside the patient's own units sees it (readmodel._titles).
        who = "s.title_hidden"
        if sel.figure == "flagged":
            sql = (
                "SELECT s.subject, s.kind, s.holder_unit, s.municipality, CASE WHEN s.started "
                "THEN 'startad i LCSP' ELSE 'ej startad i LCSP' END, s.care_form, "
                f"{who} FROM rm_subject s "
                "WHERE s.kind = 'admission' AND s.flagged = 1 "
                "AND (:unit IS NULL OR s.holder_unit = :unit) "
                "AND (:mu IS NULL OR s.municipality = :mu)"
            )
        elif sel.figure in ("undecided", "sips"):
            cond = "s.decision IS NULL" if sel.figure == "undecided" else "1"
            sql = (
                "SELECT s.subject, s.kind, s.holder_unit, s.municipality, "
                "coalesce(s.decision, 'ej beslutad'), NULL, "
                f"{who} FROM rm_subject s "
                f"WHERE s.kind = 'sip' AND s.in_scope = 1 AND {cond} "
                "AND (:unit IS NULL OR s.holder_unit = :unit) "
                "AND (:mu IS NULL OR s.municipality = :mu) "
                "AND (:org IS NULL OR s.coordinator_org = :org)"
            )
        elif sel.figure == "unacknowledged":
            sql = (
                "SELECT s.subject, s.kind, min(m.recipient_unit), s.municipality, "
                "count(*) || ' okvitterade, äldsta ' || replace(substr(min(m.sent), 1, 16), "
                f"'T', ' '), s.care_form, {who} FROM rm_message m "
                "JOIN rm_subject s ON s.subject = m.admission_id "
                "WHERE m.acked = 0 AND (:unit IS NULL OR m.recipient_unit = :unit) "
                "AND (:mu IS NULL OR s.municipality = :mu) GROUP BY s.subject"
            )
        else:
            raise ValueError(f"unknown figure {sel.figure!r}")
        return [
            DrillRow(r[0], r[1], r[6], r[2], r[3], note=r[4]) for r in self._conn.execute(sql, args)
        ]
