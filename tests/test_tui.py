"""The TUI: pilot tests for behaviour (asserting on the store, not pixels) and snapshots.

``run_test`` is opened in each test body, never in a fixture (textual#4998).
"""

from __future__ import annotations

import io
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import DataTable, Input, OptionList, Static

from lcsp_tui.domain import models as m
from lcsp_tui.rows import WorkRow
from lcsp_tui.workstation import Workstation
from screens.checklist import ChecklistScreen
from screens.dialogs import ConfirmScreen, NoteScreen
from screens.item import ItemScreen
from screens.kvittering import KvitteringScreen
from screens.setup import RoleScreen, UnitScreen
from screens.widgets import StatusHeader, fmt_due, role_today
from screens.worklist import WorklistScreen, status_text, title_text
from tests.snapshot_app import (
    build_demo_home,
    copy_home,
    make_app,
    make_workstation,
    open_first,
    settle,
)
from tests.tools import need

SIZE = (120, 36)
SOMATIK, AVD11 = "slutenvard-somatik", "SUS-AVD11"


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One demo home for the session, built by the CLI; tests work on copies."""
    return build_demo_home(tmp_path_factory.mktemp("demo") / "home")


@pytest.fixture
def home(demo_template: Path, tmp_path: Path) -> Path:
    return copy_home(demo_template, tmp_path / "home")


def outbox(ws: Workstation, kind: str) -> list[m.Event]:
    return [e for e in ws.store.outbox() if e.kind == kind]


def plain(static: Static) -> str:
    """What a Static shows, as plain text (Text or any Rich renderable)."""
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(static.content)
    return console.export_text()


def header_text(app) -> str:  # type: ignore[no-untyped-def]
    header = app.screen.query_one(StatusHeader)
    return " ".join(plain(s) for s in header.query(Static))


def worklist_row(ws: Workstation, subject: str):  # type: ignore[no-untyped-def]
    assert ws.role and ws.unit
    return next(r for r in ws.worklist() if r.subject == subject)


ROLE_OF_UNIT_TYPE = {
    "slutenvard_somatik": SOMATIK,
    "slutenvard_psykiatri": "slutenvard-psykiatri",
    "halsocentral": "primarvard",
    "psykiatrisk_oppenvard": "psykiatri-oppenvard",
    "bistandsenhet": "bistandshandlaggare",
    "hemsjukvardsenhet": "hsl-sjukskoterska",
}


def busiest_unit(home: Path) -> tuple[str, str, int]:
    """(role, unit, n): the unit with the most unacknowledged messages, and a role there.

    Found from the data so the tests do not hang on one demo generator's choices.
    """
    ws = make_workstation(home)
    try:
        for unit, typ, n in ws.store._conn.execute(
            "SELECT m.recipient_unit, u.type, count(*) FROM messages m "
            "JOIN units u ON u.unit_id = m.recipient_unit "
            "WHERE m.acknowledged IS NULL AND m.acked_seq IS NULL "
            "GROUP BY 1, 2 ORDER BY 3 DESC, 1"
        ):
            if typ in ROLE_OF_UNIT_TYPE:
                return ROLE_OF_UNIT_TYPE[typ], unit, n
    finally:
        ws.close()
    raise AssertionError("the demo has no unacknowledged messages")


def gated_admission(home: Path) -> tuple[str, str]:
    """(unit, subject): a slutenvård admission with unacknowledged messages."""
    ws = make_workstation(home)
    try:
        for (unit,) in ws.store._conn.execute(
            "SELECT unit_id FROM units WHERE type = 'slutenvard_somatik' ORDER BY unit_id"
        ):
            for r in ws.q.worklist(SOMATIK, unit, ws.now()):
                if r.unacknowledged:
                    return unit, r.subject
    finally:
        ws.close()
    raise AssertionError("the demo has no admission with unacknowledged messages")


def unit_names_only(message: str, ws: Workstation) -> bool:
    ids = [u for (u,) in ws.store._conn.execute("SELECT unit_id FROM units")]
    return not any(u in message for u in ids)


def record_notifications(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    seen: list[tuple[str, str]] = []
    original = app.notify

    def notify(message, *, title="", severity="information", **kw):  # type: ignore[no-untyped-def]
        seen.append((str(message), severity))
        return original(message, title=title, severity=severity, **kw)

    app.notify = notify
    return seen


# ------------------------------------------------------------------ worklist and checklist


async def test_worklist_open_tick_undo_back(home: Path) -> None:
    app = make_app(home, SOMATIK, AVD11)
    ws = app.ws
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, WorklistScreen)
        table = app.screen.query_one("#worklist", DataTable)
        expected = [r.subject for r in ws.q.worklist(SOMATIK, AVD11, ws.now())]
        assert table.row_count == len(expected) == 4  # VT000005 was moved past the cut-off
        first = expected[0]
        assert table.coordinate_to_cell_key((0, 0)).row_key.value == first

        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ChecklistScreen) and screen.subject == first
        audits = [e for e in outbox(ws, m.AUDIT_READ) if e.payload["subject"] == first]
        assert [e.payload["what"] for e in audits] == ["checklista öppnad"]

        item = screen.states[0].item.id
        await pilot.press("space")
        await pilot.pause()
        ticks = outbox(ws, m.ITEM_TICKED)
        assert [(e.payload["item"], e.payload["done"]) for e in ticks] == [(item, True)]
        assert worklist_row(ws, first).done == 1
        assert "Klart 1/5" in str(screen.query_one("#subject-title", Static).render())
        assert "1 ej synkad" in header_text(app) or "2 ej synkade" in header_text(app)

        await pilot.press("u")
        await pilot.pause()
        assert outbox(ws, m.ITEM_TICKED)[-1].payload == {
            "subject": first,
            "item": item,
            "done": False,
        }
        assert worklist_row(ws, first).done == 0
        assert "Klart 0/5" in str(screen.query_one("#subject-title", Static).render())

        await pilot.press("space", "escape")
        await pilot.pause()
        assert isinstance(app.screen, WorklistScreen)
        table = app.screen.query_one("#worklist", DataTable)
        assert str(table.get_cell(first, "klart")) == "1/5"
        # Opening the checklist once audited once, however many times it was redrawn.
        audits = [e for e in outbox(ws, m.AUDIT_READ) if e.payload["subject"] == first]
        assert len(audits) == 1


async def test_refused_tick_is_a_notification_and_changes_nothing(home: Path) -> None:
    unit, subject = gated_admission(home)
    app = make_app(home, SOMATIK, unit)
    ws = app.ws
    seen = record_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        rows = ws.q.worklist(SOMATIK, unit, ws.now())
        gated = next(i for i, r in enumerate(rows) if r.subject == subject)
        app.screen.query_one("#worklist", DataTable).move_cursor(row=gated)
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ChecklistScreen)
        assert screen.found is not None and screen.found.owing
        await pilot.press("x")  # the ward records the discharge: step 6 applies
        await pilot.press("j")
        await pilot.pause()
        closing = next(s.item for s in screen.states if s.item.closes)
        items = screen.query_one("#items", OptionList)
        items.highlighted = items.get_option_index(closing.id)
        before = ws.store.pending_count()
        await pilot.press("space")
        await pilot.pause()
        assert ws.store.pending_count() == before
        errors = [msg for msg, sev in seen if sev == "error"]
        assert errors and "okvitterade meddelanden" in errors[-1]
        assert unit_names_only(errors[-1], ws)  # names, not ids, for the user
        assert isinstance(app.screen, ChecklistScreen)  # still there, no crash
        gate = str(screen.query_one("#gate", Static).render())
        assert "Kan inte avslutas" in gate


async def test_note_is_recorded_with_the_current_state(home: Path) -> None:
    app = make_app(home, SOMATIK, AVD11)
    ws = app.ws
    async with app.run_test(size=SIZE) as pilot:
        await open_first(pilot)
        screen = app.screen
        assert isinstance(screen, ChecklistScreen)
        item = screen.states[0].item.id
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, NoteScreen)
        await pilot.press(*"ring avd", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ChecklistScreen)
        last = outbox(ws, m.ITEM_TICKED)[-1].payload
        assert last == {"subject": screen.subject, "item": item, "done": False, "note": "ring avd"}
        row = next(r for r in ws.checklist(screen.subject).items if r.item.id == item)
        assert row.note == "ring avd" and not row.done


async def test_filter_narrows_the_worklist(home: Path) -> None:
    app = make_app(home, SOMATIK, AVD11)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        rows = app.ws.q.worklist(SOMATIK, AVD11, app.ws.now())
        target = rows[1]
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*target.subject.lower())
        await pilot.pause()
        table = app.screen.query_one("#worklist", DataTable)
        assert table.row_count == 1
        await pilot.press("enter", "enter")  # to the table, then open
        await pilot.pause()
        assert isinstance(app.screen, ChecklistScreen) and app.screen.subject == target.subject


# ------------------------------------------------------------------ keys that never surprise


async def test_enter_opens_and_never_ticks_space_ticks(home: Path) -> None:
    app = make_app(home, SOMATIK, AVD11)
    ws = app.ws
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter", "enter")  # open the first subject, then its first item
        await pilot.pause()
        assert isinstance(app.screen, ItemScreen)
        details = plain(app.screen.query_one("#item-details", Static))
        assert "Status: ej klar" in details and "Anteckning: –" in details
        await pilot.press("enter", "enter")  # closes the item; opens it again
        await pilot.pause()
        assert isinstance(app.screen, ItemScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ChecklistScreen)
        assert outbox(ws, m.ITEM_TICKED) == []  # four Enters: nothing ticked

        await pilot.press("enter", "space")  # Space in the opened item ticks it
        await pilot.pause()
        assert isinstance(app.screen, ChecklistScreen)
        first = app.screen.states[0]
        assert [e.payload["item"] for e in outbox(ws, m.ITEM_TICKED)] == [first.item.id]
        assert first.done
        await pilot.press("enter")  # the item says who ticked it and when
        await pilot.pause()
        details = plain(app.screen.query_one("#item-details", Static))
        assert f"klar av {ws.user} tis 30/9" in details


async def test_undo_says_what_it_undoes(home: Path) -> None:
    app = make_app(home, SOMATIK, AVD11)
    ws = app.ws
    async with app.run_test(size=SIZE) as pilot:
        await open_first(pilot)
        screen = app.screen
        assert isinstance(screen, ChecklistScreen)
        ticked = screen.states[0].item.id
        await pilot.press("space", "down")  # tick the first item, move on to the next
        await pilot.pause()
        await pilot.press("u")
        await pilot.pause()
        # not the highlighted item: the cursor goes to the one undone, and it asks first
        assert isinstance(app.screen, ConfirmScreen)
        assert "Registrera patientens personuppgifter" in app.screen.question
        assert screen._selected_id() == ticked
        await pilot.press("n")
        await pilot.pause()
        assert outbox(ws, m.ITEM_TICKED)[-1].payload["done"] is True  # nothing undone
        await pilot.press("u")  # now it is the highlighted one: undone at once
        await pilot.pause()
        assert isinstance(app.screen, ChecklistScreen)
        assert outbox(ws, m.ITEM_TICKED)[-1].payload == {
            "subject": screen.subject,
            "item": ticked,
            "done": False,
        }


async def test_every_row_is_reachable_however_long_the_list(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No cap hides work: past the first paint the rows come in batches, all of them."""
    import screens.worklist as wl

    monkeypatch.setattr(wl, "FIRST_ROWS", 1)
    monkeypatch.setattr(wl, "BATCH", 1)
    app = make_app(home, SOMATIK, AVD11)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for _ in range(5):
            await pilot.pause()
        expected = [r.subject for r in app.ws.q.worklist(SOMATIK, AVD11, app.ws.now())]
        table = app.screen.query_one("#worklist", DataTable)
        assert len(expected) > 2
        assert [
            table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(table.row_count)
        ] == expected
        await pilot.press("end", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ChecklistScreen) and app.screen.subject == expected[-1]


# ------------------------------------------------------------------ the right patient


def test_the_care_relation_sees_name_and_personnummer(home: Path) -> None:
    ws = make_workstation(home, SOMATIK, AVD11)
    try:
        rows = ws.worklist()  # (the first read: the home holds the ward's bucket, issue 15)
        pnr = {
            r[0]: (r[1], r[2], r[3])
            for r in ws.store._conn.execute(
                "SELECT a.admission_id, p.personnummer, p.first_name, p.last_name "
                "FROM admissions a JOIN patients p USING (patient_id)"
            )
        }
        assert rows
        for r in rows:
            digits, first, last = pnr[r.subject]
            assert r.title.startswith(f"{digits[:8]}-{digits[8:]} {first} {last} – "), r.title
            assert r.personnummer == digits
        # everyone else: initial, surname, birth year (the drill-down, a unit of another kind)
        for row in ws.q.subject_detail(rows[0].subject, ws.now()):
            digits, first, last = pnr[rows[0].subject]
            assert row.title.startswith(f"{first[0]}. {last} ({digits[:4]}) – ")
            assert digits[8:] not in row.title
    finally:
        ws.close()


async def test_filter_finds_a_patient_by_personnummer(home: Path) -> None:
    app = make_app(home, SOMATIK, AVD11)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        rows = app.ws.q.worklist(SOMATIK, AVD11, app.ws.now())
        target = rows[1]
        digits = target.personnummer
        table = app.screen.query_one("#worklist", DataTable)
        for typed in (
            digits,
            digits[2:],
            f"{digits[2:8]}-{digits[8:]}",
            f"{digits[:8]}-{digits[8:]}",
        ):
            await pilot.press("slash")
            app.screen.query_one("#filter", Input).value = typed
            await pilot.pause()
            assert table.row_count == 1, typed
            assert table.coordinate_to_cell_key((0, 0)).row_key.value == target.subject
        app.screen.query_one("#filter", Input).value = "000101-0000"  # nobody on the list
        await pilot.pause()
        assert table.row_count == 0


# ------------------------------------------------------------------ kvittering


async def test_kvittering_of_one_message(home: Path) -> None:
    role, unit, n = busiest_unit(home)
    assert n >= 2
    app = make_app(home, role, unit)
    ws = app.ws
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = [r.message_id for r in ws.q.unacknowledged(unit)]
        assert len(before) == n
        await pilot.press("k")
        await pilot.pause()
        assert isinstance(app.screen, KvitteringScreen)
        table = app.screen.query_one("#messages", DataTable)
        assert table.row_count == len(before)
        await pilot.press("a")
        await pilot.pause()
        acks = outbox(ws, m.MESSAGE_ACKED)
        assert [e.payload["message_id"] for e in acks] == [before[0]]  # the oldest
        after = [r.message_id for r in ws.q.unacknowledged(unit)]
        assert after == before[1:]
        assert table.row_count == len(after)


async def test_kvittering_of_several_asks_first(home: Path) -> None:
    role, unit, _ = busiest_unit(home)
    app = make_app(home, role, unit)
    ws = app.ws
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = [r.message_id for r in ws.q.unacknowledged(unit)]
        await pilot.press("k", "space", "space", "a")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question == "Registrera kvittering av 2 meddelanden?"
        await pilot.press("n")
        await pilot.pause()
        assert outbox(ws, m.MESSAGE_ACKED) == []
        await pilot.press("a", "j")
        await pilot.pause()
        acked = sorted(e.payload["message_id"] for e in outbox(ws, m.MESSAGE_ACKED))
        assert acked == sorted(before[:2])


# ------------------------------------------------------------------ role and unit


async def test_first_start_asks_role_then_unit(home: Path) -> None:
    app = make_app(home)
    ws = app.ws
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, RoleScreen)
        await pilot.press("escape")  # not cancellable at first start
        assert isinstance(app.screen, RoleScreen)
        roles = app.screen.query_one(OptionList)
        roles.highlighted = [o.id for o in roles._options].index("primarvard")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, UnitScreen)
        units = app.screen.query_one("#units", OptionList)
        ids = [units.get_option_at_index(i).id for i in range(units.option_count)]
        assert ids and all(i.startswith("HC-") for i in ids)  # health centres only
        await pilot.press(*"skönsberg")
        await pilot.pause()
        assert units.option_count == 1
        await pilot.press("enter")
        await pilot.pause()
        assert (ws.role, ws.unit) == ("primarvard", "HC-SKONSBERG")
        assert ws.store.get_meta("role") == "primarvard"
        assert ws.store.get_meta("unit") == "HC-SKONSBERG"
        assert isinstance(app.screen, WorklistScreen)
        assert "Hälsocentral Skönsberg" in header_text(app)


async def test_switch_role_and_unit(home: Path) -> None:
    app = make_app(home, SOMATIK, AVD11)
    ws = app.ws
    async with app.run_test(size=SIZE) as pilot:
        await open_first(pilot)
        assert isinstance(app.screen, ChecklistScreen)
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, RoleScreen)
        await pilot.press("down", "down", "enter")  # somatik -> psykiatri -> primärvård
        await pilot.pause()
        assert isinstance(app.screen, UnitScreen)
        await pilot.press(*"HC-TIMRA", "enter")
        await pilot.pause()
        assert (ws.role, ws.unit) == ("primarvard", "HC-TIMRA")
        assert isinstance(app.screen, WorklistScreen)  # the checklist was left
        assert len(app.screen_stack) == 2
        assert "Primärvården" in header_text(app)

        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, UnitScreen)
        await pilot.press("escape")  # a switch can be cancelled
        await pilot.pause()
        assert ws.unit == "HC-TIMRA"
        await pilot.press("e", *"skönsberg", "enter")
        await pilot.pause()
        assert ws.unit == "HC-SKONSBERG"
        await settle(pilot)  # the home pulls the unit's bucket (issue 15)
        await settle(pilot)
        table = app.screen.query_one("#worklist", DataTable)
        assert table.row_count == len(ws.q.worklist("primarvard", "HC-SKONSBERG", ws.now())) > 0


async def test_unknown_unit_is_asked_for_again(home: Path) -> None:
    app = make_app(home, SOMATIK, "SUS-AVD99")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, UnitScreen)
        await pilot.press(*"AVD11", "enter")
        await pilot.pause()
        assert app.ws.unit == AVD11 and isinstance(app.screen, WorklistScreen)


async def test_roles_without_worklist_see_what_is_coming(home: Path) -> None:
    # support and systemforvaltning have their own main screens (test_support_tui,
    # test_dashboard); the timeline is there for every role from the palette.
    app = make_app(home, SOMATIK, AVD11)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.action_timeline()
        await pilot.pause()
        timeline = plain(app.screen.query_one("#timeline-body", Static))
        for phase in app.ws.region.timeline.phase:
            assert phase.label[:30] in timeline
        assert "▶ nu" in timeline and "Prator i läsläge: om 16 dagar" in timeline


async def test_palette_opens_a_subject(home: Path) -> None:
    app = make_app(home, SOMATIK, AVD11)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        texts = [c.text for c in app.palette_commands()]
        assert {"roll: byt roll", "enhet: byt enhet", "synka nu"} <= set(texts)
        assert any(t.startswith("tema: ") for t in texts)
        target = app.ws.q.worklist(SOMATIK, AVD11, app.ws.now())[-1].subject
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*f"öppna {target}")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, ChecklistScreen) and app.screen.subject == target


# ------------------------------------------------------------------ sync


async def test_sync_pushes_local_work(home: Path) -> None:
    app = make_app(home, SOMATIK, AVD11)
    ws = app.ws
    async with app.run_test(size=SIZE) as pilot:
        await open_first(pilot)
        await pilot.press("space")
        await pilot.pause()
        assert ws.store.pending_count() == 2  # the audit read and the tick
        await pilot.press("s")
        await settle(pilot)
        assert ws.store.pending_count() == 0
        assert app.sync_state.online is True
        assert "ansluten" in header_text(app) and "ej synkad" not in header_text(app)
        assert isinstance(app.screen, ChecklistScreen)
        assert app.screen.states[0].done  # confirmed by the ledger now


def ward_home(home: Path) -> None:
    """The home as a ward PC has it: the ward's bucket pulled (issue 15)."""
    ws = make_workstation(home, SOMATIK, AVD11)
    try:
        ws.sync()
    finally:
        ws.close()


async def test_unreachable_ledger_shows_offline(home: Path, tmp_path: Path) -> None:
    ward_home(home)
    app = make_app(home, SOMATIK, AVD11, ledger=str(tmp_path / "moved" / "ledger.sqlite"))
    ws = app.ws
    seen = record_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.sync_state.online is False
        assert "EJ ANSLUTEN" in header_text(app)
        assert any("Den gemensamma databasen kan inte nås" in msg for msg, _ in seen)
        assert not (tmp_path / "moved").exists()  # never silently recreated
        # Work goes on locally.
        await pilot.press("enter", "space")
        await pilot.pause()
        assert ws.store.pending_count() == 2
        assert "2 ej synkade" in header_text(app)
        await pilot.press("s")
        await settle(pilot)
        assert app.sync_state.online is False and ws.store.pending_count() == 2


# ------------------------------------------------------------------ text helpers


def test_status_text_fits_its_column() -> None:
    row = WorkRow(
        subject="VT1",
        kind="admission",
        step="2",
        done=0,
        total=7,
        due=None,
        overdue=True,
        waiting=True,
        unacknowledged=3,
        own_unacknowledged=1,
        title="A. Berg (1950) – somatiskt vårdtillfälle",
        flagged=True,
    )
    wide = status_text(row, 140).plain
    assert wide == (
        "KAN BEHÖVA FLYTTAS TILL LIFECARE SP · FÖRSENAD · VÄNTAR på annan roll · "
        "1 okvitterat hos dig (k) · 2 okvitterade hos andra"
    )
    narrow = status_text(row, 30).plain
    assert len(narrow) <= 30 and narrow.startswith("KAN BEHÖVA FLYTTAS · FÖRSENAD")
    assert title_text(row.title, 24) == "A. Berg (1950)"


def test_due_midnight_reads_as_24() -> None:
    import datetime as dt

    assert fmt_due(dt.datetime(2025, 10, 1, 0, 0)) == "30/09 24:00"
    assert fmt_due(dt.datetime(2025, 9, 30, 12, 0)) == "30/09 12:00"
    assert fmt_due(None) == "–"


def test_role_today_follows_the_timeline(demo_template: Path) -> None:
    import datetime as dt

    from lcsp_tui.domain.regiondata import load_region

    tl = load_region().timeline
    at = dt.datetime(2025, 9, 30, 9, 0)
    assert role_today("slutenvard-somatik", at, tl).startswith("Din tur nu: steg 2")
    assert role_today("primarvard", at, tl).startswith("Ditt steg 3 börjar tis 30/9 12:00")
    assert "försenat" in role_today("kommun-registrering", at, tl)
    late = dt.datetime(2025, 10, 20, 9, 0)
    assert "Prator i läsläge" in role_today("samordningsansvarig", late, tl)


# ------------------------------------------------------------------ snapshots

SNAP_ROLES = [
    ("slutenvard-somatik", "SUS-AVD11"),
    ("primarvard", "HC-SKONSBERG"),
    ("samordningsansvarig", "SVL-BIST-01"),
]
SNAP_SIZES = [(80, 24), (160, 50)]


def _id(v: object) -> str:
    return f"{v[0]}x{v[1]}" if isinstance(v, tuple) and isinstance(v[0], int) else str(v[0])  # type: ignore[index]


@pytest.mark.parametrize("size", SNAP_SIZES, ids=_id)
@pytest.mark.parametrize("role_unit", SNAP_ROLES, ids=_id)
class TestSnapshots:
    def test_worklist(self, snap_compare, home: Path, role_unit, size) -> None:  # type: ignore[no-untyped-def]
        app = make_app(home, *role_unit)
        assert snap_compare(app, terminal_size=size, run_before=settle)

    def test_checklist(self, snap_compare, home: Path, role_unit, size) -> None:  # type: ignore[no-untyped-def]
        app = make_app(home, *role_unit)
        assert snap_compare(app, terminal_size=size, run_before=open_first)


def test_snapshot_kvittering(snap_compare, home: Path) -> None:  # type: ignore[no-untyped-def]
    app = make_app(home, "bistandshandlaggare", "SVL-BIST-01")

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("k", "space")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_snapshot_first_start(snap_compare, home: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(home), terminal_size=(80, 24), run_before=settle)


def test_snapshot_offline(snap_compare, home: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ward_home(home)
    app = make_app(home, SOMATIK, AVD11, ledger=str(tmp_path / "gone.sqlite"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=settle)


# ------------------------------------------------------------------ a real terminal


def _tmux(*args: str) -> str:
    return subprocess.run(
        ["tmux", *args], check=True, capture_output=True, text=True, timeout=10
    ).stdout


def _wait_for(session: str, *texts: str, seconds: float = 20.0) -> str:
    """The screen once every one of ``texts`` is on it (a first paint can be partial)."""
    deadline = time.monotonic() + seconds
    screen = ""
    while time.monotonic() < deadline:
        screen = _tmux("capture-pane", "-p", "-t", session)
        if all(t in screen for t in texts):
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{texts!r} did not all appear on the screen:\n{screen}")


@pytest.fixture
def tmux() -> None:
    need(shutil.which("tmux") is not None, "needs tmux for the real-terminal smoke test")


def test_smoke_in_a_real_terminal_under_tmux(tmux: None, home: Path) -> None:
    session = f"lcsp-smoke-{os.getpid()}"
    cmd = [
        sys.executable, "-m", "lcsp_tui",
        "--home", str(home), "--ledger", str(home / "ledger.sqlite"),
        "--role", SOMATIK, "--unit", AVD11, "--today", "2025-09-30T09:00", "--user", "smoke",
    ]  # fmt: skip
    line = " ".join(shlex.quote(c) for c in cmd) + "; echo EXIT=$?; sleep 60"
    _tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", line)
    try:
        screen = _wait_for(session, "att göra", "ÖVNING", "Avd 11 Medicin Sundsvall")
        assert "UTBILDNING" in screen and "ÖVNING" in screen
        assert "Somatisk slutenvård · Avd 11 Medicin Sundsvall" in screen
        _tmux("send-keys", "-t", session, "Enter")
        _wait_for(session, "Klart 0/5")
        _tmux("send-keys", "-t", session, "Enter")  # opens the item: Enter never ticks
        _wait_for(session, "Status: ej klar")
        _tmux("send-keys", "-t", session, "C-q")
        _wait_for(session, "EXIT=0")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    assert ticked(home) == 0
    _tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", line)
    try:
        _wait_for(session, "att göra", "Avd 11 Medicin Sundsvall")
        _tmux("send-keys", "-t", session, "Enter")
        _wait_for(session, "Klart 0/5")
        _tmux("send-keys", "-t", session, "Space")
        _wait_for(session, "Klart 1/5")
        _tmux("send-keys", "-t", session, "C-q")
        _wait_for(session, "EXIT=0")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    assert ticked(home) == 1


def ticked(home: Path) -> int:
    ws = make_workstation(home, SOMATIK, AVD11)
    try:
        return sum(r.done for r in ws.q.worklist(SOMATIK, AVD11, ws.now()))
    finally:
        ws.close()


def test_every_binding_has_an_id_and_a_description() -> None:
    import importlib

    from textual.binding import Binding

    modules = [
        "lcsp_tui.app",
        "screens.worklist",
        "screens.checklist",
        "screens.kvittering",
        "screens.setup",
        "screens.dialogs",
        "screens.item",
    ]
    seen = 0
    for name in modules:
        module = importlib.import_module(name)
        for obj in vars(module).values():
            if isinstance(obj, type) and obj.__module__ == name:
                for b in obj.__dict__.get("BINDINGS", []):
                    assert isinstance(b, Binding) and b.id and b.description, (name, obj, b)
                    seen += 1
    assert seen >= 20
