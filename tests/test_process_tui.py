"""The seed's process in the TUI (issue 11): a unit picked for an item that sets one, the
SIP decision with both answers, the ward recording a discharge."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import OptionList

from lcsp_tui.app import LcspApp
from lcsp_tui.domain import models as m
from screens.checklist import ChecklistScreen
from screens.dialogs import ChoiceScreen, ConfirmScreen
from screens.setup import UnitScreen
from tests.snapshot_app import build_demo_home, copy_home, make_workstation, settle

SIZE = (100, 36)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_home(tmp_path_factory.mktemp("process") / "home")


@pytest.fixture
def home(template: Path, tmp_path: Path) -> Path:
    return copy_home(template, tmp_path / "home")


def app_at(home: Path, role: str, unit: str, today: str) -> LcspApp:
    return LcspApp(make_workstation(home, role, unit, today=today), sync_interval=None)


async def open_subject(pilot: Pilot[int], app: LcspApp, subject: str) -> ChecklistScreen:
    await settle(pilot)
    app.open_subject(subject)
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ChecklistScreen)
    return screen


def highlight(screen: ChecklistScreen, item: str) -> None:
    items = screen.query_one("#items", OptionList)
    items.highlighted = items.get_option_index(item)


def ticks(app: LcspApp) -> list[dict[str, object]]:
    return [e.payload for e in app.ws.store.outbox() if e.kind == m.ITEM_TICKED]


async def test_space_on_an_item_that_sets_a_unit_picks_one(home: Path) -> None:
    app = app_at(home, "slutenvard-psykiatri", "SUS-PSY51", "2025-09-30T10:00")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_subject(pilot, app, "VT000006")
        highlight(screen, "s2.halsocentral")
        await pilot.press("space")
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, UnitScreen)
        assert all(u.type == "halsocentral" for u in picker.units)  # the right type only
        await pilot.press(*"skonsberg", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ChecklistScreen)
        assert ticks(app)[-1] == {
            "subject": "VT000006",
            "item": "s2.halsocentral",
            "done": True,
            "value": "HC-SKONSBERG",
        }
        row = next(r for r in screen.states if r.item.id == "s2.halsocentral")
        assert row.done and row.value == "HC-SKONSBERG"


async def test_the_sip_decision_offers_both_answers(home: Path) -> None:
    app = app_at(home, "samordningsansvarig", "HC-SKONSBERG", "2025-10-03T09:00")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_subject(pilot, app, "SIP000003")
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("e")
        await pilot.pause()
        assert screen.found is not None and screen.found.decision == "ej_aktuell"
        await pilot.press("b")
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        assert screen.found is not None and screen.found.decision == "aktuell"
        decided = [e.payload["decision"] for e in app.ws.store.outbox() if e.kind == m.SIP_DECIDED]
        assert decided == ["ej_aktuell", "aktuell"]


async def test_the_ward_records_a_discharge_then_step_6_applies(home: Path) -> None:
    app = app_at(home, "slutenvard-somatik", "SUS-AVD11", "2025-10-03T09:00")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_subject(pilot, app, "VT000002")
        assert screen.found is not None
        assert not any(r.applies for r in screen.found.items if r.item.step == "6")
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("j")
        await pilot.pause()
        assert all(r.applies for r in screen.found.items if r.item.step == "6")
        assert any(e.kind == m.ADMISSION_DISCHARGED for e in app.ws.store.outbox())
