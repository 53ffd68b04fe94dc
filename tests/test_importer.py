"""The Prator export importer (SPEC §7): reading, every error kind, diffing, idempotence."""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import random
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lcsp_tui import importer
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
    record_event,
)
from lcsp_tui.domain.personnummer import PersonnummerError, parse, with_check_digit
from lcsp_tui.domain.regiondata import load_region
from lcsp_tui.importer import (
    KIND_OF,
    MAX_ERRORS,
    ImportFailed,
    diff_events,
    plan_import,
    read_records,
)
from lcsp_tui.importer.values import RULES, Invalid, ValueChecks
from lcsp_tui.prator_format import FILES, write_export

REGION = load_region()
REF = dt.date(2025, 9, 1)


# --- fixture builders --------------------------------------------------------------------


def pnr(birth: str, serial: str = "123") -> str:
    """A valid 12-digit personnummer for YYYYMMDD ``birth`` (day + 60: samordningsnummer)."""
    return birth[:2] + with_check_digit(birth[2:] + serial)


def bad_check(number: str) -> str:
    """The same number with a wrong check digit."""
    return number[:-1] + str((int(number[-1]) + 1) % 10)


PN1 = pnr("19450312")
PN2 = pnr("19380101", "456")
PN3 = pnr("19520229", "789")

UNITS = [
    {"enhet_id": "E-SOM", "namn": "Avd 12 Sundsvall", "typ": "slutenvard_somatik", "kommun": ""},
    {"enhet_id": "E-PSY", "namn": "Psyk avd 3", "typ": "slutenvard_psykiatri", "kommun": ""},
    {"enhet_id": "E-HC", "namn": "Hälsocentral Centrum", "typ": "halsocentral", "kommun": ""},
    {"enhet_id": "E-POV", "namn": "Psyk öppenvård", "typ": "psykiatrisk_oppenvard", "kommun": ""},
    {"enhet_id": "E-BIST", "namn": "Bistånd", "typ": "bistandsenhet", "kommun": "Sundsvall"},
    {"enhet_id": "E-BO", "namn": "Solgården", "typ": "boendeenhet", "kommun": "Sundsvall"},
    {"enhet_id": "E-HSV", "namn": "Hemsjukvård", "typ": "hemsjukvardsenhet", "kommun": "Sundsvall"},
    {"enhet_id": "E-HTG", "namn": "Hemtjänst Timrå", "typ": "hemtjanstgrupp", "kommun": "Timrå"},
]
PATIENTS = [
    {
        "patient_id": "P1",
        "personnummer": PN1,
        "fornamn": "Åsa",
        "efternamn": "Öberg",
        "kommun": "Sundsvall",
        "boendeform": "sarskilt_boende",
        "boende_enhet": "E-BO",
        "hemsjukvardsenhet": "E-HSV",
        "bistandsenhet": "E-BIST",
        "halsocentral": "E-HC",
        "psykiatrisk_oppenvardsenhet": "E-POV",
        "vistelseadress": "Storgatan 1; lgh 1102, Sundsvall",
        "narstaende": "Märta Öberg, dotter",
    },
    {
        "patient_id": "P2",
        "personnummer": PN2,
        "fornamn": "Erik",
        "efternamn": "Larsson",
        "kommun": "Övik",
        "boendeform": "ordinart",
        "boende_enhet": "",
        "hemsjukvardsenhet": "",
        "bistandsenhet": "",
        "halsocentral": "",
        "psykiatrisk_oppenvardsenhet": "",
        "vistelseadress": "",
        "narstaende": "",
    },
]
ADMISSIONS = [
    {
        "vardtillfalle_id": "V1",
        "patient_id": "P1",
        "vardform": "somatik",
        "avdelning": "E-SOM",
        "inskriven": "2025-09-20",
        "utskrivningsklar": "2025-10-02",
        "status": "pagaende",
    },
    {
        "vardtillfalle_id": "V2",
        "patient_id": "P2",
        "vardform": "psykiatri",
        "avdelning": "E-PSY",
        "inskriven": "2025-09-25",
        "utskrivningsklar": "",
        "status": "pagaende",
    },
]
SIPS = [
    {
        "sip_id": "S1",
        "patient_id": "P1",
        "samordningsansvar": "kommun",
        "ansvarig_enhet": "E-BIST",
        "kommun": "Sundsvall",
        "startad": "2025-03-01",
        "senaste_mote": "",
        "status": "pagaende",
    }
]
MESSAGES = [
    {
        "meddelande_id": "M1",
        "vardtillfalle_id": "V1",
        "typ": "inskrivningsmeddelande",
        "mottagare_enhet": "E-HC",
        "skickat": "2025-09-20 14:05",
        "kvitterat": "",
    },
    {
        "meddelande_id": "M2",
        "vardtillfalle_id": "V1",
        "typ": "extrameddelande",
        "mottagare_enhet": "E-HSV",
        "skickat": "2025-09-21 08:00",
        "kvitterat": "2025-09-21 09:30",
    },
]
ROWS = {
    "enheter.csv": UNITS,
    "patienter.csv": PATIENTS,
    "vardtillfallen.csv": ADMISSIONS,
    "sip.csv": SIPS,
    "meddelanden.csv": MESSAGES,
}


def columns(name: str) -> list[str]:
    return [c for c, _ in FILES[name].columns if c not in FILES[name].optional]


def write_csv(
    directory: Path,
    name: str,
    rows: list[dict[str, str]] | list[list[str]],
    *,
    header: list[str] | None = None,
    delimiter: str = ";",
    encoding: str = "utf-8-sig",
    newline: str = "\r\n",
) -> Path:
    """A CSV file as Excel writes it (quoting only where needed)."""
    header = header if header is not None else columns(name)
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator=newline)
    w.writerow(header)
    for row in rows:
        w.writerow([row.get(c, "") for c in header] if isinstance(row, dict) else row)
    path = directory / name
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def export(directory: Path, **changes: list[dict[str, str]]) -> list[Path]:
    """The five files from ROWS; ``changes`` replace a file's rows (key: file stem)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, rows in ROWS.items():
        paths.append(write_csv(directory, name, changes.get(name.removesuffix(".csv"), rows)))
    return paths


def changed(rows: list[dict[str, str]], index: int, **values: str) -> list[dict[str, str]]:
    out = [dict(r) for r in rows]
    out[index].update(values)
    return out


def no_known(kind: str, key: str) -> dict[str, Any] | None:
    return None


def known_from(records: list[Record]) -> Callable[[str, str], dict[str, Any] | None]:
    ledger = {(KIND_OF[type(r)], importer.record_id(r)): r.model_dump(mode="json") for r in records}
    return lambda kind, key: ledger.get((kind, key))


def read(paths: list[Path], known: Callable[..., Any] = no_known) -> list[Record]:
    return read_records(paths, REGION, known, REF)


def errors(paths: list[Path], known: Callable[..., Any] = no_known) -> list[str]:
    with pytest.raises(ImportFailed) as e:
        read_records(paths, REGION, known, REF)
    return e.value.errors


def one_file(tmp_path: Path, name: str, rows: list[dict[str, str]], **kw: Any) -> list[Path]:
    """Just one file (references then go to ``known``)."""
    return [write_csv(tmp_path, name, rows, **kw)]


# --- a valid export -------------------------------------------------------------------------


def test_reads_every_record_in_dependency_order(tmp_path: Path) -> None:
    paths = export(tmp_path)
    records = read(list(reversed(paths)))  # order given does not matter
    assert [type(r).__name__ for r in records] == (
        ["Unit"] * 8 + ["Patient"] * 2 + ["Admission"] * 2 + ["Sip"] + ["Message"] * 2
    )
    assert records[0] == Unit(
        unit_id="E-SOM", name="Avd 12 Sundsvall", type=UnitType.SLUTENVARD_SOMATIK
    )
    assert records[5] == Unit(
        unit_id="E-BO", name="Solgården", type=UnitType.BOENDEENHET, municipality="Sundsvall"
    )
    assert records[8] == Patient(
        patient_id="P1",
        personnummer=PN1,
        first_name="Åsa",
        last_name="Öberg",
        municipality="Sundsvall",
        housing=Housing.SARSKILT_BOENDE,
        housing_unit="E-BO",
        home_health_unit="E-HSV",
        assistance_unit="E-BIST",
        health_centre="E-HC",
        psych_outpatient_unit="E-POV",
        visiting_address="Storgatan 1; lgh 1102, Sundsvall",
        next_of_kin="Märta Öberg, dotter",
        protected_identity=False,
    )
    p2 = records[9]
    assert isinstance(p2, Patient)
    assert p2.municipality == "Örnsköldsvik"  # the alias Övik
    assert p2.housing_unit is None and p2.visiting_address is None and p2.next_of_kin is None
    assert records[10] == Admission(
        admission_id="V1",
        patient_id="P1",
        care_form=CareForm.SOMATIK,
        ward="E-SOM",
        admitted=dt.date(2025, 9, 20),
        discharge_ready=dt.date(2025, 10, 2),
        status=AdmissionStatus.PAGAENDE,
    )
    assert records[11].discharge_ready is None  # type: ignore[union-attr]
    assert records[12] == Sip(
        sip_id="S1",
        patient_id="P1",
        coordinator_org=CoordinatorOrg.KOMMUN,
        responsible_unit="E-BIST",
        municipality="Sundsvall",
        started=dt.date(2025, 3, 1),
        status=SipStatus.PAGAENDE,
    )
    assert records[13] == Message(
        message_id="M1",
        admission_id="V1",
        type="inskrivningsmeddelande",
        recipient_unit="E-HC",
        sent=dt.datetime(2025, 9, 20, 14, 5),
    )
    assert records[14].acknowledged == dt.datetime(2025, 9, 21, 9, 30)  # type: ignore[union-attr]


def test_records_are_exactly_what_pydantic_would_build(tmp_path: Path) -> None:
    """The records are built without re-validation; they must not differ in any way."""
    for rec in read(export(tmp_path)):
        again = type(rec).model_validate(rec.model_dump())
        assert rec == again
        assert hash(rec) == hash(again)
        assert list(rec.model_dump(mode="json").items()) == list(
            again.model_dump(mode="json").items()
        )
        assert rec.model_fields_set == again.model_fields_set
        assert type(rec.__dict__[next(iter(type(rec).model_fields))]) is str
        with pytest.raises(Exception, match="frozen"):
            rec.__setattr__(next(iter(type(rec).model_fields)), "x")
        copy = rec.model_copy(update={next(iter(type(rec).model_fields)): "Z"})
        assert rec.model_fields_set == set(type(rec).model_fields)
        assert importer.record_id(copy) == "Z"


def test_enumerations_are_matched_case_insensitively_and_normalised(tmp_path: Path) -> None:
    units = changed(UNITS, 0, typ="Slutenvard_Somatik")
    patients = changed(PATIENTS, 0, boendeform="SARSKILT_BOENDE", kommun="sundsvall")
    admissions = changed(ADMISSIONS, 0, vardform="Somatik", status="PAGAENDE")
    sips = changed(SIPS, 0, samordningsansvar="Kommun", status="Pagaende", kommun="ÖVIK")
    records = read(
        export(tmp_path, enheter=units, patienter=patients, vardtillfallen=admissions, sip=sips)
    )
    by_id = {importer.record_id(r): r for r in records}
    assert by_id["E-SOM"].type is UnitType.SLUTENVARD_SOMATIK  # type: ignore[attr-defined]
    assert by_id["P1"].housing is Housing.SARSKILT_BOENDE  # type: ignore[attr-defined]
    assert by_id["P1"].municipality == "Sundsvall"  # type: ignore[attr-defined]
    assert by_id["V1"].care_form is CareForm.SOMATIK  # type: ignore[attr-defined]
    assert by_id["V1"].status is AdmissionStatus.PAGAENDE  # type: ignore[attr-defined]
    assert by_id["S1"].coordinator_org is CoordinatorOrg.KOMMUN  # type: ignore[attr-defined]
    assert by_id["S1"].municipality == "Örnsköldsvik"  # type: ignore[attr-defined]


def test_values_are_stripped_and_empty_optionals_are_none(tmp_path: Path) -> None:
    patients = changed(
        PATIENTS,
        1,
        patient_id="  P2 ",
        fornamn=" Erik\t",
        halsocentral="   ",
        narstaende=" ",
        kommun=" Övik ",
    )
    records = read(export(tmp_path, patienter=patients))
    p2 = next(r for r in records if isinstance(r, Patient) and r.patient_id == "P2")
    assert (p2.first_name, p2.health_centre, p2.next_of_kin) == ("Erik", None, None)
    assert p2.municipality == "Örnsköldsvik"


def test_regional_units_may_leave_kommun_empty_and_may_give_one(tmp_path: Path) -> None:
    units = changed(UNITS, 2, kommun="Timrå")
    records = read(one_file(tmp_path, "enheter.csv", units))
    assert [r.municipality for r in records][:3] == [None, None, "Timrå"]  # type: ignore[attr-defined]


# --- personnummer -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        (PN1, PN1),
        (f"{PN1[:8]}-{PN1[8:]}", PN1),
        (f"{PN1[2:8]}-{PN1[8:]}", PN1),  # 10 digits: 1945, the latest year before REF
        (f"{pnr('19200312')[2:8]}+{pnr('19200312')[8:]}", pnr("19200312")),  # + : 100 or older
        (pnr("19450372"), pnr("19450372")),  # samordningsnummer: day + 60
        (f"{pnr('20010372')[2:8]}-{pnr('20010372')[8:]}", pnr("20010372")),
        (f"{PN1[:8]} {PN1[8:]}", PN1),
    ],
)
def test_personnummer_forms_are_stored_as_12_digits(
    tmp_path: Path, text: str, normalised: str
) -> None:
    patients = changed(PATIENTS, 0, personnummer=text)
    records = read(one_file(tmp_path, "patienter.csv", patients), known_from(read_units()))
    assert [r.personnummer for r in records] == [normalised, PN2]  # type: ignore[attr-defined]


def read_units() -> list[Record]:
    return [Unit.model_validate(_unit(u)) for u in UNITS]


def _unit(row: dict[str, str]) -> dict[str, Any]:
    return {
        "unit_id": row["enhet_id"],
        "name": row["namn"],
        "type": row["typ"],
        "municipality": row["kommun"] or None,
    }


@pytest.mark.parametrize("form", ["twelve", "hyphen", "mixed"])
def test_personnummer_column_forms_all_checked(tmp_path: Path, form: str) -> None:
    """A column in one form is checked in bulk, a mixed one value by value: same outcome."""
    rng = random.Random(7)
    numbers = [
        pnr(f"19{rng.randint(30, 99)}0{rng.randint(1, 9)}1{rng.randint(0, 9)}") for _ in range(50)
    ]
    texts = {
        "twelve": numbers,
        "hyphen": [f"{n[:8]}-{n[8:]}" for n in numbers],
        "mixed": [n if i % 2 else f"{n[2:8]}-{n[8:]}" for i, n in enumerate(numbers)],
    }[form]
    rows = [{**PATIENTS[1], "patient_id": f"P{i}", "personnummer": t} for i, t in enumerate(texts)]
    records = read(one_file(tmp_path, "patienter.csv", rows))
    assert [r.personnummer for r in records] == numbers  # type: ignore[attr-defined]
    # and one bad number among them is found, on its own line, in every form
    rows[17]["personnummer"] = (
        bad_check(numbers[17])
        if form != "hyphen"
        else (f"{bad_check(numbers[17])[:8]}-{bad_check(numbers[17])[8:]}")
    )
    rows[30]["personnummer"] = numbers[30][:8] + "0001"[:3] + numbers[30][11]
    assert errors(one_file(tmp_path, "patienter.csv", rows)) == [
        "patienter.csv:19: personnummer: fel kontrollsiffra",
        "patienter.csv:32: personnummer: ogiltigt serienummer (000)",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (bad_check(PN1), "fel kontrollsiffra"),
        (PN1[:8] + "000" + PN1[11], "ogiltigt serienummer (000)"),
        (pnr("19451332")[:12], "ogiltigt datum"),
        ("19450230" + "1234", "ogiltigt datum"),
        (pnr("20300101"), "födelsedatum i framtiden"),
        (
            "1945-03-12",
            "ska vara 12 siffror (ÅÅÅÅMMDDNNNN) eller 10 siffror med - eller + (ÅÅMMDD-NNNN)",
        ),
        (
            "١٩٤٥٠٣١٢١٢٣٤",
            "ska vara 12 siffror (ÅÅÅÅMMDDNNNN) eller 10 siffror med - eller + (ÅÅMMDD-NNNN)",
        ),
    ],
)
def test_invalid_personnummer_is_reported_without_the_number(
    tmp_path: Path, text: str, message: str
) -> None:
    patients = changed(PATIENTS, 1, personnummer=text)
    got = errors(one_file(tmp_path, "patienter.csv", patients), known_from(read_units()))
    assert got == [f"patienter.csv:3: personnummer: {message}"]
    assert text not in got[0] and text[2:] not in got[0]


def test_personnummer_check_agrees_with_parse() -> None:
    """Random near-valid numbers in every form: the column check accepts exactly what parse
    accepts, with its digits and its messages."""
    checks = ValueChecks(REGION, REF)
    rng = random.Random(2025)
    twelve = []
    for _ in range(4000):
        year = rng.choice([1799, 1800, 1899, 1900, 1945, 2000, 2001, 2024, 2025, 2026])
        month = rng.randint(0, 13)
        day = rng.choice([0, 1, 28, 29, 30, 31, 32, 60, 61, 88, 89, 90, 91, 92])
        serial = rng.choice(["000", "001", f"{rng.randint(0, 999):03d}"])
        nine = f"{year % 100:02d}{month:02d}{day:02d}{serial}"
        ten = with_check_digit(nine) if rng.random() < 0.7 else nine + str(rng.randint(0, 9))
        twelve.append(f"{year // 100:02d}{ten}")
    hyphen = [f"{v[:8]}-{v[8:]}" for v in twelve]
    short = [f"{v[2:8]}{rng.choice('-+')}{v[8:]}" for v in twelve]
    mixed = [rng.choice(forms) for forms in zip(twelve, hyphen, short, strict=True)]
    for values in (twelve, hyphen, short, mixed):
        bad = 0
        for value in values:
            got = checks.personnummer(value)
            try:
                assert got == parse(value, REF).digits, value
            except PersonnummerError as e:
                assert got == Invalid(str(e)), value
                bad += 1
        assert 0 < bad < len(values)


# --- encodings, delimiters, headers -------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp1252"])
@pytest.mark.parametrize("delimiter", [";", ","])
@pytest.mark.parametrize("newline", ["\r\n", "\n"])
def test_encodings_delimiters_and_line_ends(
    tmp_path: Path, encoding: str, delimiter: str, newline: str
) -> None:
    paths = [
        write_csv(tmp_path, name, rows, delimiter=delimiter, encoding=encoding, newline=newline)
        for name, rows in ROWS.items()
    ]
    if encoding == "utf-8-sig":
        assert paths[0].read_bytes().startswith(b"\xef\xbb\xbf")
    if encoding == "cp1252":
        assert (
            "Åsa;Öberg".encode("cp1252").replace(b";", delimiter.encode()) in paths[1].read_bytes()
        )
    records = read(paths)
    assert records == read(export(tmp_path / "reference"))
    p1 = next(r for r in records if isinstance(r, Patient))
    assert (p1.first_name, p1.last_name, p1.next_of_kin) == ("Åsa", "Öberg", "Märta Öberg, dotter")
    assert p1.visiting_address == "Storgatan 1; lgh 1102, Sundsvall"  # quoted delimiter inside


def test_cp1252_text_with_swedish_municipalities(tmp_path: Path) -> None:
    units = [{"enhet_id": "E1", "namn": "Boende Ånge", "typ": "boendeenhet", "kommun": "Ånge"}]
    sollefteå = [
        {"enhet_id": "E2", "namn": "Ängsgården", "typ": "boendeenhet", "kommun": "Sollefteå"}
    ]
    records = read(one_file(tmp_path, "enheter.csv", units + sollefteå, encoding="cp1252"))
    assert [(r.name, r.municipality) for r in records] == [  # type: ignore[attr-defined]
        ("Boende Ånge", "Ånge"),
        ("Ängsgården", "Sollefteå"),
    ]


def test_header_matched_case_insensitively_ignoring_spaces(tmp_path: Path) -> None:
    header = [
        f"  {c.upper()} " if i % 2 else c.title() for i, c in enumerate(columns("enheter.csv"))
    ]
    rows = [[u[c] for c in columns("enheter.csv")] for u in UNITS]
    assert read(one_file(tmp_path, "enheter.csv", rows, header=header)) == read_units()


def test_columns_in_another_order(tmp_path: Path) -> None:
    header = list(reversed(columns("enheter.csv")))
    assert read(one_file(tmp_path, "enheter.csv", UNITS, header=header)) == read_units()


def test_file_names_are_matched_case_insensitively(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "enheter.csv", UNITS).rename(tmp_path / "Enheter.CSV")
    assert read([path]) == read_units()


def test_optional_skyddad_identitet(tmp_path: Path) -> None:
    header = [*columns("patienter.csv"), "Skyddad_Identitet"]
    rows = [
        {**PATIENTS[0], "Skyddad_Identitet": "JA"},
        {**PATIENTS[1], "Skyddad_Identitet": ""},
        {**PATIENTS[1], "patient_id": "P3", "personnummer": PN3, "Skyddad_Identitet": "nej"},
    ]
    records = read(
        one_file(tmp_path, "patienter.csv", rows, header=header), known_from(read_units())
    )
    assert [r.protected_identity for r in records] == [True, False, False]  # type: ignore[attr-defined]
    rows[2]["Skyddad_Identitet"] = "kanske"
    assert errors(
        one_file(tmp_path, "patienter.csv", rows, header=header), known_from(read_units())
    ) == ["patienter.csv:4: skyddad_identitet: ska vara ja eller nej"]


def test_blank_lines_and_empty_rows_are_skipped_and_lines_still_counted(tmp_path: Path) -> None:
    path = tmp_path / "enheter.csv"
    lines = [
        "enhet_id;namn;typ;kommun",
        "E1;Avd 1;slutenvard_somatik;",
        "",
        ";;;",
        '"E2";"Avd 2, med ""citat""\növer två rader";slutenvard_somatik;',
        "E3;Avd 3;okand;",
    ]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    assert errors([path]) == [
        # a value over two lines is read as one, and refused: a line break is a control character
        "enheter.csv:5: namn: innehåller ett otillåtet styrtecken (radbrytning)",
        "enheter.csv:7: typ: ska vara en av slutenvard_somatik, slutenvard_psykiatri, "
        "halsocentral, psykiatrisk_oppenvard, bistandsenhet, boendeenhet, "
        "hemsjukvardsenhet, hemtjanstgrupp",
    ]
    lines[-1] = "E3;Avd 3;halsocentral;"
    lines[-2] = '"E2";"Avd 2, med ""citat""";slutenvard_somatik;'
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    assert [r.name for r in read([path])] == [  # type: ignore[attr-defined]
        "Avd 1",
        'Avd 2, med "citat"',
        "Avd 3",
    ]


def test_header_only_file_gives_no_records(tmp_path: Path) -> None:
    paths = one_file(tmp_path, "meddelanden.csv", [])
    assert read(paths) == []
    plan = plan_import(paths, REGION, no_known, REF)
    assert plan.counts == {"meddelanden.csv": {"new": 0, "changed": 0, "unchanged": 0}}


# --- file and header errors --------------------------------------------------------------


def test_unknown_and_missing_files(tmp_path: Path) -> None:
    (tmp_path / "foo.csv").write_text("a;b\n1;2\n", encoding="utf-8")
    (tmp_path / "sip.csv").mkdir()
    paths = [tmp_path / "foo.csv", tmp_path / "patienter.csv", tmp_path / "sip.csv"]
    assert errors(paths) == [
        "foo.csv:1: -: okänd fil, ska vara en av enheter.csv, patienter.csv, "
        "vardtillfallen.csv, sip.csv, meddelanden.csv",
        "patienter.csv:1: -: filen finns inte",
        "sip.csv:1: -: är ingen fil",
    ]


def test_same_file_twice(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    a = write_csv(tmp_path / "a", "enheter.csv", UNITS)
    b = write_csv(tmp_path, "enheter.csv", UNITS)
    assert errors([a, b]) == ["enheter.csv:1: -: enheter.csv är angiven mer än en gång"]


def test_missing_unknown_and_duplicate_columns(tmp_path: Path) -> None:
    header = ["enhet_id", "Namn", "extra", "NAMN", "kommun"]
    path = write_csv(tmp_path, "enheter.csv", [["E1", "A", "x", "A", ""]], header=header)
    assert errors([path]) == [
        "enheter.csv:1: typ: kolumnen saknas",
        "enheter.csv:1: extra: okänd kolumn",
        "enheter.csv:1: namn: kolumnen finns två gånger",
    ]


def test_empty_column_name_is_unknown(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "enheter.csv",
        [["E1", "A", "halsocentral", "", ""]],
        header=[*columns("enheter.csv"), ""],
    )
    assert errors([path]) == ["enheter.csv:1: kolumn 5: okänd kolumn"]


def test_file_without_header(tmp_path: Path) -> None:
    path = tmp_path / "patienter.csv"
    path.write_text(f"P1;{PN1};Åsa;Öberg;Sundsvall;ordinart;;;;;;;\n", encoding="utf-8")
    got = errors([path])
    assert got == [
        "patienter.csv:1: -: ingen rubrikrad (kolumnerna ska vara patient_id, personnummer, fornamn, "
        "efternamn, kommun, boendeform, boende_enhet, hemsjukvardsenhet, bistandsenhet, "
        "halsocentral, psykiatrisk_oppenvardsenhet, vistelseadress, narstaende, skyddad_identitet)"
    ]
    (tmp_path / "sip.csv").write_bytes(b"")
    assert errors([tmp_path / "sip.csv"]) == ["sip.csv:1: -: tom fil: ingen rubrikrad"]


def test_undecodable_files(tmp_path: Path) -> None:
    path = tmp_path / "enheter.csv"
    path.write_bytes(b"enhet_id;namn;typ;kommun\r\nE1;Avd \x81;halsocentral;\r\n")
    assert errors([path]) == ["enheter.csv:2: -: varken UTF-8- eller Windows-1252-text (byte 0x81)"]
    path.write_bytes("enhet_id;namn;typ;kommun\r\n".encode("utf-16"))
    assert errors([path]) == [
        "enheter.csv:1: -: UTF-16 stöds inte: spara som CSV UTF-8 eller semikolonavgränsad CSV"
    ]


# --- row errors -------------------------------------------------------------------------------


def test_wrong_column_count(tmp_path: Path) -> None:
    path = tmp_path / "enheter.csv"
    path.write_text(
        'enhet_id;namn;typ;kommun\nE1;A;halsocentral\nE2;A;halsocentral;;x\nE3;"open;halsocentral;\nE4;B;halsocentral;\n',
        encoding="utf-8",
    )
    assert errors([path]) == [
        "enheter.csv:2: -: 4 kolumner väntades, raden har 3",
        "enheter.csv:3: -: 4 kolumner väntades, raden har 5",
        "enheter.csv:4: -: 4 kolumner väntades, raden har 2 (ett citattecken som inte stängs?)",
    ]


def test_required_values(tmp_path: Path) -> None:
    units = changed(UNITS, 4, enhet_id="", namn=" ", typ="")
    assert errors(one_file(tmp_path, "enheter.csv", units)) == [
        "enheter.csv:6: enhet_id: måste fyllas i",
        "enheter.csv:6: namn: måste fyllas i",
        "enheter.csv:6: typ: måste fyllas i",
    ]


def test_municipal_units_need_a_kommun(tmp_path: Path) -> None:
    units = changed(changed(UNITS, 4, kommun=""), 7, kommun="Stockholm")
    assert errors(one_file(tmp_path, "enheter.csv", units)) == [
        "enheter.csv:6: kommun: krävs för typ bistandsenhet",
        "enheter.csv:9: kommun: okänd kommun (ska vara en av Härnösand, Timrå, "
        "Kramfors, Sollefteå, Ånge, Örnsköldsvik, Sundsvall)",
    ]


@pytest.mark.parametrize(
    ("stem", "column", "message"),
    [
        (
            "patienter",
            "boendeform",
            "ska vara en av ordinart, sarskilt_boende, lss_boende, socialpsykiatri, privat_aktor",
        ),
        ("vardtillfallen", "vardform", "ska vara en av somatik, psykiatri"),
        ("vardtillfallen", "status", "ska vara en av pagaende, utskriven"),
        ("sip", "samordningsansvar", "ska vara en av kommun, primarvard, slutenvard"),
        ("sip", "status", "ska vara en av pagaende, avslutad"),
    ],
)
def test_enumeration_errors(tmp_path: Path, stem: str, column: str, message: str) -> None:
    rows = changed(ROWS[f"{stem}.csv"], 0, **{column: "särskilt"})
    assert errors(export(tmp_path, **{stem: rows})) == [f"{stem}.csv:2: {column}: {message}"]


@pytest.mark.parametrize(
    ("stem", "column", "value", "message"),
    [
        (
            "vardtillfallen",
            "utskrivningsklar",
            "2025-13-01",
            "inget datum (ÅÅÅÅ-MM-DD): '2025-13-01'",
        ),
        ("vardtillfallen", "inskriven", "2025-9-20", "inget datum (ÅÅÅÅ-MM-DD): '2025-9-20'"),
        ("vardtillfallen", "inskriven", "20250920", "inget datum (ÅÅÅÅ-MM-DD): '20250920'"),
        ("sip", "startad", "2025-02-30", "inget datum (ÅÅÅÅ-MM-DD): '2025-02-30'"),
        ("sip", "senaste_mote", "igår", "inget datum (ÅÅÅÅ-MM-DD)"),
        (
            "meddelanden",
            "skickat",
            "2025-09-20",
            "ingen tidpunkt (ÅÅÅÅ-MM-DD HH:MM): '2025-09-20'",
        ),
        (
            "meddelanden",
            "kvitterat",
            "2025-09-20 24:00",
            "ingen tidpunkt (ÅÅÅÅ-MM-DD HH:MM): '2025-09-20 24:00'",
        ),
        (
            "meddelanden",
            "skickat",
            "2025-09-20T14:05",
            "ingen tidpunkt (ÅÅÅÅ-MM-DD HH:MM): '2025-09-20T14:05'",
        ),
    ],
)
def test_date_and_timestamp_errors(
    tmp_path: Path, stem: str, column: str, value: str, message: str
) -> None:
    rows = changed(ROWS[f"{stem}.csv"], 0, **{column: value})
    assert errors(export(tmp_path, **{stem: rows})) == [f"{stem}.csv:2: {column}: {message}"]


def test_unknown_municipality(tmp_path: Path) -> None:
    sips = changed(SIPS, 0, kommun="Umeå")
    assert errors(export(tmp_path, sip=sips)) == [
        "sip.csv:2: kommun: okänd kommun (ska vara en av Härnösand, Timrå, Kramfors, "
        "Sollefteå, Ånge, Örnsköldsvik, Sundsvall)"
    ]


def test_duplicate_ids(tmp_path: Path) -> None:
    patients = [*PATIENTS, {**PATIENTS[1], "fornamn": "Annan"}, {**PATIENTS[0], "kommun": "x"}]
    assert errors(export(tmp_path, patienter=patients)) == [
        "patienter.csv:4: patient_id: id P2 förekommer flera gånger (första gången på rad 3)",
        "patienter.csv:5: patient_id: id P1 förekommer flera gånger (första gången på rad 2)",
        "patienter.csv:5: kommun: okänd kommun (ska vara en av Härnösand, Timrå, "
        "Kramfors, Sollefteå, Ånge, Örnsköldsvik, Sundsvall)",
    ]


# --- references -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "unit", "expected"),
    [
        ("boende_enhet", "E-HSV", "boendeenhet"),
        ("hemsjukvardsenhet", "E-BO", "hemsjukvardsenhet"),
        ("bistandsenhet", "E-HC", "bistandsenhet"),
        ("halsocentral", "E-POV", "halsocentral"),
        ("psykiatrisk_oppenvardsenhet", "E-HC", "psykiatrisk_oppenvard"),
    ],
)
def test_patient_units_must_have_the_right_type(
    tmp_path: Path, column: str, unit: str, expected: str
) -> None:
    patients = changed(PATIENTS, 1, **{column: unit})
    actual = next(u["typ"] for u in UNITS if u["enhet_id"] == unit)
    assert errors(export(tmp_path, patienter=patients)) == [
        f"patienter.csv:3: {column}: enheten {unit} har typ {actual}, ska vara {expected}"
    ]


def test_unknown_references_in_every_file(tmp_path: Path) -> None:
    paths = export(
        tmp_path,
        patienter=changed(PATIENTS, 1, halsocentral="E-X"),
        vardtillfallen=changed(ADMISSIONS, 1, patient_id="P9", avdelning="E-Y"),
        sip=changed(SIPS, 0, patient_id="P8", ansvarig_enhet="E-Z"),
        meddelanden=changed(MESSAGES, 1, vardtillfalle_id="V9", mottagare_enhet="E-W"),
    )
    assert errors(paths) == [
        "patienter.csv:3: halsocentral: okänd enhet E-X",
        "vardtillfallen.csv:3: patient_id: okänd patient P9",
        "vardtillfallen.csv:3: avdelning: okänd enhet E-Y",
        "sip.csv:2: patient_id: okänd patient P8",
        "sip.csv:2: ansvarig_enhet: okänd enhet E-Z",
        "meddelanden.csv:3: vardtillfalle_id: okänt vårdtillfälle V9",
        "meddelanden.csv:3: mottagare_enhet: okänd enhet E-W",
    ]


def test_ward_type_follows_vardform(tmp_path: Path) -> None:
    admissions = changed(changed(ADMISSIONS, 0, avdelning="E-PSY"), 1, avdelning="E-SOM")
    assert errors(export(tmp_path, vardtillfallen=admissions)) == [
        "vardtillfallen.csv:2: avdelning: enheten E-PSY har typ slutenvard_psykiatri, ska vara "
        "slutenvard_somatik för vardform somatik",
        "vardtillfallen.csv:3: avdelning: enheten E-SOM har typ slutenvard_somatik, ska vara "
        "slutenvard_psykiatri för vardform psykiatri",
    ]


def test_references_to_records_already_in_the_ledger(tmp_path: Path) -> None:
    first = read(export(tmp_path / "first"))
    known = known_from(first)
    asked: list[tuple[str, str]] = []

    def spy(kind: str, key: str) -> dict[str, Any] | None:
        asked.append((kind, key))
        return known(kind, key)

    later = tmp_path / "later"
    later.mkdir()
    message = {**MESSAGES[0], "meddelande_id": "M3"}
    paths = [write_csv(later, "meddelanden.csv", [message])]
    assert [importer.record_id(r) for r in read(paths, spy)] == ["M3"]
    assert sorted(set(asked)) == [("admission", "V1"), ("unit", "E-HC")]
    # a known unit of the wrong type is refused, using the ledger's type
    patients = [changed(PATIENTS, 0, patient_id="P5", boende_enhet="E-HSV")[0]]
    assert errors([write_csv(later, "patienter.csv", patients)], known) == [
        "patienter.csv:2: boende_enhet: enheten E-HSV har typ hemsjukvardsenhet, ska vara boendeenhet"
    ]
    # and without the ledger's records the same files fail
    assert errors(paths) == [
        "meddelanden.csv:2: vardtillfalle_id: okänt vårdtillfälle V1",
        "meddelanden.csv:2: mottagare_enhet: okänd enhet E-HC",
    ]


def test_import_version_of_a_unit_wins_over_the_ledger(tmp_path: Path) -> None:
    stale = [Unit(unit_id="E-BO", name="Solgården", type=UnitType.HALSOCENTRAL)]
    assert read(export(tmp_path), known_from(stale))  # enheter.csv says boendeenhet


def test_unreadable_file_does_not_pile_up_reference_errors(tmp_path: Path) -> None:
    paths = export(tmp_path)
    paths[1].unlink()
    assert errors(paths) == ["patienter.csv:1: -: filen finns inte"]


def test_rejected_rows_still_count_for_references_and_duplicates(tmp_path: Path) -> None:
    patients = changed(PATIENTS, 0, personnummer="x")
    assert errors(export(tmp_path, patienter=patients)) == [
        "patienter.csv:2: personnummer: ska vara 12 siffror (ÅÅÅÅMMDDNNNN) eller 10 siffror "
        "med - eller + (ÅÅMMDD-NNNN)"
    ]


# --- errors as a whole ---------------------------------------------------------------------


def test_all_errors_in_file_order_then_line(tmp_path: Path) -> None:
    paths = export(
        tmp_path,
        enheter=changed(UNITS, 3, typ="x"),
        patienter=changed(PATIENTS, 1, boendeform="y"),
        sip=changed(SIPS, 0, startad="z"),
    )
    given = [paths[3], paths[0], paths[1]]
    got = errors(given)
    assert [e.split(":")[0] for e in got] == ["sip.csv", "enheter.csv", "patienter.csv"]


def test_errors_are_capped(tmp_path: Path) -> None:
    rows = [{**UNITS[0], "enhet_id": f"E{i}", "typ": "fel"} for i in range(250)]
    with pytest.raises(ImportFailed) as e:
        read(one_file(tmp_path, "enheter.csv", rows))
    assert e.value.total == 250
    assert len(e.value.errors) == MAX_ERRORS + 1
    assert e.value.errors[0].startswith("enheter.csv:2: typ: ska vara en av")
    assert e.value.errors[-2].startswith("enheter.csv:201: typ: ")
    assert e.value.errors[-1] == "… och 50 fel till"
    assert str(e.value) == "importen avvisades: 250 fel, inget har importerats"


def test_nothing_is_returned_on_error_and_gc_is_restored(tmp_path: Path) -> None:
    paths = export(tmp_path, meddelanden=changed(MESSAGES, 1, skickat="x"))
    assert gc.isenabled()
    with pytest.raises(ImportFailed):
        plan_import(paths, REGION, no_known, REF)
    assert gc.isenabled()
    gc.disable()
    try:
        read(export(tmp_path / "ok"))
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_errors_never_show_personal_data(tmp_path: Path) -> None:
    """A shifted row puts names, addresses and numbers in the wrong columns."""
    header = columns("patienter.csv")
    p = PATIENTS[0]
    shifted = [p["personnummer"], p["fornamn"], p["efternamn"], p["vistelseadress"], "x", "y"]
    shifted += ["", "", "", "", "", "", p["narstaende"]]
    path = write_csv(tmp_path, "patienter.csv", [shifted], header=header)
    header_adm = columns("vardtillfallen.csv")
    adm = ["V1", PN2, "somatik", "E-SOM", p["efternamn"], p["vistelseadress"], "pagaende"]
    path2 = write_csv(tmp_path, "vardtillfallen.csv", [adm], header=header_adm)
    got = errors([path, path2], known_from(read_units()))
    text = "\n".join(got)
    for secret in (PN1, PN1[2:], PN2, p["fornamn"], p["efternamn"], "Storgatan", "Märta"):
        assert secret not in text
    assert "patienter.csv:2: patient_id: id" not in text
    assert "vardtillfallen.csv:2: inskriven: inget datum (ÅÅÅÅ-MM-DD)" in got
    assert (
        "vardtillfallen.csv:2: patient_id: ser ut som ett personnummer – får bara stå i "
        "kolumnen personnummer" in got
    )


def test_unknown_column_that_looks_like_a_personnummer_is_hidden(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "enheter.csv", [], header=[*columns("enheter.csv"), PN1])
    assert errors([path]) == ["enheter.csv:1: (dolt, ser ut som ett personnummer): okänd kolumn"]


# --- diffing: idempotence and updates ------------------------------------------------------


def test_first_import_makes_one_event_per_record(tmp_path: Path) -> None:
    plan = plan_import(export(tmp_path), REGION, no_known, REF)
    assert plan.counts == {
        "enheter.csv": {"new": 8, "changed": 0, "unchanged": 0},
        "patienter.csv": {"new": 2, "changed": 0, "unchanged": 0},
        "vardtillfallen.csv": {"new": 2, "changed": 0, "unchanged": 0},
        "sip.csv": {"new": 1, "changed": 0, "unchanged": 0},
        "meddelanden.csv": {"new": 2, "changed": 0, "unchanged": 0},
    }
    assert [e.kind for e in plan.events] == (
        ["unit.upserted"] * 8
        + ["patient.upserted"] * 2
        + ["admission.upserted"] * 2
        + ["sip.upserted"]
        + ["message.upserted"] * 2
    )
    for event, rec in zip(plan.events, plan.records, strict=True):
        reference = record_event(rec)
        assert event.model_dump(exclude={"event_id"}) == reference.model_dump(exclude={"event_id"})
        assert event.payload == rec.model_dump(mode="json")
        assert {type(v) for v in event.payload.values()} <= {str, bool, int, type(None)}
        assert uuid.UUID(event.event_id).version == 4
        assert str(uuid.UUID(event.event_id)) == event.event_id
    assert len({e.event_id for e in plan.events}) == len(plan.events)
    assert plan.events[8].payload["personnummer"] == PN1
    assert plan.events[14].payload["acknowledged"] == "2025-09-21T09:30:00"


def test_reimport_changes_nothing(tmp_path: Path) -> None:
    paths = export(tmp_path)
    first = plan_import(paths, REGION, no_known, REF)
    again = plan_import(paths, REGION, known_from(first.records), REF)
    assert again.events == []
    assert again.counts["patienter.csv"] == {"new": 0, "changed": 0, "unchanged": 2}
    assert sum(c["unchanged"] for c in again.counts.values()) == 15
    # the same through the JSON the ledger would hold (events' payloads)
    ledger = {
        (e.kind.split(".")[0], e.payload[next(iter(e.payload))]): e.payload for e in first.events
    }
    assert plan_import(paths, REGION, lambda k, i: ledger.get((k, i)), REF).events == []


def test_later_export_updates_one_record(tmp_path: Path) -> None:
    first = plan_import(export(tmp_path / "a"), REGION, no_known, REF)
    later = export(
        tmp_path / "b",
        vardtillfallen=changed(ADMISSIONS, 1, utskrivningsklar="2025-09-28"),
        meddelanden=[*MESSAGES, {**MESSAGES[0], "meddelande_id": "M3"}],
    )
    plan = plan_import(later, REGION, known_from(first.records), REF)
    assert [
        (e.kind, e.payload.get("admission_id"), e.payload.get("message_id")) for e in plan.events
    ] == [
        ("admission.upserted", "V2", None),
        ("message.upserted", "V1", "M3"),
    ]
    assert plan.events[0].payload["discharge_ready"] == "2025-09-28"
    assert plan.counts["vardtillfallen.csv"] == {"new": 0, "changed": 1, "unchanged": 1}
    assert plan.counts["meddelanden.csv"] == {"new": 1, "changed": 0, "unchanged": 2}


def test_diff_events_for_records_built_elsewhere() -> None:
    """The demo generator builds records itself and shares diff_events."""
    units = read_units()
    patient = Patient.model_validate(
        {
            "patient_id": "P1",
            "personnummer": PN1,
            "first_name": "Åsa",
            "last_name": "Öberg",
            "municipality": "Timrå",
            "housing": "ordinart",
        }
    )
    message = Message(
        message_id="M1",
        admission_id="V1",
        type="t",
        recipient_unit="E-HC",
        sent=dt.datetime(2025, 9, 30, 8, 0, 30, 500),
        acknowledged=dt.datetime(2025, 9, 30, 9, 0, tzinfo=dt.UTC),
    )
    plan = diff_events([message, patient, *units], no_known)
    assert [type(r) for r in plan.records] == [Unit] * 8 + [Patient, Message]
    assert [e.payload for e in plan.events] == [r.model_dump(mode="json") for r in plan.records]
    assert plan.counts == {
        "enheter.csv": {"new": 8, "changed": 0, "unchanged": 0},
        "patienter.csv": {"new": 1, "changed": 0, "unchanged": 0},
        "meddelanden.csv": {"new": 1, "changed": 0, "unchanged": 0},
    }
    moved = patient.model_copy(update={"municipality": "Ånge"})
    plan = diff_events([moved, *units], known_from([patient, *units]))
    assert [e.payload["municipality"] for e in plan.events] == ["Ånge"]
    assert plan.counts["enheter.csv"] == {"new": 0, "changed": 0, "unchanged": 8}


def test_round_trip_through_write_export(tmp_path: Path) -> None:
    records = read(export(tmp_path / "a"))
    paths = write_export(records, tmp_path / "b")
    assert read(paths) == records


# --- the module itself -------------------------------------------------------------------


def test_kind_of() -> None:
    assert {cls.__name__: kind for cls, kind in KIND_OF.items()} == {
        "Unit": "unit",
        "Patient": "patient",
        "Admission": "admission",
        "Sip": "sip",
        "Message": "message",
    }


def test_every_export_column_has_a_rule() -> None:
    free_text = {  # optional free text: not listed in _RULES on purpose
        "patienter.csv": {
            "boende_enhet",
            "hemsjukvardsenhet",
            "bistandsenhet",
            "halsocentral",
            "psykiatrisk_oppenvardsenhet",
            "vistelseadress",
            "narstaende",
        },
    }
    for name, spec in FILES.items():
        assert {c for c, _ in spec.columns} == set(RULES[name]) | free_text.get(name, set())


def test_importer_does_not_import_textual() -> None:
    code = "import sys, lcsp_tui.importer; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_malformed_csv(tmp_path: Path) -> None:
    path = tmp_path / "enheter.csv"
    path.write_text('enhet_id;namn;typ;kommun\nE1;"' + "x" * 140_000 + "\n", encoding="utf-8")
    assert errors([path]) == [
        "enheter.csv:2: -: felaktig CSV (ett fält är längre än gränsen på 131072 tecken)"
    ]
