"""Every figure against what the users see: the dashboard's numbers against their drill-downs,
per-unit numbers against the worklists and checklists of that unit, worklist rows against
their checklists, and the support lookup's status words against the worklists.

``check(home, now)`` asserts all of it for one home at one moment; the demo tests and the
Hypothesis test (random regions, ticks, acks, decisions, synced or pending) call it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from pathlib import Path

from lcsp_tui.config import settings_from
from lcsp_tui.domain.lookup import parse_query
from lcsp_tui.domain.roles import ROLES, UNIT_TYPES_OF_ROLE
from lcsp_tui.domain.rules import FLAG_TEXT
from lcsp_tui.lookup import lookup
from lcsp_tui.rows import WITHOUT_UNIT, Selector
from lcsp_tui.stats import NO_UNIT, collect
from lcsp_tui.stats.progress import Tally
from lcsp_tui.workstation import Workstation

WORK_ROLES = [r for r, spec in ROLES.items() if spec.steps]


def _ws(home: Path, role: str, unit: str | None, now: dt.datetime) -> Workstation:
    return Workstation(
        settings_from(
            home=str(home),
            user="kontroll",
            role=role,
            unit=unit,
            today=now.isoformat(timespec="minutes"),
        )
    )


def _sums(rows: list) -> tuple[int, int, int, int]:  # type: ignore[type-arg]
    return (
        sum(r.done for r in rows),
        sum(r.total for r in rows),
        sum(r.overdue for r in rows),
        sum(r.missed for r in rows),
    )


def _tally(t: Tally) -> tuple[int, int, int, int]:
    return t.done, t.total, t.overdue, t.missed


def check(home: Path, now: dt.datetime) -> None:
    admin = _ws(home, "systemforvaltning", None, now)
    try:
        q = admin.q
        stats = collect(q, admin.region, now)
        p = stats.progress

        def drill(**kw: object) -> list:  # type: ignore[type-arg]
            return q.drill(Selector("progress", **kw), now)  # type: ignore[arg-type]

        # 1. Every progress figure is its drill-down's sum; "open" lists the subjects with
        #    open items, no more.
        assert _tally(p.total) == _sums(drill())
        open_rows = drill(only="open")
        assert sum(r.open for r in open_rows) == p.total.open
        assert all(r.open > 0 for r in open_rows)
        for step, t in p.by_step.items():
            assert _tally(t) == _sums(drill(step=step)), step
        for role, t in p.by_role.items():
            assert _tally(t) == _sums(drill(role=role)), role
        for muni, t in p.by_municipality.items():
            assert _tally(t) == _sums(drill(municipality=muni)), muni
        for step, per in p.by_step_municipality.items():
            for muni, t in per.items():
                assert _tally(t) == _sums(drill(step=step, municipality=muni)), (step, muni)
        for unit, t in p.by_unit.items():
            key = WITHOUT_UNIT if unit is NO_UNIT else unit
            assert _tally(t) == _sums(drill(unit=key)), unit
        assert len(q.drill(Selector("flagged"), now)) == stats.flagged["total"]
        undecided = stats.decisions["by_municipality"]["total"]["undecided"]  # type: ignore[index]
        assert len(q.drill(Selector("undecided"), now)) == undecided
        for row in stats.unacknowledged:
            assert row["unacknowledged"] == len(q.unacknowledged(str(row["unit"])))
        units = q.units()
    finally:
        admin.close()

    # 2. Per unit: the open items on the unit's worklists (a shared item once) are the
    #    unit's open figure; every row's done/total is its checklist's.
    open_at: dict[str, set[tuple[str, str]]] = defaultdict(set)
    # admission -> (title, started, discharged, flagged)
    statuses: dict[str, tuple[str, bool, bool, bool]] = {}
    for role in WORK_ROLES:
        types = UNIT_TYPES_OF_ROLE.get(role)
        for unit in units:
            if types is not None and unit.type not in types:
                continue
            ws = _ws(home, role, unit.unit_id, now)
            try:
                for row in ws.worklist():
                    found = ws.checklist(row.subject)
                    assert (row.done, row.total) == (found.done, found.total), row
                    assert row.flagged == found.flagged
                    for item in found.items:
                        if item.open:
                            open_at[unit.unit_id].add((row.subject, item.item.id))
                    if row.kind == "admission" and role.startswith("slutenvard"):
                        done = {i.item.id for i in found.items if i.done}
                        discharged = all(i.applies for i in found.items if i.item.closes)
                        started = "s2.inskrivningsmeddelande" in done
                        statuses[row.subject] = (row.title, started, discharged, row.flagged)
            finally:
                ws.close()
    by_unit = {u: t.open for u, t in p.by_unit.items() if u is not NO_UNIT and t.open}
    assert by_unit == {u: len(items) for u, items in open_at.items() if items}

    # 3. The lookup (as the support desk runs it) says what the ward's worklist says:
    #    started in LCSP, or must move, or not started.
    support = _ws(home, "support", None, now)
    try:
        for adm_id, (title, started, discharged, flagged) in statuses.items():
            # the ward is the patient's own unit: it sees the personnummer and the full name
            who = re.match(r"(\d{4})\d{4}-\d{4} (\S)\S* (.+) – ", title)
            assert who, title
            matches, _ids = lookup(support.q, parse_query(f"{who[2]} {who[3]}", who[1]))
            found = [a for m in matches for a in m["admissions"] if a["id"] == adm_id]  # type: ignore[attr-defined]
            if not found:  # a protected identity is never described to the desk
                assert any(m.get("protected") for m in matches), adm_id
                continue
            words = found[0]["cutover"]
            # (an admission closed with nothing owed is on no list: not here)
            if discharged:
                assert words.startswith("utskriven"), (adm_id, words)
            elif started:
                assert words == "startad i LCSP", (adm_id, words)
            elif flagged:
                assert words.startswith(FLAG_TEXT), (adm_id, words)
            else:
                assert words == "ej startad i LCSP", (adm_id, words)
    finally:
        support.close()
