"""Worklists, checklists, messages and units: what the front line reads.

Everything comes from the read model (``rm_*``); "now" only enters as a comparison with a
stored instant (``overdue_from``, ``locked_from``).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

from lcsp_tui.domain.roles import UNIT_TYPES_OF_ROLE
from lcsp_tui.domain.words import natural_key
from lcsp_tui.rows import (
    PROTECTED_TITLE,
    Checklist,
    ItemRow,
    MessageRow,
    UnitRow,
    WorkRow,
)
from lcsp_tui.store.keys import NO_UNIT, ROLE_BITS, instant, reached
from lcsp_tui.store.keys import rows as _rows

if TYPE_CHECKING:  # the region's data is loaded only when a query needs it
    from lcsp_tui.domain.regiondata import RegionData

# The subject's title as seen at ``:unit``: the name only at one of the patient's own
# units when its identity is protected (readmodel._titles).
TITLE = "CASE WHEN instr(s.own_units, ',' || :unit || ',') > 0 THEN s.title ELSE s.title_hidden END"


def _not_yet(column: str) -> str:
    """SQL: the instant in ``column`` while it has not come at ``:now``, else ''."""
    return f"CASE WHEN {reached(column)} THEN '' ELSE {column} END"


@lru_cache(maxsize=4096)
def _when(v: str | None) -> dt.datetime | None:
    """A stored instant (few distinct ones: the timeline's), '' or None for none."""
    return dt.datetime.fromisoformat(v) if v else None


class WorkQueries:
    _conn: sqlite3.Connection
    region: RegionData

    # ------------------------------------------------------------ worklists

    def worklist(self, role: str, unit: str, now: dt.datetime) -> list[WorkRow]:
        """The role's pending subjects at ``unit``, by due time (then id): one range of
        ``rm_list``, which carries what a row shows (its title as seen at that unit)."""
        rows = self._conn.execute(
            "SELECT subject, kind, step, done, total, due, "
            f"{reached('overdue_from')}, waiting, unacked, flagged, title, target, "
            f"{_not_yet('opens')}, pnr, unacked_own FROM rm_list "
            "WHERE role = :role AND unit = :unit AND pending = 1 "
            "ORDER BY due = '', due, subject",
            {"role": role, "unit": unit, "now": instant(now)},
        )
        return [
            WorkRow(
                subject=r[0],
                kind=r[1],
                step=r[2],
                done=r[3],
                total=r[4],
                due=_when(r[5]),
                overdue=bool(r[6]),
                waiting=bool(r[7]),
                unacknowledged=r[8],
                title=r[10],
                flagged=bool(r[9]),
                target=bool(r[11]),
                opens=_when(r[12]),
                personnummer=r[13],
                own_unacknowledged=r[14],
            )
            for r in rows
        ]

    def holders(self, subject: str) -> list[tuple[str, tuple[str, ...]]]:
        """(role, units) of every list that holds the subject, in role order."""
        out: dict[str, list[str]] = {}
        for role, unit in self._conn.execute(
            "SELECT role, unit FROM rm_list WHERE subject = ? ORDER BY role_bit, unit", (subject,)
        ):
            out.setdefault(role, []).append(unit)
        return [(r, tuple(u)) for r, u in out.items()]

    # ------------------------------------------------------------ checklists

    def checklist(
        self, role: str, unit: str | None, subject: str, now: dt.datetime
    ) -> Checklist | None:
        """The subject's items for ``role`` — at ``unit``, or at any unit with None — or
        None when no such list holds it."""
        args = {"role": role, "subject": subject, "unit": unit or "", "now": instant(now)}
        lists = self._conn.execute(
            f"SELECT unit, due, {reached('overdue_from')}, target FROM rm_list WHERE role = :role "
            "AND subject = :subject AND (:unit = '' OR unit = :unit) ORDER BY unit",
            args,
        ).fetchall()
        if not lists:
            return None
        head = self._conn.execute(
            f"SELECT s.kind, s.care_form, s.flagged, s.decision, s.status, s.owing, {TITLE} "
            "FROM rm_subject s WHERE s.subject = :subject",
            args,
        ).fetchone()
        by_id = self.region.checklists.by_id
        items = tuple(
            ItemRow(
                item=by_id[r[0]],
                done=bool(r[1]),
                applies=bool(r[2]),
                reason=r[3],
                waiting=r[4],
                locked=bool(r[5]),
                overdue=bool(r[6]),
                note=r[7],
                by=r[8],
                at=r[9],
                due=_when(r[10]),
                value=r[11],
                waiting_other_role=bool(r[12]),
                target=bool(r[13]),
                opens=_when(r[14]),
            )
            for r in self._conn.execute(
                f"SELECT item, done, applies, reason, waiting, {reached('locked_from')}, "
                f"applies = 1 AND done = 0 AND {reached('overdue_from')}, note, done_by, "
                "done_at, due, value, waiting_other, target, "
                f"{_not_yet('opens')} FROM rm_item "
                "WHERE subject = :subject AND (roles & :bit) <> 0 "
                "ORDER BY pos",
                args | {"bit": ROLE_BITS[role]},
            )
        )
        return Checklist(
            subject=subject,
            kind=head[0],
            role=role,
            units=tuple(r[0] for r in lists),
            title=head[6],
            items=items,
            due=_when(lists[0][1]),
            overdue=bool(lists[0][2]),
            target=bool(lists[0][3]),
            flagged=bool(head[2]),
            decision=head[3],
            owing=tuple(u for u in str(head[5]).split(",") if u),
            status=head[4],
        )

    def subject_detail(self, subject: str, now: dt.datetime) -> list[Checklist]:
        """The subject's checklist for every role that has it (region-wide, read-only)."""
        out = []
        for role, _units in self.holders(subject):
            found = self.checklist(role, None, subject, now)
            if found is not None:
                out.append(found)
        return out

    def subject_kind(self, subject: str) -> str | None:
        """admission | sip | patient, or None for an id the store does not know."""
        row = self._conn.execute(
            "SELECT kind FROM rm_subject WHERE subject = ?", (subject,)
        ).fetchone()
        if row is not None:
            return str(row[0])
        known = self._conn.execute(
            "SELECT 1 FROM patients WHERE patient_id = ?", (subject,)
        ).fetchone()
        return "patient" if known else None

    # ------------------------------------------------------------ messages

    def unacknowledged(self, unit: str | None) -> list[MessageRow]:
        """A unit's (or, with None, the region's) unacknowledged messages, oldest first."""
        return self._messages(
            "m.acked = 0" + (" AND m.recipient_unit = :unit" if unit is not None else ""),
            {"unit": unit or ""},
        )

    def message(self, message_id: str) -> MessageRow | None:
        found = self._messages("m.message_id = :id", {"id": message_id, "unit": ""})
        return found[0] if found else None

    def _messages(self, where: str, args: dict[str, object]) -> list[MessageRow]:
        # the title as the recipient unit sees it
        title = TITLE.replace(":unit", "m.recipient_unit")
        rows = self._conn.execute(
            "SELECT m.message_id, m.admission_id, m.type, m.recipient_unit, m.sent, m.acked, "
            f"coalesce({title}, m.admission_id || ' (okänt)') FROM rm_message m "
            "LEFT JOIN rm_subject s ON s.subject = m.admission_id "
            f"WHERE {where} ORDER BY m.sent, m.message_id",
            args,
        )
        return [MessageRow(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6]) for r in rows]

    # ------------------------------------------------------------ units

    def patient_unit_of_type(self, subject: str, unit_type: str) -> str | None:
        """The subject's patient's own unit of ``unit_type`` (from the export), if any."""
        row = self._conn.execute(
            "SELECT u.unit_id FROM rm_subject s JOIN patients p ON p.patient_id = s.patient_id "
            "JOIN units u ON u.unit_id IN (p.health_centre, p.psych_outpatient_unit, "
            "p.housing_unit, p.home_health_unit, p.assistance_unit) "
            "WHERE s.subject = ? AND u.type = ? ORDER BY u.unit_id LIMIT 1",
            (subject, unit_type),
        ).fetchone()
        return None if row is None else str(row[0])

    def unit_exists(self, unit_id: str) -> bool:
        row = self._conn.execute("SELECT 1 FROM units WHERE unit_id = ?", (unit_id,)).fetchone()
        return row is not None

    def unit(self, unit_id: str) -> UnitRow | None:
        """One unit by its id; None when the store does not know it."""
        row = self._conn.execute(
            "SELECT unit_id, name, type, municipality FROM units WHERE unit_id = ?", (unit_id,)
        ).fetchone()
        return None if row is None else UnitRow(*row)

    def has_units(self) -> bool:
        return self._conn.execute("SELECT 1 FROM units LIMIT 1").fetchone() is not None

    def unit_name(self, unit_id: str | None) -> str:
        if not unit_id:
            return "(ingen enhet)"
        row = self._conn.execute("SELECT name FROM units WHERE unit_id = ?", (unit_id,)).fetchone()
        return str(row[0]) if row else unit_id

    def units(self) -> list[UnitRow]:
        """Every unit, by name in natural order (Avd 2 before Avd 11)."""
        found = [
            UnitRow(*r)
            for r in self._conn.execute("SELECT unit_id, name, type, municipality FROM units")
        ]
        return sorted(found, key=lambda u: (natural_key(u.name), natural_key(u.unit_id)))

    def units_for_role(self, role: str) -> list[UnitRow]:
        """The units at which ``role`` works, by name."""
        types = UNIT_TYPES_OF_ROLE.get(role)
        return [u for u in self.units() if types is None or u.type in types]

    def unit_names(self, ids: Iterable[str] | None = None) -> dict[str, tuple[str, str | None]]:
        """unit id → (name, municipality), of every unit or of ``ids``."""
        if ids is None:
            return {u.unit_id: (u.name, u.municipality) for u in self.units()}
        return {
            r[0]: (r[1], r[2])
            for r in _rows(
                self._conn,
                "SELECT unit_id, name, municipality FROM units WHERE unit_id IN ({marks})",
                sorted(set(ids)),
            )
        }


__all__ = ["NO_UNIT", "PROTECTED_TITLE", "WorkQueries"]
