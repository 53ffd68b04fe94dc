"""The coordinators' dashboard (systemforvaltning's main screen): pilot tests for behaviour,
snapshots for looks at 80×24 and 160×50, on the known-count region of ``test_stats``.

``run_test`` is opened in each test body, never in a fixture (textual#4998).
"""

from __future__ import annotations

import importlib
import io
from pathlib import Path

import pytest
from rich.console import Console
from textual.binding import Binding
from textual.pilot import Pilot
from textual.widgets import DataTable, Static, TabbedContent

from lcsp_tui.app import LcspApp
from lcsp_tui.domain import models as m
from lcsp_tui.rows import DrillRow, Selector
from lcsp_tui.stats.export import STEP_NAMES
from lcsp_tui.store.queries import Queries
from screens.dashboard import TABS, DashboardScreen
from screens.drilldown import DrillScreen, SubjectScreen
from screens.worklist import WorklistScreen
from tests.snapshot_app import copy_home, make_workstation
from tests.test_stats import NOW, build_home
from tests.test_support_tui import assert_swedish, screen_text

TODAY = NOW.isoformat(timespec="minutes")  # 2025-10-01T09:00
SIZE = (120, 36)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_home(tmp_path_factory.mktemp("dash") / "home")


@pytest.fixture
def home(template: Path, tmp_path: Path) -> Path:
    return copy_home(template, tmp_path / "home")


def make_app(home: Path, role: str = "systemforvaltning", unit: str | None = None) -> LcspApp:
    ws = make_workstation(home, role, unit, today=TODAY)
    return LcspApp(ws, sync_interval=None)


async def settle(pilot: Pilot[object]) -> None:
    """Wait for the sync, the dashboard's figures and any drill-down."""
    for _ in range(3):
        busy = [w for w in pilot.app.workers if w.group in ("sync", "dashboard", "drill")]
        if busy:
            await pilot.app.workers.wait_for_complete(busy)
        await pilot.pause()


def plain(renderable: object) -> str:
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def cells(table: DataTable[object]) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(r)] for r in range(table.row_count)]


def row_of(table: DataTable[object], key: str) -> int:
    return table.get_row_index(key)


def audits(app: LcspApp) -> list[tuple[str | None, str]]:
    return [
        (e.payload["subject"], e.payload["what"])
        for e in app.ws.store.outbox()
        if e.kind == m.AUDIT_READ
    ]


# ------------------------------------------------------------------ behaviour


async def test_dashboard_is_the_main_screen_with_the_figures(home: Path) -> None:
    app = make_app(home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        rows = {r[0]: r[1] for r in cells(screen.query_one("#ov-table", DataTable))}
        assert rows["Klart"] == "6 av 78 punkter (8 %)"
        assert rows["Försenade punkter"] == "13"  # step 1 only: steps 2–4 have targets
        assert rows["Prator i läsläge"] == "om 15 dagar (tor 16/10)"
        assert rows["Kan behöva flyttas"] == "1 vårdtillfälle till LCSP (1 ej startat där)"
        assert rows["SIP:ar utan beslut"] == "2 av 4 pågående (aktuell / ej aktuell)"
        assert rows["Okvitterade meddelanden"] == "3 hos 2 enheter"
        assert rows["Förregistrering utan enhet"].startswith("4 öppna punkter")
        assert rows["Kvar att göra över tid"].startswith("72 kvar, plan 25")
        # Looking at counts is not a read of patient data: nothing audited yet.
        assert audits(app) == []


async def test_drill_down_from_a_figure_to_a_subject_and_back(home: Path) -> None:
    app = make_app(home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#ov-table", DataTable)
        table.move_cursor(row=row_of(table, "forsenat"))
        await pilot.press("enter")
        await settle(pilot)
        drill_screen = app.screen
        assert isinstance(drill_screen, DrillScreen)
        expected = app.ws.q.drill(Selector("progress", only="overdue"), NOW)
        rows = drill_screen.query_one("#drill-table", DataTable)
        assert [
            rows.coordinate_to_cell_key((k, 0)).row_key.value for k in range(rows.row_count)
        ] == [r.subject for r in expected]
        assert audits(app) == [(None, "översikt: Försenade punkter")]
        head = plain(drill_screen.query_one("#drill-title", Static).content)
        assert f"{len(expected)} st" in head
        await pilot.press("enter")
        await pilot.pause()
        subject_screen = app.screen
        assert isinstance(subject_screen, SubjectScreen)
        assert subject_screen.subject == expected[0].subject
        assert audits(app)[-1] == (expected[0].subject, "översikt: checklistor visade")
        text = plain(subject_screen.query_one("#subject-text", Static).content)
        assert expected[0].title in text
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)


async def test_cell_drill_down_in_the_sip_table(home: Path) -> None:
    app = make_app(home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await pilot.pause()
        assert app.screen.query_one(TabbedContent).active == "sip"
        table = app.screen.query_one("#sip-table", DataTable)
        column = list(table.columns).index(next(k for k in table.columns if k.value == "Timrå"))
        table.move_cursor(row=row_of(table, "kommun"), column=column)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DrillScreen)
        rows = app.screen.query_one("#drill-table", DataTable)
        assert rows.row_count == 1 and rows.coordinate_to_cell_key((0, 0)).row_key.value == "S1"


async def test_progress_views_and_the_keys_that_belong_to_a_tab(home: Path) -> None:
    app = make_app(home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.check_action("next_view", ()) is False  # only on Framdrift
        await pilot.press("v")  # ignored here
        await pilot.press("3")
        await pilot.pause()
        table = screen.query_one("#pg-table", DataTable)
        assert [r[0] for r in cells(table)] == [
            "1",
            "2",
            "3",
            "4",
            "5A",
            "5B",
            "7",
            "Tot",
        ]  # no step 6 before a discharge
        assert cells(table)[0][2:6] == ["2", "15", "13", "13"]
        await pilot.press("v")
        await pilot.pause()
        keys = [k.value for k in table.columns]
        assert keys[0] == "step" and "Timrå" in keys and keys[-1] == "total"
        timra = keys.index("Timrå")
        assert cells(table)[row_of(table, "1")][timra] == "6"  # P1 4 open + P3 2 open
        await pilot.press("v")
        await pilot.pause()
        assert cells(table)[row_of(table, "samordningsansvarig")][1:3] == ["1", "25"]
        await pilot.press("v")
        await pilot.pause()
        assert row_of(table, "BIST1") >= 0 and row_of(table, "-") >= 0  # "-": no unit
        await pilot.press("v")
        await pilot.pause()
        assert cells(table)[-1][0] == "Tot"  # round again


async def test_burndown_and_escalation_tabs(home: Path) -> None:
    app = make_app(home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await pilot.pause()
        numbers = plain(app.screen.query_one("#bd-numbers", Static).content)
        assert "Kvar i dag 72 av 78 · enligt plan 25 (47 efter)" in numbers
        assert app.screen.check_action("whole_period", ()) is True
        await pilot.press("6")
        await pilot.pause()
        table = app.screen.query_one("#esc-table", DataTable)
        rows = cells(table)
        assert rows[row_of(table, "f:AVD1")][1] == "1"
        assert rows[row_of(table, "k:HC1")][1] == "2"
        assert row_of(table, "k:HC1") < row_of(table, "k:BIST1")  # worst first
        table.move_cursor(row=row_of(table, "k:HC1"))
        await pilot.press("enter")
        await settle(pilot)
        drilled = app.screen.query_one("#drill-table", DataTable)
        assert sorted(drilled.coordinate_to_cell_key((k, 0)).row_key.value for k in range(2)) == [
            "V1",
            "V4",
        ]


async def test_figures_follow_a_sync(home: Path, tmp_path: Path) -> None:
    app = make_app(home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # Another workstation on the same ledger ticks an item.
        other = make_workstation(
            tmp_path / "other", "systemforvaltning", ledger=str(home / "ledger.sqlite"), today=TODAY
        )
        other.publish(
            [m.Event(kind=m.ITEM_TICKED, payload={"subject": "P6", "item": "s1.boende"})],
            {"test": True},
        )
        other.close()
        app.start_sync(manual=True)
        await settle(pilot)
        rows = {r[0]: r[1] for r in cells(app.screen.query_one("#ov-table", DataTable))}
        assert rows["Klart"] == "7 av 78 punkter (9 %)"


async def test_role_switch_leaves_and_returns_to_the_dashboard(home: Path) -> None:
    app = make_app(home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.ws.remember("slutenvard-somatik", "AVD1")
        await app.show_main()
        await settle(pilot)
        assert isinstance(app.screen, WorklistScreen)
        app.ws.remember("systemforvaltning", None)
        await app.show_main()
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert not any(isinstance(s, WorklistScreen) for s in app.screen_stack)


async def test_a_failure_is_one_line_on_the_screen(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("databasen är låst")

    monkeypatch.setattr("screens.dashboard.collect", broken)
    app = make_app(home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        note = plain(app.screen.query_one("#ov-note", Static).content).strip()
        assert note == "Statistiken kunde inte räknas fram: RuntimeError: databasen är låst"


# ------------------------------------------------------------------ words and layout


def squeeze(text: str) -> str:
    """Whitespace as one space: a value wrapped over lines reads as one line again."""
    return " ".join(text.split())


@pytest.mark.parametrize("size", [(80, 24), (120, 36), (160, 50)])
async def test_every_tab_speaks_swedish_and_the_overview_fits(
    home: Path, size: tuple[int, int]
) -> None:
    app = make_app(home)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        text = screen_text(app)
        tabs = text.splitlines()[3]
        assert "Kvar att göra över tid" in tabs and "Eskalering" in tabs  # every tab named
        assert_swedish(text)
        # Every figure of the overview is on the screen in full (wrapped, never cut).
        table = app.screen.query_one("#ov-table", DataTable)
        shown = squeeze(text)
        for label, value in cells(table):
            assert f"{label} {squeeze(value)}" in shown or squeeze(value) in shown, (size, label)
            assert label in text, (size, label)
        assert all(len(line) <= size[0] for line in text.splitlines())
        for k in range(2, 7):
            await pilot.press(str(k))
            await settle(pilot)
            assert_swedish(screen_text(app))


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
async def test_the_chart_legend_is_on_a_line_of_its_own_below_the_chart(
    home: Path, size: tuple[int, int]
) -> None:
    app = make_app(home)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        lines = screen_text(app).splitlines()
        legend = [k for k, line in enumerate(lines) if "plan" in line and "kvar" in line]
        bottom = [k for k, line in enumerate(lines) if "└" in line]
        assert len(legend) == 1 and len(bottom) == 1, lines
        assert legend[0] > bottom[0]  # below the chart's x axis
        assert not any(c in lines[legend[0]] for c in "┤┌└─"), lines[legend[0]]
        top = next(k for k, line in enumerate(lines) if "┌" in line)
        chart = lines[top : bottom[0] + 1]  # the plot's box: no legend drawn in it
        assert not any(w in line.lower() for line in chart for w in ("plan", "kvar"))


async def test_step_names_are_whole_at_160x50(home: Path) -> None:
    app = make_app(home)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        steps = app.screen.stats.steps() if isinstance(app.screen, DashboardScreen) else []
        assert steps and app.screen.query_one("#ov-more").display  # the overview's steps
        for tab in ("1", "3"):
            await pilot.press(tab)
            await settle(pilot)
            text = screen_text(app)
            for step in steps:
                assert STEP_NAMES[step] in text, (tab, step)


async def test_the_drill_down_shows_every_row(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No cap hides work: 1 200 subjects behind a figure are 1 200 rows (worst first)."""
    many = [
        DrillRow(f"P{k:05d}", "patient", f"A. Larsson ({1900 + k % 100})", "HC1", "Timrå",
                 total=6, overdue=1200 - k)
        for k in range(1200)
    ]  # fmt: skip
    monkeypatch.setattr(Queries, "drill", lambda self, sel, now: many)
    app = make_app(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#ov-table", DataTable)
        table.move_cursor(row=row_of(table, "forsenat"))
        await pilot.press("enter")
        await settle(pilot)
        drill = app.screen.query_one("#drill-table", DataTable)
        assert drill.row_count == 1200
        head = squeeze(plain(app.screen.query_one("#drill-title", Static).content))
        assert "1 200 st" in head.replace("\xa0", " ")
        await pilot.press("ctrl+end")
        await pilot.pause()
        assert drill.cursor_row == 1199


def test_tab_labels_and_bindings_in_swedish() -> None:
    assert TABS["burndown"] == "Kvar att göra över tid"
    for b in DashboardScreen.BINDINGS:
        assert isinstance(b, Binding)
        assert_swedish(f"{b.description} {b.tooltip}")
        assert "burndown" not in (b.tooltip or "").lower()


def test_every_binding_has_an_id_and_a_description() -> None:
    seen = 0
    for name in ("screens.dashboard", "screens.drilldown", "screens.timeline"):
        module = importlib.import_module(name)
        for obj in vars(module).values():
            if isinstance(obj, type) and obj.__module__ == name:
                for b in obj.__dict__.get("BINDINGS", []):
                    assert isinstance(b, Binding) and b.id and b.description, (name, obj, b)
                    assert b.tooltip, (name, b.key)
                    seen += 1
    assert seen >= 10


# ------------------------------------------------------------------ looks


SNAP_SIZES = [(80, 24), (160, 50)]
SNAP_IDS = ["80x24", "160x50"]


class TestSnapshots:
    @pytest.mark.parametrize("size", SNAP_SIZES, ids=SNAP_IDS)
    def test_overview(self, snap_compare, home: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
        assert snap_compare(make_app(home), terminal_size=size, run_before=settle)

    @pytest.mark.parametrize("size", SNAP_SIZES, ids=SNAP_IDS)
    def test_burndown(self, snap_compare, home: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
        async def run_before(pilot: Pilot[object]) -> None:
            await settle(pilot)
            await pilot.press("5")
            await pilot.pause()

        assert snap_compare(make_app(home), terminal_size=size, run_before=run_before)

    @pytest.mark.parametrize("size", SNAP_SIZES, ids=SNAP_IDS)
    def test_progress_by_municipality(  # type: ignore[no-untyped-def]
        self, snap_compare, home: Path, size: tuple[int, int]
    ) -> None:
        async def run_before(pilot: Pilot[object]) -> None:
            await settle(pilot)
            await pilot.press("3", "v")
            await pilot.pause()

        assert snap_compare(make_app(home), terminal_size=size, run_before=run_before)

    @pytest.mark.parametrize("size", SNAP_SIZES, ids=SNAP_IDS)
    def test_timeline(self, snap_compare, home: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
        async def run_before(pilot: Pilot[object]) -> None:
            await settle(pilot)
            await pilot.press("2")
            await pilot.pause()

        assert snap_compare(make_app(home), terminal_size=size, run_before=run_before)

    @pytest.mark.parametrize("size", SNAP_SIZES, ids=SNAP_IDS)
    def test_drill_down(self, snap_compare, home: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
        async def run_before(pilot: Pilot[object]) -> None:
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)

        assert snap_compare(make_app(home), terminal_size=size, run_before=run_before)
