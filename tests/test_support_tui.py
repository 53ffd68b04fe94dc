"""The support desk and the audit view in the TUI: pilot tests and snapshots.

``run_test`` is opened in each test body, never in a fixture (textual#4998).
"""

from __future__ import annotations

import html
import importlib
import io
import re
import stat
from collections import defaultdict
from pathlib import Path

import pytest
from rich.console import Console
from textual.app import App
from textual.binding import Binding
from textual.widgets import DataTable, Input, OptionList, Static

from lcsp_tui import helpdesk
from lcsp_tui.app import LcspApp
from lcsp_tui.audit import what_text
from lcsp_tui.domain import models as m
from lcsp_tui.domain.roles import ROLES
from lcsp_tui.workstation import Workstation
from screens.audit import AuditScreen
from screens.checklist import ChecklistScreen
from screens.dashboard import DashboardScreen
from screens.dialogs import ConfirmScreen, KeysScreen
from screens.kvittering import KvitteringScreen
from screens.setup import RoleScreen
from screens.support import SupportScreen
from screens.support_dialogs import NewRequestScreen, ResolveScreen
from screens.worklist import WorklistScreen
from tests.snapshot_app import build_demo_home, copy_home, make_app, make_workstation, settle

SIZE = (120, 36)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_home(tmp_path_factory.mktemp("demo-support") / "home")


@pytest.fixture
def home(demo_template: Path, tmp_path: Path) -> Path:
    return copy_home(demo_template, tmp_path / "home")


@pytest.fixture
def fixed_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """Help request ids are random; snapshots need them fixed."""
    counter = iter(range(1, 1000))
    monkeypatch.setattr(helpdesk.secrets, "token_hex", lambda n: f"{next(counter):0{2 * n}X}")


def screen_text(app: App[object]) -> str:
    """What a person sees: the text of a screenshot, line by line (cells at 12.2 px)."""
    rows: dict[float, list[tuple[float, str]]] = defaultdict(list)
    pattern = r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>'
    for x, y, t in re.findall(pattern, app.export_screenshot(), re.S):
        text = html.unescape(re.sub(r"<[^>]+>", "", t)).replace("\xa0", " ")
        rows[float(y)].append((float(x), text))
    lines = []
    for y in sorted(rows):
        line = ""
        for x, text in sorted(rows[y]):
            col = round(x / 12.2)
            line = line.ljust(col)[:col] + text
        lines.append(line.rstrip())
    return "\n".join(lines)


# Words a person must never read on these screens (issue 12): the old terms, English, raw
# None. "Kvittera " as an action: these screens only register a kvittering done in Prator.
NOT_SEEN = ("Burndown", "liggaren", "Liggaren", "Online", "Offline", "online", "OFFLINE",
            "None", "Kvittera ", "1 träffar", "1 öppna", "vårdtillfälle somatik")  # fmt: skip


def assert_swedish(text: str) -> None:
    for word in NOT_SEEN:
        assert word not in text, (word, text)


def record_notifications(app: App[object]) -> list[str]:
    seen: list[str] = []
    original = app.notify

    def notify(message, **kw):  # type: ignore[no-untyped-def]
        seen.append(str(message))
        return original(message, **kw)

    app.notify = notify  # type: ignore[method-assign]
    return seen


def outbox(ws: Workstation, kind: str) -> list[m.Event]:
    return [e for e in ws.store.outbox() if e.kind == kind]


def plain(renderable: object, width: int = 200) -> str:
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def results_text(screen: SupportScreen) -> str:
    results = screen.query_one("#lk-results", OptionList)
    return "\n".join(
        plain(results.get_option_at_index(i).prompt) for i in range(results.option_count)
    )


def patient_with_unacked(home: Path) -> dict[str, object]:
    """A patient (not protected, unique lookup key) with unacknowledged messages."""
    ws = make_workstation(home)
    try:
        row = ws.store._conn.execute(
            "SELECT p.patient_id, p.first_name, p.last_name, coalesce(substr(p.personnummer, 1, 4), p.born), "
            "p.personnummer, group_concat(m.message_id), group_concat(m.recipient_unit) "
            "FROM patients p JOIN admissions a ON a.patient_id = p.patient_id "
            "JOIN messages m ON m.admission_id = a.admission_id "
            "WHERE m.acknowledged IS NULL AND p.protected_identity = 0 "
            "AND (SELECT count(*) FROM patients q WHERE q.lookup_key = p.lookup_key) = 1 "
            "GROUP BY p.patient_id ORDER BY p.patient_id LIMIT 1"
        ).fetchone()
        assert row, "the small demo has a patient with unacknowledged messages"
        # the desk's home holds no personnummer (issue 15): the one a caller reads out
        # comes from the ledger's record
        ledger = ws.open_ledger()
        try:
            record = ledger.patient_records()[row[0]]
        finally:
            ledger.close()
    finally:
        ws.close()
    return {
        "id": row[0],
        "first": record["first_name"],  # (the desk's home has its initial only)
        "name": f"{row[1][0]} {row[2]}",
        "surname": row[2],
        "year": str(row[3]),
        "pnr": record["personnummer"],
        "messages": row[5].split(","),
        "units": row[6].split(","),
    }


def protected_patient(home: Path) -> tuple[str, str, str]:
    ws = make_workstation(home)
    try:
        first, last, year = ws.store._conn.execute(
            "SELECT first_name, last_name, coalesce(substr(personnummer, 1, 4), born) FROM patients "
            "WHERE protected_identity = 1 ORDER BY patient_id LIMIT 1"
        ).fetchone()
    finally:
        ws.close()
    return f"{first[0]} {last}", last, str(year)


async def type_lookup(pilot, name: str, year: str) -> None:  # type: ignore[no-untyped-def]
    screen = pilot.app.screen
    screen.query_one("#lk-name", Input).value = name
    year_in = screen.query_one("#lk-year", Input)
    year_in.value = year
    year_in.focus()
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()


# ------------------------------------------------------------------ lookup


async def test_support_role_opens_the_support_screen(home: Path) -> None:
    app = make_app(home, "support")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SupportScreen)
        assert app.screen.query_one("#lk-name", Input).has_focus


async def test_lookup_lists_the_match_and_is_audited_once(home: Path) -> None:
    p = patient_with_unacked(home)
    app = make_app(home, "support")
    ws = app.ws
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SupportScreen)
        await type_lookup(pilot, str(p["name"]).lower(), str(p["year"]))
        text = results_text(screen)
        assert f"{str(p['first'])[0]}. {p['surname']} ({p['year']})" in text
        for mid in p["messages"]:
            assert f"Registrera kvittering av {mid}" in text
        assert str(p["first"]) not in text  # never a whole first name
        pnr = str(p["pnr"])
        for form in (pnr, pnr[2:], f"{pnr[2:8]}-{pnr[8:]}", f"-{pnr[8:]}"):
            assert form not in text
        assert "1 träff" in plain(screen.query_one("#lk-status", Static).content)
        lookups = [e for e in outbox(ws, m.AUDIT_READ) if e.payload["what"] == "sökning"]
        assert [(e.payload["subject"], e.payload["outcome"]) for e in lookups] == [
            (p["id"], "1 träff")
        ]
        # Acknowledging on the unit's behalf asks first, then records support for the unit.
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert outbox(ws, m.MESSAGE_ACKED) == []
        await pilot.press("enter", "j")
        await pilot.pause()
        (ack,) = outbox(ws, m.MESSAGE_ACKED)
        assert ack.role == "support"
        assert ack.payload["message_id"] == p["messages"][0]
        assert ack.payload["on_behalf_of"] == p["units"][0]
        assert "help_request" not in ack.payload
        assert f"kvittering av {p['messages'][0]}" not in results_text(screen)
        # still one lookup in the audit trail: the list was not looked up again
        assert len([e for e in outbox(ws, m.AUDIT_READ) if e.payload["what"] == "sökning"]) == 1


async def test_personnummer_is_refused_emptied_and_audited_without_it(home: Path) -> None:
    p = patient_with_unacked(home)
    pnr = str(p["pnr"])
    app = make_app(home, "support")
    ws = app.ws
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        for name, year in ((f"{pnr[:8]}-{pnr[8:]}", str(p["year"])), ("A Larsson", pnr[2:])):
            await type_lookup(pilot, name, year)
            status = plain(screen.query_one("#lk-status", Static).content)
            assert "Ange aldrig hela personnummer" in status
            assert screen.query_one("#lk-name", Input).value == ""
            assert screen.query_one("#lk-year", Input).value == ""
            assert results_text(screen) == ""
        lookups = [e for e in outbox(ws, m.AUDIT_READ) if e.payload["what"] == "sökning"]
        assert [(e.payload["subject"], e.payload["outcome"]) for e in lookups] == [
            (None, "nekad"),
            (None, "nekad"),
        ]
        stored = "".join(e.model_dump_json() for e in ws.store.outbox())
        assert pnr[8:] not in stored and pnr[2:8] not in stored


async def test_bad_year_is_one_swedish_line_and_keeps_the_name(home: Path) -> None:
    app = make_app(home, "support")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        await type_lookup(pilot, "A Larsson", "45")
        assert "Födelseår ska vara fyra siffror" in plain(
            screen.query_one("#lk-status", Static).content
        )
        assert screen.query_one("#lk-name", Input).value == "A Larsson"


async def test_protected_identity_shows_no_name_and_no_units(home: Path) -> None:
    name, surname, year = protected_patient(home)
    app = make_app(home, "support")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        await type_lookup(pilot, name, year)
        text = results_text(screen)
        assert "Skyddad identitet – kontakta enheten" in text
        assert surname not in text
        assert "Enheter" not in text and "kvittering" not in text
        # and no help request can be recorded for it
        await pilot.press("n")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, NewRequestScreen)
        dialog.query_one("#hr-units", Input).value = "SVL-BIST-01"
        dialog.query_one("#hr-need", Input).value = "kvittera"
        dialog.query_one("#hr-need", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, NewRequestScreen)
        assert "Skyddad identitet" in plain(dialog.query_one("#hr-error", Static).content)
        assert outbox(app.ws, m.HELP_REQUESTED) == []


async def test_a_personnummer_typed_into_either_field_is_refused_as_it_is_typed(
    home: Path,
) -> None:
    """Typed key by key (not only pasted and submitted): refused the moment it is whole,
    the field emptied, audited as refused without it."""
    p = patient_with_unacked(home)
    pnr = str(p["pnr"])
    app = make_app(home, "support")
    ws = app.ws
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        name_in = screen.query_one("#lk-name", Input)
        year_in = screen.query_one("#lk-year", Input)
        for field, typed in (
            (year_in, pnr[2:]),  # ten digits
            (year_in, f"{pnr[:8]}-{pnr[8:]}"),  # twelve with the dash
            (name_in, pnr[2:]),
        ):
            name_in.value = "A Larsson" if field is year_in else ""
            field.focus()
            await pilot.pause()
            await pilot.press(*typed)
            await pilot.pause()
            status = plain(screen.query_one("#lk-status", Static).content)
            assert "Ange aldrig hela personnummer" in status
            assert year_in.value == "" and name_in.value == ""
            assert results_text(screen) == ""
        # Twelve digits without a dash are refused at the tenth; at most the last two land
        # in a field (the focus moves to the name after a refusal): no personnummer.
        year_in.focus()
        await pilot.press(*pnr)
        await pilot.pause()
        assert "Ange aldrig hela personnummer" in plain(
            screen.query_one("#lk-status", Static).content
        )
        left = name_in.value + year_in.value
        assert len(left) <= 2 and pnr.endswith(left)
        name_in.value = year_in.value = ""
        lookups = [e for e in outbox(ws, m.AUDIT_READ) if e.payload["what"] == "sökning"]
        assert [e.payload["outcome"] for e in lookups] == ["nekad"] * 4
        stored = "".join(e.model_dump_json() for e in ws.store.outbox())
        assert pnr[8:] not in stored and pnr[2:8] not in stored
        # A birth year still works, and Enter looks it up.
        name_in.value = str(p["name"])
        year_in.value = ""
        year_in.focus()
        await pilot.press(*str(p["year"]), "enter")
        await pilot.pause()
        assert "1 träff" in plain(screen.query_one("#lk-status", Static).content)


async def test_support_keys_r_and_e_from_the_screen_and_ctrl_r_from_the_search_field(
    home: Path,
) -> None:
    app = make_app(home, "support")
    seen = record_notifications(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        name_in = screen.query_one("#lk-name", Input)
        assert name_in.has_focus
        assert "^r Byt roll" in screen_text(app).splitlines()[-1]  # the footer says how
        await pilot.press("r", "e")  # letters of a name here
        await pilot.pause()
        assert name_in.value == "re" and app.screen is screen
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, RoleScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and name_in.value == "re"
        # Off the field (the results, the requests tab): r and e are keys.
        for keys in (("tab", "tab"), ("f3",)):  # name -> year -> results; the requests tab
            await pilot.press(*keys)
            await pilot.pause()
            assert not isinstance(screen.focused, Input)
            await pilot.press("r")
            await pilot.pause()
            assert isinstance(app.screen, RoleScreen), keys
            await pilot.press("escape")
            await pilot.pause()
            await pilot.press("e")
            await pilot.pause()
            assert app.screen is screen
            assert "ingen enhet" in seen[-1] and "Byt roll med r" in seen[-1]
        # Ctrl+R, then a role: the role's main screen.
        await pilot.press("ctrl+r")
        await pilot.pause()
        app.screen.query_one(OptionList).highlighted = list(ROLES).index("systemforvaltning")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        assert app.ws.role == "systemforvaltning" and app.ws.unit is None


@pytest.mark.parametrize("size", [(80, 24), (80, 16)])
async def test_the_role_picker_reaches_every_role_by_keyboard(
    home: Path, size: tuple[int, int]
) -> None:
    """At first start (and when switching): every role is reachable with the arrow keys and
    on the screen while highlighted; the last one can be chosen."""
    app = make_app(home)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, RoleScreen)
        ol = picker.query_one(OptionList)
        for k, role in enumerate(ROLES.values()):
            if k:
                await pilot.press("down")
            await pilot.pause()
            assert ol.highlighted == k
            assert role.name in screen_text(app), (size, role.name)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)  # the last role: systemförvaltning


async def test_support_screens_speak_swedish_and_never_show_none(
    home: Path, fixed_ids: None
) -> None:
    p = patient_with_unacked(home)
    ws = make_workstation(home, "support")
    try:
        helpdesk.record(ws, [str(p["units"][0])], str(p["name"]), str(p["year"]), "kvittera")
    finally:
        ws.close()
    # A unit stored from another role stays out of a region-wide role's header.
    app = make_app(home, "support", str(p["units"][0]))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await type_lookup(pilot, str(p["name"]), str(p["year"]))
        text = screen_text(app)
        assert "1 träff" in text and "Registrera kvittering av" in text
        assert "Support (central IT)\n" in text + "\n" and "· " not in text.splitlines()[0]
        assert_swedish(text)
        await pilot.press("f3")
        await pilot.pause()
        text = screen_text(app)
        assert "1 öppet hjälpärende" in text and "Status" in text
        assert_swedish(text)
        await pilot.press("enter", "enter")  # the request's patient; a kvittering asked
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        text = screen_text(app)
        assert "Registrera kvittering av" in text
        assert_swedish(text)


@pytest.mark.parametrize(
    ("role", "unit"),
    [("bistandshandlaggare", "SVL-BIST-01"), ("systemforvaltning", None), ("support", None)],
)
async def test_the_read_only_line_is_whole_at_120(home: Path, role: str, unit: str | None) -> None:
    """After Prator's read-only day the header says so, in full at 120 columns."""
    app = LcspApp(make_workstation(home, role, unit, today="2025-10-17T09:00"), sync_interval=None)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        line = screen_text(app).splitlines()[2]
        assert line.endswith("Prator i läsläge: Prator-åtgärder kan inte bockas av"), line


async def test_the_keys_list_is_in_swedish(home: Path) -> None:
    """Ctrl+P, "tangenter": the keys of the screen below with what they do, in Swedish
    (not Textual's key panel, which names its own keys in English)."""
    app = make_app(home, "support")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"tangenter")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, KeysScreen)
        text = screen_text(app)
        assert "^r   Byt roll" in text and "Ny sökning" in text
        assert "Byt enhet" not in text  # support has no unit
        for english in ("Focus", "Scroll", "Page Up ", "Copy", "Select"):
            assert english not in text
        assert_swedish(text)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, SupportScreen)


async def test_kvittering_screen_registers_and_says_so(home: Path) -> None:
    app = make_app(home, "bistandshandlaggare", "SVL-BIST-01")
    seen = record_notifications(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.action_kvittering()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, KvitteringScreen)
        text = screen_text(app)
        assert "a Registrera" in text.splitlines()[-1]
        assert "registrera den sedan här" in text
        assert_swedish(text)
        n = len(screen.messages)
        assert n >= 2
        await pilot.press("asterisk", "a")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert f"Registrera kvittering av {n} meddelanden?" in screen_text(app)
        await pilot.press("j")
        await pilot.pause()
        assert seen[-1] == f"Kvittering registrerad: {n} meddelanden (sparat lokalt, synkas)"
        assert len(outbox(app.ws, m.MESSAGE_ACKED)) == n


async def test_the_clock_runs_on_from_today_in_the_header_and_the_ages(
    home: Path, fixed_ids: None
) -> None:
    """A rehearsal's clock: the header's minute and a help request's age move on with it."""
    app = make_app(home, "support")
    ws = app.ws
    helpdesk.record(ws, ["SVL-BIST-01"], "a larsson", "1945", "kvittera")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "tis 30/9 09:00" in screen_text(app)
        ws.settings.started -= 2 * 3600 + 5 * 60  # as if the process started 2 h 5 min ago
        app._tick()
        await pilot.press("f3")
        await pilot.pause()
        text = screen_text(app)
        assert "tis 30/9 11:05" in text
        table = app.screen.query_one("#hr-table", DataTable)
        assert str(table.get_row_at(0)[1]) == "2 h"


# ------------------------------------------------------------------ help requests


async def test_help_request_recorded_worked_acknowledged_resolved(home: Path) -> None:
    p = patient_with_unacked(home)
    unit = p["units"][0]
    app = make_app(home, "support")
    ws = app.ws
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SupportScreen)
        screen.query_one("#lk-results").focus()  # off the form: n is a key, not a letter
        await pilot.press("n")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, NewRequestScreen)
        values = {
            "#hr-units": str(unit),
            "#hr-name": str(p["name"]),
            "#hr-year": str(p["year"]),
            "#hr-need": "kvittera meddelandet",
        }
        for wid, value in values.items():
            dialog.query_one(wid, Input).value = value
        dialog.query_one("#hr-need", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen
        (req_ev,) = outbox(ws, m.HELP_REQUESTED)
        rid = req_ev.payload["request_id"]
        assert req_ev.payload["units"] == [unit]
        assert req_ev.payload["name"] == f"{str(p['first'])[0]}. {p['surname']}"
        assert screen.active == rid

        await pilot.press("f3")
        await pilot.pause()
        table = screen.query_one("#hr-table", DataTable)
        assert table.row_count == 1 and table.has_focus
        assert str(table.get_cell(rid, "status")) == "ny"
        await pilot.press("p")
        await pilot.pause()
        assert [e.payload["status"] for e in outbox(ws, m.HELP_UPDATED)] == ["pagar"]
        assert str(table.get_cell(rid, "status")) == "pågår"

        # Enter looks the request's patient up (audited) and works on the request.
        await pilot.press("enter")
        await pilot.pause()
        assert screen.query_one("#lk-year", Input).value == str(p["year"])
        assert "Arbetar med ärende" in plain(screen.query_one("#lk-status", Static).content)
        await pilot.press("enter", "j")
        await pilot.pause()
        (ack,) = outbox(ws, m.MESSAGE_ACKED)
        assert ack.payload == {
            "message_id": p["messages"][0],
            "on_behalf_of": unit,
            "help_request": rid,
        }
        assert helpdesk.get(ws, rid).acks == 1

        await pilot.press("f3", "l")
        await pilot.pause()
        assert isinstance(app.screen, ResolveScreen)
        await pilot.press(*"klart", "enter")
        await pilot.pause()
        (res,) = outbox(ws, m.HELP_RESOLVED)
        assert res.payload == {"request_id": rid, "note": "klart"}
        assert helpdesk.requests(ws) == []
        assert table.row_count == 0

    # after a sync the ledger has folded it the same way
    ws2 = make_workstation(home, "support")
    try:
        ws2.sync()
        (done,) = helpdesk.requests(ws2, include_resolved=True)
        assert (done.status, done.acks, done.note, done.pending) == ("lost", 1, "klart", False)
    finally:
        ws2.close()


async def test_help_request_with_personnummer_is_refused(home: Path) -> None:
    p = patient_with_unacked(home)
    pnr = str(p["pnr"])
    app = make_app(home, "support")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.query_one("#lk-results").focus()
        await pilot.press("n")
        await pilot.pause()
        dialog = app.screen
        for wid, value in (
            ("#hr-units", str(p["units"][0])),
            ("#hr-name", str(p["name"])),
            ("#hr-year", str(p["year"])),
            ("#hr-need", f"kvittera för {pnr}"),
        ):
            dialog.query_one(wid, Input).value = value  # (pasted: refused as it arrives)
        await pilot.pause()
        assert app.screen is dialog
        assert "Ange aldrig hela personnummer" in plain(
            dialog.query_one("#hr-error", Static).content
        )
        assert dialog.query_one("#hr-need", Input).value == ""
        assert outbox(app.ws, m.HELP_REQUESTED) == []
        # Typed key by key into the birth year: refused at once, the field emptied.
        year_in = dialog.query_one("#hr-year", Input)
        year_in.value = ""
        year_in.focus()
        await pilot.press(*pnr[2:])
        await pilot.pause()
        assert year_in.value == ""
        assert "Ange aldrig hela personnummer" in plain(
            dialog.query_one("#hr-error", Static).content
        )
        assert outbox(app.ws, m.HELP_REQUESTED) == []
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, SupportScreen)


# ------------------------------------------------------------------ roles, audit


async def test_switching_role_changes_the_main_screen(home: Path) -> None:
    app = make_app(home, "support")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SupportScreen)
        app.ws.remember("slutenvard-somatik", "SUS-AVD11")
        await app.show_main()
        await pilot.pause()
        assert isinstance(app.screen, WorklistScreen)
        assert not any(isinstance(s, SupportScreen) for s in app.screen_stack)
        app.ws.remember("support", None)
        await app.show_main()
        await pilot.pause()
        assert isinstance(app.screen, SupportScreen)
        assert not any(isinstance(s, WorklistScreen) for s in app.screen_stack)


async def test_audit_view_filters_and_exports_0600(home: Path) -> None:
    app = make_app(home, "systemforvaltning")
    ws = app.ws
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, AuditScreen)
        assert [e.payload["what"] for e in outbox(ws, m.AUDIT_READ)] == ["granskningslogg visad"]
        table = screen.query_one("#au-table", DataTable)
        total = ws.store._conn.execute("SELECT count(*) FROM audit").fetchone()[0]
        assert table.row_count == total > 0
        screen.query_one("#au-user", Input).value = "nobody"
        screen.query_one("#au-user", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert table.row_count == 0
        screen.query_one("#au-since", Input).value = "igår"
        screen.query_one("#au-since", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert "ÅÅÅÅ-MM-DD" in plain(screen.query_one("#au-summary", Static).content)
        await pilot.press("ctrl+l", "f5")
        await pilot.pause()
        (path,) = (home / "exports").iterdir()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE((home / "exports").stat().st_mode) == 0o700
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        lines = raw[3:].decode().splitlines()
        assert lines[0].split(";")[:3] == ["Löpnummer", "Tid", "Användare"]
        assert len(lines) == total + 1
        assert outbox(ws, m.AUDIT_READ)[-1].payload["what"] == "granskningslogg exporterad"
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, AuditScreen)


async def test_audit_view_fits_120_columns_in_words_and_the_rehearsal_clock(home: Path) -> None:
    """At 120 columns the outcome is whole; the role is a name, a ticked item its label;
    every time is the rehearsal's (2025, no year shown), never the real clock's."""
    probe = make_workstation(home)
    try:
        sip, unit = probe.store._conn.execute(
            "SELECT sip_id, responsible_unit FROM sips WHERE status = 'pagaende' ORDER BY sip_id"
        ).fetchone()
    finally:
        probe.close()
    ws = make_workstation(home, "samordningsansvarig", unit)
    try:
        ws.decide_sip(sip, m.SipDecision("ej_aktuell"))
        ws.sync()
    finally:
        ws.close()
    app = make_app(home, "systemforvaltning")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await pilot.pause()
        text = screen_text(app)
        assert "Utfall" in text and "Systemförvaltning" in text
        assert "beslut: ej aktuell" in text and "ej_aktuell" not in text
        assert_swedish(text)
        table = app.screen.query_one("#au-table", DataTable)
        times = [str(table.get_row_at(r)[0]) for r in range(table.row_count)]
        assert times and all(re.fullmatch(r"\d+/\d+ \d\d:\d\d", t) for t in times), times


def test_audit_what_in_words() -> None:
    labels = {"s2.halsocentral": "Lägg till hälsocentral"}
    assert what_text("s2.halsocentral klar", labels) == "klar: Lägg till hälsocentral"
    assert what_text("s2.halsocentral ångrad", labels) == "ångrad: Lägg till hälsocentral"
    assert what_text("beslut: ej_aktuell", labels) == "beslut: ej aktuell"
    assert what_text("sökning", labels) == "sökning"


async def test_audit_view_is_for_systemforvaltning(home: Path) -> None:
    app = make_app(home, "support")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f3", "g")  # off the form, where g would be a letter
        await pilot.pause()
        assert not isinstance(app.screen, AuditScreen)


async def test_every_lookup_and_checklist_opening_is_audited_once_after_sync(
    home: Path,
) -> None:
    p = patient_with_unacked(home)
    app = make_app(home, "support")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await type_lookup(pilot, str(p["name"]), str(p["year"]))
        await type_lookup(pilot, "Q Nobody", "1901")
        await type_lookup(pilot, "19450312-9802", "1945")
    app = make_app(home, "slutenvard-somatik", "SUS-AVD11")
    opened: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for _ in range(2):
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, ChecklistScreen)
            opened.append(app.screen.subject)
            await pilot.press("space", "escape")  # a change, then back
            await pilot.pause()
    ws = make_workstation(home, "systemforvaltning")
    try:
        ws.sync()
        ws.sync()  # a second sync brings nothing twice
        rows = ws.store._conn.execute(
            "SELECT what, subject, outcome FROM audit WHERE kind = 'audit.read' ORDER BY seq"
        ).fetchall()
    finally:
        ws.close()
    assert [r for r in rows if r[0] == "sökning"] == [
        ("sökning", p["id"], "1 träff"),
        ("sökning", None, "0 träffar"),
        ("sökning", None, "nekad"),
    ]
    assert [r[1] for r in rows if r[0] == "checklista öppnad"] == opened


# ------------------------------------------------------------------ snapshots


SNAP_SIZES = [(80, 24), (160, 50)]


@pytest.mark.parametrize("size", SNAP_SIZES, ids=["80x24", "160x50"])
def test_snapshot_support_lookup(snap_compare, home: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    p = patient_with_unacked(home)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await type_lookup(pilot, str(p["name"]), str(p["year"]))

    app = make_app(home, "support")
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SNAP_SIZES, ids=["80x24", "160x50"])
def test_snapshot_support_requests(  # type: ignore[no-untyped-def]
    snap_compare, home: Path, fixed_ids: None, size: tuple[int, int]
) -> None:
    p = patient_with_unacked(home)
    ws = make_workstation(home, "support")
    try:
        helpdesk.record(ws, [str(p["units"][0])], str(p["name"]), str(p["year"]), "kvittera")
        helpdesk.record(ws, ["SVL-BIST-01"], "a larsson", "1945", "kvittera planeringsunderlag")
    finally:
        ws.close()

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("f3")
        await pilot.pause()

    app = make_app(home, "support")
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
def test_snapshot_audit(snap_compare, home: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("g")
        await pilot.pause()

    app = make_app(home, "systemforvaltning")
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_every_binding_has_an_id_and_a_description() -> None:
    seen = 0
    for name in ("screens.support", "screens.support_results", "screens.support_dialogs",
                 "screens.audit"):  # fmt: skip
        module = importlib.import_module(name)
        for obj in vars(module).values():
            if isinstance(obj, type) and obj.__module__ == name:
                for b in obj.__dict__.get("BINDINGS", []):
                    assert isinstance(b, Binding) and b.id and b.description, (name, obj, b)
                    seen += 1
    assert seen >= 10


async def test_audit_export_on_a_full_disk_says_so_and_records_nothing(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import screens.audit as audit_screen

    monkeypatch.setattr(audit_screen, "export_path", lambda _home, _now: Path("/dev/full"))
    app = make_app(home, "systemforvaltning")
    ws = app.ws
    seen: list[tuple[str, str]] = []
    real_notify = app.notify

    def notify(message: str, **kw: object) -> None:
        seen.append((message, str(kw.get("severity", ""))))
        real_notify(message, **kw)  # type: ignore[arg-type]

    app.notify = notify  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await pilot.pause()
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, AuditScreen)  # still there, no crash
    assert any(sev == "error" and "full" in msg for msg, sev in seen), seen
    whats = [e.payload["what"] for e in outbox(ws, m.AUDIT_READ)]
    assert "granskningslogg exporterad" not in whats
