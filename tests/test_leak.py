"""The leak test of issue 5: a whole scenario, then a scan for every personnummer.

Scenario: a Prator export (the small demo region) is imported and synced; every role runs
its CLI commands at a unit with work (worklist, checklist, tick, undo, note, kvittering);
support looks up every patient (and is refused personnummer in every form) and works a help
request; systemforvaltning reads stats (text, JSON, CSV), the audit trail (text, JSON, CSV,
files, filters) and the state hash; and the error paths run (unknown subjects and units
typed as personnummer, argparse errors, a note with a personnummer, an invalid import).

Everything written — every stdout and stderr, every file in the home other than the store
and the ledger (which hold the data by design), every export file — is scanned for every
personnummer in the data in its 12-digit and 10-digit forms (with and without ``-``/``+``)
and for its last four digits.

The last four digits alone are four digits, and four digits occur innocently: years,
counts, times, sequence numbers. So the data's personnummer are rewritten to serials 900–
999 (last four 9000–9999), which no year, count or sequence number in this scenario reaches
(checked), and the last four are searched as whole tokens (not inside a longer run of
letters or digits, such as an id), with or without a leading ``-``/``+``. A hit is then a
leak, not a coincidence. The scanner itself is checked on the export files, which must hit.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from lcsp_tui.cli import main
from lcsp_tui.config import settings_from
from lcsp_tui.demo import generate
from lcsp_tui.domain.models import Patient, Record
from lcsp_tui.domain.personnummer import with_check_digit
from lcsp_tui.domain.roles import ROLES
from lcsp_tui.prator_format import write_export
from lcsp_tui.workstation import Workstation

TODAY = "2025-10-01T13:00"


def rewritten_records() -> list[Record]:
    """The small demo with every personnummer's serial moved to 900–999."""
    out: list[Record] = []
    i = 0
    for r in generate("small"):
        if isinstance(r, Patient):
            d = r.personnummer
            serial = f"{900 + i:03d}"
            i += 1
            new = d[:2] + with_check_digit(d[2:8] + serial)
            r = r.model_copy(update={"personnummer": new})
        out.append(r)
    assert i < 100
    return out


def forms(pnr: str) -> list[str]:
    ten = pnr[2:]
    return [pnr, f"{pnr[:8]}-{pnr[8:]}", ten, f"{ten[:6]}-{ten[6:]}", f"{ten[:6]}+{ten[6:]}"]


class Scanner:
    def __init__(self, pnrs: list[str]) -> None:
        self.long = {f: p for p in pnrs for f in forms(p)}
        self.last4 = {p[-4:]: p for p in pnrs}  # unique: the serials are 900–999
        last4 = "|".join(sorted(self.last4))
        self.short = re.compile(rf"(?<![0-9A-Za-z])[-+]?(?:{last4})(?![0-9A-Za-z])")

    def hits(self, text: str) -> list[str]:
        found = [f for f in self.long if f in text]
        found += [m.group(0) for m in self.short.finditer(text)]
        return found

    def owner(self, hit: str) -> str:
        """The personnummer a hit is a form of."""
        return self.long.get(hit) or self.last4[hit.lstrip("-+")]


@dataclass
class Scenario:
    home: Path
    capfd: pytest.CaptureFixture[bytes]
    written: list[tuple[str, str]] = field(default_factory=list)  # (what, text)
    lookups: int = 0
    openings: Counter[str] = field(default_factory=Counter)
    # what → the personnummer it may show: a care role's own patients (SPEC §5)
    allowed: dict[str, set[str]] = field(default_factory=dict)

    def __call__(self, *args: str, user: str = "anna") -> tuple[int, str]:
        self.capfd.readouterr()
        try:
            rc = main(["--home", str(self.home), "--today", TODAY, "--user", user, *args])
        except SystemExit as e:
            rc = int(e.code or 0)
        out, err = self.capfd.readouterr()
        text_out = out.decode("utf-8", "replace").replace("\ufeff", "")
        text_err = err.decode("utf-8", "replace")
        assert "Traceback" not in text_out + text_err, (args, text_err)
        self.written.append((f"lcsp {' '.join(args)} (stdout)", text_out))
        self.written.append((f"lcsp {' '.join(args)} (stderr)", text_err))
        return rc, text_out

    def ok(self, *args: str, **kw: str) -> str:
        rc, out = self(*args, **kw)
        assert rc == 0, (args, self.written[-1])
        return out

    def process(self, *args: str) -> int:
        """A real ``python -m lcsp_tui`` process: its own stdio, exit status, umask."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("LCSP_")}
        p = subprocess.run(
            [sys.executable, "-m", "lcsp_tui", "--home", str(self.home), "--today", TODAY,
             *args],
            capture_output=True, env=env, timeout=120,
        )  # fmt: skip
        self.written.append((f"process {args} (stdout)", p.stdout.decode("utf-8", "replace")))
        self.written.append((f"process {args} (stderr)", p.stderr.decode("utf-8", "replace")))
        assert b"Traceback" not in p.stderr
        return p.returncode


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for k in [k for k in os.environ if k.startswith("LCSP_")]:
        monkeypatch.delenv(k)


def unit_with_work(ws: Workstation, role: str) -> tuple[str, list[str]]:
    units = sorted(u.unit_id for u in ws.q.units())
    for u in units:
        rows = ws.q.worklist(role, u, ws.now())
        if rows:
            return u, [r.subject for r in rows]
    raise AssertionError(f"no unit with work for {role} in the small demo")


def test_no_personnummer_leaks_anywhere(
    tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    records = rewritten_records()
    patients = [r for r in records if isinstance(r, Patient)]
    pnrs = [p.personnummer for p in patients]
    export = write_export(records, tmp_path / "export")
    scanner = Scanner(pnrs)
    exported = "".join(p.read_text(encoding="utf-8-sig") for p in export)
    assert {f for f in scanner.hits(exported) if len(f) >= 10} >= set(pnrs)  # scanner works

    s = Scenario(tmp_path / "home", capfdbinary)
    sysf = ("--role", "systemforvaltning")
    # ---------------------------------------------------------------- import and sync
    s.ok(*sysf, "import", *map(str, export), "--dry-run")
    s.ok(*sysf, "import", *map(str, export))
    s.ok(*sysf, "import", *map(str, export))  # again: nothing changes
    s.ok(*sysf, "sync", "--json")
    assert s(*sysf, "demo", "--no-tui")[0] == 2  # the home has data: refused, one line

    # ---------------------------------------------------------------- every role at work
    ws = Workstation(settings_from(home=str(s.home), user="probe", today=TODAY))
    try:
        plan = {r: unit_with_work(ws, r) for r in ROLES if ROLES[r].needs_unit}
        unacked = {u: [m.message_id for m in ws.q.unacknowledged(u)] for u, _ in plan.values()}
        # the care relation: every row of a unit's own list shows its patient's personnummer
        # (this home of the region holds none: the ledger's records say which, issue 15)
        ledger = ws.open_ledger()
        try:
            pnr_of = {pid: p["personnummer"] for pid, p in ledger.patient_records().items()}
        finally:
            ledger.close()
        with closing(sqlite3.connect(s.home / "store.sqlite")) as conn:
            patient_of = dict(conn.execute("SELECT subject, patient_id FROM rm_subject"))
        own = {
            (role, r.subject): pnr_of[patient_of[r.subject]]
            for role, (unit, _subjects) in plan.items()
            for r in ws.q.worklist(role, unit, ws.now())
        }
    finally:
        ws.close()
    for role, (unit, subjects) in plan.items():
        who = ("--role", role, "--unit", unit)
        user = f"user-{role}"
        mine = {own[role, x] for x in subjects}
        assert all(mine), role
        s.allowed[f"lcsp {' '.join(who)} worklist (stdout)"] = mine
        s.ok(*who, "worklist", user=user)
        s.ok(*who, "worklist", "--json", user=user)
        for subject in subjects[:2]:
            s.allowed[f"lcsp {' '.join(who)} checklist {subject} (stdout)"] = {own[role, subject]}
            shown = s.ok(*who, "checklist", subject, user=user)
            pnr = own[role, subject]
            assert f"{pnr[:8]}-{pnr[8:]}" in shown  # the care relation sees whom it works on
            items = json.loads(s.ok(*who, "checklist", subject, "--json", user=user))["items"]
            s.openings[subject] += 2
            todo = [i for i in items if i["applies"] and not i["done"] and not i["waiting"]]
            if todo:
                item = todo[0]["id"]
                s(*who, "tick", subject, item, user=user)  # may be refused (exit 2): fine
                s(*who, "tick", subject, item, "--undo", user=user)
                s(*who, "tick", subject, item, "--note", "klart, ringt avd", user=user)
        for mid in unacked[unit][:1]:
            s.ok(*who, "ack", mid, user=user)
        s.ok(*who, "sync", user=user)

    # ---------------------------------------------------------------- support desk
    sup = ("--role", "support")
    for p in patients:
        for args in ((), ("--json",)):
            s.ok(*sup, "lookup", f"{p.first_name[0]} {p.last_name}", str(p.birth_year), *args)
            s.lookups += 1
    for p in patients[:8]:
        for f in forms(p.personnummer):
            rc, _ = s(*sup, "lookup", f, str(p.birth_year))
            assert rc == 2
            rc, _ = s(*sup, "lookup", f"{p.first_name[0]} {p.last_name}", f)
            assert rc == 2
            s.lookups += 2
    with closing(sqlite3.connect(s.home / "store.sqlite")) as conn:
        mid, unit, first, last, year = conn.execute(
            "SELECT m.message_id, m.recipient_unit, p.first_name, p.last_name, "
            "CAST(coalesce(substr(p.personnummer, 1, 4), p.born) AS TEXT) FROM messages m "
            "JOIN admissions a ON a.admission_id = m.admission_id "
            "JOIN patients p ON p.patient_id = a.patient_id "
            "WHERE m.acknowledged IS NULL AND m.acked_seq IS NULL AND p.protected_identity = 0 "
            "ORDER BY m.message_id LIMIT 1"
        ).fetchone()
    req = json.loads(
        s.ok(*sup, "help-request", "add", unit, f"{first} {last}", year, "kvittera", "--json")
    )
    s.ok(*sup, "help-request", "list")
    s.ok(*sup, "help-request", "work", req["id"], "--note", "ringer enheten")
    s.ok(*sup, "help-request", "ack", req["id"], mid)
    s.ok(*sup, "help-request", "list", "--all", "--json")
    s.ok(*sup, "help-request", "resolve", req["id"])
    s.ok(*sup, "sync")

    # ---------------------------------------------------------------- errors
    p0 = pnrs[0]
    somatik = ("--role", "slutenvard-somatik", "--unit", plan["slutenvard-somatik"][0])
    for args in (
        (p0,),
        (*somatik, "checklist", p0),
        (*somatik, "checklist", f"{p0[2:8]}-{p0[8:]}"),
        (*somatik, "tick", p0, "s2.inskrivningsmeddelande"),
        (*somatik, "tick", plan["slutenvard-somatik"][1][0], "s2.inskrivningsmeddelande",
         "--note", f"pnr {p0}"),
        ("--role", "slutenvard-somatik", "--unit", p0, "worklist"),
        (*sup, "ack", p0),
        (*sup, "lookup", "A", "Larsson", p0),
        (*sup, "help-request", "add", unit, "A Larsson", "1945", f"gäller {p0}"),
        (*sup, "help-request", "add", p0, "A Larsson", "1945", "x"),
        (*sysf, "audit", "--since", p0),
        (*sysf, "audit", "--patient", p0),
    ):  # fmt: skip
        rc, _ = s(*args)
        assert rc in (0, 2), (args, s.written[-1])
    bad = tmp_path / "bad"
    shutil.copytree(tmp_path / "export", bad)
    lines = (bad / "patienter.csv").read_text(encoding="utf-8-sig").splitlines()
    cells = lines[1].split(";")
    cells[5] = "villa"  # boendeform: an error on a row with a valid personnummer
    lines[1] = ";".join(cells)
    valid = lines[2].split(";")[1]
    broken = valid[:-1] + str((int(valid[-1]) + 1) % 10)  # wrong check digit
    lines[2] = lines[2].replace(valid, broken)
    scanner = Scanner([*pnrs, broken])
    (bad / "patienter.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rc, _ = s(*sysf, "import", str(bad / "patienter.csv"))
    assert rc == 65
    assert s.process(p0) == 2
    assert s.process(*sup, "lookup", p0, "1945") == 2
    s.lookups += 1  # refused, and audited as refused

    # ---------------------------------------------------------------- systemforvaltning
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    s.ok(*sysf, "sync")
    for args in (
        ("stats",), ("stats", "--json"), ("stats", "--csv"),
        ("audit",), ("audit", "--json"), ("audit", "--csv"),
        ("audit", "--patient", patients[0].patient_id),
        ("audit", "--user", "user-support", "--since", "2025-10-01"),
        ("audit", "--out", str(out_dir / "audit.csv")),
        ("audit", "--json", "--out", str(out_dir / "audit.json")),
        ("state-hash",),
    ):  # fmt: skip
        s.ok(*sysf, *args)

    # ---------------------------------------------------------------- every lookup and
    # every checklist opening is in the audit trail exactly once
    s.ok(*sysf, "sync")
    trail = json.loads(s.ok(*sysf, "audit", "--json"))
    assert sum(1 for a in trail if a["what"] == "sökning") == s.lookups
    opened = Counter(str(a["subject"]) for a in trail if a["what"] == "checklista öppnad")
    assert opened == s.openings
    assert len({a["seq"] for a in trail}) == len(trail)
    assert max(a["seq"] for a in trail) < 9000  # no sequence number looks like a last four

    # ---------------------------------------------------------------- the scan
    files = [
        p
        for p in (*s.home.rglob("*"), *out_dir.rglob("*"))
        if p.is_file() and not p.name.startswith(("store.sqlite", "ledger.sqlite"))
    ]
    for p in files:
        s.written.append((str(p), p.read_bytes().decode("utf-8", "replace")))
    assert len(s.written) > 400
    leaks = [
        (what, hit)
        for what, text in s.written
        for hit in scanner.hits(text)
        if scanner.owner(hit) not in s.allowed.get(what, set())
    ]
    assert leaks == [], leaks[:10]
    assert len(s.allowed) > 20  # the care roles' outputs were exempted one by one
    # the scan saw real output (lookups, worklists, the audit trail)
    everything = "".join(t for _, t in s.written)
    assert "träff" in everything and "okvitterat" in everything and "sökning" in everything
