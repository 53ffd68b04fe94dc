"""Statistics (SPEC §6) on records with known counts: every figure, totals, the burndown,
the exports; and every lane against the worklists themselves on demo data."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import random
import re
from pathlib import Path

import pytest

from lcsp_tui.cli import main
from lcsp_tui.config import settings_from
from lcsp_tui.csvout import write_rows
from lcsp_tui.domain import models as m
from lcsp_tui.domain.models import (
    Admission,
    AdmissionStatus,
    CareForm,
    CoordinatorOrg,
    Housing,
    Message,
    Patient,
    Record,
    Sip,
    SipStatus,
    Unit,
    UnitType,
)
from lcsp_tui.domain.personnummer import with_check_digit
from lcsp_tui.domain.regiondata import load_region
from lcsp_tui.domain.when import WEEKDAYS
from lcsp_tui.importer import diff_events
from lcsp_tui.rows import DrillRow, Selector
from lcsp_tui.stats import NO_UNIT, Stats, collect
from lcsp_tui.stats.burndown import planned_remaining
from lcsp_tui.stats.export import csv_rows
from lcsp_tui.stats.report import report
from lcsp_tui.timeline import countdowns, role_today
from lcsp_tui.workstation import Workstation
from tests import consistency
from tests.snapshot_app import build_demo_home, make_workstation
from tests.test_language import assert_aligned

NOW = dt.datetime(2025, 10, 1, 9, 0)
AFTER_READ_ONLY = dt.datetime(2025, 10, 20, 9, 0)
REGION = load_region()

PNRS = {
    f"P{k}": "19" + with_check_digit(p)
    for k, p in enumerate(
        ["450312980", "460701238", "471124339", "380101980", "520505123", "600606123"], start=1
    )
}
FIRST_NAMES = {
    "P1": "Anna",
    "P2": "Bertil",
    "P3": "Cecilia",
    "P4": "David",
    "P5": "Eva",
    "P6": "Fredrik",
}


def _patient(pid: str, muni: str, housing: Housing, **kw: object) -> Patient:
    return Patient.model_validate(
        dict(
            patient_id=pid,
            personnummer=PNRS[pid],
            first_name=FIRST_NAMES[pid],
            last_name="Testsson",
            municipality=muni,
            housing=housing,
        )
        | kw
    )


def _adm(aid: str, pid: str, form: CareForm, ward: str, **kw: object) -> Admission:
    base: dict[str, object] = dict(
        admission_id=aid,
        patient_id=pid,
        care_form=form,
        ward=ward,
        admitted=dt.date(2025, 9, 20),
        status=AdmissionStatus.PAGAENDE,
    )
    return Admission.model_validate(base | kw)


def _sip(sid: str, pid: str, org: CoordinatorOrg, unit: str, muni: str, **kw: object) -> Sip:
    base: dict[str, object] = dict(
        sip_id=sid,
        patient_id=pid,
        coordinator_org=org,
        responsible_unit=unit,
        municipality=muni,
        started=dt.date(2024, 3, 1),
        status=SipStatus.PAGAENDE,
    )
    return Sip.model_validate(base | kw)


def _msg(mid: str, aid: str, unit: str, **kw: object) -> Message:
    base: dict[str, object] = dict(
        message_id=mid,
        admission_id=aid,
        type="inskrivningsmeddelande",
        recipient_unit=unit,
        sent=dt.datetime(2025, 9, 21, 10, 0),
    )
    return Message.model_validate(base | kw)


def records(v5_ready: dt.date = dt.date(2025, 9, 25)) -> list[Record]:
    """The test region. Known figures are worked out in the tests, item by item."""
    units = [
        ("HC1", "Hälsocentral Ett", UnitType.HALSOCENTRAL, None),
        ("AVD1", "Avdelning 1", UnitType.SLUTENVARD_SOMATIK, None),
        ("PSY1", "Psykiatri 1", UnitType.SLUTENVARD_PSYKIATRI, None),
        ("POV1", "Öppenvård 1", UnitType.PSYKIATRISK_OPPENVARD, None),
        ("BIST1", "Bistånd Timrå", UnitType.BISTANDSENHET, "Timrå"),
        ("HSV1", "Hemsjukvård Timrå", UnitType.HEMSJUKVARDSENHET, "Timrå"),
        ("BO1", "Boende Timrå", UnitType.BOENDEENHET, "Timrå"),
        ("BO2", "Boende Kramfors", UnitType.BOENDEENHET, "Kramfors"),
    ]
    out: list[Record] = [Unit(unit_id=u, name=n, type=t, municipality=mu) for u, n, t, mu in units]
    out += [
        # Step 1: särskilt boende at three units, hemsjukvård, next of kin: 5 items.
        _patient(
            "P1",
            "Timrå",
            Housing.SARSKILT_BOENDE,
            housing_unit="BO1",
            home_health_unit="HSV1",
            assistance_unit="BIST1",
            health_centre="HC1",
            next_of_kin="Dotter",
        ),
        # Private provider in Sundsvall: no step 1.
        _patient("P2", "Sundsvall", Housing.PRIVAT_AKTOR, health_centre="HC1"),
        # Ordinary housing with an ongoing SIP: step 1, 3 items.
        _patient("P3", "Timrå", Housing.ORDINART, assistance_unit="BIST1"),
        # Ordinary housing, only a closed SIP: no step 1.
        _patient(
            "P4", "Timrå", Housing.ORDINART, health_centre="HC1", psych_outpatient_unit="POV1"
        ),
        # LSS without any unit: step 1 on no worklist, with a visiting address: 4 items.
        _patient("P5", "Härnösand", Housing.LSS_BOENDE, visiting_address="Stugan"),
        # Private provider outside Sundsvall: step 1, 3 items.
        _patient(
            "P6", "Kramfors", Housing.PRIVAT_AKTOR, housing_unit="BO2", protected_identity=True
        ),
    ]
    out += [
        _adm("V1", "P1", CareForm.SOMATIK, "AVD1"),  # 7 + 4 (HC1) + 3 (BIST1) + 5 (HSV1)
        _adm("V2", "P4", CareForm.PSYKIATRI, "PSY1", discharge_ready=dt.date(2025, 10, 5)),
        # Utskrivningsklar on or before the cut-off: finished in Prator, not counted.
        _adm("V3", "P2", CareForm.SOMATIK, "AVD1", discharge_ready=dt.date(2025, 9, 20)),
        # Discharged: not counted.
        _adm("V4", "P4", CareForm.SOMATIK, "AVD1", status=AdmissionStatus.UTSKRIVEN),
        # Ready on 25 Sep at first, later moved to October: "must move to LCSP".
        _adm("V5", "P2", CareForm.SOMATIK, "AVD1", discharge_ready=v5_ready),
        # Discharged after its date was moved: not flagged.
        _adm(
            "V6",
            "P6",
            CareForm.SOMATIK,
            "AVD1",
            discharge_ready=v5_ready,
            status=AdmissionStatus.UTSKRIVEN,
        ),
    ]
    out += [
        _sip("S1", "P3", CoordinatorOrg.KOMMUN, "BIST1", "Timrå"),  # no admission: 8 items
        _sip("S2", "P1", CoordinatorOrg.PRIMARVARD, "HC1", "Timrå"),  # ongoing V1: 8
        _sip("S3", "P5", CoordinatorOrg.KOMMUN, "BIST1", "Härnösand"),  # ej aktuell: 1
        _sip("S4", "P4", CoordinatorOrg.KOMMUN, "BIST1", "Timrå", status=SipStatus.AVSLUTAD),
        _sip("S5", "P6", CoordinatorOrg.SLUTENVARD, "AVD1", "Kramfors"),  # aktuell: 8
    ]
    out += [
        _msg("M1", "V1", "BIST1"),
        _msg("M2", "V1", "HC1"),
        _msg("M3", "V2", "HC1", acknowledged=dt.datetime(2025, 9, 22, 8, 0)),
        _msg("M4", "V4", "HC1"),  # a discharged admission's message is still owed
        _msg("M5", "V1", "HSV1"),  # acknowledged below
    ]
    return out


def _ws(home: Path, today: str) -> Workstation:
    return Workstation(
        settings_from(home=str(home), user="test", role="systemforvaltning", today=today)
    )


def _events(kind: str, payloads: list[dict[str, object]]) -> list[m.Event]:
    return [m.Event(kind=kind, payload=p) for p in payloads]


def _tick(subject: str, item: str, done: bool = True) -> dict[str, object]:
    return {"subject": subject, "item": item, "done": done}


def build_home(home: Path) -> Path:
    ws = _ws(home, "2025-09-20T08:00")
    ws.publish(diff_events(records(), ws.known()).events, {"test": True})
    # V5's and V6's dates move past the cut-off: the earliest date stays on record.
    later = [
        r
        for r in records(v5_ready=dt.date(2025, 10, 3))
        if isinstance(r, Admission) and r.admission_id in ("V5", "V6")
    ]
    ws.publish(diff_events(later, ws.known()).events, {"test": True})
    ws.publish(
        _events(m.SIP_DECIDED, [{"sip_id": "S3", "decision": "ej_aktuell"}])
        + _events(m.SIP_DECIDED, [{"sip_id": "S5", "decision": "aktuell"}])
        + _events(m.MESSAGE_ACKED, [{"message_id": "M5"}]),
        {"test": True},
    )
    ws.close()
    days = {
        "2025-09-29T10:00": [
            _tick("P1", "s1.personnummersokning"),
            _tick("P1", "s1.boende"),
            _tick("P3", "s1.boende"),
        ],
        "2025-09-30T11:00": [
            _tick("P1", "s1.boende", done=False),  # undone: not done
            _tick("P3", "s1.boende"),  # ticked again: counts from today
            _tick("V1", "s2.personuppgifter"),
            _tick("V1", "s2.inskrivningsmeddelande"),
            _tick("V3", "s2.personuppgifter"),  # finished in Prator: not counted
            _tick("S3", "s7.avsluta_ej_aktuell"),
            _tick("S3", "s7.huvudmal"),  # does not apply to a SIP that is not current
            _tick("S4", "s7.huvudmal"),  # a closed SIP: not counted
        ],
        # Recorded on a later (simulated) day than NOW: counts today.
        "2025-10-05T09:00": [_tick("V2", "s2.personuppgifter")],
    }
    for today, ticks in days.items():
        ws = _ws(home, today)
        ws.publish(_events(m.ITEM_TICKED, ticks), {"test": True})
        ws.close()
    return home


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_home(tmp_path_factory.mktemp("stats") / "home")


def stats_at(home: Path, now: dt.datetime) -> Stats:
    ws = _ws(home, now.isoformat(timespec="minutes"))
    try:
        return collect(ws.q, ws.region, now)
    finally:
        ws.close()


def figures(t) -> tuple[int, int, int, int]:  # type: ignore[no-untyped-def]
    return t.done, t.total, t.overdue, t.missed


# ------------------------------------------------------------------ progress


def test_progress_per_step(home: Path) -> None:
    p = stats_at(home, NOW).progress
    # (done, total, overdue, missed); on 1 Oct 09:00 step 1 is past due, steps 2–4 past
    # their targets (mål: never overdue).
    assert {s: figures(t) for s, t in p.by_step.items()} == {
        "1": (2, 15, 13, 0),  # P1 5 + P3 3 + P5 4 + P6 3
        "2": (3, 17, 0, 0),  # V1 5 + V2 7 + V5 5 somatic/psychiatric items
        "3": (0, 8, 0, 0),  # V1, V5 (HC1); V2 is psychiatric, its hälsocentral not included
        "4": (0, 5, 0, 0),  # V2 (POV1)
        "5A": (0, 3, 0, 0),  # V1 (BIST1)
        "5B": (0, 5, 0, 0),  # V1 (HSV1): shared items once
        "7": (1, 25, 0, 0),  # S1 8, S2 8, S3 1, S5 8 — no step 6: nobody is discharged
    }
    assert figures(p.total) == (6, 78, 13, 0)


def test_progress_per_role_counts_shared_items_for_each_role(home: Path) -> None:
    p = stats_at(home, NOW).progress
    assert {r: (t.done, t.total) for r, t in p.by_role.items()} == {
        "kommun-registrering": (2, 15),
        "slutenvard-somatik": (2, 10),  # V1 and V5: 5 each (step 6 once discharged)
        "slutenvard-psykiatri": (1, 7),  # V2
        "primarvard": (0, 8),
        "psykiatri-oppenvard": (0, 5),
        "bistandshandlaggare": (0, 3),
        "hsl-sjukskoterska": (0, 3),
        "hsl-arbetsterapeut": (0, 3),
        "hsl-fysioterapeut": (0, 3),
        "samordningsansvarig": (1, 25),
    }


def test_progress_per_municipality_adds_up(home: Path) -> None:
    p = stats_at(home, NOW).progress
    assert {mu: t.total for mu, t in p.by_municipality.items()} == {
        "Timrå": 53,  # P1 5 + V1 17 + P3 3 + V2 12 + S1 8 + S2 8
        "Härnösand": 5,  # P5 4 + S3 1
        "Kramfors": 11,  # P6 3 + S5 8
        "Sundsvall": 9,  # V5 (P2)
    }
    assert sum(t.total for t in p.by_municipality.values()) == p.total.total
    for step, cells in p.by_step_municipality.items():
        assert sum(t.total for t in cells.values()) == p.by_step[step].total
        assert sum(t.done for t in cells.values()) == p.by_step[step].done
    for muni, t in p.by_municipality.items():
        assert sum(c[muni].total for c in p.by_step_municipality.values() if muni in c) == t.total


def test_progress_per_unit_is_each_units_worklist(home: Path) -> None:
    p = stats_at(home, NOW).progress
    assert {u: (t.done, t.total) for u, t in p.by_unit.items()} == {
        "BO1": (1, 5),  # P1's step 1 is on the list of all three of its units
        "HSV1": (1, 10),  # + V1's step 5B
        "BIST1": (3, 20),  # + P3 step 1, V1 step 5A, S1, S3
        "BO2": (0, 3),  # P6
        NO_UNIT: (0, 4),  # P5 has no unit: on nobody's worklist
        "AVD1": (2, 18),  # V1, V5, S5
        "PSY1": (1, 7),  # V2
        "HC1": (0, 16),  # V1, V5 step 3 + S2
        "POV1": (0, 5),  # V2 step 4
    }


def test_missed_prator_actions_after_read_only(home: Path) -> None:
    s = stats_at(home, AFTER_READ_ONLY)
    p = s.progress
    # Open Prator actions: s2 ×3, s3 ×2, s4, s5a, s5b, s7 ×3 (step 6: nobody discharged).
    assert p.total.missed == 11
    assert {st: t.missed for st, t in p.by_step.items() if t.missed} == {
        "2": 3,
        "3": 2,
        "4": 1,
        "5A": 1,
        "5B": 1,
        "7": 3,
    }
    missed = s.missed()
    assert missed["read_only"] is True and missed["total"] == 11
    by_unit = {r["unit"]: r["missed"] for r in missed["by_unit"]}  # type: ignore[union-attr]
    assert by_unit == {"HC1": 3, "AVD1": 3, "PSY1": 1, "BIST1": 2, "POV1": 1, "HSV1": 1}
    assert list(by_unit.values()) == sorted(by_unit.values(), reverse=True)
    assert stats_at(home, NOW).missed()["total"] == 0


# ------------------------------------------------------------------ tables


def test_sip_table_and_decisions(home: Path) -> None:
    s = stats_at(home, NOW)
    sip = s.sip_by_coordinator
    assert sip["kommun"]["Timrå"] == 1 and sip["kommun"]["Härnösand"] == 1  # S4 closed
    assert sip["primarvard"]["Timrå"] == 1 and sip["slutenvard"]["Kramfors"] == 1
    assert sip["total"]["total"] == 4 and sip["kommun"]["total"] == 2
    by_muni = s.decisions["by_municipality"]
    assert by_muni["Timrå"] == {"undecided": 2, "current": 0, "not_current": 0, "total": 2}  # type: ignore[index]
    assert by_muni["Härnösand"]["not_current"] == 1  # type: ignore[index]
    assert by_muni["Kramfors"]["current"] == 1  # type: ignore[index]
    assert by_muni["total"] == {"undecided": 2, "current": 1, "not_current": 1, "total": 4}  # type: ignore[index]
    assert s.decisions["by_unit"] == [
        {"unit": "BIST1", "name": "Bistånd Timrå", "undecided": 1, "total": 2},
        {"unit": "HC1", "name": "Hälsocentral Ett", "undecided": 1, "total": 1},
    ]


def test_unacknowledged_worst_first(home: Path) -> None:
    rows = stats_at(home, NOW).unacknowledged
    assert [(r["unit"], r["unacknowledged"]) for r in rows] == [("HC1", 2), ("BIST1", 1)]


def test_flagged_admissions(home: Path) -> None:
    flagged = stats_at(home, NOW).flagged
    assert flagged == {
        "total": 1,
        "not_started": 1,
        "by_unit": [{"unit": "AVD1", "name": "Avdelning 1", "flagged": 1, "not_started": 1}],
    }


# ------------------------------------------------------------------ burndown


def test_burndown_is_open_now_plus_what_was_ticked_since(home: Path) -> None:
    b = stats_at(home, NOW).burndown
    assert b is not None and b.total == 78 and b.today == NOW.date()
    open_now = stats_at(home, NOW).progress.total.open
    assert open_now == 72
    # Done items by the day of their latest tick: 29/9 P1 personnummersökning; 30/9 P3 boende
    # (ticked again), V1 ×2, S3 ×2; 5/10, recorded "later" than now: today. P1 boende was
    # undone: still open. The work on V3 and S4 was done before they left the lists: they
    # count nowhere now, so not in the past either (one definition of what counts).
    k = b.days.index(b.today)
    assert b.done[k - 2 : k + 1] == (1, 4, 1)
    assert b.at(dt.date(2025, 10, 1))[0] == 72 == open_now
    assert b.at(dt.date(2025, 9, 30))[0] == 73
    assert b.at(dt.date(2025, 9, 29))[0] == 77
    assert b.at(dt.date(2025, 9, 28))[0] == 78 == b.total
    assert b.at(dt.date(2025, 10, 2))[0] is None  # the future
    assert b.days[-1] == dt.date(2025, 10, 15)  # the day before Prator becomes read-only
    assert b.days[0] == dt.date(2025, 5, 6)  # step 1 opens
    assert b.remaining[0] == 78


def test_burndown_plan() -> None:
    steps = {"1": 15, "2": 17, "3": 12, "4": 5, "5A": 3, "5B": 5, "6": 6, "7": 25}
    t = REGION.timeline
    at = dt.datetime
    assert planned_remaining(steps, t, at(2025, 5, 6)) == 88
    # Half of step 1's window (6 May → 30 Sep, 147 days) gone: 7.5 of 15 left.
    half = at(2025, 5, 6) + (at(2025, 9, 30) - at(2025, 5, 6)) / 2
    assert planned_remaining(steps, t, half) == round(7.5 + 73)
    # End of 30 Sep: steps 1–4 due; 5A/5B open at midnight; step 6 has 15 of 15⅔ days left.
    assert planned_remaining(steps, t, at(2025, 10, 1)) == round(8 + 6 * 360 / 376 + 25)
    assert planned_remaining(steps, t, at(2025, 10, 16)) == 0


# ------------------------------------------------------------------ drill-down


def test_drill_down_lists_the_subjects_behind_a_figure(home: Path) -> None:
    ws = _ws(home, "2025-10-01T09:00")

    def drill(_region: object, now: dt.datetime, sel: Selector) -> list[DrillRow]:
        return ws.q.drill(sel, now)

    rows = drill(REGION, NOW, Selector("progress", unit="BIST1"))
    assert sorted(r.subject for r in rows) == ["P1", "P3", "S1", "S3", "V1"]
    assert sum(r.total for r in rows) == 20 and sum(r.done for r in rows) == 3
    rows = drill(REGION, NOW, Selector("progress", step="3", municipality="Timrå"))
    assert sorted((r.subject, r.done, r.total) for r in rows) == [("V1", 0, 4)]  # V2: not included
    rows = drill(REGION, NOW, Selector("progress", step="1", only="overdue"))
    assert sorted((r.subject, r.overdue) for r in rows) == [
        ("P1", 4),
        ("P3", 2),
        ("P5", 4),
        ("P6", 3),
    ]
    assert [r.subject for r in drill(REGION, NOW, Selector("progress", unit=""))] == ["P5"]
    rows = drill(REGION, NOW, Selector("progress", role="hsl-fysioterapeut"))
    assert [(r.subject, r.total) for r in rows] == [("V1", 3)]
    assert [r.subject for r in drill(REGION, NOW, Selector("flagged"))] == ["V5"]
    assert sorted(r.subject for r in drill(REGION, NOW, Selector("undecided"))) == [
        "S1",
        "S2",
    ]
    rows = drill(REGION, NOW, Selector("unacknowledged", unit="HC1"))
    assert sorted(r.subject for r in rows) == ["V1", "V4"]
    rows = drill(REGION, NOW, Selector("sips", org="kommun", municipality="Timrå"))
    assert [r.subject for r in rows] == ["S1"]
    rows = drill(REGION, AFTER_READ_ONLY, Selector("progress", only="missed", unit="HC1"))
    assert sorted((r.subject, r.missed) for r in rows) == [
        ("S2", 1),
        ("V1", 1),
        ("V5", 1),
    ]
    # Titles: initial, surname, birth year — never a personnummer or a first name, and
    # nothing at all for protected identity (P6 and its SIP S5).
    for r in drill(REGION, NOW, Selector("progress")):
        if r.subject in ("P6", "S5"):
            assert r.title.startswith("Skyddad identitet") and "Testsson" not in r.title
            continue
        assert "Testsson" in r.title
        assert not any(name in r.title for name in FIRST_NAMES.values())
        assert not any(pnr[2:8] in r.title for pnr in PNRS.values())
    ws.close()


# ------------------------------------------------------------------ exports


def run(home: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(["--home", str(home), "--today", "2025-10-01T09:00", *args])
    out, err = capsys.readouterr()
    return rc, out, err


def _no_person_in(text: str) -> None:
    for pnr in PNRS.values():
        assert pnr not in text and pnr[2:] not in text and pnr[2:8] not in text
    for name in [*FIRST_NAMES.values(), "Testsson"]:
        assert name not in text


def test_stats_json_keeps_the_sip_table_and_adds_sections(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, out, _ = run(home, capsys, "--role", "systemforvaltning", "stats", "--json")
    assert rc == 0
    data = json.loads(out)
    assert set(data["sip_by_coordinator"]) == {"kommun", "primarvard", "slutenvard", "total"}
    assert data["sip_by_coordinator"]["total"]["total"] == 4
    assert set(data) >= {
        "unacknowledged_by_unit",
        "timeline",
        "progress",
        "missed_prator_actions",
        "flagged_admissions",
        "sip_decisions",
        "burndown",
    }
    assert data["progress"]["total"] == {
        "done": 6,
        "total": 78,
        "open": 72,
        "overdue": 13,
        "missed": 0,
        "percent": 7.7,
    }
    assert data["progress"]["by_step"]["1"]["total"] == 15
    assert data["progress"]["by_step_municipality"]["3"]["Timrå"]["total"] == 4
    assert data["progress"]["by_unit"][0]["unit"] is not None
    assert data["timeline"]["prator_read_only"] == {
        "at": "2025-10-16T00:00",
        "days": 15,
        "passed": False,
    }
    days = {d["day"]: d for d in data["burndown"]["days"]}
    assert days["2025-09-30"] == {"day": "2025-09-30", "remaining": 73, "planned": 33, "done": 4}
    _no_person_in(out)


def test_stats_csv_for_swedish_excel(home: Path, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    rc = main(
        [
            "--home",
            str(home),
            "--today",
            "2025-10-01T09:00",
            "--role",
            "systemforvaltning",
            "stats",
            "--csv",
        ]
    )
    raw = capfdbinary.readouterr().out
    assert rc == 0 and raw.startswith(b"\xef\xbb\xbf")
    text = raw[3:].decode("utf-8")
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:3] == ["Samordningsansvar", "Härnösand", "Timrå"]
    step1 = next(r for r in rows if r[:1] == ["1"] and len(r) == 8)
    assert step1[2:] == ["2", "15", "13", "13", "0", "13,3"]  # decimal comma
    _no_person_in(text)


def test_csv_quotes_cells_excel_would_run_as_formulas(home: Path) -> None:
    s = stats_at(home, NOW)
    s.units["BIST1"] = ("=HYPERLINK(1)", "Timrå")
    out = io.StringIO()
    write_rows(out, csv_rows(s))  # the one CSV writer neutralises formulas
    cells = [c for r in csv.reader(io.StringIO(out.getvalue()), delimiter=";") for c in r]
    assert "'=HYPERLINK(1)" in cells and "=HYPERLINK(1)" not in cells


def test_report_markdown(home: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out_file = tmp_path / "rapport.md"
    out_file.write_text("old")
    out_file.chmod(0o644)  # an existing file readable by others becomes private
    rc, out, err = run(
        home, capsys, "--role", "systemforvaltning", "report", "--out", str(out_file)
    )
    assert rc == 0 and err == "" and str(out_file) in out
    text = out_file.read_text(encoding="utf-8")
    assert out_file.stat().st_mode & 0o077 == 0
    assert text.startswith("# Lägesrapport")
    assert (
        "| 1 | Förregistrering av patienter (kommun) | 2 | 15 | 13 | 13 | 0 | 13\u00a0% |" in text
    )
    assert "- Prator i läsläge: om 15 dagar (tor 16/10)" in text
    assert "| tis 30/9 | 73 | 33 | 4 |" in text
    assert "| ons 1/10 (i dag) | 72 |" in text
    assert "Kan behöva flyttas till Lifecare SP: 1 vårdtillfälle (1 ej startat i LCSP)" in text
    assert "## Kvar att göra över tid: siffrorna bakom diagrammet" in text
    assert "Burndown" not in text
    _no_person_in(text)
    rc, out, _ = run(home, capsys, "--role", "systemforvaltning", "report")
    assert rc == 0 and out == text


def test_report_forecast_far_away_carries_the_year(home: Path) -> None:
    """At a slow pace the forecast lands in another year: the report says which."""
    s = stats_at(home, NOW)
    b = s.burndown
    assert b is not None
    done = [0] * len(b.done)
    done[b.days.index(b.today)] = 1  # one item in the last 7 days
    s.burndown = dataclasses.replace(b, done=tuple(done))
    end = s.burndown.projected_end()
    assert end is not None and end.year > NOW.year
    text = report(s, env="utbildning", simulated=True)
    assert (
        f", i den takten klart {WEEKDAYS[end.weekday()]} {end.day}/{end.month} {end.year}" in text
    )
    # this year's dates do not carry it
    assert "Prator i läsläge: om 15 dagar (tor 16/10)" in text


def test_stats_text_tables_align_with_swedish_numbers_and_times(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, out, err = run(home, capsys, "--role", "systemforvaltning", "stats")
    assert rc == 0 and err == ""
    blocks = [b.splitlines() for b in out.strip().split("\n\n")]
    assert blocks[0] == ["Statistik för hela regionen – läget ons 1/10 09:00"]
    titles = {b[0]: b[1:] for b in blocks[1:]}
    steps = titles["Framdrift per steg"]
    head = steps[0]
    assert head.split() == [
        "Steg", "Vad", "Klart", "Totalt", "Kvar", "Försenade", "Missade", "Andel", "klart",
    ]  # fmt: skip
    step1 = next(line for line in steps if line.startswith("1 "))
    assert step1.split("  ")[0] == "1" and "Förregistrering av patienter (kommun)" in step1
    assert step1.endswith("13,3\u00a0%")
    for lines in titles.values():
        if len(lines) > 1:  # a table, not a line saying there is none
            assert_aligned(lines)  # every table's numbers end under their heading
    roles = titles["Framdrift per roll"]
    assert any(line.startswith("Somatisk slutenvård ") for line in roles)
    assert not any("slutenvard-somatik" in line for line in roles)
    unacked = titles["Okvitterade Prator-meddelanden per enhet"]
    assert unacked[0].split("  ")[-1].strip() == "Äldsta skickat"
    assert all(re.search(r" \d{1,2}/\d{1,2} \d\d:\d\d$", line) for line in unacked[1:])
    assert "Kvar att göra över tid (öppna punkter vid dagens slut, av 78)" in titles
    _no_person_in(out)


@pytest.mark.parametrize("cmd", [["stats"], ["stats", "--json"], ["report"]])
def test_statistics_are_for_systemforvaltning(
    home: Path, capsys: pytest.CaptureFixture[str], cmd: list[str]
) -> None:
    rc, out, err = run(home, capsys, "--role", "primarvard", "--unit", "HC1", *cmd)
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and "systemforvaltning" in err


def test_report_to_an_unwritable_place_is_one_line(
    home: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rc, out, err = run(
        home,
        capsys,
        "--role",
        "systemforvaltning",
        "report",
        "--out",
        str(tmp_path / "no" / "r.md"),
    )
    assert rc == 2 and out == ""  # a path that cannot be used (SPEC §9)
    assert err.count("\n") == 1 and "Traceback" not in err and "/no" in err


# ------------------------------------------------------------------ timeline


def test_countdowns_and_role_today() -> None:
    t = REGION.timeline
    ro, arch = countdowns(dt.datetime(2025, 10, 15, 9, 0), t)
    assert ro.text() == "i morgon (tor 16/10)" and arch.text() == "om 8 dagar (tor 23/10)"
    ro, _ = countdowns(dt.datetime(2025, 10, 16, 9, 0), t)
    assert ro.passed and ro.text() == "i dag (tor 16/10) – har börjat"
    ro, _ = countdowns(dt.datetime(2025, 10, 19, 9, 0), t)
    assert ro.text() == "sedan 3 dagar (tor 16/10)"
    at = dt.datetime(2025, 9, 30, 13, 0)
    assert role_today("primarvard", at, t).text == "steg 3 pågår, mål tis 30/9 24:00"
    assert role_today("bistandshandlaggare", at, t).text == "steg 5A börjar ons 1/10"
    assert role_today("kommun-registrering", at, t).state == "late"


# ------------------------------------------------------------------ lanes vs worklists


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo, with random ticks (also of items that do not apply) and decisions."""
    home = build_demo_home(tmp_path_factory.mktemp("demo") / "home")
    ws = make_workstation(home, "systemforvaltning")
    rng = random.Random(7)
    conn = ws.store._conn  # the test's own look at the records, to tick at random
    ids = [r[0] for r in conn.execute("SELECT patient_id FROM patients ORDER BY 1")]
    ids += [r[0] for r in conn.execute("SELECT admission_id FROM admissions ORDER BY 1")]
    sips = [r[0] for r in conn.execute("SELECT sip_id FROM sips ORDER BY 1")]
    ticks = [
        _tick(s, i.id, done=rng.random() < 0.9)
        for s in ids + sips
        for i in REGION.checklists.item
        if rng.random() < 0.3
    ]
    decisions = [
        {"sip_id": s, "decision": rng.choice(["aktuell", "ej_aktuell"])}
        for s in sips
        if rng.random() < 0.5
    ]
    ws.publish(_events(m.ITEM_TICKED, ticks) + _events(m.SIP_DECIDED, decisions), {"t": 1})
    ws.close()
    return home


@pytest.mark.parametrize("now", [NOW, AFTER_READ_ONLY])
def test_every_figure_matches_its_drill_down_and_the_worklists(
    demo_home: Path, now: dt.datetime
) -> None:
    """Figures = drill-down sums; per-unit open = the unit's worklists; rows = checklists;
    the lookup's words = the ward's worklist (see tests/consistency.py)."""
    consistency.check(demo_home, now)
    ws = make_workstation(demo_home, "systemforvaltning", today=now.isoformat(timespec="minutes"))
    p = collect(ws.q, REGION, now).progress
    ws.close()
    # Step-1 patients without any unit are on nobody's worklist: counted under "no unit".
    assert p.by_unit[NO_UNIT].total > 0
    assert sum(t.done for t in p.by_role.values()) > 0
