"""The support desk on the command line: help requests, the audit trail and its filters,
protected identity, and the hardening of issue 5 (file modes, redaction, environments).

Records with known answers come from ``tests.test_lookup_stats.records``: A Larsson 1945
matches two patients (P1 with admission V1 and unacknowledged M1 to BIST1, P2), Å Öberg
1945 one, A Larsson 1950 one with protected identity.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from lcsp_tui import privacy
from lcsp_tui.cli import main
from lcsp_tui.config import settings_from
from lcsp_tui.demo import generate
from lcsp_tui.domain.models import Patient
from lcsp_tui.importer import diff_events
from lcsp_tui.prator_format import write_export
from lcsp_tui.rows import PROTECTED_TITLE
from lcsp_tui.workstation import Workstation
from tests.test_lookup_stats import records

TODAY = "2025-10-01T09:00"
PNRS = [r.personnummer for r in records() if isinstance(r, Patient)]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for k in [k for k in os.environ if k.startswith("LCSP_")]:
        monkeypatch.delenv(k)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "home"
    ws = Workstation(settings_from(home=str(h), user="import", role="systemforvaltning"))
    ws.publish(diff_events(records(), ws.known()).events, {"test": True})
    ws.close()
    return h


class Run:
    def __init__(self, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.home, self.capsys = home, capsys

    def __call__(self, *args: str, today: str = TODAY, user: str = "stina") -> tuple[int, str, str]:
        self.capsys.readouterr()
        try:
            rc = main(["--home", str(self.home), "--today", today, "--user", user, *args])
        except SystemExit as e:
            rc = int(e.code or 0)
        out, err = self.capsys.readouterr()
        assert "Traceback" not in out + err
        return rc, out, err

    def ok(self, *args: str, **kw: str) -> str:
        rc, out, err = self(*args, **kw)
        assert rc == 0, (args, err)
        return out

    def refused(self, *args: str, says: str = "", **kw: str) -> str:
        before = self.outbox()
        rc, out, err = self(*args, **kw)
        assert rc == 2, (args, rc, out, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and says in lines[0], err
        assert out == ""
        # nothing but an audit of the refusal may have been written
        after = [k for k in self.outbox() if k not in before]
        assert all(kind == "audit.read" for _, kind in after), after
        return lines[0]

    def outbox(self) -> list[tuple[str, str]]:
        if not (self.home / "store.sqlite").exists():
            return []
        with closing(sqlite3.connect(self.home / "store.sqlite")) as conn:
            return conn.execute("SELECT event_id, kind FROM outbox").fetchall()

    def support(self, *args: str, **kw: str) -> str:
        return self.ok("--role", "support", *args, **kw)

    def audit(self, *args: str) -> list[dict[str, object]]:
        self.ok("--role", "support", "sync")
        return json.loads(self.ok("--role", "systemforvaltning", "audit", "--json", *args))


@pytest.fixture
def run(home: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    return Run(home, capsys)


def add_request(run: Run, units: str = "BIST1", name: str = "A Larsson", **kw: str) -> str:
    out = run.support(
        "help-request", "add", units, name, "1945", "kvittera inskrivningen", "--json", **kw
    )
    return str(json.loads(out)["id"])


# ------------------------------------------------------------------ help requests


def test_help_request_lifecycle(run: Run) -> None:
    rid = add_request(run, "BIST1,HC1", "anna larsson")
    (req,) = json.loads(run.support("help-request", "list", "--json"))
    assert req["id"] == rid and req["status"] == "ny" and req["synced"] is False
    assert req["units"] == ["BIST1", "HC1"]
    assert req["name"] == "A. Larsson"  # never a whole first name
    assert req["birth_year"] == 1945 and req["age_minutes"] == 0
    assert "Anna" not in json.dumps(req)

    assert run.support("help-request", "work", rid.lower(), "--note", "ringer BIST1")
    out = run.support("help-request", "ack", rid, "M1")
    assert "kvitterat åt BIST1" in out
    assert "redan kvitterat" in run.support("help-request", "ack", rid, "M1")
    run.support("sync")
    (req,) = json.loads(run.support("help-request", "list", "--json", today="2025-10-02T11:30"))
    assert (req["status"], req["acks"], req["note"], req["synced"]) == (
        "pagar",
        1,
        "ringer BIST1",
        True,
    )
    assert req["age_minutes"] == 26 * 60 + 30
    text = run.support("help-request", "list", today="2025-10-02T11:30")
    assert "1 öppet hjälpärende" in text and "1 d 2 h" in text and "pågår" in text

    run.support("help-request", "resolve", rid, "--note", "klart")
    assert json.loads(run.support("help-request", "list", "--json")) == []
    (done,) = json.loads(run.support("help-request", "list", "--all", "--json"))
    assert (done["status"], done["note"]) == ("lost", "klart")
    run.refused("--role", "support", "help-request", "work", rid, says="är redan löst")

    # the kvittering is the unit's, recorded as done by support on its behalf
    with closing(sqlite3.connect(run.home / "store.sqlite")) as conn:
        run.support("sync")
        assert conn.execute(
            "SELECT acked_by, acked_role FROM messages WHERE message_id = 'M1'"
        ).fetchone() == ("stina", "support")
    kinds = [(a["kind"], a["subject"], a["on_behalf_of"]) for a in run.audit()]
    assert ("help.requested", rid, None) in kinds
    assert ("help.updated", rid, None) in kinds
    assert ("message.acked", "M1", "BIST1") in kinds
    assert ("help.resolved", rid, None) in kinds


def test_help_request_refusals(run: Run) -> None:
    pnr = PNRS[0]
    for need in (pnr, f"{pnr[2:8]}-{pnr[8:]}", f"ring om {pnr[:8]}-{pnr[8:]}"):
        run.refused(
            "--role", "support", "help-request", "add", "BIST1", "A Larsson", "1945", need,
            says="Ange aldrig hela personnummer",
        )  # fmt: skip
    run.refused(
        "--role", "support", "help-request", "add", "BIST1", pnr, "1945", "x",
        says="Ange aldrig hela personnummer",
    )  # fmt: skip
    run.refused(
        "--role", "support", "help-request", "add", "BIST1", "A Larsson", "45", "x",
        says="Födelseår",
    )  # fmt: skip
    run.refused(
        "--role", "support", "help-request", "add", "NOPE", "A Larsson", "1945", "x",
        says="okänd enhet",
    )  # fmt: skip
    run.refused(
        "--role", "support", "help-request", "add", "BIST1", "A Larsson", "1945", "  ",
        says="skriv vad som behövs",
    )  # fmt: skip
    # protected identity: the desk is told to contact the unit, nothing is recorded
    run.refused(
        "--role", "support", "help-request", "add", "HC1", "A Larsson", "1950", "x",
        says="Skyddad identitet – kontakta enheten",
    )  # fmt: skip
    run.refused(
        "--role", "primarvard", "--unit", "HC1", "help-request", "add", "HC1", "A Larsson",
        "1945", "x", says="support",
    )  # fmt: skip
    run.refused("--role", "support", "help-request", "resolve", "H-NOPE", says="okänt hjälpärende")
    rid = add_request(run, "HC1")
    run.refused(
        "--role", "support", "help-request", "ack", rid, "M1",
        says="som inte hör till hjälpärendet",
    )  # fmt: skip
    run.refused("--role", "support", "help-request", "ack", rid, "M9", says="okänt meddelande")
    run.refused(
        "--role", "support", "help-request", "work", rid, "--note", PNRS[1],
        says="Ange aldrig hela personnummer",
    )  # fmt: skip
    # refused attempts are audited, without what was typed
    audit = run.audit()
    refused = [a for a in audit if a["what"] == "hjälpärende"]
    assert {a["outcome"] for a in refused} == {"nekad", "nekad: skyddad identitet"}
    dump = json.dumps(audit)
    assert not any(p[-4:] in dump or p[2:8] in dump for p in PNRS)


def test_help_requests_converge_on_two_homes(run: Run, tmp_path: Path) -> None:
    rid = add_request(run)
    run.support("help-request", "work", rid)
    run.support("sync")
    other = Workstation(
        settings_from(
            home=str(tmp_path / "other"),
            ledger=str(run.home / "ledger.sqlite"),
            user="olle",
            role="support",
            today=TODAY,
        )
    )
    try:
        other.sync()
        from lcsp_tui import helpdesk

        (seen,) = helpdesk.requests(other)
        assert (seen.request_id, seen.status, seen.requested_by) == (rid, "pagar", "stina")
        helpdesk.resolve(other, rid, "löst av olle")
        other.sync()
    finally:
        other.close()
    run.support("sync")
    (done,) = json.loads(run.support("help-request", "list", "--all", "--json"))
    assert (done["status"], done["updated_by"], done["note"]) == ("lost", "olle", "löst av olle")


# ------------------------------------------------------------------ lookup and identity


@pytest.mark.parametrize(
    "name", ["A Larsson", "a larsson", "A. Larsson", "a.larsson", "Anna Larsson"]
)
def test_every_name_form_finds_both_matches(run: Run, name: str) -> None:
    out = run.support("lookup", name, "1945", "--json")
    assert sorted(m["municipality"] for m in json.loads(out)["matches"]) == ["Sundsvall", "Timrå"]


@pytest.mark.parametrize(
    "text",
    [
        "19450312 9802",  # spaces
        "450312 - 9802",
        "45.03.12-9802",
        "197010632391",  # samordningsnummer, 12 digits
        "701063-2391",  # samordningsnummer, 10 digits
        "191212121212+",
    ],
)
def test_more_personnummer_shapes_are_refused(run: Run, text: str) -> None:
    assert privacy.looks_like_personnummer(text), f"{text!r} should count as a personnummer"
    run.refused("--role", "support", "lookup", text, "1945", says="Ange aldrig hela personnummer")
    run.refused("--role", "support", "lookup", "A Larsson", text, says="Ange aldrig")


def test_several_matches_text_output_asks_for_the_unit(run: Run) -> None:
    out = run.support("lookup", "A Larsson", "1945")
    assert out.count("A. Larsson (1945)") == 2
    assert "2 träffar: fråga efter enhet" in out
    assert "okvitterat M1" in out and "BIST1" in out


def test_protected_identity_lookup_shows_no_units(run: Run) -> None:
    (m,) = json.loads(run.support("lookup", "A Larsson", "1950", "--json"))["matches"]
    assert m["protected"] and m["units"] == [] and m["municipality"] is None
    text = run.support("lookup", "A Larsson", "1950")
    assert "Larsson" not in text and "HC1" not in text
    assert "kontakta enheten" in text


def test_protected_identity_title_only_for_own_units(tmp_path: Path) -> None:
    from lcsp_tui.domain.models import Admission, AdmissionStatus, CareForm

    recs = records() + [
        Admission(
            admission_id="V4",
            patient_id="P4",
            care_form=CareForm.SOMATIK,
            ward="AVD1",
            admitted="2025-09-20",
            status=AdmissionStatus.PAGAENDE,
        )
    ]
    ws = Workstation(settings_from(home=str(tmp_path), user="t", today="2025-10-01T09:00"))
    ws.publish(diff_events(recs, ws.known()).events, {"test": True})
    ws.close()
    # the ward's home: it holds the patient (a home of the region holds no personnummer)
    ws = Workstation(
        settings_from(
            home=str(tmp_path),
            user="t",
            today="2025-10-01T09:00",
            role="slutenvard-somatik",
            unit="AVD1",
        )
    )
    try:
        q, now = ws.q, ws.now()
        rows = {r.subject: r for r in q.worklist("slutenvard-somatik", "AVD1", now)}
        # the ward's own screen: the care relation sees the personnummer and the name
        assert rows["V4"].title.startswith("19500101-9800 Agnes Larsson")
        # region-wide (no unit of its own): no name
        found = q.checklist("slutenvard-somatik", None, "V4", now)
        assert found is not None
        assert found.title.startswith(PROTECTED_TITLE) and "Larsson" not in found.title
        # the health centre is one of its units; BIST1 is not
        shown = {
            m.recipient_unit: m.title for m in q.unacknowledged(None) if m.admission_id == "V4"
        }
        for unit, title in shown.items():
            own_unit = unit in ("HC1", "AVD1")
            assert title.startswith(PROTECTED_TITLE) != own_unit, (unit, title)
            assert ("19500101-9800" in title) == own_unit, (unit, title)
        # a patient without protected identity keeps its name everywhere
        found1 = q.checklist("slutenvard-somatik", None, "V1", now)
        assert found1 is not None and found1.title.startswith("A. Larsson (1945)")
    finally:
        ws.close()


# ------------------------------------------------------------------ audit filters


@pytest.fixture
def trail(run: Run) -> Run:
    """Lookups, a help request, a kvittering and a checklist opening by different users."""
    run.support("lookup", "A Larsson", "1945", user="stina", today="2025-10-01T09:00")
    run.support("lookup", "Å Öberg", "1945", user="olle", today="2025-10-02T10:00")
    rid = add_request(run, user="olle", today="2025-10-02T10:05")
    run.support("help-request", "ack", rid, "M1", user="olle", today="2025-10-02T10:10")
    run.ok(
        "--role", "slutenvard-somatik", "--unit", "AVD1", "checklist", "V1",
        user="sara", today="2025-10-03T08:00",
    )  # fmt: skip
    run.ok("--role", "slutenvard-somatik", "--unit", "AVD1", "sync", user="sara")
    return run


def whats(rows: list[dict[str, object]]) -> list[tuple[object, object]]:
    return [(r["user"], r["what"]) for r in rows]


def test_audit_filter_by_user(trail: Run) -> None:
    assert whats(trail.audit("--user", "olle")) == [
        ("olle", "sökning"),
        ("olle", "hjälpärende registrerat"),
        ("olle", "kvittering"),
    ]
    assert trail.audit("--user", "nobody") == []


def test_audit_filter_by_patient_follows_admissions_messages_lookups(trail: Run) -> None:
    rows = trail.audit("--patient", "P1")
    assert whats(rows) == [
        ("stina", "sökning"),  # found P1 among two
        ("olle", "hjälpärende registrerat"),  # a request for A Larsson 1945
        ("olle", "kvittering"),  # M1 is a message of V1, P1's admission
        ("sara", "checklista öppnad"),  # V1
    ]
    assert whats(trail.audit("--patient", "P3")) == [("olle", "sökning")]
    assert [r["subject"] for r in trail.audit("--patient", "P2")] == ["P1,P2", rows[1]["subject"]]


def test_audit_filter_by_unit_includes_acting_for_it(trail: Run) -> None:
    assert whats(trail.audit("--unit", "BIST1")) == [("olle", "kvittering")]
    assert whats(trail.audit("--unit", "AVD1")) == [("sara", "checklista öppnad")]


def test_audit_filter_by_time(trail: Run) -> None:
    assert whats(trail.audit("--since", "2025-10-02", "--until", "2025-10-02")) == [
        ("olle", "sökning"),
        ("olle", "hjälpärende registrerat"),
        ("olle", "kvittering"),
    ]
    assert whats(trail.audit("--since", "2025-10-02T10:05", "--until", "2025-10-02T10:10")) == [
        ("olle", "hjälpärende registrerat")
    ]
    assert whats(trail.audit("--user", "olle", "--since", "2025-10-02T10:06")) == [
        ("olle", "kvittering")
    ]
    trail.refused(
        "--role", "systemforvaltning", "audit", "--since", "igår", says="ÅÅÅÅ-MM-DD"
    )  # fmt: skip


def test_audit_csv_and_out_file(trail: Run) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LCSP_")}
    p = subprocess.run(
        [sys.executable, "-m", "lcsp_tui", "--home", str(trail.home), "--role",
         "systemforvaltning", "audit", "--csv", "--user", "olle"],
        capture_output=True, env=env, timeout=60, check=True,
    )  # fmt: skip
    raw = p.stdout
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw[3:].decode("utf-8").split("\r\n")
    assert lines[0].split(";") == [
        "Löpnummer", "Tid", "Användare", "Roll", "Enhet", "Händelse", "Avser", "Vad",
        "Utfall", "För enhet",
    ]  # fmt: skip
    assert [line.split(";")[7] for line in lines[1:4]] == [
        "sökning",
        "hjälpärende registrerat",
        "kvittering",
    ]
    out = trail.home.parent / "stickprov.csv"
    out.write_text("old")
    out.chmod(0o644)  # an existing file with a loose mode is made private
    msg = trail.ok("--role", "systemforvaltning", "audit", "--patient", "P3", "--out", str(out))
    assert "1 rad (patient P3)" in msg
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    assert len(out.read_bytes().decode("utf-8-sig").splitlines()) == 2
    js = trail.home.parent / "stickprov.json"
    trail.ok("--role", "systemforvaltning", "audit", "--json", "--out", str(js))
    assert stat.S_IMODE(js.stat().st_mode) == 0o600
    assert isinstance(json.loads(js.read_text()), list)
    # reading the trail is audited too (the CSV to stdout counts as an export)
    assert [r["what"] for r in trail.audit()[-3:]] == ["granskningslogg exporterad"] * 3


def test_audit_is_for_systemforvaltning(run: Run) -> None:
    run.refused("--role", "support", "audit", says="systemforvaltning")


# ------------------------------------------------------------------ hardening


def test_home_0700_and_files_0600(run: Run) -> None:
    run.support("lookup", "A Larsson", "1945")
    run.support("sync")
    assert stat.S_IMODE(run.home.stat().st_mode) == 0o700
    files = [p for p in run.home.iterdir() if p.is_file()]
    assert {p.name for p in files} >= {"store.sqlite", "ledger.sqlite"}
    for p in files:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    # a loosened file is tightened again at the next start
    (run.home / "store.sqlite").chmod(0o644)
    run.home.chmod(0o755)
    run.ok("state-hash")
    assert stat.S_IMODE((run.home / "store.sqlite").stat().st_mode) == 0o600
    assert stat.S_IMODE(run.home.stat().st_mode) == 0o700


def test_errors_never_echo_a_personnummer(run: Run) -> None:
    pnr = PNRS[0]
    for args in (
        (pnr,),  # argparse: invalid choice
        ("--role", "support", "lookup", "A", "Larsson", pnr),  # unrecognized argument
        ("--role", "slutenvard-somatik", "--unit", "AVD1", "checklist", pnr),
        ("--role", "slutenvard-somatik", "--unit", "AVD1", "checklist", f"{pnr[2:8]}-{pnr[8:]}"),
        (
            "--role",
            "slutenvard-somatik",
            "--unit",
            "AVD1",
            "tick",
            pnr,
            "s2.inskrivningsmeddelande",
        ),
        ("--role", "support", "ack", pnr),
        ("--role", "slutenvard-somatik", "--unit", pnr, "worklist"),
    ):
        rc, out, err = run(*args)
        assert rc == 2, (args, err)
        assert pnr[2:8] not in out + err and pnr[8:] not in out + err, err


def test_a_note_with_a_personnummer_is_refused(run: Run) -> None:
    run.refused(
        "--role", "slutenvard-somatik", "--unit", "AVD1", "tick", "V1",
        "s2.inskrivningsmeddelande", "--note", f"gäller {PNRS[0]}",
        says="Ange aldrig hela personnummer",
    )  # fmt: skip


def test_redact() -> None:
    for text in ("194503129802", "19450312-9802", "450312-9802", "450312+9802", "4503129802"):
        assert privacy.redact(f"x {text} y") == f"x {privacy.HIDDEN} y"
    assert privacy.redact("M0000005 2025-09-30 10:00 cursor 12345") == (
        "M0000005 2025-09-30 10:00 cursor 12345"
    )


# ------------------------------------------------------------------ environments


def test_production_home_refuses_a_demo_ledger(run: Run, tmp_path: Path) -> None:
    demo = Run(tmp_path / "demo", run.capsys)
    demo.ok("demo", "--size", "small", "--no-tui")
    prod = Run(tmp_path / "prod", run.capsys)
    empty = prod.ok("--env", "produktion", "state-hash")
    ledger = str(demo.home / "ledger.sqlite")
    line = prod.refused("--ledger", ledger, "--role", "support", "sync", says="fiktiva demodata")
    assert "produktion" in line
    assert prod.ok("state-hash") == empty  # nothing folded
    with closing(sqlite3.connect(prod.home / "store.sqlite")) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'cursor'").fetchone() == ("0",)
        assert conn.execute("SELECT count(*) FROM audit").fetchone() == (0,)
    with closing(sqlite3.connect(ledger)) as conn:  # and nothing pushed into it
        kinds = {k for (k,) in conn.execute("SELECT kind FROM events")}
    assert "ledger.environment" not in kinds


def test_training_home_refuses_a_production_ledger_and_demo_cannot_write_into_it(
    run: Run, tmp_path: Path
) -> None:
    prod = Run(tmp_path / "prod", run.capsys)
    prod.ok("--env", "produktion", "--role", "support", "sync")
    ledger = str(prod.home / "ledger.sqlite")
    head = prod.ok("--role", "support", "sync", "--json")
    assert json.loads(head)["cursor"] == 1  # the production home declared itself
    train = Run(tmp_path / "train", run.capsys)
    train.refused("--ledger", ledger, "--role", "support", "sync", says="produktionens")
    other = Run(tmp_path / "train2", run.capsys)
    other.refused("--ledger", ledger, "demo", "--size", "small", "--no-tui", says="produktionens")
    with closing(sqlite3.connect(ledger)) as conn:
        assert conn.execute("SELECT count(*) FROM events").fetchone() == (1,)


def test_production_import_refuses_fictitious_files(run: Run, tmp_path: Path) -> None:
    demo_files = write_export(generate("small"), tmp_path / "demo-export")
    prod = Run(tmp_path / "prod", run.capsys)
    prod.ok("--env", "produktion", "state-hash")
    for extra in ((), ("--dry-run",)):
        prod.refused(
            "--role", "systemforvaltning", "import", *map(str, demo_files), *extra,
            says="fiktiva uppgifter",
        )  # fmt: skip
    clean = write_export(records(), tmp_path / "clean-export")
    out = prod.ok("--role", "systemforvaltning", "import", *map(str, clean))
    assert "importerade" in out
