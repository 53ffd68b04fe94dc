"""Support lookup and the SIP statistics, on records with known counts."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from lcsp_tui.cli import main
from lcsp_tui.config import settings_from
from lcsp_tui.domain.lookup import LookupRefused, parse_query
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
from lcsp_tui.importer import diff_events
from lcsp_tui.workstation import Workstation


def _patient(pid: str, pnr: str, first: str, last: str, **kw: object) -> Patient:
    base: dict[str, object] = dict(
        patient_id=pid,
        personnummer=pnr,
        first_name=first,
        last_name=last,
        municipality="Timrå",
        housing=Housing.ORDINART,
        health_centre="HC1",
    )
    base.update(kw)
    return Patient.model_validate(base)


def _sip(sid: str, org: CoordinatorOrg, muni: str, status: SipStatus = SipStatus.PAGAENDE) -> Sip:
    unit = {"kommun": "BIST1", "primarvard": "HC1", "slutenvard": "AVD1"}[org.value]
    return Sip(
        sip_id=sid,
        patient_id="P1",
        coordinator_org=org,
        responsible_unit=unit,
        municipality=muni,
        started=dt.date(2024, 1, 1),
        status=status,
    )


def records() -> list[Record]:
    from lcsp_tui.domain.personnummer import with_check_digit

    pnrs = [
        "19" + with_check_digit(p) for p in ("450312980", "450701238", "451124339", "500101980")
    ]
    out: list[Record] = [
        Unit(unit_id="HC1", name="Hälsocentral Ett", type=UnitType.HALSOCENTRAL),
        Unit(unit_id="AVD1", name="Avd 1", type=UnitType.SLUTENVARD_SOMATIK),
        Unit(
            unit_id="BIST1", name="Bistånd Timrå", type=UnitType.BISTANDSENHET, municipality="Timrå"
        ),
        _patient("P1", pnrs[0], "Anna", "Larsson", assistance_unit="BIST1"),
        _patient("P2", pnrs[1], "Arvid", "Larsson", municipality="Sundsvall"),
        _patient("P3", pnrs[2], "Åsa", "Öberg"),
        _patient("P4", pnrs[3], "Agnes", "Larsson", protected_identity=True),
        Admission(
            admission_id="V1",
            patient_id="P1",
            care_form=CareForm.SOMATIK,
            ward="AVD1",
            admitted=dt.date(2025, 9, 20),
            status=AdmissionStatus.PAGAENDE,
        ),
        Message(
            message_id="M1",
            admission_id="V1",
            type="inskrivningsmeddelande",
            recipient_unit="BIST1",
            sent=dt.datetime(2025, 9, 20, 10, 0),
        ),
        Message(
            message_id="M2",
            admission_id="V1",
            type="planeringsunderlag",
            recipient_unit="HC1",
            sent=dt.datetime(2025, 9, 20, 11, 0),
            acknowledged=dt.datetime(2025, 9, 21, 8, 0),
        ),
    ]
    # Known SIP counts: kommun Timrå 3, Sundsvall 1; primärvård Timrå 2; slutenvård Ånge 1;
    # plus closed SIPs that must not count.
    n = 0
    for org, muni, count in (
        (CoordinatorOrg.KOMMUN, "Timrå", 3),
        (CoordinatorOrg.KOMMUN, "Sundsvall", 1),
        (CoordinatorOrg.PRIMARVARD, "Timrå", 2),
        (CoordinatorOrg.SLUTENVARD, "Ånge", 1),
    ):
        for _ in range(count):
            n += 1
            out.append(_sip(f"S{n}", org, muni))
    out.append(_sip("S-closed-1", CoordinatorOrg.KOMMUN, "Timrå", SipStatus.AVSLUTAD))
    out.append(_sip("S-closed-2", CoordinatorOrg.PRIMARVARD, "Sundsvall", SipStatus.AVSLUTAD))
    return out


@pytest.fixture
def home(tmp_path: Path) -> Path:
    ws = Workstation(settings_from(home=str(tmp_path), user="test", role="systemforvaltning"))
    ws.publish(diff_events(records(), ws.known()).events, {"test": True})
    ws.close()
    return tmp_path


def run(home: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(["--home", str(home), "--today", "2025-10-01T09:00", *args])
    out, err = capsys.readouterr()
    return rc, out, err


# ------------------------------------------------------------------ lookup parsing


@pytest.mark.parametrize(
    "name",
    [
        "A Larsson",
        "a larsson",
        "A. Larsson",
        "  A.  LARSSON ",
        "Anna Larsson",
        "A  Larsson",
        "A.Larsson",
    ],
)
def test_name_forms(name: str) -> None:
    q = parse_query(name, "1945")
    assert (q.initial, q.surname, q.birth_year) == ("a", "larsson", 1945)


def test_accents_are_tolerated_both_ways() -> None:
    assert parse_query("Å Öberg", "1945").key == parse_query("a oberg", "1945").key


@pytest.mark.parametrize(
    ("name", "year"),
    [
        ("194503129802", "1945"),
        ("19450312-9802", "1945"),
        ("450312-9802", "1945"),
        ("450312+9802", "1945"),
        ("4503129802", "1945"),
        ("A Larsson", "194503129802"),
        ("A Larsson", "450312-9802"),
        ("A Larsson 450312-9802", "1945"),
        ("197010632391", "1970"),  # samordningsnummer
        # one split across the two fields (issue 13, point 11)
        ("A Larsson 19450312", "9802"),
        ("A Larsson 450312", "-9802"),
        ("A Larsson 1945-03-12", "9802"),
        # any single separator before the last four
        ("A Larsson 19450312/9802", "1945"),
        ("A Larsson 19450312:9802", "1945"),
        ("A Larsson 19450312T9802", "1945"),
    ],
)
def test_personnummer_is_refused(name: str, year: str) -> None:
    with pytest.raises(LookupRefused, match="Ange aldrig hela personnummer"):
        parse_query(name, year)


@pytest.mark.parametrize(
    ("name", "year"), [("Larsson", "1945"), ("A Larsson", "45"), ("A Larsson", "nittio")]
)
def test_bad_input_is_one_clear_line(name: str, year: str) -> None:
    with pytest.raises(LookupRefused) as e:
        parse_query(name, year)
    assert "personnummer" not in str(e.value)


# ------------------------------------------------------------------ lookup end to end


def test_several_matches_are_listed_never_guessed(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, out, _ = run(home, capsys, "--role", "support", "lookup", "a. larsson", "1945", "--json")
    assert rc == 0
    matches = json.loads(out)["matches"]
    assert len(matches) == 2
    names = sorted(m["name"] for m in matches)
    assert names == ["A. Larsson", "A. Larsson"]
    for m in matches:
        assert set(m) >= {
            "name",
            "birth_year",
            "municipality",
            "units",
            "admissions",
            "sips",
            "unacknowledged",
        }
        assert m["birth_year"] == 1945
    anna = next(m for m in matches if m["admissions"])
    assert anna["municipality"] == "Timrå"
    assert [a["id"] for a in anna["admissions"]] == ["V1"]
    assert [u["message_id"] for u in anna["unacknowledged"]] == ["M1"]
    assert anna["unacknowledged"][0]["unit"] == "BIST1"
    # No personnummer and no full first name anywhere in the answer.
    for pnr in [r.personnummer for r in records() if isinstance(r, Patient)]:
        assert pnr not in out and pnr[2:] not in out and pnr[-4:] not in out
    assert "Anna" not in out and "Arvid" not in out


def test_accented_lookup(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(home, capsys, "--role", "support", "lookup", "A Oberg", "1945", "--json")
    assert rc == 0
    assert [m["name"] for m in json.loads(out)["matches"]] == ["Å. Öberg"]


def test_protected_identity_shows_no_name(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(home, capsys, "--role", "support", "lookup", "A Larsson", "1950", "--json")
    assert rc == 0
    (m,) = json.loads(out)["matches"]
    assert m["protected"] is True
    assert "Larsson" not in out and "Agnes" not in out
    assert "kontakta enheten" in m["name"]


def test_refused_lookup_exits_2_and_is_audited_without_the_input(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, out, err = run(home, capsys, "--role", "support", "lookup", "19450312-9802", "1945")
    assert rc == 2
    assert err.strip() == "lcsp: Ange aldrig hela personnummer"
    assert out == ""
    run(home, capsys, "--role", "support", "lookup", "A Larsson", "1945")
    assert run(home, capsys, "--role", "support", "sync")[0] == 0
    rc, out, _ = run(home, capsys, "--role", "systemforvaltning", "audit", "--json")
    lookups = [a for a in json.loads(out) if a["what"] == "sökning"]
    assert [a["outcome"] for a in lookups] == ["nekad", "2 träffar"]
    assert lookups[0]["subject"] is None
    assert "9802" not in out


def test_lookup_is_for_the_support_desk(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = run(
        home, capsys, "--role", "primarvard", "--unit", "HC1", "lookup", "A Larsson", "1945"
    )
    assert rc == 2 and "support" in err


# ------------------------------------------------------------------ statistics


def test_sip_table_counts_rows_columns_and_totals(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, out, _ = run(home, capsys, "--role", "systemforvaltning", "stats", "--json")
    assert rc == 0
    sip = json.loads(out)["sip_by_coordinator"]
    assert set(sip) == {"kommun", "primarvard", "slutenvard", "total"}
    assert sip["kommun"]["Timrå"] == 3
    assert sip["kommun"]["Sundsvall"] == 1
    assert sip["kommun"]["total"] == 4
    assert sip["primarvard"]["Timrå"] == 2
    assert sip["primarvard"]["Sundsvall"] == 0  # the closed one does not count
    assert sip["slutenvard"]["Ånge"] == 1
    assert sip["total"]["Timrå"] == 5
    assert sip["total"]["total"] == 7
    for org in ("kommun", "primarvard", "slutenvard", "total"):
        assert sum(v for k, v in sip[org].items() if k != "total") == sip[org]["total"]


def test_stats_csv_opens_in_swedish_excel(
    home: Path, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    rc = main(["--home", str(home), "--role", "systemforvaltning", "stats", "--csv"])
    raw = capfdbinary.readouterr().out
    assert rc == 0
    assert raw.startswith(b"\xef\xbb\xbf")
    first = raw[3:].decode("utf-8").splitlines()[0]
    assert first.split(";")[:3] == ["Samordningsansvar", "Härnösand", "Timrå"]


def test_stats_is_for_systemforvaltning(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = run(home, capsys, "--role", "support", "stats")
    assert rc == 2 and "systemforvaltning" in err
