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
from pathlib import Path

import pytest

from lcsp_tui.cli import main
from tests.snapshot_app import build_demo_home, copy_home

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
    return copy_home(template, tmp_path / "home")


class Run:
    def __init__(self, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.home, self.capsys = home, capsys

    def __call__(self, *args: str, today: str = MORNING) -> tuple[int, str, str]:
        self.capsys.readouterr()
        try:
            rc = main(["--home", str(self.home), "--user", "test", "--today", today, *args])
        except SystemExit as e:  # argparse: bad usage
            rc = int(e.code or 0)
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
                (f"{f[:1]} {last}", str(year))
                for f, last, year in conn.execute(
                    "SELECT first_name, last_name, coalesce(substr(personnummer, 1, 4), born) "
                    "FROM patients p "
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
    run.refused(*WARD, "checklist", "VT000001", says="finns inte på arbetslistan")
    assert run.lookup_words("VT000001").startswith("stannar i Prator")
    assert run.lookup_words("VT000002") == "ej startad i LCSP"
    # The statistics count the one that moves, not the one that stays: ticking step 2 of
    # VT000002 moves the region's step-2 figure, VT000001 cannot be ticked at all.
    before = run.json(*ADMIN, "stats")["progress"]["by_step"]["2"]  # type: ignore[index]
    run.ok(*WARD, "tick", "VT000002", "s2.personuppgifter")
    after = run.json(*ADMIN, "stats")["progress"]["by_step"]["2"]  # type: ignore[index]
    assert after["done"] == before["done"] + 1 and after["total"] == before["total"]
    run.refused(*WARD, "tick", "VT000001", "s2.personuppgifter", says="finns inte på arbetslistan")


def test_a_date_moved_past_the_cut_off_is_flagged_everywhere(run: Run) -> None:
    rows = run.worklist(*WARD)
    assert "VT000005" in rows  # its later export moved it past the cut-off
    out = run.ok(*WARD, "worklist")
    line = next(x for x in out.splitlines() if x.startswith("VT000005"))
    assert "KAN BEHÖVA FLYTTAS" in line
    stats = run.json(*ADMIN, "stats")
    assert stats["flagged_admissions"]["total"] == 1  # type: ignore[index]
    assert run.lookup_words("VT000005").startswith("kan behöva flyttas till Lifecare SP")
    run.ok(*WARD, "tick", "VT000005", "s2.inskrivningsmeddelande")
    stats = run.json(*ADMIN, "stats")
    assert stats["flagged_admissions"]["not_started"] == 0  # type: ignore[index]
    assert run.lookup_words("VT000005") == "startad i LCSP"


# ------------------------------------------------------------------ the ward keeps it until closed


def test_the_ward_keeps_an_admission_until_it_is_closed_and_acknowledged(run: Run) -> None:
    later = "2025-10-05T09:00"  # every step open, Prator not yet read-only
    run.refused(*WARD, "tick", "VT000002", "s6.avsluta_prator", says="utskriven", today=later)
    for item in ("s2.personuppgifter", "s2.inskrivningsmeddelande", "s2.planeringsunderlag"):
        run.ok(*WARD, "tick", "VT000002", item, today=later)
    run.ok(*WARD, "discharge", "VT000002", today=later)  # step 6 applies from now
    items = {i["id"]: i for i in run.json(*WARD, "checklist", "VT000002", today=later)["items"]}  # type: ignore[index]
    assert all(items[i]["applies"] for i in items if i.startswith("s6."))
    # Sending is never gated; closing waits for every kvittering, in Prator and in LCSP.
    run.ok(*WARD, "tick", "VT000002", "s6.utskrivningsmeddelande_prator", today=later)
    run.ok(*WARD, "tick", "VT000002", "s6.utskrivningsmeddelande_lcsp", today=later)
    run.refused(*WARD, "tick", "VT000002", "s6.avsluta_prator", says="okvitterade", today=later)
    for message_id, admission, _unit, acked in _messages(run):
        if admission == "VT000002" and acked is None:
            run.ok(*SUPPORT, "ack", message_id, today=later)
    for who, item in _kvitteringar(run, "VT000002", later):
        run.ok(*who, "tick", "VT000002", item, today=later)
    for item in ("s6.avsluta_prator", "s6.avsluta_lcsp"):
        assert "VT000002" in run.worklist(*WARD, today=later)  # not closed yet
        run.ok(*WARD, "tick", "VT000002", item, today=later)
    # closed, everything acknowledged: it leaves every list by itself
    assert "VT000002" not in run.worklist(*WARD, today=later)
    assert run.lookup_words("VT000002") == "avslutad i Prator och LCSP"
    stats = run.json(*ADMIN, "stats", today=later)
    assert "6" not in stats["progress"]["by_step"]  # type: ignore[index]  # nothing counts


def _kvitteringar(run: Run, admission: str, today: str) -> list[tuple[tuple[str, ...], str]]:
    """(who, item) of the LCSP kvittering items of steps 3–5 still owed on the admission."""
    out = []
    for role, item in (
        ("primarvard", "s3.kvittera_inskrivning"),
        ("psykiatri-oppenvard", "s4.kvittera_inskrivning"),
        ("bistandshandlaggare", "s5a.kvittera_inskrivning"),
        ("hsl-sjukskoterska", "s5b.kvittera_inskrivning"),
    ):
        for unit in [u["unit_id"] for u in _units(run)]:
            who = ("--role", role, "--unit", unit)
            rc, out_, _err = run(*who, "worklist", "--json", today=today)
            if rc == 0 and any(r["subject"] == admission for r in json.loads(out_)):
                out.append((who, item))
    return out


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


def test_step_2_has_a_target_and_step_5_a_deadline(run: Run) -> None:
    """The seed gives step 2 no end: 12:00 is a target ("mål"), never overdue. Step 5 is
    1 October: overdue from its end — unless the item waits for another role."""
    row = run.worklist(*WARD, today="2025-09-30T12:00")["VT000002"]
    assert row["overdue"] is False and row["due"] == "2025-09-30T12:00"
    line = next(x for x in run.ok(*WARD, "worklist").splitlines() if x.startswith("VT000002"))
    assert "mål" in line
    figures = run.json(*ADMIN, "stats", today="2025-09-30T12:00")["progress"]["by_step"]["2"]  # type: ignore[index]
    assert figures["overdue"] == 0 < figures["open"]
    who, subject = _first_row(run, "bistandshandlaggare", "2025-10-02T00:00")
    assert run.worklist(*who, today="2025-10-02T00:00")[subject]["overdue"] is False  # waits
    run.ok(
        *_ward_of(run, subject),
        "tick",
        subject,
        "s2.inskrivningsmeddelande",
        today="2025-10-01T09:00",
    )
    assert run.worklist(*who, today="2025-10-01T23:59")[subject]["overdue"] is False
    assert run.worklist(*who, today="2025-10-02T00:00")[subject]["overdue"] is True


def _first_row(run: Run, role: str, today: str) -> tuple[tuple[str, ...], str]:
    for unit in [u["unit_id"] for u in _units(run)]:
        who = ("--role", role, "--unit", unit)
        rc, out, _err = run(*who, "worklist", "--json", today=today)
        if rc == 0 and json.loads(out):
            return who, str(json.loads(out)[0]["subject"])
    raise AssertionError(f"the small demo has work for {role}")


def test_no_tick_before_a_step_opens(run: Run) -> None:
    run.refused(
        *WARD, "tick", "VT000002", "s2.personuppgifter", says="Steg 2 öppnar tis 30/9 08:00",
        today="2025-09-30T07:59",
    )  # fmt: skip
    line = next(
        x for x in run.ok(*WARD, "worklist", today="2025-09-30T07:00").splitlines()
        if x.startswith("VT000002")
    )  # fmt: skip
    assert "öppnar tis 30/9 08:00" in line
    run.ok(*WARD, "tick", "VT000002", "s2.personuppgifter", today="2025-09-30T08:00")


def test_no_kvittering_after_prator_becomes_read_only(run: Run) -> None:
    unacked = [m for m in _messages(run) if m[3] is None]
    message_id, _adm, unit, _ = unacked[0]
    run.refused(*SUPPORT, "ack", message_id, says="läsläge", today="2025-10-16T00:00")
    stats = run.json(*ADMIN, "stats", today="2025-10-16T00:00")
    row = next(r for r in stats["unacknowledged_by_unit"] if r["unit"] == unit)  # type: ignore[index]
    assert row["missed"] is True  # escalated as missed on the dashboard
    run.ok(*SUPPORT, "ack", message_id, today="2025-10-15T23:59")


def test_prator_actions_lock_when_prator_becomes_read_only(run: Run) -> None:
    run.ok(*WARD, "tick", "VT000002", "s2.inskrivningsmeddelande", today="2025-10-15T23:59")
    run.refused(
        *WARD, "tick", "VT000002", "s2.extrameddelande", says="läsläge", today="2025-10-16T00:00"
    )
    run.ok(*WARD, "tick", "VT000002", "s2.extrameddelande", today="2025-10-15T23:59")
    missed = run.json(*ADMIN, "stats", today="2025-10-16T00:00")["missed_prator_actions"]  # type: ignore[index]
    before = run.json(*ADMIN, "stats", today="2025-10-15T23:59")["missed_prator_actions"]  # type: ignore[index]
    assert before["total"] == 0 < missed["total"]


# ------------------------------------------------------------------ the seed's process (issue 11)

PSY_WARD = ("--role", "slutenvard-psykiatri", "--unit", "SUS-PSY51")
STEP3 = "2025-09-30T13:00"


def test_a_psychiatric_admission_is_routed_in_step_2(run: Run) -> None:
    """VT000006: psychiatric, listed at HC-NACKSTA, no öppenvårdsenhet in Prator."""
    hc = ("--role", "primarvard", "--unit", "HC-NACKSTA")
    psy = ("--role", "psykiatri-oppenvard", "--unit", "PSYK-SVL")
    assert "VT000006" not in run.worklist(*hc, today=STEP3)  # not included (yet)
    assert "VT000006" not in run.worklist(*psy, today=STEP3)  # no unit in Prator
    run.refused(*PSY_WARD, "tick", "VT000006", "s2.halsocentral", "--value", "SUS-AVD11",
                says="ingen hälsocentral")  # fmt: skip
    run.refused(*PSY_WARD, "tick", "VT000006", "s2.personuppgifter", "--value", "HC-NACKSTA",
                says="--value gäller inte")  # fmt: skip
    run.refused(*PSY_WARD, "tick", "VT000006", "s2.psykiatrisk_oppenvardsenhet",
                says="ange den med --value")  # fmt: skip
    run.ok(*PSY_WARD, "tick", "VT000006", "s2.halsocentral")  # the listed one
    run.ok(*PSY_WARD, "tick", "VT000006", "s2.psykiatrisk_oppenvardsenhet", "--value", "PSYK-SVL")
    items = {i["id"]: i for i in run.json(*PSY_WARD, "checklist", "VT000006")["items"]}  # type: ignore[index]
    assert items["s2.halsocentral"]["value"] == "HC-NACKSTA"
    assert items["s2.psykiatrisk_oppenvardsenhet"]["value"] == "PSYK-SVL"
    assert "VT000006" in run.worklist(*hc, today=STEP3)
    assert "VT000006" in run.worklist(*psy, today=STEP3)  # step 4 reached through step 2
    # another hälsocentral given instead: the admission moves there
    run.ok(*PSY_WARD, "tick", "VT000006", "s2.halsocentral", "--value", "HC-SKONSBERG")
    assert "VT000006" not in run.worklist(*hc, today=STEP3)
    assert "VT000006" in run.worklist("--role", "primarvard", "--unit", "HC-SKONSBERG", today=STEP3)


SIP_DAY = "2025-10-03T09:00"


def sip_items(run: Run, unit: str, sip: str) -> dict[str, dict[str, object]]:
    who = ("--role", "samordningsansvarig", "--unit", unit)
    return {i["id"]: i for i in run.json(*who, "checklist", sip, today=SIP_DAY)["items"]}  # type: ignore[index]


def test_step_7_branch_follows_lcsp_not_prator(run: Run) -> None:
    # SIP000012's patient has an admission ready 29 Sep: it stays in Prator
    stays = sip_items(run, "HC-SKONSBERG", "SIP000012")
    assert stays["s7.skapa_sip_utanfor"]["applies"] and not stays["s7.erbjud_sip"]["applies"]
    # SIP000011's patient has an admission that moves to LCSP
    moves = sip_items(run, "HAR-BIST-01", "SIP000011")
    assert moves["s7.erbjud_sip"]["applies"] and not moves["s7.skapa_sip_utanfor"]["applies"]
    # once the ward records the discharge, it is "Skapa SIP utanför vårdtillfälle"
    run.ok(*WARD, "tick", "VT000002", "s2.inskrivningsmeddelande", today=SIP_DAY)
    run.ok("--role", "slutenvard-somatik", "--unit", "SUS-AVD11", "discharge", "VT000002")
    after = sip_items(run, "HAR-BIST-01", "SIP000011")
    assert after["s7.skapa_sip_utanfor"]["applies"] and not after["s7.erbjud_sip"]["applies"]


def test_sip_decisions_from_the_command_line(run: Run) -> None:
    who = ("--role", "samordningsansvarig", "--unit", "HC-SKONSBERG")

    def undecided() -> int:
        stats = run.json(*ADMIN, "stats", today=SIP_DAY)
        return int(stats["sip_decisions"]["by_municipality"]["total"]["undecided"])  # type: ignore[index]

    before = undecided()
    run.ok(*who, "decide", "SIP000012", "ej-aktuell", today=SIP_DAY)
    items = sip_items(run, "HC-SKONSBERG", "SIP000012")
    assert [i for i, v in items.items() if v["applies"]] == ["s7.avsluta_ej_aktuell"]
    assert undecided() == before - 1
    run.ok(*who, "decide", "SIP000012", "aktuell", today=SIP_DAY)
    assert not sip_items(run, "HC-SKONSBERG", "SIP000012")["s7.avsluta_ej_aktuell"]["applies"]
    rc, _out, err = run(*who, "decide", "SIP000012", "kanske", today=SIP_DAY)
    assert rc == 2 and len(err.strip().splitlines()) == 1
    # ticking a start item makes the SIP current without a decision
    run.ok(*who, "tick", "SIP000006", "s7.skapa_sip_utanfor", today=SIP_DAY)
    assert undecided() == before - 2


def test_closing_a_non_current_sip_is_preparation(run: Run) -> None:
    """ "Förberedelser – fortsätt städa i Prator": open from the start of the plan, due before
    Prator's read-only day — not in the 2–10 Oct window."""
    who = ("--role", "samordningsansvarig", "--unit", "HC-SKONSBERG")
    run.ok(*who, "decide", "SIP000012", "ej-aktuell", today="2025-09-01T09:00")
    run.ok(*who, "tick", "SIP000012", "s7.avsluta_ej_aktuell", today="2025-09-01T09:00")
    run.ok(*who, "decide", "SIP000003", "ej-aktuell", today="2025-09-01T09:00")
    row = run.worklist(*who, today="2025-10-12T09:00")["SIP000003"]
    assert row["due"] == "2025-10-16T00:00" and row["overdue"] is False


def test_a_sip_held_by_any_unit_type_is_on_its_list(run: Run) -> None:
    who = ("--role", "samordningsansvarig", "--unit", "SUS-AVD31")  # a slutenvård ward
    assert {"SIP000002", "SIP000004"} <= set(run.worklist(*who, today=SIP_DAY))
