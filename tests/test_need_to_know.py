"""Need to know (issue 15): every file of a home holds the personnummer only of the patients
its unit has a care relation with — none at all in the support desk's and
systemförvaltning's homes — also after a switch of unit and after a patient moved.

The care relation is computed here from the ledger's full records, independently of the
ledger's own tables: the units a patient's latest records name (its own units, an
admission's ward, a SIP's responsible unit, a message's recipient) and the unit a tick's
value routes a subject to (docs/need-to-know.md)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections import defaultdict
from contextlib import closing
from pathlib import Path

import pytest

from lcsp_tui.domain import models as m
from lcsp_tui.ledger.sqlite import SqliteLedger

ROOT = Path(__file__).resolve().parent.parent
TODAY = "2025-10-01T09:00"


def lcsp(home: Path, ledger: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LCSP_")}
    env["PYTHONPATH"] = str(ROOT)
    cmd = [sys.executable, "-m", "lcsp_tui", "--home", str(home), "--ledger", str(ledger)]
    return subprocess.run(
        [*cmd, "--user", "test", "--today", TODAY, *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def ok(home: Path, ledger: Path, *args: str) -> str:
    done = lcsp(home, ledger, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo's ledger (made by a real ``lcsp demo``)."""
    base = tmp_path_factory.mktemp("ntk")
    ok(base / "demo", base / "ledger.sqlite", "demo", "--size", "small", "--no-tui")
    return base / "ledger.sqlite"


def records(ledger: Path) -> tuple[dict[str, str], dict[str, set[str]]]:
    """(patient id -> personnummer, unit -> the patients related to it), from the ledger."""
    latest: dict[tuple[str, str], dict[str, object]] = {}
    units: set[str] = set()
    routed: list[dict[str, object]] = []
    with closing(sqlite3.connect(ledger)) as conn:
        for kind, text in conn.execute("SELECT kind, payload FROM events ORDER BY seq"):
            p = json.loads(text)
            key = {
                m.PATIENT_UPSERTED: "patient_id",
                m.ADMISSION_UPSERTED: "admission_id",
                m.SIP_UPSERTED: "sip_id",
                m.MESSAGE_UPSERTED: "message_id",
            }.get(kind)
            if key is not None:
                latest[(kind, str(p[key]))] = p
            elif kind == m.UNIT_UPSERTED:
                units.add(str(p["unit_id"]))
            elif kind == m.ITEM_TICKED and p.get("value") in units:
                routed.append(p)  # a unit a tick routed the subject to stays related
    pnr: dict[str, str] = {}
    patient_of: dict[str, str] = {}
    for (kind, rid), p in latest.items():
        if kind == m.PATIENT_UPSERTED:
            pnr[rid] = str(p["personnummer"])
            patient_of[rid] = rid
        elif kind in (m.ADMISSION_UPSERTED, m.SIP_UPSERTED):
            patient_of[rid] = str(p["patient_id"])
    for (kind, rid), p in latest.items():
        if kind == m.MESSAGE_UPSERTED:
            patient_of[rid] = patient_of[str(p["admission_id"])]
    related: dict[str, set[str]] = defaultdict(set)
    fields = {
        m.PATIENT_UPSERTED: (
            "housing_unit",
            "home_health_unit",
            "assistance_unit",
            "health_centre",
            "psych_outpatient_unit",
        ),
        m.ADMISSION_UPSERTED: ("ward",),
        m.SIP_UPSERTED: ("responsible_unit",),
        m.MESSAGE_UPSERTED: ("recipient_unit",),
    }
    for (kind, rid), p in latest.items():
        if kind in fields:
            for f in fields[kind]:
                if p.get(f):
                    related[str(p[f])].add(patient_of[rid])
    for p in routed:
        related[str(p["value"])].add(patient_of[str(p["subject"])])
    return pnr, related


def forms(pnr: str) -> list[bytes]:
    """The 12-digit, 10-digit and dashed spellings of a personnummer."""
    return [s.encode() for s in (pnr, pnr[2:], f"{pnr[:8]}-{pnr[8:]}", f"{pnr[2:8]}-{pnr[8:]}")]


def found_in(home: Path, pnrs: dict[str, str]) -> set[str]:
    """The patients whose personnummer, in any spelling, is in any file of ``home``."""
    blobs = [p.read_bytes() for p in home.rglob("*") if p.is_file()]
    return {pid for pid, pnr in pnrs.items() if any(f in b for f in forms(pnr) for b in blobs)}


def unit_of(ledger: Path, role: str) -> str:
    """The unit of ``role`` that the most patients are related to."""
    _pnr, related = records(ledger)
    kinds = {
        "slutenvard-somatik": "slutenvard_somatik",
        "primarvard": "halsocentral",
        "kommun-registrering": "boendeenhet",
    }
    with closing(sqlite3.connect(ledger)) as conn:
        typed = {
            json.loads(t)["unit_id"]
            for (t,) in conn.execute(
                "SELECT payload FROM events WHERE kind = 'unit.upserted' "
                "AND json_extract(payload, '$.type') = ?",
                (kinds[role],),
            )
        }
    return max(sorted(typed), key=lambda u: len(related.get(u, ())))


@pytest.mark.parametrize("role", ["slutenvard-somatik", "primarvard", "kommun-registrering"])
def test_a_care_home_holds_the_personnummer_of_its_patients_only(
    region: Path, tmp_path: Path, role: str
) -> None:
    pnr, related = records(region)
    unit = unit_of(region, role)
    home = tmp_path / "home"
    ok(home, region, "--role", role, "--unit", unit, "sync")
    ok(home, region, "--role", role, "--unit", unit, "worklist", "--json")
    held = found_in(home, pnr)
    assert held, "the care relation needs the personnummer"
    assert held <= related[unit]
    assert not found_in(home, {p: n for p, n in pnr.items() if p not in related[unit]})


@pytest.mark.parametrize("role", ["support", "systemforvaltning"])
def test_the_desk_and_systemforvaltning_hold_no_personnummer(
    region: Path, tmp_path: Path, role: str
) -> None:
    pnr, _related = records(region)
    home = tmp_path / "home"
    ok(home, region, "--role", role, "sync")
    # what they do works without a personnummer
    some = next(iter(pnr))
    with closing(sqlite3.connect(region)) as conn:
        (text,) = conn.execute(
            "SELECT payload FROM events WHERE kind = 'patient.upserted' "
            "AND json_extract(payload, '$.patient_id') = ?",
            (some,),
        ).fetchone()
    p = json.loads(text)
    found = ok(home, region, "--role", role, "lookup", f"{p['first_name'][0]} {p['last_name']}",
               pnr[some][:4])  # fmt: skip
    assert p["last_name"] in found or "Skyddad" in found
    if role == "support":
        ok(home, region, "--role", role, "help-request", "list")
    else:
        ok(home, region, "--role", role, "stats", "--json")
        ok(home, region, "--role", role, "audit", "--json")
    assert not found_in(home, pnr)


def test_a_unit_switch_and_a_patient_who_moves(region: Path, tmp_path: Path) -> None:
    ledger_path = tmp_path / "ledger.sqlite"
    with closing(sqlite3.connect(region)) as src, closing(sqlite3.connect(ledger_path)) as dst:
        src.backup(dst)
    pnr, related = records(ledger_path)
    first = unit_of(ledger_path, "primarvard")
    home = tmp_path / "home"
    ok(home, ledger_path, "--role", "primarvard", "--unit", first, "sync")
    assert found_in(home, pnr) <= related[first]
    # the same home at another hälsocentral: nothing of the first one stays
    second = next(
        u
        for u in sorted(related, key=lambda u: -len(related[u]))
        if u != first and u.startswith("HC")
    )
    ok(home, ledger_path, "--role", "primarvard", "--unit", second, "worklist")
    assert not found_in(home, {p: n for p, n in pnr.items() if p not in related[second]})
    # a patient of the second, related to it only by the patient record, moves to the first
    ledger = SqliteLedger(ledger_path, create=False)
    try:
        mover = next(
            pid
            for pid in sorted(related[second])
            if ledger.patient_records()[pid].get("health_centre") == second
            and _relation_records(ledger, pid, second) == ["patient.upserted:" + pid]
        )
        moved = {**ledger.patient_records()[mover], "health_centre": first}
        ledger.push([m.Event(kind=m.PATIENT_UPSERTED, payload=moved)])
    finally:
        ledger.close()
    assert mover in found_in(home, pnr)
    ok(home, ledger_path, "--role", "primarvard", "--unit", second, "sync")
    assert mover not in found_in(home, pnr)
    back = tmp_path / "first"
    ok(back, ledger_path, "--role", "primarvard", "--unit", first, "sync")
    assert mover in found_in(back, pnr)


def _relation_records(ledger: SqliteLedger, pid: str, unit: str) -> list[str]:
    """The records relating ``pid`` to ``unit`` in the ledger's table (picks a test case)."""
    return [
        r[0]
        for r in ledger._conn.execute(
            "SELECT record FROM relation WHERE patient_id = ? AND unit = ?", (pid, unit)
        )
    ]
