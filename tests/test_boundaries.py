"""Each rule of SPEC §5 at its boundary, where users see it: the worklist, the checklist,
the statistics and the lookup, through the command line on the ``small`` demo (which holds a
record at each boundary: VT000001 ready 29 Sep, VT000002 ready 30 Sep, VT000005 ready
before the cut-off in one export and after it in a later one).

A rule changed in one place — the cut-off's ``<=``, the ward keeping an admission until it
is closed, the waiting of steps 3–5B, the due and read-only instants — fails here.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from lcsp_tui.cli import main
from tests.snapshot_app import build_demo_home

WARD = ("--role", "slutenvard-somatik", "--unit", "SUS-AVD11")
ADMIN = ("--role", "systemforvaltning")
SUPPORT = ("--role", "support")
MORNING = "2025-09-30T10:00"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for k in [k for k in os.environ if k.startswith("LCSP_")]:
        monkeypatch.delenv(k)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_home(tmp_path_factory.mktemp("boundaries") / "home")


@pytest.fixture
def home(template: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(template, tmp_path / "home"))


class Run:
    def __init__(self, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.home, self.capsys = home, capsys

    def __call__(self, *args: str, today: str = MORNING) -> tuple[int, str, str]:
        self.capsys.readouterr()
        rc = main(["--home", str(self.home), "--user", "test", "--today", today, *args])
        out, err = self.capsys.readouterr()
        assert "Traceback" not in err
        return rc, out, err

    def json(self, *args: str, today: str = MORNING) -> object:
        rc, out, err = self(*args, "--json", today=today)
        assert rc == 0, err
        return json.loads(out)

    def ok(self, *args: str, today: str = MORNING) -> str:
        rc, out, err = self(*args, today=today)
        assert rc == 0, (args, err)
        return out

    def refused(self, *args: str, says: str, today: str = MORNING) -> None:
        rc, _out, err = self(*args, today=today)
        assert rc == 2 and says in err and len(err.strip().splitlines()) == 1, (rc, err)

    def worklist(self, *who: str, today: str = MORNING) -> dict[str, dict[str, object]]:
        rows = self.json(*who, "worklist", today=today)
        return {str(r["subject"]): r for r in rows}  # type: ignore[union-attr]

    def lookup_words(self, admission: str) -> str:
        """The support desk's words for an admission, found as the desk finds it."""
        for name, year in self.names():
            for m in self.json(*SUPPORT, "lookup", name, year)["matches"]:  # type: ignore[index]
                for a in m["admissions"]:
                    if a["id"] == admission:
                        return str(a["cutover"])
        raise AssertionError(f"{admission} not found by any lookup")

    def names(self) -> list[tuple[str, str]]:
        import sqlite3

        conn = sqlite3.connect(self.home / "store.sqlite")
        try:
            return [
                (f"{f[:1]} {last}", pnr[:4])
                for f, last, pnr in conn.execute(
                    "SELECT first_name, last_name, personnummer FROM patients p "
                    "JOIN admissions a ON a.patient_id = p.patient_id "
                    "WHERE p.protected_identity = 0"
                )
            ]
        finally:
            conn.close()


@pytest.fixture
def run(home: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    return Run(home, capsys)


def step_total(run: Run, step: str, today: str = MORNING) -> int:
    stats = run.json(*ADMIN, "stats", today=today)
    return int(stats["progress"]["by_step"][step]["total"])  # type: ignore[index]


# ------------------------------------------------------------------ utskrivningsklar cut-off


def test_ready_on_29_september_stays_in_prator_and_30_september_moves(run: Run) -> None:
    rows = run.worklist(*WARD)
    assert "VT000001" not in rows  # ready 29 Sep: finished in Prator, no checklist
    assert "VT000002" in rows  # ready 30 Sep: moves
    run.refused(*WARD, "checklist", "VT000001", says="not on the worklist")
    assert run.lookup_words("VT000001").startswith("stannar i Prator")
    assert run.lookup_words("VT000002") == "ej startad i LCSP"
    # The statistics count the one that moves, not the one that stays: ticking step 2 of
    # VT000002 moves the region's step-2 figure, VT000001 cannot be ticked at all.
    before = run.json(*ADMIN, "stats")["progress"]["by_step"]["2"]  # type: ignore[index]
    run.ok(*WARD, "tick", "VT000002", "s2.personuppgifter")
    after = run.json(*ADMIN, "stats")["progress"]["by_step"]["2"]  # type: ignore[index]
    assert after["done"] == before["done"] + 1 and after["total"] == before["total"]
    run.refused(*WARD, "tick", "VT000001", "s2.personuppgifter", says="not on the worklist")


def test_a_date_moved_past_the_cut_off_is_flagged_everywhere(run: Run) -> None:
    rows = run.worklist(*WARD)
    assert "VT000005" in rows  # its later export moved it past the cut-off
    out = run.ok(*WARD, "worklist")
    line = next(x for x in out.splitlines() if x.startswith("VT000005"))
    assert "FLYTTA-TILL-LCSP" in line
    stats = run.json(*ADMIN, "stats")
    assert stats["flagged_admissions"]["total"] == 1  # type: ignore[index]
    assert run.lookup_words("VT000005").startswith("måste flyttas till LCSP")
    run.ok(*WARD, "tick", "VT000005", "s2.inskrivningsmeddelande")
    stats = run.json(*ADMIN, "stats")
    assert stats["flagged_admissions"]["not_started"] == 0  # type: ignore[index]
    assert run.lookup_words("VT000005") == "startad i LCSP"


# ------------------------------------------------------------------ the ward keeps it until closed


def test_the_ward_keeps_an_admission_until_it_is_closed_and_acknowledged(run: Run) -> None:
    ward_items = [i["id"] for i in run.json(*WARD, "checklist", "VT000002")["items"]]  # type: ignore[index]
    later = "2025-10-05T09:00"  # every step open, Prator not yet read-only
    for item in ward_items:
        if item.startswith("s6."):
            continue
        run.ok(*WARD, "tick", "VT000002", item, today=later)
    assert "VT000002" in run.worklist(*WARD, today=later)  # not closed yet
    run.ok(*WARD, "tick", "VT000002", "s6.avsluta_prator", today=later)
    assert "VT000002" in run.worklist(*WARD, today=later)  # closed in Prator only
    unacked = [m for m in _messages(run) if m[1] == "VT000002" and m[3] is None]
    if unacked:
        run.refused(*WARD, "tick", "VT000002", "s6.avsluta_lcsp", says="okvitterade", today=later)
        for message_id, *_rest in unacked:
            run.ok("--role", "support", "ack", message_id, today=later)
    run.ok(*WARD, "tick", "VT000002", "s6.avsluta_lcsp", today=later)
    assert "VT000002" not in run.worklist(*WARD, today=later)  # it leaves by itself
    assert run.lookup_words("VT000002") == "avslutad i Prator och LCSP"


def _messages(run: Run) -> list[tuple[str, str, str, object]]:
    import sqlite3

    conn = sqlite3.connect(run.home / "store.sqlite")
    try:
        return conn.execute(
            "SELECT message_id, admission_id, recipient_unit, acknowledged FROM messages"
        ).fetchall()
    finally:
        conn.close()


# ------------------------------------------------------------------ waiting of steps 3–5B


@pytest.mark.parametrize(
    ("role", "item"),
    [
        ("primarvard", "s3.fragor"),
        ("psykiatri-oppenvard", "s4.fragor"),
        ("bistandshandlaggare", "s5a.fragor"),
        ("hsl-sjukskoterska", "s5b.fragor_sjukskoterska"),
    ],
)
def test_steps_3_to_5b_wait_for_the_inskrivningsmeddelande(run: Run, role: str, item: str) -> None:
    later = "2025-10-01T09:00"
    found = None
    units = [u["unit_id"] for u in _units(run)]
    for unit in units:
        who = ("--role", role, "--unit", unit)
        rc, out, _err = run(*who, "worklist", "--json", today=later)
        if rc == 0 and json.loads(out):
            found = (who, json.loads(out)[0]["subject"])
            break
    assert found, f"the small demo has work for {role}"
    who, subject = found
    items = {i["id"]: i for i in run.json(*who, "checklist", subject, today=later)["items"]}  # type: ignore[index]
    assert items[item]["waiting"] == "s2.inskrivningsmeddelande"
    out = run.ok(*who, "worklist", today=later)
    assert "VÄNTAR" in next(x for x in out.splitlines() if x.startswith(subject))
    run.refused(*who, "tick", subject, item, says="väntar", today=later)
    ward = _ward_of(run, subject)
    run.ok(*ward, "tick", subject, "s2.inskrivningsmeddelande", today=later)
    items = {i["id"]: i for i in run.json(*who, "checklist", subject, today=later)["items"]}  # type: ignore[index]
    assert items[item]["waiting"] is None
    run.ok(*who, "tick", subject, item, today=later)


def _units(run: Run) -> list[dict[str, str]]:
    import sqlite3

    conn = sqlite3.connect(run.home / "store.sqlite")
    try:
        return [{"unit_id": u} for (u,) in conn.execute("SELECT unit_id FROM units ORDER BY 1")]
    finally:
        conn.close()


def _ward_of(run: Run, admission: str) -> tuple[str, ...]:
    import sqlite3

    conn = sqlite3.connect(run.home / "store.sqlite")
    try:
        ward, form = conn.execute(
            "SELECT ward, care_form FROM admissions WHERE admission_id = ?", (admission,)
        ).fetchone()
    finally:
        conn.close()
    return ("--role", f"slutenvard-{form}", "--unit", ward)


# ------------------------------------------------------------------ due and read-only instants


def test_step_2_is_overdue_from_noon(run: Run) -> None:
    assert run.worklist(*WARD, today="2025-09-30T11:59")["VT000002"]["overdue"] is False
    assert run.worklist(*WARD, today="2025-09-30T12:00")["VT000002"]["overdue"] is True
    figures = run.json(*ADMIN, "stats", today="2025-09-30T11:59")["progress"]["by_step"]["2"]  # type: ignore[index]
    assert figures["overdue"] == 0
    figures = run.json(*ADMIN, "stats", today="2025-09-30T12:00")["progress"]["by_step"]["2"]  # type: ignore[index]
    assert figures["overdue"] == figures["open"] > 0


def test_prator_actions_lock_when_prator_becomes_read_only(run: Run) -> None:
    run.ok(*WARD, "tick", "VT000002", "s2.inskrivningsmeddelande", today="2025-10-15T23:59")
    run.refused(
        *WARD, "tick", "VT000002", "s2.extrameddelande", says="läsläge", today="2025-10-16T00:00"
    )
    run.ok(*WARD, "tick", "VT000002", "s2.extrameddelande", today="2025-10-15T23:59")
    missed = run.json(*ADMIN, "stats", today="2025-10-16T00:00")["missed_prator_actions"]  # type: ignore[index]
    before = run.json(*ADMIN, "stats", today="2025-10-15T23:59")["missed_prator_actions"]  # type: ignore[index]
    assert before["total"] == 0 < missed["total"]
