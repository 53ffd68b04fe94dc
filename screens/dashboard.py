"""Systemförvaltning's main screen: the whole region at a glance.

Tabs: Översikt (key figures), Tidplan, Framdrift (per step, step × municipality, role,
unit), SIP (the seed's table and the decisions), Kvar att göra över tid (a burndown chart),
Eskalering (missed Prator actions, admissions that must move, unacknowledged messages). Every number with
subjects behind it opens them (Enter). The figures are computed in a worker thread from
the local store (``lcsp_tui.stats.collect``) and recomputed after a sync brings news.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.events import Resize
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane

from lcsp_tui import timeline as tl
from lcsp_tui.stats import Stats, collect
from lcsp_tui.stats.export import STEP_NAMES
from screens.burndown import OVER_TIME, BurndownGraph, BurndownPanel
from screens.dashboard_tables import (
    PROGRESS_VIEWS,
    Cells,
    escalation_table,
    overview_table,
    progress_table,
    sip_table,
    tally_width,
)
from screens.drilldown import DrillScreen
from screens.host import Host
from screens.timeline import TimelinePanel
from screens.widgets import StatusHeader

TABS = {
    "oversikt": "Översikt",
    "tidplan": "Tidplan",
    "framdrift": "Framdrift",
    "sip": "SIP",
    "burndown": OVER_TIME,
    "eskalering": "Eskalering",
}
ROOMY = (120, 40)  # from this size the overview also shows the steps and the burndown
# The overview's steps table, when there is room: step, name, tally columns (below 110
# columns: without "Missat"), a scrollbar.
STEPS_WIDTH = (4 + 2) + (max(map(len, STEP_NAMES.values())) + 2) + tally_width(False) + 2


class StatsReady(Message):
    """Posted by the worker (from its thread) with the computed figures."""

    def __init__(self, stats: Stats | None, error: str | None = None) -> None:
        super().__init__()
        self.stats = stats
        self.error = error


class DashboardScreen(Screen[None]):
    """The coordinators' dashboard (role systemforvaltning)."""

    DEFAULT_CSS = """
    DashboardScreen #ov-table { height: auto; max-height: 16; }
    DashboardScreen #ov-note, DashboardScreen #pg-title, DashboardScreen #sip-title {
        height: auto; padding: 0 1;
    }
    DashboardScreen #ov-more { height: 1fr; margin-top: 1; }
    DashboardScreen #ov-steps { height: 1fr; }
    DashboardScreen #ov-chart { width: 1fr; height: 1fr; }
    DashboardScreen #pg-table, DashboardScreen #sip-table, DashboardScreen #esc-table {
        height: 1fr;
    }
    """

    BINDINGS = [
        Binding("u", "recompute", "Uppdatera", id="oversikt.uppdatera", tooltip="Räkna om"),
        Binding(
            "v",
            "next_view",
            "Byt vy",
            id="oversikt.vy",
            tooltip="Framdrift per steg, steg × kommun, roll eller enhet",
        ),
        Binding(
            "a",
            "whole_period",
            "Period",
            id="oversikt.period",
            tooltip=f"{OVER_TIME}: hela perioden eller veckorna kring i dag",
        ),
        Binding(
            "s",
            "app.sync",
            "Synka",
            id="oversikt.synka",
            tooltip="Synka med den gemensamma databasen",
        ),
        Binding("r", "app.choose_role", "Byt roll", id="oversikt.roll", tooltip="Välj roll"),
        Binding(
            "g", "app.audit", "Granskning", id="oversikt.granskning", tooltip="Granskningslogg"
        ),
        *(
            Binding(
                str(k + 1),
                f"tab('{t}')",
                f"Flik {k + 1}",
                id=f"oversikt.flik{k + 1}",
                show=False,
                tooltip=f"Visa fliken {label}",
            )
            for k, (t, label) in enumerate(TABS.items())
        ),
    ]

    def __init__(self) -> None:
        super().__init__(id="dashboard-screen")
        self.stats: Stats | None = None
        self.view_index = 0
        self.whole = False
        self.cells: dict[str, Cells] = {}
        self.computing = False

    @property
    def lcsp(self) -> Host:
        return cast(Host, self.app)

    def compose(self) -> ComposeResult:
        yield StatusHeader()
        with TabbedContent(id="dash-tabs"):
            with TabPane(TABS["oversikt"], id="oversikt"):
                yield Static(id="ov-note")
                yield DataTable(id="ov-table", cursor_type="row", zebra_stripes=True)
                with Horizontal(id="ov-more"):  # when there is room: steps and the chart
                    yield DataTable(id="ov-steps", cursor_type="row", zebra_stripes=True)
                    yield BurndownGraph(id="ov-chart")
            with TabPane(TABS["tidplan"], id="tidplan"):
                yield TimelinePanel(id="tl-panel")
            with TabPane(TABS["framdrift"], id="framdrift"):
                yield Static(id="pg-title")
                yield DataTable(id="pg-table", zebra_stripes=True)
            with TabPane(TABS["sip"], id="sip"):
                yield Static(id="sip-title")
                yield DataTable(id="sip-table", cursor_type="cell", zebra_stripes=True)
            with TabPane(TABS["burndown"], id="burndown"):
                yield BurndownPanel(id="bd-panel")
            with TabPane(TABS["eskalering"], id="eskalering"):
                yield DataTable(id="esc-table", cursor_type="row", zebra_stripes=True)
        yield Footer(show_command_palette=False, compact=True)

    def on_mount(self) -> None:
        self.query_one("#ov-note", Static).update(Text("Räknar fram statistiken …", style="italic"))
        self.query_one("#ov-table").focus()
        self.recompute()

    def refresh_data(self) -> None:
        """After a sync that pulled news (the app calls this)."""
        self.recompute()

    def reload(self) -> None:
        """Back to the main screen (the app calls this)."""
        self.recompute()

    def on_screen_resume(self) -> None:
        self._show_stats()

    def on_resize(self, event: Resize) -> None:
        self._show_stats()

    # ------------------------------------------------------------ data

    def recompute(self) -> None:
        self.computing = True
        ws = self.lcsp.ws
        self._compute(ws.now())

    @work(thread=True, exclusive=True, group="dashboard", exit_on_error=False)
    def _compute(self, now: dt.datetime) -> None:
        """Compute in this thread with a connection of its own; never touch widgets here."""
        ws = self.lcsp.ws
        try:
            with ws.reading() as q:  # a connection of this thread's own
                msg = StatsReady(collect(q, ws.region, now))
        except Exception as e:  # the screen must survive; say it in one line
            msg = StatsReady(None, f"{type(e).__name__}: {e}")
        self.post_message(msg)

    @on(StatsReady)
    def _ready(self, msg: StatsReady) -> None:
        self.computing = False
        if msg.stats is None:
            self.query_one("#ov-note", Static).update(
                Text(f"Statistiken kunde inte räknas fram: {msg.error}", style="bold red")
            )
            return
        self.stats = msg.stats
        self._show_stats()

    # ------------------------------------------------------------ rendering

    @property
    def wide(self) -> bool:
        return (self.size.width or self.app.size.width) >= 110

    def _show_stats(self) -> None:
        s = self.stats
        if s is None or not self.is_mounted:
            return
        wide = self.wide
        width = self.size.width or self.app.size.width
        note = Text(f"Läget {tl.day_text(s.now, this_year=s.now.year)}", style="bold")
        note.append("  Enter: patienterna bakom en siffra · 1–6: flikar", style="dim")
        self.query_one("#ov-note", Static).update(note)
        self.cells["ov-table"] = overview_table(self.query_one("#ov-table", DataTable), s, width)
        height = self.size.height or self.app.size.height
        more = self.query_one("#ov-more")
        more.display = width >= ROOMY[0] and height >= ROOMY[1]
        if more.display:
            # The steps get the width their names need (the chart the rest), up to 60 %.
            steps_w = min(STEPS_WIDTH, width * 3 // 5)
            steps = self.query_one("#ov-steps", DataTable)
            steps.styles.width = steps_w
            _t, self.cells["ov-steps"] = progress_table(steps, s, "steg", steps_w)
            if s.burndown is not None:
                self.query_one("#ov-chart", BurndownGraph).show(s.burndown, False)
        self.query_one(TimelinePanel).show(s.now, s.region.timeline, s.progress)
        view = PROGRESS_VIEWS[self.view_index]
        pg = self.query_one("#pg-table", DataTable)
        title, self.cells["pg-table"] = progress_table(pg, s, view, width)
        self.query_one("#pg-title", Static).update(title)
        self.query_one("#sip-title", Static).update(
            Text(
                "Pågående SIP:ar per samordningsansvar och kommun; beslut om aktuell", style="bold"
            )
        )
        self.cells["sip-table"] = sip_table(self.query_one("#sip-table", DataTable), s, wide)
        if s.burndown is not None:
            self.query_one(BurndownPanel).show(s.burndown, self.whole)
        self.cells["esc-table"] = escalation_table(
            self.query_one("#esc-table", DataTable), s, width
        )

    # ------------------------------------------------------------ drill-down

    def _drill(self, table: str, key: tuple[str | None, str | None]) -> None:
        found = self.cells.get(table, {}).get(key)
        if found is None:
            return
        if found == "burndown":
            self.action_tab("burndown")
            return
        selector, title = found
        self.app.push_screen(DrillScreen(selector, title))

    @on(DataTable.RowSelected)
    def _row(self, event: DataTable.RowSelected) -> None:
        tid = event.data_table.id or ""
        self._drill(tid, (event.row_key.value, None))

    @on(DataTable.CellSelected)
    def _cell(self, event: DataTable.CellSelected) -> None:
        tid = event.data_table.id or ""
        self._drill(tid, (event.cell_key.row_key.value, event.cell_key.column_key.value))

    # ------------------------------------------------------------ actions

    def action_recompute(self) -> None:
        self.notify("Räknar om statistiken …", timeout=2)
        self.recompute()

    def action_next_view(self) -> None:
        self.view_index = (self.view_index + 1) % len(PROGRESS_VIEWS)
        self._show_stats()

    def action_whole_period(self) -> None:
        self.whole = not self.whole
        self._show_stats()

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        focus = {"oversikt": "#ov-table", "framdrift": "#pg-table", "sip": "#sip-table"}
        focus |= {"eskalering": "#esc-table", "tidplan": "#tl-panel", "burndown": "#bd-panel"}
        self.query_one(focus[tab]).focus()

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        active = self.query_one(TabbedContent).active if self.is_mounted else ""
        if action == "next_view":
            return active == "framdrift"
        if action == "whole_period":
            return active == "burndown"
        return True
