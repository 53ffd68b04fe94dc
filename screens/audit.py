"""Systemförvaltning's view of the audit trail: filter by user, patient, unit and time,
export the rows for the spot checks the law requires (CSV for Excel, 0600, in the home).

Opening the view and exporting are audited themselves. The newest ``ROW_CAP`` rows are shown;
when there are more, the summary says how many are not shown and how to reach them (a filter,
or the export, which holds every row). Times are the workstation's clock — the rehearsal's
under ``--today`` — so a demo's trail never mixes in the real one.
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
from lcsp_tui.domain.roles import ROLES
from lcsp_tui.domain.rules import Refusal
from lcsp_tui.domain.when import short_time
from lcsp_tui.domain.words import num, plural
from lcsp_tui.errors import os_error_text
from lcsp_tui.privacy import write_private
from screens.host import Host
from screens.widgets import StatusHeader, shorten

ROW_CAP = 5000  # newest first; the summary says how many more there are (filter or export)
WIDE = 110  # from this width the role gets a column
FILTERS = (
    ("au-user", "Användare"),
    ("au-patient", "Patient-id"),
    ("au-unit", "Enhet"),
    ("au-since", "Från ÅÅÅÅ-MM-DD"),
    ("au-until", "Till ÅÅÅÅ-MM-DD"),
)


def export_path(home: Path, now: dt.datetime) -> Path:
    """``<home>/exports/granskning-YYYYMMDD-HHMMSS.csv`` at the workstation's clock (the
    rehearsal's under ``--today``); the directory 0700; never an earlier export's name."""
    folder = home / "exports"
    folder.mkdir(mode=0o700, exist_ok=True)
    folder.chmod(0o700)
    stamp = now.strftime("%Y%m%d-%H%M%S")
    path = folder / f"granskning-{stamp}.csv"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"granskning-{stamp}-{n}.csv"
    return path


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
            "ctrl+l",  # Ctrl+R switches role everywhere
            "reset",
            "Rensa filter",
            id="granskning.rensa",
            tooltip="Töm filtren och visa hela loggen",
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
        ws = self.lcsp.ws
        q = ws.q
        rows = audit.query(q, self.filter, limit=ROW_CAP, newest_first=True)
        self.total = audit.count(q, self.filter)
        this_year = ws.now().year
        labels = {i.id: i.label for i in ws.region.checklists.item}
        table = self.query_one("#au-table", DataTable)
        width = self.size.width or self.app.size.width
        wide = width >= WIDE
        times = [_time(r["at"], this_year) for r in rows]
        outcomes = [str(r["outcome"] or "") for r in rows]
        at_w = max([10, *map(len, times)])
        user_w, unit_w, subject_w = (16, 14, 12) if wide else (10, 10, 10)
        role_w = 22 if wide else 0
        out_w = min(max([6, *map(len, outcomes)]), 24)
        columns = 7 if wide else 6
        # What gets the rest: each column has one cell of padding either side, the
        # scrollbar 2.
        fixed = at_w + user_w + role_w + unit_w + subject_w + out_w
        what_w = max(18, width - 2 - 2 * columns - fixed)
        table.clear(columns=True)
        table.add_column("Tid", width=at_w, key="at")
        table.add_column("Användare", width=user_w, key="user")
        if wide:
            table.add_column("Roll", width=role_w, key="role")
        table.add_column("Enhet", width=unit_w, key="unit")
        table.add_column("Vad", width=what_w, key="what")
        table.add_column("Avser", width=subject_w, key="subject")
        table.add_column("Utfall", width=out_w, key="outcome")
        for r, at, outcome in zip(rows, times, outcomes, strict=True):
            unit = str(r["unit"] or "")
            if r["on_behalf_of"]:
                unit = f"åt {r['on_behalf_of']}"
            cells = [at, shorten(str(r["user"] or ""), user_w)]
            if wide:
                role = str(r["role"] or "")
                cells.append(shorten(ROLES[role].name if role in ROLES else role, role_w))
            cells += [
                shorten(unit, unit_w),
                shorten(audit.what_text(str(r["what"] or r["kind"]), labels), what_w),
                shorten(str(r["subject"] or ""), subject_w),
                shorten(outcome, out_w),
            ]
            table.add_row(*cells, key=str(r["seq"]))
        self._summary(len(rows))

    def _summary(self, shown: int, problem: str | None = None) -> None:
        t = Text()
        t.append(plural(self.total, "händelse", "händelser"), style="bold")
        t.append(f" · filter: {self.filter.describe()}")
        if shown < self.total:
            t.append(
                f" · visar de {num(shown)} senaste, {num(self.total - shown)} visas inte: "
                "filtrera, eller exportera alla (F5)",
                style="bold yellow",
            )
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
        labels = audit.item_labels(ws.region)
        try:
            path = export_path(ws.settings.home, ws.now())
            write_private(
                path,
                lambda fh: audit.write_csv(rows, fh, labels),
                encoding="utf-8-sig",
                newline="",
            )
        except OSError as e:  # a full disk: no half file, no export in the trail
            self.notify(os_error_text(e), title="Exporten misslyckades", severity="error")
            return
        ws.audit_read(self.filter.patient, "granskningslogg exporterad", f"{len(rows)} rader")
        self.lcsp.local_change()
        saved = plural(len(rows), "rad sparad", "rader sparade")
        self.notify(f"{saved} i {path}", title="Exporterat", timeout=8)

    def action_back(self) -> None:
        self.dismiss()


def _time(at: object, this_year: int) -> str:
    """``30/9 10:00``, with the year when it is not this year's (the trail's own text if it
    is not a time)."""
    text = str(at or "")
    try:
        return short_time(dt.datetime.fromisoformat(text), this_year=this_year)
    except ValueError:
        return text
