"""Drill-down: the subjects behind a figure of the dashboard (for systemforvaltning).

A ``Selector`` names a figure — progress narrowed by step, role, unit, municipality, and
what to show (all, open, overdue, missed), or one of the counted tables — and ``drill``
lists its subjects with their share of the figure. Subjects are described as the
worklists do (initial, surname, birth year); a patient with protected identity is not
described at all. ``subject_detail`` is one subject's items for every role that has it.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from lcsp_tui.domain import rules
from lcsp_tui.domain.regiondata import RegionData
from lcsp_tui.domain.roles import ROLES
from lcsp_tui.stats.lanes import LaneRules, Source, lanes
from lcsp_tui.stats.tables import FLAGGED, STARTED, UNACKED

WITHOUT_UNIT = ""  # Selector.unit for "on no unit's worklist"
PROTECTED = "Skyddad identitet"
KIND_TEXT = {"patient": "förregistrering", "admission": "vårdtillfälle", "sip": "SIP"}


@dataclass(frozen=True)
class Selector:
    figure: str  # progress | flagged | undecided | unacknowledged | sips
    step: str | None = None
    role: str | None = None
    unit: str | None = None  # None: any; WITHOUT_UNIT: on no unit's worklist
    municipality: str | None = None
    org: str | None = None  # sips: the coordinating organisation
    only: str = "all"  # progress: all | open | overdue | missed | done


@dataclass(frozen=True)
class DrillRow:
    subject: str
    kind: str  # patient | admission | sip
    title: str
    unit: str | None
    municipality: str
    done: int = 0
    total: int = 0
    overdue: int = 0
    missed: int = 0
    note: str = ""
    units: tuple[str, ...] = field(default=(), compare=False)

    @property
    def open(self) -> int:
        return self.total - self.done


def _title(kind: str, first: str, last: str, year: str, protected: int, extra: str = "") -> str:
    what = KIND_TEXT[kind] + (f" {extra}" if extra else "")
    if protected:
        return f"{PROTECTED} – {what}"
    return f"{first[:1]}. {last} ({year}) – {what}"


# The patient columns behind a title (only the birth year of the personnummer is read).
_WHO = (
    "pp.first_name",
    "pp.last_name",
    "substr(pp.personnummer, 1, 4)",
    "pp.protected_identity",
)


def _who_join(source: Source) -> str:
    return f"{source.table} JOIN patients pp ON pp.patient_id = {source.patient}"


def _sort(rows: Iterable[DrillRow]) -> list[DrillRow]:
    return sorted(rows, key=lambda r: (-r.missed, -r.overdue, -r.open, r.subject))


def _wanted(sel: Selector, done: int, total: int, overdue: int, missed: int) -> bool:
    if total == 0:
        return False
    return {
        "all": True,
        "open": done < total,
        "overdue": overdue > 0,
        "missed": missed > 0,
        "done": done > 0,
    }[sel.only]


def _progress(
    conn: sqlite3.Connection, region: RegionData, now: dt.datetime, sel: Selector
) -> list[DrillRow]:
    cutoff = region.timeline.milestones.discharge_ready_cutoff.isoformat()
    found: dict[str, DrillRow] = {}
    for lane in lanes(region):
        if sel.role is not None and sel.role not in lane.roles:
            continue
        if sel.unit == WITHOUT_UNIT and lane.needs_unit:
            continue
        src = lane.source
        lr = LaneRules(lane, region, now)
        where: list[str] = []
        args: dict[str, object] = {"cutoff": cutoff}
        if sel.municipality is not None:
            where.append(f"{src.municipality} = :mu")
            args["mu"] = sel.municipality
        if sel.unit == WITHOUT_UNIT:
            where.append(" AND ".join(f"{u} IS NULL" for u in lane.units))
        elif sel.unit is not None:
            where.append(" OR ".join(f"{u} = :unit" for u in lane.units))
            args["unit"] = sel.unit
        elif lane.needs_unit:
            where.append(" OR ".join(f"{u} IS NOT NULL" for u in lane.units))
        cols = [src.subject, src.municipality, *lane.units, *src.signature, src.mask_sql(region)]
        nu, ns = len(lane.units), len(src.signature)
        sql = src.rows_sql([*cols, *_WHO], " AND ".join(f"({w})" for w in where)).replace(
            f"FROM {src.table}", f"FROM {_who_join(src)}"
        )
        for row in conn.execute(sql, args):
            subject, muni = row[0], row[1]
            units = tuple(u for u in row[2 : 2 + nu] if u is not None)
            sig = tuple(row[2 + nu : 2 + nu + ns])
            mask = row[2 + nu + ns]
            first, last, year, protected = row[3 + nu + ns :]
            done = total = overdue = missed = 0
            for f in lr.applicable(sig):
                if sel.step is not None and f.item.step != sel.step:
                    continue
                if sel.role is not None and sel.role not in f.roles:
                    continue
                is_done = bool(mask & f.bit)
                total += 1
                done += is_done
                overdue += not is_done and f.overdue
                missed += not is_done and f.missed
            if total == 0:
                continue
            extra = ""
            if src.kind == "admission":
                extra = str(sig[0])
            prev = found.get(subject)
            if prev is None:
                unit = (
                    sel.unit if sel.unit not in (None, WITHOUT_UNIT) else (units[:1] or (None,))[0]
                )
                found[subject] = DrillRow(
                    subject,
                    src.kind,
                    _title(src.kind, first, last, year, protected, extra),
                    unit,
                    muni,
                    done,
                    total,
                    overdue,
                    missed,
                    units=units,
                )
            else:
                found[subject] = replace(
                    prev,
                    done=prev.done + done,
                    total=prev.total + total,
                    overdue=prev.overdue + overdue,
                    missed=prev.missed + missed,
                    units=prev.units + tuple(u for u in units if u not in prev.units),
                )
    return _sort(r for r in found.values() if _wanted(sel, r.done, r.total, r.overdue, r.missed))


def _simple(
    conn: sqlite3.Connection, kind: str, sql: str, args: dict[str, object]
) -> list[DrillRow]:
    """Rows of (subject, unit, municipality, note, extra, first, last, year, protected)."""
    out = []
    for subject, unit, muni, note, extra, *who in conn.execute(sql, args):
        out.append(
            DrillRow(subject, kind, _title(kind, *who, extra=extra or ""), unit, muni, note=note)
        )
    return out


def drill(
    conn: sqlite3.Connection, region: RegionData, now: dt.datetime, sel: Selector
) -> list[DrillRow]:
    """The subjects behind the figure ``sel`` names, worst first."""
    cutoff = region.timeline.milestones.discharge_ready_cutoff.isoformat()
    who = ", ".join(_WHO)
    args: dict[str, object] = {"cutoff": cutoff, "unit": sel.unit, "mu": sel.municipality}
    if sel.figure == "progress":
        return _progress(conn, region, now, sel)
    if sel.figure == "flagged":
        return _simple(
            conn,
            "admission",
            f"SELECT a.admission_id, a.ward, pp.municipality, CASE WHEN {STARTED} "
            "THEN 'startad i LCSP' ELSE 'ej startad i LCSP' END, a.care_form, "
            f"{who} FROM admissions a JOIN patients pp ON pp.patient_id = a.patient_id "
            f"WHERE {FLAGGED} AND (:unit IS NULL OR a.ward = :unit) "
            "AND (:mu IS NULL OR pp.municipality = :mu) ORDER BY a.admission_id",
            args,
        )
    if sel.figure in ("undecided", "sips"):
        cond = "d.decision IS NULL" if sel.figure == "undecided" else "1"
        args["org"] = sel.org
        return _simple(
            conn,
            "sip",
            "SELECT s.sip_id, s.responsible_unit, s.municipality, "
            "coalesce(d.decision, 'ej beslutad'), NULL, "
            f"{who} FROM sips s JOIN patients pp ON pp.patient_id = s.patient_id "
            "LEFT JOIN decisions d ON d.sip_id = s.sip_id "
            f"WHERE s.status = 'pagaende' AND {cond} AND (:unit IS NULL OR s.responsible_unit = :unit) "
            "AND (:mu IS NULL OR s.municipality = :mu) "
            "AND (:org IS NULL OR s.coordinator_org = :org) ORDER BY s.sip_id",
            args,
        )
    if sel.figure == "unacknowledged":
        return _simple(
            conn,
            "admission",
            "SELECT a.admission_id, min(m.recipient_unit), pp.municipality, "
            "count(*) || ' okvitterade, äldsta ' || replace(substr(min(m.sent), 1, 16), 'T', ' '), "
            f"a.care_form, {who} FROM messages m "
            "JOIN admissions a ON a.admission_id = m.admission_id "
            "JOIN patients pp ON pp.patient_id = a.patient_id "
            f"WHERE {UNACKED} AND (:unit IS NULL OR m.recipient_unit = :unit) "
            "AND (:mu IS NULL OR pp.municipality = :mu) "
            "GROUP BY a.admission_id ORDER BY min(m.sent), a.admission_id",
            args,
        )
    raise ValueError(f"unknown figure {sel.figure!r}")


# ------------------------------------------------------------------ one subject


@dataclass(frozen=True)
class DetailSection:
    role: str
    role_name: str
    units: tuple[str, ...]  # the units whose worklist holds it for the role (may be none)
    states: tuple[rules.ItemState, ...]


def subject_detail(view, subject: str) -> list[DetailSection]:  # type: ignore[no-untyped-def]
    """The subject's checklist for every role that has it (read-only, region-wide)."""
    ctx = view.subject_context("systemforvaltning", None, subject)
    if ctx is None:
        return []
    region, now = view.region, view.now
    if ctx.kind == "patient":
        holders = {"kommun-registrering": sorted(rules.patient_units(ctx.patient))}
    elif ctx.kind == "admission":
        assert ctx.admission is not None
        holders = {
            r: [u]
            for r, u in rules.admission_units(ctx.admission, ctx.patient).items()
            if u is not None
        }
    else:
        assert ctx.sip is not None
        holders = {"samordningsansvarig": [ctx.sip.responsible_unit]}
    out = []
    for role in ROLES:
        if role not in holders:
            continue
        states = tuple(rules.checklist(role, ctx, now, region))
        if states:
            out.append(DetailSection(role, ROLES[role].name, tuple(holders[role]), states))
    return out
