"""The demo's work under way (``lcsp_tui.demo.activity``) as a coordinator sees it at the
rehearsal moment: step 1 mostly done over May–September on workdays, old Prator messages
mostly acknowledged, stale SIPs decided — every action one the rules accept at its own
moment, by fictitious staff, the same for the same seed, with a burndown that burns."""

from __future__ import annotations

import datetime as dt
import random
import re
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from lcsp_tui.cli import main as cli_main
from lcsp_tui.config import parse_today, settings_from
from lcsp_tui.demo import generate
from lcsp_tui.demo.activity import activity
from lcsp_tui.demo.common import EXPORTED_AT
from lcsp_tui.demo.home import DEMO_TODAY
from lcsp_tui.demo.names import _FEMALE, _MALE, _SURNAME_POOL
from lcsp_tui.demo.staff import login
from lcsp_tui.demo.workdays import HOLIDAYS
from lcsp_tui.domain import models as m
from lcsp_tui.domain.models import SipDecision
from lcsp_tui.domain.regiondata import load_region
from lcsp_tui.importer import diff_events
from lcsp_tui.stats import collect
from lcsp_tui.workstation import Workstation
from tests.snapshot_app import clean_env

REGION = load_region()
REHEARSAL = parse_today(DEMO_TODAY)
STEP1_OPENS = dt.datetime(2025, 5, 6)
USER = "demo.anvandare"


def _demo(home: Path, *options: str) -> Path:
    with clean_env():
        code = cli_main(["--home", str(home), "--user", USER, *options, "demo", "--no-tui"])
    assert code == 0
    return home


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``lcsp demo`` (the region, seed 1), at its rehearsal moment."""
    return _demo(tmp_path_factory.mktemp("activity") / "home")


@pytest.fixture
def db(home: Path) -> Iterator[sqlite3.Connection]:
    with closing(sqlite3.connect(f"file:{home / 'store.sqlite'}?mode=ro", uri=True)) as c:
        yield c


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _ticks(db: sqlite3.Connection) -> list[tuple[str, str, str, str, str, dt.datetime]]:
    """Every done item: (subject, item, actor, role, unit, when it was ticked)."""
    return [
        (*r[:5], _at(r[5]))
        for r in db.execute(
            "SELECT i.subject, i.item, i.actor, i.role, i.unit, a.recorded_at FROM items i "
            "JOIN audit a ON a.seq = i.seq WHERE i.done = 1"
        )
    ]


# ------------------------------------------------------------------ step 1


def test_step1_mostly_done_by_the_rehearsal(home: Path) -> None:
    ws = _workstation(home)
    try:
        stats = collect(ws.q, REGION, ws.now(), burndown=False)
    finally:
        ws.close()
    step1 = stats.progress.by_step["1"]
    assert step1.total > 10_000
    assert step1.done >= 0.8 * step1.total
    # ... and what is left is late: step 1 was due by the end of 29 September
    assert step1.overdue == step1.open > 0


def test_step1_done_on_workdays_in_office_hours_from_may(db: sqlite3.Connection) -> None:
    step1 = [t for t in _ticks(db) if t[1].startswith("s1.")]
    assert len(step1) > 10_000
    for _s, _i, _who, _role, _unit, when in step1:
        assert STEP1_OPENS <= when < REHEARSAL
        assert when.weekday() < 5 and when.date() not in HOLIDAYS, when
        assert dt.time(7, 30) <= when.time() < dt.time(17, 30), when
    # A slow start, the summer holidays, a rush before the deadline.
    month = Counter(t[5].month for t in step1)
    assert month[5] < month[6] and month[7] < month[6] and month[7] < month[8]
    assert max(month, key=lambda k: month[k]) == 9 and month[9] > 0.35 * len(step1)
    weeks = Counter(t[5].isocalendar().week for t in step1 if t[5].month == 9)
    assert weeks[39] + weeks[40] > weeks[36]  # the last week is the busiest


def test_a_registration_is_one_sitting_by_one_registrar(db: sqlite3.Connection) -> None:
    by_patient: dict[str, list[tuple[str, dt.datetime]]] = {}
    for subject, item, who, _role, _unit, when in _ticks(db):
        if item.startswith("s1."):
            by_patient.setdefault(subject, []).append((who, when))
    for ticks in by_patient.values():
        assert len({who for who, _ in ticks}) == 1
        times = sorted(when for _, when in ticks)
        assert times[-1] - times[0] < dt.timedelta(minutes=30)


# ------------------------------------------------------------------ kvitteringar


def test_old_messages_mostly_acknowledged_recent_ones_less(db: sqlite3.Connection) -> None:
    rows = [
        (_at(sent), acknowledged is not None or acked is not None)
        for sent, acknowledged, acked in db.execute(
            "SELECT sent, acknowledged, acked_seq FROM messages"
        )
    ]
    old = [acked for sent, acked in rows if sent < dt.datetime(2025, 9, 1)]
    recent = [acked for sent, acked in rows if sent >= REHEARSAL - dt.timedelta(days=2)]
    assert len(old) > 100 and len(recent) > 50
    assert sum(old) / len(old) >= 0.85
    assert sum(recent) / len(recent) < sum(old) / len(old) - 0.15


def test_kvitteringar_by_the_recipient_unit_after_the_export(db: sqlite3.Connection) -> None:
    read_only = REGION.timeline.milestones.prator_read_only
    rows = db.execute(
        "SELECT g.sent, g.acknowledged, g.recipient_unit, a.unit, a.role, a.actor, "
        "a.recorded_at, a.on_behalf_of FROM messages g JOIN audit a ON a.seq = g.acked_seq"
    ).fetchall()
    assert len(rows) > 50
    for sent, acknowledged, recipient, unit, role, actor, at, behalf in rows:
        assert acknowledged is None  # still owed in Prator's export
        assert unit == recipient and role != "support" and behalf is None and actor != USER
        # made in Prator after the export was taken, registered before the rehearsal
        assert max(_at(sent), EXPORTED_AT) < _at(at) < min(REHEARSAL, read_only)


# ------------------------------------------------------------------ the rules


def test_every_tick_is_one_the_rules_accept(db: sqlite3.Connection) -> None:
    """The checklist shows each tick done, on an item that applies, ticked by a role the item
    belongs to at a unit whose worklist holds the subject, after the item opened and before it
    was locked, with nothing it waits for left open."""
    facts = {
        (r[0], r[1]): r[2:]
        for r in db.execute(
            "SELECT subject, item, applies, done, waiting, opens, locked_from FROM rm_item"
        )
    }
    lists = set(db.execute("SELECT role, unit, subject FROM rm_list"))
    ticks = _ticks(db)
    assert len(ticks) > 10_000
    for subject, item, who, role, unit, when in ticks:
        applies, done, waiting, opens, locked_from = facts[(subject, item)]
        assert applies == 1 and done == 1 and not waiting, (subject, item)
        assert role in REGION.checklists.by_id[item].roles and (role, unit, subject) in lists
        assert opens and _at(opens) <= when < REHEARSAL, (subject, item, when)
        assert not locked_from or when < _at(locked_from)
        assert who != USER
    steps = Counter(REGION.checklists.by_id[t[1]].step for t in ticks)
    assert set(steps) == {"1", "2", "7"}  # steps 3–6 and step 7's own work open later
    assert {t[1] for t in ticks if t[1].startswith("s7.")} == {"s7.avsluta_ej_aktuell"}


def test_sip_decisions_by_the_sips_samordningsansvarig(db: sqlite3.Connection) -> None:
    rows = db.execute(
        "SELECT d.sip_id, d.decision, d.role, d.unit, s.responsible_unit, s.status, a.recorded_at "
        "FROM decisions d JOIN sips s ON s.sip_id = d.sip_id JOIN audit a ON a.seq = d.seq"
    ).fetchall()
    decided = {r[0]: (r[1], _at(r[6])) for r in rows}
    assert Counter(r[1] for r in rows)[SipDecision.EJ_AKTUELL] > 100
    assert 0 < Counter(r[1] for r in rows)[SipDecision.AKTUELL] < len(rows) / 2
    for _sip, _decision, role, unit, responsible, status, at in rows:
        assert role == "samordningsansvarig" and unit == responsible and status == "pagaende"
        assert dt.datetime(2025, 4, 28) <= _at(at) < REHEARSAL
    closed = [t for t in _ticks(db) if t[1] == "s7.avsluta_ej_aktuell"]
    assert len(closed) > 0.5 * Counter(d for d, _ in decided.values())[SipDecision.EJ_AKTUELL]
    for sip, _item, _who, _role, _unit, when in closed:
        decision, at = decided[sip]
        assert decision == SipDecision.EJ_AKTUELL and at < when


def test_the_cases_of_step_2_still_show(db: sqlite3.Connection) -> None:
    """Psychiatric admissions started with and without an included hälsocentral; somatic
    ones discharged by their ward while units still owe a kvittering."""
    done = {(t[0], t[1]) for t in _ticks(db)}
    psych = [
        s
        for (s,) in db.execute(
            "SELECT subject FROM rm_subject WHERE kind = 'admission' AND started = 1 "
            "AND care_form = 'psykiatri'"
        )
    ]
    assert any((s, "s2.halsocentral") in done for s in psych)
    assert any((s, "s2.halsocentral") not in done for s in psych)
    discharged = db.execute(
        "SELECT a.subject, a.unit, a.recorded_at, d.ward, s.owing FROM audit a "
        "JOIN admissions d ON d.admission_id = a.subject JOIN rm_subject s "
        "ON s.subject = a.subject WHERE a.kind = ?",
        (m.ADMISSION_DISCHARGED,),
    ).fetchall()
    assert len(discharged) == 4
    started = {t[0]: t[5] for t in _ticks(db) if t[1] == "s2.inskrivningsmeddelande"}
    for subject, unit, at, ward, owing in discharged:
        assert unit == ward and owing and started[subject] <= _at(at) < REHEARSAL


def test_each_action_passes_the_workstation_at_its_own_moment(tmp_path: Path) -> None:
    """The activity replayed through the workstation's own checks (``tick``, ``decide_sip``,
    ``discharge``, ``ack``), each at its recorded moment, as the recorded role and unit, on
    a home with the region's records only: every subject of steps 2 and 7, every kvittering
    and a sample of step 1."""
    records = generate("region", 1)
    events = activity("region", records, 1)
    ws = Workstation(settings_from(home=str(tmp_path / "h"), user="x", today=DEMO_TODAY))
    try:
        ws.publish(diff_events(records, ws.known()).events, {"demo": "region"})
        # One home plays every role here: it keeps the region's bucket (its read model has
        # every list) instead of following each role's (issue 15).
        ws._followed = True
        rng = random.Random(5)
        patients = sorted(
            {
                str(e.payload["subject"])
                for e in events
                if e.kind == m.ITEM_TICKED and str(e.payload["item"]).startswith("s1.")
            }
        )
        chosen = set(rng.sample(patients, 150))
        replayed = Counter[str]()
        for e in events:
            p = e.payload
            subject = str(p.get("subject", ""))
            if subject in patients and subject not in chosen:
                continue
            ws.settings.user, ws.settings.role, ws.settings.unit = e.actor, e.role, e.unit
            ws.settings.today, ws.settings.started = _at(e.recorded_at), time.monotonic()
            if e.kind == m.ITEM_TICKED:
                ws.tick(subject, str(p["item"]), value=p.get("value"))
            elif e.kind == m.SIP_DECIDED:
                ws.decide_sip(str(p["sip_id"]), SipDecision(p["decision"]))
            elif e.kind == m.ADMISSION_DISCHARGED:
                ws.discharge(str(p["admission_id"]))
            else:
                assert e.kind == m.MESSAGE_ACKED
                assert ws.ack(str(p["message_id"])) is not None  # it was still owed
            replayed[e.kind] += 1
    finally:
        ws.close()
    assert replayed[m.ITEM_TICKED] > 1000 and replayed[m.SIP_DECIDED] > 300
    assert replayed[m.MESSAGE_ACKED] > 50 and replayed[m.ADMISSION_DISCHARGED] == 4


# ------------------------------------------------------------------ people and time


def test_done_by_fictitious_staff_each_in_one_role_at_one_unit(db: sqlite3.Connection) -> None:
    firsts = {login(n, "x").split(".")[0] for n in _FEMALE + _MALE}
    lasts = {login("x", n).split(".")[1] for n in _SURNAME_POOL}
    jobs: dict[str, set[tuple[str, str]]] = {}
    for actor, role, unit in db.execute(
        "SELECT actor, role, unit FROM audit WHERE kind IN (?, ?, ?, ?)",
        (m.ITEM_TICKED, m.SIP_DECIDED, m.MESSAGE_ACKED, m.ADMISSION_DISCHARGED),
    ):
        jobs.setdefault(actor, set()).add((role, unit))
    assert len(jobs) > 100
    for actor, where in jobs.items():
        name = re.fullmatch(r"([a-z-]+)\.([a-z]+?)\d*", actor)
        assert name is not None, actor
        assert name[1] in firsts and name[2] in lasts, actor
        assert len(where) == 1, (actor, where)


def test_the_audit_trail_reads_in_time_order(db: sqlite3.Connection) -> None:
    times = [
        at
        for (at,) in db.execute(
            "SELECT recorded_at FROM audit WHERE kind IN (?, ?, ?, ?) ORDER BY seq",
            (m.ITEM_TICKED, m.SIP_DECIDED, m.MESSAGE_ACKED, m.ADMISSION_DISCHARGED),
        )
    ]
    assert times == sorted(times)


def test_the_burndown_burns_from_may_to_september(home: Path) -> None:
    ws = _workstation(home)
    try:
        stats = collect(ws.q, REGION, ws.now())
    finally:
        ws.close()
    bd = stats.burndown
    assert bd is not None and bd.today == REHEARSAL.date()
    series = {d: r for d, r in zip(bd.days, bd.remaining, strict=True) if r is not None}
    days = [d for d in sorted(series) if d >= STEP1_OPENS.date() - dt.timedelta(days=1)]
    left = [series[d] for d in days]
    assert all(a >= b for a, b in zip(left, left[1:], strict=False))  # never grows
    assert left[0] - left[-1] >= stats.progress.by_step["1"].done  # step 1 burnt down

    def burnt(first: dt.date, last: dt.date) -> int:
        return series[first - dt.timedelta(days=1)] - series[last]

    may = burnt(dt.date(2025, 5, 6), dt.date(2025, 5, 31))
    july = burnt(dt.date(2025, 7, 1), dt.date(2025, 7, 31))
    september = burnt(dt.date(2025, 9, 1), dt.date(2025, 9, 30))
    assert 0 < july < may < september


def test_same_seed_same_state_and_same_history(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    again = _demo(tmp_path / "again")
    capsys.readouterr()

    def state(h: Path) -> str:
        with clean_env():
            assert cli_main(["--home", str(h), "state-hash"]) == 0
        return capsys.readouterr().out

    assert state(home) == state(again)
    history = "SELECT kind, actor, role, unit, recorded_at, subject, what FROM audit ORDER BY seq"
    with (
        closing(sqlite3.connect(home / "store.sqlite")) as a,
        closing(sqlite3.connect(again / "store.sqlite")) as b,
    ):
        assert a.execute(history).fetchall() == b.execute(history).fetchall()


def test_an_earlier_today_sees_only_the_work_done_by_then(tmp_path: Path) -> None:
    summer = "2025-07-01T12:00"
    h = _demo(tmp_path / "summer", "--today", summer)
    with closing(sqlite3.connect(h / "store.sqlite")) as c:
        kinds = Counter(
            k
            for (k,) in c.execute(
                "SELECT kind FROM audit WHERE recorded_at <= ? AND actor <> ?", (summer, USER)
            )
        )
        later = c.execute(
            "SELECT count(*) FROM audit WHERE kind IN (?, ?, ?, ?) "
            "AND (recorded_at > ? OR actor = ?)",
            (m.ITEM_TICKED, m.SIP_DECIDED, m.MESSAGE_ACKED, m.ADMISSION_DISCHARGED, summer, USER),
        ).fetchone()[0]
        step2 = c.execute("SELECT count(*) FROM items WHERE item LIKE 's2.%'").fetchone()[0]
    assert later == 0 and step2 == 0
    assert kinds[m.ITEM_TICKED] > 1000 and kinds[m.MESSAGE_ACKED] == 0


def test_the_small_demo_has_no_activity() -> None:
    assert activity("small", generate("small"), 1) == []


def _workstation(home: Path) -> Workstation:
    with clean_env():
        return Workstation(settings_from(home=str(home), user=USER, role="systemforvaltning"))
