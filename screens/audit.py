"""Systemförvaltning's view of the audit trail: filter by user, patient, unit and time,
export the rows for the spot checks the law requires (CSV for Excel, 0600, in the home).

Opening the view and exporting are audited themselves.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from lcsp_tui import audit
from lcsp_tui.config import ConfigError
from lcsp_tui.domain.personnummer import looks_like_personnummer
from lcsp_tui.domain.rules import Refusal
from lcsp_tui.privacy import private_file
from screens.host import Host
from screens.widgets import StatusHeader, shorten

ROW_CAP = 500  # newest first; filter or export to see more
WIDE = 110  # from this width the role gets a column and times show the year
FILTERS = (
    ("au-user", "Användare"),
    ("au-patient", "Patient-id"),
    ("au-unit", "Enhet"),
    ("au-since", "Från ÅÅÅÅ-MM-DD"),
    ("au-until", "Till ÅÅÅÅ-MM-DD"),
)


def export_path(home: Path) -> Path:
    """``<home>/exports/granskning-YYYYMMDD-HHMMSS.csv`` (wall clock; the directory 0700)."""
    folder = home / "exports"
    folder.mkdir(mode=0o700, exist_ok=True)
    folder.chmod(0o700)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return folder / f"granskning-{stamp}.csv"


class AuditScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "back", "Tillbaka", id="granskning.tillbaka", tooltip="Tillbaka"),
        Binding(
            "f5",
            "export",
            "Exportera",
            id="granskning.exportera",
            tooltip="Spara raderna som CSV för stickprovskontroll",
        ),
        Binding(
            "ctrl+r",
            "reset",
            "Rensa filter",
            id="granskning.rensa",
            tooltip="Visa hela loggen",
        ),
    ]

    def __init__(self) -> None:
        super().__init__(id="audit-screen")
        self.filter = audit.AuditFilter()
        self.total = 0

    DEFAULT_CSS = """
    AuditScreen #au-filters { height: 1; }
    AuditScreen #au-filters Input {
        border: none; height: 1; padding: 0 1; width: 1fr; margin-right: 1;
        background: $boost;
    }
    AuditScreen #au-filters Input:focus { background: $primary 20%; }
    AuditScreen #au-summary { height: auto; padding: 0 1; background: $boost; }
    AuditScreen #au-table { height: 1fr; }
    """

    @property
    def lcsp(self) -> Host:
        return cast(Host, self.app)

    def compose(self) -> ComposeResult:
        yield StatusHeader()
        with Horizontal(id="au-filters"):
            for wid, placeholder in FILTERS:
                yield Input(placeholder=placeholder, id=wid)
        yield Static(id="au-summary")
        yield DataTable(id="au-table", cursor_type="row", zebra_stripes=True)
        yield Footer(show_command_palette=False, compact=True)

    def on_resize(self, event: Resize) -> None:
        if self.is_mounted:
            self.reload()

    def on_mount(self) -> None:
        ws = self.lcsp.ws
        ws.audit_read(None, "granskningslogg visad")
        self.lcsp.local_change()
        self.reload()
        self.query_one("#au-user").focus()

    def refresh_data(self) -> None:
        self.reload()

    def reload(self) -> None:
        q = self.lcsp.ws.q
        rows = audit.query(q, self.filter, limit=ROW_CAP, newest_first=True)
        self.total = audit.count(q, self.filter)
        table = self.query_one("#au-table", DataTable)
        wide = (self.size.width or self.app.size.width) >= WIDE
        table.clear(columns=True)
        table.add_column("Tid", width=16 if wide else 11, key="at")
        table.add_column("Användare", width=14 if wide else 10, key="user")
        if wide:
            table.add_column("Roll", width=18, key="role")
        table.add_column("Enhet", width=14 if wide else 10, key="unit")
        table.add_column("Vad", width=26 if wide else 18, key="what")
        table.add_column("Avser", width=14 if wide else 10, key="subject")
        table.add_column("Utfall", key="outcome")
        for r in rows:
            unit = str(r["unit"] or "")
            if r["on_behalf_of"]:
                unit = f"åt {r['on_behalf_of']}"
            at = str(r["at"] or "").replace("T", " ")
            cells = [at if wide else at[5:]]
            cells.append(shorten(str(r["user"] or ""), 14 if wide else 10))
            if wide:
                cells.append(shorten(str(r["role"] or ""), 18))
            cells += [
                shorten(unit, 14 if wide else 10),
                shorten(str(r["what"] or r["kind"]), 26 if wide else 18),
                shorten(str(r["subject"] or ""), 14 if wide else 10),
                str(r["outcome"] or ""),
            ]
            table.add_row(*cells, key=str(r["seq"]))
        self._summary(len(rows))

    def _summary(self, shown: int, problem: str | None = None) -> None:
        t = Text()
        t.append(f"{self.total} händelser", style="bold")
        t.append(f" · filter: {self.filter.describe()}")
        if shown < self.total:
            t.append(f" · visar de {shown} senaste", style="dim")
        if problem:
            t.append(f"\n{problem}", style="bold red")
        else:
            t.append("\nEnter filtrerar · F5 exporterar CSV (stickprov)", style="dim")
        self.query_one("#au-summary", Static).update(t)

    @on(Input.Submitted)
    def _apply(self) -> None:
        v = {i.id: i.value for i in self.query(Input)}
        try:
            self.filter = audit.make_filter(
                v["au-user"], v["au-patient"], v["au-unit"], v["au-since"], v["au-until"]
            )
        except ConfigError:
            self._summary(0, "Datum anges som ÅÅÅÅ-MM-DD eller ÅÅÅÅ-MM-DDTHH:MM")
            return
        except Refusal as e:  # a personnummer typed as a filter: emptied, never kept
            for i in self.query(Input):
                if looks_like_personnummer(i.value):
                    i.value = ""
            self._summary(0, str(e))
            return
        self.reload()
        self.query_one("#au-table").focus()

    def action_reset(self) -> None:
        for i in self.query(Input):
            i.value = ""
        self.filter = audit.AuditFilter()
        self.reload()

    def action_export(self) -> None:
        ws = self.lcsp.ws
        rows = audit.query(ws.q, self.filter)
        path = export_path(ws.settings.home)
        with private_file(path, encoding="utf-8-sig", newline="") as fh:
            audit.write_csv(rows, fh)
        ws.audit_read(self.filter.patient, "granskningslogg exporterad", f"{len(rows)} rader")
        self.lcsp.local_change()
        self.notify(f"{len(rows)} rader sparade i {path}", title="Exporterat", timeout=8)

    def action_back(self) -> None:
        self.dismiss()
