"""The ``lcsp`` command-line contract (SPEC §9), end to end.

Commands run in this process through ``lcsp_tui.cli.main`` (fast) and, where the process's
own exit status and stdio matter, as real ``python -m lcsp_tui`` processes. Every refusal
is exit 2 with one line on stderr and changes nothing; no command ever prints a traceback.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from lcsp_tui.cli import main
from lcsp_tui.demo import generate
from lcsp_tui.prator_format import write_export

TODAY = "2025-09-30T09:00"
STEPS = {"1", "2", "3", "4", "5A", "5B", "6", "7"}
WORKLIST_KEYS = {"subject", "kind", "step", "done", "total", "due", "overdue"}
ITEM_KEYS = {
    "id", "step", "label", "done", "applies", "waiting", "prator_action", "note", "by", "at", "value"
}  # fmt: skip
IMPORT_ERROR = re.compile(r"^[^:\s]+\.csv:\d+: [^:]+: .+$")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands read LCSP_* too: none may leak in from the caller's shell."""
    for k in [k for k in os.environ if k.startswith("LCSP_")]:
        monkeypatch.delenv(k)


@dataclass
class Result:
    rc: int
    out: str
    err: str

    def error_line(self, code: int = 2) -> str:
        """The one stderr line of a failed command with exit ``code``."""
        assert self.rc == code, (self.rc, self.out, self.err)
        lines = self.err.strip().splitlines()
        assert len(lines) == 1, self.err
        return lines[0]


class Cli:
    """``lcsp`` in this process, for one home."""

    def __init__(self, capsys: pytest.CaptureFixture[str], home: Path) -> None:
        self.capsys, self.home = capsys, home

    def __call__(self, *args: str, today: str = TODAY) -> Result:
        self.capsys.readouterr()
        try:
            rc = main(["--home", str(self.home), "--today", today, *args])
        except SystemExit as e:  # argparse (--help, usage errors)
            rc = int(e.code or 0)
        out, err = self.capsys.readouterr()
        assert "Traceback" not in err and "Traceback" not in out
        return Result(rc, out, err)

    def ok(self, *args: str, today: str = TODAY) -> str:
        r = self(*args, today=today)
        assert r.rc == 0, (args, r.rc, r.err)
        return r.out

    def json(self, *args: str) -> object:
        return json.loads(self.ok(*args, "--json"))

    def query(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        with closing(sqlite3.connect(self.home / "store.sqlite")) as conn:
            return conn.execute(sql, params).fetchall()

    def ledger_head(self) -> int:
        path = self.home / "ledger.sqlite"
        if not path.exists():
            return -1
        with closing(sqlite3.connect(path)) as conn:
            return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])

    def snapshot(self) -> tuple[str, list[tuple[object, ...]], int]:
        """What must not change when a command is refused."""
        return (
            self.ok("state-hash").strip(),
            self.query("SELECT event_id, kind, payload FROM outbox ORDER BY origin_seq"),
            self.ledger_head(),
        )


def lcsp(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LCSP_")}
    return subprocess.run(
        [sys.executable, "-m", "lcsp_tui", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Cli:
    """A home filled with the small demo region."""
    c = Cli(capsys, tmp_path / "home")
    assert "demoregion 'small'" in c.ok("demo", "--size", "small", "--no-tui")
    return c


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The small demo region as a Prator export (five valid files)."""
    return write_export(generate("small"), tmp_path_factory.mktemp("export"))


MOVING = "a.status = 'pagaende' AND (a.discharge_ready IS NULL OR a.discharge_ready > '2025-09-29')"


def somatic(cli: Cli) -> tuple[tuple[str, ...], list[str]]:
    """(role/unit args, worklist subjects) of the first somatic ward with work."""
    for (ward,) in cli.query(
        f"SELECT DISTINCT a.ward FROM admissions a WHERE a.care_form = 'somatik' AND {MOVING} "
        "ORDER BY a.ward"
    ):
        who = ("--role", "slutenvard-somatik", "--unit", str(ward))
        rows = cli.json(*who, "worklist")
        assert isinstance(rows, list)
        if rows:
            return who, [r["subject"] for r in rows]
    raise AssertionError("no somatic ward with work in the small demo")


def assert_refused(cli: Cli, *args: str, today: str = TODAY, says: str = "") -> str:
    before = cli.snapshot()
    line = cli(*args, today=today).error_line(2)
    assert says in line
    assert cli.snapshot() == before, "a refused command changed something"
    return line


# ------------------------------------------------------------------ help


def test_help_exits_0() -> None:
    for args in (("--help",), ("tick", "--help"), ("sync", "--help")):
        p = lcsp(*args)
        assert p.returncode == 0, p.stderr
        assert p.stdout.startswith("användning: lcsp") and p.stderr == ""


def test_usage_error_is_exit_2_one_line(cli: Cli) -> None:
    line = cli("frobnicate").error_line(2)
    assert "okänt kommando 'frobnicate'" in line and line.endswith("se lcsp --help")
    line = cli("demo", "--size", "enormous").error_line(2)
    assert "--size: okänt val 'enormous' (välj bland small, region, large)" in line
    assert cli("tick").error_line(2) == "lcsp: följande saknas: ID, PUNKT – se lcsp tick --help"


# ------------------------------------------------------------------ JSON shapes


def test_worklist_json_keys(cli: Cli) -> None:
    who, _ = somatic(cli)
    seen_kinds = set()
    for args in (
        who,
        *[
            ("--role", "samordningsansvarig", "--unit", str(u))
            for (u,) in cli.query("SELECT DISTINCT responsible_unit FROM sips LIMIT 3")
        ],
        *[
            ("--role", "kommun-registrering", "--unit", str(u))
            for (u,) in cli.query("SELECT DISTINCT home_health_unit FROM patients LIMIT 3")
            if u
        ],
    ):
        rows = cli.json(*args, "worklist")
        assert isinstance(rows, list)
        for row in rows:
            assert set(row) == WORKLIST_KEYS
            assert isinstance(row["subject"], str) and isinstance(row["step"], str)
            assert row["step"] in STEPS
            assert isinstance(row["done"], int) and isinstance(row["total"], int)
            assert row["due"] is None or isinstance(row["due"], str)
            assert isinstance(row["overdue"], bool)
            seen_kinds.add(row["kind"])
    assert seen_kinds == {"admission", "sip", "patient"}


def test_checklist_json_keys_and_steps(cli: Cli) -> None:
    steps: set[str] = set()
    roles_units = [
        (role, str(unit))
        for role, sql in (
            (
                "slutenvard-somatik",
                "SELECT DISTINCT ward FROM admissions WHERE care_form = 'somatik'",
            ),
            (
                "slutenvard-psykiatri",
                "SELECT DISTINCT ward FROM admissions WHERE care_form = 'psykiatri'",
            ),
            ("primarvard", "SELECT DISTINCT health_centre FROM patients"),
            ("psykiatri-oppenvard", "SELECT DISTINCT psych_outpatient_unit FROM patients"),
            ("bistandshandlaggare", "SELECT DISTINCT assistance_unit FROM patients"),
            ("hsl-sjukskoterska", "SELECT DISTINCT home_health_unit FROM patients"),
            ("kommun-registrering", "SELECT DISTINCT housing_unit FROM patients"),
            ("samordningsansvarig", "SELECT DISTINCT responsible_unit FROM sips"),
        )
        for (unit,) in cli.query(sql)
        if unit
    ]
    for role, unit in roles_units:
        rows = cli.json("--role", role, "--unit", unit, "worklist")
        assert isinstance(rows, list)
        for row in rows[:2]:
            data = cli.json("--role", role, "--unit", unit, "checklist", row["subject"])
            assert isinstance(data, dict)
            assert set(data) == {"subject", "items"}
            assert data["subject"] == row["subject"]
            assert data["items"]
            for item in data["items"]:
                assert set(item) == ITEM_KEYS
                assert isinstance(item["step"], str) and item["step"] in STEPS
                assert isinstance(item["done"], bool) and isinstance(item["applies"], bool)
                assert isinstance(item["prator_action"], bool)
                assert item["waiting"] is None or isinstance(item["waiting"], str)
                steps.add(item["step"])
    assert steps == STEPS  # every step's items appear somewhere, "5A"/"5B" as strings


def test_sync_json_keys(cli: Cli) -> None:
    who, subjects = somatic(cli)
    cli.ok(*who, "tick", subjects[0], "s2.personuppgifter")
    out = cli.json("sync")
    assert isinstance(out, dict)
    assert set(out) == {"pushed", "pulled", "cursor"}
    assert out["pushed"] == 1 and out["pulled"] == 1
    assert out["cursor"] == cli.ledger_head()
    again = cli.json("sync")
    assert again == {"pushed": 0, "pulled": 0, "cursor": out["cursor"]}


# ------------------------------------------------------------------ refusals


def test_prator_action_item_locked_from_read_only_date(cli: Cli) -> None:
    who, subjects = somatic(cli)
    assert len(subjects) >= 2
    line = assert_refused(
        cli, *who, "tick", subjects[1], "s2.extrameddelande", today="2025-10-16", says="Prator"
    )
    assert "läsläge" in line
    # the day before (to the last minute) it is allowed
    cli.ok(*who, "tick", subjects[0], "s2.extrameddelande", today="2025-10-15")
    cli.ok(*who, "tick", subjects[1], "s2.extrameddelande", today="2025-10-15T23:59")
    # and from the read-only date it cannot be undone either
    assert_refused(
        cli, *who, "tick", subjects[0], "s2.extrameddelande", "--undo", today="2025-10-16"
    )
    items = cli.json(*who, "checklist", subjects[0])
    assert isinstance(items, dict)
    assert next(i for i in items["items"] if i["id"] == "s2.extrameddelande")["prator_action"]


def test_closing_with_unacknowledged_messages_names_the_units(cli: Cli) -> None:
    rows = cli.query(
        "SELECT a.admission_id, a.ward, a.care_form, group_concat(m.recipient_unit), "
        "group_concat(m.message_id) FROM admissions a JOIN messages m "
        f"ON m.admission_id = a.admission_id WHERE m.acknowledged IS NULL AND {MOVING} "
        "GROUP BY a.admission_id ORDER BY a.admission_id"
    )
    assert rows, "the small demo has an admission with unacknowledged messages"
    subject, ward, care_form, units, messages = (str(v) for v in rows[0])
    who = ("--role", f"slutenvard-{care_form}", "--unit", ward)
    cli.ok(*who, "tick", subject, "s2.inskrivningsmeddelande")
    cli.ok(*who, "discharge", subject)  # step 6 applies once the patient is discharged
    line = assert_refused(cli, *who, "tick", subject, "s6.avsluta_lcsp", says="okvitterade")
    for unit in set(units.split(",")):
        assert unit in line
    # once every Prator message is acknowledged (support on the units' behalf), only the
    # kvitteringar inside LCSP (steps 3–5) are owed; tests/test_boundaries.py closes it
    for message in messages.split(","):
        cli.ok("--role", "support", "ack", message)
    rc = cli(*who, "tick", subject, "s6.avsluta_lcsp")
    if rc.rc == 2:
        assert "okvitterade" in rc.error_line()


def test_waiting_item_is_refused(cli: Cli) -> None:
    rows = cli.query(
        "SELECT a.admission_id, p.health_centre FROM admissions a JOIN patients p "
        f"ON p.patient_id = a.patient_id WHERE p.health_centre IS NOT NULL AND {MOVING} "
        "ORDER BY a.admission_id"
    )
    subject, unit = (str(v) for v in rows[0])
    who = ("--role", "primarvard", "--unit", unit)
    data = cli.json(*who, "checklist", subject)
    assert isinstance(data, dict)
    item = next(i for i in data["items"] if i["id"] == "s3.fragor")
    assert item["waiting"] == "s2.inskrivningsmeddelande"
    step3 = ("--today", "2025-09-30T13:00")  # step 3 is open: it is the waiting that refuses
    assert_refused(
        cli, *who, *step3, "tick", subject, "s3.fragor", says="s2.inskrivningsmeddelande"
    )


def test_bad_subject_item_role_unit_today(cli: Cli) -> None:
    who, subjects = somatic(cli)
    ward = who[-1]
    subject = subjects[0]
    assert_refused(cli, *who, "tick", "VT-NO-SUCH", "s2.personuppgifter", says="VT-NO-SUCH")
    assert_refused(cli, *who, "checklist", "VT-NO-SUCH", says="VT-NO-SUCH")
    assert_refused(cli, *who, "tick", subject, "s2.no_such_item", says="s2.no_such_item")
    line = assert_refused(cli, *who, "tick", subject, "s3.fragor", says="Primärvården")
    assert "s3.fragor" in line
    # an admission of another ward: the ward's home does not even hold it (issue 15)
    with closing(sqlite3.connect(cli.home / "ledger.sqlite")) as ledger:
        (elsewhere,) = ledger.execute(
            "SELECT json_extract(payload, '$.admission_id') FROM events "
            "WHERE kind = 'admission.upserted' AND json_extract(payload, '$.ward') != ? "
            "ORDER BY 1 LIMIT 1",
            (ward,),
        ).fetchone()
    line = assert_refused(cli, *who, "tick", str(elsewhere), "s2.personuppgifter", says="okänt id")
    assert str(elsewhere) in line
    assert_refused(cli, *who, "checklist", str(elsewhere), says=str(elsewhere))
    for bad in ("2025-13-01", "30/9 2025", "2025-09-30 09:00:00", "igår"):
        assert_refused(cli, *who, "tick", subject, "s2.personuppgifter", today=bad, says="--today")
    assert_refused(
        cli, "--role", "chef", "--unit", ward, "tick", subject, "s2.personuppgifter", says="chef"
    )
    assert_refused(cli, "--role", "chef", "worklist", says="chef")
    assert_refused(cli, "--role", "primarvard", "--unit", "NO-SUCH-UNIT", "worklist")
    assert_refused(cli, "tick", subject, "s2.personuppgifter", says="role")  # no role at all


def test_audit_is_for_systemforvaltning(cli: Cli) -> None:
    who, _ = somatic(cli)
    for args in ((), who, ("--role", "support")):
        assert_refused(cli, *args, "audit", says="systemforvaltning")
    rows = cli.json("--role", "systemforvaltning", "audit")
    assert isinstance(rows, list) and rows


def test_refusal_in_a_real_process(cli: Cli) -> None:
    """The process's own exit status and stderr: 2 and one line, without a traceback."""
    who, subjects = somatic(cli)
    p = lcsp(
        "--home", str(cli.home), "--today", "2025-10-16", *who,
        "tick", subjects[0], "s2.extrameddelande",
    )  # fmt: skip
    assert p.returncode == 2
    assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr
    assert p.stdout == ""


# ------------------------------------------------------------------ import


def test_import_dry_run_then_import_then_nothing_to_import(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, export: list[Path]
) -> None:
    cli = Cli(capsys, tmp_path / "home")
    files = [str(p) for p in export]
    cli.ok("sync")  # a home with its (empty) ledger
    before = cli.snapshot()
    sysf = ("--role", "systemforvaltning")  # only systemförvaltning imports
    out = cli.ok(*sysf, "import", *files, "--dry-run")
    for p in export:
        assert re.search(rf"^{re.escape(p.name)}\s+\d+\s+0\s+0$", out, re.M), out
    assert out.startswith("Fil ") and "provkörning" in out and "inget har skrivits" in out
    assert cli.snapshot() == before

    out = cli.ok(*sysf, "import", *files)
    assert "importerade" in out
    after = cli.snapshot()
    assert after[2] > before[2]  # the ledger grew
    assert after[0] != before[0]

    out = cli.ok(*sysf, "import", *files)
    assert "inget att importera" in out
    assert cli.snapshot() == after
    out = cli.ok(*sysf, "import", *files, "--dry-run")
    assert "0 poster skulle läggas till eller ändras" in out


def test_broken_import_is_exit_65_and_changes_nothing(cli: Cli, export: list[Path]) -> None:
    broken = cli.home.parent / "broken"
    broken.mkdir()
    paths = []
    for p in export:
        text = p.read_text(encoding="utf-8-sig").splitlines()
        if p.name == "enheter.csv":
            cells = text[2].split(";")
            cells[2] = "rymdstation"  # typ
            text[2] = ";".join(cells)
        if p.name == "vardtillfallen.csv":
            cells = text[1].split(";")
            cells[4] = "2025-13-45"  # inskriven
            text[1] = ";".join(cells)
        q = broken / p.name
        q.write_text("\r\n".join(text) + "\r\n", encoding="utf-8-sig")
        paths.append(str(q))
    before = cli.snapshot()
    r = cli("--role", "systemforvaltning", "import", *paths)
    assert r.rc == 65, (r.out, r.err)
    lines = r.err.strip().splitlines()
    assert len(lines) >= 2
    for line in lines:
        assert IMPORT_ERROR.match(line), line
    assert any(line.startswith("enheter.csv:3: typ: ") for line in lines), lines
    assert any(line.startswith("vardtillfallen.csv:2: inskriven: ") for line in lines), lines
    assert cli.snapshot() == before
    # the same through a real process
    p = lcsp("--home", str(cli.home), "--role", "systemforvaltning", "import", *paths)
    assert p.returncode == 65 and "Traceback" not in p.stderr
    assert p.stderr.strip().splitlines() == lines
    assert cli.snapshot() == before


# ------------------------------------------------------------------ environments


def test_demo_refuses_a_production_home(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    cli = Cli(capsys, tmp_path / "prod")
    empty = cli.ok("--env", "produktion", "state-hash").strip()
    line = cli("--env", "produktion", "demo", "--size", "small", "--no-tui").error_line(2)
    assert "produ" in line
    # a home that is a production home refuses even without --env
    line = cli("demo", "--size", "small", "--no-tui").error_line(2)
    assert "produ" in line
    assert cli.ok("state-hash").strip() == empty
    assert cli.ledger_head() <= 0  # no records went anywhere
    p = lcsp("--home", str(cli.home), "demo", "--size", "small", "--no-tui")
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1


def test_home_keeps_its_environment(cli: Cli) -> None:
    line = cli("--env", "produktion", "state-hash").error_line(2)
    assert "utbildning" in line
    cli("--env", "prod", "state-hash").error_line(2)
